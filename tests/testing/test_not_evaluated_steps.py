"""The verdict steps on a not-evaluated finding (``Finding.evaluated`` False): "is not evaluated for"
needs one, "is flagged" does not take one for a flag, "is not flagged" does not take one for silence."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from doseguard.records import InputRecord
from doseguard.results import Finding, OrderResult, ResultStatus
from doseguard.rules.model import RuleSet, Severity
from doseguard.testing.history import ScenarioHistory
from doseguard.testing.steps import order_flagged, order_not_evaluated, order_not_flagged

RULE = "B12-NO-RESPONSE"


@dataclass
class _Answers:
    """A checker that gives one finding of RULE, evaluated or not (the steps read ``rules`` and
    ``check`` only)."""

    rules: RuleSet
    evaluated: bool

    def check(self, record: InputRecord) -> OrderResult:
        finding = Finding(
            RULE, Severity.INFO, "Not evaluated: no haemoglobin", "t", "b12", evaluated=self.evaluated
        )
        return OrderResult(1, record.source, "O1", "P1", ResultStatus.FLAGGED, findings=(finding,))


@pytest.fixture
def order() -> dict[str, Any]:
    return {"order_id": "O1", "patient_id": "P1", "drug": "cyanocobalamin"}


def test_a_not_evaluated_finding_is_what_not_evaluated_asks_for(
    order: dict[str, Any], doseguard_rules: RuleSet, request: pytest.FixtureRequest
) -> None:
    checker: Any = _Answers(doseguard_rules, evaluated=False)
    order_not_evaluated(order, checker, ScenarioHistory(), RULE, request)
    assert request.node.user_properties == []  # neither firing nor silent in the coverage


def test_an_evaluated_finding_is_not_a_not_evaluated_one(
    order: dict[str, Any], doseguard_rules: RuleSet, request: pytest.FixtureRequest
) -> None:
    checker: Any = _Answers(doseguard_rules, evaluated=True)
    with pytest.raises(pytest.fail.Exception, match="not to be evaluated, but it was"):
        order_not_evaluated(order, checker, ScenarioHistory(), RULE, request)


def test_a_not_evaluated_finding_is_not_a_flag(
    order: dict[str, Any], doseguard_rules: RuleSet, request: pytest.FixtureRequest
) -> None:
    checker: Any = _Answers(doseguard_rules, evaluated=False)
    with pytest.raises(
        pytest.fail.Exception, match=r"expected a finding of B12-NO-RESPONSE \(it was not evaluated\)"
    ):
        order_flagged(order, checker, ScenarioHistory(), RULE, None, request)


def test_a_not_evaluated_finding_is_not_silence(
    order: dict[str, Any], doseguard_rules: RuleSet, request: pytest.FixtureRequest
) -> None:
    checker: Any = _Answers(doseguard_rules, evaluated=False)
    with pytest.raises(
        pytest.fail.Exception, match=r"expected no finding of B12-NO-RESPONSE \(it was not evaluated\)"
    ):
        order_not_flagged(order, checker, ScenarioHistory(), RULE, request)
