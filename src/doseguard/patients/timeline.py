"""A patient's history as numbers, for the aggregates (``aggregates.py``): every time as integer
microseconds since the epoch, each drug group's doses and each test's results sorted once per
context, so a window is two bisections, not a ``timedelta`` per item.

Exactness: the difference of two such integers is the ``timedelta`` between the instants, and
``difference / 1_000_000`` is what ``timedelta.total_seconds()`` returns (CPython divides the same
integer the same way), so a window's edge falls where it fell with datetimes. A window declared in
days is turned into the integer bounds of that same float comparison once (:func:`largest`), never
by a rounding of our own.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from doseguard.patients.model import AdministrationStatus, PatientContext
from doseguard.patients.rows import Rows, administration_row, lab_row, order_row

__all__ = ["SPAN", "DoseTimes", "Group", "Timeline", "largest", "microseconds"]

Group = tuple[tuple[str, ...], tuple[str, ...]]
"""Whose doses an aggregate reads: its drugs and forms (empty: any)."""
Dose = tuple[str, int, str, str | None]
"""A dose as the aggregates read it: drug, time, status (its value), route."""

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_TICK = timedelta(microseconds=1)
T = TypeVar("T")
SPAN = 1 << 62
"""Beyond any difference of two datetimes in microseconds (years 1 to 9999: under 2**59)."""

ROUTE_FORMS = {
    "IM": "injection", "SC": "injection", "IV": "injection", "ID": "injection", "IT": "injection",
    "PO": "oral", "SL": "sublingual", "IN": "nasal", "TOP": "topical",
}  # fmt: skip
"""The dose form an administration's route stands for (the MAR records a route, not a form)."""


def microseconds(moment: datetime) -> int:
    """An aware datetime as integer microseconds since the epoch (exact, unlike ``timestamp()``)."""
    return (moment - _EPOCH) // _TICK


def largest(holds: Callable[[int], bool]) -> int:
    """The largest integer in [-SPAN, SPAN] for which ``holds`` (true up to a point, false beyond),
    found by bisection; -SPAN - 1 when it holds for none, SPAN when it holds for all."""
    low, high = -SPAN - 1, SPAN
    while low < high:
        middle = (low + high + 1) // 2
        if holds(middle):
            low = middle
        else:
            high = middle - 1
    return low


class DoseTimes:
    """The doses of one drug group (drugs and forms), each status's times sorted."""

    __slots__ = ("_of", "any", "given", "missed", "refused")

    def __init__(self) -> None:
        self.given: list[int] = []
        self.missed: list[int] = []
        self.refused: list[int] = []
        self.any: list[int] = []
        self._of = {"given": self.given, "missed": self.missed, "refused": self.refused}  # by status

    def of(self, status: AdministrationStatus | str | None) -> list[int]:
        """The times of doses of ``status`` (None: of any status)."""
        return self.any if status is None else self._of[status]


OrderTime = tuple[str, str | None, bool, int, int | None]
"""Another order of the patient, as the orders aggregate reads it: drug, form (the order's, else its
route's), active, record number, time (a plain tuple: a context holds several, built per context)."""


class Timeline:
    """One patient context's history as sorted integer times: each dose and each result once (an
    export that joins the MAR twice repeats rows, and a dose counted twice is a course that never
    was), the doses grouped by the drug groups the aggregates read."""

    def __init__(self, context: PatientContext, groups: Iterable[Group]) -> None:
        self.context = context  # held, so that the context it was made of is never taken for another
        doses: dict[tuple[object, ...], Dose] = {}
        for drug, at, status, mcg, units, route, _, _ in _rows(context.administrations, administration_row):
            doses[(drug, at, status, mcg, units, route)] = (drug, at, status, route)
        ordered = sorted(doses.values(), key=_time)  # stable: ties in the context's order
        self.doses = {group: DoseTimes() for group in groups}
        targets = tuple(self.doses.items())
        into: dict[tuple[str, str | None], tuple[DoseTimes, ...]] = {}  # a drug and route's groups
        for drug, at, status, route in ordered:
            found = into.get((drug, route))
            if found is None:
                form = ROUTE_FORMS.get(route or "")
                found = into[(drug, route)] = tuple(
                    times for (drugs, forms), times in targets
                    if (not drugs or drug in drugs) and (not forms or form in forms)
                )  # fmt: skip
            for times in found:
                times._of[status].append(at)
                times.any.append(at)
        labs: dict[tuple[object, ...], tuple[str, int, float]] = {}
        for test, value, at, _, _, _ in _rows(context.labs, lab_row):
            labs[(test, value, at)] = (test, at, value)  # the last's value, the first's place
        self.lab_times: dict[str, list[int]] = {}
        self.lab_values: dict[str, list[float]] = {}
        for test, at, value in sorted(labs.values(), key=_time):
            if test in self.lab_times:
                self.lab_times[test].append(at)
                self.lab_values[test].append(value)
            else:
                self.lab_times[test], self.lab_values[test] = [at], [value]
        self.orders: tuple[OrderTime, ...] = tuple(
            (drug, form or ROUTE_FORMS.get(route or ""), active, record, at)
            for drug, route, form, active, record, at, _ in _rows(context.orders, order_row)
        )


def _rows(items: Sequence[T], row: Callable[[T], list[Any]]) -> list[list[Any]]:
    """A context's items of one kind as rows (``patients/rows.py``): the store's as they are, others
    (a FHIR Bundle's, a test's) converted."""
    return items.rows if isinstance(items, Rows) else [row(item) for item in items]


def _time(item: tuple[Any, ...]) -> Any:
    return item[1]
