"""The meaning of a resolved expression, in plain Python.

This is the language's reference semantics. It renders message placeholders, and tests use it as an
oracle: for any fact, the condition compiled into durable-rules must fire exactly when this says true.

The rules of absence: a field the order does not state has no value; arithmetic on no value, a
division by zero and a table lookup with no entry give no value; a comparison or membership test
with no value on either side is false; ``not`` simply negates. So ``not (volume_ml > 2)`` is true for
an order that states no volume.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from doseguard.rules.expressions import (
    And,
    Arithmetic,
    Call,
    Compare,
    Const,
    Expr,
    Index,
    Membership,
    Name,
    Negate,
    Not,
    Or,
    fold_arithmetic,
)
from doseguard.vocabulary import VOCABULARY

Fact = Mapping[str, Any]


def evaluate(node: Expr, fact: Fact) -> Any:
    """The value of ``node`` for ``fact``; ``None`` means "no value"."""
    match node:
        case Const(value=value):
            return value
        case Name(name=name):
            return fact.get(name)
        case Index(table=Const(value=dict() as table), key=key):
            return table.get(evaluate(key, fact))
        case Negate(operand=operand):
            value = evaluate(operand, fact)
            return None if value is None else -value
        case Arithmetic(op=op, left=left, right=right):
            a, b = evaluate(left, fact), evaluate(right, fact)
            return None if a is None or b is None else fold_arithmetic(op, a, b)
        case Compare(op=op, left=left, right=right):
            a, b = evaluate(left, fact), evaluate(right, fact)
            if a is None or b is None:
                return False
            return bool({"==": a == b, "!=": a != b, "<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[op])
        case Membership(op=op, left=left, right=right):
            a, b = evaluate(left, fact), evaluate(right, fact)
            if a is None or b is None:
                return False
            if op == "in":
                return a in b
            if op == "not in":
                return a not in b
            if op == "contains":
                return b in a
            return any(item in a for item in b)
        case Not(operand=operand):
            return not truth(evaluate(operand, fact))
        case And(items=items):
            return all(truth(evaluate(item, fact)) for item in items)
        case Or(items=items):
            return any(truth(evaluate(item, fact)) for item in items)
        case Call(function=function, args=args):
            return _call(function, args, fact)
    raise AssertionError(node)


def truth(value: Any) -> bool:
    """A condition's verdict: only ``True`` is true (a missing boolean field is false)."""
    return value is True


def _call(function: str, args: tuple[Expr, ...], fact: Fact) -> Any:
    if function == "exists":
        return evaluate(args[0], fact) is not None
    if function == "missing":
        return evaluate(args[0], fact) is None
    if function == "abs":
        value = evaluate(args[0], fact)
        return None if value is None else abs(value)
    if function == "coalesce":
        return next((v for v in (evaluate(a, fact) for a in args) if v is not None), None)
    if function == "unstated":
        return tuple(
            VOCABULARY[a.name].label for a in args if isinstance(a, Name) and evaluate(a, fact) is None
        )
    if function == "common":
        first, second = evaluate(args[0], fact) or (), evaluate(args[1], fact) or ()
        return tuple(item for item in first if item in second)
    raise AssertionError(function)


Compiled = Callable[[Fact], Any]


def compile_expression(node: Expr) -> Compiled:
    """A function of a fact with exactly the meaning of ``evaluate(node, fact)``, built once.

    Message placeholders are evaluated for every finding; walking the tree each time is most of the
    cost of rendering. Node kinds messages seldom use (comparisons, logic) keep the reference
    evaluator itself, so their meaning cannot drift.
    """
    match node:
        case Const(value=value):
            return lambda fact: value
        case Name(name=name):
            return lambda fact: fact.get(name)
        case Index(table=Const(value=dict() as table), key=key):
            key_of = compile_expression(key)
            return lambda fact: table.get(key_of(fact))
        case Negate(operand=operand):
            inner = compile_expression(operand)

            def negate(fact: Fact) -> Any:
                value = inner(fact)
                return None if value is None else -value

            return negate
        case Arithmetic(op=op, left=left, right=right):
            return _compile_arithmetic(op, compile_expression(left), compile_expression(right))
        case Call(function=function, args=args) if function in _COMPILED_CALLS:
            return _compile_call(function, args)
    return lambda fact: evaluate(node, fact)


_COMPILED_CALLS = frozenset({"abs", "coalesce", "unstated", "common"})
"""Functions compiled here; any other (exists, missing, one added later) keeps the reference evaluator."""


def _compile_arithmetic(op: str, left: Compiled, right: Compiled) -> Compiled:
    def arithmetic(fact: Fact) -> Any:
        a, b = left(fact), right(fact)
        return None if a is None or b is None else fold_arithmetic(op, a, b)  # type: ignore[arg-type]

    return arithmetic


def _compile_call(function: str, args: tuple[Expr, ...]) -> Compiled:
    parts = tuple(compile_expression(arg) for arg in args)
    if function == "abs":
        (inner,) = parts

        def absolute(fact: Fact) -> Any:
            value = inner(fact)
            return None if value is None else abs(value)

        return absolute
    if function == "coalesce":

        def coalesce(fact: Fact) -> Any:
            for part in parts:
                value = part(fact)
                if value is not None:
                    return value
            return None

        return coalesce
    if function == "unstated":
        labelled = tuple(
            (VOCABULARY[arg.name].label, part)
            for arg, part in zip(args, parts, strict=True)
            if isinstance(arg, Name)
        )
        return lambda fact: tuple(label for label, part in labelled if part(fact) is None)
    if function == "common":
        first, second = parts

        def common(fact: Fact) -> Any:
            items, others = first(fact) or (), second(fact) or ()
            return tuple(item for item in items if item in others)

        return common
    raise AssertionError(function)
