"""The meaning of a resolved expression, in plain Python.

This is the language's reference semantics. It renders message placeholders, and tests use it as an
oracle: for any fact, the condition compiled into durable-rules must fire exactly when this says true.

The rules of absence: a field the order does not state has no value (``None``); arithmetic on no
value and a table lookup with no entry give no value; a comparison or membership test with no value
on either side is false; ``not`` simply negates. So ``not (volume_ml > 2)`` is true for an order that
states no volume. Rules handle absence themselves (``exists``, ``missing``, ``coalesce``).

Values that cannot be computed are another matter: a division by a stated zero (or a result that is
not a finite number) is :data:`UNEVALUABLE`. It spreads through arithmetic and comparisons (but a
value not stated comes first: a comparison reading a field the order leaves out is false, as
above); ``not`` keeps it; ``and`` and ``or`` are three-valued, so a part that settles the answer
settles it (``given > 0 and dose / given > 100`` is false for 0 given). A condition that is
UNEVALUABLE is not true (the engine does not fire it: its divisors are guarded ``!= 0``) and not
false: the checker reports the order as an error naming the rule (:func:`zero_divisor_check`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from doseguard.numbers import format_amount
from doseguard.rules.expressions import (
    UNEVALUABLE,
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
    Unevaluable,
    fold_arithmetic,
    name_nodes,
    render,
)
from doseguard.vocabulary import VOCABULARY

Fact = Mapping[str, Any]
__all__ = [
    "UNEVALUABLE",
    "Unevaluable",
    "compile_decision",
    "compile_expression",
    "decide",
    "divisor_fields",
    "evaluate",
    "truth",
    "zero_divisor_check",
]


def evaluate(node: Expr, fact: Fact) -> Any:
    """The value of ``node`` for ``fact``; ``None`` means "no value"."""
    match node:
        case Const(value=value):
            return value
        case Name(name=name):
            return fact.get(name)
        case Index(table=Const(value=dict() as table), key=key):
            return table.get(evaluate(key, fact))  # keys are text: never computed
        case Negate(operand=operand):
            value = evaluate(operand, fact)
            return value if value is None or value is UNEVALUABLE else -value
        case Arithmetic(op=op, left=left, right=right):
            return _arithmetic(op, evaluate(left, fact), evaluate(right, fact))
        case Compare(op=op, left=left, right=right):
            a, b = evaluate(left, fact), evaluate(right, fact)
            if a is None or b is None:
                return False
            if a is UNEVALUABLE or b is UNEVALUABLE:
                return UNEVALUABLE
            return _compare(op, a, b)
        case Membership(op=op, left=left, right=right):
            a, b = evaluate(left, fact), evaluate(right, fact)
            if a is None or b is None:
                return False
            if a is UNEVALUABLE or b is UNEVALUABLE:
                return UNEVALUABLE
            return _member(op, a, b)
        case Not(operand=operand):
            value = evaluate(operand, fact)
            return value if value is UNEVALUABLE else not truth(value)
        case And(items=items):
            unknown = False
            for item in items:
                value = evaluate(item, fact)
                if value is UNEVALUABLE:
                    unknown = True
                elif value is not True:
                    return False
            return UNEVALUABLE if unknown else True
        case Or(items=items):
            unknown = False
            for item in items:
                value = evaluate(item, fact)
                if value is True:
                    return True
                unknown = unknown or value is UNEVALUABLE
            return UNEVALUABLE if unknown else False
        case Call(function=function, args=args):
            return _call(function, args, fact)
    raise AssertionError(node)


def _compare(op: str, a: Any, b: Any) -> bool:
    return bool({"==": a == b, "!=": a != b, "<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[op])


def _member(op: str, a: Any, b: Any) -> bool:
    if op == "in":
        return a in b
    if op == "not in":
        return a not in b
    if op == "contains":
        return b in a
    return any(item in a for item in b)


def _arithmetic(op: str, a: Any, b: Any) -> Any:
    """No value wins (a field not stated), then a value that could not be computed."""
    if a is None or b is None:
        return None
    if a is UNEVALUABLE or b is UNEVALUABLE:
        return UNEVALUABLE
    return fold_arithmetic(op, a, b)  # type: ignore[arg-type]


def truth(value: Any) -> bool:
    """A condition's verdict: only ``True`` is true (a missing boolean field is false, and so is a
    condition that cannot be evaluated, which the checker reports separately)."""
    return value is True


def _call(function: str, args: tuple[Expr, ...], fact: Fact) -> Any:
    if function == "exists":
        return evaluate(args[0], fact) is not None
    if function == "missing":
        return evaluate(args[0], fact) is None
    if function == "abs":
        value = evaluate(args[0], fact)
        return value if value is None or value is UNEVALUABLE else abs(value)
    if function == "coalesce":
        return next((v for v in (evaluate(a, fact) for a in args) if v is not None), None)
    if function == "unstated":
        return tuple(label_of(a) for a in args if isinstance(a, Name) and evaluate(a, fact) is None)
    if function == "common":
        first, second = evaluate(args[0], fact) or (), evaluate(args[1], fact) or ()
        return tuple(item for item in first if item in second)
    if function == "as_ordered":
        (field,) = args
        assert isinstance(field, Name)
        return as_ordered(field.name, unit_of(field.name), fact)
    raise AssertionError(function)


ORDERED = "@ordered"
"""The key, in a fact rendered for a message, of how the order stated its quantities: ``{field:
(number, unit)}`` (:attr:`doseguard.orders.model.Order.as_ordered`). No rule can name it."""


def label_of(field: Name) -> str:
    """How a message names a field: the label the type checker gave it, the vocabulary's, or its
    name in words (a history aggregate checked without its pack's vocabulary)."""
    if field.label is not None:
        return field.label
    spec = VOCABULARY.get(field.name)
    return spec.label if spec is not None else field.name.replace("_", " ")


def unit_of(name: str) -> str:
    spec = VOCABULARY.get(name)
    return (spec.unit or "") if spec is not None else ""


def as_ordered(name: str, unit: str, fact: Fact) -> str | None:
    """A quantity as the order stated it, then in the field's unit: ``1 mg (1,000 mcg)``, or
    ``1,000 mcg`` when the order stated that; None (not stated) when the order has no such field."""
    value = fact.get(name)
    if value is None:
        return None
    shown = f"{format_amount(value)} {unit}"
    stated = fact.get(ORDERED)
    if stated is None or name not in stated:
        return shown
    number, stated_unit = stated[name]
    return f"{format_amount(number)} {stated_unit} ({shown})"


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
                return value if value is None or value is UNEVALUABLE else -value

            return negate
        case Arithmetic(op=op, left=left, right=right):
            return _compile_arithmetic(op, compile_expression(left), compile_expression(right))
        case Call(function=function, args=args) if function in _COMPILED_CALLS:
            return _compile_call(function, args)
    return lambda fact: evaluate(node, fact)


_COMPILED_CALLS = frozenset({"abs", "coalesce", "unstated", "common", "as_ordered"})
"""Functions compiled here; any other (exists, missing, one added later) keeps the reference evaluator."""


def _compile_arithmetic(op: str, left: Compiled, right: Compiled) -> Compiled:
    def arithmetic(fact: Fact) -> Any:
        return _arithmetic(op, left(fact), right(fact))

    return arithmetic


def _compile_call(function: str, args: tuple[Expr, ...]) -> Compiled:
    parts = tuple(compile_expression(arg) for arg in args)
    if function == "abs":
        (inner,) = parts

        def absolute(fact: Fact) -> Any:
            value = inner(fact)
            return value if value is None or value is UNEVALUABLE else abs(value)

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
            (label_of(arg), part) for arg, part in zip(args, parts, strict=True) if isinstance(arg, Name)
        )
        return lambda fact: tuple(label for label, part in labelled if part(fact) is None)
    if function == "common":
        first, second = parts

        def common(fact: Fact) -> Any:
            items, others = first(fact) or (), second(fact) or ()
            return tuple(item for item in items if item in others)

        return common
    if function == "as_ordered":
        (field,) = args
        assert isinstance(field, Name)
        name, unit = field.name, unit_of(field.name)
        return lambda fact: as_ordered(name, unit, fact)
    raise AssertionError(function)


class _Unknown:
    """The value of an expression that reads a field whose value is unknown (``decide``)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "UNKNOWN"


_UNKNOWN = _Unknown()


def decide(node: Expr, fact: Fact, unknown: frozenset[str] | set[str]) -> bool | None:
    """Whether ``node`` holds for ``fact`` whatever the values of the ``unknown`` fields (absent from
    ``fact``: patient data or history the order's context lacks): True or False when every value
    they could have gives that answer, None (undecided) otherwise. Strong Kleene logic (``true or
    unknown`` is true, ``false and unknown`` false) on the reference semantics (``evaluate``).

    It is sound, not complete: a True or False answer is right for every completion of the unknown
    fields; None may be said of a condition that some reasoning could settle (``x > 5 or x <= 5``).
    ``exists``/``missing`` of an unknown field are decided (it *is* absent: a rule can opt out with
    ``missing(x) or ...``); a condition that cannot be evaluated (a zero divisor) is undecided.
    """
    value = _kleene(node, fact, unknown)
    if value is True or value is False:
        return value
    if value is UNEVALUABLE or value is _UNKNOWN:
        return None
    return truth(value)


def _kleene(node: Expr, fact: Fact, unknown: frozenset[str] | set[str]) -> Any:
    """``evaluate`` with one more value, ``_UNKNOWN``: "depends on the unknown fields' values" (which
    may make an expression no value, or UNEVALUABLE, too). A known "no value" decides first, as in
    ``evaluate``: a comparison with a field not stated is false whatever the other side is."""
    match node:
        case Name(name=name):
            return _UNKNOWN if name in unknown else fact.get(name)
        case Const():
            return node.value
        case Index(table=Const(value=dict() as table), key=key):
            value = _kleene(key, fact, unknown)
            return value if value is _UNKNOWN else table.get(value)
        case Negate(operand=operand):
            value = _kleene(operand, fact, unknown)
            return value if value is None or value is UNEVALUABLE or value is _UNKNOWN else -value
        case Arithmetic(op=op, left=left, right=right):
            a, b = _kleene(left, fact, unknown), _kleene(right, fact, unknown)
            if a is None or b is None:
                return None
            if a is _UNKNOWN or b is _UNKNOWN:
                return _UNKNOWN
            return _arithmetic(op, a, b)
        case Compare() | Membership():
            a, b = _kleene(node.left, fact, unknown), _kleene(node.right, fact, unknown)
            if a is None or b is None:
                return False
            if a is UNEVALUABLE or b is UNEVALUABLE:
                return UNEVALUABLE  # whatever an unknown side is, it is a value: still UNEVALUABLE
            if a is _UNKNOWN or b is _UNKNOWN:
                return _UNKNOWN
            return _compare(node.op, a, b) if isinstance(node, Compare) else _member(node.op, a, b)
        case Not(operand=operand):
            value = _kleene(operand, fact, unknown)
            return value if value is UNEVALUABLE or value is _UNKNOWN else not truth(value)
        case And(items=items):
            values = [_kleene(item, fact, unknown) for item in items]
            if any(v is not True and v is not UNEVALUABLE and v is not _UNKNOWN for v in values):
                return False
            if any(v is _UNKNOWN for v in values):
                return _UNKNOWN
            return UNEVALUABLE if any(v is UNEVALUABLE for v in values) else True
        case Or(items=items):
            values = [_kleene(item, fact, unknown) for item in items]
            if any(v is True for v in values):
                return True
            if any(v is _UNKNOWN for v in values):
                return _UNKNOWN
            return UNEVALUABLE if any(v is UNEVALUABLE for v in values) else False
        case Call(function="exists" | "missing" as function, args=(arg,)):
            if isinstance(arg, Name):  # an unknown field is absent: decided
                present = fact.get(arg.name) is not None
            else:
                value = _kleene(arg, fact, unknown)
                if value is _UNKNOWN:
                    return _UNKNOWN
                present = value is not None
            return present if function == "exists" else not present
        case Call(function="coalesce", args=args):
            for arg in args:
                value = _kleene(arg, fact, unknown)
                if value is _UNKNOWN:
                    return _UNKNOWN
                if value is not None:
                    return value
            return None
        case Call(function="abs", args=(arg,)):
            value = _kleene(arg, fact, unknown)
            return value if value is None or value is UNEVALUABLE or value is _UNKNOWN else abs(value)
        case Call(args=args) if not any(name.name in unknown for arg in args for name in name_nodes(arg)):
            return evaluate(node, fact)
        case Call():
            return _UNKNOWN
    raise AssertionError(node)


# decide, compiled for one set of unknown fields ---------------------------------------------------
#
# The checker asks, for each order lacking patient data a rule reads, whether the fields it states
# settle the rule anyway. The answer depends on the stated values (``doses >= 4 and rise < 1`` is
# settled by 2 doses, not by 5), so it cannot be remembered by which fields are absent; the work of
# reading the condition can: parts reading no unknown field are compiled as ``evaluate`` is
# (``compile_expression``), the parts that do keep ``_kleene``'s logic, case for case. ``and`` and
# ``or`` stop at the first part that settles them (``_kleene`` reads every part: the answer is the
# same, a settled part settling it whatever the others are).

Decision = Callable[[Fact], bool | None]
"""A rule's decision for facts lacking one set of unknown fields (:func:`compile_decision`)."""


def compile_decision(node: Expr, unknown: Iterable[str]) -> Decision:
    """A function with exactly the meaning of ``decide(node, fact, unknown)``, for any fact that
    lacks the ``unknown`` fields."""
    value_of = _compile_decided(node, frozenset(unknown))

    def decision(fact: Fact) -> bool | None:
        value = value_of(fact)
        if value is True or value is False:
            return value
        if value is UNEVALUABLE or value is _UNKNOWN:
            return None
        return truth(value)

    return decision


def _compile_decided(node: Expr, unknown: frozenset[str]) -> Compiled:
    logic = isinstance(node, Compare | Membership | Not | And | Or)  # compiled here, known or not
    if not logic and not any(name.name in unknown for name in name_nodes(node)):
        return compile_expression(node)  # no unknown below: decide's value is evaluate's
    match node:
        case Name():
            return lambda fact: _UNKNOWN
        case Index(table=Const(value=dict() as table), key=key):
            key_of = _compile_decided(key, unknown)

            def index(fact: Fact) -> Any:
                value = key_of(fact)
                return value if value is _UNKNOWN else table.get(value)

            return index
        case Negate(operand=operand):
            inner = _compile_decided(operand, unknown)

            def negate(fact: Fact) -> Any:
                value = inner(fact)
                return value if value is None or value is UNEVALUABLE or value is _UNKNOWN else -value

            return negate
        case Arithmetic(op=op, left=left, right=right):
            return _decided_arithmetic(op, _compile_decided(left, unknown), _compile_decided(right, unknown))
        case Compare(op=op) | Membership(op=op):
            test = _compare if isinstance(node, Compare) else _member
            return _decided_comparison(
                test, op, _compile_decided(node.left, unknown), _compile_decided(node.right, unknown)
            )
        case Not(operand=operand):
            inner = _compile_decided(operand, unknown)

            def negation(fact: Fact) -> Any:
                value = inner(fact)
                return value if value is UNEVALUABLE or value is _UNKNOWN else not truth(value)

            return negation
        case And(items=items):
            return _decided_and(tuple(_compile_decided(item, unknown) for item in items))
        case Or(items=items):
            return _decided_or(tuple(_compile_decided(item, unknown) for item in items))
        case Call(function="exists" | "missing" as function, args=(arg,)):
            return _decided_presence(function == "exists", arg, unknown)
        case Call(function="coalesce", args=args):
            return _decided_coalesce(tuple(_compile_decided(arg, unknown) for arg in args))
        case Call(function="abs", args=(arg,)):
            inner = _compile_decided(arg, unknown)

            def absolute(fact: Fact) -> Any:
                value = inner(fact)
                return value if value is None or value is UNEVALUABLE or value is _UNKNOWN else abs(value)

            return absolute
        case Call():
            return lambda fact: _UNKNOWN
    raise AssertionError(node)


def _decided_arithmetic(op: str, left: Compiled, right: Compiled) -> Compiled:
    def compute(fact: Fact) -> Any:
        a, b = left(fact), right(fact)
        if a is None or b is None:
            return None
        if a is _UNKNOWN or b is _UNKNOWN:
            return _UNKNOWN
        return _arithmetic(op, a, b)

    return compute


def _decided_comparison(
    test: Callable[[str, Any, Any], bool], op: str, left: Compiled, right: Compiled
) -> Compiled:
    def compared(fact: Fact) -> Any:
        a, b = left(fact), right(fact)
        if a is None or b is None:
            return False
        if a is UNEVALUABLE or b is UNEVALUABLE:
            return UNEVALUABLE  # whatever an unknown side is, it is a value: still UNEVALUABLE
        if a is _UNKNOWN or b is _UNKNOWN:
            return _UNKNOWN
        return test(op, a, b)

    return compared


def _decided_and(items: tuple[Compiled, ...]) -> Compiled:
    def conjunction(fact: Fact) -> Any:
        unknown = unevaluable = False
        for item in items:
            value = item(fact)
            if value is _UNKNOWN:
                unknown = True
            elif value is UNEVALUABLE:
                unevaluable = True
            elif value is not True:
                return False  # settled whatever the other parts are
        return _UNKNOWN if unknown else UNEVALUABLE if unevaluable else True

    return conjunction


def _decided_or(items: tuple[Compiled, ...]) -> Compiled:
    def disjunction(fact: Fact) -> Any:
        unknown = unevaluable = False
        for item in items:
            value = item(fact)
            if value is True:
                return True
            if value is _UNKNOWN:
                unknown = True
            elif value is UNEVALUABLE:
                unevaluable = True
        return _UNKNOWN if unknown else UNEVALUABLE if unevaluable else False

    return disjunction


def _decided_presence(exists: bool, arg: Expr, unknown: frozenset[str]) -> Compiled:
    if isinstance(arg, Name):  # an unknown field is absent: decided
        name = arg.name
        if exists:
            return lambda fact: fact.get(name) is not None
        return lambda fact: fact.get(name) is None
    inner = _compile_decided(arg, unknown)

    def presence(fact: Fact) -> Any:
        value = inner(fact)
        if value is _UNKNOWN:
            return _UNKNOWN
        return (value is not None) is exists

    return presence


def _decided_coalesce(parts: tuple[Compiled, ...]) -> Compiled:
    def coalesce(fact: Fact) -> Any:
        for part in parts:
            value = part(fact)
            if value is _UNKNOWN:
                return _UNKNOWN
            if value is not None:
                return value
        return None

    return coalesce


ZeroDivisorCheck = Callable[[Fact], tuple[str, ...] | None]


def zero_divisor_check(condition: Expr) -> ZeroDivisorCheck | None:
    """For a rule's condition, a function saying which of its divisors made it unevaluable for a fact
    (their text, e.g. ``("administrations_given",)``), or None when it could be evaluated; None
    instead of a function when the condition divides by no field at all.

    The engine stays quiet where a divisor is zero (its divisors are guarded ``!= 0``), so this is how
    the checker learns that a rule could not be evaluated. It is on the hot path: the cheap test (is a
    divisor 0?) comes first, and only then the reference evaluator decides whether a guard settled the
    answer anyway.
    """
    divisors = tuple(dict.fromkeys(_divisors(condition)))
    if not divisors:
        return None
    named = tuple((render(divisor), compile_expression(divisor)) for divisor in divisors)

    def check(fact: Fact) -> tuple[str, ...] | None:
        for _, value_of in named:
            if value_of(fact) == 0:
                break
        else:
            return None
        if evaluate(condition, fact) is not UNEVALUABLE:
            return None
        return tuple(text for text, value_of in named if value_of(fact) == 0)

    return check


def divisor_fields(condition: Expr) -> frozenset[str]:
    """The fields a condition divides by (directly or through ``coalesce``): while none of them is 0
    in an order, no :func:`zero_divisor_check` can find anything (the checker's cheap first test)."""
    return frozenset(name.name for divisor in _divisors(condition) for name in name_nodes(divisor))


def _divisors(node: Expr) -> list[Expr]:
    """The divisors that read a field (the type checker refuses a constant zero)."""
    found: list[Expr] = []
    match node:
        case Arithmetic(op=op, left=left, right=right):
            found += _divisors(left) + _divisors(right)
            if op == "/" and not isinstance(right, Const):
                found.append(right)
        case Compare(left=left, right=right) | Membership(left=left, right=right):
            found += _divisors(left) + _divisors(right)
        case Negate(operand=operand) | Not(operand=operand):
            found += _divisors(operand)
        case And(items=items) | Or(items=items) | Call(args=items):
            for item in items:
                found += _divisors(item)
        case Index(key=key):
            found += _divisors(key)
    return found
