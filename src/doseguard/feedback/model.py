"""The records the feedback store keeps: a card the service issued, and what was done with it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class Outcome(StrEnum):
    """CDS Hooks feedback ``outcome``."""

    ACCEPTED = "accepted"
    OVERRIDDEN = "overridden"


@dataclass(frozen=True)
class IssuedCard:
    """A card as issued: kept so that feedback, which names only the card's uuid, can be counted per
    rule. No patient data: the order id only as the EHR sent it."""

    uuid: str
    service_id: str
    rule_id: str | None  # None: a card that is not a rule's finding (e.g. "not checked")
    indicator: str  # info | warning | critical
    rules_version: str
    issued_at: datetime  # timezone-aware
    order_id: str | None = None


@dataclass(frozen=True)
class FeedbackItem:
    """One element of a feedback request's ``feedback`` array."""

    card: str  # the card's uuid
    outcome: Outcome
    outcome_at: datetime  # timezone-aware (``outcomeTimestamp``)
    accepted_suggestions: tuple[str, ...] = ()
    override_code: str | None = None  # overrideReason.reason.code
    override_system: str | None = None
    override_display: str | None = None
    user_comment: str | None = None
