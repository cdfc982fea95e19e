"""A rule's fix computed on the order's facts when it fires: rounded as the order's own numbers are,
and no fix (never an error) when it cannot be computed for this order."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from doseguard import Checker, InputRecord, ResultStatus, load_rules
from doseguard.results import Finding
from tests.helpers.orders import standard_order
from tests.helpers.rule_files import FIXED_RULE, write_pack


def finding(tmp_path: Path, rules: str, **changes: Any) -> Finding:
    write_pack(tmp_path / "pack", rules)
    result = Checker(load_rules([tmp_path / "pack"])).check(InputRecord("t:1", standard_order(**changes)))
    assert result.status is ResultStatus.FLAGGED, result
    (found,) = result.findings
    return found


def test_a_rule_that_fires_gives_its_fix_for_the_order(tmp_path: Path) -> None:
    assert finding(tmp_path, FIXED_RULE, volume="2 mL").fixes == (("volume_ml", 1.0),)


def test_a_fix_is_rounded_as_the_orders_own_numbers_are(tmp_path: Path) -> None:
    """Facts carry amounts to 6 decimals (0.000001 mL): a fix is no more precise than the order."""
    rules = FIXED_RULE.replace("strength: 1000", "strength: 3000")
    assert finding(tmp_path, rules, volume="2 mL").fixes == (("volume_ml", 0.333333),)


def test_a_fix_that_cannot_be_computed_gives_no_fix_not_an_error(tmp_path: Path) -> None:
    # A fix reading a field this order does not state (no weight), and one dividing by a stated 0.
    unstated = FIXED_RULE.replace("volume_ml: dose_mcg / strength", "volume_ml: dose_mcg / weight_kg")
    assert finding(tmp_path, unstated, volume="2 mL").fixes == ()
    zero = FIXED_RULE.replace("volume_ml: dose_mcg / strength", "volume_ml: dose_mcg / administrations_given")
    assert finding(tmp_path / "zero", zero, volume="2 mL", administrations_given="0").fixes == ()


def test_a_fix_that_changes_nothing_or_is_no_amount_is_not_offered(tmp_path: Path) -> None:
    same = FIXED_RULE.replace("volume_ml: dose_mcg / strength", "volume_ml: volume_ml")
    assert finding(tmp_path, same, volume="2 mL").fixes == ()
    negative = FIXED_RULE.replace("volume_ml: dose_mcg / strength", "volume_ml: 1 - dose_mcg")
    assert finding(tmp_path / "negative", negative, volume="2 mL").fixes == ()


def test_a_rule_without_a_fix_gives_none(tmp_path: Path) -> None:
    assert finding(tmp_path, FIXED_RULE.split("    fix:")[0], volume="2 mL").fixes == ()


def test_the_bundled_volume_rule_fixes_the_volume(checker: Checker) -> None:
    result = checker.check(InputRecord("t:1", standard_order(dose="500 mcg", volume="1 mL")))
    (found,) = (f for f in result.findings if f.rule_id == "B12-DOSE-VOLUME-MISMATCH")
    assert found.fixes == (("volume_ml", 0.5),)
    assert all(f.fixes == () for f in result.findings if f is not found)


def test_fix_when_withholds_the_fix_where_the_dose_may_be_the_error(tmp_path: Path, checker: Checker) -> None:
    rules = FIXED_RULE.replace("    fix:\n", "    fix_when: dose_mcg <= strength\n    fix:\n")
    assert finding(tmp_path, rules, dose="2000 mcg", volume="1 mL").fixes == ()
    # The bundled rule: 2000 mcg is above the usual 1000 mcg per injection (B12-DOSE-HIGH): the dose may
    # be what is wrong, so no single volume is the right one.
    result = checker.check(InputRecord("t:1", standard_order(dose="2000 mcg", volume="1 mL")))
    (found,) = (f for f in result.findings if f.rule_id == "B12-DOSE-VOLUME-MISMATCH")
    assert found.fixes == ()
