"""Cut CSV into records line by line, so that one bad quote spoils only its own line.

Python's ``csv.reader`` on a stream trusts every quote: one unclosed quote swallowed every row after it,
and a cell over its field limit made it restart mid-cell, turning the cell's text into phantom orders.
Here a record is a physical line unless a quoted cell really spans lines: a record that opens a quote
is followed line by line, and if it never closes, or what it swallowed is not one well-formed row, its
first line is reported as invalid and the lines after it are read again as records of their own.
"""

from __future__ import annotations

import csv
import tempfile
from collections.abc import Generator, Iterable, Iterator
from itertools import chain
from typing import IO

from doseguard.io.streams import refuse_utf16, without_bom

CELL_LIMIT = 131_072
"""Longest cell accepted, in characters (the csv module's default limit)."""

KEPT = 4 * CELL_LIMIT
"""Bytes of a record spanning lines kept in memory; beyond, its lines go to a temporary file."""

SPOOLED_CELL_LIMIT = 64 << 20
"""Longest cell the csv module may build while a spooled record is parsed (memory bound)."""

READ_BLOCK = 1 << 20
UNCLOSED = "unexpected end of data"  # csv's words (strict mode) for a line ending inside a quote

Row = tuple[int, list[str] | str]
"""A record: its first line's number, and its cells, or why it cannot be read."""


def physical_lines(stream: IO[bytes]) -> Iterator[bytes]:
    """The stream's lines with their ends (LF, CRLF or CR), the BOMs it starts with dropped."""
    lines = _lines(stream)
    first = next(lines, None)
    if first is not None:
        yield without_bom(first)
        yield from lines


def text_lines(name: str, stream: IO[bytes]) -> Iterator[tuple[int, bytes]]:
    """A JSON Lines file's lines that are not blank, numbered from 1 and without their ends; a UTF-16
    file is refused whole (:func:`~doseguard.io.streams.refuse_utf16`), by its first line."""
    for number, line in enumerate(physical_lines(stream), 1):
        raw = line.rstrip(b"\r\n")
        if number == 1:
            refuse_utf16(name, raw)
        if raw.strip():
            yield number, raw


def _lines(stream: IO[bytes]) -> Iterator[bytes]:
    """A line longer than a block is gathered in a list, not by repeated concatenation (quadratic)."""
    pending: list[bytes] = []  # the pieces of a part line, or one line ending in CR (LF may follow)
    while block := stream.read(READ_BLOCK):
        if pending and pending[-1].endswith(b"\r"):
            if block.startswith(b"\n"):
                pending.append(b"\n")
                block = block[1:]
            yield b"".join(pending)
            pending = []
        if b"\n" not in block and b"\r" not in block:
            if block:
                pending.append(block)
            continue
        if pending:
            pending.append(block)
            block = b"".join(pending)
            pending = []
        lines = block.splitlines(keepends=True)
        if not lines[-1].endswith(b"\n"):
            pending.append(lines.pop())
        yield from lines
    if pending:
        yield b"".join(pending)


def _text(line: bytes) -> str:
    return line.decode("utf-8", "surrogateescape")


def _parse(lines: Iterable[str], delimiter: str = ",") -> list[list[str]] | str:
    """Rows of ``lines`` read strictly (a quote must close before a delimiter), or csv's complaint.

    csv's own field limit is lifted (to a bound on memory) while :meth:`CsvRecords.rows` runs: a cell
    over ``CELL_LIMIT`` is refused by :meth:`CsvRecords._checked`, naming its column, once the record is
    known to end where it ends."""
    try:
        return list(csv.reader(lines, strict=True, delimiter=delimiter))
    except csv.Error as error:
        return str(error)


class CsvRecords:
    """(line, cells or error) of each record of a CSV, in order; ``width`` (the header's) is set by the
    caller once it has the header, and only a record of that width may span lines. ``delimiter``
    separates cells (``,``; ``;`` and tabs as some exports write them)."""

    def __init__(self, delimiter: str = ",") -> None:
        self.delimiter = delimiter
        self.width: int | None = None  # None: any (the header)
        self.header: tuple[str, ...] = ()
        self.single_line: frozenset[int] = frozenset()  # columns that never hold a line break
        self._start = 0  # first line of an open record spanning lines (0: none)
        self._end = 0  # its last line so far
        self._lines: list[bytes] = []
        self._kept = 0
        self._quotes = 0
        self._spool: IO[bytes] | None = None

    def rows(self, lines: Iterable[bytes], first: int = 1) -> Iterator[Row]:
        """The records of ``lines``, the first of which is line ``first`` of the file."""
        old = csv.field_size_limit(SPOOLED_CELL_LIMIT)  # once, not per line: it costs
        delimiter = self.delimiter
        try:
            for number, line in enumerate(lines, first):
                if self._start:
                    yield from self._work(iter(((number, line),)))
                elif b'"' not in line and len(line) <= CELL_LIMIT:  # the usual line
                    body = line.rstrip(b"\r\n")
                    if body and not body.isspace():
                        yield number, _text(body).split(delimiter)
                elif (row := self._single(number, line, may_open=True)) is not None:
                    yield row
            if self._start:
                yield from self._unclosed()
        finally:
            csv.field_size_limit(old)

    def _work(self, todo: Iterator[tuple[int, bytes]]) -> Iterator[Row]:
        """Lines to read with care; a record that turns out bad puts the lines it took back."""
        stack = [todo]
        while stack:
            item = next(stack[-1], None)
            if item is None:
                stack.pop()
                continue
            number, line = item
            if self._start:
                self._end = number
                again = yield from self._extend(line)
                if again is not None:
                    stack.append(again)
            elif (row := self._single(number, line, may_open=True)) is not None:
                yield row

    def _single(self, number: int, line: bytes, *, may_open: bool) -> Row | None:
        """One line read alone: its record, or None (blank, or it opens a record spanning lines)."""
        if not line.strip():
            return None
        parsed = _parse((_text(line),), self.delimiter)
        if parsed == UNCLOSED and may_open:
            self._start, self._lines, self._kept, self._quotes = number, [line], len(line), 0
            return None
        if parsed == UNCLOSED:
            return number, "a quote opened on this line is never closed"
        if isinstance(parsed, str):
            return number, f"CSV: {parsed}"
        return number, self._checked(parsed[0])

    def _extend(self, line: bytes) -> Generator[Row, None, Iterator[tuple[int, bytes]] | None]:
        """One more line of an open record: the record, once closed, and the lines after its first to
        read again if it is not one well-formed row."""
        self._keep(line)
        self._quotes += line.count(b'"')
        if not self._quotes % 2:  # the quote is still open (a doubled quote counts twice)
            return None
        rows = _parse((_text(part) for part in self._kept_lines()), self.delimiter)
        if isinstance(rows, str) and rows.startswith("field larger"):
            rows = "oversized"
        if rows == UNCLOSED:  # a quote was closed, and another opened
            self._quotes = 0
            return None
        kept = self._lines if self._spool is None else []
        start, lines = self._start, self._taken()
        if rows == "oversized":
            yield (
                start,
                f"a quoted cell is over {SPOOLED_CELL_LIMIT} characters long (lines {start}-{self._end})",
            )
            return None
        if isinstance(rows, list) and len(rows) == 1:
            checked = self._checked(rows[0])
            if isinstance(checked, str):  # a cell over the limit: one record, reading resumes after it
                yield start, f"{checked} (lines {start}-{self._end})"
                return None
            broken = self._broken_field(checked) or self._row_inside(start, kept)
            if broken is None and (self.width is None or len(checked) == self.width):
                yield start, checked
                return None
        else:
            broken = None
        if broken is not None:
            why = broken
        else:
            why = rows if isinstance(rows, str) else "what follows is not one row of the header's width"
        yield start, f"a quote opened on this line is not closed on it ({why}); the next lines are read alone"
        return lines

    def _keep(self, line: bytes) -> None:
        if self._spool is None and self._kept + len(line) > KEPT:
            self._spool = tempfile.TemporaryFile()  # noqa: SIM115 (closed by _taken)
        if self._spool is not None:
            self._spool.write(line)
        else:
            self._lines.append(line)
            self._kept += len(line)

    def _kept_lines(self) -> Iterator[bytes]:
        """The open record's lines."""
        if self._spool is None:
            return iter(self._lines)
        self._spool.seek(0)
        return chain(self._lines, _lines(self._spool))

    def _taken(self) -> Iterator[tuple[int, bytes]]:
        """The closed record's lines after its first, numbered, to be read again if it is bad."""
        start, lines, spool = self._start, self._lines, self._spool
        self._start, self._lines, self._kept, self._spool = 0, [], 0, None

        def numbered() -> Iterator[tuple[int, bytes]]:
            rest = chain(lines[1:], _lines(spool) if spool is not None else ())
            if spool is not None:
                spool.seek(0)
            try:
                yield from enumerate(rest, start + 1)
            finally:
                if spool is not None:
                    spool.close()

        return numbered()

    def _unclosed(self) -> Iterator[Row]:
        """The input ended inside a quote: its first line is invalid, and every line after it is a record
        of its own (it may be an order: a dangerous one must not vanish into a cell)."""
        start, rest = self._start, self._taken()
        yield start, "a quote opened on this line is never closed"
        for number, line in rest:
            if b'"' not in line and len(line) <= CELL_LIMIT:
                body = line.rstrip(b"\r\n")
                if body and not body.isspace():
                    yield number, _text(body).split(self.delimiter)
            elif (row := self._single(number, line, may_open=False)) is not None:
                yield row

    def _broken_field(self, cells: list[str]) -> str | None:
        """An order field holding a line break: no order field has one, so the quote before it was most
        likely left open, and closed by a later one (which reads as a legal record: lost orders)."""
        for index in self.single_line:
            if index < len(cells) and ("\n" in cells[index] or "\r" in cells[index]):
                return f"a line break in the {self.header[index]} cell"
        return None

    def _row_inside(self, start: int, lines: list[bytes]) -> str | None:
        """A line inside a cell that reads as a whole row of the header's width: most likely an order
        swallowed by a quote left open (in a free-text column doseguard does not read)."""
        if self.width is None:
            return None
        last = len(lines) - 1
        for offset, line in enumerate(lines[1:], 1):
            inside = _before_closing_quote(line) if offset == last else line  # the cell ends at its quote
            inside = inside.replace(b'""', b'"')  # a quote inside a cell is written twice
            if inside.count(self.delimiter.encode()) >= self.width - 1:
                rows = _parse((_text(inside),), self.delimiter)
                if isinstance(rows, list) and len(rows) == 1 and len(rows[0]) == self.width:
                    return f"line {start + offset} reads as a row of its own"
        return None

    def _checked(self, cells: list[str]) -> list[str] | str:
        """The cells, or why not: one over the cell limit."""
        for index, cell in enumerate(cells):
            if len(cell) > CELL_LIMIT:
                name = self.header[index] if index < len(self.header) else f"#{index + 1}"
                return f"the {name} cell is {len(cell)} characters long, over the limit of {CELL_LIMIT}"
        return cells


def _before_closing_quote(line: bytes) -> bytes:
    """The part of a line, inside a quoted cell, before the quote that closes the cell (``""`` is a
    quote in the cell); the whole line when it does not close."""
    at = 0
    while (at := line.find(b'"', at)) != -1:
        if line[at + 1 : at + 2] != b'"':
            return line[:at]
        at += 2
    return line
