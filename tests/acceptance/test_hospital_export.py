"""A whole-hospital export (issue 10, "Done when"): 1,000+ orders, half or more for other drugs, Epic-like
headers read through ``examples/epic-columns.yaml``. No order a pharmacist can read is invalid, every
planted B12 error is caught, correct B12 orders raise nothing, and orders for other drugs are counted
apart from the invalid ones; the annotated export, the HTML report and the log line of the same run are
what a pharmacy hands on (section 4)."""

from __future__ import annotations

import csv
import json
import re
from collections import Counter
from pathlib import Path
from typing import Any, NamedTuple

import pytest

from tests.acceptance.hospital_export import COLUMNS, ExportOrder, Kind, hospital_export, write_export
from tests.helpers.cli import doseguard

COLUMN_MAP = Path(__file__).resolve().parents[2] / "examples" / "epic-columns.yaml"
COUNT, SEED = 1200, 10


class Run:
    def __init__(self, orders: list[ExportOrder], results: list[dict[str, Any]], summary: dict[str, Any]):
        self.orders = orders
        self.results = results
        self.summary = summary
        self.by_id = {str(result["order_id"]): result for result in results}

    def of(self, kind: Kind) -> list[tuple[ExportOrder, dict[str, Any]]]:
        return [(order, self.by_id.get(order.order_id, {})) for order in self.orders if order.kind is kind]


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Run:
    folder = tmp_path_factory.mktemp("export")
    orders = hospital_export(COUNT, SEED)
    export = write_export(folder / "ORDER_MED_export.csv", orders)
    summary = folder / "summary.json"
    checked = doseguard(
        "check",
        export,
        "--columns",
        COLUMN_MAP,
        "--format",
        "jsonl",
        "--fail-on",
        "never",
        "--summary",
        summary,
    )
    assert checked.returncode == 0, checked.stderr
    results = [json.loads(line) for line in checked.stdout.splitlines()]
    return Run(orders, results, json.loads(summary.read_text(encoding="utf-8")))


def _shown(order: ExportOrder, result: dict[str, Any]) -> str:
    found = [f["rule_id"] for f in result.get("findings", [])]
    errors = [f"{e.get('field')}: {e.get('message')}" for e in result.get("errors", [])]
    row = {k: v for k, v in order.row.items() if v and k not in ("ORDERING_DATE", "AUTHRZING_PROV_ID")}
    return f"{row} -> {result.get('status')} {found} {errors}"


def test_the_export_is_a_whole_hospital_and_the_same_for_a_seed() -> None:
    orders = hospital_export(COUNT, SEED)
    kinds = Counter(order.kind for order in orders)
    assert len(orders) >= 1000
    assert kinds[Kind.NOT_COVERED] >= len(orders) / 2
    assert all(kinds[kind] for kind in Kind), kinds
    assert len({order.order_id for order in orders}) == len(orders)
    assert all(tuple(order.row) == COLUMNS for order in orders)
    assert hospital_export(COUNT, SEED) == orders
    assert hospital_export(COUNT, SEED + 1) != orders


def test_every_order_gets_one_result_in_input_order(run: Run) -> None:
    assert [str(result["order_id"]) for result in run.results] == [order.order_id for order in run.orders]


def test_no_order_a_pharmacist_can_read_is_invalid(run: Run) -> None:
    unreadable = {order.order_id for order in run.orders if order.kind is Kind.B12_UNREADABLE}
    wrongly = [
        _shown(order, run.by_id[order.order_id])
        for order in run.orders
        if run.by_id[order.order_id]["status"] in ("invalid", "error") and order.order_id not in unreadable
    ]
    assert not wrongly, f"{len(wrongly)} readable orders invalid, e.g.\n" + "\n".join(wrongly[:15])


def test_truly_ambiguous_b12_orders_are_still_invalid(run: Run) -> None:
    missed = [
        _shown(order, result)
        for order, result in run.of(Kind.B12_UNREADABLE)
        if result["status"] != "invalid"
    ]
    assert not missed, "\n".join(missed[:15])


def test_every_planted_b12_error_is_caught(run: Run) -> None:
    planted = run.of(Kind.B12_PLANTED)
    assert {order.rule for order, _ in planted} >= {
        "B12-DOSE-IMPLAUSIBLE",
        "B12-ROUTE",
        "B12-REPLETION-TOO-LONG",
    }
    missed = [
        f"{order.rule} not raised: {_shown(order, result)}"
        for order, result in planted
        if result.get("status") != "flagged" or order.rule not in {f["rule_id"] for f in result["findings"]}
    ]
    assert not missed, f"{len(missed)} of {len(planted)} planted errors missed, e.g.\n" + "\n".join(
        missed[:15]
    )


def test_correct_b12_orders_raise_nothing(run: Run) -> None:
    alerted = [
        _shown(order, result) for order, result in run.of(Kind.B12_CORRECT) if result.get("status") != "pass"
    ]
    assert not alerted, f"{len(alerted)} correct B12 orders not passed, e.g.\n" + "\n".join(alerted[:15])


def test_cancelled_and_stopped_b12_orders_are_not_alerted_on(run: Run) -> None:
    alerted = [
        _shown(order, result)
        for order, result in run.of(Kind.B12_INACTIVE)
        if result.get("status") != "inactive"
    ]
    assert not alerted, "\n".join(alerted[:15])


def test_orders_for_other_drugs_are_counted_apart(run: Run) -> None:
    others = run.of(Kind.NOT_COVERED)
    wrongly = [_shown(order, result) for order, result in others if result.get("status") != "not_covered"]
    assert not wrongly, (
        f"{len(wrongly)} of {len(others)} other-drug orders not 'not_covered', e.g.\n"
        + "\n".join(wrongly[:15])
    )
    by_status = run.summary["by_status"]
    assert by_status["not_covered"] == len(others)
    assert by_status["invalid"] == len(run.of(Kind.B12_UNREADABLE))
    assert by_status["inactive"] == len(run.of(Kind.B12_INACTIVE))


# What a pharmacy hands on (issue 10, section 4): the annotated export and the HTML report of the same run.
SEVERITY_RANK = {"critical": 0, "warning": 1, "info": 2}


class HandedOn(NamedTuple):
    orders: list[ExportOrder]
    annotated: list[dict[str, str]]
    report: str
    stderr: str


@pytest.fixture(scope="module")
def handed_on(tmp_path_factory: pytest.TempPathFactory) -> HandedOn:
    folder = tmp_path_factory.mktemp("handed-on")
    orders = hospital_export(COUNT, SEED)
    export = write_export(folder / "ORDER_MED_export.csv", orders)
    annotated, report = folder / "annotated.csv", folder / "report.html"
    checked = doseguard(
        "check", export, "--columns", COLUMN_MAP, "--fail-on", "never", "-o", folder / "results.jsonl",
        "--annotate", annotated, "--report", report,
    )  # fmt: skip
    assert checked.returncode == 0, checked.stderr
    with annotated.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    return HandedOn(orders, rows, report.read_text(encoding="utf-8"), checked.stderr)


def test_the_annotated_export_is_the_export_with_what_was_found(handed_on: HandedOn) -> None:
    rows = handed_on.annotated
    assert len(rows) == len(handed_on.orders)
    assert set(COLUMNS) <= set(rows[0]), f"the export's own columns are not all there: {list(rows[0])}"
    for order, row in zip(handed_on.orders, rows, strict=True):
        assert {column: row[column] for column in COLUMNS} == order.row  # the original columns, as they were
    planted = {order.order_id: order.rule for order in handed_on.orders if order.kind is Kind.B12_PLANTED}
    missed = [
        row["ORDER_MED_ID"]
        for row in rows
        if planted.get(row["ORDER_MED_ID"], "") not in row["doseguard_rules"]
    ]
    assert not missed, f"planted errors without their rule in doseguard_rules: {missed[:10]}"
    invalid = [row for row in rows if row["doseguard_status"] == "invalid"]
    assert invalid and all(row["doseguard_severity"] == "critical" for row in invalid)


def test_the_report_lists_the_b12_criticals_first(handed_on: HandedOn) -> None:
    listed = re.findall(r'<tr [^>]*data-record="(\d+)"[^>]*data-severity="(\w*)"', handed_on.report)
    assert listed, "no order rows found in the report"
    ranks = [SEVERITY_RANK.get(severity, len(SEVERITY_RANK)) for _, severity in listed]
    assert ranks == sorted(ranks), "the report's orders are not ordered by severity"
    first = handed_on.orders[int(listed[0][0]) - 1]
    assert listed[0][1] == "critical" and first.kind in (Kind.B12_PLANTED, Kind.B12_UNREADABLE), first


def test_a_cron_log_gets_one_summary_line(handed_on: HandedOn) -> None:
    summary = [line for line in handed_on.stderr.splitlines() if re.search(r"\b1,?200 orders\b", line)]
    assert len(summary) == 1, handed_on.stderr
    assert "1,200 orders" in summary[0], summary[0]  # thousands separated
    assert re.search(r"not.covered", summary[0]), summary[0]
