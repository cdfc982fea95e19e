"""Alembic's environment for the feedback store: run by :func:`doseguard.feedback.migrate.upgrade` on the
connection the store opened (in its transaction, under its lock), or by the ``alembic`` command with
``sqlalchemy.url`` set in its configuration."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection, create_engine

from doseguard.feedback.tables import metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        transactional_ddl=True,  # SQLite's DDL is transactional too: a failed step leaves nothing behind
        render_as_batch=connection.dialect.name == "sqlite",  # ALTER TABLE as SQLite can take it
    )
    with context.begin_transaction():
        context.run_migrations()


given = context.config.attributes.get("connection")
if isinstance(given, Connection):
    _run(given)
else:
    engine = create_engine(context.config.get_main_option("sqlalchemy.url") or "")
    with engine.begin() as connection:
        _run(connection)
    engine.dispose()
