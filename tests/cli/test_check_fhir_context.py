"""``doseguard check`` of a FHIR Bundle: a cobalt AllergyIntolerance beside the orders flags its
patient's cyanocobalamin order and no other (issue 11's "done when"); a refuted one flags nothing;
a context resource that cannot be used is said in place and the batch goes on."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.helpers.cli import invoke, results

UCUM = "http://unitsofmeasure.org"
RULE = "B12-CONTRAINDICATION"


def request(ident: str, patient: str) -> dict[str, Any]:
    """A correct monthly 1000 mcg IM cyanocobalamin order (passes every rule on its own)."""
    return {
        "resourceType": "MedicationRequest", "id": ident, "status": "active", "intent": "order",
        "subject": {"reference": f"Patient/{patient}"}, "authoredOn": "2026-03-01T09:00:00Z",
        "medicationCodeableConcept": {"coding": [
            {"system": "http://www.nlm.nih.gov/research/umls/rxnorm", "code": "309594",
             "display": "cyanocobalamin 1000 MCG/ML Injectable Solution"}]},
        "dosageInstruction": [{
            "route": {"coding": [{"system": "http://snomed.info/sct", "code": "78421000"}]},
            "site": {"text": "left deltoid"},
            "doseAndRate": [{"doseQuantity": {"value": 1000, "unit": "mcg", "system": UCUM, "code": "ug"}}],
            "timing": {"repeat": {"frequency": 1, "period": 1, "periodUnit": "mo",
                                  "boundsDuration": {"value": 12, "unit": "mo", "system": UCUM, "code": "mo"}}},
        }],
    }  # fmt: skip


def cobalt_allergy(patient: str, verification: str = "confirmed") -> dict[str, Any]:
    return {
        "resourceType": "AllergyIntolerance", "patient": {"reference": f"Patient/{patient}"},
        "clinicalStatus": {"coding": [{"code": "active"}]},
        "verificationStatus": {"coding": [{"code": verification}]},
        "code": {"coding": [{"system": "http://snomed.info/sct", "code": "54808007", "display": "Cobalt"}]},
    }  # fmt: skip


def bundle_file(tmp_path: Path, *resources: dict[str, Any]) -> Path:
    path = tmp_path / "bundle.json"
    entries = [{"resource": resource} for resource in resources]
    path.write_text(json.dumps({"resourceType": "Bundle", "type": "collection", "entry": entries}), "utf-8")
    return path


def fired(result_line: dict[str, Any]) -> list[str]:
    return [finding["rule_id"] for finding in result_line.get("findings", [])]


def test_a_cobalt_allergy_in_the_bundle_flags_that_patients_order_and_no_other(tmp_path: Path) -> None:
    path = bundle_file(
        tmp_path,
        {"resourceType": "Patient", "id": "A"},
        cobalt_allergy("A"),
        request("MR-A", "A"),
        {"resourceType": "Patient", "id": "B"},
        request("MR-B", "B"),
    )
    result = invoke("check", path)
    by_order = {line["order_id"]: line for line in results(result.stdout)}
    assert by_order["MR-A"]["status"] == "flagged", result.stdout
    assert RULE in fired(by_order["MR-A"])
    assert RULE not in fired(by_order["MR-B"])
    assert by_order["MR-B"]["status"] == "pass", result.stdout


def test_a_refuted_cobalt_allergy_flags_nothing(tmp_path: Path) -> None:
    path = bundle_file(tmp_path, cobalt_allergy("A", "refuted"), request("MR-A", "A"))
    result = invoke("check", path)
    (line,) = results(result.stdout)
    assert RULE not in fired(line)
    assert line["status"] == "pass", result.stdout


def test_a_bad_context_resource_is_said_in_place_and_the_batch_goes_on(tmp_path: Path) -> None:
    bad = {**cobalt_allergy("A"), "patient": {"reference": "Practitioner/9"}}
    path = bundle_file(tmp_path, bad, request("MR-A", "A"))
    result = invoke("check", path)
    assert [line["order_id"] for line in results(result.stdout)] == ["MR-A"]
    assert (
        f"{path}:entry[0]: AllergyIntolerance.patient.reference: the subject is a Practitioner"
        in result.stderr
    )
    assert "1 history record or value was not used: each patient was checked without them" in result.stderr


def test_a_bulk_export_folder_gives_the_orders_their_allergies(tmp_path: Path) -> None:
    export = tmp_path / "export"
    export.mkdir()
    orders = export / "MedicationRequest.ndjson"
    orders.write_text("\n".join(json.dumps(request(f"MR-{p}", p)) for p in "AB") + "\n", "utf-8")
    (export / "AllergyIntolerance.ndjson").write_text(json.dumps(cobalt_allergy("A")) + "\n", "utf-8")
    result = invoke("check", orders, "--history", export)
    by_order = {line["order_id"]: line for line in results(result.stdout)}
    assert RULE in fired(by_order["MR-A"]), result.stdout
    assert by_order["MR-B"]["status"] == "pass", result.stdout


def test_an_order_or_observation_in_an_implausible_year_is_said_in_place(tmp_path: Path) -> None:
    """authoredOn in year 1 with an offset (before the first instant Python holds in UTC) and an
    Observation in 9999 were read; the order is invalid and the observation a problem at its entry."""
    odd = {**request("MR-A", "A"), "authoredOn": "0001-01-01T00:00:00+01:00"}
    mcv = {
        "resourceType": "Observation", "status": "final", "subject": {"reference": "Patient/B"},
        "code": {"coding": [{"system": "http://loinc.org", "code": "787-2"}]},
        "valueQuantity": {"value": 90, "unit": "fL", "system": UCUM, "code": "fL"},
        "effectiveDateTime": "9999-12-31T23:59:59Z",
    }  # fmt: skip
    path = bundle_file(tmp_path, odd, mcv, request("MR-B", "B"))
    result = invoke("check", path)
    by_order = {line["order_id"]: line for line in results(result.stdout)}
    assert by_order["MR-A"]["status"] == "invalid", result.stdout
    assert "is not plausible (1900-2199)" in json.dumps(by_order["MR-A"]["errors"])
    assert f"{path}:entry[1]: Observation.effective[x]:" in result.stderr
    assert "year 9999 is not plausible (1900-2199)" in result.stderr


def folic_acid_order(ident: str, patient: str, at: str) -> dict[str, Any]:
    """Folic acid 0.4 mg daily: above the masking dose (flagged without a B12 level), the dose
    recommended in pregnancy (not flagged for a pregnant patient)."""
    return {
        "order_id": ident, "patient_id": patient, "drug": "folic acid", "dose": "0.4 mg",
        "route": "oral", "frequency": "daily", "duration": "3 months", "ordered_at": at,
    }  # fmt: skip


def pregnancy_status(patient: str, when: str) -> dict[str, Any]:
    return {
        "resourceType": "Observation", "status": "final", "subject": {"reference": f"Patient/{patient}"},
        "code": {"coding": [{"system": "http://loinc.org", "code": "82810-3"}]},
        "valueCodeableConcept": {"coding": [{"system": "http://snomed.info/sct", "code": "77386006"}]},
        "effectiveDateTime": when,
    }  # fmt: skip


def test_a_pregnancy_recorded_years_before_the_order_in_a_bulk_export_says_nothing_of_it(
    tmp_path: Path,
) -> None:
    """A Bundle's pregnancy status recorded more than 42 weeks before the order was ignored, but the
    same Observation in a Bulk Data folder (``--history DIR``) lost its time in the run's store and
    counted as current: a 2024 pregnancy let a 2026 folic acid order pass the B12-masking check."""
    export = tmp_path / "export"
    export.mkdir()
    (export / "Observation.ndjson").write_text(
        json.dumps(pregnancy_status("OLD", "2024-01-10T09:00:00Z")) + "\n"
        + json.dumps(pregnancy_status("NOW", "2026-05-01T09:00:00Z")) + "\n",
        "utf-8",
    )  # fmt: skip
    orders = tmp_path / "orders.jsonl"
    orders.write_text(
        "\n".join(json.dumps(folic_acid_order(f"FA-{p}", p, "2026-06-01T09:00:00Z")) for p in ("OLD", "NOW"))
        + "\n",
        "utf-8",
    )
    result = invoke("check", orders, "--history", export)
    by_order = {line["order_id"]: line for line in results(result.stdout)}
    assert "FOLIC-B12-UNKNOWN" in fired(by_order["FA-OLD"]), result.stdout
    assert "FOLIC-B12-UNKNOWN" not in fired(by_order["FA-NOW"]), result.stdout
