"""History records a run could not use, said where they were read and counted, by ``check`` and
``check --spark`` alike: the first lines each in place (``labs.csv:17: value: 'high' is not a
number``), beyond them only their count, in the closing notes."""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from pathlib import Path

from doseguard.cli.common import say
from doseguard.errors import HistoryProblem
from doseguard.io.history import HistorySources, build_store
from doseguard.patients.model import HistoryItem
from doseguard.results import Summary
from doseguard.rules.model import RuleSet

HISTORY_PROBLEMS_SHOWN = 50
"""Bad history records said one line each; beyond, only their count."""


def _say(message: str) -> None:
    with contextlib.suppress(OSError, ValueError):  # a stderr that cannot be written loses the line
        say(f"doseguard: {message}")


class HistoryProblems:
    """Counts the history records not used (a history file's rows, a Bundle's context resources),
    saying the first of them as they are read."""

    def __init__(self) -> None:
        self.count = 0

    def say(self, problem: HistoryProblem) -> None:
        self.count += 1
        if self.count <= HISTORY_PROBLEMS_SHOWN:
            _say(str(problem))

    def note(self, summary: Summary) -> None:
        summary.history_problems = self.count
        if self.count:
            hidden = self.count - HISTORY_PROBLEMS_SHOWN
            more = f" ({hidden:,} not shown)" if hidden > 0 else ""
            were = "record or value was" if self.count == 1 else "records or values were"
            summary.notes.append(
                f"{self.count:,} history {were} not used{more}: each patient was checked without them"
            )


def load_history(
    sources: HistorySources,
    rule_set: RuleSet,
    store: Path,
    unused: HistoryProblems,
    other_orders: Iterable[HistoryItem] | None = None,
) -> None:
    """The history files into the run's store, before any order is checked, each record that cannot
    be used said and counted; ``other_orders``: the batch's own orders as each other's history."""
    build_store(store, sources, rule_set.drugs, unused.say, lambda message: _say(f"warning: {message}"),
                other_orders)  # fmt: skip
