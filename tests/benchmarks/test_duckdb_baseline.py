"""The DuckDB baseline of ``make bench`` (issue 13) checks what it claims to: a few hand-made orders get the
rules they should, and on generated orders (both workloads) it flags, rule for rule, the orders doseguard
flags for the rules it implements, with one line per order in input order. A baseline that flagged nothing
would look fast and mean nothing. Nothing here is timed."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

import doseguard

pytest.importorskip("duckdb")
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
import duckdb_baseline  # benchmarks/ is not a package: found on its path
import generate

GOOD = {
    "order_id": "ORD-1",
    "patient_id": "PT-1",
    "drug": "cyanocobalamin",
    "concentration": "1000 mcg/mL",
    "product_concentration": "1000 mcg/mL",
    "route": "IM",
    "site": "deltoid",
    "dose": "1000 mcg",
    "volume": "1 mL",
    "frequency": "weekly",
    "duration": "4 weeks",
    "phase": "repletion",
}
CASES: list[tuple[dict[str, Any], str, set[str]]] = [
    ({}, "pass", set()),
    ({"volume": "2 mL"}, "flagged", {"B12-DOSE-VOLUME-MISMATCH"}),
    ({"dose": "1000 mg"}, "flagged", {"B12-DOSE-IMPLAUSIBLE", "B12-DOSE-VOLUME-MISMATCH"}),
    ({"dose": "2500 mcg", "volume": "2.5 mL"}, "flagged", {"B12-DOSE-HIGH", "B12-SITE-VOLUME"}),
    ({"route": "IV"}, "flagged", {"B12-ROUTE"}),
    ({"route": "IM", "site": "abdomen"}, "flagged", {"B12-SITE-ROUTE"}),
    ({"concentration": "100 mcg/mL"}, "flagged", {"B12-CONC-MISMATCH"}),
    ({"allergies": ["cobalt"]}, "flagged", {"B12-CONTRAINDICATION"}),
    ({"duration": None}, "flagged", {"B12-ORDER-INCOMPLETE"}),
    ({"frequency": "QOD"}, "flagged", {"NOTATION-ERROR-PRONE"}),
    ({"volume": "1.0 mL"}, "flagged", {"NOTATION-TRAILING-ZERO"}),
    ({"frequency": "monthly"}, "flagged", {"B12-PHASE-FREQUENCY"}),
    ({"frequency": "daily", "duration": "lifelong"}, "flagged", {"B12-REPLETION-TOO-LONG"}),
    ({"duration": "20 weeks"}, "flagged", {"B12-WEEKLY-TOO-LONG"}),
    ({"administrations_given": 4, "red_flags": ["no_reticulocyte_response"]}, "flagged", {"B12-REASSESS"}),
    ({"dose": "one thousand"}, "invalid", set()),
]


def write(path: Path, orders: list[dict[str, Any]]) -> None:
    path.write_text("".join(json.dumps(order) + "\n" for order in orders), encoding="utf-8")


def run(tmp_path: Path, orders: list[dict[str, Any]]) -> list[dict[str, Any]]:
    source, target = tmp_path / "orders.jsonl", tmp_path / "results.jsonl"
    write(source, orders)
    count = duckdb_baseline.duckdb_check(source, target)
    lines = [json.loads(line) for line in target.read_text(encoding="utf-8").splitlines()]
    assert count == len(lines) == len(orders)
    assert [line["order_id"] for line in lines] == [order["order_id"] for order in orders]  # input order
    return lines


def test_each_rule_flags_the_order_made_for_it(tmp_path: Path) -> None:
    orders = [
        {k: v for k, v in {**GOOD, **change, "order_id": f"ORD-{i}"}.items() if v is not None}
        for i, (change, _, _) in enumerate(CASES)
    ]
    lines = run(tmp_path, orders)
    assert [(line["status"], set(line["rules"])) for line in lines] == [(s, r) for _, s, r in CASES]


@pytest.mark.parametrize("kind", ["realistic", "worst"])
def test_it_flags_what_doseguard_flags_for_the_rules_it_implements(tmp_path: Path, kind: str) -> None:
    orders = list({"realistic": generate.realistic, "worst": generate.worst}[kind](3_000))
    lines = run(tmp_path, orders)
    expected = doseguard.check(orders)
    implemented = set(duckdb_baseline.RULES)
    for line, result in zip(lines, expected, strict=True):
        invalid = result.status == doseguard.ResultStatus.INVALID
        assert (line["status"] == "invalid") == invalid, line
        assert set(line["rules"]) == {f.rule_id for f in result.findings} & implemented, line
    flagged = {rule for line in lines for rule in line["rules"]}
    assert len(flagged) >= 5  # the workload exercises the query, not only its pass path
