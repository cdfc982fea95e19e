"""The input formats: one table from a format's name, extensions and sniffing to its reader.

A format is a chunk reader (run in the main process: it only cuts the input into chunks) and a record
mapper (run in the workers: it makes a chunk's items :class:`InputRecord` s). A new format (HL7 v2, say)
is a module with those two functions and one :func:`register` line below (registered when this module
is imported, so spawned worker processes know it too); the command line, the chunk reader and the
workers find it here. Its chunks are ROWS or OBJECTS: TEXT and LINES are JSON Lines' (the workers'
line cache reads LINES as JSON).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from doseguard.errors import InputError
from doseguard.io import csv_format, json_format, jsonl_format
from doseguard.io.chunks import Chunk, ChunkKind, Cutter
from doseguard.io.streams import without_bom
from doseguard.records import InputRecord

ChunkReading = Callable[[Cutter, str, IO[bytes]], Iterator[Chunk]]
"""Cuts one opened input (its name, its decompressed bytes) into chunks made by the :class:`Cutter`."""

RecordMapping = Callable[[Chunk], Iterator[InputRecord]]
"""The records of one chunk, in order, one per record the chunk counts."""


@dataclass(frozen=True)
class Format:
    """One input format.

    ``extensions`` name it on a path (``.gz`` is read through). ``sniff`` claims a stream (stdin, a
    FIFO) by its first bytes, a BOM and blanks dropped (None: never sniffed); ``settle``, if set,
    reads on when those bytes cannot tell (``{`` starts JSON Lines or a FHIR Bundle) and returns the
    format's name and the stream to read, what it read replayed.
    """

    name: str
    extensions: tuple[str, ...]
    read: ChunkReading
    records: RecordMapping
    sniff: Callable[[bytes], bool] | None = None
    settle: Callable[[IO[bytes]], tuple[str, IO[bytes]]] | None = None


FORMATS: dict[str, Format] = {}
"""The formats by name, in the order they are sniffed (and named in messages)."""

SNIFFED_OTHERWISE = "csv"
"""The format of a stream no format claims: CSV, whose header check refuses what is not one."""

BY_KIND = {
    ChunkKind.TEXT: "jsonl",
    ChunkKind.LINES: "jsonl",
    ChunkKind.ROWS: "csv",
    ChunkKind.OBJECTS: "json",
}
"""The format of a chunk that names none (built by hand, in tests)."""


def register(fmt: Format) -> Format:
    """Add a format to the table; its name and extensions must be new."""
    taken = {extension for known in FORMATS.values() for extension in known.extensions}
    if fmt.name in FORMATS or taken & set(fmt.extensions):
        raise ValueError(f"input format {fmt.name!r}: its name or an extension is already registered")
    FORMATS[fmt.name] = fmt
    return fmt


register(Format("jsonl", (".jsonl", ".ndjson"), jsonl_format.read_chunks, jsonl_format.records,
                jsonl_format.sniff, jsonl_format.settle))  # fmt: skip
register(Format("json", (".json",), json_format.read_chunks, json_format.records, json_format.sniff))
register(Format("csv", (".csv",), csv_format.read_chunks, csv_format.records))
register(Format("tsv", (".tsv",), csv_format.read_tsv_chunks, csv_format.records))


def named(name: str) -> Format:
    return FORMATS[name]


def format_of(path: str) -> Format | None:
    """The format a path's extension names (``.gz`` is read through), if any."""
    name = path[:-3] if path.lower().endswith(".gz") else path
    suffix = Path(name).suffix.lower()
    return next((fmt for fmt in FORMATS.values() if suffix in fmt.extensions), None)


def input_format(path: str) -> str:
    """The name of a path's format by its extension (``.gz`` is read through)."""
    fmt = format_of(path)
    if fmt is None:
        name = path[:-3] if path.lower().endswith(".gz") else path
        suffix = Path(name).suffix.lower()
        extensions = [extension for known in FORMATS.values() for extension in known.extensions]
        raise InputError(
            path,
            f"unknown input format {suffix or '(no extension)'!r}: "
            f"use {', '.join(extensions[:-1])} or {extensions[-1]} (or .gz)",
        )
    return fmt.name


def sniffed(head: bytes) -> Format:
    """The format a stream's first bytes (see :func:`doseguard.io.streams.head_of`) say."""
    start = without_bom(head).lstrip()
    claimed = (fmt for fmt in FORMATS.values() if fmt.sniff is not None and fmt.sniff(start))
    return next(claimed, FORMATS[SNIFFED_OTHERWISE])


def format_of_chunk(chunk: Chunk) -> Format:
    """The format whose mapper makes a chunk's items records."""
    return FORMATS[chunk.format or BY_KIND[chunk.kind]]
