"""A Dosage's Timing as the order's frequency and duration: ``repeat`` (frequency per period, days of
the week, bounds, count) or a v3 timing code."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from doseguard.io.fhir.elements import (
    DOSAGE,
    OBJECT,
    Problems,
    Resource,
    date_of,
    kind_of,
    positive_number,
    text_of,
)
from doseguard.io.fhir.terminology import (
    DURATION_UNITS,
    DURATION_WORDS,
    ONE_TIME_CODES,
    PERIOD_DAYS,
    TIMING_CODES,
    V2_REPEAT_PATTERN,
    V3_TIMING_SYSTEMS,
    WEEKDAYS,
    codings,
)
from doseguard.numbers import format_number
from doseguard.orders.draft import StructuredDuration, StructuredFrequency
from doseguard.orders.patient import implausible_year
from doseguard.vocabulary import OPEN_ENDED_DAYS


def timing_values(
    timing: Resource, problems: Problems
) -> tuple[str | StructuredFrequency | None, StructuredDuration | None]:
    """The frequency (structured, or a timing code's text as written) and duration of a Timing."""
    path = f"{DOSAGE}.timing"
    repeat = timing.get("repeat")
    frequency: str | StructuredFrequency | None = None
    duration: StructuredDuration | None = None
    if repeat is not None:
        if isinstance(repeat, OBJECT):
            frequency = _repeat_frequency(repeat, f"{path}.repeat", problems)
            duration = _repeat_duration(repeat, f"{path}.repeat", problems)
        else:
            problems.add(f"{path}.repeat", f"must be an object, got {kind_of(repeat)}", repeat)
    code = timing.get("code")
    if code is not None and not (isinstance(repeat, OBJECT) and states_frequency(repeat)):
        frequency = _timing_code(code, f"{path}.code", problems)
    return frequency, duration


def _repeat_frequency(repeat: Resource, path: str, problems: Problems) -> StructuredFrequency | None:
    frequency, most = repeat.get("frequency"), repeat.get("frequencyMax")
    period, unit = repeat.get("period"), repeat.get("periodUnit")
    days_of_week = _days_of_week(repeat.get("dayOfWeek"), f"{path}.dayOfWeek", problems)
    if frequency is None and most is None and period is None and unit is None:
        if days_of_week:
            return every(7 / days_of_week)  # "mon, wed, fri": three times a week
        return None
    times = 1
    ok = True
    for key, value in (("frequency", frequency), ("frequencyMax", most)):
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            problems.add(f"{path}.{key}", f"must be a whole number of 1 or more, got {value!r}", value)
            ok = False
        else:
            times = max(times, value)  # the most frequent end, as for "every 2-3 days"
    length = positive_number(period)
    if period is None:
        problems.add(f"{path}.period", "required: how long the period of the frequency is", None)
    elif length is None:
        problems.add(f"{path}.period", f"must be a number greater than zero, got {period!r}", period)
    unit_days = PERIOD_DAYS.get(unit) if isinstance(unit, str) else None
    if unit is None:
        problems.add(f"{path}.periodUnit", "required: h, d, wk, mo or a", None)
    elif unit in ("s", "min"):
        problems.add(
            f"{path}.periodUnit",
            f"{unit!r}: a period in seconds or minutes is not an injection plan (use h, d, wk, mo or a)",
            unit,
        )
    elif unit_days is None:
        problems.add(f"{path}.periodUnit", f"unknown unit {unit!r} (expected h, d, wk, mo or a)", unit)
    if not ok or length is None or unit_days is None:
        return None
    period_days = length * unit_days
    if days_of_week:
        # "daily, on mon, wed and fri" is three times a week; "every 2 weeks on mon" every 14 days
        per_cycle = days_of_week * times / period_days if period_days <= 1 else days_of_week
        return every(max(period_days, 7) / per_cycle)
    return every(period_days / times)


def _days_of_week(days: Any, path: str, problems: Problems) -> int:
    """How many distinct days ``dayOfWeek`` names (0 if none)."""
    if days is None:
        return 0
    if not isinstance(days, list) or not all(day in WEEKDAYS for day in days):
        problems.add(path, f"must be a list of mon, tue, wed, thu, fri, sat, sun; got {days!r}", days)
        return 0
    return len(set(days))


def _repeat_duration(repeat: Resource, path: str, problems: Problems) -> StructuredDuration | None:
    bounds = repeat.get("boundsDuration")
    if bounds is not None:
        return _duration(bounds, f"{path}.boundsDuration", problems)
    bounds = repeat.get("boundsRange")
    if bounds is not None:
        if not isinstance(bounds, OBJECT):
            problems.add(f"{path}.boundsRange", f"must be a Range object, got {kind_of(bounds)}", bounds)
            return None
        return _duration(bounds.get("high"), f"{path}.boundsRange.high", problems)  # the longest end
    count, most = repeat.get("count"), repeat.get("countMax")
    if count is not None or most is not None:
        doses = 0
        for key, value in (("count", count), ("countMax", most)):
            if value is None:
                continue
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                problems.add(f"{path}.{key}", f"must be a whole number of 1 or more, got {value!r}", value)
                return None
            doses = max(doses, value)
        return StructuredDuration(None, f"{doses} dose{'s' if doses != 1 else ''}", doses=doses)
    bounds = repeat.get("boundsPeriod")
    if bounds is not None:
        return _period(bounds, f"{path}.boundsPeriod", problems)
    return None


def _duration(duration: Any, path: str, problems: Problems) -> StructuredDuration | None:
    if not isinstance(duration, OBJECT):
        problems.add(path, f"must be a Duration object, got {kind_of(duration)}", duration)
        return None
    value = duration.get("value")
    length = positive_number(value)
    if length is None:
        problems.add(f"{path}.value", f"must be a number greater than zero, got {value!r}", value)
    code, unit = duration.get("code"), duration.get("unit")
    key = next(
        (
            DURATION_UNITS[text.strip().lower()]
            for text in (code, unit)
            if isinstance(text, str) and text.strip().lower() in DURATION_UNITS
        ),
        None,
    )
    where, written = (f"{path}.code", code) if code is not None else (f"{path}.unit", unit)
    if key is None:
        problems.add(where, f"unknown duration unit {written!r} (expected d, wk, mo or a)", written)
        return None
    if key in ("h", "min", "s"):
        problems.add(where, f"{written!r}: a treatment plan lasts days, weeks or months, not hours", written)
        return None
    if length is None:
        return None
    word = DURATION_WORDS[key]
    number = format_number(length)
    return StructuredDuration(length * PERIOD_DAYS[key], f"{number} {word}{'' if number == '1' else 's'}")


def _period(period: Any, path: str, problems: Problems) -> StructuredDuration | None:
    if not isinstance(period, OBJECT):
        problems.add(path, f"must be a Period object, got {kind_of(period)}", period)
        return None
    start = date_of(period.get("start"))
    end = date_of(period.get("end"))
    if start is None:
        problems.add(
            f"{path}.start", "required to count the days of the plan: a full date", period.get("start")
        )
        return None
    if (implausible := implausible_year(str(period.get("start")), start)) is not None:
        problems.add(f"{path}.start", str(implausible), period.get("start"))
        return None
    if period.get("end") is None:
        return StructuredDuration(OPEN_ENDED_DAYS, "ongoing", open_ended=True)
    if end is None:
        problems.add(f"{path}.end", "must be a full date (YYYY-MM-DD) or date-time", period.get("end"))
        return None
    if (implausible := implausible_year(str(period.get("end")), end)) is not None:
        problems.add(f"{path}.end", str(implausible), period.get("end"))
        return None
    if isinstance(start, datetime) and isinstance(end, datetime):
        if (start.tzinfo is None) != (end.tzinfo is None):
            start, end = start.replace(tzinfo=None), end.replace(tzinfo=None)
        days = (end - start).total_seconds() / 86400
    else:
        first = start.date() if isinstance(start, datetime) else start
        last = end.date() if isinstance(end, datetime) else end
        days = (last - first).days + 1  # a Period's start and end are both inclusive
    if days <= 0:
        problems.add(path, "end is before start", f"{period.get('start')} .. {period.get('end')}")
        return None
    written = format_number(days)
    return StructuredDuration(float(days), f"{written} day{'' if written == '1' else 's'}")


def _timing_code(concept: Any, path: str, problems: Problems) -> str | StructuredFrequency | None:
    if not isinstance(concept, OBJECT):
        problems.add(path, f"must be a CodeableConcept object, got {kind_of(concept)}", concept)
        return None
    unknown: list[tuple[int, Resource]] = []
    for number, coding in enumerate(codings(concept)):
        system = coding.get("system")
        code = (text_of(coding.get("code")) or "").upper()
        if code in ONE_TIME_CODES and (system is None or system in (*V3_TIMING_SYSTEMS, V2_REPEAT_PATTERN)):
            return ONE_TIME_CODES[code]
        if system is not None and system not in V3_TIMING_SYSTEMS:
            continue
        if code in TIMING_CODES:
            return TIMING_CODES[code]
        unknown.append((number, coding))
    text = concept.get("text")
    if isinstance(text, str) and text.strip():
        return text.strip()  # written by a person: parsed (and any QD flagged) as any frequency
    if unknown:
        number, coding = unknown[0]
        problems.add(
            f"{path}.coding[{number}].code",
            f"unknown timing code {coding.get('code')!r} (expected QD, QOD, BID, TID, QID, WK, MO, ...; "
            "or give timing.repeat)",
            coding.get("code"),
        )
    return None


def states_frequency(repeat: Resource) -> bool:
    get = repeat.get
    return (
        get("frequency") is not None
        or get("period") is not None
        or get("periodUnit") is not None
        or get("frequencyMax") is not None
        or get("dayOfWeek") is not None
    )


def every(days: float) -> StructuredFrequency:
    """A frequency as the schedule parser reads it: "daily" or "every X days"."""
    written = format_number(days)
    return StructuredFrequency(days, "daily" if written == "1" else f"every {written} days")
