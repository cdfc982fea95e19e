"""A quantity whose unit is in a column of its own (``HV_DISCRETE_DOSE`` 1000, ``DOSE_UNIT`` mcg).

Exports write the value and the unit apart; the order reads them as one quantity ("1000 mcg"), which
is then parsed as any quantity is. A unit with no value, or a value that carries a unit of its own
other than the unit column's, is the record's problem, never guessed.
"""

from __future__ import annotations

import math
import re
from functools import lru_cache
from typing import Any

from doseguard.errors import QuantityError
from doseguard.numbers import format_number
from doseguard.orders.model import QUANTITY_FIELDS, UNIT_FIELDS

UNIT_OF = dict(zip(QUANTITY_FIELDS, UNIT_FIELDS, strict=True))
"""Each quantity field's unit field."""

_UNIT_KEYS = frozenset(UNIT_FIELDS)
_LEADING_NUMBER = re.compile(r"\s*[+-]?[\d.,]+\s*")
_SPACES = re.compile(r"\s+")


def numbers_as_text(raw: dict[str, Any]) -> dict[str, Any]:
    """A JSON record whose quantity is a number (``"dose": 1000``) beside its unit field, with the
    number as text: it is a value, and its unit is stated. Other records are returned as they are."""
    if _UNIT_KEYS.isdisjoint(raw):
        return raw
    numbers = {
        name: format_number(raw[name])
        for name, unit in UNIT_OF.items()
        if type(raw.get(unit)) is str and _plain_number(raw.get(name))
    }
    return {**raw, **numbers} if numbers else raw


def _plain_number(value: Any) -> bool:
    """A JSON number written back as text as it is (no bool; beyond 1e15, or not finite, the
    quantity's own checks word it: a number without a unit)."""
    return type(value) in (int, float) and math.isfinite(value) and abs(value) < 1e15


@lru_cache(maxsize=4096)
def joined(value: str, unit: str, name: str) -> str:
    """The quantity ``value`` is with ``unit`` (its ``name``'s unit field): a bare number gets the
    unit; a value with the same unit already is kept; another unit is a :class:`QuantityError`."""
    text, said = value.strip(), _SPACES.sub(" ", unit.strip())
    number = _LEADING_NUMBER.match(text)
    if number is None:
        return text  # not a number at all: the quantity's parser says so
    if number.end() == len(text):
        return f"{text} {said}"
    if _SPACES.sub("", text[number.end() :]).lower() == _SPACES.sub("", said).lower():
        return text
    raise QuantityError(
        f"{value!r} carries a unit of its own, but {UNIT_OF[name]} says {unit!r}: which is meant? "
        f"(write the number alone in {name}, or leave {UNIT_OF[name]} empty)"
    )


def unit_without_value(name: str, unit: str) -> str:
    """Why a unit field stated without its quantity makes the order unreadable."""
    return f"{unit!r} is a unit without a value: the {name.replace('_', ' ')} is not stated"
