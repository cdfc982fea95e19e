"""Parse how often and for how long: frequency to an interval in days, duration to days.

Accepts the phrasings prescribers use ("every other day", "three times a week", "q2w", "monthly")
and the abbreviations on the Do Not Use list (QD, QOD), which are understood *and* reported as
notation so the notation rules can flag them. Ambiguous phrasings ("biweekly") are refused rather
than guessed. A range ("every 2-3 months") takes its most frequent end for frequency (and keeps its least
frequent end apart, so a rule can check both ends) and its longest end for duration.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from doseguard.errors import ScheduleError
from doseguard.vocabulary import OPEN_ENDED_DAYS

MAX_INTERVAL_DAYS = 3650.0
"""Ten years between doses: beyond it, a frequency is a typo (and would break the engine's numbers)."""
MAX_DURATION_DAYS = OPEN_ENDED_DAYS
"""A hundred years: the value that stands for open-ended plans is the longest."""
MAX_DOSES = 10_000


@dataclass(frozen=True, slots=True)
class Frequency:
    interval_days: float  # the most frequent end of a range ("every 2-3 months": 60)
    text: str
    notation: tuple[str, ...] = ()
    longest_interval_days: float | None = None  # the least frequent end ("every 2-3 months": 90)

    @property
    def written(self) -> str:
        """What was written (see :mod:`doseguard.orders.draft`)."""
        return self.text

    @property
    def max_interval_days(self) -> float:
        """Days between doses at the least frequent end of a range; the interval itself otherwise."""
        return self.interval_days if self.longest_interval_days is None else self.longest_interval_days


@dataclass(frozen=True, slots=True)
class Duration:
    days: float | None  # None: given in doses, resolved against the frequency
    text: str
    open_ended: bool = False
    doses: int | None = None

    @property
    def written(self) -> str:
        """What was written (see :mod:`doseguard.orders.draft`)."""
        return self.text


WORDS = {
    "once": 1, "one": 1, "a": 1, "an": 1, "twice": 2, "two": 2, "other": 2, "second": 2, "thrice": 3,
    "three": 3, "third": 3, "four": 4, "fourth": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12,
}  # fmt: skip
UNIT_DAYS = {
    "h": 1 / 24, "hr": 1 / 24, "hrs": 1 / 24, "hour": 1 / 24, "hours": 1 / 24,
    "d": 1.0, "day": 1.0, "days": 1.0,
    "w": 7.0, "wk": 7.0, "wks": 7.0, "week": 7.0, "weeks": 7.0,
    "mo": 30.0, "mth": 30.0, "mths": 30.0, "month": 30.0, "months": 30.0,
    "fortnight": 14.0, "fortnights": 14.0,
    "y": 365.0, "yr": 365.0, "yrs": 365.0, "year": 365.0, "years": 365.0,
}  # fmt: skip
PERIOD_DAYS = {
    "hour": 1 / 24, "day": 1.0, "daily": 1.0, "week": 7.0, "weekly": 7.0, "fortnight": 14.0,
    "month": 30.0, "monthly": 30.0, "year": 365.0, "yearly": 365.0, "annually": 365.0,
}  # fmt: skip

FIXED_FREQUENCIES: dict[str, tuple[float, str | None]] = {
    # phrase: (interval in days, notation token or None)
    "daily": (1, None), "once daily": (1, None), "once a day": (1, None), "every day": (1, None),
    "each day": (1, None), "once per day": (1, None), "qd": (1, "qd"), "q.d.": (1, "q.d."),
    "od": (1, "od"), "o.d.": (1, "o.d."), "qday": (1, None), "q24h": (1, None),
    "every other day": (2, None), "alternate days": (2, None), "on alternate days": (2, None),
    "every second day": (2, None), "alternate day": (2, None), "qod": (2, "qod"), "q.o.d.": (2, "q.o.d."),
    "qad": (2, None), "q48h": (2, None),
    "weekly": (7, None), "once a week": (7, None), "once weekly": (7, None), "every week": (7, None),
    "once per week": (7, None), "qw": (7, None), "qwk": (7, None), "qweek": (7, None),
    "fortnightly": (14, None),
    "monthly": (30, None), "once a month": (30, None), "once monthly": (30, None), "every month": (30, None),
    "once per month": (30, None), "qmonth": (30, None), "qmo": (30, None),
    "yearly": (365, None), "annually": (365, None), "once a year": (365, None), "every year": (365, None),
    "twice daily": (0.5, None), "bid": (0.5, None), "b.i.d.": (0.5, None),
    "tid": (0.333333, None), "t.i.d.": (0.333333, None), "qid": (0.25, None), "q.i.d.": (0.25, None),
    "hourly": (0.041667, None),
}  # fmt: skip
AMBIGUOUS = {
    "biweekly": "'biweekly' is ambiguous (twice a week, or every two weeks?): write which",
    "bimonthly": "'bimonthly' is ambiguous (twice a month, or every two months?): write which",
    "prn": "'prn' (as needed) is not a schedule for an injection plan: write how often",
}
OPEN_ENDED = {
    "lifelong", "life-long", "life long", "for life", "indefinite", "indefinitely", "ongoing", "long-term",
    "long term", "continuous", "continuing", "permanent", "permanently",
}  # fmt: skip

_NUMBER = r"(\d+(?:\.\d+)?|\.\d+|" + "|".join(sorted(WORDS, key=len, reverse=True)) + ")"
_RANGE = rf"{_NUMBER}(?:\s*(?:-|–|to)\s*{_NUMBER})?"
_UNIT = r"(h|hrs?|hours?|d|days?|w|wks?|weeks?|fortnights?|mo|mths?|months?|y|yrs?|years?)"
_EVERY_N = re.compile(rf"^(?:once\s+)?(?:every|each|q)\s*{_RANGE}\s*{_UNIT}$")
_EVERY_UNIT = re.compile(r"^(?:once\s+)?(?:every|each)\s+(hour|day|week|fortnight|month|year)$")
_PERIODS = "hour|day|daily|week|weekly|fortnight|month|monthly|year|yearly|annually"
_TIMES_PER = re.compile(rf"^{_NUMBER}\s*(?:x|times|time)?\s*(?:an|a|per|/|each|every)?\s*({_PERIODS})$")
_DURATION = re.compile(rf"^(?:for|x|over)?\s*{_RANGE}\s*{_UNIT}$")
_DOSES = re.compile(rf"^(?:for|x)?\s*{_NUMBER}\s*(?:doses|dose|injections|injection|administrations)$")


def _key(text: str) -> str:
    return re.sub(r"\s+", " ", text.strip().lower())


def _number(word: str) -> float:
    return float(WORDS[word]) if word in WORDS else float(word)


@lru_cache(maxsize=4096)
def parse_frequency(text: str) -> Frequency:
    key = _key(text)
    if not key:
        raise ScheduleError("empty frequency")
    if key in AMBIGUOUS:
        raise ScheduleError(AMBIGUOUS[key])
    if key in FIXED_FREQUENCIES:
        days, token = FIXED_FREQUENCIES[key]
        return Frequency(float(days), text.strip(), (token,) if token else ())
    if match := _EVERY_UNIT.match(key):  # "every year", "once every fortnight"
        return Frequency(days_in_range(UNIT_DAYS[match.group(1)], text, MAX_INTERVAL_DAYS), text.strip())
    if match := _EVERY_N.match(key):
        low, high, unit = match.groups()
        ends = (_number(low), _number(high or low))
        shortest = days_in_range(
            min(ends) * UNIT_DAYS[unit], text, MAX_INTERVAL_DAYS
        )  # the most frequent end
        longest = days_in_range(
            max(ends) * UNIT_DAYS[unit], text, MAX_INTERVAL_DAYS
        )  # the least frequent end
        return Frequency(
            shortest, text.strip(), longest_interval_days=longest if longest != shortest else None
        )
    if match := _TIMES_PER.match(key):
        count, period = match.groups()
        times = _number(count)
        if times <= 0:
            raise ScheduleError(f"{text.strip()!r}: a frequency needs at least one administration")
        return Frequency(days_in_range(PERIOD_DAYS[period] / times, text, MAX_INTERVAL_DAYS), text.strip())
    raise ScheduleError(
        f"{text.strip()!r} is not a frequency I understand (e.g. 'daily', 'every other day', "
        "'three times a week', 'weekly', 'every 2 weeks', 'monthly', 'every 3 months')"
    )


@lru_cache(maxsize=4096)
def parse_duration(text: str) -> Duration:
    key = _key(text)
    if not key:
        raise ScheduleError("empty duration")
    if key in OPEN_ENDED or key.startswith("until "):
        return Duration(OPEN_ENDED_DAYS, text.strip(), open_ended=True)
    if match := _DURATION.match(key):
        low, high, unit = match.groups()
        if unit in ("h", "hr", "hrs", "hour", "hours"):
            raise ScheduleError(f"{text.strip()!r}: a treatment plan lasts days, weeks or months, not hours")
        longest = max(_number(low), _number(high or low))  # the longest end of a range
        return Duration(days_in_range(longest * UNIT_DAYS[unit], text, MAX_DURATION_DAYS), text.strip())
    if match := _DOSES.match(key):
        count = _number(match.group(1))
        if count < 1 or count != int(count) or count > MAX_DOSES:
            raise ScheduleError(
                f"{text.strip()!r}: a number of doses is a whole number from 1 to {MAX_DOSES}"
            )
        return Duration(None, text.strip(), doses=int(count))
    raise ScheduleError(
        f"{text.strip()!r} is not a duration I understand (e.g. '7 days', '2 weeks', '3 months', "
        "'10 doses', 'lifelong')"
    )


def days_in_range(value: float, text: str, largest: float) -> float:
    """Days rounded as facts carry them; refused when that is zero or beyond any real plan."""
    days = round(value, 6)
    if days <= 0:
        raise ScheduleError(f"{text.strip()!r}: must be greater than zero")
    if days > largest:
        raise ScheduleError(f"{text.strip()!r}: longer than any treatment plan (at most {largest:g} days)")
    return days
