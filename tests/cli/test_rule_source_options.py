"""One set of rule-source options for every command that reads packs (``--rules``, ``--overrides``, and
for ``check`` and ``rules test`` ``--select`` / ``--ignore`` / ``--include-deprecated``), one way to say
that a named folder or file does not exist, and the same exit statuses: 0 ok, 1 the command's finding,
2 the command could not do its job."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import click
import pytest

from doseguard.cli.main import check
from doseguard.cli.rules_commands import explain, list_rules, validate
from doseguard.cli.scenario_command import rules_test
from doseguard.rules.loader import bundled_rules_dir
from tests.helpers.cli import DOSEGUARD, doseguard, invoke, jsonl
from tests.helpers.orders import PASSING
from tests.helpers.packs import DOSE_FEATURE, write_features, write_pack

DEMO_SITE = """\
site: Demo hospital
overrides:
  - rule: DEMO-DOSE-HIGH
    reason: "Demo committee: a warning here"
    severity: warning
"""

B12_ROUTE_FEATURE = """\
@B12-ROUTE
Feature: Route of the bundled cyanocobalamin pack
  Scenario: Intravenous
    Given a standard cyanocobalamin order
    And the order's route is "IV"
    Then the order is flagged B12-ROUTE as warning

  Scenario: Intramuscular
    Given a standard cyanocobalamin order
    Then the order is not flagged B12-ROUTE
"""

EXTRA_RULE = """\
rules:
  - id: EXTRA-VOLUME
    title: A large volume
    severity: info
    status: test
    description: A second pack's rule.
    references: ["doseguard tests"]
    when: volume_ml > 4
    message: "{volume_ml} mL."
"""


def commands(tmp_path: Path) -> dict[str, list[str | Path]]:
    """Each command that reads packs, as it would be called but for the rule-source options."""
    return {
        "check": ["check", jsonl(tmp_path, PASSING)],
        "validate": ["rules", "validate"],
        "list": ["rules", "list"],
        "explain": ["rules", "explain", "B12-ROUTE"],
        "test": ["rules", "test", write_features(tmp_path)],
    }


@pytest.mark.parametrize("name", ["check", "validate", "list", "explain", "test"])
def test_a_missing_overrides_file_is_one_located_line_and_exit_2_for_every_command(
    tmp_path: Path, name: str
) -> None:
    missing = tmp_path / "site.yaml"
    done = invoke(*commands(tmp_path)[name], "--overrides", missing)
    assert done.exit_code == 2, done.output
    assert done.stderr == f"{missing}:1:1: no such overrides file\n"
    assert done.stdout == ""


@pytest.mark.parametrize("name", ["check", "validate", "list", "explain", "test"])
def test_a_missing_rule_folder_is_one_located_line_and_exit_2_for_every_command(
    tmp_path: Path, name: str
) -> None:
    missing = tmp_path / "nope"
    done = invoke(*commands(tmp_path)[name], "--rules", missing)
    assert done.exit_code == 2, done.output
    assert done.stderr == f"{missing}:1:1: no such rule folder\n"
    assert done.stdout == ""


def test_the_installed_command_says_it_in_one_line_without_a_traceback(tmp_path: Path) -> None:
    missing = tmp_path / "site.yaml"
    for args in (["check", jsonl(tmp_path, PASSING)], ["rules", "list"]):
        done = doseguard(*args, "--overrides", missing)
        assert (done.returncode, done.stderr) == (2, f"{missing}:1:1: no such overrides file\n")


def _options(command: click.Command) -> dict[str, tuple[tuple[str, ...], str | None]]:
    return {
        param.name or "": (tuple(param.opts), param.help)
        for param in command.params
        if isinstance(param, click.Option)
    }


def test_every_command_that_reads_packs_has_the_same_rule_source_options() -> None:
    source = ("rule_dirs", "overrides")
    selection = ("select", "ignore", "include_deprecated")
    reference = _options(check)
    for command, names in (
        (rules_test, source + selection),
        (validate, source),
        (list_rules, source),
        (explain, source),
    ):
        options = _options(command)
        for name in names:
            assert options[name] == reference[name], (command.name, name)
        for name in set(selection) - set(names):
            assert name not in options, (command.name, name)


@pytest.mark.parametrize(
    ("command", "finding"),
    [
        (["check"], "; 1 one does, or with --fail-on-not-covered an order is not_covered;"),
        (["rules", "validate"], "; 1 they have problems"),
        (["rules", "test"], "; 1 a scenario failed or coverage fell short;"),
        (["rules", "list"], None),
        (["rules", "explain"], None),
    ],
)
def test_help_ends_with_what_each_exit_status_means(command: list[str], finding: str | None) -> None:
    text = " ".join(invoke(*command, "--help").stdout.split())
    assert "Exit status: 0 " in text
    assert "; 2 " in text and "a rule folder or overrides file that does not exist" in text
    if finding is None:
        assert "; 1 " not in text
    else:
        assert finding in text


@pytest.mark.parametrize(
    "command",
    [
        ["check", "x.jsonl"],
        ["rules", "validate"],
        ["rules", "list"],
        ["rules", "explain", "B12-ROUTE"],
        ["rules", "test"],
        ["rules", "vocabulary"],
        ["rules", "schema"],
    ],
)
def test_an_unknown_option_is_a_usage_error_exit_2(command: list[str]) -> None:
    assert invoke(*command, "--no-such-option").exit_code == 2


def test_list_and_explain_apply_an_overrides_file_given_with_the_shared_option(tmp_path: Path) -> None:
    site = tmp_path / "site.yaml"
    site.write_text(DEMO_SITE, encoding="utf-8")
    rules = write_pack(tmp_path)
    listed = json.loads(
        invoke("rules", "list", "--rules", rules, "--overrides", site, "--format", "json").stdout
    )
    assert {r["id"]: r["severity"] for r in listed} == {
        "DEMO-ROUTE": "warning", "DEMO-DOSE-HIGH": "warning", "DOSEGUARD-DRUG-NOT-COVERED": "info"
    }  # fmt: skip


def test_validate_takes_rule_folders_as_arguments_or_with_rules(tmp_path: Path) -> None:
    rules = write_pack(tmp_path)
    write_features(tmp_path)
    positional = invoke("rules", "validate", rules, "--format", "json")
    option = invoke("rules", "validate", "--rules", rules, "--format", "json")
    assert positional.exit_code == option.exit_code == 0, positional.output + option.output
    assert json.loads(positional.stdout) == json.loads(option.stdout)


# --- rules test with check's options ------------------------------------------------------------------


def test_rules_test_applies_a_sites_overrides_as_check_does(tmp_path: Path) -> None:
    """The demo scenarios expect DEMO-DOSE-HIGH as critical: under a site that made it a warning, the
    scenario fails, as the site's orders would be reported."""
    rules, features = write_pack(tmp_path), write_features(tmp_path)
    site = tmp_path / "site.yaml"
    site.write_text(DEMO_SITE, encoding="utf-8")
    plain = invoke("rules", "test", "--rules", rules, features, "--format", "json")
    tailored = invoke("rules", "test", "--rules", rules, features, "--overrides", site, "--format", "json")
    assert plain.exit_code == 0, plain.output
    assert tailored.exit_code == 1, tailored.output
    [failure] = json.loads(tailored.stdout)["failures"]
    assert failure["scenario"]["name"] == "2000 mcg is too much"
    assert "DEMO-DOSE-HIGH (warning): 2,000 mcg is more than 1000 mcg." in failure["message"]
    assert json.loads(tailored.stdout)["rules_version"] != json.loads(plain.stdout)["rules_version"]
    # and scenarios written for the site pass under it
    site_dose = DOSE_FEATURE.replace("| DEMO-DOSE-HIGH | critical |", "| DEMO-DOSE-HIGH | warning  |")
    site_features = write_features(tmp_path / "site", dose=site_dose)
    passing = invoke("rules", "test", "--rules", rules, site_features, "--overrides", site)
    assert passing.exit_code == 0, passing.output


def test_rules_test_select_and_ignore_choose_the_rules_under_test(tmp_path: Path) -> None:
    rules = write_pack(tmp_path)
    only_dose = write_features(tmp_path, route="Feature: no route scenarios here\n")
    done = invoke("rules", "test", "--rules", rules, only_dose, "--ignore", "DEMO-ROUTE", "--format", "json")
    assert done.exit_code == 0, done.output
    assert [rule["id"] for rule in json.loads(done.stdout)["rules"]] == ["DEMO-DOSE-HIGH"]
    # a scenario about a rule the selection leaves out fails, and says why
    everything = write_features(tmp_path / "all")
    left_out = invoke("rules", "test", "--rules", rules, everything, "--select", "DEMO-DOSE-HIGH")
    assert left_out.exit_code == 1
    assert "DEMO-ROUTE does not run: --select / --ignore leave it out" in left_out.stdout


def test_rules_test_a_misspelt_selection_is_a_usage_error_exit_2(tmp_path: Path) -> None:
    done = invoke(
        "rules", "test", "--rules", write_pack(tmp_path), write_features(tmp_path), "--ignore", "DEMO-RUOTE"
    )
    assert done.exit_code == 2
    assert "'DEMO-RUOTE' is neither a rule id nor a tag; did you mean 'DEMO-ROUTE'?" in done.stderr
    assert done.stdout == ""


def test_rules_test_folders_old_and_new_forms(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """RULES FEATURES (as before --rules), --rules DIR FEATURES, several packs, and a folder of
    features alone; more than two folders is a usage error."""
    rules, features = write_pack(tmp_path), write_features(tmp_path)
    other = tmp_path / "other"
    (other / "extra").mkdir(parents=True)
    (other / "extra" / "rules.yaml").write_text(EXTRA_RULE, encoding="utf-8")

    def tested(*args: str | Path) -> tuple[int, list[str]]:
        done = invoke("rules", "test", *args, "--format", "json")
        ids = [rule["id"] for rule in json.loads(done.stdout)["rules"]] if done.stdout else []
        return done.exit_code, ids

    demo = ["DEMO-ROUTE", "DEMO-DOSE-HIGH"]
    assert tested(rules, features) == (0, demo)
    assert tested("--rules", rules, features) == (0, demo)
    assert tested(rules, features, "--rules", other) == (0, [*demo, "EXTRA-VOLUME"])
    assert tested("--rules", rules, "--rules", other, features) == (0, [*demo, "EXTRA-VOLUME"])
    monkeypatch.chdir(tmp_path)
    assert tested(rules) == (0, demo)  # RULES, features/ of the working folder
    assert tested("--rules", rules) == (0, demo)
    assert invoke("rules", "test", rules, features, features).exit_code == 2


def test_rules_test_a_single_folder_of_features_runs_against_the_bundled_packs(tmp_path: Path) -> None:
    features = tmp_path / "features"
    features.mkdir()
    (features / "route.feature").write_text(B12_ROUTE_FEATURE, encoding="utf-8")
    done = invoke("rules", "test", features, "--select", "B12-ROUTE", "--format", "json")
    assert done.exit_code == 0, done.output
    assert [rule["id"] for rule in json.loads(done.stdout)["rules"]] == ["B12-ROUTE"]


def test_rules_test_rules_that_do_not_load_stop_it_with_every_problem_exit_2(tmp_path: Path) -> None:
    rules = write_pack(tmp_path)
    (rules / "demo" / "rules.yaml").write_text(
        (rules / "demo" / "rules.yaml").read_text().replace("severity: warning", "severity: urgent")
    )
    done = invoke("rules", "test", "--rules", rules, write_features(tmp_path))
    assert done.exit_code == 2
    assert done.stderr.endswith("doseguard: 1 problem in rule files; nothing was tested\n")


def test_check_exit_statuses(tmp_path: Path) -> None:
    """0 nothing reaches --fail-on, 1 something does, 2 nothing checked (here: a rule that does not
    load), through the installed command."""
    orders = jsonl(tmp_path, PASSING, {**PASSING, "order_id": "IV", "route": "IV"})
    assert doseguard("check", orders, "--format", "jsonl").returncode == 0
    assert doseguard("check", orders, "--format", "jsonl", "--fail-on", "warning").returncode == 1
    done = doseguard("check", orders, "--rules", tmp_path, "--format", "jsonl")
    assert isinstance(done, subprocess.CompletedProcess)
    assert done.returncode == 2
    assert done.stdout == ""


@pytest.mark.parametrize("command", [["rules", "schema"], ["rules", "list"], ["check", "--format", "jsonl"]])
def test_a_reader_that_went_away_is_exit_2_not_the_finding_status_1(
    tmp_path: Path, command: list[str]
) -> None:
    """``doseguard check ... | head``: not every result was delivered. The pipe's read end is closed
    before the command starts, so its first write fails, whatever the machine's speed."""
    args = [*command, jsonl(tmp_path, PASSING)] if command[0] == "check" else command
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        done = subprocess.run(
            [str(DOSEGUARD), *map(str, args)],
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
            timeout=120,
            check=False,
        )
    finally:
        os.close(write_end)
    assert done.returncode == 2
    assert done.stderr == ""


# --- paths that exist but are not what the option takes -------------------------------------------


@pytest.mark.parametrize("name", ["check", "validate", "list", "explain", "test"])
def test_a_file_as_rules_and_a_folder_as_overrides_are_one_located_line_and_exit_2(
    tmp_path: Path, name: str
) -> None:
    command = commands(tmp_path)[name]
    a_file = jsonl(tmp_path, PASSING, name="not-a-folder.jsonl")
    done = invoke(*command, "--rules", a_file)
    assert (done.exit_code, done.stdout) == (2, ""), done.output
    assert done.stderr == f"{a_file}:1:1: not a folder: --rules takes a pack folder or a folder of packs\n"
    folder = tmp_path / "site"
    folder.mkdir()
    done = invoke(*command, "--overrides", folder)
    assert (done.exit_code, done.stdout) == (2, ""), done.output
    assert done.stderr == f"{folder}:1:1: not a regular file (a folder): not loaded\n"


@pytest.mark.parametrize("name", ["check", "validate"])
def test_a_device_or_a_pipe_as_overrides_is_named_for_what_it_is_exit_2(tmp_path: Path, name: str) -> None:
    os.mkfifo(tmp_path / "pipe")
    command = commands(tmp_path)[name]
    for path, kind in ((Path("/dev/zero"), "a device"), (tmp_path / "pipe", "a named pipe")):
        done = invoke(*command, "--overrides", path)
        assert (done.exit_code, done.stderr) == (2, f"{path}:1:1: not a regular file ({kind}): not loaded\n")


def test_validate_a_pack_with_a_file_that_does_not_load_is_a_problem_exit_1(tmp_path: Path) -> None:
    rules = write_pack(tmp_path)
    (rules / "demo" / "extra.yaml").symlink_to("gone.yaml")
    done = invoke("rules", "validate", rules)
    assert done.exit_code == 1, done.output
    assert f"{rules / 'demo' / 'extra.yaml'}:1:1: a broken symbolic link (to 'gone.yaml'): not loaded" in (
        done.stderr
    )


def test_check_a_10_mg_dose_with_a_pack_whose_file_is_named_in_capitals(tmp_path: Path) -> None:
    """The report of issue 8: dose.YAML was skipped, and a 10 mg dose lost its critical finding."""
    shutil.copytree(bundled_rules_dir() / "b12", tmp_path / "b12")
    (tmp_path / "b12" / "dose.yaml").rename(tmp_path / "b12" / "dose.YAML")
    orders = jsonl(tmp_path, {**PASSING, "dose": "10 mg", "volume": "10 mL"})
    done = invoke("check", orders, "--rules", tmp_path / "b12", "--format", "jsonl")
    findings = {f["rule_id"]: f["severity"] for f in json.loads(done.stdout)["findings"]}
    assert "critical" in findings.values(), findings
    assert done.exit_code == 1


def test_validate_reports_the_problems_of_every_file_beside_a_yaml_problem(tmp_path: Path) -> None:
    rules = write_pack(tmp_path)
    text = (rules / "demo" / "rules.yaml").read_text()
    doubled = text.replace("    severity: warning\n", "    severity: warning\n    severity: info\n")
    (rules / "demo" / "rules.yaml").write_text(doubled.replace('"IM"', '"IMM"'))
    (rules / "demo" / "more.yaml").write_text(EXTRA_RULE.replace("volume_ml > 4", "volume > 4"))
    done = invoke("rules", "validate", rules, "--format", "json")
    assert done.exit_code == 1
    found = [(Path(p["file"]).name, p["line"], p["kind"]) for p in json.loads(done.stdout)["problems"]]
    assert found == [("more.yaml", 8, "type"), ("rules.yaml", 5, "duplicate-key"), ("rules.yaml", 9, "type")]
