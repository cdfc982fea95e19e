"""The app's rules follow the evaluator's: a card made of results of other rules reads them again."""

from __future__ import annotations

import dataclasses

from doseguard.errors import RulePackError
from doseguard.rules.model import RuleSet
from doseguard.service.rulebook import KEPT_RULE_SETS, RuleBook, per_rule_set


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


def test_a_value_per_rule_set_is_worked_out_once_for_each_of_the_last_few(bundled_rules: RuleSet) -> None:
    worked: list[str] = []

    def work(rules: RuleSet) -> str:
        worked.append(rules.version)
        return rules.version.upper()

    cached = per_rule_set(work)
    sets = [dataclasses.replace(bundled_rules, version=f"v{n}") for n in range(KEPT_RULE_SETS + 1)]
    assert [cached(sets[0]), cached(sets[0]), cached(sets[1])] == ["V0", "V0", "V1"]
    assert worked == ["v0", "v1"]
    same_version = dataclasses.replace(sets[0])  # equal, but another load: worked out again
    assert cached(same_version) == "V0" and worked == ["v0", "v1", "v0"]
    for rules in sets[2:]:
        cached(rules)
    cached(sets[0])  # pushed out by the later ones: worked out again
    assert worked[-1] == "v0" and len(worked) == 3 + len(sets) - 2 + 1
