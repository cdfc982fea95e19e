"""Parse how often and for how long: frequency to an interval in days, duration to days.

Accepts the phrasings prescribers use ("every other day", "three times a week", "q2w", "monthly",
"MWF", the HL7 timing abbreviations) and the abbreviations on the ISMP and Do Not Use lists (QD, QOD,
TIW, BIW, and QOW like QOD), which are understood *and* reported as notation so the notation rules can
flag them. A one-time order ("once", "STAT", "x1") is one dose: it has no interval. A frequency may
carry its duration ("weekly x4", "daily x 7 days"). Ambiguous phrasings ("biweekly") and what is no
schedule ("as directed", "PRN") are refused, saying what to write. A range ("every 2-3 months") takes
its most frequent end for frequency (and keeps its least frequent end apart, so a rule can check both
ends) and its longest end for duration. Decisions: docs/decisions/frequencies.md.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Protocol

from doseguard.errors import ScheduleError
from doseguard.orders.weekdays import ambiguous_day, weekdays
from doseguard.vocabulary import OPEN_ENDED_DAYS

MAX_INTERVAL_DAYS = 3650.0
"""Ten years between doses: beyond it, a frequency is a typo (and would break the engine's numbers)."""
MAX_DURATION_DAYS = OPEN_ENDED_DAYS
"""A hundred years: the value that stands for open-ended plans is the longest."""
MAX_DOSES = 10_000


@dataclass(frozen=True, slots=True)
class Duration:
    days: float | None  # None: given in doses, resolved against the frequency
    text: str
    open_ended: bool = False
    doses: int | None = None
    until_response: bool = False  # "until no further improvement": open-ended, ending at a response

    @property
    def written(self) -> str:
        """What was written (see :mod:`doseguard.orders.draft`)."""
        return self.text


@dataclass(frozen=True, slots=True)
class Frequency:
    interval_days: float | None  # the most frequent end of a range ("every 2-3 months": 60); None: one dose
    text: str
    notation: tuple[str, ...] = ()
    longest_interval_days: float | None = None  # the least frequent end ("every 2-3 months": 90)
    duration: Duration | None = None  # written with the frequency ("weekly x4": 4 doses)

    @property
    def written(self) -> str:
        """What was written (see :mod:`doseguard.orders.draft`)."""
        return self.text

    @property
    def single_dose(self) -> bool:
        """A one-time order ("once", "STAT"): one dose, so no interval between doses."""
        return self.interval_days is None

    @property
    def max_interval_days(self) -> float | None:
        """Days between doses at the least frequent end of a range; the interval itself otherwise."""
        return self.interval_days if self.longest_interval_days is None else self.longest_interval_days


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
    # ISMP error-prone: TIW and BIW read as three or two times a day; QOW's "o" misread as QOD's is
    "tiw": (2.333333, "tiw"), "t.i.w.": (2.333333, "t.i.w."), "biw": (3.5, "biw"), "b.i.w.": (3.5, "b.i.w."),
    "qow": (14, "qow"), "q.o.w.": (14, "q.o.w."),
    # HL7 GTSAbbreviation codes written as text (timing-abbreviation: AM, PM, BED, WK, MO; Q1H.. parse)
    "am": (1, None), "pm": (1, None), "bed": (1, None), "wk": (7, None), "mo": (30, None),
    # once a day at a time of day; ISMP: qhs read as "qhr", qn as "qh", q1d as QID, HS as half-strength
    "qam": (1, None), "qpm": (1, None), "every morning": (1, None), "every evening": (1, None),
    "every night": (1, None), "nightly": (1, None), "at bedtime": (1, None), "bedtime": (1, None),
    "qhs": (1, "qhs"), "hs": (1, "hs"), "qn": (1, "qn"), "q1d": (1, "q1d"),
    "semimonthly": (15, None), "semi-monthly": (15, None),
    "semiweekly": (3.5, None), "semi-weekly": (3.5, None),
}  # fmt: skip
ONE_TIME = {
    "once", "stat", "x1", "x 1", "1x", "one time", "one-time", "single dose", "once only", "one dose",
    "1 dose", "one-off", "one off", "stat dose", "now", "once now", "once stat", "stat once",
}  # fmt: skip
"""A one-time order: one dose, no interval. "now" and "STAT" are one dose given now (as EHRs use them)."""
ONE_DOSE = ONE_TIME - {"stat", "stat dose", "now", "once now", "once stat", "stat once"}
"""A duration of one dose ("x1", "single dose"); "now" and "STAT" say when, not how long."""
_WRITE_HOW_OFTEN = "write how often (e.g. 'daily', 'weekly', 'every 2 weeks', 'monthly') and for how long"
AMBIGUOUS = {
    **{
        word: f"{word!r} is ambiguous (twice a {period}, or every two {period}s?): write 'twice a {period}' "
        f"or 'every 2 {period}s'"
        for word, period in (
            ("biweekly", "week"), ("bi-weekly", "week"), ("bimonthly", "month"), ("bi-monthly", "month"),
            ("biannual", "year"), ("biannually", "year"), ("bi-annually", "year"),
        )
    },
    "as directed": f"'as directed' is not a schedule: {_WRITE_HOW_OFTEN}",
    "use as directed": f"'use as directed' is not a schedule: {_WRITE_HOW_OFTEN}",
    "ud": f"'UD' (as directed; also read as 'unit dose') is not a schedule: {_WRITE_HOW_OFTEN}",
    "u.d.": f"'u.d.' (as directed; also read as 'unit dose') is not a schedule: {_WRITE_HOW_OFTEN}",
}  # fmt: skip
AS_NEEDED = re.compile(
    r"\b(?:prn|p\.r\.n\.|as needed|as required|when required|when needed|if needed)(?=\W|$)"
)
"""As needed: not a schedule for an injection plan, alone ("PRN") or beside one ("monthly prn")."""
RESPONSE_WORDS = ("improv", "respon", "recover", "resol", "normal")
"""An "until ..." that ends at the patient's response ("until no further improvement", the BNF's
course with neurological involvement), not at a date or a review."""
OPEN_ENDED = {
    "lifelong", "life-long", "life long", "for life", "indefinite", "indefinitely", "ongoing", "long-term",
    "long term", "continuous", "continuing", "permanent", "permanently",
}  # fmt: skip

_NUMBER = r"(\d+(?:\.\d+)?|\.\d+|" + "|".join(sorted(WORDS, key=len, reverse=True)) + ")"
_RANGE = rf"{_NUMBER}(?:\s*(?:-|–|to)\s*{_NUMBER})?"
_UNIT = r"(h|hrs?|hours?|d|days?|w|wks?|weeks?|fortnights?|mo|mths?|months?|y|yrs?|years?)"
_EVERY_N = re.compile(rf"^(?:once\s+)?(?:every|each|q)\s*{_RANGE}\s*{_UNIT}$")
_EVERY_UNIT = re.compile(
    r"^(?:once\s+)?(?:(?:every|each)\s+|q\s*)(hour|day|week|wk|fortnight|month|mo|mth|year|yr)$"
)  # "every year", "q month", "Q week" ("qd" is not here: it is on the Do Not Use list)
_PERIODS = "hour|day|daily|week|weekly|fortnight|month|monthly|year|yearly|annually"
_TIMES_PER = re.compile(rf"^{_NUMBER}\s*(?:x|times|time)?\s*(?:an|a|per|/|each|every)?\s*({_PERIODS})$")
_DURATION = re.compile(rf"^(?:for|x|over)?\s*{_RANGE}\s*{_UNIT}$")
_DOSES = re.compile(
    rf"^(?:for|x)?\s*{_NUMBER}\s*(?:doses|dose|injections|injection|administrations|times)$|^x\s*{_NUMBER}$"
)  # "10 doses", "x 4" (times four)
_STOP = re.compile(r"[\s,;]+(?:then\s+(?:stop|discontinue|review|reassess)|and\s+stop|only)\.?$")
"""What ends a duration without changing it: "for 1 week then stop", "7 days only"."""
_THEN = re.compile(r"[\s,;]+then\b")
_SPLIT = re.compile(r"[\s,;]+")


def _key(text: str) -> str:
    """Lower case, single spaces, "day(s)" written "days" (as order entry systems print a unit)."""
    return re.sub(r"\s+", " ", text.strip().lower()).replace("(s)", "s")


_N_PERIODIC = re.compile(rf"^{_NUMBER}\s*-?\s*(weekly|monthly|yearly)$")
"""'3 monthly', '2-weekly': every 3 months in UK usage, 3 times a month read literally."""
_TIMES_WORDS = frozenset({"once", "twice", "thrice", "one", "a", "an", "1"})
"""Before "weekly" these say how many times ("twice weekly"), never how many weeks."""


def _number(word: str) -> float:
    return float(WORDS[word]) if word in WORDS else float(word)


@lru_cache(maxsize=4096)
def parse_frequency(text: str) -> Frequency:
    """How often, and how long when the frequency says it too ("weekly x4"); raises ScheduleError
    saying what to write."""
    key = _key(text)
    if not key:
        raise ScheduleError("empty frequency")
    frequency = _frequency(key, text.strip())
    if frequency is not None:
        return frequency
    if _THEN.search(key):
        raise ScheduleError(
            f"{text.strip()!r}: a plan in steps ('... then ...') is one order per step: write this "
            "step's frequency here (e.g. 'daily') and order the next step on its own"
        )
    if (split := _split(key, text.strip())) is not None:
        return split
    if (advice := ambiguous_day(key)) is not None:
        raise ScheduleError(f"{text.strip()!r}: {advice}")
    raise ScheduleError(
        f"{text.strip()!r} is not a frequency I understand (e.g. 'daily', 'every other day', "
        "'three times a week', 'weekly', 'every 2 weeks', 'monthly', 'every 3 months', 'Mon/Wed/Fri', "
        "'once')"
    )


def _frequency(key: str, text: str) -> Frequency | None:
    """The frequency ``key`` (lower case, spaces collapsed) names alone, None if it names none;
    raises ScheduleError for what is ambiguous or no schedule."""
    if key in AMBIGUOUS:
        raise ScheduleError(AMBIGUOUS[key])
    if AS_NEEDED.search(key):
        raise ScheduleError(
            f"{text!r}: as needed (PRN) is not a schedule for an injection plan: {_WRITE_HOW_OFTEN}"
        )
    if key in ONE_TIME:
        return Frequency(None, text)
    if key in FIXED_FREQUENCIES:
        days, token = FIXED_FREQUENCIES[key]
        return Frequency(float(days), text, (token,) if token else ())
    if match := _EVERY_UNIT.match(key):  # "every year", "once every fortnight", "q month"
        return Frequency(days_in_range(UNIT_DAYS[match.group(1)], text, MAX_INTERVAL_DAYS), text)
    if match := _EVERY_N.match(key):
        low, high, unit = match.groups()
        ends = (_number(low), _number(high or low))
        shortest = days_in_range(min(ends) * UNIT_DAYS[unit], text, MAX_INTERVAL_DAYS)  # most frequent end
        longest = days_in_range(max(ends) * UNIT_DAYS[unit], text, MAX_INTERVAL_DAYS)  # least frequent end
        return Frequency(shortest, text, longest_interval_days=longest if longest != shortest else None)
    if (match := _N_PERIODIC.match(key)) is not None and match.group(1) not in _TIMES_WORDS:
        count, period = match.groups()
        unit = period.removesuffix("ly")  # week, month, year
        raise ScheduleError(
            f"{text!r} is ambiguous (every {count} {unit}s, or {count} times a {unit}?): write "
            f"'every {count} {unit}s' or '{count} times a {unit}'"
        )
    if match := _TIMES_PER.match(key):
        count, period = match.groups()
        times = _number(count)
        if times <= 0:
            raise ScheduleError(f"{text!r}: a frequency needs at least one administration")
        return Frequency(days_in_range(PERIOD_DAYS[period] / times, text, MAX_INTERVAL_DAYS), text)
    if (named := weekdays(key)) is not None:  # "MWF", "Mon/Wed/Fri": three days a week
        return Frequency(days_in_range(7 / len(named), text, MAX_INTERVAL_DAYS), text)
    return None


def _split(key: str, text: str) -> Frequency | None:
    """A frequency followed by its duration ("weekly x4", "daily x 7 days", "monthly, lifelong"), or
    None. A duration that cannot be read after "x", "for" or "over" is refused saying why."""
    refusal: ScheduleError | None = None
    for match in _SPLIT.finditer(key):
        head, rest = key[: match.start()], key[match.end() :]
        frequency = _frequency(head, text) if head else None
        if frequency is None:
            continue
        try:
            duration = parse_duration(rest)
        except ScheduleError as error:
            if refusal is None and re.match(r"(?:x|×|for|over)\b|x\d", rest):
                refusal = ScheduleError(f"{text!r}: read as how often, then how long ({rest!r}), but {error}")
            continue
        return _with_duration(frequency, duration, text)
    if refusal is not None:
        raise refusal
    return None


def _with_duration(frequency: Frequency, duration: Duration, text: str) -> Frequency:
    """``frequency`` with the duration written after it; a one-time order may only say one dose."""
    if frequency.single_dose and not fits_one_dose(duration):
        raise ScheduleError(one_dose_conflict(text, duration.text))
    return Frequency(
        frequency.interval_days,
        text,
        frequency.notation,
        frequency.longest_interval_days,
        Duration(duration.days, text, duration.open_ended, duration.doses),
    )


class Length(Protocol):
    """A duration, parsed or structured (:mod:`doseguard.orders.draft`)."""

    @property
    def days(self) -> float | None: ...
    @property
    def doses(self) -> int | None: ...
    @property
    def open_ended(self) -> bool: ...


def fits_one_dose(duration: Length) -> bool:
    """A duration a one-time order may state: one dose, or a day or less."""
    if duration.doses is not None:
        return duration.doses == 1
    return not duration.open_ended and duration.days is not None and duration.days <= 1


def one_dose_conflict(frequency: str, duration: str) -> str:
    """Why a one-time frequency with a longer plan is refused, and what to write."""
    return (
        f"{frequency!r} is one dose, but the plan is {duration!r}: write how often the doses are given "
        "(e.g. 'daily', 'weekly', 'monthly'), or leave the duration out for a one-time order"
    )


@lru_cache(maxsize=4096)
def parse_duration(text: str) -> Duration:
    key = _key(text)
    if not key:
        raise ScheduleError("empty duration")
    if key in ONE_DOSE:
        return Duration(None, text.strip(), doses=1)
    if key in OPEN_ENDED or key.startswith("until "):
        response = key.startswith("until ") and any(word in key for word in RESPONSE_WORDS)
        return Duration(OPEN_ENDED_DAYS, text.strip(), open_ended=True, until_response=response)
    key = _STOP.sub("", key)  # "for 1 week then stop" is "for 1 week"
    if _THEN.search(key):
        raise ScheduleError(
            f"{text.strip()!r}: a plan in steps ('... then ...') is one order per step: write this "
            "step's duration here (e.g. '7 days') and order the next step on its own"
        )
    if match := _DURATION.match(key):
        low, high, unit = match.groups()
        if unit in ("h", "hr", "hrs", "hour", "hours"):
            raise ScheduleError(f"{text.strip()!r}: a treatment plan lasts days, weeks or months, not hours")
        longest = max(_number(low), _number(high or low))  # the longest end of a range
        return Duration(days_in_range(longest * UNIT_DAYS[unit], text, MAX_DURATION_DAYS), text.strip())
    if match := _DOSES.match(key):
        count = _number(match.group(1) or match.group(2))
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
