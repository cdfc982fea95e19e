"""The override report on a hand-computed example, on SQLite and PostgreSQL: per rule and per reason,
over a half-open period (``since`` included, ``until`` excluded), feedback on unknown cards apart."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import event

from doseguard.feedback.report import OverrideReport, ReasonCount, RuleOverrides, override_report
from doseguard.feedback.store import FeedbackStore
from tests.helpers.feedback import SERVICE, accepted, card, overridden

NOV = datetime(2026, 11, 1, tzinfo=UTC)
DEC = datetime(2026, 12, 1, tzinfo=UTC)
SYSTEM = "https://doseguard.example/override-reasons"


def day(n: int) -> datetime:
    return NOV + timedelta(days=n - 1, hours=9)


@pytest.fixture
def store(store_url: str) -> Iterator[FeedbackStore]:
    """Cards and feedback of November 2026 and its edges (the figures below are counted by hand)."""
    with FeedbackStore.open(store_url) as opened:
        opened.record_cards(
            [
                *(card(f"a{n}", "RULE-A", at=day(n)) for n in (1, 2, 3, 4)),
                card("a5", "RULE-A", at=NOV - timedelta(minutes=1)),  # before: not counted as issued
                card("a6", "RULE-A", at=DEC),  # at `until`: excluded
                *(card(f"b{n}", "RULE-B", at=day(10)) for n in (1, 2, 3)),
                card("c1", "RULE-C", at=day(15)),  # no feedback: no rate
                card("n1", None, at=day(16)),  # a "not checked" card
            ]
        )
        opened.record_feedback(
            SERVICE,
            [
                accepted("a1", at=day(2)),
                overridden("a2", "patient-aware", at=day(3)),
                overridden("a3", "patient-aware", "Patient is aware", at=day(4)),
                overridden("a4", "benefit-outweighs-risk", at=day(5)),
                overridden("a5", None, at=NOV),  # at `since`: included (its card was issued before)
                overridden("a6", "patient-aware", at=DEC),  # at `until`: excluded
                accepted("b1", at=day(11)),
                accepted("b2", at=day(11)),
                overridden("b3", "other", at=NOV - timedelta(seconds=1)),  # before: excluded
                accepted("n1", at=day(16)),
                overridden("x1", "patient-aware", at=day(20)),  # cards no one here issued
                accepted("x2", at=day(21)),
            ],
        )
        yield opened


def test_the_report_of_a_month(store: FeedbackStore) -> None:
    report = override_report(store, NOV, DEC)

    assert report == OverrideReport(
        since=NOV,
        until=DEC,
        service_id=None,
        rules=(
            RuleOverrides(
                "RULE-A",
                cards_issued=4,
                feedback=5,
                accepted=1,
                overridden=4,
                reasons=(
                    ReasonCount("patient-aware", SYSTEM, "Patient is aware", 2, 0.5),
                    ReasonCount("benefit-outweighs-risk", SYSTEM, "Benefit outweighs risk", 1, 0.25),
                    ReasonCount(None, None, None, 1, 0.25),
                ),
            ),
            RuleOverrides("RULE-B", cards_issued=3, feedback=2, accepted=2, overridden=0),
            RuleOverrides("RULE-C", cards_issued=1, feedback=0, accepted=0, overridden=0),
            RuleOverrides(None, cards_issued=1, feedback=1, accepted=1, overridden=0),
        ),
        unknown_card=RuleOverrides(
            None,
            cards_issued=0,
            feedback=2,
            accepted=1,
            overridden=1,
            reasons=(ReasonCount("patient-aware", SYSTEM, "Patient aware", 1, 1.0),),
        ),
    )
    assert [r.override_rate for r in report.rules] == [0.8, 0.0, None, 0.0]
    assert report.unknown_card.override_rate == 0.5


def test_open_bounds_take_everything(store: FeedbackStore) -> None:
    report = override_report(store, None, None)

    rule_a = report.rules[0]
    assert (rule_a.rule_id, rule_a.cards_issued, rule_a.feedback, rule_a.overridden) == ("RULE-A", 6, 6, 5)
    assert [(r.rule_id, r.cards_issued, r.overridden) for r in report.rules[1:]] == [
        ("RULE-B", 3, 1),
        ("RULE-C", 1, 0),
        (None, 1, 0),
    ]


def test_the_bounds_are_instants_whatever_their_timezone(store: FeedbackStore) -> None:
    """`since` at 01:00+01:00 is midnight UTC: a5's feedback, at midnight UTC, is in."""
    paris = timezone(timedelta(hours=1))
    report = override_report(store, datetime(2026, 11, 1, 1, 0, tzinfo=paris), DEC)

    assert report.rules[0].feedback == 5
    assert report.since == NOV


def test_a_naive_bound_is_refused(store: FeedbackStore) -> None:
    with pytest.raises(ValueError, match="has no timezone"):
        override_report(store, datetime(2026, 11, 1), DEC)


def test_one_service_only(store: FeedbackStore) -> None:
    store.record_cards([card("s1", "RULE-A", at=day(6), service="doseguard-order-select")])
    store.record_feedback("doseguard-order-select", [overridden("s1", "other", at=day(6))])

    everything = override_report(store, NOV, DEC)
    select_only = override_report(store, NOV, DEC, service_id="doseguard-order-select")

    assert everything.rules[0].overridden == 5
    assert select_only.service_id == "doseguard-order-select"
    assert select_only.rules == (
        RuleOverrides(
            "RULE-A",
            cards_issued=1,
            feedback=1,
            accepted=0,
            overridden=1,
            reasons=(ReasonCount("other", SYSTEM, "Other", 1, 1.0),),
        ),
    )
    assert select_only.unknown_card == RuleOverrides(None, 0, 0, 0, 0)


def test_an_empty_store_gives_an_empty_report(store_url: str) -> None:
    with FeedbackStore.open(store_url) as empty:
        report = override_report(empty, NOV, DEC)
    assert report.rules == ()
    assert report.unknown_card == RuleOverrides(None, 0, 0, 0, 0)


def test_the_database_does_the_counting(store: FeedbackStore) -> None:
    """Every query groups; what comes back is one row per rule or reason, not one per card."""
    statements: list[str] = []

    def seen(connection: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    event.listen(store.engine, "after_cursor_execute", seen)
    try:
        override_report(store, NOV, DEC)
    finally:
        event.remove(store.engine, "after_cursor_execute", seen)

    queries = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    assert len(queries) == 3
    assert all("GROUP BY" in query for query in queries)
