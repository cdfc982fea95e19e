"""Read order records from CSV, JSON Lines, JSON arrays and FHIR (files, ``.gz`` files or stdin).

Reading is lazy and never stops at a bad record: a line or row that cannot be read becomes an
:class:`InputRecord` with an ``error``, reported in its place. The cutting into chunks is shared with
the parallel batch path (:mod:`doseguard.io.chunk_reader`), and so is the mapping of a chunk's items
into records (:func:`records_of`, the format's mapper), so both read exactly the same records.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from doseguard.io.chunk_reader import ChunkReader
from doseguard.io.chunks import Chunk
from doseguard.io.formats import format_of_chunk, input_format
from doseguard.io.json_records import object_record, record_of_line
from doseguard.io.streams import STDIN
from doseguard.records import InputRecord

__all__ = [
    "STDIN",
    "input_format",
    "object_record",
    "read_input",
    "read_inputs",
    "record_of_line",
    "records_of",
]


def read_inputs(paths: Iterable[str]) -> Iterator[InputRecord]:
    """Records of every input, in order. Raises :class:`InputError` for a file that cannot be opened."""
    for chunk in ChunkReader(list(paths)):
        yield from records_of(chunk)


def read_input(path: str) -> Iterator[InputRecord]:
    """Records of one input ('-' for stdin)."""
    return read_inputs([path])


def records_of(chunk: Chunk) -> Iterator[InputRecord]:
    """The input records of one chunk, in order, one per record the chunk counts."""
    return format_of_chunk(chunk).records(chunk)
