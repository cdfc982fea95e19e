"""Days of the week as a frequency: each spelling, the days counted (3 days a week is every 7/3 days)."""

from __future__ import annotations

import pytest

from doseguard.errors import ScheduleError
from doseguard.orders.schedule import parse_frequency
from doseguard.orders.weekdays import weekdays


@pytest.mark.parametrize(
    ("text", "days"),
    [
        ("MWF", ("mon", "wed", "fri")),
        ("mwf", ("mon", "wed", "fri")),
        ("M/W/F", ("mon", "wed", "fri")),
        ("M, W, F", ("mon", "wed", "fri")),
        ("Mon/Wed/Fri", ("mon", "wed", "fri")),
        ("mon/wed/fri", ("mon", "wed", "fri")),
        ("Mon, Wed, Fri", ("mon", "wed", "fri")),
        ("Mon Wed Fri", ("mon", "wed", "fri")),
        ("Monday, Wednesday and Friday", ("mon", "wed", "fri")),
        ("Monday, Wednesday, and Friday", ("mon", "wed", "fri")),
        ("Mondays, Wednesdays and Fridays", ("mon", "wed", "fri")),
        ("every Monday, Wednesday & Friday", ("mon", "wed", "fri")),
        ("on Mon/Wed/Fri", ("mon", "wed", "fri")),
        ("Tue/Thu", ("tue", "thu")),
        ("Tues & Thurs", ("tue", "thu")),
        ("Tu/Th", ("tue", "thu")),
        ("Tuesday and Thursday", ("tue", "thu")),
        ("Sat + Sun", ("sat", "sun")),
        ("every Monday", ("mon",)),
        ("Mondays", ("mon",)),
        ("q Monday", ("mon",)),
        ("on Fridays", ("fri",)),
        ("Mon, Tue, Wed, Thu, Fri", ("mon", "tue", "wed", "thu", "fri")),
        ("Mon/Wed/Fri/Mon", ("mon", "wed", "fri")),
        ("Wed/Mon", ("wed", "mon")),
    ],
)
def test_each_spelling_of_a_list_of_weekdays(text: str, days: tuple[str, ...]) -> None:
    assert weekdays(text.lower()) == days


@pytest.mark.parametrize(
    ("text", "interval"),
    [
        ("MWF", 2.333333),
        ("M/W/F", 2.333333),
        ("Mon/Wed/Fri", 2.333333),
        ("Monday, Wednesday and Friday", 2.333333),
        ("Tue/Thu", 3.5),
        ("every Monday", 7.0),
        ("Mon, Tue, Wed, Thu, Fri", 1.4),
        ("Mon/Tue/Wed/Thu/Fri/Sat/Sun", 1.0),
    ],
)
def test_a_list_of_weekdays_is_seven_days_over_the_days_it_counts(text: str, interval: float) -> None:
    frequency = parse_frequency(text)
    assert frequency.interval_days == interval
    assert frequency.max_interval_days == interval
    assert frequency.notation == ()


@pytest.mark.parametrize(
    "text", ["weekly", "monthly", "m", "t/th", "s/s", "mon-fri", "mo", "tue or thu", "mwx", ";", "/ ,", "and"]
)
def test_what_is_not_a_list_of_weekdays(text: str) -> None:
    assert weekdays(text) is None


@pytest.mark.parametrize("text", ["T/Th", "S/S", "T, Th"])
def test_an_ambiguous_day_letter_is_refused_saying_what_to_write(text: str) -> None:
    with pytest.raises(ScheduleError, match="write the day"):
        parse_frequency(text)
