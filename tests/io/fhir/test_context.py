"""FHIR patient context (``doseguard.io.fhir.context``): each resource type as the items it says, what
is not true of the patient skipped, units converted, bad resources located, a Bundle's orders given
their patient's context, and a Bulk NDJSON folder read by ``--history DIR``."""

from __future__ import annotations

import gzip
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from doseguard.errors import HistoryProblem
from doseguard.io.fhir.context import ResourceReader, ndjson_items
from doseguard.io.fhir.mapper import fhir_record
from doseguard.io.history import HistorySources, read_history
from doseguard.io.readers import read_fhir_bundle
from doseguard.orders.drugs import PackDrug
from doseguard.patients.model import (
    Administration,
    AdministrationStatus,
    HistoryKind,
    LabResult,
    OtherOrder,
)

SNOMED = "http://snomed.info/sct"
LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
DRUGS = (PackDrug("cyanocobalamin", ("vitamin b12",)),)


def read(resource: dict[str, Any]) -> list[Any]:
    return [found.item for found in ResourceReader(DRUGS).read("x.ndjson:1", resource)]


def status(code: str) -> dict[str, Any]:
    return {"coding": [{"code": code}]}


def allergy(text: str = "Cobalt", **more: Any) -> dict[str, Any]:
    return {"resourceType": "AllergyIntolerance", "patient": {"reference": "Patient/123"},
            "code": {"text": text}, **more}  # fmt: skip


def observation(code: str, value: dict[str, Any] | None, **more: Any) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "Observation", "status": "final", "subject": {"reference": "Patient/123"},
        "code": {"coding": [{"system": LOINC, "code": code}]}, "effectiveDateTime": "2026-02-01T08:00:00Z",
    }  # fmt: skip
    if value is not None:
        resource["valueQuantity"] = value
    return {**resource, **more}


def quantity(value: float, code: str) -> dict[str, Any]:
    return {"value": value, "unit": code, "system": UCUM, "code": code}


def administration(**more: Any) -> dict[str, Any]:
    return {
        "resourceType": "MedicationAdministration", "status": "completed",
        "subject": {"reference": "Patient/123"}, "medicationCodeableConcept": {"text": "Vitamin B12 injection"},
        "effectiveDateTime": "2026-02-01T09:00:00Z",
        "dosage": {"dose": quantity(1, "mg"), "route": {"coding": [{"system": SNOMED, "code": "78421000"}]}},
        **more,
    }  # fmt: skip


def request(ident: str, patient: str, **more: Any) -> dict[str, Any]:
    return {
        "resourceType": "MedicationRequest", "id": ident, "status": "active", "intent": "order",
        "subject": {"reference": patient}, "authoredOn": "2026-03-01T09:00:00Z",
        "medicationCodeableConcept": {"text": "cyanocobalamin 1000 mcg/mL injection"},
        "dosageInstruction": [{"route": {"text": "IM"}, "doseAndRate": [{"doseQuantity": quantity(1000, "ug")}],
                               "timing": {"repeat": {"frequency": 1, "period": 1, "periodUnit": "mo"}}}],
        **more,
    }  # fmt: skip


AT = datetime(2026, 2, 1, 8, tzinfo=UTC)


# --- Patient ---------------------------------------------------------------------------------------


def test_a_patient_gives_birth_date_and_sex() -> None:
    resource = {"resourceType": "Patient", "id": "123", "birthDate": "1950-04-02", "gender": "female"}
    assert read(resource) == [("123", {"birth_date": "1950-04-02", "sex": "female"})]


def test_a_patient_with_a_partial_birth_date_or_no_id_is_located() -> None:
    (fields, problem) = read({"resourceType": "Patient", "id": "123", "birthDate": "1950", "gender": "male"})
    assert fields == ("123", {"sex": "male"})
    assert isinstance(problem, HistoryProblem) and problem.field == "Patient.birthDate"
    assert read({"resourceType": "Patient", "gender": "male"}) == [
        HistoryProblem(
            "x.ndjson:1", "Patient.id", "required: the Patient's id is the patient_id its orders name"
        )
    ]


# --- AllergyIntolerance and Condition ------------------------------------------------------------


def test_an_active_allergy_is_a_list_entry_of_its_patient() -> None:
    assert read(allergy(clinicalStatus=status("active"), verificationStatus=status("confirmed"))) == [
        ("123", {"allergies": ["Cobalt"]})
    ]


def test_an_allergy_coded_only_is_named_by_its_known_code() -> None:
    coded = allergy(code={"coding": [{"system": SNOMED, "code": "54808007"}]})
    assert read(coded) == [("123", {"allergies": ["cobalt"]})]


def test_an_allergy_without_code_is_named_by_its_reaction_substance() -> None:
    resource = allergy(code=None, reaction=[{"substance": {"text": "cyanocobalamin"}}])
    del resource["code"]
    assert read(resource) == [("123", {"allergies": ["cyanocobalamin"]})]


@pytest.mark.parametrize(
    "statuses",
    [
        {"verificationStatus": status("refuted")},
        {"verificationStatus": status("entered-in-error")},
        {"clinicalStatus": status("inactive")},
        {"clinicalStatus": status("resolved")},
    ],
)
def test_a_refuted_or_inactive_allergy_is_ignored(statuses: dict[str, Any]) -> None:
    assert read(allergy(**statuses)) == []


def test_a_condition_is_a_list_entry_and_a_resolved_one_is_ignored() -> None:
    condition = {"resourceType": "Condition", "subject": {"reference": "Patient/123"},
                 "code": {"coding": [{"system": SNOMED, "code": "58610003", "display": "Leber's optic atrophy"}]}}  # fmt: skip
    assert read(condition) == [("123", {"conditions": ["Leber's optic atrophy"]})]
    assert read({**condition, "clinicalStatus": status("resolved")}) == []
    assert read({**condition, "verificationStatus": status("refuted")}) == []


def test_an_allergy_naming_no_patient_or_no_substance_is_located() -> None:
    (problem,) = read(allergy(patient={"reference": "Practitioner/9"}))
    assert problem == HistoryProblem(
        "x.ndjson:1",
        "AllergyIntolerance.patient.reference",
        "the subject is a Practitioner: expected a Patient",
    )
    (problem,) = read(allergy(code={"coding": [{"system": SNOMED, "code": "1"}]}))
    assert isinstance(problem, HistoryProblem) and problem.field == "AllergyIntolerance.code"


def test_a_modifier_extension_makes_the_resource_unused() -> None:
    (problem,) = read(allergy(modifierExtension=[{"url": "http://example.org/not"}]))
    assert isinstance(problem, HistoryProblem) and problem.field == "AllergyIntolerance.modifierExtension"


# --- Observation -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "value", "field"),
    [
        ("29463-7", quantity(80, "kg"), {"weight_kg": "80 kg"}),
        ("3141-9", quantity(176, "[lb_av]"), {"weight_kg": "79.832257 kg"}),
        ("29463-7", quantity(80500, "g"), {"weight_kg": "80.5 kg"}),
        ("8302-2", quantity(1.8, "m"), {"height_cm": "180 cm"}),
        ("8302-2", quantity(71, "[in_i]"), {"height_cm": "180.34 cm"}),
    ],
)
def test_weight_and_height_are_patient_fields_in_their_unit(
    code: str, value: dict[str, Any], field: dict[str, str]
) -> None:
    assert read(observation(code, value)) == [("123", field)]


def test_an_implausible_weight_is_located() -> None:
    (problem,) = read(observation("29463-7", quantity(8000, "kg")))
    assert isinstance(problem, HistoryProblem) and problem.field == "Observation.valueQuantity"
    assert "plausible" in problem.message


def test_renal_function_is_a_patient_field_and_a_lab_result() -> None:
    egfr = read(observation("33914-3", quantity(42, "mL/min/{1.73_m2}")))
    assert egfr == [
        ("123", LabResult("egfr", 42.0, AT, "mL/min/1.73m2", "x.ndjson:1")),
        ("123", {"egfr": "42"}),
    ]
    crcl = read(observation("2164-2", quantity(25, "mL/min")))
    assert crcl[1] == ("123", {"creatinine_clearance_ml_min": "25"})


def test_a_creatinine_clearance_per_body_surface_is_refused_as_a_field() -> None:
    found = read(observation("2164-2", quantity(25, "mL/min/{1.73_m2}")))
    assert any(isinstance(item, HistoryProblem) for item in found)


def test_a_lab_result_is_converted_to_the_catalogue_unit() -> None:
    assert read(observation("718-7", quantity(105, "g/L"))) == [
        ("123", LabResult("haemoglobin", 10.5, AT, "g/dL", "x.ndjson:1"))
    ]


def test_a_lab_result_is_timed_by_its_period_start_or_issued() -> None:
    period = observation("718-7", quantity(10.5, "g/dL"), effectivePeriod={"start": "2026-02-01T08:00:00Z"})
    del period["effectiveDateTime"]
    issued = {**period, "issued": "2026-02-01T08:00:00Z"}
    del issued["effectivePeriod"]
    assert [item[1].taken_at for item in (*read(period), *read(issued))] == [AT, AT]


def test_a_lab_result_in_a_unit_the_catalogue_cannot_convert_is_located() -> None:
    (problem,) = read(observation("718-7", quantity(10.5, "mg/mL")))
    assert isinstance(problem, HistoryProblem)
    assert (
        problem.field == "Observation.valueQuantity.code" and "not a unit of haemoglobin" in problem.message
    )


@pytest.mark.parametrize("skipped", ["entered-in-error", "cancelled"])
def test_an_observation_entered_in_error_or_cancelled_is_ignored(skipped: str) -> None:
    assert read(observation("718-7", quantity(10.5, "g/dL"), status=skipped)) == []


def test_an_observation_no_rule_reads_is_ignored_and_a_bound_is_located() -> None:
    assert read(observation("8480-6", quantity(120, "mm[Hg]"))) == []
    (problem,) = read(observation("33914-3", {**quantity(60, "mL/min/{1.73_m2}"), "comparator": ">"}))
    assert isinstance(problem, HistoryProblem) and problem.field == "Observation.valueQuantity.comparator"
    assert read(observation("718-7", None, dataAbsentReason={"text": "not done"})) == []


# --- MedicationAdministration ----------------------------------------------------------------------


def test_an_administration_is_a_dose_given_of_the_packs_drug() -> None:
    given = datetime(2026, 2, 1, 9, tzinfo=UTC)
    assert read(administration()) == [
        (
            "123",
            Administration(
                "cyanocobalamin", given, AdministrationStatus.GIVEN, 1000.0, None, "IM", "x.ndjson:1"
            ),
        )
    ]


def test_not_done_is_missed_or_refused_by_its_reason_and_entered_in_error_ignored() -> None:
    (missed,) = read(administration(status="not-done"))
    (refused,) = read(administration(status="not-done", statusReason=[{"text": "Patient refused"}]))
    assert missed[1].status is AdministrationStatus.MISSED
    assert refused[1].status is AdministrationStatus.REFUSED
    assert read(administration(status="entered-in-error")) == []


def test_an_administration_not_read_as_a_dose_is_located() -> None:
    (problem,) = read(administration(status="in-progress"))
    assert isinstance(problem, HistoryProblem) and problem.field == "MedicationAdministration.status"
    (problem,) = read(administration(dosage={"dose": quantity(1, "mL")}))
    assert (
        isinstance(problem, HistoryProblem) and problem.field == "MedicationAdministration.dosage.dose.code"
    )
    no_time = administration()
    del no_time["effectiveDateTime"]
    (problem,) = read(no_time)
    assert problem == HistoryProblem("x.ndjson:1", "MedicationAdministration.effective[x]", "missing: when?")


# --- MedicationRequest.authoredOn ------------------------------------------------------------------


def test_authored_on_is_the_order_time() -> None:
    item = fhir_record("b.json", request("MR-1", "Patient/123"))
    assert item.data["ordered_at"] == "2026-03-01T09:00:00Z"
    partial = fhir_record("b.json", request("MR-1", "Patient/123", authoredOn="2026-03"))
    assert [problem.field for problem in partial.problems] == ["MedicationRequest.authoredOn"]


# --- a Bundle --------------------------------------------------------------------------------------


def bundle(*resources: dict[str, Any], urls: dict[int, str] | None = None) -> dict[str, Any]:
    entries = [{"resource": resource} for resource in resources]
    for number, url in (urls or {}).items():
        entries[number]["fullUrl"] = url
    return {"resourceType": "Bundle", "type": "collection", "entry": entries}


def test_a_bundles_orders_carry_their_patients_context() -> None:
    data = bundle(
        {"resourceType": "Patient", "id": "A", "birthDate": "1950-04-02"},
        allergy(patient={"reference": "Patient/A"}),
        request("MR-A", "Patient/A"),
        request("MR-B", "Patient/B"),
        observation("718-7", quantity(10.5, "g/dL"), subject={"reference": "Patient/A"}),
        request("MR-A2", "Patient/A", status="stopped"),
    )
    problems: list[HistoryProblem] = []
    first, second, third = read_fhir_bundle("b.json", data, DRUGS, problems.append)
    assert problems == []
    a, b = first.context, second.context
    assert a is not None and b is not None and third.context == a
    assert a.fields == {"birth_date": "1950-04-02", "allergies": ["Cobalt"]}
    assert a.kinds == {HistoryKind.PATIENT, HistoryKind.ORDERS, HistoryKind.LABS}
    assert [lab.test for lab in a.labs] == ["haemoglobin"]
    assert a.orders == (  # a stopped order's dosage is not read: no route
        OtherOrder("cyanocobalamin", "IM", None, True, 1, datetime(2026, 3, 1, 9, tzinfo=UTC)),
        OtherOrder("cyanocobalamin", None, None, False, 3, datetime(2026, 3, 1, 9, tzinfo=UTC)),
    )
    assert a.sources == (
        "b.json:entry[0]",
        "b.json:entry[1]",
        "b.json:entry[2]",
        "b.json:entry[4]",
        "b.json:entry[5]",
    )
    assert b.fields == {} and b.kinds == a.kinds and [o.record for o in b.orders] == [2]


def test_urn_uuid_references_resolve_to_the_patients_id() -> None:
    data = bundle(
        {"resourceType": "Patient", "id": "PT-7", "gender": "male"},
        allergy(patient={"reference": "urn:uuid:1"}),
        request("MR-1", "urn:uuid:1"),
        urls={0: "urn:uuid:1"},
    )
    (order,) = read_fhir_bundle("b.json", data, DRUGS)
    assert order.data["patient_id"] == "PT-7"
    assert order.context is not None and order.context.fields == {"sex": "male", "allergies": ["Cobalt"]}


def test_the_later_of_two_weights_wins_in_a_bundle() -> None:
    data = bundle(
        observation("29463-7", quantity(90, "kg"), effectiveDateTime="2026-02-10T08:00:00Z"),
        observation("29463-7", quantity(80, "kg"), effectiveDateTime="2026-01-10T08:00:00Z"),
        request("MR-1", "Patient/123"),
    )
    (order,) = read_fhir_bundle("b.json", data, DRUGS)
    assert order.context is not None and order.context.fields == {"weight_kg": "90 kg"}


def test_a_bad_context_resource_is_located_at_its_entry_and_the_bundle_goes_on() -> None:
    data = bundle(
        allergy(patient={"reference": "Patient/A"}, verificationStatus=status("refuted")),
        observation("718-7", quantity(10.5, "mg/mL"), subject={"reference": "Patient/A"}),
        administration(subject={"reference": "Patient/A"}, status="on-hold"),
        request("MR-A", "Patient/A"),
    )
    problems: list[HistoryProblem] = []
    (order,) = read_fhir_bundle("b.json", data, DRUGS, problems.append)
    assert [(p.source, p.field) for p in problems] == [
        ("b.json:entry[1]", "Observation.valueQuantity.code"),
        ("b.json:entry[2]", "MedicationAdministration.status"),
    ]
    assert order.context is not None and order.context.fields == {}
    assert HistoryKind.ADMINISTRATIONS in order.context.kinds


def test_doseguard_check_reads_a_bundles_context_as_read_fhir_bundle_does(tmp_path: Path) -> None:
    from doseguard.io.chunk_reader import ChunkReader  # noqa: PLC0415
    from doseguard.io.readers import records_of  # noqa: PLC0415

    data = bundle(
        allergy(patient={"reference": "Patient/A"}), *(request(f"MR-{n}", "Patient/A") for n in range(5))
    )
    path = tmp_path / "b.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    problems: list[HistoryProblem] = []
    reader = ChunkReader([str(path)], chunk_records=2, drugs=DRUGS, on_history_problem=problems.append)
    read = [record for chunk in reader for record in records_of(chunk)]
    expected = list(read_fhir_bundle(str(path), data, DRUGS))
    assert read == expected and problems == []
    assert all(
        record.context is not None and record.context.fields == {"allergies": ["Cobalt"]} for record in read
    )


# --- Bulk NDJSON (--history DIR) -------------------------------------------------------------------


def test_a_bulk_folder_is_read_as_history(tmp_path: Path) -> None:
    (tmp_path / "Patient.ndjson").write_text(
        json.dumps({"resourceType": "Patient", "id": "123", "gender": "female"}) + "\n", encoding="utf-8"
    )
    with gzip.open(tmp_path / "AllergyIntolerance.ndjson.gz", "wt", encoding="utf-8") as stream:
        stream.write(json.dumps(allergy()) + "\n\n" + "{not json\n")
        stream.write(json.dumps(observation("718-7", quantity(10.5, "g/dL"))) + "\n")
    (tmp_path / "MedicationAdministration.ndjson").write_text(
        json.dumps(administration()) + "\n", encoding="utf-8"
    )
    sources = HistorySources(history=str(tmp_path))
    assert sources.problems() == []
    assert sources.kinds() == {HistoryKind.PATIENT, HistoryKind.ADMINISTRATIONS}
    found = list(read_history(sources, DRUGS))
    allergies = str(tmp_path / "AllergyIntolerance.ndjson.gz")
    assert found[:2] == [("123", {"sex": "female"}), ("123", {"allergies": ["Cobalt"]})]
    bad_json, wrong_type = found[2:4]
    assert isinstance(bad_json, HistoryProblem) and bad_json.source == f"{allergies}:3"
    assert wrong_type == HistoryProblem(
        f"{allergies}:4",
        "resourceType",
        "'Observation' in AllergyIntolerance.ndjson: a Bulk Data file holds one resource type",
    )
    (given,) = found[4:]
    assert isinstance(given, tuple) and isinstance(given[1], Administration)


def test_a_repeated_key_in_a_bulk_line_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "AllergyIntolerance.ndjson"
    line = json.dumps(allergy(verificationStatus=status("refuted")))
    path.write_text(
        line.replace('"verificationStatus": ', '"verificationStatus": {}, "verificationStatus": ', 1) + "\n"
    )
    (problem,) = ndjson_items(str(path), "AllergyIntolerance", DRUGS)
    assert isinstance(problem, HistoryProblem) and problem.source == f"{path}:1"


def test_a_bulk_series_of_weights_gives_the_latest_and_no_conflict(tmp_path: Path) -> None:
    path = tmp_path / "Observation.ndjson"
    weights = [
        observation("29463-7", quantity(kg, "kg"), effectiveDateTime=at)
        for kg, at in (
            (80, "2026-01-10T08:00:00Z"),
            (90, "2026-02-10T08:00:00Z"),
            (85, "2025-12-01T08:00:00Z"),
        )
    ]
    path.write_text("\n".join(json.dumps(w) for w in weights) + "\n", encoding="utf-8")
    (item,) = ndjson_items(str(path), "Observation", DRUGS)
    assert item == ("123", {"weight_kg": "90 kg"})
    assert getattr(item[1], "source", None) == f"{path}:2"


def test_two_bulk_patients_that_disagree_are_said_at_their_line(tmp_path: Path) -> None:
    from doseguard.io.history_store import write_store  # noqa: PLC0415

    (tmp_path / "Patient.ndjson").write_text(
        "\n".join(
            json.dumps({"resourceType": "Patient", "id": "123", "gender": sex}) for sex in ("female", "male")
        )
        + "\n",
        encoding="utf-8",
    )
    problems: list[HistoryProblem] = []
    sources = HistorySources(history=str(tmp_path))
    write_store(tmp_path / "store.sqlite", sources.kinds(), read_history(sources, DRUGS), problems.append)
    assert [(p.source, p.field) for p in problems] == [(f"{tmp_path / 'Patient.ndjson'}:2", "sex")]


def pregnancy(code: str, answer: tuple[str, str] | None, **more: Any) -> dict[str, Any]:
    resource = observation(code, None, **more)
    if answer is not None:
        resource["valueCodeableConcept"] = {"coding": [{"system": answer[0], "code": answer[1]}]}
    return resource


@pytest.mark.parametrize(
    ("code", "answer", "pregnant"),
    [
        ("82810-3", (SNOMED, "77386006"), "yes"),
        ("82810-3", (SNOMED, "60001007"), "no"),
        ("11449-6", (LOINC, "LA15173-0"), "yes"),
        ("11449-6", (LOINC, "LA26683-5"), "no"),
    ],
)
def test_a_pregnancy_status_observation_is_the_pregnant_field(
    code: str, answer: tuple[str, str], pregnant: str
) -> None:
    """The rules that read pregnancy (NICE's review after 1 month in pregnancy) were never decided
    from FHIR: no resource was read as ``pregnant``. A pregnancy status Observation is."""
    assert read(pregnancy(code, answer)) == [("123", {"pregnant": pregnant})]


def test_an_unknown_or_absent_pregnancy_status_says_nothing_and_another_answer_is_located() -> None:
    assert read(pregnancy("82810-3", (LOINC, "LA4489-6"))) == []  # Unknown
    assert read(pregnancy("82810-3", None, dataAbsentReason={"coding": [{"code": "asked-declined"}]})) == []
    (problem,) = read(pregnancy("82810-3", (SNOMED, "38341003")))  # a code that is no pregnancy status
    assert isinstance(problem, HistoryProblem)
    assert problem.field == "Observation.valueCodeableConcept"
    assert "38341003" in problem.message


def test_a_pregnancy_status_as_true_or_false_is_read_and_as_text_is_located() -> None:
    """valueBoolean and valueString were dropped without a word: the patient read as 'not recorded'."""
    base = pregnancy("82810-3", None)
    assert read({**base, "valueBoolean": True}) == [("123", {"pregnant": "yes"})]
    assert read({**base, "valueBoolean": False}) == [("123", {"pregnant": "no"})]
    (problem,) = read({**base, "valueString": "Pregnant"})
    assert isinstance(problem, HistoryProblem) and problem.field == "Observation.value[x]"
