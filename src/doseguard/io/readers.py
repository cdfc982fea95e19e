"""Read order records from CSV, JSON Lines, JSON arrays and FHIR (files, ``.gz`` files or stdin).

Reading is lazy and never stops at a bad record: a line or row that cannot be read becomes an
:class:`InputRecord` with an ``error``, reported in its place. The cutting into chunks is shared with
the parallel batch path (:mod:`doseguard.batch.chunks`), so both read exactly the same records.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any

import orjson

from doseguard.batch.chunks import STDIN, UNREADABLE, Chunk, ChunkReader, input_format, kind_of
from doseguard.checker import InputRecord

__all__ = ["STDIN", "input_format", "read_input", "read_inputs", "record_of_line", "records_of"]


def read_inputs(paths: Iterable[str]) -> Iterator[InputRecord]:
    """Records of every input, in order. Raises :class:`InputError` for a file that cannot be opened."""
    for chunk in ChunkReader(list(paths)):
        yield from records_of(chunk)


def read_input(path: str) -> Iterator[InputRecord]:
    """Records of one input ('-' for stdin)."""
    return read_inputs([path])


def records_of(chunk: Chunk) -> Iterator[InputRecord]:
    """The input records of one chunk, in order, one per record the chunk counts."""
    chunk = chunk.as_lines()
    if chunk.kind == "lines":
        for offset, raw in enumerate(chunk.items):
            if raw.strip():
                yield record_of_line(f"{chunk.name}:{chunk.first_line + offset}", raw)
    elif chunk.kind == "rows":
        for line, row in chunk.items:
            yield _from_row(f"{chunk.name}:{line}", chunk.header, row)
    else:
        resources = chunk.context.get("resources")
        for source, value in chunk.items:
            yield _from_object(source, value, resources)


def record_of_line(source: str, raw: bytes) -> InputRecord:
    """One JSON line as a record (or as the reason it cannot be one)."""
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError:  # also nesting deeper than 1024 and integers beyond 64 bits
        return InputRecord(source, error=_why_not_json(raw))
    return _from_object(source, data, None)


def _why_not_json(raw: bytes) -> str:
    """A reason a person understands (the standard library's words are clearer than orjson's)."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        return f"not UTF-8 text (byte {error.start + 1})"
    try:
        json.loads(text)
    except json.JSONDecodeError as error:
        return f"not JSON: {error.msg} at column {error.colno}"
    except RecursionError:
        return "not readable: nested too deeply"
    except ValueError as error:  # e.g. an integer with thousands of digits
        return f"not readable: {error}"
    return "not readable: a number or nesting beyond what doseguard accepts"


def _from_object(source: str, value: Any, resources: dict[str, Any] | None) -> InputRecord:
    if isinstance(value, UNREADABLE):
        return InputRecord(source, error=value.reason)
    if not isinstance(value, dict):
        return InputRecord(source, error=f"expected a JSON object, got {kind_of(value)}")
    if "resourceType" in value:
        from doseguard.io.fhir import fhir_record  # noqa: PLC0415 (FHIR mapping loads only when needed)

        return fhir_record(source, value, resources)
    return InputRecord(source, value)


def _from_row(source: str, header: tuple[str, ...], row: list[str] | str) -> InputRecord:
    if isinstance(row, str):
        return InputRecord(source, error=row)
    if len(row) != len(header):  # a short row is a truncated line, not cells "not stated"
        return InputRecord(source, error=f"the row has {len(row)} cells but the header has {len(header)}")
    if _has_surrogates(row):
        return InputRecord(source, error="not UTF-8 text")
    return InputRecord(source, dict(zip(header, row, strict=True)))


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
