"""A patient's history rows as numbers: what the history store keeps and what the timeline reads.

A row is a plain list (JSON-ready), each time as integer microseconds since the epoch plus its UTC
offset in microseconds, so a store hands a patient's rows of a kind to the aggregates with one JSON
decode: no ``fromisoformat`` and no dataclass per row (issue 11's speed). The objects
(:class:`Administration`, ...) are made only when something reads the history as objects
(:class:`Rows`), equal to those written, time zone included.

* administration: ``[drug, at, status, dose_mcg, dose_units, route, source, offset]``
* lab result: ``[test, value, at, unit, source, offset]``
* other order: ``[drug, route, form, active, record, at, offset]`` (``at`` and ``offset`` None when
  the order has no time)
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime, timedelta, timezone
from typing import Any, TypeVar, overload

from doseguard.patients.model import Administration, AdministrationStatus, LabResult, OtherOrder

__all__ = [
    "Rows",
    "administration",
    "administration_row",
    "at_and_offset",
    "lab_result",
    "lab_row",
    "order_row",
    "other_order",
]

T = TypeVar("T")
Row = list[Any]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_TICK = timedelta(microseconds=1)
STATUSES = {status.value: status for status in AdministrationStatus}
"""A stored status to the enum: a dict lookup (the enum's call costs a few microseconds a row)."""


def at_and_offset(moment: datetime) -> tuple[int, int]:
    """An aware datetime as integer microseconds since the epoch (exact, unlike ``timestamp()``) and
    its UTC offset in microseconds (exact: fixed-offset zones may state seconds and microseconds)."""
    offset = moment.utcoffset()
    return (moment - _EPOCH) // _TICK, 0 if offset is None else offset // _TICK


def moment(at: int, offset: int) -> datetime:
    """The aware datetime of :func:`at_and_offset`, in its own fixed-offset zone (UTC for 0)."""
    return (_EPOCH + timedelta(microseconds=at)).astimezone(timezone(timedelta(microseconds=offset)))


def administration_row(value: Administration) -> Row:
    at, offset = at_and_offset(value.given_at)
    return [value.drug, at, value.status.value, value.dose_mcg, value.dose_units, value.route, value.source,
            offset]  # fmt: skip


def administration(row: Row) -> Administration:
    drug, at, status, mcg, units, route, source, offset = row
    return Administration(drug, moment(at, offset), STATUSES[status], mcg, units, route, source)


def lab_row(value: LabResult) -> Row:
    at, offset = at_and_offset(value.taken_at)
    return [value.test, value.value, at, value.unit, value.source, offset]


def lab_result(row: Row) -> LabResult:
    test, number, at, unit, source, offset = row
    return LabResult(test, number, moment(at, offset), unit, source)


def order_row(value: OtherOrder) -> Row:
    at, offset = (None, None) if value.ordered_at is None else at_and_offset(value.ordered_at)
    return [value.drug, value.route, value.form, value.active, value.record, at, offset]


def other_order(row: Row) -> OtherOrder:
    drug, route, form, active, record, at, offset = row
    return OtherOrder(drug, route, form, active, record, None if at is None else moment(at, offset))


class Rows(Sequence[T]):
    """A patient's rows of one kind as the store keeps them (``rows``, read by the timeline), read as
    objects only when asked (then made once); equal to the tuple of those objects."""

    __slots__ = ("_decode", "_objects", "rows")

    def __init__(self, rows: list[Row], decode: Callable[[Row], T]) -> None:
        self.rows = rows
        self._decode = decode
        self._objects: tuple[T, ...] | None = None

    def objects(self) -> tuple[T, ...]:
        if self._objects is None:
            self._objects = tuple(self._decode(row) for row in self.rows)
        return self._objects

    def __len__(self) -> int:
        return len(self.rows)

    @overload
    def __getitem__(self, index: int) -> T: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[T]: ...
    def __getitem__(self, index: int | slice) -> T | Sequence[T]:
        return self.objects()[index]

    def __iter__(self) -> Iterator[T]:
        return iter(self.objects())

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Rows):
            return self.objects() == other.objects()
        return isinstance(other, tuple) and self.objects() == other

    __hash__ = None  # type: ignore[assignment]  # equal to a tuple, so no hash of its own

    def __repr__(self) -> str:
        return repr(self.objects())
