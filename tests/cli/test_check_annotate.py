"""``doseguard check --annotate PATH``: the orders as read, each with what doseguard found, written like
every other output (whole or not at all), and the HTML report's header through the command."""

from __future__ import annotations

import csv
import io
import json
import os
import re
from pathlib import Path

import pytest

from tests.helpers.cli import invoke, jsonl
from tests.helpers.orders import CRITICAL, INVALID, PASSING, WARNING

CSV = (
    "Order ID,patient_id,drug,dose,volume,route,frequency,duration,Ward\r\n"
    "C1,P1,cyanocobalamin,1000 mcg,1 mL,IM,daily,7 days,=cmd|' /C calc'!A0\r\n"
    "C2,P2,cyanocobalamin,one thousand,1 mL,IM,daily,7 days,7B\r\n"
    "C3,P3,cyanocobalamin,1000 mcg\r\n"
)


def test_a_csv_annotated_keeps_every_row_and_column_and_adds_doseguards(tmp_path: Path) -> None:
    orders = tmp_path / "orders.csv"
    orders.write_text(CSV, encoding="utf-8")
    out = tmp_path / "annotated.csv"
    done = invoke("check", orders, "--annotate", out, "-o", tmp_path / "results.jsonl")
    assert done.exit_code == 1, done.stderr
    rows = list(csv.reader(io.StringIO(out.read_text(encoding="utf-8"), newline="")))
    assert rows[0] == [
        "Order ID",
        "patient_id",
        "drug",
        "dose",
        "volume",
        "route",
        "frequency",
        "duration",
        "Ward",
        "doseguard_status",
        "doseguard_severity",
        "doseguard_rules",
        "doseguard_messages",
        "doseguard_source",
    ]  # fmt: skip  (the header as the file wrote it)
    assert len(rows) == 4  # one per order, the short row too
    assert rows[1][8] == "'=cmd|' /C calc'!A0"  # a formula is neutralised
    assert rows[1][9] in ("pass", "flagged")
    assert rows[2][9:11] == ["invalid", "critical"]
    assert "dose:" in rows[2][12]
    assert rows[3][:9] == [""] * 9  # a row that could not be split into the header's cells
    assert rows[3][9:11] == ["invalid", "critical"]
    assert rows[3][13] == f"{orders}:4"


def test_a_jsonl_annotated_is_each_object_with_doseguards_keys(tmp_path: Path) -> None:
    out = tmp_path / "annotated.jsonl"
    done = invoke("check", jsonl(tmp_path, PASSING, WARNING, CRITICAL, INVALID), "--annotate", out)
    assert done.exit_code == 1
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [line["order_id"] for line in lines] == ["PASS", "WARN", "CRIT", "BAD"]
    assert [line["doseguard_severity"] for line in lines] == ["", "warning", "critical", "critical"]
    assert lines[1]["route"] == "IV"
    assert lines[1]["doseguard_rules"] == ["B12-ROUTE"]
    # The results on stdout are as they were: no order field was added to them.
    result = json.loads(done.stdout.splitlines()[1])
    assert "route" not in result
    assert "record_data" not in result


@pytest.mark.parametrize("name", ["annotated.xlsx", "annotated", "annotated.csv.gz"])
def test_an_annotated_export_of_another_format_is_a_usage_error(tmp_path: Path, name: str) -> None:
    done = invoke("check", jsonl(tmp_path, PASSING), "--annotate", tmp_path / name)
    assert done.exit_code == 2
    assert "name a .csv or .jsonl file" in done.stderr


def test_the_annotated_export_must_not_be_another_output_or_an_input(tmp_path: Path) -> None:
    orders = jsonl(tmp_path, PASSING)
    same = invoke("check", orders, "-o", tmp_path / "a.jsonl", "--annotate", tmp_path / "a.jsonl")
    assert same.exit_code == 2
    assert "are the same file" in same.stderr
    itself = invoke("check", orders, "--annotate", orders)
    assert itself.exit_code == 2
    assert "is also an input" in itself.stderr


def test_the_annotated_export_replaces_a_links_target_not_the_link(tmp_path: Path) -> None:
    target = tmp_path / "target.csv"
    target.write_text("old\n", encoding="utf-8")
    link = tmp_path / "link.csv"
    link.symlink_to(target)
    done = invoke("check", jsonl(tmp_path, PASSING), "--annotate", link, "-o", os.devnull)
    assert done.exit_code == 0, done.stderr
    assert link.is_symlink()
    assert target.read_text(encoding="utf-8").startswith("order_id,")


def test_a_failed_run_leaves_no_annotated_export(tmp_path: Path) -> None:
    out = tmp_path / "annotated.csv"
    out.write_text("the last one\n", encoding="utf-8")
    bad = tmp_path / "bad.json"
    bad.write_text("3", encoding="utf-8")
    done = invoke("check", jsonl(tmp_path, PASSING), bad, "--annotate", out, "-o", os.devnull)
    assert done.exit_code == 2
    assert out.read_text(encoding="utf-8") == "the last one\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["annotated.csv", "bad.json", "orders.jsonl"]


def test_the_report_names_its_inputs_the_overrides_and_when_it_was_made(tmp_path: Path) -> None:
    overrides = tmp_path / "ward-7.yaml"
    overrides.write_text("overrides:\n  - rule: B12-ROUTE\n    reason: ward 7\n    severity: info\n")
    orders = jsonl(tmp_path, PASSING, CRITICAL)
    report = tmp_path / "report.html"
    done = invoke("check", orders, "--overrides", overrides, "--report", report, "-o", os.devnull)
    assert done.exit_code == 1, done.stderr
    html = report.read_text(encoding="utf-8")
    assert f'<span data-meta="inputs">Input: {orders}</span>' in html
    assert '<span data-meta="overrides">Site overrides: ward-7.yaml</span>' in html
    stamp = re.search(r'<time datetime="([^"]+)">', html)
    assert stamp is not None
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d", stamp.group(1))


def test_source_date_epoch_fixes_the_reports_time(tmp_path: Path) -> None:
    report = tmp_path / "report.html"
    done = invoke(
        "check", jsonl(tmp_path, PASSING), "--format", "html", "-o", report, env={"SOURCE_DATE_EPOCH": "0"}
    )
    assert done.exit_code == 0, done.stderr
    assert '<time datetime="1970-01-01T00:00:00+00:00">' in report.read_text(encoding="utf-8")


def test_the_report_shows_each_orders_drug_dose_route_and_frequency(tmp_path: Path) -> None:
    report = tmp_path / "report.html"
    invoke("check", jsonl(tmp_path, WARNING), "--report", report, "-o", os.devnull)
    html = report.read_text(encoding="utf-8")
    cells = re.findall(r'<td class="order-field">([^<]*)</td>', html)
    assert cells == ["cyanocobalamin", "1000 mcg", "IV", "daily"]
