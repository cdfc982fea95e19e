"""The rule set as the checker asks about it."""

from __future__ import annotations

from pathlib import Path

from doseguard.rules.loader import load_rules
from tests.helpers.bundled import bundled_rules

RULES = Path(__file__).resolve().parents[2] / "rules"


def test_the_drugs_whose_rules_read_a_field_are_those_of_the_packs_that_read_it() -> None:
    assert bundled_rules().drugs_reading("dose_mcg") == {"cyanocobalamin", "hydroxocobalamin"}
    assert bundled_rules().drugs_reading("dose_units") == frozenset()


def test_a_pack_that_names_no_drug_says_nothing_about_how_drugs_are_dosed() -> None:
    """The notation pack applies to every order: it cannot make every drug be dosed by mass."""
    assert load_rules([RULES / "notation"]).drugs_reading("notation_tokens") == frozenset()
