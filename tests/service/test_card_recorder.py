"""The card recorder: cards queued by requests and written behind the answers, many requests in one
commit, none lost at shutdown, a failure costing only its own request's cards. Gated sinks hold the
writer at known points, so nothing here depends on timing."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pytest

from doseguard.errors import FeedbackStoreError
from doseguard.feedback.model import IssuedCard
from doseguard.feedback.store import FeedbackStore
from doseguard.feedback.tables import issued_cards
from doseguard.service.card_recorder import CardRecorder

NOW = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)


def cards(*uuids: str) -> list[IssuedCard]:
    return [IssuedCard(uuid, "doseguard-order-sign", "B12-ROUTE", "warning", "v1", NOW) for uuid in uuids]


@dataclass
class GatedSink:
    """Records each ``record_cards`` call; the first waits for ``gate`` (the writer held up while
    more requests queue their cards). A card whose uuid starts with ``bad`` fails the call, as a card
    the database refuses does; one starting with ``bug`` raises something unexpected."""

    gate: threading.Event = field(default_factory=threading.Event)
    entered: threading.Event = field(default_factory=threading.Event)
    calls: list[list[str]] = field(default_factory=list)

    def record_cards(self, given: Sequence[IssuedCard]) -> None:
        self.entered.set()
        self.gate.wait()
        uuids = [card.uuid for card in given]
        if any(uuid.startswith("bug") for uuid in uuids):
            raise RuntimeError("a bug")
        if any(uuid.startswith("bad") for uuid in uuids):
            raise FeedbackStoreError("sqlite:///x", "value too long")
        self.calls.append(uuids)

    def record_feedback(self, service_id: str, items: object) -> None:
        raise AssertionError("not used")

    @property
    def written(self) -> list[str]:
        return [uuid for call in self.calls for uuid in call]


def test_requests_queued_while_a_write_runs_share_the_next_commit() -> None:
    sink = GatedSink()
    recorder = CardRecorder(sink)
    recorder.record(cards("a1", "a2"))
    assert sink.entered.wait(30)  # the writer holds a1, a2 and waits at the gate
    recorder.record(cards("b1"))
    recorder.record(cards("c1", "c2"))
    sink.gate.set()
    recorder.flush()
    assert sink.calls == [["a1", "a2"], ["b1", "c1", "c2"]]
    recorder.close()


def test_close_writes_everything_queued_before_it_returns() -> None:
    sink = GatedSink()
    recorder = CardRecorder(sink)
    recorder.record(cards("a1"))
    assert sink.entered.wait(30)
    recorder.record(cards("b1", "b2"))
    closing = threading.Thread(target=recorder.close)
    closing.start()
    sink.gate.set()
    closing.join(30)
    assert not closing.is_alive() and sink.written == ["a1", "b1", "b2"]


def test_cards_after_close_are_written_by_their_caller() -> None:
    sink = GatedSink()
    sink.gate.set()
    recorder = CardRecorder(sink)
    recorder.close()  # never started: nothing to wait for
    recorder.record(cards("late"))
    assert sink.calls == [["late"]]


def test_a_batch_that_fails_is_written_request_by_request_losing_only_the_bad_one(
    caplog: pytest.LogCaptureFixture,
) -> None:
    sink = GatedSink()
    recorder = CardRecorder(sink)
    recorder.record(cards("a1"))
    assert sink.entered.wait(30)
    recorder.record(cards("b1"))
    recorder.record(cards("bad1", "b2"))
    recorder.record(cards("c1"))
    sink.gate.set()
    recorder.flush()
    assert sink.calls == [["a1"], ["b1"], ["c1"]]
    assert "cards not recorded for feedback: feedback database sqlite:///x: value too long" in caplog.text
    recorder.close()


def test_an_unexpected_error_is_logged_and_the_writer_goes_on(caplog: pytest.LogCaptureFixture) -> None:
    sink = GatedSink()
    sink.gate.set()
    recorder = CardRecorder(sink)
    recorder.record(cards("bug1"))
    recorder.flush()
    recorder.record(cards("a1"))
    recorder.flush()
    assert sink.calls == [["a1"]] and "RuntimeError: a bug" in caplog.text
    recorder.close()


def test_past_the_limit_a_request_s_cards_are_dropped_and_said(caplog: pytest.LogCaptureFixture) -> None:
    sink = GatedSink()
    recorder = CardRecorder(sink, max_pending=3)
    recorder.record(cards("a1", "a2"))
    assert sink.entered.wait(30)
    recorder.record(cards("b1", "b2"))  # 4 > 3: dropped
    recorder.record(cards("c1"))
    sink.gate.set()
    recorder.close()
    assert sink.written == ["a1", "a2", "c1"]
    assert "cards not recorded for feedback: 2 cards wait for the database already" in caplog.text


def test_in_a_real_store_every_card_is_there_after_close(tmp_path: Path) -> None:
    store = FeedbackStore.open(f"sqlite:///{tmp_path / 'feedback.sqlite3'}")
    recorder = CardRecorder(store)
    for number in range(50):
        recorder.record(cards(f"r{number}-1", f"r{number}-2"))
    recorder.close()
    with store.engine.connect() as connection:
        stored = {row.uuid for row in connection.execute(issued_cards.select())}
    store.close()
    assert stored == {f"r{number}-{k}" for number in range(50) for k in (1, 2)}


def test_cards_queued_while_the_writer_lingers_share_its_commit_and_flush_cuts_it_short() -> None:
    sink = GatedSink()
    sink.gate.set()
    recorder = CardRecorder(sink, linger=3600)  # only flush() or close() ends the wait
    recorder.record(cards("a1"))
    recorder.record(cards("b1", "b2"))
    recorder.flush()
    assert sink.calls == [["a1", "b1", "b2"]]
    recorder.record(cards("c1"))
    closing = threading.Thread(target=recorder.close)
    closing.start()
    closing.join(30)  # a bound for a hang: close() does not wait out the linger
    assert not closing.is_alive() and sink.calls == [["a1", "b1", "b2"], ["c1"]]
