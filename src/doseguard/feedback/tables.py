"""The feedback store's tables (SQLAlchemy Core), the schema the migrations build: a test compares the two.

Times are kept in UTC and read back timezone-aware on every database: PostgreSQL keeps them in
``timestamptz``, SQLite (which has no time type) as UTC text that sorts as time does."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Column,
    DateTime,
    Dialect,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.types import TypeDecorator

# Constraint names fixed by convention, so that a migration and the models name them alike.
metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "pk": "pk_%(table_name)s",
    }
)


def as_utc(moment: datetime) -> datetime:
    """``moment`` in UTC; a time without a timezone is refused (it could be any of 26 hours)."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{moment.isoformat()} has no timezone")
    return moment.astimezone(UTC)


class UtcDateTime(TypeDecorator[datetime]):
    """A timezone-aware time stored in UTC, read back aware (UTC) on SQLite and PostgreSQL alike."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        utc = as_utc(value)
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


OUTCOMES = ("accepted", "overridden")

issued_cards = Table(
    "issued_cards",
    metadata,
    Column("uuid", String(64), primary_key=True),
    Column("service_id", String(200), nullable=False),
    Column("rule_id", String(200), nullable=True),  # None: a card that is no rule's finding ("not checked")
    Column("indicator", String(16), nullable=False),
    Column("rules_version", String(200), nullable=False),
    Column("issued_at", UtcDateTime(), nullable=False),
    Column("order_id", String(200), nullable=True),
    Index(None, "issued_at"),
)

feedback = Table(
    "feedback",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    # No foreign key to issued_cards: feedback may name a card another replica issued, and is kept.
    Column("card_uuid", String(64), nullable=False),
    Column("service_id", String(200), nullable=False),
    Column("outcome", String(16), nullable=False),
    Column("override_code", String(200), nullable=True),
    Column("override_system", String(500), nullable=True),
    Column("override_display", Text, nullable=True),
    Column("user_comment", Text, nullable=True),
    Column("accepted_suggestions", JSON, nullable=False),
    Column("outcome_at", UtcDateTime(), nullable=False),
    Column("received_at", UtcDateTime(), nullable=False),
    CheckConstraint("outcome IN ('accepted', 'overridden')", name="outcome"),
    # The same feedback sent twice (an EHR's retry) is kept once.
    UniqueConstraint("card_uuid", "outcome", "outcome_at"),
    Index(None, "outcome_at"),
)
