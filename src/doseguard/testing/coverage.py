"""Rule coverage: which rules the scenarios prove fire, and which they prove stay quiet.

A rule is *covered* when at least one passing scenario asserted that it fires ("the order is flagged
RULE", "the message of RULE mentions ...", a row of "the order has exactly these findings") and at
least one passing scenario asserted that it does not ("the order is not flagged RULE", a near miss).
Coverage is the share of the rules under test that are covered, as a percentage. A failing scenario
proves nothing, so it counts for no rule; a tag (``@RULE``) is a label, not a proof, so it counts for
no rule either. "The order passes" asserts that no rule fires, but about every rule at once; counting it
would let one correct order make every rule look tested.

Two readings of the scenarios: :func:`measure` uses what the steps actually asserted while running
(recorded by the step library), :func:`stable_rules_without_scenarios` reads the feature files without
running anything, for ``rules validate``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from doseguard.errors import FeatureFileError
from doseguard.rules.model import Rule, RuleSet, RuleStatus
from doseguard.testing.phrases import Expectation, expectations

FEATURE_GLOB = "*.feature"


@dataclass(frozen=True)
class ScenarioRef:
    """Where a scenario is: its feature file (relative to the features folder), line and name, and the
    Examples row for one case of a Scenario Outline."""

    feature: str
    line: int
    name: str
    example: str = ""

    def __str__(self) -> str:
        return f"{self.feature}:{self.line}  {self.name}" + (f" [{self.example}]" if self.example else "")


@dataclass(frozen=True)
class ScenarioOutcome:
    """One scenario as it ran: ``passed``, ``failed`` or ``skipped``, the rules its Then steps checked
    (up to the failing step), its tags, and for a failure the step and the message."""

    scenario: ScenarioRef
    outcome: str
    expectations: tuple[Expectation, ...] = ()
    tags: tuple[str, ...] = ()
    failed_step: str = ""
    message: str = ""

    @property
    def rule_ids(self) -> frozenset[str]:
        return frozenset(e.rule_id for e in self.expectations)


@dataclass(frozen=True)
class RuleCoverage:
    rule: Rule
    fires: tuple[ScenarioRef, ...]  # passing scenarios that asserted it fires
    does_not_fire: tuple[ScenarioRef, ...]  # passing scenarios that asserted it does not
    failures: tuple[ScenarioOutcome, ...]  # failing scenarios that checked it or are tagged with it
    tagged: tuple[ScenarioRef, ...]  # scenarios tagged @RULE, whatever they assert

    @property
    def covered(self) -> bool:
        return bool(self.fires) and bool(self.does_not_fire)

    @property
    def tagged_but_unchecked(self) -> tuple[ScenarioRef, ...]:
        """Tagged with the rule yet asserting nothing about it: the label promises a missing test."""
        checked = {*self.fires, *self.does_not_fire, *(f.scenario for f in self.failures)}
        return tuple(ref for ref in self.tagged if ref not in checked)


@dataclass(frozen=True)
class CoverageReport:
    rules: tuple[RuleCoverage, ...]
    scenarios: tuple[ScenarioOutcome, ...]

    def count(self, outcome: str) -> int:
        return sum(1 for s in self.scenarios if s.outcome == outcome)

    @property
    def failures(self) -> tuple[ScenarioOutcome, ...]:
        return tuple(s for s in self.scenarios if s.outcome == "failed")

    @property
    def without_firing(self) -> tuple[str, ...]:
        return tuple(r.rule.id for r in self.rules if not r.fires)

    @property
    def without_not_firing(self) -> tuple[str, ...]:
        return tuple(r.rule.id for r in self.rules if not r.does_not_fire)

    @property
    def covered(self) -> int:
        return sum(1 for r in self.rules if r.covered)

    @property
    def percent(self) -> float:
        """Covered rules / rules under test x 100 (100 when there are no rules: nothing is untested)."""
        return 100.0 * self.covered / len(self.rules) if self.rules else 100.0


def measure(rule_set: RuleSet, outcomes: Iterable[ScenarioOutcome]) -> CoverageReport:
    """Per-rule coverage of ``rule_set`` by the scenarios that ran."""
    scenarios = tuple(outcomes)
    passed = [s for s in scenarios if s.outcome == "passed"]
    per_rule = []
    for rule in rule_set.rules:
        per_rule.append(
            RuleCoverage(
                rule=rule,
                fires=_refs(s for s in passed if Expectation(rule.id, fires=True) in s.expectations),
                does_not_fire=_refs(s for s in passed if Expectation(rule.id, fires=False) in s.expectations),
                failures=tuple(
                    s
                    for s in scenarios
                    if s.outcome == "failed" and (rule.id in s.rule_ids or rule.id in s.tags)
                ),
                tagged=_refs(s for s in scenarios if rule.id in s.tags),
            )
        )
    return CoverageReport(tuple(per_rule), scenarios)


def _refs(scenarios: Iterable[ScenarioOutcome]) -> tuple[ScenarioRef, ...]:
    return tuple(dict.fromkeys(s.scenario for s in scenarios))


# Without running anything -----------------------------------------------------------------------


def feature_files(folders: Sequence[Path | str]) -> list[Path]:
    """Every ``*.feature`` file under the folders (searched recursively; a file is taken as is)."""
    files: list[Path] = []
    for folder in map(Path, folders):
        files += [folder] if folder.is_file() else sorted(folder.rglob(FEATURE_GLOB))
    return files


def scenarios_by_rule(folders: Sequence[Path | str]) -> dict[str, list[tuple[ScenarioRef, Expectation]]]:
    """For each rule id a Then step names, the scenarios (each Examples row of an outline apart) and
    what they claim about it; read from the feature files, nothing is run. Raises FeatureFileError."""
    found: dict[str, list[tuple[ScenarioRef, Expectation]]] = {}
    for folder in map(Path, folders):
        base = folder if folder.is_dir() else folder.parent
        for path in feature_files([folder]):
            for ref, expectation in _read_expectations(path, path.relative_to(base).as_posix()):
                found.setdefault(expectation.rule_id, []).append((ref, expectation))
    return found


def stable_rules_without_scenarios(rule_set: RuleSet, folders: Sequence[Path | str]) -> list[Rule]:
    """The rules of status ``stable`` that no scenario of the folders checks, fired or not: a stable
    rule must have scenarios. Reads the feature files only; raises FeatureFileError."""
    named = scenarios_by_rule(folders)
    return [rule for rule in rule_set.rules if rule.spec.status is RuleStatus.STABLE and rule.id not in named]


def _read_expectations(path: Path, shown_as: str) -> Iterator[tuple[ScenarioRef, Expectation]]:
    # pytest-bdd's own parser, so that a file reads as the scenarios run; imported here so that a
    # command calling this module for other reasons does not need pytest-bdd.
    from pytest_bdd.exceptions import GherkinParseError  # noqa: PLC0415
    from pytest_bdd.parser import FeatureParser  # noqa: PLC0415

    try:
        feature = FeatureParser(str(path.parent), path.name).parse()
    except GherkinParseError as error:
        raise FeatureFileError(str(path), error.line, error.message) from None
    except (OSError, UnicodeDecodeError) as error:
        raise FeatureFileError(str(path), 1, f"cannot read: {error}") from None
    for template in feature.scenarios.values():
        cases = [ctx for examples in template.examples for ctx in examples.as_contexts()] or [{}]
        for context in cases:
            scenario = template.render(context)
            ref = ScenarioRef(shown_as, template.line_number, scenario.name, "-".join(context.values()))
            for step in scenario.steps:
                if step.type == "then":
                    table = step.datatable.raw() if step.datatable is not None else None
                    for expectation in expectations(step.name, table):  # type: ignore[arg-type]
                        yield ref, expectation
