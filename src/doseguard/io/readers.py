"""Read order records from CSV, JSON Lines, JSON arrays and FHIR (files, ``.gz`` files or stdin).

Reading is lazy and never stops at a bad record: a line or row that cannot be read becomes an
:class:`InputRecord` with an ``error``, reported in its place. The cutting into chunks is shared with
the parallel batch path (:mod:`doseguard.io.chunks`), so both read exactly the same records.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

import orjson

from doseguard.checker import InputRecord
from doseguard.errors import FieldProblem
from doseguard.io.chunks import STDIN, Chunk, ChunkReader, input_format, kind_of
from doseguard.io.json_text import Unreadable, explain, may_repeat_keys, not_utf8_at, refuse_repeats

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
            yield object_record(source, value, resources)


def record_of_line(source: str, raw: bytes) -> InputRecord:
    """One JSON line (or JSON array element) as a record, or as the reason it cannot be one.

    orjson keeps the last of two values under one key: a line that may repeat a key (the cheap
    test inlined here holds for any plain order without a colon in a value) is read again strictly.
    """
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError:  # also nesting deeper than 1024 and numbers out of range
        if raw.startswith(b"\xef\xbb\xbf"):  # the start of a file joined to another (cat a.jsonl b.jsonl)
            return record_of_line(source, raw[3:])
        return object_record(source, explain(raw), None)
    if (
        type(data) is dict
        and (raw.count(b":") != len(data) or raw.count(b"{") != 1)
        and may_repeat_keys(raw, data)
    ):
        data = refuse_repeats(raw) or data
    return object_record(source, data, None)


def object_record(source: str, value: Any, resources: Mapping[str, Any] | None) -> InputRecord:
    """One parsed value as a record; ``resources`` (a Bundle's, for its references) is None unless
    the value is a Bundle's entry."""
    if isinstance(value, Unreadable):
        if value.problems:
            return InputRecord(source, data=value.data, problems=value.problems)
        return InputRecord(source, data=value.data, error=value.reason)
    if isinstance(value, bytes):  # a JSON array's element, as cut by the main process
        return record_of_line(source, value)
    if not isinstance(value, dict):
        return InputRecord(source, error=f"expected a JSON object, got {kind_of(value)}")
    if "resourceType" in value or resources is not None:  # a Bundle's entries are all resources
        from doseguard.io.fhir import fhir_record  # noqa: PLC0415 (FHIR mapping loads only when needed)

        return fhir_record(source, value, resources)
    return InputRecord(source, value)


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
