"""Column maps: which column of a hospital's export holds which order field (``--columns``).

A map is a YAML file (``columns:``, order field: the export's column header, or a list of headers of
which the first the file has is read) or a preset shipped in ``column_presets/``. It is read once,
every mistake located (``map.yaml:4:9: ...``), and applied to a file's header once: the rows are then
read under the order fields' names, with no work per row (:func:`map_header`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache, lru_cache
from importlib.resources import files
from pathlib import Path
from typing import Any

from doseguard.errors import (
    ColumnMapError,
    FieldProblem,
    InputError,
    ProblemKind,
    RuleProblem,
    SourceLocation,
)
from doseguard.orders.model import RECORD_FIELDS, REQUIRED_FIELDS
from doseguard.orders.normalise import misnamed_field
from doseguard.records import InputRecord
from doseguard.rules.yaml_source import YamlDocument, load_yaml
from doseguard.suggestions import closest, did_you_mean

PENDING_FIELDS = ("status", "rxnorm", "ndc")
"""Order fields other parts of issue 10 add to the record (the order status, drug codes): a map may
name them now; until the record reads them, their columns are ignored like any unknown column."""

MAP_FIELDS = (*RECORD_FIELDS, *(name for name in PENDING_FIELDS if name not in RECORD_FIELDS))
"""The order fields a map may name."""

_KEYS = ("columns", "description")


def column_name(cell: str) -> str:
    """A column header as doseguard compares it: "Order ID", "order-id" and "ORDER_ID" are one."""
    return re.sub(r"[\s\-]+", "_", cell.strip().lstrip("\ufeff").lower())


@dataclass(frozen=True)
class ColumnMap:
    """Order field → the headers (as :func:`column_name` spells them) that may hold it, first first.

    ``strict``: every field's column must be in the file (a map a person wrote for their export: a
    misspelt header would drop a field); a preset is not strict (it lists what such exports may hold).
    ``written`` keeps each field's headers as the map writes them, for messages.
    """

    name: str
    fields: Mapping[str, tuple[str, ...]]
    strict: bool = True
    description: str = ""
    written: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def by_column(self) -> dict[str, str]:
        """Each header the map names → its field."""
        return {column: name for name, columns in self.fields.items() for column in columns}


def presets() -> dict[str, str]:
    """The presets shipped with doseguard: name → description."""
    return {name: _preset_map(name).description for name in _preset_names()}


def load_column_map(spec: str) -> ColumnMap:
    """The map a ``--columns`` value names: a preset's name, or a map file's path."""
    if spec in _preset_names():
        return _preset_map(spec)
    path = Path(spec)
    if not path.is_file():
        names = _preset_names()
        hint = did_you_mean(closest(spec, names)) if "/" not in spec else ""
        where = SourceLocation(spec, 1, 1)
        message = f"no such column map file or preset{hint} (presets: {', '.join(names)})"
        raise ColumnMapError([RuleProblem(where, message, kind=ProblemKind.IO)])
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise ColumnMapError([RuleProblem(SourceLocation(spec, 1, 1), f"cannot read: {error}")]) from None
    return parse_column_map(spec, text, strict=True)


def parse_column_map(name: str, text: str, *, strict: bool = True) -> ColumnMap:
    """A map from its YAML text; raises :class:`ColumnMapError` with every problem located."""
    document, problems = load_yaml(name, text)
    if document is None:
        raise ColumnMapError(problems)
    data = document.data
    if not isinstance(data, dict) or not isinstance(data.get("columns"), dict) or not data["columns"]:
        where = document.locate(("columns",)) if isinstance(data, dict) else SourceLocation(name, 1, 1)
        example = "columns: {order_id: ORDER_MED_ID, patient_id: PAT_MRN_ID, drug: MEDICATION_NAME}"
        problems.append(
            RuleProblem(where, f"a column map is a mapping 'columns:' of order field to column ({example})")
        )
        raise ColumnMapError(problems)
    for key in data:
        if key not in _KEYS:
            problems.append(
                RuleProblem(
                    document.locate((key,), at_key=True),
                    f"unknown key {key!r}{did_you_mean(closest(str(key), _KEYS))} "
                    "(a map has: columns, description)",
                )
            )
    description = data.get("description")
    if description is not None and not isinstance(description, str):
        problems.append(RuleProblem(document.locate(("description",)), "description: must be text"))
    fields, written = _fields(document, data["columns"], problems)
    if problems:
        raise ColumnMapError(problems)
    return ColumnMap(name, fields, strict, description or "", written)


def _fields(
    document: YamlDocument, columns: dict[object, object], problems: list[RuleProblem]
) -> tuple[dict[str, tuple[str, ...]], dict[str, tuple[str, ...]]]:
    fields: dict[str, tuple[str, ...]] = {}
    written: dict[str, tuple[str, ...]] = {}
    taken: dict[str, str] = {}  # column → the field that reads it
    for key, value in columns.items():
        where = ("columns", key)
        if key not in MAP_FIELDS:
            meant = closest(str(key), MAP_FIELDS)
            problems.append(
                RuleProblem(
                    document.locate(where, at_key=True),
                    f"{key!r} is not an order field{did_you_mean(meant)}",
                    suggestion=meant,
                )
            )
            continue
        listed = value if isinstance(value, list) else [value]
        headers = [h for h in listed if isinstance(h, str) and h.strip()]
        if not headers or len(headers) != len(listed):
            problems.append(
                RuleProblem(
                    document.locate(where),
                    f"{key}: must be the export's column header (text), or a list of headers",
                )
            )
            continue
        named = tuple(column_name(h) for h in headers)
        for header, spelled in zip(headers, named, strict=True):
            if spelled in taken:
                problems.append(
                    RuleProblem(
                        document.locate(where),
                        f"{key}: column {header!r} is already read as {taken[spelled]!r}: "
                        "one column holds one field",
                    )
                )
            taken.setdefault(spelled, str(key))
        fields[str(key)] = named
        written[str(key)] = tuple(h.strip() for h in headers)
    return fields, written


@lru_cache(maxsize=1)
def _preset_names() -> tuple[str, ...]:
    folder = files("doseguard.io") / "column_presets"
    return tuple(sorted(entry.name[:-5] for entry in folder.iterdir() if entry.name.endswith(".yaml")))


@cache
def _preset_map(name: str) -> ColumnMap:
    text = (files("doseguard.io") / "column_presets" / f"{name}.yaml").read_text(encoding="utf-8")
    return parse_column_map(f"preset {name}", text, strict=False)


@dataclass(frozen=True)
class MappedHeader:
    """A file's header under order fields' names: the field each column is read as (None: none, its
    cells are kept under its own name and not read), and those columns as the file writes them."""

    names: tuple[str | None, ...]
    ignored: tuple[str, ...]
    missing: str | None = None  # why every row will be invalid: required fields no column gives


def map_header(file: str, cells: Sequence[str], columns: ColumnMap | None) -> MappedHeader:
    """The name each column of ``file``'s header is read as, or :class:`InputError` when the map does
    not fit the file: a column a strict map names missing, two columns for one field. Required
    fields no column gives are said once (``missing``: naming them, what was meant and what was
    ignored); each row is then invalid, as a row without them is (one result per record).

    A column that is no order field is not read (and named once in the run's notes), unless it reads
    like one ("alergies", "allergy"): such a column is read as itself, and makes each order invalid,
    naming it, as ignoring it could miss what it says (a cobalt allergy)."""
    spelled = [column_name(cell) for cell in cells]
    shown = [cell.strip().lstrip("\ufeff") for cell in cells]
    chosen: dict[int, str] = {}  # column → the field the map reads from it
    problems: list[str] = []
    if columns is not None:
        for name, headers in columns.fields.items():
            found = next((spelled.index(h) for h in headers if h in spelled), None)
            if found is not None:
                chosen[found] = name
            elif columns.strict:
                written = " or ".join(repr(h) for h in columns.written.get(name, headers))
                meant = closest(headers[0], spelled)
                hint = did_you_mean(shown[spelled.index(meant)] if meant is not None else None)
                problems.append(f"{name}: column {written} is not in the header{hint}")
    read_from = {name: index for index, name in chosen.items()}
    names: list[str | None] = []
    for index, spelling in enumerate(spelled):
        if index in chosen:
            names.append(chosen[index])
        elif spelling in read_from and spelling in RECORD_FIELDS:
            problems.append(
                f"column {shown[index]!r} is the field {spelling}, which the map reads from "
                f"{shown[read_from[spelling]]!r}: two columns for one field (rename or remove one)"
            )
            names.append(None)
        else:
            names.append(spelling)
    stated = frozenset(name for name in names if name in RECORD_FIELDS)
    for index, named in enumerate(names):
        if named is not None and named not in RECORD_FIELDS and misnamed_field(named, stated) is None:
            names[index] = None  # not an order field, nor one written otherwise: not read
    ignored = tuple(cell for cell, name in zip(shown, names, strict=True) if name is None)
    if problems:
        raise InputError(file, "; ".join(problems))
    missing = [name for name in REQUIRED_FIELDS if name not in names]
    said = _missing(missing, columns, spelled, shown, ignored) if missing else None
    return MappedHeader(tuple(names), ignored, said)


def _missing(
    missing: list[str],
    columns: ColumnMap | None,
    spelled: list[str],
    shown: list[str],
    ignored: tuple[str, ...],
) -> str:
    """One message for the required fields no column gives: each with the column meant, if one is close."""
    said = []
    for name in missing:
        wanted = columns.fields.get(name, ()) if columns is not None else ()
        meant = closest(wanted[0] if wanted else name, spelled)
        via = ""
        if columns is not None and name in columns.written:
            via = f" (the map's {' or '.join(repr(h) for h in columns.written[name])})"
        said.append(f"{name}{via}{did_you_mean(shown[spelled.index(meant)] if meant else None)}")
    left = f"; columns ignored: {', '.join(ignored)}" if ignored else ""
    hint = (
        ""
        if columns is not None
        else " (name them in the header, or map the export's columns with --columns)"
    )
    return f"no column for the required field(s) {', '.join(said)}{hint}: every row is invalid{left}"


def mapped_record(item: InputRecord, by_column: Mapping[str, str]) -> InputRecord:
    """A JSON record with its keys read as a column map says (``by_column``: header → field, keys
    compared as headers are); a record that also states a mapped field under its own name is
    invalid, naming both (which one is meant cannot be told)."""
    data = item.data
    if type(data) is not dict:
        return item
    renamed: dict[Any, Any] = {}
    problems = []
    for key, value in data.items():
        field = by_column.get(_key_column(key)) if type(key) is str else None
        if field is None or field == key:
            renamed.setdefault(key, value)
            continue
        if field in data:
            problems.append(
                FieldProblem(
                    str(key),
                    f"the column map reads {field} from {key!r}, and the record also states {field!r}: "
                    "which is meant cannot be told",
                )
            )
        renamed[field] = value
    if problems:
        return InputRecord(item.source, data, problems=tuple(problems))
    return InputRecord(item.source, renamed, item.error, item.problems)


@lru_cache(maxsize=4096)
def _key_column(key: str) -> str:
    return column_name(key)
