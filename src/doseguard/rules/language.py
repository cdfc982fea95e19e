"""What the rule language offers an author: fields, operators and functions, in one place.

``doseguard rules vocabulary`` and the JSON Schema both describe the language; both read it from here,
and this module reads it from the sources the parser and type checker use (the operator types of
:mod:`doseguard.rules.expressions`, the function tables of :mod:`doseguard.rules.typecheck`, the
fact vocabulary), so that a new operator, function or field shows up without anyone copying a list.
Only the one-line meanings of operators are written here; a test checks they match the parser's.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import get_args

from doseguard.rules.expressions import KEYWORDS, ArithmeticOp, CompareOp, MembershipOp
from doseguard.rules.typecheck import CONDITION_FUNCTIONS, MESSAGE_FUNCTIONS
from doseguard.vocabulary import VOCABULARY, FieldSpec

LITERAL_WORDS = ("true", "false")

OPERATOR_MEANINGS: dict[str, str] = {
    "==": "equal to (numbers, texts, true/false)",
    "!=": "not equal to",
    "<": "less than",
    "<=": "less than or equal to",
    ">": "greater than",
    ">=": "greater than or equal to",
    "+": "add",
    "-": "subtract (or negate: -x)",
    "*": "multiply",
    "/": "divide (a division by zero gives no value, so the comparison is false)",
    "in": "the value is one of a list: route in ['IM', 'SC']",
    "not in": "the value is none of a list",
    "contains": "a list field holds the value: allergy_terms contains 'cobalt'",
    "contains_any": "a list field holds at least one of the values",
    "and": "both conditions hold",
    "or": "at least one condition holds",
    "not": "the condition does not hold; a comparison with a missing field is false, so "
    "not (volume_ml > 2) is true for an order with no volume",
}


SYNTAX = (
    "numbers: 1000, 0.5 (no units: fields carry their unit in their name, dose_mcg)",
    "texts: 'IM' or \"IM\"; true, false",
    "lists: ['IM', 'SC']",
    "table[field]: a table parameter read with the order's value of a field (site_max_volume_ml[site])",
    "( ... ) to group; not binds tighter than and, and tighter than or",
)
"""The rest of the grammar of :mod:`doseguard.rules.expressions`, in an author's words."""


@dataclass(frozen=True)
class Operator:
    symbol: str
    kind: str  # comparison, arithmetic, membership, logic
    meaning: str


@dataclass(frozen=True)
class Function:
    name: str
    usage: str  # "exists(field): the order states the field"
    in_conditions: bool  # False: only in messages


def operator_symbols() -> dict[str, str]:
    """Every operator the parser accepts, with its kind, from the parser's own types and keywords."""
    membership = get_args(MembershipOp)
    membership_words = {word for op in membership for word in op.split()} - {"not"}
    logic = sorted(KEYWORDS - membership_words - set(LITERAL_WORDS), key=_listed_position)
    kinds = {
        "comparison": get_args(CompareOp),
        "arithmetic": get_args(ArithmeticOp),
        "membership": membership,
        "logic": tuple(logic),
    }
    return {symbol: kind for kind, symbols in kinds.items() for symbol in symbols}


def _listed_position(symbol: str) -> int:
    """Logic operators in the order of OPERATOR_MEANINGS (lowest precedence last); new ones at the end."""
    listed = list(OPERATOR_MEANINGS)
    return listed.index(symbol) if symbol in listed else len(listed)


def operators() -> list[Operator]:
    """The operators, each with what it means to an author."""
    return [
        Operator(symbol, kind, OPERATOR_MEANINGS.get(symbol, ""))
        for symbol, kind in operator_symbols().items()
    ]


def functions() -> list[Function]:
    """The functions, condition ones first; message-only ones (``unstated``, ``common``) last."""
    return [Function(name, usage, name in CONDITION_FUNCTIONS) for name, usage in MESSAGE_FUNCTIONS.items()]


def fields() -> list[FieldSpec]:
    """The order fields a rule may read, in the vocabulary's order."""
    return list(VOCABULARY.values())
