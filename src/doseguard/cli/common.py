"""What the commands share: exit statuses, and loading rules or stopping with every problem listed."""

from __future__ import annotations

import sys

import click

from doseguard.engine.adapter import DurableEngine
from doseguard.errors import EngineError, RulePackError
from doseguard.rules.model import RuleSet
from doseguard.rules.selection import SelectionError
from doseguard.rules.source import RuleSource

EXIT_OK, EXIT_FLAGGED, EXIT_USAGE = 0, 1, 2


def load_or_exit(source: RuleSource) -> RuleSet:
    """Load, check and compile the rules, and give them to the engine once: a pack the engine refuses
    is a usage error here, before any worker starts."""
    try:
        rule_set = source.load()
        DurableEngine(rule_set.rules)
        return rule_set
    except EngineError as error:
        click.echo(f"doseguard: the rules engine refused the rules: {error}", err=True)
        sys.exit(EXIT_USAGE)
    except SelectionError as error:
        click.echo(f"doseguard: {error}", err=True)
        sys.exit(EXIT_USAGE)
    except RulePackError as error:
        for problem in error.problems:
            click.echo(str(problem), err=True)
        count = len(error.problems)
        click.echo(
            f"doseguard: {count} problem{'s' if count != 1 else ''} in rule files; nothing was checked",
            err=True,
        )
        sys.exit(EXIT_USAGE)
