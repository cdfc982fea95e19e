"""CSV (``.csv``): a header line naming order fields, then one order per row, cut into chunks of rows.

The file is opened by :mod:`doseguard.io.csv_open` (as patient-context files are), rows are cut by
:mod:`doseguard.io.csv_rows` (one bad quote spoils only its own line); the main process reads the
header and refuses a file whose rows the header would misread.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import IO

from doseguard.errors import FieldProblem, InputError
from doseguard.io.chunks import Chunk, ChunkKind, Cutter, cut_into_chunks
from doseguard.io.columns import ColumnMap, column_name, map_header
from doseguard.io.csv_open import open_csv, refuse_repeated_columns, without_repeated_headers
from doseguard.io.json_text import not_utf8_at
from doseguard.orders.codes import route_code
from doseguard.orders.model import RECORD_FIELDS
from doseguard.records import InputRecord


def read_chunks(cutter: Cutter, name: str, stream: IO[bytes]) -> Iterator[Chunk]:
    """A CSV, its delimiter read from its header (or from an Excel ``sep=;`` line before it)."""
    return _read_chunks(cutter, name, stream, None)


def read_tsv_chunks(cutter: Cutter, name: str, stream: IO[bytes]) -> Iterator[Chunk]:
    """Tab-separated values (``.tsv``): a CSV whose cells are separated by tabs."""
    return _read_chunks(cutter, name, stream, "\t")


def _read_chunks(cutter: Cutter, name: str, stream: IO[bytes], delimiter: str | None) -> Iterator[Chunk]:
    columns = cutter.columns
    known = set(RECORD_FIELDS) | (set(columns.by_column) if columns is not None else set())
    opened = open_csv(name, stream, delimiter, known)
    if opened is None:
        return
    cells = opened.cells
    spelled = _csv_header(name, opened.names, cells, known, columns)
    mapped = map_header(name, cells, columns)
    header = tuple(field or spelling for field, spelling in zip(mapped.names, spelled, strict=True))
    if mapped.missing is not None:
        cutter.note(f"{name}: {mapped.missing}")
    cutter.header(name, header, tuple(cell.strip().lstrip("\ufeff") for cell in cells))
    reader = opened.records
    reader.width, reader.header = len(header), spelled
    reader.single_line = frozenset(i for i, cell in enumerate(header) if cell in RECORD_FIELDS)
    items = without_repeated_headers(name, opened, RECORD_FIELDS, "an order")
    count = 0
    for chunk in cut_into_chunks(cutter, ChunkKind.ROWS, name, items, header=header):
        count += chunk.record_count
        yield chunk
    if mapped.ignored and count:
        cutter.ignored(mapped.ignored, count)


def records(chunk: Chunk) -> Iterator[InputRecord]:
    """Each row as a record named ``file:line``, its cells under the header's names."""
    name, header = chunk.name, chunk.header
    for line, row in chunk.items:
        yield row_record(f"{name}:{line}", header, row)


def _csv_header(
    name: str, header: tuple[str, ...], cells: list[str], known: set[str], columns: ColumnMap | None
) -> tuple[str, ...]:
    """The column names ("Order ID", "order_id" and "ORDER_ID" are one). A header naming no order
    field (nor a column of the map) is refused: it is most likely the first order of a file without a
    header line."""
    if not set(header) & known:
        shown = ",".join(cells)
        named = "order field (order_id, patient_id, drug, dose, ...)"
        if columns is not None:
            named = f"column of the map {columns.name} nor any {named}"
        raise InputError(
            name,
            f"the first line names no {named}: {_separated(shown, cells)}it reads {shown[:80]!r}",
        )
    refuse_repeated_columns(name, header)
    return header


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


def row_record(source: str, header: tuple[str, ...], row: list[str] | str) -> InputRecord:
    """One row under the header's names, or why not (a short row, bytes that are not UTF-8): every
    reader of CSV rows (orders, patient-context files) reads a row so."""
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
