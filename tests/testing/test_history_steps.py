"""The history steps (doseguard.testing.history_steps) and the context they build
(doseguard.testing.history): tables to a PatientContext, read by the CLI's own row reader."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pytest_bdd import parsers, scenarios, then

from doseguard.checker import Checker
from doseguard.io.history_records import RowNormaliser
from doseguard.patients.model import HistoryKind, PatientContext
from doseguard.testing.history import OTHER_ORDER_RECORD, ScenarioHistory
from tests.helpers.bundled import bundled_checker

scenarios(str(Path(__file__).resolve().parent / "features" / "history_steps.feature"))


def _context(checker: Checker, order: Any, history: ScenarioHistory) -> PatientContext:
    context, problems = history.context(checker.rules.drugs, order)
    assert not problems, problems
    assert context is not None
    return context


@then(parsers.parse("the patient context holds {kinds}"))
def holds(order: Any, doseguard_checker: Checker, scenario_history: ScenarioHistory, kinds: str) -> None:
    context = _context(doseguard_checker, order, scenario_history)
    expected = {HistoryKind(kind.strip()) for kind in kinds.split(",")} | {HistoryKind.PATIENT}
    assert context.kinds == expected
    assert context.has_history
    assert context.patient_id == "P1"


def _rows(datatable: list[list[str]]) -> list[list[str]]:
    return [] if datatable == [["none"]] else datatable


@then("the doses are:")
def doses_are(
    order: Any, doseguard_checker: Checker, scenario_history: ScenarioHistory, datatable: list[list[str]]
) -> None:
    context = _context(doseguard_checker, order, scenario_history)
    actual = [
        [a.drug, a.given_at.isoformat(), a.status.value, f"{a.dose_mcg:g}"] for a in context.administrations
    ]
    assert actual == _rows(datatable)


@then("the lab results are:")
def labs_are(
    order: Any, doseguard_checker: Checker, scenario_history: ScenarioHistory, datatable: list[list[str]]
) -> None:
    context = _context(doseguard_checker, order, scenario_history)
    actual = [[lab.test, lab.taken_at.isoformat(), f"{lab.value:g}"] for lab in context.labs]
    assert actual == _rows(datatable)


@then("the other orders are:")
def other_orders_are(
    order: Any, doseguard_checker: Checker, scenario_history: ScenarioHistory, datatable: list[list[str]]
) -> None:
    context = _context(doseguard_checker, order, scenario_history)
    actual = [
        [o.drug, o.route or "none", o.form or "none", "active" if o.active else "inactive"]
        for o in context.orders
    ]
    assert actual == _rows(datatable)
    assert all(o.record >= OTHER_ORDER_RECORD for o in context.orders)


# Plain tests ------------------------------------------------------------------------------------


def test_no_table_no_context() -> None:
    context, problems = ScenarioHistory().context((), {"patient_id": "P1"})
    assert context is None and problems == []


def test_a_bad_row_is_reported_with_the_message_a_history_file_gets() -> None:
    drugs = bundled_checker().rules.drugs
    history = ScenarioHistory()
    rows = history.add(
        HistoryKind.LABS,
        [["test", "value", "unit", "taken_at"], ["haemoglobn", "8", "g/dL", "2 days before the order"]],
    )
    (problem,) = history.problems(drugs, rows, HistoryKind.LABS)
    from_file = RowNormaliser(drugs).lab(
        "labs.csv:2",
        {
            "patient_id": "P1",
            "test": "haemoglobn",
            "value": "8",
            "unit": "g/dL",
            "taken_at": "2026-02-27T09:00:00Z",
        },
    )
    assert str(problem) == str(from_file).replace("labs.csv:2", "labs table, row 1")
    assert "did you mean" in problem.message


def test_a_unit_a_test_is_not_measured_in_is_reported() -> None:
    history = ScenarioHistory()
    rows = history.add(
        HistoryKind.LABS, [["test", "value", "unit", "taken_at"], ["potassium", "4", "g/dL", "at the order"]]
    )
    (problem,) = history.problems((), rows, HistoryKind.LABS)
    assert problem.field == "unit"


def test_a_relative_time_and_a_given_at_are_not_both_taken() -> None:
    history = ScenarioHistory()
    rows = history.add(
        HistoryKind.ADMINISTRATIONS,
        [["drug", "given_at", "days before the order"], ["cyanocobalamin", "2026-02-01", "3"]],
    )
    (problem,) = history.problems((), rows, HistoryKind.ADMINISTRATIONS)
    assert "not both" in problem.message


def test_a_row_of_the_wrong_width_is_refused() -> None:
    with pytest.raises(ValueError, match="row 1 has 1 cells"):
        ScenarioHistory().add(HistoryKind.LABS, [["test", "value"], ["potassium"]])
