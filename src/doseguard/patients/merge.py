"""Patient facts become order fields (brief decision 2): the context's ``fields`` are merged into the
order record before it is normalised, so every existing rule (an allergy, a condition) reads a patient
file's or a FHIR resource's facts with no change, and the normaliser checks them like any order field.

The order's own non-blank values win (it is the more specific statement); ``allergies`` and
``conditions`` are joined, whether either side holds a list or ``;``-separated text. The input record
is never changed: the same record object may be shown by an output, or cached.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from doseguard.patients.model import PatientContext

__all__ = ["JOINED_FIELDS", "is_blank", "merge_patient"]

JOINED_FIELDS = ("allergies", "conditions")
"""Fields whose patient values add to the order's instead of standing in for them."""


def merge_patient(data: Any, context: PatientContext | None) -> Any:
    """``data`` (an order record) with ``context``'s patient fields merged in, as a new dict; ``data``
    itself when there is nothing to merge or it is not a record (the normaliser reports that)."""
    if context is None or not context.fields or not isinstance(data, Mapping):
        return data
    merged = dict(data)
    for name, value in context.fields.items():
        if is_blank(value):
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
