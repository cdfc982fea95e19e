"""The history aggregates as computed before issue 11's speed work (``patients/aggregates.py`` at
adee21f, with ``timedelta`` arithmetic per item), kept unchanged as the reference the numeric
implementation is tested against (``tests/patients/test_aggregates_differential.py``).

The engine cannot join across a patient's history safely (inequality joins segfault, no accumulate,
no event-time windows: shared/notes/durable-rules.md), so each aggregate becomes a number on the
one order fact. Every window is relative to ``Order.ordered_at``, never to now, and what happened
after it is ignored, so a batch checked next year gives the same answers. An aggregate with nothing
to say (no dose given, no result in the window, no ``ordered_at``) is absent; a count is 0 when the
run holds that kind of data for the patient and nothing matched, absent when the run holds none.
Values are floats in small fixed ranges, rounded (days to 4 decimals), so the engine never meets an
exponent (docs/engine-hazards.md).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import datetime, timedelta
from itertools import pairwise

from doseguard.orders.model import Order
from doseguard.patients.model import (
    Administration,
    AdministrationStatus,
    HistoryKind,
    LabResult,
    PatientContext,
)
from doseguard.rules.history import Aggregate, DoseStatus, Measure

__all__ = ["DEFAULT_COURSE_GAP_DAYS", "ROUTE_FORMS", "AggregateComputer", "ordered_at"]

DEFAULT_COURSE_GAP_DAYS = 90.0
DAY = 86_400.0
DAYS_DECIMALS = 4
VALUE_DECIMALS = 6
ROUTE_FORMS = {
    "IM": "injection", "SC": "injection", "IV": "injection", "ID": "injection", "IT": "injection",
    "PO": "oral", "SL": "sublingual", "IN": "nasal", "TOP": "topical",
}  # fmt: skip
"""The dose form an administration's route stands for (the MAR records a route, not a form)."""


def ordered_at(order: Order) -> datetime | None:
    """The order's time, the anchor of every window (``Order.ordered_at``, an aware datetime)."""
    value = getattr(order, "ordered_at", None)
    return value if isinstance(value, datetime) and value.tzinfo is not None else None


class AggregateComputer:
    """The loaded aggregates, ready to compute for one order at a time (each carries its pack's
    ``course_gap_days``: the longest gap between given doses, and from the last to the order, that
    still belongs to one course)."""

    def __init__(self, aggregates: Sequence[Aggregate]) -> None:
        self.aggregates = tuple(aggregates)
        self._gap = {a.name: float(a.course_gap_days or DEFAULT_COURSE_GAP_DAYS) for a in self.aggregates}
        self.kinds = frozenset(a.kind for a in self.aggregates)

    def __call__(
        self, order: Order, context: PatientContext | None, record: int | None = None
    ) -> dict[str, float]:
        """The aggregates with something to say, by name; ``record`` is the order's number in the
        batch (another order of the patient with that number is this order, never counted)."""
        return self.at(ordered_at(order), context, record)

    def at(
        self, at: datetime | None, context: PatientContext | None, record: int | None = None
    ) -> dict[str, float]:
        """The aggregates of an order placed at ``at`` (what they depend on of the order: the
        checker computes them before normalising, to remember outcomes by them)."""
        if not self.aggregates or context is None:
            return {}
        held = context.kinds & self.kinds
        if not held or at is None:
            return {}
        context = _once_each(context)
        values: dict[str, float] = {}
        labs: dict[str, list[LabResult]] | None = None  # by test, in time order: grouped once
        courses: dict[tuple[tuple[str, ...], tuple[str, ...], float], tuple[Administration, ...]] = {}
        for aggregate in self.aggregates:
            if aggregate.kind not in held:
                continue
            gap = self._gap[aggregate.name]
            key = (aggregate.drugs, aggregate.forms, gap)
            course = courses.get(key)
            if course is None:
                course = courses[key] = current_course(context.administrations, aggregate, at, gap)
            if aggregate.kind is HistoryKind.LABS and labs is None:
                labs = _by_test(context.labs)
            value = _compute(aggregate, context, at, course, record, labs or {})
            if value is not None:
                values[aggregate.name] = value
        return values


def _once_each(context: PatientContext) -> PatientContext:
    """The context with each dose and each result once: an export that joins the MAR twice repeats
    rows (from other lines of the file), and a dose counted twice is a course that never was."""
    administrations = tuple(
        {
            (a.drug, a.given_at, a.status, a.dose_mcg, a.dose_units, a.route): a
            for a in context.administrations
        }.values()
    )
    labs = tuple({(lab.test, lab.value, lab.taken_at): lab for lab in context.labs}.values())
    if len(administrations) == len(context.administrations) and len(labs) == len(context.labs):
        return context
    return dataclasses.replace(context, administrations=administrations, labs=labs)


def current_course(
    administrations: Sequence[Administration], aggregate: Aggregate, at: datetime, gap_days: float
) -> tuple[Administration, ...]:
    """The given doses of the aggregate's drugs (and forms) of the current course: walking back from
    the order, every dose up to the first gap longer than ``gap_days`` (the last dose to the order
    included: a last dose longer ago than that leaves no current course). Sorted by time."""
    doses = [a for a in administrations if a.status is AdministrationStatus.GIVEN and a.given_at <= at
             and _of_drugs(a, aggregate)]  # fmt: skip
    doses.sort(key=lambda a: a.given_at)
    limit = gap_days * DAY
    course: list[Administration] = []
    later = at
    for dose in reversed(doses):
        if (later - dose.given_at).total_seconds() > limit:
            break
        course.append(dose)
        later = dose.given_at
    course.reverse()
    return tuple(course)


def _of_drugs(administration: Administration, aggregate: Aggregate) -> bool:
    if aggregate.drugs and administration.drug not in aggregate.drugs:
        return False
    return not aggregate.forms or ROUTE_FORMS.get(administration.route or "") in aggregate.forms


def _by_test(labs: Sequence[LabResult]) -> dict[str, list[LabResult]]:
    grouped: dict[str, list[LabResult]] = {}
    for lab in sorted(labs, key=lambda lab: lab.taken_at):
        grouped.setdefault(lab.test, []).append(lab)
    return grouped


def _compute(
    aggregate: Aggregate,
    context: PatientContext,
    at: datetime,
    course: tuple[Administration, ...],
    record: int | None,
    labs: dict[str, list[LabResult]],
) -> float | None:
    first = course[0].given_at if course else None
    if aggregate.days_after_first_dose is not None and first is None:
        return None  # a window after the first dose of a course that has not started: nothing to say
    if aggregate.kind is HistoryKind.ADMINISTRATIONS:
        return _doses(aggregate, context.administrations, at, course, first)
    if aggregate.kind is HistoryKind.LABS:
        return _labs(aggregate, labs.get(aggregate.what, ()), at, first)
    return _other_orders(aggregate, context, at, record)


def _in_window(aggregate: Aggregate, when: datetime, at: datetime, first: datetime | None) -> bool:
    """Whether ``when`` (at or before the order) is in the aggregate's window."""
    if when > at:
        return False
    if aggregate.within_days is not None and (at - when).total_seconds() > aggregate.within_days * DAY:
        return False
    if aggregate.days_after_first_dose is not None:
        assert first is not None
        start, end = aggregate.days_after_first_dose
        after = (when - first).total_seconds() / DAY
        return start <= after <= end
    return True


def _doses(
    aggregate: Aggregate,
    administrations: Sequence[Administration],
    at: datetime,
    course: tuple[Administration, ...],
    first: datetime | None,
) -> float | None:
    status = aggregate.status or DoseStatus.GIVEN
    windowed = aggregate.within_days is not None or aggregate.days_after_first_dose is not None
    if status is DoseStatus.GIVEN and not windowed:
        chosen: Sequence[Administration] = course  # the default window: the current course
    else:
        wanted = None if status is DoseStatus.ANY else AdministrationStatus(status.value)
        # With no window stated, missed and refused doses count over the current course's span.
        chosen = sorted(
            (a for a in administrations
             if (wanted is None or a.status is wanted) and _of_drugs(a, aggregate)
             and (_in_window(aggregate, a.given_at, at, first) if windowed
                  else first is not None and first <= a.given_at <= at)),
            key=lambda a: a.given_at,
        )  # fmt: skip
    measure = aggregate.measure
    if measure is Measure.COUNT:
        return float(len(chosen))
    if not chosen:
        return None
    if measure is Measure.DAYS_SINCE_LAST:
        return _days(at - chosen[-1].given_at)
    if measure is Measure.DAYS_SINCE_FIRST:
        return _days(at - chosen[0].given_at)
    times = [a.given_at for a in chosen] + [at]
    return max(_days(later - earlier) for earlier, later in pairwise(times))


def _labs(
    aggregate: Aggregate, labs: Sequence[LabResult], at: datetime, first: datetime | None
) -> float | None:
    """``labs``: the results of the aggregate's test, in time order."""
    results = [lab for lab in labs if _in_window(aggregate, lab.taken_at, at, first)]
    measure = aggregate.measure
    if measure is Measure.COUNT:
        return float(len(results))
    if not results:
        return None
    latest = results[-1]
    if measure is Measure.LATEST:
        return round(latest.value, VALUE_DECIMALS)
    if measure is Measure.DAYS_SINCE_LATEST:
        return _days(at - latest.taken_at)
    # change since the first dose: the latest result after it minus the last one at or before it
    if first is None or latest.taken_at <= first:
        return None
    baseline = [lab for lab in labs if lab.taken_at <= first]
    if not baseline:
        return None
    before = max(baseline, key=lambda lab: lab.taken_at)
    return round(latest.value - before.value, VALUE_DECIMALS)


def _other_orders(aggregate: Aggregate, context: PatientContext, at: datetime, record: int | None) -> float:
    """The patient's other active orders of the drugs (and forms): never the order itself, nor one
    placed after it; ``within_days`` bounds how long before the order another was placed."""
    found = 0
    for other in context.orders:
        if not other.active or (record is not None and other.record == record):
            continue
        if aggregate.drugs and other.drug not in aggregate.drugs:
            continue
        form = other.form or ROUTE_FORMS.get(other.route or "")
        if aggregate.forms and form not in aggregate.forms:
            continue
        when = other.ordered_at
        if when is not None and (when > at or (
            aggregate.within_days is not None and (at - when).total_seconds() > aggregate.within_days * DAY
        )):  # fmt: skip
            continue
        found += 1
    return float(found)


def _days(delta: timedelta) -> float:
    return round(delta.total_seconds() / DAY, DAYS_DECIMALS)
