"""Issued cards and feedback items for the feedback store's tests, and the rows a store holds."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Table, select

from doseguard.feedback.model import FeedbackItem, IssuedCard, Outcome
from doseguard.feedback.store import FeedbackStore

T0 = datetime(2026, 11, 1, tzinfo=UTC)
SERVICE = "doseguard-order-sign"


def card(
    uuid: str, rule_id: str | None = "B12-DOSE", *, at: datetime = T0, service: str = SERVICE
) -> IssuedCard:
    return IssuedCard(uuid, service, rule_id, "warning", "packs-1", at, order_id=f"order-{uuid}")


def accepted(uuid: str, *, at: datetime = T0, suggestions: tuple[str, ...] = ()) -> FeedbackItem:
    return FeedbackItem(uuid, Outcome.ACCEPTED, at, accepted_suggestions=suggestions)


def overridden(
    uuid: str, code: str | None = "patient-aware", display: str | None = None, *, at: datetime = T0
) -> FeedbackItem:
    return FeedbackItem(
        uuid,
        Outcome.OVERRIDDEN,
        at,
        override_code=code,
        override_system="https://doseguard.example/override-reasons" if code else None,
        override_display=display or (code.replace("-", " ").capitalize() if code else None),
        user_comment="discussed with the patient" if code else None,
    )


def stored(store: FeedbackStore, table: Table) -> list[dict[str, Any]]:
    """Every row of ``table``, as mappings, in insertion order (the primary key's)."""
    with store.engine.connect() as connection:
        rows = connection.execute(select(table).order_by(*table.primary_key.columns)).mappings().all()
    return [dict(row) for row in rows]
