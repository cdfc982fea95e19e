"""ResultError: the typed record of why an order was not checked, shown and written as the dicts were."""

from __future__ import annotations

import pickle

import orjson
import pytest

from doseguard.errors import FieldProblem
from doseguard.io.encoders import JsonLineEncoder, encode_csv_rows
from doseguard.results import Finding, OrderResult, ResultError, ResultStatus, Summary
from doseguard.rules.model import Severity


def test_a_result_error_reads_field_colon_message_or_the_message_alone() -> None:
    assert str(ResultError("dose", "'1000' has no unit")) == "dose: '1000' has no unit"
    assert str(ResultError(None, "evaluation failed: boom")) == "evaluation failed: boom"
    assert ResultError("dose", "x").as_dict() == {"field": "dose", "message": "x"}


def test_a_result_error_of_a_field_problem_keeps_the_field_and_prefixes_the_message() -> None:
    problem = FieldProblem("volume_ml", "divides by zero", 0)
    assert ResultError.of(problem) == ResultError("volume_ml", "divides by zero")
    assert ResultError.of(problem, "evaluation failed: ") == ResultError(
        "volume_ml", "evaluation failed: divides by zero"
    )


def test_results_with_errors_encode_as_before_and_cross_processes() -> None:
    result = OrderResult(
        3,
        "in.jsonl:3",
        "O3",
        None,
        ResultStatus.INVALID,
        errors=(ResultError("dose", "bad"), ResultError(None, "=worse")),
        rules_version="v",
    )
    line = orjson.loads(JsonLineEncoder()(result))
    assert line["errors"] == [{"field": "dose", "message": "bad"}, {"field": None, "message": "=worse"}]
    assert result.as_dict()["errors"] == line["errors"]
    assert "dose: bad; =worse" in encode_csv_rows(result).decode()
    assert pickle.loads(pickle.dumps(result)) == result


# --- the statuses of orders that are not checked on purpose ----------------------------------------


def test_not_covered_and_inactive_are_statuses_of_their_own() -> None:
    assert ResultStatus("not_covered") is ResultStatus.NOT_COVERED
    assert ResultStatus("inactive") is ResultStatus.INACTIVE


def _notice(severity: Severity) -> Finding:
    return Finding("DOSEGUARD-DRUG-NOT-COVERED", severity, "No rule pack covers 'insulin'", "t", "doseguard")


@pytest.mark.parametrize("status", [ResultStatus.NOT_COVERED, ResultStatus.INACTIVE])
def test_an_order_not_checked_on_purpose_is_not_critical_like_an_invalid_one(status: ResultStatus) -> None:
    assert OrderResult(1, "f:1", "O1", "P1", status).severity is None


def test_a_not_covered_order_has_the_severity_of_its_notice() -> None:
    result = OrderResult(1, "f:1", "O1", "P1", ResultStatus.NOT_COVERED, (_notice(Severity.INFO),))
    assert result.severity is Severity.INFO


def test_the_summary_counts_every_status_and_not_covered_orders_by_the_notice_rule() -> None:
    summary = Summary()
    summary.add(OrderResult(1, "f:1", "O1", "P1", ResultStatus.NOT_COVERED, (_notice(Severity.WARNING),)))
    summary.add(OrderResult(2, "f:2", "O2", "P1", ResultStatus.INACTIVE))
    counts = summary.as_dict()
    assert list(counts["by_status"]) == [status.value for status in ResultStatus]
    assert (counts["by_status"]["not_covered"], counts["by_status"]["inactive"]) == (1, 1)
    assert counts["findings_by_rule"] == {"DOSEGUARD-DRUG-NOT-COVERED": 1}
    # "flagged by highest severity" counts flagged orders: a notice is no finding about the order
    assert counts["flagged_by_highest_severity"] == {"critical": 0, "warning": 0, "info": 0}


def test_a_findings_json_holds_its_fixes_only_when_it_has_some() -> None:
    plain = Finding("R-1", Severity.CRITICAL, "m", "t", "p")
    assert "fixes" not in plain.as_dict()
    fixed = Finding("R-1", Severity.CRITICAL, "m", "t", "p", fixes=(("volume_ml", 0.5),))
    assert fixed.as_dict() == {**plain.as_dict(), "fixes": {"volume_ml": 0.5}}
