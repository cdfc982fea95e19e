"""Byte streams an input is read from: a stream replayed and counted, its first bytes, what it is.

Nothing here knows a format: :mod:`doseguard.io.inputs` opens an input with these, and each format's
reader reads blocks of :data:`READ_BLOCK` bytes.
"""

from __future__ import annotations

import gzip
import io
import stat
from pathlib import Path
from typing import IO, Any

from doseguard.errors import InputError

READ_BLOCK = 1 << 20
STDIN = "-"

Readable = IO[bytes] | io.RawIOBase | gzip.GzipFile


def is_stream(path: str) -> bool:
    """A FIFO, ``<(...)`` or a device: read as it comes, its format sniffed unless its name says it."""
    try:
        mode = Path(path).stat().st_mode
    except OSError:
        return False
    return not stat.S_ISREG(mode) and not stat.S_ISDIR(mode)


class Counted(io.RawIOBase):
    """A stream read as it comes (one read of the source per read: a pipe's data is handed on when it
    arrives, not when a block fills), replaying ``head`` first and counting the bytes it hands on."""

    def __init__(self, source: Readable, head: bytes = b"") -> None:
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


BOM = b"\xef\xbb\xbf"


def without_bom(data: bytes) -> bytes:
    """``data`` without the byte order marks it starts with: one, or several where a tool added one to
    text that had one already (each would otherwise be read as data: a header cell, a bad document)."""
    while data.startswith(BOM):
        data = data[3:]
    return data


def head_of(stream: Readable) -> bytes:
    """Enough of a stream's start to sniff: its first byte that is not a BOM or blank, or all of it."""
    head = b""
    while len(head) < 2 or not without_bom(head).strip():
        part = stream.read(READ_BLOCK)
        if not part:
            break
        head += part
    return head


def refuse_utf16(name: str, head: bytes) -> None:
    """UTF-16 text (Excel's "Unicode text"), by its byte order mark or by the NUL beside each of its
    first ASCII characters, is refused whole: read as UTF-8 it is a header of NULs, or every line invalid
    and the NULs after its line ends records of their own."""
    if head[:2] in (b"\xff\xfe", b"\xfe\xff") or head[1:4:2] == b"\0\0" or head[0:3:2] == b"\0\0":
        raise InputError(
            name, 'the file is UTF-16 text (Excel\'s "Unicode text"), not UTF-8: save it as UTF-8'
        )
