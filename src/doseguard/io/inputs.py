"""Open one input: a file (``.gz`` read through), stdin or a FIFO, and tell its format.

A file's format is its extension's; stdin's, and a FIFO's whose name says none, is sniffed from its
first bytes (:func:`doseguard.io.formats.sniffed`), gzip recognised by its magic.
"""

from __future__ import annotations

import gzip
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, cast

from doseguard.errors import InputError
from doseguard.io.formats import format_of, input_format, sniffed
from doseguard.io.streams import STDIN, Counted, head_of, is_stream


@dataclass
class OpenedInput:
    """An opened input: its bytes (decompressed), its format's name, how much of it was read, and, for
    a regular file, what it was when opened (to tell that it changed while it was read)."""

    name: str
    format: str
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


def open_input(path: str, spooled: Path | None = None) -> OpenedInput:
    """The input's bytes (decompressed), its format, and a function telling how much of it was read.
    ``spooled``: a copy of stdin or of a FIFO read before (a run that reads its input twice), read
    in its place under the input's name and format."""
    if path == STDIN:
        return _sniffed("<stdin>", spooled.open("rb") if spooled is not None else sys.stdin.buffer)
    stream = is_stream(path) or spooled is not None
    kind = "" if stream and format_of(path) is None else input_format(path)
    try:
        raw = (spooled or Path(path)).open("rb")
    except OSError as error:
        raise InputError(path, error.strerror or str(error)) from None
    if not kind:
        return _sniffed(path, raw)
    if stream:
        counted = Counted(raw)
        raw_stream: IO[bytes] = cast(IO[bytes], counted)
        if path.lower().endswith(".gz"):
            raw_stream = cast(IO[bytes], gzip.GzipFile(fileobj=counted, mode="rb"))
        return OpenedInput(path, kind, raw_stream, counted.tell)
    opened = os.fstat(raw.fileno())
    if path.lower().endswith(".gz"):
        unzipped = cast(IO[bytes], gzip.GzipFile(fileobj=raw, mode="rb"))
        return OpenedInput(path, kind, unzipped, raw.tell, raw, opened)
    return OpenedInput(path, kind, raw, raw.tell, raw, opened)


def _sniffed(name: str, raw: IO[bytes]) -> OpenedInput:
    """stdin or a FIFO, streamed (not read whole: that held 1.36 GB for a 690 MB input and checked
    nothing until the producer closed), gzip recognised by its magic, the format by the first bytes."""
    counted = Counted(raw)
    head = head_of(counted)
    stream: IO[bytes] = cast(IO[bytes], Counted(counted, head))
    if head.startswith(b"\x1f\x8b"):
        unzipped = gzip.GzipFile(fileobj=cast(IO[bytes], Counted(counted, head)), mode="rb")
        head = head_of(unzipped)
        stream = cast(IO[bytes], Counted(unzipped, head))
    fmt = sniffed(head)
    kind = fmt.name
    if fmt.settle is not None:
        kind, stream = fmt.settle(stream)
    return OpenedInput(name, kind, stream, counted.tell)
