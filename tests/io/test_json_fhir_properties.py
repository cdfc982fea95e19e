"""JSON arrays, FHIR Bundles and NDJSON, random and truncated, read as ``doseguard check`` reads them.

Through the real path (ChunkReader cuts, the worker's ChunkChecker reads and checks, line cache
included): one result per record, in input order, numbered without gaps; a record that cannot be
read is ``invalid`` in its own place and spoils no other; nothing is lost without a result saying so.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from doseguard.batch.worker import ChunkChecker
from doseguard.checker import Checker
from doseguard.errors import InputError
from doseguard.io.chunk_reader import ChunkReader

SETTINGS = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
ORDER = {
    "patient_id": "PT-1", "drug": "cyanocobalamin", "dose": "1000 mcg", "volume": "1 mL",
    "concentration": "1000 mcg/mL", "product_concentration": "1000 mcg/mL", "route": "IM",
    "site": "deltoid", "frequency": "daily", "duration": "7 days", "phase": "repletion",
}  # fmt: skip
BAD_NUMBERS = ["NaN", "Infinity", "-Infinity", "1e400", "-1e999", "9" * 400]


@pytest.fixture(scope="module")
def checker(checker: Checker) -> ChunkChecker:
    """The session's checker (conftest.py), with this module's line cache."""
    return ChunkChecker(checker, "jsonl")


def run(checker: ChunkChecker, path: Path, chunk_records: int) -> list[tuple[int, str, str]]:
    """(record number, source, status) of every result ``doseguard check`` would write, in order."""
    out: list[tuple[int, str, str]] = []
    for chunk in ChunkReader([str(path)], chunk_records=chunk_records):
        result = checker.process(chunk)
        encoded = [json.loads(line) for line in result.outputs()]
        assert [(meta.source, meta.status) for meta in result.records_meta()] == [
            (e["source"], e["status"]) for e in encoded
        ]
        out.extend((e["record"], e["source"], e["status"]) for e in encoded)
    assert [number for number, _, _ in out] == list(range(1, len(out) + 1))
    return out


# --- records: (text, readable) -------------------------------------------------------------------


def plain(order_id: str, **changes: Any) -> str:
    return json.dumps({"order_id": order_id, **ORDER, **changes})


@st.composite
def records(draw: st.DrawFn, order_id: str) -> tuple[str, bool]:
    """One JSON value as text, and whether it is a readable order (True: any result but invalid)."""
    kind = draw(st.sampled_from(["good", "number", "deep", "repeat", "type", "odd", "nested"]))
    if kind == "good":
        return plain(order_id), True
    if kind == "number":
        field = draw(st.sampled_from(["dose_value", "volume", "extra"]))
        return plain(order_id)[:-1] + f', "{field}": {draw(st.sampled_from(BAD_NUMBERS))}}}', False
    if kind == "deep":
        depth = draw(st.integers(31, 45))
        return plain(order_id)[:-1] + ', "x": ' + "[" * depth + "1" + "]" * depth + "}", False
    if kind == "repeat":
        key = draw(st.sampled_from(["dose", "route", "order_id", "\\u0064ose"]))
        text = plain(order_id)
        return text[:-1] + f', "{key}": "1 mg"}}', False
    if kind == "type":
        return draw(st.sampled_from(["[1, 2]", '"text"', "12", "null", "true", "[]", "{}"])), False
    if kind == "nested":  # a repeat inside a nested object
        return plain(order_id)[:-1] + ', "note": {"a": 1, "b": {"c": 1, "c": 2}}}', False
    return draw(st.sampled_from(['{"order_id": ]', '{"a" 1}', "tru", '{"a": "\\x"}', "{,}"])), False


@st.composite
def arrays(draw: st.DrawFn) -> list[tuple[str, bool]]:
    count = draw(st.integers(0, 12))
    return [draw(records(f"A-{n}")) for n in range(count)]


def array_text(items: list[tuple[str, bool]], separator: str) -> tuple[bytes, list[int]]:
    """The array's bytes, and the offset of each element's delimiter (its comma, or the bracket)."""
    raw = b"["
    delimiters: list[int] = []
    for number, (item, _) in enumerate(items):
        raw += (separator.encode() if number else b"") + item.encode()
        delimiters.append(len(raw))
    return raw + b"]\n", delimiters


@SETTINGS
@given(arrays(), st.sampled_from([", ", ",\n  ", ","]), st.integers(1, 5), st.data())
def test_a_json_array_gives_one_result_per_element_even_when_cut(
    tmp_path: Path,
    checker: ChunkChecker,
    items: list[tuple[str, bool]],
    separator: str,
    size: int,
    data: st.DataObject,
) -> None:
    raw, delimiters = array_text(items, separator)
    cut = data.draw(st.one_of(st.just(len(raw)), st.integers(1, len(raw))), label="cut")
    path = tmp_path / "orders.json"
    path.write_bytes(raw[:cut])
    results = run(checker, path, size)
    whole = [n for n, at in enumerate(delimiters) if at < cut]  # its comma (or the bracket) was kept
    closed = cut >= len(raw) - 1  # the closing bracket kept
    expected = len(whole) + (0 if closed else 1)
    assert len(results) == expected
    assert [source for _, source, _ in results] == [f"{path}:[{n}]" for n in range(1, expected + 1)]
    for (_, _, status), (_, readable) in zip(results, [items[n] for n in whole], strict=False):
        assert (status != "invalid") == readable
    if not closed:
        assert results[-1][2] == "invalid"


# --- FHIR ------------------------------------------------------------------------------------------

UCUM = "http://unitsofmeasure.org"


def request(ident: str, value: str = "1000") -> str:
    """A MedicationRequest (1000 mcg IM daily for 7 days) as text; ``value`` is written as is."""
    resource = {
        "resourceType": "MedicationRequest", "id": ident, "status": "active", "intent": "order",
        "subject": {"reference": "Patient/PT-1"},
        "medicationCodeableConcept": {"text": "cyanocobalamin 1000 mcg/mL injection"},
        "dosageInstruction": [{
            "timing": {"repeat": {"frequency": 1, "period": 1, "periodUnit": "d",
                                  "boundsDuration": {"value": 7, "unit": "days", "system": UCUM, "code": "d"}}},
            "route": {"text": "IM"}, "site": {"text": "left deltoid"},
            "doseAndRate": [{"doseQuantity": {"value": "VALUE", "unit": "mcg", "system": UCUM, "code": "ug"}}],
        }],
    }  # fmt: skip
    return json.dumps(resource).replace('"VALUE"', value)


@st.composite
def resources(draw: st.DrawFn, ident: str) -> tuple[str, str]:
    """One resource (as text) and what reading it gives: "order", "invalid" or "context" (no result)."""
    kind = draw(
        st.sampled_from(["good", "number", "repeat", "modifier", "context", "bad context", "untyped",
                         "misspelt", "dstu2", "bundle", "other", "not an object", "deep"])
    )  # fmt: skip
    if kind == "good":
        return request(ident), "order"
    if kind == "number":
        return request(ident, draw(st.sampled_from(BAD_NUMBERS))), "invalid"
    if kind == "repeat":
        return request(ident, '100000, "value": 1000'), "invalid"
    if kind == "modifier":
        text = request(ident)
        return text[:-1] + ', "modifierExtension": [{"url": "http://x/not"}]}', "invalid"
    if kind == "context":
        return json.dumps({"resourceType": "Patient", "id": f"P-{ident}"}), "context"
    if kind == "bad context":
        return '{"resourceType": "Patient", "id": "P", "id": "Q"}', "invalid"
    if kind == "untyped":
        return request(ident).replace('"resourceType": "MedicationRequest", ', ""), "invalid"
    if kind == "misspelt":
        return request(ident).replace('"MedicationRequest"', '"Medicationrequest"'), "invalid"
    if kind == "dstu2":
        return request(ident).replace('"MedicationRequest"', '"MedicationOrder"'), "invalid"
    if kind == "bundle":
        return '{"resourceType": "Bundle", "entry": [{"resource": ' + request(ident) + "}]}", "invalid"
    if kind == "other":
        return json.dumps({"resourceType": "ServiceRequest", "id": ident}), "invalid"
    if kind == "deep":  # only a JSON array limits the depth (its elements are cut by counting brackets)
        return request(ident)[:-1] + ', "x": ' + "[" * 40 + "]" * 40 + "}", "order"
    return draw(st.sampled_from(['"MedicationRequest/1"', "7", "null", "[]"])), "invalid"


@st.composite
def entries(draw: st.DrawFn, number: int) -> tuple[str, str]:
    shape = draw(st.sampled_from(["resource", "resource", "resource", "no resource", "bare", "scalar"]))
    text, outcome = draw(resources(f"MR-{number}"))
    if shape == "resource":
        return '{"fullUrl": "urn:uuid:' + str(number) + '", "resource": ' + text + "}", outcome
    if shape == "no resource":
        return '{"request": {"method": "DELETE", "url": "MedicationRequest/x"}}', "invalid"
    if shape == "bare":  # a resource where the entry should be
        return text, "invalid"
    return draw(st.sampled_from(['"x"', "1", "null", "[]"])), "invalid"


@SETTINGS
@given(st.integers(0, 10).flatmap(lambda n: st.tuples(*[entries(i) for i in range(n)])), st.integers(1, 4))
def test_a_bundle_gives_a_result_for_every_entry_but_clean_context(
    tmp_path: Path, checker: ChunkChecker, drawn: tuple[tuple[str, str], ...], size: int
) -> None:
    path = tmp_path / "bundle.json"
    path.write_text(
        '{"resourceType": "Bundle", "type": "collection", "entry": [' + ", ".join(t for t, _ in drawn) + "]}"
    )
    results = run(checker, path, size)
    kept = [(n, outcome) for n, (_, outcome) in enumerate(drawn) if outcome != "context"]
    assert [source for _, source, _ in results] == [f"{path}:entry[{n}]" for n, _ in kept]
    assert [status == "invalid" for _, _, status in results] == [outcome == "invalid" for _, outcome in kept]


@SETTINGS
@given(st.integers(1, 6).flatmap(lambda n: st.tuples(*[entries(i) for i in range(n)])), st.data())
def test_a_truncated_bundle_is_refused_whole_not_read_in_part(
    tmp_path: Path, checker: ChunkChecker, drawn: tuple[tuple[str, str], ...], data: st.DataObject
) -> None:
    text = '{"resourceType": "Bundle", "entry": [' + ", ".join(t for t, _ in drawn) + "]}"
    path = tmp_path / "bundle.json"
    path.write_bytes(text.encode()[: data.draw(st.integers(1, len(text.encode()) - 1), label="cut")])
    with pytest.raises(InputError):
        run(checker, path, 3)


@SETTINGS
@given(
    st.integers(0, 10).flatmap(lambda n: st.tuples(*[resources(f"MR-{i}") for i in range(n)])),
    st.integers(1, 4),
    st.data(),
)
def test_fhir_ndjson_gives_one_result_per_line_even_when_cut(
    tmp_path: Path, checker: ChunkChecker, drawn: tuple[tuple[str, str], ...], size: int, data: st.DataObject
) -> None:
    lines = [text for text, _ in drawn]
    raw = "".join(line + "\n" for line in lines).encode()
    cut = data.draw(st.one_of(st.just(len(raw)), st.integers(0, len(raw))), label="cut")
    path = tmp_path / "bulk.ndjson"
    path.write_bytes(raw[:cut])
    results = run(checker, path, size)
    kept = raw[:cut].split(b"\n")
    expected = [n for n, line in enumerate(kept, start=1) if line.strip()]
    assert [source for _, source, _ in results] == [f"{path}:{n}" for n in expected]
    end = 0
    for (_, _, status), (text, outcome) in zip(results, drawn, strict=False):
        end += len(text.encode()) + 1
        if end - 1 <= cut:  # the whole line was kept; a line stands alone: a Patient is not an order there
            assert (status == "invalid") == (outcome != "order")
        else:
            assert status == "invalid"
