"""The HTML report's stylesheet and script are package data, found through importlib.resources (as an
installed wheel finds them), and inlined into the report exactly as the files hold them."""

from __future__ import annotations

import io
import re
from importlib.resources import files

import pytest

from doseguard.io.html_report import HtmlReportWriter
from doseguard.results import OrderResult, ResultStatus, Summary

ASSETS = files("doseguard.io") / "report_assets"


@pytest.mark.parametrize("name", ["report.css", "report.js"])
def test_each_asset_is_package_data_found_through_importlib_resources(name: str) -> None:
    asset = ASSETS / name
    assert asset.is_file()
    text = asset.read_text(encoding="utf-8")
    assert text.endswith("\n")
    assert text.strip()


def test_the_report_inlines_the_stylesheet_and_the_script_as_the_files_hold_them() -> None:
    stream = io.StringIO()
    writer = HtmlReportWriter(stream)
    result = OrderResult(1, "in.jsonl:1", "ORD-1", "PT-1", ResultStatus.PASS, rules_version="v")
    writer.write(result)
    summary = Summary(rules_version="v")
    summary.add(result)
    writer.close(summary)
    html = stream.getvalue()
    css = (ASSETS / "report.css").read_text(encoding="utf-8")
    script = (ASSETS / "report.js").read_text(encoding="utf-8")
    assert f"<style>\n{css}</style>\n" in html
    assert f"<script>\n{script}</script>\n" in html


def test_the_script_never_parses_markup() -> None:
    script = (ASSETS / "report.js").read_text(encoding="utf-8")
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function"):
        assert sink not in script


def _print_rules() -> dict[str, str]:
    """The stylesheet's ``@media print`` block, as selector: declarations."""
    css = re.sub(r"/\*.*?\*/", "", (ASSETS / "report.css").read_text(encoding="utf-8"), flags=re.DOTALL)
    block = css[css.index("@media print {") + len("@media print {") :]
    depth, end = 1, 0
    while depth:  # to the brace that closes the block
        depth += {"{": 1, "}": -1}.get(block[end], 0)
        end += 1
    rules: dict[str, str] = {}
    for selectors, body in re.findall(r"([^{}]+)\{([^{}]*)\}", block[:end]):
        for selector in selectors.split(","):
            rules[" ".join(selector.split())] = rules.get(" ".join(selector.split()), "") + body
    return rules


def test_printed_table_headers_repeat_on_every_page_and_rows_are_not_split() -> None:
    rules = _print_rules()
    assert "display: table-header-group" in rules["table.orders thead"]
    assert "break-inside: avoid" in rules["table.orders tr"]
    assert "break-after: avoid" in rules["h2"]


@pytest.mark.parametrize(
    "selector", [".controls", "#visible-count", "details.data summary", ".js-only", "th .arrow", "#no-match"]
)
def test_print_shows_no_interactive_control(selector: str) -> None:
    assert "display: none" in _print_rules()[selector]


def test_print_leaves_out_the_source_column_the_number_stands_for() -> None:
    """The record number (#) locates the order in the CSV/JSONL output; the file:line path is the
    widest cell of a row, and the order columns need the room on paper."""
    rules = _print_rules()
    assert "display: none" in rules["th.source"]
    assert "display: none" in rules["td.source"]


def test_the_source_column_header_is_marked_to_be_left_out_in_print() -> None:
    stream = io.StringIO()
    writer = HtmlReportWriter(stream)
    result = OrderResult(1, "in.jsonl:1", "ORD-1", "PT-1", ResultStatus.ERROR)
    writer.write(result)
    summary = Summary()
    summary.add(result)
    writer.close(summary)
    assert '<th scope="col" class="source"' in stream.getvalue()
