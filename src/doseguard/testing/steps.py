"""Generic pytest-bdd steps: build an order, let the checker answer, and assert on the answer.

Loaded by the doseguard pytest plugin (``doseguard.testing.plugin``, a ``pytest11`` entry point), so
installing doseguard is enough. Which rules run comes from the plugin's ini options.

Orders are built by ``Given`` steps and checked afresh by every ``Then`` step (the checker caches
identical orders), so no ``When`` step is needed. Field names in steps may be written with spaces
("product concentration", "administrations given"); a name that is not an order field fails the
step, so a typo cannot make a scenario pass by leaving a field out. ``Given an order as JSON:`` is
the exception: it is the record exactly as a system would send it, unknown fields included.

Each Then step that names a rule records, in the test's ``user_properties``, which rule it checked and
whether it expected a finding (``doseguard rules test`` reads them to compute rule coverage from what
was asserted, not from the wording of the files), and fails on a rule id that is not loaded: a misspelt
id in "is not flagged" would otherwise pass for ever.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

import pytest
from pytest_bdd import given, parsers, then

from doseguard.checker import NOT_COVERED, Checker
from doseguard.numbers import as_fact, format_number
from doseguard.orders.model import RECORD_FIELDS
from doseguard.orders.normalise import unread_keys
from doseguard.records import InputRecord
from doseguard.results import OrderResult, ResultStatus
from doseguard.rules.fixes import FIXABLE_FIELDS
from doseguard.rules.model import RuleSet, RuleStatus
from doseguard.rules.selection import select_rules
from doseguard.suggestions import closest, did_you_mean
from doseguard.testing.history import ScenarioHistory
from doseguard.testing.phrases import (
    EXACT_FINDINGS,
    EXPECTATION_PROPERTY,
    FIELD,
    FIX_SETS,
    FLAGGED,
    MESSAGE_MENTIONS,
    NO_FIX,
    NOT_EVALUATED,
    NOT_FLAGGED,
    RULE_ID,
    SEVERITIES,
    findings_table_rows,
)
from doseguard.testing.plugin import DEPRECATED_INI, all_rules, rule_source
from doseguard.testing.scenario import SCENARIO_ORDERED_AT
from doseguard.vocabulary import VOCABULARY

IDENTITY = {"order_id": "O1", "patient_id": "P1"}
SCENARIO_DEFAULTS = {"ordered_at": SCENARIO_ORDERED_AT}
"""What a scenario's order is unless it says otherwise (not for ``an order as JSON``: that is exact)."""

# Fixtures ---------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def doseguard_rules(pytestconfig: pytest.Config) -> RuleSet:
    """The rules under test: the ``doseguard_rules`` ini option's folders, or the bundled packs, with
    the ``doseguard_overrides`` file applied, less the deprecated rules unless
    ``doseguard_include_deprecated`` is set, as ``doseguard check`` runs them (``doseguard rules test``
    gives its own options instead)."""
    return select_rules(all_rules(pytestconfig), rule_source(pytestconfig).selection)


@pytest.fixture(scope="session")
def doseguard_checker(doseguard_rules: RuleSet) -> Checker:
    return Checker(doseguard_rules)


@pytest.fixture(scope="session")
def doseguard_standard_orders(doseguard_rules: RuleSet) -> Mapping[str, Mapping[str, Any]]:
    """The orders ``Given a standard <name> order`` starts from: each pack's ``standard_orders:`` (the
    cyanocobalamin one is the b12 pack's), so a pack brings its own correct orders, without Python."""
    return merged_standard_orders(doseguard_rules)


def merged_standard_orders(rule_set: RuleSet) -> dict[str, dict[str, Any]]:
    """Every pack's standard orders, later packs winning; names are compared ignoring case. Every
    order gets the O1/P1 identity unless it states its own."""
    orders: dict[str, dict[str, Any]] = {}
    for pack in rule_set.packs:
        for name, fields in pack.spec.standard_orders.items():
            orders[name.lower()] = {**IDENTITY, **fields}
    return orders


@pytest.fixture
def scenario_history() -> ScenarioHistory:
    """The patient's history the scenario states (``doseguard.testing.history_steps``): none until a
    history step gives a table, and then the order record's patient context."""
    return ScenarioHistory()


@pytest.fixture
def order() -> Any:
    start = '"Given a standard ... order", "Given an order:" or "Given an order as JSON:"'
    pytest.fail(f"no order yet: start with {start}", pytrace=False)


# Given: building the order ----------------------------------------------------------------------


@given(parsers.re(r"a standard (?P<name>.+) order"), target_fixture="order")
def standard_order(name: str, doseguard_standard_orders: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """A copy of a named correct order."""
    known = {key.lower(): value for key, value in doseguard_standard_orders.items()}
    _expect(name.lower() in known, f"no standard {name!r} order (known: {', '.join(sorted(known))})")
    return {**SCENARIO_DEFAULTS, **known[name.lower()]}


@given("an order:", target_fixture="order")
def order_from_table(datatable: list[list[str]]) -> dict[str, Any]:
    """The order in a field | value table; order_id and patient_id default to O1 and P1."""
    return {**IDENTITY, **SCENARIO_DEFAULTS, **_fields(datatable)}


@given("an order as JSON:", target_fixture="order")
def order_from_json(docstring: str) -> Any:
    """The record exactly as written (not necessarily an object: bad input is worth testing too)."""
    try:
        return json.loads(docstring)
    except json.JSONDecodeError as error:
        problem = str(error)
    pytest.fail(f"the order is not valid JSON: {problem}", pytrace=False)


@given(parsers.re(rf"the order's {FIELD} (?:is|are) \"(?P<value>.*)\""))
def set_field(order: Any, field: str, value: str) -> None:
    """Set one field; lists (allergies, ...) are written ';'-separated."""
    _as_object(order)[_field_name(field)] = value


@given("the order is changed to:")
def change_fields(order: Any, datatable: list[list[str]]) -> None:
    _as_object(order).update(_fields(datatable))


@given(parsers.re(rf"the order has no {FIELD}"))
def remove_field(order: Any, field: str) -> None:
    _as_object(order).pop(_field_name(field), None)


# Then: what the checker answers -----------------------------------------------------------------


@then("the order passes")
def order_passes(order: Any, doseguard_checker: Checker, scenario_history: ScenarioHistory) -> None:
    """Checked, no finding (a not-evaluated one included), no warning, and no key left unread (an
    ignored field could hide a finding; a run names such keys once, not in each result)."""
    result = _check(doseguard_checker, order, scenario_history)
    ok = result.status is ResultStatus.PASS and not result.findings and not result.warnings
    _expect(ok, "expected the order to pass, with no finding and no warning", result)
    unread = unread_keys(order) if isinstance(order, dict) else ()
    _expect(not unread, f"expected the order to pass, but doseguard does not read its {list(unread)}", result)


@then(parsers.re(FLAGGED))
def order_flagged(
    order: Any,
    doseguard_checker: Checker,
    scenario_history: ScenarioHistory,
    rule_id: str,
    severity: str | None,
    request: pytest.FixtureRequest,
) -> None:
    """A finding of the rule that was evaluated (a not-evaluated one is not a flag)."""
    _expects(request, rule_id, fires=True)
    result = _checked(doseguard_checker, order, scenario_history, rule_id)
    found = [f for f in result.findings if f.rule_id == rule_id and f.evaluated]
    unevaluated = any(f.rule_id == rule_id for f in result.findings)
    said = " (it was not evaluated)" if unevaluated else ""
    _expect(bool(found), f"expected a finding of {rule_id}{said}", result)
    if severity is not None:
        _expect(severity in SEVERITIES, f"unknown severity {severity!r} (write info, warning or critical)")
        actual = found[0].severity.value
        _expect(actual == severity, f"expected {rule_id} as {severity}, got {actual}", result)


@then(parsers.re(NOT_FLAGGED))
def order_not_flagged(
    order: Any,
    doseguard_checker: Checker,
    scenario_history: ScenarioHistory,
    rule_id: str,
    request: pytest.FixtureRequest,
) -> None:
    """Not flagged by that rule, and checked: an invalid order is not a near miss. Nor said to be
    not evaluated: a rule that could not be decided has not been shown silent."""
    _expects(request, rule_id, fires=False)
    result = _checked(doseguard_checker, order, scenario_history, rule_id)
    found = [f for f in result.findings if f.rule_id == rule_id]
    said = " (it was not evaluated)" if any(not f.evaluated for f in found) else ""
    _expect(not found, f"expected no finding of {rule_id}{said}", result)


@then(parsers.re(NOT_EVALUATED))
def order_not_evaluated(
    order: Any,
    doseguard_checker: Checker,
    scenario_history: ScenarioHistory,
    rule_id: str,
    request: pytest.FixtureRequest,
) -> None:
    """The rule could not be decided (patient data or history it reads is absent) and says so: a
    not-evaluated finding, never a silent pass. Counts neither as firing nor as silent in coverage."""
    _expects(request, rule_id, fires=None)
    result = _checked(doseguard_checker, order, scenario_history, rule_id)
    found = [f for f in result.findings if f.rule_id == rule_id]
    _expect(bool(found), f"expected a not-evaluated finding of {rule_id}", result)
    evaluated = [f for f in found if f.evaluated]
    _expect(not evaluated, f"expected {rule_id} not to be evaluated, but it was (and fired)", result)


@then(parsers.re(MESSAGE_MENTIONS))
def message_mentions(
    order: Any,
    doseguard_checker: Checker,
    scenario_history: ScenarioHistory,
    rule_id: str,
    text: str,
    request: pytest.FixtureRequest,
) -> None:
    """The message of the rule's finding (evaluated or not) mentions the text."""
    _expects(request, rule_id, fires=True)
    result = _checked(doseguard_checker, order, scenario_history, rule_id)
    messages = [f.message for f in result.findings if f.rule_id == rule_id]
    _expect(bool(messages), f"expected a finding of {rule_id}", result)
    mentioned = any(text in m for m in messages)
    _expect(mentioned, f"expected the message of {rule_id} to mention {text!r}", result)


@then(EXACT_FINDINGS)
def exact_findings(
    order: Any,
    doseguard_checker: Checker,
    scenario_history: ScenarioHistory,
    datatable: list[list[str]],
    request: pytest.FixtureRequest,
) -> None:
    """A table of rule ids, optionally with a second column of severities; a header row is optional."""
    rows = findings_table_rows(datatable)
    width = len(rows[0]) if rows else 1
    for row in rows:
        ok = width <= 2 and re.fullmatch(RULE_ID, row[0]) is not None and set(row[1:]) <= set(SEVERITIES)
        _expect(ok, f"each row is | rule id | or | rule id | severity |, got {row}")
    for row in rows:
        _expects(request, row[0], fires=True)
    result = _checked(doseguard_checker, order, scenario_history, *(row[0] for row in rows))
    expected = sorted(tuple(row) for row in rows)
    actual = sorted((f.rule_id, f.severity.value)[:width] for f in result.findings)
    listed = ", ".join(" as ".join(row) for row in expected) or "none"
    _expect(actual == expected, f"expected exactly these findings: {listed}", result)


@then(parsers.re(FIX_SETS))
def fix_sets(
    order: Any,
    doseguard_checker: Checker,
    scenario_history: ScenarioHistory,
    rule_id: str | None,
    fix_field: str,
    amount: str,
    unit: str | None,
    request: pytest.FixtureRequest,
) -> None:
    """The suggested fix (of the rule, when named; else the one finding that has a fix) sets the field
    to the amount, in the field's unit, as the checker rounds it (6 decimals)."""
    if rule_id is not None:
        _expects(request, rule_id, fires=True)
    if fix_field not in FIXABLE_FIELDS:
        meant = closest(fix_field, FIXABLE_FIELDS)
        pytest.fail(
            f"a fix sets {', '.join(FIXABLE_FIELDS)}, not {fix_field!r}{did_you_mean(meant)}", pytrace=False
        )
    wanted_unit = VOCABULARY[fix_field].unit
    _expect(unit in (None, wanted_unit), f"{fix_field} is in {wanted_unit}, not {unit}")
    try:
        number = as_fact(float(amount.replace(",", "")))
    except ValueError:
        pytest.fail(f"{amount!r} is not a number (write 'sets volume_ml to 0.5 mL')", pytrace=False)
    result = _checked(doseguard_checker, order, scenario_history, *((rule_id,) if rule_id else ()))
    fixes = _fixes(result, rule_id)
    of = f" of {rule_id}" if rule_id else ""
    _expect(bool(fixes), f"expected a suggested fix{of}", result)
    _expect(
        len(fixes) == 1,
        "several findings suggest a fix: name the rule (the suggested fix of RULE sets ...)",
        result,
    )
    values = dict(fixes[0][1])
    got = values.get(fix_field)
    said = (
        f", got {format_number(got)} {wanted_unit}"
        if got is not None
        else f", but it sets {', '.join(values)}"
    )
    _expect(
        got == number,
        f"expected the suggested fix{of} to set {fix_field} to {amount} {wanted_unit}{said}",
        result,
    )


@then(parsers.re(NO_FIX))
def no_fix(
    order: Any,
    doseguard_checker: Checker,
    scenario_history: ScenarioHistory,
    rule_id: str | None,
    request: pytest.FixtureRequest,
) -> None:
    """No finding (of the rule, when named: it must fire) suggests a fix for this order."""
    if rule_id is not None:
        _expects(request, rule_id, fires=True)
    result = _checked(doseguard_checker, order, scenario_history, *((rule_id,) if rule_id else ()))
    if rule_id is not None:
        _expect(
            any(f.rule_id == rule_id for f in result.findings), f"expected a finding of {rule_id}", result
        )
    fixes = _fixes(result, rule_id)
    shown = "; ".join(f"{rule}: {dict(values)}" for rule, values in fixes)
    _expect(not fixes, f"expected no suggested fix{f' of {rule_id}' if rule_id else ''}, got {shown}", result)


def _fixes(result: OrderResult, rule_id: str | None) -> list[tuple[str, tuple[tuple[str, Any], ...]]]:
    """The findings' fixes (of ``rule_id`` only, when given), by rule."""
    return [(f.rule_id, f.fixes) for f in result.findings if f.fixes and rule_id in (None, f.rule_id)]


@then("the order is not checked because no rule pack covers its drug")
def order_not_covered(order: Any, doseguard_checker: Checker, scenario_history: ScenarioHistory) -> None:
    """Not checked, and not invalid: its drug is one no loaded pack is about."""
    result = _check(doseguard_checker, order, scenario_history)
    ok = result.status is ResultStatus.NOT_COVERED and not result.errors
    _expect(ok, "expected the order not to be checked, no rule pack covering its drug", result)


@then("the order is not alerted on because it is no longer active")
def order_inactive(order: Any, doseguard_checker: Checker, scenario_history: ScenarioHistory) -> None:
    """Cancelled, entered in error, completed or stopped: no finding, and the result says why."""
    result = _check(doseguard_checker, order, scenario_history)
    ok = result.status is ResultStatus.INACTIVE and not result.findings and bool(result.warnings)
    _expect(ok, "expected the order not to be alerted on, its status saying it is no longer active", result)


@then(parsers.re(rf"the order is invalid because of (?:its|the) {FIELD}"))
def order_invalid(
    order: Any, doseguard_checker: Checker, scenario_history: ScenarioHistory, field: str
) -> None:
    result = _check(doseguard_checker, order, scenario_history)
    name = _normal(field)
    fields = [error.field for error in result.errors]
    ok = result.status is ResultStatus.INVALID and name in fields
    _expect(ok, f"expected the order to be invalid because of its {name}", result)


@then(parsers.re(rf"the error about (?:its|the) {FIELD} mentions \"(?P<text>.*)\""))
def error_mentions(
    order: Any, doseguard_checker: Checker, scenario_history: ScenarioHistory, field: str, text: str
) -> None:
    result = _check(doseguard_checker, order, scenario_history)
    name = _normal(field)
    messages = [error.message for error in result.errors if error.field == name]
    _expect(bool(messages), f"expected an error about its {name}", result)
    mentioned = any(text in m for m in messages)
    _expect(mentioned, f"expected the error about its {name} to mention {text!r}", result)


# Helpers ----------------------------------------------------------------------------------------


def _expects(request: pytest.FixtureRequest, rule_id: str, *, fires: bool | None) -> None:
    """Record what this step checks (before checking it: a failing step is attributed too), after
    making sure the rule is one that runs; ``fires=None`` only makes sure (not evaluated: neither)."""
    rules: RuleSet = request.getfixturevalue("doseguard_rules")
    if rule_id != NOT_COVERED and all(rule.id != rule_id for rule in rules.rules):
        loaded = [r for r in all_rules(request.config).rules if r.id == rule_id]
        selection = rule_source(request.config).selection
        if loaded and loaded[0].spec.status is RuleStatus.DEPRECATED and not selection.include_deprecated:
            pytest.fail(
                f"{rule_id} is deprecated and does not run: test it with {DEPRECATED_INI} = true"
                " (or doseguard rules test --include-deprecated)",
                pytrace=False,
            )
        if loaded:
            pytest.fail(f"{rule_id} does not run: --select / --ignore leave it out", pytrace=False)
        known = [rule.id for rule in rules.rules] + [NOT_COVERED]
        meant = closest(rule_id, known)
        hint = f" (did you mean {meant}?)" if meant is not None else ""
        pytest.fail(f"{rule_id} is not a rule of the rules under test{hint}", pytrace=False)
    if fires is not None:
        request.node.user_properties.append((EXPECTATION_PROPERTY, (rule_id, fires)))


def _expect(condition: bool, message: str, result: OrderResult | None = None) -> None:
    """Fail the step with a message for a person (and what the checker said), not a Python traceback."""
    if not condition:
        pytest.fail(message + (_describe(result) if result is not None else ""), pytrace=False)


def _normal(field: str) -> str:
    return "_".join(field.strip().lower().replace("-", " ").split())


def _field_name(field: str) -> str:
    name = _normal(field)
    if name not in RECORD_FIELDS:
        meant = closest(name, RECORD_FIELDS)
        hint = f" (did you mean {meant!r}?)" if meant is not None else ""
        fields = ", ".join(RECORD_FIELDS)
        pytest.fail(f"{field!r} is not an order field{hint}; the fields are: {fields}", pytrace=False)
    return name


def _fields(datatable: list[list[str]]) -> dict[str, str]:
    """Field | value rows (an optional ``field | value`` header row is skipped)."""
    rows = datatable
    if rows and [cell.strip().lower() for cell in rows[0]] == ["field", "value"]:
        rows = rows[1:]
    for row in rows:
        _expect(len(row) == 2, f"each row of an order table is | field | value |, got {row}")
    return {_field_name(name): value for name, value in rows}


def _as_object(order: Any) -> dict[str, Any]:
    if not isinstance(order, dict):
        pytest.fail(f"the order is not an object of fields: {order!r}", pytrace=False)
    return order


def _check(checker: Checker, order: Any, history: ScenarioHistory | None = None) -> OrderResult:
    """The checker's result for the scenario's order, its history (if any) as the record's patient
    context; a history row doseguard would refuse fails the step with the message a run gives."""
    context = None
    if history is not None:
        context, problems = history.context(checker.rules.drugs, order)
        _expect(not problems, "\n".join(str(problem) for problem in problems))
    return checker.check(InputRecord("scenario", order, context=context))


def _checked(checker: Checker, order: Any, history: ScenarioHistory | None, *rule_ids: str) -> OrderResult:
    """The result of an order that was actually checked (pass or flagged), or, for a step about the
    not-covered notice alone, not covered."""
    result = _check(checker, order, history)
    statuses = [ResultStatus.PASS, ResultStatus.FLAGGED]
    if rule_ids and set(rule_ids) == {NOT_COVERED}:
        statuses.append(ResultStatus.NOT_COVERED)
    _expect(result.status in statuses, "expected the order to be checked", result)
    return result


def _describe(result: OrderResult) -> str:
    lines = [f"; it is {result.status.value}"]
    lines += [
        f"  {f.rule_id} ({f.severity.value}{'' if f.evaluated else ', not evaluated'}): {f.message}"
        + (
            f" [fix: {', '.join(f'{name} {format_number(value)}' for name, value in f.fixes)}]"
            if f.fixes
            else ""
        )
        for f in result.findings
    ]
    lines += [f"  error in {e.field}: {e.message}" for e in result.errors]
    lines += [f"  warning: {w}" for w in result.warnings]
    return "\n".join(lines)
