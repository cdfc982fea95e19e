"""History aggregates computed for one order from its patient context (brief decision 3)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from doseguard.orders.model import Order
from doseguard.patients.aggregates import AggregateComputer
from doseguard.patients.model import (
    Administration,
    AdministrationStatus,
    HistoryKind,
    LabResult,
    OtherOrder,
    PatientContext,
)
from doseguard.rules.history import HistorySpec, resolve

AT = datetime(2026, 3, 1, 9, tzinfo=UTC)
ALL = frozenset(HistoryKind)
B12 = ("cyanocobalamin",)


@dataclass(frozen=True)
class TimedOrder(Order):
    """An order with ``ordered_at``, as i11-patient adds it to :class:`Order`."""

    ordered_at: datetime | None = None


def order(at: datetime | None = AT) -> Order:
    return TimedOrder("o1", "p1", {"drug": "cyanocobalamin"}, ordered_at=at)


def computer(course_gap: float = 90.0, **declarations: dict[str, Any]) -> AggregateComputer:
    specs = declarations.items()
    return AggregateComputer(
        [resolve(name, HistorySpec(**spec), "b12", B12, course_gap) for name, spec in specs]
    )


def dose(
    days_before: float, status: str = "given", drug: str = "cyanocobalamin", route: str = "IM"
) -> Administration:
    return Administration(drug, AT - timedelta(days=days_before), AdministrationStatus(status), route=route)


def lab(test: str, value: float, days_before: float) -> LabResult:
    return LabResult(test, value, AT - timedelta(days=days_before))


def patient(*items: Any, kinds: frozenset[HistoryKind] = ALL) -> PatientContext:
    return PatientContext(
        "p1", kinds,
        administrations=tuple(i for i in items if isinstance(i, Administration)),
        labs=tuple(i for i in items if isinstance(i, LabResult)),
        orders=tuple(i for i in items if isinstance(i, OtherOrder)),
    )  # fmt: skip


DOSES = {
    "given": {"count": "administrations"},
    "missed": {"count": "administrations", "status": "missed"},
    "last": {"days_since_last": "administrations"},
    "first": {"days_since_first": "administrations"},
    "gap": {"longest_gap": "administrations"},
}


def test_dose_aggregates_over_the_current_course() -> None:
    # an old course (200, 190 days before), then 120 days of nothing, then the current one
    history = patient(
        dose(200), dose(190), dose(14), dose(7, "missed"), dose(4), dose(1), dose(1, drug="folic acid")
    )
    assert computer(**DOSES)(order(), history) == {
        "given": 3.0,
        "missed": 1.0,
        "last": 1.0,
        "first": 14.0,
        "gap": 10.0,
    }


def test_a_last_dose_longer_ago_than_the_course_gap_leaves_no_course() -> None:
    values = computer(course_gap=30, **DOSES)(order(), patient(dose(60), dose(45)))
    assert values == {"given": 0.0, "missed": 0.0}  # counts are 0; days have nothing to say


def test_history_after_the_order_is_ignored() -> None:
    history = patient(dose(3), dose(-2), lab("haemoglobin", 9.0, 5), lab("haemoglobin", 12.0, -1))
    values = computer(**DOSES, hb={"latest": "haemoglobin"})(order(), history)
    assert values["given"] == 1.0 and values["last"] == 3.0 and values["hb"] == 9.0


def test_within_days_and_days_after_first_dose_windows() -> None:
    history = patient(dose(30), dose(20), dose(10), lab("potassium", 4.0, 29.5), lab("potassium", 3.1, 27),
                      lab("reticulocytes", 2.5, 22), lab("haemoglobin", 8.0, 40), lab("haemoglobin", 9.5, 2))  # fmt: skip
    values = computer(
        recent={"count": "administrations", "within_days": 15},
        k_first_2_days={"count": "potassium", "days_after_first_dose": [0, 2]},
        k_first_3_days={"count": "potassium", "days_after_first_dose": [0, 3]},
        retic={"latest": "reticulocytes", "days_after_first_dose": [5, 10]},
        hb_30={"latest": "haemoglobin", "within_days": 30},
        hb_days={"days_since_latest": "haemoglobin"},
        hb_rise={"change_since_first_dose": "haemoglobin"},
    )(order(), history)
    assert values == {"recent": 1.0, "k_first_2_days": 1.0, "k_first_3_days": 2.0, "retic": 2.5,
                      "hb_30": 9.5, "hb_days": 2.0, "hb_rise": 1.5}  # fmt: skip


def test_absent_when_nothing_to_say_zero_counts_only_for_kinds_the_run_holds() -> None:
    aggregates = computer(given={"count": "administrations"}, hb={"latest": "haemoglobin"},
                          hbs={"count": "haemoglobin"}, rise={"change_since_first_dose": "haemoglobin"})  # fmt: skip
    assert aggregates(order(), patient()) == {"given": 0.0, "hbs": 0.0}
    assert aggregates(order(), patient(kinds=frozenset({HistoryKind.PATIENT}))) == {}
    assert aggregates(order(), None) == {}
    assert aggregates(order(None), patient(dose(1))) == {}  # no ordered_at: no window
    # a change needs a result at or before the first dose and one after it
    assert "rise" not in aggregates(order(), patient(dose(10), lab("haemoglobin", 9.0, 2)))


def test_other_active_orders_never_count_the_order_itself() -> None:
    others = (
        OtherOrder("cyanocobalamin", "PO", "oral", True, record=1),  # this order
        OtherOrder("cyanocobalamin", "IM", None, True, record=2),
        OtherOrder("hydroxocobalamin", "IM", "injection", True, record=3),
        OtherOrder("cyanocobalamin", "IM", None, False, record=4),  # stopped
        OtherOrder("cyanocobalamin", "IM", None, True, record=5, ordered_at=AT + timedelta(days=1)),  # later
    )
    values = computer(
        dupes={"count": "orders"},
        b12s={"count": "orders", "drugs": ["cyanocobalamin", "hydroxocobalamin"], "forms": ["injection"]},
    )(order(), patient(*others), record=1)
    assert values == {"dupes": 1.0, "b12s": 2.0}


def test_values_are_plain_floats_the_engine_can_read() -> None:
    history = patient(dose(1 / 3), lab("haemoglobin", 1.611 * 7.1, 1e-6))
    values = computer(last={"days_since_last": "administrations"}, hb={"latest": "haemoglobin"},
                      days={"days_since_latest": "haemoglobin"})(order(), history)  # fmt: skip
    assert all(type(v) is float and "e" not in repr(v) for v in values.values()), values
    assert values["last"] == 0.3333 and values["days"] == 0.0


def test_a_dose_or_result_exported_twice_counts_once() -> None:
    """An export's join artefact: each MAR row twice, each from its own line of the file."""
    doses = [dose(d) for d in (14, 7, 1)]
    labs = [lab("haemoglobin", 9.0, 20), lab("haemoglobin", 11.5, 2)]
    twice = [
        dataclasses.replace(item, source=f"mar.csv:{n}") for n, item in enumerate(doses + labs + doses + labs)
    ]
    aggregates = computer(
        doses_given={"count": "administrations"}, hb_results={"count": "haemoglobin"},
        gap={"longest_gap": "administrations"},
    )  # fmt: skip
    assert aggregates(order(), patient(*twice)) == aggregates(order(), patient(*doses, *labs))
