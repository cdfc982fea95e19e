"""Results built by hand, one of each kind, for the writers' and the HTML report's tests."""

from __future__ import annotations

from doseguard.results import Finding, OrderResult, ResultError, ResultStatus
from doseguard.rules.model import Severity

VERSION = "abc123"


def finding(rule_id: str, severity: Severity, message: str = "a message") -> Finding:
    return Finding(rule_id, severity, message, f"title of {rule_id}", "b12")


def sample_results() -> list[OrderResult]:
    """Records 1-5: a pass, two findings and a warning, an invalid order without a patient, an
    evaluation error, one warning finding."""
    return [
        OrderResult(1, "in.jsonl:1", "ORD-1", "PT-1", ResultStatus.PASS, rules_version=VERSION),
        OrderResult(
            2,
            "in.jsonl:2",
            "ORD-2",
            "PT-2",
            ResultStatus.FLAGGED,
            findings=(
                finding("B12-CONC-MISMATCH", Severity.CRITICAL, "The order assumes 100 mcg/mL."),
                finding("NOTATION-TRAILING-ZERO", Severity.INFO, "Trailing zero in 1.0 mL."),
            ),
            warnings=("unknown field 'dosage' ignored (did you mean 'dose'?)",),
            rules_version=VERSION,
        ),
        OrderResult(
            3,
            "in.jsonl:3",
            "ORD-3",
            None,
            ResultStatus.INVALID,
            errors=(
                ResultError("dose", "'one thousand' is not a dose"),
                ResultError("route", "unknown route 'xx'"),
            ),
            rules_version=VERSION,
        ),
        OrderResult(
            4,
            "in.jsonl:4",
            "ORD-4",
            "PT-4",
            ResultStatus.ERROR,
            errors=(ResultError(None, "evaluation failed: boom"),),
            rules_version=VERSION,
        ),
        OrderResult(
            5,
            "in.jsonl:5",
            "ORD-5",
            "PT-5",
            ResultStatus.FLAGGED,
            (finding("B12-ROUTE", Severity.WARNING),),
            rules_version=VERSION,
        ),
    ]
