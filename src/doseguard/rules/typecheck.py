"""Type checking: resolve names against the fact vocabulary and the rule's parameters.

Checking happens before anything runs, because the engine is unforgiving: it compares a number with a
string as strings, accepts ``$gt`` against a string literal and never matches, and divides by zero
with a SIGFPE. The result is a *resolved* tree in which every remaining :class:`Name` is a fact field
and every parameter has been replaced by its value (so a site override changes a value, not a rule).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

from doseguard.errors import ExpressionError
from doseguard.rules.evaluate import evaluate
from doseguard.rules.expressions import (
    And,
    Arithmetic,
    Call,
    Compare,
    Const,
    Expr,
    Index,
    ListLiteral,
    Membership,
    Name,
    Negate,
    Not,
    Or,
    fold_arithmetic,
    name_nodes,
    render,
)
from doseguard.suggestions import closest, did_you_mean
from doseguard.vocabulary import FieldSpec, FieldType, HistoryKind

ParameterValue = float | str | bool | tuple[float | str, ...] | dict[str, float | str]


@dataclass(frozen=True)
class TableType:
    """A parameter that maps strings (usually the values of an enumerated field) to values."""

    value: FieldType

    def __str__(self) -> str:
        return f"table of {self.value.value}s"


Type = FieldType | TableType

CONDITION_FUNCTIONS = {
    "exists": "exists(field): the order states the field",
    "missing": "missing(field): the order does not state the field",
    "abs": "abs(number): absolute value",
    "coalesce": "coalesce(field, field, ..., default): the first field the order states, else the default "
    "(optional: a parameter or a value)",
}
MESSAGE_FUNCTIONS = {
    **CONDITION_FUNCTIONS,
    "unstated": "unstated(field, ...): the labels of the listed fields the order does not state",
    "common": "common(list, list): the items of the first list that are in the second",
    "as_ordered": "as_ordered(field): a quantity as the order stated it, then in the field's unit "
    "('1 mg (1,000 mcg)'; '1,000 mcg' when stated so)",
}


def type_of_value(value: ParameterValue) -> Type:
    if isinstance(value, bool):
        return FieldType.BOOL
    if isinstance(value, float | int):
        return FieldType.NUMBER
    if isinstance(value, str):
        return FieldType.STRING
    if isinstance(value, tuple):
        return FieldType.NUMBER_LIST if value and isinstance(value[0], float) else FieldType.STRING_LIST
    first = next(iter(value.values()), 0.0)
    return TableType(FieldType.STRING if isinstance(first, str) else FieldType.NUMBER)


class TypeChecker:
    """Resolves and checks one expression; ``fields_read`` collects the fact fields it uses."""

    def __init__(
        self,
        vocabulary: Mapping[str, FieldSpec],
        parameters: Mapping[str, ParameterValue],
        *,
        functions: Mapping[str, str] = CONDITION_FUNCTIONS,
    ) -> None:
        self.vocabulary = vocabulary
        self.parameters = parameters
        self.functions = functions
        self.fields_read: set[str] = set()

    # The entry points --------------------------------------------------------------------------

    def check_condition(self, node: Expr) -> Expr:
        resolved, kind = self.check(node)
        if kind is not FieldType.BOOL:
            raise ExpressionError(
                f"a condition must be true or false, but {render(node)} is a {kind}", node.pos
            )
        return resolved

    def check(self, node: Expr) -> tuple[Expr, Type]:
        match node:
            case Const(value=value):
                return node, type_of_value(value)
            case Name():
                return self._name(node)
            case ListLiteral():
                return self._list(node)
            case Index():
                return self._index(node)
            case Call():
                return self._call(node)
            case Negate(operand=operand):
                inner = self._expect(operand, FieldType.NUMBER, "'-' applies to numbers")
                if isinstance(inner, Const):
                    return Const(-float(inner.value), node.pos), FieldType.NUMBER  # type: ignore[arg-type]
                return replace(node, operand=inner), FieldType.NUMBER
            case Arithmetic():
                return self._arithmetic(node)
            case Compare():
                return self._compare(node)
            case Membership():
                return self._membership(node)
            case Not(operand=operand):
                return replace(
                    node, operand=self._expect(operand, FieldType.BOOL, "'not' applies to a condition")
                ), (FieldType.BOOL)
            case And(items=items) | Or(items=items):
                checked = tuple(self._expect(i, FieldType.BOOL, "'and'/'or' join conditions") for i in items)
                return replace(node, items=checked), FieldType.BOOL
        raise AssertionError(node)

    # Helpers ----------------------------------------------------------------------------------

    def _expect(self, node: Expr, wanted: Type, why: str) -> Expr:
        resolved, kind = self.check(node)
        if kind != wanted:
            raise ExpressionError(f"{why}, but {render(node)} is a {kind}", node.pos)
        return resolved

    def _name(self, node: Name) -> tuple[Expr, Type]:
        if node.name in self.parameters:
            value = self.parameters[node.name]
            return Const(value, node.pos), type_of_value(value)
        spec = self.vocabulary.get(node.name)
        if spec is None:
            meant = closest(node.name, [*self.vocabulary, *self.parameters], any_case=True)
            raise ExpressionError(
                f"unknown field or parameter {node.name!r}{did_you_mean(meant)}", node.pos, meant
            )
        self.fields_read.add(node.name)
        return node, spec.type

    def _list(self, node: ListLiteral) -> tuple[Expr, Type]:
        values: list[float | str] = []
        kinds: set[Type] = set()
        for item in node.items:
            resolved, kind = self.check(item)
            if not isinstance(resolved, Const) or kind not in (FieldType.NUMBER, FieldType.STRING):
                raise ExpressionError("a list holds numbers or strings written out, not fields", item.pos)
            kinds.add(kind)
            values.append(resolved.value)  # type: ignore[arg-type]
        if len(kinds) > 1:
            raise ExpressionError("a list cannot mix numbers and strings", node.pos)
        kind = FieldType.NUMBER_LIST if kinds == {FieldType.NUMBER} else FieldType.STRING_LIST
        return Const(tuple(values), node.pos), kind

    def _index(self, node: Index) -> tuple[Expr, Type]:
        table, table_type = self.check(node.table)
        if not isinstance(table_type, TableType) or not isinstance(table, Const):
            raise ExpressionError(
                f"{render(node.table)} is not a table parameter, so it cannot be indexed", node.pos
            )
        key, key_type = self.check(node.key)
        if key_type is not FieldType.STRING:
            raise ExpressionError(f"a table is looked up with a string field, not a {key_type}", node.key.pos)
        assert isinstance(table.value, dict)
        if isinstance(key, Name):
            allowed = self.vocabulary[key.name].values
            for entry in table.value:
                if allowed is not None and entry not in allowed:
                    meant = closest(entry, allowed, any_case=True)
                    raise ExpressionError(
                        f"table {render(node.table)} has an entry {entry!r} that {key.name} never takes"
                        f"{did_you_mean(meant)}",
                        node.pos,
                        meant,
                    )
        return replace(node, table=table, key=key), table_type.value

    def _call(self, node: Call) -> tuple[Expr, Type]:
        if node.function not in self.functions:
            meant = closest(node.function, self.functions, any_case=True)
            raise ExpressionError(f"unknown function {node.function!r}{did_you_mean(meant)}", node.pos, meant)
        args = node.args
        if node.function in ("exists", "missing"):
            self._arity(node, 1)
            if not isinstance(args[0], Name) or args[0].name in self.parameters:
                raise ExpressionError(f"{node.function}() takes a field name", node.pos)
            resolved, _ = self.check(args[0])
            return replace(node, args=(resolved,)), FieldType.BOOL
        if node.function == "abs":
            self._arity(node, 1)
            return replace(node, args=(self._expect(args[0], FieldType.NUMBER, "abs() takes a number"),)), (
                FieldType.NUMBER
            )
        if node.function == "coalesce":
            return self._coalesce(node)
        if node.function == "unstated":
            resolved_args = []
            for arg in args:
                if not isinstance(arg, Name):
                    raise ExpressionError("unstated() takes field names", arg.pos)
                resolved = self.check(arg)[0]
                if isinstance(resolved, Name):
                    resolved = replace(resolved, label=self.vocabulary[resolved.name].label)
                resolved_args.append(resolved)
            return replace(node, args=tuple(resolved_args)), FieldType.STRING_LIST
        if node.function == "as_ordered":
            self._arity(node, 1)
            resolved, _ = self.check(args[0])
            spec = self.vocabulary.get(resolved.name) if isinstance(resolved, Name) else None
            history = spec is not None and spec.needs is not None and spec.needs is not HistoryKind.PATIENT
            if spec is None or spec.type is not FieldType.NUMBER or spec.unit is None or history:
                raise ExpressionError(
                    "as_ordered() takes a quantity field (dose_mcg, volume_ml, ...), a field with a unit",
                    node.pos,
                )
            return replace(node, args=(resolved,)), FieldType.STRING
        if node.function == "common":
            self._arity(node, 2)
            first, first_type = self.check(args[0])
            second, second_type = self.check(args[1])
            if first_type.__class__ is TableType or first_type not in (
                FieldType.STRING_LIST,
                FieldType.NUMBER_LIST,
            ):
                raise ExpressionError("common() takes two lists", node.pos)
            if second_type != first_type:
                raise ExpressionError("common() takes two lists of the same kind", node.pos)
            return replace(node, args=(first, second)), first_type
        raise AssertionError(node.function)

    def _coalesce(self, node: Call) -> tuple[Expr, Type]:
        """``coalesce(f, g, ...)``: fields of one type; the last may be a default, a parameter or a
        number or text written out (``coalesce(f, g, usual_value)``)."""
        args = node.args
        if len(args) < 2:
            raise ExpressionError("coalesce() takes two or more fields", node.pos)
        resolved_args: list[Expr] = []
        kinds: set[Type] = set()
        for index, arg in enumerate(args):
            last = index == len(args) - 1
            is_field = isinstance(arg, Name) and arg.name not in self.parameters
            if not is_field and not (last and isinstance(arg, Name | Const)):
                raise ExpressionError(
                    "coalesce() takes field names; only its last argument may be a parameter or a value",
                    arg.pos,
                )
            resolved, kind = self.check(arg)
            if not is_field and kind not in (FieldType.NUMBER, FieldType.STRING):
                raise ExpressionError(
                    f"the default of coalesce() is a number or a text, but {render(arg)} is a {kind}",
                    arg.pos,
                )
            resolved_args.append(resolved)
            kinds.add(kind)
        if len(kinds) != 1:
            raise ExpressionError("coalesce() takes fields (and a default) of one type", node.pos)
        return replace(node, args=tuple(resolved_args)), kinds.pop()

    @staticmethod
    def _arity(node: Call, count: int) -> None:
        if len(node.args) != count:
            raise ExpressionError(
                f"{node.function}() takes {count} argument{'s' if count > 1 else ''}, not {len(node.args)}",
                node.pos,
            )

    def _arithmetic(self, node: Arithmetic) -> tuple[Expr, Type]:
        left = self._expect(node.left, FieldType.NUMBER, f"'{node.op}' applies to numbers")
        right = self._expect(node.right, FieldType.NUMBER, f"'{node.op}' applies to numbers")
        if node.op == "/":
            if isinstance(right, Const) and right.value == 0:
                raise ExpressionError("division by zero", node.right.pos)
            if isinstance(right, Call) and right.function == "coalesce":
                default = right.args[-1]
                if isinstance(default, Const) and default.value == 0:
                    raise ExpressionError("division by zero (the default of coalesce() is 0)", default.pos)
            if not (
                isinstance(right, Const | Name) or (isinstance(right, Call) and right.function == "coalesce")
            ):
                raise ExpressionError(
                    "divide only by a field or a number (the engine cannot guard the rest)", node.pos
                )
        if isinstance(left, Const) and isinstance(right, Const):
            value = fold_arithmetic(node.op, float(left.value), float(right.value))  # type: ignore[arg-type]
            if not isinstance(value, float):  # a constant divisor of zero was refused above
                raise ExpressionError("this arithmetic on numbers is out of range", node.pos)
            return Const(value, node.pos), FieldType.NUMBER
        return replace(node, left=left, right=right), FieldType.NUMBER

    def _compare(self, node: Compare) -> tuple[Expr, Type]:
        left, left_type = self.check(node.left)
        right, right_type = self.check(node.right)
        if node.op in ("<", "<=", ">", ">="):
            for side, kind in ((node.left, left_type), (node.right, right_type)):
                if kind is not FieldType.NUMBER:
                    raise ExpressionError(
                        f"'{node.op}' compares numbers, but {render(side)} is a {kind}", side.pos
                    )
        elif left_type != right_type or isinstance(left_type, TableType):
            raise ExpressionError(
                f"cannot compare {render(node.left)} (a {left_type}) "
                f"with {render(node.right)} (a {right_type})",
                node.pos,
            )
        elif left_type in (FieldType.STRING_LIST, FieldType.NUMBER_LIST):
            raise ExpressionError("compare lists with 'contains' or 'contains_any', not '=='", node.pos)
        self._check_enum(left, right)
        self._check_enum(right, left)
        if isinstance(left, Const) and isinstance(right, Const):
            raise ExpressionError("this comparison does not read any field of the order", node.pos)
        return replace(node, left=left, right=right), FieldType.BOOL

    def _check_enum(self, field: Expr, other: Expr) -> None:
        """``route == "IVV"`` would never match: say so, with the closest allowed value."""
        if not isinstance(field, Name) or not isinstance(other, Const):
            return
        allowed = self.vocabulary[field.name].values
        if allowed is None:
            return
        values = other.value if isinstance(other.value, tuple) else (other.value,)
        for value in values:
            if isinstance(value, str) and value not in allowed:
                meant = closest(value, allowed, any_case=True)
                raise ExpressionError(
                    f"{field.name} is never {value!r}{did_you_mean(meant)} "
                    f"(it is one of {', '.join(allowed)})",
                    other.pos,
                    meant,
                )

    def _membership(self, node: Membership) -> tuple[Expr, Type]:
        left, left_type = self.check(node.left)
        right, right_type = self.check(node.right)
        if node.op in ("in", "not in"):
            if (
                not isinstance(left_type, FieldType)
                or left_type.element is not None
                or left_type is FieldType.BOOL
            ):
                raise ExpressionError(
                    f"'{node.op}' tests a number or a string, not a {left_type}", node.left.pos
                )
            if (
                not isinstance(right, Const)
                or not isinstance(right_type, FieldType)
                or right_type.element != left_type
            ):
                raise ExpressionError(
                    f"'{node.op}' needs a list of {left_type}s on its right", node.right.pos
                )
            self._check_enum(left, right)
        else:
            element = left_type.element if isinstance(left_type, FieldType) else None
            if element is None:
                raise ExpressionError(
                    f"'{node.op}' applies to a list field, not a {left_type}", node.left.pos
                )
            wanted: Type = element if node.op == "contains" else left_type
            if right_type != wanted or not isinstance(right, Const):
                raise ExpressionError(
                    f"'{node.op}' needs a {wanted} written out on its right", node.right.pos
                )
        if isinstance(right, Const) and isinstance(right.value, tuple) and len(right.value) > 500:
            raise ExpressionError(
                "a list of more than 500 values exceeds what the engine can match", node.right.pos
            )
        return replace(node, left=left, right=right), FieldType.BOOL


def unguarded_divisors(condition: Expr, vocabulary: Mapping[str, FieldSpec]) -> list[tuple[int, str, str]]:
    """(position, field, message) for each divisor of a resolved condition that can be 0 (a field the
    vocabulary says ``may_be_zero``) and that no part of the same ``and``/``or`` settles first.

    With such a divisor at 0 the rule cannot be evaluated and the order is reported as an error
    (:mod:`doseguard.rules.evaluate`): ``rules validate`` warns, it does not refuse. A guard is a part
    of an enclosing ``and`` that reads only that field and is false when it is 0
    (``administrations_given > 0 and ...``), or a part of an enclosing ``or`` that is true then
    (``administrations_given == 0 or ...``).
    """
    zero_able = {name for name, spec in vocabulary.items() if spec.may_be_zero}
    found: list[tuple[int, str, str]] = []

    def settles(part: Expr, name: str, verdict: bool) -> bool:
        reads = {n.name for n in name_nodes(part)}
        return reads == {name} and evaluate(part, {name: 0.0}) is verdict

    def walk(node: Expr, guarded: frozenset[str]) -> None:
        match node:
            case And(items=items) | Or(items=items):
                verdict = isinstance(node, Or)
                inner = guarded | {n for n in zero_able for part in items if settles(part, n, verdict)}
                for part in items:
                    walk(part, inner)
            case Not(operand=operand) | Negate(operand=operand):
                walk(operand, guarded)
            case Arithmetic(op=op, left=left, right=right):
                walk(left, guarded)
                walk(right, guarded)
                if op == "/":
                    for divisor in name_nodes(right):
                        if divisor.name in zero_able and divisor.name not in guarded:
                            found.append((divisor.pos, divisor.name, _zero_message(divisor.name)))
            case Compare(left=left, right=right) | Membership(left=left, right=right):
                walk(left, guarded)
                walk(right, guarded)
            case Call(args=args):
                for arg in args:
                    walk(arg, guarded)

    walk(condition, frozenset())
    return found


def _zero_message(name: str) -> str:
    return (
        f"{name} can be 0 and this divides by it: an order with {name} 0 cannot be evaluated by this rule "
        f"and is reported as an error (guard it in the same condition: '{name} > 0 and ...')"
    )
