"""Override rates per rule and per override reason over a period: the alert-fatigue measure.

Counted by the database (GROUP BY), whatever the number of cards. The period is half-open,
``since <= t < until`` (either bound may be left open): cards count by ``issued_at``, feedback by its
``outcome_at`` (when the clinician acted, not when the EHR sent it)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, case, func, select
from sqlalchemy.exc import SQLAlchemyError

from doseguard.errors import FeedbackStoreError
from doseguard.feedback.model import Outcome
from doseguard.feedback.store import FeedbackStore
from doseguard.feedback.tables import as_utc, feedback, issued_cards


@dataclass(frozen=True)
class ReasonCount:
    """One override reason of a rule's overrides (``code`` None: overridden without a reason)."""

    code: str | None
    system: str | None
    display: str | None
    count: int
    share: float  # of the rule's overrides


@dataclass(frozen=True)
class RuleOverrides:
    """What was done with one rule's cards (``rule_id`` None: cards that are no rule's finding, such as
    "not checked")."""

    rule_id: str | None
    cards_issued: int
    feedback: int
    accepted: int
    overridden: int
    reasons: tuple[ReasonCount, ...] = ()

    @property
    def override_rate(self) -> float | None:
        """Overridden / (accepted + overridden); None without feedback (no rate, not a rate of 0)."""
        decided = self.accepted + self.overridden
        return self.overridden / decided if decided else None


@dataclass(frozen=True)
class OverrideReport:
    since: datetime | None
    until: datetime | None
    service_id: str | None
    rules: tuple[RuleOverrides, ...]
    unknown_card: RuleOverrides
    """Feedback on cards this store never issued (another replica's, or a wrong uuid)."""


_Key = tuple[str | None, bool]  # a rule id, and whether the card is one the store issued


def override_report(
    store: FeedbackStore, since: datetime | None, until: datetime | None, service_id: str | None = None
) -> OverrideReport:
    """Per rule: cards issued, feedback, accepted, overridden, and the overrides by reason. ``since``
    and ``until`` must be timezone-aware (or None: open)."""
    since = as_utc(since) if since is not None else None
    until = as_utc(until) if until is not None else None
    try:
        with store.engine.connect() as connection:
            issued_rows = connection.execute(_cards_issued(since, until, service_id)).all()
            outcomes = connection.execute(_outcomes(since, until, service_id)).all()
            reason_rows = connection.execute(_reasons(since, until, service_id)).all()
    except SQLAlchemyError as error:
        reason = " ".join(str(error).split())
        raise FeedbackStoreError(store.url, f"cannot read the report: {reason}") from None
    issued = {rule_id: int(count) for rule_id, count in issued_rows}
    counts: dict[_Key, dict[str, int]] = defaultdict(lambda: {"feedback": 0, "accepted": 0, "overridden": 0})
    for rule_id, known, total, accepted, overridden in outcomes:
        counts[(rule_id, bool(known))] = {
            "feedback": int(total),
            "accepted": int(accepted),
            "overridden": int(overridden),
        }
    reasons: dict[_Key, list[tuple[Any, ...]]] = defaultdict(list)
    for rule_id, known, code, system, display, count in reason_rows:
        reasons[(rule_id, bool(known))].append((code, system, display, int(count)))
    keys = {(rule_id, True) for rule_id in issued} | {key for key in counts if key[1]}
    rules = [_overrides(key, issued.get(key[0], 0), counts, reasons) for key in keys]
    rules.sort(key=lambda r: (-r.overridden, r.rule_id is None, r.rule_id or ""))
    unknown = _overrides((None, False), 0, counts, reasons)
    return OverrideReport(since, until, service_id, tuple(rules), unknown)


def _overrides(
    key: _Key, cards: int, counts: dict[_Key, dict[str, int]], reasons: dict[_Key, list[tuple[Any, ...]]]
) -> RuleOverrides:
    tally = counts.get(key, {"feedback": 0, "accepted": 0, "overridden": 0})
    overridden = tally["overridden"]
    by_reason = tuple(
        ReasonCount(code, system, display, count, count / overridden)
        for code, system, display, count in reasons.get(key, [])
    )
    return RuleOverrides(key[0], cards, tally["feedback"], tally["accepted"], overridden, by_reason)


def _within(column: Any, since: datetime | None, until: datetime | None) -> list[ColumnElement[bool]]:
    bounds: list[ColumnElement[bool]] = []
    if since is not None:
        bounds.append(column >= since)
    if until is not None:
        bounds.append(column < until)
    return bounds


def _cards_issued(since: datetime | None, until: datetime | None, service_id: str | None) -> Select[Any]:
    where = _within(issued_cards.c.issued_at, since, until)
    if service_id is not None:
        where.append(issued_cards.c.service_id == service_id)
    return select(issued_cards.c.rule_id, func.count()).where(*where).group_by(issued_cards.c.rule_id)


def _feedback_on_cards(
    since: datetime | None, until: datetime | None, service_id: str | None
) -> tuple[Any, ColumnElement[int], list[ColumnElement[bool]]]:
    """Feedback joined to the cards it names (an unknown card joins nothing), the "known" flag, and the
    period's and service's conditions."""
    joined = feedback.outerjoin(issued_cards, issued_cards.c.uuid == feedback.c.card_uuid)
    known = case((issued_cards.c.uuid.is_(None), 0), else_=1)
    where = _within(feedback.c.outcome_at, since, until)
    if service_id is not None:
        where.append(feedback.c.service_id == service_id)
    return joined, known, where


def _outcomes(since: datetime | None, until: datetime | None, service_id: str | None) -> Select[Any]:
    joined, known, where = _feedback_on_cards(since, until, service_id)

    def counted(outcome: Outcome) -> ColumnElement[int]:
        return func.sum(case((feedback.c.outcome == outcome.value, 1), else_=0))

    return (
        select(
            issued_cards.c.rule_id,
            known,
            func.count(),
            counted(Outcome.ACCEPTED),
            counted(Outcome.OVERRIDDEN),
        )
        .select_from(joined)
        .where(*where)
        .group_by(issued_cards.c.rule_id, known)
    )


def _reasons(since: datetime | None, until: datetime | None, service_id: str | None) -> Select[Any]:
    joined, known, where = _feedback_on_cards(since, until, service_id)
    count = func.count()
    return (
        select(
            issued_cards.c.rule_id,
            known,
            feedback.c.override_code,
            feedback.c.override_system,
            func.max(feedback.c.override_display),
            count,
        )
        .select_from(joined)
        .where(*where, feedback.c.outcome == Outcome.OVERRIDDEN.value)
        .group_by(issued_cards.c.rule_id, known, feedback.c.override_code, feedback.c.override_system)
        .order_by(count.desc(), feedback.c.override_code.asc().nulls_last())
    )
