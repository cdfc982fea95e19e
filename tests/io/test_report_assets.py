"""The HTML report's stylesheet and script are package data, found through importlib.resources (as an
installed wheel finds them), and inlined into the report exactly as the files hold them."""

from __future__ import annotations

import io
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
