"""Patient facts become order fields (brief decision 2): the context's ``fields`` are merged into the
order record before it is normalised, so every existing rule (an allergy, a condition) reads a patient
file's or a FHIR resource's facts with no change, and the normaliser checks them like any order field.

The order's own non-blank values win (it is the more specific statement); ``allergies`` and
``conditions`` are joined, whether either side holds a list or ``;``-separated text. The input record
is never changed: the same record object may be shown by an output, or cached.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from doseguard.errors import PatientFactError
from doseguard.orders.patient import parse_ordered_at
from doseguard.patients.model import PatientContext

__all__ = ["CURRENT_FOR", "JOINED_FIELDS", "is_blank", "merge_patient", "stale_fields"]

JOINED_FIELDS = ("allergies", "conditions")
"""Fields whose patient values add to the order's instead of standing in for them."""
CURRENT_FOR = {
    "pregnant": timedelta(weeks=42),
    "weight_kg": timedelta(days=30),
    "creatinine_clearance_ml_min": timedelta(days=30),
    "egfr": timedelta(days=30),
    "height_cm": timedelta(days=365),
}
"""Fields that say the patient's state for a while only: recorded longer than this before the order
(a pregnancy status of years ago, a weight of last year), they say nothing of the order, and a rule
that needs one says it was recorded too long ago (docs/decisions/patient-fields.md). A value with
no time (an order column, a patients file) is the patient's now."""
NOTHING_STALE: frozenset[str] = frozenset()


def merge_patient(data: Any, context: PatientContext | None, stale: frozenset[str] | None = None) -> Any:
    """``data`` (an order record) with ``context``'s patient fields merged in, as a new dict; ``data``
    itself when there is nothing to merge or it is not a record (the normaliser reports that).
    ``stale``: the fields :func:`stale_fields` gives, when the caller has them already."""
    if context is None or not context.fields or not isinstance(data, Mapping):
        return data
    merged = dict(data)
    if stale is None:
        stale = stale_fields(data, context)
    for name, value in context.fields.items():
        if is_blank(value) or name in stale:
            continue
        own = merged.get(name)
        if name in JOINED_FIELDS:
            if is_blank(own):
                merged[name] = _items(value) if _is_list_like(value) else value
            elif _is_list_like(own) and _is_list_like(value):
                merged[name] = list(dict.fromkeys([*_items(own), *_items(value)]))  # type: ignore[arg-type]
            # else: the order's value is not a list the normaliser can read; it reports it as it is
        elif is_blank(own):
            merged[name] = value
    return merged


def stale_fields(data: Any, context: PatientContext | None) -> frozenset[str]:
    """The fields of :data:`CURRENT_FOR` the context recorded too long before the order, that the
    order does not state itself (none without the order's time, or the field's)."""
    if context is None or not context.field_times or not isinstance(data, Mapping):
        return NOTHING_STALE
    written = data.get("ordered_at")
    if not isinstance(written, str):
        return NOTHING_STALE
    try:
        ordered_at = parse_ordered_at(written)
    except PatientFactError:
        return NOTHING_STALE  # the normaliser says what is wrong with it
    return frozenset(
        name
        for name, lasting in CURRENT_FOR.items()
        if (at := context.field_times.get(name)) is not None
        and at < ordered_at - lasting
        and is_blank(data.get(name))
    )


def is_blank(value: Any) -> bool:
    """No value: None, blank text, or an empty list (as the order model reads them)."""
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, list | tuple):
        return not any(not is_blank(item) for item in value)
    return False


def _is_list_like(value: Any) -> bool:
    return isinstance(value, str) or (
        isinstance(value, list | tuple) and all(isinstance(item, str) for item in value)
    )


def _items(value: str | list[str] | tuple[str, ...]) -> list[str]:
    """The entries of a list field, as the order model splits ``;``-text; blank entries dropped."""
    parts = value.split(";") if isinstance(value, str) else value
    return [part.strip() for part in parts if part.strip()]
