"""``doseguard rules test``: per-rule report, failures with the step's message, rule coverage,
``--min-coverage``, ``--format json`` and exit statuses, on a small pack written into tmp_path."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from click.testing import CliRunner, Result

from doseguard.cli.main import cli
from tests.helpers.packs import (
    DOSE_FEATURE,
    FAILING_SCENARIO,
    NEAR_MISS,
    ROUTE_FEATURE,
    RULES,
    write_features,
    write_pack,
)


def run(*args: str | Path) -> Result:
    return CliRunner().invoke(cli, ["rules", "test", *map(str, args)], catch_exceptions=False)


def run_json(*args: str | Path) -> tuple[int, dict[str, Any]]:
    result = run(*args, "--format", "json")
    return result.exit_code, json.loads(result.stdout)


def test_a_passing_pack_with_full_coverage_exits_0(tmp_path: Path) -> None:
    result = run(write_pack(tmp_path), write_features(tmp_path), "--min-coverage", "100")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "5 scenarios in" in out and "5 passed" in out
    assert "DEMO-ROUTE (warning, stable, pack demo): covered" in out
    assert "route.feature:6  Not intramuscular: IV [IV]" in out
    assert "dose/dose.feature:12  1000 mcg is the usual dose" in out
    assert "Rule coverage: 2 of 2 rules (100.0%)" in out
    assert out.rstrip().endswith("OK")


def test_a_failing_scenario_exits_1_and_shows_the_step_and_its_message(tmp_path: Path) -> None:
    features = write_features(tmp_path, route=ROUTE_FEATURE + FAILING_SCENARIO)
    result = run(write_pack(tmp_path), features)
    assert result.exit_code == 1, result.output
    out = result.stdout
    assert "Failures (1):" in out
    assert "route.feature:20  The usual order is wrongly expected to be flagged" in out
    assert "Then the order is flagged DEMO-ROUTE (line 21)" in out
    assert "expected a finding of DEMO-ROUTE; it is pass" in out
    assert "FAILED: 1 scenario failed" in out


def test_a_rule_without_a_near_miss_is_reported_and_the_coverage_counts_it_out(tmp_path: Path) -> None:
    features = write_features(tmp_path, dose=DOSE_FEATURE.replace(NEAR_MISS, ""))
    result = run(write_pack(tmp_path), features)
    assert result.exit_code == 0, result.output  # no threshold: a report, not a failure
    out = result.stdout
    assert "DEMO-DOSE-HIGH (critical, stable, pack demo): NOT COVERED: no scenario shows it quiet" in out
    assert "Rule coverage: 1 of 2 rules (50.0%)" in out
    assert "no scenario shows it quiet: DEMO-DOSE-HIGH" in out
    assert "no scenario fires it:       (none)" in out


def test_min_coverage_is_a_threshold(tmp_path: Path) -> None:
    rules = write_pack(tmp_path)
    features = write_features(tmp_path, dose=DOSE_FEATURE.replace(NEAR_MISS, ""))
    assert run(rules, features, "--min-coverage", "50").exit_code == 0
    below = run(rules, features, "--min-coverage", "60")
    assert below.exit_code == 1
    assert "FAILED: coverage 50.0% is below --min-coverage 60%" in below.stdout


def test_json_output(tmp_path: Path) -> None:
    features = write_features(
        tmp_path, route=ROUTE_FEATURE + FAILING_SCENARIO, dose=DOSE_FEATURE.replace(NEAR_MISS, "")
    )
    code, document = run_json(write_pack(tmp_path), features, "--min-coverage", "40")
    assert code == 1
    assert set(document) == {
        "features",
        "rules_version",
        "passed",
        "scenarios",
        "rules",
        "failures",
        "coverage",
    }
    assert document["passed"] is False
    assert document["scenarios"] == {"total": 5, "passed": 4, "failed": 1, "skipped": 0}
    route, dose = document["rules"]
    assert route["id"] == "DEMO-ROUTE" and route["covered"] is True
    assert route["fires"][0] == {
        "feature": "route.feature",
        "line": 6,
        "name": "Not intramuscular: IV",
        "example": "IV",
    }
    assert [r["name"] for r in route["does_not_fire"]] == ["Intramuscular is the near miss"]
    assert [r["line"] for r in route["failures"]] == [20]
    assert dose["id"] == "DEMO-DOSE-HIGH" and dose["covered"] is False and dose["does_not_fire"] == []
    assert dose["fires"][0]["feature"] == "dose/dose.feature"
    [failure] = document["failures"]
    assert failure["step"] == "Then the order is flagged DEMO-ROUTE (line 21)"
    assert failure["message"].startswith("expected a finding of DEMO-ROUTE; it is pass")
    assert failure["rules"] == ["DEMO-ROUTE"]
    assert document["coverage"] == {
        "rules": 2,
        "covered": 1,
        "percent": 50.0,
        "without_firing": [],
        "without_not_firing": ["DEMO-DOSE-HIGH"],
        "min_coverage": 40.0,
        "met": True,
    }


def test_a_misspelt_rule_id_fails_the_scenario_instead_of_passing_it(tmp_path: Path) -> None:
    typo = ROUTE_FEATURE.replace("is not flagged DEMO-ROUTE", "is not flagged DEMO-ROUT")
    result = run(write_pack(tmp_path), write_features(tmp_path, route=typo))
    assert result.exit_code == 1
    assert "DEMO-ROUT is not a rule of the rules under test (did you mean DEMO-ROUTE?)" in result.stdout
    assert "NOT COVERED: no scenario shows it quiet" in result.stdout


def test_a_tag_is_a_label_not_a_proof(tmp_path: Path) -> None:
    tagged = DOSE_FEATURE.replace("  Scenario: 1000 mcg", "  @DEMO-ROUTE\n  Scenario: 1000 mcg")
    result = run(write_pack(tmp_path), write_features(tmp_path, dose=tagged))
    assert result.exit_code == 0
    assert (
        "tagged, but asserts nothing about it (1):\n    dose/dose.feature:13  1000 mcg is the usual dose"
        in result.stdout
    )


def test_invalid_rule_files_exit_2_before_anything_runs(tmp_path: Path) -> None:
    rules = write_pack(tmp_path)
    (rules / "demo" / "rules.yaml").write_text(
        (rules / "demo" / "rules.yaml").read_text().replace("severity: warning", "severity: urgent")
    )
    result = run(rules, write_features(tmp_path))
    assert result.exit_code == 2
    assert "rules.yaml:4:15: severity: Input should be" in result.stderr
    assert result.stdout == ""


def test_a_feature_file_that_is_not_gherkin_exits_2(tmp_path: Path) -> None:
    result = run(
        write_pack(tmp_path), write_features(tmp_path, route="Scenario without a feature\n  Then what")
    )
    assert result.exit_code == 2
    assert "route.feature" in result.stderr and "nothing was tested" in result.stderr


def test_two_scenarios_with_one_name_exit_2(tmp_path: Path) -> None:
    result = run(write_pack(tmp_path), write_features(tmp_path, dose=DOSE_FEATURE + NEAR_MISS))
    assert result.exit_code == 2
    assert "scenario names must be unique in a feature" in result.stderr
    assert "'1000 mcg is the usual dose' (lines 12, 15)" in result.stderr


def test_usage_errors_exit_2(tmp_path: Path, monkeypatch: Any) -> None:
    assert run(tmp_path / "nowhere").exit_code == 2
    monkeypatch.chdir(tmp_path)
    result = run(write_pack(tmp_path))
    assert result.exit_code == 2
    assert "no features/ folder here" in result.stderr
    (tmp_path / "empty").mkdir()
    result = run(tmp_path / "rules", tmp_path / "empty")
    assert result.exit_code == 2
    assert "no scenarios in" in result.stderr


DEPRECATED_RULE = """\
  - id: DEMO-OLD
    title: An old check
    severity: info
    status: deprecated
    description: Replaced by DEMO-ROUTE.
    references: ["doseguard tests"]
    when: route == "IV"
    message: "Old."
"""

OLD_FEATURE = """\
Feature: Old
  Scenario: The old rule fires on IV
    Given a standard cyanocobalamin order
    And the order's route is "IV"
    Then the order is flagged DEMO-OLD

  Scenario: The old rule is quiet on IM
    Given a standard cyanocobalamin order
    Then the order is not flagged DEMO-OLD
"""


def test_deprecated_rules_are_tested_only_when_asked(tmp_path: Path) -> None:
    rules = write_pack(tmp_path, RULES + DEPRECATED_RULE)
    features = write_features(tmp_path)
    (features / "old.feature").write_text(OLD_FEATURE, encoding="utf-8")
    result = run(rules, features)
    assert result.exit_code == 1
    assert (
        "DEMO-OLD is deprecated and does not run: test it with doseguard_include_deprecated = true"
        in result.stdout
    )
    assert "DEMO-OLD (info" not in result.stdout  # not a rule under test
    code, document = run_json(rules, features, "--include-deprecated")
    assert code == 0
    assert [rule["id"] for rule in document["rules"]] == ["DEMO-ROUTE", "DEMO-DOSE-HIGH", "DEMO-OLD"]
    assert document["coverage"]["covered"] == 3


def test_a_packs_own_features_folder_is_found_without_naming_it(tmp_path: Path, monkeypatch: Any) -> None:
    """Scenarios sit beside their rules: ``rules test PACK`` runs ``PACK/features/``, wherever the
    working folder is."""
    pack = write_pack(tmp_path / "qa") / "demo"
    write_features(pack)
    monkeypatch.chdir(tmp_path)
    code, report = run_json(pack)
    assert code == 0, report
    assert report["features"] == str(pack / "features")
    assert report["scenarios"]["passed"] == 5


def test_the_bundled_packs_are_tested_with_their_own_scenarios(tmp_path: Path, monkeypatch: Any) -> None:
    """No folder named, no features/ in the working folder: each bundled pack's features/ folder,
    one run, feature files named from the folder that holds the packs."""
    monkeypatch.chdir(tmp_path)
    code, report = run_json("--min-coverage", "100")
    assert code == 0, report["failures"]
    assert report["scenarios"]["passed"] == report["scenarios"]["total"]
    bundled = Path(__file__).resolve().parents[2] / "rules"
    assert report["features"] == ", ".join(
        str(bundled / pack / "features")
        for pack in ("b12", "enoxaparin", "folic_acid", "hydroxocobalamin", "notation")
    )
    fired = {rule["id"]: {ref["feature"] for ref in rule["fires"]} for rule in report["rules"]}
    assert "b12/features/route_and_site.feature" in fired["B12-ROUTE"]
    assert "hydroxocobalamin/features/product_and_dose.feature" in fired["HYDROXO-ROUTE"]
    assert "notation/features/notation.feature" in fired["NOTATION-LEADING-ZERO"]


def test_one_feature_file_is_tested_by_itself(tmp_path: Path) -> None:
    """``rules test RULES route.feature``: pytest was given the file as its root folder and refused
    ('--confcutdir must be a directory'), so the one scenario file a QA author is working on could
    not be run without the rest. Its scenarios run, named as in a folder run."""
    features = write_features(tmp_path)
    code, report = run_json(write_pack(tmp_path), features / "route.feature")
    assert code == 0, report
    assert report["scenarios"]["total"] == report["scenarios"]["passed"] > 0
    fired = {rule["id"]: [ref["feature"] for ref in rule["fires"]] for rule in report["rules"]}
    assert fired["DEMO-ROUTE"] and set(fired["DEMO-ROUTE"]) == {"route.feature"}
    assert not fired["DEMO-DOSE-HIGH"]
