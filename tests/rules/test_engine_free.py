"""The rule model knows no engine: nothing in ``rules/`` imports the engine, the checker or what uses them
(``io/`` included, now that ``printable`` is a foundation module)."""

from __future__ import annotations

import ast
from pathlib import Path

import doseguard.rules

FORBIDDEN = ("doseguard.engine", "doseguard.compiler", "doseguard.checker", "doseguard.batch", "doseguard.cli",
             "doseguard.io", "durable", "durable_rules_engine")  # fmt: skip


def imported(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module is not None and node.level == 0:
            names.add(node.module)
    return names


def test_rules_import_nothing_of_the_engine_or_of_what_uses_it() -> None:
    folder = Path(doseguard.rules.__file__).parent
    modules = sorted(folder.glob("*.py"))
    assert len(modules) > 10
    found = {
        f"{path.name}: {name}"
        for path in modules
        for name in imported(path)
        if any(name == bad or name.startswith(f"{bad}.") for bad in FORBIDDEN)
    }
    assert found == set()
