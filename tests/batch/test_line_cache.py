"""The line cache writes exactly what checking each line would write, whatever the ids look like."""

from __future__ import annotations

import json
from typing import Any

import orjson
import pytest
from benchmarks.generate import realistic
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from doseguard.batch.line_cache import LineCache
from doseguard.batch.worker import ChunkChecker, ChunkResult
from doseguard.checker import Checker
from doseguard.io.chunks import Chunk

SENTENCES = [
    {k: v for k, v in order.items() if k not in ("order_id", "patient_id")} for order in realistic(40)
]
RISKY_IDS = st.one_of(
    st.from_regex(r"[A-Z]{3}-[0-9]{1,8}", fullmatch=True),
    st.integers(min_value=998, max_value=1002).map(lambda n: "X" * n),  # the model refuses over 1000
    st.text(alphabet='aZ09-=+@ ,"\\%é:/._\t', min_size=0, max_size=8),
    st.integers(min_value=-5, max_value=10**12),
    st.none(),
)
NAMES = st.sampled_from(
    ["orders.jsonl", "/data/in put.jsonl", "<stdin>", "-flag,name.jsonl", "=x.jsonl", "é.jsonl"]
)


def line(sentence: dict[str, Any], order_id: Any, patient_id: Any, shape: str) -> bytes:
    record = {"order_id": order_id, "patient_id": patient_id, **sentence}
    if shape == "spaced":
        return json.dumps(record).encode()
    if shape == "patient-first":
        record = {"patient_id": patient_id, **sentence, "order_id": order_id}
    elif shape == "nested":  # an order_id that is not the record's
        record = {"patient_id": patient_id, **sentence, "extra": {"order_id": order_id}}
    elif shape == "repeated":  # a repeated key: the last one counts
        return orjson.dumps(record)[:-1] + b',"order_id":"LATER"}'
    return orjson.dumps(record)


@st.composite
def chunks(draw: st.DrawFn) -> Chunk:
    lines = []
    for _ in range(draw(st.integers(min_value=1, max_value=30))):
        sentence = SENTENCES[draw(st.integers(min_value=0, max_value=5))]  # few sentences: many hits
        shape = draw(st.sampled_from(["compact", "compact", "spaced", "patient-first", "nested", "repeated"]))
        lines.append(line(sentence, draw(RISKY_IDS), draw(RISKY_IDS), shape))
        if draw(st.booleans()) and draw(st.booleans()):
            lines.append(b"   ")
    return Chunk("lines", draw(NAMES), draw(st.integers(min_value=1, max_value=10**7)), lines, first_line=7)


def same(left: ChunkResult, right: ChunkResult) -> None:
    assert left.outputs() == right.outputs()
    assert left.records_meta() == right.records_meta()
    assert left.order_ids == right.order_ids
    assert left.counts == right.counts


@pytest.mark.parametrize("output", ["jsonl", "csv"])
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(chunk=chunks())
def test_cached_lines_read_exactly_as_checked_lines(checker: Checker, output: str, chunk: Chunk) -> None:
    cached = ChunkChecker(checker, output)
    plain = ChunkChecker(checker, output)
    plain.lines = None
    expected = plain.process(chunk)
    same(cached.process(chunk), expected)  # learns
    same(cached.process(chunk), expected)  # answers from what it learnt


def test_repeated_sentences_are_answered_from_the_cache(checker: Checker) -> None:
    sentence = SENTENCES[0]
    chunk = Chunk(
        "lines", "o.jsonl", 1, [line(sentence, f"ORD-{n}", f"PT-{n}", "compact") for n in range(50)]
    )
    cached = ChunkChecker(checker, "jsonl")
    assert cached.lines is not None
    cached.process(Chunk("lines", "o.jsonl", 1, chunk.items[:1]))
    key = LineCache.key(chunk.items[0])
    assert (
        key is not None and cached.lines.get(key[0]) is None
    )  # met once: lines that never repeat cost no template
    cached.process(chunk)
    assert cached.lines.get(key[0]) is not None


@pytest.mark.parametrize(
    "raw",
    [
        b'{"order_id":"A","patient_id":"P","drug":"b\\u0031\\u0032"}',  # an escape (beside plain ids)
        b'{"order_id":"A","patient_id":"P","order_id":"B","drug":"b12"}',  # a repeated key
        b'{"order_id":"A","patient_id":"P","note":"\\"order_id\\":\\"X\\""}',  # a key inside a value
    ],
)
def test_lines_that_cannot_be_proven_safe_are_not_learnt(checker: Checker, raw: bytes) -> None:
    key = LineCache.key(raw)
    assert key is not None  # plain ids: only the checks made when learning keep the line out
    cached = ChunkChecker(checker, "jsonl")
    assert cached.lines is not None
    cached.process(Chunk("lines", "o.jsonl", 1, [raw, raw, raw]))  # met more than once: would be learnt
    assert cached.lines.get(key[0]) is None


def test_an_id_written_with_an_escape_has_no_key_and_is_checked(checker: Checker) -> None:
    """``A\\u0041`` reads as ``AA``: a line whose id bytes are not the id is never looked up."""
    raw = b'{"order_id":"A\\u0041","patient_id":"P","drug":"b12"}'
    assert LineCache.key(raw) is None
    result = ChunkChecker(checker, "jsonl").process(Chunk("lines", "o.jsonl", 1, [raw, raw, raw]))
    assert [json.loads(out)["order_id"] for out in result.outputs()] == ["AA"] * 3


def test_an_id_the_order_model_refuses_is_checked_not_looked_up(checker: Checker) -> None:
    """Found in review: a 1001-character patient_id passed when the same sentence had passed before."""
    sentence = SENTENCES[0]
    good = [line(sentence, f"ORD-{n}", f"PT-{n}", "compact") for n in range(3)]
    too_long = line(sentence, "ORD-X", "P" * 1001, "compact")
    cached = ChunkChecker(checker, "jsonl")
    learnt = cached.process(Chunk("lines", "o.jsonl", 1, good))
    assert [meta.status for meta in learnt.records_meta()] == ["pass", "pass", "pass"]
    result = cached.process(Chunk("lines", "o.jsonl", 4, [good[0], too_long]))
    assert [meta.status for meta in result.records_meta()] == ["pass", "invalid"]


def test_names_that_a_format_would_quote_or_defuse_do_not_use_the_cache() -> None:
    assert LineCache.plain_name("/data/orders 2026.jsonl")
    assert LineCache.plain_name("<stdin>")
    for name in ("-orders.jsonl", "=1+1.jsonl", "a,b.jsonl", 'a"b.jsonl', "é.jsonl", "a\nb"):
        assert not LineCache.plain_name(name)


def test_a_line_with_a_repeated_key_is_never_answered_as_passing(checker: Checker) -> None:
    """Issue 8: a repeated key was read last-wins; a cached answer must not bring that back. A line with
    a repeated key is invalid when checked, and a line that matches it but for its ids repeats it too."""
    sentence = SENTENCES[0]
    good = [line(sentence, f"ORD-{n}", f"PT-{n}", "compact") for n in range(3)]
    repeated = [
        raw.replace(b'"dose":', b'"dose":"100000 mcg","dose":', 1)
        for raw in (line(sentence, f"ORD-R{n}", f"PT-{n}", "compact") for n in range(4))
    ]
    assert all(raw.count(b'"dose":') == 2 for raw in repeated)
    cached = ChunkChecker(checker, "jsonl")
    assert cached.lines is not None
    cached.process(Chunk("lines", "o.jsonl", 1, good + good))  # the good sentence is learnt
    result = cached.process(Chunk("lines", "o.jsonl", 7, repeated + good[:1] + repeated))
    statuses = [meta.status for meta in result.records_meta()]
    assert statuses == ["invalid"] * 4 + ["pass"] + ["invalid"] * 4
    assert [json.loads(out)["errors"][0]["field"] for out in result.outputs()[:4]] == ["dose"] * 4


def test_keys_no_order_field_are_counted_for_the_run_on_cached_lines_too(checker: Checker) -> None:
    """Unknown keys are named once per run (a count, not a warning in each result): a line answered
    from the cache counts its keys as the line it was learnt from did."""
    lines = [line({**SENTENCES[0], "ward": "4B"}, f"ORD-{n}", f"PT-{n}", "compact") for n in range(50)]
    cached = ChunkChecker(checker, "jsonl")
    first = cached.process(Chunk("lines", "o.jsonl", 1, lines))
    again = cached.process(Chunk("lines", "o.jsonl", 51, lines))  # every line a hit
    assert first.counts.ignored_fields == again.counts.ignored_fields == {"ward": 50}
    assert all(json.loads(out)["warnings"] == [] for out in again.outputs())


# -- ordered_at: every line of a timed export differs in it; a valid time's value decides nothing ----
TIMES = st.one_of(
    st.sampled_from(
        ["2026-03-01T09:00:00Z", "2026-03-01", "2025-12-31T23:59:59.5+02:00", "2026-03-01 09:00"]
    ),
    st.sampled_from(
        ["2026-02-30T09:00:00Z", "last tuesday", "2026-03-01T25:00:00Z", "", " 2026-03-01", None]
    ),
    st.datetimes().map(lambda at: at.isoformat()),
    st.integers(min_value=0, max_value=3),
)


@st.composite
def timed_chunks(draw: st.DrawFn) -> Chunk:
    lines = []
    for _ in range(draw(st.integers(min_value=1, max_value=30))):
        sentence = dict(SENTENCES[draw(st.integers(min_value=0, max_value=2))])
        sentence["ordered_at"] = draw(TIMES)
        if draw(st.integers(min_value=0, max_value=5)) == 0:
            sentence["birth_date"] = draw(st.sampled_from(["1950-03-01", "2026-03-02", "soon"]))
        order_id = draw(st.sampled_from(["A", "B-2", "C3"]))
        lines.append(
            line(sentence, order_id, "PT-1", draw(st.sampled_from(["compact", "spaced", "patient-first"])))
        )
        if draw(st.integers(min_value=0, max_value=9)) == 0:
            lines.append(b'{"order_id":"Z","patient_id":"P","ordered_at":"\x00"}')
    return Chunk("lines", "o.jsonl", 1, lines)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(chunk=timed_chunks())
def test_cached_lines_with_order_times_read_exactly_as_checked_lines(checker: Checker, chunk: Chunk) -> None:
    cached = ChunkChecker(checker, "jsonl")
    plain = ChunkChecker(checker, "jsonl")
    plain.lines = None
    expected = plain.process(chunk)
    same(cached.process(chunk), expected)
    same(cached.process(chunk), expected)


def test_lines_that_differ_only_in_a_valid_order_time_are_answered_from_the_cache(checker: Checker) -> None:
    sentence = SENTENCES[0]
    lines = [line({**sentence, "ordered_at": f"2026-03-{1 + n % 28:02d}T09:{n % 60:02d}:00Z"}, f"O{n}", "PT-1",
                  "compact") for n in range(50)]  # fmt: skip
    cached = ChunkChecker(checker, "jsonl")
    assert cached.lines is not None
    cached.process(Chunk("lines", "o.jsonl", 1, lines))
    first, last = LineCache.key(lines[0]), LineCache.key(lines[-1])
    assert first is not None and last is not None and first[0] == last[0]
    assert cached.lines.get(first[0]) is not None


def test_an_invalid_order_time_or_a_birth_date_keeps_the_time_in_the_key() -> None:
    def key(at: str, **more: str) -> bytes | None:
        found = LineCache.key(orjson.dumps({"order_id": "A", "patient_id": "P", "ordered_at": at, **more}))
        return found[0] if found is not None else None

    valid = key("2026-03-01T09:00:00Z")
    assert valid is not None and valid == key("2026-04-01")
    assert key("2026-02-30T09:00:00Z") not in (valid, None)
    born = {"birth_date": "1950-01-01"}
    assert key("2026-03-01T09:00:00Z", **born) != key("2026-04-01", **born)
    assert LineCache.key(b'{"order_id":"A","patient_id":"P","ordered_at":"\x00"}') is None
