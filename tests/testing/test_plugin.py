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

from tests.testing.packs import DOSE_FEATURE, PACK, write_features, write_pack

INI = """\
[pytest]
doseguard_rules = rules
doseguard_collect_features = true
"""

# pack.yaml may name its own correct orders for "Given a standard <name> order".
PACK_WITH_ORDER = (
    PACK
    + """\
standard_orders:
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
