"""Run a folder of Gherkin scenarios against rule packs, in this process, and say what each did.

pytest runs them with the doseguard plugin collecting the ``.feature`` files, isolated from any project
configuration (``-c`` an empty file, rootdir the features folder, or the folder that holds them all
when there are several, such as one per pack; no cache written there) so that the result depends on
the rules and the scenarios only. A small recorder plugin listens to pytest-bdd's hooks: which
scenario ran, which step failed and why, and which rules the Then steps checked (the step library
records them in the test's ``user_properties``).
"""

from __future__ import annotations

import contextlib
import io
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from doseguard.rules.source import RuleSource
from doseguard.testing.coverage import ScenarioOutcome, ScenarioRef
from doseguard.testing.phrases import EXPECTATION_PROPERTY, Expectation
from doseguard.testing.plugin import COLLECT_INI, SOURCE_KEY

_EXAMPLE_PARAM = "_pytest_bdd_example"  # the parameter pytest-bdd gives an outline's Examples row


@dataclass
class ScenarioRun:
    """What a run produced: the scenarios in the order they ran, problems that stopped files from being
    collected (a feature file that is not Gherkin), and pytest's exit code and its own output."""

    scenarios: list[ScenarioOutcome]
    collection_errors: list[str]
    exit_code: int
    output: str


def run_scenarios(source: RuleSource, folders: Sequence[Path]) -> ScenarioRun:
    """Run every scenario of the ``*.feature`` files under ``folders`` (recursively; a feature file
    itself too) against the rules
    of ``source`` (packs, overrides and selection, exactly as ``check`` would run them). Feature files
    are named relative to the one folder, or to the folder that holds them all."""
    paths = [folder.resolve() for folder in folders]
    # a feature file is named from its folder, as it is in a run of the whole folder
    roots = [path if path.is_dir() else path.parent for path in paths]
    features = Path(os.path.commonpath(roots))
    args = [
        *map(str, paths),
        "-c",
        os.devnull,
        f"--rootdir={features}",
        f"--confcutdir={features}",
        "-p",
        "no:cacheprovider",
        "-q",
        "--tb=short",
        # This process imported doseguard and pytest-bdd before pytest started: nothing to rewrite there.
        "-W",
        "ignore::pytest.PytestAssertRewriteWarning",
        "-o",
        f"{COLLECT_INI}=true",
    ]
    recorder = _Recorder(features)
    output = io.StringIO()
    with contextlib.redirect_stdout(output):
        exit_code = pytest.main(args, plugins=[_Source(source), recorder])
    return ScenarioRun(recorder.outcomes(), recorder.collection_errors, int(exit_code), output.getvalue())


class _Source:
    """A pytest plugin object that hands the rule source to the doseguard plugin (rather than through
    ini options: a selection has no ini option, and no path needs quoting)."""

    def __init__(self, source: RuleSource) -> None:
        self.source = source

    @pytest.hookimpl(tryfirst=True)  # before the doseguard plugin's, which loads the rules
    def pytest_configure(self, config: pytest.Config) -> None:
        self.source = RuleSource(
            tuple(str(Path(p).resolve()) for p in self.source.paths),
            str(Path(self.source.overrides).resolve()) if self.source.overrides else None,
            self.source.selection,
        )
        config.stash[SOURCE_KEY] = self.source


@dataclass
class _Running:
    ref: ScenarioRef
    tags: tuple[str, ...]
    outcome: str = "passed"
    expectations: list[Expectation] = field(default_factory=list)
    failed_step: str = ""
    message: str = ""


class _Recorder:
    """A pytest plugin object: hooks only, state per run."""

    def __init__(self, features: Path) -> None:
        self.features = features
        self.running: dict[str, _Running] = {}
        self.collection_errors: list[str] = []

    def outcomes(self) -> list[ScenarioOutcome]:
        return [
            ScenarioOutcome(r.ref, r.outcome, tuple(r.expectations), r.tags, r.failed_step, r.message)
            for r in self.running.values()
        ]

    def _relative(self, filename: str) -> str:
        path = Path(filename).resolve()
        return path.relative_to(self.features).as_posix() if path.is_relative_to(self.features) else str(path)

    # pytest-bdd hooks ---------------------------------------------------------------------------

    def pytest_bdd_before_scenario(self, request: pytest.FixtureRequest, feature: Any, scenario: Any) -> None:
        callspec = getattr(request.node, "callspec", None)
        row = callspec.params.get(_EXAMPLE_PARAM, {}) if callspec is not None else {}
        example = "-".join(map(str, row.values()))  # as written (pytest's test ids escape non-ASCII)
        ref = ScenarioRef(self._relative(feature.filename), scenario.line_number, scenario.name, example)
        rule_tags = scenario.rule.tags if scenario.rule is not None else set()
        tags = tuple(sorted({*scenario.tags, *feature.tags, *rule_tags}))
        self.running[request.node.nodeid] = _Running(ref, tags)

    def pytest_bdd_step_error(
        self, request: pytest.FixtureRequest, step: Any, exception: BaseException
    ) -> None:
        self._failed_step(request.node.nodeid, step, _message(exception))

    def pytest_bdd_step_func_lookup_error(
        self, request: pytest.FixtureRequest, step: Any, exception: BaseException
    ) -> None:
        self._failed_step(request.node.nodeid, step, f"no step of the doseguard library reads {step.name!r}")

    def _failed_step(self, nodeid: str, step: Any, message: str) -> None:
        running = self.running.get(nodeid)
        if running is not None and not running.failed_step:
            running.failed_step = f"{step.keyword.strip()} {step.name} (line {step.line_number})"
            running.message = message

    # pytest hooks -------------------------------------------------------------------------------

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        running = self.running.get(report.nodeid)
        if running is None:
            if report.failed:  # failed before the scenario started (a fixture: the rules did not load)
                ref = ScenarioRef(report.nodeid, 0, report.nodeid)
                self.running[report.nodeid] = _Running(ref, (), "failed", message=_last_lines(report))
            return
        if report.when == "call":
            running.expectations = [
                Expectation(str(value[0]), bool(value[1]))
                for name, value in report.user_properties
                if name == EXPECTATION_PROPERTY and isinstance(value, tuple)
            ]
        if report.failed:
            running.outcome = "failed"
            running.message = running.message or _last_lines(report)
        elif report.skipped and running.outcome == "passed":
            running.outcome = "skipped"

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed:
            self.collection_errors.append(f"{report.nodeid}: {_last_lines(report)}")


def _message(exception: BaseException) -> str:
    """A step's failure as the step put it (pytest.fail's message), else the exception's type and text."""
    if isinstance(exception, pytest.fail.Exception):
        return str(exception.msg)
    return f"{type(exception).__name__}: {exception}"


def _last_lines(report: pytest.TestReport | pytest.CollectReport, count: int = 6) -> str:
    lines = [line for line in report.longreprtext.strip().splitlines() if line.strip()]
    return "\n".join(lines[-count:])
