"""The opening of a CSV file, for every reader of CSV: the orders (``io/csv_format.py``) and the
patient-context files (``io/history_rows.py``) open a file by these functions, so that a way of
writing a CSV that one of them reads (Excel's ``sep=;`` line, files joined with ``cat``, a BOM, CR
line ends, blank lines, a quoted line break, "Patient ID" for ``patient_id``) the other reads too.

What a header must name, and what a row becomes, stays each reader's own (an order, a lab result).
"""

from __future__ import annotations

import csv
import re
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass
from itertools import chain
from typing import IO

from doseguard.errors import InputError
from doseguard.io.columns import column_name
from doseguard.io.csv_rows import CsvRecords, Row, physical_lines
from doseguard.io.streams import refuse_utf16

DELIMITERS = (",", ";", "\t")
"""What separates a CSV's cells: commas, or semicolons and tabs as some exports (Excel in many
locales) write them; read from the header line."""

_EXCEL_SEPARATOR = re.compile(rb"\s*sep=(.)\s*")


@dataclass
class OpenedCsv:
    """A CSV read up to its header: the header line's cells as written, and the rows after it.

    ``records`` cuts the rows; the caller sets its ``width``, ``header`` and ``single_line`` once it
    has checked the header (a record may span lines only at the header's width)."""

    line: int  # the header's line (2 after an Excel "sep=" line)
    cells: list[str]
    records: CsvRecords
    rows: Iterator[Row]

    @property
    def names(self) -> tuple[str, ...]:
        """The header's column names as doseguard compares them ("Order ID" is ``order_id``)."""
        return tuple(column_name(cell) for cell in self.cells)


def open_csv(name: str, stream: IO[bytes], delimiter: str | None, known: Collection[str]) -> OpenedCsv | None:
    """``stream`` read up to its header, None when it holds no line: UTF-16 refused whole, an Excel
    ``sep=;`` first line naming the delimiter, else the delimiter (when None) the one that makes the
    header name the most of ``known``. A header line that cannot be read refuses the file."""
    lines = physical_lines(stream)  # BOMs dropped, LF, CRLF and CR line ends
    head = next(lines, b"")
    refuse_utf16(name, head)
    first_line = 1
    if (said := _EXCEL_SEPARATOR.fullmatch(head)) is not None:  # Excel's "sep=;" line: not the header
        delimiter = said.group(1).decode("latin-1")
        head, first_line = next(lines, b""), 2
    if delimiter is None:
        delimiter = sniff_delimiter(head, known)
    records = CsvRecords(delimiter)
    rows = records.rows(chain((head,), lines), first_line)
    first = next(rows, None)
    if first is None:
        return None
    line, cells = first
    if isinstance(cells, str):
        raise InputError(name, f"CSV header (line {line}): {cells}")
    return OpenedCsv(line, cells, records, rows)


def refuse_repeated_columns(name: str, header: tuple[str, ...]) -> None:
    """A header naming a column twice cannot say which cell is the field: the file is refused
    (unnamed cells are unknown columns, not repeats)."""
    duplicates = sorted({cell for cell in header if cell and header.count(cell) > 1})
    if duplicates:
        raise InputError(name, f"the header repeats the column(s) {', '.join(duplicates)}")


def sniff_delimiter(head: bytes, known: Collection[str]) -> str:
    """The delimiter that makes the header line name the most of ``known`` (more cells breaking a tie);
    a comma when none names one. Cells are parsed as CSV: a quoted comma is no delimiter."""
    line = head.decode("utf-8", "surrogateescape").rstrip("\r\n")
    best, score = ",", (0, 0)
    for delimiter in DELIMITERS:
        if delimiter not in line:
            continue
        try:
            cells = next(csv.reader([line], delimiter=delimiter), [])
        except csv.Error:
            continue
        named = sum(column_name(cell.strip('\ufeff "')) in known for cell in cells)
        if (named, len(cells)) > score and named:
            best, score = delimiter, (named, len(cells))
    return best


def without_repeated_headers(
    name: str, opened: OpenedCsv, known: Collection[str], noun: str = "a record"
) -> Iterator[Row]:
    """The rows after the header, a row that starts as a header does (files joined, ``cat a.csv
    b.csv``) looked at: the same header again is no record, said in place (``noun``: what a row is);
    another header means the rows after it have other columns, which the first line's would misread
    (a dose read as the drug), so the file is refused. One set lookup per row."""
    header = opened.names
    starts = frozenset(chain(*((text, "\ufeff" + text) for text in chain(opened.cells, known))))
    for item in opened.rows:
        cells = item[1]
        if type(cells) is list and cells[0] in starts:
            yield _header_again(name, header, item[0], cells, known, noun)
        else:
            yield item


def _header_again(
    name: str, header: tuple[str, ...], line: int, cells: list[str], known: Iterable[str], noun: str
) -> Row:
    names = tuple(column_name(cell) for cell in cells)
    if names == header:
        return line, f"the header line again (files joined?): not {noun}; the rows after it are read"
    if len(set(names) & set(known)) >= 2:  # a record holds no two column names
        raise InputError(
            name,
            f"line {line} is another header line, naming other columns than the first (files joined?): "
            "the rows after it would be read with the first line's columns; check the files one by one",
        )
    return line, cells
