"""Small in-process stand-ins for the parts behind the app (``service/ports.py``)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from doseguard.errors import AuthError, FeedbackStoreError
from doseguard.feedback.model import FeedbackItem, IssuedCard
from doseguard.records import InputRecord, record_ids
from doseguard.results import OrderResult, ResultError, ResultStatus


@dataclass
class RecordingSink:
    """A feedback store that keeps what it is given (``fail``: raises as a broken database does)."""

    cards: list[IssuedCard] = field(default_factory=list)
    feedback: list[tuple[str, FeedbackItem]] = field(default_factory=list)
    fail: bool = False

    def record_cards(self, cards: Sequence[IssuedCard]) -> None:
        if self.fail:
            raise FeedbackStoreError("sqlite:///x", "disk I/O error")
        self.cards.extend(cards)

    def record_feedback(self, service_id: str, items: Sequence[FeedbackItem]) -> None:
        if self.fail:
            raise FeedbackStoreError("sqlite:///x", "disk I/O error")
        self.feedback.extend((service_id, item) for item in items)


@dataclass
class TokenVerifier:
    """Accepts the bearer token ``good`` for exactly the URL it was issued for; records each call."""

    good: str = "good-token"
    calls: list[tuple[str | None, str]] = field(default_factory=list)
    may_block = True

    def verify(self, authorization: str | None, service_url: str) -> Mapping[str, Any]:
        self.calls.append((authorization, service_url))
        if authorization != f"Bearer {self.good}":
            raise AuthError("no valid bearer token")
        return {"aud": service_url}


class ScriptedEvaluator:
    """An evaluator whose results ``answer`` makes of the records (or that raises ``error``)."""

    def __init__(
        self,
        answer: Callable[[Sequence[InputRecord]], list[OrderResult]] | None = None,
        error: Exception | None = None,
        rules_version: str = "test-version",
    ) -> None:
        self.answer = answer
        self.error = error
        self.version = rules_version
        self.seen: list[list[InputRecord]] = []

    @property
    def rules_version(self) -> str:
        return self.version

    @property
    def restarts(self) -> int:
        return 0

    def ready(self) -> bool:
        return True

    async def check(self, records: Sequence[InputRecord]) -> list[OrderResult]:
        self.seen.append(list(records))
        if self.error is not None:
            raise self.error
        assert self.answer is not None
        return self.answer(records)

    def reload(self) -> None:
        return None

    async def close(self) -> None:
        return None


def error_results(records: Sequence[InputRecord]) -> list[OrderResult]:
    """What a pool answers when the worker holding the request crashed."""
    results = []
    for number, record in enumerate(records, start=1):
        order_id, patient_id = record_ids(record.data)
        crash = (ResultError(None, "evaluation failed: the worker process died (signal 11)"),)
        results.append(
            OrderResult(
                number,
                record.source,
                order_id,
                patient_id,
                ResultStatus.ERROR,
                errors=crash,
                rules_version="test-version",
            )
        )
    return results
