"""The orders ``Given a standard <name> order`` starts from are the packs' ``standard_orders:``: the
cyanocobalamin one is the b12 pack's (a QA author changes it in pack.yaml, without Python), and the
step library has none of its own."""

from __future__ import annotations

from pathlib import Path

import pytest

from doseguard.checker import Checker
from doseguard.errors import RulePackError
from doseguard.records import InputRecord
from doseguard.results import ResultStatus
from doseguard.rules.loader import bundled_rules_dir, load_rules
from doseguard.testing.steps import merged_standard_orders
from tests.helpers.cli import doseguard

RULE = """\
rules:
  - id: TEST-HIGH
    title: High dose
    severity: warning
    description: A test rule.
    references: [a source]
    when: dose_mcg > 1000
    message: "{dose_mcg} mcg"
"""

# The order the step library held in Python before it moved into rules/b12/pack.yaml.
CYANOCOBALAMIN = {
    "order_id": "O1",
    "patient_id": "P1",
    "drug": "cyanocobalamin",
    "dose": "1000 mcg",
    "volume": "1 mL",
    "concentration": "1000 mcg/mL",
    "product_concentration": "1000 mcg/mL",
    "route": "IM",
    "site": "deltoid",
    "frequency": "daily",
    "duration": "7 days",
    "phase": "repletion",
}


def write_pack(folder: Path, pack_file: str | None = None) -> Path:
    folder.mkdir(parents=True)
    (folder / "rules.yaml").write_text(RULE, encoding="utf-8")
    if pack_file is not None:
        (folder / "pack.yaml").write_text(pack_file, encoding="utf-8")
    return folder


def test_the_standard_cyanocobalamin_order_is_the_b12_packs_and_passes() -> None:
    rules = load_rules()
    orders = merged_standard_orders(rules)
    assert list(orders["cyanocobalamin"].items()) == list(CYANOCOBALAMIN.items())  # key order too
    b12 = next(pack for pack in rules.packs if pack.spec.name == "b12")
    assert Path(b12.directory) == bundled_rules_dir() / "b12"
    assert "cyanocobalamin" in b12.spec.standard_orders
    result = Checker(rules).check(InputRecord("scenario", orders["cyanocobalamin"]))
    assert (result.status, result.findings, result.warnings) == (ResultStatus.PASS, (), ())


def test_the_step_library_has_no_standard_order_of_its_own(tmp_path: Path) -> None:
    write_pack(tmp_path / "pack")
    assert merged_standard_orders(load_rules([tmp_path / "pack"])) == {}


def test_a_standard_order_that_is_not_text_is_a_located_pack_problem(tmp_path: Path) -> None:
    pack = write_pack(
        tmp_path / "pack",
        """\
name: pack
title: A pack
standard_orders:
  usual:
    drug: cyanocobalamin
    administrations_given: 3
  other: just text
""",
    )
    pack_file = pack / "pack.yaml"
    with pytest.raises(RulePackError) as caught:
        load_rules([tmp_path / "pack"])
    assert [str(problem) for problem in caught.value.problems] == [
        f"{pack_file}:6:28: standard_orders.usual.administrations_given: Input should be a valid string (got 3)",
        f"{pack_file}:7:10: standard_orders.other: Input should be a valid dictionary (got 'just text')",
    ]


def test_the_notation_pack_tested_alone_needs_no_standard_order_of_another_pack() -> None:
    # A pack folder is self-contained: its scenarios run with it alone (before the cyanocobalamin order
    # moved into the b12 pack, 30 of the notation pack's 31 passed so; after, every one failed with
    # "no standard 'cyanocobalamin' order"). The one left needs a pack that covers drugs. (47 since
    # issue 10's frequency abbreviations: TIW, BIW, QOW, qhs, ...)
    run = doseguard("rules", "test", bundled_rules_dir() / "notation")
    assert "no standard" not in run.stdout
    assert "47 scenarios" in run.stdout and "46 passed, 1 failed" in run.stdout
