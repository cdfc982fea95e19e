"""The order record: the public contract of an input order, and the normalised order the engine sees."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

QUANTITY_FIELDS = ("dose", "volume", "concentration", "product_concentration")
REQUIRED_FIELDS = ("order_id", "patient_id", "drug")
MAX_ADMINISTRATIONS = 100_000
MAX_TEXT = 1000
LIST_FIELDS = ("red_flags", "allergies", "conditions")


def _blank_to_none(value: Any) -> Any:
    if isinstance(value, str) and not value.strip():
        return None
    return value


def _identifier(value: Any) -> Any:
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


OptionalText = Annotated[str | None, BeforeValidator(_blank_to_none)]
Identifier = Annotated[str, BeforeValidator(_identifier), Field(min_length=1)]
TextList = Annotated[list[str] | None, BeforeValidator(_text_list)]


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
    route: OptionalText = None
    site: OptionalText = None
    frequency: OptionalText = None
    duration: OptionalText = None
    phase: OptionalText = None
    administrations_given: Annotated[
        Annotated[int, Field(ge=0, le=MAX_ADMINISTRATIONS)] | None, BeforeValidator(_whole_number)
    ] = None
    red_flags: TextList = None
    allergies: TextList = None
    conditions: TextList = None


RECORD_FIELDS = tuple(OrderRecord.model_fields)


@dataclass(frozen=True, slots=True)
class Order:
    """A normalised order: its identity, and the facts (vocabulary fields only) the rules read."""

    order_id: str
    patient_id: str
    facts: dict[str, Any]
    warnings: tuple[str, ...] = ()
