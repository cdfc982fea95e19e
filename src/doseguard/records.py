"""What a reader yields: one record as read, and the ids of a record as the order model reads them.

Readers (``io/``), the checker and the batch workers all speak of records; this module is the one
they share, so that reading does not depend on checking.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from doseguard.errors import FieldProblem
from doseguard.patients.model import PatientContext


@dataclass(frozen=True, slots=True)
class InputRecord:
    """One record as read: where it came from, and its data or why it could not be read.

    ``error`` is a reason the whole record could not be read; ``problems`` name fields of a record
    that was read but could not be mapped (a FHIR path, say). Either makes the result ``invalid``.
    ``context`` is the patient behind the order (a FHIR Bundle's other resources, the history files).
    """

    source: str
    data: Any = None
    error: str | None = None
    problems: tuple[FieldProblem, ...] = ()
    context: PatientContext | None = None  # the patient's facts and history, when the run has any


def record_ids(data: Any) -> tuple[str | None, str | None]:
    """The ids of a record as the order model reads them (text or whole numbers, stripped), or None:
    what its result says even when the record is invalid or its check failed."""
    if not isinstance(data, dict):
        return None, None
    return _clean_id(data.get("order_id")), _clean_id(data.get("patient_id"))


def _clean_id(value: Any) -> str | None:
    if type(value) is str:
        return value.strip() or None
    if type(value) is int:
        return str(value)
    return None
