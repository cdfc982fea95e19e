"""A correct cyanocobalamin MedicationRequest, as the FHIR update's tests build them."""

from __future__ import annotations

from typing import Any

UCUM = "http://unitsofmeasure.org"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
SNOMED = "http://snomed.info/sct"


def quantity(value: Any, code: str, unit: str | None = None) -> dict[str, Any]:
    return {"value": value, "unit": unit or {"ug": "mcg"}.get(code, code), "system": UCUM, "code": code}


def medication_request(
    dose: dict[str, Any] | None = None, strength_mcg_per_ml: float = 1000
) -> dict[str, Any]:
    """1000 mcg (or ``dose``) IM into the left deltoid daily for 7 days, from a contained vial."""
    return {
        "resourceType": "MedicationRequest",
        "id": "MR-1",
        "status": "draft",
        "intent": "order",
        "contained": [
            {
                "resourceType": "Medication",
                "id": "med",
                "code": {
                    "coding": [{"system": RXNORM, "code": "309594"}],
                    "text": "cyanocobalamin injection",
                },
                "ingredient": [
                    {
                        "itemCodeableConcept": {
                            "coding": [{"system": RXNORM, "code": "11248", "display": "cyanocobalamin"}]
                        },
                        "isActive": True,
                        "strength": {
                            "numerator": quantity(strength_mcg_per_ml, "ug"),
                            "denominator": quantity(1, "mL"),
                        },
                    }
                ],
            }
        ],
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
                "doseAndRate": [{"doseQuantity": dose or quantity(1000, "ug")}],
            }
        ],
    }
