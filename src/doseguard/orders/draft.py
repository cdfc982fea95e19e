"""The order draft: what an input mapper hands the normaliser for each quantity, frequency and duration.

Each is a value together with what was written, or the mark :data:`STRUCTURED` for a value that was
never text. Text inputs (CSV, JSON Lines) give text, which the normaliser parses into values that keep
it (:class:`~doseguard.orders.quantities.Quantity`, :class:`~doseguard.orders.schedule.Frequency`,
:class:`~doseguard.orders.schedule.Duration`: ``written`` is the text). A structured input (FHIR) maps
its Quantities and Timing straight into the values below, put in the record where the text would be:
nothing is written out for the normaliser to parse back, and the notation rules, which read how a
value was written (a trailing zero, "ug", "QD"), find nothing to read in them.

A structured value's ``text`` is how messages show it ("1000 mcg"), never read as notation. Values are
named tuples, tagged by ``kind`` (so values of two kinds are never equal): hashed and compared by
value as fast as the text they replace, a record holding them is still remembered by what it holds
(two orders differing only in a structured dose never share a result).
"""

from __future__ import annotations

from enum import Enum
from functools import lru_cache
from typing import Literal, NamedTuple

from doseguard.errors import ScheduleError
from doseguard.orders.quantities import Quantity, checked_amount
from doseguard.orders.schedule import (
    MAX_DOSES,
    MAX_DURATION_DAYS,
    MAX_INTERVAL_DAYS,
    Duration,
    Frequency,
    days_in_range,
)


class Structured(Enum):
    """The mark of a value an input gave as data, never as text."""

    STRUCTURED = "structured"


STRUCTURED = Structured.STRUCTURED


class StructuredQuantity(NamedTuple):
    """A dose, volume or concentration given as data: its value in mcg, mL or mcg/mL."""

    value: float
    text: str
    kind: Literal["quantity"] = "quantity"

    @property
    def written(self) -> Structured:
        return STRUCTURED

    @property
    def notation(self) -> tuple[str, ...]:
        return ()

    @property
    def trailing_zero(self) -> bool:
        return False

    @property
    def missing_leading_zero(self) -> bool:
        return False

    def checked(self, what: str) -> StructuredQuantity:
        """The value rounded as facts carry it, if in the range a parsed quantity must be in (else the
        same QuantityError)."""
        value = checked_amount(self.value, self.text, what)
        return self if value == self.value else StructuredQuantity(value, self.text)


class StructuredFrequency(NamedTuple):
    """How often, given as data: days between doses."""

    interval_days: float
    text: str
    kind: Literal["frequency"] = "frequency"

    @property
    def written(self) -> Structured:
        return STRUCTURED

    @property
    def notation(self) -> tuple[str, ...]:
        return ()

    @property
    def max_interval_days(self) -> float:
        return self.interval_days

    @property
    def single_dose(self) -> bool:
        return False  # a one-time Timing is a count of 1 (a StructuredDuration) or the text "once"

    @property
    def duration(self) -> None:
        return None

    def checked(self) -> StructuredFrequency:
        """The days rounded as facts carry them, if in the range a parsed frequency must be in (else
        the same ScheduleError)."""
        days = days_in_range(self.interval_days, self.text, MAX_INTERVAL_DAYS)
        return self if days == self.interval_days else StructuredFrequency(days, self.text)


class StructuredDuration(NamedTuple):
    """How long, given as data: days, or a number of doses (``days`` None), or open-ended."""

    days: float | None
    text: str
    open_ended: bool = False
    doses: int | None = None
    kind: Literal["duration"] = "duration"

    @property
    def written(self) -> Structured:
        return STRUCTURED

    def checked(self) -> StructuredDuration:
        """The days rounded as facts carry them, if in the range a parsed duration must be in (else
        the same ScheduleError)."""
        if self.doses is not None:
            if not 1 <= self.doses <= MAX_DOSES:
                message = f"a number of doses is a whole number from 1 to {MAX_DOSES}"
                raise ScheduleError(f"{self.text!r}: {message}")
        elif self.days is not None and not self.open_ended:
            days = days_in_range(self.days, self.text, MAX_DURATION_DAYS)
            if days != self.days:
                return StructuredDuration(days, self.text)
        return self


@lru_cache(maxsize=4096)
def checked_quantity(value: StructuredQuantity, what: str) -> StructuredQuantity:
    """``value.checked(what)``, cached as the parsing of text is: the same values come back order
    after order (a refusal is not cached, and is raised each time)."""
    return value.checked(what)


@lru_cache(maxsize=4096)
def checked_frequency(value: StructuredFrequency) -> StructuredFrequency:
    """``value.checked()``, cached."""
    return value.checked()


@lru_cache(maxsize=4096)
def checked_duration(value: StructuredDuration) -> StructuredDuration:
    """``value.checked()``, cached."""
    return value.checked()


DraftQuantity = Quantity | StructuredQuantity
DraftFrequency = Frequency | StructuredFrequency
DraftDuration = Duration | StructuredDuration

STRUCTURED_FIELDS: dict[str, type] = {
    "dose": StructuredQuantity,
    "volume": StructuredQuantity,
    "concentration": StructuredQuantity,
    "product_concentration": StructuredQuantity,
    "frequency": StructuredFrequency,
    "duration": StructuredDuration,
}
"""The record fields a structured value may stand in, and its type there."""
STRUCTURED_TYPES = frozenset(STRUCTURED_FIELDS.values())
