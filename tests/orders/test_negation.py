"""Conditions stated as present and as absent: affirmed_condition_terms and negated_condition_terms."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from doseguard.orders.codes import negation_terms, phrase_terms
from doseguard.orders.model import Order
from doseguard.orders.normalise import OrderNormaliser
from doseguard.vocabulary import MAX_TERMS, VOCABULARY, FieldType

BASE = {"order_id": "O1", "patient_id": "P1", "drug": "hydroxocobalamin"}


def normalise(**fields: Any) -> Order:
    return OrderNormaliser().normalise({**BASE, **fields})


def words(terms: list[str]) -> list[str]:
    return [term for term in terms if " " not in term]


@pytest.mark.parametrize(
    ("condition", "affirmed", "negated"),
    [
        ("subacute combined degeneration", ["subacute", "combined", "degeneration"], []),
        ("no neurological involvement", [], ["neurological", "involvement"]),
        ("No Neurological Involvement", [], ["neurological", "involvement"]),
        (
            "pernicious anaemia without neurological involvement",
            ["pernicious", "anaemia"],
            ["neurological", "involvement"],
        ),
        ("nil neuro", [], ["neuro"]),
        ("not neuropathic", [], ["neuropathic"]),
        ("denies paraesthesia", [], ["paraesthesia"]),
        ("negative for neuropathy", [], ["neuropathy"]),
        ("free of neuropathy", [], ["neuropathy"]),
        ("absence of ataxia", [], ["ataxia"]),
        ("neuropathy: none", [], ["neuropathy"]),
        ("neuropathy absent", [], ["neuropathy"]),
        ("peripheral neuropathy ruled out", [], ["peripheral", "neuropathy"]),
        ("neuropathy excluded", [], ["neuropathy"]),
        ("neuropathy not present", [], ["neuropathy"]),
        ("no anaemia but peripheral neuropathy", ["peripheral", "neuropathy"], ["anaemia"]),
        ("no ataxia, however paraesthesia", ["paraesthesia"], ["ataxia"]),
        ("screen negative for neuropathy", ["screen"], ["neuropathy"]),
        # A sign that is absent is a finding that is present.
        ("absent ankle reflexes", ["absent", "ankle", "reflexes"], []),
    ],
)
def test_a_condition_is_split_into_what_is_present_and_what_is_absent(
    condition: str, affirmed: list[str], negated: list[str]
) -> None:
    present, absent, truncated = negation_terms([condition])
    assert words(present) == affirmed
    assert words(absent) == negated
    assert truncated is False


def test_the_scope_of_a_negation_ends_at_a_semicolon() -> None:
    present, absent, _ = negation_terms(["no neuropathy; ataxia"])
    assert words(present) == ["ataxia"]
    assert words(absent) == ["neuropathy"]


@pytest.mark.parametrize(
    ("condition", "affirmed", "negated"),
    [
        # A negation must not reach a condition stated later: that would hide neurological involvement.
        ("denies numbness, has peripheral neuropathy", ["has", "peripheral", "neuropathy"], ["numbness"]),
        ("No tingling. Peripheral neuropathy on exam", ["peripheral", "neuropathy", "on", "exam"], ["tingling"]),
        ("no tingling numbness weakness ataxia confusion or neuropathy", ["or", "neuropathy"],
         ["tingling", "numbness", "weakness", "ataxia", "confusion"]),  # five words at most
        # A cue after a phrase does not reach back past "with" / "and".
        ("pernicious anaemia with neuropathy excluded", ["pernicious", "anaemia", "with"], ["neuropathy"]),
        ("neuropathy and ataxia ruled out", ["neuropathy", "and"], ["ataxia"]),
    ],
)  # fmt: skip
def test_the_scope_of_a_negation_errs_towards_present(
    condition: str, affirmed: list[str], negated: list[str]
) -> None:
    present, absent, _ = negation_terms([condition])
    assert words(present) == affirmed
    assert words(absent) == negated


def test_a_negation_elsewhere_in_the_conditions_does_not_hide_neurological_involvement() -> None:
    facts = normalise(conditions=["denies numbness, has peripheral neuropathy"]).facts
    assert "peripheral neuropathy" in facts["affirmed_condition_terms"]
    assert "peripheral neuropathy" not in facts.get("negated_condition_terms", [])


def test_negated_phrases_never_include_the_cue_or_span_two_runs() -> None:
    present, absent, _ = negation_terms(["pernicious anaemia without neurological involvement"])
    assert present == ["pernicious", "anaemia", "pernicious anaemia"]
    assert absent == ["neurological", "involvement", "neurological involvement"]


def test_words_are_normalised_as_the_other_terms_are() -> None:
    present, absent, _ = negation_terms(["Vit. B-12 deficiency \u2013 NO neuro-logical signs"])
    assert "b12" in present
    assert {"neuro", "logical", "signs"} <= set(absent)


@given(st.lists(st.text(alphabet="abc no;,:'-", max_size=40), max_size=5))
def test_every_affirmed_or_negated_word_is_a_condition_word(items: list[str]) -> None:
    present, absent, _ = negation_terms(items)
    all_terms, _ = phrase_terms(items)
    assert set(words(present)) | set(words(absent)) <= set(all_terms)


def test_terms_are_bounded() -> None:
    many = " ".join(f"w{i}" for i in range(150))
    negations = "; ".join(f"no x{i} y{i} z{i}" for i in range(150))  # a negation reaches five words
    present, absent, truncated = negation_terms([f"{many}; {negations}"])
    assert len(present) == MAX_TERMS
    assert len(absent) == MAX_TERMS
    assert truncated is True


# --- the facts ----------------------------------------------------------------------------------


def test_the_fields_are_lists_of_strings_in_the_vocabulary() -> None:
    for name in ("affirmed_condition_terms", "negated_condition_terms"):
        assert VOCABULARY[name].type is FieldType.STRING_LIST


def test_facts_carry_both_and_condition_terms_still_holds_every_phrase() -> None:
    facts = normalise(conditions=["Pernicious anaemia", "no neurological involvement"]).facts
    assert words(facts["affirmed_condition_terms"]) == ["pernicious", "anaemia"]
    assert words(facts["negated_condition_terms"]) == ["neurological", "involvement"]
    # condition_terms is unchanged: a contraindication rule still sees every word (over-alerting is
    # acceptable for a critical contraindication, missing one is not).
    assert {"no", "neurological", "involvement", "pernicious anaemia"} <= set(facts["condition_terms"])


def test_facts_hold_no_empty_list() -> None:
    assert "negated_condition_terms" not in normalise(conditions=["peripheral neuropathy"]).facts
    assert "affirmed_condition_terms" not in normalise(conditions=["nil neuro"]).facts
    facts = normalise(conditions=["none"]).facts
    assert "affirmed_condition_terms" not in facts
    assert "negated_condition_terms" not in facts


def test_allergies_are_not_split() -> None:
    facts = normalise(allergies=["no cobalt allergy"]).facts
    assert "affirmed_condition_terms" not in facts
    assert "negated_condition_terms" not in facts
    assert "cobalt" in facts["allergy_terms"]


def test_long_negated_conditions_warn_that_terms_were_left_out() -> None:
    order = normalise(conditions=[f"no x{i} y{i} z{i}" for i in range(150)])
    assert len(order.facts["negated_condition_terms"]) == MAX_TERMS
    assert any(warning.startswith("conditions: too long") for warning in order.warnings)


# --- allergies ----------------------------------------------------------------------------------


def test_affirmed_allergy_terms_is_a_list_of_strings_in_the_vocabulary() -> None:
    assert VOCABULARY["affirmed_allergy_terms"].type is FieldType.STRING_LIST
    assert "negated_allergy_terms" not in VOCABULARY  # no rule needs it: not carried


@pytest.mark.parametrize(
    "allergy",
    ["denies cobalt allergy", "cobalt allergy ruled out", "no cobalt allergy", "No allergy to vitamin B12",
     "cobalt patch test negative", "not allergic to B12", "negative for cobalt", "cobalt: none"],
)  # fmt: skip
def test_an_allergy_recorded_as_absent_is_not_affirmed(allergy: str) -> None:
    facts = normalise(allergies=[allergy]).facts
    assert not {"cobalt", "b12"} & set(facts.get("affirmed_allergy_terms", []))
    assert {"cobalt", "b12"} & set(facts["allergy_terms"])  # every phrase is still there


@pytest.mark.parametrize(
    ("allergies", "named"),
    [
        (["no known drug allergies except cobalt"], "cobalt"),
        (["NKDA", "cobalt"], "cobalt"),
        (["no penicillin allergy, cobalt allergy"], "cobalt"),
        (["cobalt allergy, not anaphylaxis"], "cobalt"),
        (["allergy to B12 not confirmed"], "b12"),  # "not confirmed" is no cue: the allergy counts
        (["penicillin", "denies latex allergy", "vitamin B-12"], "vitamin b12"),
    ],
)
def test_an_allergy_beside_a_negation_that_does_not_reach_it_is_affirmed(
    allergies: list[str], named: str
) -> None:
    assert named in normalise(allergies=allergies).facts["affirmed_allergy_terms"]


def test_allergies_give_no_negated_terms_and_conditions_no_affirmed_allergy_terms() -> None:
    facts = normalise(allergies=["denies cobalt allergy"], conditions=["no Leber's disease"]).facts
    assert "affirmed_allergy_terms" not in facts  # nothing affirmed: no empty list
    assert "negated_allergy_terms" not in facts
    assert "leber's" in facts["negated_condition_terms"]
    assert "leber's" not in facts.get("affirmed_condition_terms", [])


@pytest.mark.parametrize(
    ("items", "field", "named"),
    [
        # a cue inside a phrase that says the thing may be present (NegEx's pseudo-negations)
        (["LHON cannot be excluded"], "conditions", "lhon"),
        (["LHON cannot be ruled out"], "conditions", "lhon"),
        (["LHON can not be ruled out"], "conditions", "lhon"),
        (["LHON can't be excluded"], "conditions", "lhon"),
        (["LHON could not be ruled out"], "conditions", "lhon"),
        (["not excluded: LHON"], "conditions", "lhon"),
        (["not ruled out: Leber's hereditary optic neuropathy"], "conditions", "leber's"),
        (["LHON has not been excluded"], "conditions", "lhon"),
        (["no improvement despite treatment of Leber's"], "conditions", "leber's"),
        (["no change in LHON"], "conditions", "lhon"),
        (["cobalt allergy cannot be excluded"], "allergies", "cobalt"),
        (["not only nickel but cobalt"], "allergies", "cobalt"),
        (["not excluded cobalt allergy"], "allergies", "cobalt"),
    ],
)
def test_a_phrase_that_leaves_the_term_possible_does_not_negate_it(
    items: list[str], field: str, named: str
) -> None:
    """ "LHON cannot be excluded" read "excluded" as a negation of LHON, and "not excluded: LHON" read
    "not" as one: a possible Leber's disease was taken as absent and cyanocobalamin passed."""
    facts = normalise(**{field: items}).facts
    kind = "allergy" if field == "allergies" else "condition"
    assert named in facts[f"affirmed_{kind}_terms"]
    assert named not in facts.get(f"negated_{kind}_terms", [])
