"""The wording of the step library's assertions about rules, shared by the steps that run them and by
the static scan of feature files (``coverage.scenarios_by_rule``), so that both read a scenario the same
way: a phrase the steps would not run is not counted as a scenario either."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from doseguard.rules.model import Severity

# The name under which each Then step records (rule id, expects a finding) in the test's user_properties.
EXPECTATION_PROPERTY = "doseguard_expectation"

RULE_ID = r"(?P<rule_id>[A-Z][A-Z0-9]*(?:-[A-Z0-9]+)*)"
FIELD = r"(?P<field>[A-Za-z][A-Za-z_ ]*?)"
SEVERITIES = tuple(severity.value for severity in Severity)

FLAGGED = rf"the order is flagged {RULE_ID}(?: as (?P<severity>\w+))?"
NOT_FLAGGED = rf"the order is not flagged {RULE_ID}"
NOT_EVALUATED = rf"the order is not evaluated for {RULE_ID}"
MESSAGE_MENTIONS = rf"the message of {RULE_ID} mentions \"(?P<text>.*)\""
EXACT_FINDINGS = "the order has exactly these findings:"
FIX_SETS = (
    rf"the suggested fix(?: of {RULE_ID})? sets (?P<fix_field>\S+) to (?P<amount>\S+)(?: (?P<unit>\S+))?"
)
NO_FIX = rf"(?:the order|{RULE_ID}) has no suggested fix"

_FIRES = (re.compile(FLAGGED), re.compile(MESSAGE_MENTIONS), re.compile(FIX_SETS), re.compile(NO_FIX))
_DOES_NOT_FIRE = re.compile(NOT_FLAGGED)


@dataclass(frozen=True)
class Expectation:
    """What one Then step claims about one rule: that it fires on the scenario's order, or not."""

    rule_id: str
    fires: bool


def findings_table_rows(datatable: Sequence[Sequence[str]]) -> list[list[str]]:
    """The rows of an "exactly these findings" table, stripped and without the optional header row."""
    rows = [[str(cell).strip() for cell in row] for row in datatable]
    if rows and rows[0] and not re.fullmatch(RULE_ID, rows[0][0]):
        rows = rows[1:]
    return rows


def expectations(step_text: str, datatable: Sequence[Sequence[str]] | None = None) -> list[Expectation]:
    """The rules a Then step's text (and table) asserts on, read without running it.

    "the order passes" and the rules left out of an "exactly these findings" table also assert that
    rules do not fire, but on every rule at once: counting them would let one correct order make every
    rule look tested, so only a rule named in a step counts."""
    text = step_text.strip()
    if (match := _DOES_NOT_FIRE.fullmatch(text)) is not None:
        return [Expectation(match["rule_id"], fires=False)]
    for pattern in _FIRES:
        if (match := pattern.fullmatch(text)) is not None:
            return [Expectation(match["rule_id"], fires=True)] if match["rule_id"] else []
    if text == EXACT_FINDINGS and datatable is not None:
        rows = findings_table_rows(datatable)
        return [Expectation(row[0], fires=True) for row in rows if row and re.fullmatch(RULE_ID, row[0])]
    return []
