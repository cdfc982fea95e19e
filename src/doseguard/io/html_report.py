"""An HTML report for people: totals, findings by rule, and the orders that need a second look.

One self-contained file: inline CSS, inline SVG charts and a little vanilla JavaScript (search,
filters, sorting), nothing fetched from the network, so it opens from disk and prints.

Everything that comes from the input (order ids, sources, messages) is escaped with
:func:`html.escape`, and the script never writes markup: it only hides, shows and reorders rows.
The same results give the same bytes: no timestamps, no random ids, ties broken by rule id.
Memory is bounded: at most ``max_rows`` table rows are kept; later ones are only counted (the
chart and the totals still cover every order).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from html import escape
from typing import IO, Any

from doseguard.printable import printable_lines
from doseguard.results import OrderResult, ResultStatus, Summary
from doseguard.rules.model import Severity

SEVERITIES = (Severity.CRITICAL, Severity.WARNING, Severity.INFO)  # most severe first
STATUSES = (ResultStatus.PASS, ResultStatus.FLAGGED, ResultStatus.INVALID, ResultStatus.ERROR)
NEEDS_REVIEW = (ResultStatus.FLAGGED, ResultStatus.INVALID, ResultStatus.ERROR)
STATUS_LABEL = {
    ResultStatus.PASS: "Pass",
    ResultStatus.FLAGGED: "Flagged",
    ResultStatus.INVALID: "Invalid",
    ResultStatus.ERROR: "Error",
}
_STATUS_RANK = {ResultStatus.PASS: 0, ResultStatus.FLAGGED: 1, ResultStatus.INVALID: 2, ResultStatus.ERROR: 3}

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

    def __init__(self, stream: IO[str], *, max_rows: int = 10_000, title: str = "doseguard report") -> None:
        if max_rows < 0:
            raise ValueError(f"max_rows must be 0 or more, not {max_rows}")
        self.stream = stream
        self.max_rows = max_rows
        self.title = title
        self.rows: list[str] = []  # rendered <tr> elements, at most max_rows
        self.needs_review = 0  # flagged, invalid and error orders, kept or not
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
        if result.status is ResultStatus.PASS:
            return
        self.needs_review += 1
        if len(self.rows) < self.max_rows:
            self.rows.append(self._row(result))
            severity = result.severity
            self.row_severity[severity.value if severity else ""] += 1
            self.row_status[result.status.value] += 1

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
            f"<style>{_CSS}</style>\n",
            "<script>document.documentElement.className = 'js';</script>\n",
            "</head>\n<body>\n<main>\n",
            self._header(summary, version),
            self._banner(summary),
            self._tiles(summary),
            self._charts(summary),
            self._table(),
            self._footer(version),
            "</main>\n",
            f"<script>{_JS}</script>\n",
            "</body>\n</html>\n",
        ]
        return "".join(parts)

    def _header(self, summary: Summary, version: str) -> str:
        version_html = f"<code>{_e(version)}</code>" if version else "unknown"
        return (
            '<header class="page">\n'
            f"<h1>{_e(self.title)}</h1>\n"
            '<p class="meta">Medication order check · '
            f'<span data-meta="rules-version">rule pack version {version_html}</span> · '
            f"{_plural(summary.orders, 'order')} checked</p>\n"
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
        ]
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
        return sorted(self.rules.items(), key=lambda item: (-item[1].count, item[0]))

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
            '<p class="caption">Flagged, invalid and error orders in input order; passing orders '
            "are left out. Invalid and error orders were not checked and count as critical.</p>\n",
        ]
        if kept < self.needs_review:
            parts.append(
                '<p class="truncation-note" role="note"><strong>Showing the first '
                f"{kept:,} of {self.needs_review:,} flagged, invalid and error orders; "
                "see the CSV/JSONL output for all.</strong></p>\n"
            )
        if not self.needs_review:
            parts.append('<p class="empty">No flagged, invalid or error orders.</p>\n</section>\n')
            return "".join(parts)
        columns = [
            ("#", "number", ' class="num"'),
            ("Order ID", "text", ""),
            ("Patient ID", "text", ""),
            ("Source", "text", ""),
            ("Status", "number", ""),
            ("Severity", "number", ""),
            ("Rule(s)", "text", ""),
            ("Message(s)", "text", ""),
        ]
        head = "".join(
            f'<th scope="col"{cls} aria-sort="{"ascending" if index == 0 else "none"}">'
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


def _error_item(error: dict[str, Any]) -> str:
    field = error.get("field")
    message = _e(error.get("message", ""))
    if field:
        return f'<li class="problem"><code>{_e(field)}</code>: {message}</li>'
    return f'<li class="problem">{message}</li>'


_CSS = """
:root {
  color-scheme: light;
  --critical-fill: #d92d20; --warning-fill: #f79009; --info-fill: #2e90fa;
  --critical: #b42318; --critical-bg: #fef3f2; --critical-line: #fecdca;
  --warning: #b54708; --warning-bg: #fffaeb; --warning-line: #fedf89;
  --info: #175cd3; --info-bg: #eff8ff; --info-line: #b2ddff;
  --pass: #067647; --pass-bg: #ecfdf3;
  --flagged: #f79009; --flagged-bg: #fff6ed;
  --invalid: #6941c6; --invalid-bg: #f4f3ff;
  --error: #344054; --error-bg: #f2f4f7;
  --text: #101828; --muted: #667085; --line: #e4e7ec; --page: #f5f6f8; --track: #f2f4f7;
  --mono: ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono", monospace;
}
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body {
  margin: 0; background: var(--page); color: var(--text);
  font: 14px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
}
main { max-width: 1240px; margin: 0 auto; padding: 28px 24px 40px; }
h1 { font-size: 26px; margin: 0 0 2px; letter-spacing: -0.01em; }
h2 { font-size: 17px; margin: 0 0 6px; }
code, .mono { font-family: var(--mono); font-size: 12.5px; }
.muted { color: var(--muted); }
.meta { margin: 0; color: var(--muted); }
.meta code { color: var(--text); }
.caption { margin: 0 0 14px; color: var(--muted); font-size: 13px; }
.sr {
  position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0);
  white-space: nowrap;
}
.banner { margin: 18px 0; padding: 12px 16px; border: 1px solid; border-radius: 8px; font-weight: 600; }
.banner-bad { background: var(--critical-bg); border-color: var(--critical-line); color: #912018; }
.banner-warn { background: var(--warning-bg); border-color: var(--warning-line); color: #93370d; }
.banner-good { background: var(--pass-bg); border-color: #abefc6; color: #05603a; }
.banner-none { background: #fff; border-color: var(--line); color: var(--muted); }
.tiles {
  display: grid; grid-template-columns: repeat(auto-fit, minmax(145px, 1fr)); gap: 12px;
  list-style: none; margin: 0 0 20px; padding: 0;
}
.tile {
  --accent: #344054; display: flex; flex-direction: column; background: #fff;
  border: 1px solid var(--line); border-top: 4px solid var(--accent); border-radius: 8px;
  padding: 12px 14px;
}
.tile-value {
  font-size: 32px; font-weight: 700; line-height: 1.1; color: var(--accent);
  font-variant-numeric: tabular-nums;
}
.tile-label { font-weight: 600; margin-top: 4px; }
.tile-hint { color: var(--muted); font-size: 12px; }
.tile-orders { --accent: #101828; }
.tile-pass { --accent: var(--pass); }
.tile-critical { --accent: var(--critical); }
.tile-warning { --accent: var(--warning); }
.tile-info { --accent: var(--info); }
.tile-invalid { --accent: var(--invalid); }
.tile-error { --accent: var(--error); }
.tile.zero { border-top-color: var(--line); }
.tile.zero .tile-value { color: #98a2b3; }
.card {
  background: #fff; border: 1px solid var(--line); border-radius: 10px; padding: 18px 22px;
  margin: 0 0 20px;
}
svg { display: block; overflow: visible; }
svg text { font-family: inherit; }
.track { fill: var(--track); }
.fill.sev-critical { fill: var(--critical-fill); }
.fill.sev-warning { fill: var(--warning-fill); }
.fill.sev-info { fill: var(--info-fill); }
.fill.status-pass { fill: var(--pass); } .fill.status-flagged { fill: var(--flagged); }
.fill.status-invalid { fill: var(--invalid); } .fill.status-error { fill: var(--error); }
.segment + .segment .fill { stroke: #fff; stroke-width: 2; }
.segment-label { fill: #fff; font-size: 13px; font-weight: 600; }
.segment[data-status="flagged"] .segment-label { fill: #4e1d09; }
.status-bar { height: 30px; margin: 6px 0 10px; border-radius: 5px; overflow: hidden; }
.legend {
  display: flex; flex-wrap: wrap; gap: 6px 22px; list-style: none; margin: 0; padding: 0;
  font-size: 13px;
}
.swatch {
  display: inline-block; width: 11px; height: 11px; border-radius: 3px; margin-right: 6px;
  vertical-align: -1px;
}
.swatch.status-pass { background: var(--pass); } .swatch.status-flagged { background: var(--flagged); }
.swatch.status-invalid { background: var(--invalid); }
.swatch.status-error { background: var(--error); }
.rule-chart { margin-top: 4px; }
.rule-chart .rule-id { font: 600 12.5px var(--mono); fill: var(--text); }
.rule-chart .rule-title { font-size: 11.5px; fill: var(--muted); }
.rule-chart .count {
  font-size: 13.5px; font-weight: 700; fill: var(--text); font-variant-numeric: tabular-nums;
}
.rule-chart .sev-word {
  font-size: 11.5px; font-weight: 600; text-transform: uppercase; letter-spacing: 0.04em;
}
.sev-text-critical { fill: var(--critical); }
.sev-text-warning { fill: var(--warning); }
.sev-text-info { fill: var(--info); }
.js .rule-chart .bar { cursor: pointer; }
.rule-chart .bar:hover .fill { opacity: 0.82; }
.rule-chart .bar:hover .track { fill: #e4e7ec; }
details.data { margin-top: 10px; font-size: 13px; }
details.data summary { cursor: pointer; color: var(--muted); }
table { border-collapse: collapse; width: 100%; }
table.plain { margin-top: 8px; }
table.plain th, table.plain td {
  text-align: left; padding: 5px 10px; border-bottom: 1px solid var(--line);
}
.num { text-align: right; font-variant-numeric: tabular-nums; }
.pill {
  display: inline-block; padding: 1px 8px; border-radius: 999px; font-size: 11.5px; font-weight: 700;
  text-transform: uppercase; letter-spacing: 0.03em; border: 1px solid transparent; white-space: nowrap;
}
.pill.sev-critical {
  color: var(--critical); background: var(--critical-bg); border-color: var(--critical-line);
}
.pill.sev-warning {
  color: var(--warning); background: var(--warning-bg); border-color: var(--warning-line);
}
.pill.sev-info { color: var(--info); background: var(--info-bg); border-color: var(--info-line); }
.pill.status-flagged { color: #b93815; background: var(--flagged-bg); border-color: #f9dbaf; }
.pill.status-invalid { color: var(--invalid); background: var(--invalid-bg); border-color: #d9d6fe; }
.pill.status-error { color: #fff; background: var(--error); }
.pill.status-pass { color: var(--pass); background: var(--pass-bg); }
.dot {
  display: inline-block; width: 8px; height: 8px; border-radius: 50%; margin-right: 6px;
  vertical-align: 1px;
}
.dot.sev-critical { background: var(--critical-fill); }
.dot.sev-warning { background: var(--warning-fill); }
.dot.sev-info { background: var(--info-fill); }
.controls { display: flex; flex-wrap: wrap; align-items: center; gap: 10px 18px; margin: 4px 0 10px; }
.no-js .controls, .no-js #visible-count, .no-js .js-only { display: none; }
#search {
  flex: 1 1 280px; max-width: 420px; padding: 8px 12px; font: inherit; color: inherit;
  border: 1px solid #d0d5dd; border-radius: 8px; background: #fff;
}
#search:focus { outline: 2px solid #84adff; outline-offset: 1px; border-color: #84adff; }
.filter-group { display: inline-flex; align-items: center; gap: 4px; flex-wrap: wrap; }
.filter-label {
  font-size: 12px; font-weight: 600; color: var(--muted); margin-right: 4px; text-transform: uppercase;
  letter-spacing: 0.04em;
}
.filter-group button {
  font: inherit; font-size: 13px; padding: 4px 10px; border: 1px solid #d0d5dd; border-radius: 999px;
  background: #fff; color: var(--text); cursor: pointer;
}
.filter-group button .n { color: var(--muted); font-size: 12px; margin-left: 2px; }
.filter-group button[aria-pressed="true"] { background: #101828; border-color: #101828; color: #fff; }
.filter-group button[aria-pressed="true"] .n { color: #d0d5dd; }
.filter-group button:focus-visible, th button:focus-visible {
  outline: 2px solid #84adff; outline-offset: 1px;
}
.rule-filter {
  display: inline-flex; align-items: center; gap: 6px; font-size: 13px; padding: 3px 4px 3px 10px;
  border-radius: 999px; background: #eef4ff; border: 1px solid #c7d7fe;
}
.rule-filter[hidden] { display: none; }
.rule-filter button {
  font: inherit; font-size: 12px; border: 0; border-radius: 999px; padding: 2px 8px; background: #fff;
  cursor: pointer;
}
.count { margin: 0 0 8px; font-size: 13px; color: var(--muted); }
.truncation-note {
  margin: 0 0 12px; padding: 10px 14px; border-radius: 8px; background: var(--warning-bg);
  border: 1px solid var(--warning-line); color: #93370d;
}
.empty { color: var(--muted); font-style: italic; margin: 8px 0; }
.table-wrap { overflow-x: auto; border: 1px solid var(--line); border-radius: 8px; }
table.orders { font-size: 13px; }
table.orders th {
  background: #f9fafb; text-align: left; font-size: 12px;
  border-bottom: 1px solid var(--line); padding: 0; white-space: nowrap;
}
th button {
  all: unset; display: block; padding: 8px 10px; cursor: pointer; font-weight: 700; color: #344054;
  text-transform: uppercase; letter-spacing: 0.03em; font-size: 11.5px;
}
th.num button { text-align: right; }
th[aria-sort="ascending"] .arrow::after { content: " \\25B2"; font-size: 9px; }
th[aria-sort="descending"] .arrow::after { content: " \\25BC"; font-size: 9px; }
.no-js th button { cursor: default; }
table.orders td { padding: 8px 10px; border-bottom: 1px solid var(--line); vertical-align: top; }
table.orders tbody tr:last-child td { border-bottom: 0; }
table.orders tbody tr:hover td { background: #fcfcfd; }
table.orders td:first-child { border-left: 4px solid transparent; color: var(--muted); }
tr.row-critical td:first-child { border-left-color: var(--critical-fill); }
tr.row-warning td:first-child { border-left-color: var(--warning-fill); }
tr.row-info td:first-child { border-left-color: var(--info-fill); }
td.source { color: var(--muted); font-size: 12px; word-break: break-all; min-width: 120px; }
td.mono { white-space: nowrap; }
td.messages { min-width: 280px; overflow-wrap: anywhere; }
td.messages li { white-space: pre-line; }
.cell-list { list-style: none; margin: 0; padding: 0; }
.cell-list li + li { margin-top: 4px; }
.rules-list li { white-space: nowrap; }
.cell-list code { white-space: nowrap; }
.problem code { color: var(--invalid); }
.note { color: var(--muted); font-size: 12px; }
.note-tag {
  font-size: 10.5px; font-weight: 700; text-transform: uppercase; border: 1px solid var(--line);
  border-radius: 4px; padding: 0 4px;
}
footer.page { color: var(--muted); font-size: 12px; margin-top: 24px; text-align: center; }
@media (max-width: 720px) { main { padding: 16px 12px; } .tile-value { font-size: 26px; } }
@media print {
  @page { margin: 12mm; }
  body { background: #fff; font-size: 10px; }
  h1 { font-size: 20px; }
  h2 { font-size: 14px; }
  .caption, .legend, .banner { font-size: 10px; }
  code, .mono { font-size: 8.5px; }
  td.source { font-size: 8px; }
  .pill { font-size: 8px; padding: 0 5px; }
  .tile { padding: 8px 10px; }
  .tile-value { font-size: 22px; }
  .tile-hint { font-size: 9px; }
  main { max-width: none; padding: 0; }
  * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  .controls, #visible-count, details.data summary, .js-only { display: none; }
  .card, .tiles, .tile { break-inside: avoid; }
  .card { border: 0; padding: 0; margin-bottom: 14px; }
  .card:last-of-type { break-inside: auto; }
  .table-wrap { overflow: visible; border: 0; }
  table.orders { font-size: 9px; }
  table.orders td, th button { padding: 4px 5px; }
  th button { font-size: 8.5px; }
  h2 { break-after: avoid; }
  footer.page { font-size: 9px; }
  td.mono, td.source, .rules-list li, .cell-list code { white-space: normal; overflow-wrap: anywhere; }
  td.messages, td.source { min-width: 0; }
  table.orders tr { break-inside: avoid; }
  table.orders thead { display: table-header-group; }
  th .arrow { display: none; }
}
"""

# No innerHTML, outerHTML, insertAdjacentHTML or document.write: the script never parses markup,
# it hides, shows and reorders rows that the server escaped.
_JS = """
(function () {
  "use strict";
  var table = document.getElementById("orders");
  var search = document.getElementById("search");
  var counter = document.getElementById("visible-count");
  var noMatch = document.getElementById("no-match");
  var rows = table ? Array.prototype.slice.call(table.tBodies[0].rows) : [];
  var texts = rows.map(function (row) { return row.textContent.toLowerCase(); });
  var ruleFilter = document.getElementById("rule-filter");
  var ruleName = document.getElementById("rule-filter-name");
  var state = { severity: "all", status: "all", query: "", rule: "" };

  function hasRule(row) {
    return (" " + row.getAttribute("data-rules") + " ").indexOf(" " + state.rule + " ") !== -1;
  }

  function apply() {
    var shown = 0;
    rows.forEach(function (row, i) {
      var visible = (state.severity === "all" || row.getAttribute("data-severity") === state.severity) &&
        (state.status === "all" || row.getAttribute("data-status") === state.status) &&
        (state.query === "" || texts[i].indexOf(state.query) !== -1) &&
        (state.rule === "" || hasRule(row));
      row.hidden = !visible;
      if (visible) { shown += 1; }
    });
    if (counter) { counter.textContent = "Showing " + shown + " of " + rows.length + " rows"; }
    if (noMatch) { noMatch.hidden = shown !== 0 || rows.length === 0; }
  }

  if (search) {
    search.addEventListener("input", function () {
      state.query = search.value.trim().toLowerCase();
      apply();
    });
  }

  Array.prototype.forEach.call(document.querySelectorAll("button[data-filter]"), function (button) {
    button.addEventListener("click", function () {
      var kind = button.getAttribute("data-filter");
      state[kind] = button.getAttribute("data-value");
      Array.prototype.forEach.call(
        document.querySelectorAll('button[data-filter="' + kind + '"]'),
        function (other) { other.setAttribute("aria-pressed", other === button ? "true" : "false"); }
      );
      apply();
    });
  });

  function key(row, column, numeric) {
    var cell = row.cells[column];
    var value = cell.getAttribute("data-sort");
    if (value === null) { value = cell.textContent.trim(); }
    return numeric ? Number(value) : value.toLowerCase();
  }

  if (table) {
    var headers = Array.prototype.slice.call(table.tHead.rows[0].cells);
    Array.prototype.forEach.call(table.querySelectorAll("th button[data-col]"), function (button) {
      button.addEventListener("click", function () {
        var column = Number(button.getAttribute("data-col"));
        var numeric = button.getAttribute("data-type") === "number";
        var header = button.parentNode;
        var current = header.getAttribute("aria-sort");
        var direction = current === "ascending" ? "descending" :
          current === "descending" ? "ascending" : (numeric && column > 0 ? "descending" : "ascending");
        headers.forEach(function (th) { th.setAttribute("aria-sort", "none"); });
        header.setAttribute("aria-sort", direction);
        var sign = direction === "ascending" ? 1 : -1;
        var record = function (row) { return Number(row.getAttribute("data-record")); };
        var sorted = rows.slice().sort(function (a, b) {
          var x = key(a, column, numeric);
          var y = key(b, column, numeric);
          var order = numeric ? x - y : (x < y ? -1 : x > y ? 1 : 0);
          return order !== 0 ? sign * order : record(a) - record(b);
        });
        var body = table.tBodies[0];
        sorted.forEach(function (row) { body.appendChild(row); });
      });
    });
  }

  function showRule(rule) {
    state.rule = rule;
    if (ruleFilter) { ruleFilter.hidden = rule === ""; }
    if (ruleName) { ruleName.textContent = rule; }
    apply();
  }

  var clear = document.getElementById("rule-filter-clear");
  if (clear) { clear.addEventListener("click", function () { showRule(""); }); }

  Array.prototype.forEach.call(document.querySelectorAll(".rule-chart .bar"), function (bar) {
    bar.addEventListener("click", function () {
      if (!table) { return; }
      showRule(bar.getAttribute("data-rule"));
      table.scrollIntoView({ behavior: "smooth", block: "start" });
    });
  });
})();
"""
