"""An order's status as exports and FHIR write it: which orders are still for the rules."""

from __future__ import annotations

import pytest

from doseguard.orders.status import Activity, order_activity

INACTIVE = [
    "cancelled", "Cancelled", "canceled", "Canceled", "CANCELED", "entered-in-error", "Entered in error",
    "entered_in_error", "completed", "Completed", "complete", "stopped", "Stopped", "discontinued",
    "Discontinued", "expired", "ended", "voided",
]  # fmt: skip
CHECKED = [
    "active", "Active", "draft", "on-hold", "On Hold", "on hold", "held", "suspended", "pending", "Pending",
    "ordered", "Ordered", "sent", "Sent", "verified", "Verified", "signed", "unverified", "new", "future",
    "unknown",
]  # fmt: skip


@pytest.mark.parametrize("text", INACTIVE)
def test_an_order_that_is_no_longer_to_be_given_is_inactive_and_says_so(text: str) -> None:
    reading = order_activity(text)
    assert reading.activity is Activity.INACTIVE
    assert reading.note is not None and repr(text) in reading.note and "not checked" in reading.note


@pytest.mark.parametrize("text", CHECKED)
def test_an_order_that_is_or_may_become_active_is_checked_without_a_word(text: str) -> None:
    assert order_activity(text) == order_activity("active")
    assert order_activity(text).activity is Activity.CHECKED and order_activity(text).note is None


@pytest.mark.parametrize("text", ["D/C", "DC", "dc'd", "DC'd", "DCd", "d/c'd"])
def test_dc_may_mean_discharge_so_the_order_is_checked_and_told_why(text: str) -> None:
    """ISMP: "D/C" is read as discontinue when discharge was meant; not alerting on such an order
    would be exactly that misreading."""
    reading = order_activity(text)
    assert reading.activity is Activity.CHECKED
    assert reading.note is not None and "discharge" in reading.note and "discontinued" in reading.note


@pytest.mark.parametrize(
    ("text", "meant"), [("cancelld", "cancelled"), ("complted", "completed"), ("xyz", None)]
)
def test_a_status_doseguard_does_not_know_is_checked_with_a_warning(text: str, meant: str | None) -> None:
    """Fail closed: a misspelt "cancelled" costs one alert; a misread "active" would cost a missed one."""
    reading = order_activity(text)
    assert reading.activity is Activity.CHECKED
    assert reading.note is not None and "checked as if active" in reading.note
    assert (f"did you mean {meant!r}" in reading.note) is (meant is not None)
