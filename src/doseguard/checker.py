"""The checker: records in, one result per record out, in order, failing closed.

It joins the pieces: the normaliser turns a record into facts, the engine says which rules fire,
the rules' templates say why. Whatever goes wrong for one record (bad data, an engine failure, a
broken message) becomes that record's ``invalid`` or ``error`` result and the batch goes on.
Identical facts give identical findings (rules read nothing but the facts), so findings are
remembered by the engine's input: in a batch the same order sentences come back again and again.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from doseguard.engine.adapter import DurableEngine, encode_fact
from doseguard.errors import DoseguardError, EngineError, FieldProblem, InvalidOrderError
from doseguard.orders.normalise import OrderNormaliser
from doseguard.results import Finding, OrderResult, Status
from doseguard.rules.model import Rule, RuleSet, Severity

NOT_COVERED = "DOSEGUARD-DRUG-NOT-COVERED"
CACHE_SIZE = 50_000


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
        self._by_id: dict[str, Rule] = {rule.id: rule for rule in rules.rules}
        self._order = {rule.id: index for index, rule in enumerate(rules.rules)}
        self._covered = rules.covered_drugs
        self._cache: dict[str, tuple[Finding, ...]] = {}

    def check_all(self, records: Iterable[InputRecord]) -> Iterator[OrderResult]:
        """Results in input order, one per record; a repeated ``order_id`` makes the later one invalid."""
        seen: dict[str, str] = {}
        for number, item in enumerate(records, start=1):
            result = self.check(item, number)
            order_id = result.order_id
            if order_id is not None and result.status is not Status.INVALID:
                first = seen.get(order_id)
                if first is not None:
                    problem = {"field": "order_id", "message": f"duplicates the order at {first}"}
                    result = OrderResult(
                        number, item.source, result.order_id, result.patient_id, Status.INVALID,
                        errors=(problem,), rules_version=self.rules.version,
                    )  # fmt: skip
                else:
                    seen[order_id] = item.source
            yield result

    def check(self, item: InputRecord, number: int = 1) -> OrderResult:
        version = self.rules.version
        order_id, patient_id = _identity(item.data)
        if item.problems:
            found = tuple(p.as_dict() for p in item.problems)
            return OrderResult(
                number, item.source, order_id, patient_id, Status.INVALID, errors=found, rules_version=version
            )
        if item.error is not None:
            error = {"field": "record", "message": item.error}
            return OrderResult(number, item.source, order_id, patient_id, Status.INVALID, errors=(error,),
                               rules_version=version)  # fmt: skip
        try:
            order = self.normaliser.normalise(item.data)
        except InvalidOrderError as error:
            problems = tuple(p.as_dict() for p in error.problems)
            return OrderResult(number, item.source, order_id, patient_id, Status.INVALID, errors=problems,
                               rules_version=version)  # fmt: skip
        except Exception as error:  # fail closed: a bug in reading this record must not stop the batch
            return self._error(number, item, order_id, patient_id, f"internal error: {error!r}")
        try:
            findings = self._findings(order.facts)
        except DoseguardError as error:
            return self._error(number, item, order.order_id, order.patient_id, str(error))
        except Exception as error:  # fail closed: whatever broke, this order was not checked
            return self._error(number, item, order.order_id, order.patient_id, f"internal error: {error!r}")
        status = Status.FLAGGED if findings else Status.PASS
        return OrderResult(number, item.source, order.order_id, order.patient_id, status, findings,
                           warnings=order.warnings, rules_version=version)  # fmt: skip

    def _error(
        self, number: int, item: InputRecord, order_id: str | None, patient_id: str | None, message: str
    ) -> OrderResult:
        error = {"field": None, "message": f"evaluation failed: {message}"}
        return OrderResult(number, item.source, order_id, patient_id, Status.ERROR, errors=(error,),
                           rules_version=self.rules.version)  # fmt: skip

    def _findings(self, facts: dict[str, Any]) -> tuple[Finding, ...]:
        key = encode_fact(facts)
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        fired = self.engine.fired_encoded(key)
        unknown = fired - self._by_id.keys()
        if unknown:
            raise EngineError(f"unknown rules fired: {sorted(unknown)}")
        findings = [self._finding(self._by_id[rule_id], facts) for rule_id in fired]
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
        result = tuple(findings)
        if len(self._cache) >= CACHE_SIZE:
            self._cache.clear()
        self._cache[key] = result
        return result

    @staticmethod
    def _finding(rule: Rule, facts: dict[str, Any]) -> Finding:
        return Finding(rule.id, rule.severity, rule.message.render(facts), rule.title, rule.pack)


def _identity(data: Any) -> tuple[str | None, str | None]:
    """Best-effort ids of a record, for reporting even when the record is invalid."""
    if not isinstance(data, dict):
        return None, None
    ids = []
    for name in ("order_id", "patient_id"):
        value = data.get(name)
        ids.append(
            str(value)
            if isinstance(value, str | int) and not isinstance(value, bool) and value != ""
            else None
        )
    return ids[0], ids[1]
