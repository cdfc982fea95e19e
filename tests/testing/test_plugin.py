"""The step library as an installed pytest plugin: a QA repository of YAML rules and ``.feature`` files,
with no Python at all, runs its scenarios with a plain ``pytest``.

Each test builds the repository in tmp_path and runs pytest in a subprocess there, as a QA author would;
the plugin comes from the ``pytest11`` entry point of the installed doseguard, nothing else loads it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.helpers.packs import DOSE_FEATURE, PACK, write_features, write_pack

INI = """\
[pytest]
doseguard_rules = rules
doseguard_collect_features = true
"""

# pack.yaml may name its own correct orders for "Given a standard <name> order" (PACK ends with its
# standard_orders: mapping, one more entry here).
PACK_WITH_ORDER = (
    PACK
    + """\
  demo-order:
    drug: cyanocobalamin
    dose: 1000 mcg
    volume: 1 mL
    route: IM
"""
)

FROM_THE_PACK = """\
Feature: A standard order from pack.yaml
  Scenario: The pack's own standard order
    Given a standard demo-order order
    Then the order is not flagged DEMO-ROUTE
    And the order is not flagged DEMO-DOSE-HIGH
"""


def pytest_in(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("PYTEST_")}
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def qa_repository(root: Path) -> Path:
    write_pack(root)
    (root / "rules" / "demo" / "pack.yaml").write_text(PACK_WITH_ORDER, encoding="utf-8")
    write_features(root)
    (root / "features" / "from_the_pack.feature").write_text(FROM_THE_PACK, encoding="utf-8")
    (root / "pytest.ini").write_text(INI, encoding="utf-8")
    return root


def test_a_qa_repository_with_only_yaml_and_feature_files_runs_its_scenarios(tmp_path: Path) -> None:
    repo = qa_repository(tmp_path)
    assert (
        sorted(p.suffix for p in repo.rglob("*") if p.is_file())
        == [".feature"] * 3 + [".ini"] + [".yaml"] * 2
    )
    result = pytest_in(repo, "-vv")  # -q -vv: one line per test
    assert result.returncode == 0, result.stdout + result.stderr
    assert "6 passed" in result.stdout
    # one test per scenario (and per Examples row), named after the feature file
    assert "features/route.feature::test_not_intramuscular_route[IV] PASSED" in result.stdout
    assert "features/dose/dose.feature::test_mcg_is_the_usual_dose PASSED" in result.stdout
    assert "features/from_the_pack.feature::test_the_packs_own_standard_order PASSED" in result.stdout


def test_a_failing_scenario_fails_pytest_with_the_steps_message(tmp_path: Path) -> None:
    repo = qa_repository(tmp_path)
    wrong = DOSE_FEATURE.replace('dose is "2000 mcg"', 'dose is "1000 mcg"').replace('"2 mL"', '"1 mL"')
    (repo / "features" / "dose" / "dose.feature").write_text(wrong, encoding="utf-8")
    result = pytest_in(repo)
    assert result.returncode == 1
    assert "expected exactly these findings: DEMO-DOSE-HIGH as critical; it is pass" in result.stdout
    assert "1 failed, 5 passed" in result.stdout


def test_feature_files_are_collected_only_when_the_ini_says_so(tmp_path: Path) -> None:
    """The plugin is in every pytest run of the environment: a project that calls scenarios() in a test
    module must not get each scenario twice."""
    repo = qa_repository(tmp_path)
    (repo / "pytest.ini").write_text(INI.replace("doseguard_collect_features = true\n", ""), encoding="utf-8")
    result = pytest_in(repo)
    assert result.returncode == 5, result.stdout + result.stderr  # no tests collected
    # and it is the doseguard plugin, from its entry point, that collects them
    disabled = pytest_in(repo, "-p", "no:doseguard", "-o", "doseguard_collect_features=true")
    assert disabled.returncode == 5
    assert "Unknown config option: doseguard_collect_features" in disabled.stdout


# --- the rules are loaded only when a run needs them ---------------------------------------------------

REFUSE_RULE_FILES = """\
import doseguard.rules.source


def refuse(*args, **kwargs):
    raise AssertionError("the doseguard plugin loaded rule files in a run that does not use them")


doseguard.rules.source.load_rules = refuse
doseguard.rules.source.read_rules = refuse
"""

PLAIN_TEST = """\
from doseguard.testing.plugin import ALL_RULES_KEY


def test_an_ordinary_test(pytestconfig):
    assert ALL_RULES_KEY not in pytestconfig.stash
    assert not any(line.startswith("B12-") for line in pytestconfig.getini("markers"))
"""


def test_a_plain_pytest_run_without_doseguard_options_loads_no_rules(tmp_path: Path) -> None:
    """The plugin is in every pytest run of the environment: a project that neither sets an option of
    ours nor runs a doseguard scenario must not pay for loading and compiling packs. The conftest makes
    any rule loading fail the run."""
    (tmp_path / "conftest.py").write_text(REFUSE_RULE_FILES, encoding="utf-8")
    (tmp_path / "test_plain.py").write_text(PLAIN_TEST, encoding="utf-8")
    (tmp_path / "pytest.ini").write_text("[pytest]\n", encoding="utf-8")
    result = pytest_in(tmp_path, "--strict-markers")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 passed" in result.stdout
    markers = pytest_in(tmp_path, "--markers")
    assert markers.returncode == 0, markers.stdout + markers.stderr
    assert "B12-ROUTE" not in markers.stdout


def test_the_ini_options_load_the_rules_at_start_up_and_register_their_ids(tmp_path: Path) -> None:
    repo = qa_repository(tmp_path)
    markers = pytest_in(repo, "--markers")
    assert "@pytest.mark.DEMO-ROUTE: Not intramuscular" in markers.stdout
    (repo / "conftest.py").write_text(REFUSE_RULE_FILES, encoding="utf-8")
    refused = pytest_in(repo, "--markers")
    assert refused.returncode != 0
    assert "the doseguard plugin loaded rule files" in refused.stdout + refused.stderr


TAGGED_B12 = """\
@B12-ROUTE
Feature: Route, tagged with a bundled rule id
  Scenario: Intravenous
    Given a standard cyanocobalamin order
    And the order's route is "IV"
    Then the order is flagged B12-ROUTE as warning
"""

SCENARIOS_MODULE = """\
from pytest_bdd import scenarios

scenarios("features")
"""


def test_a_scenario_tagged_with_a_rule_id_loads_the_rules_when_collected(tmp_path: Path) -> None:
    """No option of ours, a test module calling scenarios() (as this repository's tests/test_features.py
    does): the tag is a rule id, so the rules are loaded then and the tag is a marker, under
    --strict-markers and for -m."""
    (tmp_path / "features").mkdir()
    (tmp_path / "features" / "route.feature").write_text(TAGGED_B12, encoding="utf-8")
    (tmp_path / "test_scenarios.py").write_text(SCENARIOS_MODULE, encoding="utf-8")
    (tmp_path / "pytest.ini").write_text("[pytest]\n", encoding="utf-8")
    result = pytest_in(tmp_path, "--strict-markers", "-m", "B12-ROUTE")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 passed" in result.stdout


SITE = """\
site: Demo hospital
overrides:
  - rule: DEMO-DOSE-HIGH
    reason: "Demo committee: a warning here"
    severity: warning
"""


def test_the_overrides_ini_option_applies_a_sites_overrides_to_the_steps(tmp_path: Path) -> None:
    repo = qa_repository(tmp_path)
    (repo / "site.yaml").write_text(SITE, encoding="utf-8")
    (repo / "pytest.ini").write_text(INI + "doseguard_overrides = site.yaml\n", encoding="utf-8")
    result = pytest_in(repo)
    assert result.returncode == 1
    assert "expected exactly these findings: DEMO-DOSE-HIGH as critical; it is flagged" in result.stdout
    assert "DEMO-DOSE-HIGH (warning)" in result.stdout
    assert "1 failed, 5 passed" in result.stdout
