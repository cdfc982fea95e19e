"""The patient behind a FHIR order, as :class:`~doseguard.patients.model.PatientContext` items: the
files of a FHIR Bulk Data export (``--history DIR``: ``Patient.ndjson``, ``Observation.ndjson``, ...)
read here, line by line; a Bundle's context resources in :mod:`doseguard.io.fhir.bundle_context`.
Each resource is read by :mod:`doseguard.io.fhir.patient_resources` (the mapping, resource by
resource); each line that cannot be used is a :class:`~doseguard.errors.HistoryProblem` at
``file:line``, and reading goes on.

An Observation file's weights, heights and renal function are a series: the latest of each
patient's is the field (as in a Bundle). Other patient fields go to the store located (a
``PatientFields``), so two Patient resources that disagree are said at their lines.
"""

from __future__ import annotations

import gzip
from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime
from typing import Any

import orjson

from doseguard.errors import HistoryProblem, InputError
from doseguard.io.csv_rows import text_lines
from doseguard.io.fhir.bundle_context import BundleContext, attach_context, bundle_context
from doseguard.io.fhir.patient_resources import ResourceReader
from doseguard.io.history_store import PatientFields
from doseguard.io.inputs import open_input
from doseguard.io.json_text import Unreadable, explain, may_repeat_keys, refuse_repeats
from doseguard.orders.drugs import DrugEntry
from doseguard.patients.model import (
    HistoryItem,
)

__all__ = ["BundleContext", "ResourceReader", "attach_context", "bundle_context", "ndjson_items"]

Drugs = Iterable[DrugEntry] | Mapping[str, str]


# --- FHIR Bulk Data NDJSON (--history DIR) -------------------------------------------------------


def ndjson_items(path: str, resource_type: str, drugs: Drugs = ()) -> Iterator[HistoryItem | HistoryProblem]:
    """The items of a Bulk Data file of ``resource_type`` (``.ndjson``, maybe ``.gz``), line by line:
    each line that cannot be used a problem at ``file:line``. Raises :class:`InputError` for a file
    that cannot be read at all."""
    reader = ResourceReader(drugs)
    latest = _Latest()
    try:
        opened = open_input(path)
    except (OSError, EOFError, gzip.BadGzipFile) as error:
        raise InputError(path, f"cannot read: {error}") from None
    name = opened.name
    try:
        with opened.stream:
            for number, raw in text_lines(name, opened.stream):
                source = f"{name}:{number}"
                resource = _resource_of_line(raw)
                if isinstance(resource, Unreadable):
                    yield HistoryProblem(source, None, resource.reason)
                    continue
                kind = resource.get("resourceType") if isinstance(resource, dict) else None
                if kind != resource_type:
                    yield HistoryProblem(
                        source,
                        "resourceType",
                        f"{kind!r} in {resource_type}.ndjson: a Bulk Data file holds one resource type",
                    )
                    continue
                for read in reader.read(source, resource):
                    item = read.item
                    if isinstance(item, HistoryProblem) or not isinstance(item[1], dict):
                        yield item
                    elif resource_type == "Observation":
                        latest.keep(source, item[0], item[1], read.at)
                    else:
                        yield item[0], PatientFields(item[1], source)
            opened.check_unchanged()
            yield from latest.items()
    except (OSError, EOFError, gzip.BadGzipFile) as error:
        raise InputError(path, f"cannot read: {error}") from None
    finally:
        if opened.raw is not None and opened.raw is not opened.stream:
            opened.raw.close()


class _Latest:
    """An Observation file's patient fields (weights, heights, renal function), the latest of each
    patient's kept until the file is read: a series of weights is a history, not rows that disagree
    (the store would say two different weights conflict and keep neither). One value per patient
    and field is held, never the file."""

    def __init__(self) -> None:
        self.values: dict[tuple[str, str], tuple[datetime | None, Any, str]] = {}

    def keep(self, source: str, patient_id: str, fields: dict[str, Any], at: datetime | None) -> None:
        for key, value in fields.items():
            known = self.values.get((patient_id, key))
            if known is None or (at is not None and (known[0] is None or at > known[0])):
                self.values[(patient_id, key)] = (at, value, source)

    def items(self) -> Iterator[HistoryItem]:
        for (patient_id, key), (at, value, source) in self.values.items():
            yield patient_id, PatientFields({key: value}, source, {key: at} if at is not None else None)


def _resource_of_line(raw: bytes) -> Any:
    """A line's JSON value, or why it cannot be read; a repeated key is refused (orjson keeps the
    last value: a second ``status`` could turn a refuted allergy into a confirmed one)."""
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return explain(raw)
    if type(value) is dict and may_repeat_keys(raw, value):
        refused = refuse_repeats(raw)
        if refused is not None:
            return refused
    return value
