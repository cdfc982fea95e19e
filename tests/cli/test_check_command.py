"""``doseguard check`` and ``doseguard rules validate``: output, files, stdin and exit statuses.

Exit statuses are tested through the installed ``doseguard`` script (``main()`` wraps click and maps
its exceptions to exit statuses); output options are tested in-process with click's ``CliRunner``.
"""

from __future__ import annotations

import csv
import io
import json
import re
import subprocess
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from doseguard.cli.main import cli
from tests.helpers.cli import DOSEGUARD, doseguard, invoke, jsonl, results
from tests.helpers.orders import (
    CANCELLED,
    CRITICAL,
    INFO,
    INVALID,
    OTHER_DRUG,
    PASSING,
    STANDARD_SENTENCE,
    WARNING,
    order,
)

# --- exit statuses (through the installed script) -----------------------------------------------


def test_only_warnings_exit_0_with_the_default_fail_on_critical(tmp_path: Path) -> None:
    done = doseguard("check", jsonl(tmp_path, PASSING, WARNING, INFO), "--format", "jsonl")
    assert done.returncode == 0, done.stderr
    assert [r["status"] for r in results(done.stdout)] == ["pass", "flagged", "flagged"]


def test_a_critical_finding_exits_1(tmp_path: Path) -> None:
    done = doseguard("check", jsonl(tmp_path, PASSING, CRITICAL), "--format", "jsonl")
    assert done.returncode == 1
    assert results(done.stdout)[1]["findings"][0]["rule_id"] == "B12-DOSE-VOLUME-MISMATCH"


def test_an_invalid_record_exits_1(tmp_path: Path) -> None:
    done = doseguard("check", jsonl(tmp_path, PASSING, INVALID), "--format", "jsonl")
    assert done.returncode == 1
    assert results(done.stdout)[1]["status"] == "invalid"


def test_an_unreadable_line_exits_1(tmp_path: Path) -> None:
    done = doseguard("check", jsonl(tmp_path, PASSING, "not json"), "--format", "jsonl")
    assert done.returncode == 1


def test_fail_on_never_exits_0_even_with_critical_and_invalid(tmp_path: Path) -> None:
    done = doseguard("check", jsonl(tmp_path, CRITICAL, INVALID), "--fail-on", "never", "--format", "jsonl")
    assert done.returncode == 0
    assert len(results(done.stdout)) == 2


def test_fail_on_info_exits_1_for_an_info_finding(tmp_path: Path) -> None:
    path = jsonl(tmp_path, PASSING, INFO)
    assert doseguard("check", path, "--fail-on", "info", "--format", "jsonl").returncode == 1
    assert doseguard("check", path, "--fail-on", "warning", "--format", "jsonl").returncode == 0


def test_fail_on_warning_exits_1_for_a_warning(tmp_path: Path) -> None:
    path = jsonl(tmp_path, PASSING, WARNING)
    assert doseguard("check", path, "--fail-on", "warning", "--format", "jsonl").returncode == 1


def test_all_passing_exits_0_even_with_fail_on_info(tmp_path: Path) -> None:
    assert doseguard("check", jsonl(tmp_path, PASSING), "--fail-on", "info").returncode == 0


def test_a_missing_input_file_exits_2(tmp_path: Path) -> None:
    missing = tmp_path / "missing.jsonl"
    done = doseguard("check", missing)
    assert done.returncode == 2
    assert f"{missing}: no such file" in done.stderr
    assert done.stdout == ""


def test_an_unknown_extension_exits_2(tmp_path: Path) -> None:
    path = tmp_path / "orders.txt"
    path.write_text("{}\n", encoding="utf-8")
    done = doseguard("check", path)
    assert done.returncode == 2
    assert "unknown input format '.txt'" in done.stderr


def test_an_unreadable_json_file_exits_2(tmp_path: Path) -> None:
    path = tmp_path / "orders.json"
    path.write_text("42", encoding="utf-8")
    done = doseguard("check", path, "--format", "jsonl")
    assert done.returncode == 2
    assert f"doseguard: {path}: expected a JSON array of orders, got a number" in done.stderr


def test_a_truncated_json_array_is_reported_in_place_and_fails(tmp_path: Path) -> None:
    path = tmp_path / "orders.json"
    path.write_text("[1,", encoding="utf-8")
    done = doseguard("check", path, "--format", "jsonl")
    assert done.returncode == 1
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    assert [line["status"] for line in lines] == ["invalid", "invalid"]
    assert lines[1]["errors"][0]["message"] == "the file ends before the array is closed (truncated?)"


def test_a_duplicate_csv_header_exits_2(tmp_path: Path) -> None:
    path = tmp_path / "orders.csv"
    path.write_text("order_id,order_id\nA,B\n", encoding="utf-8")
    done = doseguard("check", path)
    assert done.returncode == 2
    assert "repeats the column(s) order_id" in done.stderr


def csv_orders(tmp_path: Path, *rows: dict[str, Any] | str, name: str = "orders.csv") -> Path:
    """A CSV of orders with the columns of the standard order; a row given as text is written as it is."""
    columns = ["order_id", "patient_id", *STANDARD_SENTENCE, "allergies"]
    lines = [",".join(columns)]
    for row in rows:
        lines.append(row if isinstance(row, str) else ",".join(str(row.get(c, "")) for c in columns))
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_a_csv_unclosed_quote_leaves_no_order_after_it_unchecked(tmp_path: Path) -> None:
    # One unclosed quote swallowed every following row: 7 orders in, 3 results out, all pass, exit 0.
    broken = ",".join(str(v) for v in order("Q4").values()) + ',"latex'
    rows: list[dict[str, Any] | str] = [order("Q1"), order("Q2"), order("Q3"), broken]
    rows += [order("Q5", dose="100 mg"), order("Q6", allergies="cobalt"), order("Q7")]
    done = doseguard("check", csv_orders(tmp_path, *rows), "--format", "jsonl")
    lines = results(done.stdout)
    assert [line["source"].rsplit(":", 1)[1] for line in lines] == ["2", "3", "4", "5", "6", "7", "8"]
    assert [line["status"] for line in lines] == [
        "pass",
        "pass",
        "pass",
        "invalid",
        "flagged",
        "flagged",
        "pass",
    ]
    assert done.returncode == 1


def test_a_csv_without_a_header_line_exits_2(tmp_path: Path) -> None:
    # The one order was taken for the header: nothing checked, exit 0.
    path = tmp_path / "orders.csv"
    path.write_text(",".join(str(v) for v in order("A", dose="100 mg").values()) + "\n", encoding="utf-8")
    done = doseguard("check", path)
    assert done.returncode == 2
    assert "the first line names no order field" in done.stderr
    assert done.stdout == ""


def test_an_unknown_option_value_exits_2(tmp_path: Path) -> None:
    assert doseguard("check", jsonl(tmp_path, PASSING), "--fail-on", "sometimes").returncode == 2


BROKEN_RULE = """\
rules:
  - id: X-BROKEN
    title: A broken rule
    severity: warning
    description: Its condition does not parse.
    references: [none]
    when: dose_mcg >
    message: never shown
"""


def test_an_invalid_rule_folder_exits_2_and_locates_the_problem(tmp_path: Path) -> None:
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "broken.yaml").write_text(BROKEN_RULE, encoding="utf-8")
    done = doseguard("check", "--rules", rules, jsonl(tmp_path, PASSING), "--format", "jsonl")
    assert done.returncode == 2
    assert re.search(rf"{re.escape(str(rules / 'broken.yaml'))}:7:\d+: ", done.stderr), done.stderr
    assert "nothing was checked" in done.stderr
    assert done.stdout == ""


def test_an_unknown_field_in_a_rule_is_located_with_a_suggestion(tmp_path: Path) -> None:
    (tmp_path / "typo.yaml").write_text(BROKEN_RULE.replace("dose_mcg >", "dosage_mcg > 5"), encoding="utf-8")
    done = doseguard("rules", "validate", tmp_path)
    assert done.returncode == 1
    assert f"{tmp_path / 'typo.yaml'}:7:11: unknown field or parameter 'dosage_mcg'" in done.stderr
    assert "did you mean 'dose_mcg'?" in done.stderr


def test_a_missing_rule_folder_exits_2(tmp_path: Path) -> None:
    done = doseguard("check", "--rules", tmp_path / "nope", jsonl(tmp_path, PASSING))
    assert done.returncode == 2
    assert f"{tmp_path / 'nope'}:1:1: no such rule folder" in done.stderr


def test_rules_validate_on_the_bundled_rules_exits_0() -> None:
    done = doseguard("rules", "validate")
    assert done.returncode == 0, done.stderr
    assert re.fullmatch(r"\d+ rules in \d+ packs are valid \(version [0-9a-f]+\)\n", done.stdout)


def test_version_option() -> None:
    done = doseguard("--version")
    assert done.returncode == 0
    assert done.stdout.startswith("doseguard, version ")


def test_check_help_names_every_exit_status() -> None:
    """--help is where a script's author looks: exit 2 also follows a failed write, after checking."""
    text = " ".join(CliRunner().invoke(cli, ["check", "--help"]).output.split())
    assert "an output that cannot be written" in text
    assert "128 + n when stopped by signal n" in text
    assert "nothing was checked" not in text


def test_an_unwritable_summary_path_exits_2(tmp_path: Path) -> None:
    summary = tmp_path / "no" / "such" / "dir" / "summary.json"
    done = doseguard("check", jsonl(tmp_path, PASSING), "--summary", summary)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr


def test_an_unwritable_output_path_exits_2(tmp_path: Path) -> None:
    done = doseguard("check", jsonl(tmp_path, PASSING), "--output", tmp_path / "no" / "out.jsonl")
    assert done.returncode == 2
    assert "cannot write" in done.stderr


# --- machine output -----------------------------------------------------------------------------


def test_jsonl_one_line_per_record_in_input_order_even_with_invalid_lines(tmp_path: Path) -> None:
    path = jsonl(tmp_path, PASSING, "not json", WARNING, "[1, 2]", "", INVALID, CRITICAL)
    result = invoke("check", path, "--format", "jsonl")
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert len(lines) == 6  # the blank line is not a record
    decoded = [json.loads(line) for line in lines]
    assert [d["record"] for d in decoded] == [1, 2, 3, 4, 5, 6]
    assert [d["source"] for d in decoded] == [f"{path}:{n}" for n in (1, 2, 3, 4, 6, 7)]
    assert [d["order_id"] for d in decoded] == ["PASS", None, "WARN", None, "BAD", "CRIT"]
    assert [d["status"] for d in decoded] == ["pass", "invalid", "flagged", "invalid", "invalid", "flagged"]
    assert decoded[1]["errors"][0]["field"] == "record"
    assert decoded[1]["errors"][0]["message"].startswith("not JSON")
    assert decoded[3]["errors"][0]["message"] == "expected a JSON object, got an array"
    assert decoded[4]["errors"] == [
        {
            "field": "dose",
            "message": "'one thousand' is not a dose (expected a number and a unit, e.g. '1000 mcg')",
        }
    ]


def test_jsonl_is_the_default_when_not_on_a_terminal(tmp_path: Path) -> None:
    result = invoke("check", jsonl(tmp_path, PASSING, WARNING))
    assert [json.loads(line)["order_id"] for line in result.stdout.splitlines()] == ["PASS", "WARN"]


def test_several_inputs_are_numbered_as_one_run(tmp_path: Path) -> None:
    first = jsonl(tmp_path, PASSING, WARNING, name="a.jsonl")
    second = tmp_path / "b.csv"
    second.write_text("order_id,patient_id,drug,dose\nC1,P,b12,1000 mcg\n", encoding="utf-8")
    result = invoke("check", first, second, "--format", "jsonl")
    decoded = results(result.stdout)
    assert [(d["record"], d["source"]) for d in decoded] == [
        (1, f"{first}:1"),
        (2, f"{first}:2"),
        (3, f"{second}:2"),
    ]


def test_a_repeated_order_id_across_inputs_is_invalid(tmp_path: Path) -> None:
    first = jsonl(tmp_path, PASSING, name="a.jsonl")
    second = jsonl(tmp_path, PASSING, name="b.jsonl")
    result = invoke("check", first, second, "--format", "jsonl")
    assert result.exit_code == 1
    later = results(result.stdout)[1]
    assert later["status"] == "invalid"
    assert later["errors"] == [{"field": "order_id", "message": "duplicates the order_id of record 1"}]


def test_json_format_is_one_document(tmp_path: Path) -> None:
    result = invoke("check", jsonl(tmp_path, PASSING, CRITICAL), "--format", "json")
    document = json.loads(result.stdout)
    assert [r["order_id"] for r in document["results"]] == ["PASS", "CRIT"]
    assert document["summary"]["by_status"] == {
        "pass": 1,
        "flagged": 1,
        "invalid": 0,
        "error": 0,
        "not_covered": 0,
        "inactive": 0,
    }


def test_csv_format_one_row_per_finding(tmp_path: Path) -> None:
    result = invoke(
        "check", jsonl(tmp_path, PASSING, order("TWO", volume="1.0 mL", route="IV")), "--format", "csv"
    )
    rows = list(csv.DictReader(io.StringIO(result.stdout, newline="")))
    assert [(r["order_id"], r["rule_id"]) for r in rows] == [
        ("PASS", ""),
        ("TWO", "B12-ROUTE"),
        ("TWO", "NOTATION-TRAILING-ZERO"),
    ]


def test_table_format_shows_flagged_orders_and_totals(tmp_path: Path) -> None:
    result = invoke("check", jsonl(tmp_path, PASSING, CRITICAL), "--format", "table", env={"COLUMNS": "200"})
    assert result.exit_code == 1
    assert "CRIT" in result.stdout
    assert "PASS" not in result.stdout
    assert "B12-DOSE-VOLUME-MISMATCH" in result.stdout
    words = " ".join(result.stdout.split())
    assert "2 orders checked with rules" in words
    assert "1 pass, 1 flagged (1 critical, 0 warning, 0 info), 0 invalid, 0 error" in words


def test_output_writes_a_file_and_nothing_to_stdout(tmp_path: Path) -> None:
    out = tmp_path / "results.jsonl"
    result = invoke("check", jsonl(tmp_path, PASSING, WARNING), "--output", out, "--format", "jsonl")
    assert result.exit_code == 0
    assert result.stdout == ""
    assert [r["order_id"] for r in results(out.read_text(encoding="utf-8"))] == ["PASS", "WARN"]


def test_output_dash_is_stdout(tmp_path: Path) -> None:
    result = invoke("check", jsonl(tmp_path, PASSING), "-o", "-", "--format", "jsonl")
    assert results(result.stdout)[0]["order_id"] == "PASS"


def test_output_csv_file_has_crlf_rows(tmp_path: Path) -> None:
    out = tmp_path / "results.csv"
    invoke("check", jsonl(tmp_path, PASSING), "--output", out, "--format", "csv")
    assert out.read_bytes().count(b"\r\n") == 2
    assert b"\r\r\n" not in out.read_bytes()


def test_summary_writes_json_counts(tmp_path: Path) -> None:
    summary = tmp_path / "summary.json"
    path = jsonl(tmp_path, PASSING, WARNING, INFO, CRITICAL, INVALID, "not json")
    result = invoke("check", path, "--summary", summary, "--format", "jsonl")
    assert result.exit_code == 1
    counts = json.loads(summary.read_text(encoding="utf-8"))
    assert counts["orders"] == 6
    assert counts["by_status"] == {
        "pass": 1,
        "flagged": 3,
        "invalid": 2,
        "error": 0,
        "not_covered": 0,
        "inactive": 0,
    }
    assert counts["flagged_by_highest_severity"] == {"info": 1, "warning": 1, "critical": 1}
    assert counts["findings_by_rule"] == {
        "B12-DOSE-VOLUME-MISMATCH": 1,
        "B12-ROUTE": 1,
        "NOTATION-TRAILING-ZERO": 1,
    }
    assert re.fullmatch(r"[0-9a-f]+", counts["rules_version"])


def test_summary_is_written_even_when_nothing_is_flagged(tmp_path: Path) -> None:
    summary = tmp_path / "summary.json"
    result = invoke("check", jsonl(tmp_path, PASSING), "--summary", summary)
    assert result.exit_code == 0
    assert json.loads(summary.read_text(encoding="utf-8"))["by_status"]["pass"] == 1


# --- stdin --------------------------------------------------------------------------------------


def test_stdin_json_lines(tmp_path: Path) -> None:
    data = (json.dumps(PASSING) + "\n" + json.dumps(CRITICAL) + "\n").encode()
    result = invoke("check", "-", "--format", "jsonl", stdin=data)
    assert result.exit_code == 1
    decoded = results(result.stdout)
    assert [(d["source"], d["order_id"]) for d in decoded] == [("<stdin>:1", "PASS"), ("<stdin>:2", "CRIT")]


def test_stdin_json_array() -> None:
    result = invoke("check", "-", "--format", "jsonl", stdin=json.dumps([PASSING, WARNING]).encode())
    assert result.exit_code == 0
    assert [d["source"] for d in results(result.stdout)] == ["<stdin>:[1]", "<stdin>:[2]"]


def test_stdin_csv() -> None:
    data = b"order_id,patient_id,drug,dose,volume\nC1,P1,cyanocobalamin,1000 mcg,1 mL\n"
    result = invoke("check", "-", "--format", "jsonl", stdin=data)
    (decoded,) = results(result.stdout)
    assert decoded["source"] == "<stdin>:2"
    assert decoded["order_id"] == "C1"


def test_stdin_through_the_script() -> None:
    done = doseguard("check", "-", "--format", "jsonl", stdin=(json.dumps(CRITICAL) + "\n").encode())
    assert done.returncode == 1
    assert results(done.stdout)[0]["order_id"] == "CRIT"


def test_stdin_json_lines_with_a_bom() -> None:
    data = b"\xef\xbb\xbf" + (json.dumps(CRITICAL) + "\n").encode()
    result = invoke("check", "-", "--format", "jsonl", stdin=data)
    assert [d["order_id"] for d in results(result.stdout)] == ["CRIT"]
    assert result.exit_code == 1


def test_process_substitution_is_an_input(tmp_path: Path) -> None:
    # A named FIFO or <(...) was refused as "no such file".
    first, second = jsonl(tmp_path, CRITICAL), jsonl(tmp_path, PASSING, name="more.jsonl")
    done = subprocess.run(
        ["bash", "-c", f'"{DOSEGUARD}" check <(cat "{first}") <(gzip -c "{second}") --format jsonl'],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert [(line["order_id"], line["status"]) for line in results(done.stdout)] == [
        ("CRIT", "flagged"),
        ("PASS", "pass"),
    ]
    assert done.returncode == 1


# --- the example inputs -------------------------------------------------------------------------

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def test_example_jsonl_gives_one_result_per_line() -> None:
    path = EXAMPLES / "orders.jsonl"
    lines = [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    result = invoke("check", path, "--format", "jsonl", "--fail-on", "never")
    assert result.exit_code == 0
    decoded = results(result.stdout)
    assert len(decoded) == len(lines)
    assert decoded[-1]["status"] == "invalid"  # the last line is not JSON
    by_id = {d["order_id"]: d for d in decoded}
    assert by_id["ORD-1001"]["status"] == "pass"
    # Hydroxocobalamin every 3 months: right without neurological involvement, too rare with it.
    assert by_id["ORD-1015"]["status"] == "pass"
    assert [f["rule_id"] for f in by_id["ORD-1016"]["findings"]] == ["HYDROXO-NEURO-MAINTENANCE-INTERVAL"]


def test_example_csv_flags_the_contraindication() -> None:
    result = invoke("check", EXAMPLES / "orders.csv", "--format", "jsonl")
    assert result.exit_code == 1
    by_id = {d["order_id"]: d for d in results(result.stdout)}
    assert [f["rule_id"] for f in by_id["CSV-5"]["findings"]] == ["B12-CONTRAINDICATION"]
    assert by_id["CSV-1"]["status"] == "pass"


# --- end-to-end gaps ----------------------------------------------------------------------------


def test_ug_with_a_period_is_still_error_prone_notation(tmp_path: Path) -> None:
    result = invoke("check", jsonl(tmp_path, order("UG", dose="1000 ug.")), "--format", "jsonl")
    (decoded,) = results(result.stdout)
    assert "NOTATION-ERROR-PRONE" in [f["rule_id"] for f in decoded["findings"]]


def test_zero_times_a_week_is_an_invalid_record(tmp_path: Path) -> None:
    result = invoke("check", jsonl(tmp_path, order("Z", frequency="0 times a week")), "--format", "jsonl")
    (decoded,) = results(result.stdout)
    assert decoded["status"] == "invalid"
    assert decoded["errors"][0]["field"] == "frequency"


def test_bundle_entries_that_are_not_context_are_reported_and_fail_even_at_fail_on_info(
    tmp_path: Path,
) -> None:
    """Issue 8: these entries were skipped without a word: zero results, exit 0 even with --fail-on info."""
    entries = [
        {"resource": {"resourceType": "Patient", "id": "PT-1"}},
        {"resource": {"id": "MR-1"}},
        {"resource": {"resourceType": "MedicationOrder", "id": "MR-2"}},
        {"resource": {"resourceType": "medicationRequest", "id": "MR-3"}},
        {"resource": {"resourceType": "Bundle", "entry": []}},
    ]
    for bundle in (
        {"resourceType": "Bundle", "entry": entries},
        {"resourceType": "Bundle", "entry": entries[1]},
    ):
        path = tmp_path / "bundle.json"
        path.write_text(json.dumps(bundle), encoding="utf-8")
        done = doseguard("check", path, "--format", "jsonl", "--fail-on", "info")
        assert done.returncode == 1, done.stderr
        lines = results(done.stdout)
        assert lines and all(line["status"] == "invalid" for line in lines)
        assert len(lines) == (4 if isinstance(bundle["entry"], list) else 1)


def test_a_json_array_with_a_bad_number_reports_every_later_record(tmp_path: Path) -> None:
    path = tmp_path / "orders.json"
    text = json.dumps([PASSING, order("X"), order("Y")])
    path.write_text(text.replace('"order_id": "X"', '"order_id": "X", "n": NaN'), encoding="utf-8")
    lines = results(doseguard("check", path, "--format", "jsonl").stdout)
    assert [line["status"] for line in lines] == ["pass", "invalid", "pass"]
    assert lines[1]["order_id"] == "X" and lines[1]["errors"][0]["field"] == "n"


def test_jsonl_with_cr_only_line_ends_gives_one_result_per_line(tmp_path: Path) -> None:
    # CR-only line ends made the whole file one line: one invalid result for five orders (one critical).
    lines = [json.dumps(r) for r in (PASSING, order("P2"), CRITICAL, order("P3"), order("P4"))]
    path = tmp_path / "orders.jsonl"
    path.write_bytes("\r".join(lines).encode() + b"\r")
    for jobs in ("1", "2"):
        done = doseguard("check", path, "--format", "jsonl", "--jobs", jobs)
        got = [(r["order_id"], r["status"], r["source"].rsplit(":", 1)[1]) for r in results(done.stdout)]
        assert got == [
            ("PASS", "pass", "1"),
            ("P2", "pass", "2"),
            ("CRIT", "flagged", "3"),
            ("P3", "pass", "4"),
            ("P4", "pass", "5"),
        ], done.stderr
        assert done.returncode == 1


# --- orders that are not checked on purpose ------------------------------------------------------


def test_not_covered_and_inactive_orders_do_not_fail_a_run_by_default(tmp_path: Path) -> None:
    path = jsonl(tmp_path, PASSING, OTHER_DRUG, CANCELLED)
    done = doseguard("check", path, "--fail-on", "info", "--format", "jsonl")
    assert done.returncode == 0, done.stderr
    assert [r["status"] for r in results(done.stdout)] == ["pass", "not_covered", "inactive"]
    assert results(done.stdout)[1]["findings"][0]["severity"] == "info"


def test_fail_on_not_covered_makes_a_not_covered_order_exit_1_even_with_its_notice_silenced(
    tmp_path: Path,
) -> None:
    path = jsonl(tmp_path, PASSING, OTHER_DRUG)
    assert doseguard("check", path, "--fail-on-not-covered", "--format", "jsonl").returncode == 1
    silenced = doseguard(
        "check", path, "--fail-on-not-covered", "--ignore", "DOSEGUARD-DRUG-NOT-COVERED", "--format", "jsonl"
    )
    assert silenced.returncode == 1
    assert [(r["status"], r["findings"]) for r in results(silenced.stdout)][1] == ("not_covered", [])
    assert doseguard("check", path, "--fail-on-not-covered", "--fail-on", "never").returncode == 1
    assert doseguard("check", jsonl(tmp_path, PASSING, CANCELLED), "--fail-on-not-covered").returncode == 0


def test_check_help_says_what_not_covered_orders_do_to_the_exit_status() -> None:
    text = " ".join(CliRunner().invoke(cli, ["check", "--help"]).output.split())
    assert "not_covered and inactive orders never reach --fail-on" in text
    assert "--fail-on-not-covered" in text


def test_the_table_counts_not_covered_and_inactive_orders(tmp_path: Path) -> None:
    result = invoke("check", jsonl(tmp_path, PASSING, OTHER_DRUG, CANCELLED), "--format", "table",
                    env={"COLUMNS": "200"})  # fmt: skip
    assert result.exit_code == 0, result.output
    words = " ".join(result.stdout.split())
    assert "0 invalid, 0 error, 1 not covered, 1 inactive" in words
    assert "OTHER" in words and "CANC" not in words  # an inactive order is not alerted on


def test_the_summary_file_counts_every_status(tmp_path: Path) -> None:
    summary = tmp_path / "summary.json"
    invoke("check", jsonl(tmp_path, OTHER_DRUG, CANCELLED), "--summary", summary, "--format", "jsonl")
    counts = json.loads(summary.read_text())["by_status"]
    assert counts == {"pass": 0, "flagged": 0, "invalid": 0, "error": 0, "not_covered": 1, "inactive": 1}
