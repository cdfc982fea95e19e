"""Gherkin steps for the patient's history: the MAR, lab results and the patient's other orders, as
data tables a pharmacist fills in (Background-friendly: tables of a Background and of a scenario add up).

    Given these administrations:
      | drug           | dose     | route | days before the order | status |
      | cyanocobalamin | 1000 mcg | IM    | 7                     | given  |
    And these lab results:
      | test        | value | unit | taken_at              |
      | haemoglobin | 8.1   | g/dL | 10 days before the order |

Columns are those of ``administrations.csv`` (drug, dose, route, given_at, status, rxnorm, ndc) and
``labs.csv`` (test, value, unit, taken_at), without ``patient_id`` (the order's). A time is ISO 8601,
"3 days before the order", "12 hours before the order", or a ``days before the order`` column; it
counts from the order's ``ordered_at``. A table with a header and no row, or "Given no lab results are
recorded", says the run holds that kind of data and the patient has none of it. A row doseguard would
refuse in a history file fails the step with the same message. The checker receives the history as
the order record's patient context (:mod:`doseguard.testing.history`).
"""

from __future__ import annotations

import pytest
from pytest_bdd import given, parsers

from doseguard.patients.model import HistoryKind
from doseguard.rules.model import RuleSet
from doseguard.testing.history import ScenarioHistory

_KIND_WORDS = {
    "administrations": HistoryKind.ADMINISTRATIONS,
    "doses": HistoryKind.ADMINISTRATIONS,
    "lab results": HistoryKind.LABS,
    "other orders": HistoryKind.ORDERS,
}


def _add(history: ScenarioHistory, rules: RuleSet, kind: HistoryKind, datatable: list[list[str]]) -> None:
    try:
        rows = history.add(kind, datatable)
    except ValueError as error:
        pytest.fail(f"the {kind.value} table: {error}", pytrace=False)
    problems = history.problems(rules.drugs, rows, kind)
    if problems:
        pytest.fail("\n".join(str(problem) for problem in problems), pytrace=False)


@given("these administrations:")
def these_administrations(
    scenario_history: ScenarioHistory, doseguard_rules: RuleSet, datatable: list[list[str]]
) -> None:
    """Doses of the MAR, given, missed or refused (a blank status is given)."""
    _add(scenario_history, doseguard_rules, HistoryKind.ADMINISTRATIONS, datatable)


@given("these lab results:")
def these_lab_results(
    scenario_history: ScenarioHistory, doseguard_rules: RuleSet, datatable: list[list[str]]
) -> None:
    """Results by test (a LOINC code or a name: haemoglobin, mcv, reticulocytes, potassium, b12),
    converted to the test's unit as a labs file's are."""
    _add(scenario_history, doseguard_rules, HistoryKind.LABS, datatable)


@given(parsers.re(r"the patient has another (?:active )?order:"))
def another_order(
    scenario_history: ScenarioHistory, doseguard_rules: RuleSet, datatable: list[list[str]]
) -> None:
    """Another order of the same patient, as a field | value table (drug, route, status, ordered_at,
    rxnorm, ndc): for duplicate therapy. Without a status it is active."""
    rows = [[cell.strip() for cell in row] for row in datatable]
    if rows and [cell.lower() for cell in rows[0]] == ["field", "value"]:
        rows = rows[1:]
    if any(len(row) != 2 for row in rows):
        pytest.fail("each row of an order table is | field | value |", pytrace=False)
    header = [" ".join(name.lower().split()) for name, _ in rows]
    _add(scenario_history, doseguard_rules, HistoryKind.ORDERS, [header, [value for _, value in rows]])


@given(parsers.re(r"no (?P<what>administrations|doses|lab results|other orders) are recorded"))
def none_recorded(scenario_history: ScenarioHistory, what: str) -> None:
    """The run holds that kind of data, and the patient has none of it (not: the run has no such file)."""
    scenario_history.kinds.add(_KIND_WORDS[what])
