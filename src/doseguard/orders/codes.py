"""Coded values written many ways: routes, sites, phases, and free-text lists (allergies, ...)."""

from __future__ import annotations

import re

ROUTE_SYNONYMS: dict[str, str] = {
    "im": "IM", "i.m.": "IM", "intramuscular": "IM", "intramuscularly": "IM", "intramuscular injection": "IM",
    "sc": "SC", "s.c.": "SC", "sq": "SC", "subq": "SC", "subcut": "SC", "subcutaneous": "SC",
    "subcutaneously": "SC", "deep sc": "SC", "deep subcutaneous": "SC", "deep subcut": "SC",
    "iv": "IV", "i.v.": "IV", "intravenous": "IV", "intravenously": "IV",
    "po": "PO", "p.o.": "PO", "oral": "PO", "orally": "PO", "by mouth": "PO",
    "sl": "SL", "sublingual": "SL", "in": "IN", "intranasal": "IN", "nasal": "IN",
    "id": "ID", "intradermal": "ID", "it": "IT", "intrathecal": "IT", "top": "TOP", "topical": "TOP",
}  # fmt: skip
SITE_SYNONYMS: dict[str, str] = {
    "deltoid": "deltoid",
    "vastus lateralis": "vastus_lateralis",
    "vastus_lateralis": "vastus_lateralis",
    "lateral thigh": "vastus_lateralis",
    "ventrogluteal": "ventrogluteal",
    "ventro-gluteal": "ventrogluteal",
    "ventro gluteal": "ventrogluteal",
    "dorsogluteal": "dorsogluteal",
    "dorso-gluteal": "dorsogluteal",
    "dorso gluteal": "dorsogluteal",
}
PHASE_SYNONYMS: dict[str, str] = {
    "repletion": "repletion",
    "loading": "repletion",
    "initial": "repletion",
    "induction": "repletion",
    "maintenance": "maintenance",
}
_SIDE = re.compile(r"^(?:left|right|l|r|lt|rt|bilateral)\.?\s+")


def _key(text: str) -> str:
    return re.sub(r"\s+", " ", text.strip().lower())


def route_code(text: str) -> str | None:
    return ROUTE_SYNONYMS.get(_key(text))


def site_code(text: str) -> str | None:
    return SITE_SYNONYMS.get(_SIDE.sub("", _key(text)))


def phase_code(text: str) -> str | None:
    return PHASE_SYNONYMS.get(_key(text))


_QUALIFIER = re.compile(r"\s*\([^)]*\)")
_LETTER_DASH_DIGIT = re.compile(r"\b([a-z])[\s-]+(\d+)\b")


def free_text_item(text: str) -> str:
    """An allergy or condition as rules compare it: lower case, single spaces, straight apostrophes,
    no parenthesised qualifier ("vitamin B12 (anaphylaxis)"), "B-12" and "B 12" written "b12"."""
    key = _key(_QUALIFIER.sub("", text.replace("\u2019", "'").replace("\u2018", "'")))
    return _LETTER_DASH_DIGIT.sub(r"\1\2", key)


def flag_item(text: str) -> str:
    """A red flag as rules compare it: lower_snake_case."""
    return re.sub(r"[\s\-]+", "_", _key(text))
