"""The bundled rules and a checker of them, each built once per test session.

Plain cached functions, not only fixtures: module-level tables and hypothesis tests need them too (a
failing example's report then shows the data, not the rules). Sharing one checker is safe because its
caches are transparent: a test that needs cold caches, or patches the engine, builds its own."""

from __future__ import annotations

import functools
from collections.abc import Sequence

from doseguard.checker import Checker
from doseguard.records import InputRecord
from doseguard.results import OrderResult
from doseguard.rules.model import RuleSet
from doseguard.rules.source import RuleSource


@functools.cache
def bundled_rules() -> RuleSet:
    """The rules ``doseguard check`` runs by default (the bundled packs, deprecated rules left out)."""
    return RuleSource().load()


@functools.cache
def bundled_checker() -> Checker:
    return Checker(bundled_rules())


class SeenChecker(Checker):
    """The bundled checker, keeping the records it was given (what the workers attached to them)."""

    def __init__(self) -> None:
        real = bundled_checker()
        super().__init__(real.rules, real.compiled, real.engine)
        self.seen: list[InputRecord] = []

    def check_many(
        self, items: Sequence[InputRecord], first_number: int = 1, numbers: Sequence[int] = ()
    ) -> list[OrderResult]:
        self.seen += items
        return super().check_many(items, first_number, numbers)
