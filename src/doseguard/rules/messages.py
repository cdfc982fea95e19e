"""Message templates: ``"{volume_ml} mL is more than {site_max_volume_ml[site]} mL"``.

A placeholder is an expression of the rule language, type-checked at load time against the fields
and parameters the rule can see (so a misspelt placeholder is a load error, not a broken message at
3 a.m.), and evaluated by the reference evaluator when the rule fires. ``{{`` and ``}}`` are braces.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from doseguard.errors import ExpressionError
from doseguard.numbers import format_amount, format_grouped
from doseguard.rules.evaluate import UNEVALUABLE, compile_expression, evaluate
from doseguard.rules.expressions import Const, Expr, Name, parse_expression
from doseguard.rules.typecheck import MESSAGE_FUNCTIONS, ParameterValue, TypeChecker
from doseguard.vocabulary import FieldSpec


@dataclass(frozen=True)
class Placeholder:
    text: str
    expression: Expr


@dataclass(frozen=True)
class MessageTemplate:
    parts: tuple[str | Placeholder, ...]

    def render(self, fact: Mapping[str, Any]) -> str:
        """The message for ``fact``, through the reference evaluator (see :meth:`compile`)."""
        return "".join(p if isinstance(p, str) else display(evaluate(p.expression, fact)) for p in self.parts)

    def compile(self) -> Callable[[Mapping[str, Any]], str]:
        """A function that renders exactly as :meth:`render` does, several times faster: placeholders
        are compiled once (:func:`compile_expression`), those that read no field (parameters, literals)
        are rendered once into the text around them, and the text is a %-format with a slot for each
        of the others."""
        text: list[str] = []
        steps: list[Callable[[Mapping[str, Any]], str]] = []
        for part in self.parts:
            constant = _constant_text(part)
            if constant is not None:
                text.append(constant.replace("%", "%%"))
            else:
                text.append("%s")
                steps.append(_step(part.expression))  # type: ignore[union-attr]
        layout = "".join(text)
        if not steps:
            message = layout % ()
            return lambda fact: message
        if len(steps) == 1:
            (only,) = steps
            return lambda fact: layout % (only(fact),)
        return lambda fact: layout % tuple([step(fact) for step in steps])


def _constant_text(part: str | Placeholder) -> str | None:
    """The text of a literal, or of a placeholder that reads no field; None for the others (and for a
    constant that cannot be displayed: it fails when rendered, as :meth:`MessageTemplate.render` does)."""
    if isinstance(part, str):
        return part
    if isinstance(part.expression, Const):
        try:
            return display(part.expression.value)
        except Exception:
            return None
    return None


def _step(expression: Expr) -> Callable[[Mapping[str, Any]], str]:
    """A placeholder's text for a fact: ``display`` of its value (a field read directly)."""
    if isinstance(expression, Name):
        name = expression.name

        def field(fact: Mapping[str, Any]) -> str:
            value = fact.get(name)
            return _float_text(value) if type(value) is float else display(value)

        return field
    value_of = compile_expression(expression)
    return lambda fact: display(value_of(fact))


_float_text = format_amount
"""``display`` of a float (remembered: a batch's doses and volumes repeat; equal floats read alike)."""


def display(value: Any) -> str:
    """A value as a reader expects it: no trailing zeros, thousands separated (``1,000``; text, such
    as ids and codes, keeps its digits as they are), lists joined, codes with spaces, absence said."""
    kind = type(value)
    if kind is float:  # the common cases first
        return _float_text(value)
    if kind is str:
        return value.replace("_", " ")  # type: ignore[no-any-return]
    if value is None:
        return "not stated"
    if value is UNEVALUABLE:  # a stated value it could not be computed from: not "not stated"
        return "cannot be computed (division by zero)"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float | int):
        return format_grouped(round(float(value), 3))  # 7/3 days reads "2.333", not "2.333333"
    if isinstance(value, tuple | list):
        return ", ".join(display(v) for v in value) if value else "none"
    return str(value).replace("_", " ")


def parse_message(
    text: str, vocabulary: Mapping[str, FieldSpec], parameters: Mapping[str, ParameterValue]
) -> tuple[MessageTemplate, set[str]]:
    """Parse and check a template; returns it and the fields it reads. Errors carry the text offset."""
    parts: list[str | Placeholder] = []
    fields: set[str] = set()
    literal: list[str] = []
    index = 0
    while index < len(text):
        char = text[index]
        if text.startswith("{{", index) or text.startswith("}}", index):
            literal.append(char)
            index += 2
            continue
        if char == "}":
            raise ExpressionError("unmatched '}' in message (write '}}' for a brace)", index)
        if char != "{":
            literal.append(char)
            index += 1
            continue
        end = text.find("}", index)
        if end < 0:
            raise ExpressionError("unclosed '{' in message", index)
        source = text[index + 1 : end]
        try:
            expression = parse_expression(source)
            checker = TypeChecker(vocabulary, parameters, functions=MESSAGE_FUNCTIONS)
            resolved, _ = checker.check(expression)
        except ExpressionError as error:
            raise ExpressionError(
                f"in placeholder {{{source}}}: {error.message}", index + 1 + error.offset
            ) from None
        fields |= checker.fields_read
        if literal:
            parts.append("".join(literal))
            literal = []
        parts.append(Placeholder(source, resolved))
        index = end + 1
    if literal:
        parts.append("".join(literal))
    return MessageTemplate(tuple(parts)), fields
