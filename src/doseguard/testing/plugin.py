"""The doseguard pytest plugin, registered through the ``pytest11`` entry point: installing doseguard
makes its Gherkin steps available to every pytest run, so a repository of rule packs needs no Python.

Ini options (``pytest.ini``, ``[tool.pytest.ini_options]``, or ``-o``):

- ``doseguard_rules``: rule folders the steps check against (default: the bundled packs);
- ``doseguard_include_deprecated``: run deprecated rules too (``doseguard check`` drops them unless asked);
- ``doseguard_collect_features``: collect ``*.feature`` files directly, one test per scenario, with no
  ``test_*.py`` module calling ``scenarios()``. Off by default, because this plugin is loaded into every
  pytest run of the environment, and a project that already calls ``scenarios()`` would run each
  scenario twice.

Disable it with ``-p no:doseguard``. Without pytest-bdd installed the plugin does nothing.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from doseguard.checker import NOT_COVERED
from doseguard.errors import RulePackError
from doseguard.rules.loader import load_rules
from doseguard.rules.model import RuleSet

RULES_INI = "doseguard_rules"
DEPRECATED_INI = "doseguard_include_deprecated"
COLLECT_INI = "doseguard_collect_features"
FEATURE_SUFFIX = ".feature"

# Every rule the ini option names, deprecated ones included (the steps select from it, and name a
# deprecated rule as such instead of calling it unknown).
ALL_RULES_KEY = pytest.StashKey[RuleSet]()

_HAS_BDD = importlib.util.find_spec("pytest_bdd") is not None

# The steps module is a plugin of its own (pytest-bdd registers step definitions as fixtures of the
# module that defines them); a leftover ``pytest_plugins = ["doseguard.testing.steps"]`` is then a no-op.
pytest_plugins = ["doseguard.testing.steps"] if _HAS_BDD else []


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini(RULES_INI, "Rule folders the doseguard steps check against (default: bundled)", "paths")
    parser.addini(DEPRECATED_INI, "Run deprecated rules in doseguard scenarios too", "bool", default=False)
    parser.addini(
        COLLECT_INI, "Collect *.feature files as doseguard scenarios, no test module", "bool", default=False
    )


def pytest_configure(config: pytest.Config) -> None:
    """Register each rule id as a marker, so ``@B12-ROUTE`` tags work under ``--strict-markers``."""
    if not _HAS_BDD:
        return
    try:
        rules = load_rules(config.getini(RULES_INI) or None)
    except RulePackError:
        return  # the doseguard_rules fixture raises it again, with every problem, in each scenario
    config.stash[ALL_RULES_KEY] = rules
    for rule in rules.rules:
        config.addinivalue_line("markers", f"{rule.id}: {rule.title}")
    config.addinivalue_line("markers", f"{NOT_COVERED}: the drug is not covered by any rule pack")


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    if not (_HAS_BDD and file_path.suffix == FEATURE_SUFFIX and parent.config.getini(COLLECT_INI)):
        return None
    from doseguard.testing.collect import FeatureFile  # noqa: PLC0415  (needs pytest-bdd)

    feature_file: pytest.Collector = FeatureFile.from_parent(parent, path=file_path)
    return feature_file
