"""Which patient a resource is about: one reading of a patient Reference for every resource type, so
that an AllergyIntolerance and the MedicationRequest beside it name the patient by the same id (the
order's ``patient_id``), whether they write "Patient/123", a server's full URL or a Bundle's
``urn:uuid:`` (resolved to the Patient entry's ``id``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

from doseguard.io.fhir.bundle import AMBIGUOUS
from doseguard.io.fhir.elements import OBJECT, Resource, text_of, type_and_id

Lookup = Callable[[str], Resource | None]
"""Finds the resource a reference names ("Patient/1", a ``fullUrl``), or None."""

REQUIRED = "required: a reference to the Patient ('Patient/<id>')"


class PatientReference(NamedTuple):
    """The patient id a Reference gives, or where (``""`` the element, ``".reference"`` below it)
    and why it gives none."""

    patient_id: str | None
    at: str = ""
    problem: str | None = None


def patient_of(reference: Any, lookup: Lookup) -> PatientReference:
    """The patient id of a Reference to a Patient, read as ``MedicationRequest.subject`` is: the id
    of "Patient/<id>" (or of the Patient resource it resolves to), else ``identifier.value``."""
    if not isinstance(reference, OBJECT):
        return PatientReference(None, "", REQUIRED)
    target_text = text_of(reference.get("reference"))
    if target_text is not None:
        local = target_text[8:] if target_text.startswith("Patient/") else None
        if local and "/" not in local:
            return PatientReference(local)  # the common case, "Patient/<id>"
        target = lookup(target_text)
        if target is not None and target.get("resourceType") == AMBIGUOUS:
            return PatientReference(None, ".reference", ambiguous(target_text))
        if target is not None and isinstance(target.get("id"), str) and target.get("id"):
            if target.get("resourceType") != "Patient":
                return PatientReference(None, ".reference", not_a("Patient", target))
            return PatientReference(str(target["id"]))
        kind, ident = type_and_id(target_text)
        if ident is None:
            return PatientReference(
                None, ".reference", f"{target_text!r} does not name a Patient ('Patient/<id>') in this Bundle"
            )
        if kind is not None and kind != "Patient":
            return PatientReference(None, ".reference", f"the subject is a {kind}: expected a Patient")
        return PatientReference(ident)
    identifier = reference.get("identifier")
    if isinstance(identifier, OBJECT):
        value = identifier.get("value")
        if isinstance(value, str) and value.strip():
            return PatientReference(value.strip())
    return PatientReference(None, ".reference", REQUIRED)


def resources_lookup(resources: dict[str, Resource] | Any) -> Lookup:
    """A lookup in a Bundle's index (:func:`~doseguard.io.fhir.bundle.index_resources`): a key as
    written, else its "Type/id" (a server's full URL, a ``_history`` version)."""

    def lookup(target: str) -> Resource | None:
        found: Resource | None = resources.get(target)
        if found is None:
            kind, ident = type_and_id(target)
            if kind is not None and ident is not None:
                found = resources.get(f"{kind}/{ident}")
        return found

    return lookup


def ambiguous(reference: Any) -> str:
    return f"{reference!r} names more than one resource in this Bundle: which is meant cannot be known"


def not_a(expected: str, resource: Resource) -> str:
    return f"refers to a {resource.get('resourceType')}: expected a {expected}"
