"""The migrations: they build the schema the models declare, go down to nothing and up again, and a
database from a newer doseguard is refused without being touched."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import Engine

from doseguard.errors import FeedbackStoreError
from doseguard.feedback.migrate import alembic_config, current_revision, downgrade, latest_revision, upgrade
from doseguard.feedback.store import FeedbackStore, database_url
from doseguard.feedback.tables import feedback, issued_cards, metadata
from tests.helpers.feedback import SERVICE, accepted, card, stored


def _engine(url: str) -> Engine:
    return create_engine(database_url(url))


def _tables(engine: Engine) -> set[str]:
    return set(inspect(engine).get_table_names())


def test_opening_an_empty_database_migrates_it_to_the_latest_revision(store_url: str) -> None:
    FeedbackStore.open(store_url).close()

    engine = _engine(store_url)
    assert _tables(engine) == {"alembic_version", "issued_cards", "feedback"}
    with engine.connect() as connection:
        assert current_revision(connection) == latest_revision()
    engine.dispose()


def test_the_migrations_build_the_schema_the_models_declare(store_url: str) -> None:
    """What ``alembic check`` does: autogenerate finds nothing to change."""
    FeedbackStore.open(store_url).close()

    engine = _engine(store_url)
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), metadata)
    engine.dispose()
    assert differences == []


def test_the_comparison_sees_a_difference_when_there_is_one(store_url: str) -> None:
    """The check above can fail: a column the models have and the database lacks is found."""
    FeedbackStore.open(store_url).close()
    engine = _engine(store_url)
    with engine.begin() as connection:
        connection.execute(text("ALTER TABLE issued_cards DROP COLUMN order_id"))
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), metadata)
    engine.dispose()
    assert [(d[0], d[3].name) for d in differences] == [("add_column", "order_id")]


def test_downgrade_to_base_and_up_again(store_url: str) -> None:
    FeedbackStore.open(store_url).close()
    engine = _engine(store_url)
    with engine.begin() as connection:
        downgrade(connection, "base")
    assert _tables(engine) == {"alembic_version"}
    with engine.begin() as connection:
        assert current_revision(connection) is None
        upgrade(connection)
    assert _tables(engine) == {"alembic_version", "issued_cards", "feedback"}
    engine.dispose()

    with FeedbackStore.open(store_url) as store:
        store.record_cards([card("c1")])
        store.record_feedback(SERVICE, [accepted("c1")])
        assert len(stored(store, issued_cards)) == len(stored(store, feedback)) == 1


def test_a_database_from_a_newer_doseguard_is_refused_and_left_alone(store_url: str) -> None:
    FeedbackStore.open(store_url).close()
    engine = _engine(store_url)
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '9999'"))

    with pytest.raises(FeedbackStoreError) as raised:
        FeedbackStore.open(store_url)
    assert str(raised.value).endswith(
        f": its schema (revision 9999) is newer than this doseguard knows (latest {latest_revision()}): "
        "upgrade doseguard to use it"
    )
    with engine.connect() as connection:
        assert current_revision(connection) == "9999"
    assert _tables(engine) == {"alembic_version", "issued_cards", "feedback"}
    engine.dispose()


def test_the_migrations_run_by_url_as_the_alembic_command_runs_them(tmp_path: Path) -> None:
    """env.py without a connection given (``alembic upgrade head`` with ``sqlalchemy.url`` set)."""
    url = f"sqlite:///{tmp_path / 'feedback.sqlite3'}"
    config = alembic_config()
    config.set_main_option("sqlalchemy.url", url)
    command.upgrade(config, "head")

    engine = _engine(url)
    with engine.connect() as connection:
        assert current_revision(connection) == latest_revision()
    engine.dispose()
