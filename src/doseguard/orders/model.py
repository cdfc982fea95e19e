"""The order record: the public contract of an input order, and the normalised order the engine sees."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from doseguard.orders.draft import (
    STRUCTURED_FIELDS,
    StructuredDuration,
    StructuredFrequency,
    StructuredQuantity,
)

QUANTITY_FIELDS = ("dose", "volume", "concentration", "product_concentration")
UNIT_FIELDS = tuple(f"{name}_unit" for name in QUANTITY_FIELDS)
"""A quantity's unit in a column of its own (``HV_DISCRETE_DOSE`` 1000, ``DOSE_UNIT`` mcg): joined to
its value by :mod:`doseguard.orders.units`."""
REQUIRED_FIELDS = ("order_id", "patient_id", "drug")
MAX_ADMINISTRATIONS = 100_000
MAX_TEXT = 1000
LIST_FIELDS = ("red_flags", "allergies", "conditions")
PATIENT_FIELDS = (
    "weight_kg", "height_cm", "age_years", "birth_date", "sex", "creatinine_clearance_ml_min", "egfr",
    "pregnant",
)  # fmt: skip
"""The patient's facts an order (or a patients file) may carry: numbers or text with units, read by
:mod:`doseguard.orders.patient`."""


def _blank_to_none(value: Any) -> Any:
    if isinstance(value, str) and not value.strip():
        return None
    return value


def identifier_text(value: Any) -> Any:
    """A code as the order reads it: a whole number written as one (``309594``) is its text."""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return _blank_to_none(value)


def _text_list(value: Any) -> Any:
    """A JSON list, or ``;``-separated text as a CSV cell holds it; blank items are dropped."""
    value = _blank_to_none(value)
    if isinstance(value, str):
        return [item for item in (part.strip() for part in value.split(";")) if item]
    if isinstance(value, list):
        return [item for item in value if not (isinstance(item, str) and not item.strip())]
    return value


def _whole_number(value: Any) -> Any:
    value = _blank_to_none(value)
    if isinstance(value, bool):
        raise ValueError("must be a whole number, not true/false")
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _scalar_text(value: Any) -> Any:
    """A patient fact or time as text: a JSON number as it is written ("80.5"), true/false as words;
    the fact's reader (:mod:`doseguard.orders.patient`) says what it means."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value) if isinstance(value, float) else str(value)
    return _blank_to_none(value)


def _ndc_text(value: Any) -> Any:
    if isinstance(value, int | float) and not isinstance(value, bool):
        raise ValueError("write an NDC as text ('0517-0031-25'): as a number it loses its leading zeros")
    return _blank_to_none(value)


OptionalText = Annotated[str | None, BeforeValidator(_blank_to_none)]
Identifier = Annotated[str, BeforeValidator(identifier_text), Field(min_length=1)]
TextList = Annotated[list[str] | None, BeforeValidator(_text_list)]
FactText = Annotated[str | None, BeforeValidator(_scalar_text)]


class OrderRecord(BaseModel):
    """One input order, as a JSON object or a CSV row with these column names.

    Unknown fields are kept aside (``model_extra``) and reported as warnings, not silently used.
    """

    # No field of an order needs more than MAX_TEXT characters; longer text is refused as invalid
    # (with its field named) before it could reach the engine, which has limits of its own.
    model_config = ConfigDict(extra="allow", str_strip_whitespace=True, frozen=True, str_max_length=MAX_TEXT)

    order_id: Identifier
    patient_id: Identifier
    drug: Annotated[str, BeforeValidator(_blank_to_none), Field(min_length=1)]
    dose: OptionalText = None
    volume: OptionalText = None
    concentration: OptionalText = None
    product_concentration: OptionalText = None
    dose_unit: OptionalText = None
    volume_unit: OptionalText = None
    concentration_unit: OptionalText = None
    product_concentration_unit: OptionalText = None
    route: OptionalText = None
    site: OptionalText = None
    frequency: OptionalText = None
    duration: OptionalText = None
    phase: OptionalText = None
    status: OptionalText = None  # the order's own status (orders/status.py): cancelled ones are not checked
    administrations_given: Annotated[
        Annotated[int, Field(ge=0, le=MAX_ADMINISTRATIONS)] | None, BeforeValidator(_whole_number)
    ] = None
    red_flags: TextList = None
    allergies: TextList = None
    conditions: TextList = None
    # Codes of the drug (doseguard.orders.drugs): one or more, separated by ';', ',' or spaces.
    rxnorm: Annotated[str | None, BeforeValidator(identifier_text)] = None
    ndc: Annotated[str | None, BeforeValidator(_ndc_text)] = None
    # The patient (doseguard.orders.patient): a number in the fact's unit, or text with a unit.
    weight_kg: FactText = None
    height_cm: FactText = None
    age_years: FactText = None
    birth_date: FactText = None
    sex: FactText = None
    creatinine_clearance_ml_min: FactText = None
    egfr: FactText = None
    pregnant: FactText = None
    # When the order was written (ISO 8601): windows and ages are counted from it; not a rule fact.
    ordered_at: FactText = None


RECORD_FIELDS = tuple(OrderRecord.model_fields)


@dataclass(frozen=True, slots=True)
class Order:
    """A normalised order: its identity, the facts (vocabulary fields only) the rules read, and how
    it stated its quantities where that is not the facts' unit (``("dose_mcg", 1.0, "mg")``): what
    messages show (``as_ordered``), never what rules read."""

    order_id: str
    patient_id: str
    facts: dict[str, Any]
    warnings: tuple[str, ...] = ()
    as_ordered: tuple[tuple[str, float, str], ...] = ()
    unchecked: str | None = None  # "not_covered" or "inactive": read, and not for the rules (facts: the drug)
    ordered_at: datetime | None = None  # when the order was written (aware; UTC when it said no offset)


# The fast path --------------------------------------------------------------------------------------
# Validating a record through pydantic is the largest single cost of checking an order. Most records
# are plain: every field known, every value text (a CSV row always is), a whole number or a list of
# text, printable ASCII (spaces at the ends aside), not too long: text that needs no reading
# (doseguard.orders.text), which the normaliser does only for records OrderRecord validated. For
# those, plain_record below does what OrderRecord would do, by hand; anything else (an unknown field,
# another type, non-ASCII text, an edge of a limit, anything invalid) is left to OrderRecord, so that
# every problem is still found and worded by one validator.
# tests/orders/test_plain_record.py holds the two equal on generated records.

TEXT_FIELDS = (
    "order_id", "patient_id", "drug", "dose", "volume", "concentration", "product_concentration", "route",
    "site", "frequency", "duration", "phase", "rxnorm", "ndc", "status", *UNIT_FIELDS, *PATIENT_FIELDS,
    "ordered_at",
)  # fmt: skip
_ASCII_SPACE = " \t\n\r\x0b\x0c"
"""What pydantic's whitespace stripping removes from ASCII text (``str.strip`` also removes \\x1c-\\x1f)."""
_FIELD_KINDS = {
    **dict.fromkeys(TEXT_FIELDS, "text"),
    "administrations_given": "count",
    **dict.fromkeys(LIST_FIELDS, "list"),
}


@dataclass(slots=True)
class PlainRecord:
    """What :class:`OrderRecord` holds for a plain record (same attributes, no unknown fields); a
    quantity, frequency or duration may also be a structured value (:mod:`doseguard.orders.draft`)."""

    order_id: str
    patient_id: str
    drug: str
    dose: str | StructuredQuantity | None = None
    volume: str | StructuredQuantity | None = None
    concentration: str | StructuredQuantity | None = None
    product_concentration: str | StructuredQuantity | None = None
    dose_unit: str | None = None
    volume_unit: str | None = None
    concentration_unit: str | None = None
    product_concentration_unit: str | None = None
    route: str | None = None
    site: str | None = None
    frequency: str | StructuredFrequency | None = None
    duration: str | StructuredDuration | None = None
    phase: str | None = None
    status: str | None = None
    administrations_given: int | None = None
    red_flags: list[str] | None = None
    allergies: list[str] | None = None
    conditions: list[str] | None = None
    rxnorm: str | None = None
    ndc: str | None = None
    weight_kg: str | None = None
    height_cm: str | None = None
    age_years: str | None = None
    birth_date: str | None = None
    sex: str | None = None
    creatinine_clearance_ml_min: str | None = None
    egfr: str | None = None
    pregnant: str | None = None
    ordered_at: str | None = None
    model_extra: dict[str, Any] | None = None


class _NotPlain(Exception):
    """The record is left to OrderRecord."""


def plain_record(raw: Any) -> PlainRecord | None:
    """The validated record, as :class:`OrderRecord` would give it, or None to use OrderRecord."""
    if type(raw) is not dict:
        return None
    values: dict[str, Any] = {}
    kinds = _FIELD_KINDS
    for name, value in raw.items():
        kind = kinds.get(name)
        if kind is None:  # an unknown field (or a key that is not text) is not plain
            return None
        if (
            type(value) is str
            and kind == "text"
            and len(value) <= MAX_TEXT
            and value.isascii()
            and (value.isprintable() or _ascii_spaced(value))
        ):
            stripped = value.strip()
            if stripped is value or stripped == value.strip(_ASCII_SPACE):
                values[name] = stripped or None  # blank is None (_blank_to_none)
                continue
            if stripped:
                return None  # \x1c-\x1f at an end: str.strip and pydantic's stripping disagree
            values[name] = None
        elif value is None:
            values[name] = None
        elif type(value) is STRUCTURED_FIELDS.get(name):
            values[name] = value  # a structured value (orders.draft): nothing to validate as text
        elif kind == "text":
            return None  # not text, too long, or not ASCII
        else:
            try:
                values[name] = (_plain_count if kind == "count" else _plain_list)(value)
            except _NotPlain:
                return None
    if values.get("order_id") is None or values.get("patient_id") is None or values.get("drug") is None:
        return None  # required: missing or blank is a problem OrderRecord words
    return PlainRecord(**values)


def _ascii_spaced(value: str) -> bool:
    """True for ASCII text whose only characters that are not printable are spaces at its ends
    ("IM\n"): control characters, and tabs or new lines inside, are left to the order's reading of
    text (:mod:`doseguard.orders.text`), which the fast path does not repeat."""
    stripped = value.strip(_ASCII_SPACE)
    return stripped.isprintable()


def _plain_text(value: Any) -> str | None:
    """One text as OrderRecord validates it, with blank as None; raises _NotPlain for the others."""
    if type(value) is not str or not value.isascii() or len(value) > MAX_TEXT:
        raise _NotPlain
    if not (value.isprintable() or _ascii_spaced(value)):
        raise _NotPlain
    stripped = value.strip()
    if stripped is value or stripped == value.strip(_ASCII_SPACE):
        return stripped or None
    if stripped:
        raise _NotPlain
    return None


def _plain_count(value: Any) -> int | None:
    kind = type(value)
    if kind is str:
        if not value.strip():
            return None  # blank (_blank_to_none)
        if not (value.isascii() and value.isdigit() and len(value) <= 6):
            raise _NotPlain
        number = int(value)
    elif kind is float and value.is_integer():
        number = int(value)
    elif kind is int:
        number = value
    else:
        raise _NotPlain
    if not 0 <= number <= MAX_ADMINISTRATIONS:
        raise _NotPlain
    return number


def _plain_list(value: Any) -> list[str] | None:
    kind = type(value)
    if kind is str:
        if not value.isascii() or len(value) > MAX_TEXT:
            raise _NotPlain
        if not value.strip():
            return None
        items = [item for item in (part.strip() for part in value.split(";")) if item]
        if not all(item.isprintable() for item in items):
            raise _NotPlain
        return items
    if kind is not list:
        raise _NotPlain
    items = []
    for item in value:
        if type(item) is not str:
            raise _NotPlain
        text = _plain_text(item)
        if text is not None:
            items.append(text)
    return items
