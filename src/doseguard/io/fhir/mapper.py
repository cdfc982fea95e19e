"""One MedicationRequest mapped onto the order record the checker reads, every problem collected and
named by its FHIR path (the mapping, field by field: docs/decisions/fhir-mapping.md)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson

from doseguard.errors import FhirMappingError, FieldProblem, PatientFactError
from doseguard.io.fhir.bundle import AMBIGUOUS
from doseguard.io.fhir.elements import (
    DOSAGE,
    MEDICATION_REQUEST,
    OBJECT,
    Problems,
    Resource,
    kind_of,
    text_of,
    type_and_id,
)
from doseguard.io.fhir.quantity import map_quantity
from doseguard.io.fhir.references import ambiguous, not_a, patient_of
from doseguard.io.fhir.terminology import (
    ACTIVITY,
    ENDED_STATUSES,
    MASS,
    R4_INTENTS,
    R4_STATUSES,
    ROUTE_TABLES,
    V3_SITE_SYSTEMS,
    V3_SITES,
    VOLUME,
    codings,
    concept_name,
    displays,
    drug_codes,
    implied_strength,
    ingredient_name,
    known_ingredients,
    route_name,
    site_name,
)
from doseguard.io.fhir.timing import timing_values
from doseguard.numbers import format_number
from doseguard.orders.draft import StructuredQuantity
from doseguard.orders.patient import parse_ordered_at
from doseguard.records import InputRecord

Strength = tuple[StructuredQuantity, float]
"""A product's strength: the record's value, and mcg/mL as the volume to draw is derived from it."""
MappedQuantity = tuple[StructuredQuantity, str, float]
"""A Quantity as the record holds it, its kind (mass or volume) and its amount (mcg or mL)."""


def medication_request_to_record(
    resource: Mapping[str, Any], *, resources: Mapping[str, Mapping[str, Any]] | None = None
) -> dict[str, Any]:
    """The order record of one MedicationRequest; raises :class:`FhirMappingError` naming every problem.

    Ids, drug, route and site are text; quantities, frequency and duration are structured values
    (:mod:`doseguard.orders.draft`), but a timing code's text, which a person wrote.

    ``resources`` are the other resources a reference may name, keyed by "Type/id" and by a Bundle
    entry's ``fullUrl`` (see :func:`index_resources`); contained resources are found by "#id".
    """
    return _Mapper(resource, resources or {}).record()


def fhir_record(
    source: str, resource: Any, resources: Mapping[str, Mapping[str, Any]] | None = None
) -> InputRecord:
    """One resource as an :class:`InputRecord`: its record, or its ids and the problems found."""
    if not isinstance(resource, OBJECT):
        return InputRecord(source, error=f"expected a FHIR resource (a JSON object), got {kind_of(resource)}")
    try:
        return InputRecord(source, medication_request_to_record(resource, resources=resources))
    except FhirMappingError as error:
        return InputRecord(source, data=error.record, problems=tuple(error.problems))


class _Mapper:
    """Maps one resource, collecting every problem on the way."""

    def __init__(self, resource: Resource, resources: Mapping[str, Resource]) -> None:
        self.resource = resource
        self.resources = resources
        self.problems = Problems()
        self._contained: dict[str, tuple[int, Resource]] | None = None
        self.drug_codes: dict[str, str] = {}  # the medication's RxNorm and NDC codes (terminology.drug_codes)

    def problem(self, path: str, message: str, value: object = None) -> None:
        self.problems.add(path, message, value)

    # --- the record -----------------------------------------------------------------------------

    def record(self) -> dict[str, Any]:
        resource = self.resource
        kind = resource.get("resourceType")
        if kind != MEDICATION_REQUEST:
            raise FhirMappingError([FieldProblem("resourceType", _not_an_order(kind), kind)], self._ids())
        ids = self._ids(report=True)
        record: dict[str, Any] = dict(ids)
        if _has_modifier(resource):
            self._modifiers(resource, MEDICATION_REQUEST)
        self._contained_ids()
        status = self._status()
        if status is not None:
            record["status"] = status  # the normaliser decides (orders/status.py): an ended order is inactive
        ordered_at = self._authored_on()
        if ordered_at is not None:
            record["ordered_at"] = ordered_at
        drug, strength = self._medication()
        if drug is not None:
            record["drug"] = drug
            record.update(self.drug_codes)
        if status in ENDED_STATUSES:  # not alerted on: its dosage is not read, so none of it is a problem
            strength = None
        elif strength is not None:
            record["product_concentration"] = strength[0]
        dosage = self._dosage() if status not in ENDED_STATUSES else None
        if dosage is not None:
            self._map_dosage(dosage, strength, record)
        if self.problems:
            raise FhirMappingError(self.problems, ids)
        return record

    def _modifiers(self, value: Any, path: str) -> None:
        """Refuse what FHIR says a reader must refuse unless it understands it: a ``modifierExtension``
        (it may turn the element's meaning around, "do not give", say) and a resource's
        ``implicitRules``. doseguard understands none, wherever they are."""
        if isinstance(value, OBJECT):
            for key, item in value.items():
                if not isinstance(item, dict | list) and key != "implicitRules":
                    continue
                here = f"{path}.{key}"
                if key == "modifierExtension" and item not in (None, []):
                    urls = (
                        [e.get("url") for e in item if isinstance(e, OBJECT)]
                        if isinstance(item, list)
                        else []
                    )
                    message = (
                        "a modifier extension doseguard does not understand may change what the element means"
                    )
                    self.problem(here, f"{urls or item!r}: {message}; not checked", item)
                elif key == "implicitRules" and item is not None and "resourceType" in value:
                    self.problem(here, f"{item!r}: rules doseguard does not know; not checked", item)
                elif isinstance(item, dict | list):
                    self._modifiers(item, here)
        elif isinstance(value, list):
            for number, item in enumerate(value):
                if isinstance(item, dict | list):
                    self._modifiers(item, f"{path}[{number}]")

    def _contained_ids(self) -> None:
        """Two contained resources with one id: a reference "#id" would name either."""
        contained = self.resource.get("contained")
        first: dict[str, int] = {}
        for number, item in enumerate(contained if isinstance(contained, list) else ()):
            ident = item.get("id") if isinstance(item, OBJECT) else None
            if not isinstance(ident, str):
                continue
            if ident in first:
                self.problem(
                    f"{MEDICATION_REQUEST}.contained[{number}].id",
                    f"{ident!r} is also the id of contained[{first[ident]}]: a reference '#{ident}' "
                    "would name either",
                    ident,
                )
            else:
                first[ident] = number

    def _ids(self, report: bool = False) -> dict[str, str]:
        """order_id and patient_id, as far as they can be read; problems reported only if ``report``."""
        ids: dict[str, str] = {}
        ident = self.resource.get("id")
        if isinstance(ident, str) and ident.strip():
            ids["order_id"] = ident.strip()
        elif report:
            self.problem(
                f"{MEDICATION_REQUEST}.id",
                "required: the resource id identifies the order in the results",
                ident,
            )
        patient = self._patient(report)
        if patient is not None:
            ids["patient_id"] = patient
        return ids

    def _patient(self, report: bool) -> str | None:
        """The patient id, read as every resource's patient reference is (:mod:`.references`)."""
        path = f"{MEDICATION_REQUEST}.subject"
        subject = self.resource.get("subject")
        found = patient_of(subject, self._lookup)
        if found.problem is not None and report:
            written = subject.get("reference") if isinstance(subject, OBJECT) else subject
            self.problem(f"{path}{found.at}", found.problem, written)
        return found.patient_id

    def _status(self) -> str | None:
        """The R4 status, after the modifier elements of a MedicationRequest: what is not exactly
        understood is refused (a status "Entered-In-Error" or none could be a mistake, a doNotPerform
        "true" an order not to give the drug: either checked as an order to give it would be a pass
        for the wrong order). An R4 status is the record's ``status``: an ended order is inactive."""
        get = self.resource.get
        status, intent, not_perform = get("status"), get("intent"), get("doNotPerform")
        path = f"{MEDICATION_REQUEST}.status"
        if status is None:
            self.problem(path, "required: it says whether the resource is an order or a mistake; not checked")
        elif not isinstance(status, str) or status not in R4_STATUSES:
            expected = ", ".join(R4_STATUSES)
            self.problem(path, f"{status!r} is not a status of FHIR R4 ({expected}); not checked", status)
            status = None
        if intent is not None and (not isinstance(intent, str) or intent not in R4_INTENTS):
            expected = ", ".join(R4_INTENTS)
            self.problem(
                f"{MEDICATION_REQUEST}.intent",
                f"{intent!r} is not an intent of FHIR R4 ({expected}); not checked",
                intent,
            )
        path = f"{MEDICATION_REQUEST}.doNotPerform"
        if not_perform is True:
            self.problem(path, "true: an order *not* to give the drug is not checked", True)
        elif not_perform is not None and not_perform is not False:
            self.problem(
                path,
                f"{not_perform!r} must be true or false (JSON booleans): it may say the drug is *not* "
                "to be given; not checked",
                not_perform,
            )
        return status if isinstance(status, str) else None

    def _authored_on(self) -> str | None:
        """``authoredOn`` as the order's ``ordered_at``: history windows count back from it. A date
        or date-time with an offset (UTC when none); a year or a month alone is refused, never read
        as its first day (a window would move by up to a year)."""
        value = self.resource.get("authoredOn")
        if value is None:
            return None
        path = f"{MEDICATION_REQUEST}.authoredOn"
        if not isinstance(value, str):
            self.problem(path, f"must be a dateTime (text), got {kind_of(value)}", value)
            return None
        try:
            parse_ordered_at(value)
        except PatientFactError as error:
            self.problem(path, str(error), value)
            return None
        return value.strip()

    # --- medication -----------------------------------------------------------------------------

    def _medication(self) -> tuple[str | None, Strength | None]:
        """The drug (ingredient) name and the product's strength (its value, mcg/mL), as far as known."""
        concept = self.resource.get("medicationCodeableConcept")
        reference = self.resource.get("medicationReference")
        if concept is not None and reference is not None:
            self.problem(
                f"{MEDICATION_REQUEST}.medication[x]",
                "both medicationCodeableConcept and medicationReference: give one",
            )
            return None, None
        if concept is not None:
            path = f"{MEDICATION_REQUEST}.medicationCodeableConcept"
            if not isinstance(concept, OBJECT):
                self.problem(path, f"must be a CodeableConcept object, got {kind_of(concept)}", concept)
                return None, None
            drug = self._concept_name(concept, path)
            self.drug_codes = drug_codes(concept)
            if drug is None:
                self.problem(path, "names no drug: give text, a coding display or an RxNorm code")
            return drug, implied_strength(concept)
        if reference is None:
            self.problem(
                f"{MEDICATION_REQUEST}.medication[x]",
                "required: medicationCodeableConcept or medicationReference",
            )
            return None, None
        path = f"{MEDICATION_REQUEST}.medicationReference"
        if not isinstance(reference, OBJECT):
            self.problem(path, f"must be a Reference object, got {kind_of(reference)}", reference)
            return None, None
        medication, medication_path = self._resolve(reference, path)
        if medication is not None and medication.get("resourceType") == AMBIGUOUS:
            target = reference.get("reference")
            self.problem(f"{path}.reference", ambiguous(target), target)
            return None, None
        if medication is None:
            display = text_of(reference.get("display"))
            if display is not None:
                return ingredient_name(display), None  # no product known: no strength, no volume
            target = reference.get("reference")
            where = (
                "no contained resource has this id" if str(target).startswith("#") else "not in the Bundle"
            )
            self.problem(
                f"{path}.reference",
                f"{target!r}: {where}, and the reference has no display to name the drug",
                target,
            )
            return None, None
        if medication.get("resourceType") != "Medication":
            self.problem(f"{path}.reference", not_a("Medication", medication), reference.get("reference"))
            return None, None
        if not medication_path.startswith(f"{MEDICATION_REQUEST}.contained") and _has_modifier(medication):
            self._modifiers(medication, medication_path)  # (a contained one was seen with the request)
        return self._from_medication(medication, medication_path)

    def _from_medication(self, medication: Resource, path: str) -> tuple[str | None, Strength | None]:
        names: list[str] = []
        strengths: list[Strength] = []
        ingredients = medication.get("ingredient")
        if ingredients is not None and not isinstance(ingredients, list):
            self.problem(f"{path}.ingredient", f"must be a list, got {kind_of(ingredients)}", ingredients)
            ingredients = None
        for number, ingredient in enumerate(ingredients or ()):
            here = f"{path}.ingredient[{number}]"
            if not isinstance(ingredient, OBJECT):
                self.problem(here, f"must be an object, got {kind_of(ingredient)}", ingredient)
                continue
            if ingredient.get("isActive") is False:
                continue  # an excipient (benzyl alcohol, say) is not the drug
            name = self._ingredient_item(ingredient, here)
            if name is not None and name not in names:
                names.append(name)
            ratio = ingredient.get("strength")
            if ratio is not None:
                strength = self._strength(ratio, f"{here}.strength")
                if strength is not None:
                    strengths.append(strength)
        code = medication.get("code")
        code = code if isinstance(code, OBJECT) else None
        self.drug_codes = drug_codes(code) if code is not None else {}
        drug = (
            " + ".join(names)
            if names
            else (self._concept_name(code, f"{path}.code") if code is not None else None)
        )
        if drug is None:
            self.problem(
                f"{path}.code",
                "names no drug: give code or ingredient[].itemCodeableConcept "
                "(text, display or an RxNorm code)",
            )
        if len(strengths) == 1:
            return drug, strengths[0]
        if strengths:
            return drug, None  # a combination product has no single strength
        return drug, implied_strength(code) if code is not None else None

    def _concept_name(self, concept: Resource, path: str) -> str | None:
        """:func:`concept_name`, refusing a concept whose codings and text name different known
        ingredients (coded cyanocobalamin, displayed hydroxocobalamin: other products and regimens,
        and the first known coding would have won)."""
        named = known_ingredients(concept)
        if len(named) > 1:
            self.problem(path, f"names different drugs ({', '.join(named)}): which is ordered?", None)
        return concept_name(concept)

    def _ingredient_item(self, ingredient: Resource, path: str) -> str | None:
        item = ingredient.get("itemCodeableConcept")
        if isinstance(item, OBJECT):
            return self._concept_name(item, f"{path}.itemCodeableConcept")
        reference = ingredient.get("itemReference")
        if isinstance(reference, OBJECT):
            target, _ = self._resolve(reference, f"{path}.itemReference")
            if target is not None and isinstance(target.get("code"), OBJECT):
                name = concept_name(target["code"])
                if name is not None:
                    return name
            display = reference.get("display")
            if isinstance(display, str) and display.strip():
                return ingredient_name(display)
        return None

    def _strength(self, ratio: Any, path: str) -> Strength | None:
        if not isinstance(ratio, OBJECT):
            self.problem(path, f"must be a Ratio object, got {kind_of(ratio)}", ratio)
            return None
        numerator = self._quantity(
            ratio.get("numerator"), f"{path}.numerator", (MASS,), "a strength's numerator", required=True
        )
        denominator = self._quantity(
            ratio.get("denominator"),
            f"{path}.denominator",
            (VOLUME,),
            "a strength's denominator",
            required=True,
        )
        if numerator is None or denominator is None:
            return None
        value = numerator[2] / denominator[2]
        return StructuredQuantity(value, f"{numerator[0].text}/{denominator[0].text}"), round(value, 6)

    # --- dosage ---------------------------------------------------------------------------------

    def _dosage(self) -> Resource | None:
        path = f"{MEDICATION_REQUEST}.dosageInstruction"
        dosages = self.resource.get("dosageInstruction")
        if dosages is None or dosages == []:
            return None
        if not isinstance(dosages, list):
            self.problem(path, f"must be a list, got {kind_of(dosages)}", dosages)
            return None
        if len(dosages) > 1:
            self.problem(
                path,
                f"{len(dosages)} dosage instructions: a plan in phases is checked one phase at a time "
                "(one MedicationRequest per phase)",
                len(dosages),
            )
            return None
        dosage = dosages[0]
        if not isinstance(dosage, OBJECT):
            self.problem(DOSAGE, f"must be an object, got {kind_of(dosage)}", dosage)
            return None
        return dosage

    def _map_dosage(self, dosage: Resource, strength: Strength | None, record: dict[str, Any]) -> None:
        dose = self._dose(dosage)
        if dose is not None:
            text, kind, amount = dose
            if kind == MASS:
                record["dose"] = text
                if strength is not None:
                    volume = amount / strength[1]
                    if round(volume, 6) > 0:
                        record["volume"] = StructuredQuantity(volume, f"{format_number(volume)} mL")
            elif kind == ACTIVITY:  # as text: the normaliser decides whether the drug may be dosed so
                record["dose"] = text.text
            else:
                record["volume"] = text
        route = self._route(dosage.get("route"))
        if route is not None:
            record["route"] = route
        site = self._site(dosage.get("site"))
        if site is not None:
            record["site"] = site
        timing = dosage.get("timing")
        if timing is None:
            return
        if not isinstance(timing, OBJECT):
            self.problem(f"{DOSAGE}.timing", f"must be a Timing object, got {kind_of(timing)}", timing)
            return
        frequency, duration = timing_values(timing, self.problems)
        if frequency is not None:
            record["frequency"] = frequency
        if duration is not None:
            record["duration"] = duration

    def _dose(self, dosage: Resource) -> MappedQuantity | None:
        """The dose as a structured value, its kind (mass or volume) and amount (mcg or mL)."""
        rates = dosage.get("doseAndRate")
        if rates is None or rates == []:
            return None
        path = f"{DOSAGE}.doseAndRate"
        if not isinstance(rates, list):
            self.problem(path, f"must be a list, got {kind_of(rates)}", rates)
            return None
        first = rates[0]
        path = f"{path}[0]"
        if not isinstance(first, OBJECT):
            self.problem(path, f"must be an object, got {kind_of(first)}", first)
            return None
        doses = [n for n, rate in enumerate(rates) if isinstance(rate, OBJECT) and _states_dose(rate)]
        if len(doses) > 1:
            self.problem(
                f"{DOSAGE}.doseAndRate",
                f"a dose in doseAndRate{doses}: only one can be checked "
                "(one dose, or one MedicationRequest each)",
                len(doses),
            )
            return None
        if first.get("doseRange") is not None:
            self.problem(
                f"{path}.doseRange",
                "a dose range cannot be checked: order one dose (doseQuantity)",
                first.get("doseRange"),
            )
            return None
        quantity = first.get("doseQuantity")
        if quantity is None:
            return None
        return self._quantity(quantity, f"{path}.doseQuantity", (MASS, VOLUME, ACTIVITY), "a dose")

    def _quantity(
        self, quantity: Any, path: str, kinds: tuple[str, ...], what: str, *, required: bool = False
    ) -> MappedQuantity | None:
        """A Quantity as the record holds it, its kind and amount (mcg or mL); problems at ``path``."""
        if quantity is None:
            if required:
                self.problem(path, f"required: {what} needs a value and a unit")
            return None
        if not isinstance(quantity, OBJECT):
            self.problem(path, f"must be a Quantity object, got {kind_of(quantity)}", quantity)
            return None
        fields = (
            quantity.get("value"),
            quantity.get("unit"),
            quantity.get("code"),
            quantity.get("system"),
            quantity.get("comparator"),
        )
        # The value's type is part of the cache key: True == 1 and hash(True) == hash(1), so without it
        # a dose of `true` was answered with the mapping of a dose of 1 seen before.
        value_type: type = type(fields[0])
        try:
            found, problems = map_quantity(value_type, *fields, kinds, what)
        except TypeError:  # an unhashable field (a list where a number belongs): map it uncached
            found, problems = map_quantity.__wrapped__(value_type, *fields, kinds, what)
        for suffix, message, value in problems:
            self.problem(f"{path}{suffix}", message, value)
        return found

    def _route(self, route: Any) -> str | None:
        path = f"{DOSAGE}.route"
        if route is None:
            return None
        if not isinstance(route, OBJECT):
            self.problem(path, f"must be a CodeableConcept object, got {kind_of(route)}", route)
            return None
        unknown: list[tuple[int, Resource]] = []
        for number, coding in enumerate(codings(route)):
            system, code = coding.get("system"), text_of(coding.get("code"))
            table = ROUTE_TABLES.get(system) if isinstance(system, str) else None
            if table is None or not code:
                continue
            found = table.get(code)
            if found is not None:
                return found
            unknown.append((number, coding))
        text = text_of(route.get("text"))
        for candidate in ([text] if text else []) + displays(route):
            found = route_name(candidate)
            if found is not None:
                return found
        if unknown:
            number, coding = unknown[0]
            self.problem(
                f"{path}.coding[{number}].code",
                f"unknown route code {coding.get('code')!r} in {coding.get('system')}: expected e.g. "
                "intramuscular (78421000), subcutaneous (34206005), intravenous (47625008), oral (26643006)",
                coding.get("code"),
            )
            return None
        text = route.get("text")
        if isinstance(text, str) and text.strip():
            self.problem(
                f"{path}.text",
                f"unknown route {text.strip()!r} (expected IM, SC, IV, PO, SL, IN, ID, IT or TOP, "
                "or a SNOMED CT, EDQM or HL7 v3 route code)",
                text,
            )
        elif route:
            self.problem(path, "a route with no code the checker knows and no text", None)
        return None

    def _site(self, site: Any) -> str | None:
        path = f"{DOSAGE}.site"
        if site is None:
            return None
        if not isinstance(site, OBJECT):
            self.problem(path, f"must be a CodeableConcept object, got {kind_of(site)}", site)
            return None
        for coding in codings(site):
            if coding.get("system") in V3_SITE_SYSTEMS:
                found = V3_SITES.get((text_of(coding.get("code")) or "").upper())
                if found is not None:
                    return found
        text = text_of(site.get("text"))
        written = ([text] if text else []) + displays(site)
        for candidate in written:
            found = site_name(candidate)
            if found is not None:
                return found
        if written:
            self.problem(
                f"{path}.text" if text else f"{path}.coding",
                f"unknown injection site {written[0]!r} (expected a muscle: deltoid, vastus lateralis, "
                "ventrogluteal, dorsogluteal; or a region: upper arm, back of arm, thigh, buttock, abdomen; "
                "with or without left/right)",
                written[0],
            )
        else:
            self.problem(path, "a site with no text, display or HL7 v3 ActSite code the checker knows")
        return None

    # --- references -----------------------------------------------------------------------------

    def _resolve(self, reference: Resource, path: str) -> tuple[Resource | None, str]:
        """The resource a Reference names, and the path to report its elements at."""
        target = text_of(reference.get("reference"))
        if target is None:
            return None, path
        if target.startswith("#"):
            found = self._contained_index().get(target[1:])
            if found is None:
                return None, path
            return found[1], f"{MEDICATION_REQUEST}.contained[{found[0]}]"
        return self._lookup(target), f"{path}.resolve()"

    def _lookup(self, target: str) -> Resource | None:
        if target.startswith("#"):
            found = self._contained_index().get(target[1:])
            return found[1] if found else None
        resource = self.resources.get(target)
        if resource is None:
            kind, ident = type_and_id(target)
            if kind is not None and ident is not None:
                resource = self.resources.get(f"{kind}/{ident}")
        return resource

    def _contained_index(self) -> dict[str, tuple[int, Resource]]:
        if self._contained is None:
            self._contained = {}
            contained = self.resource.get("contained")
            for number, item in enumerate(contained if isinstance(contained, list) else ()):
                if isinstance(item, OBJECT) and isinstance(item.get("id"), str):
                    self._contained.setdefault(item["id"], (number, item))
        return self._contained


def _states_dose(rate: Resource) -> bool:
    return rate.get("doseQuantity") is not None or rate.get("doseRange") is not None


def _has_modifier(value: Any) -> bool:
    """Whether an object in ``value`` may hold a ``modifierExtension`` or ``implicitRules`` (cheap,
    necessary: orjson writes those keys as they are; ``_Mapper._modifiers`` then finds them, located)."""
    try:
        written = orjson.dumps(value)
    except TypeError:  # not plain JSON values (a Mapping that is not a dict): look
        return True
    return b'"modifierExtension"' in written or b'"implicitRules"' in written


def _not_an_order(kind: Any) -> str:
    if kind is None:
        return "missing: expected a MedicationRequest"
    if kind == "MedicationOrder":
        return "a MedicationOrder (FHIR DSTU2) is not read: doseguard reads FHIR R4 MedicationRequest"
    if kind == "Bundle":
        return "a Bundle inside a Bundle is not read: give its entries in the outer Bundle"
    if isinstance(kind, str) and kind.lower() == MEDICATION_REQUEST.lower():
        return f"{kind!r} is not a FHIR resource type: MedicationRequest is meant? (case matters)"
    return f"a {kind} is not an order: expected a MedicationRequest"
