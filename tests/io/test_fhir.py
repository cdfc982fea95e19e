"""FHIR R4 MedicationRequest -> order record: every field, every unit and code, every problem path."""

from __future__ import annotations

import copy
import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest

from doseguard import Checker, InputRecord, InvalidOrderError, load_rules
from doseguard.errors import DoseguardError
from doseguard.io.fhir import (
    FhirMappingError,
    fhir_record,
    index_resources,
    medication_request_to_record,
)
from doseguard.io.readers import read_fhir_bundle, read_fhir_ndjson
from doseguard.orders import codes
from doseguard.orders.draft import StructuredDuration, StructuredFrequency, StructuredQuantity
from doseguard.orders.normalise import OrderNormaliser
from doseguard.orders.quantities import parse_concentration, parse_mass, parse_volume
from doseguard.orders.schedule import parse_duration, parse_frequency
from doseguard.results import ResultStatus

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
UCUM = "http://unitsofmeasure.org"
SNOMED = "http://snomed.info/sct"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
V3_ROUTE = "http://terminology.hl7.org/CodeSystem/v3-RouteOfAdministration"
V3_SITE = "http://terminology.hl7.org/CodeSystem/v3-ActSite"
V3_TIMING = "http://terminology.hl7.org/CodeSystem/v3-GTSAbbreviation"
D = "MedicationRequest.dosageInstruction[0]"
DOSE = f"{D}.doseAndRate[0].doseQuantity"
REPEAT = f"{D}.timing.repeat"
STRENGTH = "MedicationRequest.contained[0].ingredient[0].strength"


def quantity(
    value: Any, code: str | None, unit: str | None = None, system: str | None = UCUM
) -> dict[str, Any]:
    result: dict[str, Any] = {"value": value}
    if unit is not None or code is not None:
        result["unit"] = unit if unit is not None else {"ug": "mcg"}.get(code or "", code)
    if system is not None:
        result["system"] = system
    if code is not None:
        result["code"] = code
    return result


def medication(
    numerator: dict[str, Any] | None = None, denominator: dict[str, Any] | None = None
) -> dict[str, Any]:
    return {
        "resourceType": "Medication",
        "id": "med",
        "code": {
            "coding": [
                {"system": RXNORM, "code": "309594", "display": "cyanocobalamin 1 MG/ML Injectable Solution"}
            ]
        },
        "ingredient": [
            {
                "itemCodeableConcept": {
                    "coding": [{"system": RXNORM, "code": "11248", "display": "cyanocobalamin"}]
                },
                "isActive": True,
                "strength": {
                    "numerator": numerator or quantity(1000, "ug"),
                    "denominator": denominator or quantity(1, "mL"),
                },
            }
        ],
    }


def order(**changes: Any) -> dict[str, Any]:
    """A correct order: 1000 mcg IM into the left deltoid daily for 7 days, from a contained vial of 1000 mcg/mL."""
    resource: dict[str, Any] = {
        "resourceType": "MedicationRequest",
        "id": "MR-1",
        "contained": [medication()],
        "status": "active",
        "intent": "order",
        "medicationReference": {"reference": "#med"},
        "subject": {"reference": "Patient/PT-9"},
        "dosageInstruction": [
            {
                "timing": {
                    "repeat": {
                        "boundsDuration": {"value": 7, "unit": "days", "system": UCUM, "code": "d"},
                        "frequency": 1,
                        "period": 1,
                        "periodUnit": "d",
                    }
                },
                "site": {"text": "left deltoid"},
                "route": {
                    "coding": [{"system": SNOMED, "code": "78421000", "display": "Intramuscular route"}]
                },
                "doseAndRate": [{"doseQuantity": quantity(1000, "ug")}],
            }
        ],
    }
    resource.update(changes)
    return resource


def dosage(resource: dict[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = resource["dosageInstruction"][0]
    return result


def with_dose(dose: dict[str, Any]) -> dict[str, Any]:
    resource = order()
    dosage(resource)["doseAndRate"] = [{"doseQuantity": dose}]
    return resource


def with_repeat(**repeat: Any) -> dict[str, Any]:
    resource = order()
    dosage(resource)["timing"] = {"repeat": repeat}
    return resource


def with_route(route: dict[str, Any]) -> dict[str, Any]:
    resource = order()
    dosage(resource)["route"] = route
    return resource


def with_site(site: Any) -> dict[str, Any]:
    resource = order()
    dosage(resource)["site"] = site
    return resource


def with_concept(concept: dict[str, Any]) -> dict[str, Any]:
    resource = order(medicationCodeableConcept=concept)
    del resource["medicationReference"], resource["contained"]
    return resource


def mapped(resource: dict[str, Any], resources: dict[str, Any] | None = None) -> dict[str, Any]:
    """The record, each structured value as its text, once its value is checked to be what that text
    parses to (what the normaliser read when the mapper wrote text for it to parse back)."""
    record = medication_request_to_record(resource, resources=resources)
    return {name: as_text(name, value) for name, value in record.items()}


def shown(record: dict[str, Any]) -> dict[str, Any]:
    """A mapped record as :func:`mapped` gives it."""
    return {name: as_text(name, value) for name, value in record.items()}


def as_text(name: str, value: Any) -> Any:
    if isinstance(value, StructuredQuantity):
        parse = {"dose": parse_mass, "volume": parse_volume}.get(name, parse_concentration)
        assert value.checked(name).value == parse(value.text).value, (name, value)
        return value.text
    if isinstance(value, StructuredFrequency):
        assert value.checked().interval_days == parse_frequency(value.text).interval_days, value
        return value.text
    if isinstance(value, StructuredDuration):
        parsed, checked = parse_duration(value.text), value.checked()
        assert (checked.days, checked.doses, checked.open_ended) == (
            parsed.days,
            parsed.doses,
            parsed.open_ended,
        ), value
        return value.text
    assert isinstance(value, str), (name, value)
    return value


def problems(resource: Any, resources: dict[str, Any] | None = None) -> dict[str, str]:
    with pytest.raises(FhirMappingError) as info:
        medication_request_to_record(resource, resources=resources)
    found = {problem.field: problem.message for problem in info.value.problems}
    assert len(found) == len(info.value.problems), "one problem per path"
    return found


def load_bundle() -> dict[str, Any]:
    data: dict[str, Any] = json.loads((EXAMPLES / "fhir-bundle.json").read_text(encoding="utf-8"))
    return data


# --- the whole record ----------------------------------------------------------------------------


def test_a_correct_order_maps_to_every_record_field() -> None:
    assert mapped(order()) == {
        "order_id": "MR-1",
        "patient_id": "PT-9",
        "status": "active",
        "drug": "cyanocobalamin",
        "rxnorm": "309594",  # the Medication's code: packs list codes that identify their drugs
        "product_concentration": "1000 mcg/1 mL",
        "dose": "1000 mcg",
        "volume": "1 mL",
        "route": "IM",
        "site": "left deltoid",
        "frequency": "daily",
        "duration": "7 days",
    }


def test_the_record_normalises_to_the_facts_of_the_same_order_written_by_hand() -> None:
    normaliser = OrderNormaliser({"vitamin b12": "cyanocobalamin"})
    by_hand = {
        "order_id": "MR-1", "patient_id": "PT-9", "drug": "cyanocobalamin", "dose": "1000 mcg", "volume": "1 mL",
        "product_concentration": "1000 mcg/mL", "route": "IM", "site": "left deltoid", "frequency": "daily",
        "duration": "7 days",
    }  # fmt: skip
    assert normaliser.normalise(mapped(order())).facts == normaliser.normalise(by_hand).facts


def test_the_input_resource_is_not_changed() -> None:
    resource = order()
    before = copy.deepcopy(resource)
    mapped(resource)
    assert resource == before


def test_fields_fhir_does_not_state_are_left_out_not_set_to_none() -> None:
    record = mapped(order())
    assert "concentration" not in record
    assert None not in record.values()


# --- identifiers ---------------------------------------------------------------------------------


@pytest.mark.parametrize("ident", [None, "", "  ", 12])
def test_the_resource_id_is_required(ident: Any) -> None:
    resource = order(id=ident)
    if ident is None:
        del resource["id"]
    assert "MedicationRequest.id" in problems(resource)


@pytest.mark.parametrize(
    ("reference", "patient"),
    [
        ("Patient/PT-9", "PT-9"),
        ("https://ehr.example.org/fhir/Patient/PT-9", "PT-9"),
        ("Patient/PT-9/_history/3", "PT-9"),
        ("  Patient/PT-9 ", "PT-9"),
    ],
)
def test_patient_id_from_the_subject_reference(reference: str, patient: str) -> None:
    assert mapped(order(subject={"reference": reference}))["patient_id"] == patient


def test_a_bundle_urn_uuid_subject_resolves_to_the_patient_id() -> None:
    urn = "urn:uuid:0b7c2a6e-0000-4000-8000-000000000001"
    index = index_resources([{"fullUrl": urn, "resource": {"resourceType": "Patient", "id": "PT-77"}}])
    assert mapped(order(subject={"reference": urn}), index)["patient_id"] == "PT-77"


def test_a_contained_patient_resolves_to_its_id() -> None:
    resource = order(subject={"reference": "#pt"})
    resource["contained"].append({"resourceType": "Patient", "id": "pt"})
    assert mapped(resource)["patient_id"] == "pt"


def test_a_logical_subject_identifier_is_the_patient_id() -> None:
    assert (
        mapped(order(subject={"identifier": {"system": "urn:mrn", "value": "MRN-4"}}))["patient_id"]
        == "MRN-4"
    )


@pytest.mark.parametrize(
    ("subject", "path", "words"),
    [
        (None, "MedicationRequest.subject", "required"),
        ({}, "MedicationRequest.subject.reference", "required"),
        ({"reference": "Group/G-1"}, "MedicationRequest.subject.reference", "Group"),
        ({"reference": "PT-9"}, "MedicationRequest.subject.reference", "does not name a Patient"),
        (
            {"reference": "urn:uuid:not-in-the-bundle"},
            "MedicationRequest.subject.reference",
            "does not name a Patient",
        ),
        ("Patient/PT-9", "MedicationRequest.subject", "required"),
    ],
)
def test_a_subject_that_names_no_patient_is_a_problem(subject: Any, path: str, words: str) -> None:
    resource = order(subject=subject)
    if subject is None:
        del resource["subject"]
    assert words in problems(resource)[path]


def test_a_subject_resolving_to_another_resource_type_is_a_problem() -> None:
    urn = "urn:uuid:0b7c2a6e-0000-4000-8000-000000000002"
    index = index_resources([{"fullUrl": urn, "resource": {"resourceType": "Group", "id": "G-1"}}])
    assert (
        "expected a Patient"
        in problems(order(subject={"reference": urn}), index)["MedicationRequest.subject.reference"]
    )


# --- drug ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("concept", "drug"),
    [
        ({"text": "cyanocobalamin 1000 MCG/ML Injectable Solution"}, "cyanocobalamin"),
        ({"coding": [{"system": RXNORM, "code": "309594"}]}, "cyanocobalamin"),
        ({"coding": [{"system": RXNORM, "code": "11248"}], "text": "B12 shot"}, "cyanocobalamin"),
        ({"coding": [{"system": RXNORM, "code": "5493", "display": "hydroxocobalamin"}]}, "hydroxocobalamin"),
        (
            {"coding": [{"system": RXNORM, "code": "999999", "display": "Cyanocobalamin 1 MG/ML Injection"}]},
            "Cyanocobalamin",
        ),
        (
            {"coding": [{"system": "urn:local", "code": "B12", "display": "Vitamin B-12 injection"}]},
            "Vitamin B-12",
        ),
        ({"text": "Cyanocobalamin (Vitamin B-12) 1,000 mcg/mL inj"}, "Cyanocobalamin (Vitamin B-12)"),
        ({"text": "cyanocobalamin injection"}, "cyanocobalamin"),
        ({"text": "Cyanocobalamin Injection, USP 1000 mcg/mL"}, "Cyanocobalamin"),
        ({"text": "Cyanocobalamin, 1000 mcg/mL"}, "Cyanocobalamin"),
        ({"text": "Hydroxocobalamin 1 mg/1 mL solution for injection ampoules"}, "Hydroxocobalamin"),
        ({"text": "1000 mcg/mL cyanocobalamin"}, "1000 mcg/mL cyanocobalamin"),
    ],
)
def test_drug_is_the_ingredient_name_of_a_medication_codeable_concept(
    concept: dict[str, Any], drug: str
) -> None:
    assert mapped(with_concept(concept))["drug"] == drug


NDC = "http://hl7.org/fhir/sid/ndc"


@pytest.mark.parametrize(
    ("concept", "fields"),
    [
        ({"coding": [{"system": NDC, "code": "0517-0031-25", "display": "Vibisone"}]},
         {"drug": "Vibisone", "ndc": "0517-0031-25"}),
        ({"coding": [{"system": NDC, "code": "00517003125"}]}, {"drug": "ndc 00517003125", "ndc": "00517003125"}),
        ({"coding": [{"system": RXNORM, "code": "1234567"}]}, {"drug": "rxnorm 1234567", "rxnorm": "1234567"}),
        ({"coding": [{"system": RXNORM, "code": "309594"}, {"system": RXNORM, "code": "11248"},
                     {"system": NDC, "code": "63323-044-01"}], "text": "B12 inj"},
         {"drug": "cyanocobalamin", "rxnorm": "309594; 11248", "ndc": "63323-044-01"}),  # RXNORM names it
    ],
)  # fmt: skip
def test_rxnorm_and_ndc_codings_are_the_records_codes(
    concept: dict[str, Any], fields: dict[str, str]
) -> None:
    """The packs list codes that identify their drugs (doseguard.orders.drugs); a concept with a code
    and nothing else is named by its code, not refused as naming no drug."""
    record = mapped(with_concept(concept))
    assert {name: record.get(name) for name in fields} == fields
    assert "rxnorm" in fields or "rxnorm" not in record


def test_an_ndc_coding_a_pack_lists_identifies_the_drug() -> None:
    normaliser = OrderNormaliser(load_rules().drugs)
    record = mapped(
        with_concept({"coding": [{"system": NDC, "code": "0517-0031-25", "display": "Vibisone"}]})
    )
    assert normaliser.normalise(record).facts["drug"] == "cyanocobalamin"


@pytest.mark.parametrize(
    "text",
    ["cyanocobalamin 1000 mcg tablet", "Cyanocobalamin 1000 mcg oral tablet", "vitamin B12 nasal spray"],
)
def test_a_product_of_another_form_is_not_cut_to_its_ingredient(text: str) -> None:
    """Cut to "cyanocobalamin", an oral tablet was checked as the injection."""
    record = mapped(with_concept({"text": text}))
    assert record["drug"] == text
    facts = OrderNormaliser(load_rules().drugs).normalise(record).facts
    assert facts["drug"] not in ("cyanocobalamin", "hydroxocobalamin")


def test_the_ingredient_names_map_to_the_pack_drug() -> None:
    normaliser = OrderNormaliser(load_rules().drug_names)
    for text in (
        "Vitamin B-12 injection",
        "cyanocobalamin 1000 MCG/ML Injectable Solution",
        "Cyanocobalamin (Vitamin B-12) 1 mg/mL",
    ):
        record = mapped(with_concept({"text": text}))
        assert normaliser.normalise(record).facts["drug"] == "cyanocobalamin", text


def test_an_rxnorm_clinical_drug_code_implies_its_strength_and_so_the_volume() -> None:
    record = mapped(with_concept({"coding": [{"system": RXNORM, "code": "309594"}]}))
    assert record["product_concentration"] == "1000 mcg/1 mL"
    assert record["volume"] == "1 mL"


def test_a_concept_without_strength_gives_no_product_concentration_and_no_volume() -> None:
    record = mapped(with_concept({"text": "cyanocobalamin injection"}))
    assert "product_concentration" not in record
    assert "volume" not in record
    assert record["dose"] == "1000 mcg"


def test_a_concept_that_names_nothing_is_a_problem() -> None:
    assert (
        "names no drug"
        in problems(with_concept({"coding": [{"system": RXNORM}]}))[
            "MedicationRequest.medicationCodeableConcept"
        ]
    )


def test_a_contained_medication_gives_drug_and_strength() -> None:
    record = mapped(order())
    assert (record["drug"], record["product_concentration"]) == ("cyanocobalamin", "1000 mcg/1 mL")


@pytest.mark.parametrize(
    "reference", ["Medication/vial-1", "https://fhir.example.org/Medication/vial-1", "urn:uuid:vial"]
)
def test_a_medication_elsewhere_in_the_bundle_gives_drug_and_strength(reference: str) -> None:
    vial = medication(quantity(1, "mg"), quantity(1, "mL")) | {"id": "vial-1"}
    vial["ingredient"][0]["itemCodeableConcept"] = {"text": "Cyanocobalamin"}
    index = index_resources([{"fullUrl": "urn:uuid:vial", "resource": vial}])
    resource = order(medicationReference={"reference": reference})
    del resource["contained"]
    record = mapped(resource, index)
    assert (record["drug"], record["product_concentration"], record["volume"]) == (
        "Cyanocobalamin",
        "1 mg/1 mL",
        "1 mL",
    )


def test_medication_code_names_the_drug_when_no_ingredient_does() -> None:
    resource = order()
    resource["contained"][0]["ingredient"][0].pop("itemCodeableConcept")
    resource["contained"][0]["code"] = {"text": "Vitamin B12 1000 mcg/mL injection"}
    assert mapped(resource)["drug"] == "Vitamin B12"


def test_an_ingredient_item_reference_names_the_drug() -> None:
    resource = order()
    ingredient = resource["contained"][0]["ingredient"][0]
    ingredient.pop("itemCodeableConcept")
    ingredient["itemReference"] = {"reference": "Substance/b12"}
    index = index_resources(
        [
            {
                "resourceType": "Substance",
                "id": "b12",
                "code": {"coding": [{"system": RXNORM, "code": "11248"}]},
            }
        ]
    )
    resource["contained"][0].pop("code")
    assert mapped(resource, index)["drug"] == "cyanocobalamin"
    ingredient["itemReference"] = {"reference": "Substance/elsewhere", "display": "hydroxocobalamin"}
    assert mapped(resource, index)["drug"] == "hydroxocobalamin"


def test_inactive_ingredients_are_not_the_drug() -> None:
    resource = order()
    resource["contained"][0]["ingredient"].append(
        {
            "itemCodeableConcept": {"text": "benzyl alcohol"},
            "isActive": False,
            "strength": {"numerator": quantity(9, "mg"), "denominator": quantity(1, "mL")},
        }
    )
    record = mapped(resource)
    assert (record["drug"], record["product_concentration"]) == ("cyanocobalamin", "1000 mcg/1 mL")


def test_a_combination_product_names_every_ingredient_and_has_no_single_strength() -> None:
    resource = order()
    resource["contained"][0]["ingredient"].append(
        {
            "itemCodeableConcept": {"text": "folic acid"},
            "strength": {"numerator": quantity(5, "mg"), "denominator": quantity(1, "mL")},
        }
    )
    record = mapped(resource)
    assert record["drug"] == "cyanocobalamin + folic acid"
    assert "product_concentration" not in record
    assert "volume" not in record


def test_an_unresolved_reference_with_a_display_names_the_drug_without_strength() -> None:
    resource = order(
        medicationReference={
            "reference": "Medication/not-here",
            "display": "Cyanocobalamin 1000 mcg/mL injection",
        }
    )
    record = mapped(resource)
    assert record["drug"] == "Cyanocobalamin"
    assert "product_concentration" not in record


@pytest.mark.parametrize(
    ("changes", "path", "words"),
    [
        (
            {"medicationReference": {"reference": "Medication/not-here"}},
            "MedicationRequest.medicationReference.reference",
            "not in the Bundle",
        ),
        (
            {"medicationReference": {"reference": "#nothing"}},
            "MedicationRequest.medicationReference.reference",
            "no contained resource",
        ),
        (
            {"medicationReference": "Medication/x"},
            "MedicationRequest.medicationReference",
            "Reference object",
        ),
        (
            {"medicationCodeableConcept": {"text": "cyanocobalamin"}},
            "MedicationRequest.medication[x]",
            "give one",
        ),
        ({"medicationReference": None}, "MedicationRequest.medication[x]", "required"),
        (
            {"medicationCodeableConcept": "cyanocobalamin", "medicationReference": None},
            "MedicationRequest.medicationCodeableConcept",
            "CodeableConcept",
        ),
    ],
)
def test_medication_problems(changes: dict[str, Any], path: str, words: str) -> None:
    resource = order()
    resource.update(changes)
    if resource.get("medicationReference") is None:
        resource.pop("medicationReference")
    assert words in problems(resource)[path]


def test_a_reference_to_something_that_is_not_a_medication_is_a_problem() -> None:
    resource = order(medicationReference={"reference": "#pt"})
    resource["contained"] = [{"resourceType": "Patient", "id": "pt"}]
    assert "refers to a Patient" in problems(resource)["MedicationRequest.medicationReference.reference"]


def test_a_medication_that_names_no_drug_is_a_problem() -> None:
    resource = order()
    resource["contained"][0].pop("code")
    resource["contained"][0]["ingredient"][0].pop("itemCodeableConcept")
    assert "names no drug" in problems(resource)["MedicationRequest.contained[0].code"]


def test_problems_in_a_bundle_medication_are_located_through_resolve() -> None:
    vial = medication(quantity(1, "mL"), quantity(1, "mL")) | {"id": "vial-1"}
    resource = order(medicationReference={"reference": "Medication/vial-1"})
    del resource["contained"]
    found = problems(resource, index_resources([vial]))
    assert list(found) == [
        "MedicationRequest.medicationReference.resolve().ingredient[0].strength.numerator.code"
    ]


# --- dose and its units --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("dose", "text"),
    [
        (quantity(1000, "ug"), "1000 mcg"),
        (quantity(1000, "ug", unit="µg"), "1000 mcg"),
        (quantity(1000, "ug", unit="microgram"), "1000 mcg"),
        (quantity(1000, None, unit="mcg", system=None), "1000 mcg"),
        (quantity(1000, None, unit="micrograms", system=None), "1000 mcg"),
        (quantity(1000, "mcg"), "1000 mcg"),
        (quantity(1000.0, "ug"), "1000 mcg"),
        (quantity(500, "ug"), "500 mcg"),
        (quantity(1, "mg"), "1 mg"),
        (quantity(0.5, "mg", unit="milligram"), "0.5 mg"),
        (quantity(0.001, "g"), "0.001 g"),
        (quantity(1000, "ug", unit="microgram(s)"), "1000 mcg"),
        (quantity(1000, "258685003", unit="mcg", system=SNOMED), "1000 mcg"),
    ],
)
def test_dose_is_written_with_a_written_unit(dose: dict[str, Any], text: str) -> None:
    record = mapped(with_dose(dose))
    assert record["dose"] == text
    assert "ug" not in record["dose"].split()


def test_a_ucum_ug_dose_raises_no_notation_token() -> None:
    facts = OrderNormaliser().normalise(mapped(order())).facts
    assert "ug" not in facts["notation_tokens"]
    assert facts["dose_mcg"] == 1000


@pytest.mark.parametrize(
    ("dose", "strength", "volume"),
    [
        (quantity(1000, "ug"), (quantity(1000, "ug"), quantity(1, "mL")), "1 mL"),
        (quantity(500, "ug"), (quantity(1000, "ug"), quantity(1, "mL")), "0.5 mL"),
        (quantity(100, "ug"), (quantity(1000, "ug"), quantity(1, "mL")), "0.1 mL"),
        (quantity(2000, "ug"), (quantity(1000, "ug"), quantity(1, "mL")), "2 mL"),
        (quantity(333, "ug"), (quantity(1000, "ug"), quantity(1, "mL")), "0.333 mL"),
        (quantity(1, "mg"), (quantity(1, "mg"), quantity(1, "mL")), "1 mL"),
        (quantity(1, "mg"), (quantity(1000, "ug"), quantity(1, "mL")), "1 mL"),
        (quantity(1000, "ug"), (quantity(5000, "ug"), quantity(5, "mL")), "1 mL"),
        (quantity(1000, "mg"), (quantity(1000, "ug"), quantity(1, "mL")), "1000 mL"),
        (quantity(1000, "ug"), (quantity(1, "g"), quantity(1, "L")), "1 mL"),
    ],
)
def test_volume_is_derived_from_dose_and_strength(
    dose: dict[str, Any], strength: tuple[dict[str, Any], dict[str, Any]], volume: str
) -> None:
    resource = with_dose(dose)
    resource["contained"] = [medication(*strength)]
    assert mapped(resource)["volume"] == volume


def test_product_concentration_keeps_the_ratio_as_written() -> None:
    resource = order()
    resource["contained"] = [medication(quantity(5000, "ug"), quantity(5, "mL"))]
    assert mapped(resource)["product_concentration"] == "5000 mcg/5 mL"


def test_a_dose_in_ml_is_the_volume_and_leaves_the_dose_unstated() -> None:
    record = mapped(with_dose(quantity(1, "mL")))
    assert record["volume"] == "1 mL"
    assert "dose" not in record


def test_no_dose_gives_no_dose_and_no_volume() -> None:
    resource = order()
    del dosage(resource)["doseAndRate"]
    record = mapped(resource)
    assert "dose" not in record
    assert "volume" not in record


@pytest.mark.parametrize(
    ("dose", "path", "words"),
    [
        (quantity(1, "{vial}", unit="vial"), f"{DOSE}.code", "not a unit of a dose"),
        (quantity(1, "mmol", unit="mmol"), f"{DOSE}.code", "not a unit of a dose"),
        (quantity(1, "tablet", unit="tablet", system=None), f"{DOSE}.code", "not a unit of a dose"),
        (quantity(1, None, unit="ampoule", system=None), f"{DOSE}.unit", "not a unit of a dose"),
        (quantity(1000, None, system=None), f"{DOSE}.code", "needs a unit"),
        (quantity(1000, "mg", unit="mcg"), DOSE, "disagree"),
        (quantity(1000, "ug", unit="mg"), DOSE, "disagree"),
        (quantity(None, "ug"), f"{DOSE}.value", "required"),
        (quantity(0, "ug"), f"{DOSE}.value", "greater than zero"),
        (quantity(-5, "ug"), f"{DOSE}.value", "greater than zero"),
        (quantity("1000", "ug"), f"{DOSE}.value", "must be a number"),
        (quantity(True, "ug"), f"{DOSE}.value", "must be a number"),
        (quantity([1000], "ug"), f"{DOSE}.value", "must be a number"),
        (quantity(1e12, "ug"), f"{DOSE}.value", "out of any plausible range"),
        (quantity(1000, "ug") | {"comparator": "<="}, f"{DOSE}.comparator", "not a dose that can be checked"),
        ("1000 mcg", DOSE, "Quantity object"),
    ],
)
def test_dose_problems_name_the_fhir_path(dose: Any, path: str, words: str) -> None:
    assert words in problems(with_dose(dose))[path]


@pytest.mark.parametrize(
    "dose",
    [
        quantity(5000, "[iU]", unit="IU"),
        quantity(5000, "[IU]", unit="international units"),
        quantity(5000, "U", unit="units"),
        quantity(5000, "[USP'U]", unit="USP units"),
        quantity(5000, None, unit="units", system=None),
        quantity(5000, None, unit="IU", system=None),
    ],
)
def test_a_dose_in_units_maps_to_a_dose_in_units(dose: dict[str, Any]) -> None:
    """Coded units (UCUM [iU], U, [USP'U]) are written "units", not noted as a handwritten "IU"."""
    record = mapped(with_dose(dose))
    assert record["dose"] == "5000 units"
    assert "volume" not in record  # a strength in mcg/mL says nothing of a dose in units
    facts = OrderNormaliser().normalise({**record, "drug": "heparin"}).facts
    assert facts["dose_units"] == 5000.0
    assert "dose_mcg" not in facts


def test_a_cyanocobalamin_dose_in_units_from_fhir_is_invalid_on_its_dose() -> None:
    checker = Checker(load_rules())
    (result,) = checker.check_all(read_fhir_ndjson("t", [json.dumps(with_dose(quantity(1000, "[iU]")))]))
    assert result.status is ResultStatus.INVALID
    assert [error.message for error in result.errors] == [
        "cyanocobalamin is dosed by mass (mcg); '1000 units' is not a mass"
    ]


@pytest.mark.parametrize("before", [1, 1.0])
def test_a_dose_of_true_is_refused_after_a_dose_of_one(before: float) -> None:
    """True == 1 and hash(True) == hash(1): the Quantity mapping's cache answered a dose of `true` with
    the dose of 1 mapped before it, so whether `true` was refused depended on what came first."""
    assert mapped(with_dose(quantity(before, "ug")))["dose"] == "1 mcg"
    assert "must be a number" in problems(with_dose(quantity(True, "ug")))[f"{DOSE}.value"]


def test_a_dose_range_is_refused() -> None:
    resource = order()
    dosage(resource)["doseAndRate"] = [
        {"doseRange": {"low": quantity(500, "ug"), "high": quantity(1000, "ug")}}
    ]
    found = problems(resource)
    assert list(found) == [f"{D}.doseAndRate[0].doseRange"]
    assert "range cannot be checked" in found[f"{D}.doseAndRate[0].doseRange"]


@pytest.mark.parametrize(
    ("numerator", "denominator", "path", "words"),
    [
        (quantity(1, "mL"), quantity(1, "mL"), f"{STRENGTH}.numerator.code", "volume unit"),
        (quantity(1000, "ug"), quantity(1, "mg"), f"{STRENGTH}.denominator.code", "mass unit"),
        (quantity(1000, "ug"), quantity(0, "mL"), f"{STRENGTH}.denominator.value", "greater than zero"),
        (quantity(1000, "{unit}"), quantity(1, "mL"), f"{STRENGTH}.numerator.code", "not a unit"),
    ],
)
def test_strength_problems_name_the_fhir_path(
    numerator: dict[str, Any], denominator: dict[str, Any], path: str, words: str
) -> None:
    resource = order()
    resource["contained"] = [medication(numerator, denominator)]
    assert words in problems(resource)[path]


def test_a_strength_without_denominator_or_not_a_ratio_is_a_problem() -> None:
    resource = order()
    del resource["contained"][0]["ingredient"][0]["strength"]["denominator"]
    assert "required" in problems(resource)[f"{STRENGTH}.denominator"]
    resource["contained"][0]["ingredient"][0]["strength"] = "1000 mcg/mL"
    assert "Ratio" in problems(resource)[STRENGTH]


# --- route ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "route"),
    [
        ("78421000", "IM"), ("34206005", "SC"), ("47625008", "IV"), ("26643006", "PO"), ("37839007", "SL"),
        ("46713006", "IN"), ("372464004", "ID"), ("72607000", "IT"), ("6064005", "TOP"),
    ],
)  # fmt: skip
def test_snomed_route_codes(code: str, route: str) -> None:
    assert mapped(with_route({"coding": [{"system": SNOMED, "code": code}]}))["route"] == route


@pytest.mark.parametrize(
    ("code", "route"),
    [
        ("IM", "IM"),
        ("IMD", "IM"),
        ("SQ", "SC"),
        ("SC", "SC"),
        ("IV", "IV"),
        ("IVINJ", "IV"),
        ("IVPUSH", "IV"),
        ("PO", "PO"),
        ("SL", "SL"),
    ],
)
def test_hl7_v3_route_codes(code: str, route: str) -> None:
    assert mapped(with_route({"coding": [{"system": V3_ROUTE, "code": code}]}))["route"] == route
    old_system = "http://hl7.org/fhir/v3/RouteOfAdministration"
    assert mapped(with_route({"coding": [{"system": old_system, "code": code}]}))["route"] == route


@pytest.mark.parametrize(
    ("route", "expected"),
    [
        ({"text": "intramuscular"}, "intramuscular"),
        ({"text": "deep subcutaneous"}, "deep subcutaneous"),
        (
            {"coding": [{"system": "urn:local", "code": "7", "display": "Intramuscular route"}]},
            "Intramuscular",
        ),
        (
            {
                "coding": [
                    {"system": "urn:local", "code": "7", "display": "Intramuscular route (qualifier value)"}
                ]
            },
            "Intramuscular",
        ),
        ({"coding": [{"system": SNOMED, "code": "999999"}], "text": "IM"}, "IM"),
        ({"coding": [{"system": "urn:local", "code": "X"}, {"system": V3_ROUTE, "code": "IM"}]}, "IM"),
    ],
)
def test_route_text_and_displays_are_the_fallback(route: dict[str, Any], expected: str) -> None:
    record = mapped(with_route(route))
    assert record["route"] == expected
    assert OrderNormaliser().normalise(record).facts["route"] in ("IM", "SC")


EDQM_ROUTE = "http://standardterms.edqm.eu"


@pytest.mark.parametrize(
    ("route", "expected"),
    [
        ({"coding": [{"system": EDQM_ROUTE, "code": "20035000", "display": "Intramuscular use"}]}, "IM"),
        ({"coding": [{"system": EDQM_ROUTE, "code": "20066000", "display": "Subcutaneous use"}]}, "SC"),
        ({"coding": [{"system": EDQM_ROUTE, "code": "20045000", "display": "Intravenous use"}]}, "IV"),
        ({"coding": [{"system": EDQM_ROUTE, "code": "20053000", "display": "Oral use"}]}, "PO"),
        (
            {"coding": [{"system": "urn:local", "code": "1", "display": "Intramuscular use"}]},
            "Intramuscular use",
        ),
        ({"text": "IV push"}, "IV push"),
    ],
)
def test_edqm_route_codes_and_terms(route: dict[str, Any], expected: str) -> None:
    record = mapped(with_route(route))
    assert record["route"] == expected
    assert OrderNormaliser().normalise(record).facts["route"] == codes.route_code(expected)


@pytest.mark.parametrize(
    ("route", "path", "words"),
    [
        (
            {"coding": [{"system": SNOMED, "code": "999999"}]},
            f"{D}.route.coding[0].code",
            "unknown route code '999999'",
        ),
        (
            {"coding": [{"system": "urn:local", "code": "X"}, {"system": V3_ROUTE, "code": "ZZ"}]},
            f"{D}.route.coding[1].code",
            "unknown route code 'ZZ'",
        ),
        ({"text": "into the arm"}, f"{D}.route.text", "unknown route 'into the arm'"),
        ({"coding": [{"system": "urn:local", "code": "X"}]}, f"{D}.route", "no code the checker knows"),
        ("IM", f"{D}.route", "CodeableConcept"),
    ],
)
def test_route_problems_name_the_fhir_path(route: Any, path: str, words: str) -> None:
    assert words in problems(with_route(route))[path]


def test_no_route_gives_no_route() -> None:
    resource = order()
    del dosage(resource)["route"]
    assert "route" not in mapped(resource)


# --- site ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("site", "expected"),
    [
        ({"text": "left deltoid"}, "left deltoid"),
        ({"text": "Right Vastus Lateralis"}, "Right Vastus Lateralis"),
        (
            {"coding": [{"system": SNOMED, "code": "0", "display": "Structure of left deltoid muscle"}]},
            "left deltoid",
        ),
        (
            {
                "coding": [
                    {"system": SNOMED, "code": "0", "display": "Deltoid muscle structure (body structure)"}
                ]
            },
            "Deltoid muscle structure (body structure)",
        ),
        ({"coding": [{"display": "Right ventrogluteal region"}]}, "Right ventrogluteal region"),
        ({"coding": [{"system": V3_SITE, "code": "LD"}]}, "left deltoid"),
        ({"coding": [{"system": V3_SITE, "code": "RVL"}]}, "right vastus lateralis"),
        ({"coding": [{"system": V3_SITE, "code": "LVG"}]}, "left ventrogluteal"),
        ({"coding": [{"system": V3_SITE, "code": "LUA"}]}, "left upper arm"),
        ({"coding": [{"system": V3_SITE, "code": "RLAQ"}]}, "right lower abd quadrant"),
        ({"coding": [{"display": "Left upper arm"}]}, "Left upper arm"),
        ({"text": "left buttock"}, "left buttock"),
    ],
)
def test_site_text_display_and_v3_codes(site: dict[str, Any], expected: str) -> None:
    record = mapped(with_site(site))
    assert record["site"] == expected
    assert "site" in OrderNormaliser().normalise(record).facts


@pytest.mark.parametrize(
    ("site", "path", "words"),
    [
        ({"text": "left knee"}, f"{D}.site.text", "unknown injection site 'left knee'"),
        (
            {"coding": [{"display": "Left forearm"}]},
            f"{D}.site.coding",
            "unknown injection site 'Left forearm'",
        ),
        ({"coding": [{"system": V3_SITE, "code": "LF"}]}, f"{D}.site", "no text"),  # left foot
        ("deltoid", f"{D}.site", "CodeableConcept"),
    ],
)
def test_site_problems_name_the_fhir_path(site: Any, path: str, words: str) -> None:
    assert words in problems(with_site(site))[path]


# --- frequency -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("repeat", "frequency", "same_as"),
    [
        ({"frequency": 1, "period": 1, "periodUnit": "d"}, "daily", "daily"),
        ({"period": 1, "periodUnit": "d"}, "daily", "daily"),
        ({"frequency": 1, "period": 2, "periodUnit": "d"}, "every 2 days", "every other day"),
        ({"frequency": 3, "period": 1, "periodUnit": "wk"}, "every 2.333333 days", "three times a week"),
        ({"frequency": 1, "period": 1, "periodUnit": "wk"}, "every 7 days", "weekly"),
        ({"frequency": 1, "period": 2, "periodUnit": "wk"}, "every 14 days", "every 2 weeks"),
        ({"frequency": 1, "period": 1, "periodUnit": "mo"}, "every 30 days", "monthly"),
        ({"frequency": 1, "period": 3, "periodUnit": "mo"}, "every 90 days", "every 3 months"),
        ({"frequency": 1, "period": 24, "periodUnit": "h"}, "daily", "daily"),
        ({"frequency": 2, "period": 1, "periodUnit": "d"}, "every 0.5 days", "twice daily"),
        ({"frequency": 1, "period": 1, "periodUnit": "a"}, "every 365 days", "every 1 year"),
        (
            {"frequency": 1, "frequencyMax": 2, "period": 1, "periodUnit": "d"},
            "every 0.5 days",
            "twice daily",
        ),
        (
            {"frequency": 1, "period": 1, "periodUnit": "d", "dayOfWeek": ["mon", "wed", "fri"]},
            "every 2.333333 days",
            "three times a week",
        ),
        (
            {"period": 1, "periodUnit": "wk", "dayOfWeek": ["mon", "wed", "fri"]},
            "every 2.333333 days",
            "three times a week",
        ),
        ({"dayOfWeek": ["mon", "thu"]}, "every 3.5 days", "twice a week"),
        (
            {"frequency": 1, "period": 2, "periodUnit": "wk", "dayOfWeek": ["mon"]},
            "every 14 days",
            "every 2 weeks",
        ),
    ],
)
def test_frequency_from_timing_repeat(repeat: dict[str, Any], frequency: str, same_as: str) -> None:
    record = mapped(with_repeat(**repeat))
    assert record["frequency"] == frequency
    assert parse_frequency(frequency).interval_days == parse_frequency(same_as).interval_days


@pytest.mark.parametrize(
    ("repeat", "path", "words"),
    [
        ({"frequency": 1, "period": 30, "periodUnit": "s"}, f"{REPEAT}.periodUnit", "seconds or minutes"),
        ({"frequency": 1, "period": 30, "periodUnit": "min"}, f"{REPEAT}.periodUnit", "seconds or minutes"),
        ({"frequency": 1, "period": 1, "periodUnit": "fortnight"}, f"{REPEAT}.periodUnit", "unknown unit"),
        ({"frequency": 1, "period": 1}, f"{REPEAT}.periodUnit", "required"),
        ({"frequency": 1, "periodUnit": "d"}, f"{REPEAT}.period", "required"),
        ({"frequency": 1, "period": 0, "periodUnit": "d"}, f"{REPEAT}.period", "greater than zero"),
        ({"frequency": 1, "period": "1", "periodUnit": "d"}, f"{REPEAT}.period", "greater than zero"),
        ({"frequency": 0, "period": 1, "periodUnit": "d"}, f"{REPEAT}.frequency", "whole number"),
        ({"frequency": 1.5, "period": 1, "periodUnit": "d"}, f"{REPEAT}.frequency", "whole number"),
        (
            {"frequency": 1, "frequencyMax": True, "period": 1, "periodUnit": "d"},
            f"{REPEAT}.frequencyMax",
            "whole number",
        ),
        ({"period": 1, "periodUnit": "wk", "dayOfWeek": ["monday"]}, f"{REPEAT}.dayOfWeek", "mon, tue"),
    ],
)
def test_frequency_problems_name_the_fhir_path(repeat: dict[str, Any], path: str, words: str) -> None:
    assert words in problems(with_repeat(**repeat))[path]


@pytest.mark.parametrize(
    ("code", "frequency"),
    [
        ("QD", "daily"),
        ("QOD", "every 2 days"),
        ("BID", "twice daily"),
        ("TID", "3 times a day"),
        ("WK", "weekly"),
        ("MO", "monthly"),
        ("Q4H", "every 4 hours"),
    ],
)
def test_frequency_from_a_timing_code(code: str, frequency: str) -> None:
    resource = order()
    dosage(resource)["timing"] = {"code": {"coding": [{"system": V3_TIMING, "code": code}]}}
    record = mapped(resource)
    assert record["frequency"] == frequency
    assert parse_frequency(frequency).notation == (), "a coded QD is not handwriting"


def test_timing_code_text_is_read_when_no_code_is_known() -> None:
    resource = order()
    dosage(resource)["timing"] = {
        "code": {"coding": [{"system": "urn:local", "code": "7"}], "text": "every other day"}
    }
    assert mapped(resource)["frequency"] == "every other day"


def test_timing_repeat_wins_over_timing_code() -> None:
    resource = order()
    dosage(resource)["timing"] = {
        "code": {"coding": [{"system": V3_TIMING, "code": "MO"}]},
        "repeat": {"frequency": 1, "period": 1, "periodUnit": "wk"},
    }
    assert mapped(resource)["frequency"] == "every 7 days"


def test_an_unknown_timing_code_is_a_problem() -> None:
    resource = order()
    dosage(resource)["timing"] = {"code": {"coding": [{"system": V3_TIMING, "code": "XYZ"}]}}
    assert "unknown timing code 'XYZ'" in problems(resource)[f"{D}.timing.code.coding[0].code"]


def test_a_timing_code_with_only_another_system_gives_no_frequency() -> None:
    resource = order()
    dosage(resource)["timing"] = {"code": {"coding": [{"system": "urn:local", "code": "X"}]}}
    assert "frequency" not in mapped(resource)


# --- duration ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("bounds", "duration", "days"),
    [
        ({"value": 14, "unit": "days", "system": UCUM, "code": "d"}, "14 days", 14),
        ({"value": 1, "unit": "week", "system": UCUM, "code": "wk"}, "1 week", 7),
        ({"value": 6, "unit": "weeks", "system": UCUM, "code": "wk"}, "6 weeks", 42),
        ({"value": 3, "unit": "months", "system": UCUM, "code": "mo"}, "3 months", 90),
        ({"value": 1, "unit": "year", "system": UCUM, "code": "a"}, "1 year", 365),
        ({"value": 10, "unit": "days"}, "10 days", 10),
        ({"value": 2.5, "code": "wk"}, "2.5 weeks", 17.5),
    ],
)
def test_duration_from_bounds_duration(bounds: dict[str, Any], duration: str, days: float) -> None:
    record = mapped(with_repeat(frequency=1, period=1, periodUnit="d", boundsDuration=bounds))
    assert record["duration"] == duration
    assert parse_duration(duration).days == days


@pytest.mark.parametrize(
    ("repeat", "duration"),
    [
        ({"count": 10}, "10 doses"),
        ({"count": 1}, "1 dose"),
        ({"count": 5, "countMax": 7}, "7 doses"),
        ({"boundsPeriod": {"start": "2024-01-01", "end": "2024-01-14"}}, "14 days"),
        ({"boundsPeriod": {"start": "2024-01-01", "end": "2024-01-01"}}, "1 day"),
        ({"boundsPeriod": {"start": "2024-01-01T08:00:00Z", "end": "2024-01-15T08:00:00Z"}}, "14 days"),
        (
            {"boundsPeriod": {"start": "2024-01-01T08:00:00+01:00", "end": "2024-01-02T20:00:00+01:00"}},
            "1.5 days",
        ),
        ({"boundsPeriod": {"start": "2024-01-01T08:00:00", "end": "2024-01-08"}}, "8 days"),
        ({"boundsPeriod": {"start": "2024-01-01"}}, "ongoing"),
        ({"boundsRange": {"low": {"value": 2, "code": "wk"}, "high": {"value": 3, "code": "wk"}}}, "3 weeks"),
        ({"boundsDuration": {"value": 2, "code": "wk"}, "count": 99}, "2 weeks"),
        ({"count": 3, "boundsPeriod": {"start": "2024-01-01", "end": "2024-12-31"}}, "3 doses"),
    ],
)
def test_duration_from_count_period_and_range(repeat: dict[str, Any], duration: str) -> None:
    record = mapped(with_repeat(frequency=1, period=1, periodUnit="d", **repeat))
    assert record["duration"] == duration
    parse_duration(duration)  # the schedule parser reads every duration the mapping writes


@pytest.mark.parametrize(
    ("repeat", "path", "words"),
    [
        ({"boundsDuration": {"value": 12, "code": "h"}}, f"{REPEAT}.boundsDuration.code", "not hours"),
        (
            {"boundsDuration": {"value": 12, "unit": "fortnights"}},
            f"{REPEAT}.boundsDuration.unit",
            "unknown duration unit",
        ),
        (
            {"boundsDuration": {"value": 0, "code": "d"}},
            f"{REPEAT}.boundsDuration.value",
            "greater than zero",
        ),
        ({"boundsDuration": "7 days"}, f"{REPEAT}.boundsDuration", "Duration object"),
        ({"count": 0}, f"{REPEAT}.count", "whole number"),
        ({"count": 2, "countMax": "5"}, f"{REPEAT}.countMax", "whole number"),
        (
            {"boundsPeriod": {"start": "2024-02-01", "end": "2024-01-01"}},
            f"{REPEAT}.boundsPeriod",
            "end is before start",
        ),
        (
            {"boundsPeriod": {"start": "2024-01", "end": "2024-03"}},
            f"{REPEAT}.boundsPeriod.start",
            "full date",
        ),
        ({"boundsPeriod": {"end": "2024-03-01"}}, f"{REPEAT}.boundsPeriod.start", "full date"),
        (
            {"boundsPeriod": {"start": "2024-01-01", "end": "March"}},
            f"{REPEAT}.boundsPeriod.end",
            "full date",
        ),
        ({"boundsRange": "2-3 weeks"}, f"{REPEAT}.boundsRange", "Range object"),
        (  # a typo for 2024: a plan of 738,000 days
            {"boundsPeriod": {"start": "0001-01-01", "end": "2024-03-01"}},
            f"{REPEAT}.boundsPeriod.start",
            "year 1 is not plausible",
        ),
        (
            {"boundsPeriod": {"start": "2024-01-01", "end": "9999-12-31T23:00:00-05:00"}},
            f"{REPEAT}.boundsPeriod.end",
            "year 9999 is not plausible",
        ),
    ],
)
def test_duration_problems_name_the_fhir_path(repeat: dict[str, Any], path: str, words: str) -> None:
    assert words in problems(with_repeat(frequency=1, period=1, periodUnit="d", **repeat))[path]


def test_no_timing_gives_no_frequency_and_no_duration() -> None:
    resource = order()
    del dosage(resource)["timing"]
    record = mapped(resource)
    assert "frequency" not in record
    assert "duration" not in record


def test_a_repeat_with_only_a_duration_gives_no_frequency() -> None:
    record = mapped(with_repeat(boundsDuration={"value": 7, "code": "d"}))
    assert "frequency" not in record
    assert record["duration"] == "7 days"


# --- the resource as a whole ---------------------------------------------------------------------


def test_no_dosage_instruction_gives_only_ids_drug_and_strength() -> None:
    resource = order()
    del resource["dosageInstruction"]
    assert mapped(resource) == {
        "order_id": "MR-1", "patient_id": "PT-9", "status": "active", "drug": "cyanocobalamin",
        "product_concentration": "1000 mcg/1 mL", "rxnorm": "309594",
    }  # fmt: skip


def test_a_plan_in_several_dosage_instructions_is_refused() -> None:
    resource = order()
    resource["dosageInstruction"].append(copy.deepcopy(dosage(resource)))
    assert "one phase at a time" in problems(resource)["MedicationRequest.dosageInstruction"]


@pytest.mark.parametrize(
    ("value", "path"), [("daily", "MedicationRequest.dosageInstruction"), (["daily"], D)]
)
def test_a_malformed_dosage_instruction_is_a_problem(value: Any, path: str) -> None:
    assert path in problems(order(dosageInstruction=value))


@pytest.mark.parametrize("status", ["draft", "active", "on-hold", "unknown"])
def test_orders_of_every_status_under_which_the_drug_may_be_given_are_checked(status: str) -> None:
    record = mapped(order(status=status))
    assert (record["status"], record["dose"], record["route"]) == (status, "1000 mcg", "IM")


@pytest.mark.parametrize("status", ["cancelled", "completed", "entered-in-error", "stopped"])
def test_an_order_that_ended_is_inactive_not_invalid(status: str, checker: Checker) -> None:
    """MedicationRequest.status is the order's own status: an ended order is not alerted on (it was
    refused as invalid, which counts as critical, for entered-in-error; checked for the others)."""
    wrong = order(status=status)
    dosage(wrong)["doseAndRate"] = [{"doseQuantity": quantity(10, "mg")}]
    assert mapped(wrong)["status"] == status
    result = checker.check(fhir_record("r:1", wrong))
    assert (result.status, result.findings, result.errors) == (ResultStatus.INACTIVE, (), ())
    assert (result.order_id, result.patient_id) == ("MR-1", "PT-9")


def test_the_dosage_of_an_order_that_ended_is_not_read(checker: Checker) -> None:
    """Not alerted on means not read: a cancelled order's unmappable dose is no problem of it."""
    cancelled = order(status="cancelled")
    dosage(cancelled)["doseAndRate"] = [{"doseQuantity": quantity(1, "{vial}", unit="vial")}]
    assert checker.check(fhir_record("r:1", cancelled)).status is ResultStatus.INACTIVE
    active = {**copy.deepcopy(cancelled), "status": "active"}
    assert checker.check(fhir_record("r:1", active)).status is ResultStatus.INVALID


def test_an_order_not_to_give_the_drug_is_not_checked() -> None:
    assert "not checked" in problems(order(doNotPerform=True))["MedicationRequest.doNotPerform"]
    assert mapped(order(doNotPerform=False))["order_id"] == "MR-1"


@pytest.mark.parametrize("value", ["true", 1, "yes", [True], {"value": True}])
def test_a_do_not_perform_that_is_not_a_boolean_is_not_read_as_false(value: Any) -> None:
    """doNotPerform is a modifier: "true" (a string, as some exporters write it) was read as not true,
    and an order NOT to give the drug was checked (and passed) as an order to give it."""
    assert "true or false" in problems(order(doNotPerform=value))["MedicationRequest.doNotPerform"]


@pytest.mark.parametrize("value", ["Entered-In-Error", "entered_in_error", "void", "", 7, ["active"], None])
def test_a_status_that_is_not_an_r4_status_is_refused(value: Any) -> None:
    """status is a modifier (entered-in-error says the resource is a mistake): a status that is not one
    of R4's codes, or none, could be that, so the order is not checked as if it were active."""
    resource = order(status=value)
    if value is None:
        del resource["status"]
    assert "MedicationRequest.status" in problems(resource)


@pytest.mark.parametrize("value", ["Order", "prescription", 3, ""])
def test_an_intent_that_is_not_an_r4_intent_is_refused(value: Any) -> None:
    assert "MedicationRequest.intent" in problems(order(intent=value))


@pytest.mark.parametrize(
    "intent",
    [
        "proposal",
        "plan",
        "order",
        "original-order",
        "reflex-order",
        "filler-order",
        "instance-order",
        "option",
    ],
)
def test_orders_of_every_r4_intent_are_checked(intent: str) -> None:
    assert mapped(order(intent=intent))["order_id"] == "MR-1"


def test_a_second_dose_in_dose_and_rate_is_not_dropped() -> None:
    """Only doseAndRate[0] was read: an ordered 10 mg in doseAndRate[1] was never checked."""
    resource = order()
    dosage(resource)["doseAndRate"] = [
        {"type": {"text": "calculated"}, "doseQuantity": quantity(1000, "ug")},
        {"type": {"text": "ordered"}, "doseQuantity": quantity(10, "mg")},
    ]
    assert f"{D}.doseAndRate" in problems(resource)


def test_a_second_dose_and_rate_with_only_a_rate_is_read() -> None:
    resource = order()
    dosage(resource)["doseAndRate"] = [
        {"doseQuantity": quantity(1000, "ug")},
        {"rateQuantity": quantity(1, "mL")},
    ]
    assert mapped(resource)["dose"] == "1000 mcg"


@pytest.mark.parametrize(
    "codings",
    [
        [{"system": RXNORM, "code": "11248"}, {"system": RXNORM, "code": "5493"}],
        [
            {"system": RXNORM, "code": "309594"},
            {"system": SNOMED, "code": "1", "display": "Hydroxocobalamin 1mg/1mL"},
        ],
    ],
)
def test_codings_that_name_different_drugs_are_refused(codings: list[dict[str, Any]]) -> None:
    """The first known RxNorm coding won: a concept coded cyanocobalamin and hydroxocobalamin (other
    products, other regimens) was checked as cyanocobalamin."""
    assert "MedicationRequest.medicationCodeableConcept" in problems(with_concept({"coding": codings}))


def test_codings_and_text_that_name_different_drugs_are_refused() -> None:
    concept = {"text": "Hydroxocobalamin 1 mg/mL injection", "coding": [{"system": RXNORM, "code": "309594"}]}
    assert "MedicationRequest.medicationCodeableConcept" in problems(with_concept(concept))


def test_codings_that_agree_are_read() -> None:
    concept = {
        "text": "Cyanocobalamin 1000 mcg/mL injection",
        "coding": [
            {"system": RXNORM, "code": "309594"},
            {"system": SNOMED, "code": "1", "display": "Cyanocobalamin"},
        ],
    }
    assert mapped(with_concept(concept))["drug"] == "cyanocobalamin"


@pytest.mark.parametrize("kind", ["Patient", "MedicationStatement", None])
def test_a_resource_that_is_not_a_medication_request_is_a_problem(kind: str | None) -> None:
    resource = order(resourceType=kind)
    if kind is None:
        del resource["resourceType"]
    with pytest.raises(FhirMappingError) as info:
        medication_request_to_record(resource)
    assert [problem.field for problem in info.value.problems] == ["resourceType"]
    assert "MedicationRequest" in info.value.problems[0].message
    assert info.value.record == {"order_id": "MR-1", "patient_id": "PT-9"}


def test_every_problem_of_a_resource_is_collected_before_raising() -> None:
    resource = order(status="Entered-In-Error", subject={"reference": "Group/G-1"})
    del resource["id"]
    resource["contained"] = [medication(quantity(1000, "ug"), quantity(1, "[iU]"))]
    dose = dosage(resource)
    dose["doseAndRate"] = [{"doseQuantity": quantity(1, "{vial}", unit="vial")}]
    dose["route"] = {"coding": [{"system": SNOMED, "code": "1"}]}
    dose["site"] = {"text": "the arm"}
    dose["timing"] = {
        "repeat": {
            "frequency": 1,
            "period": 10,
            "periodUnit": "min",
            "boundsDuration": {"value": 2, "code": "h"},
        }
    }
    with pytest.raises(FhirMappingError) as info:
        medication_request_to_record(resource)
    assert [problem.field for problem in info.value.problems] == [
        "MedicationRequest.id",
        "MedicationRequest.subject.reference",
        "MedicationRequest.status",
        f"{STRENGTH}.denominator.code",
        f"{DOSE}.code",
        f"{D}.route.coding[0].code",
        f"{D}.site.text",
        f"{REPEAT}.periodUnit",
        f"{REPEAT}.boundsDuration.code",
    ]
    assert all(problem.message for problem in info.value.problems)
    assert info.value.record == {}


def test_the_mapping_error_is_an_invalid_order_error_that_keeps_the_ids() -> None:
    with pytest.raises(InvalidOrderError) as info:
        medication_request_to_record(with_dose(quantity(1, "{vial}")))
    assert isinstance(info.value, FhirMappingError)
    assert isinstance(info.value, DoseguardError)
    assert info.value.record == {"order_id": "MR-1", "patient_id": "PT-9"}
    assert f"{DOSE}.code" in str(info.value)


# --- fhir_record ---------------------------------------------------------------------------------


def test_fhir_record_of_a_good_resource_carries_the_record() -> None:
    item = fhir_record("orders.json", order())
    assert item == InputRecord("orders.json", medication_request_to_record(order()))


def test_fhir_record_of_a_bad_resource_carries_ids_and_located_problems() -> None:
    item = fhir_record("orders.json", with_dose(quantity(1, "{vial}")))
    assert item.data == {"order_id": "MR-1", "patient_id": "PT-9"}
    assert item.error is None
    assert [problem.field for problem in item.problems] == [f"{DOSE}.code"]


@pytest.mark.parametrize("resource", [[], "MedicationRequest", None, 3])
def test_fhir_record_of_something_that_is_not_an_object_is_an_error(resource: Any) -> None:
    item = fhir_record("x", resource)
    assert item.data is None
    assert item.error is not None and "expected a FHIR resource" in item.error


# --- Bundles and NDJSON --------------------------------------------------------------------------


def test_read_fhir_bundle_gives_one_record_per_medication_request() -> None:
    items = list(read_fhir_bundle("fhir-bundle.json", load_bundle()))
    assert [item.source for item in items] == [f"fhir-bundle.json:entry[{i}]" for i in range(5)]
    assert [item.data["order_id"] for item in items] == [f"MR-B12-00{i}" for i in range(1, 6)]
    assert [bool(item.problems) for item in items] == [False, False, False, False, True]


def test_bundle_examples_map_as_documented() -> None:
    good, mg, no_timing, iv, bad_unit = read_fhir_bundle("b", load_bundle())
    assert shown(good.data) == {
        "order_id": "MR-B12-001", "patient_id": "PT-101", "status": "draft", "ordered_at": "2024-05-02", "drug": "cyanocobalamin", "product_concentration": "1000 mcg/1 mL",
        "dose": "1000 mcg", "volume": "1 mL", "route": "IM", "site": "left deltoid", "frequency": "daily", "duration": "7 days",
        "rxnorm": "309594",
    }  # fmt: skip
    assert shown(mg.data) == {
        "order_id": "MR-B12-002", "patient_id": "PT-102", "status": "draft", "ordered_at": "2024-05-02", "drug": "Cyanocobalamin", "product_concentration": "1 mg/1 mL",
        "dose": "1 mg", "volume": "1 mL", "route": "IM", "site": "right ventrogluteal", "frequency": "every 2.333333 days",
        "duration": "2 weeks", "rxnorm": "309594",
    }  # fmt: skip
    assert "frequency" not in no_timing.data and "duration" not in no_timing.data
    assert iv.data["route"] == "IV"
    assert bad_unit.data == {"order_id": "MR-B12-005", "patient_id": "PT-105"}
    assert [problem.field for problem in bad_unit.problems] == [f"{DOSE}.code"]
    assert "'vial'" in bad_unit.problems[0].message


def test_a_lone_medication_request_is_read_as_a_bundle_of_one() -> None:
    assert list(read_fhir_bundle("one.json", order())) == [
        InputRecord("one.json", medication_request_to_record(order()))
    ]


@pytest.mark.parametrize(
    ("data", "words"),
    [
        ({"resourceType": "Patient", "id": "p"}, "expected a FHIR Bundle"),
        ({"entry": []}, "expected a FHIR Bundle"),
        ({"resourceType": "Bundle", "entry": {"resource": {}}}, "Bundle.entry: must be a list of entries"),
        ([order()], "expected a FHIR Bundle"),
    ],
)
def test_something_that_is_not_a_bundle_is_one_error(data: Any, words: str) -> None:
    (item,) = read_fhir_bundle("x.json", data)
    assert words in (item.error or "; ".join(str(problem) for problem in item.problems))


def test_only_context_entries_are_skipped_and_every_other_entry_gets_a_record_in_place() -> None:
    """Issue 8: an entry without a resource, or whose resource has no, a misspelt or the DSTU2
    resourceType, or a nested Bundle, was skipped without a word (zero results, exit 0)."""
    bundle = {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [
            {"resource": {"resourceType": "Patient", "id": "PT-9"}},
            {"request": {"method": "DELETE", "url": "MedicationRequest/old"}},
            {"resource": "MedicationRequest/1"},
            {"resource": order(id="MR-2")},
            {"resource": {"id": "no-type"}},
            {"resource": {**order(id="MR-3"), "resourceType": "Medicationrequest"}},
            {"resource": {**order(id="MR-4"), "resourceType": "MedicationOrder"}},
            {"resource": {"resourceType": "Bundle", "entry": [{"resource": order(id="MR-5")}]}},
            {"resource": {"resourceType": "ServiceRequest", "id": "SR-1"}},
            "not an entry",
            {"resource": medication()},
        ],
    }
    items = list(read_fhir_bundle("b", bundle))
    assert [item.source for item in items] == [f"b:entry[{n}]" for n in range(1, 10)]
    fields = [[problem.field for problem in item.problems] for item in items]
    assert fields == [
        ["Bundle.entry[1].resource"],
        ["Bundle.entry[2].resource"],
        [],
        ["resourceType"],
        ["resourceType"],
        ["resourceType"],
        ["resourceType"],
        ["resourceType"],
        ["Bundle.entry[9]"],
    ]
    assert items[2].data["order_id"] == "MR-2"
    messages = [item.problems[0].message for item in items if item.problems]
    assert "case matters" in messages[3] and "DSTU2" in messages[4] and "inside a Bundle" in messages[5]
    assert list(read_fhir_bundle("b", {"resourceType": "Bundle"})) == []


def test_index_resources_keys_by_type_and_id_and_by_full_url() -> None:
    index = index_resources(load_bundle()["entry"])
    assert (
        index["Medication/cyanocobalamin-1mg-ml"]
        is index["https://fhir.example.org/Medication/cyanocobalamin-1mg-ml"]
    )
    assert index["Patient/PT-102"]["resourceType"] == "Patient"
    assert "MedicationRequest/MR-B12-001" in index


def test_read_fhir_ndjson_example() -> None:
    with (EXAMPLES / "fhir-medicationrequests.ndjson").open("rb") as handle:
        items = list(read_fhir_ndjson("bulk.ndjson", handle))
    assert [item.source for item in items] == [f"bulk.ndjson:{n}" for n in range(1, 6)]
    assert [item.data["order_id"] for item in items] == [f"MR-BULK-{n}" for n in range(1, 6)]
    assert [problem.field for problem in items[4].problems] == [f"{D}.doseAndRate[0].doseRange"]
    assert all(not item.problems for item in items[:4])
    assert items[2].data["drug"] == "hydroxocobalamin"
    assert shown(items[3].data)["frequency"] == "weekly"
    assert shown(items[1].data)["duration"] == "ongoing"


def test_read_fhir_ndjson_reports_lines_it_cannot_read() -> None:
    lines: list[str | bytes] = [
        b"\xef\xbb\xbf" + json.dumps(order()).encode(),
        "",
        "{not json",
        b"\xff\xfe",
        json.dumps({"resourceType": "Medication", "id": "m"}),
        "[1, 2]",
    ]
    items = list(read_fhir_ndjson("n", lines))
    assert [item.source for item in items] == ["n:1", "n:3", "n:4", "n:5", "n:6"]
    assert items[0].data == medication_request_to_record(order())
    assert items[1].error is not None and items[1].error.startswith("not JSON")
    assert items[2].error is not None and "UTF-8" in items[2].error
    assert [problem.field for problem in items[3].problems] == ["resourceType"]
    assert items[4].error is not None


# --- end to end: mapped orders through the checker -----------------------------------------------


def test_the_correct_example_order_passes_with_no_findings(checker: Checker) -> None:
    items = list(read_fhir_bundle("b", load_bundle()))
    result = checker.check(items[0])
    assert result.status is ResultStatus.PASS
    assert result.findings == ()
    assert (result.order_id, result.patient_id) == ("MR-B12-001", "PT-101")


def test_the_mg_example_order_passes(checker: Checker) -> None:
    result = list(checker.check_all(read_fhir_bundle("b", load_bundle())))[1]
    assert (result.status, result.findings) == (ResultStatus.PASS, ())


def test_the_no_timing_example_is_incomplete_naming_frequency_and_duration(checker: Checker) -> None:
    result = list(checker.check_all(read_fhir_bundle("b", load_bundle())))[2]
    assert [finding.rule_id for finding in result.findings] == ["B12-ORDER-INCOMPLETE"]
    message = result.findings[0].message
    assert "frequency" in message and "duration" in message
    assert "dose" not in message and "volume" not in message


def test_the_iv_example_gets_the_route_finding(checker: Checker) -> None:
    result = list(checker.check_all(read_fhir_bundle("b", load_bundle())))[3]
    assert [finding.rule_id for finding in result.findings] == ["B12-ROUTE"]


def test_the_bad_unit_example_is_invalid_with_its_fhir_path_and_id(checker: Checker) -> None:
    result = list(checker.check_all(read_fhir_bundle("b", load_bundle())))[4]
    assert result.status is ResultStatus.INVALID
    assert result.order_id == "MR-B12-005"
    assert [error.field for error in result.errors] == [f"{DOSE}.code"]


def test_a_batch_of_the_bundle_keeps_order_and_sources(checker: Checker) -> None:
    results = list(checker.check_all(read_fhir_bundle("b", load_bundle())))
    assert [result.status for result in results] == [
        ResultStatus.PASS,
        ResultStatus.PASS,
        ResultStatus.FLAGGED,
        ResultStatus.FLAGGED,
        ResultStatus.INVALID,
    ]
    assert [result.source for result in results] == [f"b:entry[{i}]" for i in range(5)]


def test_a_coded_qd_timing_is_not_flagged_as_error_prone_notation(checker: Checker) -> None:
    resource = order()
    dosage(resource)["timing"] = {
        "code": {"coding": [{"system": V3_TIMING, "code": "QD"}]},
        "repeat": {"boundsDuration": {"value": 7, "code": "d"}},
    }
    result = checker.check(fhir_record("x", resource))
    assert (result.status, result.findings) == (ResultStatus.PASS, ())


def test_a_1000_mg_fhir_dose_is_caught_as_implausible(checker: Checker) -> None:
    result = checker.check(fhir_record("x", with_dose(quantity(1000, "mg"))))
    assert "B12-DOSE-IMPLAUSIBLE" in [finding.rule_id for finding in result.findings]


def test_a_volume_too_large_for_the_deltoid_is_caught_from_the_derived_volume(checker: Checker) -> None:
    resource = with_dose(quantity(3000, "ug"))
    result = checker.check(fhir_record("x", resource))
    assert "B12-SITE-VOLUME" in [finding.rule_id for finding in result.findings]


def test_a_dose_stated_only_in_ml_is_incomplete(checker: Checker) -> None:
    result = checker.check(fhir_record("x", with_dose(quantity(1, "mL"))))
    assert [finding.rule_id for finding in result.findings] == ["B12-ORDER-INCOMPLETE"]
    assert "dose" in result.findings[0].message


def test_every_ndjson_example_checks_as_expected(checker: Checker) -> None:
    with (EXAMPLES / "fhir-medicationrequests.ndjson").open("rb") as handle:
        results = list(checker.check_all(read_fhir_ndjson("bulk", handle)))
    assert [result.status for result in results] == [
        ResultStatus.PASS,
        ResultStatus.PASS,
        ResultStatus.PASS,
        ResultStatus.PASS,
        ResultStatus.INVALID,
    ]
    # MR-BULK-3 is hydroxocobalamin 1 mg IM on alternate days for 7 doses: the BNF's initial course,
    # checked by the hydroxocobalamin pack (it was once reported as not covered).
    assert results[2].order_id == "MR-BULK-3"
    assert results[2].findings == ()


# --- elements of the wrong JSON type -------------------------------------------------------------


def _set(path: list[Any], value: Any) -> Any:
    def change(resource: dict[str, Any]) -> None:
        target: Any = resource
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value

    return change


DOSAGE_KEYS: list[Any] = ["dosageInstruction", 0]


@pytest.mark.parametrize(
    ("change", "path"),
    [
        (_set(["contained", 0, "ingredient"], {"strength": {}}), "MedicationRequest.contained[0].ingredient"),
        (
            _set(["contained", 0, "ingredient"], ["cyanocobalamin"]),
            "MedicationRequest.contained[0].ingredient[0]",
        ),
        (_set([*DOSAGE_KEYS, "timing"], "daily"), f"{D}.timing"),
        (_set([*DOSAGE_KEYS, "timing"], {"repeat": "daily"}), f"{D}.timing.repeat"),
        (_set([*DOSAGE_KEYS, "timing"], {"code": "QD"}), f"{D}.timing.code"),
        (_set([*DOSAGE_KEYS, "timing"], {"repeat": {"boundsPeriod": "2024"}}), f"{REPEAT}.boundsPeriod"),
        (_set([*DOSAGE_KEYS, "doseAndRate"], {"doseQuantity": {}}), f"{D}.doseAndRate"),
        (_set([*DOSAGE_KEYS, "doseAndRate"], ["1000 mcg"]), f"{D}.doseAndRate[0]"),
    ],
)
def test_elements_of_the_wrong_json_type_are_problems_at_their_path(change: Any, path: str) -> None:
    resource = order()
    change(resource)
    assert "must be" in problems(resource)[path]


def test_an_impossible_date_is_not_a_full_date() -> None:
    found = problems(with_repeat(count=None, boundsPeriod={"start": "2024-02-30", "end": "2024-03-01"}))
    assert "full date" in found[f"{REPEAT}.boundsPeriod.start"]


def test_a_period_mixing_zoned_and_local_times_counts_their_clock_times() -> None:
    period = {"start": "2024-01-01T08:00:00Z", "end": "2024-01-03T08:00:00"}
    assert mapped(with_repeat(boundsPeriod=period))["duration"] == "2 days"


def test_a_rate_without_a_dose_gives_no_dose() -> None:
    resource = order()
    dosage(resource)["doseAndRate"] = [{"rateQuantity": {"value": 1, "unit": "mL/h"}}]
    assert "dose" not in mapped(resource)


def test_a_medication_reference_with_only_a_display_names_the_drug() -> None:
    resource = order(medicationReference={"display": "cyanocobalamin 1000 mcg/mL"})
    del resource["contained"]
    assert mapped(resource)["drug"] == "cyanocobalamin"


def test_index_resources_skips_what_is_not_a_resource() -> None:
    assert index_resources(["x", {"resource": "y"}, {"resource": {"resourceType": "Patient"}}, None]) == {}


# --- one Bundle splitter, the one doseguard check runs (issue 8, cases 6, 7 and 13) ---------------


def read_as_check_does(tmp_path: Path, data: bytes, name: str = "b.json") -> list[InputRecord]:
    """The records ``doseguard check`` reads from a file: ChunkReader splits, records_of maps."""
    from doseguard.io.readers import read_input  # noqa: PLC0415

    path = tmp_path / name
    path.write_bytes(data)
    return [unprefixed(item, f"{path}:") for item in read_input(str(path))]


def unprefixed(item: InputRecord, prefix: str) -> InputRecord:
    """``item`` with its source, and its patient context's sources, named without ``prefix``."""
    context = item.context
    if context is not None:
        context = dataclasses.replace(
            context, sources=tuple(source.removeprefix(prefix) for source in context.sources)
        )
    return dataclasses.replace(item, source=item.source.removeprefix(prefix), context=context)


ODD_BUNDLE = {
    "resourceType": "Bundle",
    "type": "collection",
    "entry": [
        {"fullUrl": "urn:uuid:pt", "resource": {"resourceType": "Patient", "id": "PT-9"}},
        {"resource": order(id="MR-1", subject={"reference": "urn:uuid:pt"})},
        {"request": {"method": "DELETE", "url": "MedicationRequest/old"}},
        {"resource": {"id": "no-type"}},
        {"resource": {**order(id="MR-4"), "resourceType": "MedicationOrder"}},
        {"resource": {"resourceType": "Bundle", "entry": [{"resource": order(id="MR-5")}]}},
        7,
    ],
}


@pytest.mark.parametrize("bundle", [ODD_BUNDLE, "example"])
def test_doseguard_check_reads_a_bundle_exactly_as_read_fhir_bundle_does(tmp_path: Path, bundle: Any) -> None:
    data = load_bundle() if bundle == "example" else bundle
    expected = [unprefixed(item, "b.json:") for item in read_fhir_bundle("b.json", data)]
    assert read_as_check_does(tmp_path, json.dumps(data).encode()) == expected
    assert len(expected) == (5 if bundle == "example" else 6)


def test_bundle_entry_given_as_an_object_is_one_invalid_record_in_production(tmp_path: Path) -> None:
    """It was read as no entries at all: zero results, exit 0."""
    data = json.dumps({"resourceType": "Bundle", "entry": {"resource": order()}}).encode()
    (item,) = read_as_check_does(tmp_path, data)
    assert [problem.field for problem in item.problems] == ["Bundle.entry"]


def test_a_bundle_entry_with_a_repeated_key_is_refused_in_its_place(tmp_path: Path) -> None:
    first_order = with_dose({"value": "MARK", "unit": "ug", "system": UCUM, "code": "ug"})
    entries = [{"resource": first_order}, {"resource": order(id="MR-2")}]
    text = json.dumps({"resourceType": "Bundle", "entry": entries})
    text = text.replace('"value": "MARK"', '"value": 100000, "value": 1000')
    first, second = read_as_check_does(tmp_path, text.encode())
    assert [problem.field for problem in first.problems] == [
        "Bundle.entry[0].resource.dosageInstruction[0].doseAndRate[0].doseQuantity.value"
    ]
    assert "100000, then 1000" in first.problems[0].message
    assert second.data["order_id"] == "MR-2" and not second.problems


def test_a_bundle_with_a_repeated_key_outside_its_entries_is_one_invalid_record(tmp_path: Path) -> None:
    entries = json.dumps([{"resource": order(id="MR-1")}])
    text = '{"resourceType": "Bundle", "entry": ' + entries + ', "entry": []}'
    (item,) = read_as_check_does(tmp_path, text.encode())
    assert item.source.endswith("b.json") and [problem.field for problem in item.problems] == ["Bundle.entry"]


def test_a_context_resource_with_a_bad_number_is_reported_and_not_resolved(tmp_path: Path) -> None:
    vial = medication()
    vial["id"] = "vial"
    text = json.dumps(
        {"resourceType": "Bundle", "entry": [
            {"resource": vial},
            {"resource": order(contained=[], medicationReference={"reference": "Medication/vial"})},
        ]}
    ).replace('"value": 1000', '"value": NaN', 1)  # fmt: skip
    bad_vial, request = read_as_check_does(tmp_path, text.encode())
    assert bad_vial.problems and bad_vial.problems[0].field.startswith("Bundle.entry[0].resource.")
    assert [problem.field for problem in request.problems] == [
        f"{MEDICATION_REQUEST}.medicationReference.reference"
    ]


def test_a_fhir_json_line_with_a_repeated_key_names_its_fhir_path(tmp_path: Path) -> None:
    line = json.dumps(with_dose({"value": 1000, "unit": "ug", "system": UCUM, "code": "MARK"}))
    line = line.replace('"code": "MARK"', '"code": "mg", "code": "ug"')
    (item,) = read_as_check_does(tmp_path, line.encode() + b"\n", "bulk.ndjson")
    assert [problem.field for problem in item.problems] == [f"{DOSE}.code"]
    (again,) = read_fhir_ndjson("n", [line])
    assert again.problems == item.problems


def test_a_fhir_json_line_with_a_number_out_of_range_names_its_fhir_path(tmp_path: Path) -> None:
    line = json.dumps(with_dose({"value": "MARK", "unit": "ug", "system": UCUM, "code": "ug"}))
    line = line.replace('"value": "MARK"', '"value": 1e400')
    (item,) = read_as_check_does(tmp_path, line.encode() + b"\n", "bulk.ndjson")
    assert [problem.field for problem in item.problems] == [f"{DOSE}.value"]


MEDICATION_REQUEST = "MedicationRequest"
MODIFIER = [{"url": "http://example.org/do-not-give", "valueBoolean": True}]


@pytest.mark.parametrize(
    ("change", "path"),
    [
        (lambda r: r.update(modifierExtension=MODIFIER), f"{MEDICATION_REQUEST}.modifierExtension"),
        (lambda r: dosage(r).update(modifierExtension=MODIFIER), f"{D}.modifierExtension"),
        (lambda r: dosage(r)["timing"].update(modifierExtension=MODIFIER), f"{D}.timing.modifierExtension"),
        (
            lambda r: r["contained"][0].update(modifierExtension=MODIFIER),
            f"{MEDICATION_REQUEST}.contained[0].modifierExtension",
        ),
        (lambda r: r.update(implicitRules="http://example.org/rules"), f"{MEDICATION_REQUEST}.implicitRules"),
    ],
)
def test_a_modifier_extension_doseguard_does_not_understand_refuses_the_order(change: Any, path: str) -> None:
    """FHIR: a reader that does not understand a modifier extension must refuse the element."""
    resource = order()
    change(resource)
    found = problems(resource)
    assert list(found) == [path]
    assert "not checked" in found[path]


def test_a_modifier_extension_on_a_medication_found_in_the_bundle_refuses_the_order() -> None:
    vial = {**medication(), "id": "vial", "modifierExtension": MODIFIER}
    resource = order(contained=[], medicationReference={"reference": "Medication/vial"})
    assert list(problems(resource, index_resources([vial]))) == [
        f"{MEDICATION_REQUEST}.medicationReference.resolve().modifierExtension"
    ]


def test_two_contained_resources_with_one_id_are_refused() -> None:
    """The reference resolved to the first: which vial is meant cannot be known."""
    other = medication()
    resource = order(contained=[medication(), other])
    assert list(problems(resource)) == [f"{MEDICATION_REQUEST}.contained[1].id"]


@pytest.mark.parametrize("reference", ["Medication/vial", "urn:uuid:vial"])
def test_two_bundle_resources_with_one_id_or_full_url_are_not_resolved_to_either(reference: str) -> None:
    """Sibling of the contained case: the reference resolved to the first entry."""
    weak = medication(numerator=quantity(100, "ug"))
    entries = [
        {"fullUrl": "urn:uuid:vial", "resource": {**medication(), "id": "vial"}},
        {"fullUrl": "urn:uuid:vial", "resource": {**weak, "id": "vial"}},
    ]
    resource = order(contained=[], medicationReference={"reference": reference})
    found = problems(resource, index_resources(entries))
    assert list(found) == [f"{MEDICATION_REQUEST}.medicationReference.reference"]
    assert "more than one resource" in found[f"{MEDICATION_REQUEST}.medicationReference.reference"]


def test_two_bundle_patients_behind_one_urn_are_not_resolved_to_either() -> None:
    entries = [
        {"fullUrl": "urn:uuid:pt", "resource": {"resourceType": "Patient", "id": "PT-1"}},
        {"fullUrl": "urn:uuid:pt", "resource": {"resourceType": "Patient", "id": "PT-2"}},
    ]
    found = problems(order(subject={"reference": "urn:uuid:pt"}), index_resources(entries))
    assert "more than one resource" in found[f"{MEDICATION_REQUEST}.subject.reference"]


def test_the_same_resource_indexed_twice_is_not_ambiguous() -> None:
    patient = {"resourceType": "Patient", "id": "PT-1"}
    index = index_resources([{"fullUrl": "urn:uuid:pt", "resource": patient}, patient])
    assert index["Patient/PT-1"] is patient


@pytest.mark.parametrize(
    ("text", "volume"),
    [("Cyanocobalamin Injection USP 1000 mcg/mL", 1.0), ("cyanocobalamin 1 MG/ML Injectable Solution", 1.0)],
)
def test_a_strength_in_the_product_name_gives_the_volume_to_draw(text: str, volume: float) -> None:
    """A FHIR order states its dose and its product; with the strength only in the product's name the
    volume was left unstated, and a correct order was flagged incomplete."""
    record = mapped(with_concept({"text": text}))
    assert record["volume"] == f"{volume:g} mL"
    assert record["product_concentration"] == "1000 mcg/mL"


def test_a_product_name_with_two_strengths_gives_no_volume() -> None:
    record = mapped(with_concept({"text": "cyanocobalamin 1000 mcg/mL or 100 mcg/mL injection"}))
    assert "volume" not in record


def test_a_dose_coded_u_in_brackets_is_a_dose_in_units() -> None:
    """Some exports code insulin's "units" '[U]' (not UCUM): refused, an insulin order was invalid."""
    dose = {"value": 6, "unit": "units", "code": "[U]", "system": "http://unitsofmeasure.org"}
    assert mapped(with_dose(dose))["dose"] == "6 units"


def test_a_mass_displayed_with_a_code_doseguard_does_not_know_is_still_a_problem() -> None:
    """'mcg' displayed beside an unknown code could be a mix-up: not guessed."""
    dose = {"value": 1000, "unit": "mcg", "code": "mcgx", "system": "http://unitsofmeasure.org"}
    assert any("doseQuantity.code" in path for path in problems(with_dose(dose)))
