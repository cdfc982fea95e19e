"""The rows of one patient-context file (a patients file, the MAR, labs): CSV or JSON Lines, ``.gz``
read through, each row as ``file:line`` and its columns, or why it cannot be read.

The bytes are read as order inputs are (:mod:`doseguard.io.inputs`, :mod:`doseguard.io.csv_rows`,
:mod:`doseguard.io.json_records`): BOMs, UTF-16, CR line ends, NULs, unclosed quotes and long lines
spoil one row, never the file. A row keeps only the columns its kind reads; the others are said once
per file (with the column meant), not per row.
"""

from __future__ import annotations

import gzip
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import IO, Any

from doseguard.errors import InputError
from doseguard.io.csv_format import row_record
from doseguard.io.csv_open import open_csv, refuse_repeated_columns, without_repeated_headers
from doseguard.io.csv_rows import text_lines
from doseguard.io.inputs import open_input
from doseguard.io.json_records import kind_of, record_of_line
from doseguard.suggestions import closest, did_you_mean

FORMATS = ("csv", "tsv", "jsonl")
"""The formats a patient-context file may have (by extension; ``.gz`` read through)."""

Row = tuple[str, dict[str, Any] | str]
"""``file:line`` and the row's known columns that are not blank, or why the row cannot be read."""


@dataclass(frozen=True)
class Columns:
    """What one kind of file holds: the columns it reads and those a row cannot do without."""

    kind: str  # as messages name the file: "patients", "administrations", "labs"
    known: tuple[str, ...]
    required: tuple[str, ...]


@dataclass
class RowReader:
    """Reads the rows of patient-context files, saying once per file what it does not read."""

    warn: Callable[[str], None] = field(default=lambda message: None)

    def rows(self, path: str, columns: Columns) -> Iterator[Row]:
        """The rows of ``path``; raises :class:`InputError` for a file that cannot be read at all
        (missing, another format, a header without ``patient_id``)."""
        try:
            opened = open_input(path)
        except (OSError, EOFError, gzip.BadGzipFile) as error:
            raise InputError(path, f"cannot read: {error}") from None
        if opened.format not in FORMATS:
            opened.stream.close()
            raise InputError(
                path, f"a {columns.kind} file is CSV or JSON Lines (.csv, .tsv, .jsonl), not {opened.format}"
            )
        name = opened.name
        try:
            with opened.stream:
                if opened.format == "jsonl":
                    yield from self._json_rows(name, opened.stream, columns)
                else:
                    yield from self._csv_rows(
                        name, opened.stream, columns, "\t" if opened.format == "tsv" else None
                    )
                opened.check_unchanged()
        except (OSError, EOFError, gzip.BadGzipFile) as error:
            raise InputError(path, f"cannot read: {error}") from None
        finally:
            if opened.raw is not None and opened.raw is not opened.stream:
                opened.raw.close()

    def _csv_rows(
        self, name: str, stream: IO[bytes], columns: Columns, delimiter: str | None
    ) -> Iterator[Row]:
        """Opened, its header spelt and repeated header lines told, as an orders CSV is
        (:mod:`doseguard.io.csv_open`); each row read as an order row is (:func:`row_record`)."""
        opened = open_csv(name, stream, delimiter, columns.known)
        if opened is None:
            return
        header = opened.names
        _check_header(name, header, columns)
        self._unknown(name, [cell for cell in header if cell not in columns.known], columns)
        reader = opened.records
        reader.width, reader.header = len(header), header
        reader.single_line = frozenset(i for i, cell in enumerate(header) if cell in columns.known)
        width = len(header)
        kept = [(i, cell) for i, cell in enumerate(header) if cell in columns.known]
        for line, row in without_repeated_headers(name, opened, columns.known):
            source = f"{name}:{line}"
            if type(row) is list and len(row) == width and "".join(row).isascii():
                # the usual row, read as row_record would (no surrogates in ASCII), without its record
                yield source, {key: cell for i, key in kept if (cell := row[i]).strip()}
                continue
            record = row_record(source, header, row)
            if record.error is not None or record.problems:
                yield source, record.error or "; ".join(str(problem) for problem in record.problems)
            else:
                yield (
                    source,
                    {key: cell for key, cell in record.data.items() if key in columns.known and cell.strip()},
                )

    def _json_rows(self, name: str, stream: IO[bytes], columns: Columns) -> Iterator[Row]:
        unknown: dict[str, None] = {}
        seen = False  # a line that is not blank
        for number, raw in text_lines(name, stream):
            source = f"{name}:{number}"
            if not seen and raw.lstrip().startswith(b"["):
                yield source, _ARRAY  # one problem, not one a line of the array (and its elements read)
                return
            seen = True
            if b'"resourceType"' in raw:
                yield (
                    source,
                    (
                        "a FHIR resource: FHIR Bulk NDJSON is read from --history DIR, in files named by "
                        "resource type (Patient.ndjson, Observation.ndjson, ...)"
                    ),
                )
                continue
            record = record_of_line(source, raw)
            if record.error is not None or record.problems:
                yield source, record.error or "; ".join(str(problem) for problem in record.problems)
                continue
            data = record.data
            if type(data) is not dict:
                yield source, f"expected a JSON object, got {kind_of(data)}"
                continue
            unknown.update(dict.fromkeys(key for key in data if key not in columns.known))
            yield (
                source,
                {key: value for key, value in data.items() if key in columns.known and not _blank(value)},
            )
        self._unknown(name, list(unknown), columns)

    def _unknown(self, name: str, names: list[str], columns: Columns) -> None:
        for unread in names:
            if not unread:
                continue
            meant = closest(unread, columns.known)
            self.warn(
                f"{name}: the column {unread!r} is not one a {columns.kind} file has, not read"
                f"{did_you_mean(meant)}"
            )


_ARRAY = (
    "a JSON array, not JSON Lines (one object a line): the file is not read; "
    "write one object per line (jq -c '.[]' turns an array into JSON Lines)"
)


def _check_header(name: str, header: tuple[str, ...], columns: Columns) -> None:
    """A header without a column every row needs (most likely no header line, or another kind of
    file) cannot be read row by row: refused whole, as an unreadable input is."""
    missing = [required for required in columns.required if required not in header]
    if missing:
        raise InputError(
            name,
            f"the first line names no {', '.join(missing)} column: a {columns.kind} file's header names "
            f"{', '.join(columns.known)}",
        )
    refuse_repeated_columns(name, header)


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip()) or value == []
