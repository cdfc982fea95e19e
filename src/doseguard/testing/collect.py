"""Collect a ``.feature`` file as a module of scenario tests, as ``scenarios()`` would in a test module.

pytest-bdd binds scenarios to test functions in a Python module; here the module is built in memory
from the feature file, so pytest's own machinery (fixtures, Scenario Outline parametrisation, tags as
markers, ``-k``, ``-m``) applies unchanged. Two scenarios with the same name in one feature are refused:
pytest-bdd would silently run only the last one.
"""

from __future__ import annotations

from collections.abc import Iterator
from types import ModuleType

import pytest
from pytest_bdd import feature as bdd_feature
from pytest_bdd import scenario
from pytest_bdd.gherkin_parser import Child, get_gherkin_document
from pytest_bdd.scenario import get_python_name_generator

from doseguard.errors import DuplicateScenarioError


class FeatureFile(pytest.Module):
    """A ``.feature`` file; its scenarios are the tests."""

    def _getobj(self) -> ModuleType:
        path = str(self.path)
        _refuse_duplicate_names(path)
        # pytest-bdd caches parsed features for the life of the process; a long-lived process (one
        # running ``doseguard rules test`` twice) must see the file as it is now.
        bdd_feature.features.pop(path, None)
        feature = bdd_feature.get_feature(str(self.path.parent), self.path.name)
        module = ModuleType(f"doseguard_feature_{self.path.stem}")
        module.__file__ = path
        for name in feature.scenarios:
            test = scenario(path, name, features_base_dir=str(self.path.parent))(_scenario)
            test_name = next(n for n in get_python_name_generator(name) if not hasattr(module, n))
            setattr(module, test_name, test)
        return module


def _scenario() -> None:
    """The body of every collected scenario: the steps are the test."""


def _refuse_duplicate_names(path: str) -> None:
    document = get_gherkin_document(path)
    lines: dict[str, list[int]] = {}
    for child in _scenario_children(document.feature.children):
        if child.scenario is not None:
            lines.setdefault(child.scenario.name, []).append(child.scenario.location.line)
    repeated = [name for name, at in lines.items() if len(at) > 1]
    if repeated:
        described = "; ".join(
            f"{name!r} (lines {', '.join(map(str, lines[name]))})" for name in sorted(repeated)
        )
        raise DuplicateScenarioError(
            f"{path}: scenario names must be unique in a feature, pytest-bdd runs only the last of "
            f"each: {described}"
        )


def _scenario_children(children: list[Child]) -> Iterator[Child]:
    for child in children:
        yield child
        if child.rule is not None:
            yield from _scenario_children(child.rule.children)
