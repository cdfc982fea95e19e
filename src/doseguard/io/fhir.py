"""Map FHIR R4 MedicationRequest resources onto the order record the checker reads.

A MedicationRequest (alone, in a Bundle such as a CDS Hooks ``draftOrders``, or one per line in a
Bulk Data NDJSON file) becomes the plain order record of :class:`doseguard.orders.model.OrderRecord`:

=====================  ==========================================================================
record field           from
=====================  ==========================================================================
order_id               ``id`` (required)
patient_id             ``subject.reference`` ("Patient/PT-9" -> "PT-9"; a Bundle's ``urn:uuid:``
                       is resolved to the Patient's id) (required)
drug                   the *ingredient* name: active ``Medication.ingredient[].item[x]``, else
                       ``Medication.code``, else ``medicationCodeableConcept``; RxNorm codes of
                       :data:`RXNORM` first, then ``text``/``display`` cut to the ingredient
                       ("cyanocobalamin 1000 MCG/ML Injectable Solution" -> "cyanocobalamin")
dose                   ``dosageInstruction[0].doseAndRate[0].doseQuantity`` with a *written* unit:
                       UCUM ``ug`` is a machine code, so it becomes "mcg" (never "ug" text, which the
                       notation rule would flag on every FHIR order)
product_concentration  the strength Ratio of the single active ingredient ("1000 mcg/1 mL"); or
                       implied by an RxNorm clinical-drug code (309594 is 1 MG/ML)
volume                 derived: dose / strength, in mL (a FHIR order states dose and product, so the
                       volume to draw follows). A dose written in mL is taken as the volume instead
                       (and the dose is then left unstated, which the incompleteness rule reports)
route                  ``route.coding`` (SNOMED CT or HL7 v3 RouteOfAdministration), else its text
site                   ``site`` text/display ("Structure of left deltoid muscle" -> "left deltoid"),
                       or an HL7 v3 ActSite code (LD, RVL, LVG, ...)
frequency              ``timing.repeat`` frequency (or frequencyMax, the more frequent end) per
                       period/periodUnit -> "daily" or "every X days"; ``dayOfWeek`` counts too
                       ("daily on mon, wed, fri" is every 7/3 days); else ``timing.code`` (v3
                       GTSAbbreviation: QD, QOD, BID, WK, MO, ...) written out as words, so that a
                       *coded* QD is not reported as handwritten "QD"
duration               ``timing.repeat.boundsDuration`` ("14 days"), else ``count`` ("10 doses"),
                       else ``boundsPeriod`` (days from start to end, both inclusive; no end is
                       "ongoing")
=====================  ==========================================================================

``concentration`` (the concentration an order *assumes*) is not set: a FHIR order names the product,
so there is no separate assumed strength to compare. What is missing stays missing (no timing gives
no frequency and no duration) so that the rules report it.

Every problem of a resource is collected before :class:`FhirMappingError` is raised; each names the
FHIR path of the element (``MedicationRequest.dosageInstruction[0].doseAndRate[0].doseQuantity.code``;
an element of a contained Medication as ``MedicationRequest.contained[0]...``, of a Medication found
in the Bundle as ``MedicationRequest.medicationReference.resolve()...``). Refused, each with a problem:

- a resource that is not a MedicationRequest; no ``id``; no ``subject`` Patient; no medication;
- ``status`` ``entered-in-error`` (the resource records a mistake, not an order) and
  ``doNotPerform: true`` (an order *not* to give the drug). Other statuses (draft, active, on-hold,
  completed, stopped, cancelled, unknown) and every R4 intent (plan, proposal, option, ...) are
  checked: an audit wants to see errors in any order that was written. These are modifier elements,
  so a value that is not exactly R4's (no status, "Entered-In-Error", an intent not in R4, a
  doNotPerform that is not a JSON boolean) is refused too;
- more than one dose in ``doseAndRate`` (only one can be checked); a medication concept whose codes,
  text and displays name different known ingredients (cyanocobalamin and hydroxocobalamin);
- more than one ``dosageInstruction`` (a plan in phases: each phase must be checked on its own, and
  checking only the first would pass the rest unseen);
- a ``doseRange`` or a quantity with a ``comparator`` (not a dose that can be checked); a unit that is
  neither mass nor volume; a ``unit`` and ``code`` that disagree ("mcg" displayed, "mg" coded is the
  1000-fold error this tool exists to catch);
- a coded route or site, or a timing code, that is not understood; a period in seconds or minutes;
- a Medication reference that cannot be resolved and has no display, or that names more than one
  resource (two Bundle entries with one "Type/id" or ``fullUrl``); two contained resources with one id;
- a ``modifierExtension`` anywhere in the resource or the Medication it names, and ``implicitRules``:
  FHIR requires a reader that does not understand one to refuse the element, and doseguard
  understands none;
- a repeated JSON key or a number JSON input must not hold (NaN, 1e400), at its path
  (:mod:`doseguard.io.json_text`).

In a Bundle only entries of :data:`CONTEXT_TYPES` (Patient, Medication, ...) are skipped; every other
entry gets a result in its place (see :func:`bundle_items`, the one splitter ``doseguard check`` runs).

Using a FHIR model library (measured)
-------------------------------------
Measured on this machine (Python 3.11, one core, CPU time, best of 9 runs) on the typical order of
``examples/fhir-bundle.json`` entry 0 (a MedicationRequest with a contained Medication, 1.7 kB of JSON):

=================================================================  ===============
step                                                               µs per resource
=================================================================  ===============
``medication_request_to_record`` (this module, plain dicts)        15
``json.loads`` of the same resource (either approach needs it)     11
``fhir.resources`` 8.3.0 ``R4B.MedicationRequest.model_validate``  313
the same, without the contained Medication                         177
the same, ``model_validate_json`` (parses the JSON too)            330
=================================================================  ===============

The library only *parses*: it validates every element of every datatype, read or not, and the mapping
above would still have to be written on top of its objects. The throughput target (150,000 orders/s on
2 cores) leaves about 13 µs per order per core for everything, so a parse step of 180-330 µs would
spend the budget 14-25 times over; even at its cheapest it is 18 times the 10 µs a dependency may cost.
Its default models are R5 (``fhir.resources`` 7+), which refuse R4 JSON (``medicationReference``,
``itemCodeableConcept``), so R4 input needs the ``R4B`` sub-package, close to R4 but not the same.
Decision: no library; plain ``Mapping`` access, validating only the elements read, with located
problems of our own. Note that FHIR input cannot meet the target in CPython even so: its JSON alone
takes about 11 µs per resource to parse and mapping it 15 µs more (at most ~75,000 orders/s on 2 cores
before the checker's own work): only the flat CSV/JSON Lines records can meet it.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Iterator, Mapping
from datetime import date, datetime
from functools import lru_cache
from typing import Any

import orjson

from doseguard.errors import FieldProblem, InvalidOrderError
from doseguard.io.json_text import Unreadable, checked_document, problems_in, unreadable
from doseguard.orders import codes
from doseguard.orders.quantities import QuantityError, parse_concentration, parse_mass, parse_volume
from doseguard.records import InputRecord
from doseguard.rules.expressions import format_number

Resource = Mapping[str, Any]
_OBJECT = (dict, Mapping)
"""JSON objects are dicts: testing for ``dict`` first skips the slow ABC check of ``Mapping``."""

UCUM = "http://unitsofmeasure.org"
SNOMED = "http://snomed.info/sct"
RXNORM_SYSTEM = "http://www.nlm.nih.gov/research/umls/rxnorm"
V3_ROUTE_SYSTEMS = (
    "http://terminology.hl7.org/CodeSystem/v3-RouteOfAdministration",
    "http://hl7.org/fhir/v3/RouteOfAdministration",
)
V3_SITE_SYSTEMS = ("http://terminology.hl7.org/CodeSystem/v3-ActSite", "http://hl7.org/fhir/v3/ActSite")
V3_TIMING_SYSTEMS = (
    "http://terminology.hl7.org/CodeSystem/v3-GTSAbbreviation",
    "http://hl7.org/fhir/v3/GTSAbbreviation",
)

RXNORM: dict[str, tuple[str, str | None]] = {
    # RxCUI: (ingredient name, strength the code itself defines, or None for an ingredient code)
    "309594": ("cyanocobalamin", "1000 mcg/1 mL"),  # cyanocobalamin 1 MG/ML Injectable Solution (SCD)
    "11248": ("cyanocobalamin", None),  # ingredient
    "5493": ("hydroxocobalamin", None),  # ingredient
}
"""RxNorm codes known by number; any other code falls back to the concept's text or display."""

SNOMED_ROUTES = {
    "78421000": "IM",  # intramuscular route
    "34206005": "SC",  # subcutaneous route
    "47625008": "IV",  # intravenous route
    "26643006": "PO",  # oral route
    "37839007": "SL",  # sublingual route
    "46713006": "IN",  # nasal route
    "372464004": "ID",  # intradermal route
    "72607000": "IT",  # intrathecal route
    "6064005": "TOP",  # topical route
}
V3_ROUTES = {
    "IM": "IM", "IMD": "IM", "IMZ": "IM",
    "SQ": "SC", "SC": "SC",
    "IV": "IV", "IVINJ": "IV", "IVINJBOL": "IV", "IVPUSH": "IV", "IVRPUSH": "IV", "IVSPUSH": "IV",
    "IVC": "IV", "IVCC": "IV", "IVCI": "IV",
    "PO": "PO", "SL": "SL", "NASAL": "IN", "NASALINSTIL": "IN", "NASINHL": "IN",
    "IDINJ": "ID", "IT": "IT", "ITINJ": "IT", "TOPICAL": "TOP", "SKIN": "TOP",
}  # fmt: skip
V3_SITES = {
    "LD": "left deltoid", "RD": "right deltoid",
    "LVL": "left vastus lateralis", "RVL": "right vastus lateralis",
    "LVG": "left ventrogluteal", "RVG": "right ventrogluteal",
}  # fmt: skip
TIMING_CODES: dict[str, str] = {
    # v3 GTSAbbreviation: written out, so that a coded "QD" is not reported as handwritten "QD"
    "QD": "daily", "AM": "daily", "PM": "daily", "BED": "daily", "QOD": "every 2 days",
    "BID": "twice daily", "TID": "3 times a day", "QID": "4 times a day",
    "Q1H": "every 1 hour", "Q2H": "every 2 hours", "Q3H": "every 3 hours", "Q4H": "every 4 hours",
    "Q6H": "every 6 hours", "Q8H": "every 8 hours", "WK": "weekly", "MO": "monthly",
}  # fmt: skip
WEEKDAYS = frozenset({"mon", "tue", "wed", "thu", "fri", "sat", "sun"})
PERIOD_DAYS = {"h": 1 / 24, "d": 1.0, "wk": 7.0, "mo": 30.0, "a": 365.0}
"""UCUM period units in days, as :mod:`doseguard.orders.schedule` counts them (a month is 30 days)."""
DURATION_WORDS = {"d": "day", "wk": "week", "mo": "month", "a": "year"}
DURATION_UNITS = {
    "d": "d", "day": "d", "days": "d", "wk": "wk", "week": "wk", "weeks": "wk", "mo": "mo",
    "month": "mo", "months": "mo", "a": "a", "year": "a", "years": "a",
    "h": "h", "hour": "h", "hours": "h", "min": "min", "minute": "min", "minutes": "min", "s": "s",
}  # fmt: skip
MASS, VOLUME = "mass", "volume"
UNITS: dict[str, tuple[str, str]] = {
    # lower-case UCUM code or display text: (unit as the record writes it, kind)
    "ug": ("mcg", MASS), "mcg": ("mcg", MASS), "µg": ("mcg", MASS), "μg": ("mcg", MASS),
    "microgram": ("mcg", MASS), "micrograms": ("mcg", MASS),
    "mg": ("mg", MASS), "milligram": ("mg", MASS), "milligrams": ("mg", MASS),
    "g": ("g", MASS), "gram": ("g", MASS), "grams": ("g", MASS),
    "ml": ("mL", VOLUME), "milliliter": ("mL", VOLUME), "milliliters": ("mL", VOLUME),
    "millilitre": ("mL", VOLUME), "millilitres": ("mL", VOLUME),
    "l": ("L", VOLUME), "liter": ("L", VOLUME), "litre": ("L", VOLUME),
}  # fmt: skip
FORM_WORDS = {
    "injection", "injectable", "inj", "inj.", "solution", "soln", "sol", "suspension", "vial", "vials",
    "ampoule", "ampoules", "ampule", "ampules", "prefilled", "syringe", "for", "intramuscular", "im",
    "usp", "bp", "ph.eur.",
}  # fmt: skip
"""Words of a product's name that are not its ingredient's ("cyanocobalamin injection")."""

_NUMBER_START = re.compile(r"^[\d.]")
_SITE_NOISE = re.compile(r"^(?:structure of|entire)\s+|\s+(?:muscle|muscle structure|structure|region)$")
_ROUTE_NOISE = re.compile(r"\s+route$", re.IGNORECASE)
_QUALIFIER = re.compile(r"\s*\((?:body structure|qualifier value)\)$", re.IGNORECASE)
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")
MEDICATION_REQUEST = "MedicationRequest"
DOSAGE = f"{MEDICATION_REQUEST}.dosageInstruction[0]"
NOT_CHECKED_STATUSES = {"entered-in-error": "the resource records a mistake, not an order"}
R4_STATUSES = (
    "active",
    "on-hold",
    "cancelled",
    "completed",
    "entered-in-error",
    "stopped",
    "draft",
    "unknown",
)
"""MedicationRequest.status (required, a modifier): any other value, or none, could mean entered-in-error."""
R4_INTENTS = (
    "proposal", "plan", "order", "original-order", "reflex-order", "filler-order", "instance-order", "option",
)  # fmt: skip
"""MedicationRequest.intent (a modifier): every one of them is a request worth checking."""


class FhirMappingError(InvalidOrderError):
    """A FHIR resource that cannot be mapped to an order record; ``problems`` name FHIR paths.

    ``record`` holds what could be mapped of the identifiers (``order_id``, ``patient_id``), so that a
    result can still say which order it is about.
    """

    def __init__(self, problems: list[FieldProblem], record: Mapping[str, Any] | None = None) -> None:
        super().__init__(problems)
        self.record: dict[str, Any] = dict(record or {})


def medication_request_to_record(
    resource: Mapping[str, Any], *, resources: Mapping[str, Mapping[str, Any]] | None = None
) -> dict[str, Any]:
    """The order record of one MedicationRequest; raises :class:`FhirMappingError` naming every problem.

    ``resources`` are the other resources a reference may name, keyed by "Type/id" and by a Bundle
    entry's ``fullUrl`` (see :func:`index_resources`); contained resources are found by "#id".
    """
    return _Mapper(resource, resources or {}).record()


def fhir_record(
    source: str, resource: Any, resources: Mapping[str, Mapping[str, Any]] | None = None
) -> InputRecord:
    """One resource as an :class:`InputRecord`: its record, or its ids and the problems found."""
    if not isinstance(resource, _OBJECT):
        return InputRecord(source, error=f"expected a FHIR resource (a JSON object), got {_kind(resource)}")
    try:
        return InputRecord(source, medication_request_to_record(resource, resources=resources))
    except FhirMappingError as error:
        return InputRecord(source, data=error.record, problems=tuple(error.problems))


CONTEXT_TYPES = frozenset(
    {
        "Patient", "Medication", "Substance", "Practitioner", "PractitionerRole", "Organization",
        "Location", "Encounter", "RelatedPerson", "Device", "Group", "Condition", "Observation",
        "AllergyIntolerance", "Coverage", "Provenance",
    }
)  # fmt: skip
"""Resource types a Bundle holds as context for its orders (what references name): the only entries
skipped without a result. Any other entry (an unknown or misspelt type, DSTU2's MedicationOrder, a
nested Bundle, an entry without a resource) gets a result in its place."""


def read_fhir_bundle(name: str, data: Any) -> Iterator[InputRecord]:
    """One record per entry of a Bundle that is not context (see :data:`CONTEXT_TYPES`), in entry
    order (source ``name:entry[i]``); a lone MedicationRequest is read as a Bundle of one.

    This is how ``doseguard check`` reads a Bundle: its main process splits it with
    :func:`bundle_items` and its workers map each item with :func:`doseguard.io.readers.records_of`'s
    mapping, which is what this does in one place.
    """
    from doseguard.io.readers import object_record  # noqa: PLC0415 (readers imports this module lazily)

    if isinstance(data, _OBJECT) and data.get("resourceType") == MEDICATION_REQUEST:
        yield object_record(name, checked_document(data), None)
        return
    if isinstance(data, _OBJECT) and data.get("resourceType") not in (None, "Bundle"):
        kind = data.get("resourceType")
        yield InputRecord(
            name, error=f"expected a FHIR Bundle of MedicationRequests, got resourceType {kind!r}"
        )
        return
    items, index = bundle_items(name, data)
    for source, value in items:
        yield object_record(source, value, index)


def bundle_items(
    name: str, data: Any, *, clean: bool = False
) -> tuple[list[tuple[str, Any]], dict[str, Mapping[str, Any]]]:
    """What a Bundle gives to check: (source, resource or :class:`Unreadable`) for every entry that
    is not context, in entry order, and the resources references may name (:func:`index_resources`).

    ``data`` is read strictly (:func:`doseguard.io.json_text.load_document`): an entry with a repeated
    key or a bad number is refused in its place, and is not indexed (``clean``: ``data`` is known to
    hold neither, see :func:`doseguard.io.json_text.load_clean`, and is not looked through). A problem
    of the Bundle itself (outside its entries), or entries that are not a list, is one invalid record
    for the whole file.
    """
    if not isinstance(data, _OBJECT):
        return [(name, Unreadable(f"expected a FHIR Bundle (a JSON object), got {_kind(data)}"))], {}
    if data.get("resourceType") != "Bundle":
        kind = data.get("resourceType")
        return [(name, Unreadable(f"expected a FHIR Bundle, got resourceType {kind!r}"))], {}
    outside = [] if clean else problems_in(data, "Bundle", skip="entry")
    if outside:
        return [(name, unreadable(None, outside))], {}
    entries = data.get("entry")
    if entries is None:
        return [], {}
    if not isinstance(entries, list):
        problem = FieldProblem("Bundle.entry", f"must be a list of entries, got {_kind(entries)}", None)
        return [(name, unreadable(None, [problem]))], {}
    items: list[tuple[str, Any]] = []
    readable: list[Any] = []
    for number, entry in enumerate(entries):
        source, path = f"{name}:entry[{number}]", f"Bundle.entry[{number}]"
        refused = _refused_entry(entry, path, clean)
        if refused is not None:
            items.append((source, refused))
            continue
        readable.append(entry)
        if entry["resource"].get("resourceType") not in CONTEXT_TYPES:
            items.append((source, entry["resource"]))
    return items, index_resources(readable)


def _refused_entry(entry: Any, path: str, clean: bool) -> Unreadable | None:
    """Why a Bundle entry cannot be read as a resource (None if it can)."""
    if not isinstance(entry, _OBJECT):
        return unreadable(None, [FieldProblem(path, f"must be an entry object, got {_kind(entry)}", entry)])
    resource = entry.get("resource")
    if resource is None:
        message = "missing: an entry without a resource (a transaction's DELETE, say) is not an order"
        return unreadable(None, [FieldProblem(f"{path}.resource", message)])
    if not isinstance(resource, _OBJECT):
        message = f"must be a FHIR resource (a JSON object), got {_kind(resource)}"
        return unreadable(None, [FieldProblem(f"{path}.resource", message, resource)])
    problems = [] if clean else problems_in(entry, path)
    if problems:
        return unreadable(resource, problems)
    return None


def read_fhir_ndjson(name: str, lines: Iterable[str | bytes]) -> Iterator[InputRecord]:
    """FHIR Bulk Data NDJSON: one resource per line (source ``name:line``); blank lines skipped.

    Each line is read as ``doseguard check`` reads a JSON line (:func:`doseguard.io.readers.record_of_line`):
    references resolve to its contained resources only, and a line that is not a MedicationRequest is
    reported, not skipped.
    """
    from doseguard.io.readers import record_of_line  # noqa: PLC0415 (readers imports this module lazily)

    for number, raw in enumerate(lines, start=1):
        data = raw.encode("utf-8", "surrogateescape") if isinstance(raw, str) else raw
        if number == 1:
            data = data.removeprefix(b"\xef\xbb\xbf")
        if data.strip():
            yield record_of_line(f"{name}:{number}", data)


AMBIGUOUS = "(more than one resource)"
"""The resourceType of what :func:`index_resources` keeps for a "Type/id" or ``fullUrl`` that two
entries share: a reference to it names either, so it resolves to neither."""


def index_resources(entries: Iterable[Any]) -> dict[str, Mapping[str, Any]]:
    """Bundle entries (or bare resources) by "Type/id" and by ``fullUrl``, for resolving references.

    A key that two different resources share is kept as ``{"resourceType": AMBIGUOUS}``: the
    reference was resolved to the first entry, so which vial a "Medication/vial" meant was a guess."""
    index: dict[str, Mapping[str, Any]] = {}

    def add(key: str, resource: Mapping[str, Any]) -> None:
        known = index.setdefault(key, resource)
        if known is not resource and known != resource:
            index[key] = {"resourceType": AMBIGUOUS}

    for entry in entries:
        if not isinstance(entry, _OBJECT):
            continue
        resource = entry.get("resource", entry)
        if not isinstance(resource, _OBJECT):
            continue
        kind, ident = resource.get("resourceType"), resource.get("id")
        if isinstance(kind, str) and isinstance(ident, str) and ident:
            add(f"{kind}/{ident}", resource)
        url = entry.get("fullUrl")
        if isinstance(url, str) and url:
            add(url, resource)
    return index


class _Mapper:
    """Maps one resource, collecting every problem on the way."""

    def __init__(self, resource: Resource, resources: Mapping[str, Resource]) -> None:
        self.resource = resource
        self.resources = resources
        self.problems: list[FieldProblem] = []
        self._contained: dict[str, tuple[int, Resource]] | None = None

    def problem(self, path: str, message: str, value: object = None) -> None:
        self.problems.append(FieldProblem(path, message, value))

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
        self._status()
        drug, strength = self._medication()
        if drug is not None:
            record["drug"] = drug
        if strength is not None:
            record["product_concentration"] = strength[0]
        dosage = self._dosage()
        if dosage is not None:
            self._map_dosage(dosage, strength, record)
        if self.problems:
            raise FhirMappingError(self.problems, ids)
        return record

    def _modifiers(self, value: Any, path: str) -> None:
        """Refuse what FHIR says a reader must refuse unless it understands it: a ``modifierExtension``
        (it may turn the element's meaning around, "do not give", say) and a resource's
        ``implicitRules``. doseguard understands none, wherever they are."""
        if isinstance(value, _OBJECT):
            for key, item in value.items():
                if not isinstance(item, dict | list) and key != "implicitRules":
                    continue
                here = f"{path}.{key}"
                if key == "modifierExtension" and item not in (None, []):
                    urls = (
                        [e.get("url") for e in item if isinstance(e, _OBJECT)]
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
            ident = item.get("id") if isinstance(item, _OBJECT) else None
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
        path = f"{MEDICATION_REQUEST}.subject"
        subject = self.resource.get("subject")
        if not isinstance(subject, _OBJECT):
            if report:
                self.problem(path, "required: a reference to the Patient ('Patient/<id>')", subject)
            return None
        reference = _text(subject.get("reference"))
        if reference is not None:
            local = reference[8:] if reference.startswith("Patient/") else None
            if local and "/" not in local:
                return local  # the common case, "Patient/<id>"
            target = self._lookup(reference)
            if target is not None and target.get("resourceType") == AMBIGUOUS:
                if report:
                    self.problem(f"{path}.reference", _ambiguous(reference), reference)
                return None
            if target is not None and isinstance(target.get("id"), str) and target.get("id"):
                if target.get("resourceType") != "Patient":
                    if report:
                        self.problem(f"{path}.reference", _not_a("Patient", target), reference)
                    return None
                return str(target["id"])
            kind, ident = _type_and_id(reference)
            if ident is None:
                if report:
                    self.problem(
                        f"{path}.reference",
                        f"{reference!r} does not name a Patient ('Patient/<id>') in this Bundle",
                        reference,
                    )
                return None
            if kind is not None and kind != "Patient":
                if report:
                    self.problem(
                        f"{path}.reference", f"the subject is a {kind}: expected a Patient", reference
                    )
                return None
            return ident
        identifier = subject.get("identifier")
        if isinstance(identifier, _OBJECT):
            value = identifier.get("value")
            if isinstance(value, str) and value.strip():
                return value.strip()
        if report:
            self.problem(
                f"{path}.reference", "required: a reference to the Patient ('Patient/<id>')", reference
            )
        return None

    def _status(self) -> None:
        """The modifier elements of a MedicationRequest: what is not exactly understood is refused
        (a status "Entered-In-Error" or none could be a mistake, a doNotPerform "true" an order not
        to give the drug: either checked as an order to give it would be a pass for the wrong order)."""
        get = self.resource.get
        status, intent, not_perform = get("status"), get("intent"), get("doNotPerform")
        path = f"{MEDICATION_REQUEST}.status"
        if status is None:
            self.problem(path, "required: it says whether the resource is an order or a mistake; not checked")
        elif not isinstance(status, str) or status not in R4_STATUSES:
            expected = ", ".join(R4_STATUSES)
            self.problem(path, f"{status!r} is not a status of FHIR R4 ({expected}); not checked", status)
        elif status in NOT_CHECKED_STATUSES:
            self.problem(path, f"{status!r}: {NOT_CHECKED_STATUSES[status]}; not checked", status)
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

    # --- medication -----------------------------------------------------------------------------

    def _medication(self) -> tuple[str | None, tuple[str, float] | None]:
        """The drug (ingredient) name and the product's strength (text, mcg/mL), as far as known."""
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
            if not isinstance(concept, _OBJECT):
                self.problem(path, f"must be a CodeableConcept object, got {_kind(concept)}", concept)
                return None, None
            drug = self._concept_name(concept, path)
            if drug is None:
                self.problem(path, "names no drug: give text, a coding display or an RxNorm code")
            return drug, _implied_strength(concept)
        if reference is None:
            self.problem(
                f"{MEDICATION_REQUEST}.medication[x]",
                "required: medicationCodeableConcept or medicationReference",
            )
            return None, None
        path = f"{MEDICATION_REQUEST}.medicationReference"
        if not isinstance(reference, _OBJECT):
            self.problem(path, f"must be a Reference object, got {_kind(reference)}", reference)
            return None, None
        medication, medication_path = self._resolve(reference, path)
        if medication is not None and medication.get("resourceType") == AMBIGUOUS:
            target = reference.get("reference")
            self.problem(f"{path}.reference", _ambiguous(target), target)
            return None, None
        if medication is None:
            display = _text(reference.get("display"))
            if display is not None:
                return _ingredient_name(display), None  # no product known: no strength, no volume
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
            self.problem(f"{path}.reference", _not_a("Medication", medication), reference.get("reference"))
            return None, None
        if not medication_path.startswith(f"{MEDICATION_REQUEST}.contained") and _has_modifier(medication):
            self._modifiers(medication, medication_path)  # (a contained one was seen with the request)
        return self._from_medication(medication, medication_path)

    def _from_medication(
        self, medication: Resource, path: str
    ) -> tuple[str | None, tuple[str, float] | None]:
        names: list[str] = []
        strengths: list[tuple[str, float]] = []
        ingredients = medication.get("ingredient")
        if ingredients is not None and not isinstance(ingredients, list):
            self.problem(f"{path}.ingredient", f"must be a list, got {_kind(ingredients)}", ingredients)
            ingredients = None
        for number, ingredient in enumerate(ingredients or ()):
            here = f"{path}.ingredient[{number}]"
            if not isinstance(ingredient, _OBJECT):
                self.problem(here, f"must be an object, got {_kind(ingredient)}", ingredient)
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
        code = code if isinstance(code, _OBJECT) else None
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
        return drug, _implied_strength(code) if code is not None else None

    def _concept_name(self, concept: Resource, path: str) -> str | None:
        """:func:`_concept_name`, refusing a concept whose codings and text name different known
        ingredients (coded cyanocobalamin, displayed hydroxocobalamin: other products and regimens,
        and the first known coding would have won)."""
        named = _known_ingredients(concept)
        if len(named) > 1:
            self.problem(path, f"names different drugs ({', '.join(named)}): which is ordered?", None)
        return _concept_name(concept)

    def _ingredient_item(self, ingredient: Resource, path: str) -> str | None:
        item = ingredient.get("itemCodeableConcept")
        if isinstance(item, _OBJECT):
            return self._concept_name(item, f"{path}.itemCodeableConcept")
        reference = ingredient.get("itemReference")
        if isinstance(reference, _OBJECT):
            target, _ = self._resolve(reference, f"{path}.itemReference")
            if target is not None and isinstance(target.get("code"), _OBJECT):
                name = _concept_name(target["code"])
                if name is not None:
                    return name
            display = reference.get("display")
            if isinstance(display, str) and display.strip():
                return _ingredient_name(display)
        return None

    def _strength(self, ratio: Any, path: str) -> tuple[str, float] | None:
        if not isinstance(ratio, _OBJECT):
            self.problem(path, f"must be a Ratio object, got {_kind(ratio)}", ratio)
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
        return f"{numerator[0]}/{denominator[0]}", round(numerator[2] / denominator[2], 6)

    # --- dosage ---------------------------------------------------------------------------------

    def _dosage(self) -> Resource | None:
        path = f"{MEDICATION_REQUEST}.dosageInstruction"
        dosages = self.resource.get("dosageInstruction")
        if dosages is None or dosages == []:
            return None
        if not isinstance(dosages, list):
            self.problem(path, f"must be a list, got {_kind(dosages)}", dosages)
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
        if not isinstance(dosage, _OBJECT):
            self.problem(DOSAGE, f"must be an object, got {_kind(dosage)}", dosage)
            return None
        return dosage

    def _map_dosage(
        self, dosage: Resource, strength: tuple[str, float] | None, record: dict[str, Any]
    ) -> None:
        dose = self._dose(dosage)
        if dose is not None:
            text, kind, amount = dose
            if kind == MASS:
                record["dose"] = text
                if strength is not None:
                    volume = amount / strength[1]
                    if round(volume, 6) > 0:
                        record["volume"] = f"{format_number(volume)} mL"
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
        if not isinstance(timing, _OBJECT):
            self.problem(f"{DOSAGE}.timing", f"must be a Timing object, got {_kind(timing)}", timing)
            return
        frequency, duration = self._timing(timing)
        if frequency is not None:
            record["frequency"] = frequency
        if duration is not None:
            record["duration"] = duration

    def _dose(self, dosage: Resource) -> tuple[str, str, float] | None:
        """The dose as text with a written unit, its kind (mass or volume) and amount (mcg or mL)."""
        rates = dosage.get("doseAndRate")
        if rates is None or rates == []:
            return None
        path = f"{DOSAGE}.doseAndRate"
        if not isinstance(rates, list):
            self.problem(path, f"must be a list, got {_kind(rates)}", rates)
            return None
        first = rates[0]
        path = f"{path}[0]"
        if not isinstance(first, _OBJECT):
            self.problem(path, f"must be an object, got {_kind(first)}", first)
            return None
        doses = [n for n, rate in enumerate(rates) if isinstance(rate, _OBJECT) and _states_dose(rate)]
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
        return self._quantity(quantity, f"{path}.doseQuantity", (MASS, VOLUME), "a dose")

    def _quantity(
        self, quantity: Any, path: str, kinds: tuple[str, ...], what: str, *, required: bool = False
    ) -> tuple[str, str, float] | None:
        """A Quantity as record text ("1000 mcg"), its kind and amount (mcg or mL); problems at ``path``."""
        if quantity is None:
            if required:
                self.problem(path, f"required: {what} needs a value and a unit")
            return None
        if not isinstance(quantity, _OBJECT):
            self.problem(path, f"must be a Quantity object, got {_kind(quantity)}", quantity)
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
            found, problems = _map_quantity(value_type, *fields, kinds, what)
        except TypeError:  # an unhashable field (a list where a number belongs): map it uncached
            found, problems = _map_quantity.__wrapped__(value_type, *fields, kinds, what)
        for suffix, message, value in problems:
            self.problem(f"{path}{suffix}", message, value)
        return found

    def _route(self, route: Any) -> str | None:
        path = f"{DOSAGE}.route"
        if route is None:
            return None
        if not isinstance(route, _OBJECT):
            self.problem(path, f"must be a CodeableConcept object, got {_kind(route)}", route)
            return None
        unknown: list[tuple[int, Resource]] = []
        for number, coding in enumerate(_codings(route)):
            system, code = coding.get("system"), _text(coding.get("code"))
            table = SNOMED_ROUTES if system == SNOMED else V3_ROUTES if system in V3_ROUTE_SYSTEMS else None
            if table is None or not code:
                continue
            found = table.get(code)
            if found is not None:
                return found
            unknown.append((number, coding))
        text = _text(route.get("text"))
        for candidate in ([text] if text else []) + _displays(route):
            found = _route_name(candidate)
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
                "or a SNOMED CT or HL7 v3 route code)",
                text,
            )
        elif route:
            self.problem(path, "a route with no code the checker knows and no text", None)
        return None

    def _site(self, site: Any) -> str | None:
        path = f"{DOSAGE}.site"
        if site is None:
            return None
        if not isinstance(site, _OBJECT):
            self.problem(path, f"must be a CodeableConcept object, got {_kind(site)}", site)
            return None
        for coding in _codings(site):
            if coding.get("system") in V3_SITE_SYSTEMS:
                found = V3_SITES.get((_text(coding.get("code")) or "").upper())
                if found is not None:
                    return found
        text = _text(site.get("text"))
        written = ([text] if text else []) + _displays(site)
        for candidate in written:
            found = _site_name(candidate)
            if found is not None:
                return found
        if written:
            self.problem(
                f"{path}.text" if text else f"{path}.coding",
                f"unknown injection site {written[0]!r} (expected deltoid, vastus lateralis, ventrogluteal "
                "or dorsogluteal, with or without left/right)",
                written[0],
            )
        else:
            self.problem(path, "a site with no text, display or HL7 v3 ActSite code the checker knows")
        return None

    # --- timing ---------------------------------------------------------------------------------

    def _timing(self, timing: Resource) -> tuple[str | None, str | None]:
        path = f"{DOSAGE}.timing"
        repeat = timing.get("repeat")
        frequency = duration = None
        if repeat is not None:
            if isinstance(repeat, _OBJECT):
                frequency = self._repeat_frequency(repeat, f"{path}.repeat")
                duration = self._repeat_duration(repeat, f"{path}.repeat")
            else:
                self.problem(f"{path}.repeat", f"must be an object, got {_kind(repeat)}", repeat)
        code = timing.get("code")
        if code is not None and not (isinstance(repeat, _OBJECT) and _states_frequency(repeat)):
            frequency = self._timing_code(code, f"{path}.code")
        return frequency, duration

    def _repeat_frequency(self, repeat: Resource, path: str) -> str | None:
        frequency, most = repeat.get("frequency"), repeat.get("frequencyMax")
        period, unit = repeat.get("period"), repeat.get("periodUnit")
        days_of_week = self._days_of_week(repeat.get("dayOfWeek"), f"{path}.dayOfWeek")
        if frequency is None and most is None and period is None and unit is None:
            if days_of_week:
                return _every(7 / days_of_week)  # "mon, wed, fri": three times a week
            return None
        times = 1
        ok = True
        for key, value in (("frequency", frequency), ("frequencyMax", most)):
            if value is None:
                continue
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                self.problem(f"{path}.{key}", f"must be a whole number of 1 or more, got {value!r}", value)
                ok = False
            else:
                times = max(times, value)  # the most frequent end, as for "every 2-3 days"
        length = _positive(period)
        if period is None:
            self.problem(f"{path}.period", "required: how long the period of the frequency is", None)
        elif length is None:
            self.problem(f"{path}.period", f"must be a number greater than zero, got {period!r}", period)
        unit_days = PERIOD_DAYS.get(unit) if isinstance(unit, str) else None
        if unit is None:
            self.problem(f"{path}.periodUnit", "required: h, d, wk, mo or a", None)
        elif unit in ("s", "min"):
            self.problem(
                f"{path}.periodUnit",
                f"{unit!r}: a period in seconds or minutes is not an injection plan (use h, d, wk, mo or a)",
                unit,
            )
        elif unit_days is None:
            self.problem(f"{path}.periodUnit", f"unknown unit {unit!r} (expected h, d, wk, mo or a)", unit)
        if not ok or length is None or unit_days is None:
            return None
        period_days = length * unit_days
        if days_of_week:
            # "daily, on mon, wed and fri" is three times a week; "every 2 weeks on mon" every 14 days
            per_cycle = days_of_week * times / period_days if period_days <= 1 else days_of_week
            return _every(max(period_days, 7) / per_cycle)
        return _every(period_days / times)

    def _days_of_week(self, days: Any, path: str) -> int:
        """How many distinct days ``dayOfWeek`` names (0 if none)."""
        if days is None:
            return 0
        if not isinstance(days, list) or not all(day in WEEKDAYS for day in days):
            self.problem(path, f"must be a list of mon, tue, wed, thu, fri, sat, sun; got {days!r}", days)
            return 0
        return len(set(days))

    def _repeat_duration(self, repeat: Resource, path: str) -> str | None:
        bounds = repeat.get("boundsDuration")
        if bounds is not None:
            return self._duration(bounds, f"{path}.boundsDuration")
        bounds = repeat.get("boundsRange")
        if bounds is not None:
            if not isinstance(bounds, _OBJECT):
                self.problem(f"{path}.boundsRange", f"must be a Range object, got {_kind(bounds)}", bounds)
                return None
            return self._duration(bounds.get("high"), f"{path}.boundsRange.high")  # the longest end
        count, most = repeat.get("count"), repeat.get("countMax")
        if count is not None or most is not None:
            doses = 0
            for key, value in (("count", count), ("countMax", most)):
                if value is None:
                    continue
                if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                    self.problem(
                        f"{path}.{key}", f"must be a whole number of 1 or more, got {value!r}", value
                    )
                    return None
                doses = max(doses, value)
            return f"{doses} dose{'s' if doses != 1 else ''}"
        bounds = repeat.get("boundsPeriod")
        if bounds is not None:
            return self._period(bounds, f"{path}.boundsPeriod")
        return None

    def _duration(self, duration: Any, path: str) -> str | None:
        if not isinstance(duration, _OBJECT):
            self.problem(path, f"must be a Duration object, got {_kind(duration)}", duration)
            return None
        value = duration.get("value")
        length = _positive(value)
        if length is None:
            self.problem(f"{path}.value", f"must be a number greater than zero, got {value!r}", value)
        code, unit = duration.get("code"), duration.get("unit")
        key = next(
            (
                DURATION_UNITS[text.strip().lower()]
                for text in (code, unit)
                if isinstance(text, str) and text.strip().lower() in DURATION_UNITS
            ),
            None,
        )
        where, written = (f"{path}.code", code) if code is not None else (f"{path}.unit", unit)
        if key is None:
            self.problem(where, f"unknown duration unit {written!r} (expected d, wk, mo or a)", written)
            return None
        if key in ("h", "min", "s"):
            self.problem(
                where, f"{written!r}: a treatment plan lasts days, weeks or months, not hours", written
            )
            return None
        if length is None:
            return None
        word = DURATION_WORDS[key]
        number = format_number(length)
        return f"{number} {word}{'' if number == '1' else 's'}"

    def _period(self, period: Any, path: str) -> str | None:
        if not isinstance(period, _OBJECT):
            self.problem(path, f"must be a Period object, got {_kind(period)}", period)
            return None
        start = _when(period.get("start"))
        end = _when(period.get("end"))
        if start is None:
            self.problem(
                f"{path}.start", "required to count the days of the plan: a full date", period.get("start")
            )
            return None
        if period.get("end") is None:
            return "ongoing"
        if end is None:
            self.problem(f"{path}.end", "must be a full date (YYYY-MM-DD) or date-time", period.get("end"))
            return None
        if isinstance(start, datetime) and isinstance(end, datetime):
            if (start.tzinfo is None) != (end.tzinfo is None):
                start, end = start.replace(tzinfo=None), end.replace(tzinfo=None)
            days = (end - start).total_seconds() / 86400
        else:
            first = start.date() if isinstance(start, datetime) else start
            last = end.date() if isinstance(end, datetime) else end
            days = (last - first).days + 1  # a Period's start and end are both inclusive
        if days <= 0:
            self.problem(path, "end is before start", f"{period.get('start')} .. {period.get('end')}")
            return None
        written = format_number(days)
        return f"{written} day{'' if written == '1' else 's'}"

    def _timing_code(self, concept: Any, path: str) -> str | None:
        if not isinstance(concept, _OBJECT):
            self.problem(path, f"must be a CodeableConcept object, got {_kind(concept)}", concept)
            return None
        unknown: list[tuple[int, Resource]] = []
        for number, coding in enumerate(_codings(concept)):
            system = coding.get("system")
            if system is not None and system not in V3_TIMING_SYSTEMS:
                continue
            code = (_text(coding.get("code")) or "").upper()
            if code in TIMING_CODES:
                return TIMING_CODES[code]
            unknown.append((number, coding))
        text = concept.get("text")
        if isinstance(text, str) and text.strip():
            return text.strip()  # written by a person: parsed (and any QD flagged) as any frequency
        if unknown:
            number, coding = unknown[0]
            self.problem(
                f"{path}.coding[{number}].code",
                f"unknown timing code {coding.get('code')!r} (expected QD, QOD, BID, TID, QID, WK, MO, ...; "
                "or give timing.repeat)",
                coding.get("code"),
            )
        return None

    # --- references -----------------------------------------------------------------------------

    def _resolve(self, reference: Resource, path: str) -> tuple[Resource | None, str]:
        """The resource a Reference names, and the path to report its elements at."""
        target = _text(reference.get("reference"))
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
            kind, ident = _type_and_id(target)
            if kind is not None and ident is not None:
                resource = self.resources.get(f"{kind}/{ident}")
        return resource

    def _contained_index(self) -> dict[str, tuple[int, Resource]]:
        if self._contained is None:
            self._contained = {}
            contained = self.resource.get("contained")
            for number, item in enumerate(contained if isinstance(contained, list) else ()):
                if isinstance(item, _OBJECT) and isinstance(item.get("id"), str):
                    self._contained.setdefault(item["id"], (number, item))
        return self._contained


QuantityProblem = tuple[str, str, object]
"""A problem of a Quantity: the path below the Quantity ("" or ".code"), the message, the value."""


@lru_cache(maxsize=1024)
def _map_quantity(
    value_type: type,
    value: Any,
    unit: Any,
    code: Any,
    system: Any,
    comparator: Any,
    kinds: tuple[str, ...],
    what: str,
) -> tuple[tuple[str, str, float] | None, tuple[QuantityProblem, ...]]:
    """The record text, kind and amount of a Quantity's fields, or the problems with them.

    Pure, so cached: the same doses and strengths come back order after order. ``value_type`` is
    ``type(value)``, there only to keep ``True`` and ``1`` apart in the cache.
    """
    problems: list[QuantityProblem] = []
    if comparator is not None:
        problems.append(
            (
                ".comparator",
                f"{comparator!r}: a bound ('less than', 'at least') is not {what} that can be checked",
                comparator,
            )
        )
    number = _positive(value)
    if value is None:
        problems.append((".value", f"required: {what} needs a number", value))
    elif number is None:
        problems.append((".value", f"must be a number greater than zero, got {value!r}", value))
    found = _quantity_unit(unit, code, system, kinds, what, problems)
    if problems or found is None or number is None:
        return None, tuple(problems)
    written, kind = found
    text = f"{format_number(number)} {written}"
    try:
        name = what.removeprefix("a ")
        amount = parse_mass(text, name).value if kind == MASS else parse_volume(text, name).value
    except QuantityError as error:
        return None, ((".value", str(error), value),)
    return (text, kind, amount), ()


def _quantity_unit(
    unit: Any, code: Any, system: Any, kinds: tuple[str, ...], what: str, problems: list[QuantityProblem]
) -> tuple[str, str] | None:
    """The record's unit and kind from a Quantity's ``code`` (UCUM) and ``unit`` (display)."""
    by_code = _unit_of(code)
    by_unit = _unit_of(unit)
    if _text(code) is not None and by_code is None and (system is None or system == UCUM):
        shown = f"unit {unit!r} (code {code!r})" if isinstance(unit, str) else f"code {code!r}"
        problems.append((".code", f"{shown} is not a unit of {what}: expected {_expected(kinds)}", code))
        return None
    if by_code is not None and by_unit is not None and by_code != by_unit:
        problems.append(
            (
                "",
                f"unit {unit!r} and code {code!r} disagree: which is meant? "
                "(a mcg/mg mix-up is a 1000-fold error)",
                f"{unit} / {code}",
            )
        )
        return None
    found = by_code or by_unit
    if found is None:
        if _text(unit) is not None:
            problems.append((".unit", f"{unit!r} is not a unit of {what}: expected {_expected(kinds)}", unit))
        else:
            problems.append((".code", f"required: {what} needs a unit ({_expected(kinds)})", None))
        return None
    if found[1] not in kinds:
        suffix, written = (".code", code) if by_code is not None else (".unit", unit)
        problems.append(
            (suffix, f"{found[0]!r} is a {found[1]} unit: {what} needs {_expected(kinds)}", written)
        )
        return None
    return found


def _codings(concept: Resource) -> list[Resource]:
    codings = concept.get("coding")
    if not isinstance(codings, list):
        return []
    return [coding for coding in codings if isinstance(coding, _OBJECT)]


def _implied_strength(concept: Resource) -> tuple[str, float] | None:
    """The strength an RxNorm clinical-drug code defines (309594 is 1 MG/ML), if the code is known."""
    for coding in _codings(concept):
        if coding.get("system") == RXNORM_SYSTEM:
            known = RXNORM.get(_text(coding.get("code")) or "")
            if known is not None and known[1] is not None:
                return known[1], parse_concentration(known[1]).value
    return None


def _states_dose(rate: Resource) -> bool:
    return rate.get("doseQuantity") is not None or rate.get("doseRange") is not None


def _states_frequency(repeat: Resource) -> bool:
    get = repeat.get
    return (
        get("frequency") is not None
        or get("period") is not None
        or get("periodUnit") is not None
        or get("frequencyMax") is not None
        or get("dayOfWeek") is not None
    )


def _every(days: float) -> str:
    """A frequency as the schedule parser reads it: "daily" or "every X days"."""
    written = format_number(days)
    return "daily" if written == "1" else f"every {written} days"


def _displays(concept: Resource) -> list[str]:
    return [text for text in (_text(coding.get("display")) for coding in _codings(concept)) if text]


@lru_cache(maxsize=1024)
def _site_name(text: str) -> str | None:
    """Site text the normaliser understands: "Structure of left deltoid muscle" -> "left deltoid"."""
    if codes.site_code(text) is not None:
        return text
    cleaned = _SITE_NOISE.sub("", _QUALIFIER.sub("", text.lower())).strip()
    cleaned = _SITE_NOISE.sub("", cleaned).strip()
    return cleaned if codes.site_code(cleaned) is not None else None


@lru_cache(maxsize=1024)
def _route_name(text: str) -> str | None:
    """Route text the normaliser understands: "Intramuscular route" -> "Intramuscular"."""
    cleaned = _ROUTE_NOISE.sub("", _QUALIFIER.sub("", text))
    return cleaned if codes.route_code(cleaned) is not None else None


def _unit_of(text: Any) -> tuple[str, str] | None:
    """The record's unit and its kind for a UCUM code or unit text ("ug" -> "mcg"), if known."""
    if not isinstance(text, str):
        return None
    return UNITS.get(text) or UNITS.get(text.strip().lower())


def _expected(kinds: tuple[str, ...]) -> str:
    return " or ".join({MASS: "mcg, mg or g (UCUM ug, mg, g)", VOLUME: "mL or L"}[kind] for kind in kinds)


def _positive(value: Any) -> float | None:
    """A finite number greater than zero (not true/false), as a float; None for anything else."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    number = float(value)
    return number if math.isfinite(number) and number > 0 else None


def _text(value: Any) -> str | None:
    """A non-blank string, stripped; None for anything else."""
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return None


def _concept_name(concept: Resource) -> str | None:
    """The ingredient a CodeableConcept names: a known RxNorm code, else its text, else a display."""
    codings = _codings(concept)
    for coding in codings:
        if coding.get("system") == RXNORM_SYSTEM:
            known = RXNORM.get(_text(coding.get("code")) or "")
            if known is not None:
                return known[0]
    for text in [concept.get("text")] + [coding.get("display") for coding in codings]:
        if isinstance(text, str) and text.strip():
            return _ingredient_name(text)
    return None


_KNOWN_INGREDIENTS = frozenset(name for name, _ in RXNORM.values())


def _known_ingredients(concept: Resource) -> list[str]:
    """The known ingredients (:data:`RXNORM`'s) a concept names, by its RxNorm codes, text and
    displays, in order; more than one means its codings disagree."""
    named: list[str] = []
    codings = _codings(concept)
    for coding in codings:
        if coding.get("system") == RXNORM_SYSTEM:
            known = RXNORM.get(_text(coding.get("code")) or "")
            if known is not None and known[0] not in named:
                named.append(known[0])
    for text in [concept.get("text")] + [coding.get("display") for coding in codings]:
        if isinstance(text, str) and text.strip():
            name = _ingredient_name(text).casefold()
            if name in _KNOWN_INGREDIENTS and name not in named:
                named.append(name)
    return named


@lru_cache(maxsize=1024)
def _ingredient_name(text: str) -> str:
    """A product's name cut to its ingredient's: the words before the strength, less form words."""
    words: list[str] = []
    for word in text.split():
        if _NUMBER_START.match(word):
            break
        words.append(word)
    while words and words[-1].lower().strip(",;") in FORM_WORDS:
        words.pop()
    return " ".join(words).rstrip(",;") if words else text.strip()


def _type_and_id(reference: str) -> tuple[str | None, str | None]:
    """("Patient", "PT-9") from "Patient/PT-9", ".../fhir/Patient/PT-9" or "Patient/PT-9/_history/2"."""
    parts = [part for part in reference.split("?", maxsplit=1)[0].split("/") if part]
    if len(parts) >= 4 and parts[-2] == "_history":
        parts = parts[:-2]
    if reference.startswith("urn:"):
        return None, None
    if len(parts) >= 2 and parts[-2][:1].isupper():
        return parts[-2], parts[-1]
    return None, None


def _when(value: Any) -> date | datetime | None:
    if not isinstance(value, str):
        return None
    try:
        if _DATE.match(value):
            return date.fromisoformat(value)
        if _DATETIME.match(value):
            return datetime.fromisoformat(value)
    except ValueError:
        return None
    return None


def _has_modifier(value: Any) -> bool:
    """Whether an object in ``value`` may hold a ``modifierExtension`` or ``implicitRules`` (cheap,
    necessary: orjson writes those keys as they are; ``_Mapper._modifiers`` then finds them, located)."""
    try:
        written = orjson.dumps(value)
    except TypeError:  # not plain JSON values (a Mapping that is not a dict): look
        return True
    return b'"modifierExtension"' in written or b'"implicitRules"' in written


def _ambiguous(reference: Any) -> str:
    return f"{reference!r} names more than one resource in this Bundle: which is meant cannot be known"


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


def _not_a(expected: str, resource: Resource) -> str:
    return f"refers to a {resource.get('resourceType')}: expected a {expected}"


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    return {dict: "an object", list: "a list", str: "text", bool: "true/false"}.get(
        type(value), type(value).__name__
    )
