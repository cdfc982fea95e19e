"""The rules as the web app reads them (not to evaluate: for cards, discovery and the rule pages):
the rule set the evaluator answers with, loaded again when the evaluator's version changes (a
SIGHUP reload), so a card's description and override reasons are those of the rules that answered."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import TypeVar

from doseguard.errors import DoseguardError
from doseguard.rules.model import RuleSet

log = logging.getLogger(__name__)

T = TypeVar("T")
KEPT_RULE_SETS = 4
"""Rule sets whose derived values are kept: the one answering, and a few before a reload."""


def per_rule_set(work: Callable[[RuleSet], T]) -> Callable[[RuleSet], T]:
    """``work(rules)`` worked out once per rule set rather than once per request (the drug lookup
    tables, the prefetch keys), for the last few rule sets. Rule sets are told apart by identity: a
    ``RuleSet`` hashes every rule, and each load (a reload) makes a new one. The value must not be
    changed by its users."""
    kept: dict[int, tuple[RuleSet, T]] = {}  # the rule set is held, so its id is not reused
    lock = threading.Lock()

    def cached(rules: RuleSet) -> T:
        found = kept.get(id(rules))
        if found is not None and found[0] is rules:
            return found[1]
        value = work(rules)
        with lock:
            while len(kept) >= KEPT_RULE_SETS:
                kept.pop(next(iter(kept)))
            kept[id(rules)] = (rules, value)
        return value

    return cached


class RuleBook:
    """The loaded rule set; ``load`` reads it (again, when asked for another version)."""

    def __init__(self, load: Callable[[], RuleSet]) -> None:
        self._load = load
        self._rules = load()
        self._lock = threading.Lock()

    @property
    def rules(self) -> RuleSet:
        return self._rules

    def at(self, version: str) -> RuleSet:
        """The rule set of ``version`` if it can be had (the files are read again when the evaluator
        answers with other rules than the book holds); else the one held."""
        if not version or version == self._rules.version:
            return self._rules
        with self._lock:
            if version != self._rules.version:
                try:
                    self._rules = self._load()
                except DoseguardError as error:
                    log.error("rules for the cards not reloaded: %s", error)
        return self._rules
