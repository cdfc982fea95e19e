"""JSON Lines (``.jsonl``, ``.ndjson``): cut into chunks of text as read, each line a record.

The main process finds line ends with ``find`` and ``count`` and never makes a line an object of its
own: a chunk is one bytes object, split into lines by the worker that reads it.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from typing import IO, cast

import orjson

from doseguard.io.chunks import Chunk, ChunkKind, Cutter
from doseguard.io.json_records import record_of_line
from doseguard.io.streams import READ_BLOCK, Counted, refuse_utf16, without_bom
from doseguard.records import InputRecord

_BARE_CR = re.compile(rb"\r(?!\n)")
_FIRST_LINE = re.compile(rb"[^\r\n]*")
_LOOK_AHEAD = 4 * READ_BLOCK


def sniff(start: bytes) -> bool:
    """A stream starting with ``{``: JSON Lines, unless :func:`settle` finds a FHIR Bundle."""
    return start.startswith(b"{")


def settle(stream: IO[bytes]) -> tuple[str, IO[bytes]]:
    """JSON Lines (streamed), or a FHIR Bundle written on one line or on several (``json``, read whole)?"""
    inner = stream
    start = _first_line(inner)
    stream = cast(IO[bytes], Counted(inner, start))
    line = start[: _FIRST_LINE.match(start).end()]  # type: ignore[union-attr]  # it always matches
    try:
        first = orjson.loads(without_bom(line))
    except orjson.JSONDecodeError:  # a bad first line, or a document on several lines
        start, second = _second_line(inner, start)
        stream = cast(IO[bytes], Counted(inner, start))
        if not _is_object(second):  # a document (a Bundle, say): read whole
            data = stream.read()
            return ("json" if _is_bundle(data) else "jsonl"), io.BytesIO(data)
        return "jsonl", stream  # JSON Lines whose first line is bad: streamed, the bad line an invalid record
    bundle = isinstance(first, dict) and first.get("resourceType") == "Bundle"
    return ("json" if bundle else "jsonl"), stream


def read_chunks(cutter: Cutter, name: str, stream: IO[bytes]) -> Iterator[Chunk]:
    pending = b""
    parts: list[bytes] = []  # a line longer than a block, gathered (concatenation is quadratic)
    line = 1
    first = True
    carry = b""  # a CR that ended the last block: a line end of its own unless LF follows
    ended = False  # not read again once it has ended (a terminal would wait for more)
    while not ended:
        read = stream.read(READ_BLOCK)
        cutter.progress()
        if first:
            read = without_bom(read)
            refuse_utf16(name, read)
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
        for part, count in _groups_of_lines(body, cutter.chunk_records):
            yield cutter.chunk(ChunkKind.TEXT, name, [part], first_line=line)
            line += count
    pending = b"".join((pending, *parts))
    if pending:
        yield cutter.chunk(ChunkKind.TEXT, name, [pending], first_line=line)


def records(chunk: Chunk) -> Iterator[InputRecord]:
    """Each line that is not blank, as a record named ``file:line``."""
    chunk = chunk.as_lines()
    for offset, raw in enumerate(chunk.items):
        if raw.strip():
            yield record_of_line(f"{chunk.name}:{chunk.first_line + offset}", raw)


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


def _first_line(stream: IO[bytes]) -> bytes:
    parts: list[bytes] = []
    while part := stream.read(READ_BLOCK):
        parts.append(part)
        if b"\n" in part or b"\r" in part:
            break
    return b"".join(parts)


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


def _is_bundle(data: bytes) -> bool:
    """``{...}`` on stdin: a FHIR Bundle (one document), or JSON Lines?"""
    try:
        document = orjson.loads(without_bom(data))
    except orjson.JSONDecodeError:
        return False
    return isinstance(document, dict) and document.get("resourceType") == "Bundle"
