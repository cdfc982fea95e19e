"""The rules as the web app reads them (not to evaluate: for cards, discovery and the rule pages):
the rule set the evaluator answers with, loaded again when the evaluator's version changes (a
SIGHUP reload), so a card's description and override reasons are those of the rules that answered."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from doseguard.errors import DoseguardError
from doseguard.rules.model import RuleSet

log = logging.getLogger(__name__)


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
