"""The ``when:`` block of a rule: YAML structure (all/any/not, lists) around expressions.

Authors may write a whole condition as one expression string, or break it up::

    when:
      all:
        - route == "IM"
        - any:
            - volume_ml > 5
            - dose_mcg >= 10000

Errors point at the exact column inside the expression that is wrong.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from yaml import ScalarNode

from doseguard.errors import ConditionError, ExpressionError, ProblemKind, RuleProblem, SourceLocation
from doseguard.rules.expressions import And, Const, Expr, Not, Or, parse_expression
from doseguard.rules.yaml_source import PathKey, YamlDocument

COMBINATORS = ("all", "any", "not")

STRIDE = 1 << 20
"""Each expression string of a ``when`` block gets its own range of positions: string i starts at i*STRIDE."""


@dataclass
class ParsedWhen:
    """A ``when`` block as one tree, plus the YAML path of each expression string in it."""

    expression: Expr
    sources: list[PathKey] = field(default_factory=list)

    def locate(self, document: YamlDocument, position: int) -> SourceLocation:
        index, offset = divmod(position, STRIDE)
        if 0 <= index < len(self.sources):
            return offset_location(document, self.sources[index], offset)
        return document.locate(self.sources[0] if self.sources else ())


def offset_location(document: YamlDocument, where: PathKey, offset: int) -> SourceLocation:
    """The file location of character ``offset`` inside the string scalar at ``where``.

    Exact for one-line scalars and literal blocks (``|``). Folded blocks (``>``, ``>-``) and plain or
    quoted scalars over several lines join their lines with a space: those are mapped line by line
    through the source text (escapes inside quoted strings aside)."""
    base = document.locate(where)
    node = document.node(where)
    if not isinstance(node, ScalarNode) or not isinstance(node.value, str):
        return base
    value = node.value
    offset = max(0, min(offset, len(value)))
    if node.style == "|":
        line_in_value = value.count("\n", 0, offset)
        column_in_line = offset - (value.rfind("\n", 0, offset) + 1)
        first_line = node.start_mark.line + 1
        indent = _indent_of(document, first_line)
        return SourceLocation(base.path, first_line + line_in_value + 1, indent + column_in_line + 1)
    quote = 1 if node.style in ('"', "'") else 0
    if node.style != ">" and node.start_mark.line == node.end_mark.line:
        return SourceLocation(base.path, base.line, base.column + quote + offset)
    return _folded_location(document, node, offset) or base


def _folded_location(document: YamlDocument, node: ScalarNode, offset: int) -> SourceLocation | None:
    """Walk the source lines of a scalar whose lines were joined by single spaces."""
    lines = document.lines
    if node.style == ">":
        first, first_column = node.start_mark.line + 1, None  # content starts on the next line
    else:
        first, first_column = node.start_mark.line, node.start_mark.column + (1 if node.style else 0)
    position = 0
    for index in range(first, min(node.end_mark.line + 1, len(lines))):
        raw = lines[index]
        start = (
            first_column if (index == first and first_column is not None) else len(raw) - len(raw.lstrip(" "))
        )
        content = raw[start:].rstrip()
        if node.style in ('"', "'") and index == node.end_mark.line and content.endswith(node.style):
            content = content[:-1]
        if not content:
            continue
        if offset <= position + len(content):
            return SourceLocation(document.path, index + 1, start + (offset - position) + 1)
        position += len(content) + 1  # the line break became one space
    return None


def _indent_of(document: YamlDocument, line_index: int) -> int:
    lines = document.lines
    if 0 <= line_index < len(lines):
        line = lines[line_index]
        return len(line) - len(line.lstrip(" "))
    return 0


def parse_when(document: YamlDocument, where: PathKey, rule_id: str | None) -> ParsedWhen:
    """Turn the YAML value at ``where`` into one expression tree."""
    value: Any = document.data
    for key in where:
        value = value[key]
    parsed = ParsedWhen(Const(True))
    parsed.expression = _parse(document, where, value, rule_id, parsed.sources)
    return parsed


def _problem(document: YamlDocument, where: PathKey, message: str, rule_id: str | None) -> ConditionError:
    return ConditionError(
        RuleProblem(document.locate(where), message, kind=ProblemKind.CONDITION, rule_id=rule_id)
    )


def _parse(
    document: YamlDocument, where: PathKey, value: Any, rule_id: str | None, sources: list[PathKey]
) -> Expr:
    if isinstance(value, bool):
        raise _problem(document, where, "a condition is an expression, not a bare true/false", rule_id)
    if isinstance(value, str):
        origin = len(sources) * STRIDE
        sources.append(where)
        try:
            return parse_expression(value, origin)
        except ExpressionError as error:
            location = offset_location(document, where, error.offset - origin)
            raise ConditionError(
                RuleProblem(location, error.message, kind=ProblemKind.EXPRESSION, rule_id=rule_id)
            ) from None
    if isinstance(value, list):
        if not value:
            raise _problem(document, where, "an empty list of conditions", rule_id)
        return And(
            tuple(_parse(document, (*where, i), item, rule_id, sources) for i, item in enumerate(value))
        )
    if isinstance(value, dict):
        if len(value) != 1 or next(iter(value)) not in COMBINATORS:
            keys = ", ".join(map(str, value)) or "nothing"
            raise _problem(
                document,
                where,
                f"a condition block has exactly one of all:, any:, not: (found {keys})",
                rule_id,
            )
        combinator, inner = next(iter(value.items()))
        inner_where = (*where, combinator)
        if combinator == "not":
            return Not(_parse(document, inner_where, inner, rule_id, sources))
        if not isinstance(inner, list) or not inner:
            raise _problem(
                document, inner_where, f"{combinator}: takes a non-empty list of conditions", rule_id
            )
        items = tuple(
            _parse(document, (*inner_where, i), item, rule_id, sources) for i, item in enumerate(inner)
        )
        return And(items) if combinator == "all" else Or(items)
    raise _problem(document, where, "a condition is an expression string, a list, or all:/any:/not:", rule_id)
