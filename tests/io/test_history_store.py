"""The on-disk history store: what goes in comes out per patient, sorted by time, with the run's
kinds, read-only for the workers, in a private folder removed after the run."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from doseguard.errors import HistoryProblem
from doseguard.io import history_store
from doseguard.io.history_store import HistoryStore, PatientFields, run_folder, write_store
from doseguard.patients.model import (
    Administration,
    AdministrationStatus,
    HistoryKind,
    LabResult,
    OtherOrder,
    PatientContext,
)

T0 = datetime(2026, 2, 1, 9, tzinfo=UTC)
ALL = frozenset({HistoryKind.PATIENT, HistoryKind.ADMINISTRATIONS, HistoryKind.LABS})


def dose(days: int, status: AdministrationStatus = AdministrationStatus.GIVEN) -> Administration:
    return Administration(
        "cyanocobalamin", T0 + timedelta(days=days), status, 1000.0, None, "IM", f"mar.csv:{days + 2}"
    )


def test_a_round_trip_gives_each_patient_their_own_items_sorted_by_time(tmp_path: Path) -> None:
    hb_late = LabResult("haemoglobin", 11.0, T0 + timedelta(days=9), "g/dL", "labs.csv:3")
    hb_early = LabResult("haemoglobin", 9.5, T0, "g/dL", "labs.csv:2")
    other = OtherOrder("cyanocobalamin", "PO", "oral", True, 7, T0)
    items = [
        ("P1", dose(3)), ("P2", dose(0)), ("P1", dose(1, AdministrationStatus.MISSED)), ("P1", hb_late),
        ("P1", {"weight_kg": "80 kg", "allergies": "cobalt"}), ("P1", hb_early), ("P1", other),
        ("P1", {"weight_kg": "90 kg", "allergies": "latex", "sex": "F"}),
    ]  # fmt: skip
    path = tmp_path / "h.sqlite"
    assert write_store(path, ALL | {HistoryKind.ORDERS}, items) == len(items)
    store = HistoryStore(path)
    assert store.context("P1") == PatientContext(
        "P1",
        ALL | {HistoryKind.ORDERS},
        {"allergies": "cobalt; latex", "sex": "F"},  # lists joined; weights that disagree: neither
        (dose(1, AdministrationStatus.MISSED), dose(3)),
        (hb_early, hb_late),
        (other,),
        gaps=("patient P1",),  # the weights that disagree: told on the patient's orders
    )
    assert store.context("P2").administrations == (dose(0),)


def test_a_patient_with_nothing_has_the_runs_kinds_and_empty_histories(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite"
    write_store(path, frozenset({HistoryKind.LABS}), [])
    context = HistoryStore(path).context("nobody")
    assert context == PatientContext("nobody", frozenset({HistoryKind.LABS}))
    assert context.has_history


def test_problems_go_to_their_callback_not_to_the_store(tmp_path: Path) -> None:
    problem = HistoryProblem("labs.csv:4", "value", "'high' is not a number")
    said: list[HistoryProblem] = []
    path = tmp_path / "h.sqlite"
    assert write_store(path, ALL, [problem, ("P1", dose(0))], said.append) == 1
    assert said == [problem]


def test_many_patients_are_written_in_batches_and_indexed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(history_store, "BATCH", 7)
    path = tmp_path / "h.sqlite"
    items = [(f"P{n % 100}", dose(n % 30)) for n in range(1000)]
    assert write_store(path, ALL, items) == 1000
    store = HistoryStore(path, cache=3)
    assert all(len(store.context(f"P{n}").administrations) == 10 for n in range(100))
    plan = (
        sqlite3.connect(path)
        .execute("EXPLAIN QUERY PLAN SELECT * FROM items WHERE patient_id = 'P1'")
        .fetchall()
    )
    assert "by_patient" in str(plan)


def test_workers_open_it_read_only(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite"
    write_store(path, ALL, [("P1", dose(0))])
    store = HistoryStore(path)
    with pytest.raises(sqlite3.OperationalError, match="readonly"):
        store._connection.execute("DELETE FROM items")


def test_the_lru_keeps_recent_contexts_and_drops_the_oldest(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite"
    write_store(path, ALL, [("P1", dose(0)), ("P2", dose(1))])
    store = HistoryStore(path, cache=1)
    first = store.context("P1")
    assert store.context("P1") is first
    store.context("P2")
    assert store.context("P1") is not first and store.context("P1") == first


def test_the_run_folder_is_private_and_removed_after_the_run() -> None:
    with run_folder() as folder:
        assert folder.stat().st_mode & 0o077 == 0
        write_store(folder / "h.sqlite", ALL, [("P1", dose(0))])
    assert not folder.exists()


def test_other_orders_come_back_in_record_order_whatever_their_times(tmp_path: Path) -> None:
    """The batch's orders of a patient as the input holds them (a later record may have been written
    earlier); one without ``ordered_at`` keeps its place too."""
    late = OtherOrder("cyanocobalamin", "IM", None, True, 1, T0 + timedelta(days=2))
    early = OtherOrder("cyanocobalamin", "PO", None, True, 2, T0)
    timeless = OtherOrder("cyanocobalamin", "PO", None, False, 3, None)
    path = tmp_path / "h.sqlite"
    write_store(path, frozenset({HistoryKind.ORDERS}), [("P1", late), ("P2", early), ("P1", early),
                                                        ("P1", timeless)])  # fmt: skip
    assert HistoryStore(path).context("P1").orders == (late, early, timeless)


def test_a_store_opened_for_some_kinds_reads_and_says_only_those(tmp_path: Path) -> None:
    """A worker whose rules read no lab aggregate needs no lab result: it neither reads them nor says
    the run holds them (then no outcome of its depends on them, and outcomes can be shared)."""
    hb = LabResult("haemoglobin", 9.5, T0, "g/dL", "labs.csv:2")
    other = OtherOrder("cyanocobalamin", "PO", "oral", True, 7, T0)
    path = tmp_path / "h.sqlite"
    kinds = ALL | {HistoryKind.ORDERS}
    write_store(path, kinds, [("P1", dose(0)), ("P1", hb), ("P1", other), ("P1", {"weight_kg": "80 kg"})])
    orders_only = HistoryStore(path, needs=frozenset({HistoryKind.ORDERS})).context("P1")
    assert orders_only == PatientContext(
        "P1", frozenset({HistoryKind.PATIENT, HistoryKind.ORDERS}), {"weight_kg": "80 kg"}, (), (), (other,)
    )
    nothing = HistoryStore(path, needs=frozenset()).context("P1")
    assert nothing.kinds == {HistoryKind.PATIENT} and not nothing.has_history
    assert nothing.fields == {"weight_kg": "80 kg"}
    assert HistoryStore(path).context("P1").kinds == kinds


def test_a_patients_rows_are_read_from_the_index_alone(tmp_path: Path) -> None:
    """A patient's rows are scattered over the table (files are in time order, not by patient): read
    through the index, each would cost a random page; the index holds them whole, side by side."""
    path = tmp_path / "h.sqlite"
    write_store(path, ALL, [("P1", dose(0))])
    store = HistoryStore(path)
    plan = sqlite3.connect(path).execute(f"EXPLAIN QUERY PLAN {store._query}", ("P1",)).fetchall()
    assert "COVERING INDEX by_patient" in str(plan)


# --- a patient's rows that disagree ----------------------------------------------------------------


def patient_row(source: str, **fields: object) -> PatientFields:
    return PatientFields(fields, source)


def test_conflicting_values_are_said_at_the_later_row_and_neither_is_used(tmp_path: Path) -> None:
    items = [
        ("P1", patient_row("patients.csv:2", weight_kg="70", sex="F")),
        ("P2", patient_row("patients.csv:3", weight_kg="60")),
        ("P1", patient_row("patients.csv:4", weight_kg="90", sex="F", allergies="cobalt")),
        ("P1", patient_row("patients.csv:5", weight_kg="70")),  # a value said before: no new conflict
    ]
    said: list[HistoryProblem] = []
    path = tmp_path / "h.sqlite"
    assert write_store(path, ALL, items, said.append) == 4
    assert [str(problem) for problem in said] == [
        "patients.csv:4: weight_kg: '90' here, '70' at patients.csv:2: the patient's rows disagree, "
        "so neither value is used for P1"
    ]
    store = HistoryStore(path)
    assert store.context("P1").fields == {"sex": "F", "allergies": "cobalt"}
    assert store.context("P2").fields == {"weight_kg": "60"}


def test_a_value_repeated_as_written_otherwise_is_no_conflict(tmp_path: Path) -> None:
    items = [
        ("P1", patient_row("patients.jsonl:1", weight_kg=80, sex="F", egfr="45.0")),
        ("P1", patient_row("patients.csv:2", weight_kg="80", sex=" f ", egfr="45")),
        ("P1", patient_row("patients.csv:3", weight_kg="80.0")),
    ]
    said: list[HistoryProblem] = []
    path = tmp_path / "h.sqlite"
    write_store(path, ALL, items, said.append)
    assert said == []
    assert HistoryStore(path).context("P1").fields == {"weight_kg": 80, "sex": "F", "egfr": "45.0"}


def test_rows_without_a_source_are_located_by_the_patient(tmp_path: Path) -> None:
    said: list[HistoryProblem] = []
    items = [("P1", {"sex": "F"}), ("P1", {"sex": "M"})]
    write_store(tmp_path / "h.sqlite", ALL, items, said.append)
    assert [(problem.source, problem.field) for problem in said] == [("patient P1", "sex")]


def test_values_are_compared_as_the_order_reads_them(tmp_path: Path) -> None:
    items = [
        ("P1", patient_row("p.csv:2", weight_kg="80 kg", sex="F", pregnant="yes", birth_date="1950-01-02")),
        ("P1", patient_row("p.csv:3", weight_kg="80", sex="female", pregnant=True, birth_date="1950-01-02")),
        ("P1", patient_row("p.csv:4", creatinine_clearance_ml_min="25 mL/min", height_cm="1.8 m")),
        ("P1", patient_row("p.csv:5", creatinine_clearance_ml_min="25", height_cm="180 cm")),
    ]
    said: list[HistoryProblem] = []
    write_store(tmp_path / "h.sqlite", ALL, items, said.append)
    assert said == []
