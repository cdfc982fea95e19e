"""A site's overrides file: severities and parameters changed without editing the pack, checked like
rule files (every problem with file:line:col), and visible in the rule set's version."""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

import pytest

from doseguard.checker import Checker
from doseguard.errors import RulePackError
from doseguard.records import InputRecord
from doseguard.results import ResultStatus
from doseguard.rules.loader import load_rules
from doseguard.rules.model import DEFAULT_OVERRIDE_REASON_SYSTEM, NOT_COVERED, Severity
from tests.helpers.rule_files import FIXED_RULE, SITE_OVERRIDES, write_pack

STANDARD = {
    "order_id": "O1",
    "patient_id": "P1",
    "drug": "cyanocobalamin",
    "dose": "1500 mcg",
    "volume": "1.5 mL",
    "concentration": "1000 mcg/mL",
    "product_concentration": "1000 mcg/mL",
    "route": "IM",
    "site": "deltoid",
    "frequency": "daily",
    "duration": "7 days",
    "phase": "repletion",
}


def overrides_file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "site.yaml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def problems(path: Path) -> list[str]:
    with pytest.raises(RulePackError) as caught:
        load_rules(overrides=path)
    return [str(problem) for problem in caught.value.problems]


def findings(rules_path: Path | None, **changes: str) -> dict[str, str]:
    checker = Checker(load_rules(overrides=rules_path))
    result = checker.check(InputRecord("test", {**STANDARD, **changes}))
    return {finding.rule_id: finding.severity.value for finding in result.findings}


def test_a_site_changes_one_entry_of_a_table_and_a_severity(tmp_path: Path) -> None:
    site = overrides_file(tmp_path, SITE_OVERRIDES)
    # 1500 mcg in 1.5 mL in the deltoid: within the pack's 2 mL, over the site's 1 mL.
    assert findings(None) == {"B12-DOSE-HIGH": "warning"}
    assert findings(site) == {"B12-DOSE-HIGH": "critical", "B12-SITE-VOLUME": "warning"}
    # The other sites keep the pack's limits (vastus lateralis: 3 mL).
    assert "B12-SITE-VOLUME" not in findings(site, site="vastus lateralis")


def test_what_changed_is_kept_with_its_location_and_reason(tmp_path: Path) -> None:
    site = overrides_file(tmp_path, SITE_OVERRIDES)
    rules = load_rules(overrides=site)
    volume = rules.rule("B12-SITE-VOLUME")
    (change,) = volume.overrides
    assert change.key == "site_max_volume_ml"
    assert change.pack_value == {
        "deltoid": 2, "vastus_lateralis": 3, "ventrogluteal": 3, "dorsogluteal": 3,
        "upper_arm": 2, "thigh": 3, "buttock": 3,
    }  # fmt: skip
    assert change.site_value["deltoid"] == 1
    assert str(change.source) == f"{site}:6:27"
    assert change.reason == "Trust IM policy caps the deltoid at 1 mL"
    assert volume.spec.parameters["site_max_volume_ml"]["deltoid"] == 1
    high = rules.rule("B12-DOSE-HIGH")
    assert high.severity is Severity.CRITICAL
    assert [(c.key, c.pack_value, c.site_value) for c in high.overrides] == [
        ("severity", Severity.WARNING, Severity.CRITICAL)
    ]
    assert rules.rule("B12-ROUTE").overrides == ()


def test_overrides_change_the_rules_version(tmp_path: Path) -> None:
    """An audit must tell results of the pack from results of a tailored pack."""
    site = overrides_file(tmp_path, SITE_OVERRIDES)
    assert load_rules(overrides=site).version != load_rules().version


def test_every_mistake_in_an_overrides_file_is_located(tmp_path: Path) -> None:
    site = overrides_file(
        tmp_path,
        """\
        overrides:
          - rule: B12-SITE-VOLUMES
            reason: typo in the id
            severity: critical
          - rule: B12-SITE-VOLUME
            reason: typo in a table entry
            parameters:
              site_max_volume_ml: {detoid: 1}
          - rule: B12-DOSE-HIGH
            reason: a parameter it does not have, and one of the wrong kind
            parameters:
              max_dose: 500
              implausible_dose_mcg: "lots"
          - rule: B12-ROUTE
            reason: nothing changed
          - rule: B12-REASSESS
            reason: unknown key and severity
            severity: urgent
            colour: red
          - rule: B12-DOSE-HIGH
            reason: twice
            severity: info
        """,
    )
    found = problems(site)
    assert found == [
        f"{site}:2:11: no loaded rule has the id 'B12-SITE-VOLUMES'; did you mean 'B12-SITE-VOLUME'?",
        f"{site}:8:28: site_max_volume_ml has no entry 'detoid'; did you mean 'deltoid'?",
        f"{site}:12:7: B12-DOSE-HIGH has no parameter 'max_dose' (its parameters: implausible_dose_mcg, "
        "max_dose_mcg); did you mean 'max_dose_mcg'?",
        f"{site}:13:29: implausible_dose_mcg must be a number like the pack's value 10000 (got 'lots')",
        f"{site}:14:5: an override changes the severity, parameters, override_reasons, or some of them",
        f"{site}:18:15: severity: Input should be 'info', 'warning' or 'critical' (got 'urgent')",
        f"{site}:19:5: unknown key 'colour'",
        f"{site}:20:11: B12-DOSE-HIGH is overridden twice (first at {site}:9:11): merge the two entries",
    ]


def test_an_override_that_makes_a_rule_impossible_is_refused(tmp_path: Path) -> None:
    """Site values go through the same checks as the pack's: here the table loses its numbers."""
    site = overrides_file(
        tmp_path,
        """\
        overrides:
          - rule: B12-SITE-VOLUME
            reason: a text where a number belongs
            parameters:
              site_max_volume_ml: {deltoid: one}
        """,
    )
    (problem,) = problems(site)
    assert problem.startswith(f"{site}:5:")
    assert "site_max_volume_ml must be a table of numbers" in problem


def test_a_missing_overrides_file_is_a_problem_not_a_traceback(tmp_path: Path) -> None:
    assert problems(tmp_path / "nowhere.yaml") == [f"{tmp_path / 'nowhere.yaml'}:1:1: no such overrides file"]


def test_overrides_files_are_read_safely(tmp_path: Path) -> None:
    site = overrides_file(
        tmp_path,
        """\
        overrides:
          - rule: !!python/object/apply:os.system ["echo owned"]
            reason: x
            severity: info
        """,
    )
    (problem,) = problems(site)
    assert problem.startswith(f"{site}:2:")


def test_the_shipped_example_applies() -> None:
    example = Path(__file__).resolve().parents[2] / "examples" / "site-overrides.yaml"
    rules = load_rules(overrides=example)
    assert rules.rule("B12-SITE-VOLUME").spec.parameters["site_max_volume_ml"]["deltoid"] == 1
    # "right arm" in an IM order is the deltoid: a cap on the deltoid caps the upper arm too
    assert rules.rule("B12-SITE-VOLUME").spec.parameters["site_max_volume_ml"]["upper_arm"] == 1
    assert rules.rule("NOTATION-ERROR-PRONE").severity is Severity.WARNING


def test_an_override_of_a_rule_with_problems_is_not_called_unknown(tmp_path: Path) -> None:
    pack = tmp_path / "pack"
    pack.mkdir()
    (pack / "rules.yaml").write_text(
        "rules:\n  - id: TEST-HIGH\n    title: High\n    severity: warning\n    colour: red\n"
        "    description: d\n    references: [r]\n    when: dose_mcg > 1000\n    message: high\n",
        encoding="utf-8",
    )
    site = overrides_file(tmp_path, "overrides:\n  - rule: TEST-HIGH\n    reason: r\n    severity: info\n")
    with pytest.raises(RulePackError) as caught:
        load_rules([pack], overrides=site)
    assert [str(p) for p in caught.value.problems] == [f"{pack / 'rules.yaml'}:5:5: unknown key 'colour'"]


def test_overrides_yaml_and_schema_problems_are_reported_together(tmp_path: Path) -> None:
    path = overrides_file(
        tmp_path,
        """\
        overrides:
          - rule: B12-DOSE-HIGH
            reason: x
            reason: y
            severity: loud
        """,
    )
    assert problems(path) == [
        f"{path}:4:5: duplicate key 'reason'",
        f"{path}:5:15: severity: Input should be 'info', 'warning' or 'critical' (got 'loud')",
    ]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "the file is empty: an overrides file is a mapping with an 'overrides:' list"),
        (b"Our site notes - call 1234\n", "this one holds text: an overrides file is a mapping with an "
         "'overrides:' list"),
        (b"\x00\xff\xfe binary", "not UTF-8 text (invalid start byte)"),
    ],
)  # fmt: skip
def test_an_overrides_file_that_is_not_overrides_says_what_it_holds_without_echoing_it(
    tmp_path: Path, content: bytes, message: str
) -> None:
    path = tmp_path / "site.yaml"
    path.write_bytes(content)
    (found,) = problems(path)
    assert found.endswith(f": {message}"), found
    assert found.startswith(f"{path}:1:"), found


def test_devices_folders_and_pipes_as_overrides_are_named_for_what_they_are(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe")
    assert problems(Path("/dev/zero")) == ["/dev/zero:1:1: not a regular file (a device): not loaded"]
    assert problems(tmp_path) == [f"{tmp_path}:1:1: not a regular file (a folder): not loaded"]
    assert problems(tmp_path / "pipe") == [
        f"{tmp_path / 'pipe'}:1:1: not a regular file (a named pipe): not loaded"
    ]
    assert problems(tmp_path / "none.yaml") == [f"{tmp_path / 'none.yaml'}:1:1: no such overrides file"]


def test_a_deeply_nested_overrides_file_is_a_located_problem(tmp_path: Path) -> None:
    path = overrides_file(tmp_path, "overrides: " + "[" * 5000 + "]" * 5000 + "\n")
    (found,) = problems(path)
    assert found.startswith(f"{path}:1:") and found.endswith("YAML nested more than 50 levels deep"), found


def test_an_override_of_a_rule_in_a_file_that_does_not_parse_says_where_the_id_may_be(tmp_path: Path) -> None:
    """The file's ids are unknown: 'no loaded rule has the id' alone would send the site looking for a
    misspelling that is not there."""
    pack = tmp_path / "pack"
    pack.mkdir()
    broken = pack / "rules.yaml"
    broken.write_text("rules: [\n  - id: TEST-HIGH\n", encoding="utf-8")
    site = overrides_file(tmp_path, "overrides:\n  - rule: TEST-HIGH\n    reason: r\n    severity: info\n")
    with pytest.raises(RulePackError) as caught:
        load_rules([pack], overrides=site)
    found = [str(problem) for problem in caught.value.problems]
    assert found[1] == (
        f"{site}:2:11: no loaded rule has the id 'TEST-HIGH' (unless it is in {broken}, which could not be "
        "read: fix that first)"
    )


# --- the built-in notice -----------------------------------------------------------------------------

INSULIN = {"order_id": "I1", "patient_id": "P1", "drug": "insulin glargine", "dose": "10 units"}


def test_a_site_changes_the_severity_of_the_not_covered_notice(tmp_path: Path) -> None:
    site = overrides_file(
        tmp_path,
        """\
        overrides:
          - rule: DOSEGUARD-DRUG-NOT-COVERED
            reason: Pharmacy wants every unchecked order seen
            severity: warning
        """,
    )
    rules = load_rules(overrides=site)
    notice = rules.notice(NOT_COVERED)
    assert notice is not None and notice.severity is Severity.WARNING
    assert [(o.key, o.pack_value, o.site_value) for o in notice.overrides] == [
        ("severity", "info", "warning")
    ]
    result = Checker(rules).check(InputRecord("t", INSULIN))
    assert [(f.rule_id, f.severity) for f in result.findings] == [(NOT_COVERED, Severity.WARNING)]
    assert result.status is ResultStatus.NOT_COVERED
    assert rules.version != load_rules().version


def test_the_not_covered_notice_has_no_parameters_to_override(tmp_path: Path) -> None:
    site = overrides_file(
        tmp_path,
        """\
        overrides:
          - rule: DOSEGUARD-DRUG-NOT-COVERED
            reason: a try
            parameters: {covered: [insulin]}
        """,
    )
    (problem,) = problems(site)
    assert "site.yaml:4:" in problem and "DOSEGUARD-DRUG-NOT-COVERED has no parameter 'covered'" in problem


def test_a_site_replaces_a_rules_override_reasons(tmp_path: Path) -> None:
    """A site's own reasons (its committee's wording) replace the pack's list; a reason naming no
    system takes the pack's, as the pack's own do."""
    write_pack(tmp_path / "pack", FIXED_RULE)
    site = overrides_file(
        tmp_path,
        """\
        overrides:
          - rule: TEST-VOLUME
            reason: Pharmacy committee wording, 2026-11
            override_reasons:
              - code: pharmacist-checked
                display: Pharmacist checked the volume
        """,
    )
    rule = load_rules([tmp_path / "pack"], overrides=site).rule("TEST-VOLUME")
    assert [(r.code, r.display, r.system) for r in rule.spec.override_reasons] == [
        ("pharmacist-checked", "Pharmacist checked the volume", DEFAULT_OVERRIDE_REASON_SYSTEM)
    ]
    (change,) = rule.overrides
    assert change.key == "override_reasons"
    assert [r.code for r in change.pack_value] == ["prescriber-confirmed", "local-product"]
    assert change.reason == "Pharmacy committee wording, 2026-11"


def test_a_site_cannot_change_a_fix_or_repeat_a_reason_code(tmp_path: Path) -> None:
    """A fix is what the service writes into the order: it belongs to the reviewed pack, with its
    scenarios, not to a local file nobody tests."""
    write_pack(tmp_path / "pack", FIXED_RULE)
    site = overrides_file(
        tmp_path,
        """\
        overrides:
          - rule: TEST-VOLUME
            reason: a fix of our own
            fix:
              volume_ml: dose_mcg / 500
            override_reasons:
              - code: same
                display: One
              - code: same
                display: Two
        """,
    )
    found = problems_in(tmp_path / "pack", site)
    assert found == [
        f"{site}:5:7: fix: a site cannot change a rule's fix (the correction the service writes into "
        "the order belongs to the pack, proven by its scenarios); change the pack",
        f"{site}:9:15: duplicate override reason code 'same' (first at {site}:7:15): a code names one reason",
    ]


def problems_in(pack: Path, site: Path) -> list[str]:
    with pytest.raises(RulePackError) as caught:
        load_rules([pack], overrides=site)
    return [str(problem) for problem in caught.value.problems]
