"""The annotated export: one row per order, its own columns as read, then what doseguard found.

What a pharmacist opens in a spreadsheet: the order as the export wrote it, and to its right
``doseguard_status``, ``doseguard_severity`` (invalid and error orders are ``critical``, as every
other output counts them), ``doseguard_rules`` (rule ids), ``doseguard_messages`` (the findings'
messages, then why an order was not checked, then notes) and ``doseguard_source`` (``file:line``: the
only locator of a line that could not be read at all). A column of the input with one of these names
is kept, and ours is written ``doseguard_status_2`` (then ``_3``...).

CSV: the input's columns in the order read, under the names its header wrote (``Order ID``, ``ORDER_MED_ID``
through a column map), the union over several inputs; rows go to a spooled temporary file until the run ends,
because a later input may bring a column the header must name. Every cell is made safe for a
spreadsheet (OWASP CSV injection: a leading ``=``, ``+``, ``-``, ``@``, tab or CR gets a ``'``).
JSON Lines: the record's own object with the same keys added (structured FHIR values as their text).
"""

from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import PurePath
from typing import IO, Any

import orjson

from doseguard.io.encoders import spreadsheet_safe
from doseguard.results import OrderResult, Summary

ANNOTATION_COLUMNS = (
    "doseguard_status", "doseguard_severity", "doseguard_rules", "doseguard_messages", "doseguard_source",
)  # fmt: skip
ANNOTATED_FORMATS = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl"}
RULES_SEPARATOR = "; "
MESSAGES_SEPARATOR = " | "  # messages hold "; " themselves; one row stays one line
_SPOOL_BYTES = 8 << 20


def annotated_format(path: str) -> str | None:
    """``csv`` or ``jsonl`` by the file's extension, or None for another."""
    return ANNOTATED_FORMATS.get(PurePath(path).suffix.lower())


def annotation_names(columns: Iterable[str]) -> tuple[str, ...]:
    """Our columns' names, each suffixed ``_2``, ``_3``... where the input has a column of that name."""
    taken = set(columns)
    names = []
    for name in ANNOTATION_COLUMNS:
        chosen, number = name, 1
        while chosen in taken:
            number += 1
            chosen = f"{name}_{number}"
        taken.add(chosen)
        names.append(chosen)
    return tuple(names)


def annotation(result: OrderResult) -> tuple[str, str, list[str], list[str], str]:
    """Status, worst severity ("" when none), rule ids, messages and source of one result."""
    severity = result.severity
    messages = [f.message for f in result.findings]
    messages += [str(e) for e in result.errors]
    messages += [f"note: {w}" for w in result.warnings]
    rules = [f.rule_id for f in result.findings]
    return result.status.value, severity.value if severity else "", rules, messages, result.source


def cell_text(value: Any) -> str:
    """A record's value as one cell: text as read, a list as a CSV cell lists (``a;b``), a structured
    value (FHIR) by its text, anything else as JSON."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    text = getattr(value, "text", None)
    if isinstance(text, str):
        return text
    if isinstance(value, list):
        return ";".join(cell_text(v) for v in value)
    return orjson.dumps(value, default=_json_default).decode()


def _json_default(value: Any) -> Any:
    text = getattr(value, "text", None)
    if isinstance(text, str):
        return text
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


class AnnotatedCsvWriter:
    """The annotated CSV: written on :meth:`close`, once every column is known."""

    def __init__(self, stream: IO[bytes], headers: Mapping[str, Mapping[str, str]] | None = None) -> None:
        """``headers``: each input's columns, by the names records hold them under, as its header
        wrote them (``ChunkReader.headers``): the export keeps the hospital's own column names."""
        self.stream = stream
        self.headers = headers if headers is not None else {}
        self.columns: dict[str, None] = {}  # the input's columns, in the order first met
        self.spool = tempfile.SpooledTemporaryFile(max_size=_SPOOL_BYTES)  # noqa: SIM115 (closed in close)

    def write(self, result: OrderResult) -> None:
        data = result.record_data if isinstance(result.record_data, dict) else {}
        written = self.headers.get(result.source.rpartition(":")[0])
        if written:  # "ORDER_MED_ID", not the order_id it was read as
            data = {written.get(name, name): value for name, value in data.items()}
        for name in data:
            if name not in self.columns:
                self.columns[name] = None
        cells = {str(name): cell_text(value) for name, value in data.items()}
        self.spool.write(orjson.dumps([cells, annotation(result)]) + b"\n")

    def close(self, summary: Summary) -> None:
        columns = [str(c) for c in self.columns]
        ours = annotation_names(columns)
        text = io.TextIOWrapper(self.stream, encoding="utf-8", newline="", write_through=True)
        rows = csv.writer(text, lineterminator="\r\n")
        rows.writerow([spreadsheet_safe(name) for name in (*columns, *ours)])
        self.spool.seek(0)
        for line in self.spool:
            cells, (status, severity, rules, messages, source) = orjson.loads(line)
            original = [cells.get(name, "") for name in columns]
            found = (status, severity, RULES_SEPARATOR.join(rules), MESSAGES_SEPARATOR.join(messages), source)
            rows.writerow([spreadsheet_safe(value) for value in (*original, *found)])
        self.spool.close()
        text.flush()
        text.detach()  # the caller owns and closes the byte stream
        self.stream.flush()


class AnnotatedJsonLinesWriter:
    """The annotated JSON Lines: each record's object with doseguard's keys added, as results come."""

    def __init__(self, stream: IO[bytes]) -> None:
        self.stream = stream

    def write(self, result: OrderResult) -> None:
        data = result.record_data if isinstance(result.record_data, dict) else {}
        names = annotation_names(map(str, data))
        line = dict(data)
        line.update(zip(names, annotation(result), strict=True))
        self.stream.write(orjson.dumps(line, default=_json_default) + b"\n")

    def close(self, summary: Summary) -> None:
        self.stream.flush()


def annotated_writer(
    kind: str, stream: IO[bytes], headers: Mapping[str, Mapping[str, str]] | None = None
) -> AnnotatedCsvWriter | AnnotatedJsonLinesWriter:
    if kind == "csv":
        return AnnotatedCsvWriter(stream, headers)
    if kind == "jsonl":
        return AnnotatedJsonLinesWriter(stream)
    raise ValueError(kind)
