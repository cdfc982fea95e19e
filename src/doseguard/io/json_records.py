"""One JSON record (a JSON line, an array's element, a parsed object) as an :class:`InputRecord`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson

from doseguard.io.json_text import Unreadable, explain, may_repeat_keys, refuse_repeats
from doseguard.records import InputRecord


def record_of_line(source: str, raw: bytes) -> InputRecord:
    """One JSON line (or JSON array element) as a record, or as the reason it cannot be one.

    orjson keeps the last of two values under one key: a line that may repeat a key (the cheap
    test inlined here holds for any plain order without a colon in a value) is read again strictly.
    """
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError:  # also nesting deeper than 1024 and numbers out of range
        if raw.startswith(b"\xef\xbb\xbf"):  # the start of a file joined to another (cat a.jsonl b.jsonl)
            return record_of_line(source, raw[3:])
        return object_record(source, explain(raw), None)
    if (
        type(data) is dict
        and (raw.count(b":") != len(data) or raw.count(b"{") != 1)
        and may_repeat_keys(raw, data)
    ):
        data = refuse_repeats(raw) or data
    return object_record(source, data, None)


def object_record(source: str, value: Any, resources: Mapping[str, Any] | None) -> InputRecord:
    """One parsed value as a record; ``resources`` (a Bundle's, for its references) is None unless
    the value is a Bundle's entry."""
    if isinstance(value, Unreadable):
        if value.problems:
            return InputRecord(source, data=value.data, problems=value.problems)
        return InputRecord(source, data=value.data, error=value.reason)
    if isinstance(value, bytes):  # a JSON array's element, as cut by the main process
        return record_of_line(source, value)
    if not isinstance(value, dict):
        return InputRecord(source, error=f"expected a JSON object, got {kind_of(value)}")
    if "resourceType" in value or resources is not None:  # a Bundle's entries are all resources
        from doseguard.io.fhir import fhir_record  # noqa: PLC0415 (FHIR mapping loads only when needed)

        return fhir_record(source, value, resources)
    return InputRecord(source, value)


def kind_of(value: object) -> str:
    """How a JSON value is named in messages ("an array", "a number", ...)."""
    return {list: "an array", str: "a string", int: "a number", float: "a number", bool: "true/false"}.get(
        type(value), "null" if value is None else type(value).__name__
    )
