"""The app's rules follow the evaluator's: a card made of results of other rules reads them again."""

from __future__ import annotations

import dataclasses

from doseguard.errors import RulePackError
from doseguard.rules.model import RuleSet
from doseguard.service.rulebook import RuleBook


def test_another_version_reads_the_rules_again_and_a_failure_keeps_the_old(bundled_rules: RuleSet) -> None:
    newer = dataclasses.replace(bundled_rules, version="newer")
    loads: list[RuleSet | Exception] = [bundled_rules, newer, RulePackError([])]

    def load() -> RuleSet:
        item = loads.pop(0)
        if isinstance(item, Exception):
            raise item
        return item

    book = RuleBook(load)
    assert book.at(bundled_rules.version) is bundled_rules and len(loads) == 2  # the same: not read again
    assert book.at("newer") is newer
    assert book.at("newest") is newer  # the files do not load: the rules held stay
    assert loads == []
