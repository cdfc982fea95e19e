"""The step library's verdicts, called as a scenario calls them."""

from __future__ import annotations

import pytest

from doseguard.testing.history import ScenarioHistory
from doseguard.testing.steps import order_passes
from tests.helpers.bundled import bundled_checker
from tests.helpers.orders import PASSING


def test_a_correct_order_passes() -> None:
    order_passes(dict(PASSING), bundled_checker(), ScenarioHistory())


def test_an_order_with_a_key_doseguard_does_not_read_does_not_pass() -> None:
    """A run names unread keys once, not in each result: the step still refuses to call such an
    order a pass (what the key says was not checked)."""
    with pytest.raises(pytest.fail.Exception, match=r"doseguard does not read its \['ward'\]"):
        order_passes({**PASSING, "ward": "4B"}, bundled_checker(), ScenarioHistory())
