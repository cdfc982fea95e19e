"""What the checker says about each input record: one result per record, in input order."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from doseguard.errors import FieldProblem
from doseguard.rules.model import Severity


class ResultStatus(StrEnum):
    PASS = "pass"  # checked, no finding
    FLAGGED = "flagged"  # checked, at least one finding
    INVALID = "invalid"  # the record could not be understood: not checked
    ERROR = "error"  # the evaluation failed: not checked (never reported as a pass)
    NOT_COVERED = "not_covered"  # no loaded pack covers the drug: not checked, on purpose
    INACTIVE = "inactive"  # the order is cancelled, entered in error, completed or stopped: not alerted on


UNCHECKED_ON_PURPOSE = (ResultStatus.NOT_COVERED, ResultStatus.INACTIVE)
"""Statuses of orders read well enough to know that they are not for the rules: never a pass (they were
not checked), never critical like ``invalid`` (nothing is wrong with them)."""


@dataclass(frozen=True, slots=True)
class Finding:
    """What a rule says of an order. ``evaluated`` is False for a rule that could not be decided
    because patient data or history it reads is absent: the finding says what is missing, at the
    severity its pack chose (``unevaluated:``), never a silent pass."""

    rule_id: str
    severity: Severity
    message: str
    title: str
    pack: str
    evaluated: bool = True
    # The rule's ``fix:`` computed for this order: (field, value) pairs, e.g. (("volume_ml", 1.0),).
    fixes: tuple[tuple[str, Any], ...] = ()

    def as_dict(self) -> dict[str, Any]:
        said: dict[str, Any] = {
            "rule_id": self.rule_id,
            "severity": self.severity.value,
            "title": self.title,
            "message": self.message,
            "pack": self.pack,
            "evaluated": self.evaluated,
        }
        if self.fixes:  # only then: a finding without one reads as it always did
            said["fixes"] = dict(self.fixes)
        return said


@dataclass(frozen=True, slots=True)
class ResultError:
    """Why a record was not checked (``invalid``) or its check failed (``error``): the field concerned,
    or None when the whole record is."""

    field: str | None
    message: str

    @classmethod
    def of(cls, problem: FieldProblem, prefix: str = "") -> ResultError:
        """The error for one problem of a record (``prefix``: "evaluation failed: " for a failed check)."""
        return cls(problem.field, prefix + problem.message)

    def as_dict(self) -> dict[str, Any]:
        return {"field": self.field, "message": self.message}

    def __str__(self) -> str:
        """As the table and the CSV show it: ``field: message``, or the message alone."""
        return f"{self.field}: {self.message}" if self.field else self.message


@dataclass(frozen=True, slots=True)
class OrderResult:
    record: int  # 1-based position among all input records
    source: str  # "file:line"
    order_id: str | None
    patient_id: str | None
    status: ResultStatus
    findings: tuple[Finding, ...] = ()
    errors: tuple[ResultError, ...] = ()
    warnings: tuple[str, ...] = ()
    rules_version: str = ""
    # Rules not evaluated for this order because the run holds no data of a kind they read (no lab
    # results at all): not findings (the run says so once), but never hidden from the result.
    not_evaluated: tuple[str, ...] = ()
    # The record as its reader gave it (a CSV row's cells under the header's names, a JSON object),
    # for the outputs that show the order itself (the HTML report, the annotated export); attached
    # by the batch workers only when such an output is asked for, never in the JSON Lines result.
    record_data: Any = field(default=None, compare=False, repr=False)

    @property
    def severity(self) -> Severity | None:
        """The severity an integration acts on: invalid and error records count as critical; a
        not-covered order has its notice's (none when the notice is silenced), an inactive one none."""
        if self.status in (ResultStatus.INVALID, ResultStatus.ERROR):
            return Severity.CRITICAL
        if not self.findings:
            return None
        return max((f.severity for f in self.findings), key=lambda s: s.rank)

    def as_dict(self) -> dict[str, Any]:
        head = {"record": self.record, "source": self.source, "order_id": self.order_id,
                "patient_id": self.patient_id}  # fmt: skip
        return head | self.outcome_dict()

    def outcome_dict(self) -> dict[str, Any]:
        """What the result says of the order, after where it is and who it is (the JSON Lines
        encoder keeps this part's bytes for results that share it)."""
        said = {
            "status": self.status.value,
            "findings": [f.as_dict() for f in self.findings],
            "errors": [e.as_dict() for e in self.errors],
            "warnings": list(self.warnings),
            "rules_version": self.rules_version,
        }
        if self.not_evaluated:
            said["not_evaluated"] = list(self.not_evaluated)
        return said


@dataclass
class Summary:
    """Counts over a run, for the report's footer and ``--summary``."""

    rules_version: str = ""
    orders: int = 0
    by_status: Counter[str] = field(default_factory=Counter)
    by_severity: Counter[str] = field(default_factory=Counter)
    by_rule: Counter[str] = field(default_factory=Counter)
    seconds: float | None = None
    worker_restarts: int = 0
    ignored_fields: Counter[str] = field(default_factory=Counter)  # not order fields → records with it
    not_evaluated: Counter[str] = field(default_factory=Counter)  # rule → orders: the run lacks its data
    history_problems: int = 0  # history records (or values their records disagree on) not used
    notes: list[str] = field(default_factory=list)  # what is true of a whole input, said once

    def add(self, result: OrderResult) -> None:
        severity = result.severity
        self.add_counts(
            result.status.value,
            severity.value if severity else None,
            tuple(f.rule_id for f in result.findings),
        )
        self.not_evaluated.update(result.not_evaluated)

    def add_counts(self, status: str, severity: str | None, rule_ids: tuple[str, ...]) -> None:
        self.orders += 1
        self.by_status[status] += 1
        if status == "flagged" and severity is not None:
            self.by_severity[severity] += 1
        for rule_id in rule_ids:
            self.by_rule[rule_id] += 1

    def merge(self, other: Summary, sign: int = 1) -> None:
        """Add (or, with ``sign=-1``, take away) another summary's counts."""
        self.orders += sign * other.orders
        pairs = ((self.by_status, other.by_status), (self.by_severity, other.by_severity),
                 (self.by_rule, other.by_rule), (self.not_evaluated, other.not_evaluated))  # fmt: skip
        for mine, theirs in pairs:
            for key, count in theirs.items():
                mine[key] += sign * count
        self.ignored_fields.update(other.ignored_fields)  # a repeated id does not unsay a record's keys

    def timings(self) -> dict[str, Any]:
        """How long the run took: kept out of the report itself, whose bytes must not vary."""
        rate = self.orders / self.seconds if self.seconds else None
        return {"seconds": self.seconds, "orders_per_second": rate, "worker_restarts": self.worker_restarts}

    def as_dict(self) -> dict[str, Any]:
        return {
            "rules_version": self.rules_version,
            "orders": self.orders,
            "by_status": {s.value: self.by_status.get(s.value, 0) for s in ResultStatus},
            "flagged_by_highest_severity": {s.value: self.by_severity.get(s.value, 0) for s in Severity},
            "findings_by_rule": dict(sorted(self.by_rule.items())),
            "ignored_fields": dict(sorted(self.ignored_fields.items())),
            "not_evaluated_by_rule": dict(sorted(self.not_evaluated.items())),
            "history_problems": self.history_problems,
            "notes": list(self.notes),
        }
