"""The evaluation seam: what the checker needs of a rules engine, and nothing more.

The checker turns records into facts, asks an engine which rules fire, and writes the findings; the
engine is :class:`doseguard.engine.adapter.DurableEngine` unless the checker is given another (a
fake in tests; later, one reached in another process or on a cluster), as httpx takes any transport.
This module imports no engine: a checker's caller can name the seam without loading durable-rules.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from doseguard.errors import EngineError


class RuleEngine(Protocol):
    """Says which rules fire for orders' facts.

    ``fact_jsons`` are facts as :func:`doseguard.engine.adapter.encode_fact` writes them (a JSON
    object of vocabulary fields). The answer holds one entry per fact, in order: the ids of the
    rules that fired (none is an answer: the order passes), or the :class:`EngineError` of an order
    the engine could not evaluate (that order alone is ``error``). Raising fails the whole call
    closed: every order of it is ``error``; an id of a rule the checker does not know is one too.
    """

    def fired_many(self, fact_jsons: Sequence[str]) -> list[frozenset[str] | EngineError]: ...
