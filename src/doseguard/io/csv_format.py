"""CSV (``.csv``): a header line naming order fields, then one order per row, cut into chunks of rows.

Rows are cut by :mod:`doseguard.io.csv_rows` (one bad quote spoils only its own line); the main
process reads the header and refuses a file whose rows the header would misread.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from itertools import chain
from typing import IO

from doseguard.errors import FieldProblem, InputError
from doseguard.io.chunks import Chunk, ChunkKind, Cutter, cut_into_chunks
from doseguard.io.columns import ColumnMap, column_name, map_header
from doseguard.io.csv_rows import CsvRecords, Row, physical_lines
from doseguard.io.json_text import not_utf8_at
from doseguard.io.streams import refuse_utf16
from doseguard.orders.codes import route_code
from doseguard.orders.model import RECORD_FIELDS
from doseguard.records import InputRecord

DELIMITERS = (",", ";", "\t")
"""What separates a CSV's cells: commas, or semicolons and tabs as some exports (Excel in many
locales) write them; read from the header line."""

_EXCEL_SEPARATOR = re.compile(rb"\s*sep=(.)\s*")


def read_chunks(cutter: Cutter, name: str, stream: IO[bytes]) -> Iterator[Chunk]:
    """A CSV, its delimiter read from its header (or from an Excel ``sep=;`` line before it)."""
    return _read_chunks(cutter, name, stream, None)


def read_tsv_chunks(cutter: Cutter, name: str, stream: IO[bytes]) -> Iterator[Chunk]:
    """Tab-separated values (``.tsv``): a CSV whose cells are separated by tabs."""
    return _read_chunks(cutter, name, stream, "\t")


def _read_chunks(cutter: Cutter, name: str, stream: IO[bytes], delimiter: str | None) -> Iterator[Chunk]:
    lines = physical_lines(stream)
    head = next(lines, b"")
    refuse_utf16(name, head)
    first_line = 1
    if (said := _EXCEL_SEPARATOR.fullmatch(head)) is not None:  # Excel's "sep=;" line: not the header
        delimiter = said.group(1).decode("latin-1")
        head, first_line = next(lines, b""), 2
    columns = cutter.columns
    if delimiter is None:
        delimiter = _delimiter(head, columns)
    reader = CsvRecords(delimiter)
    rows = reader.rows(chain((head,), lines), first_line)
    first = next(rows, None)
    if first is None:
        return
    line, cells = first
    if isinstance(cells, str):
        raise InputError(name, f"CSV header (line {line}): {cells}")
    spelled = _csv_header(name, cells, columns)
    mapped = map_header(name, cells, columns)
    header = tuple(field or spelling for field, spelling in zip(mapped.names, spelled, strict=True))
    if mapped.missing is not None:
        cutter.note(f"{name}: {mapped.missing}")
    cutter.header(name, header, tuple(cell.strip().lstrip("\ufeff") for cell in cells))
    reader.width, reader.header = len(header), spelled
    reader.single_line = frozenset(i for i, cell in enumerate(header) if cell in RECORD_FIELDS)
    starts = frozenset(chain(*((text, "\ufeff" + text) for text in chain(cells, RECORD_FIELDS))))
    items = (  # one set lookup per row: a header again?
        _header_again(name, spelled, item[0], item[1])
        if type(item[1]) is list and item[1][0] in starts
        else item
        for item in rows
    )
    count = 0
    for chunk in cut_into_chunks(cutter, ChunkKind.ROWS, name, items, header=header):
        count += chunk.record_count
        yield chunk
    if mapped.ignored and count:
        cutter.ignored(mapped.ignored, count)


def _delimiter(head: bytes, columns: ColumnMap | None) -> str:
    """The delimiter that makes the header line name the most order fields (or the map's columns);
    a comma when none names more than it. Cells are parsed as CSV: a quoted comma is no delimiter."""
    line = head.decode("utf-8", "surrogateescape").rstrip("\r\n")
    known = set(RECORD_FIELDS) | (set(columns.by_column) if columns is not None else set())
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


def records(chunk: Chunk) -> Iterator[InputRecord]:
    """Each row as a record named ``file:line``, its cells under the header's names."""
    name, header = chunk.name, chunk.header
    for line, row in chunk.items:
        yield _from_row(f"{name}:{line}", header, row)


def _csv_header(name: str, cells: list[str], columns: ColumnMap | None) -> tuple[str, ...]:
    """The column names ("Order ID", "order_id" and "ORDER_ID" are one). A header naming no order
    field (nor a column of the map) is refused: it is most likely the first order of a file without a
    header line."""
    header = tuple(column_name(cell.lstrip("\ufeff")) for cell in cells)
    known = set(RECORD_FIELDS) | (set(columns.by_column) if columns is not None else set())
    if not set(header) & known:
        shown = ",".join(cells)
        named = "order field (order_id, patient_id, drug, dose, ...)"
        if columns is not None:
            named = f"column of the map {columns.name} nor any {named}"
        raise InputError(
            name,
            f"the first line names no {named}: {_separated(shown, cells)}it reads {shown[:80]!r}",
        )
    duplicates = sorted({cell for cell in header if cell and header.count(cell) > 1})  # unnamed: unknown
    if duplicates:
        raise InputError(name, f"the header repeats the column(s) {', '.join(duplicates)}")
    return header


def _header_again(name: str, header: tuple[str, ...], line: int, cells: list[str]) -> Row:
    """A row that starts as a header does (files joined, ``cat a.csv b.csv``): the same header is not an
    order; another header means the rows after it have other columns, which the first line's would
    misread (a dose read as the drug), so the input is refused."""
    names = tuple(column_name(cell.strip().lstrip("\ufeff")) for cell in cells)
    if names == header:
        return line, "the header line again (files joined?): not an order; the rows after it are read"
    if len(set(names) & set(RECORD_FIELDS)) >= 2:  # an order holds no two field names
        raise InputError(
            name,
            f"line {line} is another header line, naming other columns than the first (files joined?): "
            "the rows after it would be read with the first line's columns; check the files one by one",
        )
    return line, cells


def _separated(header: str, cells: list[str]) -> str:
    """Why a header names no field: its fields separated by another character, or no header at all
    (a first line holding numbers or routes is an order, not column names)."""
    names = {column_name(cell.strip().strip('"')) for cell in header.split("|")}
    if names & set(RECORD_FIELDS):
        return "its columns are separated by '|' (export it with commas, semicolons or tabs); "
    parts = [part.strip().strip('"') for cell in cells for part in re.split(r"[;\t|]", cell)]
    if any(_DATA.match(part) or route_code(part) is not None for part in parts if part):
        return "it looks like an order, not a header: the file seems to have no header line (add one); "
    return "a CSV needs a header line naming order fields (or --columns to read an export's own); "


_DATA = re.compile(r"\s*[-+]?\.?\d")
"""A cell that starts with a number: an id, a dose, a date; not a column name."""


def _from_row(source: str, header: tuple[str, ...], row: list[str] | str) -> InputRecord:
    if isinstance(row, str):
        return InputRecord(source, error=row)
    if len(row) != len(header):  # a short row is a truncated line, not cells "not stated"
        return InputRecord(source, error=f"the row has {len(row)} cells but the header has {len(header)}")
    if _has_surrogates(row):
        return _not_utf8(source, header, row)
    return InputRecord(source, dict(zip(header, row, strict=True)))


def _not_utf8(source: str, header: tuple[str, ...], row: list[str]) -> InputRecord:
    """The row invalid, naming each cell that is not UTF-8 and its first bad byte (a µ in Latin-1 is
    0xB5); the cells that are UTF-8 kept, so that the result shows the order's ids if they are sure."""
    good: dict[str, str] = {}
    problems = []
    for name, cell in zip(header, row, strict=True):
        try:
            cell.encode("utf-8")
        except UnicodeEncodeError as error:
            raw = cell.encode("utf-8", "surrogateescape")
            byte = ord(cell[error.start]) - 0xDC00  # surrogateescape keeps a bad byte as U+DC80-U+DCFF
            problems.append(
                FieldProblem(
                    name,
                    not_utf8_at(byte, f"character {error.start + 1}"),
                    raw.decode("utf-8", "backslashreplace"),
                )
            )
        else:
            good[name] = cell
    return InputRecord(source, good, problems=tuple(problems))


def _has_surrogates(cells: list[str]) -> bool:
    """Bytes that were not UTF-8 (decoded as lone surrogates), tested in C, not character by character."""
    text = "".join(cells)
    if text.isascii():
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False
