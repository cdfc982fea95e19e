"""docs/architecture.md stays true: its map names every package and module of ``src/doseguard``, and
no import breaks the map's "may import" column (imports read with ``ast``, lazy ones included)."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "doseguard"
MAP = ROOT / "docs" / "architecture.md"
LONGEST_MODULE = 700
ENGINE_LIBRARIES = ("durable", "durable_rules_engine")


def unit_of_path(path: Path) -> str:
    """A module's unit on the map: its top-level package (``io``), or itself (``checker``)."""
    first = path.relative_to(PACKAGE).parts[0]
    return "api" if first == "__init__.py" else first.removesuffix(".py")


def unit_of_name(name: str) -> str:
    """The unit of an imported ``doseguard...`` name (``doseguard.__version__``: the API's)."""
    parts = name.split(".")
    if len(parts) == 1 or not ((PACKAGE / parts[1]).is_dir() or (PACKAGE / f"{parts[1]}.py").is_file()):
        return "api"
    return parts[1]


def read_map() -> tuple[dict[str, str], dict[str, set[str]]]:
    """The map's layer of each unit, and the units each layer may import (a layer's name stands for its
    units; "everything" for all)."""
    rows = [line for line in MAP.read_text(encoding="utf-8").splitlines() if line.startswith("| ")]
    table = [[cell.strip() for cell in row.strip("|").split("|")] for row in rows[1:]]  # past the header
    layer_of: dict[str, str] = {}
    units: dict[str, set[str]] = {}
    for layer, named, _, _ in table:
        for name in re.findall(r"`([^`]+)`", named):
            unit = "api" if name == "__init__.py" else name.removesuffix("/").removesuffix(".py")
            layer_of[unit] = layer
            units.setdefault(layer, set()).add(unit)
    allowed: dict[str, set[str]] = {}
    for layer, _, _, may in table:
        if may == "everything":
            allowed[layer] = set(layer_of)
            continue
        allowed[layer] = set().union(*(units[name.strip()] for name in may.split(",")))
    return layer_of, allowed


def modules() -> Iterator[Path]:
    yield from sorted(PACKAGE.rglob("*.py"))


def imported_names(path: Path) -> Iterator[tuple[int, str]]:
    """Every name a module imports, with its line, relative imports made absolute."""
    module = ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    package = package.removesuffix(".__init__")
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            yield from ((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parts, *([node.module] if node.module else [])])
            yield node.lineno, base
            yield from ((node.lineno, f"{base}.{alias.name}") for alias in node.names)


def test_the_map_names_every_package_and_module_and_nothing_that_is_gone() -> None:
    layer_of, _ = read_map()
    on_disk = {unit_of_path(path) for path in modules()}
    assert sorted(on_disk - set(layer_of)) == [], "not on the map"
    assert sorted(set(layer_of) - on_disk) == [], "on the map, gone from src/doseguard"


def test_no_import_breaks_the_map() -> None:
    layer_of, allowed = read_map()
    broken = []
    for path in modules():
        unit = unit_of_path(path)
        may = allowed[layer_of[unit]] | {unit}
        for line, name in imported_names(path):
            if name.startswith("doseguard.") and unit_of_name(name) not in may:
                broken.append(f"{path.relative_to(PACKAGE)}:{line}: {unit} imports {name}")
    assert broken == []


def test_only_the_engine_imports_durable_rules() -> None:
    found = [
        f"{path.relative_to(PACKAGE)}:{line}: {name}"
        for path in modules()
        if unit_of_path(path) != "engine"
        for line, name in imported_names(path)
        if name.split(".")[0] in ENGINE_LIBRARIES
    ]
    assert found == []


def test_no_module_imports_itself_back_through_others() -> None:
    names = {".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts).removesuffix(".__init__"): path
             for path in modules()}  # fmt: skip
    graph = {
        module: {name for _, name in imported_names(path) if name in names and name != module}
        for module, path in names.items()
    }
    circles = [circle for circle in _strongly_connected(graph) if len(circle) > 1]
    assert circles == []


def test_no_module_is_over_the_length_limit() -> None:
    long = {
        str(path.relative_to(PACKAGE)): length
        for path in modules()
        if (length := len(path.read_text(encoding="utf-8").splitlines())) > LONGEST_MODULE
    }
    assert long == {}


@pytest.mark.parametrize(
    ("importer", "imported"),
    [("rules/model.py", "doseguard.engine.compile"), ("io/readers.py", "doseguard.batch.pool"),
     ("checker.py", "doseguard.io.readers"), ("orders/model.py", "doseguard.rules.model"),
     ("engine/adapter.py", "doseguard.checker")],
)  # fmt: skip
def test_the_map_refuses_the_imports_the_layers_exist_to_prevent(importer: str, imported: str) -> None:
    """The rules the refactor of issue 9 set up, read from the map rather than restated here."""
    layer_of, allowed = read_map()
    unit = unit_of_path(PACKAGE / importer)
    assert unit_of_name(imported) not in allowed[layer_of[unit]] | {unit}


def _strongly_connected(graph: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's algorithm, iterative: the import circles of ``graph``."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for start, imports in graph.items():
        if start in index:
            continue
        work = [(start, iter(sorted(imports)))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                circle = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    circle.append(member)
                    if member == node:
                        break
                found.append(sorted(circle))
    return found
