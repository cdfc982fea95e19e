"""The ``rules test`` command is defined in its own module and registered in one place (as flask does)."""

from __future__ import annotations

import ast
from pathlib import Path

from doseguard.cli import rules_commands, scenario_command
from doseguard.cli.main import cli
from doseguard.cli.rules_commands import rules


def _imported_modules(path: str | None) -> set[str]:
    assert path is not None
    tree = ast.parse(Path(path).read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return names


def test_the_rules_group_and_the_test_command_do_not_import_each_other() -> None:
    assert "doseguard.cli.scenario_command" not in _imported_modules(rules_commands.__file__)
    assert "doseguard.cli.rules_commands" not in _imported_modules(scenario_command.__file__)


def test_rules_test_is_registered_on_the_rules_group_of_the_cli() -> None:
    assert cli.commands["rules"] is rules
    assert rules.commands["test"] is scenario_command.rules_test
