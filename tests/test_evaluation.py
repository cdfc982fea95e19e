"""The evaluation seam: the checker runs with any engine that keeps the RuleEngine protocol, and
fails closed whatever such an engine does."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import pytest

from doseguard import Checker, EngineError, InputRecord, ResultStatus, RuleSet, load_rules
from doseguard.engine.adapter import DurableEngine
from doseguard.evaluation import RuleEngine
from doseguard.results import ResultError

STANDARD: dict[str, Any] = {
    "order_id": "O1", "patient_id": "P1", "drug": "cyanocobalamin", "dose": "1000 mcg", "volume": "1 mL",
    "concentration": "1000 mcg/mL", "product_concentration": "1000 mcg/mL", "route": "IM", "site": "deltoid",
    "frequency": "daily", "duration": "7 days", "phase": "repletion",
}  # fmt: skip


class FakeEngine:
    """Fires B12-ROUTE for any route but IM; fails on the orders of the dose (mcg) it is told to."""

    def __init__(self, *, fail_on: float = 0, raise_on: float = 0, fire: str = "B12-ROUTE") -> None:
        self.fail_on, self.raise_on, self.fire = fail_on, raise_on, fire
        self.calls: list[int] = []

    def fired_many(self, fact_jsons: Sequence[str]) -> list[frozenset[str] | EngineError]:
        self.calls.append(len(fact_jsons))
        answers: list[frozenset[str] | EngineError] = []
        for fact_json in fact_jsons:
            facts = json.loads(fact_json)
            if self.raise_on and facts.get("dose_mcg") == self.raise_on:
                raise RuntimeError("the engine's process went away")
            if self.fail_on and facts.get("dose_mcg") == self.fail_on:
                answers.append(EngineError("could not evaluate"))
            else:
                answers.append(frozenset({self.fire}) if facts.get("route") != "IM" else frozenset())
        return answers


@pytest.fixture(scope="module")
def rules() -> RuleSet:
    return load_rules()


def test_the_durable_engine_keeps_the_protocol() -> None:
    engine: RuleEngine = DurableEngine([])  # mypy checks the assignment; the test that it builds
    assert engine.fired_many([]) == []


def test_a_checker_runs_with_a_fake_engine(rules: RuleSet) -> None:
    engine = FakeEngine()
    checker = Checker(rules, engine=engine)
    results = list(checker.check_all([InputRecord("t:1", STANDARD),
                                      InputRecord("t:2", {**STANDARD, "order_id": "O2", "route": "PO"})]))  # fmt: skip
    assert [r.status for r in results] == [ResultStatus.PASS, ResultStatus.FLAGGED]
    assert [f.rule_id for f in results[1].findings] == ["B12-ROUTE"]
    assert engine.calls == [1, 1]


def test_an_order_the_fake_engine_cannot_evaluate_is_an_error_and_the_others_are_checked(
    rules: RuleSet,
) -> None:
    checker = Checker(rules, engine=FakeEngine(fail_on=999))
    records = [InputRecord("t:1", {**STANDARD, "dose": "999 mcg", "volume": "0.999 mL"}),
               InputRecord("t:2", {**STANDARD, "order_id": "O2", "route": "PO"})]  # fmt: skip
    first, second = checker.check_many(records)
    assert first.status is ResultStatus.ERROR and first.findings == ()
    assert first.errors == (ResultError(None, "evaluation failed: could not evaluate"),)
    assert second.status is ResultStatus.FLAGGED


def test_an_engine_that_raises_fails_the_whole_call_closed(rules: RuleSet) -> None:
    checker = Checker(rules, engine=FakeEngine(raise_on=998))
    records = [InputRecord("t:1", {**STANDARD, "dose": "998 mcg", "volume": "0.998 mL"}),
               InputRecord("t:2", {**STANDARD, "order_id": "O2", "route": "PO"})]  # fmt: skip
    results = checker.check_many(records)
    assert [r.status for r in results] == [ResultStatus.ERROR, ResultStatus.ERROR]  # never "no findings"
    assert all("the engine's process went away" in r.errors[0].message for r in results)


def test_an_engine_that_fires_a_rule_the_checker_does_not_know_is_an_error(rules: RuleSet) -> None:
    checker = Checker(rules, engine=FakeEngine(fire="NO-SUCH-RULE"))
    result = checker.check(InputRecord("t:1", {**STANDARD, "route": "PO"}))
    assert result.status is ResultStatus.ERROR
    assert "unknown rules fired" in result.errors[0].message
