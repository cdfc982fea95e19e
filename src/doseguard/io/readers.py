"""Read order records from CSV, JSON Lines and JSON arrays (files or stdin), lazily.

A line or row that cannot be read becomes an :class:`InputRecord` with an ``error``, never an
exception that stops the batch: every record read is a record reported.
"""

from __future__ import annotations

import csv
import io
import json
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO

from doseguard.checker import InputRecord
from doseguard.errors import InputError

FORMATS = {".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "json", ".csv": "csv"}
STDIN = "-"


def input_format(path: str) -> str:
    suffix = Path(path).suffix.lower()
    if suffix not in FORMATS:
        raise InputError(
            path, f"unknown input format {suffix or '(no extension)'!r}: use .jsonl, .ndjson, .json or .csv"
        )
    return FORMATS[suffix]


def read_inputs(paths: Iterable[str]) -> Iterator[InputRecord]:
    """Records of every input, in order. Raises :class:`InputError` for a file that cannot be opened."""
    for path in paths:
        yield from read_input(path)


def read_input(path: str) -> Iterator[InputRecord]:
    if path == STDIN:
        data = sys.stdin.buffer.read()
        yield from _read_bytes("<stdin>", _sniff(data), data)
        return
    kind = input_format(path)
    try:
        handle = Path(path).open("rb")  # noqa: SIM115 (closed by the with below; open errors become InputError)
    except OSError as error:
        raise InputError(path, error.strerror or str(error)) from None
    with handle:
        if kind == "json":
            yield from _read_bytes(path, kind, handle.read())
        else:
            yield from _read_stream(path, kind, handle)


def _sniff(data: bytes) -> str:
    start = data.removeprefix(b"\xef\xbb\xbf").lstrip()[:1]
    if start == b"[":
        return "json"
    if start == b"{":
        return "jsonl"
    return "csv"


def _read_bytes(name: str, kind: str, data: bytes) -> Iterator[InputRecord]:
    if kind == "json":
        yield from _json_array(name, data)
    else:
        yield from _read_stream(name, kind, io.BytesIO(data))


def _read_stream(name: str, kind: str, handle: IO[bytes]) -> Iterator[InputRecord]:
    if kind == "jsonl":
        yield from _json_lines(name, handle)
    else:
        yield from _csv_rows(name, handle)


def _json_lines(name: str, handle: IO[bytes]) -> Iterator[InputRecord]:
    for number, raw in enumerate(handle, start=1):
        line = raw.strip()
        if not line:
            continue
        source = f"{name}:{number}"
        try:
            text = line.decode("utf-8-sig" if number == 1 else "utf-8")
        except UnicodeDecodeError as error:
            yield InputRecord(source, error=f"not UTF-8 text (byte {error.start + 1})")
            continue
        try:
            data = json.loads(text)
        except json.JSONDecodeError as error:
            yield InputRecord(source, error=f"not JSON: {error.msg} at column {error.colno}")
            continue
        if not isinstance(data, dict):
            yield InputRecord(source, error=f"expected a JSON object, got {_kind(data)}")
            continue
        yield InputRecord(source, data)


def _json_array(name: str, data: bytes) -> Iterator[InputRecord]:
    try:
        parsed = json.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError as error:
        raise InputError(name, f"not UTF-8 text (byte {error.start + 1})") from None
    except json.JSONDecodeError as error:
        raise InputError(name, f"not JSON: {error.msg} at line {error.lineno} column {error.colno}") from None
    if isinstance(parsed, dict):
        parsed = [parsed]
    if not isinstance(parsed, list):
        raise InputError(name, f"expected a JSON array of orders, got {_kind(parsed)}")
    for index, item in enumerate(parsed, start=1):
        source = f"{name}:[{index}]"
        if not isinstance(item, dict):
            yield InputRecord(source, error=f"expected a JSON object, got {_kind(item)}")
        else:
            yield InputRecord(source, item)


def _csv_rows(name: str, handle: IO[bytes]) -> Iterator[InputRecord]:
    text = io.TextIOWrapper(handle, encoding="utf-8-sig", errors="surrogateescape", newline="")
    reader = csv.DictReader(text)
    if reader.fieldnames is None:
        return
    header = [h.strip() if h else h for h in reader.fieldnames]
    reader.fieldnames = header
    duplicates = {h for h in header if header.count(h) > 1}
    if duplicates:
        raise InputError(name, f"the header repeats the column(s) {', '.join(sorted(duplicates))}")
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as error:  # one malformed row; the reader goes on with the next line
            yield InputRecord(f"{name}:{reader.line_num}", error=f"CSV: {error}")
            continue
        source = f"{name}:{reader.line_num}"
        extra = row.pop(None, None)
        if extra:
            yield InputRecord(
                source, error=f"the row has {len(header) + len(extra)} cells but the header has {len(header)}"
            )
            continue
        if any(isinstance(v, str) and _has_surrogates(v) for v in row.values()):
            yield InputRecord(source, error="not UTF-8 text")
            continue
        yield InputRecord(source, {k: v for k, v in row.items() if v is not None})


def _has_surrogates(text: str) -> bool:
    return any("\udc80" <= ch <= "\udcff" for ch in text)


def _kind(value: object) -> str:
    return {list: "an array", str: "a string", int: "a number", float: "a number", bool: "true/false"}.get(
        type(value), "null" if value is None else type(value).__name__
    )
