"""The doseguard pytest plugin, registered through the ``pytest11`` entry point: installing doseguard
makes its Gherkin steps available to every pytest run, so a repository of rule packs needs no Python.

Ini options (``pytest.ini``, ``[tool.pytest.ini_options]``, or ``-o``):

- ``doseguard_rules``: rule folders the steps check against (default: the bundled packs);
- ``doseguard_overrides``: a site's overrides file (YAML), applied as ``doseguard check --overrides``
  applies it, so a site's scenarios check its own severities and parameters;
- ``doseguard_include_deprecated``: run deprecated rules too (``doseguard check`` drops them unless asked);
- ``doseguard_collect_features``: collect ``*.feature`` files directly, one test per scenario, with no
  ``test_*.py`` module calling ``scenarios()``. Off by default, because this plugin is loaded into every
  pytest run of the environment, and a project that already calls ``scenarios()`` would run each
  scenario twice.

For the same reason the rules are loaded only when they are needed: at start-up when
``doseguard_rules`` or ``doseguard_collect_features`` is set (each rule id then becomes a marker, for
``pytest -m B12-ROUTE`` and ``--strict-markers``); otherwise the first time a scenario's tag looks like
a rule id and is not a marker yet, or a doseguard step asks for them. A pytest run with neither option
and no doseguard scenario does not read a rule file.

Disable it with ``-p no:doseguard``. Without pytest-bdd installed the plugin does nothing.
"""

from __future__ import annotations

import importlib.util
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from doseguard.checker import NOT_COVERED
from doseguard.engine.compiled import compile_loaded
from doseguard.errors import RulePackError
from doseguard.rules.model import RuleSet
from doseguard.rules.selection import Selection
from doseguard.rules.source import RuleSource

RULES_INI = "doseguard_rules"
OVERRIDES_INI = "doseguard_overrides"
DEPRECATED_INI = "doseguard_include_deprecated"
COLLECT_INI = "doseguard_collect_features"
FEATURE_SUFFIX = ".feature"
RULE_ID = re.compile(r"[A-Z][A-Z0-9]*(?:-[A-Z0-9]+)*")  # as rule ids are written (rules.model.RuleId)

# Where the rules come from, when a caller (``doseguard rules test``) says so instead of the ini options.
SOURCE_KEY = pytest.StashKey[RuleSource]()
# Every rule of the source, deprecated and unselected ones included (the steps select from it, and name a
# deprecated rule as such instead of calling it unknown). Set once the rules are loaded.
ALL_RULES_KEY = pytest.StashKey[RuleSet]()
# Set once loading was tried: rules that do not load are not read again for every tag.
_TRIED_KEY = pytest.StashKey[bool]()

_HAS_BDD = importlib.util.find_spec("pytest_bdd") is not None

# The steps modules are plugins of their own (pytest-bdd registers step definitions as fixtures of the
# module that defines them); a leftover ``pytest_plugins = ["doseguard.testing.steps"]`` is then a no-op.
pytest_plugins = (
    ["doseguard.testing.steps", "doseguard.testing.patient_steps", "doseguard.testing.history_steps"]
    if _HAS_BDD
    else []
)

# The configs of the pytest runs under way, innermost last (``rules test`` runs pytest inside pytest):
# pytest-bdd's tag hook is not given one.
_CONFIGS: list[pytest.Config] = []


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini(RULES_INI, "Rule folders the doseguard steps check against (default: bundled)", "paths")
    parser.addini(OVERRIDES_INI, "A site's overrides file (YAML) for the doseguard steps' rules", "paths")
    parser.addini(DEPRECATED_INI, "Run deprecated rules in doseguard scenarios too", "bool", default=False)
    parser.addini(
        COLLECT_INI, "Collect *.feature files as doseguard scenarios, no test module", "bool", default=False
    )


def rule_source(config: pytest.Config) -> RuleSource:
    """The rules the steps run: as a caller set them, else from the ini options."""
    given = config.stash.get(SOURCE_KEY, None)
    if given is not None:
        return given
    overrides: list[Path] = config.getini(OVERRIDES_INI)
    if len(overrides) > 1:
        raise pytest.UsageError(f"{OVERRIDES_INI} names one file, not {len(overrides)}")
    return RuleSource(
        tuple(str(path) for path in config.getini(RULES_INI)),
        str(overrides[0]) if overrides else None,
        Selection(include_deprecated=bool(config.getini(DEPRECATED_INI))),
    )


def all_rules(config: pytest.Config) -> RuleSet:
    """Every rule of the source, loaded once per run, and each id registered as a marker; raises
    RulePackError when the rules do not load."""
    rules = config.stash.get(ALL_RULES_KEY, None)
    if rules is None:
        config.stash[_TRIED_KEY] = True
        rules = compile_loaded(rule_source(config).read_all()).rule_set  # as the commands refuse a pack
        config.stash[ALL_RULES_KEY] = rules
        for rule in rules.rules:
            config.addinivalue_line("markers", f"{rule.id}: {rule.title}")
        config.addinivalue_line("markers", f"{NOT_COVERED}: the drug is not covered by any rule pack")
    return rules


def _load_quietly(config: pytest.Config) -> None:
    """Load the rules for their markers; the doseguard_rules fixture raises a load failure again, with
    every problem, in each scenario."""
    if config.stash.get(_TRIED_KEY, False):
        return
    try:
        all_rules(config)
    except RulePackError:
        return


def pytest_configure(config: pytest.Config) -> None:
    """Register each rule id as a marker, so ``@B12-ROUTE`` tags work under ``--strict-markers``: now
    when this run is about rules (an ini option of ours, or a caller's source), else when needed."""
    if not _HAS_BDD:
        return
    _CONFIGS.append(config)
    config.add_cleanup(lambda: _CONFIGS.remove(config))
    if config.getini(RULES_INI) or config.getini(COLLECT_INI) or SOURCE_KEY in config.stash:
        _load_quietly(config)


@pytest.hookimpl(optionalhook=True)
def pytest_bdd_apply_tag(tag: str, function: Callable[..., object]) -> None:
    """A scenario tagged like a rule id that is not a marker yet: load the rules (once), whose ids
    become markers, before pytest-bdd applies the tag. Returns None: pytest-bdd then applies it."""
    if _CONFIGS and RULE_ID.fullmatch(tag) and not _is_marker(_CONFIGS[-1], tag):
        _load_quietly(_CONFIGS[-1])


def _is_marker(config: pytest.Config, name: str) -> bool:
    return any(line.split(":")[0].split("(")[0].strip() == name for line in config.getini("markers"))


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    if not (_HAS_BDD and file_path.suffix == FEATURE_SUFFIX and parent.config.getini(COLLECT_INI)):
        return None
    from doseguard.testing.collect import FeatureFile  # noqa: PLC0415  (needs pytest-bdd)

    feature_file: pytest.Collector = FeatureFile.from_parent(parent, path=file_path)
    return feature_file
