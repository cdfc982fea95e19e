"""Which drug an order is for: a pack's drug, by its name as pharmacy systems write it or by a code.

A product name ("CYANOCOBALAMIN 1,000 MCG/ML INJECTION SOLUTION", "B12 inj") is read as words: the
pack's names and synonyms, a strength, dose-form and route words, and words that say nothing of the
drug (USP, vial, 1 mL). It is the pack's drug only when every word is one of these and its forms are
ones the pack covers: an oral tablet, a nasal spray, a combination with folic acid or a name with a
word no pack lists stays not covered, and the notice says why. RxNorm and NDC codes a pack lists
identify the drug too, and win over a name that names no pack drug; a code and a name that name two
different pack drugs make the order invalid. Decisions and measurements: ``docs/drug-names.md``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Protocol

from doseguard.errors import FieldProblem, QuantityError
from doseguard.orders import codes
from doseguard.orders.quantities import parse_concentration
from doseguard.suggestions import closest, did_you_mean
from doseguard.vocabulary import ndc_keys


class CodesEntry(Protocol):
    @property
    def rxnorm(self) -> Sequence[str]: ...
    @property
    def ndc(self) -> Sequence[str]: ...


class DrugEntry(Protocol):
    """What a pack says of one of its drugs (``rules.model.DrugSpec`` is one)."""

    @property
    def name(self) -> str: ...
    @property
    def synonyms(self) -> Sequence[str]: ...
    @property
    def forms(self) -> Sequence[str]: ...
    @property
    def codes(self) -> CodesEntry: ...


@dataclass(frozen=True)
class PackCodes:
    rxnorm: tuple[str, ...] = ()
    ndc: tuple[str, ...] = ()


@dataclass(frozen=True)
class PackDrug:
    """A pack's drug given by hand (tests, a mapping of spellings): every form, no codes by default."""

    name: str
    synonyms: tuple[str, ...] = ()
    forms: tuple[str, ...] = ()
    codes: PackCodes = field(default_factory=PackCodes)


@dataclass(frozen=True, slots=True)
class Identity:
    """What :meth:`DrugIdentifier.identify` found: the drug fact, whether a pack covers it, what the
    name said of the product, a notice for the order's warnings and problems that make it invalid."""

    drug: str  # the pack drug's name; when not covered, the name as read
    covered: bool
    strength_mcg_per_ml: float | None = None  # a concentration written in the name
    forms: tuple[str, ...] = ()  # dose forms the name states (vocabulary.DOSE_FORMS)
    notice: str | None = None
    problems: tuple[FieldProblem, ...] = ()


# --- the words of a product name ------------------------------------------------------------------

FORM_WORDS: dict[str, str] = {
    **dict.fromkeys(
        ("injection", "injections", "injectable", "inj", "ij", "vial", "vials", "vl", "ampoule", "ampoules",
         "ampule", "ampules", "ampul", "amp", "amps", "syringe", "syringes", "prefilled", "pre-filled",
         "cartridge", "parenteral", "im", "intramuscular", "intramuscularly", "sc", "subcutaneous", "subq",
         "sq", "iv", "intravenous", "mdv", "sdv", "multi-dose", "multidose", "single-dose"),
        "injection",
    ),
    **dict.fromkeys(
        ("tablet", "tablets", "tab", "tabs", "capsule", "capsules", "cap", "caps", "caplet", "caplets",
         "oral", "orally", "po", "chewable", "chew", "lozenge", "lozenges", "gummy", "gummies", "softgel",
         "softgels", "syrup", "elixir", "er", "odt"),
        "oral",
    ),
    **dict.fromkeys(("sublingual", "sl", "buccal"), "sublingual"),
    **dict.fromkeys(("nasal", "intranasal", "spray", "nostril"), "nasal"),
    **dict.fromkeys(("cream", "ointment", "gel", "patch", "transdermal", "topical", "lotion"), "topical"),
    **dict.fromkeys(("ophthalmic", "eye"), "ophthalmic"),
    **dict.fromkeys(("rectal", "suppository", "suppositories"), "rectal"),
    **dict.fromkeys(("inhalation", "inhaler", "inhaled"), "inhalation"),
}  # fmt: skip
"""Words of a product's name that state its dose form (or a route only that form has)."""

NEUTRAL_WORDS = frozenset(
    ("usp", "bp", "ph", "eur", "nf", "rx", "only", "for", "of", "in", "per", "each", "use", "solution",
     "soln", "sol", "sterile", "preservative", "preservative-free", "free", "pf", "dose", "single",
     "multiple", "generic", "deep", "x", "ml", "mcg", "mg", "unit", "box", "carton", "pack", "package",
     "acetate", "chloride", "hydrochloride", "hcl", "sodium")
)  # fmt: skip
"""Words that say nothing of which drug or form ("USP", "solution", "preservative free", a salt)."""

COMBINATION_WORDS = frozenset(("and", "with", "w", "plus", ";", "+", "&", "/"))
"""What joins the ingredients of a combination ("cyanocobalamin; folic acid", "B12 w/ folic acid")."""

_KNOWN_WORDS = frozenset(FORM_WORDS) | NEUTRAL_WORDS | COMBINATION_WORDS

_NUMBER = r"(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?|\.\d+"
_MASS = r"micrograms?|mcg|ug|µg|μg|milligrams?|mg|grams?|g"
_VOLUME = r"millilit(?:er|re)s?|ml|cc|lit(?:er|re)s?|l"
_LETTER_DASH_DIGIT = re.compile(
    rf"\b([a-wyz])[\s-]+(\d{{1,2}})\b(?![.,]\d)(?!\s*(?:%|/|(?:{_MASS}|{_VOLUME})\b))"
)
"""A vitamin's letter and number ("b-12", "b 12"); not "x 10" (ten vials) or "Cobalin-H 1 mg"."""
_CONCENTRATION = re.compile(
    rf"(?<![\w.,])(?:{_NUMBER})\s*(?:{_MASS})\s*(?:/|\bper\b|\bin\b)\s*(?:(?:{_NUMBER})\s*)?(?:{_VOLUME})(?!\w)"
)
_AMOUNT = re.compile(rf"(?<![\w.,])(?:{_NUMBER})\s*(?:(?:{_MASS}|{_VOLUME})(?![\w/])|%|(?![\w%]))")
_WORD = re.compile(r"[^\W_]+(?:['-][^\W_]+)*|[;+&/]")


@dataclass(frozen=True, slots=True)
class _Reading:
    """A product name read as words: its strengths (mcg/mL), dose forms and the other words."""

    strengths: tuple[float, ...]
    forms: dict[str, str]  # dose form -> the word that says it
    words: tuple[str, ...]  # every word but strengths and amounts, in order
    joined: bool  # a combination word ("and", ";", "/") joins two of them


@lru_cache(maxsize=4096)
def _key(text: str) -> str:
    """Lower case, straight apostrophes, "B-12" and "B 12" written "b12" (as allergies are read)."""
    lowered = text.replace("\u2019", "'").replace("\u2018", "'").lower()
    return _LETTER_DASH_DIGIT.sub(r"\1\2", lowered)


@lru_cache(maxsize=4096)
def read_name(text: str) -> _Reading:
    """The words of a product's name; strengths parsed with :func:`parse_concentration`."""
    key = _key(text)
    strengths: list[float] = []
    for match in _CONCENTRATION.finditer(key):
        try:
            strengths.append(parse_concentration(match.group(0), "strength").value)
        except QuantityError:
            continue  # not a strength after all: its words are read as words
    rest = _AMOUNT.sub(" ", _CONCENTRATION.sub(" ", key))
    words = tuple(_WORD.findall(rest))
    forms = {FORM_WORDS[word]: word for word in words if word in FORM_WORDS}
    inner = [i for i, word in enumerate(words) if word in COMBINATION_WORDS and 0 < i < len(words) - 1]
    return _Reading(tuple(dict.fromkeys(strengths)), forms, words, bool(inner))


def _phrases(spelling: str) -> set[tuple[str, ...]]:
    """A pack spelling as words, with and without a parenthesised qualifier ("B12 (injection)")."""
    found = {tuple(_WORD.findall(_key(spelling))), tuple(_WORD.findall(_key(codes.free_text_item(spelling))))}
    return {phrase for phrase in found if phrase}


class DrugIdentifier:
    """The packs' drugs by name, synonym and code; :meth:`identify` is cached per distinct order."""

    def __init__(self, drugs: Iterable[DrugEntry] | Mapping[str, str] = ()) -> None:
        entries = _entries(drugs)
        self._phrases: dict[tuple[str, ...], str] = {}
        self._forms: dict[str, tuple[str, ...]] = {}
        self._rxnorm: dict[str, str] = {}
        self._ndc: dict[str, str] = {}
        for entry in entries:
            name = entry.name.strip().lower()
            for spelling in (entry.name, *entry.synonyms):
                for phrase in _phrases(spelling):
                    self._phrases[phrase] = name
            self._forms[name] = tuple(entry.forms) or self._forms.get(name, ())
            self._rxnorm.update(dict.fromkeys((code.strip() for code in entry.codes.rxnorm), name))
            for code in entry.codes.ndc:
                self._ndc.update(dict.fromkeys(ndc_keys(code), name))
        self.covered = frozenset(self._phrases.values())
        self._longest = max((len(phrase) for phrase in self._phrases), default=0)
        self._names = sorted({" ".join(phrase) for phrase in self._phrases})
        self.identify: Callable[[str, str | None, str | None], Identity] = lru_cache(maxsize=4096)(
            self._identify
        )

    def _identify(self, text: str, rxnorm: str | None = None, ndc: str | None = None) -> Identity:
        """The drug ``text`` (an order's drug, read as a person reads it) and its codes name."""
        read = read_name(text)
        named, unknown = self._named(read.words)
        problems: list[FieldProblem] = []
        coded = {
            **self._coded("rxnorm", rxnorm, problems),
            **self._coded("ndc", ndc, problems),
        }
        if not coded and not named:  # another drug's codes: not held to the covered drugs' formats
            problems.clear()
        if len(set(coded.values())) > 1:
            said = ", ".join(f"{field} {code!r} is {drug}" for (field, code), drug in coded.items())
            problems.append(
                FieldProblem("ndc" if ndc else "rxnorm", f"the codes name different drugs ({said}): which?")
            )
        strength = read.strengths[0] if len(read.strengths) == 1 else None
        if len(read.strengths) > 1 and (coded or named):  # another drug's name is not held to this
            shown = " and ".join(f"{value:g} mcg/mL" for value in read.strengths)
            problems.append(
                FieldProblem("drug", f"{text!r} names two strengths ({shown}): which is the product?", text)
            )
        forms = tuple(read.forms)
        code_drug = next(iter(coded.values()), None)
        if code_drug is not None and len(named) == 1 and named[0] != code_drug:
            (field, code), _ = next(iter(coded.items()))
            problems.append(
                FieldProblem(
                    field,
                    f"{code!r} is {code_drug}, but the drug's name {text!r} names {named[0]}: "
                    "which is ordered?",
                    code,
                )
            )
        if code_drug is not None:
            notice = None
            reason = self._not_covered(text, read, named, unknown)
            if reason is not None:
                field_name, code = next(iter(coded))
                notice = f"drug: {text!r} is taken for {code_drug} by its {field_name} {code!r}: {reason}"
            return Identity(code_drug, True, strength, forms, notice, tuple(problems))
        reason = self._not_covered(text, read, named, unknown) if named else None
        if reason is None and named:  # a maker, a vial size, a note beside the one drug it names
            notice = None
            if unknown:
                notice = (
                    f"drug: {text!r} was checked as {named[0]}, the one drug it names; "
                    f"{' '.join(unknown)!r} is no word a pack lists (if it names another product, "
                    "add that product to a pack, or this spelling to the pack's synonyms)"
                )
            return Identity(named[0], True, strength, forms, notice, tuple(problems))
        drug = codes.free_text_item(text)
        if drug in self.covered:  # "cyanocobalamin (oral)": the qualifier is what made it not covered
            drug = _key(text)
        notice = None
        if reason is not None:
            notice = f"drug: {text!r} was not checked for dose, route or schedule: {reason}"
        elif self.covered and (near := self._hint(text, unknown)) is not None:
            # Fail closed: not checked as the drug (it may be another), nor filed as not covered
            # (where a wrong dose goes unseen): invalid, saying which name it is close to.
            problems.append(FieldProblem("drug", near, text))
        return Identity(drug, False, strength, forms, notice, tuple(problems))

    def _named(self, words: tuple[str, ...]) -> tuple[list[str], list[str]]:
        """The pack drugs a name's words name (longest phrase first), and its unknown words."""
        named: list[str] = []
        unknown: list[str] = []
        index = 0
        while index < len(words):
            for size in range(min(self._longest, len(words) - index), 0, -1):
                drug = self._phrases.get(words[index : index + size])
                if drug is not None:
                    if drug not in named:
                        named.append(drug)
                    index += size
                    break
            else:
                word = words[index]
                if word not in _KNOWN_WORDS and not word.isdigit():
                    unknown.append(word)
                index += 1
        return named, unknown

    def _not_covered(self, text: str, read: _Reading, named: list[str], unknown: list[str]) -> str | None:
        """Why a name that names pack drugs is not taken for one, or None when it is."""
        if not named:
            return "it names no drug a pack covers"
        if len(named) > 1:
            return f"it names {' and '.join(named)}: a combination no rule pack covers"
        drug = named[0]
        if unknown and read.joined:
            return f"it names {drug} with {' '.join(unknown)!r}: a combination no rule pack covers"
        covers = self._forms.get(drug, ())
        other = [form for form in read.forms if covers and form not in covers]
        if other:
            said = " ".join(word for word in read.words if FORM_WORDS.get(word) in other)
            if not all(form in said.split() for form in other):
                said = f"{said} ({', '.join(other)})"
            return f"{said}: no rule pack covers this form of {drug} (packs cover: {', '.join(covers)})"
        return None

    def _hint(self, text: str, unknown: list[str]) -> str | None:
        """A "did you mean" for a name close to one a pack covers ("cyanocobalmin"), else None.

        A near name is not taken for the drug: "hydroxocobalamin" is close to "cyanocobalamin" and is
        another product with other rules. Nor is it not covered: the order is invalid, saying which name
        was meant.
        """
        written = " ".join(unknown)
        digits = [ch for ch in written if ch.isdigit()]  # "vitamin b6" is another vitamin, not a typo
        names = [name for name in self._names if [ch for ch in name if ch.isdigit()] == digits]
        meant = closest(written, names, cutoff=0.92) if written else None
        if meant is None:
            return None
        return f"{text!r} is not a name any rule pack covers{did_you_mean(meant)}"

    def _coded(
        self, field_name: str, text: str | None, problems: list[FieldProblem]
    ) -> dict[tuple[str, str], str]:
        """The pack drugs the codes of one field name, by (field, code); a malformed code is a problem."""
        if text is None or codes.is_null_entry(text):  # "N/A", "none": no code
            return {}
        found: dict[tuple[str, str], str] = {}
        for code in _code_parts(text):
            if field_name == "rxnorm":
                if not (code.isascii() and code.isdigit() and len(code) <= 8):
                    message = f"{code!r} is not an RxNorm code (an RxCUI is digits, e.g. '309594')"
                    problems.append(FieldProblem("rxnorm", message, text))
                    continue
                drug = self._rxnorm.get(code)
            else:
                keys = ndc_keys(code)
                if not keys:
                    message = f"{code!r} is not an NDC (e.g. '0517-0031-25', '00517003125')"
                    problems.append(FieldProblem("ndc", message, text))
                    continue
                drugs = {self._ndc_drug(key) for key in keys} - {None}
                drug = drugs.pop() if len(drugs) == 1 else None
            if drug is not None:
                found[(field_name, code)] = drug
        return found

    def _ndc_drug(self, key: str) -> str | None:
        """The pack drug of one NDC key: listed whole, or its product (the first 9 digits) listed."""
        return self._ndc.get(key) or (self._ndc.get(key[:9]) if len(key) == 11 else None)


def _entries(drugs: Iterable[DrugEntry] | Mapping[str, str]) -> list[DrugEntry]:
    if not isinstance(drugs, Mapping):
        return list(drugs)
    synonyms: dict[str, list[str]] = {}
    for spelling, name in drugs.items():
        synonyms.setdefault(name, []).append(spelling)
    return [PackDrug(name, tuple(spellings)) for name, spellings in synonyms.items()]


_CODE_LABEL = re.compile(r"^(?:ndc|rxcui|rxnorm)\s*:?\s*", re.IGNORECASE)


def _code_parts(text: str) -> list[str]:
    """The codes of one field as exports write them: separated by ';', ',' or spaces, a label before
    them dropped ("NDC 0517-0031-25", "RXCUI: 309594"), a spreadsheet's "309594.0" read as 309594."""
    parts = [part for part in re.split(r"[;,\s]+", _CODE_LABEL.sub("", text.strip())) if part]
    return [part.removesuffix(".0") if part.removesuffix(".0").isdigit() else part for part in parts]


def ingredient_identifier(drugs: Iterable[DrugEntry]) -> DrugIdentifier:
    """The packs' drugs in every form: another order of the patient is its ingredient (an oral tablet
    of cyanocobalamin is cyanocobalamin, in the form ``oral``, though no pack covers that form), so that
    duplicate therapy across forms (IM and oral) is one drug in two forms, as an aggregate's ``drugs:``
    and ``forms:`` read it."""
    return DrugIdentifier(
        [
            PackDrug(d.name, tuple(d.synonyms), (), PackCodes(tuple(d.codes.rxnorm), tuple(d.codes.ndc)))
            for d in drugs
        ]
    )
