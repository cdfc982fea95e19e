"""Random and damaged CSV and JSON Lines, through the reading path ``doseguard check`` uses (ChunkReader,
records_of and the checker): every record gets exactly one result, in input order, at its own line;
a damaged record is reported, never lost, and never makes the records after it vanish or pass for it.

The inputs: random orders (some dangerous), a notes column of random text (commas, quotes, line breaks,
non-ASCII), damaged records (an unclosed quote, short and long rows, a quote in mid-cell, a cell over the
limit, bytes that are not UTF-8, NUL bytes, a stray quote that closes one left open, JSON cut short), CR, LF and CRLF line ends mixed, a BOM, and
the whole file cut at a random byte.
"""

from __future__ import annotations

import csv
import io
import json
import tempfile
from dataclasses import dataclass
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from doseguard.errors import InputError
from doseguard.io.readers import read_inputs
from doseguard.results import OrderResult, ResultStatus
from tests.helpers.bundled import bundled_checker

COLUMNS = ("order_id", "patient_id", "drug", "dose", "volume", "concentration", "route", "frequency")
COLUMNS += ("duration", "allergies", "notes")  # notes: not an order field, so it may hold line breaks
CELL_LIMIT = 131_072
DAMAGES = ("unclosed", "stray-close", "short", "long", "mid-quote", "huge", "not-utf8", "nul")
JSON_DAMAGES = ("cut", "not-utf8", "nul", "not-object", "huge")


@dataclass
class Record:
    order_id: str
    damage: str | None
    start: int = 0  # byte offset of its first byte
    end: int = 0  # byte offset just after its text (its line end excluded)


notes = st.text(st.sampled_from("ab ,;\"'é€\t"), max_size=12)
multiline_notes = st.lists(st.text(st.sampled_from("ab ,é"), min_size=1, max_size=8), min_size=1, max_size=3)
orders = st.fixed_dictionaries(
    {
        "dose": st.sampled_from(["1000 mcg", "100 mg", "1 mg", "500 mcg"]),
        "frequency": st.sampled_from(["daily", "monthly", "weekly"]),
        "allergies": st.sampled_from(["", "cobalt", "latex;dust"]),
        "notes": st.one_of(notes, multiline_notes.map(lambda parts: "x" + "\n".join(parts) + "x")),
    }
)
damages = st.one_of(st.none(), st.none(), st.none(), st.sampled_from(DAMAGES))
ends = st.sampled_from([b"\n", b"\r\n", b"\r"])


def cells(order_id: str, values: dict[str, str]) -> list[str]:
    base = {"order_id": order_id, "patient_id": f"PT-{order_id}", "drug": "cyanocobalamin", "volume": "1 mL"}
    base |= {"concentration": "1000 mcg/mL", "route": "IM", "duration": "7 days", **values}
    return [base[column] for column in COLUMNS]


def csv_line(row: list[str]) -> bytes:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerow(row)  # cells with CR or LF are quoted
    return out.getvalue().removesuffix("\r\n").encode()


def damaged_csv(row: list[str], damage: str | None) -> bytes:
    if damage == "unclosed":
        return csv_line(row[:-1]) + b',"' + row[-1].replace('"', "").replace("\n", " ").encode()
    if damage == "stray-close":  # closes a quote left open earlier, right before the line end
        return csv_line(row[:-1]) + b',x"'
    if damage == "short":
        return csv_line(row[:-1])
    if damage == "long":
        return csv_line([*row, "extra"])
    if damage == "mid-quote":
        return csv_line(row[:3]) + b',"1000"0 mcg,' + csv_line(row[4:])
    if damage == "huge":
        return csv_line([*row[:-1], "line of text\n" * (CELL_LIMIT // 13 + 10)])
    line = csv_line(row)
    if damage == "not-utf8":
        return line + b"\xff\xfe"
    if damage == "nul":
        return line.replace(b"PT-", b"PT\x00-", 1)
    return line


@dataclass
class Input:
    data: bytes
    records: list[Record]


@st.composite
def csv_inputs(draw: st.DrawFn) -> Input:
    bom = draw(st.booleans())
    data = bytearray((b"\xef\xbb\xbf" if bom else b"") + ",".join(COLUMNS).encode() + draw(ends))
    records = []
    for number in range(draw(st.integers(1, 12))):
        record = Record(f"R{number}", draw(damages))
        record.start = len(data)
        data += damaged_csv(cells(record.order_id, draw(orders)), record.damage)
        record.end = len(data)
        data += draw(ends)
        records.append(record)
    return Input(bytes(data), records)


@st.composite
def jsonl_inputs(draw: st.DrawFn) -> Input:
    data = bytearray(b"\xef\xbb\xbf" if draw(st.booleans()) else b"")
    records = []
    for number in range(draw(st.integers(1, 12))):
        if draw(st.integers(0, 5)) == 0:
            data += draw(st.sampled_from([b"\n", b"  \r\n", b"\r", b" \r"]))
        record = Record(f"R{number}", draw(st.one_of(st.none(), st.none(), st.sampled_from(JSON_DAMAGES))))
        order = dict(zip(COLUMNS, cells(record.order_id, draw(orders)), strict=True))
        line = json.dumps(order, ensure_ascii=draw(st.booleans())).encode()
        if record.damage == "cut":
            line = line[: draw(st.integers(1, len(line) - 1))]
        elif record.damage == "not-utf8":
            line = line.replace(b'"PT-', b'"PT-\xff', 1)
        elif record.damage == "nul":
            line = line.replace(b'"PT-', b'"PT-\x00', 1)
        elif record.damage == "not-object":
            line = json.dumps([order]).encode()
        elif record.damage == "huge":
            line = json.dumps({**order, "notes": "n" * (CELL_LIMIT + 10)}).encode()
        record.start = len(data)
        data += line
        record.end = len(data)
        data += draw(ends)  # CR-only ends too: JSON text cannot hold a raw CR, so a bare CR ends a line
        records.append(record)
    return Input(bytes(data), records)


def run(data: bytes, suffix: str) -> tuple[str, list[OrderResult]]:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"orders{suffix}"
        path.write_bytes(data)
        return str(path), list(bundled_checker().check_all(read_inputs([str(path)])))


def line_of(data: bytes, offset: int) -> int:
    """The physical line (LF, CRLF or CR ends) that the byte at ``offset`` is on, 1-based."""
    before = data[:offset]
    return len(before.splitlines()) + (1 if not before or before.endswith((b"\n", b"\r")) else 0)


def lines_of(name: str, results: list[OrderResult]) -> list[int]:
    assert all(r.source.startswith(f"{name}:") for r in results)
    return [int(r.source.rsplit(":", 1)[1]) for r in results]


SETTINGS = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(csv_inputs(), st.data())
def test_every_csv_record_has_one_result_at_its_line_in_order(made: Input, data: st.DataObject) -> None:
    cut = data.draw(st.one_of(st.just(len(made.data)), st.integers(0, len(made.data))), label="cut")
    text = made.data[:cut]
    if text.startswith(b"\xef\xbb\xbf"):  # line numbers are counted after the BOM
        text, shift = text[3:], 3
    else:
        shift = 0
    header_complete = made.records[0].start <= cut
    try:
        name, results = run(made.data[:cut], ".csv")
    except InputError as error:  # the header line itself cut short, so that it names no order field
        assert not header_complete, error
        return
    lines = lines_of(name, results)
    assert lines == sorted(set(lines)), "results out of input order, or two for one line"
    by_line = dict(zip(lines, results, strict=True))
    present = [r for r in made.records if r.start < cut] if header_complete else []
    starts = set()
    for record in present:
        line = line_of(text, record.start - shift)
        starts.add(line)
        assert line in by_line, f"{record} got no result: lost and unreported"
        result = by_line[line]
        if record.damage is None and record.end <= cut:
            assert result.order_id == record.order_id
            assert result.status in (ResultStatus.PASS, ResultStatus.FLAGGED), result
        elif record.end <= cut and record.damage in (
            "unclosed",
            "short",
            "long",
            "mid-quote",
            "huge",
            "not-utf8",
        ):
            assert result.status is ResultStatus.INVALID, result
    for line, result in by_line.items():  # a line of a cell cut short is read alone: never a pass
        assert line in starts or result.status is not ResultStatus.PASS, result


@SETTINGS
@given(jsonl_inputs(), st.data())
def test_every_json_line_has_one_result_at_its_line_in_order(made: Input, data: st.DataObject) -> None:
    cut = data.draw(st.one_of(st.just(len(made.data)), st.integers(0, len(made.data))), label="cut")
    text = made.data[:cut]
    name, results = run(text, ".jsonl")
    lines = lines_of(name, results)
    body = text.removeprefix(b"\xef\xbb\xbf")
    assert lines == [n for n, line in enumerate(body.splitlines(), 1) if line.strip()]
    by_line = dict(zip(lines, results, strict=True))
    for record in made.records:
        if record.start >= cut:
            continue
        result = by_line[line_of(text, record.start)]
        if record.damage is None and record.end <= cut:
            assert (result.order_id, result.status in (ResultStatus.PASS, ResultStatus.FLAGGED)) == (
                record.order_id,
                True,
            )
        elif record.end <= cut and record.damage is not None and record.damage != "huge":
            assert result.status is ResultStatus.INVALID, result
