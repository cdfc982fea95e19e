"""An HTML report for people: totals, findings by rule, and the orders that need a second look.

One self-contained file: inline CSS, inline SVG charts and a little vanilla JavaScript (search,
filters, sorting), nothing fetched from the network, so it opens from disk and prints. The CSS and
the script are package data (``report_assets/report.css``, ``report.js``), inlined as they are.

Everything that comes from the input (order ids, sources, messages) is escaped with
:func:`html.escape`, and the script never writes markup: it only hides, shows and reorders rows.
The same results give the same bytes: no random ids, ties broken by rule id, and the time the report
was made only when the caller gives it (the command does; ``SOURCE_DATE_EPOCH`` fixes it).
Critical first: the rule chart and its table by severity, then count; the orders table by severity,
then input order. Memory is bounded but for what must be seen: at most ``max_rows`` table rows are
kept, and when the cap is reached a critical, invalid or error order takes the place of the last kept
order with warnings or notes; it is never dropped (the chart and the totals cover every order).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from html import escape
from importlib.resources import files
from pathlib import PurePath
from typing import IO, Any

from doseguard.printable import printable_lines
from doseguard.results import UNCHECKED_ON_PURPOSE, OrderResult, ResultError, ResultStatus, Summary
from doseguard.rules.model import Severity

SEVERITIES = (Severity.CRITICAL, Severity.WARNING, Severity.INFO)  # most severe first
STATUSES = tuple(ResultStatus)
NEEDS_REVIEW = (ResultStatus.FLAGGED, ResultStatus.INVALID, ResultStatus.ERROR)
STATUS_LABEL = {s: s.value.replace("_", " ").capitalize() for s in ResultStatus}
_STATUS_RANK = {
    ResultStatus.INACTIVE: -2, ResultStatus.NOT_COVERED: -1, ResultStatus.PASS: 0, ResultStatus.FLAGGED: 1,
    ResultStatus.INVALID: 2, ResultStatus.ERROR: 3,
}  # fmt: skip
ORDER_COLUMNS = (("drug", "Drug"), ("dose", "Dose"), ("route", "Route"), ("frequency", "Frequency"))
"""The order's own fields shown in each row, as the record wrote them."""

# Chart geometry (SVG user units; the SVG scales to the page width).
_CHART_WIDTH = 880
_LABEL_WIDTH = 350
_BAR_MAX = 410
_ROW_HEIGHT = 36
_RULE_ID_CHARS = 42
_RULE_TITLE_CHARS = 54
_STATUS_BAR_HEIGHT = 30
_STATUS_MIN_PX = 680  # the status bar's width on an A4 page


def _e(value: object) -> str:
    """Text from anywhere, safe in element content and in double- or single-quoted attributes, its
    control characters and bidi overrides shown as escapes (line breaks are only white space here)."""
    return escape(printable_lines("" if value is None else str(value)), quote=True)


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _plural(count: int, word: str) -> str:
    return f"{count:,} {word if count == 1 else word + 's'}"


def _percent(part: int, whole: int) -> str:
    """A whole percentage that never rounds a few orders away to 0% or the rest up to 100%."""
    if not whole or not part:
        return "0%"
    if part == whole:
        return "100%"
    share = 100 * part / whole
    if share < 1:
        return "<1%"
    if share > 99:
        return ">99%"
    return f"{math.floor(share + 0.5)}%"  # half up: 12.5% is 13%, as a reader would round it


@dataclass(slots=True)
class _RuleTally:
    severity: Severity
    title: str
    count: int = 0


class HtmlReportWriter:
    """Writes one HTML document on :meth:`close`; :meth:`write` only keeps what the report needs."""

    def __init__(
        self,
        stream: IO[str],
        *,
        max_rows: int = 10_000,
        title: str = "doseguard report",
        inputs: Sequence[str] = (),
        overrides: str | None = None,
        made_at: datetime | None = None,
    ) -> None:
        """``inputs``, ``overrides`` (the site's overrides file) and ``made_at`` are said in the header."""
        if max_rows < 0:
            raise ValueError(f"max_rows must be 0 or more, not {max_rows}")
        self.stream = stream
        self.max_rows = max_rows
        self.title = title
        self.inputs = tuple(inputs)
        self.overrides = overrides
        self.made_at = made_at
        self.must_see: list[tuple[int, str]] = []  # (record, <tr>): critical, invalid, error; all kept
        self.others: list[
            tuple[int, int, ResultStatus, str]
        ] = []  # (-rank, record, status, <tr>): warnings and notes, capped
        self.needs_review = 0  # orders with a severity (flagged, invalid, error), kept or not
        self.other_rows = 0  # of which warnings and notes, kept or not
        self.rules: dict[str, _RuleTally] = {}
        self.rules_version = ""  # of the first result, for a summary that does not say
        self.row_severity: Counter[str] = Counter()  # over kept rows, for the filter buttons
        self.row_status: Counter[str] = Counter()

    # --- the protocol ---------------------------------------------------------------------------

    def write(self, result: OrderResult) -> None:
        if not self.rules_version:
            self.rules_version = result.rules_version
        for finding in result.findings:
            tally = self.rules.get(finding.rule_id)
            if tally is None:
                tally = self.rules[finding.rule_id] = _RuleTally(finding.severity, finding.title)
            elif finding.severity.rank > tally.severity.rank:
                tally.severity = finding.severity
            tally.count += 1
        severity = result.severity
        if severity is None or result.status not in NEEDS_REVIEW:  # passed, or not checked on purpose
            return
        self.needs_review += 1
        critical = severity is Severity.CRITICAL
        if not critical:
            self.other_rows += 1
        full = len(self.must_see) + len(self.others) >= self.max_rows
        if full and not critical:
            return
        if full and self.others:  # a critical order takes the place of the last one with warnings or notes
            rank, _, status, _ = self.others.pop()
            self._count_row(-rank, status, sign=-1)
        row = self._row(result)
        if critical:
            self.must_see.append((result.record, row))
        else:
            self.others.append((-severity.rank, result.record, result.status, row))
        self._count_row(severity.rank, result.status)

    def _count_row(self, rank: int, status: ResultStatus, sign: int = 1) -> None:
        """The filter buttons' counts, over kept rows."""
        severity = next(s for s in SEVERITIES if s.rank == rank)
        self.row_severity[severity.value] += sign
        self.row_status[status.value] += sign

    @property
    def rows(self) -> list[str]:
        """The kept rows, critical first, then by severity, each in input order."""
        critical = [row for _, row in self.must_see]
        return critical + [kept[3] for kept in sorted(self.others, key=lambda kept: kept[:2])]

    def close(self, summary: Summary) -> None:
        self.stream.write(self.render(summary))
        self.stream.flush()

    # --- the document ---------------------------------------------------------------------------

    def render(self, summary: Summary) -> str:
        version = summary.rules_version or self.rules_version
        parts = [
            "<!DOCTYPE html>\n",
            '<html lang="en" class="no-js">\n<head>\n<meta charset="utf-8">\n',
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n',
            '<meta name="generator" content="doseguard">\n',
            f"<title>{_e(self.title)}</title>\n",
            f"<style>\n{_asset('report.css')}</style>\n",
            "<script>document.documentElement.className = 'js';</script>\n",
            "</head>\n<body>\n<main>\n",
            self._header(summary, version),
            self._banner(summary),
            self._tiles(summary),
            self._charts(summary),
            self._table(),
            self._footer(version),
            "</main>\n",
            f"<script>\n{_asset('report.js')}</script>\n",
            "</body>\n</html>\n",
        ]
        return "".join(parts)

    def _header(self, summary: Summary, version: str) -> str:
        version_html = f"<code>{_e(version)}</code>" if version else "unknown"
        made = ""
        if self.made_at is not None:
            stamp = _e(self.made_at.isoformat(timespec="seconds"))
            made = f' · <span data-meta="made">made <time datetime="{stamp}">{stamp}</time></span>'
        inputs = ", ".join(self.inputs) or "not stated"
        overrides = PurePath(self.overrides).name if self.overrides else "none"
        return (
            '<header class="page">\n'
            f"<h1>{_e(self.title)}</h1>\n"
            '<p class="meta">Medication order check · '
            f'<span data-meta="rules-version">rule pack version {version_html}</span> · '
            f"{_plural(summary.orders, 'order')} checked{made}</p>\n"
            f'<p class="meta"><span data-meta="inputs">Input: {_e(inputs)}</span> · '
            f'<span data-meta="overrides">Site overrides: {_e(overrides)}</span></p>\n'
            "</header>\n"
        )

    def _banner(self, summary: Summary) -> str:
        critical = summary.by_severity.get(Severity.CRITICAL.value, 0)
        unchecked = summary.by_status.get(ResultStatus.INVALID.value, 0) + summary.by_status.get(
            ResultStatus.ERROR.value, 0
        )
        flagged = summary.by_status.get(ResultStatus.FLAGGED.value, 0)
        if critical or unchecked:
            problems = []
            if critical:
                problems.append(f"{_plural(critical, 'order')} with a critical finding")
            if unchecked:
                problems.append(f"{_plural(unchecked, 'order')} not checked (invalid or error)")
            text, kind = "Action needed: " + " and ".join(problems) + ".", "bad"
        elif flagged:
            text, kind = f"No critical findings; {_plural(flagged, 'order')} with warnings or notes.", "warn"
        elif on_purpose := sum(summary.by_status.get(s.value, 0) for s in UNCHECKED_ON_PURPOSE):
            not_covered = summary.by_status.get(ResultStatus.NOT_COVERED.value, 0)
            inactive = summary.by_status.get(ResultStatus.INACTIVE.value, 0)
            text = (
                f"No findings; {_plural(on_purpose, 'order')} not checked on purpose ({not_covered:,} not "
                f"covered by any rule pack, {inactive:,} inactive)."
            )
            kind = "good"
        elif summary.orders:
            text, kind = f"All {_plural(summary.orders, 'order')} passed.", "good"
        else:
            text, kind = "No orders were checked.", "none"
        return f'<p class="banner banner-{kind}" role="status">{_e(text)}</p>\n'

    def _tiles(self, summary: Summary) -> str:
        status = summary.by_status
        severity = summary.by_severity
        flagged = status.get(ResultStatus.FLAGGED.value, 0)
        tiles: list[tuple[str, str, int, str]] = [
            ("orders", "Orders checked", summary.orders, f"{_plural(flagged, 'order')} flagged"),
            ("pass", "Passed", status.get(ResultStatus.PASS.value, 0), "no finding"),
            ("critical", "Critical", severity.get("critical", 0), "flagged, worst finding critical"),
            ("warning", "Warning", severity.get("warning", 0), "flagged, worst finding a warning"),
            ("info", "Info", severity.get("info", 0), "flagged, notes only"),
            ("invalid", "Invalid", status.get(ResultStatus.INVALID.value, 0), "not understood: not checked"),
            ("error", "Error", status.get(ResultStatus.ERROR.value, 0), "check failed: not checked"),
            ("not_covered", "Not covered", status.get(ResultStatus.NOT_COVERED.value, 0),
             "no rule pack covers the drug: not checked"),
            ("inactive", "Inactive", status.get(ResultStatus.INACTIVE.value, 0),
             "cancelled, completed or stopped: not alerted on"),
        ]  # fmt: skip
        items = []
        for key, label, value, hint in tiles:
            zero = " zero" if value == 0 and key != "orders" else ""
            items.append(
                f'<li class="tile tile-{key}{zero}" data-total="{key}">'
                f'<span class="tile-value">{value:,}</span>'
                f'<span class="tile-label">{_e(label)}</span>'
                f'<span class="tile-hint">{_e(hint)}</span></li>\n'
            )
        return f'<ul class="tiles" aria-label="Totals">\n{"".join(items)}</ul>\n'

    # --- charts ---------------------------------------------------------------------------------

    def _charts(self, summary: Summary) -> str:
        return (
            '<section class="card" aria-labelledby="status-heading">\n'
            '<h2 id="status-heading">Orders by status</h2>\n'
            f"{self._status_bar(summary)}"
            "</section>\n"
            '<section class="card" aria-labelledby="rules-heading">\n'
            '<h2 id="rules-heading">Findings by rule</h2>\n'
            '<p class="caption">Every finding in the run, one bar per rule, coloured by the '
            'rule\'s severity.<span class="js-only"> Click a bar to list its orders below.</span></p>\n'
            f"{self._rule_chart()}"
            "</section>\n"
        )

    def _status_bar(self, summary: Summary) -> str:
        # Percentages, not a viewBox: the bar stretches to the page while its text keeps its size.
        total = summary.orders
        counts = [(s, summary.by_status.get(s.value, 0)) for s in STATUSES]
        description = "; ".join(f"{STATUS_LABEL[s]}: {n:,} ({_percent(n, total)})" for s, n in counts)
        shapes = []
        if total == 0:
            shapes.append('<rect class="track" x="0" y="0" width="100%" height="100%"/>')
        x = 0.0
        for status, count in counts:
            if count == 0:
                continue
            width = 100 * count / total
            label = f"{STATUS_LABEL[status]}: {count:,} ({_percent(count, total)})"
            room = width * _STATUS_MIN_PX / 100  # the segment's width on a narrow (printed) page
            short = f"{count:,}"
            text = label if room >= 7.5 * len(label) + 14 else short if room >= 8 * len(short) + 10 else ""
            text_html = (
                f'<text class="segment-label" x="{x:.2f}%" dx="7" y="50%" dy="4.5">{_e(text)}</text>'
                if text
                else ""
            )
            shapes.append(
                f'<g class="segment" data-status="{status.value}" data-count="{count}">'
                f"<title>{_e(label)}</title>"
                f'<rect class="fill status-{status.value}" x="{x:.2f}%" y="0" width="{width:.2f}%" '
                f'height="100%"/>{text_html}</g>'
            )
            x += width
        legend = "".join(
            f'<li data-status="{s.value}"><span class="swatch status-{s.value}" aria-hidden="true">'
            f"</span>{STATUS_LABEL[s]} <strong>{n:,}</strong> "
            f'<span class="muted">({_percent(n, total)})</span></li>'
            for s, n in counts
        )
        return (
            f'<svg class="status-bar" width="100%" height="{_STATUS_BAR_HEIGHT}" role="img" '
            'aria-labelledby="status-title status-desc">'
            '<title id="status-title">Orders by status</title>'
            f'<desc id="status-desc">{_e(description)}</desc>'
            f"{''.join(shapes)}</svg>\n"
            f'<ul class="legend">{legend}</ul>\n'
        )

    def _sorted_rules(self) -> list[tuple[str, _RuleTally]]:
        """Critical rules first, then the most found, ties by rule id."""
        return sorted(self.rules.items(), key=lambda item: (-item[1].severity.rank, -item[1].count, item[0]))

    def _rule_chart(self) -> str:
        rules = self._sorted_rules()
        if not rules:
            return '<p class="empty">No findings.</p>\n'
        top = max(tally.count for _, tally in rules)
        height = _ROW_HEIGHT * len(rules) + 4
        description = "; ".join(
            f"{rule_id}: {_plural(t.count, 'finding')}, severity {t.severity.value}" for rule_id, t in rules
        )
        bars = []
        for index, (rule_id, tally) in enumerate(rules):
            y = 2 + index * _ROW_HEIGHT
            width = max(_BAR_MAX * tally.count / top, 2.0)
            count = f"{tally.count:,}"
            count_x = _LABEL_WIDTH + width + 8
            severity_x = count_x + 8.2 * len(count) + 6
            sev = tally.severity.value
            bars.append(
                f'<g class="bar" data-rule="{_e(rule_id)}" data-count="{tally.count}" '
                f'data-severity="{sev}">'
                f"<title>{_e(rule_id)}: {_e(tally.title)} ({_plural(tally.count, 'finding')}, "
                f"{sev})</title>"
                f'<text class="rule-id" x="0" y="{y + 14}">{_e(_clip(rule_id, _RULE_ID_CHARS))}</text>'
                f'<text class="rule-title" x="0" y="{y + 29}">'
                f"{_e(_clip(tally.title, _RULE_TITLE_CHARS))}</text>"
                f'<rect class="track" x="{_LABEL_WIDTH}" y="{y + 8}" width="{_BAR_MAX}" height="18" rx="3"/>'
                f'<rect class="fill sev-{sev}" x="{_LABEL_WIDTH}" y="{y + 8}" width="{width:.1f}" '
                'height="18" rx="3"/>'
                f'<text class="count" x="{count_x:.1f}" y="{y + 22}">{count}</text>'
                f'<text class="sev-word sev-text-{sev}" x="{severity_x:.1f}" y="{y + 22}">{sev}</text>'
                "</g>"
            )
        rows = "".join(
            f'<tr><th scope="row"><code>{_e(rule_id)}</code></th><td>{_e(t.title)}</td>'
            f'<td><span class="pill sev-{t.severity.value}">{t.severity.value}</span></td>'
            f'<td class="num">{t.count:,}</td></tr>'
            for rule_id, t in rules
        )
        return (
            f'<svg class="rule-chart" viewBox="0 0 {_CHART_WIDTH} {height}" width="100%" role="img" '
            'aria-labelledby="rules-title rules-desc">'
            '<title id="rules-title">Findings by rule</title>'
            f'<desc id="rules-desc">{_e(description)}</desc>'
            f"{''.join(bars)}</svg>\n"
            '<details class="data"><summary>Show as a table</summary>\n'
            '<table class="plain"><thead><tr><th scope="col">Rule</th><th scope="col">Title</th>'
            '<th scope="col">Severity</th><th scope="col" class="num">Findings</th></tr></thead>'
            f"<tbody>{rows}</tbody></table></details>\n"
        )

    # --- the table ------------------------------------------------------------------------------

    def _row(self, result: OrderResult) -> str:
        severity = result.severity
        sev = severity.value if severity else ""
        status = result.status.value
        rule_items: list[str] = []
        message_items: list[str] = []
        for finding in result.findings:
            rule_items.append(
                f'<li title="{_e(finding.title)}"><span class="dot sev-{finding.severity.value}" '
                f'aria-hidden="true"></span><code>{_e(finding.rule_id)}</code>'
                f'<span class="sr"> ({finding.severity.value})</span></li>'
            )
            message_items.append(f"<li>{_e(finding.message)}</li>")
        for error in result.errors:
            message_items.append(_error_item(error))
        message_items.extend(
            f'<li class="note"><span class="note-tag">note</span> {_e(w)}</li>' for w in result.warnings
        )
        rules = (
            f'<ul class="cell-list rules-list">{"".join(rule_items)}</ul>'
            if rule_items
            else '<span class="muted">—</span>'
        )
        messages = f'<ul class="cell-list">{"".join(message_items)}</ul>' if message_items else ""
        order = f"{_e(result.order_id)}" if result.order_id is not None else '<span class="muted">—</span>'
        patient = (
            f"{_e(result.patient_id)}" if result.patient_id is not None else '<span class="muted">—</span>'
        )
        severity_rank = severity.rank if severity else 0
        severity_cell = f'<span class="pill sev-{sev}">{sev}</span>' if sev else ""
        return (
            f'<tr class="row-{sev or "none"}" data-record="{result.record}" data-status="{status}" '
            f'data-severity="{sev}" data-rules="{_e(" ".join(f.rule_id for f in result.findings))}">'
            f'<td class="num" data-sort="{result.record}">{result.record}</td>'
            f'<td class="mono">{order}</td>'
            f'<td class="mono">{patient}</td>'
            f'<td class="mono source">{_e(result.source)}</td>'
            f"{_order_cells(result.record_data)}"
            f'<td data-sort="{_STATUS_RANK[result.status]}">'
            f'<span class="pill status-{status}">{status}</span></td>'
            f'<td data-sort="{severity_rank}">{severity_cell}</td>'
            f"<td>{rules}</td>"
            f'<td class="messages">{messages}</td>'
            "</tr>\n"
        )

    def _filters(self) -> str:
        def group(kind: str, label: str, values: Iterable[tuple[str, str, int]]) -> str:
            buttons = [
                f'<button type="button" data-filter="{kind}" data-value="all" aria-pressed="true">'
                f'All <span class="n">{len(self.rows):,}</span></button>'
            ]
            buttons.extend(
                f'<button type="button" data-filter="{kind}" data-value="{value}" aria-pressed="false">'
                f'{_e(text)} <span class="n">{count:,}</span></button>'
                for value, text, count in values
            )
            return (
                f'<div class="filter-group" role="group" aria-label="{_e(label)}">'
                f'<span class="filter-label" aria-hidden="true">{_e(label)}</span>{"".join(buttons)}</div>'
            )

        severities = [(s.value, s.value.capitalize(), self.row_severity.get(s.value, 0)) for s in SEVERITIES]
        statuses = [(s.value, STATUS_LABEL[s], self.row_status.get(s.value, 0)) for s in NEEDS_REVIEW]
        return (
            '<div class="controls">\n'
            '<input type="search" id="search" placeholder="Search orders, patients, rules, messages…" '
            'aria-label="Search the orders table" autocomplete="off" spellcheck="false">\n'
            f"{group('severity', 'Severity', severities)}\n"
            f"{group('status', 'Status', statuses)}\n"
            '<div class="rule-filter" id="rule-filter" hidden>Rule <code id="rule-filter-name"></code> '
            '<button type="button" id="rule-filter-clear">Show every rule</button></div>\n'
            "</div>\n"
        )

    def _table(self) -> str:
        kept = len(self.rows)
        parts = [
            '<section class="card" aria-labelledby="orders-heading">\n',
            '<h2 id="orders-heading">Orders that need review</h2>\n',
            '<p class="caption">Flagged, invalid and error orders, critical first, then in input order; '
            "passing orders are left out. Invalid and error orders were not checked and count as "
            "critical.</p>\n",
        ]
        if kept < self.needs_review:
            critical = len(self.must_see)
            parts.append(
                '<p class="truncation-note" role="note"><strong>Showing '
                f"{kept:,} of {self.needs_review:,} orders that need review: every critical, invalid "
                f"and error order ({critical:,}), and the first {len(self.others):,} of "
                f"{self.other_rows:,} with warnings or notes; see the CSV/JSONL output for all."
                "</strong></p>\n"
            )
        if not self.needs_review:
            parts.append('<p class="empty">No flagged, invalid or error orders.</p>\n</section>\n')
            return "".join(parts)
        columns = [
            ("#", "number", ' class="num"'),
            ("Order ID", "text", ""),
            ("Patient ID", "text", ""),
            ("Source", "text", ' class="source"'),
            *((label, "text", "") for _, label in ORDER_COLUMNS),
            ("Status", "number", ""),
            ("Severity", "number", ""),
            ("Rule(s)", "text", ""),
            ("Message(s)", "text", ""),
        ]
        severity_column = next(i for i, (name, _, _) in enumerate(columns) if name == "Severity")
        head = "".join(
            f'<th scope="col"{cls} aria-sort="{"descending" if index == severity_column else "none"}">'
            f'<button type="button" data-col="{index}" data-type="{kind}">{_e(name)}'
            '<span class="arrow" aria-hidden="true"></span></button></th>'
            for index, (name, kind, cls) in enumerate(columns)
        )
        parts += [
            self._filters(),
            f'<p class="count" id="visible-count" aria-live="polite">Showing {kept:,} of {kept:,} rows</p>\n',
            '<div class="table-wrap">\n<table class="orders" id="orders">\n',
            f"<thead><tr>{head}</tr></thead>\n<tbody>\n",
            *self.rows,
            "</tbody>\n</table>\n</div>\n",
            '<p class="empty" id="no-match" hidden>No orders match the search and filters.</p>\n',
            "</section>\n",
        ]
        return "".join(parts)

    def _footer(self, version: str) -> str:
        return (
            '<footer class="page">doseguard report'
            + (f" · rule pack version <code>{_e(version)}</code>" if version else "")
            + " · This page is a summary for review; the CSV or JSONL output carries every result.</footer>\n"
        )


def _order_cells(data: Any) -> str:
    """The order's drug, dose, route and frequency as its record wrote them (a dash when not stated)."""
    cells = []
    for name, _ in ORDER_COLUMNS:
        value = data.get(name) if isinstance(data, dict) else None
        text = _as_written(value)
        cells.append(
            f'<td class="order-field">{_e(text)}</td>'
            if text
            else '<td class="order-field"><span class="muted">—</span></td>'
        )
    return "".join(cells)


def _as_written(value: Any) -> str:
    """A record's value as text: text as it is, a structured value (FHIR) by the text it carries."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    text = getattr(value, "text", None)
    if isinstance(text, str):
        return text
    if isinstance(value, list):
        return "; ".join(_as_written(v) for v in value)
    return str(value)


def _error_item(error: ResultError) -> str:
    message = _e(error.message)
    if error.field:
        return f'<li class="problem"><code>{_e(error.field)}</code>: {message}</li>'
    return f'<li class="problem">{message}</li>'


# report.js never uses innerHTML, outerHTML, insertAdjacentHTML or document.write: the script never
# parses markup, it hides, shows and reorders rows that the server escaped.
@cache
def _asset(name: str) -> str:
    """A stylesheet or script of ``report_assets/`` (package data, shipped in the wheel), read once."""
    return (files("doseguard.io") / "report_assets" / name).read_text(encoding="utf-8")
