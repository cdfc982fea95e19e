"""The token ids (``jti``) already seen, so that no bearer token is accepted twice.

In memory, per process: an entry lives until its token could no longer be accepted anyway (its
``exp``, or ``iat`` plus the maximum token age, whichever comes first, plus the clock skew), so the
cache holds at most the tokens of the last few minutes. It is bounded: when it is full of live
entries a new token is refused (fail closed) rather than an old entry dropped (which would let that
token be replayed). Several replicas each have their own cache: see docs/service-security.md."""

from __future__ import annotations

import heapq
import threading
import time
from collections.abc import Callable

from doseguard.errors import AuthError


class ReplayCache:
    def __init__(self, max_entries: int = 100_000, clock: Callable[[], float] = time.time) -> None:
        self._max = max_entries
        self._clock = clock
        self._until: dict[tuple[str, str], float] = {}
        self._expiries: list[tuple[float, tuple[str, str]]] = []  # a heap, for purging in expiry order
        self._lock = threading.Lock()

    def __len__(self) -> int:
        with self._lock:
            return len(self._until)

    def remember(self, issuer: str, token_id: str, until: float) -> None:
        """Record ``token_id`` of ``issuer`` as used until ``until`` (a Unix time); an
        :class:`AuthError` if it is in use already, or if the cache is full of live entries."""
        key = (issuer, token_id)
        with self._lock:
            now = self._clock()
            self._purge(now)
            if key in self._until:
                raise AuthError("the token's jti was used before: a token is accepted once only (replay)")
            if len(self._until) >= self._max:
                raise AuthError(
                    f"too many tokens to remember ({self._max} still live): refused rather than risk a replay"
                )
            self._until[key] = until
            heapq.heappush(self._expiries, (until, key))

    def _purge(self, now: float) -> None:
        while self._expiries and self._expiries[0][0] < now:
            until, key = heapq.heappop(self._expiries)
            if self._until.get(key) == until:
                del self._until[key]
