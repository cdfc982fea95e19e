"""Days of the week written as a frequency ("MWF", "Mon/Wed/Fri", "Monday, Wednesday and Friday").

Only the days are read, in the order written, each once; how often that is (3 days a week is every 7/3
days) is :mod:`doseguard.orders.schedule`'s. A letter that names two days ("T": Tuesday or Thursday,
"S": Saturday or Sunday) and a range ("Mon-Fri": the days between, or the two ends?) are refused by
the schedule parser with what to write; "mo" alone is not Monday (it is the GTS code for monthly).
"""

from __future__ import annotations

import re

DAY_NAMES = {
    "monday": "mon", "mon": "mon", "tuesday": "tue", "tues": "tue", "tue": "tue", "tu": "tue",
    "wednesday": "wed", "weds": "wed", "wed": "wed", "thursday": "thu", "thurs": "thu", "thur": "thu",
    "thu": "thu", "th": "thu", "friday": "fri", "fri": "fri", "saturday": "sat", "sat": "sat", "sa": "sat",
    "sunday": "sun", "sun": "sun", "su": "sun",
}  # fmt: skip
"""Each day's spellings (and their plurals, "Mondays", read by :func:`weekdays`) as its FHIR code."""
LETTERS = {"m": "mon", "w": "wed", "f": "fri"}
"""Single letters that name one day: only in a list of two days or more ("M/W/F", "MWF")."""
AMBIGUOUS_LETTERS = {"t": "Tue or Thu", "s": "Sat or Sun", "r": "Thu", "tth": "Tue/Thu"}

_PREFIX = re.compile(r"^(?:every|each|on|q)\s+")
_SEPARATORS = re.compile(r"\s*(?:/|,|&|\+|;|\band\b|\s)\s*")
_COMPACT = re.compile(r"^(?:tu|th|sa|su|m|w|f)+$")
_COMPACT_DAY = re.compile(r"tu|th|sa|su|m|w|f")
_RANGE = re.compile(r"^([a-z]+)\s*(?:-|–|to|through|thru)\s*([a-z]+)$")


def weekdays(key: str) -> tuple[str, ...] | None:
    """The days a lower-case frequency names, as FHIR codes ("mon", ...), each once; None if it is not
    a list of days."""
    key = _PREFIX.sub("", key.strip())
    if not key:
        return None
    words = [word for word in _SEPARATORS.split(key) if word]
    if not words or (len(words) == 1 and len(key) <= 2):
        return None  # "th", "su" alone: a day is written out when it is the only one
    if len(words) == 1 and _COMPACT.match(key):
        words = _COMPACT_DAY.findall(key)  # "mwf", "tuth"
        if len(words) < 2:
            return None
    days = []
    for word in words:
        day = DAY_NAMES.get(word) or DAY_NAMES.get(word.removesuffix("s"))
        if day is None and len(words) > 1:
            day = LETTERS.get(word)
        if day is None:
            return None
        days.append(day)
    return tuple(dict.fromkeys(days))


def ambiguous_day(key: str) -> str | None:
    """What to write for a list of days that holds a letter naming two days ("T/Th"), or a range
    ("Mon-Fri"); None when the text is neither."""
    key = _PREFIX.sub("", key.strip())
    if match := _RANGE.match(key):
        ends = [DAY_NAMES.get(end) or LETTERS.get(end) for end in match.groups()]
        if all(ends):
            return "a range of days (the days between, or the two ends?): write the days (Mon/Wed/Fri)"
    words = [word for word in _SEPARATORS.split(key) if word]
    if len(words) < 2 and key not in AMBIGUOUS_LETTERS:
        return None
    named = [word for word in words if word in DAY_NAMES or word in LETTERS or word in AMBIGUOUS_LETTERS]
    unclear = [word for word in words if word in AMBIGUOUS_LETTERS]
    if unclear and len(named) == len(words):
        letter = unclear[0]
        return f"{letter.upper()!r} may name more than one day: write the day ({AMBIGUOUS_LETTERS[letter]})"
    return None
