"""Routes and injection sites as EHRs, prescribers and code systems write them, one case per spelling."""

from __future__ import annotations

import pytest

from doseguard.orders import codes
from doseguard.vocabulary import ROUTES, SITES


@pytest.mark.parametrize(
    ("written", "code"),
    [
        ("Intramuscular route", "IM"),
        ("intramuscularly", "IM"),
        ("IM injection", "IM"),
        ("I.M.", "IM"),
        ("IM.", "IM"),
        ("Intramuscular use", "IM"),  # EDQM standard term
        ("by intramuscular injection", "IM"),
        ("Intramuscular route (qualifier value)", "IM"),  # SNOMED CT's fully specified name
        ("78421000", "IM"),  # SNOMED CT intramuscular route
        ("Subcutaneous use", "SC"),
        ("Subcutaneous route", "SC"),
        ("subcutaneous injection", "SC"),
        ("SubQ", "SC"),
        ("sub-Q", "SC"),
        ("sub q", "SC"),
        ("SQ", "SC"),
        ("S.C.", "SC"),
        ("deep SC injection", "SC"),
        ("34206005", "SC"),  # SNOMED CT subcutaneous route
        ("Intravenous use", "IV"),
        ("Intravenous route", "IV"),
        ("47625008", "IV"),  # SNOMED CT intravenous route
        ("IV push", "IV"),
        ("IVP", "IV"),
        ("IV bolus", "IV"),
        ("IV piggyback", "IV"),
        ("IVPB", "IV"),
        ("IV infusion", "IV"),
        ("intravenous push", "IV"),
        ("intravenous infusion", "IV"),
        ("IV injection", "IV"),
        ("I.V.P.", "IV"),
        ("Oral use", "PO"),
        ("Oral route", "PO"),
        ("26643006", "PO"),  # SNOMED CT oral route
        ("37839007", "SL"),  # SNOMED CT sublingual route
    ],
)
def test_a_route_as_it_is_written_is_read_as_its_code(written: str, code: str) -> None:
    assert codes.route_code(written) == code


@pytest.mark.parametrize("written", ["IV push", "IVP", "IV bolus", "IV piggyback", "IVPB", "IV infusion"])
def test_intravenous_ways_of_giving_are_all_the_intravenous_route(written: str) -> None:
    assert codes.route_code(written) == "IV"


@pytest.mark.parametrize("written", ["rectal", "intramuscular-ish", "78421001", "use", "route", "injection"])
def test_what_is_no_route_stays_unknown(written: str) -> None:
    assert codes.route_code(written) is None


@pytest.mark.parametrize(
    ("written", "site"),
    [
        # subcutaneous sites, by region
        ("abdomen", "abdomen"),
        ("Abdominal wall", "abdomen"),
        ("lower abdomen", "abdomen"),
        ("LLQ", "abdomen"),
        ("left lower quadrant", "abdomen"),
        ("thigh", "thigh"),
        ("anterior thigh", "thigh"),
        ("front of thigh", "thigh"),
        ("anterolateral thigh", "thigh"),
        ("L thigh", "thigh"),
        ("upper arm", "upper_arm"),
        ("right arm", "upper_arm"),
        ("left upper arm", "upper_arm"),
        ("arm", "upper_arm"),
        ("back of arm", "back_of_arm"),
        ("back of upper arm", "back_of_arm"),
        ("posterior upper arm", "back_of_arm"),
        ("buttock", "buttock"),
        ("Buttocks", "buttock"),
        ("upper outer buttock", "buttock"),
        # muscles
        ("gluteal", "dorsogluteal"),
        ("gluteus maximus", "dorsogluteal"),
        ("gluteus medius", "dorsogluteal"),
        ("deltoid muscle", "deltoid"),
        ("Structure of deltoid muscle", "deltoid"),
        ("R deltoid", "deltoid"),
        ("deltoid, right", "deltoid"),
        ("deltoid (left)", "deltoid"),
        ("Rt. deltoid", "deltoid"),
        ("vastus lateralis muscle", "vastus_lateralis"),
        ("ventragluteal", "ventrogluteal"),  # HL7 v3 ActSite's own spelling (LVG, RVG)
        # HL7 v3 ActSite codes (HumanSubstanceAdministrationSite)
        ("LD", "deltoid"),
        ("RD", "deltoid"),
        ("LVL", "vastus_lateralis"),
        ("RVL", "vastus_lateralis"),
        ("LVG", "ventrogluteal"),
        ("RVG", "ventrogluteal"),
        ("LG", "dorsogluteal"),
        ("RG", "dorsogluteal"),
        ("LUA", "upper_arm"),
        ("RUA", "upper_arm"),
        ("LA", "upper_arm"),
        ("RA", "upper_arm"),
        ("LT", "thigh"),
        ("RT", "thigh"),
        ("BU", "buttock"),
        ("LLAQ", "abdomen"),
        ("RLAQ", "abdomen"),
        ("LUAQ", "abdomen"),
        ("RUAQ", "abdomen"),
    ],
)
def test_a_site_as_it_is_written_is_read_as_its_code(written: str, site: str) -> None:
    assert codes.site_code(written) == site


@pytest.mark.parametrize("code", sorted(codes.ACT_SITES))
def test_every_act_site_display_reads_as_its_code(code: str) -> None:
    """The FHIR reader puts an ActSite code's display in the record ("left deltoid"): it reads too."""
    assert codes.site_code(codes.ACT_SITES[code]) == codes.site_code(code) is not None


@pytest.mark.parametrize("written", ["knee", "forearm", "LLQQ", "left", "R", "muscle", "LF"])
def test_what_is_no_injection_site_stays_unknown(written: str) -> None:
    assert codes.site_code(written) is None


def test_every_code_read_is_in_the_vocabulary() -> None:
    assert set(codes.ROUTE_SYNONYMS.values()) <= set(ROUTES)
    assert set(codes.SITE_SYNONYMS.values()) == set(SITES)
