"""Rule coverage: what counts as a scenario that fires a rule or shows it quiet, from recorded outcomes
(``measure``) and from the feature files alone (``scenarios_by_rule``, ``stable_rules_without_scenarios``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from doseguard.errors import FeatureFileError
from doseguard.rules.loader import load_rules
from doseguard.rules.model import RuleSet
from doseguard.testing.coverage import (
    ScenarioOutcome,
    ScenarioRef,
    measure,
    scenarios_by_rule,
    stable_rules_without_scenarios,
)
from doseguard.testing.phrases import Expectation, expectations
from tests.helpers.packs import DOSE_FEATURE, NEAR_MISS, RULES, write_features, write_pack

FIRES_ROUTE = Expectation("DEMO-ROUTE", fires=True)
QUIET_ROUTE = Expectation("DEMO-ROUTE", fires=False)
FIRES_DOSE = Expectation("DEMO-DOSE-HIGH", fires=True)


@pytest.fixture
def demo_rules(tmp_path: Path) -> RuleSet:
    return load_rules([write_pack(tmp_path)])


def outcome(line: int, result: str, *checked: Expectation, tags: tuple[str, ...] = ()) -> ScenarioOutcome:
    return ScenarioOutcome(ScenarioRef("demo.feature", line, f"scenario {line}"), result, checked, tags)


def test_a_rule_is_covered_by_a_passing_scenario_each_way(demo_rules: RuleSet) -> None:
    report = measure(
        demo_rules, [outcome(1, "passed", FIRES_ROUTE), outcome(2, "passed", QUIET_ROUTE, FIRES_DOSE)]
    )
    route, dose = report.rules
    assert (
        route.covered
        and [ref.line for ref in route.fires] == [1]
        and [ref.line for ref in route.does_not_fire] == [2]
    )
    assert not dose.covered
    assert report.without_firing == () and report.without_not_firing == ("DEMO-DOSE-HIGH",)
    assert report.covered == 1 and report.percent == 50.0


def test_failing_and_skipped_scenarios_prove_nothing(demo_rules: RuleSet) -> None:
    report = measure(
        demo_rules,
        [
            outcome(1, "passed", FIRES_ROUTE),
            outcome(2, "failed", QUIET_ROUTE),
            outcome(3, "skipped", QUIET_ROUTE),
        ],
    )
    route = report.rules[0]
    assert not route.covered and route.does_not_fire == ()
    assert [f.scenario.line for f in route.failures] == [2]
    assert [f.scenario.line for f in report.failures] == [2]
    assert (report.count("passed"), report.count("failed"), report.count("skipped")) == (1, 1, 1)


def test_tags_label_scenarios_but_do_not_cover_rules(demo_rules: RuleSet) -> None:
    tagged = outcome(1, "passed", FIRES_DOSE, tags=("DEMO-ROUTE",))
    failing = outcome(2, "failed", tags=("DEMO-ROUTE",))  # failed before any Then step: known by its tag
    route = measure(demo_rules, [tagged, failing]).rules[0]
    assert route.fires == () and route.does_not_fire == ()
    assert [ref.line for ref in route.tagged] == [1, 2]
    assert [f.scenario.line for f in route.failures] == [2]
    assert [ref.line for ref in route.tagged_but_unchecked] == [1]


def test_no_rules_is_full_coverage() -> None:
    assert measure(RuleSet((), (), "v"), []).percent == 100.0


@pytest.mark.parametrize(
    ("step", "table", "expected"),
    [
        ("the order is flagged DEMO-ROUTE as warning", None, [FIRES_ROUTE]),
        ("the order is flagged DEMO-ROUTE", None, [FIRES_ROUTE]),
        ('the message of DEMO-ROUTE mentions "IV"', None, [FIRES_ROUTE]),
        ("the order is not flagged DEMO-ROUTE", None, [QUIET_ROUTE]),
        (
            "the order has exactly these findings:",
            [["rule id", "severity"], ["DEMO-ROUTE", "warning"]],
            [FIRES_ROUTE],
        ),
        (
            "the order has exactly these findings:",
            [["DEMO-ROUTE"], ["DEMO-DOSE-HIGH"]],
            [FIRES_ROUTE, FIRES_DOSE],
        ),
        ("the order passes", None, []),
        ("the order is invalid because of its dose", None, []),
        ("the suggested fix of DEMO-ROUTE sets volume_ml to 1 mL", None, [FIRES_ROUTE]),
        ("DEMO-ROUTE has no suggested fix", None, [FIRES_ROUTE]),
        ("the suggested fix sets volume_ml to 1 mL", None, []),  # names no rule: every finding's
        ("the order has no suggested fix", None, []),
    ],
)
def test_what_a_then_step_asserts(
    step: str, table: list[list[str]] | None, expected: list[Expectation]
) -> None:
    assert expectations(step, table) == expected


def test_scenarios_by_rule_reads_the_feature_files_and_each_example(tmp_path: Path) -> None:
    found = scenarios_by_rule([write_features(tmp_path)])
    assert sorted(found) == ["DEMO-DOSE-HIGH", "DEMO-ROUTE"]
    route = [(ref.feature, ref.line, ref.name, ref.example, e.fires) for ref, e in found["DEMO-ROUTE"]]
    assert route == [
        ("route.feature", 6, "Not intramuscular: IV", "IV", True),  # is flagged
        ("route.feature", 6, "Not intramuscular: IV", "IV", True),  # the message of
        ("route.feature", 6, "Not intramuscular: SC", "SC", True),
        ("route.feature", 6, "Not intramuscular: SC", "SC", True),
        ("route.feature", 17, "Intramuscular is the near miss", "", False),
    ]
    assert [(ref.feature, e.fires) for ref, e in found["DEMO-DOSE-HIGH"]] == [
        ("dose/dose.feature", True),
        ("dose/dose.feature", False),
    ]


def test_stable_rules_without_scenarios(tmp_path: Path) -> None:
    rules = load_rules([write_pack(tmp_path, RULES.replace("status: stable", "status: test", 1))])
    only_route = write_features(tmp_path, dose="Feature: Nothing about the dose\n")
    assert [rule.id for rule in stable_rules_without_scenarios(rules, [only_route])] == ["DEMO-DOSE-HIGH"]
    both = tmp_path / "more"
    write_features(both, dose=DOSE_FEATURE.replace(NEAR_MISS, ""))
    assert stable_rules_without_scenarios(rules, [both / "features"]) == []
    # DEMO-ROUTE is "test", not "stable": it is not required to have scenarios
    assert [r.id for r in stable_rules_without_scenarios(rules, [tmp_path / "empty-does-not-exist"])] == [
        "DEMO-DOSE-HIGH"
    ]


def test_a_feature_file_that_is_not_gherkin_is_located(tmp_path: Path) -> None:
    features = write_features(
        tmp_path, route="Feature: Route\n  Scenario: One\n    Then it\n  Nonsense here\n"
    )
    with pytest.raises(FeatureFileError) as raised:
        scenarios_by_rule([features])
    assert raised.value.path.endswith("route.feature") and raised.value.line == 4
