"""Writing results: JSON Lines, JSON, CSV (one row per finding, formulas defused) and the table."""

from __future__ import annotations

import csv
import io
import json

import pytest

from doseguard.io.writers import (
    CSV_COLUMNS,
    CsvWriter,
    JsonLinesWriter,
    JsonWriter,
    TableWriter,
    make_writer,
    spreadsheet_safe,
    write_all,
)
from doseguard.results import OrderResult, ResultError, ResultStatus, Summary
from doseguard.rules.model import Severity
from tests.helpers.results import VERSION, finding, sample_results


def run(kind: str, items: list[OrderResult] | None = None) -> tuple[str, Summary]:
    stream = io.BytesIO()
    summary = write_all(
        sample_results() if items is None else items,
        make_writer(kind, stream, color=False),
        Summary(rules_version=VERSION),
    )
    return stream.getvalue().decode("utf-8"), summary


def csv_rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text, newline="")))


# --- JSON Lines ---------------------------------------------------------------------------------


def test_jsonl_one_line_per_result_in_order(report_results: list[OrderResult]) -> None:
    text, _ = run("jsonl")
    lines = text.splitlines()
    assert len(lines) == 5
    decoded = [json.loads(line) for line in lines]
    assert [d["record"] for d in decoded] == [1, 2, 3, 4, 5]
    assert decoded == [r.as_dict() for r in report_results]
    assert text.endswith("\n")


def test_jsonl_line_carries_everything() -> None:
    text, _ = run("jsonl")
    flagged = json.loads(text.splitlines()[1])
    assert flagged["status"] == "flagged"
    assert flagged["findings"][0] == {
        "rule_id": "B12-CONC-MISMATCH",
        "severity": "critical",
        "title": "title of B12-CONC-MISMATCH",
        "message": "The order assumes 100 mcg/mL.",
        "pack": "b12",
        "evaluated": True,
    }
    assert flagged["warnings"] == ["unknown field 'dosage' ignored (did you mean 'dose'?)"]
    invalid = json.loads(text.splitlines()[2])
    assert invalid["patient_id"] is None
    assert invalid["errors"][1] == {"field": "route", "message": "unknown route 'xx'"}


def test_jsonl_keeps_non_ascii_and_newlines_on_one_line() -> None:
    result = OrderResult(
        1, "x:1", "ORD-µ", "P", ResultStatus.FLAGGED, (finding("R-1", Severity.INFO, "a\nb µg"),)
    )
    text, _ = run("jsonl", [result])
    assert text.count("\n") == 1
    assert "µ" in text
    assert json.loads(text)["findings"][0]["message"] == "a\nb µg"


def test_jsonl_with_no_results_writes_nothing() -> None:
    assert run("jsonl", [])[0] == ""


# --- JSON ---------------------------------------------------------------------------------------


def test_json_is_one_document_with_results_and_summary(report_results: list[OrderResult]) -> None:
    text, summary = run("json")
    document = json.loads(text)
    assert list(document) == ["results", "summary"]
    assert document["results"] == [r.as_dict() for r in report_results]
    assert document["summary"] == summary.as_dict()
    assert document["summary"]["orders"] == 5


def test_json_with_no_results_is_valid() -> None:
    document = json.loads(run("json", [])[0])
    assert document["results"] == []
    assert document["summary"]["orders"] == 0
    assert document["summary"]["rules_version"] == VERSION


def test_json_writer_streams_results_as_they_come(report_results: list[OrderResult]) -> None:
    stream = io.BytesIO()
    writer = JsonWriter(stream)
    writer.write(report_results[0])
    partial = stream.getvalue().decode()
    assert partial.startswith('{"results":[')
    assert '"ORD-1"' in partial
    writer.close(Summary())
    assert json.loads(stream.getvalue())["results"][0]["order_id"] == "ORD-1"


# --- summary ------------------------------------------------------------------------------------


def test_write_all_counts_the_results() -> None:
    _, summary = run("jsonl")
    counts = summary.as_dict()
    assert counts["orders"] == 5
    assert counts["by_status"] == {
        "pass": 1,
        "flagged": 2,
        "invalid": 1,
        "error": 1,
        "not_covered": 0,
        "inactive": 0,
    }
    assert counts["flagged_by_highest_severity"] == {"info": 0, "warning": 1, "critical": 1}
    assert counts["findings_by_rule"] == {"B12-CONC-MISMATCH": 1, "B12-ROUTE": 1, "NOTATION-TRAILING-ZERO": 1}


# --- CSV ----------------------------------------------------------------------------------------


def test_csv_header_columns() -> None:
    text, _ = run("csv", [])
    assert text == ",".join(CSV_COLUMNS) + "\r\n"
    assert CSV_COLUMNS == (
        "record",
        "source",
        "order_id",
        "patient_id",
        "status",
        "rule_id",
        "severity",
        "message",
        "errors",
        "warnings",
        "rules_version",
    )


def test_csv_one_row_per_finding_and_one_for_passing_and_invalid_orders() -> None:
    text, _ = run("csv")
    rows = csv_rows(text)
    assert [(r["record"], r["status"], r["rule_id"]) for r in rows] == [
        ("1", "pass", ""),
        ("2", "flagged", "B12-CONC-MISMATCH"),
        ("2", "flagged", "NOTATION-TRAILING-ZERO"),
        ("3", "invalid", ""),
        ("4", "error", ""),
        ("5", "flagged", "B12-ROUTE"),
    ]


def test_csv_finding_row_contents() -> None:
    rows = csv_rows(run("csv")[0])
    assert rows[1] == {
        "record": "2",
        "source": "in.jsonl:2",
        "order_id": "ORD-2",
        "patient_id": "PT-2",
        "status": "flagged",
        "rule_id": "B12-CONC-MISMATCH",
        "severity": "critical",
        "message": "The order assumes 100 mcg/mL.",
        "errors": "",
        "warnings": "unknown field 'dosage' ignored (did you mean 'dose'?)",
        "rules_version": VERSION,
    }


def test_csv_invalid_row_joins_its_errors() -> None:
    rows = csv_rows(run("csv")[0])
    invalid = rows[3]
    assert invalid["errors"] == "dose: 'one thousand' is not a dose; route: unknown route 'xx'"
    assert invalid["patient_id"] == ""
    assert invalid["severity"] == ""
    assert rows[4]["errors"] == "evaluation failed: boom"


def test_csv_lines_end_with_crlf() -> None:
    text, _ = run("csv")
    assert text.count("\r\n") == 1 + 6
    assert "\n" not in text.replace("\r\n", "")


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_spreadsheet_safe_defuses_formula_starts(start: str) -> None:
    assert spreadsheet_safe(f"{start}SUM(A1)") == f"'{start}SUM(A1)"


@pytest.mark.parametrize(
    ("value", "text"), [("ORD-1", "ORD-1"), (None, ""), (3, "3"), ("a=b", "a=b"), ("", "")]
)
def test_spreadsheet_safe_leaves_plain_text_alone(value: object, text: str) -> None:
    assert spreadsheet_safe(value) == text


def test_csv_defuses_formulas_in_order_ids_and_messages() -> None:
    result = OrderResult(
        1,
        "x:1",
        '=HYPERLINK("http://evil")',
        "@SUM(1)",
        ResultStatus.FLAGGED,
        (finding("R-1", Severity.WARNING, "=1+1 is not a dose"),),
    )
    (row,) = csv_rows(run("csv", [result])[0])
    assert row["order_id"] == '\'=HYPERLINK("http://evil")'
    assert row["patient_id"] == "'@SUM(1)"
    assert row["message"] == "'=1+1 is not a dose"


def test_csv_defuses_formulas_in_errors() -> None:
    result = OrderResult(
        1, "x:1", "-5", "P", ResultStatus.INVALID, errors=(ResultError(None, "=cmd|' /C calc'!A0"),)
    )
    (row,) = csv_rows(run("csv", [result])[0])
    assert row["order_id"] == "'-5"
    assert row["errors"] == "'=cmd|' /C calc'!A0"


def test_csv_writer_rows_are_spreadsheet_safe_lists(report_results: list[OrderResult]) -> None:
    writer = CsvWriter(io.BytesIO())
    rows = list(csv.reader(io.StringIO(writer.encode(report_results[1]).decode(), newline="")))
    assert len(rows) == 2
    assert all(len(row) == len(CSV_COLUMNS) for row in rows)


# --- table --------------------------------------------------------------------------------------


def table(items: list[OrderResult] | None = None) -> str:
    stream = io.StringIO()
    write_all(
        sample_results() if items is None else items, TableWriter(stream, color=False), Summary(VERSION)
    )
    return stream.getvalue()


def test_table_shows_flagged_invalid_and_failed_orders_but_not_passing_ones() -> None:
    text = table()
    for order_id in ("ORD-2", "ORD-3", "ORD-4", "ORD-5"):
        assert order_id in text
    assert "ORD-1" not in text
    assert "B12-ROUTE" in text
    assert "\x1b[" not in text  # no colour codes when colour is off


def test_table_summary_line() -> None:
    words = " ".join(table().split())
    assert (
        f"5 orders checked with rules {VERSION}: 1 pass, 2 flagged (1 critical, 1 warning, 0 info), "
        "1 invalid, 1 error"
    ) in words


def test_table_with_only_passing_orders_prints_only_the_summary(report_results: list[OrderResult]) -> None:
    text = table([report_results[0]])
    assert "doseguard report" not in text
    assert "ORD-1" not in text
    assert " ".join(text.split()) == (
        f"1 orders checked with rules {VERSION}: 1 pass, 0 flagged (0 critical, 0 warning, 0 info), "
        "0 invalid, 0 error, 0 not covered, 0 inactive"
    )


def test_table_shows_a_question_mark_for_a_record_without_an_order_id() -> None:
    result = OrderResult(
        7, "x:7", None, None, ResultStatus.INVALID, errors=(ResultError("record", "not JSON"),)
    )
    text = table([result])
    assert "?" in text
    assert "not JSON" in text


def test_table_shows_brackets_as_written() -> None:
    result = OrderResult(
        1,
        "x:1",
        "A[/]B",
        "P",
        ResultStatus.INVALID,
        errors=(ResultError("dose", "'[b]5[/b] mcg' is bad"),),
    )
    text = table([result])
    assert "A[/]B" in text
    assert "[b]5[/b]" in text


# --- make_writer --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "cls"),
    [("jsonl", JsonLinesWriter), ("json", JsonWriter), ("csv", CsvWriter)],
)
def test_make_writer(kind: str, cls: type) -> None:
    assert isinstance(make_writer(kind, io.BytesIO()), cls)


def test_make_writer_table_writes_text_to_the_byte_stream(report_results: list[OrderResult]) -> None:
    stream = io.BytesIO()
    writer = make_writer("table", stream, color=False)
    writer.write_chunk([report_results[1]])
    writer.close(Summary(rules_version=VERSION))
    assert "ORD-2" in stream.getvalue().decode()


def test_make_writer_refuses_an_unknown_kind() -> None:
    with pytest.raises(ValueError, match="xml"):
        make_writer("xml", io.StringIO())


def test_csv_shows_warnings_so_an_ignored_column_is_visible() -> None:
    result = OrderResult(
        9, "in.csv:2", "ORD-9", "PT-9", ResultStatus.PASS, warnings=("unknown field 'allergy' ignored",)
    )
    text, _ = run("csv", [result])
    (row,) = csv_rows(text)
    assert row["warnings"] == "unknown field 'allergy' ignored"


@pytest.mark.parametrize("width", [80, 140])
def test_the_table_fits_its_width_and_keeps_messages_whole(
    width: int, report_results: list[OrderResult]
) -> None:
    stream = io.StringIO()
    write_all(report_results, TableWriter(stream, color=False, width=width), Summary(rules_version=VERSION))
    text = stream.getvalue()
    assert max(len(line) for line in text.splitlines()) <= width
    assert "B12-ROUTE" in text
    assert "ORD-5" in text
    assert "a message" in " ".join(text.split())  # the message, not folded into single letters


# --- control characters from the data ------------------------------------------------------------

HOSTILE_ID = "ORD-9\x1b[2A\x1b[2K\r\u202eLACITIRC"
"""Moves the cursor up two rows and erases them (a critical finding's row), then reverses the text."""


def hostile_result() -> OrderResult:
    return OrderResult(
        9,
        "x.jsonl:9\x1b]0;title\x07",
        HOSTILE_ID,
        "PT\x9b1m",
        ResultStatus.FLAGGED,
        (finding("B12-ROUTE", Severity.WARNING, "bad \x1b[8mhidden\x1b[0m\x7f"),),
        errors=(),
        warnings=("note\x00",),
        rules_version=VERSION,
    )


@pytest.mark.parametrize("width", [80, 140])
def test_table_escapes_every_control_character_of_the_data(width: int) -> None:
    stream = io.StringIO()
    write_all([hostile_result()], TableWriter(stream, color=False, width=width), Summary(VERSION))
    text = stream.getvalue()
    for raw in ("\x1b", "\x07", "\x9b", "\x7f", "\x00", "\r", "\u202e"):
        assert raw not in text
    assert "bad \\x1b[8mhidden\\x1b[0m\\x7f" in text
    assert "ORD-9\\x1b[2A" in text  # the order cell folds at 14 or 24 columns


def test_table_escapes_control_characters_in_errors() -> None:
    result = OrderResult(
        3,
        "x:3",
        "O\x1b",
        None,
        ResultStatus.INVALID,
        errors=(ResultError("dose\x1b", "bad\x1b[1A"),),
    )
    text = table([result])
    assert "\x1b" not in text
    assert "dose\\x1b: bad\\x1b[1A" in text


def test_machine_outputs_keep_control_characters_exact() -> None:
    result = hostile_result()
    line = json.loads(run("jsonl", [result])[0])
    assert line["order_id"] == HOSTILE_ID
    assert line["findings"][0]["message"] == "bad \x1b[8mhidden\x1b[0m\x7f"
    (row,) = csv_rows(run("csv", [result])[0])
    assert row["order_id"] == HOSTILE_ID
    assert row["source"] == "x.jsonl:9\x1b]0;title\x07"
    assert row["message"] == "bad \x1b[8mhidden\x1b[0m\x7f"


# --- orders that are not checked on purpose ------------------------------------------------------

NOT_COVERED_RESULT = OrderResult(
    1, "in.jsonl:1", "ORD-NC", "PT-1", ResultStatus.NOT_COVERED,
    (finding("DOSEGUARD-DRUG-NOT-COVERED", Severity.INFO),), rules_version=VERSION,
)  # fmt: skip
INACTIVE_RESULT = OrderResult(
    2, "in.jsonl:2", "ORD-IN", "PT-1", ResultStatus.INACTIVE,
    warnings=("status: 'cancelled' (cancelled): the order is no longer to be given, so it was not checked",),
    rules_version=VERSION,
)  # fmt: skip


@pytest.mark.parametrize("kind", ["jsonl", "json", "csv"])
def test_machine_formats_write_the_new_statuses_as_they_are(kind: str) -> None:
    text, summary = run(kind, [NOT_COVERED_RESULT, INACTIVE_RESULT])
    if kind == "csv":
        statuses = [(row["status"], row["rule_id"], row["severity"]) for row in csv_rows(text)]
        assert statuses == [("not_covered", "DOSEGUARD-DRUG-NOT-COVERED", "info"), ("inactive", "", "")]
    else:
        lines = json.loads(text)["results"] if kind == "json" else [json.loads(x) for x in text.splitlines()]
        assert [line["status"] for line in lines] == ["not_covered", "inactive"]
        assert "no longer to be given" in lines[1]["warnings"][0]
    assert summary.as_dict()["by_status"]["not_covered"] == 1


def test_the_table_lists_a_not_covered_order_by_its_notice_and_no_inactive_order() -> None:
    text = table([NOT_COVERED_RESULT, INACTIVE_RESULT])
    assert "ORD-NC" in text and "not_covered" in text
    assert "ORD-IN" not in text
    silenced = OrderResult(1, "in.jsonl:1", "ORD-NC", "PT-1", ResultStatus.NOT_COVERED, rules_version=VERSION)
    assert "ORD-NC" not in table([silenced])
