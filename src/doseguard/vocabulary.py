"""The fact vocabulary: every field a rule may read, with its type, unit and allowed values.

This is the contract between the order normaliser (which produces facts), the rule type checker
(which refuses rules that name unknown fields or compare the wrong types) and the engine (which
compares what it is given blindly: a string against a number silently compares as strings).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class FieldType(StrEnum):
    NUMBER = "number"
    STRING = "string"
    BOOL = "bool"
    STRING_LIST = "list of strings"
    NUMBER_LIST = "list of numbers"

    @property
    def element(self) -> FieldType | None:
        """The type of one element of a list type, else None."""
        return {FieldType.STRING_LIST: FieldType.STRING, FieldType.NUMBER_LIST: FieldType.NUMBER}.get(self)


class HistoryKind(StrEnum):
    """Kinds of patient data a run can hold. A rule that needs a kind the run holds none of is
    reported once for the run; one that needs data the run holds, but not for this patient or not in
    the window, gets a "not evaluated" finding on the order (docs/decisions/patient-context.md)."""

    PATIENT = "patient"  # weight, height, age, sex, renal function, pregnancy, allergies, conditions
    ADMINISTRATIONS = "administrations"  # the MAR: doses given, missed, refused
    LABS = "labs"  # laboratory results
    ORDERS = "orders"  # the patient's other orders (duplicate therapy)


@dataclass(frozen=True)
class FieldSpec:
    name: str
    type: FieldType
    label: str
    description: str
    unit: str | None = None
    values: tuple[str, ...] | None = None  # closed set of values for an enumerated string field
    may_be_zero: bool = False  # a number the order model lets be 0 (quantities and schedules never are)
    # The kind of patient data the field needs (None: the order's own field). A rule that cannot be
    # decided because such a field is absent is "not evaluated", never a silent pass.
    needs: HistoryKind | None = None


ROUTES = ("IM", "SC", "IV", "PO", "SL", "IN", "ID", "IT", "TOP")
SITES = (
    "deltoid", "vastus_lateralis", "ventrogluteal", "dorsogluteal",  # muscles
    "upper_arm", "back_of_arm", "thigh", "buttock", "abdomen",  # regions: no muscle named
)  # fmt: skip
"""Injection sites. A muscle names an intramuscular site; a region (an arm, a thigh, a buttock, the
abdomen) names where either route goes, and the rules say what it means for each route
(docs/decisions/injection-sites.md)."""
PHASES = ("repletion", "maintenance")
SEXES = ("female", "male", "other", "unknown")
"""Sex as FHIR's administrative gender codes (F/M are read as female/male)."""
DOSE_FORMS = ("injection", "oral", "sublingual", "nasal", "topical", "ophthalmic", "rectal", "inhalation")
"""The dose forms a pack's drug may say it covers (``forms: [injection]``) and a product name may state."""

_FIELDS = (
    FieldSpec(
        "drug",
        FieldType.STRING,
        "drug",
        "Drug name, lower case: the pack's name for its synonyms, product names ('Cyanocobalamin "
        "Injection USP 1000 mcg/mL') and codes (rxnorm, ndc); else the name as read.",
    ),
    FieldSpec("dose_mcg", FieldType.NUMBER, "dose", "Amount per administration.", unit="mcg"),
    FieldSpec(
        "dose_units",
        FieldType.NUMBER,
        "dose in units",
        "Amount per administration of a drug dosed in units ('5000 units', '10 IU', 'USP units'), never "
        "converted to mass; an order dosed in units for a drug whose rules read dose_mcg is invalid.",
        unit="units",
    ),
    FieldSpec("volume_ml", FieldType.NUMBER, "volume", "Volume per administration.", unit="mL"),
    FieldSpec(
        "concentration_mcg_per_ml",
        FieldType.NUMBER,
        "ordered concentration",
        "Concentration the order assumes.",
        unit="mcg/mL",
    ),
    FieldSpec(
        "product_concentration_mcg_per_ml",
        FieldType.NUMBER,
        "product concentration",
        "Strength on the vial to be used.",
        unit="mcg/mL",
    ),
    FieldSpec(
        "named_concentration_mcg_per_ml",
        FieldType.NUMBER,
        "strength in the drug's name",
        "Strength written in the drug's name ('Cyanocobalamin Injection USP 1000 mcg/mL'); also the "
        "product concentration when the order states none.",
        unit="mcg/mL",
    ),
    FieldSpec("route", FieldType.STRING, "route", "Route of administration, as a code.", values=ROUTES),
    FieldSpec(
        "site",
        FieldType.STRING,
        "site",
        "Injection site, without its side: a muscle (deltoid, vastus_lateralis, ventrogluteal, "
        "dorsogluteal) or a region with no muscle named (upper_arm, back_of_arm, thigh, buttock, "
        "abdomen); HL7 v3 ActSite codes (LD, RVL, LUA, ...) are read as their sites.",
        values=SITES,
    ),
    FieldSpec(
        "interval_days",
        FieldType.NUMBER,
        "frequency",
        "Days between administrations (three times a week = 7/3).",
        unit="days",
    ),
    FieldSpec(
        "interval_max_days",
        FieldType.NUMBER,
        "longest interval",
        "Days between administrations at the least frequent end of a range ('every 2-3 months' = 90, "
        "while interval_days is 60); the same as interval_days when the frequency is not a range.",
        unit="days",
    ),
    FieldSpec(
        "duration_days",
        FieldType.NUMBER,
        "duration",
        "Length of the plan; open-ended plans count as 36500 days.",
        unit="days",
    ),
    FieldSpec(
        "duration_open_ended", FieldType.BOOL, "open-ended duration", "True for lifelong/indefinite/ongoing."
    ),
    FieldSpec(
        "duration_until_response",
        FieldType.BOOL,
        "until a response",
        "True for an open-ended duration that ends at the patient's response ('until no further "
        "improvement', 'until response'), not at a date or a review; duration_open_ended is true too.",
    ),
    FieldSpec(
        "single_dose",
        FieldType.BOOL,
        "one-time order",
        "True for a one-time order: one administration ('once', 'STAT', 'x1', 'one time', 'single "
        "dose', 'once only', 'one dose', 'now'; a duration of 1 dose; FHIR repeat.count 1), absent "
        "otherwise. With no second dose there is no interval: such an order carries no interval_days "
        "or interval_max_days, and duration_days only when it states a duration of a day or less.",
    ),
    FieldSpec("phase", FieldType.STRING, "phase", "Treatment phase.", values=PHASES),
    FieldSpec(
        "administrations_given",
        FieldType.NUMBER,
        "administrations given",
        "Doses already given under this plan.",
        may_be_zero=True,
    ),
    FieldSpec("red_flags", FieldType.STRING_LIST, "red flags", "Observed red flags, lower_snake_case."),
    FieldSpec("allergies", FieldType.STRING_LIST, "allergies", "Allergies, lower case."),
    FieldSpec("conditions", FieldType.STRING_LIST, "conditions", "Conditions, lower case."),
    FieldSpec(
        "allergy_terms",
        FieldType.STRING_LIST,
        "allergy terms",
        "Every phrase of 1 to 4 words of every allergy, lower case, punctuation other than apostrophes "
        "removed, 'b-12' written 'b12' ('allergic to cobalt' gives 'allergic', ..., 'to cobalt', "
        "'allergic to cobalt'): a rule matches a word or phrase anywhere in an allergy by equality.",
    ),
    FieldSpec(
        "affirmed_allergy_terms",
        FieldType.STRING_LIST,
        "allergies stated as present",
        "The allergy_terms of the parts of allergies that are not negated, as "
        "affirmed_condition_terms are found: 'denies cobalt allergy', 'no allergy to vitamin B12', "
        "'cobalt allergy ruled out' give none of their words; 'no known drug allergies except cobalt' "
        "gives 'cobalt'. allergy_terms holds every phrase, negated or not.",
    ),
    FieldSpec(
        "condition_terms",
        FieldType.STRING_LIST,
        "condition terms",
        "Every phrase of 1 to 4 words of every condition, written as allergy_terms are.",
    ),
    FieldSpec(
        "affirmed_condition_terms",
        FieldType.STRING_LIST,
        "conditions stated as present",
        "The condition_terms of the parts of conditions that are not negated: 'pernicious anaemia "
        "without neurological involvement' gives 'pernicious anaemia' and its words, not "
        "'neurological'.",
    ),
    FieldSpec(
        "negated_condition_terms",
        FieldType.STRING_LIST,
        "conditions stated as absent",
        "The condition_terms of the parts of conditions recorded as absent: after 'no', 'not', "
        "'without', 'nil', 'denies', 'negative for', 'free of', 'absence of', 'excluding', or before "
        "'absent', 'excluded', 'ruled out', 'negative', 'none', 'not present' ('no neurological "
        "involvement', 'nil neuro', 'neuropathy: none'), up to a ';' or 'but', 'however', ...",
    ),
    FieldSpec(
        "weight_kg",
        FieldType.NUMBER,
        "weight",
        "The patient's weight ('80 kg', '176 lb', '850 g'; a bare number is kg), 0.3 to 500 kg.",
        unit="kg",
        needs=HistoryKind.PATIENT,
    ),
    FieldSpec(
        "height_cm",
        FieldType.NUMBER,
        "height",
        "The patient's height ('180 cm', '1.8 m', '5 ft 11 in'; a bare number is cm), 20 to 280 cm.",
        unit="cm",
        needs=HistoryKind.PATIENT,
    ),
    FieldSpec(
        "age_years",
        FieldType.NUMBER,
        "age",
        "The patient's age in years (0 to 130): as stated ('70', '6 months'), or the whole years from "
        "birth_date to the day of ordered_at (never to today; no ordered_at, no age from a birth date).",
        unit="years",
        may_be_zero=True,
        needs=HistoryKind.PATIENT,
    ),
    FieldSpec(
        "sex",
        FieldType.STRING,
        "sex",
        "The patient's sex as FHIR's gender codes (F and M are read as female and male).",
        values=SEXES,
        needs=HistoryKind.PATIENT,
    ),
    FieldSpec(
        "creatinine_clearance_ml_min",
        FieldType.NUMBER,
        "creatinine clearance",
        "Creatinine clearance (Cockcroft-Gault, as dosing tables use it), 0 to 250 mL/min; a value "
        "per 1.73 m² is an eGFR, not this.",
        unit="mL/min",
        may_be_zero=True,
        needs=HistoryKind.PATIENT,
    ),
    FieldSpec(
        "egfr",
        FieldType.NUMBER,
        "eGFR",
        "Estimated glomerular filtration rate, 0 to 250 mL/min/1.73 m².",
        unit="mL/min/1.73 m²",
        may_be_zero=True,
        needs=HistoryKind.PATIENT,
    ),
    FieldSpec(
        "pregnant",
        FieldType.BOOL,
        "pregnant",
        "True when the patient is pregnant, false when stated not to be (yes/no, true/false).",
        needs=HistoryKind.PATIENT,
    ),
    FieldSpec(
        "body_surface_area_m2",
        FieldType.NUMBER,
        "body surface area",
        "Mosteller's √(height cm × weight kg / 3600), to 2 decimals, from weight_kg and height_cm.",
        unit="m²",
        needs=HistoryKind.PATIENT,
    ),
    FieldSpec(
        "dose_mg",
        FieldType.NUMBER,
        "dose in mg",
        "dose_mcg / 1000, for rules written in mg (40 mg of enoxaparin). Absent with dose_mcg: a "
        "dose per kg with no weight has no absolute dose.",
        unit="mg",
    ),
    FieldSpec(
        "dose_mg_per_kg",
        FieldType.NUMBER,
        "dose per kg",
        "The dose per kg of body weight: as written ('1 mg/kg'), or dose_mg / weight_kg.",
        unit="mg/kg",
        needs=HistoryKind.PATIENT,
    ),
    FieldSpec(
        "dose_units_per_kg",
        FieldType.NUMBER,
        "dose in units per kg",
        "The dose in units per kg of body weight: as written ('100 units/kg'), or dose_units / weight_kg.",
        unit="units/kg",
        needs=HistoryKind.PATIENT,
    ),
    FieldSpec(
        "dose_mg_per_m2",
        FieldType.NUMBER,
        "dose per m²",
        "The dose per m² of body surface: as written ('75 mg/m²'), or dose_mg / body_surface_area_m2.",
        unit="mg/m²",
        needs=HistoryKind.PATIENT,
    ),
    FieldSpec(
        "notation_tokens",
        FieldType.STRING_LIST,
        "notation",
        "Unit and frequency abbreviations as written, lower case (e.g. 'ug', 'cc', 'qod').",
    ),
    FieldSpec(
        "trailing_zero_quantities",
        FieldType.STRING_LIST,
        "quantities with a trailing zero",
        "Quantities as written whose number has a trailing zero after the point ('1.0 mL').",
    ),
    FieldSpec(
        "missing_leading_zero_quantities",
        FieldType.STRING_LIST,
        "quantities without a leading zero",
        "Quantities as written whose number starts with the point ('.5 mL').",
    ),
)

MAX_PHRASE_WORDS = 4
"""The longest phrase (in words) in ``allergy_terms`` and ``condition_terms``."""
MAX_TERMS = 200
"""The most terms ``allergy_terms`` or ``condition_terms`` carries: shorter phrases are kept first."""

OPEN_ENDED_DAYS = 36500.0
"""How an open-ended duration (lifelong, indefinite, ongoing) is represented in ``duration_days``."""

VOCABULARY: dict[str, FieldSpec] = {spec.name: spec for spec in _FIELDS}


_NDC_SEGMENTS = {(4, 4, 2): (1, 0, 0), (5, 3, 2): (0, 1, 0), (5, 4, 1): (0, 0, 1), (5, 4, 2): (0, 0, 0)}
"""NDC segment lengths (labeler-product-package) and the zeros each segment is padded with to 5-4-2."""


def ndc_keys(text: str) -> tuple[str, ...]:
    """The 11-digit forms (5-4-2, no hyphens) an NDC can be, or 9 digits (5-4) for a product NDC
    without its package ("0517-0031"); () when the text is no NDC. A 10-digit NDC without hyphens
    can be three codes (4-4-2, 5-3-2 or 5-4-1): each is returned."""
    code = text.strip().upper().removeprefix("NDC").strip(" :#")
    parts = code.replace(" ", "-").split("-")
    if not all(part.isascii() and part.isdigit() for part in parts):
        return ()
    lengths = tuple(len(part) for part in parts)
    if len(parts) == 3 and lengths in _NDC_SEGMENTS:
        pads = _NDC_SEGMENTS[lengths]
        return ("".join("0" * pad + part for pad, part in zip(pads, parts, strict=True)),)
    if len(parts) == 2 and lengths in ((4, 4), (5, 3), (5, 4)):
        return (parts[0].rjust(5, "0") + parts[1].rjust(4, "0"),)
    if len(parts) == 1 and lengths == (11,):
        return (code,)
    if len(parts) == 1 and lengths == (10,):
        return ("0" + code, f"{code[:5]}0{code[5:]}", f"{code[:9]}0{code[9:]}")
    return ()
