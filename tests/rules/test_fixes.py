"""A rule's ``fix:`` and ``override_reasons:``: checked like its condition (every problem located,
all at once), the fix's expressions type-checked with the rule's parameters in scope, and the pack's
code system given to reasons that name none."""

from __future__ import annotations

from pathlib import Path

import pytest

from doseguard.errors import RulePackError
from doseguard.rules.expressions import render
from doseguard.rules.fixes import FIXABLE_FIELDS
from doseguard.rules.loader import load_rules
from doseguard.rules.model import DEFAULT_OVERRIDE_REASON_SYSTEM
from tests.helpers.rule_files import FIXED_RULE, write_pack


def problems(folder: Path) -> list[str]:
    with pytest.raises(RulePackError) as caught:
        load_rules([folder])
    return [str(p) for p in caught.value.problems]


def located(tmp_path: Path, text: str) -> list[str]:
    path = write_pack(tmp_path / "pack", text)
    found = problems(tmp_path / "pack")
    assert all(p.startswith(f"{path}:") for p in found), found
    return [p[len(str(path)) + 1 :] for p in found]


def test_a_fix_loads_resolved_with_its_parameters_in_scope(tmp_path: Path) -> None:
    write_pack(tmp_path / "pack", FIXED_RULE)
    (rule,) = load_rules([tmp_path / "pack"]).rules
    (fix,) = rule.fixes
    assert fix.field == "volume_ml"
    assert render(fix.expression) == "(dose_mcg / 1000)"  # the parameter's value: a site may change it


def test_override_reasons_take_the_pack_system_unless_they_name_one(tmp_path: Path) -> None:
    write_pack(tmp_path / "pack", FIXED_RULE)
    (rule,) = load_rules([tmp_path / "pack"]).rules
    systems = [(reason.code, reason.system) for reason in rule.spec.override_reasons]
    assert systems == [
        ("prescriber-confirmed", DEFAULT_OVERRIDE_REASON_SYSTEM),
        ("local-product", "https://hospital.example/override"),
    ]


def test_a_pack_names_its_own_override_reason_system(tmp_path: Path) -> None:
    write_pack(tmp_path / "pack", FIXED_RULE)
    write_pack(
        tmp_path / "pack", "name: test\ntitle: Test\noverride_reason_system: urn:test:reasons\n", "pack.yaml"
    )
    (rule,) = load_rules([tmp_path / "pack"]).rules
    assert rule.spec.override_reasons[0].system == "urn:test:reasons"


def test_a_rule_without_fix_or_reasons_has_none(tmp_path: Path) -> None:
    text = FIXED_RULE.split("    fix:")[0]
    write_pack(tmp_path / "pack", text)
    (rule,) = load_rules([tmp_path / "pack"]).rules
    assert rule.fixes == ()
    assert rule.spec.override_reasons == []


def test_a_field_no_fix_may_set_is_refused_at_its_key(tmp_path: Path) -> None:
    text = FIXED_RULE.replace("      volume_ml: dose_mcg / strength", "      route: dose_mcg / strength")
    (problem,) = located(tmp_path, text)
    assert problem.startswith("12:7: fix: route is not a field a fix may set (a fix sets ")
    assert "volume_ml" in problem


def test_a_misspelt_fix_field_gets_a_suggestion(tmp_path: Path) -> None:
    text = FIXED_RULE.replace("      volume_ml: dose_mcg", "      volume_mls: dose_mcg")
    (problem,) = located(tmp_path, text)
    assert problem.startswith("12:7: fix: volume_mls is not a field a fix may set")
    assert problem.endswith("did you mean 'volume_ml'?")


def test_a_fix_expression_that_does_not_parse_points_at_the_column(tmp_path: Path) -> None:
    text = FIXED_RULE.replace("volume_ml: dose_mcg / strength", "volume_ml: dose_mcg // strength")
    assert located(tmp_path, text) == ["12:28: fix: volume_ml: unexpected '/'"]


def test_an_unknown_name_in_a_fix_points_into_the_expression(tmp_path: Path) -> None:
    text = FIXED_RULE.replace("volume_ml: dose_mcg / strength", "volume_ml: dose_mcg / strenght")
    assert located(tmp_path, text) == [
        "12:29: fix: volume_ml: unknown field or parameter 'strenght'; did you mean 'strength'?"
    ]


def test_a_fix_of_another_type_than_its_field_is_refused(tmp_path: Path) -> None:
    text = FIXED_RULE.replace("volume_ml: dose_mcg / strength", "volume_ml: route")
    assert located(tmp_path, text) == ["12:18: fix: volume_ml is a number, but route is a string"]


def test_a_fix_that_is_not_text_is_a_schema_problem(tmp_path: Path) -> None:
    text = FIXED_RULE.replace("volume_ml: dose_mcg / strength", "volume_ml: 1")
    (problem,) = located(tmp_path, text)
    assert problem.startswith("12:18: fix.volume_ml: Input should be a valid string")


def test_every_problem_of_a_rule_is_reported_at_once(tmp_path: Path) -> None:
    text = (
        FIXED_RULE.replace("when: abs(", "when: abss(")
        .replace("volume_ml: dose_mcg / strength", "volume_ml: dose_mcg / strenght\n      site: dose_mcg")
        .replace("code: local-product", "code: prescriber-confirmed")
    )
    found = located(tmp_path, text)
    assert [p.split(": ")[0] for p in found] == ["9:11", "12:29", "13:7", "17:15"], found
    assert "unknown function 'abss'" in found[0]
    assert "duplicate override reason code 'prescriber-confirmed' (first at " in found[3]


def test_an_override_reason_needs_a_display(tmp_path: Path) -> None:
    text = FIXED_RULE.replace("        display: Prescriber confirmed the volume\n", "")
    assert located(tmp_path, text) == ["14:9: missing required key 'override_reasons.0.display'"]


def test_a_fix_sets_only_documented_numeric_dose_fields() -> None:
    assert set(FIXABLE_FIELDS) == {"volume_ml", "dose_mcg", "dose_mg", "dose_units"}


def test_fix_when_is_a_condition_checked_with_the_rules_parameters(tmp_path: Path) -> None:
    text = FIXED_RULE.replace("    fix:\n", "    fix_when: dose_mcg <= strength\n    fix:\n")
    write_pack(tmp_path / "pack", text)
    (rule,) = load_rules([tmp_path / "pack"]).rules
    assert rule.fix_when is not None
    assert render(rule.fix_when) == "dose_mcg <= 1000"


def test_fix_when_that_is_no_condition_or_has_no_fix_is_refused(tmp_path: Path) -> None:
    text = FIXED_RULE.replace("    fix:\n", "    fix_when: dose_mcg\n    fix:\n")
    assert located(tmp_path, text) == [
        "11:15: fix_when: a condition must be true or false, but dose_mcg is a number"
    ]
    alone = FIXED_RULE.split("    fix:")[0] + "    fix_when: dose_mcg > 1\n"
    assert located(tmp_path / "alone", alone) == ["11:15: fix_when: there is no fix: for it to limit"]


def test_every_bundled_rule_offers_override_reasons_with_a_system() -> None:
    """QA authors own the reasons a clinician may pick: no bundled rule leaves the EHR to invent them."""
    rules = load_rules().rules
    assert all(rule.spec.override_reasons for rule in rules), [
        r.id for r in rules if not r.spec.override_reasons
    ]
    assert all(reason.system for rule in rules for reason in rule.spec.override_reasons)
    assert {rule.id for rule in rules if rule.fixes} == {
        "B12-DOSE-VOLUME-MISMATCH",
        "HYDROXO-DOSE-VOLUME-MISMATCH",
    }
