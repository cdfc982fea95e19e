"""Numbers as a pharmacist writes them, for messages, hints and mapped text.

A foundation module (it imports nothing of doseguard): the order parsers, the rule language and the
FHIR mapper all write numbers back as text, and none of them should import another to do so.
"""

from __future__ import annotations

from functools import lru_cache

FACT_DECIMALS = 6
"""The decimals an order's amounts are carried to as facts (0.000001 mL, 0.000001 mcg): what the
order parsers and the FHIR mapper round to, and so what a computed correction is rounded to."""


def as_fact(value: float) -> float:
    """``value`` rounded as facts carry amounts (:data:`FACT_DECIMALS`)."""
    return round(value, FACT_DECIMALS)


def format_number(value: float) -> str:
    """A number as a pharmacist writes it: never a trailing zero (``1``, not ``1.0``)."""
    if value == int(value) and abs(value) < 1e15:
        return str(int(value))
    text = f"{value:.6f}".rstrip("0").rstrip(".")
    return text if text not in ("", "-0") else "0"


def format_grouped(value: float) -> str:
    """:func:`format_number` with thousands separated (``1,000``), as messages show numbers."""
    text = format_number(value)
    whole, point, fraction = text.partition(".")
    sign = "-" if whole.startswith("-") else ""
    return f"{sign}{int(whole.lstrip('-')):,}{point}{fraction}"


@lru_cache(maxsize=16_384, typed=True)
def format_amount(value: float) -> str:
    """:func:`format_grouped` of ``value`` to 3 decimals, as messages show amounts (``2.333``), remembered:
    a batch's doses and volumes repeat, and each finding shows two or three (equal values read alike)."""
    return format_grouped(round(value, 3))
