"""ResultError: the typed record of why an order was not checked, shown and written as the dicts were."""

from __future__ import annotations

import pickle

import orjson

from doseguard.errors import FieldProblem
from doseguard.io.encoders import JsonLineEncoder, encode_csv_rows
from doseguard.results import OrderResult, ResultError, ResultStatus


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
