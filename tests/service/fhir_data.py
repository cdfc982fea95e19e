"""FHIR resources and CDS Hooks requests the service's tests send."""

from __future__ import annotations

import uuid
from typing import Any

PATIENT = "PT-1"
CYANO = "cyanocobalamin 1000 mcg/mL injection"
SNOMED = "http://snomed.info/sct"
ROUTES = {"IM": ("78421000", "Intramuscular route"), "IV": ("47625008", "Intravenous route")}


def medication_request(
    ident: str,
    *,
    drug: str = CYANO,
    dose_mcg: float = 1000,
    route: str = "IM",
    patient: str = PATIENT,
    weekly: int | None = 4,
) -> dict[str, Any]:
    """A draft cyanocobalamin order: 1000 mcg IM weekly x4 unless told otherwise."""
    code, display = ROUTES[route]
    timing: dict[str, Any] = {"repeat": {"frequency": 1, "period": 1, "periodUnit": "wk"}}
    if weekly is not None:
        timing["repeat"]["count"] = weekly
    return {
        "resourceType": "MedicationRequest",
        "id": ident,
        "status": "draft",
        "intent": "order",
        "medicationCodeableConcept": {"text": drug},
        "subject": {"reference": f"Patient/{patient}"},
        "authoredOn": "2026-12-01",
        "dosageInstruction": [
            {
                "timing": timing,
                "route": {"coding": [{"system": SNOMED, "code": code, "display": display}]},
                "doseAndRate": [
                    {
                        "doseQuantity": {
                            "value": dose_mcg,
                            "unit": "mcg",
                            "system": "http://unitsofmeasure.org",
                            "code": "ug",
                        }
                    }
                ],
            }
        ],
    }


def bundle(*resources: dict[str, Any], kind: str = "collection") -> dict[str, Any]:
    return {"resourceType": "Bundle", "type": kind, "entry": [{"resource": r} for r in resources]}


def searchset(*resources: dict[str, Any]) -> dict[str, Any]:
    return bundle(*resources, kind="searchset")


def patient(ident: str = PATIENT) -> dict[str, Any]:
    return {"resourceType": "Patient", "id": ident, "birthDate": "1950-02-03", "gender": "female"}


def allergy(substance: str, ident: str = "AL-1", patient_id: str = PATIENT) -> dict[str, Any]:
    return {
        "resourceType": "AllergyIntolerance",
        "id": ident,
        "clinicalStatus": {"coding": [{"code": "active"}]},
        "verificationStatus": {"coding": [{"code": "confirmed"}]},
        "code": {"text": substance},
        "patient": {"reference": f"Patient/{patient_id}"},
    }


def operation_outcome(diagnostics: str) -> dict[str, Any]:
    return {
        "resourceType": "OperationOutcome",
        "issue": [{"severity": "error", "code": "exception", "diagnostics": diagnostics}],
    }


def full_prefetch(*allergies: dict[str, Any]) -> dict[str, Any]:
    """Every key the bundled rules need, with nothing in it but the patient and ``allergies``."""
    return {
        "patient": patient(),
        "allergies": searchset(*allergies),
        "conditions": searchset(),
        "vitals": searchset(),
        "labs": searchset(),
        "administrations": searchset(),
        "medications": searchset(),
        "pregnancy": searchset(),
    }


def hook_request(
    hook: str,
    *orders: dict[str, Any],
    prefetch: dict[str, Any] | None = None,
    selections: list[str] | None = None,
    **more: Any,
) -> dict[str, Any]:
    context: dict[str, Any] = {
        "userId": "Practitioner/1",
        "patientId": PATIENT,
        "draftOrders": bundle(*orders),
    }
    if selections is not None:
        context["selections"] = selections
    body: dict[str, Any] = {"hook": hook, "hookInstance": str(uuid.uuid4()), "context": context, **more}
    if prefetch is not None:
        body["prefetch"] = prefetch
    return body
