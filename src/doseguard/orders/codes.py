"""Coded values written many ways: routes, sites, phases, and free-text lists (allergies, ...).

The functions of one text are cached: in a batch the same few spellings come back again and again.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache

from doseguard.vocabulary import MAX_PHRASE_WORDS, MAX_TERMS

SNOMED_ROUTE_CODES: dict[str, str] = {
    "78421000": "IM",  # intramuscular route
    "34206005": "SC",  # subcutaneous route
    "47625008": "IV",  # intravenous route
    "26643006": "PO",  # oral route
    "37839007": "SL",  # sublingual route
    "46713006": "IN",  # nasal route
    "372464004": "ID",  # intradermal route
    "72607000": "IT",  # intrathecal route
    "6064005": "TOP",  # topical route
}
"""SNOMED CT route of administration concepts (qualifier values): read in a FHIR coding and as a
route field's text (a CSV or JSON export writes the code)."""
EDQM_ROUTE_CODES: dict[str, str] = {
    "20035000": "IM",  # Intramuscular use
    "20066000": "SC",  # Subcutaneous use
    "20045000": "IV",  # Intravenous use
    "20053000": "PO",  # Oral use
}
"""EDQM Standard Terms routes (http://standardterms.edqm.eu), read in a FHIR coding; their terms
("Intramuscular use") are read as text."""
ROUTE_SYNONYMS: dict[str, str] = {
    "im": "IM", "intramuscular": "IM", "intramuscularly": "IM",
    "sc": "SC", "sq": "SC", "subq": "SC", "sub q": "SC", "subcut": "SC", "sub cut": "SC",
    "subcutaneous": "SC", "subcutaneously": "SC", "deep sc": "SC", "deep subcutaneous": "SC",
    "deep subcut": "SC", "deep subq": "SC",
    "iv": "IV", "intravenous": "IV", "intravenously": "IV",
    # ways of giving IV are the IV route: the route rule then says so, instead of the order being unread
    "iv push": "IV", "ivp": "IV", "iv bolus": "IV", "iv piggyback": "IV", "ivpb": "IV", "iv infusion": "IV",
    "iv drip": "IV", "intravenous push": "IV", "intravenous bolus": "IV", "intravenous piggyback": "IV",
    "intravenous infusion": "IV",
    "po": "PO", "oral": "PO", "orally": "PO", "by mouth": "PO",
    "sl": "SL", "sublingual": "SL", "in": "IN", "intranasal": "IN", "nasal": "IN",
    "id": "ID", "intradermal": "ID", "it": "IT", "intrathecal": "IT", "top": "TOP", "topical": "TOP",
    **SNOMED_ROUTE_CODES,
}  # fmt: skip
"""Routes as :func:`_route_key` writes them: lower case, no full stops, hyphens as spaces."""

SITES_BY_NAME: dict[str, str] = {
    # muscles (IM sites)
    "deltoid": "deltoid",
    "vastus lateralis": "vastus_lateralis", "vastus_lateralis": "vastus_lateralis",
    "lateral thigh": "vastus_lateralis",
    "ventrogluteal": "ventrogluteal", "ventro gluteal": "ventrogluteal",
    "ventragluteal": "ventrogluteal",  # HL7 v3 ActSite's spelling (LVG, RVG)
    "dorsogluteal": "dorsogluteal", "dorso gluteal": "dorsogluteal",
    # "gluteal" names the muscle: in common usage the dorsogluteal site (docs/decisions/injection-sites.md)
    "gluteal": "dorsogluteal", "gluteus": "dorsogluteal", "glute": "dorsogluteal",
    "gluteus maximus": "dorsogluteal", "gluteus medius": "dorsogluteal",  # v3 LG/RG
    # regions, with no muscle named: what each means for IM and SC is the rules' to say
    "arm": "upper_arm", "upper arm": "upper_arm", "outer upper arm": "upper_arm",
    "lateral upper arm": "upper_arm",
    "back of arm": "back_of_arm", "back of upper arm": "back_of_arm", "back of the arm": "back_of_arm",
    "back of the upper arm": "back_of_arm", "posterior upper arm": "back_of_arm",
    "posterior arm": "back_of_arm",
    "thigh": "thigh", "anterior thigh": "thigh", "front of thigh": "thigh", "front of the thigh": "thigh",
    "anterolateral thigh": "thigh", "outer thigh": "thigh",
    "buttock": "buttock", "buttocks": "buttock", "upper outer buttock": "buttock",
    "upper outer quadrant of buttock": "buttock", "upper outer quadrant of the buttock": "buttock",
    "abdomen": "abdomen", "abdominal": "abdomen", "abdominal wall": "abdomen", "lower abdomen": "abdomen",
    "periumbilical": "abdomen", "lower quadrant": "abdomen", "upper quadrant": "abdomen",
    "lower abdominal quadrant": "abdomen", "upper abdominal quadrant": "abdomen",
    "lower abd quadrant": "abdomen", "upper abd quadrant": "abdomen",  # the v3 displays' spelling
    "llq": "abdomen", "rlq": "abdomen", "luq": "abdomen", "ruq": "abdomen",
}  # fmt: skip
"""Sites by name, as :func:`site_code` compares them: lower case, hyphens as spaces, without the side
("left", "R", "Lt.") or a word that says nothing more ("muscle", "region", "structure of")."""
ACT_SITES: dict[str, str] = {
    "LD": "left deltoid", "RD": "right deltoid",
    "LVL": "left vastus lateralis", "RVL": "right vastus lateralis",
    "LVG": "left ventrogluteal", "RVG": "right ventrogluteal",  # v3 displays "ventragluteal"
    "LG": "left gluteus medius", "RG": "right gluteus medius",
    "LA": "left arm", "RA": "right arm", "LUA": "left upper arm", "RUA": "right upper arm",
    "LT": "left thigh", "RT": "right thigh", "BU": "buttock",
    "LLAQ": "left lower abd quadrant", "RLAQ": "right lower abd quadrant",
    "LUAQ": "left upper abd quadrant", "RUAQ": "right upper abd quadrant",
}  # fmt: skip
"""HL7 v3 ActSite (HumanSubstanceAdministrationSite) codes of injection sites, with their displays as
the record shows them: read in a FHIR coding and as a site field's text. The system's other codes
(ears, eyes, nares, forearms, hands, feet, chest, jugular and subclavian veins) are not sites of these
injections."""


def _without_side(display: str) -> str:
    return display.removeprefix("left ").removeprefix("right ")


SITE_SYNONYMS: dict[str, str] = {
    **SITES_BY_NAME,
    **{code.lower(): SITES_BY_NAME[_without_side(display)] for code, display in ACT_SITES.items()},
}
"""Every site as :func:`site_code` reads it: by name, and by ActSite code ("ld", "rua")."""
PHASE_SYNONYMS: dict[str, str] = {
    "repletion": "repletion",
    "loading": "repletion",
    "initial": "repletion",
    "induction": "repletion",
    "maintenance": "maintenance",
}
_SIDE = re.compile(r"^(?:left|right|l|r|lt|rt|bilateral)\.?\s+|[\s,(-]+(?:left|right|l|r|lt|rt)\.?\)?$")
_SITE_NOISE = re.compile(
    r"^(?:structure of|entire)\s+|\s+(?:muscle|muscle structure|structure|region|area|site)$"
)
_ROUTE_NOISE = re.compile(r"^(?:by|via)\s+|\s+(?:route|use|injection|inj|administration)$")
_QUALIFIER_VALUE = re.compile(r"\s*\((?:body structure|qualifier value)\)$")


def _key(text: str) -> str:
    return re.sub(r"\s+", " ", text.strip().lower())


def _route_key(text: str) -> str:
    """The route as :data:`ROUTE_SYNONYMS` holds it: "I.M.", "i.m" and "IM" alike, "sub-Q" as "sub q"."""
    return _key(_QUALIFIER_VALUE.sub("", text.lower()).replace(".", "").replace("-", " "))


@lru_cache(maxsize=4096)
def route_code(text: str) -> str | None:
    """The route's code; "Intramuscular route", "Intramuscular use" (EDQM), "IM injection" and
    "by intramuscular injection" are the route named with a word that says nothing more."""
    key = _route_key(text)
    code = ROUTE_SYNONYMS.get(key)
    if code is None:
        code = ROUTE_SYNONYMS.get(_ROUTE_NOISE.sub("", _ROUTE_NOISE.sub("", key)))
    return code


@lru_cache(maxsize=4096)
def site_code(text: str) -> str | None:
    """The site's code, whatever the side ("R deltoid", "deltoid, left") and "muscle" or "region"."""
    key = _key(text)
    code = SITE_SYNONYMS.get(key)
    if code is None:
        key = _key(_QUALIFIER_VALUE.sub("", key).replace("-", " "))
        key = _SITE_NOISE.sub("", _SIDE.sub("", _SIDE.sub("", key)))
        code = SITE_SYNONYMS.get(_SITE_NOISE.sub("", key))
    return code


@lru_cache(maxsize=4096)
def phase_code(text: str) -> str | None:
    return PHASE_SYNONYMS.get(_key(text))


_QUALIFIER = re.compile(r"\s*\([^)]*\)")
_LETTER_DASH_DIGIT = re.compile(r"\b([a-z])[\s-]+(\d+)\b")


@lru_cache(maxsize=4096)
def free_text_item(text: str) -> str:
    """An allergy or condition as rules compare it: lower case, single spaces, straight apostrophes,
    no parenthesised qualifier ("vitamin B12 (anaphylaxis)"), "B-12" and "B 12" written "b12"."""
    key = _key(_QUALIFIER.sub("", text.replace("\u2019", "'").replace("\u2018", "'")))
    return _LETTER_DASH_DIGIT.sub(r"\1\2", key)


@lru_cache(maxsize=4096)
def flag_item(text: str) -> str:
    """A red flag as rules compare it: lower_snake_case."""
    return re.sub(r"[\s\-]+", "_", _key(text))


NULL_ENTRIES = frozenset(
    {
        "", "none", "nil", "null", "nothing", "no", "na", "n a", "not applicable", "none known",
        "nil known", "none reported", "not known", "no known", "no red flags", "no red flag",
        "no known allergies", "no known allergy", "no known drug allergies", "no allergies",
        "nkda", "nka", "nkfa", "nkma",
    }
)  # fmt: skip
"""Entries that say "nothing here" ("None", "N/A", "-", "NKDA"), compared as :func:`_null_key` writes them."""


def _null_key(text: str) -> str:
    return " ".join(re.sub(r"[\W_]+", " ", text.lower()).split())


@lru_cache(maxsize=4096)
def is_null_entry(text: str) -> bool:
    """True for a list entry that records nothing: "none", "nil", "N/A", "-", "no red flags", "NKDA"."""
    return _null_key(text) in NULL_ENTRIES


_APOSTROPHES = str.maketrans(dict.fromkeys("\u2018\u2019\u02bc\u0060\u00b4\u2032", "'"))
_NOT_WORD = re.compile(r"[^\w']+|_")


def phrase_words(text: str) -> list[str]:
    """The words of an allergy or condition: lower case, straight apostrophes, every other punctuation
    mark a space, "B-12", "B 12" and "B₁₂" written "b12", quotes around a word dropped."""
    text = unicodedata.normalize("NFKC", text).translate(_APOSTROPHES).lower()
    text = _LETTER_DASH_DIGIT.sub(r"\1\2", _NOT_WORD.sub(" ", text))
    return [word for word in (w.strip("'") for w in text.split()) if word]


def phrase_terms(
    items: Iterable[str], longest: int = MAX_PHRASE_WORDS, limit: int = MAX_TERMS
) -> tuple[list[str], bool]:
    """Every phrase of 1 to ``longest`` consecutive words of each item (phrases never span two items),
    once each, single words first, then pairs, and so on; at most ``limit`` of them.

    Returns the terms and whether some were left out. A rule then finds "cobalt" in "allergic to cobalt
    chloride", or "hereditary optic" in "Leber's hereditary optic atrophy", by exact equality.
    """
    return _phrases([phrase_words(item) for item in items], longest, limit)


def _phrases(words: list[list[str]], longest: int, limit: int) -> tuple[list[str], bool]:
    terms: dict[str, None] = {}
    for size in range(1, longest + 1):
        for item_words in words:
            for start in range(len(item_words) - size + 1):
                terms.setdefault(" ".join(item_words[start : start + size]))
                if len(terms) > limit:
                    return list(terms)[:limit], True
    return list(terms), False


# Negation ---------------------------------------------------------------------------------------
# A condition recorded as absent ("no neurological involvement", "pernicious anaemia without
# neuropathy", "nil neuro", "neuropathy: none", "neuropathy ruled out") is a fact too: a rule may need
# to know that something is absent, not only that it was not mentioned. Negation is found as NegEx
# does it (Chapman et al., J Biomed Inform 2001), on words: a cue before a phrase negates the words
# after it, a cue after a phrase the words before it (the longer cue wins: "not present" is a cue
# after, "negative for" a cue before), and the scope of a cue is at most five words (NegEx's window)
# and ends at a ';', ',' or '.' or at a word that turns the sentence ("but", "however", ...): a cue
# must not reach a condition stated later ("denies numbness, has peripheral neuropathy"). Where the
# reach is in doubt it errs towards "present", which can only add a finding, never hide one.
# "Absent" is only a cue after a phrase: "absent ankle reflexes" is a sign that is present.

PRE_NEGATION = tuple(
    tuple(cue.split())
    for cue in (
        "no", "not", "without", "nil", "denies", "denied", "negative for", "free of", "absence of",
        "excluding",
    )
)  # fmt: skip
POST_NEGATION = tuple(
    tuple(cue.split())
    for cue in (
        "absent", "excluded", "ruled out", "negative", "none", "not present", "not found", "not seen",
        "not detected",
    )
)  # fmt: skip
PSEUDO_NEGATION = tuple(
    tuple(cue.split())
    for doubt in (
        "cannot", "can not", "can't", "could not", "couldn't", "not", "not been", "not yet", "has not been",
    )
    for cue in (f"{doubt} be excluded", f"{doubt} be ruled out", f"{doubt} excluded", f"{doubt} ruled out",
                f"{doubt} exclude", f"{doubt} rule out")
) + tuple(
    tuple(cue.split())
    for cue in ("no improvement", "no change", "no increase", "no worsening", "not only", "not necessarily")
)  # fmt: skip
"""Phrases holding a cue that negate nothing (NegEx's pseudo-negations): "LHON cannot be excluded"
and "not ruled out: LHON" leave LHON possible, "no improvement in Leber's" states Leber's. They are
passed over as words of the phrase, so the cue inside them negates nothing."""
NEGATION_ENDS = frozenset({"but", "however", "although", "though", "yet", "except", "apart", "aside"})
_PSEUDO_STARTS = frozenset(cue[0] for cue in PSEUDO_NEGATION)
NEGATION_REACH = 5  # words
POST_NEGATION_JOINS = frozenset({"with", "and"})  # a cue after a phrase does not reach back past these
_CLAUSE = re.compile(r"[;,]|\.(?!\d)")  # not the point of "1.5"; ':' stays ("neuropathy: none")


def _cue_at(words: list[str], start: int, cues: tuple[tuple[str, ...], ...]) -> int:
    """The length of the longest cue at ``words[start:]``, or 0."""
    return max((len(cue) for cue in cues if tuple(words[start : start + len(cue)]) == cue), default=0)


def _split_negation(words: list[str]) -> tuple[list[list[str]], list[list[str]]]:
    """The affirmed and the negated runs of one clause's words."""
    affirmed: list[list[str]] = []
    negated: list[list[str]] = []
    run_start = 0
    index = 0
    while index < len(words):
        if words[index] in NEGATION_ENDS:
            affirmed.append(words[run_start:index])
            index += 1
            run_start = index
            continue
        post = _cue_at(words, index, POST_NEGATION) if index > run_start else 0
        pre = _cue_at(words, index, PRE_NEGATION)
        pseudo = _cue_at(words, index, PSEUDO_NEGATION) if words[index] in _PSEUDO_STARTS else 0
        if pseudo and pseudo >= max(post, pre):
            index += pseudo  # "cannot be excluded": the words stay affirmed, the cue negates nothing
            continue
        if post and post >= pre:  # "neuropathy not present": the words before the cue
            reach = max(run_start, index - NEGATION_REACH)
            joins = [at + 1 for at in range(reach, index) if words[at] in POST_NEGATION_JOINS]
            reach = max([reach, *joins])  # "anaemia with neuropathy excluded": only the neuropathy
            affirmed.append(words[run_start:reach])
            negated.append(words[reach:index])
            index += post
            run_start = index
            continue
        if pre:  # "no neuropathy": the words after the cue, up to a word that ends its scope
            affirmed.append(words[run_start:index])
            end = index + pre
            while end < min(len(words), index + pre + NEGATION_REACH) and words[end] not in NEGATION_ENDS:
                end += 1
            negated.append(words[index + pre : end])
            index = end
            run_start = end
            continue
        index += 1
    affirmed.append(words[run_start:])
    return [run for run in affirmed if run], [run for run in negated if run]


def negation_terms(
    items: Iterable[str], longest: int = MAX_PHRASE_WORDS, limit: int = MAX_TERMS
) -> tuple[list[str], list[str], bool]:
    """The phrases of ``items`` (as :func:`phrase_terms` makes them) stated as present, those stated as
    absent, and whether some were left out: "pernicious anaemia without neurological involvement"
    gives "pernicious anaemia" (and its words) as affirmed and "neurological involvement" (and its
    words) as negated."""
    affirmed: list[list[str]] = []
    negated: list[list[str]] = []
    for item in items:
        for clause in _CLAUSE.split(item):
            present, absent = _split_negation(phrase_words(clause))
            affirmed += present
            negated += absent
    affirmed_terms, affirmed_cut = _phrases(affirmed, longest, limit)
    negated_terms, negated_cut = _phrases(negated, longest, limit)
    return affirmed_terms, negated_terms, affirmed_cut or negated_cut


@lru_cache(maxsize=4096)
def list_terms(items: tuple[str, ...]) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...], bool]:
    """The :func:`phrase_terms` of a list's items, its affirmed and negated terms
    (:func:`negation_terms`), and whether some were left out: cached, as the same allergy and
    condition lists come back again and again in a batch (tuples: a cached value is never changed)."""
    terms, truncated = phrase_terms(items)
    affirmed, negated, cut = negation_terms(items)
    return tuple(terms), tuple(affirmed), tuple(negated), truncated or cut
