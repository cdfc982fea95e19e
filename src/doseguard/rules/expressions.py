"""The rule expression language: tokenizer, parser and syntax tree.

A small, closed language, parsed here and type-checked in :mod:`doseguard.rules.typecheck`; nothing in
a rule file is ever handed to ``eval``. Grammar (lowest precedence first)::

    condition  := or
    or         := and ("or" and)*
    and        := not ("and" not)*
    not        := "not" not | test
    test       := sum [ ("==" | "!=" | "<" | "<=" | ">" | ">=") sum
                      | ["not"] "in" sum
                      | ("contains" | "contains_any") sum ]
    sum        := product (("+" | "-") product)*
    product    := unary (("*" | "/") unary)*
    unary      := "-" unary | primary
    primary    := NUMBER | STRING | "true" | "false" | "[" [sum ("," sum)*] "]"
                | NAME "(" [condition ("," condition)*] ")"   (a function: exists, missing, abs, ...)
                | NAME "[" sum "]"                           (a table parameter indexed by a field)
                | NAME | "(" condition ")"

Every node records ``pos``, the character offset of its first token, so that errors can point at the
exact column of a rule file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal, TypeAlias

from doseguard.errors import ExpressionError
from doseguard.numbers import format_number

# ---------------------------------------------------------------------------------------------- tree


@dataclass(frozen=True)
class Const:
    """A literal, or a rule parameter after substitution (a table is a dict)."""

    value: float | str | bool | tuple[float | str, ...] | dict[str, float | str]
    pos: int = 0


@dataclass(frozen=True)
class Name:
    """A field of the fact or a parameter of the rule; which one is decided by the type checker."""

    name: str
    pos: int = 0
    # How a message names the field (``unstated()``), set by the type checker from the rule's
    # vocabulary: an aggregate's label is in no global table.
    label: str | None = field(default=None, compare=False)


@dataclass(frozen=True)
class ListLiteral:
    items: tuple[Expr, ...]
    pos: int = 0


@dataclass(frozen=True)
class Index:
    """``table[key]``: a table parameter looked up with the value of a field."""

    table: Expr
    key: Expr
    pos: int = 0


@dataclass(frozen=True)
class Call:
    function: str
    args: tuple[Expr, ...]
    pos: int = 0


@dataclass(frozen=True)
class Negate:
    operand: Expr
    pos: int = 0


ArithmeticOp = Literal["+", "-", "*", "/"]
CompareOp = Literal["==", "!=", "<", "<=", ">", ">="]
MembershipOp = Literal["in", "not in", "contains", "contains_any"]


@dataclass(frozen=True)
class Arithmetic:
    op: ArithmeticOp
    left: Expr
    right: Expr
    pos: int = 0


@dataclass(frozen=True)
class Compare:
    op: CompareOp
    left: Expr
    right: Expr
    pos: int = 0


@dataclass(frozen=True)
class Membership:
    """``x in list``, ``x not in list``, ``list contains x``, ``list contains_any list``."""

    op: MembershipOp
    left: Expr
    right: Expr
    pos: int = 0


@dataclass(frozen=True)
class Not:
    operand: Expr
    pos: int = 0


@dataclass(frozen=True)
class And:
    items: tuple[Expr, ...]
    pos: int = 0


@dataclass(frozen=True)
class Or:
    items: tuple[Expr, ...]
    pos: int = 0


Expr: TypeAlias = (
    Const | Name | ListLiteral | Index | Call | Negate | Arithmetic | Compare | Membership | Not | And | Or
)

FLIPPED: dict[CompareOp, CompareOp] = {"==": "==", "!=": "!=", "<": ">", "<=": ">=", ">": "<", ">=": "<="}
"""``a op b`` is ``b FLIPPED[op] a``."""

NEGATED: dict[CompareOp, CompareOp] = {"==": "!=", "!=": "==", "<": ">=", "<=": ">", ">": "<=", ">=": "<"}
"""``not (a op b)`` is ``a NEGATED[op] b`` when both sides exist."""

# ------------------------------------------------------------------------------------------ tokens

KEYWORDS = frozenset({"and", "or", "not", "in", "contains", "contains_any", "true", "false"})

_TOKEN = re.compile(
    r"""
    (?P<space>\s+)
  | (?P<number>(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)
  | (?P<string>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<op>==|!=|<=|>=|<|>|\+|-|\*|/|\(|\)|\[|\]|,)
    """,
    re.VERBOSE,
)


@dataclass(frozen=True)
class Token:
    kind: Literal["number", "string", "name", "keyword", "op", "end"]
    text: str
    pos: int


def tokenize(text: str, origin: int = 0) -> list[Token]:
    """Tokens of ``text``; positions (and error offsets) count from ``origin``."""
    tokens: list[Token] = []
    pos = 0
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None:
            char = text[pos]
            hint = " (strings are quoted with ' or \")" if char.isalpha() else ""
            if char == "=":
                hint = " (compare with ==)"
            if char in "\"'":
                raise ExpressionError("unterminated string", origin + pos)
            raise ExpressionError(f"unexpected character {char!r}{hint}", origin + pos)
        kind = match.lastgroup
        value = match.group()
        if kind == "name" and value in KEYWORDS:
            tokens.append(Token("keyword", value, origin + pos))
        elif kind != "space":
            assert kind in ("number", "string", "name", "op")
            tokens.append(Token(kind, value, origin + pos))  # type: ignore[arg-type]
        pos = match.end()
    tokens.append(Token("end", "", origin + len(text)))
    return tokens


def _unquote(text: str) -> str:
    body = text[1:-1]
    return re.sub(r"\\(.)", r"\1", body)


# ------------------------------------------------------------------------------------------ parser


class _Parser:
    def __init__(self, text: str, origin: int) -> None:
        self.text = text
        self.origin = origin
        self.tokens = tokenize(text, origin)
        self.index = 0

    @property
    def current(self) -> Token:
        return self.tokens[self.index]

    def advance(self) -> Token:
        token = self.tokens[self.index]
        self.index += 1
        return token

    def accept(self, *texts: str) -> Token | None:
        token = self.current
        if token.kind in ("op", "keyword") and token.text in texts:
            self.index += 1
            return token
        return None

    def expect(self, text: str) -> Token:
        token = self.accept(text)
        if token is None:
            raise ExpressionError(f"expected {text!r}, found {self.describe(self.current)}", self.current.pos)
        return token

    @staticmethod
    def describe(token: Token) -> str:
        return "end of expression" if token.kind == "end" else repr(token.text)

    def parse(self) -> Expr:
        if self.current.kind == "end":
            raise ExpressionError("empty expression", self.origin)
        node = self.condition()
        token = self.tokens[self.index]
        if token.kind != "end":
            hint = ""
            if token.text == "=":
                hint = " (compare with ==)"
            elif token.kind == "name" and token.text.lower() in KEYWORDS:
                hint = f" (keywords are lower case: {token.text.lower()!r})"
            raise ExpressionError(f"unexpected {self.describe(token)}{hint}", token.pos)
        return node

    def condition(self) -> Expr:
        return self.or_()

    def or_(self) -> Expr:
        first = self.and_()
        items = [first]
        while self.accept("or"):
            items.append(self.and_())
        return first if len(items) == 1 else Or(tuple(items), first.pos)

    def and_(self) -> Expr:
        first = self.not_()
        items = [first]
        while self.accept("and"):
            items.append(self.not_())
        return first if len(items) == 1 else And(tuple(items), first.pos)

    def not_(self) -> Expr:
        token = self.accept("not")
        if token:
            return Not(self.not_(), token.pos)
        return self.test()

    def test(self) -> Expr:
        left = self.sum()
        token = self.accept("==", "!=", "<", "<=", ">", ">=")
        if token:
            return Compare(token.text, left, self.sum(), token.pos)  # type: ignore[arg-type]
        if self.current.text == "not" and self.tokens[self.index + 1].text == "in":
            token = self.advance()
            self.advance()
            return Membership("not in", left, self.sum(), token.pos)
        token = self.accept("in", "contains", "contains_any")
        if token:
            return Membership(token.text, left, self.sum(), token.pos)  # type: ignore[arg-type]
        return left

    def sum(self) -> Expr:
        node = self.product()
        while token := self.accept("+", "-"):
            node = Arithmetic(token.text, node, self.product(), token.pos)  # type: ignore[arg-type]
        return node

    def product(self) -> Expr:
        node = self.unary()
        while token := self.accept("*", "/"):
            node = Arithmetic(token.text, node, self.unary(), token.pos)  # type: ignore[arg-type]
        return node

    def unary(self) -> Expr:
        token = self.accept("-")
        if token:
            return Negate(self.unary(), token.pos)
        return self.primary()

    def primary(self) -> Expr:
        token = self.current
        if token.kind == "number":
            self.advance()
            return Const(float(token.text), token.pos)
        if token.kind == "string":
            self.advance()
            return Const(_unquote(token.text), token.pos)
        if token.kind == "keyword" and token.text in ("true", "false"):
            self.advance()
            return Const(token.text == "true", token.pos)
        if self.accept("("):
            node = self.condition()
            self.expect(")")
            return node
        if self.accept("["):
            items: list[Expr] = []
            if not self.accept("]"):
                items.append(self.sum())
                while self.accept(","):
                    items.append(self.sum())
                self.expect("]")
            return ListLiteral(tuple(items), token.pos)
        if token.kind == "name":
            self.advance()
            if self.accept("("):
                args: list[Expr] = []
                if not self.accept(")"):
                    args.append(self.condition())
                    while self.accept(","):
                        args.append(self.condition())
                    self.expect(")")
                return Call(token.text, tuple(args), token.pos)
            if self.accept("["):
                key = self.sum()
                self.expect("]")
                return Index(Name(token.text, token.pos), key, token.pos)
            return Name(token.text, token.pos)
        if token.kind == "end":
            raise ExpressionError("expression ends too early", token.pos)
        raise ExpressionError(f"unexpected {self.describe(token)}", token.pos)


def parse_expression(text: str, origin: int = 0) -> Expr:
    """Parse one expression or condition; raises :class:`ExpressionError` with the offending offset.

    ``origin`` is added to every position, so that several strings can share one position space.
    """
    return _Parser(text, origin).parse()


def name_nodes(node: Expr) -> list[Name]:
    """Every field reference in ``node``, in reading order (repeats kept: each has its position)."""
    found: list[Name] = []
    _collect_names(node, found)
    return found


def _collect_names(node: Expr, into: list[Name]) -> None:
    match node:
        case Name():
            into.append(node)
        case (
            Arithmetic(left=left, right=right)
            | Compare(left=left, right=right)
            | Membership(left=left, right=right)
        ):
            _collect_names(left, into)
            _collect_names(right, into)
        case Negate(operand=operand) | Not(operand=operand):
            _collect_names(operand, into)
        case And(items=items) | Or(items=items) | Call(args=items) | ListLiteral(items=items):
            for item in items:
                _collect_names(item, into)
        case Index(key=key):
            _collect_names(key, into)


# ------------------------------------------------------------------------------------------ display


def render(node: Expr) -> str:
    """Readable text for a tree: used by ``explain`` and in messages about conditions."""
    match node:
        case Const(value=bool() as flag):
            return "true" if flag else "false"
        case Const(value=float() as number):
            return format_number(number)
        case Const(value=str() as text):
            return repr(text)
        case Const(value=tuple() as items):
            return "[" + ", ".join(format_number(i) if isinstance(i, float) else repr(i) for i in items) + "]"
        case Const(value=dict() as table):
            return "{" + ", ".join(f"{k}: {_table_value(v)}" for k, v in table.items()) + "}"
        case Name(name=name):
            return name
        case ListLiteral(items=items):
            return "[" + ", ".join(render(i) for i in items) + "]"
        case Index(table=table, key=key):
            return f"{render(table)}[{render(key)}]"
        case Call(function=function, args=args):
            return f"{function}({', '.join(render(a) for a in args)})"
        case Negate(operand=operand):
            return f"-{render(operand)}"
        case Arithmetic(op=op, left=left, right=right):
            return f"({render(left)} {op} {render(right)})"
        case Compare(op=op, left=left, right=right) | Membership(op=op, left=left, right=right):
            return f"{render(left)} {op} {render(right)}"
        case Not(operand=operand):
            return f"not ({render(operand)})"
        case And(items=items):
            return " and ".join(f"({render(i)})" for i in items)
        case Or(items=items):
            return " or ".join(f"({render(i)})" for i in items)
    raise AssertionError(node)


class Unevaluable:
    """The value of an expression that could not be computed for an order: a division by a stated
    zero, or a result out of the range of numbers. Not "not stated" (``None``): the order stated every
    value, and the rule cannot say anything with them, so neither true nor false (see
    :mod:`doseguard.rules.evaluate`). One instance, :data:`UNEVALUABLE`."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "UNEVALUABLE"

    def __bool__(self) -> bool:
        raise TypeError("UNEVALUABLE has no truth value: test it with 'is UNEVALUABLE'")


UNEVALUABLE = Unevaluable()


def fold_arithmetic(op: ArithmeticOp, a: float, b: float) -> float | Unevaluable:
    """``a op b``; :data:`UNEVALUABLE` for a division by zero or a result that is not a finite number."""
    if op == "+":
        result = a + b
    elif op == "-":
        result = a - b
    elif op == "*":
        result = a * b
    elif b:
        result = a / b
    else:
        return UNEVALUABLE
    return result if -_HUGE < result < _HUGE else UNEVALUABLE


_HUGE = float("inf")
"""Comparing with infinity is the cheapest finiteness test (NaN fails both comparisons too)."""


def _table_value(value: object) -> str:
    return format_number(value) if isinstance(value, float) else str(value)
