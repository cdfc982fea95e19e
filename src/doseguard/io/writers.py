"""Write results: JSON Lines, JSON, CSV (one row per finding) and a readable table.

Machine formats carry everything, one result per input record in input order. The CSV opens
cleanly in a spreadsheet: one row per finding (passing and invalid orders get one row too), and
cells that a spreadsheet would run as a formula are defused.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Iterator
from typing import IO, Any, Protocol

from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from doseguard.results import OrderResult, Status, Summary

OUTPUT_FORMATS = ("table", "jsonl", "json", "csv")
CSV_COLUMNS = (
    "record", "source", "order_id", "patient_id", "status", "rule_id", "severity", "message", "errors",
    "rules_version",
)  # fmt: skip
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
SEVERITY_STYLE = {"critical": "bold red", "warning": "yellow", "info": "cyan"}
STATUS_STYLE = {"pass": "green", "flagged": "yellow", "invalid": "magenta", "error": "bold red"}


class ResultWriter(Protocol):
    def write(self, result: OrderResult) -> None: ...
    def close(self, summary: Summary) -> None: ...


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


class JsonLinesWriter:
    def __init__(self, stream: IO[str]) -> None:
        self.stream = stream

    def write(self, result: OrderResult) -> None:
        self.stream.write(_dumps(result.as_dict()) + "\n")

    def close(self, summary: Summary) -> None:
        self.stream.flush()


class JsonWriter:
    """``{"results": [...], "summary": {...}}``, streamed: results are not held in memory."""

    def __init__(self, stream: IO[str]) -> None:
        self.stream = stream
        self.first = True
        self.stream.write('{"results":[')

    def write(self, result: OrderResult) -> None:
        self.stream.write(("\n" if self.first else ",\n") + _dumps(result.as_dict()))
        self.first = False

    def close(self, summary: Summary) -> None:
        self.stream.write('\n],"summary":' + _dumps(summary.as_dict()) + "}\n")
        self.stream.flush()


def spreadsheet_safe(value: object) -> str:
    """Text that a spreadsheet shows as text (OWASP CSV injection): a leading ' defuses formulas."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


class CsvWriter:
    def __init__(self, stream: IO[str]) -> None:
        self.writer = csv.writer(stream, lineterminator="\r\n")
        self.stream = stream
        self.writer.writerow(CSV_COLUMNS)

    def rows(self, result: OrderResult) -> Iterator[list[str]]:
        base = [str(result.record), result.source, result.order_id, result.patient_id, result.status.value]
        errors = "; ".join(
            f"{e['field']}: {e['message']}" if e.get("field") else e["message"] for e in result.errors
        )
        if not result.findings:
            yield [spreadsheet_safe(v) for v in (*base, "", "", "", errors, result.rules_version)]
        for finding in result.findings:
            cells = (
                *base,
                finding.rule_id,
                finding.severity.value,
                finding.message,
                errors,
                result.rules_version,
            )
            yield [spreadsheet_safe(v) for v in cells]

    def write(self, result: OrderResult) -> None:
        self.writer.writerows(self.rows(result))

    def close(self, summary: Summary) -> None:
        self.stream.flush()


class TableWriter:
    """A report for people: flagged, invalid and failed orders with their findings, then totals."""

    def __init__(self, stream: IO[str], *, color: bool | None = None) -> None:
        self.console = Console(file=stream, force_terminal=color, no_color=color is False, highlight=False)
        self.table = Table(title="doseguard report", expand=True)
        self.table.add_column("#", justify="right", no_wrap=True)
        self.table.add_column("order", overflow="fold", max_width=24)
        self.table.add_column("status", no_wrap=True)
        self.table.add_column("severity", no_wrap=True)
        self.table.add_column("rule", no_wrap=True)
        self.table.add_column("message", overflow="fold", ratio=1)
        self.shown = 0

    def write(self, result: OrderResult) -> None:
        if result.status is Status.PASS:
            return
        self.shown += 1
        # Every cell is a Text, never markup: order ids and messages come from the input.
        number = Text(str(result.record))
        order = Text(f"{result.order_id or '?'}\n{result.source}")
        status = Text(result.status.value, style=STATUS_STYLE[result.status.value])
        if not result.findings:
            problems = "\n".join(
                f"{e['field']}: {e['message']}" if e.get("field") else str(e["message"])
                for e in result.errors
            )
            critical = Text("critical", style=SEVERITY_STYLE["critical"])
            self.table.add_row(number, order, status, critical, Text("-"), Text(problems), end_section=True)
            return
        last = len(result.findings) - 1
        for index, finding in enumerate(result.findings):
            first = index == 0
            self.table.add_row(
                number if first else None,
                order if first else None,
                status if first else None,
                Text(finding.severity.value, style=SEVERITY_STYLE[finding.severity.value]),
                Text(finding.rule_id),
                Text(finding.message),
                end_section=index == last,
            )

    def close(self, summary: Summary) -> None:
        if self.shown:
            self.console.print(self.table)
        counts = summary.as_dict()
        status = counts["by_status"]
        severity = counts["flagged_by_highest_severity"]
        self.console.print(
            f"[bold]{summary.orders}[/] orders checked with rules {escape(summary.rules_version)}: "
            f"[green]{status['pass']} pass[/], [yellow]{status['flagged']} flagged[/] "
            f"({severity['critical']} critical, {severity['warning']} warning, {severity['info']} info), "
            f"[magenta]{status['invalid']} invalid[/], [bold red]{status['error']} error[/]"
        )


def make_writer(kind: str, stream: IO[str], *, color: bool | None = None) -> ResultWriter:
    if kind == "jsonl":
        return JsonLinesWriter(stream)
    if kind == "json":
        return JsonWriter(stream)
    if kind == "csv":
        return CsvWriter(stream)
    if kind == "table":
        return TableWriter(stream, color=color)
    raise ValueError(kind)


def write_all(results: Iterable[OrderResult], writer: ResultWriter, summary: Summary) -> Summary:
    for result in results:
        summary.add(result)
        writer.write(result)
    writer.close(summary)
    return summary
