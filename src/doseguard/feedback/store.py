"""The feedback store: the cards the service issued and what clinicians did with them, in SQLite (the
default, a file beside the service's config) or any database SQLAlchemy reaches by URL.

Opening migrates the schema to the latest revision (:mod:`doseguard.feedback.migrate`), one process at
a time (SQLite: an immediate transaction; PostgreSQL: an advisory lock), so that the service's workers
and a ``doseguard feedback report`` run may open one database together. Every failure is a
:class:`~doseguard.errors.FeedbackStoreError` whose URL has its password hidden."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any

from alembic.util import CommandError
from sqlalchemy import URL, Connection, Engine, Table, create_engine, event, make_url, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import ArgumentError, DBAPIError, IntegrityError, NoSuchModuleError, SQLAlchemyError

from doseguard.errors import FeedbackStoreError, NewerSchemaError
from doseguard.feedback.migrate import upgrade
from doseguard.feedback.model import FeedbackItem, IssuedCard
from doseguard.feedback.tables import as_utc, feedback, issued_cards

DEFAULT_FILE = "doseguard-feedback.sqlite3"
BUSY_SECONDS = 30
"""How long a SQLite writer waits for another process's transaction before giving up."""
CONNECT_SECONDS = 10
_MIGRATION_LOCK = 0x64_6F_73_65  # PostgreSQL advisory lock key ("dose"): migrations one at a time
_PASSWORD_IN_URL = re.compile(r"(://[^:/@]*:)[^@]*@")


def default_url(base_dir: Path) -> str:
    """The default store: a SQLite file in ``base_dir`` (the service's config folder, or the working
    folder); ``doseguard serve`` and ``doseguard feedback report`` both take it from here."""
    return f"sqlite:///{(base_dir / DEFAULT_FILE).resolve()}"


def database_url(url: str) -> URL:
    """``url`` parsed, a plain ``postgresql://`` given the psycopg 3 driver."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise FeedbackStoreError(
            _PASSWORD_IN_URL.sub(r"\1***@", url),
            "not a database URL (e.g. sqlite:///feedback.sqlite3 or postgresql://user@host/db)",
        ) from None
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def shown(url: URL) -> str:
    return url.render_as_string(hide_password=True)


class FeedbackStore:
    """Issued cards and feedback, written idempotently: a card uuid or a feedback item (card, outcome
    and time) recorded twice is kept once. Feedback for a card this store never issued is kept too
    (the EHR may have called another replica); the report counts it as "unknown card"."""

    def __init__(self, engine: Engine, url: URL) -> None:
        self.engine = engine
        self._url = url
        self.url = shown(url)  # for messages: the password hidden

    @classmethod
    def open(cls, url: str, *, read_only: bool = False) -> FeedbackStore:
        """Connect, migrate to the latest schema, and make sure the database takes writes (a read-only
        file or replica is refused here, not at the first card). ``read_only``: for a reader (the
        report), whose SQLite file must exist already (it does not make an empty store) and need not
        take writes."""
        parsed = database_url(url)
        path = _sqlite_file(parsed) if parsed.get_backend_name() == "sqlite" else None
        if read_only and path is not None and not path.is_file():
            raise FeedbackStoreError(shown(parsed), "no such file (the service makes it when it starts)")
        engine = _engine(parsed)
        try:
            with engine.begin() as connection:
                if engine.dialect.name == "postgresql":
                    connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK})
                upgrade(connection)
                if not read_only:  # a write that changes nothing: refused by a read-only database
                    connection.execute(text("UPDATE alembic_version SET version_num = version_num"))
        except NewerSchemaError as error:
            engine.dispose()
            raise FeedbackStoreError(shown(parsed), str(error)) from None
        except (SQLAlchemyError, CommandError, OSError) as error:  # cannot connect, read-only, broken
            engine.dispose()
            raise FeedbackStoreError(shown(parsed), _reason(error, parsed)) from None
        return cls(engine, parsed)

    def record_cards(self, cards: Sequence[IssuedCard]) -> None:
        rows = [
            {
                "uuid": card.uuid,
                "service_id": card.service_id,
                "rule_id": card.rule_id,
                "indicator": card.indicator,
                "rules_version": card.rules_version,
                "issued_at": self._utc(card.issued_at, f"card {card.uuid}: issued_at"),
                "order_id": card.order_id,
            }
            for card in cards
        ]
        self._insert_new(issued_cards, rows, ("uuid",), lambda row: f"card {row['uuid']}")

    def record_feedback(self, service_id: str, items: Sequence[FeedbackItem]) -> None:
        received = datetime.now(UTC)
        rows = [
            {
                "card_uuid": item.card,
                "service_id": service_id,
                "outcome": item.outcome.value,
                "override_code": item.override_code,
                "override_system": item.override_system,
                "override_display": item.override_display,
                "user_comment": item.user_comment,
                "accepted_suggestions": list(item.accepted_suggestions),
                "outcome_at": self._utc(item.outcome_at, f"feedback on card {item.card}: outcome_at"),
                "received_at": received,
            }
            for item in items
        ]
        keys = ("card_uuid", "outcome", "outcome_at")
        self._insert_new(feedback, rows, keys, lambda row: f"feedback on card {row['card_uuid']}")

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> FeedbackStore:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()

    def _utc(self, moment: datetime, what: str) -> datetime:
        try:
            return as_utc(moment)
        except ValueError as error:
            raise FeedbackStoreError(self.url, f"{what} {error}") from None

    def _insert_new(
        self,
        table: Table,
        rows: list[dict[str, Any]],
        keys: tuple[str, ...],
        describe: Callable[[dict[str, Any]], str],
    ) -> None:
        """Insert the rows whose ``keys`` are not stored yet, all in one transaction or none."""
        if not rows:
            return
        for row in rows:
            for column in table.columns:
                value, length = row.get(column.name), getattr(column.type, "length", None)
                if isinstance(value, str) and length is not None and len(value) > length:
                    raise FeedbackStoreError(
                        self.url,
                        f"{describe(row)}: {column.name} is longer than {length} characters ({len(value)})",
                    )
        try:
            with self.engine.begin() as connection:
                _insert_ignoring_duplicates(connection, table, rows, keys)
        except SQLAlchemyError as error:
            raise FeedbackStoreError(self.url, _reason(error, self._url)) from None


def _insert_ignoring_duplicates(
    connection: Connection, table: Table, rows: list[dict[str, Any]], keys: tuple[str, ...]
) -> None:
    name = connection.dialect.name
    if name in ("sqlite", "postgresql"):
        dialect_insert = sqlite.insert if name == "sqlite" else postgresql.insert
        connection.execute(dialect_insert(table).on_conflict_do_nothing(index_elements=list(keys)), rows)
        return
    insert_row_by_row(connection, table, rows)


def insert_row_by_row(connection: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    """Another database's way: a savepoint per row, a duplicate rolled back alone."""
    for row in rows:
        try:
            with connection.begin_nested():
                connection.execute(table.insert(), row)
        except IntegrityError:
            continue


def _sqlite_file(url: URL) -> Path | None:
    """The file of a SQLite URL (None: in memory)."""
    database = url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database)


def _engine(url: URL) -> Engine:
    backend = url.get_backend_name()
    try:
        if backend == "sqlite":
            engine = create_engine(url, connect_args={"timeout": BUSY_SECONDS})
            event.listen(engine, "connect", _sqlite_connected)
            event.listen(engine, "begin", _sqlite_begin)
            return engine
        if backend == "postgresql":
            return create_engine(url, connect_args={"connect_timeout": CONNECT_SECONDS}, pool_pre_ping=True)
        return create_engine(url, pool_pre_ping=True)
    except NoSuchModuleError:
        raise FeedbackStoreError(shown(url), f"no SQLAlchemy dialect or driver {url.drivername!r}") from None
    except ModuleNotFoundError as error:
        extra = " (pip install 'doseguard[postgres]')" if backend == "postgresql" else ""
        raise FeedbackStoreError(shown(url), f"the driver {error.name} is not installed{extra}") from None
    except (ArgumentError, TypeError, ValueError) as error:
        raise FeedbackStoreError(shown(url), f"cannot be used: {error}") from None


def _sqlite_connected(dbapi_connection: Any, record: Any) -> None:
    """Let SQLAlchemy start transactions (pysqlite's own would defer them), write-ahead logging so
    that a reader does not wait for a writer, and foreign keys enforced."""
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(f"PRAGMA busy_timeout = {BUSY_SECONDS * 1000}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA foreign_keys = ON")
    finally:
        cursor.close()


def _sqlite_begin(connection: Connection) -> None:
    """Every transaction takes the write lock at its start, waiting (busy timeout) for another
    process's: a deferred one that later writes fails at once with "database is locked"."""
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def _reason(error: BaseException, url: URL) -> str:
    """What went wrong, in the driver's words on one line, without the password."""
    cause: BaseException = error.orig if isinstance(error, DBAPIError) and error.orig else error
    message = " ".join(str(cause).split()) or type(cause).__name__
    if url.password:
        message = message.replace(str(url.password), "***")
    return message
