"""The feedback store's schema brought to the latest revision with Alembic, run in-process on the
store's own connection; a database from a newer doseguard is refused, never downgraded or written."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection

from doseguard.errors import NewerSchemaError

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def alembic_config(connection: Connection | None = None) -> Config:
    """Alembic's configuration for our migrations, with no ini file; ``connection`` is the one to run on."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def latest_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def current_revision(connection: Connection) -> str | None:
    """The database's revision (None: never migrated)."""
    return MigrationContext.configure(connection).get_current_revision()


def upgrade(connection: Connection) -> None:
    """Migrate to the latest revision, in ``connection``'s transaction (the caller holds the lock
    that makes two processes migrate one after the other)."""
    scripts = ScriptDirectory.from_config(alembic_config())
    revision = current_revision(connection)
    known = {script.revision for script in scripts.walk_revisions()}
    if revision is not None and revision not in known:
        raise NewerSchemaError(revision, latest_revision())
    if revision != scripts.get_current_head():
        command.upgrade(alembic_config(connection), "head")


def downgrade(connection: Connection, revision: str) -> None:
    """Migrate down to ``revision`` (``"base"``: nothing left); for tests and operators."""
    command.downgrade(alembic_config(connection), revision)
