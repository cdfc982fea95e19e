"""Parse quantities as prescribers write them, normalise units, and note how they were written.

Doses go to mcg (a dose in units stays in units), volumes to mL, concentrations to mcg/mL, before
anything reaches the engine (which compares strings and numbers blindly). The text as written is
kept, with the notation facts the notation rules read: the unit token as written ("ug", "cc", "IU"),
a trailing zero ("1.0 mL"), a missing leading zero (".5 mL"). Parsing is cached: in a batch the same
strings come back again and again.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from doseguard.errors import QuantityError
from doseguard.numbers import format_grouped, format_number

MASS_TO_MCG: dict[str, float] = {
    "mcg": 1.0,
    "microgram": 1.0,
    "micrograms": 1.0,
    "ug": 1.0,
    "µg": 1.0,  # U+00B5 MICRO SIGN
    "μg": 1.0,  # U+03BC GREEK SMALL LETTER MU
    "mg": 1000.0,
    "milligram": 1000.0,
    "milligrams": 1000.0,
    "g": 1_000_000.0,
    "gram": 1_000_000.0,
    "grams": 1_000_000.0,
}
VOLUME_TO_ML: dict[str, float] = {
    "ml": 1.0,
    "milliliter": 1.0,
    "milliliters": 1.0,
    "millilitre": 1.0,
    "millilitres": 1.0,
    "cc": 1.0,
    "l": 1000.0,
    "liter": 1000.0,
    "liters": 1000.0,
    "litre": 1000.0,
    "litres": 1000.0,
}
MASS_SHOWN = {1.0: "mcg", 1000.0: "mg", 1_000_000.0: "g"}
VOLUME_SHOWN = {1.0: "mL", 1000.0: "L"}
"""Each unit's factor as messages spell the unit ("milligrams" is "mg", "ug" is "mcg")."""
UNIT_HINT = {"mass": "mcg, mg or g", "volume": "mL or L", "concentration": "mcg/mL or mg/mL"}

SMALLEST = 1e-6
LARGEST = 1e9
"""Normalised values outside this range are refused: no real order needs them, and the engine fails
on numbers that JSON writes with an exponent."""

_NUMBER = r"(?P<number>(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d*)?|\.\d+)"
_AMOUNT = re.compile(rf"^\s*(?P<sign>[-+])?\s*{_NUMBER}\s*(?P<unit>[^\W\d_]+\.?)?\s*$")
_UNITS = re.compile(
    rf"^\s*(?P<sign>[-+])?\s*{_NUMBER}\s*(?P<unit>(?:international|usp)\s+units?|units?|iu|i\.u\.|u)\s*$",
    re.IGNORECASE,
)
"""A dose in units: units, unit, IU, I.U., U, international units, USP units (never converted to mass:
a unit is the drug's own measure of activity)."""
_RATIO = re.compile(r"^(?P<top>.+?)\s*(?:/|\bper\b|\bin\b)\s*(?P<bottom>.+)$", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Quantity:
    """A quantity parsed from text: its value (mcg, mL or mcg/mL) and what the notation rules read."""

    value: float
    text: str
    notation: tuple[str, ...] = ()
    trailing_zero: bool = False
    missing_leading_zero: bool = False
    # The number and unit as the order stated them ("1 mg": (1.0, "mg")), for messages; None when the
    # order wrote the normalised unit itself (mcg, mL, mcg/mL; "ug" and "cc" are those too).
    ordered: tuple[float, str] | None = None

    @property
    def written(self) -> str:
        """What was written (see :mod:`doseguard.orders.draft`)."""
        return self.text


@dataclass(frozen=True, slots=True)
class _Amount:
    number: float
    unit: str | None  # lower case, trailing period removed
    unit_as_written: str | None  # lower case, as written
    trailing_zero: bool
    missing_leading_zero: bool


def _clean(text: str) -> str:
    # NFKC would fold U+00B5 into U+03BC; keep both as written (both are error-prone notation).
    return unicodedata.normalize("NFC", text).strip()


def _amount(text: str, what: str, whole: str | None = None) -> _Amount:
    """One number and unit; ``whole`` is the full text to quote in messages (for a part of a ratio)."""
    quoted = whole if whole is not None else text
    match = _AMOUNT.match(text)
    if match is None:
        if re.search(r"\d,\d(?!\d{2})", text):
            raise QuantityError(f"{quoted!r}: write decimals with a point ('0.5'), not a comma")
        raise QuantityError(
            f"{quoted!r} is not a {what} (expected a number and a unit, e.g. {_example(what)})"
        )
    if match.group("sign") == "-":
        raise QuantityError(f"{quoted!r}: a {what} cannot be negative")
    written = match.group("number")
    number = float(written.replace(",", ""))
    unit_written = match.group("unit")
    unit = unit_written.lower().rstrip(".") if unit_written else None
    fraction = written.split(".", 1)[1] if "." in written else ""
    return _Amount(
        number=number,
        unit=unit,
        unit_as_written=unit_written.lower() if unit_written else None,
        trailing_zero=bool(fraction) and fraction.endswith("0"),
        missing_leading_zero=written.startswith("."),
    )


def _example(what: str) -> str:
    if "concentration" in what:
        return "'1000 mcg/mL'"
    return "'1 mL'" if what == "volume" else "'1000 mcg'"


def checked_amount(value: float, text: str, what: str) -> float:
    """``value`` rounded as facts carry it; refused (naming ``text``) when not a plausible amount."""
    if value <= 0:
        raise QuantityError(f"{text!r}: a {what} must be greater than zero")
    if value < SMALLEST or value > LARGEST:
        raise QuantityError(f"{text!r}: {what} is out of any plausible range")
    return round(value, 6)


def _notation(*amounts: _Amount) -> tuple[str, ...]:
    """Unit tokens as written; a unit with a full stop ('mg.') is noted with and without it."""
    tokens: list[str] = []
    for amount in amounts:
        if amount.unit:
            tokens.append(amount.unit)
        if amount.unit_as_written and amount.unit_as_written != amount.unit:
            tokens.append(amount.unit_as_written)
    return tuple(tokens)


@lru_cache(maxsize=4096)
def parse_mass(text: str, what: str = "dose") -> Quantity:
    """``"1 mg"`` → 1000 mcg."""
    clean = _clean(text)
    amount = _amount(clean, what)
    factor = _unit_factor(amount, MASS_TO_MCG, clean, what, "mass")
    return _quantity(amount.number * factor, clean, what, amount, _ordered(amount.number, factor, MASS_SHOWN))


@lru_cache(maxsize=4096)
def parse_units(text: str, what: str = "dose") -> Quantity | None:
    """``"5000 units"`` → 5000 units, and the unit as written ("IU", "U") for the notation rules; None
    for a text that is not an amount in units (a mass, a volume, words)."""
    clean = _clean(text)
    match = _UNITS.match(clean)
    if match is None:
        return None
    written_unit = " ".join(match.group("unit").lower().split())
    amount = _amount(f"{match.group('sign') or ''}{match.group('number')} units", what, clean)
    unit = written_unit.rstrip(".")
    notation = (unit, written_unit) if unit != written_unit else (unit,)
    return Quantity(
        checked_amount(amount.number, clean, what),
        clean,
        notation,
        amount.trailing_zero,
        amount.missing_leading_zero,
    )


@lru_cache(maxsize=4096)
def parse_volume(text: str, what: str = "volume") -> Quantity:
    """``"0.5 mL"`` → 0.5 mL; ``"1 cc"`` → 1 mL (and the 'cc' is noted)."""
    clean = _clean(text)
    amount = _amount(clean, what)
    factor = _unit_factor(amount, VOLUME_TO_ML, clean, what, "volume")
    return _quantity(
        amount.number * factor, clean, what, amount, _ordered(amount.number, factor, VOLUME_SHOWN)
    )


@lru_cache(maxsize=4096)
def parse_concentration(text: str, what: str = "concentration") -> Quantity:
    """``"1 mg/mL"`` → 1000 mcg/mL; ``"5000 mcg/5 mL"`` and ``"1000 mcg per mL"`` too."""
    clean = _clean(text)
    match = _RATIO.match(clean)
    if match is None:
        raise QuantityError(
            f"{clean!r} is not a concentration (expected mass per volume, e.g. '1000 mcg/mL')"
        )
    top = _amount(match.group("top"), what, clean)
    bottom_text = match.group("bottom").strip()
    if re.match(r"^[^\W\d_]+\.?$", bottom_text):
        bottom_text = f"1 {bottom_text}"
    bottom = _amount(bottom_text, what, clean)
    mass_factor = _unit_factor(top, MASS_TO_MCG, clean, what, "mass")
    volume_factor = _unit_factor(bottom, VOLUME_TO_ML, clean, what, "volume")
    mass, volume = top.number * mass_factor, bottom.number * volume_factor
    if volume <= 0:
        raise QuantityError(f"{clean!r}: the volume of a concentration must be greater than zero")
    value = checked_amount(mass / volume, clean, what)
    ordered = None
    if (mass_factor, bottom.number, volume_factor) != (1.0, 1.0, 1.0):
        per = VOLUME_SHOWN.get(volume_factor, "mL")
        per = per if bottom.number == 1 else f"{format_grouped(bottom.number)} {per}"
        ordered = (top.number, f"{MASS_SHOWN.get(mass_factor, 'mcg')}/{per}")
    return Quantity(
        value,
        clean,
        _notation(top, bottom),
        top.trailing_zero or bottom.trailing_zero,
        top.missing_leading_zero or bottom.missing_leading_zero,
        ordered,
    )


def _ordered(number: float, factor: float, shown: dict[float, str]) -> tuple[float, str] | None:
    """The number and unit as stated, when the unit is not the normalised one (see Quantity)."""
    return None if factor == 1.0 else (number, shown[factor])


def _unit_factor(amount: _Amount, table: dict[str, float], text: str, what: str, kind: str) -> float:
    if amount.unit is None:
        raise QuantityError(
            f"{text!r} has no unit (write the unit: {UNIT_HINT[kind]}, e.g. '{format_number(amount.number)} "
            f"{'mcg' if kind == 'mass' else 'mL'}')"
        )
    factor = table.get(amount.unit)
    if factor is None:
        other = "volume" if kind == "mass" else "mass"
        other_table = VOLUME_TO_ML if kind == "mass" else MASS_TO_MCG
        if amount.unit in other_table:
            raise QuantityError(
                f"{text!r}: {amount.unit!r} is a {other} unit, but a {what} needs {UNIT_HINT[kind]}"
            )
        raise QuantityError(f"{text!r}: unknown unit {amount.unit!r} (expected {UNIT_HINT[kind]})")
    return factor


def _quantity(
    value: float, text: str, what: str, amount: _Amount, ordered: tuple[float, str] | None
) -> Quantity:
    return Quantity(
        checked_amount(value, text, what),
        text,
        _notation(amount),
        amount.trailing_zero,
        amount.missing_leading_zero,
        ordered,
    )


@dataclass(frozen=True, slots=True)
class PerBodyDose:
    """A dose written per kg of body weight or per m² of body surface ("1 mg/kg", "75 mg/m²"): the
    fact it is (``dose_mg_per_kg``, ``dose_units_per_kg``, ``dose_mg_per_m2``) and its value in that
    fact's unit (mg or units), with the notation as :class:`Quantity` keeps it."""

    fact: str
    quantity: Quantity


_PER_BODY = re.compile(
    rf"^\s*(?P<sign>[-+])?\s*{_NUMBER}\s*(?P<unit>[^\W\d_]+\.?(?:\s+units?)?)\s*(?:/|\bper\b)\s*"
    r"(?P<basis>kg|kilogram|m2|m\^2|m²|sq\.?\s*m|square\s+met(?:re|er))\s*(?P<per>/\s*(?:dose|day|d|24\s*h))?\s*$",
    re.IGNORECASE,
)
_PER_BODY_FACTS = {("mass", "kg"): "dose_mg_per_kg", ("units", "kg"): "dose_units_per_kg",
                   ("mass", "m2"): "dose_mg_per_m2"}  # fmt: skip


@lru_cache(maxsize=4096)
def parse_per_body(text: str, what: str = "dose") -> PerBodyDose | None:
    """``"1 mg/kg"`` → 1 mg per kg, ``"100 units/kg"``, ``"75 mg/m2"`` (or m²); None for a text that is
    not written per kg or m². "/dose" may follow (the dose per administration); a daily dose per kg
    ("mg/kg/day") is refused: the order's dose is per administration."""
    clean = _clean(text)
    match = _PER_BODY.match(clean)
    if match is None:
        return None
    per = match.group("per")
    if per is not None and per.lstrip("/ ").lower() != "dose":
        raise QuantityError(
            f"{clean!r} is a daily dose: write the dose of one administration ('1 mg/kg') and the frequency"
        )
    basis = "kg" if match.group("basis").lower().startswith("k") else "m2"
    unit_text = match.group("unit")
    units = parse_units(f"{match.group('number')} {unit_text}", what)
    if units is not None:
        if basis != "kg":
            raise QuantityError(f"{clean!r}: a dose in units is read per kg, not per m²")
        amount = _amount(f"{match.group('sign') or ''}{match.group('number')} units", what, clean)
        quantity = Quantity(
            checked_amount(amount.number, clean, what), clean, units.notation,
            amount.trailing_zero, amount.missing_leading_zero,
        )  # fmt: skip
        return PerBodyDose(_PER_BODY_FACTS["units", basis], quantity)
    amount = _amount(f"{match.group('sign') or ''}{match.group('number')} {unit_text}", what, clean)
    factor = _unit_factor(amount, MASS_TO_MCG, clean, what, "mass")
    mg = checked_amount(amount.number * factor / 1000, clean, what)
    ordered = None if factor == 1000.0 else (amount.number, f"{MASS_SHOWN[factor]}/{basis}")
    quantity = Quantity(
        mg, clean, _notation(amount), amount.trailing_zero, amount.missing_leading_zero, ordered
    )
    return PerBodyDose(_PER_BODY_FACTS["mass", basis], quantity)
