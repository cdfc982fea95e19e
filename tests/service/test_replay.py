"""The replay cache: a jti is accepted once while its token could be accepted, forgotten after, and
the cache's bound refuses new tokens rather than forgetting live ones."""

from __future__ import annotations

import pytest

from doseguard.errors import AuthError
from doseguard.service.replay import ReplayCache


class Clock:
    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


def test_a_jti_is_refused_while_its_entry_lives_and_forgotten_after() -> None:
    clock = Clock()
    cache = ReplayCache(clock=clock)
    cache.remember("ehr", "n1", until=1_100.0)
    clock.now = 1_099.0
    with pytest.raises(AuthError, match="replay"):
        cache.remember("ehr", "n1", until=1_200.0)
    clock.now = 1_101.0
    cache.remember("ehr", "n2", until=1_300.0)  # purges n1
    assert len(cache) == 1


def test_the_same_jti_of_two_issuers_are_two_tokens() -> None:
    cache = ReplayCache(clock=Clock())
    cache.remember("ehr-a", "n1", until=2_000.0)
    cache.remember("ehr-b", "n1", until=2_000.0)
    assert len(cache) == 2


def test_a_full_cache_refuses_a_new_token_rather_than_forget_a_live_one() -> None:
    clock = Clock()
    cache = ReplayCache(max_entries=2, clock=clock)
    cache.remember("ehr", "n1", until=1_050.0)
    cache.remember("ehr", "n2", until=1_500.0)
    with pytest.raises(AuthError, match="too many tokens to remember"):
        cache.remember("ehr", "n3", until=1_500.0)
    with pytest.raises(AuthError, match="replay"):
        cache.remember("ehr", "n1", until=1_500.0)  # n1 is still remembered
    clock.now = 1_051.0
    cache.remember("ehr", "n3", until=1_500.0)  # n1 has expired: room again
    assert len(cache) == 2
