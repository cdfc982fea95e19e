"""Where a run's rules come from: packs, a site's overrides file and a selection, in one picklable
value, so that every worker process loads exactly the rules the main process checked."""

from __future__ import annotations

from dataclasses import dataclass, field

from doseguard.rules.loader import load_rules
from doseguard.rules.model import RuleSet
from doseguard.rules.selection import Selection, select_rules


@dataclass(frozen=True)
class RuleSource:
    paths: tuple[str, ...] = ()  # pack folders, or folders of packs; empty: the bundled packs
    overrides: str | None = None  # a site overrides file (YAML)
    selection: Selection = field(default_factory=Selection)

    def load(self) -> RuleSet:
        """The rules that run; raises RulePackError (files) or SelectionError (--select/--ignore)."""
        return select_rules(load_rules(self.paths or None, overrides=self.overrides), self.selection)
