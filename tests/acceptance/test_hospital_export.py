"""A whole-hospital export (issue 10, "Done when"): 1,000+ orders, half or more for other drugs, Epic-like
headers read through ``examples/epic-columns.yaml``. No order a pharmacist can read is invalid, every
planted B12 error is caught, correct B12 orders raise nothing, and orders for other drugs are counted
apart from the invalid ones."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

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
