"""The README's authoring tutorial, followed to the letter in an empty folder: its files are taken from
the README itself, so the tutorial cannot drift from what the commands do."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
import yaml

from tests.helpers.cli import DOSEGUARD

README = Path(__file__).resolve().parents[1] / "README.md"
TYPO = "mtx/weekly.yaml:15:11: unknown field or parameter 'interval_day'; did you mean 'interval_days'?"


def tutorial_files() -> dict[str, str]:
    """Each ``<!-- tutorial-file: PATH -->`` marker and the fenced block after it."""
    pattern = re.compile(r"<!-- tutorial-file: (\S+) -->\n```\w*\n(.*?)```", re.DOTALL)
    return dict(pattern.findall(README.read_text(encoding="utf-8")))


def ini_block() -> str:
    match = re.search(r"```ini\n# pytest.ini\n(.*?)```", README.read_text(encoding="utf-8"), re.DOTALL)
    assert match, "the README shows a pytest.ini for a QA repository"
    return match.group(1)


def run(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [DOSEGUARD, *args], cwd=folder, capture_output=True, text=True, timeout=300, check=False
    )


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("qa-repo")
    files = tutorial_files()
    assert set(files) == {"mtx/pack.yaml", "mtx/weekly.yaml", "mtx/features/weekly.feature"}
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")
    return root


def test_the_pack_validates_and_a_typo_is_reported_as_the_readme_shows(folder: Path) -> None:
    done = run(folder, "rules", "validate", "mtx")
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""  # its stable rule has scenarios in mtx/features
    rule_file = folder / "mtx" / "weekly.yaml"
    good = rule_file.read_text(encoding="utf-8")
    rule_file.write_text(good.replace("when: interval_days", "when: interval_day"), encoding="utf-8")
    try:
        typo = run(folder, "rules", "validate", "mtx")
    finally:
        rule_file.write_text(good, encoding="utf-8")
    assert typo.returncode == 1
    assert typo.stderr.splitlines()[0] == TYPO
    assert TYPO in README.read_text(encoding="utf-8")


def test_the_scenarios_pass_with_full_coverage_as_the_readme_shows(folder: Path) -> None:
    done = run(folder, "rules", "test", "mtx", "mtx/features", "--min-coverage", "100")
    assert done.returncode == 0, done.stdout + done.stderr
    readme = README.read_text(encoding="utf-8")
    for line in ("weekly.feature:8  A daily order is stopped", "weekly.feature:14  Every 7 days is once a week",
                 "Rule coverage: 1 of 1 rules (100.0%)"):  # fmt: skip
        assert line in done.stdout
        assert line in readme


def test_explain_and_list_read_the_rule_back(folder: Path) -> None:
    explained = run(folder, "rules", "explain", "MTX-MORE-THAN-WEEKLY", "--rules", "mtx")
    assert explained.returncode == 0, explained.stderr
    assert "interval_days < 7" in explained.stdout  # the condition as checked, parameter in force
    listed = run(folder, "rules", "list", "--rules", "mtx")
    assert re.search(r"MTX-MORE-THAN-WEEKLY\s+critical\s+stable\s+methotrexate", listed.stdout)


def test_the_editor_schema_accepts_the_tutorial_files(folder: Path) -> None:
    schema = json.loads(run(folder, "rules", "schema").stdout)
    for name in ("mtx/pack.yaml", "mtx/weekly.yaml"):
        jsonschema.validate(yaml.safe_load((folder / name).read_text(encoding="utf-8")), schema)


def test_the_pack_checks_orders(folder: Path) -> None:
    order = {
        "patient_id": "P1",
        **yaml.safe_load((folder / "mtx/pack.yaml").read_text())["standard_orders"]["methotrexate"],
    }
    orders = folder / "orders.jsonl"
    lines = [{**order, "order_id": "DAILY", "frequency": "daily"}, {**order, "order_id": "WEEKLY"}]
    orders.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    done = run(folder, "check", "orders.jsonl", "--rules", "mtx", "--format", "jsonl")
    assert done.returncode == 1  # a critical finding
    results = [json.loads(line) for line in done.stdout.splitlines()]
    assert [r["status"] for r in results] == ["flagged", "pass"]
    assert results[0]["findings"][0]["rule_id"] == "MTX-MORE-THAN-WEEKLY"


def test_a_qa_repository_runs_the_scenarios_with_plain_pytest(folder: Path) -> None:
    (folder / "pytest.ini").write_text(ini_block(), encoding="utf-8")
    try:
        done = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
            cwd=folder, capture_output=True, text=True, timeout=300, check=False,
        )  # fmt: skip
    finally:
        (folder / "pytest.ini").unlink()
    assert done.returncode == 0, done.stdout + done.stderr
    assert "3 passed" in done.stdout
