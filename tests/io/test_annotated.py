"""The annotated export: one row per order, the order's own columns, then what doseguard found."""

from __future__ import annotations

import csv
import io
import json

import pytest

from doseguard.io.annotated import (
    ANNOTATION_COLUMNS,
    AnnotatedCsvWriter,
    AnnotatedJsonLinesWriter,
    annotated_format,
    annotation_names,
)
from doseguard.io.writers import write_all
from doseguard.orders.draft import StructuredQuantity
from doseguard.results import OrderResult, ResultError, ResultStatus, Summary
from doseguard.rules.model import Severity
from tests.helpers.results import finding

ROW = {"order_id": "O1", "patient_id": "P1", "drug": "cyanocobalamin", "dose": "1000 mcg", "route": "IV"}


def flagged(**record: object) -> OrderResult:
    return OrderResult(
        1, "in.csv:2", "O1", "P1", ResultStatus.FLAGGED,
        (finding("B12-ROUTE", Severity.WARNING, "Route IV is not for this product; give IM."),
         finding("NOTATION-ERROR-PRONE", Severity.INFO, "Error-prone notation ug.")),
        warnings=("unknown field 'ward' ignored",), record_data=record or dict(ROW),
    )  # fmt: skip


def invalid(number: int = 2, data: object = None) -> OrderResult:
    return OrderResult(
        number, f"in.csv:{number + 1}", None, None, ResultStatus.INVALID,
        errors=(ResultError("dose", "'one thousand' is not a dose"),), record_data=data,
    )  # fmt: skip


def passing(number: int, **record: object) -> OrderResult:
    return OrderResult(number, f"in.csv:{number + 1}", "O", "P", ResultStatus.PASS, record_data=record)


def csv_rows(items: list[OrderResult]) -> list[list[str]]:
    stream = io.BytesIO()
    write_all(items, AnnotatedCsvWriter(stream), Summary())
    data = stream.getvalue()
    assert data.endswith(b"\r\n")
    return list(csv.reader(io.StringIO(data.decode("utf-8"), newline="")))


def jsonl_lines(items: list[OrderResult]) -> list[dict[str, object]]:
    stream = io.BytesIO()
    write_all(items, AnnotatedJsonLinesWriter(stream), Summary())
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_csv_keeps_the_orders_columns_in_order_then_adds_doseguards() -> None:
    header, row = csv_rows([flagged()])
    assert header == [*ROW, *ANNOTATION_COLUMNS]
    assert row == [
        "O1", "P1", "cyanocobalamin", "1000 mcg", "IV",
        "flagged", "warning", "B12-ROUTE; NOTATION-ERROR-PRONE",
        "Route IV is not for this product; give IM. | Error-prone notation ug. | note: unknown field 'ward' ignored",
        "in.csv:2",
    ]  # fmt: skip


def test_an_invalid_order_carries_the_severity_the_table_shows() -> None:
    header, row = csv_rows([invalid(data=dict(ROW))])[:2]
    named = dict(zip(header, row, strict=True))
    assert named["doseguard_status"] == "invalid"
    assert named["doseguard_severity"] == "critical"
    assert named["doseguard_messages"] == "dose: 'one thousand' is not a dose"
    assert named["drug"] == "cyanocobalamin"


@pytest.mark.parametrize(
    ("status", "severity"),
    [(ResultStatus.ERROR, "critical"), (ResultStatus.INVALID, "critical"), (ResultStatus.PASS, "")],
)
def test_every_order_gets_one_row_with_its_severity(status: ResultStatus, severity: str) -> None:
    item = OrderResult(1, "x:1", "O", "P", status, record_data=dict(ROW))
    assert dict(zip(*csv_rows([item]), strict=True))["doseguard_severity"] == severity


def test_one_row_per_order_in_input_order_even_without_a_record() -> None:
    rows = csv_rows([flagged(), invalid(2), passing(3, **ROW)])
    assert [row[-5] for row in rows[1:]] == ["flagged", "invalid", "pass"]
    assert rows[2][:5] == ["", "", "", "", ""]  # a line that could not be read: no cells of its own
    assert rows[2][-1] == "in.csv:3"


def test_columns_of_several_inputs_are_joined_in_the_order_first_met() -> None:
    rows = csv_rows([passing(1, order_id="A", drug="x"), passing(2, order_id="B", site="deltoid")])
    assert rows[0][:3] == ["order_id", "drug", "site"]
    assert rows[1][:3] == ["A", "x", ""]
    assert rows[2][:3] == ["B", "", "deltoid"]


@pytest.mark.parametrize("column", ANNOTATION_COLUMNS)
def test_an_input_column_with_doseguards_name_is_kept_and_ours_is_suffixed(column: str) -> None:
    rows = csv_rows([passing(1, order_id="A", **{column: "theirs"})])
    names = rows[0]
    assert names[:2] == ["order_id", column]
    assert f"{column}_2" in names
    assert rows[1][1] == "theirs"
    assert annotation_names([column, f"{column}_2"])[ANNOTATION_COLUMNS.index(column)] == f"{column}_3"


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_cells_a_spreadsheet_would_run_are_neutralised(start: str) -> None:
    formula = f'{start}HYPERLINK("http://x","y")'
    rows = csv_rows([passing(1, order_id=formula, **{f"{start}col": "v"})])
    assert rows[0][1] == f"'{start}col"
    assert rows[1][0] == f"'{formula}"


def test_a_message_that_starts_like_a_formula_is_neutralised() -> None:
    item = OrderResult(
        1, "x:1", "O", "P", ResultStatus.FLAGGED, (finding("R", Severity.INFO, "-5 mL is wrong"),),
        record_data={"order_id": "O"},
    )  # fmt: skip
    assert dict(zip(*csv_rows([item]), strict=True))["doseguard_messages"] == "'-5 mL is wrong"


def test_json_values_become_cells_as_a_csv_would_hold_them() -> None:
    rows = csv_rows(
        [
            passing(
                1,
                allergies=["cobalt", "latex"],
                administrations_given=3,
                dose=StructuredQuantity(1000.0, "1000 mcg"),
            )
        ]
    )
    assert rows[1][:3] == ["cobalt;latex", "3", "1000 mcg"]


def test_jsonl_is_the_records_object_with_doseguards_keys_added() -> None:
    record = {"order_id": "O1", "drug": "cyanocobalamin", "allergies": ["cobalt"], "extra": {"a": 1}}
    (line,) = jsonl_lines([flagged(**record)])
    assert list(line)[:4] == list(record)
    assert {k: line[k] for k in record} == record
    assert line["doseguard_status"] == "flagged"
    assert line["doseguard_severity"] == "warning"
    assert line["doseguard_rules"] == ["B12-ROUTE", "NOTATION-ERROR-PRONE"]
    assert line["doseguard_messages"][0] == "Route IV is not for this product; give IM."
    assert line["doseguard_source"] == "in.csv:2"


def test_jsonl_of_a_line_that_could_not_be_read_says_why() -> None:
    (line,) = jsonl_lines([invalid(1)])
    assert line == {
        "doseguard_status": "invalid", "doseguard_severity": "critical", "doseguard_rules": [],
        "doseguard_messages": ["dose: 'one thousand' is not a dose"], "doseguard_source": "in.csv:2",
    }  # fmt: skip


def test_jsonl_keeps_a_key_with_doseguards_name() -> None:
    (line,) = jsonl_lines([passing(1, doseguard_status="theirs")])
    assert line["doseguard_status"] == "theirs"
    assert line["doseguard_status_2"] == "pass"


def test_jsonl_writes_a_structured_value_as_its_text() -> None:
    (line,) = jsonl_lines([passing(1, dose=StructuredQuantity(1000.0, "1000 mcg"))])
    assert line["dose"] == "1000 mcg"


@pytest.mark.parametrize(
    ("path", "kind"),
    [("a.csv", "csv"), ("A.CSV", "csv"), ("a.jsonl", "jsonl"), ("a.ndjson", "jsonl"), ("a.xlsx", None),
     ("a", None), ("a.csv.gz", None)],
)  # fmt: skip
def test_the_format_is_the_files_extension(path: str, kind: str | None) -> None:
    assert annotated_format(path) == kind
