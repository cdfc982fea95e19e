"""The on-disk history store: what goes in comes out per patient, sorted by time, with the run's
kinds, read-only for the workers, in a private folder removed after the run."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from doseguard.errors import HistoryProblem, HistoryStoreError
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


def test_many_patients_are_written_in_batches_and_packed_one_row_per_patient_and_kind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(history_store, "BATCH", 7)
    path = tmp_path / "h.sqlite"
    items = [(f"P{n % 100}", dose(n % 30)) for n in range(1000)]
    assert write_store(path, ALL, items) == 1000
    store = HistoryStore(path, cache=3)
    assert all(len(store.context(f"P{n}").administrations) == 10 for n in range(100))
    connection = sqlite3.connect(path)
    assert connection.execute("SELECT count(*) FROM packed").fetchone() == (100,)
    assert "items" not in str(connection.execute("SELECT name FROM sqlite_master").fetchall())


def test_workers_open_it_read_only(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite"
    write_store(path, ALL, [("P1", dose(0))])
    store = HistoryStore(path)
    with pytest.raises(sqlite3.OperationalError, match="readonly"):
        store._connection.execute("DELETE FROM packed")


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


def test_a_patients_rows_are_read_by_the_primary_key(tmp_path: Path) -> None:
    """A patient's packed rows sit side by side in the table's own order (WITHOUT ROWID): one search."""
    path = tmp_path / "h.sqlite"
    write_store(path, ALL, [("P1", dose(0))])
    store = HistoryStore(path)
    plan = sqlite3.connect(path).execute(f"EXPLAIN QUERY PLAN {store._query}", ("P1",)).fetchall()
    assert "USING PRIMARY KEY" in str(plan)


def test_times_come_back_exact_in_their_own_zone(tmp_path: Path) -> None:
    """Stored as integer microseconds and an offset: the same instant, the same fixed-offset zone
    (seconds and microseconds of offset too), for administrations, results and other orders."""
    odd = timezone(timedelta(hours=-3, minutes=-30, seconds=-7, microseconds=-250))
    times = [
        datetime(2026, 3, 1, 9, 0, 0, 123457, tzinfo=timezone(timedelta(hours=5, minutes=30))),
        datetime(2199, 12, 31, 23, 59, 59, 999999, tzinfo=odd),
        datetime(1900, 1, 1, tzinfo=UTC),
    ]
    doses = [Administration("cyanocobalamin", at, AdministrationStatus.REFUSED, None, 2.5, None, "m:1")
             for at in times]  # fmt: skip
    labs = [LabResult("haemoglobin", -0.0, at, "g/dL", "l:1") for at in times]
    orders = [OtherOrder("cyanocobalamin", None, None, False, 3, at) for at in times]
    path = tmp_path / "h.sqlite"
    write_store(path, ALL | {HistoryKind.ORDERS}, [("P1", item) for item in (*doses, *labs, *orders)])
    context = HistoryStore(path).context("P1")
    by_time = sorted(range(3), key=lambda index: times[index])
    assert tuple(context.administrations) == tuple(doses[index] for index in by_time)
    assert tuple(context.labs) == tuple(labs[index] for index in by_time)
    assert tuple(context.orders) == tuple(orders)
    for read, written in zip(context.administrations, (doses[index] for index in by_time), strict=True):
        assert read.given_at.utcoffset() == written.given_at.utcoffset()
    assert str(context.labs[0].value) == "-0.0"


def test_a_store_of_another_format_is_refused_with_what_it_is(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite"
    write_store(path, ALL, [("P1", dose(0))])
    connection = sqlite3.connect(path)
    connection.execute("UPDATE meta SET format = 1")
    connection.commit()
    with pytest.raises(HistoryStoreError) as refused:
        HistoryStore(path)
    assert (refused.value.found, refused.value.expected) == (1, history_store.FORMAT)
    assert "of format 1; this doseguard reads format 2 only" in str(refused.value)
    old = tmp_path / "old.sqlite"  # the first layout: one row per item, meta without a format
    connection = sqlite3.connect(old)
    connection.execute("CREATE TABLE meta (kinds TEXT NOT NULL)")
    connection.execute("INSERT INTO meta VALUES ('labs')")
    connection.commit()
    with pytest.raises(HistoryStoreError, match="states no format") as refused:
        HistoryStore(old)
    assert refused.value.found is None and refused.value.path == str(old)
    (tmp_path / "junk.sqlite").write_bytes(b"not a database at all, not even close to one" * 4)
    with pytest.raises(HistoryStoreError, match="not readable as a store of format 2"):
        HistoryStore(tmp_path / "junk.sqlite")


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


def test_a_store_that_is_not_there_is_refused_naming_it(tmp_path: Path) -> None:
    """A missing store (a Spark executor's copy removed) failed with sqlite's 'unable to open
    database file', naming no file."""
    path = tmp_path / "gone.sqlite"
    with pytest.raises(HistoryStoreError, match=r"gone\.sqlite: .*no such file") as refused:
        HistoryStore(path)
    assert refused.value.path == str(path)
