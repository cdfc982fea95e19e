"""The plan's facts from its frequency and duration: how often, how long, or one dose.

A one-time order ("once", "STAT", or a duration of one dose, FHIR's ``repeat.count`` 1) is
``single_dose``: one administration, so it has no interval (``interval_days`` would say when a
second dose comes) and no length counted from doses. A frequency may carry its duration ("weekly
x4"); stated again in the duration field it must say the same. Problems name the frequency when the
two fields disagree: it is the frequency ("once" for "once monthly") that is usually short.
"""

from __future__ import annotations

from typing import Any

from doseguard.errors import FieldProblem
from doseguard.orders.draft import DraftDuration, DraftFrequency
from doseguard.orders.schedule import fits_one_dose, one_dose_conflict


def add_plan_facts(
    facts: dict[str, Any],
    problems: list[FieldProblem],
    frequency: DraftFrequency | None,
    duration: DraftDuration | None,
    *,
    frequency_stated: bool,
    duration_stated: bool,
) -> None:
    """Put the plan's facts in ``facts``, or its problems in ``problems``. ``*_stated``: the field
    was given (it may have been refused already, and is not reported twice)."""
    if frequency is not None and frequency.duration is not None:
        if duration is not None and _days(frequency.duration, frequency) != _days(duration, frequency):
            message = (
                f"{frequency.text!r} says how long, and so does the duration ({duration.text!r}), "
                "differently: write the duration once, in the duration field"
            )
            problems.append(FieldProblem("frequency", message, frequency.text))
            return
        if not duration_stated:
            duration = frequency.duration
    one_time = frequency is not None and frequency.single_dose
    if frequency is not None and one_time and duration is not None and not fits_one_dose(duration):
        problems.append(
            FieldProblem("frequency", one_dose_conflict(frequency.text, duration.text), frequency.text)
        )
        return
    if one_time or (duration is not None and duration.doses == 1):
        facts["single_dose"] = True
        if duration is not None and duration.doses is None and duration.days is not None:
            facts["duration_days"] = duration.days  # "once" for "1 day": stated, and true
        return
    if frequency is not None:
        facts["interval_days"] = frequency.interval_days
        facts["interval_max_days"] = frequency.max_interval_days
    if duration is None:
        return
    days = _days(duration, frequency)
    if duration.doses is not None and frequency is None and not frequency_stated:
        problems.append(
            FieldProblem("duration", f"{duration.text!r} counts doses, so the order needs a frequency")
        )
    if days is not None:
        facts["duration_days"] = days
    if duration.open_ended:
        facts["duration_open_ended"] = True
        if getattr(duration, "until_response", False):  # text only: a structured duration has no words
            facts["duration_until_response"] = True


def _days(duration: DraftDuration, frequency: DraftFrequency | None) -> float | None:
    """The duration in days: a count of doses counted at the frequency (None without one)."""
    if duration.doses is None:
        return duration.days
    if frequency is None or frequency.interval_days is None:
        return None
    return round(duration.doses * frequency.interval_days, 6)
