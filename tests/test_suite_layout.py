"""The test suite's own layout: a test module imports shared helpers from ``tests/helpers/`` (or a
helper module beside it), never from another test module, and the shared fixtures leave the Gherkin
steps' fixtures alone."""

from __future__ import annotations

import ast
from pathlib import Path

from doseguard.testing import steps

TESTS = Path(__file__).resolve().parent


def imported_modules(path: Path) -> list[str]:
    """The ``tests.*`` modules that ``path`` imports, anywhere in it (code given to a child included)."""
    source = path.read_text(encoding="utf-8")
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.append(node.module)
        elif isinstance(node, ast.Import):
            found.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and "import" in node.value:
            try:  # a program a test runs in a child process
                found.extend(imported_modules_of(node.value))
            except SyntaxError:
                continue
    return [name for name in found if name == "tests" or name.startswith("tests.")]


def imported_modules_of(code: str) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(code.strip().replace("{{", "{").replace("}}", "}"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.append(node.module)
    return found


def test_no_test_module_imports_another_test_module() -> None:
    offenders = [
        f"{path.relative_to(TESTS)} imports {module}"
        for path in sorted(TESTS.rglob("*.py"))
        for module in imported_modules(path)
        if module.rsplit(".", 1)[-1].startswith("test_") or module.rsplit(".", 1)[-1] == "conftest"
    ]
    assert not offenders, "\n".join(offenders)


def test_the_check_finds_an_import_of_a_test_module_in_a_child_program(tmp_path: Path) -> None:
    """The check above reads programs given to a child process too (the adapter's crash tests)."""
    module = tmp_path / "test_x.py"
    module.write_text('CODE = """\nfrom tests.engine.test_adapter import rule\nprint(1)\n"""\n')
    assert imported_modules(module) == ["tests.engine.test_adapter"]


def fixture_names(path: Path) -> set[str]:
    """Fixtures a module defines: ``@pytest.fixture`` functions and pytest-bdd ``target_fixture`` names."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.FunctionDef):
            continue
        for decorator in node.decorator_list:
            call = decorator.func if isinstance(decorator, ast.Call) else decorator
            if ast.unparse(call) == "pytest.fixture":
                names.add(node.name)
            if isinstance(decorator, ast.Call):
                names |= {
                    keyword.value.value
                    for keyword in decorator.keywords
                    if keyword.arg == "target_fixture" and isinstance(keyword.value, ast.Constant)
                }
    return names


def test_shared_fixtures_do_not_shadow_the_step_library() -> None:
    """A conftest fixture named like one of the step library's (``order``...) would replace it in
    every scenario of features/."""
    theirs = fixture_names(Path(steps.__file__))
    assert {"order", "doseguard_checker", "doseguard_rules"} <= theirs, theirs  # the check sees them
    ours = fixture_names(TESTS / "conftest.py")
    assert "checker" in ours
    assert not ours & theirs
