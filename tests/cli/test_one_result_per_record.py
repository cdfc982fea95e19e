"""``doseguard check`` with workers, on random mixed batches: one result per record, in order.

Batches of valid orders, near-duplicates (one field changed, or only the ids: the line cache's and the
outcome cache's danger zone), repeated order ids, malformed records and odd line ends, in one to three
input formats at once (CSV, JSON Lines, a JSON array, FHIR NDJSON, a FHIR Bundle), are checked by the real
command in-process, in small chunks, with ``--jobs 1`` and ``--jobs 2``. Each run must give one result
per record in input order with the record's own ``source``; both runs the same bytes; and each result
the one its record gets alone in a file of its own, checked by a fresh checker (no cache warm), but
for its number, its source and the marks of a repeated order id.
"""

from __future__ import annotations

import csv
import functools
import io
import json
import re
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

import doseguard.cli.main as cli_main
from doseguard.batch.worker import ChunkChecker
from doseguard.checker import Checker
from doseguard.io.chunk_reader import ChunkReader
from doseguard.rules.model import RuleSet
from doseguard.rules.selection import Selection
from doseguard.rules.source import RuleSource
from tests.helpers.orders import STANDARD_SENTENCE as BASE

SETTINGS = settings(
    max_examples=12,
    deadline=None,
    # No shrinking nor explaining: each example runs the command twice (about 1.5 s), so shrinking a
    # failure would take minutes; add Phase.shrink by hand when looking into one.
    phases=(Phase.explicit, Phase.reuse, Phase.generate),
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
FIELDS = ("drug", "dose", "volume", "concentration", "product_concentration", "route", "site",
          "frequency", "duration", "phase")  # fmt: skip
CHANGES: dict[
    str, list[Any]
] = {  # one field another way: passes, warns, is critical, is invalid, or reads the same
    "dose": ["500 mcg", "1 mg", "1000 mcg ", "one thousand", "1000mcg", "0 mcg"],
    "volume": ["1.0 mL", "0.5 mL", "1 ml", "", "2 L"],
    "concentration": ["100 mcg/mL", "1 mg/mL", "0 mcg/mL", ""],
    "route": ["IV", "SC", "intramuscular", "oral", ""],
    "drug": ["Cyanocobalamin", "hydroxocobalamin", "aspirin", ""],
    "frequency": ["weekly", "every other day", "twice", "monthly"],
    "phase": ["maintenance", "other"],
    "administrations_given": [3, "3", 3.0, True, 1, -1, None],
    "red_flags": [["missed_doses"], "missed_doses", [], ["missed_doses", 1], {"a": 1}],
    "conditions": ["pernicious anaemia", "LHON", "no LHON", ""],
}
IDS = ["A1", "A2", "B-3", " A1", "A1 ", "7", "Ä1", "a:b/c.d", "", "A1\x1f", "A1\u00a0", "A\n1", "A1\t",
       "x" * 1000, " " + "x" * 1000, "x" * 1001]  # fmt: skip
PATIENTS = ["PT-1", "PT-2", " PT-1", "", "PT-1\x1c", "\u2003PT-2", "P" * 1000, "P" * 1001]
PLAIN_IDS = ["A1", "A2", "B-3", "PT-1", "7", "x" * 1000, "a:b/c.d"]
MALFORMED_LINES = ['{"order_id": ]', "[1, 2]", '"text"', "12", "null", "{}", '{"a" 1}', "tru"]
NDJSON_TEMPLATE = json.loads(
    (Path(__file__).parents[2] / "examples" / "fhir-medicationrequests.ndjson")
    .read_text(encoding="utf-8")
    .splitlines()[0]
)


# --- records ---------------------------------------------------------------------------------------


@st.composite
def identity(draw: st.DrawFn) -> tuple[Any, Any]:
    order_id: Any = draw(st.sampled_from(IDS))
    if draw(st.integers(0, 9)) == 0:
        order_id = draw(st.sampled_from([7, 8, True, None, 1.5, 10**30, -7]))
    return order_id, draw(st.sampled_from(PATIENTS))


@st.composite
def order(draw: st.DrawFn) -> dict[str, Any]:
    """A flat order: the base, or the base with one or two fields changed (near-duplicates)."""
    order_id, patient_id = draw(identity())
    fields = dict(BASE)
    for name in draw(st.lists(st.sampled_from(sorted(CHANGES)), max_size=2, unique=True)):
        fields[name] = draw(st.sampled_from(CHANGES[name]))
    record = {"order_id": order_id, "patient_id": patient_id, **fields}
    if draw(st.booleans()):  # the same fields in another order: another line, the same order
        record = dict(reversed(list(record.items())))
    return record


@st.composite
def jsonl_text(draw: st.DrawFn, kind: str) -> str:
    """One line of JSON Lines (``kind`` jsonl) or FHIR NDJSON."""
    if draw(st.integers(0, 6)) == 0:
        return draw(st.sampled_from(MALFORMED_LINES))
    if kind == "ndjson":
        return json.dumps(draw(fhir_request()), separators=draw(st.sampled_from([(",", ":"), (", ", ": ")])))
    separators = draw(st.sampled_from([(", ", ": "), (",", ":"), (" ,", " : ")]))
    return json.dumps(draw(order()), ensure_ascii=draw(st.booleans()), separators=separators)


@st.composite
def fhir_request(draw: st.DrawFn) -> dict[str, Any]:
    resource: dict[str, Any] = json.loads(json.dumps(NDJSON_TEMPLATE))
    order_id, patient_id = draw(identity())
    if isinstance(order_id, str) and order_id.strip():
        resource["id"] = order_id
    else:
        del resource["id"]
    if isinstance(patient_id, str) and patient_id.strip():
        resource["subject"] = {"reference": f"Patient/{patient_id}"}
    dose = resource["dosageInstruction"][0]["doseAndRate"][0]["doseQuantity"]
    dose["value"] = draw(st.sampled_from([1000, 1000, 500, 1, 0, -5]))
    if draw(st.integers(0, 4)) == 0:
        resource["status"] = draw(st.sampled_from(["draft", "cancelled", "entered-in-error", 3]))
    if draw(st.integers(0, 6)) == 0:
        resource["resourceType"] = "MedicationOrder"  # not context: never skipped
    return resource


@st.composite
def csv_row(draw: st.DrawFn, header: list[str]) -> list[str]:
    record = draw(order())
    row = [_csv_cell(record.get(name, "")) for name in header]
    shape = draw(st.integers(0, 7))
    if shape == 0:
        return row[:-2]  # too few cells
    if shape == 1:
        return [*row, "extra"]  # too many
    return row


def _csv_cell(value: Any) -> str:
    """A cell on one line (a cell holding a line end is the CSV readers' tests' business)."""
    return "" if value is None else str(value).replace("\n", " ")


@st.composite
def batch(draw: st.DrawFn) -> dict[str, bytes]:
    """Input files by name, in the order given to ``doseguard check``."""
    files: dict[str, bytes] = {}
    formats = draw(st.lists(st.sampled_from(["jsonl", "csv", "json", "ndjson", "bundle"]), min_size=1,
                            max_size=3, unique=True))  # fmt: skip
    for fmt in formats:
        if fmt in ("jsonl", "ndjson"):
            lines = draw(st.lists(jsonl_text(fmt), min_size=1, max_size=12))
            if fmt == "jsonl" and draw(st.booleans()):  # the line cache's case: one line, other plain ids
                record, separators = draw(order()), draw(st.sampled_from([(", ", ": "), (",", ":")]))
                for _ in range(draw(st.integers(3, 6))):
                    order_id, patient_id = draw(st.sampled_from(PLAIN_IDS)), draw(st.sampled_from(PLAIN_IDS))
                    record |= {"order_id": order_id, "patient_id": patient_id}
                    lines.insert(draw(st.integers(0, len(lines))), json.dumps(record, separators=separators))
            for _ in range(draw(st.integers(0, 4))):  # near-duplicates: a line again, other ids
                again = draw(st.sampled_from(lines))
                other = draw(st.sampled_from(["A9", "Z-1", "PT-9", "A1", "x" * 999, "x" * 1000, "A 9"]))
                position = draw(st.integers(0, len(lines)))
                lines.insert(position, re.sub(r'"(A1|A2|B-3|PT-1|PT-2|7)"', f'"{other}"', again, count=1))
            ends = st.sampled_from(["\n", "\r\n", "\r"])
            mixed = draw(st.booleans())
            end = draw(ends)
            text = "\ufeff" if draw(st.integers(0, 4)) == 0 else ""
            for line in lines:
                if draw(st.integers(0, 6)) == 0:
                    text += draw(st.sampled_from(["", "  ", "\t"])) + (draw(ends) if mixed else end)
                text += line + (draw(ends) if mixed else end)
            if draw(st.booleans()):
                text = text.rstrip("\r\n")  # no line end after the last line
            files[f"in.{fmt}"] = text.encode()
        elif fmt == "csv":
            header = ["order_id", "patient_id", *FIELDS]
            rows = draw(st.lists(csv_row(header), min_size=1, max_size=10))
            out = io.StringIO()
            csv.writer(out, lineterminator=draw(st.sampled_from(["\n", "\r\n"]))).writerows([header, *rows])
            files["in.csv"] = out.getvalue().encode()
        elif fmt == "json":
            items: list[Any] = draw(
                st.lists(st.one_of(order(), st.sampled_from([12, "text", None, [], {"a": 1}])), max_size=10)
            )
            files["in.json"] = json.dumps(items, indent=draw(st.sampled_from([None, 1]))).encode()
        else:
            requests = draw(st.lists(fhir_request(), min_size=1, max_size=8))
            entries = [{"fullUrl": f"urn:uuid:{i}", "resource": r} for i, r in enumerate(requests)]
            bundle = {"resourceType": "Bundle", "type": "collection", "entry": entries}
            files["in.bundle.json"] = json.dumps(bundle).encode()
    return files


# --- what each record gives alone ------------------------------------------------------------------


def split_records(name: str, data: bytes) -> list[tuple[str, bytes]]:
    """(expected source, a file holding that record alone) for every record of an input file."""
    if name.endswith((".jsonl", ".ndjson")):
        lines = re.split(rb"\r\n|\r|\n", data.removeprefix("\ufeff".encode()))
        return [(f"{name}:{n}", line + b"\n") for n, line in enumerate(lines, start=1) if line.strip()]
    if name.endswith(".csv"):
        lines = data.splitlines()  # no cell holds a line end
        return [(f"{name}:{n}", lines[0] + b"\n" + line + b"\n") for n, line in enumerate(lines[1:], start=2)]
    document = json.loads(data)
    if isinstance(document, list):
        return [(f"{name}:[{n}]", json.dumps([item]).encode()) for n, item in enumerate(document, start=1)]
    return [
        (f"{name}:entry[{n}]", json.dumps({**document, "entry": [entry]}).encode())
        for n, entry in enumerate(document["entry"])
    ]


def alone(rule_set: RuleSet, tmp: Path, name: str, data: bytes) -> dict[str, Any]:
    """The result of the record in ``data`` checked alone, by a fresh checker (cold caches)."""
    (tmp / "alone").mkdir(exist_ok=True)
    path = tmp / "alone" / name
    path.write_bytes(data)
    checker = ChunkChecker(Checker(rule_set), "jsonl")
    results: list[dict[str, Any]] = [
        json.loads(out) for chunk in ChunkReader([str(path)]) for out in checker.process(chunk).outputs()
    ]
    assert len(results) == 1, (name, data, results)
    return results[0]


def expected_results(rule_set: RuleSet, tmp: Path, files: dict[str, bytes]) -> list[dict[str, Any]]:
    """Each record's result alone, numbered and sourced in the batch, a repeated order id marked."""
    expected: list[dict[str, Any]] = []
    first_of: dict[str, int] = {}
    for name, data in files.items():
        for source, single in split_records(str(tmp / name), data):
            result = {**alone(rule_set, tmp, name, single), "record": len(expected) + 1, "source": source}
            order_id = result["order_id"]
            if order_id is not None and result["status"] != "invalid":
                if order_id in first_of:
                    message = f"duplicates the order_id of record {first_of[order_id]}"
                    result |= {"status": "invalid", "findings": [], "warnings": [],
                               "errors": [{"field": "order_id", "message": message}]}  # fmt: skip
                    result.pop("not_evaluated", None)  # an invalid order is not checked at all
                else:
                    first_of[order_id] = result["record"]
            expected.append(result)
    return expected


# --- the property ----------------------------------------------------------------------------------

ACROSS_RECORDS = "B12-DUPLICATE-THERAPY"
"""The one bundled rule whose outcome depends on other records (two B12 orders of a patient in one
Bundle): left out, as the oracle checks each record alone (tests/cli/test_check_other_orders.py and
tests/io/fhir/test_context.py test it)."""


def check(monkeypatch: pytest.MonkeyPatch, paths: list[Path], jobs: int, chunk_records: int) -> bytes:
    """``doseguard check`` in-process (its workers are real processes), in chunks of ``chunk_records``."""
    monkeypatch.setattr(cli_main, "ChunkReader", functools.partial(ChunkReader, chunk_records=chunk_records))
    args = ["check", *map(str, paths), "--format", "jsonl", "--fail-on", "never", "--jobs", str(jobs),
            "--ignore", ACROSS_RECORDS]  # fmt: skip
    run = CliRunner().invoke(cli_main.cli, args, catch_exceptions=False)
    assert run.exit_code == 0, run.stderr
    return run.stdout_bytes


@SETTINGS
@given(files=batch(), chunk_records=st.sampled_from([1, 2, 3, 5]))
def test_one_result_per_record_whatever_the_jobs(
    tmp_path_factory: pytest.TempPathFactory,
    monkeypatch: pytest.MonkeyPatch,
    files: dict[str, bytes],
    chunk_records: int,
) -> None:
    tmp = tmp_path_factory.mktemp("batch")
    paths = []
    for name, data in files.items():
        (tmp / name).write_bytes(data)
        paths.append(tmp / name)
    one = check(monkeypatch, paths, 1, chunk_records)
    two = check(monkeypatch, paths, 2, chunk_records)
    assert one == two
    results = [json.loads(line) for line in one.splitlines()]
    expected = expected_results(RuleSource(selection=Selection(ignore=(ACROSS_RECORDS,))).load(), tmp, files)
    assert [(r["record"], r["source"]) for r in results] == [(e["record"], e["source"]) for e in expected]
    for result, wanted in zip(results, expected, strict=True):
        assert result == wanted
