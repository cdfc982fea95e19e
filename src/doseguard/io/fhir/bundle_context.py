"""A FHIR Bundle's context resources as its orders' patient contexts.

A Bundle gives each of its MedicationRequest records the context of its patient (the patient fields
of its Patient, AllergyIntolerance, Condition and Observation entries, its administrations and lab
results, its other orders in the Bundle), so a cobalt allergy beside the order is one the order has.
The kinds a Bundle holds are PATIENT and ORDERS (its orders are all there), LABS when it holds a lab
Observation, ADMINISTRATIONS when it holds a MedicationAdministration: a Bundle without labs says
"not evaluated" for a rule that needs them, never "no haemoglobin checked". Every context resource
that cannot be used is a :class:`~doseguard.errors.HistoryProblem` at ``file:entry[n]``.

The main process reads it once (:mod:`doseguard.io.json_format`), each chunk of the Bundle's orders
carries its patients' contexts to the worker, which attaches them as it maps the orders.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from doseguard.errors import FhirMappingError, HistoryProblem, PatientFactError
from doseguard.io.fhir.elements import MEDICATION_REQUEST, OBJECT, Resource, text_of
from doseguard.io.fhir.mapper import medication_request_to_record
from doseguard.io.fhir.patient_resources import CONTEXT_RESOURCES, ResourceReader
from doseguard.io.fhir.references import resources_lookup
from doseguard.io.json_text import Unreadable
from doseguard.orders.codes import route_code
from doseguard.orders.drugs import DrugEntry, DrugIdentifier
from doseguard.orders.patient import parse_ordered_at
from doseguard.orders.status import Activity, order_activity
from doseguard.patients.labs import lab_test
from doseguard.patients.merge import JOINED_FIELDS
from doseguard.patients.model import Administration, HistoryKind, LabResult, OtherOrder, PatientContext
from doseguard.records import InputRecord, record_ids

__all__ = ["BundleContext", "attach_context", "bundle_context", "read_as_other_order"]

Drugs = Iterable[DrugEntry] | Mapping[str, str]


@dataclasses.dataclass(frozen=True)
class BundleContext:
    """What a Bundle says of its patients: each one's context, the kinds the Bundle holds (for a
    patient it says nothing of), and the resources it could not use."""

    contexts: dict[str, PatientContext]
    kinds: frozenset[HistoryKind]
    problems: tuple[HistoryProblem, ...] = ()
    order_patients: dict[str, str] = dataclasses.field(default_factory=dict)  # an order's source: its patient

    def context(self, patient_id: str) -> PatientContext:
        return self.contexts.get(patient_id) or PatientContext(patient_id, self.kinds)

    def only(self, patient_ids: Iterable[str]) -> BundleContext:
        """The contexts of these patients only (what one chunk of the Bundle's orders needs)."""
        wanted = set(patient_ids)
        contexts = {key: value for key, value in self.contexts.items() if key in wanted}
        return BundleContext(contexts, self.kinds)


def bundle_context(
    name: str,
    bundle: Mapping[str, Any],
    records: Sequence[tuple[str, Any]],
    resources: Mapping[str, Resource],
    drugs: Drugs = (),
    first_record: int = 1,
    mapped: Mapping[str, InputRecord] | None = None,
    reader: ResourceReader | None = None,
) -> BundleContext:
    """The context of every patient of a Bundle. ``records`` are the (source, value) items
    :func:`~doseguard.io.fhir.bundle.bundle_items` gave (checked as records ``first_record`` on, in
    order: an order's number tells it from the patient's other orders), ``resources`` its index.
    ``mapped``: orders already mapped by their source (what ``fhir_record`` gave them), read from
    there rather than mapped again (the service maps a request's orders once). ``reader``: one made
    of ``drugs`` already (its drug tables take longer to build than a small Bundle to read)."""
    lookup = resources_lookup(resources)
    reader = reader if reader is not None else ResourceReader(drugs)
    identifier = reader.drugs
    numbers = {source: first_record + offset for offset, (source, _) in enumerate(records)}
    refused = {source for source, value in records if isinstance(value, Unreadable)}
    gathered = _Gathered()
    kinds = {HistoryKind.PATIENT, HistoryKind.ORDERS}
    order_patients: dict[str, str] = {}
    entries = bundle.get("entry")
    for number, entry in enumerate(entries if isinstance(entries, list) else ()):
        source = f"{name}:entry[{number}]"
        resource = entry.get("resource") if isinstance(entry, OBJECT) else None
        if source in refused or not isinstance(resource, OBJECT):
            continue  # the entry has a result of its own, saying why it cannot be read
        kind = resource.get("resourceType")
        if kind == MEDICATION_REQUEST:
            known = mapped.get(source) if mapped is not None else None
            patient_id, other = _other_order(resource, resources, identifier, numbers.get(source, 0), known)
            if patient_id is not None:
                order_patients[source] = patient_id
            if patient_id is not None and other is not None:
                gathered.add(source, patient_id, other, other.ordered_at)
            continue
        if kind not in CONTEXT_RESOURCES:
            continue
        if kind == "MedicationAdministration":
            kinds.add(HistoryKind.ADMINISTRATIONS)
        elif kind == "Observation" and _is_lab(resource):
            kinds.add(HistoryKind.LABS)
        for read in reader.read(source, resource, lookup):
            if isinstance(read.item, HistoryProblem):
                gathered.problems.append(read.item)
            else:
                gathered.add(source, read.item[0], read.item[1], read.at)
    held = frozenset(kinds)
    return BundleContext(gathered.contexts(held), held, tuple(gathered.problems), order_patients)


def attach_context(record: InputRecord, bundle: BundleContext | None) -> InputRecord:
    """``record`` with its patient's context from the Bundle; a record that could not be read, or
    names no patient, as it is (it is invalid, and no patient's context is its)."""
    if bundle is None or record.error is not None or record.problems:
        return record
    patient_id = record_ids(record.data)[1]
    if patient_id is None:
        return record
    return dataclasses.replace(record, context=bundle.context(patient_id))


def _other_order(
    resource: Resource,
    resources: Mapping[str, Resource],
    drugs: DrugIdentifier,
    number: int,
    known: InputRecord | None = None,
) -> tuple[str | None, OtherOrder | None]:
    """A MedicationRequest's patient, and the request as another order of that patient; None when it
    cannot be read as one (its own result says why) or names no drug. ``known``: its record, mapped
    already. An order whose doses cannot be checked is still another order of its drug."""
    if known is not None and known.error is not None:
        return record_ids(known.data)[1], None
    if known is not None and not known.problems:
        record = known.data
    else:
        try:
            record = read_as_other_order(resource, resources, mapped_in_vain=known is not None)
        except FhirMappingError as error:
            return record_ids(error.record)[1], None
    patient_id = record_ids(record)[1]
    drug = text_of(record.get("drug"))
    if patient_id is None or drug is None:
        return patient_id, None
    identity = drugs.identify(drug, text_of(record.get("rxnorm")), text_of(record.get("ndc")))
    status = text_of(record.get("status"))
    active = status is None or order_activity(status).activity is Activity.CHECKED
    route = text_of(record.get("route"))
    ordered_at = text_of(record.get("ordered_at"))
    try:
        at = parse_ordered_at(ordered_at) if ordered_at is not None else None
    except PatientFactError:
        at = None
    form = identity.forms[0] if identity.forms else None
    other = OtherOrder(identity.drug, route_code(route) if route else None, form, active, number, at)
    return patient_id, other


_READ_OF_ANOTHER = ("route", "site", "method")
"""What of a dosage another order is read for: its route (duplicate therapy by route and form)."""


def read_as_other_order(
    resource: Resource, resources: Mapping[str, Resource], *, mapped_in_vain: bool = False
) -> dict[str, Any]:
    """A MedicationRequest's record as another order of its patient: its drug, route, status and time.
    One whose doses cannot be checked (a dose range, a free-text dose) is still another order of that
    drug; its doses are its own check's. Raises :class:`FhirMappingError` when even that is unreadable.
    ``mapped_in_vain``: its full mapping failed already (it is read without its doses at once)."""
    if not mapped_in_vain:
        try:
            return medication_request_to_record(resource, resources=resources)
        except FhirMappingError:
            pass
    dosage = resource.get("dosageInstruction")
    if not isinstance(dosage, list):
        return medication_request_to_record(resource, resources=resources)
    kept = [
        {key: value for key, value in each.items() if key in _READ_OF_ANOTHER}
        if isinstance(each, OBJECT)
        else each
        for each in dosage
    ]
    return medication_request_to_record({**resource, "dosageInstruction": kept}, resources=resources)


def _is_lab(resource: Resource) -> bool:
    """An Observation of the lab catalogue, or one its category calls a laboratory result."""
    code = resource.get("code")
    for coding in code.get("coding", []) if isinstance(code, OBJECT) else []:
        if isinstance(coding, OBJECT) and isinstance(coding.get("code"), str) and lab_test(coding["code"]):
            return True
    for category in resource.get("category") or []:
        for coding in category.get("coding", []) if isinstance(category, OBJECT) else []:
            if isinstance(coding, OBJECT) and coding.get("code") == "laboratory":
                return True
    return False


@dataclasses.dataclass
class _Gathered:
    """A Bundle's items by patient, as they are read."""

    fields: dict[str, dict[str, tuple[Any, datetime | None]]] = dataclasses.field(default_factory=dict)
    administrations: dict[str, list[Administration]] = dataclasses.field(default_factory=dict)
    labs: dict[str, list[LabResult]] = dataclasses.field(default_factory=dict)
    orders: dict[str, list[OtherOrder]] = dataclasses.field(default_factory=dict)
    sources: dict[str, list[str]] = dataclasses.field(default_factory=dict)
    field_sources: dict[str, dict[str, str]] = dataclasses.field(default_factory=dict)
    problems: list[HistoryProblem] = dataclasses.field(default_factory=list)

    def add(self, source: str, patient_id: str, value: Any, at: datetime | None) -> None:
        self.sources.setdefault(patient_id, []).append(source)
        if isinstance(value, Administration):
            self.administrations.setdefault(patient_id, []).append(value)
        elif isinstance(value, LabResult):
            self.labs.setdefault(patient_id, []).append(value)
        elif isinstance(value, OtherOrder):
            self.orders.setdefault(patient_id, []).append(value)
        else:
            known = self.fields.setdefault(patient_id, {})
            self._fields(known, self.field_sources.setdefault(patient_id, {}), value, at, source)

    @staticmethod
    def _fields(
        known: dict[str, tuple[Any, datetime | None]],
        sources: dict[str, str],
        more: dict[str, Any],
        at: datetime | None,
        source: str,
    ) -> None:
        """Lists joined; of two values of one field the later wins (a timeless one is the oldest),
        the first of two at the same time."""
        for key, value in more.items():
            if key in JOINED_FIELDS:
                before = known.get(key, ([], None))[0]
                known[key] = (list(dict.fromkeys([*before, *value])), None)
                sources.setdefault(key, source)
            elif key not in known or _later(at, known[key][1]):
                known[key] = (value, at)
                sources[key] = source

    def contexts(self, kinds: frozenset[HistoryKind]) -> dict[str, PatientContext]:
        def by_time(items: list[Any], key: Callable[[Any], datetime]) -> tuple[Any, ...]:
            return tuple(sorted(items, key=key))

        return {
            patient_id: PatientContext(
                patient_id,
                kinds,
                {key: value for key, (value, _) in self.fields.get(patient_id, {}).items()},
                by_time(self.administrations.get(patient_id, []), lambda a: a.given_at),
                by_time(self.labs.get(patient_id, []), lambda lab: lab.taken_at),
                tuple(self.orders.get(patient_id, [])),
                tuple(sources),
                field_sources=self.field_sources.get(patient_id, {}),
                field_times={
                    key: at for key, (_, at) in self.fields.get(patient_id, {}).items() if at is not None
                },
            )
            for patient_id, sources in self.sources.items()
        }


def _later(at: datetime | None, than: datetime | None) -> bool:
    return at is not None and (than is None or at > than)
