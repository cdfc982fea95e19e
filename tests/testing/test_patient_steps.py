"""The patient steps (doseguard.testing.patient_steps), shown on the facts the order they build gives."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pytest_bdd import parsers, scenarios, then

from doseguard.checker import Checker

scenarios(str(Path(__file__).resolve().parent / "features" / "patient_steps.feature"))


def _normalised(checker: Checker, order: dict[str, Any]) -> Any:
    return checker.normaliser.normalise(order)


@then("the patient's facts are:")
def facts_are(order: dict[str, Any], doseguard_checker: Checker, datatable: list[list[str]]) -> None:
    facts = _normalised(doseguard_checker, order).facts
    for name, value in datatable:
        expected = json.loads(value) if value[0].isdigit() or value in ("true", "false") else value
        assert facts.get(name) == expected, f"{name}: {facts.get(name)!r}, expected {expected!r}"


@then(parsers.parse("the order has no fact {name}"))
def has_no_fact(order: dict[str, Any], doseguard_checker: Checker, name: str) -> None:
    assert name not in _normalised(doseguard_checker, order).facts


@then(parsers.parse("the order was written at {when}"))
def written_at(order: dict[str, Any], doseguard_checker: Checker, when: str) -> None:
    ordered_at = _normalised(doseguard_checker, order).ordered_at
    assert ordered_at is not None and ordered_at.isoformat() == when
