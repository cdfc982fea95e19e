"""``doseguard rules validate / list / explain / vocabulary / schema``: what a QA author sees.

Most tests run the commands in-process with click's ``CliRunner`` (stdout and stderr apart); the exit
statuses of usage errors go through the installed script, whose ``main()`` maps click's errors.
"""

from __future__ import annotations

import json
import re
import textwrap
from pathlib import Path
from typing import Any, get_args

import jsonschema
import pytest
import yaml

from doseguard.cli import rules_commands
from doseguard.engine.compiled import compile_rules
from doseguard.errors import EngineError
from doseguard.rules.expressions import KEYWORDS, ArithmeticOp, CompareOp, MembershipOp
from doseguard.rules.language import OPERATOR_MEANINGS, operator_symbols
from doseguard.rules.loader import load_rules
from doseguard.rules.model import NOT_COVERED
from doseguard.rules.schema import SCHEMA_PATH, rule_pack_schema
from doseguard.rules.typecheck import CONDITION_FUNCTIONS, MESSAGE_FUNCTIONS
from doseguard.vocabulary import VOCABULARY
from tests.helpers.cli import doseguard, invoke

REPO = Path(__file__).resolve().parents[2]
BUNDLED_FILES = sorted((REPO / "rules").glob("*/*.yaml"))

A_YAML = """\
rules:
  - id: TEST-KEY
    title: A misspelt key
    severty: warning
    description: x
    references: [r]
    when: dose_mcg > 5
    message: m
  - id: TEST-SEVERITY
    title: A severity that does not exist
    severity: high
    description: x
    references: [r]
    when: dose_mcg > 5
    message: m
  - id: TEST-FIELD
    title: An unknown field
    severity: warning
    description: x
    references: [r]
    when: dosage_mcg > 5
    message: m
"""
B_YAML = """\
rules:
  - id: TEST-FIELD
    title: The same id again
    severity: info
    description: x
    references: [r]
    when: volume_ml > 5
    message: m
  - id: TEST-MESSAGE
    title: A message naming an unknown field
    severity: info
    description: x
    references: [r]
    when: volume_ml > 5
    message: "{volum_ml} mL"
"""

SMALL_PACK = """\
rules:
  - id: SMALL-HIGH
    title: High dose
    severity: warning
    status: test
    version: 3
    description: A test rule.
    references: [a source]
    tags: [dose]
    parameters:
      limit: 1000
    when: dose_mcg > limit
    message: "{dose_mcg} mcg is more than {limit} mcg"
  - id: SMALL-OLD
    title: An old rule
    severity: info
    status: deprecated
    description: Kept for the record.
    references: [a source]
    when: volume_ml > 5
    message: big volume
"""

OVERRIDES = """\
site: St Elsewhere pharmacy
overrides:
  - rule: B12-SITE-VOLUME
    reason: Trust IM policy caps the deltoid at 1 mL
    parameters:
      site_max_volume_ml: {deltoid: 1}
  - rule: B12-DOSE-HIGH
    reason: Haematology asked for this to stop the order
    severity: critical
"""


def write(folder: Path, files: dict[str, str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(textwrap.dedent(text), encoding="utf-8")
    return folder


@pytest.fixture
def broken(tmp_path: Path) -> Path:
    """A pack with six mistakes of five kinds in two files."""
    return write(
        tmp_path / "broken",
        {"pack.yaml": "name: broken\ntitle: Mistakes\n", "a.yaml": A_YAML, "b.yaml": B_YAML},
    )


@pytest.fixture
def small(tmp_path: Path) -> Path:
    return write(tmp_path / "small", {"rules.yaml": SMALL_PACK})


@pytest.fixture
def overrides(tmp_path: Path) -> Path:
    path = tmp_path / "overrides.yaml"
    path.write_text(OVERRIDES, encoding="utf-8")
    return path


def line_of(path: Path, text: str) -> int:
    """The 1-based line of ``path`` that contains ``text``."""
    return next(i for i, line in enumerate(path.read_text().splitlines(), 1) if text in line)


# --- validate ---------------------------------------------------------------------------------------


def test_validate_the_bundled_packs_exits_0_with_counts() -> None:
    done = invoke("rules", "validate")
    assert done.exit_code == 0, done.stderr
    rule_set = load_rules()
    assert done.stdout == (
        f"{len(rule_set.rules)} rules in {len(rule_set.packs)} packs are valid (version {rule_set.version})\n"
    )
    assert done.stderr == ""


STABLE_FEATURE = """\
Feature: Small doses
  Scenario: A big dose is flagged
    Given an order:
      | drug | cyanocobalamin |
      | dose | 2000 mcg       |
    Then the order is flagged SMALL-HIGH

  Scenario: A usual dose is not
    Given an order:
      | drug | cyanocobalamin |
      | dose | 1000 mcg       |
    Then the order is not flagged SMALL-HIGH
"""


def test_validate_requires_scenarios_of_a_stable_rule(tmp_path: Path) -> None:
    pack = write(tmp_path / "small", {"rules.yaml": SMALL_PACK.replace("status: test", "status: stable")})
    (pack / "features").mkdir()
    done = invoke("rules", "validate", pack)
    assert done.exit_code == 1
    assert done.stderr == (
        f"{pack / 'rules.yaml'}:2:5: SMALL-HIGH is stable but no scenario in {pack / 'features'} checks it: "
        "write a scenario that fires it and a near miss, or set its status to test\n"
        "doseguard: 1 problem in rule files\n"
    )
    write(pack / "features", {"small.feature": STABLE_FEATURE})
    done = invoke("rules", "validate", pack, "--format", "json")
    assert done.exit_code == 0, done.stdout
    assert json.loads(done.stdout)["features"] == [str(pack / "features")]


def test_validate_reads_scenarios_from_the_features_option_and_locates_bad_gherkin(tmp_path: Path) -> None:
    pack = write(tmp_path / "small", {"rules.yaml": SMALL_PACK.replace("status: test", "status: stable")})
    features = write(tmp_path / "qa", {"small.feature": STABLE_FEATURE})
    assert invoke("rules", "validate", pack, "--features", features).exit_code == 0
    table = "Feature: x\n  Scenario: y\n    Given an order:\n      | drug | b12 |\n      | dose |\n"
    (features / "broken.feature").write_text(table, encoding="utf-8")
    done = invoke("rules", "validate", pack, "--features", features, "--format", "json")
    assert done.exit_code == 1
    (problem,) = json.loads(done.stdout)["problems"]
    assert (problem["file"], problem["line"], problem["kind"]) == (
        str(features / "broken.feature"),
        5,
        "feature",
    )


def test_validate_says_when_no_scenarios_could_be_checked(small: Path) -> None:
    done = invoke("rules", "validate", small)
    assert done.exit_code == 0
    assert "no features/ folder found: scenarios of stable rules not checked" in done.stderr


def test_validate_of_two_packs_sharing_a_features_folder_searches_that_one(tmp_path: Path) -> None:
    """rules/a, rules/b and rules/features: the features/ folder above rules/ is not theirs (it was
    searched too, for the second pack, because the first had taken rules/features already)."""
    for pack in ("a", "b"):
        write(
            tmp_path / "rules" / pack, {"rules.yaml": SMALL_PACK.replace("SMALL-", f"SMALL-{pack.upper()}-")}
        )
    (tmp_path / "rules" / "features").mkdir()
    (tmp_path / "features").mkdir()
    done = invoke("rules", "validate", tmp_path / "rules", "--format", "json")
    assert done.exit_code == 0, done.stdout
    assert json.loads(done.stdout)["features"] == [str(tmp_path / "rules" / "features")]


def test_validate_json_on_the_bundled_packs() -> None:
    done = invoke("rules", "validate", "--format", "json")
    assert done.exit_code == 0
    rule_set = load_rules()
    assert json.loads(done.stdout) == {
        "valid": True,
        "version": rule_set.version,
        "rules": len(rule_set.rules),
        "packs": len(rule_set.packs),
        # every stable rule has scenarios in its own pack's features/ folder
        "features": [
            str(REPO / "rules" / pack / "features")
            for pack in ("b12", "enoxaparin", "folic_acid", "hydroxocobalamin", "notation")
        ],
        "problems": [],
        "warnings": [],
    }


def test_validate_lists_every_problem_located_and_exits_1(broken: Path) -> None:
    done = invoke("rules", "validate", broken)
    assert done.exit_code == 1
    a, b = broken / "a.yaml", broken / "b.yaml"
    assert done.stderr.splitlines() == [
        f"{a}:2:5: missing required key 'severity'",
        f"{a}:4:5: unknown key 'severty'; did you mean 'severity'?",
        f"{a}:11:15: severity: Input should be 'info', 'warning' or 'critical' (got 'high')",
        f"{a}:21:11: unknown field or parameter 'dosage_mcg'; did you mean 'dose_mcg'?",
        f"{b}:2:9: duplicate rule id 'TEST-FIELD' (first defined at {a}:16:9)",
        f"{b}:15:16: message: in placeholder {{volum_ml}}: unknown field or parameter 'volum_ml'; did you mean 'volume_ml'?",
        "doseguard: 6 problems in rule files",
    ]
    assert done.stdout == ""


def test_validate_json_lists_every_problem_with_its_kind_and_rule(broken: Path) -> None:
    done = invoke("rules", "validate", broken, "--format", "json")
    assert done.exit_code == 1
    report = json.loads(done.stdout)
    assert report["valid"] is False
    assert (report["version"], report["rules"], report["packs"]) == (None, None, None)
    a, b = str(broken / "a.yaml"), str(broken / "b.yaml")
    assert [(p["file"], p["line"], p["column"], p["kind"], p["rule_id"]) for p in report["problems"]] == [
        (a, 2, 5, "schema", "TEST-KEY"),
        (a, 4, 5, "schema", "TEST-KEY"),
        (a, 11, 15, "schema", "TEST-SEVERITY"),
        (a, 21, 11, "type", "TEST-FIELD"),
        (b, 2, 9, "duplicate-id", "TEST-FIELD"),
        (b, 15, 16, "message", "TEST-MESSAGE"),
    ]
    assert report["problems"][1]["message"] == "unknown key 'severty'; did you mean 'severity'?"
    assert set(report["problems"][0]) == {"file", "line", "column", "message", "kind", "rule_id"}


def test_validate_counts_deprecated_rules(small: Path) -> None:
    """Deprecated rules do not run by default, but they must stay valid to be switched back on."""
    done = invoke("rules", "validate", small, "--format", "json")
    assert done.exit_code == 0
    assert json.loads(done.stdout)["rules"] == 2


def test_validate_an_empty_folder_is_a_problem_exit_1(tmp_path: Path) -> None:
    done = invoke("rules", "validate", tmp_path, "--format", "json")
    assert done.exit_code == 1
    (problem,) = json.loads(done.stdout)["problems"]
    assert problem["message"] == "no rule files (*.yaml) here or in sub-folders"
    assert problem["kind"] == "io"


def test_validate_a_folder_that_does_not_exist_is_a_usage_error_exit_2(tmp_path: Path) -> None:
    done = doseguard("rules", "validate", tmp_path / "nope")
    assert done.returncode == 2
    assert done.stderr == f"{tmp_path / 'nope'}:1:1: no such rule folder\n"  # as for --rules
    assert done.stdout == ""


def test_validate_checks_an_overrides_file(tmp_path: Path) -> None:
    path = tmp_path / "overrides.yaml"
    path.write_text(OVERRIDES.replace("B12-SITE-VOLUME", "B12-SITE-VOLUM"), encoding="utf-8")
    done = invoke("rules", "validate", "--overrides", path)
    assert done.exit_code == 1
    assert re.search(
        rf"^{re.escape(str(path))}:3:\d+: .*did you mean 'B12-SITE-VOLUME'\?", done.stderr, re.M
    ), done.stderr


def test_validate_reports_a_pack_the_engine_refuses(monkeypatch: pytest.MonkeyPatch) -> None:
    """The last line of defence: the loader's limits missed something the engine will not take."""

    def refuse(*rules: object) -> None:
        raise EngineError("error code: 303")

    monkeypatch.setattr(rules_commands, "Checker", refuse)
    text = invoke("rules", "validate")
    assert text.exit_code == 1
    assert text.stderr == "doseguard: the rules engine refused the rules: error code: 303\n"
    report = json.loads(invoke("rules", "validate", "--format", "json").stdout)
    assert report["valid"] is False
    assert report["problems"] == [
        {"file": None, "line": None, "column": None, "kind": "engine", "rule_id": None,
         "message": "the rules engine refused the rules: error code: 303"}
    ]  # fmt: skip


ENGINE_RULE = """\
  - id: {id}
    title: T
    severity: warning
    description: A test rule.
    references: [a source]
    when: {when}
    message: "m"
"""
WIDE = " or ".join(f"dose_mcg > {i}" for i in range(1, 62))


def engine_pack(folder: Path, files: dict[str, list[tuple[str, str]]]) -> Path:
    """A pack whose rules the loader takes but the engine's compiler may not."""
    texts = {name: "rules:\n" + "".join(ENGINE_RULE.format(id=i, when=w) for i, w in rules)
             for name, rules in files.items()}  # fmt: skip
    return write(folder, texts)


def test_validate_lists_the_loaders_and_the_engines_problems_together_in_file_order(tmp_path: Path) -> None:
    """Compiling moved from the loader to the engine; ``validate`` still lists all, as one list."""
    pack = engine_pack(
        tmp_path / "pack",
        {
            "a.yaml": [("G-1", "route in []"), ("G-2", "dose_mcgs > 1"), ("G-3", WIDE),
                       ("G-4", "volume_ml * dose_mcg > 1")],
            "b.yaml": [("G-5", "bogus > 1"), ("G-6", "route in []")],
        },
    )  # fmt: skip
    a, b = pack / "a.yaml", pack / "b.yaml"
    done = invoke("rules", "validate", pack)
    assert done.exit_code == 1
    assert done.stderr.splitlines() == [
        f"{a}:7:11: this condition can never be true",
        f"{a}:14:11: unknown field or parameter 'dose_mcgs'; did you mean 'dose_mcg'?",
        f"{a}:21:11: the condition expands into 61 alternative paths; the engine fails when one order "
        "matches more than 60 (split the rule, or use fewer table entries or 'or's)",
        f"{a}:28:32: one side of a comparison must be a field, or a field plus or minus other terms",
        f"{b}:7:11: unknown field or parameter 'bogus'",
        f"{b}:14:11: this condition can never be true",
        "doseguard: 6 problems in rule files",
    ]
    report = json.loads(invoke("rules", "validate", pack, "--format", "json").stdout)
    assert report["valid"] is False and report["rules"] is None and report["warnings"] == []
    assert [(p["rule_id"], p["kind"]) for p in report["problems"]] == [
        ("G-1", "invalid"), ("G-2", "type"), ("G-3", "engine-limit"), ("G-4", "compile"), ("G-5", "type"),
        ("G-6", "invalid"),
    ]  # fmt: skip


def test_a_pack_the_engine_cannot_take_stops_check_even_for_a_rule_not_selected(tmp_path: Path) -> None:
    """Every rule of the packs is compiled before the selection, as the loader did when it compiled."""
    pack = engine_pack(tmp_path / "pack", {"a.yaml": [("F-OK", "dose_mcg > 1"), ("F-WIDE", WIDE)]})
    orders = tmp_path / "orders.jsonl"
    orders.write_text('{"order_id": "O1", "patient_id": "P1", "drug": "x"}\n', encoding="utf-8")
    for args in (
        ("check", orders, "--rules", pack, "--ignore", "F-WIDE"),
        ("rules", "list", "--rules", pack),
    ):
        done = invoke(*args)
        assert done.exit_code == 2, args
        assert done.stderr.splitlines()[0] == (
            f"{pack / 'a.yaml'}:14:11: the condition expands into 61 alternative paths; the engine fails "
            "when one order matches more than 60 (split the rule, or use fewer table entries or 'or's)"
        )
        assert done.stdout == ""


# --- list -------------------------------------------------------------------------------------------


def test_list_shows_every_bundled_rule_in_aligned_columns() -> None:
    done = invoke("rules", "list")
    assert done.exit_code == 0
    lines = done.stdout.splitlines()
    assert re.fullmatch(r"ID +SEVERITY +STATUS +PACK +TITLE", lines[0])
    assert re.fullmatch(r"B12-ROUTE +warning +stable +b12 +Route other than IM or deep SC", lines[1])
    assert [line.split()[0] for line in lines[1:]] == [rule.id for rule in load_rules().rules] + [NOT_COVERED]
    assert re.fullmatch(r"DOSEGUARD-DRUG-NOT-COVERED +info +stable +doseguard +Drug not covered by any rule pack",
                        lines[-1])  # fmt: skip
    assert (
        len({line.index(" warning") if " warning" in line else -1 for line in lines} - {-1}) == 1
    )  # aligned


def test_list_json_includes_deprecated_rules(small: Path) -> None:
    done = invoke("rules", "list", "--rules", small, "--format", "json")
    assert done.exit_code == 0
    listed = json.loads(done.stdout)
    assert [(r["id"], r["severity"], r["status"], r["pack"], r["title"]) for r in listed] == [
        ("SMALL-HIGH", "warning", "test", "small", "High dose"),
        ("SMALL-OLD", "info", "deprecated", "small", "An old rule"),
    ]
    assert listed[0]["version"] == 3
    assert listed[0]["tags"] == ["dose"]
    assert listed[0]["source"] == f"{small / 'rules.yaml'}:2:5"


def test_list_shows_severities_in_force_after_overrides(overrides: Path) -> None:
    listed = {
        r["id"]: r
        for r in json.loads(invoke("rules", "list", "--overrides", overrides, "--format", "json").stdout)
    }
    assert listed["B12-DOSE-HIGH"]["severity"] == "critical"
    assert listed["B12-DOSE-HIGH"]["overridden"] == ["severity"]
    assert listed["B12-SITE-VOLUME"]["overridden"] == ["site_max_volume_ml"]
    assert listed["B12-ROUTE"]["overridden"] == []


def test_list_of_a_broken_pack_shows_the_problems_and_exits_2(broken: Path) -> None:
    done = invoke("rules", "list", "--rules", broken)
    assert done.exit_code == 2
    assert f"{broken / 'a.yaml'}:4:5: unknown key 'severty'; did you mean 'severity'?" in done.stderr
    assert done.stderr.endswith(
        "doseguard: 6 problems in rule files (fix them, then check with: doseguard rules validate)\n"
    )
    assert done.stdout == ""


def test_list_shows_the_not_covered_notice_as_a_site_set_it(tmp_path: Path) -> None:
    site = tmp_path / "site.yaml"
    site.write_text(
        "overrides:\n  - rule: DOSEGUARD-DRUG-NOT-COVERED\n    reason: seen by pharmacy\n    severity: warning\n",
        encoding="utf-8",
    )
    listed = {
        r["id"]: r
        for r in json.loads(invoke("rules", "list", "--overrides", site, "--format", "json").stdout)
    }
    notice = listed[NOT_COVERED]
    assert (notice["severity"], notice["status"], notice["pack"], notice["overridden"]) == (
        "warning", "stable", "doseguard", ["severity"]
    )  # fmt: skip
    assert notice["source"] == "built-in"


def test_a_pack_with_no_drugs_lists_no_not_covered_notice(small: Path) -> None:
    """No order is "not covered" when no pack names a drug: the notice cannot be given."""
    listed = json.loads(invoke("rules", "list", "--rules", small, "--format", "json").stdout)
    assert NOT_COVERED not in [r["id"] for r in listed]


def test_explain_explains_the_not_covered_notice() -> None:
    done = invoke("rules", "explain", "doseguard-drug-not-covered")
    assert done.exit_code == 0
    text = done.stdout
    assert text.startswith("DOSEGUARD-DRUG-NOT-COVERED: Drug not covered by any rule pack\n")
    for line in ("  pack:      doseguard (built into doseguard)", "  severity:  info", "  source:    built-in",
                 "Description", "References"):  # fmt: skip
        assert line in text.splitlines()
    assert "--fail-on-not-covered" in " ".join(text.split())


# --- explain ----------------------------------------------------------------------------------------


def test_explain_shows_what_a_reviewer_needs() -> None:
    done = invoke("rules", "explain", "B12-SITE-VOLUME")
    assert done.exit_code == 0
    text = done.stdout
    source = REPO / "rules" / "b12" / "administration.yaml"
    assert text.startswith("B12-SITE-VOLUME: Intramuscular volume above the site's maximum\n")
    for line in (
        "  pack:      b12 (Injectable vitamin B12 (cyanocobalamin 1000 mcg/mL, IM or deep SC))",
        "  severity:  warning",
        "  status:    stable",
        "  version:   1",
        "  tags:      volume, site",
        f"  source:    {source}:{line_of(source, 'id: B12-SITE-VOLUME')}:5",
        "When (as written)",
        '  route == "IM" and volume_ml > site_max_volume_ml[site]',
        "  all of:",
        "    - drug in ['cyanocobalamin']",
        "    - route == 'IM'",
        "Parameters",
        "  site_max_volume_ml: {deltoid: 2, vastus_lateralis: 3, ventrogluteal: 3, dorsogluteal: 3,",
        "      upper_arm: 2, thigh: 3, buttock: 3}",
        "Message",
        "References",
    ):
        assert line in text.splitlines(), line
    assert "Each muscle takes a limited volume in one injection." in text
    assert "- Nicoll LH, Hesby A." in text


def test_explain_a_structured_condition_shows_the_block_as_written_and_as_checked() -> None:
    text = invoke("rules", "explain", "B12-DOSE-IMPLAUSIBLE").stdout
    assert (
        "When (as written)\n  any:\n  - dose_mcg >= implausible_dose_mcg\n  - volume_ml > implausible_volume_ml\n"
        in text
    )
    assert (
        "  all of:\n    - drug in ['cyanocobalamin']\n    - any of:\n        - dose_mcg >= 10000\n        - volume_ml > 5\n"
        in text
    )
    assert "  implausible_dose_mcg: 10000\n" in text


def test_explain_shows_site_overrides_with_location_pack_value_and_reason(overrides: Path) -> None:
    volume = invoke("rules", "explain", "B12-SITE-VOLUME", "--overrides", overrides).stdout
    flat = " ".join(volume.split())
    assert (
        "site_max_volume_ml: {deltoid: 1, vastus_lateralis: 3, ventrogluteal: 3, dorsogluteal: 3, "
        f"upper_arm: 2, thigh: 3, buttock: 3}} (site override at {overrides}:6:27, pack value {{deltoid: 2, "
        "vastus_lateralis: 3, ventrogluteal: 3, dorsogluteal: 3, upper_arm: 2, thigh: 3, buttock: 3}: Trust "
        "IM policy caps the deltoid at 1 mL)"
    ) in flat
    high = invoke("rules", "explain", "B12-DOSE-HIGH", "--overrides", overrides).stdout
    assert (
        f"  severity:  critical   (site override at {overrides}:9:15, pack value warning: "
        "Haematology asked for this to stop the order)"
    ) in high.splitlines()


def test_explain_compiled_prints_the_engine_condition_as_json() -> None:
    done = invoke("rules", "explain", "B12-ROUTE", "--compiled")
    assert done.exit_code == 0
    assert json.loads(done.stdout) == compile_rules(load_rules())["B12-ROUTE"].compiled
    assert done.stdout.startswith("{\n  ")  # pretty-printed


def test_explain_accepts_a_lower_case_id() -> None:
    done = invoke("rules", "explain", "b12-route")
    assert done.exit_code == 0
    assert done.stdout.startswith("B12-ROUTE: ")


def test_explain_a_deprecated_rule_of_another_pack(small: Path) -> None:
    done = invoke("rules", "explain", "SMALL-OLD", "--rules", small)
    assert done.exit_code == 0
    assert "  status:    deprecated" in done.stdout.splitlines()
    assert "Parameters" not in done.stdout  # a rule without parameters has no empty section


def test_explain_an_unknown_id_suggests_the_closest_and_exits_2() -> None:
    done = doseguard("rules", "explain", "B12-SITE-VOLUM")
    assert done.returncode == 2
    assert (
        done.stderr
        == "doseguard: no rule 'B12-SITE-VOLUM' in the loaded packs; did you mean 'B12-SITE-VOLUME'?\n"
    )
    assert done.stdout == ""


def test_explain_an_id_nothing_resembles_says_so_without_a_guess() -> None:
    done = invoke("rules", "explain", "ZZZ")
    assert done.exit_code == 2
    assert done.stderr == "doseguard: no rule 'ZZZ' in the loaded packs\n"


# --- vocabulary -------------------------------------------------------------------------------------


def test_vocabulary_json_comes_from_the_sources() -> None:
    done = invoke("rules", "vocabulary", "--format", "json")
    assert done.exit_code == 0
    data = json.loads(done.stdout)
    assert [(f["name"], f["type"], f["unit"]) for f in data["fields"]] == [
        (spec.name, spec.type.value, spec.unit) for spec in VOCABULARY.values()
    ]
    route = next(f for f in data["fields"] if f["name"] == "route")
    assert route["values"] == list(VOCABULARY["route"].values or ())
    expected_operators = {
        *get_args(CompareOp),
        *get_args(ArithmeticOp),
        *get_args(MembershipOp),
        "and",
        "or",
        "not",
    }
    assert {op["operator"] for op in data["operators"]} == expected_operators
    assert all(op["meaning"] for op in data["operators"])
    assert {f["name"]: f["in_conditions"] for f in data["functions"]} == {
        name: name in CONDITION_FUNCTIONS for name in MESSAGE_FUNCTIONS
    }


def test_every_operator_has_a_meaning_and_no_meaning_is_stale() -> None:
    """A new operator in the parser must be explained; a removed one must not be advertised."""
    assert set(operator_symbols()) == set(OPERATOR_MEANINGS)
    assert "true" not in operator_symbols()
    assert {"and", "or", "not"} <= KEYWORDS


def test_vocabulary_table_for_a_person() -> None:
    done = invoke("rules", "vocabulary")
    assert done.exit_code == 0
    lines = done.stdout.splitlines()
    assert any(re.fullmatch(r"  dose_mcg +number +mcg +Amount per administration\.", line) for line in lines)
    assert any(re.fullmatch(r"  route +string +Route .* One of: IM, SC, .*", line) for line in lines)
    assert any(re.fullmatch(r"  contains_any +membership +.+", line) for line in lines)
    assert any(re.fullmatch(r"  unstated\(field, \.\.\.\) +messages only +.+", line) for line in lines)
    assert any(
        re.fullmatch(r"  exists\(field\) +conditions, messages +the order states the field", line)
        for line in lines
    )


# --- schema -----------------------------------------------------------------------------------------


def schema_output() -> dict[str, Any]:
    done = invoke("rules", "schema")
    assert done.exit_code == 0
    parsed: dict[str, Any] = json.loads(done.stdout)
    return parsed


def test_the_committed_schema_is_the_commands_output() -> None:
    committed = (REPO / SCHEMA_PATH).read_text(encoding="utf-8")
    assert committed == invoke("rules", "schema").stdout, (
        f"{SCHEMA_PATH} is out of date: regenerate it with 'doseguard rules schema > {SCHEMA_PATH}'"
    )


def test_the_schema_is_a_valid_draft_2020_12_schema() -> None:
    schema = schema_output()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(schema)


@pytest.mark.parametrize("path", BUNDLED_FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_bundled_rule_file_validates_against_the_schema(path: Path) -> None:
    validator = jsonschema.Draft202012Validator(rule_pack_schema())
    errors = [
        f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
        for e in validator.iter_errors(yaml.safe_load(path.read_text()))
    ]
    assert errors == []


@pytest.mark.parametrize("path", BUNDLED_FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_bundled_rule_file_points_editors_at_the_schema(path: Path) -> None:
    first = path.read_text(encoding="utf-8").splitlines()[0]
    match = re.fullmatch(r"# yaml-language-server: \$schema=(\S+)", first)
    assert match, f"{path} does not start with a yaml-language-server comment"
    assert (path.parent / match.group(1)).resolve() == (REPO / SCHEMA_PATH).resolve()


VALID_RULE: dict[str, Any] = {
    "id": "TEST-ONE",
    "title": "A rule",
    "severity": "warning",
    "description": "Why.",
    "references": ["a source"],
    "parameters": {"limit": 5, "sites": {"deltoid": 2}},
    "when": {"all": ["dose_mcg > limit", {"not": "route == 'IM'"}, ["volume_ml > 1"]]},
    "message": "m",
}


@pytest.mark.parametrize(
    ("change", "why"),
    [
        ({"severty": "warning"}, "a misspelt key"),
        ({"severity": "high"}, "a severity that does not exist"),
        ({"id": "test-one"}, "an id not in upper case"),
        ({"references": []}, "no reference"),
        ({"when": True}, "a bare true"),
        ({"when": []}, "an empty list of conditions"),
        ({"when": {"all": ["a > 1"], "any": ["b > 1"]}}, "two combinators in one block"),
        ({"when": {"either": ["a > 1"]}}, "an unknown combinator"),
        ({"when": {"any": []}}, "an empty any:"),
        ({"parameters": {"dose_mcg": 5}}, "a parameter named after a field"),
        ({"parameters": {"Limit": 5}}, "a parameter name in upper case"),
        ({"parameters": {"mixed": [1, "a"]}}, "a list of numbers and texts"),
        ({"parameters": {"nested": {"a": {"b": 1}}}}, "a nested table"),
    ],
)
def test_the_schema_refuses_mistakes_an_editor_should_underline(change: dict[str, Any], why: str) -> None:
    validator = jsonschema.Draft202012Validator(rule_pack_schema())
    assert validator.is_valid({"rules": [VALID_RULE]})
    assert not validator.is_valid({"rules": [{**VALID_RULE, **change}]}), why


def test_the_schema_reads_a_mapping_without_rules_as_pack_yaml() -> None:
    validator = jsonschema.Draft202012Validator(rule_pack_schema())
    assert validator.is_valid(
        {"name": "b12", "title": "B12", "drugs": [{"name": "cyanocobalamin", "synonyms": ["b12"]}]}
    )
    assert not validator.is_valid({"name": "b12", "title": "B12", "drug": []})  # misspelt key
    assert not validator.is_valid({"name": "B12", "title": "B12"})  # a name in upper case
    assert not validator.is_valid({"rule": [VALID_RULE]})  # 'rules' misspelt: neither kind of file


def test_the_schema_names_the_fields_for_editors() -> None:
    schema = schema_output()
    assert schema["$defs"]["FieldName"]["enum"] == list(VOCABULARY)
    description = schema["$defs"]["Expression"]["description"]
    assert all(name in description for name in VOCABULARY)
    assert all(f"{name}()" in description for name in CONDITION_FUNCTIONS)


DIVIDING_PACK = """\
rules:
  - id: DIV-PER-DOSE
    title: Average dose given so far
    severity: warning
    description: d
    references: [r]
    when: volume_ml < dose_mcg / administrations_given
    message: m
"""


def test_validate_warns_at_a_divisor_that_can_be_zero_and_still_passes(tmp_path: Path) -> None:
    """Issue 8, case 8: with 0 given such a rule cannot be evaluated (the order is an error)."""
    pack = write(
        tmp_path / "dividing", {"pack.yaml": "name: dividing\ntitle: t\n", "rules.yaml": DIVIDING_PACK}
    )
    done = invoke("rules", "validate", pack)
    assert done.exit_code == 0, done.stderr
    assert "1 rules in 1 packs are valid" in done.stdout
    column = DIVIDING_PACK.splitlines()[6].index("administrations_given") + 1
    assert done.stderr.startswith(
        f"{pack / 'rules.yaml'}:7:{column}: warning: administrations_given can be 0"
    )
    document = json.loads(invoke("rules", "validate", pack, "--format", "json").stdout)
    assert document["valid"] is True
    assert document["problems"] == []
    (warning,) = document["warnings"]
    assert (warning["line"], warning["column"], warning["severity"], warning["rule_id"]) == (
        7, column, "warning", "DIV-PER-DOSE",
    )  # fmt: skip


def test_explain_shows_the_fix_and_the_override_reasons() -> None:
    text = invoke("rules", "explain", "B12-DOSE-VOLUME-MISMATCH").stdout
    assert (
        "Suggested fix\n  volume_ml = dose_mcg / coalesce(product_concentration_mcg_per_ml, "
        "concentration_mcg_per_ml, 1000)\n  only when: dose_mcg <= 1000\n"
    ) in text
    assert (
        "Override reasons\n  system: https://doseguard.example/fhir/CodeSystem/override-reason\n"
        "  - prescriber-confirmed-dose: Prescriber confirmed dose\n"
    ) in text
    assert "Suggested fix" not in invoke("rules", "explain", "B12-ROUTE").stdout
