"""`doseguard check` on orders that name their drug as hospitals do: product names, other forms and
RxNorm/NDC codes, in CSV, JSON Lines and FHIR alike (doseguard.orders.drugs)."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest

from tests.helpers.cli import invoke, jsonl, results
from tests.helpers.orders import order

RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
NDC = "http://hl7.org/fhir/sid/ndc"
SNOMED = "http://snomed.info/sct"
UCUM = "http://unitsofmeasure.org"

ORDERS = [
    order("NAMED", drug="CYANOCOBALAMIN 1,000 MCG/ML INJECTION SOLUTION", product_concentration=""),
    order("WRONG-VIAL", drug="Cyanocobalamin Injection USP 100 mcg/mL"),
    order("BY-NDC", drug="Vibisone", ndc="0517-0031-25"),
    order("BY-RXNORM", drug="Vibisone", rxnorm="309594"),
    order("TWO-DRUGS", drug="hydroxocobalamin", ndc="63323-044-01"),
    order("TABLET", drug="cyanocobalamin 1000 mcg tablet", dose="100 mg", route="PO"),
]
"""One order of each outcome; the expected result of each follows."""


def check_outcomes(by_id: dict[str, dict[str, Any]]) -> None:
    assert (by_id["NAMED"]["status"], by_id["NAMED"]["warnings"]) == ("pass", [])
    assert [f["rule_id"] for f in by_id["WRONG-VIAL"]["findings"]] == ["B12-NAMED-STRENGTH-MISMATCH"]
    assert by_id["BY-NDC"]["status"] == "pass"
    assert "taken for cyanocobalamin by its ndc '0517-0031-25'" in by_id["BY-NDC"]["warnings"][0]
    assert by_id["BY-RXNORM"]["status"] == "pass"
    assert by_id["TWO-DRUGS"]["status"] == "invalid"
    assert [e["field"] for e in by_id["TWO-DRUGS"]["errors"]] == ["ndc"]
    assert "names hydroxocobalamin: which is ordered?" in by_id["TWO-DRUGS"]["errors"][0]["message"]
    tablet = by_id["TABLET"]
    assert not [
        f for f in tablet["findings"] if f["rule_id"].startswith("B12-")
    ]  # not judged as the injection
    assert tablet["status"] not in ("pass", "invalid")
    assert any("tablet (oral): no rule pack covers this form" in w for w in tablet["warnings"])


def run(path: Path) -> dict[str, dict[str, Any]]:
    done = invoke("check", path, "--format", "jsonl", "--fail-on", "never")
    assert done.exit_code == 0, done.stderr
    return {result["order_id"]: result for result in results(done.stdout)}


def test_json_lines(tmp_path: Path) -> None:
    check_outcomes(run(jsonl(tmp_path, *ORDERS)))


def test_csv_with_rxnorm_and_ndc_columns(tmp_path: Path) -> None:
    path = tmp_path / "orders.csv"
    columns = list(dict.fromkeys(key for record in ORDERS for key in record))
    assert {"rxnorm", "ndc"} <= set(columns)
    with path.open("w", newline="", encoding="utf-8") as file:
        writer = csv.DictWriter(file, columns)
        writer.writeheader()
        writer.writerows(ORDERS)
    check_outcomes(run(path))


def medication_request(ident: str, concept: dict[str, Any], dose_mcg: float = 1000) -> dict[str, Any]:
    return {
        "resourceType": "MedicationRequest", "id": ident, "status": "active", "intent": "order",
        "subject": {"reference": "Patient/PT-1"}, "medicationCodeableConcept": concept,
        "dosageInstruction": [{
            "timing": {"repeat": {"frequency": 1, "period": 1, "periodUnit": "d",
                                  "boundsDuration": {"value": 7, "unit": "days", "system": UCUM, "code": "d"}}},
            "route": {"coding": [{"system": SNOMED, "code": "78421000"}]}, "site": {"text": "left deltoid"},
            "doseAndRate": [{"doseQuantity": {"value": dose_mcg, "unit": "mcg", "system": UCUM, "code": "ug"}}],
        }],
    }  # fmt: skip


@pytest.mark.parametrize(
    ("concept", "findings", "drug_warning"),
    [
        # A bare NDC implies no strength, so no volume: the order is checked as cyanocobalamin, and
        # the pack asks for the volume (the mapper derives it only from a strength it knows).
        ({"coding": [{"system": NDC, "code": "0517-0031-25", "display": "Vibisone"}]}, ["B12-ORDER-INCOMPLETE"],
         "by its ndc"),
        ({"coding": [{"system": NDC, "code": "00517003125"}]}, ["B12-ORDER-INCOMPLETE"], "by its ndc"),  # alone
        ({"coding": [{"system": RXNORM, "code": "309594"}], "text": "Vitamin B12 injection"}, [], None),
        ({"coding": [{"system": NDC, "code": "63323-044-01"}], "text": "Hydroxocobalamin"}, None, None),
    ],
)  # fmt: skip
def test_fhir_codings_identify_the_drug(
    tmp_path: Path, concept: dict[str, Any], findings: list[str] | None, drug_warning: str | None
) -> None:
    path = tmp_path / "MedicationRequest.ndjson"
    path.write_text(json.dumps(medication_request("MR-1", concept)) + "\n", encoding="utf-8")
    (result,) = run(path).values()
    if findings is None:
        assert result["status"] == "invalid"
        assert [e["field"] for e in result["errors"]] == ["ndc"]
    else:
        assert [finding["rule_id"] for finding in result["findings"]] == findings, result
    if drug_warning is not None:
        assert any(drug_warning in warning for warning in result["warnings"]), result["warnings"]


def test_fhir_a_code_and_a_dose_the_rules_judge(tmp_path: Path) -> None:
    """Identified by its NDC alone, the order is checked: 100 mg is an implausible dose."""
    concept = {"coding": [{"system": NDC, "code": "0517-0031-25"}]}
    path = tmp_path / "MedicationRequest.ndjson"
    path.write_text(
        json.dumps(medication_request("MR-2", concept, dose_mcg=100_000)) + "\n", encoding="utf-8"
    )
    (result,) = run(path).values()
    assert "B12-DOSE-IMPLAUSIBLE" in [finding["rule_id"] for finding in result["findings"]]
