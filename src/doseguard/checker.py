"""The checker: records in, one result per record out, in order, failing closed.

It joins the pieces: the normaliser turns a record into facts, the engine (any
:class:`~doseguard.evaluation.RuleEngine`; durable-rules by default) says which rules fire, the
rules' templates say why. Whatever goes wrong for one record (bad data, an engine failure, a
broken message) becomes that record's ``invalid`` or ``error`` result and the batch goes on.
A record's patient context (``InputRecord.context``) is merged into it first (``patients/merge.py``)
and its history aggregates computed into the order's facts (``patients/aggregates.py``): the engine
sees one fact per order (docs/decisions/patient-context.md). Otherwise rules read nothing but an
order's fields, so two records that differ only in their ids get the same outcome: outcomes are
remembered by the record without its ids (for a record with history, with the kinds of data held
and its aggregate values: all a rule reads of the history), and findings by the engine's input,
because in a batch the same order sentences come back again and again (``result_cache.py``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, NamedTuple

from doseguard.engine.adapter import DurableEngine, encode_fact, encode_fact_with
from doseguard.engine.compiled import CompiledRules, compile_loaded, compile_rules
from doseguard.errors import (
    DoseguardError,
    EngineError,
    FieldProblem,
    InvalidOrderError,
    UnevaluableRulesError,
)
from doseguard.evaluation import RuleEngine
from doseguard.not_evaluated import UndecidedRules
from doseguard.order_ids import RepeatedOrderIds
from doseguard.orders.model import Order
from doseguard.orders.normalise import OrderNormaliser
from doseguard.orders.patient import parse_ordered_at
from doseguard.patients.aggregates import AggregateComputer
from doseguard.patients.merge import NOTHING_STALE, is_blank, merge_patient, stale_fields
from doseguard.patients.model import HistoryKind, PatientContext
from doseguard.records import InputRecord, record_ids
from doseguard.result_cache import ResultCache, record_key
from doseguard.results import Finding, OrderResult, ResultError, ResultStatus
from doseguard.rules.evaluate import ORDERED, ZeroDivisorCheck, divisor_fields, zero_divisor_check
from doseguard.rules.expressions import render
from doseguard.rules.fixes import compile_fixes
from doseguard.rules.model import NOT_COVERED, Rule, RuleSet
from doseguard.rules.selection import select_rules
from doseguard.rules.source import RuleSource

__all__ = ["NOT_COVERED", "Checker", "load_checker"]

Outcome = tuple[ResultStatus, tuple[Finding, ...], tuple[ResultError, ...], tuple[str, ...], tuple[str, ...]]
FindingsKey = str | tuple[Any, ...]
"""What findings are remembered by: the engine's fact JSON, and how the order stated its quantities
when that is not the facts' units (the messages say "1 mg (1,000 mcg)"; the engine saw only 1000);
with rules that read patient data, also the kinds of it the run holds and whether ``ordered_at`` is
stated (what a not-evaluated finding says)."""
Said = tuple[tuple[Finding, ...], tuple[str, ...]]
"""An order's findings, and the rules not evaluated for want of a kind of data the run lacks."""
NO_KINDS: frozenset[HistoryKind] = frozenset()


class _Pending(NamedTuple):
    """A record that needs the engine: where it goes, what it is, and the keys it is remembered by."""

    position: int
    order: Order
    facts: dict[str, Any]  # the order's, with its history aggregates
    fact_json: str
    findings_key: FindingsKey
    key: tuple[Any, ...] | None
    ids: tuple[str | None, str | None]
    held: frozenset[HistoryKind]  # the kinds of patient data the run holds for the patient
    stale: frozenset[str]  # patient fields left out as recorded too long before the order


class Checker:
    def __init__(
        self, rules: RuleSet, compiled: CompiledRules | None = None, engine: RuleEngine | None = None
    ) -> None:
        """Compile ``rules`` for the engine (once: the checker keeps them), or take them from
        ``compiled``, a larger set compiled by the caller (every rule of the packs, of which ``rules``
        are a selection). ``engine`` evaluates them (default: durable-rules, given the compiled
        rules). Raises RulePackError for what the engine cannot take, EngineError when the engine
        refuses the compiled rules."""
        self.rules = rules
        self.compiled = compile_rules(rules) if compiled is None else compiled
        self.engine: RuleEngine = (
            engine if engine is not None else DurableEngine(self.compiled.of(rules.rules))
        )
        self.normaliser = OrderNormaliser(rules.drugs, rules.drugs_reading("dose_mcg"))
        self._finders = {rule.id: _finder(rule) for rule in rules.rules}
        self._zero_checks: tuple[tuple[Rule, ZeroDivisorCheck], ...] = tuple(
            (rule, check) for rule in rules.rules if (check := zero_divisor_check(rule.condition)) is not None
        )
        self._divisor_fields = tuple(sorted(set().union(*(divisor_fields(r.condition) for r in rules.rules))))
        self._order = {rule.id: index for index, rule in enumerate(rules.rules)}
        self._covered = rules.covered_drugs
        self._aggregates = AggregateComputer(tuple(rules.aggregates.values()))
        self._vocabulary = rules.vocabulary
        self._undecided = UndecidedRules(rules.rules, self._vocabulary, rules.aggregates)
        self._cache: ResultCache[FindingsKey, Said] = ResultCache()  # by findings key
        self._outcomes: ResultCache[tuple[Any, ...], Outcome] = ResultCache()  # by record_key

    def check_all(self, records: Iterable[InputRecord]) -> Iterator[OrderResult]:
        """Results in input order, one per record; a repeated ``order_id`` makes the later one invalid."""
        with RepeatedOrderIds(self.rules.version) as repeats:
            for number, item in enumerate(records, start=1):
                yield repeats.check(self.check(item, number))

    def check(self, item: InputRecord, number: int = 1) -> OrderResult:
        """The result of one record (``number`` is its place in the batch)."""
        return self.check_many([item], number)[0]

    def check_many(
        self, items: Sequence[InputRecord], first_number: int = 1, numbers: Sequence[int] = ()
    ) -> list[OrderResult]:
        """Results of records, in order, numbered from ``first_number`` (or each by ``numbers``, when
        they are not consecutive). Records that need the engine go to it together, in batches (about
        twice as fast as one at a time); every other step is per record."""
        version = self.rules.version
        results: list[OrderResult | None] = [None] * len(items)
        waiting: list[_Pending] = []
        numbered = numbers or range(first_number, first_number + len(items))
        for index, item in enumerate(items):
            number = numbered[index]
            order_id, patient_id = record_ids(item.data)
            context = item.context
            stale = NOTHING_STALE
            if context is not None:
                stale = stale_fields(item.data, context)
                data = merge_patient(item.data, context, stale)
            else:
                data = item.data
            if item.problems or item.error is not None:
                problems = tuple(ResultError.of(p) for p in item.problems) or (
                    ResultError("record", str(item.error)),
                )
                results[index] = OrderResult(number, item.source, order_id, patient_id, ResultStatus.INVALID,
                                             errors=problems, rules_version=version)  # fmt: skip
                continue
            history = context is not None and context.has_history
            values: dict[str, float] | None = None
            if history:
                assert context is not None
                values, key = self._history_key(data, (order_id, patient_id), context, number)
            elif context is not None and context.gaps:
                key = None  # its warning names its patient's records: no other record's outcome
            else:
                key = record_key(data, (order_id, patient_id))
            if key is not None and context is not None and context.field_sources:
                key = _with_sources(key, item.data, context)
            if key is not None and stale:
                key = (key, stale)  # what it says differs from an order of a patient not weighed
            known = self._outcomes.get(key) if key is not None else None
            if known is not None:
                status, findings, errors, warnings, unheld = known
                results[index] = OrderResult(
                    number, item.source, order_id, patient_id, status, findings, errors, warnings, version,
                    unheld,
                )  # fmt: skip
                continue
            try:
                order = self.normaliser.normalise(data)
                facts = order.facts
                if history and order.unchecked is None and self._aggregates.aggregates:
                    if values is None:
                        values = self._aggregates(order, context, number)
                    if values:
                        facts = {**facts, **values}
                if order.unchecked is not None:
                    fact_json = ""
                elif facts is order.facts:
                    fact_json = encode_fact(facts)
                else:  # aggregates are no field of the order's vocabulary
                    fact_json = encode_fact_with(order.facts, values or {}, self._vocabulary)
            except InvalidOrderError as error:
                # a value taken from the patient's record is named where it was read (the key
                # tells those places apart: _with_sources)
                problems = tuple(ResultError.of(p) for p in _located(error.problems, item.data, context))
                invalid = OrderResult(
                    number,
                    item.source,
                    order_id,
                    patient_id,
                    ResultStatus.INVALID,
                    errors=problems,
                    rules_version=version,
                )
                results[index] = self._remember(key, invalid)
                continue
            except Exception as error:  # fail closed: a bug or bad data here must not stop the batch
                results[index] = self._error(number, item, order_id, patient_id, _describe(error))
                continue
            if order.unchecked is not None:  # not covered, or inactive: read, not for the rules
                results[index] = self._remember(
                    key, self._unchecked(number, item, order, (order_id, patient_id))
                )
                continue
            held = context.kinds if context is not None else NO_KINDS
            findings_key: FindingsKey = (
                (fact_json, order.as_ordered, held, order.ordered_at is not None, stale) if self._undecided
                else fact_json if not order.as_ordered else (fact_json, order.as_ordered)
            )  # fmt: skip
            cached = self._cache.get(findings_key)
            if cached is not None:
                results[index] = self._remember(
                    key, self._result(number, item, order, cached, (order_id, patient_id))
                )
            else:
                waiting.append(
                    _Pending(
                        index, order, facts, fact_json, findings_key, key, (order_id, patient_id), held, stale
                    )
                )
        if waiting:
            self._evaluate(items, numbered, waiting, results)
        assert all(r is not None for r in results)
        return results  # type: ignore[return-value]

    def _history_key(
        self, data: Any, ids: tuple[str | None, str | None], context: PatientContext, number: int
    ) -> tuple[dict[str, float] | None, tuple[Any, ...] | None]:
        """A record with history: its aggregates, computed from its ``ordered_at`` before it is
        normalised, and the key its outcome is remembered by (the record without its ids, the kinds
        of data the run holds for the patient, the aggregates: all a rule can read of the history),
        None when the record cannot share an outcome (its ``ordered_at`` is not readable: the
        normaliser says why)."""
        base = record_key(data, ids)
        if base is None:
            return None, None
        stated = data.get("ordered_at")
        if stated is None:
            at = None
        elif isinstance(stated, str):
            try:
                at = parse_ordered_at(stated)
            except DoseguardError:
                return None, None
        else:
            return None, None
        values = self._aggregates.at(at, context, number)
        return values, (base, context.kinds, tuple(sorted(values.items())), context.gaps)

    def _evaluate(
        self,
        items: Sequence[InputRecord],
        numbered: Sequence[int],
        waiting: list[_Pending],
        results: list[OrderResult | None],
    ) -> None:
        version = self.rules.version
        distinct = list(dict.fromkeys(pending.fact_json for pending in waiting))
        try:
            verdicts = dict(zip(distinct, self.engine.fired_many(distinct), strict=True))
        except Exception as error:  # fail closed: the whole batch is unchecked
            verdicts = dict.fromkeys(distinct, EngineError(_describe(error)))
        for index, order, facts, fact_json, findings_key, key, ids, held, stale in waiting:
            number, item = numbered[index], items[index]
            try:
                findings = self._cache.get(findings_key)
                if findings is None:
                    fired = verdicts[fact_json]
                    if isinstance(fired, Exception):
                        raise fired
                    findings = self._findings(order, facts, fired, held, stale)
                    self._cache.offer(findings_key, findings)
            except UnevaluableRulesError as error:  # fail closed: some rule could not say
                problems = tuple(ResultError.of(p, "evaluation failed: ") for p in error.problems)
                results[index] = OrderResult(
                    number, item.source, order.order_id, order.patient_id, ResultStatus.ERROR,
                    errors=problems, rules_version=version,
                )  # fmt: skip
                continue
            except Exception as error:  # fail closed: this order was not checked
                results[index] = self._error(number, item, order.order_id, order.patient_id, _describe(error))
                continue
            results[index] = self._remember(key, self._result(number, item, order, findings, ids))

    def _result(
        self,
        number: int,
        item: InputRecord,
        order: Order,
        said: Said,
        identity: tuple[str | None, str | None],
    ) -> OrderResult:
        """Ids as the outcome cache reports them (so a hit and a miss read alike), else the model's."""
        findings, unheld = said
        status = ResultStatus.FLAGGED if findings else ResultStatus.PASS
        ids = (identity[0] or order.order_id, identity[1] or order.patient_id)
        return OrderResult(number, item.source, *ids, status, findings, warnings=order.warnings + _gaps(item),
                           rules_version=self.rules.version, not_evaluated=unheld)  # fmt: skip

    def _unchecked(
        self, number: int, item: InputRecord, order: Order, identity: tuple[str | None, str | None]
    ) -> OrderResult:
        """The result of an order that is not for the rules: inactive (no finding: not alerted on), or
        not covered, with the built-in notice that says so unless it is silenced."""
        status = ResultStatus(order.unchecked or ResultStatus.NOT_COVERED)
        findings: tuple[Finding, ...] = ()
        notice = self.rules.notice(NOT_COVERED) if status is ResultStatus.NOT_COVERED else None
        if notice is not None:
            drug = order.facts["drug"]
            message = (
                f"No rule pack covers {drug!r}: the order was not checked for dose, route or schedule "
                f"(packs cover: {', '.join(sorted(self._covered))})."
            )
            findings = (Finding(notice.id, notice.severity, message, notice.title, notice.pack),)
        ids = (identity[0] or order.order_id, identity[1] or order.patient_id)
        return OrderResult(number, item.source, *ids, status, findings, warnings=order.warnings + _gaps(item),
                           rules_version=self.rules.version)  # fmt: skip

    def _remember(self, key: tuple[Any, ...] | None, result: OrderResult) -> OrderResult:
        """Keep the outcome for records that differ only in their ids (never a failed evaluation)."""
        if key is not None and result.status is not ResultStatus.ERROR:
            self._outcomes.offer(
                key, (result.status, result.findings, result.errors, result.warnings, result.not_evaluated)
            )
        return result

    def _error(
        self, number: int, item: InputRecord, order_id: str | None, patient_id: str | None, message: str
    ) -> OrderResult:
        error = ResultError(None, f"evaluation failed: {message}")
        return OrderResult(number, item.source, order_id, patient_id, ResultStatus.ERROR, errors=(error,),
                           rules_version=self.rules.version)  # fmt: skip

    def _check_divisors(self, facts: dict[str, Any]) -> None:
        """Raise :class:`UnevaluableRulesError` for the rules a zero divisor left undecided."""
        unevaluable = [
            (rule, divisors) for rule, check in self._zero_checks if (divisors := check(facts)) is not None
        ]
        if unevaluable:
            raise UnevaluableRulesError([_unevaluable(rule, divisors) for rule, divisors in unevaluable])

    def _findings(
        self,
        order: Order,
        facts: dict[str, Any],
        fired: frozenset[str],
        held: frozenset[HistoryKind],
        stale: frozenset[str] = NOTHING_STALE,
    ) -> Said:
        """The findings of the rules that fired, those that absent patient data left undecided in
        place of their own (``not_evaluated.py``), by severity, then in rule order."""
        unknown = fired - self._finders.keys()
        if unknown:
            raise EngineError(f"unknown rules fired: {sorted(unknown)}")
        get = facts.get
        for name in self._divisor_fields:  # the cheap test: is any divisor 0 in this order?
            if get(name) == 0:
                self._check_divisors(facts)
                break
        finders = self._finders
        shown = facts
        if order.as_ordered and fired:  # messages read how the order stated its quantities too
            shown = {**facts, ORDERED: {name: (number, unit) for name, number, unit in order.as_ordered}}
        unheld: tuple[str, ...] = ()
        if self._undecided:
            undecided = self._undecided(facts, held, order.ordered_at is not None, stale)
            unheld = undecided.unheld
            findings = [finders[rule_id](shown) for rule_id in fired if rule_id not in undecided.findings]
            findings.extend(undecided.findings.values())
        else:
            findings = [finders[rule_id](shown) for rule_id in fired]
        findings.sort(key=lambda f: (-f.severity.rank, self._order.get(f.rule_id, -1)))
        return tuple(findings), unheld


GAPS_SHOWN = 3


def _with_sources(key: Any, data: Any, context: PatientContext) -> Any:
    """``key``, telling the fields the order took from the patient's record by where they were read:
    a value's error names that place, so it is no other record's result."""
    if not isinstance(data, dict):
        return key
    taken = tuple(
        (name, source) for name, source in context.field_sources.items() if is_blank(data.get(name))
    )
    return (key, taken) if taken else key


def _located(problems: list[FieldProblem], data: Any, context: PatientContext | None) -> list[FieldProblem]:
    """The problems, those of a value the order took from the patient's record (a patients file's
    line, a FHIR resource) saying where it was read."""
    if context is None or not context.field_sources or not isinstance(data, dict):
        return problems
    located = []
    for problem in problems:
        source = context.field_sources.get(problem.field)
        if source is not None and is_blank(data.get(problem.field)):
            message = f"{problem.message} (from the patient's record, {source})"
            problem = FieldProblem(problem.field, message, problem.value)  # noqa: PLW2901
        located.append(problem)
    return located


def _gaps(item: InputRecord) -> tuple[str, ...]:
    """The warning of an order whose patient's history lost records (said at their ``file:line`` by
    the run): the rules read the rest, so the result must not read as a check of the whole history."""
    gaps = item.context.gaps if item.context is not None else ()
    if not gaps:
        return ()
    shown = ", ".join(gaps[:GAPS_SHOWN]) + (", ..." if len(gaps) > GAPS_SHOWN else "")
    records = "1 record" if len(gaps) == 1 else f"{len(gaps):,} records"
    return (f"the patient's history is incomplete: {records} not used ({shown}): see the run's messages",)


def _unevaluable(rule: Rule, divisors: tuple[str, ...]) -> FieldProblem:
    """What could not be evaluated: the rule, its condition and the divisor that is zero."""
    zero = " and ".join(divisors)
    return FieldProblem(
        divisors[0],
        f"rule {rule.id} could not be evaluated: division by zero ({zero} is 0) in "
        f"'{render(rule.condition)}'",
    )


def _finder(rule: Rule) -> Callable[[dict[str, Any]], Finding]:
    """The finding of ``rule`` for an order's facts, its message template compiled once; a rule
    with a ``fix:`` computes its values too (only such rules pay for it)."""
    rule_id, severity, title, pack = rule.id, rule.severity, rule.title, rule.pack
    render = rule.message.compile()
    if not rule.fixes:
        return lambda facts: Finding(rule_id, severity, render(facts), title, pack)
    fix_values = compile_fixes(rule.fixes, rule.fix_when)
    return lambda facts: Finding(rule_id, severity, render(facts), title, pack, fixes=fix_values(facts))


def _describe(error: BaseException) -> str:
    return str(error) if isinstance(error, DoseguardError) else f"internal error: {error!r}"


def load_checker(source: RuleSource) -> Checker:
    """A checker of the rules ``source`` names: every rule of the packs loaded and compiled (a pack the
    engine cannot take is refused here, with its problems located), then the selection built. What
    ``doseguard check`` does before any worker starts, and the service before it starts or reloads.
    Raises RulePackError, EngineError or SelectionError."""
    everything = compile_loaded(source.read_all())
    return Checker(select_rules(everything.rule_set, source.selection), everything)
