"""Reading one JSON record exactly, as ``doseguard check`` reads a JSON line or array element: a repeated
key is found whenever there is one, and only then, and an unreadable record says why."""

from __future__ import annotations

import json
from typing import Any

import orjson
from hypothesis import given
from hypothesis import strategies as st

from doseguard.io.json_records import record_of_line
from doseguard.io.json_text import may_repeat_keys
from doseguard.records import InputRecord

KEYS = st.sampled_from(["dose", "d", "order_id", "x:y", "é", 'q"', "a\\b", "dose "])
SCALARS = st.one_of(
    st.integers(-(10**6), 10**6),
    st.sampled_from(["dose", "08:00", "http://x", '"dose":', "{", "\\", "é"]),
    st.booleans(),
    st.none(),
)


def read(raw: bytes) -> InputRecord:
    return record_of_line("t:1", raw)


def objects(depth: int = 2) -> st.SearchStrategy[Any]:
    """Objects as lists of pairs (so that a key may come twice), written by hand below."""
    values = (
        SCALARS
        if depth == 0
        else st.one_of(SCALARS, objects(depth - 1), st.lists(objects(depth - 1), max_size=2))
    )
    return st.lists(st.tuples(KEYS, values), max_size=5).map(lambda pairs: ("object", pairs))


def text(value: Any, escape: bool) -> str:
    if isinstance(value, tuple) and value[0] == "object":
        return "{" + ", ".join(f"{key_text(k, escape)}: {text(v, escape)}" for k, v in value[1]) + "}"
    if isinstance(value, list):
        return "[" + ",".join(text(v, escape) for v in value) + "]"
    if isinstance(value, str) and escape:  # every character escaped, colons too
        return key_text(value, escape)
    return json.dumps(value, ensure_ascii=False)


def key_text(key: str, escape: bool) -> str:
    return (
        json.dumps(key, ensure_ascii=escape)
        if not escape
        else "".join(f"\\u{ord(c):04x}" for c in key).join('""')
    )


def has_repeat(value: Any) -> bool:
    if isinstance(value, tuple) and value[0] == "object":
        keys = [k for k, _ in value[1]]
        return len(keys) != len(set(keys)) or any(has_repeat(v) for _, v in value[1])
    if isinstance(value, list):
        return any(has_repeat(v) for v in value)
    return False


@given(objects(), st.booleans())
def test_a_repeated_key_is_refused_exactly_when_there_is_one(value: Any, escape: bool) -> None:
    raw = text(value, escape).encode()
    record = read(raw)
    assert (record.error is not None or bool(record.problems)) == has_repeat(value)
    if not has_repeat(value):
        assert record.data == orjson.loads(raw)


def test_a_plain_order_takes_the_cheap_path() -> None:
    raw = b'{"order_id": "A", "patient_id": "P", "dose": "1000 mcg", "route": "IM"}'
    assert not may_repeat_keys(raw, orjson.loads(raw))


LATIN_1 = "a Latin-1 or Windows-1252 file? save it as UTF-8"


def test_an_unreadable_line_says_why_in_words() -> None:
    assert read(b'{"a": 1').error == "not JSON: Expecting ',' delimiter at column 8"
    assert read(b"\xff").error == f"not UTF-8 text (byte 0xFF at byte 1): {LATIN_1}"
    found = read(b'{"a": {"b": [1, NaN]}}')
    assert found.error is None and [p.field for p in found.problems] == ["a.b[1]"]
    resource = b'{"resourceType": "MedicationRequest", "dosageInstruction": [{"doseAndRate": [{"doseQuantity": {"value": 1e999}}]}]}'
    found = read(resource)
    assert found.error is None
    assert [p.field for p in found.problems] == [
        "MedicationRequest.dosageInstruction[0].doseAndRate[0].doseQuantity.value"
    ]
