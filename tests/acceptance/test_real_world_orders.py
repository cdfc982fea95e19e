"""The acceptance set of issue 10: orders as hospitals write them, each with the outcome a pharmacist
expects, run through ``doseguard check`` as a user runs it (one test case per order, so a failure names it).

The orders are in ``orders/`` (JSON Lines, CSV, FHIR NDJSON and a Bundle, an Epic-like CSV read through
``examples/epic-columns.yaml``); what each must give is beside them in ``orders/expected.csv``: the status
(pass, flagged, invalid, not_covered, inactive) and, for pass and flagged, the ids of exactly the findings
it must raise (none for a pass, not even an information one). ``section`` names the part of the issue it
checks, ``what`` why the outcome is the right one."""

from __future__ import annotations

import csv
import json
from functools import cache
from pathlib import Path
from typing import Any, NamedTuple

import pytest

from tests.helpers.cli import doseguard

HERE = Path(__file__).resolve().parent
ORDERS = HERE / "orders"
EXAMPLES = HERE.parent.parent / "examples"
OPTIONS: dict[str, tuple[str, ...]] = {"epic_export.csv": ("--columns", str(EXAMPLES / "epic-columns.yaml"))}
"""Options a file needs besides the bundled rules (the Epic export's column map)."""
CHECKED_RULES = ("pass", "flagged")
"""Statuses whose findings are compared; the others carry none that matter to this set."""


class Expected(NamedTuple):
    file: str
    order_id: str
    status: str
    rules: str
    section: str
    what: str


def expected_orders() -> list[Expected]:
    with (ORDERS / "expected.csv").open(encoding="utf-8", newline="") as handle:
        return [Expected(**row) for row in csv.DictReader(handle)]


@cache
def results_of(file: str) -> dict[str, dict[str, Any]]:
    """Each order's result, by order id, from one run of ``doseguard check`` on the file."""
    run = doseguard("check", ORDERS / file, "--format", "jsonl", "--fail-on", "never", *OPTIONS.get(file, ()))
    if run.returncode != 0:
        pytest.fail(f"doseguard check {file} exited {run.returncode}: {run.stderr.strip()}")
    results = [json.loads(line) for line in run.stdout.splitlines()]
    return {str(result["order_id"]): result for result in results}


def describe(result: dict[str, Any]) -> str:
    findings = [f"{f['rule_id']} ({f['severity']}): {f['message']}" for f in result.get("findings", [])]
    errors = [f"{e.get('field')}: {e.get('message')}" for e in result.get("errors", [])]
    return (
        f"status {result['status']}; findings {findings}; errors {errors}; warnings {result.get('warnings')}"
    )


CASES = expected_orders()


@pytest.mark.parametrize("case", CASES, ids=[f"{c.file}:{c.order_id}" for c in CASES])
def test_the_order_gives_what_a_pharmacist_expects(case: Expected) -> None:
    results = results_of(case.file)
    assert case.order_id in results, f"no result for {case.order_id} ({case.section}: {case.what})"
    result = results[case.order_id]
    why = f"{case.section}: {case.what}; got {describe(result)}"
    assert result["status"] == case.status, why
    if case.status not in CHECKED_RULES:
        return
    found = {finding["rule_id"] for finding in result["findings"]}
    assert found == set(case.rules.split()), why


@pytest.mark.parametrize("file", sorted({c.file for c in CASES}))
def test_every_order_of_the_file_has_one_result_and_one_expectation(file: str) -> None:
    """Every record gives exactly one result (a FHIR Bundle's Patient none); expected.csv names each."""
    expected = [c.order_id for c in CASES if c.file == file]
    assert len(expected) == len(set(expected)), f"an order id is repeated in expected.csv for {file}"
    assert sorted(results_of(file)) == sorted(expected)


def test_the_set_covers_every_section_and_status() -> None:
    """A check on the set itself: the sections of the issue and every status a real order can have."""
    assert {c.status for c in CASES} == {"pass", "flagged", "invalid", "not_covered", "inactive"}
    assert {c.section.split()[0] for c in CASES} == {"1", "2", "3", "5"}
    assert len(CASES) >= 150
    assert all(c.rules == "" for c in CASES if c.status == "pass")
    assert all(c.rules for c in CASES if c.status == "flagged"), "a flagged order names its rules"
