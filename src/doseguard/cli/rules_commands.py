"""``doseguard rules ...``: commands for the people who write and review rule packs."""

from __future__ import annotations

import click

from doseguard.cli.common import load_or_exit
from doseguard.rules.source import RuleSource


@click.group()
def rules() -> None:
    """Work with rule packs."""


@rules.command("validate")
@click.argument("folders", nargs=-1, type=click.Path())
def validate(folders: tuple[str, ...]) -> None:
    """Check rule packs; print every problem as path:line:col: message."""
    rule_set = load_or_exit(RuleSource(folders))
    click.echo(
        f"{len(rule_set.rules)} rules in {len(rule_set.packs)} packs are valid (version {rule_set.version})"
    )
