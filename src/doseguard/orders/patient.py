"""Patient facts and the order time, read as orders and patient files write them.

Weight to kg, height to cm, age to years, creatinine clearance and eGFR to mL/min (eGFR per 1.73 m²),
sex to a FHIR gender code, pregnancy to true/false; a bare number is taken in the fact's own unit. A
value outside a plausible range is refused, never passed on: "1.8" as a height is 1.8 cm, not 1.8 m.
``birth_date`` gives ``age_years`` at ``ordered_at``, never at today, so a batch checked next year
gives the same answers. Each parser raises :class:`PatientFactError` with a message for a person.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import lru_cache
from typing import Any, Protocol

from doseguard.errors import FieldProblem, ImplausibleTimeError, PatientFactError, QuantityError
from doseguard.numbers import format_number
from doseguard.orders.quantities import PerBodyDose, checked_amount

PLAUSIBLE = {
    "weight_kg": (0.3, 500.0),
    "height_cm": (20.0, 280.0),
    "age_years": (0.0, 130.0),
    "creatinine_clearance_ml_min": (0.0, 250.0),
    "egfr": (0.0, 250.0),
}
"""The range a value must fall in (inclusive), in the fact's unit: outside it, it is a typo or a
value in another unit (a weight in g written as kg), and a dose computed from it would be wrong."""

_WEIGHT_TO_KG = {
    "kg": 1.0, "kgs": 1.0, "kilogram": 1.0, "kilograms": 1.0, "kilo": 1.0, "kilos": 1.0,
    "g": 0.001, "gram": 0.001, "grams": 0.001,
    "lb": 0.45359237, "lbs": 0.45359237, "pound": 0.45359237, "pounds": 0.45359237,
}  # fmt: skip
_HEIGHT_TO_CM = {
    "cm": 1.0, "centimetre": 1.0, "centimetres": 1.0, "centimeter": 1.0, "centimeters": 1.0,
    "m": 100.0, "metre": 100.0, "metres": 100.0, "meter": 100.0, "meters": 100.0,
    "in": 2.54, "inch": 2.54, "inches": 2.54, '"': 2.54,
    "ft": 30.48, "foot": 30.48, "feet": 30.48, "'": 30.48,
}  # fmt: skip
_AGE_TO_YEARS = {
    "y": 1.0, "yr": 1.0, "yrs": 1.0, "year": 1.0, "years": 1.0, "yo": 1.0, "years old": 1.0,
    "month": 1 / 12, "months": 1 / 12, "mo": 1 / 12, "mos": 1 / 12,
    "week": 7 / 365.25, "weeks": 7 / 365.25, "wk": 7 / 365.25, "wks": 7 / 365.25,
    "day": 1 / 365.25, "days": 1 / 365.25, "d": 1 / 365.25,
}  # fmt: skip
_RENAL_UNITS = ("ml/min",)
_EGFR_COMPACT = frozenset({"ml/min/1.73m2", "ml/min/1.73m^2"})
"""eGFR's unit, without spaces and with "²" as "2"."""
_SEX_CODES = {"female": "female", "f": "female", "male": "male", "m": "male", "other": "other",
         "o": "other", "unknown": "unknown", "u": "unknown"}  # fmt: skip
"""Sex as FHIR's administrative gender codes (female, male, other, unknown); F/M/O/U accepted."""
_YES_NO = {"yes": True, "y": True, "true": True, "no": False, "n": False, "false": False}

_NUMBER = r"(?:\d+(?:\.\d*)?|\.\d+)"
_AMOUNT = re.compile(rf"^(?P<number>{_NUMBER})\s*(?P<unit>[^\d\s][^\d]*?)?$")
_RENAL = re.compile(rf"^(?P<number>{_NUMBER})\s*(?P<unit>[a-z/][^\s].*)?$")
_FEET_INCHES = re.compile(
    rf"^(?P<feet>{_NUMBER})\s*(?:ft|foot|feet|')\s*(?P<inches>{_NUMBER})\s*(?:in|inch|inches|\"|'')?$"
)
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_ISO_DATE_TIME = re.compile(
    r"^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$"
)
_LABELS = {
    "weight_kg": ("weight", "kg", "'80 kg' or '176 lb'"),
    "height_cm": ("height", "cm", "'180 cm', '1.8 m' or '5 ft 11 in'"),
    "age_years": ("age", "years", "'70' or '70 years'"),
    "creatinine_clearance_ml_min": ("creatinine clearance", "mL/min", "'25 mL/min'"),
    "egfr": ("eGFR", "mL/min/1.73 m²", "'40 mL/min/1.73m2'"),
}


def _amount(text: str, field: str, units: dict[str, float]) -> float:
    """A number and an optional unit of ``units`` (none: the fact's own unit), range-checked."""
    what, _, example = _LABELS[field]
    clean = " ".join(text.strip().split())
    match = _AMOUNT.match(clean.lower())
    if match is None:
        raise PatientFactError(f"{clean!r} is not a {what} (expected a number and a unit, e.g. {example})")
    written = (match.group("unit") or "").strip().rstrip(".")
    factor = units.get(written) if written else 1.0
    if factor is None:
        raise PatientFactError(f"{clean!r}: unknown unit {written!r} for a {what} (e.g. {example})")
    return _plausible(float(match.group("number")) * factor, clean, field)


def _plausible(value: float, text: str, field: str) -> float:
    what, unit, _ = _LABELS[field]
    low, high = PLAUSIBLE[field]
    value = round(value, 6)
    if not low <= value <= high or (field == "weight_kg" and value <= 0):
        raise PatientFactError(
            f"{text!r} is outside the plausible range of a {what} ({format_number(low)}-"
            f"{format_number(high)} {unit}): check the value and its unit"
        )
    return value


@lru_cache(maxsize=1024)
def parse_weight(text: str) -> float:
    """``"80 kg"``, ``"176 lb"``, ``"850 g"``, ``"80.5"`` → kg."""
    if text.strip().startswith("-"):
        return _plausible(-1.0, text.strip(), "weight_kg")
    return _amount(text, "weight_kg", _WEIGHT_TO_KG)


@lru_cache(maxsize=1024)
def parse_height(text: str) -> float:
    """``"180 cm"``, ``"1.8 m"``, ``"71 in"``, ``"5 ft 11 in"``, ``"5' 11\\""`` → cm."""
    clean = " ".join(text.strip().split())
    both = _FEET_INCHES.match(clean.lower())
    if both is not None:
        inches = float(both.group("feet")) * 12 + float(both.group("inches"))
        return _plausible(inches * 2.54, clean, "height_cm")
    return _amount(clean, "height_cm", _HEIGHT_TO_CM)


@lru_cache(maxsize=1024)
def parse_age(text: str) -> float:
    """``"70"``, ``"70 years"``, ``"6 months"`` → years."""
    if text.strip().startswith("-"):
        return _plausible(-1.0, text.strip(), "age_years")
    return _amount(text, "age_years", _AGE_TO_YEARS)


@lru_cache(maxsize=1024)
def parse_renal(text: str, field: str) -> float:
    """Creatinine clearance (``"25 mL/min"``) or eGFR (``"40 mL/min/1.73m2"``; "mL/min" is read as the
    same number) → mL/min. A clearance in eGFR's unit is refused: indexed to 1.73 m², it is not the
    Cockcroft-Gault clearance dosing tables use, and which is meant decides the dose."""
    what, unit, example = _LABELS[field]
    clean = " ".join(text.strip().split())
    match = _RENAL.match(clean.lower())
    if match is None:
        raise PatientFactError(f"{clean!r} is not a number ({what} in {unit}, e.g. {example})")
    written = (match.group("unit") or "").strip()
    indexed = _compact(written) in _EGFR_COMPACT
    if written and written not in _RENAL_UNITS and not indexed:
        raise PatientFactError(
            f"{clean!r}: unknown unit {written!r} for a {what} (expected {unit}, e.g. {example})"
        )
    if indexed and field != "egfr":
        raise PatientFactError(
            f"{clean!r} is per 1.73 m², an eGFR, not a creatinine clearance in mL/min: give it as egfr"
        )
    return _plausible(float(match.group("number")), clean, field)


@lru_cache(maxsize=64)
def _compact(unit: str) -> str:
    return unit.replace(" ", "").replace("²", "2")


@lru_cache(maxsize=64)
def parse_sex(text: str) -> str:
    sex = _SEX_CODES.get(text.strip().lower())
    if sex is None:
        raise PatientFactError(
            f"unknown sex {text.strip()!r} (expected female, male, other or unknown; F or M)"
        )
    return sex


@lru_cache(maxsize=64)
def parse_pregnant(text: str) -> bool:
    answer = _YES_NO.get(text.strip().lower())
    if answer is None:
        raise PatientFactError(f"{text.strip()!r}: pregnant is yes or no (true or false)")
    return answer


@lru_cache(maxsize=1024)
def parse_birth_date(text: str) -> date:
    """A full ISO date (``1956-04-02``): a year or a month alone would give an age a year out."""
    clean = text.strip()
    try:
        if _ISO_DATE.match(clean) is None:
            raise ValueError
        return date.fromisoformat(clean)
    except ValueError:
        raise PatientFactError(f"{clean!r} is not a birth date (write an ISO date, YYYY-MM-DD)") from None


PLAUSIBLE_YEARS = range(1900, 2200)
"""Years an order, a dose given or a lab result may be written in: outside them a time is a typo (9999,
1066), and year 1 with an offset is before the first instant Python can hold in UTC."""


def implausible_year(written: str, when: date) -> ImplausibleTimeError | None:
    """The problem with a time read from ``written`` whose year is outside :data:`PLAUSIBLE_YEARS`."""
    return None if when.year in PLAUSIBLE_YEARS else ImplausibleTimeError(written, when.year, PLAUSIBLE_YEARS)


@lru_cache(maxsize=4096)
def parse_ordered_at(text: str) -> datetime:
    """An ISO 8601 date-time (UTC when it has no offset) or date (that day, 00:00 UTC), in a
    plausible year."""
    clean = text.strip()
    try:
        if _ISO_DATE_TIME.match(clean) is None:
            raise ValueError
        when = datetime.fromisoformat(clean)
    except ValueError:
        raise PatientFactError(
            f"{clean!r} is not an ISO 8601 date or date-time (e.g. '2026-03-01T09:00:00Z', '2026-03-01')"
        ) from None
    if (problem := implausible_year(clean, when)) is not None:
        raise problem
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)


def age_at(born: date, when: datetime) -> int:
    """Whole years from ``born`` to the calendar day of ``when`` (in its own offset: the day the
    order was written where it was written)."""
    day = when.date()
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def body_surface_area_m2(weight_kg: float, height_cm: float) -> float:
    """Mosteller's formula, √(height cm × weight kg / 3600), to 2 decimals as dosing tables use it."""
    return round(math.sqrt(weight_kg * height_cm / 3600), 2)


class _PatientRecord(Protocol):
    weight_kg: str | None
    height_cm: str | None
    age_years: str | None
    birth_date: str | None
    sex: str | None
    creatinine_clearance_ml_min: str | None
    egfr: str | None
    pregnant: str | None
    ordered_at: str | None


@dataclass(slots=True)
class PatientReading:
    """What a record says of its patient and its time: the facts, and what the dose facts need."""

    facts: dict[str, Any] = field(default_factory=dict)
    ordered_at: datetime | None = None

    @property
    def weight_kg(self) -> float | None:
        return self.facts.get("weight_kg")

    @property
    def body_surface_area_m2(self) -> float | None:
        return self.facts.get("body_surface_area_m2")


_READERS: tuple[tuple[str, Callable[[str], Any]], ...] = (
    ("weight_kg", parse_weight),
    ("height_cm", parse_height),
    ("age_years", parse_age),
    ("sex", parse_sex),
    ("creatinine_clearance_ml_min", lambda text: parse_renal(text, "creatinine_clearance_ml_min")),
    ("egfr", lambda text: parse_renal(text, "egfr")),
    ("pregnant", parse_pregnant),
)


def read_patient(record: _PatientRecord, problems: list[FieldProblem], warnings: list[str]) -> PatientReading:
    """The patient's facts and the order time of ``record``; what is wrong goes to ``problems`` (each
    naming its field), what the order should say to ``warnings``."""
    reading = PatientReading()
    facts = reading.facts
    for name, reader in _READERS:
        text = getattr(record, name)
        if text is None:
            continue
        try:
            facts[name] = reader(text)
        except PatientFactError as error:
            problems.append(FieldProblem(name, str(error), text))
    if record.ordered_at is not None:
        try:
            reading.ordered_at = parse_ordered_at(record.ordered_at)
        except PatientFactError as error:
            problems.append(FieldProblem("ordered_at", str(error), record.ordered_at))
    if record.birth_date is not None:
        _age_from_birth_date(record, reading, problems, warnings)
    if "weight_kg" in facts and "height_cm" in facts:
        facts["body_surface_area_m2"] = body_surface_area_m2(facts["weight_kg"], facts["height_cm"])
    return reading


def _age_from_birth_date(
    record: _PatientRecord, reading: PatientReading, problems: list[FieldProblem], warnings: list[str]
) -> None:
    """``age_years`` at the order from ``birth_date``; a stated age must agree with it."""
    text = record.birth_date or ""
    try:
        born = parse_birth_date(text)
    except PatientFactError as error:
        problems.append(FieldProblem("birth_date", str(error), text))
        return
    when = reading.ordered_at
    if when is None:
        if record.ordered_at is None:
            warnings.append(
                "birth_date: the order has no ordered_at, so no age is worked out from the birth date "
                "(an age counted to today would change with the day the batch is checked)"
            )
        return
    if born > when.date():
        problems.append(FieldProblem("birth_date", f"{text!r} is after the order ({when.date()})", text))
        return
    years = age_at(born, when)
    oldest = PLAUSIBLE["age_years"][1]
    if years > oldest:
        message = f"{text!r} gives an age of {years} years at the order ({when.date()}), more than {oldest:g}"
        problems.append(FieldProblem("birth_date", message, text))
        return
    stated = reading.facts.get("age_years")
    if stated is not None and math.floor(stated) != years:
        problems.append(
            FieldProblem(
                "age_years",
                f"says {format_number(stated)}, but birth_date {text} gives {years} at the order "
                f"({when.date()}): which is right?",
                record.age_years,
            )
        )
        return
    if stated is None:
        reading.facts["age_years"] = float(years)


def add_dose_facts(
    facts: dict[str, Any], per_body: PerBodyDose | None, reading: PatientReading, problems: list[FieldProblem]
) -> None:
    """The dose facts that need the patient: a dose written per kg or m² as written, and its absolute
    dose when the weight (or surface) is known; an absolute dose per kg and per m²; dose_mg."""
    weight, surface = reading.weight_kg, reading.body_surface_area_m2
    if per_body is not None:
        value = per_body.quantity.value
        facts[per_body.fact] = value
        basis = surface if per_body.fact == "dose_mg_per_m2" else weight
        if basis is not None:
            absolute = value * basis * (1.0 if per_body.fact == "dose_units_per_kg" else 1000.0)
            try:
                amount = checked_amount(absolute, per_body.quantity.text, "dose")
            except QuantityError as error:
                problems.append(FieldProblem("dose", str(error), per_body.quantity.text))
                return
            facts["dose_units" if per_body.fact == "dose_units_per_kg" else "dose_mcg"] = amount
    mcg = facts.get("dose_mcg")
    if mcg is not None:
        facts["dose_mg"] = round(mcg / 1000, 6)
        if weight is not None:
            facts.setdefault("dose_mg_per_kg", round(mcg / 1000 / weight, 6))
        if surface is not None:
            facts.setdefault("dose_mg_per_m2", round(mcg / 1000 / surface, 6))
    units = facts.get("dose_units")
    if units is not None and weight is not None:
        facts.setdefault("dose_units_per_kg", round(units / weight, 6))
