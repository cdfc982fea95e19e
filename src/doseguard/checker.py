"""The checker: records in, one result per record out, in order, failing closed.

It joins the pieces: the normaliser turns a record into facts, the engine says which rules fire,
the rules' templates say why. Whatever goes wrong for one record (bad data, an engine failure, a
broken message) becomes that record's ``invalid`` or ``error`` result and the batch goes on.
Rules read nothing but an order's fields, so two records that differ only in their ids get the same
outcome: outcomes are remembered by the record without its ids (and findings by the engine's input),
because in a batch the same order sentences come back again and again.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from doseguard.batch.order_ids import OrderIdTable
from doseguard.engine.adapter import DurableEngine, encode_fact
from doseguard.errors import (
    DoseguardError,
    EngineError,
    FieldProblem,
    InvalidOrderError,
    UnevaluableRulesError,
)
from doseguard.orders.draft import STRUCTURED_TYPES
from doseguard.orders.model import MAX_TEXT, Order
from doseguard.orders.normalise import OrderNormaliser
from doseguard.results import Finding, OrderResult, Status
from doseguard.rules.evaluate import ZeroDivisorCheck, divisor_fields, zero_divisor_check
from doseguard.rules.expressions import render
from doseguard.rules.model import Rule, RuleSet, Severity

NOT_COVERED = "DOSEGUARD-DRUG-NOT-COVERED"
CACHE_SIZE = 16_384
"""Entries per cache; a full cache is emptied (orders that repeat are back in it at once)."""
SEEN_SIZE = 4 * CACHE_SIZE
"""How many first sightings a cache remembers: an entry is kept the second time it is met, so orders
that never repeat (the worst case) leave no objects behind for the garbage collector to follow."""
IDENTITY_FIELDS = ("order_id", "patient_id")
_UNCACHEABLE = object()
_TEXT = {str}
_TEXT_OR_INT = {str, int}
_TEXT_OR_STRUCTURED = {str, *STRUCTURED_TYPES}

Outcome = tuple[Status, tuple[Finding, ...], tuple[dict[str, Any], ...], tuple[str, ...]]


class _Pending(NamedTuple):
    """A record that needs the engine: where it goes, what it is, and the keys it is remembered by."""

    position: int
    order: Order
    fact_json: str
    key: tuple[Any, ...] | None
    ids: tuple[str | None, str | None]


@dataclass(frozen=True, slots=True)
class InputRecord:
    """One record as read: where it came from, and its data or why it could not be read.

    ``error`` is a reason the whole record could not be read; ``problems`` name fields of a record
    that was read but could not be mapped (a FHIR path, say). Either makes the result ``invalid``.
    """

    source: str
    data: Any = None
    error: str | None = None
    problems: tuple[FieldProblem, ...] = ()


class Checker:
    def __init__(self, rules: RuleSet) -> None:
        self.rules = rules
        self.engine = DurableEngine(rules.rules)
        self.normaliser = OrderNormaliser(rules.drug_names)
        self._finders = {rule.id: _finder(rule) for rule in rules.rules}
        self._zero_checks: tuple[tuple[Rule, ZeroDivisorCheck], ...] = tuple(
            (rule, check) for rule in rules.rules if (check := zero_divisor_check(rule.condition)) is not None
        )
        self._divisor_fields = tuple(sorted(set().union(*(divisor_fields(r.condition) for r in rules.rules))))
        self._order = {rule.id: index for index, rule in enumerate(rules.rules)}
        self._covered = rules.covered_drugs
        self._cache: dict[str, tuple[Finding, ...]] = {}
        self._outcomes: dict[tuple[Any, ...], Outcome] = {}
        self._seen_facts: set[int] = set()  # hashes of fact_json met once
        self._seen_records: set[int] = set()  # hashes of record keys met once

    def check_all(self, records: Iterable[InputRecord]) -> Iterator[OrderResult]:
        """Results in input order, one per record; a repeated ``order_id`` makes the later one invalid."""
        with OrderIdTable() as seen:
            for number, item in enumerate(records, start=1):
                result = self.check(item, number)
                order_id = result.order_id
                if order_id is not None and result.status is not Status.INVALID:
                    earlier = seen.add(order_id, number)
                    if earlier is not None:
                        result = duplicate_result(
                            number, item.source, order_id, result.patient_id, earlier, self.rules.version
                        )
                yield result

    def check(self, item: InputRecord, number: int = 1) -> OrderResult:
        """The result of one record (``number`` is its place in the batch)."""
        return self.check_many([item], number)[0]

    def check_many(self, items: Sequence[InputRecord], first_number: int = 1) -> list[OrderResult]:
        """Results of consecutive records, in order. Records that need the engine go to it together,
        in batches (about twice as fast as one at a time); every other step is per record."""
        version = self.rules.version
        results: list[OrderResult | None] = [None] * len(items)
        waiting: list[_Pending] = []
        for index, item in enumerate(items):
            number = first_number + index
            order_id, patient_id = _identity(item.data)
            if item.problems or item.error is not None:
                problems = tuple(p.as_dict() for p in item.problems) or (
                    {"field": "record", "message": item.error},
                )
                results[index] = OrderResult(number, item.source, order_id, patient_id, Status.INVALID,
                                             errors=problems, rules_version=version)  # fmt: skip
                continue
            key = _record_key(item.data, (order_id, patient_id))
            known = self._outcomes.get(key) if key is not None else None
            if known is not None:
                status, findings, errors, warnings = known
                results[index] = OrderResult(
                    number, item.source, order_id, patient_id, status, findings, errors, warnings, version
                )
                continue
            try:
                order = self.normaliser.normalise(item.data)
                fact_json = encode_fact(order.facts)
            except InvalidOrderError as error:
                problems = tuple(p.as_dict() for p in error.problems)
                invalid = OrderResult(
                    number,
                    item.source,
                    order_id,
                    patient_id,
                    Status.INVALID,
                    errors=problems,
                    rules_version=version,
                )
                results[index] = self._remember(key, invalid)
                continue
            except Exception as error:  # fail closed: a bug or bad data here must not stop the batch
                results[index] = self._error(number, item, order_id, patient_id, _describe(error))
                continue
            cached = self._cache.get(fact_json)
            if cached is not None:
                results[index] = self._remember(
                    key, self._result(number, item, order, cached, (order_id, patient_id))
                )
            else:
                waiting.append(_Pending(index, order, fact_json, key, (order_id, patient_id)))
        if waiting:
            self._evaluate(items, first_number, waiting, results)
        assert all(r is not None for r in results)
        return results  # type: ignore[return-value]

    def _evaluate(
        self,
        items: Sequence[InputRecord],
        first_number: int,
        waiting: list[_Pending],
        results: list[OrderResult | None],
    ) -> None:
        version = self.rules.version
        distinct = list(dict.fromkeys(pending.fact_json for pending in waiting))
        try:
            verdicts = dict(zip(distinct, self.engine.fired_many(distinct), strict=True))
        except Exception as error:  # fail closed: the whole batch is unchecked
            verdicts = dict.fromkeys(distinct, EngineError(_describe(error)))
        for index, order, fact_json, key, ids in waiting:
            number, item = first_number + index, items[index]
            try:
                findings = self._cache.get(fact_json)
                if findings is None:
                    fired = verdicts[fact_json]
                    if isinstance(fired, Exception):
                        raise fired
                    findings = self._findings(order.facts, fired)
                    if second_sight(self._seen_facts, hash(fact_json)):
                        if len(self._cache) >= CACHE_SIZE:
                            self._cache.clear()
                        self._cache[fact_json] = findings
            except UnevaluableRulesError as error:  # fail closed: some rule could not say
                problems = tuple(
                    {"field": p.field, "message": f"evaluation failed: {p.message}"} for p in error.problems
                )
                results[index] = OrderResult(
                    number, item.source, order.order_id, order.patient_id, Status.ERROR,
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
        findings: tuple[Finding, ...],
        identity: tuple[str | None, str | None],
    ) -> OrderResult:
        """Ids as the outcome cache reports them (so a hit and a miss read alike), else the model's."""
        status = Status.FLAGGED if findings else Status.PASS
        ids = (identity[0] or order.order_id, identity[1] or order.patient_id)
        return OrderResult(number, item.source, *ids, status, findings, warnings=order.warnings,
                           rules_version=self.rules.version)  # fmt: skip

    def _remember(self, key: tuple[Any, ...] | None, result: OrderResult) -> OrderResult:
        """Keep the outcome for records that differ only in their ids (never a failed evaluation)."""
        if (
            key is not None
            and result.status is not Status.ERROR
            and second_sight(self._seen_records, hash(key))
        ):
            if len(self._outcomes) >= CACHE_SIZE:
                self._outcomes.clear()
            self._outcomes[key] = (result.status, result.findings, result.errors, result.warnings)
        return result

    def _error(
        self, number: int, item: InputRecord, order_id: str | None, patient_id: str | None, message: str
    ) -> OrderResult:
        error = {"field": None, "message": f"evaluation failed: {message}"}
        return OrderResult(number, item.source, order_id, patient_id, Status.ERROR, errors=(error,),
                           rules_version=self.rules.version)  # fmt: skip

    def _check_divisors(self, facts: dict[str, Any]) -> None:
        """Raise :class:`UnevaluableRulesError` for the rules a zero divisor left undecided."""
        unevaluable = [
            (rule, divisors) for rule, check in self._zero_checks if (divisors := check(facts)) is not None
        ]
        if unevaluable:
            raise UnevaluableRulesError([_unevaluable(rule, divisors) for rule, divisors in unevaluable])

    def _findings(self, facts: dict[str, Any], fired: frozenset[str]) -> tuple[Finding, ...]:
        unknown = fired - self._finders.keys()
        if unknown:
            raise EngineError(f"unknown rules fired: {sorted(unknown)}")
        get = facts.get
        for name in self._divisor_fields:  # the cheap test: is any divisor 0 in this order?
            if get(name) == 0:
                self._check_divisors(facts)
                break
        finders = self._finders
        findings = [finders[rule_id](facts) for rule_id in fired]
        drug = facts.get("drug")
        if self._covered and drug not in self._covered:
            findings.append(
                Finding(
                    NOT_COVERED,
                    Severity.WARNING,
                    f"No rule pack covers {drug!r}: the order was not checked for dose, route or schedule "
                    f"(packs cover: {', '.join(sorted(self._covered))}).",
                    "Drug not covered by any rule pack",
                    "doseguard",
                )
            )
        findings.sort(key=lambda f: (-f.severity.rank, self._order.get(f.rule_id, -1)))
        return tuple(findings)


def _unevaluable(rule: Rule, divisors: tuple[str, ...]) -> FieldProblem:
    """What could not be evaluated: the rule, its condition and the divisor that is zero."""
    zero = " and ".join(divisors)
    return FieldProblem(
        divisors[0],
        f"rule {rule.id} could not be evaluated: division by zero ({zero} is 0) in "
        f"'{render(rule.condition)}'",
    )


def _finder(rule: Rule) -> Callable[[dict[str, Any]], Finding]:
    """The finding of ``rule`` for an order's facts, its message template compiled once."""
    rule_id, severity, title, pack = rule.id, rule.severity, rule.title, rule.pack
    render = rule.message.compile()
    return lambda facts: Finding(rule_id, severity, render(facts), title, pack)


def second_sight(seen: set[int], fingerprint: int) -> bool:
    """Whether ``fingerprint`` was met before (and note it if not): caches keep an entry the second
    time it is met. A collision only caches early."""
    if fingerprint in seen:
        return True
    if len(seen) >= SEEN_SIZE:
        seen.clear()
    seen.add(fingerprint)
    return False


def _describe(error: BaseException) -> str:
    return str(error) if isinstance(error, DoseguardError) else f"internal error: {error!r}"


def duplicate_result(
    number: int, source: str, order_id: str, patient_id: str | None, earlier: int, version: str
) -> OrderResult:
    """The result of an order whose ``order_id`` an earlier record of the batch already used."""
    problem = {"field": "order_id", "message": f"duplicates the order_id of record {earlier}"}
    return OrderResult(
        number, source, order_id, patient_id, Status.INVALID, errors=(problem,), rules_version=version
    )


def _identity(data: Any) -> tuple[str | None, str | None]:
    """The ids of a record as the order model reads them (text or whole numbers, stripped), or None."""
    if not isinstance(data, dict):
        return None, None
    return _clean_id(data.get("order_id")), _clean_id(data.get("patient_id"))


def _clean_id(value: Any) -> str | None:
    if type(value) is str:
        return value.strip() or None
    if type(value) is int:
        return str(value)
    return None


def _record_key(data: Any, ids: tuple[str | None, str | None]) -> tuple[Any, ...] | None:
    """The record without its ids (``ids``: what :func:`_identity` says of it) as its field names and
    their values, hashable and type-exact (``True`` is not ``1``), or None when the record cannot share
    an outcome: its ids are not both valid, or it holds nested objects. (Two tuples, not a pair per
    field: fewer objects for the garbage collector to follow.)"""
    if ids[0] is None or ids[1] is None or not isinstance(data, dict):
        return None
    order_id, patient_id = data["order_id"], data["patient_id"]
    if (
        len(order_id if type(order_id) is str else ids[0]) > MAX_TEXT
        or len(patient_id if type(patient_id) is str else ids[1]) > MAX_TEXT
    ):
        return None  # an id too long is invalid: this record cannot share the outcome of one without it
    rest = dict(data)
    del rest["order_id"], rest["patient_id"]
    values = rest.values()
    kinds = set(map(type, values))
    if kinds <= _TEXT:  # the common case: every field is text (a CSV row always)
        return tuple(rest), tuple(values)
    if kinds <= _TEXT_OR_STRUCTURED:  # a FHIR record: as _freeze writes it
        return tuple(rest), tuple(values)
    if kinds <= _TEXT_OR_INT:  # JSON with a count: as _freeze writes it
        return tuple(rest), tuple([value if type(value) is str else (int, value) for value in values])
    frozen = [_freeze(value) for value in values]
    if _UNCACHEABLE in frozen:
        return None
    return tuple(rest), tuple(frozen)


def _freeze(value: Any) -> Any:
    kind = type(value)
    if kind is str or value is None:
        return value
    if kind is list:
        items = tuple(_freeze(item) for item in value)
        return _UNCACHEABLE if _UNCACHEABLE in items else (list, items)
    if kind in (int, float, bool):
        return (kind, value)
    if kind in STRUCTURED_TYPES:  # a FHIR value (orders.draft): a tuple, compared by value
        return value
    return _UNCACHEABLE
