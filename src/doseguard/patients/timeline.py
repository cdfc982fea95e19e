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

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from doseguard.patients.model import AdministrationStatus, PatientContext

__all__ = ["SPAN", "DoseTimes", "Group", "Timeline", "largest", "microseconds"]

Group = tuple[tuple[str, ...], tuple[str, ...]]
"""Whose doses an aggregate reads: its drugs and forms (empty: any)."""
Dose = tuple[str, int, AdministrationStatus, str | None]
"""A dose as the aggregates read it: drug, time, status, route."""

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_TICK = timedelta(microseconds=1)
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


@dataclass(slots=True)
class DoseTimes:
    """The doses of one drug group (drugs and forms), each status's times sorted."""

    given: list[int] = field(default_factory=list)
    missed: list[int] = field(default_factory=list)
    refused: list[int] = field(default_factory=list)
    any: list[int] = field(default_factory=list)

    def of(self, status: AdministrationStatus | None) -> list[int]:
        """The times of doses of ``status`` (None: of any status)."""
        if status is None:
            return self.any
        if status is AdministrationStatus.GIVEN:
            return self.given
        return self.missed if status is AdministrationStatus.MISSED else self.refused


@dataclass(frozen=True, slots=True)
class OrderTime:
    """Another order of the patient, as the orders aggregate reads it."""

    drug: str
    form: str | None  # the order's form, else its route's
    active: bool
    record: int
    at: int | None


class Timeline:
    """One patient context's history as sorted integer times: each dose and each result once (an
    export that joins the MAR twice repeats rows, and a dose counted twice is a course that never
    was), the doses grouped by the drug groups the aggregates read."""

    def __init__(self, context: PatientContext, groups: Iterable[Group]) -> None:
        self.context = context  # held, so that the context it was made of is never taken for another
        doses: dict[tuple[object, ...], Dose] = {}
        for a in context.administrations:
            at = microseconds(a.given_at)
            doses[(a.drug, at, a.status, a.dose_mcg, a.dose_units, a.route)] = (a.drug, at, a.status, a.route)
        ordered = sorted(doses.values(), key=lambda dose: dose[1])  # stable: ties in the context's order
        self.doses = {group: _group(ordered, *group) for group in dict.fromkeys(groups)}
        labs: dict[tuple[object, ...], tuple[str, int, float]] = {}
        for lab in context.labs:
            at = microseconds(lab.taken_at)
            labs[(lab.test, lab.value, at)] = (lab.test, at, lab.value)  # the last's value, the first's place
        self.lab_times: dict[str, list[int]] = {}
        self.lab_values: dict[str, list[float]] = {}
        for test, at, value in sorted(labs.values(), key=lambda lab: lab[1]):
            self.lab_times.setdefault(test, []).append(at)
            self.lab_values.setdefault(test, []).append(value)
        self.orders = tuple(
            OrderTime(
                other.drug,
                other.form or ROUTE_FORMS.get(other.route or ""),
                other.active,
                other.record,
                None if other.ordered_at is None else microseconds(other.ordered_at),
            )
            for other in context.orders
        )


def _group(doses: list[Dose], drugs: tuple[str, ...], forms: tuple[str, ...]) -> DoseTimes:
    times = DoseTimes()
    for drug, at, status, route in doses:
        if drugs and drug not in drugs:
            continue
        if forms and ROUTE_FORMS.get(route or "") not in forms:
            continue
        times.of(status).append(at)
        times.any.append(at)
    return times
