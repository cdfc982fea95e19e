"""Issued cards written to the feedback store behind the answers, by group commit.

A commit per request (and a thread hop to make it) was a large share of the web process's CPU under
load (docs/performance.md, service). Here a request only queues its cards (no I/O, no thread hop: it
is called on the event loop), and one writer thread writes everything queued since its last write in
one transaction, after lingering a moment for more: many requests share a commit. A card is in the
store a moment after its answer, not before: feedback on it that arrives first is kept all the same
(the store keeps feedback on cards it has not seen, and the report joins them when it runs).

Nothing queued is lost at shutdown: :meth:`CardRecorder.close` (the app's lifespan shutdown, after
uvicorn has answered the last request) returns when the writer has written all of it. A write that
fails is tried again request by request, so a bad card costs only its own request's cards (as one
commit per request did), each failure logged. Only a death of the web process itself (SIGKILL) can
lose the cards of its last moments (at most the linger and a write)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence

from doseguard.errors import FeedbackStoreError
from doseguard.feedback.model import IssuedCard
from doseguard.service.ports import FeedbackSink

log = logging.getLogger(__name__)

LINGER_SECONDS = 0.05
"""How long the writer waits, once cards arrive, for more to share the commit: at 200 requests/s
about ten requests a commit rather than one or two. A card is in the store that much later; close()
does not wait for it."""
MAX_PENDING = 100_000
"""Cards that may wait for the writer (a database that is down or very slow): past this a request's
cards are dropped, and logged, rather than the web process's memory growing without end."""


class CardRecorder:
    """Queues issued cards and writes them in batches from a thread of its own (started with the
    first cards)."""

    def __init__(
        self, sink: FeedbackSink, max_pending: int = MAX_PENDING, linger: float = LINGER_SECONDS
    ) -> None:
        self._sink = sink
        self._max_pending = max_pending
        self._linger = linger
        self._ready = threading.Condition()
        self._queued: list[Sequence[IssuedCard]] = []  # a request's cards per item
        self._pending = 0  # cards queued or being written
        self._closed = False
        self._flushing = 0  # callers waiting in flush()
        self._thread: threading.Thread | None = None

    def record(self, cards: Sequence[IssuedCard]) -> None:
        """Queue one request's cards; never blocks on the database. After :meth:`close`, they are
        written at once in the caller's thread (none is lost)."""
        if not cards:
            return
        with self._ready:
            if not self._closed:
                if self._pending + len(cards) > self._max_pending:
                    log.error(
                        "cards not recorded for feedback: %d cards wait for the database already",
                        self._pending,
                    )
                    return
                self._queued.append(cards)
                self._pending += len(cards)
                if self._thread is None:
                    self._thread = threading.Thread(target=self._run, name="card-recorder", daemon=True)
                    self._thread.start()
                self._ready.notify()
                return
        self._write([cards])

    def flush(self) -> None:
        """Wait until every card queued before this call is written (or its failure logged)."""
        with self._ready:
            self._flushing += 1
            self._ready.notify_all()
            try:
                self._ready.wait_for(lambda: self._pending == 0)
            finally:
                self._flushing -= 1

    def close(self) -> None:
        """Write what is queued, then stop the writer; later cards are written by their caller."""
        with self._ready:
            self._closed = True
            self._ready.notify_all()
            thread = self._thread
        if thread is not None:
            thread.join()

    def _run(self) -> None:
        while True:
            with self._ready:
                self._ready.wait_for(lambda: bool(self._queued) or self._closed)
                if self._linger > 0:  # more cards to share the commit (close() and flush() cut it short)
                    self._ready.wait_for(lambda: self._closed or self._flushing, self._linger)
                batch, self._queued = self._queued, []
                if not batch:  # closed, and nothing left
                    return
            self._write(batch)
            with self._ready:
                self._pending -= sum(len(cards) for cards in batch)
                self._ready.notify_all()

    def _write(self, batch: list[Sequence[IssuedCard]]) -> None:
        """One transaction for the batch; if it fails, one per request, so that only the cards of a
        request that cannot be written are lost (and logged). Never raises: the writer goes on."""
        try:
            self._sink.record_cards([card for cards in batch for card in cards])
            return
        except FeedbackStoreError as error:
            if len(batch) == 1:
                log.error("cards not recorded for feedback: %s", error)
                return
        except Exception:
            log.exception("cards not recorded for feedback (%d requests)", len(batch))
            return
        for cards in batch:
            try:
                self._sink.record_cards(cards)
            except FeedbackStoreError as error:
                log.error("cards not recorded for feedback: %s", error)
            except Exception:
                log.exception("cards not recorded for feedback")
