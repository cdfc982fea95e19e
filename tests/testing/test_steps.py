"""The step library's verdicts, called as a scenario calls them."""

from __future__ import annotations

import pytest

from doseguard.testing.history import ScenarioHistory
from doseguard.testing.steps import fix_sets, no_fix, order_passes
from tests.helpers.bundled import bundled_checker
from tests.helpers.orders import PASSING


def test_a_correct_order_passes() -> None:
    order_passes(dict(PASSING), bundled_checker(), ScenarioHistory())


def test_an_order_with_a_key_doseguard_does_not_read_does_not_pass() -> None:
    """A run names unread keys once, not in each result: the step still refuses to call such an
    order a pass (what the key says was not checked)."""
    with pytest.raises(pytest.fail.Exception, match=r"doseguard does not read its \['ward'\]"):
        order_passes({**PASSING, "ward": "4B"}, bundled_checker(), ScenarioHistory())


MISMATCH = {**PASSING, "dose": "500 mcg", "volume": "1 mL"}  # B12-DOSE-VOLUME-MISMATCH: 0.5 mL


def test_the_suggested_fix_step_passes_on_the_fixed_value_and_fails_on_another(
    request: pytest.FixtureRequest,
) -> None:
    checker, history = bundled_checker(), ScenarioHistory()
    fix_sets(dict(MISMATCH), checker, history, None, "volume_ml", "0.5", "mL", request)
    fix_sets(dict(MISMATCH), checker, history, "B12-DOSE-VOLUME-MISMATCH", "volume_ml", "0.5", None, request)
    with pytest.raises(pytest.fail.Exception, match=r"to set volume_ml to 1 mL, got 0\.5 mL"):
        fix_sets(dict(MISMATCH), checker, history, None, "volume_ml", "1", "mL", request)
    with pytest.raises(pytest.fail.Exception, match="volume_ml is in mL, not mcg"):
        fix_sets(dict(MISMATCH), checker, history, None, "volume_ml", "0.5", "mcg", request)
    with pytest.raises(pytest.fail.Exception, match="did you mean 'volume_ml'"):
        fix_sets(dict(MISMATCH), checker, history, None, "volume", "0.5", "mL", request)
    with pytest.raises(pytest.fail.Exception, match="expected a suggested fix of B12-ROUTE"):
        fix_sets(
            {**MISMATCH, "route": "IV"}, checker, history, "B12-ROUTE", "volume_ml", "0.5", "mL", request
        )


def test_the_no_fix_step_fails_where_a_fix_is_suggested(request: pytest.FixtureRequest) -> None:
    checker, history = bundled_checker(), ScenarioHistory()
    no_fix(dict(PASSING), checker, history, None, request)
    with pytest.raises(
        pytest.fail.Exception, match="expected no suggested fix, got B12-DOSE-VOLUME-MISMATCH"
    ):
        no_fix(dict(MISMATCH), checker, history, None, request)
    with pytest.raises(pytest.fail.Exception, match="expected a finding of B12-ROUTE"):
        no_fix(dict(PASSING), checker, history, "B12-ROUTE", request)
