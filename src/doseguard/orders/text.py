"""Text of an order as a person reads it: what the screen shows, not the code points behind it.

A drug name with a zero-width space or a Cyrillic "с" shows as "cyanocobalamin", but compared code
point by code point it is another drug, and an order for another drug is not dose-checked. So every
text field is read here first: compatibility forms folded (NFKC), invisible characters (Cf) removed,
spaces made one space, look-alike letters inside a Latin word read as Latin; what cannot be read
safely (a control character, a superscript digit in a number, a drug name that still mixes scripts)
is refused. What is done and why, case by case: docs/reading-text.md. Printable ASCII, nearly every
record, returns at the first test.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from doseguard.errors import TextProblem

NUMERIC_FIELDS = frozenset(
    {"dose", "volume", "concentration", "product_concentration", "frequency", "duration", "weight_kg",
     "height_cm", "age_years", "birth_date", "creatinine_clearance_ml_min", "egfr", "ordered_at"}
)  # fmt: skip
"""Fields whose digits are read as a number: a superscript or fraction digit would change it."""

LOOK_ALIKES: dict[str, str] = {
    # Cyrillic
    "а": "a", "с": "c", "е": "e", "һ": "h", "і": "i", "ј": "j", "ӏ": "l", "о": "o", "р": "p",
    "ԛ": "q", "ѕ": "s", "ԝ": "w", "х": "x", "у": "y", "ԁ": "d",
    "А": "A", "В": "B", "С": "C", "Е": "E", "Н": "H", "І": "I", "Ј": "J", "К": "K", "М": "M",
    "О": "O", "Р": "P", "Ѕ": "S", "Т": "T", "Х": "X", "У": "Y", "Ԛ": "Q", "Ԝ": "W", "Ӏ": "I",
    # Greek (not μ, the micro sign's letter, nor α, β, γ, κ, which clinical text uses as themselves)
    "ο": "o", "ρ": "p", "ν": "v", "ι": "i",
    "Α": "A", "Β": "B", "Ε": "E", "Ζ": "Z", "Η": "H", "Ι": "I", "Κ": "K", "Μ": "M", "Ν": "N",
    "Ο": "O", "Ρ": "P", "Τ": "T", "Υ": "Y", "Χ": "X",
    # Latin letters that read as others
    "ı": "i", "ɡ": "g", "ɑ": "a",
}  # fmt: skip
"""Letters of other scripts (and a few Latin ones) that are drawn like a Latin letter."""
_LOOK_ALIKES = str.maketrans(LOOK_ALIKES)
_WORD = re.compile(r"[^\W\d_]+")
_SPACES = re.compile(r"\s+")
_SQUARE_METRE = re.compile(r"(?<=m)\u00b2(?![\d\u00b2-\u00b3\u00b9\u2070-\u2079])")
_MICRO = "\u00b5"  # NFKC folds the micro sign into Greek mu; units keep it as written


@dataclass(frozen=True, slots=True)
class Reading:
    """The text as it reads, and what reading it changed that the order should say."""

    text: str
    notes: tuple[str, ...] = ()


def read_text(value: str, field: str) -> Reading:
    """``value`` as a person reads it (see the module's docstring); raises :class:`TextProblem`."""
    if value.isascii() and value.isprintable():
        return Reading(value.strip())
    return _read(value, field in NUMERIC_FIELDS, field == "drug")


@lru_cache(maxsize=4096)
def _read(value: str, numeric: bool, single_script: bool) -> Reading:
    notes: list[str] = []
    controls = sorted({ch for ch in value if unicodedata.category(ch) == "Cc" and not ch.isspace()})
    if controls:
        raise TextProblem(
            f"contains the control character{'s' if len(controls) > 1 else ''} {_names(controls)}: "
            "the data may be corrupt or cut short; correct it at its source"
        )
    if numeric:
        # "m²" is a unit (a dose per m² of body surface, "75 mg/m²"), not a digit of the number.
        digits = sorted({ch for ch in _SQUARE_METRE.sub("", value) if unicodedata.category(ch) == "No"})
        if digits:
            raise TextProblem(f"{_names(digits)} cannot be read safely as part of a number: write it plainly")
    text = _MICRO.join(unicodedata.normalize("NFKC", part) for part in value.split(_MICRO))
    invisible = sorted({ch for ch in text if unicodedata.category(ch) == "Cf"})
    if invisible:
        text = "".join(ch for ch in text if ch not in invisible)
        notes.append(f"invisible character{'s' if len(invisible) > 1 else ''} {_names(invisible)} removed")
    text = _SPACES.sub(" ", text).strip()
    mapped = _WORD.sub(_latin_word, text)
    if mapped != text:
        changed = sorted({a for a, b in zip(text, mapped, strict=True) if a != b})
        notes.append(
            f"{text!r} has letters of another script drawn like Latin ones ({_names(changed)}); "
            f"read as {mapped!r}"
        )
        text = mapped
    if single_script:
        mixed = [word for word in _WORD.findall(text) if len(_scripts(word)) > 1]
        if mixed:
            raise TextProblem(
                f"{mixed[0]!r} mixes the letters of {' and '.join(sorted(_scripts(mixed[0])))} scripts: "
                "it cannot be read safely as a drug name"
            )
    return Reading(text, tuple(notes))


def _latin_word(match: re.Match[str]) -> str:
    """The word with its look-alikes as Latin letters, if it mixes them with Latin letters or is
    made of look-alikes only; else the word as it is."""
    word = match.group()
    if word.isascii():
        return word
    mapped = word.translate(_LOOK_ALIKES)
    if mapped == word:
        return word
    if mapped.isascii() or any(ch.isascii() for ch in word):
        return mapped
    return word


_LETTERS = frozenset({"Lu", "Ll", "Lt", "Lo"})


def _scripts(word: str) -> set[str]:
    """The scripts of a word's letters, by the first word of their Unicode names (LATIN, CYRILLIC);
    modifier letters (an apostrophe drawn as a letter) belong to none."""
    return {
        unicodedata.name(ch, "UNKNOWN").split()[0].capitalize()
        for ch in word
        if unicodedata.category(ch) in _LETTERS
    }


_CONTROL_NAMES = {0x00: "NUL", 0x7F: "DEL", 0x1B: "ESC"}


def _names(chars: list[str]) -> str:
    """'U+200B ZERO WIDTH SPACE, U+0000 (NUL)': each character by its code point and name."""
    return ", ".join(
        f"U+{ord(ch):04X} {unicodedata.name(ch, '')}".rstrip()
        if unicodedata.name(ch, "")
        else f"U+{ord(ch):04X} ({_CONTROL_NAMES.get(ord(ch), 'a control character')})"
        for ch in chars
    )
