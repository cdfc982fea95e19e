"""One FHIR R4 resource about a patient as the patient-context items it says, or why it says none.

``Patient``, ``AllergyIntolerance`` and ``Condition`` give patient fields as an order record carries
them (``birth_date``, ``sex``, ``allergies``, ``conditions``: the order normaliser reads them once
merged into the order); an ``Observation`` gives a field (weight, height, renal function) or a lab
result of the catalogue; a ``MedicationAdministration`` a line of the MAR. Values are converted by
the functions a labs or MAR file's rows are (``patients/labs.py``'s catalogue, ``orders/quantities``,
``orders/drugs``), so a haemoglobin in g/L or a dose in ug is converted one way whatever file it
came in; the glue is this module's only because history_records imports the readers of files, which
a Bundle's reader (in the input registry) may not import back.

A resource that records nothing true of the patient (a refuted or resolved allergy, an observation
entered in error) gives nothing, silently; one that cannot be read gives a
:class:`~doseguard.errors.HistoryProblem` at its FHIR path, and the patient is checked without it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any, NamedTuple

from doseguard.errors import (
    HistoryProblem,
    ImplausibleTimeError,
    LabValueError,
    PatientFactError,
    QuantityError,
)
from doseguard.io.fhir.elements import OBJECT, Resource, kind_of, text_of
from doseguard.io.fhir.references import Lookup, patient_of
from doseguard.io.fhir.terminology import (
    ACTIVITY,
    MASS,
    ROUTE_TABLES,
    RXNORM,
    RXNORM_SYSTEM,
    SNOMED,
    codings,
    concept_name,
    displays,
    drug_codes,
    expected_units,
    ingredient_name,
    route_name,
    unit_of,
)
from doseguard.numbers import format_number
from doseguard.orders.codes import route_code
from doseguard.orders.drugs import DrugEntry, DrugIdentifier
from doseguard.orders.patient import (
    parse_birth_date,
    parse_height,
    parse_ordered_at,
    parse_renal,
    parse_sex,
    parse_weight,
)
from doseguard.orders.quantities import parse_mass, parse_units
from doseguard.patients.labs import convert, lab_test
from doseguard.patients.model import Administration, AdministrationStatus, HistoryItem, LabResult
from doseguard.vocabulary import ROUTES

LOINC = "http://loinc.org"
WEIGHT_CODES = frozenset({"29463-7", "3141-9"})
"""LOINC body weight (measured; stated)."""
HEIGHT_CODES = frozenset({"8302-2", "8306-3", "8308-9"})
"""LOINC body height (any; lying; standing)."""
PREGNANCY_CODES = frozenset({"82810-3", "11449-6"})
"""LOINC pregnancy status; pregnancy status, reported."""
PREGNANCY_ANSWERS = {"77386006": "yes", "LA15173-0": "yes", "60001007": "no", "LA26683-5": "no"}
"""Answers of a pregnancy status (SNOMED pregnant / not pregnant, LOINC LA15173-0 / LA26683-5)."""
UNKNOWN_ANSWERS = frozenset({"LA4489-6", "261665006", "UNK", "ASKU"})
"""Answers that say the status is not known: the patient is then as if none was recorded."""
FIELD_TESTS = {"creatinine_clearance": "creatinine_clearance_ml_min", "egfr": "egfr"}
"""Catalogue tests that are also patient fields (renal function doses are adjusted by)."""
WEIGHT_UNITS = {"kg": "kg", "g": "g", "[lb_av]": "lb", "lb": "lb", "lbs": "lb"}
HEIGHT_UNITS = {"cm": "cm", "m": "m", "[in_i]": "in", "in": "in", "[ft_i]": "ft", "ft": "ft"}
"""UCUM codes (and unit texts) of a weight or height, as :mod:`doseguard.orders.patient` writes them."""
KNOWN_SUBSTANCES: dict[tuple[str, str], str] = {
    (SNOMED, "54808007"): "cobalt",  # Cobalt (substance)
    (SNOMED, "419382002"): "cyanocobalamin",  # Cyanocobalamin (substance)
    **{(RXNORM_SYSTEM, code): name for code, (name, strength) in RXNORM.items() if strength is None},
}
"""Codes an allergy may give with no text or display, by the substance they name."""
NOT_AFFIRMED = {
    "AllergyIntolerance": ({"inactive", "resolved"}, {"refuted", "entered-in-error"}),
    "Condition": ({"inactive", "remission", "resolved"}, {"refuted", "entered-in-error"}),
}
"""Per resource type, the clinicalStatus and verificationStatus codes that say the patient does not
(or no longer) have it: such a resource is skipped, never read as an allergy or condition."""
SKIPPED_OBSERVATIONS = frozenset({"entered-in-error", "cancelled"})
ADMINISTRATION_STATUS = {"completed": "given", "not-done": "missed"}
REFUSAL_WORDS = ("refus", "declin")
"""Words of a not-done administration's statusReason that make it refused rather than missed."""

_MA = "MedicationAdministration"


class Read(NamedTuple):
    """What one resource gave: an item or a problem, and when it was true (an observation's time:
    the later of two weights wins), None when the resource says no time."""

    item: HistoryItem | HistoryProblem
    at: datetime | None = None


def _nothing(_: str) -> Resource | None:
    return None


class ResourceReader:
    """Reads resources about patients for one rule set (whose packs name the drugs)."""

    def __init__(self, drugs: Iterable[DrugEntry] | Mapping[str, str] = ()) -> None:
        self.drugs = DrugIdentifier(drugs)

    def read(self, source: str, resource: Any, lookup: Lookup = _nothing) -> list[Read]:
        """The items of one resource (``lookup`` resolves its references: a Bundle's index); a
        resource type that says nothing doseguard reads gives nothing."""
        if not isinstance(resource, OBJECT):
            return [Read(HistoryProblem(source, None, f"expected a FHIR resource, got {kind_of(resource)}"))]
        kind = resource.get("resourceType")
        read = _READERS.get(kind) if isinstance(kind, str) else None
        if read is None:
            return []
        if resource.get("modifierExtension") not in (None, []) or resource.get("implicitRules") is not None:
            return [
                Read(
                    HistoryProblem(
                        source,
                        f"{kind}.modifierExtension",
                        "a modifier doseguard does not understand may turn the resource's meaning round; "
                        "not used",
                    )
                )
            ]
        return read(self, source, resource, lookup)

    # --- patient fields ---------------------------------------------------------------------------

    def _patient(self, source: str, resource: Resource, lookup: Lookup) -> list[Read]:
        ident = text_of(resource.get("id"))
        if ident is None:
            message = "required: the Patient's id is the patient_id its orders name"
            return [Read(HistoryProblem(source, "Patient.id", message))]
        fields: dict[str, Any] = {}
        found: list[Read] = []
        born = resource.get("birthDate")
        if born is not None:
            try:
                parse_birth_date(born if isinstance(born, str) else "")
                fields["birth_date"] = born.strip()
            except PatientFactError as error:
                found.append(Read(HistoryProblem(source, "Patient.birthDate", str(error))))
        gender = resource.get("gender")
        if gender is not None and gender != "unknown":
            try:
                fields["sex"] = parse_sex(gender if isinstance(gender, str) else repr(gender))
            except PatientFactError as error:
                found.append(Read(HistoryProblem(source, "Patient.gender", str(error))))
        if fields:
            found.insert(0, Read((ident, fields)))
        return found

    def _listed(self, source: str, resource: Resource, lookup: Lookup) -> list[Read]:
        """An AllergyIntolerance or a Condition: its substance or condition as a list entry."""
        kind = str(resource["resourceType"])
        reference = "patient" if kind == "AllergyIntolerance" else "subject"
        patient = _patient_id(source, resource, f"{kind}.{reference}", lookup)
        if isinstance(patient, HistoryProblem):
            return [Read(patient)]
        clinical, verification = NOT_AFFIRMED[kind]
        if _code_of(resource.get("clinicalStatus")) in clinical:
            return []
        if _code_of(resource.get("verificationStatus")) in verification:
            return []
        names = _names(resource.get("code"))
        if not names and kind == "AllergyIntolerance":
            for reaction in _objects(resource.get("reaction")):
                names += [name for name in _names(reaction.get("substance")) if name not in names]
        if not names:
            what = "substance" if kind == "AllergyIntolerance" else "condition"
            message = f"names no {what}: give text, a coding display or a SNOMED CT code"
            return [Read(HistoryProblem(source, f"{kind}.code", message))]
        field = "allergies" if kind == "AllergyIntolerance" else "conditions"
        return [Read((patient, {field: names}), _when(resource, "recordedDate"))]

    # --- observations -----------------------------------------------------------------------------

    def _observation(self, source: str, resource: Resource, lookup: Lookup) -> list[Read]:
        if resource.get("status") in SKIPPED_OBSERVATIONS:
            return []
        code = resource.get("code")
        loinc = _loinc_codes(code)
        if loinc & WEIGHT_CODES:
            field, units, parse = "weight_kg", WEIGHT_UNITS, parse_weight
        elif loinc & HEIGHT_CODES:
            field, units, parse = "height_cm", HEIGHT_UNITS, parse_height
        elif loinc & PREGNANCY_CODES:
            return _pregnancy(source, resource, lookup)
        else:
            return self._lab(source, resource, loinc, lookup)
        measured = _measured(source, resource, lookup)
        if isinstance(measured, list):
            return measured
        patient, number, unit = measured
        written = units.get(unit, unit) if unit else ""
        try:
            amount = parse(f"{format_number(number)} {written}".strip())
        except PatientFactError as error:
            return [Read(HistoryProblem(source, "Observation.valueQuantity", str(error)))]
        shown = "kg" if field == "weight_kg" else "cm"
        return [Read((patient, {field: f"{format_number(amount)} {shown}"}), _taken_at(resource))]

    def _lab(self, source: str, resource: Resource, loinc: frozenset[str], lookup: Lookup) -> list[Read]:
        code = resource.get("code")
        candidates = [*sorted(loinc), *(_names(code) if isinstance(code, OBJECT) else [])]
        test = next((t for t in map(lab_test, candidates) if t is not None), None)
        if test is None:
            return []  # an observation no rule reads (a blood pressure, a smoking status)
        measured = _measured(source, resource, lookup)
        if isinstance(measured, list):
            return measured
        patient, number, unit = measured
        taken_at = _taken_at(resource)
        if taken_at is None:
            return [Read(_no_time(source, "Observation", resource))]
        try:
            converted = convert(test, number, unit)
        except LabValueError as error:
            return [Read(HistoryProblem(source, "Observation.valueQuantity.code", error.message))]
        found = [Read((patient, LabResult(test.name, converted, taken_at, test.unit, source)), taken_at)]
        field = FIELD_TESTS.get(test.name)
        if field is not None:
            written = (unit or "").replace("{1.73_m2}", "1.73m2")
            try:
                renal = parse_renal(f"{format_number(number)} {written}".strip(), field)
            except PatientFactError as error:
                found.append(Read(HistoryProblem(source, "Observation.valueQuantity", str(error))))
            else:
                found.append(Read((patient, {field: format_number(renal)}), taken_at))
        return found

    # --- administrations --------------------------------------------------------------------------

    def _administration(self, source: str, resource: Resource, lookup: Lookup) -> list[Read]:
        status = resource.get("status")
        if status == "entered-in-error":
            return []
        patient = _patient_id(source, resource, f"{_MA}.subject", lookup)
        if isinstance(patient, HistoryProblem):
            return [Read(patient)]
        said = ADMINISTRATION_STATUS.get(status) if isinstance(status, str) else None
        if said is None:
            message = (
                f"{status!r} is not a dose given or not given (completed, not-done); "
                "in-progress, on-hold, stopped and unknown are not read"
            )
            return [Read(HistoryProblem(source, f"{_MA}.status", message))]
        if said == "missed" and _refused(resource.get("statusReason")):
            said = "refused"
        given_at = _taken_at(resource)
        if given_at is None:
            return [Read(_no_time(source, _MA, resource))]
        drug, codes_of_drug = _medication(resource, lookup)
        if drug is None:
            message = "names no drug: give medicationCodeableConcept (text, display or an RxNorm code)"
            return [Read(HistoryProblem(source, f"{_MA}.medication[x]", message))]
        identity = self.drugs.identify(drug, codes_of_drug.get("rxnorm"), codes_of_drug.get("ndc"))
        if identity.problems:
            return [Read(HistoryProblem(source, f"{_MA}.medication[x]", identity.problems[0].message))]
        dosage = resource.get("dosage")
        dosage = dosage if isinstance(dosage, OBJECT) else {}
        dose = _dose(source, dosage.get("dose"))
        if isinstance(dose, HistoryProblem):
            return [Read(dose)]
        route = _route(dosage.get("route"))
        code = route_code(route) if route is not None else None
        if route is not None and code is None:
            message = f"{route!r} is not a route (expected one of: {', '.join(ROUTES)})"
            return [Read(HistoryProblem(source, f"{_MA}.dosage.route", message))]
        status = AdministrationStatus(said)
        given = Administration(identity.drug, given_at, status, dose[0], dose[1], code, source)
        return [Read((patient, given), given_at)]


_READERS = {
    "Patient": ResourceReader._patient,
    "AllergyIntolerance": ResourceReader._listed,
    "Condition": ResourceReader._listed,
    "Observation": ResourceReader._observation,
    "MedicationAdministration": ResourceReader._administration,
}
CONTEXT_RESOURCES = frozenset(_READERS)
"""The resource types read as patient context."""


def _patient_id(source: str, resource: Resource, path: str, lookup: Lookup) -> str | HistoryProblem:
    element = path.rsplit(".", 1)[1]
    found = patient_of(resource.get(element), lookup)
    if found.patient_id is None:
        return HistoryProblem(source, f"{path}{found.at}", found.problem or "no patient")
    return found.patient_id


def _objects(value: Any) -> list[Resource]:
    return [item for item in value if isinstance(item, OBJECT)] if isinstance(value, list) else []


def _code_of(concept: Any) -> str | None:
    """A status CodeableConcept's code (its first coding's, else its text), lower case."""
    if isinstance(concept, str):  # DSTU2 and STU3 wrote a plain code
        return concept.strip().lower()
    if not isinstance(concept, OBJECT):
        return None
    for coding in codings(concept):
        code = text_of(coding.get("code"))
        if code is not None:
            return code.lower()
    text = text_of(concept.get("text"))
    return text.lower() if text else None


def _names(concept: Any) -> list[str]:
    """What a CodeableConcept calls the thing: its text, its codings' displays and the names of
    codes known by number, each once (a rule looks for its words in every one)."""
    if not isinstance(concept, OBJECT):
        return []
    names = [text for text in (text_of(concept.get("text")), *displays(concept)) if text]
    for coding in codings(concept):
        known = KNOWN_SUBSTANCES.get((str(coding.get("system")), text_of(coding.get("code")) or ""))
        if known is not None:
            names.append(known)
    return list(dict.fromkeys(names))


def _loinc_codes(concept: Any) -> frozenset[str]:
    if not isinstance(concept, OBJECT):
        return frozenset()
    return frozenset(
        code
        for coding in codings(concept)
        if coding.get("system") in (LOINC, None) and (code := text_of(coding.get("code"))) is not None
    )


def _value(source: str, resource: Resource) -> tuple[float, str | None] | HistoryProblem | None:
    """The observation's number and unit (its UCUM code, else its unit text); None when it says why
    it has none (``dataAbsentReason``): nothing to report."""
    quantity = resource.get("valueQuantity")
    if quantity is None:
        if resource.get("dataAbsentReason") is not None:
            return None
        number = resource.get("valueInteger")
        if isinstance(number, int) and not isinstance(number, bool):
            return float(number), None
        return HistoryProblem(source, "Observation.value[x]", "missing: a result is a valueQuantity")
    if not isinstance(quantity, OBJECT):
        message = f"must be a Quantity object, got {kind_of(quantity)}"
        return HistoryProblem(source, "Observation.valueQuantity", message)
    comparator = quantity.get("comparator")
    if comparator is not None:
        message = f"{comparator!r}: a bound, not a result (which value it was cannot be known); not used"
        return HistoryProblem(source, "Observation.valueQuantity.comparator", message)
    number = quantity.get("value")
    if isinstance(number, bool) or not isinstance(number, int | float):
        message = "missing" if number is None else f"{number!r} is not a number"
        return HistoryProblem(source, "Observation.valueQuantity.value", message)
    return float(number), text_of(quantity.get("code")) or text_of(quantity.get("unit"))


def _moment_text(resource: Resource) -> str | None:
    """When it happened, as written: ``effectiveDateTime``, ``effectivePeriod.start``,
    ``effectiveInstant``, else (an observation) ``issued``."""
    period = resource.get("effectivePeriod")
    for value in (
        resource.get("effectiveDateTime"),
        period.get("start") if isinstance(period, OBJECT) else None,
        resource.get("effectiveInstant"),
        resource.get("issued"),
    ):
        if isinstance(value, str) and value.strip():
            return value.strip()
    return None


def _when(resource: Resource, key: str) -> datetime | None:
    value = resource.get(key)
    try:
        return parse_ordered_at(value) if isinstance(value, str) else None
    except PatientFactError:
        return None


def _taken_at(resource: Resource) -> datetime | None:
    text = _moment_text(resource)
    try:
        return parse_ordered_at(text) if text is not None else None
    except PatientFactError:
        return None


def _refused(reasons: Any) -> bool:
    words = " ".join(
        name.lower()
        for reason in (reasons if isinstance(reasons, list) else [reasons])
        for name in _names(reason)
    )
    return any(word in words for word in REFUSAL_WORDS)


def _medication(resource: Resource, lookup: Lookup) -> tuple[str | None, dict[str, str]]:
    """The drug's name and its RxNorm / NDC codes, from ``medicationCodeableConcept`` or the
    Medication a ``medicationReference`` names (contained, or in the Bundle)."""
    concept = resource.get("medicationCodeableConcept")
    if isinstance(concept, OBJECT):
        return concept_name(concept), drug_codes(concept)
    reference = resource.get("medicationReference")
    if not isinstance(reference, OBJECT):
        return None, {}
    target = text_of(reference.get("reference"))
    medication: Resource | None = None
    if target is not None and target.startswith("#"):
        medication = next((c for c in _objects(resource.get("contained")) if c.get("id") == target[1:]), None)
    elif target is not None:
        medication = lookup(target)
    code = medication.get("code") if medication is not None else None
    if isinstance(code, OBJECT):
        return concept_name(code), drug_codes(code)
    display = text_of(reference.get("display"))
    return (ingredient_name(display) if display else None), {}


def _dose(source: str, dose: Any) -> tuple[float | None, float | None] | HistoryProblem:
    """A dose Quantity as (mcg, units), as an order's dose is read (``ug``, ``mg``, ``[iU]``, ...)."""
    path = f"{_MA}.dosage.dose"
    if dose is None:
        return None, None
    if not isinstance(dose, OBJECT):
        return HistoryProblem(source, path, f"must be a Quantity object, got {kind_of(dose)}")
    number = dose.get("value")
    if isinstance(number, bool) or not isinstance(number, int | float):
        return HistoryProblem(
            source, f"{path}.value", "missing" if number is None else f"{number!r} is not a number"
        )
    unit = unit_of(dose.get("code")) or unit_of(dose.get("unit"))
    written = text_of(dose.get("code")) or text_of(dose.get("unit"))
    if unit is None or unit[1] not in (MASS, ACTIVITY):
        message = f"{written!r} is not a unit of a dose given (expected {expected_units((MASS, ACTIVITY))})"
        return HistoryProblem(source, f"{path}.code", message)
    text = f"{format_number(float(number))} {unit[0]}"
    try:
        if unit[1] == MASS:
            return parse_mass(text).value, None
        units = parse_units(text)
    except QuantityError as error:
        return HistoryProblem(source, f"{path}.value", str(error))
    return (None, units.value) if units is not None else HistoryProblem(source, path, f"{text!r}: not a dose")


def _no_time(source: str, kind: str, resource: Resource) -> HistoryProblem:
    written = _moment_text(resource)
    if written is None:
        return HistoryProblem(source, f"{kind}.effective[x]", "missing: when?")
    try:
        parse_ordered_at(written)
    except ImplausibleTimeError as error:
        return HistoryProblem(source, f"{kind}.effective[x]", str(error))
    except PatientFactError:
        pass
    message = f"{written!r} is not an ISO 8601 date-time (e.g. '2026-03-01T09:00:00Z')"
    return HistoryProblem(source, f"{kind}.effective[x]", message)


def _route(route: Any) -> str | None:
    """A route CodeableConcept as a route the MAR writes (a SNOMED CT, EDQM or HL7 v3 code, else its
    text or display); its text when none is known, for the row normaliser to say why."""
    if not isinstance(route, OBJECT):
        return None
    for coding in codings(route):
        system, code = coding.get("system"), text_of(coding.get("code"))
        table = ROUTE_TABLES.get(system) if isinstance(system, str) else None
        if table is not None and code is not None and code in table:
            return table[code]
    written = [text for text in (text_of(route.get("text")), *displays(route)) if text]
    for text in written:
        found = route_name(text)
        if found is not None:
            return found
    return written[0] if written else None


def _pregnancy(source: str, resource: Resource, lookup: Lookup) -> list[Read]:
    """A pregnancy status as the ``pregnant`` field; nothing when it is unknown or absent."""
    patient = _patient_id(source, resource, "Observation.subject", lookup)
    if isinstance(patient, HistoryProblem):
        return [Read(patient)]
    flag = resource.get("valueBoolean")
    if isinstance(flag, bool):
        return [Read((patient, {"pregnant": "yes" if flag else "no"}), _taken_at(resource))]
    concept = resource.get("valueCodeableConcept")
    if concept is None:
        other = [key for key in resource if key.startswith("value")]
        if other:  # an answer in words, a number: no pregnancy status a rule can read
            message = (
                f"{other[0]}: a pregnancy status is a coded answer (valueCodeableConcept) or valueBoolean"
            )
            return [Read(HistoryProblem(source, "Observation.value[x]", message))]
        return []  # no answer (a dataAbsentReason, say)
    codes = [
        coding.get("code")
        for coding in (concept.get("coding") or [] if isinstance(concept, OBJECT) else [])
        if isinstance(coding, OBJECT)
    ]
    answers = {PREGNANCY_ANSWERS[code] for code in codes if code in PREGNANCY_ANSWERS}
    if len(answers) == 1:
        return [Read((patient, {"pregnant": answers.pop()}), _taken_at(resource))]
    if not answers and any(code in UNKNOWN_ANSWERS for code in codes):
        return []
    written = ", ".join(map(repr, codes)) or "no code"
    message = (
        f"{written}: not a pregnancy status (pregnant: SNOMED 77386006 or LOINC LA15173-0; "
        "not pregnant: 60001007 or LA26683-5; unknown: LA4489-6)"
    )
    return [Read(HistoryProblem(source, "Observation.valueCodeableConcept", message))]


def _measured(source: str, resource: Resource, lookup: Lookup) -> tuple[str, float, str | None] | list[Read]:
    """An Observation's patient and value with its unit, or what to read of it instead: its problem,
    or nothing (no value)."""
    patient = _patient_id(source, resource, "Observation.subject", lookup)
    if isinstance(patient, HistoryProblem):
        return [Read(patient)]
    value = _value(source, resource)
    if value is None:
        return []
    if isinstance(value, HistoryProblem):
        return [Read(value)]
    number, unit = value
    return patient, number, unit
