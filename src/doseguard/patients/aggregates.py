"""History aggregates, computed in Python before the engine (brief decisions 1 and 3): for one
normalised order and its patient's context, the value of every aggregate the loaded packs declare.

The engine cannot join across a patient's history safely (inequality joins segfault, no accumulate,
no event-time windows: shared/notes/durable-rules.md), so each aggregate becomes a number on the
one order fact. Every window is relative to ``Order.ordered_at``, never to now, and what happened
after it is ignored, so a batch checked next year gives the same answers. An aggregate with nothing
to say (no dose given, no result in the window, no ``ordered_at``) is absent; a count is 0 when the
run holds that kind of data for the patient and nothing matched, absent when the run holds none.
Values are floats in small fixed ranges, rounded (days to 4 decimals), so the engine never meets an
exponent (docs/engine-hazards.md).

Computed on integer microseconds (``timeline.py``): a patient's history sorted once per context,
each window two bisections; the numbers are those of ``timedelta`` arithmetic, to the last bit
(``tests/patients/test_aggregates_differential.py`` holds the datetime implementation as reference).
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from doseguard.orders.model import Order
from doseguard.patients.model import AdministrationStatus, HistoryKind, PatientContext
from doseguard.patients.timeline import ROUTE_FORMS, SPAN, Group, Timeline, largest, microseconds
from doseguard.rules.history import Aggregate, DoseStatus, Measure

__all__ = ["DEFAULT_COURSE_GAP_DAYS", "ROUTE_FORMS", "AggregateComputer", "ordered_at"]

DEFAULT_COURSE_GAP_DAYS = 90.0
DAY = 86_400.0
DAYS_DECIMALS = 4
VALUE_DECIMALS = 6
_US = 1_000_000


def ordered_at(order: Order) -> datetime | None:
    """The order's time, the anchor of every window (``Order.ordered_at``, an aware datetime)."""
    value = getattr(order, "ordered_at", None)
    return value if isinstance(value, datetime) and value.tzinfo is not None else None


@dataclass(frozen=True, slots=True)
class _Bounds:
    """An aggregate's windows as integer microseconds, found once from its declaration: the very
    comparisons of floats the datetime implementation made, solved for the integer edge."""

    aggregate: Aggregate
    group: Group  # whose doses: (drugs, forms)
    course_gap: int  # the longest gap (us) between doses of one course
    within: int | None  # how long (us) before the order, at most
    after_first: tuple[int, int] | None  # from..to (us) after the first dose of the course
    status: AdministrationStatus | None  # administrations: which (None: any)

    @classmethod
    def of(cls, aggregate: Aggregate, gap_days: float) -> _Bounds:
        limit = gap_days * DAY
        within = None if aggregate.within_days is None else _at_most_seconds(aggregate.within_days * DAY)
        after_first = None
        if aggregate.days_after_first_dose is not None:
            start, end = aggregate.days_after_first_dose
            after_first = (
                largest(lambda d: not start <= d / _US / DAY) + 1,  # the first d with start <= days
                largest(lambda d: d / _US / DAY <= end),
            )
        status = aggregate.status or DoseStatus.GIVEN
        return cls(
            aggregate, (aggregate.drugs, aggregate.forms), _at_most_seconds(limit), within, after_first,
            None if status is DoseStatus.ANY else AdministrationStatus(status.value),
        )  # fmt: skip

    @property
    def windowed(self) -> bool:
        return self.within is not None or self.after_first is not None

    def span(self, at: int, first: int | None) -> tuple[int, int]:
        """The times [low, high] the window holds, for an order at ``at``."""
        low, high = -SPAN, at
        if self.within is not None:
            low = at - self.within
        if self.after_first is not None:
            assert first is not None
            low, high = max(low, first + self.after_first[0]), min(high, first + self.after_first[1])
        return low, high


def _at_most_seconds(limit: float) -> int:
    """The largest difference d (us) for which ``d / 1e6 > limit`` is false (timedelta's seconds)."""
    return largest(lambda d: not d / _US > limit)


class AggregateComputer:
    """The loaded aggregates, ready to compute for one order at a time (each carries its pack's
    ``course_gap_days``: the longest gap between given doses, and from the last to the order, that
    still belongs to one course)."""

    def __init__(self, aggregates: Sequence[Aggregate]) -> None:
        self.aggregates = tuple(aggregates)
        self._bounds = tuple(
            _Bounds.of(a, float(a.course_gap_days or DEFAULT_COURSE_GAP_DAYS)) for a in self.aggregates
        )
        self.kinds = frozenset(a.kind for a in self.aggregates)
        self._groups = tuple(dict.fromkeys(bounds.group for bounds in self._bounds))
        self._timeline: Timeline | None = None  # the last context's: a patient's orders come together

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
        timeline = self._timeline
        if timeline is None or timeline.context is not context:
            timeline = self._timeline = Timeline(context, self._groups)
        now = microseconds(at)
        values: dict[str, float] = {}
        courses: dict[tuple[object, ...], tuple[int, int]] = {}
        for bounds in self._bounds:
            aggregate = bounds.aggregate
            if aggregate.kind not in held:
                continue
            given = timeline.doses[bounds.group].given
            key = (bounds.group, bounds.course_gap)
            course = courses.get(key)
            if course is None:
                course = courses[key] = _current_course(given, now, bounds.course_gap)
            first = given[course[0]] if course[0] < course[1] else None
            if aggregate.days_after_first_dose is not None and first is None:
                continue  # a window after the first dose of a course that has not started: nothing to say
            if aggregate.kind is HistoryKind.ADMINISTRATIONS:
                value = _doses(bounds, timeline, now, course, first)
            elif aggregate.kind is HistoryKind.LABS:
                value = _labs(bounds, timeline, now, first)
            else:
                value = _other_orders(bounds, timeline, now, record)
            if value is not None:
                values[aggregate.name] = value
        return values


def _current_course(given: list[int], at: int, gap: int) -> tuple[int, int]:
    """The current course as a slice [start, end) of the group's given doses: walking back from the
    order, every dose up to the first gap longer than ``gap`` (the last dose to the order included:
    a last dose longer ago than that leaves no current course)."""
    end = bisect_right(given, at)
    start, later = end, at
    while start > 0 and later - given[start - 1] <= gap:
        start -= 1
        later = given[start]
    return start, end


def _doses(
    bounds: _Bounds, timeline: Timeline, at: int, course: tuple[int, int], first: int | None
) -> float | None:
    doses = timeline.doses[bounds.group]
    if bounds.status is AdministrationStatus.GIVEN and not bounds.windowed:
        times, start, end = doses.given, *course  # the default window: the current course
    else:
        times = doses.of(bounds.status)
        if bounds.windowed:
            low, high = bounds.span(at, first)
        elif first is None:  # with no window stated, missed and refused doses count over the course's span
            low, high = 0, -1
        else:
            low, high = first, at
        start, end = _slice(times, low, high)
    measure = bounds.aggregate.measure
    if measure is Measure.COUNT:
        return float(end - start)
    if start == end:
        return None
    if measure is Measure.DAYS_SINCE_LAST:
        return _days(at - times[end - 1])
    if measure is Measure.DAYS_SINCE_FIRST:
        return _days(at - times[start])
    longest = at - times[end - 1]
    for index in range(start + 1, end):
        longest = max(longest, times[index] - times[index - 1])
    return _days(longest)  # rounding keeps order: the longest rounded is the longest of the rounded


def _labs(bounds: _Bounds, timeline: Timeline, at: int, first: int | None) -> float | None:
    test = bounds.aggregate.what
    times = timeline.lab_times.get(test, [])
    low, high = bounds.span(at, first)
    start, end = _slice(times, low, high)
    measure = bounds.aggregate.measure
    if measure is Measure.COUNT:
        return float(end - start)
    if start == end:
        return None
    values = timeline.lab_values[test]
    if measure is Measure.LATEST:
        return round(values[end - 1], VALUE_DECIMALS)  # the last listed of results at one instant
    if measure is Measure.DAYS_SINCE_LATEST:
        return _days(at - times[end - 1])
    # change since the first dose: the latest result after it minus the last one at or before it
    if first is None or times[end - 1] <= first:
        return None
    baseline = bisect_right(times, first)
    if baseline == 0:
        return None
    before = bisect_left(times, times[baseline - 1])  # the first listed of results at that instant
    return round(values[end - 1] - values[before], VALUE_DECIMALS)


def _other_orders(bounds: _Bounds, timeline: Timeline, at: int, record: int | None) -> float:
    """The patient's other active orders of the drugs (and forms): never the order itself, nor one
    placed after it; ``within_days`` bounds how long before the order another was placed."""
    aggregate = bounds.aggregate
    found = 0
    for drug, form, active, number, when in timeline.orders:
        if not active or (record is not None and number == record):
            continue
        if aggregate.drugs and drug not in aggregate.drugs:
            continue
        if aggregate.forms and form not in aggregate.forms:
            continue
        if when is not None and (when > at or (bounds.within is not None and at - when > bounds.within)):
            continue
        found += 1
    return float(found)


def _slice(times: list[int], low: int, high: int) -> tuple[int, int]:
    """The indices [start, end) of the sorted ``times`` from ``low`` to ``high``, both included."""
    if low > high:
        return 0, 0
    return bisect_left(times, low), bisect_right(times, high)


def _days(difference: int) -> float:
    return round(difference / _US / DAY, DAYS_DECIMALS)
