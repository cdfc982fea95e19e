"""The history aggregates against their reference (issue 11's speed work): the implementation on
integer microseconds with windows by bisection must give the very same numbers as the one with
``timedelta`` arithmetic per item (``tests/helpers/reference_aggregates.py``), on random contexts
whose times fall on and around every window's edges, in any time zone, with same-instant ties,
repeated rows and absent values, for every aggregate a pack can declare (``rules/history.py``)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from doseguard.patients.aggregates import AggregateComputer
from doseguard.patients.model import (
    Administration,
    AdministrationStatus,
    HistoryKind,
    LabResult,
    OtherOrder,
    PatientContext,
)
from doseguard.rules.history import Aggregate, HistorySpec, resolve
from tests.helpers.reference_aggregates import AggregateComputer as ReferenceComputer

BASE = datetime(2026, 3, 1, 9, tzinfo=UTC)
DAY_US = 86_400_000_000
EDGE_DAYS = (0, 1, 2, 5, 7, 10, 28, 56, 84, 90, 120, 365)
"""Days that windows, course gaps and days after the first dose are declared in."""
NEAR = (-2, -1, 0, 0, 0, 1, 2, 499_999, 500_000)
"""Microseconds around an edge: on it, a tick either side, half a second."""
DRUGS = ("cyanocobalamin", "hydroxocobalamin", "folic acid")
TESTS = ("haemoglobin", "mcv", "reticulocytes", "potassium", "b12")
ROUTES = ("IM", "SC", "PO", "IN", "TOP", "XX", None)

zones = st.one_of(
    st.just(UTC),
    st.integers(-14 * 60, 14 * 60).map(lambda minutes: timezone(timedelta(minutes=minutes))),
    st.sampled_from([timezone(timedelta(hours=5, minutes=30, seconds=15, microseconds=7)),
                     timezone(-timedelta(seconds=1))]),
)  # fmt: skip
near = st.one_of(st.sampled_from(NEAR), st.sampled_from(NEAR), st.integers(-3 * DAY_US, 3 * DAY_US))


def offsets(edges: tuple[int, ...]) -> st.SearchStrategy[int]:
    """Microseconds before the order (negative: after it), mostly around one of this case's edges."""
    on_edge = st.builds(lambda days, extra: days * DAY_US + extra, st.sampled_from(edges), near)
    return st.one_of(on_edge, on_edge, on_edge, st.integers(-5 * DAY_US, 400 * DAY_US))


values = st.one_of(
    st.sampled_from([9.0, 11.5, 80.0, 4.1, 1.611 * 7.1, 0.0, -0.0, 1e-7]),
    st.floats(-1e4, 1e4, allow_nan=False),
)
after_first = st.lists(
    st.one_of(st.sampled_from([-90.0, 0.0, 2.0, 5.0, 7.0, 10.0, 28.0, 84.0, 36500.0]), st.floats(-100, 400)),
    min_size=2, max_size=2,
).map(sorted)  # fmt: skip


def moment(at: datetime, before_us: int, zone: timezone) -> datetime:
    return (at - timedelta(microseconds=before_us)).astimezone(zone)


@st.composite
def aggregates(draw: st.DrawFn, edges: tuple[int, ...]) -> list[Aggregate]:
    """Declarations of every kind a pack can write, each with its own pack's course gap; windows and
    gaps mostly in this case's edges (so that times fall on them)."""
    declared_edges = st.sampled_from([float(d) for d in edges if d] or [1.0])
    windows = st.one_of(declared_edges, declared_edges, st.floats(1e-6, 1000.0), st.just(1 / 3))
    gaps = st.one_of(declared_edges, declared_edges, st.just(0.5), st.floats(0.01, 400.0))
    declared = []
    for number in range(draw(st.integers(1, 8))):
        kind = draw(st.sampled_from(("administrations", "labs", "orders")))
        spec: dict[str, Any] = {}
        if kind == "administrations":
            measure = draw(st.sampled_from(("count", "days_since_last", "days_since_first", "longest_gap")))
            spec[measure] = "administrations"
            if draw(st.booleans()):
                spec["status"] = draw(st.sampled_from(("given", "missed", "refused", "any")))
        elif kind == "labs":
            measure = draw(
                st.sampled_from(("count", "latest", "days_since_latest", "change_since_first_dose"))
            )
            spec[measure] = draw(st.sampled_from(TESTS))
        else:
            spec["count"] = "orders"
        if draw(st.booleans()):
            spec["within_days"] = draw(windows)
        if draw(st.booleans()):
            spec["days_after_first_dose"] = draw(after_first)
        if draw(st.booleans()):
            spec["drugs"] = draw(st.lists(st.sampled_from(DRUGS), min_size=1, max_size=3, unique=True))
        if kind != "labs" and draw(st.booleans()):
            spec["forms"] = draw(st.lists(st.sampled_from(("injection", "oral", "nasal")), min_size=1, max_size=2,
                                          unique=True))  # fmt: skip
        pack_drugs = draw(st.sampled_from([("cyanocobalamin",), DRUGS[:2], ()]))
        declared.append(resolve(f"a{number}", HistorySpec(**spec), "p", pack_drugs, draw(gaps)))
    return declared


@st.composite
def contexts(draw: st.DrawFn, at: datetime, edges: tuple[int, ...]) -> PatientContext:
    """A patient's history around ``at``: doses, then labs (some on the edges of windows counted from
    a dose, as days after the first dose are), other orders; rows repeated, some in another zone."""
    doses: list[Administration] = []
    for _ in range(draw(st.integers(0, 12))):
        if doses and draw(st.integers(0, 5)) == 0:  # the same dose again (an export's join), maybe elsewhere
            again = draw(st.sampled_from(doses))
            doses.append(Administration(again.drug, again.given_at.astimezone(draw(zones)), again.status,
                                        again.dose_mcg, again.dose_units, again.route, "again"))  # fmt: skip
            continue
        if doses and draw(st.integers(0, 2)) == 0:  # a course's next dose: a gap's edge from another
            step = timedelta(days=draw(st.sampled_from(edges)), microseconds=draw(near))
            given = draw(st.sampled_from(doses)).given_at + draw(st.sampled_from([step, -step]))
        else:
            given = moment(at, draw(offsets(edges)), draw(zones))
        doses.append(Administration(
            draw(st.sampled_from(DRUGS)), given.astimezone(draw(zones)),
            draw(st.sampled_from(list(AdministrationStatus))), draw(st.sampled_from([None, 1000.0, 500.0])),
            draw(st.sampled_from([None, 5000.0])), draw(st.sampled_from(ROUTES)), "mar",
        ))  # fmt: skip
    labs: list[LabResult] = []
    for _ in range(draw(st.integers(0, 12))):
        if labs and draw(st.integers(0, 3)) == 0:
            again = draw(st.sampled_from(labs))
            if draw(st.booleans()):  # the same result again (0.0 maybe as -0.0: equal, not the same)
                value = -again.value if again.value == 0 else again.value
            else:  # another result of the test at that instant
                value = draw(values)
            labs.append(LabResult(again.test, value, again.taken_at.astimezone(draw(zones)), again.unit))
            continue
        if doses and draw(st.booleans()):  # days after a dose (the first of a course, often)
            dose = draw(st.sampled_from(doses)).given_at
            edge = draw(st.sampled_from([-90, 0, 2, 5, 10, 28, 84]))
            taken = (dose + timedelta(days=edge, microseconds=draw(near))).astimezone(draw(zones))
        else:
            taken = moment(at, draw(offsets(edges)), draw(zones))
        labs.append(LabResult(draw(st.sampled_from(TESTS)), draw(values), taken))
    orders = tuple(
        OtherOrder(
            draw(st.sampled_from(DRUGS)),
            draw(st.sampled_from(ROUTES)),
            draw(st.sampled_from([None, "oral", "injection", "nasal"])),
            draw(st.booleans()),
            draw(st.integers(1, 4)),
            draw(st.one_of(st.none(), st.builds(lambda b, z: moment(at, b, z), offsets(edges), zones))),
        )
        for _ in range(draw(st.integers(0, 4)))
    )
    kinds = frozenset(draw(st.sets(st.sampled_from(list(HistoryKind)))))
    return PatientContext("p1", kinds, administrations=tuple(doses), labs=tuple(labs), orders=orders)


@st.composite
def cases(draw: st.DrawFn) -> tuple[list[Aggregate], datetime | None, PatientContext | None, int | None]:
    at = (BASE + timedelta(microseconds=draw(st.integers(-DAY_US, DAY_US)))).astimezone(draw(zones))
    edges = tuple(draw(st.lists(st.sampled_from(EDGE_DAYS), min_size=1, max_size=3)))  # this case's
    context = None if draw(st.integers(0, 19)) == 0 else draw(contexts(at, edges))
    ordered = None if draw(st.integers(0, 19)) == 0 else at
    return draw(aggregates(edges)), ordered, context, draw(st.one_of(st.none(), st.integers(1, 4)))


def exactly(values: dict[str, float]) -> dict[str, str]:
    """The values as the engine and the outputs see them: ``repr`` tells 0.0 from -0.0, 0.3333 from
    0.33330000000000004."""
    return {name: repr(value) for name, value in values.items()}


@settings(max_examples=2000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases())
def test_every_aggregate_equals_the_reference(
    case: tuple[list[Aggregate], datetime | None, PatientContext | None, int | None],
) -> None:
    declared, at, context, record = case
    expected = ReferenceComputer(declared).at(at, context, record)
    assert exactly(AggregateComputer(declared).at(at, context, record)) == exactly(expected)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases())
def test_one_computer_for_many_orders_equals_the_reference(
    case: tuple[list[Aggregate], datetime | None, PatientContext | None, int | None],
) -> None:
    """A checker computes every order's aggregates with one computer: nothing of one order's
    computation may leak into the next (here, the same context at other times)."""
    declared, at, context, record = case
    computer, reference = AggregateComputer(declared), ReferenceComputer(declared)
    for shift in (0, -DAY_US, 30 * DAY_US, 1, 0):
        when = None if at is None else at + timedelta(microseconds=shift)
        assert exactly(computer.at(when, context, record)) == exactly(reference.at(when, context, record))


def test_edges_and_ties_the_random_cases_seldom_meet() -> None:
    """Fixed cases of what the strategies above reach only now and then: a dose exactly on a course
    gap's edge (in) and one a tick past it (out); results of one test at one instant in two zones
    (the later listed is the latest; the first listed is the baseline at the first dose); 0.0 and
    -0.0 at one instant (one result: the later row's value, as the reference keeps it)."""
    at = BASE
    first = at - timedelta(days=90)
    on_edge = Administration("cyanocobalamin", first, route="IM")
    tick_past = Administration("cyanocobalamin", at - timedelta(days=180, microseconds=1), route="IM")
    same = at - timedelta(days=3)
    west = timezone(timedelta(hours=-5))
    labs = (
        LabResult("haemoglobin", 9.0, same),
        LabResult("haemoglobin", 10.0, same.astimezone(west)),
        LabResult("haemoglobin", 7.0, first.astimezone(west)),
        LabResult("haemoglobin", 8.0, first),
        LabResult("mcv", 0.0, same),
        LabResult("mcv", -0.0, same.astimezone(west)),
    )
    context = PatientContext("p1", frozenset(HistoryKind), administrations=(tick_past, on_edge), labs=labs)
    declared = [
        resolve(name, HistorySpec(**spec), "p", ("cyanocobalamin",), 90.0)
        for name, spec in {
            "given": {"count": "administrations"},
            "gap": {"longest_gap": "administrations"},
            "hb": {"latest": "haemoglobin"},
            "rise": {"change_since_first_dose": "haemoglobin"},
            "mcv": {"latest": "mcv"},
        }.items()
    ]
    expected = ReferenceComputer(declared).at(at, context, None)
    assert exactly(expected) == exactly({"given": 1.0, "gap": 90.0, "hb": 10.0, "rise": 3.0, "mcv": -0.0})
    assert exactly(AggregateComputer(declared).at(at, context, None)) == exactly(expected)
