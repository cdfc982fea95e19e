"""What the web app needs from the parts behind it: an evaluator, a feedback store, a token verifier.

The app (``app.py``) is written against these protocols only, so each part is built and tested on its
own, and tests can give the app small in-process stand-ins."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from doseguard.feedback.model import FeedbackItem, IssuedCard
from doseguard.records import InputRecord
from doseguard.results import OrderResult


class Evaluator(Protocol):
    """Checks a request's records in supervised worker processes."""

    @property
    def rules_version(self) -> str:
        """The version of the rules that answer new requests."""

    @property
    def restarts(self) -> int:
        """Workers replaced since the start (a crash or a hang)."""

    def ready(self) -> bool:
        """At least one worker is up with rules loaded."""

    async def check(self, records: Sequence[InputRecord]) -> list[OrderResult]:
        """One result per record, in order, never raising for a record's sake: a crashed or hung
        worker makes that request's results ``error`` ("not checked"), and the worker is replaced."""

    def reload(self) -> None:
        """Load the rules again (SIGHUP): requests in flight finish on the old rules, new ones get the
        new; rules that fail to load leave the old ones answering (and say so in the log)."""

    async def close(self) -> None:
        """Stop the workers (after the requests in flight)."""


class FeedbackSink(Protocol):
    """Where issued cards and the feedback on them are stored."""

    def record_cards(self, cards: Sequence[IssuedCard]) -> None: ...

    def record_feedback(self, service_id: str, items: Sequence[FeedbackItem]) -> None: ...


class Verifier(Protocol):
    """Checks the bearer JWT of a request as CDS Hooks 2.0 says."""

    may_block: bool
    """True when ``verify`` may wait (a key set fetched over the network): the app calls it in a
    thread. False: it returns at once, and is called on the event loop (a thread hop costs more)."""

    def verify(self, authorization: str | None, service_url: str) -> Mapping[str, Any]:
        """The token's claims, or :class:`doseguard.errors.AuthError` (the app answers 401).
        ``service_url`` is the exact URL the request was made to (the token's ``aud``)."""
