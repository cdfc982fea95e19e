"""Compile resolved rule conditions into durable-rules' JSON condition format.

The engine's own language is narrow and dangerous at the edges, so the compiler rewrites the rule
language into the small part of it that behaves:

* table lookups and ``coalesce`` become case splits (``site == "deltoid" and volume_ml > 2 or ...``);
  a ``coalesce`` default is the case where no field before it is stated;
* ``abs(e) > t`` becomes ``e > t or e < -t``, and a comparison is rearranged until one side is a bare
  field (the engine compares a field with an expression, never two expressions);
* ``not`` is pushed down to the leaves (the engine has no general negation), keeping the rules of
  absence of :mod:`doseguard.rules.evaluate`: ``not (a > b)`` is true when ``a`` or ``b`` is missing;
* every operand is guarded by ``$ex`` (the engine reads uninitialised memory for a missing field) and
  every divisor by ``!= 0`` (integer division by zero kills the process), in both polarities: a
  comparison that divides by zero cannot be evaluated, so neither it nor its negation fires (the
  checker reports the order as an error, see ``zero_divisor_check``).

The output of :func:`compile_condition` is a JSON-ready dict, or ``True``/``False`` for a condition that
the compiler could decide alone.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from doseguard.errors import ExpressionError
from doseguard.rules.evaluate import evaluate, truth
from doseguard.rules.expressions import (
    FLIPPED,
    NEGATED,
    And,
    Arithmetic,
    Call,
    Compare,
    CompareOp,
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

Json = dict[str, Any]
Condition = Json | bool

MAX_CASES = 256
"""Case splits (tables × coalesce) one leaf may expand into before the rule is refused."""

_OPERATORS: dict[str, str] = {"!=": "$neq", "<": "$lt", "<=": "$lte", ">": "$gt", ">=": "$gte"}
_ARITHMETIC: dict[str, str] = {"+": "$add", "-": "$sub", "*": "$mul", "/": "$div"}


def compile_condition(condition: Expr) -> Condition:
    """The durable-rules condition for a resolved, type-checked condition."""
    return _compile(condition, positive=True)


# ----------------------------------------------------------------------------- boolean structure


def _compile(node: Expr, *, positive: bool) -> Condition:
    match node:
        case Const(value=bool() as flag):
            return flag if positive else not flag
        case Not(operand=operand):
            return _compile(operand, positive=not positive)
        case And(items=items):
            parts = [_compile(i, positive=positive) for i in items]
            return all_of(parts) if positive else any_of(parts)
        case Or(items=items):
            parts = [_compile(i, positive=positive) for i in items]
            return any_of(parts) if positive else all_of(parts)
        case Compare() | Membership() if _find_split(node) is not None:
            return _compile(_split_cases(node), positive=positive)
        case Compare() | Membership() if not _reads_field(node):
            # Only a case split leaves a test of values alone (``coalesce(f, 1000) > 500`` when f is
            # missing): decide it here, as the reference evaluator does.
            verdict = truth(evaluate(node, {}))
            return verdict if positive else not verdict
        case Compare():
            return _comparison(node, positive=positive)
        case Membership():
            return _membership(node, positive=positive)
        case Name(name=name):  # a boolean field used as a condition
            if positive:
                return {name: True}
            return any_of([{"$nex": {name: 1}}, {name: False}])
        case Call(function="exists", args=(Name(name=name),)):
            return {"$ex" if positive else "$nex": {name: 1}}
        case Call(function="missing", args=(Name(name=name),)):
            return {"$nex" if positive else "$ex": {name: 1}}
    raise ExpressionError("this part of the condition cannot be compiled for the engine", node.pos)


def all_of(parts: list[Condition]) -> Condition:
    """``$and`` of parts, folding constants and flattening nested ``$and``."""
    return _joined(parts, "$and", absorbing=False)


def any_of(parts: list[Condition]) -> Condition:
    """``$or`` of parts, folding constants and flattening nested ``$or``."""
    return _joined(parts, "$or", absorbing=True)


def _joined(parts: list[Condition], key: str, absorbing: bool) -> Condition:
    """Parts joined by ``key``: ``absorbing`` (False for ``$and``) decides the whole, its opposite
    drops out, and a part joined by the same key is flattened into this one."""
    if any(p is absorbing for p in parts):
        return absorbing
    flat: list[Json] = []
    for part in parts:
        if part is (not absorbing):
            continue
        assert isinstance(part, dict)
        flat.extend(part[key] if set(part) == {key} else [part])
    if not flat:
        return not absorbing
    return flat[0] if len(flat) == 1 else {key: flat}


# --------------------------------------------------------------------------------- case splits


def _find_split(node: Expr) -> Expr | None:
    """The first table lookup or ``coalesce`` inside a leaf, if any."""
    match node:
        case Index():
            return node
        case Call(function="coalesce"):
            return node
        case (
            Compare(left=left, right=right)
            | Membership(left=left, right=right)
            | Arithmetic(left=left, right=right)
        ):
            return _find_split(left) or _find_split(right)
        case Negate(operand=operand):
            return _find_split(operand)
        case Call(args=args):
            for arg in args:
                found = _find_split(arg)
                if found is not None:
                    return found
    return None


def _reads_field(node: Expr) -> bool:
    """Whether an expression reads any field of the order (a resolved tree: parameters are values)."""
    match node:
        case Name():
            return True
        case (
            Compare(left=left, right=right)
            | Membership(left=left, right=right)
            | Arithmetic(left=left, right=right)
        ):
            return _reads_field(left) or _reads_field(right)
        case Negate(operand=operand):
            return _reads_field(operand)
        case Index(table=table, key=key):
            return _reads_field(table) or _reads_field(key)
        case Call(args=args):
            return any(_reads_field(arg) for arg in args)
    return False


def _substitute(node: Expr, target: Expr, replacement: Expr) -> Expr:
    if node is target:
        return replacement
    match node:
        case Compare() | Membership() | Arithmetic():
            return replace(
                node,
                left=_substitute(node.left, target, replacement),
                right=_substitute(node.right, target, replacement),
            )
        case Negate(operand=operand):
            return replace(node, operand=_substitute(operand, target, replacement))
        case Call(args=args):
            return replace(node, args=tuple(_substitute(a, target, replacement) for a in args))
    return node


def _split_cases(leaf: Expr) -> Expr:
    """Rewrite a leaf holding a lookup into an ``or`` of cases, each free of that lookup."""
    target = _find_split(leaf)
    cases: list[Expr] = []
    match target:
        case Index(table=Const(value=dict() as table), key=Name() as key):
            for entry, value in table.items():
                cases.append(And((Compare("==", key, Const(entry)), _substitute(leaf, target, Const(value)))))
        case Index(table=Const(value=dict() as table), key=Const(value=str() as entry)):
            if entry not in table:
                return Const(False, leaf.pos)
            return _substitute(leaf, target, Const(table[entry]))
        case Call(function="coalesce", args=args):
            earlier: list[Expr] = []
            for arg in args:
                if isinstance(arg, Const):  # the default (always last): when no field before it is stated
                    cases.append(And((*earlier, _substitute(leaf, target, arg))))
                    break
                cases.append(And((*earlier, Call("exists", (arg,)), _substitute(leaf, target, arg))))
                earlier.append(Call("missing", (arg,)))
        case _:
            raise AssertionError(target)
    if len(cases) > MAX_CASES:
        raise ExpressionError(f"this condition expands into more than {MAX_CASES} cases", leaf.pos)
    return Or(tuple(cases), leaf.pos)


# --------------------------------------------------------------------------------- comparisons


def _comparison(node: Compare, *, positive: bool) -> Condition:
    left, right, op = node.left, node.right, node.op
    if _is_abs(right) and not _is_abs(left):
        left, right, op = right, left, FLIPPED[op]
    if _is_abs(left):
        assert isinstance(left, Call)
        return _compile(_expand_abs(op, left.args[0], right, node.pos), positive=positive)
    field, op, rhs = _isolate(op, left, right, node.pos)
    fields, divisors = _operands(rhs)
    fields.insert(0, field)
    guards: list[Condition] = [{"$ex": {f: 1}} for f in dict.fromkeys(fields)]
    guards += [{"$neq": {d: 0.0}} for d in dict.fromkeys(divisors)]
    if positive:
        return all_of([*guards, _leaf(field, op, rhs)])
    # Negated: true when a field is not stated; a zero divisor is neither (the rule cannot be
    # evaluated, and the checker says so), so it fires neither way.
    absent: list[Condition] = [{"$nex": {f: 1}} for f in dict.fromkeys(fields)]
    return any_of([*absent, all_of([*guards, _leaf(field, NEGATED[op], rhs)])])


def _is_abs(node: Expr) -> bool:
    return isinstance(node, Call) and node.function == "abs"


def _expand_abs(op: CompareOp, inner: Expr, bound: Expr, pos: int) -> Expr:
    """``abs(e) op t`` without ``abs``: the engine has no such operator."""
    negative_bound: Expr
    if isinstance(bound, Const) and isinstance(bound.value, float):
        negative_bound = Const(-bound.value, pos)
    else:
        negative_bound = Negate(bound, pos)
    upper = Compare(op, inner, bound, pos)
    lower = Compare(FLIPPED[op], inner, negative_bound, pos)
    if op in (">", ">=", "=="):
        return Or((upper, lower), pos)
    return And((upper, lower), pos)


def _terms(node: Expr, sign: float = 1.0) -> list[tuple[float, Expr]]:
    """``node`` as a signed sum of terms."""
    match node:
        case Arithmetic(op="+", left=left, right=right):
            return _terms(left, sign) + _terms(right, sign)
        case Arithmetic(op="-", left=left, right=right):
            return _terms(left, sign) + _terms(right, -sign)
        case Negate(operand=operand):
            return _terms(operand, -sign)
    return [(sign, node)]


def _scaled_field(term: Expr) -> tuple[Name, float] | None:
    """``f``, ``f * k``, ``k * f`` or ``f / k`` as (f, coefficient); else None."""
    match term:
        case Name():
            return term, 1.0
        case (
            Arithmetic(op="*", left=Name() as field, right=Const(value=float() as k))
            | Arithmetic(op="*", left=Const(value=float() as k), right=Name() as field)
        ) if k != 0:
            return field, k
        case Arithmetic(op="/", left=Name() as field, right=Const(value=float() as k)) if k != 0:
            return field, 1.0 / k
    return None


def _sum(terms: list[tuple[float, Expr]], pos: int) -> Expr:
    result: Expr | None = None
    for sign, term in terms:
        if result is None:
            result = term if sign > 0 else Negate(term, pos)
        else:
            result = Arithmetic("+" if sign > 0 else "-", result, term, pos)
    return result if result is not None else Const(0.0, pos)


def _isolate(op: CompareOp, left: Expr, right: Expr, pos: int) -> tuple[str, CompareOp, Expr]:
    """Rearrange ``left op right`` into ``field op' expression``."""
    if isinstance(left, Name):
        return left.name, op, right
    if isinstance(right, Name):
        return right.name, FLIPPED[op], left
    for this, other, this_op in ((left, right, op), (right, left, FLIPPED[op])):
        terms = _terms(this)
        for index, (sign, term) in enumerate(terms):
            scaled = _scaled_field(term)
            if scaled is None:
                continue
            field, coefficient = scaled
            rest = terms[:index] + terms[index + 1 :]
            # sign * coefficient * field + rest  op  other
            #   =>  field op' (other - rest) / (sign * coefficient)
            moved = _sum([(1.0, other), *((-s, t) for s, t in rest)], pos) if rest else other
            factor = sign * coefficient
            if factor != 1.0:
                moved = Arithmetic("*", moved, Const(1.0 / factor, pos), pos)
            return field.name, (this_op if factor > 0 else FLIPPED[this_op]), _fold(moved)
    if any(_is_abs(t) for _, t in _terms(left) + _terms(right)):
        raise ExpressionError("abs() must stand alone on one side of a comparison", pos)
    raise ExpressionError(
        "one side of a comparison must be a field, or a field plus or minus other terms", pos
    )


def _fold(node: Expr) -> Expr:
    """Evaluate arithmetic on constants at compile time."""
    if isinstance(node, Arithmetic):
        left, right = _fold(node.left), _fold(node.right)
        if isinstance(left, Const) and isinstance(right, Const):
            value = fold_arithmetic(node.op, float(left.value), float(right.value))  # type: ignore[arg-type]
            if isinstance(value, float):
                return Const(value, node.pos)
        return replace(node, left=left, right=right)
    if isinstance(node, Negate):
        operand = _fold(node.operand)
        if isinstance(operand, Const) and isinstance(operand.value, float):
            return Const(-operand.value, node.pos)
        return replace(node, operand=operand)
    return node


def _operands(node: Expr) -> tuple[list[str], list[str]]:
    """Fields read by an expression, and the fields it divides by."""
    fields: list[str] = []
    divisors: list[str] = []

    def walk(n: Expr) -> None:
        match n:
            case Name(name=name):
                fields.append(name)
            case Arithmetic(op=op, left=left, right=right):
                walk(left)
                walk(right)
                if op == "/" and isinstance(right, Name):
                    divisors.append(right.name)
            case Negate(operand=operand):
                walk(operand)
            case Call(function="abs"):
                raise ExpressionError("abs() must stand alone on one side of a comparison", n.pos)

    walk(node)
    return fields, divisors


def _value(node: Expr) -> Any:
    """An engine value expression: a literal, ``{"$m": field}`` or arithmetic."""
    match node:
        case Const(value=value):
            return value
        case Name(name=name):
            return {"$m": name}
        case Negate(operand=operand):
            return {"$sub": {"$l": 0.0, "$r": _value(operand)}}
        case Arithmetic(op=op, left=left, right=right):
            return {_ARITHMETIC[op]: {"$l": _value(left), "$r": _value(right)}}
    raise ExpressionError("this expression cannot be compiled for the engine", node.pos)


def _leaf(field: str, op: CompareOp, rhs: Expr) -> Json:
    value = _value(rhs)
    if op == "==":
        return {field: value}
    return {_OPERATORS[op]: {field: value}}


# --------------------------------------------------------------------------------- membership


def _membership(node: Membership, *, positive: bool) -> Condition:
    left, right = node.left, node.right
    if not isinstance(left, Name) or not isinstance(right, Const):
        raise ExpressionError(f"'{node.op}' needs a field on its left and values on its right", node.pos)
    field = left.name
    values = right.value if isinstance(right.value, tuple) else (right.value,)
    exists: Json = {"$ex": {field: 1}}
    absent: Json = {"$nex": {field: 1}}
    if node.op in ("in", "not in"):
        inside = any_of([{field: v} for v in values])
        outside = all_of([{"$neq": {field: v}} for v in values])
        wanted = inside if (node.op == "in") == positive else outside
        return all_of([exists, wanted]) if positive else any_of([absent, all_of([exists, wanted])])
    # contains / contains_any: some item of the list field equals one of the values
    if positive:
        return all_of([exists, {"$iany": {field: _item_in(values)}}]) if values else False
    if not values:
        return True
    none_match: Json = {"$iall": {field: all_of([{"$neq": {"$i": v}} for v in values])}}
    return any_of([absent, all_of([exists, none_match])])


def _item_in(values: tuple[Any, ...]) -> Json:
    """The test "this item is one of ``values``" for use under ``$iany``.

    Never an ``$or`` directly under ``$iany``/``$iall``: the engine then reads the type of an operand
    it never wrote (``createForwardAlpha`` in rete.c leaves it uninitialised) and ``create_ruleset``
    fails with error 102 whenever the heap holds 0x09 or 0x0C there (issue 8, case 25). Ending the
    test with ``item != s`` for a string ``s`` that is none of the values means the same thing and
    leaves a fully written node last.
    """
    if len(values) == 1:
        return {"$i": values[0]}
    outsider = next(s for s in ("", *("~" * n for n in range(1, len(values) + 2))) if s not in values)
    return {"$and": [{"$or": [{"$i": v} for v in values]}, {"$neq": {"$i": outsider}}]}


def branch_count(condition: Condition) -> int:
    """How many alpha paths a fact can match through one condition (``$or`` fans out).

    The engine fails (error 303) when one fact matches more than 64 alpha nodes at once; the adapter
    packs rules into rulesets by this count.
    """
    if isinstance(condition, bool):
        return 1
    if "$or" in condition:
        return sum(branch_count(c) for c in condition["$or"])
    if "$and" in condition:
        total = 1
        for part in condition["$and"]:
            total *= branch_count(part)
        return total
    return 1
