"""Write results: JSON Lines, JSON, CSV (one row per finding), a terminal table, an HTML report.

Machine formats write bytes and accept either results or results the workers already encoded
(:mod:`doseguard.io.encoders` decides the bytes, so output is identical whatever the number of
workers). Human formats take the results themselves and write text.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping
from typing import IO, Any, Protocol

import orjson
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from doseguard.io.encoders import CSV_COLUMNS, JsonLineEncoder, csv_header, encode_csv_rows, spreadsheet_safe
from doseguard.printable import printable, printable_lines
from doseguard.results import UNCHECKED_ON_PURPOSE, OrderResult, ResultStatus, Summary

__all__ = [
    "CSV_COLUMNS",
    "HUMAN_FORMATS",
    "OUTPUT_FORMATS",
    "CsvWriter",
    "JsonLinesWriter",
    "JsonWriter",
    "ResultWriter",
    "TableWriter",
    "make_sink",
    "make_writer",
    "spreadsheet_safe",
    "write_all",
]

OUTPUT_FORMATS = ("table", "jsonl", "json", "csv", "html")
HUMAN_FORMATS = ("table", "html")
SEVERITY_STYLE = {"critical": "bold red", "warning": "yellow", "info": "cyan"}
STATUS_STYLE = {
    "pass": "green", "flagged": "yellow", "invalid": "magenta", "error": "bold red", "not_covered": "cyan",
    "inactive": "dim",
}  # fmt: skip


class ResultWriter(Protocol):
    def write(self, result: OrderResult) -> None: ...
    def close(self, summary: Summary) -> None: ...


class Sink(Protocol):
    """What the batch runner writes to: a chunk of results, encoded by a worker or not."""

    def write_chunk(self, outputs: list[Any]) -> None: ...
    def close(self, summary: Summary) -> None: ...


class _EncodedWriter:
    """A machine format: results are encoded to bytes, one item per result, then joined."""

    def __init__(self, stream: IO[bytes]) -> None:
        self.stream = stream

    def encode(self, result: OrderResult) -> bytes:
        raise NotImplementedError

    def write(self, result: OrderResult) -> None:
        self.write_chunk([result])

    def write_chunk(self, outputs: list[Any]) -> None:
        if outputs:
            self._write_encoded([o if isinstance(o, bytes) else self.encode(o) for o in outputs])

    def _write_encoded(self, encoded: list[bytes]) -> None:
        self.stream.write(b"".join(encoded))

    def close(self, summary: Summary) -> None:
        self.stream.flush()


class JsonLinesWriter(_EncodedWriter):
    def __init__(self, stream: IO[bytes]) -> None:
        super().__init__(stream)
        self.encode = JsonLineEncoder()  # type: ignore[method-assign]


class JsonWriter(_EncodedWriter):
    """``{"results":[...],"summary":{...}}``, streamed: results are never held in memory."""

    def __init__(self, stream: IO[bytes]) -> None:
        super().__init__(stream)
        self.encode = JsonLineEncoder()  # type: ignore[method-assign]
        self.first = True
        stream.write(b'{"results":[')

    def _write_encoded(self, encoded: list[bytes]) -> None:
        """Items are JSON lines, one or many to an item (a worker's chunk); an encoded line holds no
        newline but its last (orjson escapes them in strings), so each newline ends a result."""
        joined = b"".join(encoded)
        if joined:
            self.stream.write((b"\n" if self.first else b",\n") + joined[:-1].replace(b"\n", b",\n"))
            self.first = False

    def close(self, summary: Summary) -> None:
        self.stream.write(b'\n],"summary":' + orjson.dumps(summary.as_dict()) + b"}\n")
        self.stream.flush()


class CsvWriter(_EncodedWriter):
    """One row per finding (passing and unchecked orders get one row); opens cleanly in a spreadsheet."""

    def __init__(self, stream: IO[bytes]) -> None:
        super().__init__(stream)
        stream.write(csv_header())

    def encode(self, result: OrderResult) -> bytes:
        return encode_csv_rows(result)


class TableWriter:
    """A report for people: one row per finding of each flagged, invalid or failed order, then totals."""

    WIDE = 110
    """Below this many columns, severity, rule and message share one cell (80 columns stay readable)."""

    def __init__(self, stream: IO[str], *, color: bool | None = None, width: int | None = None) -> None:
        self.console = Console(
            file=stream, force_terminal=color, no_color=color is False, highlight=False, width=width
        )
        self.wide = self.console.width >= self.WIDE
        self.table = Table(title="doseguard report", expand=True)
        self.table.add_column("#", justify="right", no_wrap=True)
        self.table.add_column("order", overflow="fold", max_width=24 if self.wide else 14)
        self.table.add_column("status", no_wrap=True)
        if self.wide:
            self.table.add_column("severity", no_wrap=True)
            self.table.add_column("rule", no_wrap=True)
        self.table.add_column("finding" if not self.wide else "message", overflow="fold", ratio=1)
        self.shown = 0

    def _row(
        self, number: Any, order: Any, status: Any, severity: Text, rule: str, message: str, **kw: Any
    ) -> None:
        if self.wide:
            self.table.add_row(number, order, status, severity, Text(rule), Text(message), **kw)
        else:
            cell = Text.assemble(severity, " ", (rule, "bold"), "\n", message)
            self.table.add_row(number, order, status, cell, **kw)

    def write(self, result: OrderResult) -> None:
        if result.status is ResultStatus.PASS or (
            result.status in UNCHECKED_ON_PURPOSE and not result.findings
        ):
            return  # an inactive order is not alerted on; a not-covered one only by its notice
        self.shown += 1
        # Every cell is a Text, never markup, and its control characters are escapes: order ids and
        # messages come from the input (an ESC sequence in an order id erased the rows above it).
        number = Text(str(result.record))
        order = Text(f"{printable_lines(result.order_id or '?')}\n{printable_lines(result.source)}")
        status = Text(result.status.value, style=STATUS_STYLE[result.status.value])
        if not result.findings:
            problems = "\n".join(printable_lines(str(e)) for e in result.errors)
            critical = Text("critical", style=SEVERITY_STYLE["critical"])
            self._row(number, order, status, critical, "-", problems, end_section=True)
            return
        last = len(result.findings) - 1
        for index, finding in enumerate(result.findings):
            first = index == 0
            self._row(
                number if first else None,
                order if first else None,
                status if first else None,
                Text(finding.severity.value, style=SEVERITY_STYLE[finding.severity.value]),
                printable_lines(finding.rule_id),
                printable_lines(finding.message),
                end_section=index == last,
            )

    def close(self, summary: Summary) -> None:
        if self.shown:
            self.console.print(self.table)
        counts = summary.as_dict()
        status = counts["by_status"]
        severity = counts["flagged_by_highest_severity"]
        version = escape(printable(summary.rules_version))
        self.console.print(
            f"[bold]{summary.orders}[/] orders checked with rules {version}: "
            f"[green]{status['pass']} pass[/], [yellow]{status['flagged']} flagged[/] "
            f"({severity['critical']} critical, {severity['warning']} warning, {severity['info']} info), "
            f"[magenta]{status['invalid']} invalid[/], [bold red]{status['error']} error[/], "
            f"[cyan]{status['not_covered']} not covered[/], [dim]{status['inactive']} inactive[/]"
        )


class _TextSink:
    """A human format over a byte stream."""

    def __init__(self, stream: IO[bytes], make: Any) -> None:
        self.text = io.TextIOWrapper(stream, encoding="utf-8", newline="", write_through=True)
        self.writer: ResultWriter = make(self.text)

    def write_chunk(self, outputs: list[Any]) -> None:
        for result in outputs:
            self.writer.write(result)

    def close(self, summary: Summary) -> None:
        self.writer.close(summary)
        self.text.flush()
        self.text.detach()  # the caller owns and closes the byte stream


class _Tee:
    """The main output plus others (an HTML report, an annotated export), from the same results."""

    def __init__(self, main: Sink, *others: ResultWriter) -> None:
        self.main = main
        self.others = others

    def write_chunk(self, outputs: list[Any]) -> None:
        self.main.write_chunk(outputs)
        for other in self.others:
            for result in outputs:
                other.write(result)

    def close(self, summary: Summary) -> None:
        self.main.close(summary)
        for other in self.others:
            other.close(summary)


def make_sink(
    kind: str,
    stream: IO[bytes],
    report: ResultWriter | None = None,
    *,
    color: bool | None = None,
    also: tuple[ResultWriter, ...] = (),
    html_options: Mapping[str, Any] | None = None,
) -> Sink:
    """Where the batch runner writes ``kind`` output (and, optionally, an HTML report and the writers
    ``also`` too); ``html_options`` are the HTML report's header (inputs, overrides, time made)."""
    sink: Sink
    if kind == "jsonl":
        sink = JsonLinesWriter(stream)
    elif kind == "json":
        sink = JsonWriter(stream)
    elif kind == "csv":
        sink = CsvWriter(stream)
    elif kind == "table":
        sink = _TextSink(stream, lambda text: TableWriter(text, color=color))
    elif kind == "html":
        from doseguard.io.html_report import HtmlReportWriter  # noqa: PLC0415 (only for this format)

        sink = _TextSink(stream, lambda text: HtmlReportWriter(text, **(html_options or {})))
    else:
        raise ValueError(kind)
    others = (report, *also) if report is not None else also
    return _Tee(sink, *others) if others else sink


def make_writer(kind: str, stream: IO[bytes], *, color: bool | None = None) -> Sink:
    """A writer for ``kind`` on a byte stream (``write(result)`` or ``write_chunk(results)``)."""
    return make_sink(kind, stream, color=color)


def write_all(results: Iterable[OrderResult], writer: ResultWriter | Sink, summary: Summary) -> Summary:
    for result in results:
        summary.add(result)
        if hasattr(writer, "write"):
            writer.write(result)
        else:
            writer.write_chunk([result])
    writer.close(summary)
    return summary
