"""Cut inputs into chunks of raw records, in the main process, with as little work as possible.

The main process only reads and splits: parsing JSON, mapping FHIR and checking are the workers'
job, so a chunk carries raw lines (JSON Lines), raw rows (CSV) or parsed objects (JSON arrays and
FHIR Bundles, which must be parsed to be split). Every record keeps its place: a chunk knows the
number of its first record and how to name each record's source (``file:line``).
"""

from __future__ import annotations

import gzip
import io
import json
import os
import re
import stat
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from itertools import chain
from pathlib import Path
from typing import IO, Any, cast

import orjson

from doseguard.errors import InputError
from doseguard.io.csv_rows import CsvRecords, Row, physical_lines
from doseguard.io.json_text import Unreadable, checked_document, load_clean, not_utf8
from doseguard.orders.model import RECORD_FIELDS

CHUNK_RECORDS = 2000
READ_BLOCK = 1 << 20
FORMATS = {".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "json", ".csv": "csv"}
STDIN = "-"


@dataclass(frozen=True, slots=True)
class Chunk:
    """Records to check together.

    ``kind`` says what ``items`` hold: ``"text"`` (one bytes object: JSON Lines joined by newlines,
    as read, which is all the main process does with them), ``"lines"`` (the same split into raw
    lines, blank ones included so that line numbers stay right, numbered from ``first_line``),
    ``"rows"`` ((line, cells) pairs of a CSV with ``header``) or ``"objects"`` ((source, parsed
    value) pairs, or (source, bytes) for a JSON array's element, read by the worker as a JSON line is;
    ``context`` holds a FHIR Bundle's other resources). ``first_record`` is the
    1-based number of the chunk's first record in the whole run.
    """

    kind: str
    name: str
    first_record: int
    items: list[Any]
    first_line: int = 1
    header: tuple[str, ...] = ()
    context: dict[str, Any] = field(default_factory=dict)

    @property
    def record_count(self) -> int:
        if self.kind == "text":  # every line a record unless some line does not start an object
            text: bytes = self.items[0]
            lines = text.count(b"\n") + 1
            if text.count(b"\n{") + text.startswith(b"{") == lines:
                return lines
            return self.as_lines().record_count
        if self.kind == "lines":  # blank lines are not records (counted in C: this runs per chunk)
            items = self.items
            return len(items) - items.count(b"") - sum(map(bytes.isspace, items))
        return len(self.items)

    def as_lines(self) -> Chunk:
        """A ``"text"`` chunk split into its lines (what workers read); any other chunk as it is."""
        if self.kind != "text":
            return self
        return Chunk("lines", self.name, self.first_record, self.items[0].split(b"\n"), self.first_line)

    def split(self) -> tuple[Chunk, Chunk]:
        """Two halves, each keeping its records' numbers and sources (to isolate a record that kills
        its worker)."""
        if self.kind == "text":
            return self.as_lines().split()
        middle = len(self.items) // 2
        left = Chunk(self.kind, self.name, self.first_record, self.items[:middle], self.first_line,
                     self.header, self.context)  # fmt: skip
        right_first = self.first_record + left.record_count
        right_line = self.first_line + middle if self.kind == "lines" else self.first_line
        right = Chunk(self.kind, self.name, right_first, self.items[middle:], right_line, self.header,
                      self.context)  # fmt: skip
        return left, right


def _groups_of_lines(body: bytes, size: int) -> Iterator[tuple[bytes, int]]:
    """``body`` (lines joined by newlines) in groups of ``size`` lines, and each group's line count:
    cut with ``find``, so that no line becomes an object of its own in the main process."""
    start = 0
    while True:
        end = start
        for _ in range(size):
            end = body.find(b"\n", end) + 1
            if not end:
                yield body[start:], body.count(b"\n", start) + 1
                return
        yield body[start : end - 1], size
        start = end


_BARE_CR = re.compile(rb"\r(?!\n)")
_FIRST_LINE = re.compile(rb"[^\r\n]*")


def _bare_cr_to_lf(block: bytes, *, last: bool) -> tuple[bytes, bytes]:
    """``block`` with every CR not followed by LF made an LF (CR-only line ends: JSON text cannot hold a
    raw CR, so a bare CR ends a line), and a CR at its end held back (LF may start the next block). Two
    counts in C leave LF and CRLF text as it is."""
    carry = b""
    if not last and block.endswith(b"\r"):
        block, carry = block[:-1], b"\r"
    if b"\r" in block and block.count(b"\r") != block.count(b"\r\n"):
        block = _BARE_CR.sub(b"\n", block)
    return block, carry


def input_format(path: str) -> str:
    """The format of a path by its extension (``.gz`` is read through)."""
    kind = _format_of(path)
    if kind is None:
        name = path[:-3] if path.lower().endswith(".gz") else path
        suffix = Path(name).suffix.lower()
        raise InputError(
            path,
            f"unknown input format {suffix or '(no extension)'!r}: "
            "use .jsonl, .ndjson, .json or .csv (or .gz)",
        )
    return kind


def _format_of(path: str) -> str | None:
    name = path[:-3] if path.lower().endswith(".gz") else path
    return FORMATS.get(Path(name).suffix.lower())


def is_stream(path: str) -> bool:
    """A FIFO, ``<(...)`` or a device: read as it comes, its format sniffed unless its name says it."""
    try:
        mode = Path(path).stat().st_mode
    except OSError:
        return False
    return not stat.S_ISREG(mode) and not stat.S_ISDIR(mode)


@dataclass
class _Input:
    """An opened input: its bytes (decompressed), how much of it was read, and, for a regular file,
    what it was when opened (to tell that it changed while it was read)."""

    name: str
    kind: str
    stream: IO[bytes]
    tell: Callable[[], int]
    raw: IO[bytes] | None = None
    opened: os.stat_result | None = None

    def check_unchanged(self) -> None:
        """A file truncated, grown or rewritten while it was read gave some of its records, or records of
        two versions: the run must not end as if it were checked whole."""
        if self.raw is None or self.opened is None:
            return
        now = os.fstat(self.raw.fileno())
        if (now.st_size, now.st_mtime_ns) != (self.opened.st_size, self.opened.st_mtime_ns):
            raise InputError(
                self.name,
                f"the file changed while it was read ({self.opened.st_size} bytes when opened, "
                f"{now.st_size} when reading ended, {self.raw.tell()} read): its results are incomplete",
            )


def _open(path: str) -> _Input:
    """The input's bytes (decompressed), its format, and a function telling how much of it was read."""
    if path == STDIN:
        return _sniffed("<stdin>", sys.stdin.buffer)
    stream = is_stream(path)
    kind = "" if stream and _format_of(path) is None else input_format(path)
    try:
        raw = Path(path).open("rb")  # noqa: SIM115 (the caller closes it)
    except OSError as error:
        raise InputError(path, error.strerror or str(error)) from None
    if not kind:
        return _sniffed(path, raw)
    if stream:
        counted = _Counted(raw)
        raw_stream: IO[bytes] = cast(IO[bytes], counted)
        if path.lower().endswith(".gz"):
            raw_stream = cast(IO[bytes], gzip.GzipFile(fileobj=counted, mode="rb"))
        return _Input(path, kind, raw_stream, counted.tell)
    opened = os.fstat(raw.fileno())
    if path.lower().endswith(".gz"):
        unzipped = cast(IO[bytes], gzip.GzipFile(fileobj=raw, mode="rb"))
        return _Input(path, kind, unzipped, raw.tell, raw, opened)
    return _Input(path, kind, raw, raw.tell, raw, opened)


def _sniffed(name: str, raw: IO[bytes]) -> _Input:
    """stdin or a FIFO, streamed (not read whole: that held 1.36 GB for a 690 MB input and checked
    nothing until the producer closed), gzip recognised by its magic, the format by the first byte."""
    counted = _Counted(raw)
    head = _head(counted)
    stream: IO[bytes] = cast(IO[bytes], _Counted(counted, head))
    if head.startswith(b"\x1f\x8b"):
        unzipped = gzip.GzipFile(fileobj=cast(IO[bytes], _Counted(counted, head)), mode="rb")
        head = _head(unzipped)
        stream = cast(IO[bytes], _Counted(unzipped, head))
    kind = _sniff(head)
    if kind == "jsonl_or_json":
        inner = stream
        start = _first_line(inner)
        stream = cast(IO[bytes], _Counted(inner, start))
        line = start[: _FIRST_LINE.match(start).end()]  # type: ignore[union-attr]  # it always matches
        try:
            first = orjson.loads(line.removeprefix(b"\xef\xbb\xbf"))
        except orjson.JSONDecodeError:  # a bad first line, or a document on several lines
            start, second = _second_line(inner, start)
            stream = cast(IO[bytes], _Counted(inner, start))
            if not _is_object(second):  # a document (a Bundle, say): read whole
                data = stream.read()
                stream = io.BytesIO(data)
                kind = "json" if _is_bundle(data) else "jsonl"
            else:  # JSON Lines whose first line is bad: streamed, the bad line an invalid record
                kind = "jsonl"
        else:
            bundle = isinstance(first, dict) and first.get("resourceType") == "Bundle"
            kind = "json" if bundle else "jsonl"
    return _Input(name, kind, stream, counted.tell)


_Readable = IO[bytes] | io.RawIOBase | gzip.GzipFile


def _head(stream: _Readable) -> bytes:
    """Enough of a stream's start to sniff: its first byte that is not a BOM or blank, or all of it."""
    head = b""
    while len(head) < 2 or not head.removeprefix(b"\xef\xbb\xbf").strip():
        part = stream.read(READ_BLOCK)
        if not part:
            break
        head += part
    return head


def _first_line(stream: IO[bytes]) -> bytes:
    parts: list[bytes] = []
    while part := stream.read(READ_BLOCK):
        parts.append(part)
        if b"\n" in part or b"\r" in part:
            break
    return b"".join(parts)


_LOOK_AHEAD = 4 * READ_BLOCK


def _second_line(stream: IO[bytes], start: bytes) -> tuple[bytes, bytes]:
    """``start`` (a whole first line, or all of the stream) read on until the next line that is not blank
    is whole, and that line; b"" if the stream ends first or the line is very long (then the caller reads
    the stream whole, as for a document). Each block is joined once (no quadratic concatenation)."""
    parts = [start]
    rest = start[_FIRST_LINE.match(start).end() :].lstrip()  # type: ignore[union-attr]
    size = len(rest)
    while _FIRST_LINE.match(rest).end() == len(rest) and size <= _LOOK_AHEAD:  # type: ignore[union-attr]
        part = stream.read(READ_BLOCK)
        if not part:
            return b"".join(parts), rest
        parts.append(part)
        rest = part.lstrip() if not rest else rest + part
        size += len(part)
    return b"".join(parts), rest[: _FIRST_LINE.match(rest).end()]  # type: ignore[union-attr]


def _is_object(line: bytes) -> bool:
    """A JSON line holding an object: JSON Lines (a document's second line never is one)."""
    try:
        return isinstance(orjson.loads(line), dict)
    except orjson.JSONDecodeError:
        return False


class _Counted(io.RawIOBase):
    """A stream read as it comes (one read of the source per read: a pipe's data is handed on when it
    arrives, not when a block fills), replaying ``head`` first and counting the bytes it hands on."""

    def __init__(self, source: _Readable, head: bytes = b"") -> None:
        self._source = source
        self._read = getattr(source, "read1", source.read)
        self._head = memoryview(head)
        self._count = 0

    def readable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._count

    def readinto(self, buffer: Any) -> int:
        data: bytes | memoryview
        if self._head:  # a memoryview: a long first line is not copied again at every read
            data, self._head = self._head[: len(buffer)], self._head[len(buffer) :]
        else:
            data = self._read(len(buffer))
        buffer[: len(data)] = data
        self._count += len(data)
        return len(data)


def _column_name(cell: str) -> str:
    """A CSV column as doseguard names it: "Order ID", "order-id" and "ORDER_ID" are ``order_id``. The
    one spelling for the header, a header seen again, and the hint about other separators."""
    return re.sub(r"[\s\-]+", "_", cell.lower())


def _csv_header(name: str, cells: list[str]) -> tuple[str, ...]:
    """The column names ("Order ID", "order_id" and "ORDER_ID" are one). A header naming no order
    field is refused: it is most likely the first order of a file without a header line."""
    header = tuple(_column_name(cell.strip()) for cell in cells)
    if not set(header) & set(RECORD_FIELDS):
        shown = ",".join(cells)
        raise InputError(
            name,
            "the first line names no order field (order_id, patient_id, drug, dose, ...): "
            f"{_separated(shown)}it reads {shown[:80]!r}",
        )
    duplicates = sorted({cell for cell in header if cell and header.count(cell) > 1})  # unnamed: unknown
    if duplicates:
        raise InputError(name, f"the header repeats the column(s) {', '.join(duplicates)}")
    return header


def _header_again(name: str, header: tuple[str, ...], line: int, cells: list[str]) -> Row:
    """A row that starts as a header does (files joined, ``cat a.csv b.csv``): the same header is not an
    order; another header means the rows after it have other columns, which the first line's would
    misread (a dose read as the drug), so the input is refused."""
    names = tuple(_column_name(cell.strip().lstrip("\ufeff").strip()) for cell in cells)
    if names == header:
        return line, "the header line again (files joined?): not an order; the rows after it are read"
    if len(set(names) & set(RECORD_FIELDS)) >= 2:  # an order holds no two field names
        raise InputError(
            name,
            f"line {line} is another header line, naming other columns than the first (files joined?): "
            "the rows after it would be read with the first line's columns; check the files one by one",
        )
    return line, cells


def _separated(header: str) -> str:
    """Why a header read as one column, if its order fields are separated by another character."""
    for separator, named in ((";", "';'"), ("\t", "tabs"), ("|", "'|'")):
        names = {_column_name(cell.strip().strip('"')) for cell in header.split(separator)}
        if names & set(RECORD_FIELDS):
            return f"its columns are separated by {named}, not commas (export it as comma-separated CSV); "
    return "a CSV needs a header line; "


def _refuse_utf16(name: str, head: bytes) -> None:
    """UTF-16 text (Excel's "Unicode text"), by its byte order mark or by the NUL beside each of its
    first ASCII characters, is refused whole: read as UTF-8 it is a header of NULs, or every line invalid
    and the NULs after its line ends records of their own."""
    if head[:2] in (b"\xff\xfe", b"\xfe\xff") or head[1:4:2] == b"\0\0" or head[0:3:2] == b"\0\0":
        raise InputError(
            name, 'the file is UTF-16 text (Excel\'s "Unicode text"), not UTF-8: save it as UTF-8'
        )


def _sniff(head: bytes) -> str:
    start = head.removeprefix(b"\xef\xbb\xbf").lstrip()[:1]
    if start == b"[":
        return "json"
    if start == b"{":
        return "jsonl_or_json"
    return "csv"


class ChunkReader:
    """Chunks of every input, in order; ``progress`` is called with bytes read so far."""

    def __init__(self, paths: list[str], *, chunk_records: int = CHUNK_RECORDS) -> None:
        self.paths = paths
        self.chunk_records = chunk_records
        self.next_record = 1
        self.bytes_read = 0
        self._done_bytes = 0

    def total_bytes(self) -> int | None:
        if STDIN in self.paths or any(map(is_stream, self.paths)):
            return None
        return sum(Path(p).stat().st_size for p in self.paths)

    def __iter__(self) -> Iterator[Chunk]:
        for path in self.paths:
            yield from self._read(path)

    def _chunk(self, kind: str, name: str, items: list[Any], **extra: Any) -> Chunk:
        chunk = Chunk(kind, name, self.next_record, items, **extra)
        self.next_record += chunk.record_count
        return chunk

    def _read(self, path: str) -> Iterator[Chunk]:
        try:
            source = _open(path)  # stdin and FIFOs are read from here, to sniff them (a gzip's too)
        except (OSError, EOFError, gzip.BadGzipFile) as error:
            raise InputError(path, f"cannot read: {error}") from None
        name, stream, tell = source.name, source.stream, source.tell
        with stream:
            try:
                if source.kind == "jsonl":
                    yield from self._lines(name, stream, tell)
                elif source.kind == "csv":
                    yield from self._rows(name, stream, tell)
                else:
                    yield from self._json(name, stream, tell)
                source.check_unchanged()
            except (OSError, EOFError, gzip.BadGzipFile) as error:
                source.check_unchanged()  # a file cut short while read is unreadable for that reason
                raise InputError(path, f"cannot read: {error}") from None
            finally:
                if source.raw is not None and source.raw is not stream:
                    source.raw.close()
        self._done_bytes = self.bytes_read

    def _lines(self, name: str, stream: IO[bytes], tell: Callable[[], int]) -> Iterator[Chunk]:
        pending = b""
        parts: list[bytes] = []  # a line longer than a block, gathered (concatenation is quadratic)
        line = 1
        first = True
        carry = b""  # a CR that ended the last block: a line end of its own unless LF follows
        ended = False  # not read again once it has ended (a terminal would wait for more)
        while not ended:
            read = stream.read(READ_BLOCK)
            self.bytes_read = self._done_bytes + tell()
            if first:
                read = read.removeprefix(b"\xef\xbb\xbf")
                _refuse_utf16(name, read)
                first = False
            ended = not read
            if ended and not carry:
                break
            block, carry = _bare_cr_to_lf(carry + read, last=ended)
            cut = block.rfind(b"\n")
            if cut < 0:
                parts.append(block)
                continue
            if parts:
                data, cut = b"".join((pending, *parts, block)), cut + len(pending) + sum(map(len, parts))
                parts = []
            else:
                data, cut = pending + block, cut + len(pending)
            body, pending = data[:cut], data[cut + 1 :]
            for part, count in _groups_of_lines(body, self.chunk_records):
                yield self._chunk("text", name, [part], first_line=line)
                line += count
        pending = b"".join((pending, *parts))
        if pending:
            yield self._chunk("text", name, [pending], first_line=line)

    def _rows(self, name: str, stream: IO[bytes], tell: Callable[[], int]) -> Iterator[Chunk]:
        reader = CsvRecords()
        lines = physical_lines(stream)
        head = next(lines, b"")
        _refuse_utf16(name, head)
        rows = reader.rows(chain((head,), lines))
        first = next(rows, None)
        if first is None:
            return
        line, cells = first
        if isinstance(cells, str):
            raise InputError(name, f"CSV header (line {line}): {cells}")
        header = _csv_header(name, cells)
        reader.width, reader.header = len(header), header
        reader.single_line = frozenset(i for i, cell in enumerate(header) if cell in RECORD_FIELDS)
        starts = frozenset(chain(*((text, "\ufeff" + text) for text in chain(cells, RECORD_FIELDS))))
        items: list[tuple[int, list[str] | str]] = []
        for item in rows:
            if type(item[1]) is list and item[1][0] in starts:  # one set lookup per row: a header again?
                items.append(_header_again(name, header, item[0], item[1]))
            else:
                items.append(item)
            if len(items) >= self.chunk_records:
                self.bytes_read = self._done_bytes + tell()
                yield self._chunk("rows", name, items, header=header)
                items = []
        self.bytes_read = self._done_bytes + tell()
        if items:
            yield self._chunk("rows", name, items, header=header)

    def _json(self, name: str, stream: IO[bytes], tell: Callable[[], int]) -> Iterator[Chunk]:
        """A JSON array of orders (streamed), or one object: an order or a FHIR Bundle (read whole)."""
        head = stream.read(4096).removeprefix(b"\xef\xbb\xbf")
        _refuse_utf16(name, head)
        rest = io.BufferedReader(_Counted(stream, head)) if head else stream
        if _sniff(head) != "json":
            document, clean = _load_document(name, head + stream.read())
            self.bytes_read = self._done_bytes + tell()
            if isinstance(document, dict) and document.get("resourceType") == "Bundle":
                yield from self._bundle(name, document, clean)
            elif isinstance(document, dict):
                yield self._chunk(
                    "objects", name, [(f"{name}:[1]", document if clean else checked_document(document))]
                )
            else:
                raise InputError(name, f"expected a JSON array of orders, got {kind_of(document)}")
            return
        items: list[tuple[str, Any]] = []
        for index, item in enumerate(_array_items(rest), start=1):
            items.append((f"{name}:[{index}]", item))
            if len(items) >= self.chunk_records:
                self.bytes_read = self._done_bytes + tell()
                yield self._chunk("objects", name, items)
                items = []
        self.bytes_read = self._done_bytes + tell()
        if items:
            yield self._chunk("objects", name, items)

    def _bundle(self, name: str, bundle: dict[str, Any], clean: bool) -> Iterator[Chunk]:
        """The Bundle's entries as :func:`doseguard.io.fhir.bundle_items` splits them (the splitter
        ``read_fhir_bundle`` and its tests use), mapped in the workers."""
        from doseguard.io.fhir import bundle_items  # noqa: PLC0415 (FHIR loads only when needed)

        requests, resources = bundle_items(name, bundle, clean=clean)
        for start in range(0, len(requests), self.chunk_records):
            part = requests[start : start + self.chunk_records]
            yield self._chunk("objects", name, part, context={"resources": resources})


MAX_DEPTH = 32
"""Deepest nesting accepted inside one element of a JSON array (an order is two levels deep): deeper is
refused before any parser sees it (a streaming item builder once turned a 200 kB file of nested brackets
into 24 GB of memory)."""

_BODY = rb'[^"\\\n]*+(?:\\[^\n][^"\\\n]*+)*+'
_STRING = rb'"%b"' % _BODY
# What may be passed over inside an element (strings whole) up to the next bracket, and at the top
# level of the array up to the next bracket or comma; a string cut by the end of a block stops it,
# and so does a string that meets a raw new line (JSON strings hold none: the string was left open).
_SKIP_INSIDE = re.compile(rb'(?:[^"\[\]{}]++|%b)*+' % _STRING, re.S)
_SKIP_TOP = re.compile(rb'(?:[^"\[\]{},]++|%b)*+' % _STRING, re.S)
_STRING_BODY = re.compile(_BODY)
_OPEN, _COMMA, _QUOTE, _BRACE = frozenset(b"[{"), ord(","), ord('"'), ord("}")
_LEFT_BRACE, _COLON, _BACKSLASH, _NEW_LINE = (ord(c) for c in "{:\\\n")
_SPACE = frozenset(b" \t\r\n")
_SPACE_BYTE = ord(" ")


def _array_items(stream: IO[bytes]) -> Iterator[bytes | Unreadable]:
    """The elements of a top-level JSON array, each as its own bytes (parsed by the worker, as a JSON
    line is), or the reason it cannot be one.

    Elements are cut by counting brackets outside strings, so a bad element (a number orjson
    refuses, a repeated key, nesting deeper than :data:`MAX_DEPTH`, a syntax error) spoils only
    itself: the next one starts after its comma. Nothing is built here, so nesting costs no memory
    beyond its bytes. A file that ends before the array is closed ends with an invalid record.
    """
    buffer = bytearray()
    pos = start = 0  # where scanning goes on; where the current element began
    opened = False  # past the array's opening bracket
    inside = bytearray()  # the brackets open inside the current element, innermost last
    deepest = 1  # of the current element
    commas = 0
    for block in iter(lambda: stream.read(READ_BLOCK), b""):
        del buffer[:start]
        pos, start = pos - start, 0
        buffer += block
        if not opened:  # before the opening bracket
            stripped = buffer.lstrip()
            if not stripped:
                buffer.clear()
                continue
            if stripped[:1] != b"[":
                raise ValueError("expected a JSON array of orders")
            pos = start = len(buffer) - len(stripped) + 1
            opened = True
        while True:
            pos = (_SKIP_INSIDE if inside else _SKIP_TOP).match(buffer, pos).end()  # type: ignore[union-attr]
            if pos >= len(buffer):
                break  # the block ended: read on
            char = buffer[pos]
            if char == _QUOTE:
                end = _STRING_BODY.match(buffer, pos + 1).end()  # type: ignore[union-attr]
                if end >= len(buffer) or (buffer[end] == _BACKSLASH and end + 1 >= len(buffer)):
                    break  # the block ended inside a string: read on
                pos += 1  # a raw new line ends an unclosed string: read on after its quote
                continue
            pos += 1
            if char in _OPEN:
                after = buffer[pos - 2] if pos - 2 >= start else -1  # '"dose": {' nearly always
                colon = after == _COLON or (after == _SPACE_BYTE and buffer[pos - 3] == _COLON)
                cut = None if colon else _starts_another(buffer, start, pos - 1, inside)
                if cut is not None:  # the element was left unclosed, or a comma left out
                    yield cut
                    start, deepest = pos - 1, 1
                    inside.clear()
                    commas += 1
                inside.append(char)
                deepest = max(deepest, len(inside) + 1)
            elif inside:
                _close(inside, char)
            elif char == _BRACE:
                continue  # a stray '}' belongs to its element, which will not parse
            else:  # a comma or the closing bracket of the array: the element ends
                element = bytes(buffer[start : pos - 1]).strip()
                if char == _COMMA or element or commas:
                    yield _element(element, deepest, "a comma" if char == _COMMA else "the closing bracket")
                start, deepest = pos, 1
                if char == _COMMA:
                    commas += 1
                    continue
                if not _only_space(bytes(buffer[pos:]), stream):
                    yield Unreadable("not JSON: there is more text after the array's closing bracket")
                return
    if opened:
        yield Unreadable(
            "the file ends inside this record, before the array is closed (truncated?)"
            if buffer[start:].strip()
            else "the file ends before the array is closed (truncated?)"
        )


def _starts_another(buffer: bytearray, start: int, at: int, inside: bytearray) -> Unreadable | None:
    """The element that began at ``start`` refused, if the bracket at ``at`` cannot belong to it
    and so starts the next element; else None.

    At the array's level a bracket after a closed element starts another (a comma left out). Inside
    an object a bracket may only follow a colon: one at the start of a line where a key or a comma
    must come (``"dose": "1 mg",`` then ``{"order_id": ...`` on the next line) is the next element,
    and the element before it was left unclosed, or it would merge every later element into itself.
    (Elsewhere inside an element a misplaced bracket spoils only that element, as before.)
    """
    index, line_start = at - 1, False
    while index >= start and buffer[index] in _SPACE:
        line_start = line_start or buffer[index] == _NEW_LINE
        index -= 1
    if index < start:
        return None  # the element's first bracket
    if not inside:
        return Unreadable("not JSON: no comma between this element and the next")
    if line_start and inside[-1] == _LEFT_BRACE and buffer[index] != _COLON:
        element = bytes(buffer[start:at]).strip()
        return Unreadable(
            f"not JSON: the element is not closed before the next one starts (after {_shown_end(element)})"
        )
    return None


def _shown_end(element: bytes) -> str:
    text = element.decode("utf-8", "replace").splitlines()[-1].strip()
    return repr(text if len(text) <= 40 else f"...{text[-37:]}")


def _close(inside: bytearray, closer: int) -> None:
    """Close the innermost open bracket of the closer's kind, and those left open inside it.

    A closer of the wrong kind (``}`` for an open ``[``) spoils its element, which will not parse,
    but must not carry the count past the element's end and so merge the next elements into it.
    A closer with no opener of its kind inside the element closes the innermost bracket.
    """
    at = inside.rfind(closer - 2)  # '[' is ']' - 2, '{' is '}' - 2
    del inside[at if at >= 0 else -1 :]


def _only_space(rest: bytes, stream: IO[bytes]) -> bool:
    while not rest.strip():
        rest = stream.read(READ_BLOCK)
        if not rest:
            return True
    return False


def _element(element: bytes, deepest: int, before: str) -> bytes | Unreadable:
    if not element:
        return Unreadable(f"not JSON: no value before {before}")
    if deepest > MAX_DEPTH:
        return Unreadable(f"not readable: the record is nested more than {MAX_DEPTH} levels deep")
    return element


def _load_document(name: str, data: bytes) -> tuple[Any, bool]:
    """A whole JSON document, and whether it is clean; read strictly where it may not be (repeated
    keys and bad numbers kept for the record's result to name: see :mod:`doseguard.io.json_text`)."""
    text = data.removeprefix(b"\xef\xbb\xbf")
    try:
        return load_clean(text)
    except UnicodeDecodeError as error:
        raise InputError(name, not_utf8(error, len(data) - len(text))) from None
    except json.JSONDecodeError as error:
        raise InputError(name, f"not JSON: {error.msg} at line {error.lineno} column {error.colno}") from None
    except (RecursionError, ValueError) as error:
        raise InputError(name, f"not readable: {error}") from None


def _is_bundle(data: bytes) -> bool:
    """``{...}`` on stdin: a FHIR Bundle (one document), or JSON Lines?"""
    try:
        document = orjson.loads(data.removeprefix(b"\xef\xbb\xbf"))
    except orjson.JSONDecodeError:
        return False
    return isinstance(document, dict) and document.get("resourceType") == "Bundle"


def kind_of(value: object) -> str:
    """How a JSON value is named in messages ("an array", "a number", ...)."""
    return {list: "an array", str: "a string", int: "a number", float: "a number", bool: "true/false"}.get(
        type(value), "null" if value is None else type(value).__name__
    )
