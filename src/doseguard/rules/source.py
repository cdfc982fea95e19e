"""Where a run's rules come from: packs, a site's overrides file and a selection, in one picklable
value, so that every worker process loads exactly the rules the main process checked."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from doseguard.errors import ProblemKind, RuleProblem, SourceLocation
from doseguard.rules.files import NO_SUCH_OVERRIDES, file_problem, folder_problem
from doseguard.rules.loader import LoadedRules, load_rules, read_rules
from doseguard.rules.model import RuleSet
from doseguard.rules.selection import Selection, select_rules


@dataclass(frozen=True)
class RuleSource:
    paths: tuple[str, ...] = ()  # pack folders, or folders of packs; empty: the bundled packs
    overrides: str | None = None  # a site overrides file (YAML)
    selection: Selection = field(default_factory=Selection)

    def load(self) -> RuleSet:
        """The rules that run; raises RulePackError (files) or SelectionError (--select/--ignore)."""
        return select_rules(self.load_all(), self.selection)

    def load_all(self) -> RuleSet:
        """Every rule of the packs, deprecated and unselected ones too, with the overrides applied (what
        the packs hold, not what one run selects); raises RulePackError."""
        return load_rules(self.paths or None, overrides=self.overrides)

    def read_all(self) -> LoadedRules:
        """:meth:`load_all`, returning the problems with the rules that loaded instead of raising (the
        engine adds its own problems to them: ``doseguard.engine.compiled.compile_loaded``)."""
        return read_rules(self.paths or None, overrides=self.overrides)

    def missing(self) -> list[RuleProblem]:
        """The named folders and overrides file that do not exist or are not what the option takes (a
        file as --rules, a folder or a pipe as --overrides), worded as the loader words them: a command
        stops on these before loading anything (exit 2, one line each)."""
        found = []
        for path in self.paths:
            problem = folder_problem(Path(path))
            if problem is not None:
                found.append(RuleProblem(SourceLocation(path, 1, 1), problem, kind=ProblemKind.IO))
        if self.overrides is not None:
            problem = file_problem(Path(self.overrides), NO_SUCH_OVERRIDES)
            if problem is not None:
                found.append(RuleProblem(SourceLocation(self.overrides, 1, 1), problem, kind=ProblemKind.IO))
        return found
