"""Which loaded rules run: ``--select`` / ``--ignore`` by rule id or tag, and the deprecated rules;
``--ignore`` also silences a built-in notice (``--select`` names rules: the notices stay).

A deprecated rule runs only when asked for: named by id in ``select``, or with ``include_deprecated``.
A name that is neither a rule id nor a tag is an error (a misspelt ``--ignore`` must not silently
ignore nothing).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from doseguard.errors import SelectionError
from doseguard.rules.model import NOTICES, Rule, RuleSet, RuleStatus
from doseguard.suggestions import closest


@dataclass(frozen=True)
class Selection:
    select: tuple[str, ...] = ()  # rule ids or tags; empty: every rule
    ignore: tuple[str, ...] = ()
    include_deprecated: bool = False

    def chooses(self, rule: Rule) -> bool:
        names = {rule.id, *rule.spec.tags}
        if self.ignore and names & set(self.ignore):
            return False
        if rule.spec.status is RuleStatus.DEPRECATED and not self.include_deprecated:
            return rule.id in self.select
        return not self.select or bool(names & set(self.select))


def select_rules(rule_set: RuleSet, selection: Selection) -> RuleSet:
    """The rules of ``rule_set`` that ``selection`` chooses. The version changes with the rules that
    run (an audit must tell a full run from a tailored one), and stays when all of them run."""
    known = {rule.id for rule in rule_set.rules} | {tag for rule in rule_set.rules for tag in rule.spec.tags}
    known |= {notice.id for notice in NOTICES}  # a built-in notice is silenced by --ignore, like a rule
    unknown = {
        name: closest(name, known, any_case=True)
        for name in (*selection.select, *selection.ignore)
        if name not in known
    }
    if unknown:
        raise SelectionError(unknown)
    chosen = tuple(rule for rule in rule_set.rules if selection.chooses(rule))
    if rule_set.rules and not chosen:  # every order would "pass" a run that checks nothing
        raise SelectionError(
            {}, "the selection leaves no rule to run (deprecated rules run only when named by id)"
        )
    notices = tuple(notice for notice in rule_set.notices if notice.id not in selection.ignore)
    if len(chosen) == len(rule_set.rules) and len(notices) == len(rule_set.notices):
        return rule_set
    digest = hashlib.sha256(rule_set.version.encode())
    for rule in chosen:
        digest.update(b"\0" + rule.id.encode())
    for notice in notices:
        digest.update(b"\0notice\0" + notice.id.encode())
    return RuleSet(chosen, rule_set.packs, digest.hexdigest()[:12], notices)
