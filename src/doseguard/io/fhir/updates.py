"""A finding's fix written into its MedicationRequest: the resource a CDS Hooks ``update`` action
carries (docs/decisions/fhir-mapping.md, "Fixes written back").

The corrected value goes where the FHIR reader (``mapper.py``) reads it from,
``dosageInstruction[0].doseAndRate[0].doseQuantity``, in UCUM, so that the updated resource read
back gives the fixed value. FHIR states one dose quantity: a dose in mL is the volume to inject, a
mass is the dose, and the reader derives the volume from the mass and the product's strength. So a
volume fix is written only over a dose stated in mL; over a mass it would erase the dose (the
volume follows from it there, and a FHIR order cannot state the two apart), and is refused with
:class:`~doseguard.errors.FixNotWritableError`, as is anything else that cannot be written without
guessing (two doses, several dosage instructions). The input is never changed.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from typing import Any

from doseguard.errors import FixNotWritableError
from doseguard.io.fhir.terminology import MASS, UCUM, VOLUME, unit_of

DOSAGE = "MedicationRequest.dosageInstruction"
DOSE_QUANTITY = f"{DOSAGE}[0].doseAndRate[0].doseQuantity"

QUANTITIES: Mapping[str, tuple[str, str]] = {
    "volume_ml": ("mL", "mL"),
    "dose_mcg": ("mcg", "ug"),  # UCUM's code is ug; "mcg" is the display (docs: error-prone "ug")
    "dose_mg": ("mg", "mg"),
    "dose_units": ("units", "[iU]"),
}
"""Each field a fix may set (``rules/fixes.py``) as a Quantity: its display unit and UCUM code."""


def updated_medication_request(
    resource: Mapping[str, Any], fixes: Sequence[tuple[str, Any]]
) -> dict[str, Any]:
    """A new MedicationRequest: ``resource`` with ``fixes`` (a finding's ``fixes``) written in;
    ``resource`` itself is untouched. Raises :class:`FixNotWritableError` for a fix it cannot write
    back where the FHIR reader would read it."""
    updated = copy.deepcopy(dict(resource))
    if not fixes:
        return updated
    if updated.get("resourceType") != "MedicationRequest":
        raise FixNotWritableError(fixes[0][0], "MedicationRequest", "the resource is not a MedicationRequest")
    if len(fixes) > 1:
        names = ", ".join(name for name, _ in fixes)
        raise FixNotWritableError(
            names, DOSE_QUANTITY, "a MedicationRequest states one dose: one fix at a time"
        )
    ((name, value),) = fixes
    if name not in QUANTITIES:
        raise FixNotWritableError(name, DOSE_QUANTITY, f"{name} is not a dose this update writes")
    if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
        raise FixNotWritableError(name, DOSE_QUANTITY, f"{value!r} is not an amount (a number above 0)")
    rate = _dose_and_rate(updated, name)
    stated = _stated_kind(rate.get("doseQuantity"))
    if name == "volume_ml" and stated == MASS:
        raise FixNotWritableError(
            name, DOSE_QUANTITY, "the dose is stated as a mass, and the volume follows from it and the "
            "product's strength: a volume written over it would erase the dose",
        )  # fmt: skip
    unit, code = QUANTITIES[name]
    rate.pop("doseRange", None)  # dose[x]: one of the two
    rate["doseQuantity"] = {"value": _number(value), "unit": unit, "system": UCUM, "code": code}
    return updated


def _dose_and_rate(resource: dict[str, Any], name: str) -> dict[str, Any]:
    """The resource's ``doseAndRate[0]``, made where the resource has none (a copy: written into)."""
    dosages = resource.setdefault("dosageInstruction", [])
    if not isinstance(dosages, list) or len(dosages) > 1:
        raise FixNotWritableError(name, DOSAGE, "one dosage instruction is needed (a plan in phases is "
                                  "one MedicationRequest per phase)")  # fmt: skip
    if not dosages:
        dosages.append({})
    dosage = dosages[0]
    if not isinstance(dosage, dict):
        raise FixNotWritableError(name, f"{DOSAGE}[0]", "is not an object")
    rates = dosage.setdefault("doseAndRate", [])
    if not isinstance(rates, list) or len(rates) > 1:
        raise FixNotWritableError(name, f"{DOSAGE}[0].doseAndRate", "one dose is needed, to correct it")
    if not rates:
        rates.append({})
    if not isinstance(rates[0], dict):
        raise FixNotWritableError(name, f"{DOSAGE}[0].doseAndRate[0]", "is not an object")
    return rates[0]


def _stated_kind(quantity: Any) -> str | None:
    """Whether the dose the resource states is a mass, a volume, or something else (or none)."""
    if not isinstance(quantity, Mapping):
        return None
    for key in ("code", "unit"):
        found = unit_of(quantity.get(key))
        if found is not None:
            return found[1] if found[1] in (MASS, VOLUME) else None
    return None


def _number(value: float) -> int | float:
    """A whole number as one (``1``, not ``1.0``: FHIR reads trailing zeros as precision)."""
    return int(value) if float(value).is_integer() else float(value)
