"""Feedback end to end: a card issued by the real server on loopback, the EHR's feedback on it, both
stored in the database (SQLite and a real PostgreSQL), and the override rate read back by the report."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from doseguard.feedback.report import override_report
from doseguard.feedback.store import FeedbackStore
from tests.service.fhir_data import full_prefetch, hook_request, medication_request
from tests.service.live import ServiceFactory
from tests.service.responses import SIGN, cards_of

FEEDBACK = "/cds-services/doseguard-order-sign/feedback"


@pytest.fixture
def store(store_url: str) -> Iterator[FeedbackStore]:
    opened = FeedbackStore.open(store_url)
    yield opened
    opened.close()


def test_a_card_overridden_in_the_ehr_is_counted_per_rule_and_reason(
    service: ServiceFactory, store: FeedbackStore
) -> None:
    app = service(feedback=store)
    body = hook_request("order-sign", medication_request("MR-1", route="IV"), prefetch=full_prefetch())
    (card,) = [
        c for c in cards_of(app.client.post(SIGN, json=body)) if c["source"]["topic"]["code"] == "B12-ROUTE"
    ]
    reason = card["overrideReasons"][0]
    feedback = {
        "feedback": [
            {
                "card": card["uuid"],
                "outcome": "overridden",
                "overrideReason": {"reason": reason, "userComment": "deep SC intended"},
                "outcomeTimestamp": "2026-12-03T10:00:00Z",
            }
        ]
    }
    assert app.client.post(FEEDBACK, json=feedback).status_code == 200
    app.cards_recorded()

    report = override_report(store, None, None)
    (route,) = [rule for rule in report.rules if rule.rule_id == "B12-ROUTE"]
    assert (route.cards_issued, route.feedback, route.accepted, route.overridden) == (1, 1, 0, 1)
    assert route.override_rate == 1.0
    assert [(count.code, count.count) for count in route.reasons] == [(reason["code"], 1)]
    assert report.unknown_card.feedback == 0
