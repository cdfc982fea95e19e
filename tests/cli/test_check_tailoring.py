"""``doseguard check`` tailored to a site: several packs, --select / --ignore, --overrides; the worker
processes run exactly the rules the main process loaded."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

from tests.helpers.cli import doseguard, jsonl, results
from tests.helpers.orders import order
from tests.helpers.rule_files import SITE_OVERRIDES  # the same site file the loader's tests use

RULES = Path(__file__).resolve().parents[2] / "rules"
# 1500 mcg in 1.5 mL in the deltoid: B12-DOSE-HIGH (warning); within the pack's 2 mL deltoid limit.
BIG = order("BIG", dose="1500 mcg", volume="1.5 mL")
ZERO = order("ZERO", volume="1.0 mL")  # NOTATION-TRAILING-ZERO (info)


def found(line: dict[str, Any]) -> dict[str, str]:
    return {f["rule_id"]: f["severity"] for f in line["findings"]}


def test_a_site_overrides_file_changes_severity_and_limits_in_every_worker(tmp_path: Path) -> None:
    site = tmp_path / "site.yaml"
    site.write_text(textwrap.dedent(SITE_OVERRIDES), encoding="utf-8")
    orders = jsonl(tmp_path, *(order(f"O{i}", dose="1500 mcg", volume="1.5 mL") for i in range(300)))
    plain = doseguard("check", orders, "--format", "jsonl", "--jobs", "2")
    tailored = doseguard("check", orders, "--format", "jsonl", "--jobs", "2", "--overrides", site)
    assert plain.returncode == 0, plain.stderr
    assert tailored.returncode == 1, tailored.stderr  # a critical finding now
    assert {json.dumps(found(line)) for line in results(plain.stdout)} == {'{"B12-DOSE-HIGH": "warning"}'}
    tailored_lines = results(tailored.stdout)
    expected = {"B12-DOSE-HIGH": "critical", "B12-SITE-VOLUME": "warning"}
    assert all(found(line) == expected for line in tailored_lines)
    assert tailored_lines[0]["rules_version"] != results(plain.stdout)[0]["rules_version"]


def test_a_broken_overrides_file_stops_the_run_before_anything_is_checked(tmp_path: Path) -> None:
    site = tmp_path / "site.yaml"
    site.write_text("overrides:\n  - rule: B12-DOSE-HIHG\n    reason: typo\n    severity: info\n")
    done = doseguard("check", jsonl(tmp_path, BIG), "--overrides", site)
    assert done.returncode == 2
    assert done.stdout == ""
    assert (
        f"{site}:2:11: no loaded rule has the id 'B12-DOSE-HIHG'; did you mean 'B12-DOSE-HIGH'?"
        in done.stderr
    )


def test_select_and_ignore_by_id_and_tag(tmp_path: Path) -> None:
    orders = jsonl(tmp_path, BIG, ZERO)
    only_notation = doseguard("check", orders, "--format", "jsonl", "--select", "NOTATION-TRAILING-ZERO")
    assert [found(line) for line in results(only_notation.stdout)] == [{}, {"NOTATION-TRAILING-ZERO": "info"}]
    no_dose = doseguard("check", orders, "--format", "jsonl", "--ignore", "dose")
    assert [found(line) for line in results(no_dose.stdout)] == [{}, {"NOTATION-TRAILING-ZERO": "info"}]


def test_a_misspelt_selection_is_a_usage_error(tmp_path: Path) -> None:
    done = doseguard("check", jsonl(tmp_path, BIG), "--ignore", "B12-DOSE-HIHG")
    assert done.returncode == 2
    assert "'B12-DOSE-HIHG' is neither a rule id nor a tag; did you mean 'B12-DOSE-HIGH'?" in done.stderr


def test_several_packs_in_one_run(tmp_path: Path) -> None:
    orders = jsonl(tmp_path, BIG, ZERO)
    only_b12 = doseguard("check", orders, "--format", "jsonl", "--rules", RULES / "b12")
    assert [found(line) for line in results(only_b12.stdout)] == [{"B12-DOSE-HIGH": "warning"}, {}]
    both = doseguard(
        "check", orders, "--format", "jsonl", "--rules", RULES / "b12", "--rules", RULES / "notation"
    )
    assert [found(line) for line in results(both.stdout)] == [
        {"B12-DOSE-HIGH": "warning"},
        {"NOTATION-TRAILING-ZERO": "info"},
    ]
