"""A rule's ``fix:``: the order fields a rule may correct, and the expressions of their values.

A fix is offered where the correction is computable and unambiguous (the volume that delivers the
ordered dose at the vial's strength); the service turns it into a CDS Hooks suggestion that updates
the MedicationRequest. So a fix may set only fields that ``io/fhir/updates.py`` can write back into
the resource where the FHIR reader reads them from, and each value is an expression of the rule
language, parsed and type-checked like a condition, with the rule's parameters in scope (and
replaced by their values: a site override changes the value, not the rule). Nothing is evaluated
here but in :func:`compile_fixes`, which the checker calls when the rule fires: the reference
evaluator's meaning, compiled once.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from doseguard.errors import ExpressionError, ProblemKind, RuleProblem
from doseguard.numbers import as_fact
from doseguard.rules.conditions import offset_location
from doseguard.rules.evaluate import compile_expression, evaluate, truth
from doseguard.rules.expressions import Expr, parse_expression, render
from doseguard.rules.typecheck import ParameterValue, TypeChecker
from doseguard.rules.yaml_source import PathKey, YamlDocument
from doseguard.suggestions import closest, did_you_mean
from doseguard.vocabulary import FieldSpec

FIXABLE_FIELDS: Mapping[str, str] = {
    "volume_ml": "the volume to inject, in mL (written back as the dose in mL)",
    "dose_mcg": "the dose, in mcg (written back in UCUM ug)",
    "dose_mg": "the dose, in mg (written back in UCUM mg)",
    "dose_units": "a dose in units of activity (written back in UCUM [iU])",
}
"""The fields a fix may set, each a number: the dose of one administration, which the FHIR reader
reads from ``doseQuantity``. Frequency and interval fields are not among them: no bundled rule has a
single right frequency to suggest, and the FHIR update does not rewrite a timing."""


@dataclass(frozen=True)
class Fix:
    """One field a rule's fix sets, and the resolved expression of its value."""

    field: str
    expression: Expr


def check_fix(
    document: YamlDocument,
    where: PathKey,
    rule: dict[Any, Any],
    vocabulary: Mapping[str, FieldSpec],
    parameters: Mapping[str, ParameterValue],
    rule_id: str | None,
) -> tuple[tuple[Fix, ...], Expr | None, list[RuleProblem]]:
    """The fixes and ``fix_when`` condition of the rule at ``where`` (``rule``, as written) and every
    problem, located. A value that is not text, or a ``fix:`` that is not a mapping, is the schema's
    to report."""
    raw = rule.get("fix")
    fixes, problems = _fixes(document, where, raw, vocabulary, parameters, rule_id)
    condition = rule.get("fix_when")
    if not isinstance(condition, str) or document.is_refused((*where, "fix_when")):
        return fixes, None, problems
    spot = (*where, "fix_when")
    try:
        if not raw:
            raise ExpressionError("there is no fix: for it to limit")
        when = TypeChecker(vocabulary, parameters).check_condition(parse_expression(condition))
    except ExpressionError as error:
        at = offset_location(document, spot, error.offset)
        problems.append(RuleProblem(at, f"fix_when: {error.message}", kind=ProblemKind.TYPE, rule_id=rule_id,
                                    suggestion=error.suggestion))  # fmt: skip
        return fixes, None, problems
    return fixes, when, problems


def _fixes(
    document: YamlDocument,
    where: PathKey,
    raw: Any,
    vocabulary: Mapping[str, FieldSpec],
    parameters: Mapping[str, ParameterValue],
    rule_id: str | None,
) -> tuple[tuple[Fix, ...], list[RuleProblem]]:
    if not isinstance(raw, dict):
        return (), []
    fixes: list[Fix] = []
    problems: list[RuleProblem] = []
    for key, text in raw.items():
        spot = (*where, "fix", key)
        if document.is_refused(spot):
            continue
        name = str(key)
        if name not in FIXABLE_FIELDS:
            meant = closest(name, FIXABLE_FIELDS, any_case=True)
            message = (
                f"fix: {name} is not a field a fix may set (a fix sets {', '.join(FIXABLE_FIELDS)}: "
                f"a dose the FHIR update can write back){did_you_mean(meant)}"
            )
            problems.append(RuleProblem(document.locate(spot, at_key=True), message, kind=ProblemKind.TYPE,
                                        rule_id=rule_id, suggestion=meant))  # fmt: skip
            continue
        if not isinstance(text, str):
            continue
        try:
            resolved = _checked(name, text, vocabulary, parameters)
        except ExpressionError as error:
            at = offset_location(document, spot, error.offset)
            problems.append(RuleProblem(at, f"fix: {error.message}", kind=ProblemKind.TYPE, rule_id=rule_id,
                                        suggestion=error.suggestion))  # fmt: skip
            continue
        fixes.append(Fix(name, resolved))
    return tuple(fixes), problems


def _checked(
    name: str, text: str, vocabulary: Mapping[str, FieldSpec], parameters: Mapping[str, ParameterValue]
) -> Expr:
    """The resolved expression of field ``name``'s value; :class:`ExpressionError` (its offset in
    ``text``) when it does not parse, does not type-check, or is not of the field's type."""
    try:
        expression = parse_expression(text)
        resolved, kind = TypeChecker(vocabulary, parameters).check(expression)
    except ExpressionError as error:
        raise ExpressionError(f"{name}: {error.message}", error.offset, error.suggestion) from None
    wanted = vocabulary[name].type
    if kind != wanted:
        raise ExpressionError(f"{name} is a {wanted}, but {render(expression)} is a {kind}")
    return resolved


FixValues = tuple[tuple[str, float], ...]


def compile_fixes(
    fixes: tuple[Fix, ...], when: Expr | None = None
) -> Callable[[Mapping[str, Any]], FixValues]:
    """A function of an order's facts giving the fields and values of ``fixes`` (rounded as facts
    carry amounts), or none at all when ``when`` does not hold, when one cannot be computed for this
    order (a field it reads is not stated, a division by zero, a result that is no amount: not above
    0) or when together they change nothing: a partial or empty correction is not offered as one."""
    steps = tuple((fix.field, compile_expression(fix.expression)) for fix in fixes)

    def values(facts: Mapping[str, Any]) -> FixValues:
        if when is not None and not truth(evaluate(when, facts)):
            return ()
        found: list[tuple[str, float]] = []
        for name, value_of in steps:
            value = value_of(facts)
            if type(value) is not float or not math.isfinite(value) or as_fact(value) <= 0:
                return ()
            found.append((name, as_fact(value)))
        if all(facts.get(name) == value for name, value in found):
            return ()
        return tuple(found)

    return values
