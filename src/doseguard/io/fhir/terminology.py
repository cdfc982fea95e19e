"""The code systems and tables a MedicationRequest is read with (RxNorm, SNOMED CT, HL7 v3, UCUM),
and the lookups that turn a concept, a unit or a product's name into what the order record holds."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from doseguard.io.fhir.elements import OBJECT, Resource, text_of
from doseguard.numbers import format_number
from doseguard.orders import codes
from doseguard.orders.draft import StructuredFrequency, StructuredQuantity
from doseguard.orders.drugs import FORM_WORDS as FORM_WORDS_OF_DRUGS
from doseguard.orders.drugs import read_name

UCUM = "http://unitsofmeasure.org"
SNOMED = "http://snomed.info/sct"
EDQM = "http://standardterms.edqm.eu"
RXNORM_SYSTEM = "http://www.nlm.nih.gov/research/umls/rxnorm"
NDC_SYSTEM = "http://hl7.org/fhir/sid/ndc"
DRUG_CODE_FIELDS = {RXNORM_SYSTEM: "rxnorm", NDC_SYSTEM: "ndc"}
"""Code systems whose codes go to the record's code fields, where the packs' codes identify the drug."""
V3_ROUTE_SYSTEMS = (
    "http://terminology.hl7.org/CodeSystem/v3-RouteOfAdministration",
    "http://hl7.org/fhir/v3/RouteOfAdministration",
)
V3_SITE_SYSTEMS = ("http://terminology.hl7.org/CodeSystem/v3-ActSite", "http://hl7.org/fhir/v3/ActSite")
V3_TIMING_SYSTEMS = (
    "http://terminology.hl7.org/CodeSystem/v3-GTSAbbreviation",
    "http://hl7.org/fhir/v3/GTSAbbreviation",
)

RXNORM: dict[str, tuple[str, StructuredQuantity | None]] = {
    # RxCUI: (ingredient name, strength the code itself defines (mcg/mL), or None for an ingredient code)
    "309594": ("cyanocobalamin", StructuredQuantity(1000.0, "1000 mcg/1 mL")),  # 1 MG/ML Injectable Solution
    "11248": ("cyanocobalamin", None),  # ingredient
    "5493": ("hydroxocobalamin", None),  # ingredient
}
"""RxNorm codes known by number; any other code falls back to the concept's text or display."""

SNOMED_ROUTES = codes.SNOMED_ROUTE_CODES
EDQM_ROUTES = codes.EDQM_ROUTE_CODES
V3_ROUTES = {
    "IM": "IM", "IMD": "IM", "IMZ": "IM",
    "SQ": "SC", "SC": "SC",
    "IV": "IV", "IVINJ": "IV", "IVINJBOL": "IV", "IVPUSH": "IV", "IVRPUSH": "IV", "IVSPUSH": "IV",
    "IVC": "IV", "IVCC": "IV", "IVCI": "IV",
    "PO": "PO", "SL": "SL", "NASAL": "IN", "NASALINSTIL": "IN", "NASINHL": "IN",
    "IDINJ": "ID", "IT": "IT", "ITINJ": "IT", "TOPICAL": "TOP", "SKIN": "TOP",
}  # fmt: skip
ROUTE_TABLES: dict[str, dict[str, str]] = {
    SNOMED: SNOMED_ROUTES,
    EDQM: EDQM_ROUTES,
    **dict.fromkeys(V3_ROUTE_SYSTEMS, V3_ROUTES),
}
"""Each route code system by its URI, with its codes' routes."""
V3_SITES = codes.ACT_SITES
TIMING_CODES: dict[str, StructuredFrequency] = {
    # v3 GTSAbbreviation: structured, so that a coded "QD" is not reported as handwritten "QD"
    code: StructuredFrequency(days, shown)
    for code, (days, shown) in {
        "QD": (1, "daily"), "AM": (1, "daily"), "PM": (1, "daily"), "BED": (1, "daily"),
        "QOD": (2, "every 2 days"), "BID": (1 / 2, "twice daily"), "TID": (1 / 3, "3 times a day"),
        "QID": (1 / 4, "4 times a day"), "Q1H": (1 / 24, "every 1 hour"), "Q2H": (2 / 24, "every 2 hours"),
        "Q3H": (3 / 24, "every 3 hours"), "Q4H": (4 / 24, "every 4 hours"), "Q6H": (6 / 24, "every 6 hours"),
        "Q8H": (8 / 24, "every 8 hours"), "WK": (7, "weekly"), "MO": (30, "monthly"),
    }.items()
}  # fmt: skip
ONE_TIME_CODES = {"ONCE": "once"}
"""A one-time order's code (HL7 v2 table 0335 "Once": one time only; EHRs send it under the v3 system or
none), as the text read as any frequency: one dose, no interval."""
V2_REPEAT_PATTERN = "http://terminology.hl7.org/CodeSystem/v2-0335"
WEEKDAYS = frozenset({"mon", "tue", "wed", "thu", "fri", "sat", "sun"})
PERIOD_DAYS = {"h": 1 / 24, "d": 1.0, "wk": 7.0, "mo": 30.0, "a": 365.0}
"""UCUM period units in days, as :mod:`doseguard.orders.schedule` counts them (a month is 30 days)."""
DURATION_WORDS = {"d": "day", "wk": "week", "mo": "month", "a": "year"}
DURATION_UNITS = {
    "d": "d", "day": "d", "days": "d", "wk": "wk", "week": "wk", "weeks": "wk", "mo": "mo",
    "month": "mo", "months": "mo", "a": "a", "year": "a", "years": "a",
    "h": "h", "hour": "h", "hours": "h", "min": "min", "minute": "min", "minutes": "min", "s": "s",
}  # fmt: skip
MASS, VOLUME, ACTIVITY = "mass", "volume", "activity"
UNITS: dict[str, tuple[str, str]] = {
    # lower-case UCUM code or display text: (unit as the record writes it, kind)
    "ug": ("mcg", MASS), "mcg": ("mcg", MASS), "µg": ("mcg", MASS), "μg": ("mcg", MASS),
    "microgram": ("mcg", MASS), "micrograms": ("mcg", MASS),
    "mg": ("mg", MASS), "milligram": ("mg", MASS), "milligrams": ("mg", MASS),
    "g": ("g", MASS), "gram": ("g", MASS), "grams": ("g", MASS),
    "ml": ("mL", VOLUME), "milliliter": ("mL", VOLUME), "milliliters": ("mL", VOLUME),
    "millilitre": ("mL", VOLUME), "millilitres": ("mL", VOLUME),
    "l": ("L", VOLUME), "liter": ("L", VOLUME), "litre": ("L", VOLUME),
    # units of activity (heparin, insulin, ...): a dose in units, never converted to mass
    "[iu]": ("units", ACTIVITY), "u": ("units", ACTIVITY), "[usp'u]": ("units", ACTIVITY),
    "units": ("units", ACTIVITY), "unit": ("units", ACTIVITY), "iu": ("units", ACTIVITY),
    "international units": ("units", ACTIVITY), "international unit": ("units", ACTIVITY),
    "usp units": ("units", ACTIVITY),
    "[u]": ("units", ACTIVITY),  # not UCUM, but what some exports code "units" as (insulin)
}  # fmt: skip
FORM_WORDS = {
    "injection", "injectable", "inj", "inj.", "solution", "soln", "sol", "suspension", "vial", "vials",
    "ampoule", "ampoules", "ampule", "ampules", "prefilled", "syringe", "for", "intramuscular", "im",
    "usp", "bp", "ph.eur.",
}  # fmt: skip
"""Words of a product's name that are not its ingredient's ("cyanocobalamin injection")."""

NUMBER_START = re.compile(r"^[\d.]")
SITE_NOISE = re.compile(r"^(?:structure of|entire)\s+|\s+(?:muscle|muscle structure|structure|region)$")
ROUTE_NOISE = re.compile(r"\s+route$", re.IGNORECASE)
QUALIFIER = re.compile(r"\s*\((?:body structure|qualifier value)\)$", re.IGNORECASE)
ENDED_STATUSES = ("cancelled", "completed", "entered-in-error", "stopped")
"""R4 statuses of an order that is no longer to be given: its dosage is not read (not alerted on)."""
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


def codings(concept: Resource) -> list[Resource]:
    codings = concept.get("coding")
    if not isinstance(codings, list):
        return []
    return [coding for coding in codings if isinstance(coding, OBJECT)]


def implied_strength(concept: Resource) -> tuple[StructuredQuantity, float] | None:
    """The strength an RxNorm clinical-drug code defines (309594 is 1 MG/ML), if the code is known, else
    the one strength the concept's names state (none when they state two)."""
    for coding in codings(concept):
        if coding.get("system") == RXNORM_SYSTEM:
            known = RXNORM.get(text_of(coding.get("code")) or "")
            if known is not None and known[1] is not None:
                return known[1], known[1].value
    names = [text for text in (text_of(concept.get("text")), *displays(concept)) if text]
    strengths = {value for name in names for value in read_name(name).strengths}
    if len(strengths) == 1:  # "Cyanocobalamin Injection USP 1000 mcg/mL": the product's, as its name says
        value = strengths.pop()
        return StructuredQuantity(value, f"{format_number(value)} mcg/mL"), value
    return None


def displays(concept: Resource) -> list[str]:
    return [text for text in (text_of(coding.get("display")) for coding in codings(concept)) if text]


@lru_cache(maxsize=1024)
def site_name(text: str) -> str | None:
    """Site text the normaliser understands: "Structure of left deltoid muscle" -> "left deltoid"."""
    if codes.site_code(text) is not None:
        return text
    cleaned = SITE_NOISE.sub("", QUALIFIER.sub("", text.lower())).strip()
    cleaned = SITE_NOISE.sub("", cleaned).strip()
    return cleaned if codes.site_code(cleaned) is not None else None


@lru_cache(maxsize=1024)
def route_name(text: str) -> str | None:
    """Route text the normaliser understands: "Intramuscular route" -> "Intramuscular"."""
    cleaned = ROUTE_NOISE.sub("", QUALIFIER.sub("", text))
    return cleaned if codes.route_code(cleaned) is not None else None


def unit_of(text: Any) -> tuple[str, str] | None:
    """The record's unit and its kind for a UCUM code or unit text ("ug" -> "mcg"), if known."""
    if not isinstance(text, str):
        return None
    return UNITS.get(text) or UNITS.get(text.strip().lower())


def expected_units(kinds: tuple[str, ...]) -> str:
    shown = {MASS: "mcg, mg or g (UCUM ug, mg, g)", VOLUME: "mL or L", ACTIVITY: "units (UCUM [iU], U)"}
    return " or ".join(shown[kind] for kind in kinds)


def concept_name(concept: Resource) -> str | None:
    """The ingredient a CodeableConcept names: a known RxNorm code, else its text, else a display."""
    found = codings(concept)
    for coding in found:
        if coding.get("system") == RXNORM_SYSTEM:
            known = RXNORM.get(text_of(coding.get("code")) or "")
            if known is not None:
                return known[0]
    for text in [concept.get("text")] + [coding.get("display") for coding in found]:
        if isinstance(text, str) and text.strip():
            return ingredient_name(text)
    for field, code in drug_codes(concept).items():  # a code alone: a pack that lists it names the drug
        return f"{field} {code}"
    return None


def drug_codes(concept: Resource) -> dict[str, str]:
    """The concept's RxNorm and NDC codes as the record's ``rxnorm`` and ``ndc`` fields ('; '-joined)."""
    found: dict[str, list[str]] = {}
    for coding in codings(concept):
        field = DRUG_CODE_FIELDS.get(str(coding.get("system")))
        code = text_of(coding.get("code"))
        if field is not None and code is not None and code not in found.setdefault(field, []):
            found[field].append(code)
    return {field: "; ".join(found_codes) for field, found_codes in found.items() if found_codes}


KNOWN_INGREDIENTS = frozenset(name for name, _ in RXNORM.values())


def known_ingredients(concept: Resource) -> list[str]:
    """The known ingredients (:data:`RXNORM`'s) a concept names, by its RxNorm codes, text and
    displays, in order; more than one means its codings disagree."""
    named: list[str] = []
    found = codings(concept)
    for coding in found:
        if coding.get("system") == RXNORM_SYSTEM:
            known = RXNORM.get(text_of(coding.get("code")) or "")
            if known is not None and known[0] not in named:
                named.append(known[0])
    for text in [concept.get("text")] + [coding.get("display") for coding in found]:
        if isinstance(text, str) and text.strip():
            name = ingredient_name(text).casefold()
            if name in KNOWN_INGREDIENTS and name not in named:
                named.append(name)
    return named


@lru_cache(maxsize=1024)
def ingredient_name(text: str) -> str:
    """A product's name cut to its ingredient's: the words before the strength, less form words. A
    name of another form than an injection ("cyanocobalamin 1000 mcg tablet") is kept whole: cut, it
    would read as the injection; whole, :mod:`doseguard.orders.drugs` says it is not covered."""
    if any(
        FORM_WORDS_OF_DRUGS.get(word.strip(",;()").lower(), "injection") != "injection"
        for word in text.split()
    ):
        return text.strip()
    words: list[str] = []
    for word in text.split():
        if NUMBER_START.match(word):
            break
        words.append(word)
    while words and words[-1].lower().strip(",;") in FORM_WORDS:
        words.pop()
    return " ".join(words).rstrip(",;") if words else text.strip()
