"""The foundation modules stay at the bottom: ``orders/`` needs nothing of ``rules/`` to write a number,
``rules/`` nothing of ``io/`` to escape a character, and neither module imports doseguard at all."""

from __future__ import annotations

import ast
from pathlib import Path

import doseguard

PACKAGE = Path(doseguard.__file__).parent


def _doseguard_imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return {name for name in names if name == "doseguard" or name.startswith("doseguard.")}


def _imports_under(folder: str) -> dict[str, set[str]]:
    return {
        str(path.relative_to(PACKAGE)): _doseguard_imports(path) for path in (PACKAGE / folder).rglob("*.py")
    }


def test_orders_imports_nothing_of_rules() -> None:
    offending = {
        m: i for m, i in _imports_under("orders").items() if any(n.startswith("doseguard.rules") for n in i)
    }
    assert offending == {}


def test_rules_imports_nothing_of_io() -> None:
    offending = {
        m: i for m, i in _imports_under("rules").items() if any(n.startswith("doseguard.io") for n in i)
    }
    assert offending == {}


def test_numbers_and_printable_import_nothing_of_doseguard() -> None:
    assert _doseguard_imports(PACKAGE / "numbers.py") == set()
    assert _doseguard_imports(PACKAGE / "printable.py") == set()
