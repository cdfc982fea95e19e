"""Reading FHIR JSON elements: the datatypes the mapper reads (text, numbers, dates, references), and
where problems are collected, each at the FHIR path of its element."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from doseguard.errors import FieldProblem

MEDICATION_REQUEST = "MedicationRequest"
DOSAGE = f"{MEDICATION_REQUEST}.dosageInstruction[0]"
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")
Resource = Mapping[str, Any]
OBJECT = (dict, Mapping)
"""JSON objects are dicts: testing for ``dict`` first skips the slow ABC check of ``Mapping``."""


def positive_number(value: Any) -> float | None:
    """A finite number greater than zero (not true/false), as a float; None for anything else."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    number = float(value)
    return number if math.isfinite(number) and number > 0 else None


def text_of(value: Any) -> str | None:
    """A non-blank string, stripped; None for anything else."""
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return None


def type_and_id(reference: str) -> tuple[str | None, str | None]:
    """("Patient", "PT-9") from "Patient/PT-9", ".../fhir/Patient/PT-9" or "Patient/PT-9/_history/2"."""
    parts = [part for part in reference.split("?", maxsplit=1)[0].split("/") if part]
    if len(parts) >= 4 and parts[-2] == "_history":
        parts = parts[:-2]
    if reference.startswith("urn:"):
        return None, None
    if len(parts) >= 2 and parts[-2][:1].isupper():
        return parts[-2], parts[-1]
    return None, None


def date_of(value: Any) -> date | datetime | None:
    if not isinstance(value, str):
        return None
    try:
        if DATE.match(value):
            return date.fromisoformat(value)
        if DATETIME.match(value):
            return datetime.fromisoformat(value)
    except ValueError:
        return None
    return None


def kind_of(value: Any) -> str:
    if value is None:
        return "null"
    return {dict: "an object", list: "a list", str: "text", bool: "true/false"}.get(
        type(value), type(value).__name__
    )


class Problems(list[FieldProblem]):
    """The problems of one resource, in the order found."""

    def add(self, path: str, message: str, value: object = None) -> None:
        self.append(FieldProblem(path, message, value))
