"""The feedback store on SQLite and PostgreSQL: what is recorded is read back as it was, idempotently,
with its times' instants kept; every failure a FeedbackStoreError without the password."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import text

from doseguard.errors import FeedbackStoreError
from doseguard.feedback.model import FeedbackItem, Outcome
from doseguard.feedback.store import DEFAULT_FILE, FeedbackStore, database_url, default_url, insert_row_by_row
from doseguard.feedback.tables import feedback, issued_cards
from tests.helpers.feedback import SERVICE, T0, accepted, card, overridden, stored
from tests.helpers.postgres import Cluster


@pytest.fixture
def store(store_url: str) -> FeedbackStore:
    opened = FeedbackStore.open(store_url)
    yield opened  # type: ignore[misc]
    opened.close()


def test_cards_and_feedback_are_read_back_as_recorded(store: FeedbackStore) -> None:
    store.record_cards([card("c1"), card("c2", None)])
    store.record_feedback(SERVICE, [accepted("c1", suggestions=("s1", "s2")), overridden("c2")])

    assert stored(store, issued_cards) == [
        {
            "uuid": "c1",
            "service_id": SERVICE,
            "rule_id": "B12-DOSE",
            "indicator": "warning",
            "rules_version": "packs-1",
            "issued_at": T0,
            "order_id": "order-c1",
        },
        {
            "uuid": "c2",
            "service_id": SERVICE,
            "rule_id": None,
            "indicator": "warning",
            "rules_version": "packs-1",
            "issued_at": T0,
            "order_id": "order-c2",
        },
    ]
    rows = stored(store, feedback)
    received = [row.pop("received_at") for row in rows]
    assert [row.pop("id") for row in rows] == sorted(row_id for row_id in [1, 2])
    assert rows == [
        {
            "card_uuid": "c1",
            "service_id": SERVICE,
            "outcome": "accepted",
            "override_code": None,
            "override_system": None,
            "override_display": None,
            "user_comment": None,
            "accepted_suggestions": ["s1", "s2"],
            "outcome_at": T0,
        },
        {
            "card_uuid": "c2",
            "service_id": SERVICE,
            "outcome": "overridden",
            "override_code": "patient-aware",
            "override_system": "https://doseguard.example/override-reasons",
            "override_display": "Patient aware",
            "user_comment": "discussed with the patient",
            "accepted_suggestions": [],
            "outcome_at": T0,
        },
    ]
    now = datetime.now(UTC)
    assert all(now - timedelta(minutes=5) < moment <= now for moment in received)


def test_a_card_recorded_twice_is_kept_once_as_first_recorded(store: FeedbackStore) -> None:
    store.record_cards([card("c1", "FIRST")])
    store.record_cards([card("c1", "SECOND"), card("c2")])
    store.record_cards([card("c3"), card("c3")])  # twice in one call too

    assert [(row["uuid"], row["rule_id"]) for row in stored(store, issued_cards)] == [
        ("c1", "FIRST"),
        ("c2", "B12-DOSE"),
        ("c3", "B12-DOSE"),
    ]


def test_the_same_feedback_sent_twice_is_kept_once(store: FeedbackStore) -> None:
    store.record_cards([card("c1")])
    store.record_feedback(SERVICE, [overridden("c1")])
    store.record_feedback(SERVICE, [overridden("c1"), overridden("c1", at=T0 + timedelta(hours=1))])

    assert [row["outcome_at"] for row in stored(store, feedback)] == [T0, T0 + timedelta(hours=1)]


def test_feedback_on_a_card_the_store_never_issued_is_kept(store: FeedbackStore) -> None:
    store.record_feedback(SERVICE, [accepted("issued-by-another-replica")])

    assert [row["card_uuid"] for row in stored(store, feedback)] == ["issued-by-another-replica"]
    assert stored(store, issued_cards) == []


def test_times_keep_their_instant_and_read_back_in_utc(store: FeedbackStore) -> None:
    paris = timezone(timedelta(hours=1))
    issued = datetime(2026, 11, 30, 23, 30, 0, 123456, tzinfo=paris)
    acted = datetime(2026, 12, 1, 0, 15, tzinfo=timezone(timedelta(hours=-5)))
    store.record_cards([card("c1", at=issued)])
    store.record_feedback(SERVICE, [accepted("c1", at=acted)])

    [card_row] = stored(store, issued_cards)
    [feedback_row] = stored(store, feedback)
    assert card_row["issued_at"] == issued
    assert card_row["issued_at"].utcoffset() == timedelta(0)
    assert card_row["issued_at"].isoformat() == "2026-11-30T22:30:00.123456+00:00"
    assert feedback_row["outcome_at"].isoformat() == "2026-12-01T05:15:00+00:00"


def test_a_time_without_a_timezone_is_refused_and_nothing_is_written(store: FeedbackStore) -> None:
    naive = datetime(2026, 11, 1, 12, 0)
    with pytest.raises(FeedbackStoreError, match=r"card c2: issued_at 2026-11-01T12:00:00 has no timezone"):
        store.record_cards([card("c1"), card("c2", at=naive)])
    with pytest.raises(FeedbackStoreError, match=r"feedback on card c1: outcome_at .* has no timezone"):
        store.record_feedback(SERVICE, [FeedbackItem("c1", Outcome.ACCEPTED, naive)])

    assert stored(store, issued_cards) == []
    assert stored(store, feedback) == []


def test_nothing_to_record_is_no_error(store: FeedbackStore) -> None:
    store.record_cards([])
    store.record_feedback(SERVICE, [])

    assert stored(store, issued_cards) == []


def test_a_store_opened_again_keeps_what_it_held(store_url: str) -> None:
    with FeedbackStore.open(store_url) as first:
        first.record_cards([card("c1")])
    with FeedbackStore.open(store_url) as again:
        assert [row["uuid"] for row in stored(again, issued_cards)] == ["c1"]


# --- URLs and failures -------------------------------------------------------------------------------


def test_the_default_store_is_a_sqlite_file_in_the_folder_given(tmp_path: Path) -> None:
    assert default_url(tmp_path) == f"sqlite:///{tmp_path.resolve() / DEFAULT_FILE}"
    with FeedbackStore.open(default_url(tmp_path)):
        pass
    assert (tmp_path / DEFAULT_FILE).is_file()


def test_a_plain_postgresql_url_gets_the_psycopg_driver() -> None:
    assert database_url("postgresql://u:p@db/feedback").drivername == "postgresql+psycopg"
    assert database_url("postgresql+psycopg://u@db/feedback").drivername == "postgresql+psycopg"
    assert database_url("sqlite:///x.sqlite3").drivername == "sqlite"


def test_what_is_not_a_url_is_refused_with_its_password_hidden() -> None:
    with pytest.raises(FeedbackStoreError) as raised:
        FeedbackStore.open("feedback://user:hunter2@")
    assert "hunter2" not in str(raised.value)
    with pytest.raises(FeedbackStoreError, match="not a database URL"):
        FeedbackStore.open("just a file name")


def test_an_unknown_database_kind_is_refused() -> None:
    with pytest.raises(FeedbackStoreError, match="no SQLAlchemy dialect or driver 'nosuchdb'"):
        FeedbackStore.open("nosuchdb://user:hunter2@host/db")


def test_an_unreachable_server_is_said_with_the_password_hidden() -> None:
    with pytest.raises(FeedbackStoreError) as raised:
        FeedbackStore.open("postgresql://doseguard:hunter2@127.0.0.1:1/feedback")
    message = str(raised.value)
    assert message.startswith("feedback database postgresql+psycopg://doseguard:***@127.0.0.1:1/feedback: ")
    assert "refused" in message
    assert "hunter2" not in message


def test_a_wrong_password_is_said_without_either_password(postgres_cluster: Cluster) -> None:
    url = postgres_cluster.new_database().replace("s3cret-pg-password", "wrong-password")
    with pytest.raises(FeedbackStoreError, match="password authentication failed") as raised:
        FeedbackStore.open(url)
    assert "wrong-password" not in str(raised.value)
    assert "s3cret" not in str(raised.value)


def test_a_missing_folder_is_said(tmp_path: Path) -> None:
    with pytest.raises(FeedbackStoreError, match="unable to open database file"):
        FeedbackStore.open(f"sqlite:///{tmp_path / 'no-such-folder' / 'feedback.sqlite3'}")


def test_a_report_does_not_make_a_store_where_there_is_none(tmp_path: Path) -> None:
    path = tmp_path / "feedback.sqlite3"
    with pytest.raises(
        FeedbackStoreError, match=r"feedback.sqlite3: no such file \(the service makes it when it starts\)"
    ):
        FeedbackStore.open(f"sqlite:///{path}", read_only=True)
    assert not path.exists()


def test_a_database_opened_read_only_is_said(tmp_path: Path) -> None:
    path = tmp_path / "feedback.sqlite3"
    FeedbackStore.open(f"sqlite:///{path}").close()
    read_only = f"sqlite:///file:{path}?mode=ro&uri=true"
    with pytest.raises(FeedbackStoreError, match="attempt to write a readonly database"):
        FeedbackStore.open(read_only)
    FeedbackStore.open(read_only, read_only=True).close()  # a reader may


READ_ONLY_OPEN = """
import os, sqlite3, sys  # sqlite3 imported first: nobody cannot read the Python installation
from doseguard.errors import FeedbackStoreError
from doseguard.feedback.store import FeedbackStore
if os.geteuid() == 0:
    os.setuid(65534)  # nobody: permissions do not stop root
try:
    FeedbackStore.open(sys.argv[1])
except FeedbackStoreError as error:
    print(error)
    sys.exit(3)
"""


def test_a_read_only_file_is_said() -> None:
    """The file's permissions, not the driver's mode (in a child that is not root when the tests are,
    since permissions do not stop root)."""
    folder = Path(tempfile.mkdtemp(prefix="doseguard-read-only-"))
    try:
        path = folder / "feedback.sqlite3"
        FeedbackStore.open(f"sqlite:///{path}").close()
        path.chmod(0o444)
        folder.chmod(0o555)
        command = [sys.executable, "-c", READ_ONLY_OPEN, f"sqlite:///{path}"]
        done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    finally:
        folder.chmod(0o755)
        shutil.rmtree(folder)

    assert done.returncode == 3, done.stderr
    assert done.stdout.startswith(f"feedback database sqlite:///{path}: ")
    assert "readonly database" in done.stdout


def test_sqlite_is_opened_for_several_processes(tmp_path: Path) -> None:
    with (
        FeedbackStore.open(f"sqlite:///{tmp_path / 'f.sqlite3'}") as store,
        store.engine.connect() as connection,
    ):
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30_000
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_a_store_error_on_write_is_a_feedback_store_error(tmp_path: Path) -> None:
    path = tmp_path / "f.sqlite3"
    with FeedbackStore.open(f"sqlite:///{path}") as store:
        with store.engine.begin() as connection:
            connection.execute(text("DROP TABLE issued_cards"))
        with pytest.raises(FeedbackStoreError, match="no such table: issued_cards"):
            store.record_cards([card("c1")])
    assert sqlite3.connect(path).execute("SELECT count(*) FROM feedback").fetchone() == (0,)


def test_a_postgresql_session_in_another_timezone_reads_the_same_instants_in_utc(
    postgres_cluster: Cluster,
) -> None:
    url = postgres_cluster.new_database() + "?options=-c%20timezone%3DAsia/Tokyo"
    issued = datetime(2026, 11, 30, 23, 30, tzinfo=UTC)
    with FeedbackStore.open(url) as store:
        with store.engine.connect() as connection:
            assert connection.exec_driver_sql("SHOW timezone").scalar() == "Asia/Tokyo"
        store.record_cards([card("c1", at=issued)])
        [row] = stored(store, issued_cards)
    assert row["issued_at"] == issued
    assert row["issued_at"].tzinfo is UTC


def test_threads_of_one_process_writing_at_once_lose_nothing(store: FeedbackStore) -> None:
    """The service records from several threads (its request handlers) through one store."""

    def write(name: str) -> None:
        for n in range(25):
            store.record_cards([card(f"{name}-{n}")])
            store.record_feedback(SERVICE, [accepted(f"{name}-{n}")])

    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(write, ["t1", "t2", "t3", "t4"]))

    assert len(stored(store, issued_cards)) == 100
    assert len(stored(store, feedback)) == 100


def test_another_databases_way_keeps_a_duplicate_once_too(store: FeedbackStore) -> None:
    """The row-by-row insert a database without ON CONFLICT gets, run here on ours."""
    rows = [
        {
            "uuid": uuid,
            "service_id": SERVICE,
            "rule_id": "R",
            "indicator": "info",
            "rules_version": "v1",
            "issued_at": T0,
        }
        for uuid in ("c1", "c2", "c1")
    ]
    with store.engine.begin() as connection:
        insert_row_by_row(connection, issued_cards, rows)

    assert [row["uuid"] for row in stored(store, issued_cards)] == ["c1", "c2"]


def test_a_value_longer_than_its_column_is_refused_alike_on_every_database(store: FeedbackStore) -> None:
    """SQLite would keep it and PostgreSQL refuse the whole request in its own words: both say which."""
    with pytest.raises(FeedbackStoreError, match=r"card c1: rule_id is longer than 200 characters \(201\)$"):
        store.record_cards([card("c1", "R" * 201)])
    long_code = FeedbackItem("c1", Outcome.OVERRIDDEN, T0, override_code="x" * 201)
    with pytest.raises(FeedbackStoreError, match=r"feedback on card c1: override_code is longer than 200"):
        store.record_feedback(SERVICE, [long_code])

    assert stored(store, issued_cards) == []
    assert stored(store, feedback) == []
