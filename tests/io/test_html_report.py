"""The HTML report: totals, one bar per rule, a table of orders to review, escaped, offline, stable."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from html.parser import HTMLParser

import pytest

from doseguard.io.html_report import HtmlReportWriter, _percent
from doseguard.io.writers import write_all
from doseguard.results import Finding, OrderResult, ResultError, ResultStatus, Summary
from doseguard.rules.model import Severity
from tests.helpers.results import VERSION, finding, sample_results

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


# --- a small DOM, built with html.parser ----------------------------------------------------------


@dataclass
class Node:
    tag: str
    attrs: dict[str, str | None] = field(default_factory=dict)
    children: list[Node | str] = field(default_factory=list)

    @property
    def classes(self) -> list[str]:
        return (self.attrs.get("class") or "").split()

    def text(self) -> str:
        return "".join(c if isinstance(c, str) else c.text() for c in self.children)

    def iter(self) -> Iterator[Node]:
        yield self
        for child in self.children:
            if isinstance(child, Node):
                yield from child.iter()

    def find_all(self, tag: str | None = None, cls: str | None = None, **attrs: str) -> list[Node]:
        return [
            node
            for node in self.iter()
            if (tag is None or node.tag == tag)
            and (cls is None or cls in node.classes)
            and all(node.attrs.get(name.replace("_", "-")) == value for name, value in attrs.items())
        ]

    def find(self, tag: str | None = None, cls: str | None = None, **attrs: str) -> Node:
        found = self.find_all(tag, cls, **attrs)
        assert len(found) == 1, f"expected one {tag} .{cls} {attrs}, found {len(found)}"
        return found[0]


class TreeBuilder(HTMLParser):
    """Builds the tree and insists that every element is closed, in order (well-formed output)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("#document")
        self.stack = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = Node(tag, dict(attrs))
        self.stack[-1].children.append(node)
        if tag not in VOID:
            self.stack.append(node)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.stack[-1].children.append(Node(tag, dict(attrs)))

    def handle_endtag(self, tag: str) -> None:
        assert self.stack[-1].tag == tag, f"</{tag}> closes <{self.stack[-1].tag}>"
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.stack[-1].children.append(data)


def parse(text: str) -> Node:
    builder = TreeBuilder()
    builder.feed(text)
    builder.close()
    assert builder.stack == [builder.root], "unclosed elements: " + ", ".join(n.tag for n in builder.stack)
    return builder.root


# --- results built by hand --------------------------------------------------------------------------


def results() -> list[OrderResult]:
    """The shared results 1-5, and three more for the chart: a pass, two findings, one more warning."""
    return [
        *sample_results(),
        OrderResult(6, "in.jsonl:6", "ORD-6", "PT-6", ResultStatus.PASS, rules_version=VERSION),
        OrderResult(
            7,
            "in.jsonl:7",
            "ORD-7",
            "PT-7",
            ResultStatus.FLAGGED,
            (finding("B12-ROUTE", Severity.WARNING), finding("B12-CONC-MISMATCH", Severity.CRITICAL)),
            rules_version=VERSION,
        ),
        OrderResult(
            8,
            "in.jsonl:8",
            "ORD-8",
            "PT-8",
            ResultStatus.FLAGGED,
            (finding("B12-ROUTE", Severity.WARNING),),
            rules_version=VERSION,
        ),
    ]


def render(
    items: list[OrderResult] | None = None,
    *,
    summary_version: str = VERSION,
    max_rows: int = 10_000,
    title: str = "doseguard report",
) -> str:
    stream = io.StringIO()
    writer = HtmlReportWriter(stream, max_rows=max_rows, title=title)
    write_all(results() if items is None else items, writer, Summary(rules_version=summary_version))
    return stream.getvalue()


def rows(document: Node) -> list[Node]:
    return document.find("table", id="orders").find("tbody").find_all("tr")


def cell_texts(row: Node) -> list[str]:
    return [" ".join(cell.text().split()) for cell in row.find_all("td")]


# --- document -----------------------------------------------------------------------------------


def test_one_well_formed_document() -> None:
    text = render()
    assert text.startswith('<!DOCTYPE html>\n<html lang="en"')
    assert text.endswith("</html>\n")
    document = parse(text)  # every element closed, in order
    assert len(document.find_all("html")) == 1
    assert document.find("head").find("title").text() == "doseguard report"
    assert document.find("meta", charset="utf-8")


def test_title_is_configurable_and_escaped() -> None:
    document = parse(render(title="Ward <7> & pharmacy"))
    assert document.find("head").find("title").text() == "Ward <7> & pharmacy"
    assert document.find("h1").text() == "Ward <7> & pharmacy"


def test_totals_tiles() -> None:
    document = parse(render())
    tiles = {
        tile.attrs["data-total"]: int(tile.find("span", cls="tile-value").text())
        for tile in document.find_all("li", cls="tile")
    }
    assert tiles == {
        "orders": 8,
        "pass": 2,
        "critical": 2,
        "warning": 2,
        "info": 0,
        "invalid": 1,
        "error": 1,
        "not_covered": 0,
        "inactive": 0,
    }
    labels = [
        " ".join(t.find("span", cls="tile-label").text().split()) for t in document.find_all("li", cls="tile")
    ]
    assert labels == [
        "Orders checked", "Passed", "Critical", "Warning", "Info", "Invalid", "Error", "Not covered", "Inactive",
    ]  # fmt: skip
    assert "zero" in document.find("li", data_total="info").classes


def test_banner_says_what_needs_action() -> None:
    document = parse(render())
    banner = document.find("p", cls="banner")
    assert "banner-bad" in banner.classes
    assert banner.text() == (
        "Action needed: 2 orders with a critical finding and 2 orders not checked (invalid or error)."
    )
    passing = parse(render([results()[0], results()[5]]))
    assert passing.find("p", cls="banner").text() == "All 2 orders passed."


def test_rules_version_from_the_summary_or_else_the_results() -> None:
    document = parse(render(summary_version="v-summary"))
    assert "v-summary" in document.find("span", data_meta="rules-version").text()
    fallback = parse(render(summary_version=""))
    assert VERSION in fallback.find("span", data_meta="rules-version").text()


# --- charts -------------------------------------------------------------------------------------


def test_one_bar_per_rule_sorted_by_severity_then_count_with_labels() -> None:
    document = parse(render())
    chart = document.find("svg", cls="rule-chart")
    bars = chart.find_all("g", cls="bar")
    assert [(b.attrs["data-rule"], b.attrs["data-count"]) for b in bars] == [
        ("B12-CONC-MISMATCH", "2"),
        ("B12-ROUTE", "3"),
        ("NOTATION-TRAILING-ZERO", "1"),
    ]
    for bar in bars:
        assert bar.find("text", cls="count").text() == bar.attrs["data-count"]
        assert bar.find("text", cls="rule-id").text() == bar.attrs["data-rule"]
        severity = bar.attrs["data-severity"]
        # Colour by the rule's severity, and the severity as a word too.
        fills = [r for r in bar.find_all("rect") if "fill" in r.classes]
        assert len(fills) == 1
        assert f"sev-{severity}" in fills[0].classes
        assert bar.find("text", cls="sev-word").text() == severity
        assert bar.find("title").text().startswith(bar.attrs["data-rule"] + ": title of ")
    assert [b.attrs["data-severity"] for b in bars] == ["critical", "warning", "info"]


def test_bars_are_proportional_and_ties_sorted_by_rule_id() -> None:
    items = [
        OrderResult(i, f"x:{i}", f"O{i}", "P", ResultStatus.FLAGGED, (finding(rule, Severity.INFO),))
        for i, rule in enumerate(["R-B", "R-A", "R-C", "R-C"], start=1)
    ]
    bars = parse(render(items)).find_all("g", cls="bar")
    assert [b.attrs["data-rule"] for b in bars] == ["R-C", "R-A", "R-B"]
    widths = [
        float(next(r for r in b.find_all("rect") if "fill" in r.classes).attrs["width"] or "") for b in bars
    ]
    assert widths[0] == pytest.approx(2 * widths[1])
    assert widths[1] == widths[2]


def test_charts_are_accessible() -> None:
    document = parse(render())
    for svg in document.find_all("svg"):
        assert svg.attrs["role"] == "img"
        labelled_by = (svg.attrs["aria-labelledby"] or "").split()
        assert [document.find(id=ident).tag for ident in labelled_by] == ["title", "desc"]
    description = document.find("desc", id="rules-desc").text()
    assert "B12-ROUTE: 3 findings, severity warning" in description
    assert "NOTATION-TRAILING-ZERO: 1 finding, severity info" in description
    # The same figures as a plain table, for screen readers and print.
    data = document.find("details", cls="data").find("tbody")
    assert cell_texts(data.find_all("tr")[0]) == ["title of B12-CONC-MISMATCH", "critical", "2"]


def test_status_bar_and_legend() -> None:
    document = parse(render())
    segments = document.find("svg", cls="status-bar").find_all("g", cls="segment")
    assert [(s.attrs["data-status"], s.attrs["data-count"]) for s in segments] == [
        ("pass", "2"),
        ("flagged", "4"),
        ("invalid", "1"),
        ("error", "1"),
    ]
    widths = [float((s.find("rect").attrs["width"] or "").rstrip("%")) for s in segments]
    assert sum(widths) == pytest.approx(100, abs=0.05)
    legend = [" ".join(li.text().split()) for li in document.find("ul", cls="legend").find_all("li")]
    assert legend == [
        "Pass 2 (25%)", "Flagged 4 (50%)", "Invalid 1 (13%)", "Error 1 (13%)", "Not covered 0 (0%)",
        "Inactive 0 (0%)",
    ]  # fmt: skip


def test_no_findings_no_chart() -> None:
    document = parse(render([results()[0]]))
    assert not document.find_all("svg", cls="rule-chart")
    assert "No findings." in document.text()


def test_percentages_never_round_orders_away() -> None:
    assert _percent(0, 10) == "0%"
    assert _percent(1, 200) == "<1%"
    assert _percent(199, 200) == ">99%"
    assert _percent(200, 200) == "100%"
    assert _percent(1, 3) == "33%"
    assert _percent(1, 8) == "13%"  # 12.5% rounds half up
    assert _percent(0, 0) == "0%"


# --- the table ----------------------------------------------------------------------------------


def test_table_lists_only_orders_that_need_review() -> None:
    document = parse(render())
    table_rows = rows(document)
    assert sorted(r.attrs["data-record"] for r in table_rows) == ["2", "3", "4", "5", "7", "8"]
    assert "ORD-1" not in [cell_texts(r)[1] for r in table_rows]
    headers = [" ".join(th.text().split()) for th in document.find("table", id="orders").find_all("th")]
    assert headers == [
        "#", "Order ID", "Patient ID", "Source", "Drug", "Dose", "Route", "Frequency", "Status", "Severity",
        "Rule(s)", "Message(s)",
    ]  # fmt: skip


def test_table_cells() -> None:
    by_record = {r.attrs["data-record"]: r for r in rows(parse(render()))}
    flagged = by_record["2"]
    assert (flagged.attrs["data-status"], flagged.attrs["data-severity"]) == ("flagged", "critical")
    assert flagged.attrs["data-rules"] == "B12-CONC-MISMATCH NOTATION-TRAILING-ZERO"
    number, order, patient, source, *_, status, severity, rules, messages = flagged.find_all("td")
    assert (number.text(), order.text(), patient.text(), source.text()) == (
        "2",
        "ORD-2",
        "PT-2",
        "in.jsonl:2",
    )
    assert (status.text(), severity.text()) == ("flagged", "critical")
    assert [code.text() for code in rules.find_all("code")] == ["B12-CONC-MISMATCH", "NOTATION-TRAILING-ZERO"]
    assert [" ".join(li.text().split()) for li in messages.find_all("li")] == [
        "The order assumes 100 mcg/mL.",
        "Trailing zero in 1.0 mL.",
        "note unknown field 'dosage' ignored (did you mean 'dose'?)",
    ]
    invalid = cell_texts(by_record["3"])
    assert invalid[2] == "—"  # no patient id
    assert invalid[8:11] == ["invalid", "critical", "—"]
    problems = [li.text() for li in by_record["3"].find("td", cls="messages").find_all("li")]
    assert problems == ["dose: 'one thousand' is not a dose", "route: unknown route 'xx'"]
    error = cell_texts(by_record["4"])
    assert error[8:] == ["error", "critical", "—", "evaluation failed: boom"]


def test_search_box_filters_and_sort_buttons() -> None:
    document = parse(render())
    search = document.find("input", id="search")
    assert search.attrs["type"] == "search"
    assert search.attrs["aria-label"]
    severity = document.find("div", cls="filter-group", aria_label="Severity").find_all("button")
    assert [(b.attrs["data-value"], b.find("span", cls="n").text()) for b in severity] == [
        ("all", "6"), ("critical", "4"), ("warning", "2"), ("info", "0"),
    ]  # fmt: skip
    status = document.find("div", cls="filter-group", aria_label="Status").find_all("button")
    assert [(b.attrs["data-value"], b.find("span", cls="n").text()) for b in status] == [
        ("all", "6"), ("flagged", "4"), ("invalid", "1"), ("error", "1"),
    ]  # fmt: skip
    assert [b.attrs["aria-pressed"] for b in severity + status] == ["true", "false", "false", "false"] * 2
    sort_buttons = document.find("table", id="orders").find("thead").find_all("button")
    assert [b.attrs["data-col"] for b in sort_buttons] == [str(i) for i in range(12)]
    assert document.find("p", id="visible-count").text() == "Showing 6 of 6 rows"


def test_nothing_to_review() -> None:
    document = parse(render([results()[0]]))
    assert not document.find_all("table", id="orders")
    assert "No flagged, invalid or error orders." in document.text()
    empty = parse(render([]))
    assert empty.find("p", cls="banner").text() == "No orders were checked."
    assert empty.find("li", data_total="orders").find("span", cls="tile-value").text() == "0"


# --- bounded memory -----------------------------------------------------------------------------


def test_max_rows_keeps_every_critical_row_then_the_first_others_and_says_so() -> None:
    text = render(max_rows=5)
    document = parse(text)
    assert [r.attrs["data-record"] for r in rows(document)] == ["2", "3", "4", "7", "5"]
    note = document.find("p", cls="truncation-note")
    assert " ".join(note.text().split()) == (
        "Showing 5 of 6 orders that need review: every critical, invalid and error order (4), and the "
        "first 1 of 2 with warnings or notes; see the CSV/JSONL output for all."
    )
    # Totals and the chart still cover every order.
    assert document.find("li", data_total="orders").find("span", cls="tile-value").text() == "8"
    assert document.find("g", cls="bar", data_rule="B12-ROUTE").attrs["data-count"] == "3"


def test_writer_holds_at_most_max_rows() -> None:
    writer = HtmlReportWriter(io.StringIO(), max_rows=3)
    item = OrderResult(1, "x:1", "O", "P", ResultStatus.FLAGGED, (finding("R-A", Severity.INFO),))
    for _ in range(1000):
        writer.write(item)
    assert len(writer.rows) == 3
    assert writer.needs_review == 1000


def test_no_note_when_every_row_fits() -> None:
    assert 'class="truncation-note"' not in render(max_rows=6)
    assert not parse(render()).find_all("p", cls="truncation-note")


def test_max_rows_zero_still_shows_every_critical_row() -> None:
    document = parse(render(max_rows=0))
    assert [r.attrs["data-record"] for r in rows(document)] == ["2", "3", "4", "7"]
    assert "Showing 4 of 6" in document.find("p", cls="truncation-note").text()


def test_negative_max_rows_is_refused() -> None:
    with pytest.raises(ValueError, match="max_rows"):
        HtmlReportWriter(io.StringIO(), max_rows=-1)


# --- safety -------------------------------------------------------------------------------------


def hostile() -> list[OrderResult]:
    return [
        OrderResult(
            1,
            'evil.csv:1"><img src=x onerror=alert(2)>',
            "<script>alert(1)</script>",
            "PT-'1'&<b>",
            ResultStatus.FLAGGED,
            (
                Finding(
                    "R-<X>",
                    Severity.CRITICAL,
                    "</td></tr></table><script>alert(3)</script>",
                    'title "quoted" <i>',
                    "p",
                ),
            ),
            warnings=("<style>body{display:none}</style>",),
            rules_version="<v>",
        ),
        OrderResult(
            2,
            "evil.csv:2",
            "O-2",
            None,
            ResultStatus.INVALID,
            errors=(ResultError("<f>", "<svg onload=alert(4)>"),),
        ),
    ]


def test_script_in_an_order_id_is_escaped() -> None:
    text = render(hostile(), summary_version="")
    assert "<script>alert(1)</script>" not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    document = parse(text)
    # Only the report's own two scripts, neither carrying data.
    scripts = document.find_all("script")
    assert len(scripts) == 2
    assert all("alert" not in s.text() for s in scripts)
    # The text reads back exactly as it came in.
    row = rows(document)[0]
    cells = row.find_all("td")
    assert cells[1].text() == "<script>alert(1)</script>"
    assert cells[2].text() == "PT-'1'&<b>"
    assert cells[3].text() == 'evil.csv:1"><img src=x onerror=alert(2)>'
    assert cells[11].find_all("li")[0].text() == "</td></tr></table><script>alert(3)</script>"
    assert row.attrs["data-rules"] == "R-<X>"
    assert document.find("g", cls="bar").attrs["data-rule"] == "R-<X>"


def test_nothing_from_the_input_becomes_markup() -> None:
    document = parse(render(hostile(), summary_version=""))
    tags = {node.tag for node in document.iter()}
    assert not tags & {"img", "b", "i", "f", "x", "v"}
    assert len(document.find_all("style")) == 1
    assert len(document.find_all("svg")) == 2  # the two charts, not the input's <svg onload>
    assert not [n for n in document.iter() if any(name.startswith("on") for name in n.attrs)]


def test_no_external_resources() -> None:
    text = render()
    lowered = text.lower()
    for pattern in ('src="http', "src='http", 'href="http', "href='http", "@import", "url(http", "//cdn"):
        assert pattern not in lowered
    document = parse(text)
    assert not document.find_all("link")
    assert not document.find_all("img")
    assert not [n for n in document.iter() if "src" in n.attrs]
    assert not [n for n in document.iter() if (n.attrs.get("href") or "#").split("#")[0]]
    # The only url() is a same-document reference, if any.
    assert all(ref.startswith("#") for ref in re.findall(r"url\(([^)]*)\)", text))


def test_script_never_writes_markup() -> None:
    text = render()
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function"):
        assert sink not in text


# --- determinism --------------------------------------------------------------------------------


def test_same_results_same_bytes() -> None:
    first = render()
    second = render()
    assert first == second
    assert render(hostile()) == render(hostile())
    assert str(datetime.now(UTC).year) not in first  # no generation time


def test_close_flushes_the_stream() -> None:
    stream = io.StringIO()
    writer = HtmlReportWriter(stream)
    for item in results():
        writer.write(item)
    assert stream.getvalue() == ""  # nothing until the totals are known
    summary = Summary(rules_version=VERSION)
    for item in results():
        summary.add(item)
    writer.close(summary)
    assert stream.getvalue() == render()


def test_control_characters_and_bidi_overrides_from_the_input_are_shown_escaped() -> None:
    """A right-to-left override in an order id makes a browser show other text than the data; an ESC
    or a NUL reaches whoever greps or cats the report."""
    result = OrderResult(
        1,
        "x.jsonl:1\x1b[2J",
        "ORD-\u202e1-DRO",
        "PT\x00",
        ResultStatus.FLAGGED,
        (Finding("R-1", Severity.CRITICAL, "dose\u2066 hidden\u2069\x7f", "a title\x9b", "p"),),
        warnings=("note\x07",),
    )
    text = render([result])
    for raw in ("\u202e", "\u2066", "\u2069", "\x1b", "\x00", "\x7f", "\x9b", "\x07"):
        assert raw not in text
    cells = rows(parse(text))[0].find_all("td")
    assert cells[1].text() == "ORD-\\u202e1-DRO"
    assert cells[2].text() == "PT\\x00"
    assert cells[3].text() == "x.jsonl:1\\x1b[2J"
    assert "dose\\u2066 hidden\\u2069\\x7f" in cells[11].text()


# --- a pharmacy's report: critical first, nothing critical dropped, the order itself, where it came from


def flagged(number: int, severity: Severity, rule: str = "R-A", **record: object) -> OrderResult:
    return OrderResult(
        number, f"in.jsonl:{number}", f"O{number}", "P", ResultStatus.FLAGGED, (finding(rule, severity),),
        record_data=record or None,
    )  # fmt: skip


def test_the_rule_chart_puts_critical_rules_first_then_the_most_found() -> None:
    bars = parse(render()).find("svg", cls="rule-chart").find_all("g", cls="bar")
    assert [(b.attrs["data-rule"], b.attrs["data-severity"], b.attrs["data-count"]) for b in bars] == [
        ("B12-CONC-MISMATCH", "critical", "2"),
        ("B12-ROUTE", "warning", "3"),
        ("NOTATION-TRAILING-ZERO", "info", "1"),
    ]


def test_the_rule_table_puts_critical_rules_first_then_the_most_found() -> None:
    data = parse(render()).find("details", cls="data").find("tbody")
    assert [row.find("code").text() for row in data.find_all("tr")] == [
        "B12-CONC-MISMATCH", "B12-ROUTE", "NOTATION-TRAILING-ZERO",
    ]  # fmt: skip


def test_the_orders_table_lists_critical_orders_first_then_in_input_order() -> None:
    # 2 critical, 3 invalid, 4 error, 5 warning, 7 critical, 8 warning
    assert [r.attrs["data-record"] for r in rows(parse(render()))] == ["2", "3", "4", "7", "5", "8"]
    headers = parse(render()).find("table", id="orders").find_all("th")
    assert {th.text(): th.attrs["aria-sort"] for th in headers if th.attrs["aria-sort"] != "none"} == {
        "Severity": "descending"
    }


def test_the_row_cap_never_drops_a_critical_invalid_or_error_order() -> None:
    """Defect: the cap kept the first rows in input order, so warnings early in a file hid the
    critical, invalid and error orders after them."""
    warnings = [flagged(n, Severity.WARNING) for n in range(1, 6)]
    critical = flagged(6, Severity.CRITICAL)
    invalid = OrderResult(
        7, "in.jsonl:7", "O7", "P", ResultStatus.INVALID, errors=(ResultError("dose", "x"),)
    )
    error = OrderResult(8, "in.jsonl:8", "O8", "P", ResultStatus.ERROR, errors=(ResultError(None, "boom"),))
    document = parse(render([*warnings, critical, invalid, error], max_rows=4))
    assert [r.attrs["data-record"] for r in rows(document)] == ["6", "7", "8", "1"]
    note = " ".join(document.find("p", cls="truncation-note").text().split())
    assert note == (
        "Showing 4 of 8 orders that need review: every critical, invalid and error order (3), and the "
        "first 1 of 5 with warnings or notes; see the CSV/JSONL output for all."
    )


def test_the_row_cap_keeps_critical_orders_beyond_it() -> None:
    writer = HtmlReportWriter(io.StringIO(), max_rows=2)
    for number in range(1, 6):
        writer.write(flagged(number, Severity.CRITICAL))
    writer.write(flagged(6, Severity.INFO))
    assert len(writer.rows) == 5
    assert writer.needs_review == 6


def test_each_order_row_shows_its_drug_dose_route_and_frequency_as_written() -> None:
    item = flagged(
        1, Severity.WARNING, drug="Cyanocobalamin", dose="1,000 mcg", route="IV push", frequency="Q week",
        volume="1 mL",
    )  # fmt: skip
    document = parse(render([item]))
    headers = [" ".join(th.text().split()) for th in document.find("table", id="orders").find_all("th")]
    assert headers[4:8] == ["Drug", "Dose", "Route", "Frequency"]
    assert cell_texts(rows(document)[0])[4:8] == ["Cyanocobalamin", "1,000 mcg", "IV push", "Q week"]


def test_an_order_row_without_the_record_shows_dashes() -> None:
    invalid = OrderResult(1, "in.jsonl:1", None, None, ResultStatus.INVALID, errors=(ResultError(None, "x"),))
    assert cell_texts(rows(parse(render([invalid])))[0])[4:8] == ["—"] * 4


def test_a_structured_dose_is_shown_as_its_text() -> None:
    from doseguard.orders.draft import StructuredQuantity  # noqa: PLC0415

    item = flagged(1, Severity.INFO, drug="cyanocobalamin", dose=StructuredQuantity(1000.0, "1000 mcg"))
    assert cell_texts(rows(parse(render([item])))[0])[5] == "1000 mcg"


def test_the_header_names_the_inputs_the_time_and_the_overrides_file() -> None:
    stream = io.StringIO()
    made = datetime(2026, 12, 2, 3, 15, 1, tzinfo=UTC)
    writer = HtmlReportWriter(
        stream, inputs=("day-1.csv", "<script>.jsonl"), overrides="site/ward-7.yaml", made_at=made
    )
    write_all(results(), writer, Summary(rules_version=VERSION))
    header = parse(stream.getvalue()).find("header", cls="page")
    assert header.find("span", data_meta="inputs").text() == "Input: day-1.csv, <script>.jsonl"
    made_at = header.find("time")
    assert made_at.attrs["datetime"] == "2026-12-02T03:15:01+00:00"
    assert made_at.text() == "2026-12-02T03:15:01+00:00"
    assert header.find("span", data_meta="overrides").text() == "Site overrides: ward-7.yaml"
    assert "&lt;script&gt;.jsonl" in stream.getvalue()


def test_the_header_says_when_no_overrides_file_was_used() -> None:
    stream = io.StringIO()
    write_all(results(), HtmlReportWriter(stream, inputs=("a.csv",)), Summary(rules_version=VERSION))
    header = parse(stream.getvalue()).find("header", cls="page")
    assert header.find("span", data_meta="overrides").text() == "Site overrides: none"
    assert not header.find_all("time")  # no time given: the same results, the same bytes


def test_every_result_status_has_a_place_in_the_status_bar_legend() -> None:
    legend = parse(render()).find("ul", cls="legend").find_all("li")
    assert [li.attrs["data-status"] for li in legend] == [s.value for s in ResultStatus]


def test_the_orders_tables_caption_says_critical_first() -> None:
    caption = parse(render()).find("section", aria_labelledby="orders-heading").find("p", cls="caption")
    assert " ".join(caption.text().split()).startswith(
        "Flagged, invalid and error orders, critical first, then in input order;"
    )


# --- orders that are not checked on purpose -----------------------------------------------------


def _unchecked_on_purpose() -> list[OrderResult]:
    notice = Finding(
        "DOSEGUARD-DRUG-NOT-COVERED", Severity.INFO, "No rule pack covers 'insulin'", "t", "doseguard"
    )
    return [
        OrderResult(1, "in.jsonl:1", "ORD-1", "PT-1", ResultStatus.PASS, rules_version=VERSION),
        OrderResult(
            2, "in.jsonl:2", "ORD-2", "PT-2", ResultStatus.NOT_COVERED, (notice,), rules_version=VERSION
        ),
        OrderResult(
            3,
            "in.jsonl:3",
            "ORD-3",
            "PT-3",
            ResultStatus.INACTIVE,
            warnings=("status: 'cancelled'",),
            rules_version=VERSION,
        ),
    ]


def test_not_covered_and_inactive_orders_are_counted_not_listed_and_not_passed() -> None:
    document = parse(render(_unchecked_on_purpose()))
    tiles = {
        tile.attrs["data-total"]: int(tile.find("span", cls="tile-value").text())
        for tile in document.find_all("li", cls="tile")
    }
    assert (tiles["pass"], tiles["not_covered"], tiles["inactive"], tiles["invalid"]) == (1, 1, 1, 0)
    assert document.find("p", cls="banner").text() == (
        "No findings; 2 orders not checked on purpose (1 not covered by any rule pack, 1 inactive)."
    )
    legend = [" ".join(li.text().split()) for li in document.find("ul", cls="legend").find_all("li")]
    assert legend[-2:] == ["Not covered 1 (33%)", "Inactive 1 (33%)"]
    assert not document.find_all("table", id="orders") or rows(document) == []
