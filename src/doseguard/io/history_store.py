"""The run's patient context on disk: every valid history item in one SQLite file, indexed by patient,
so that big, unsorted history files are grouped by patient without being held in memory.

The main process writes it once, before any order is checked (``executemany`` in batches, one
transaction, the index built after loading: memory stays flat in the size of the files), in the run's
private temporary folder, never beside the inputs, removed when the run ends. Workers open it
read-only and keep a few recent patients' contexts (a patient's orders come together in most exports).
"""

from __future__ import annotations

import contextlib
import shutil
import sqlite3
import tempfile
from collections import Counter, OrderedDict
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from itertools import groupby
from pathlib import Path
from typing import Any
from urllib.request import pathname2url

import orjson

from doseguard.errors import HistoryProblem, PatientFactError, TextProblem
from doseguard.orders.patient import (
    parse_age,
    parse_birth_date,
    parse_height,
    parse_pregnant,
    parse_renal,
    parse_sex,
    parse_weight,
)
from doseguard.orders.text import read_text
from doseguard.patients.model import (
    Administration,
    AdministrationStatus,
    HistoryItem,
    HistoryKind,
    LabResult,
    OtherOrder,
    PatientContext,
)

BATCH = 5000
"""Rows written per ``executemany``: what the loader holds in memory at most."""
CACHE = 256
"""Patients' contexts a worker keeps (least recently used dropped first)."""
STORE_NAME = "history.sqlite"

_PATIENT, _ADMINISTRATION, _LAB, _ORDER = 0, 1, 2, 3
_GAP = 9  # a record of the patient's that was not used: where it is (read whatever the rules read)
_LISTS = ("allergies", "conditions")
_CODES = {
    HistoryKind.PATIENT: _PATIENT,
    HistoryKind.ADMINISTRATIONS: _ADMINISTRATION,
    HistoryKind.LABS: _LAB,
    HistoryKind.ORDERS: _ORDER,
}


class PatientFields(dict[str, Any]):
    """A patients-file row's fields (as a plain ``dict`` compares) and where it was read
    (``file:line``), so that a row disagreeing with an earlier one of its patient is said in place.
    A reader that yields a plain ``dict`` (no place) is located by the patient id."""

    __slots__ = ("source",)

    def __init__(self, fields: Mapping[str, Any], source: str) -> None:
        super().__init__(fields)
        self.source = source


@dataclass(frozen=True)
class Conflict:
    """A field a patient's later row gives another value than an earlier row did."""

    field: str
    value: Any
    source: str  # the later row's
    first: Any
    first_source: str


@contextlib.contextmanager
def run_folder() -> Iterator[Path]:
    """A private temporary folder for one run (mode 0700), removed with all it holds when it ends."""
    folder = Path(tempfile.mkdtemp(prefix="doseguard-run-"))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def write_store(
    path: Path,
    kinds: frozenset[HistoryKind],
    items: Iterable[HistoryItem | HistoryProblem],
    on_problem: Callable[[HistoryProblem], None] = lambda problem: None,
) -> int:
    """Write every item to a new store at ``path``; each problem goes to ``on_problem``, not to the
    store. Returns how many items were stored."""
    connection = sqlite3.connect(path, isolation_level=None)
    stored = 0
    try:
        connection.execute("PRAGMA journal_mode=OFF")  # a scratch file: rebuilt, never recovered
        connection.execute("PRAGMA synchronous=OFF")
        connection.execute(
            "CREATE TABLE items "
            "(patient_id TEXT NOT NULL, kind INTEGER NOT NULL, at REAL, seq INTEGER, data BLOB)"
        )
        connection.execute("CREATE TABLE meta (kinds TEXT NOT NULL)")
        connection.execute("INSERT INTO meta VALUES (?)", (",".join(sorted(kinds)),))
        connection.execute("BEGIN")
        batch: list[tuple[str, int, float | None, int, bytes]] = []
        counts: Counter[int] = Counter()
        for item in items:
            if isinstance(item, HistoryProblem):
                on_problem(item)
                if item.patient_id is not None:
                    batch.append(_gap(item.patient_id, item.source, stored))
                continue
            row = _row(item, stored)
            batch.append(row)
            counts[row[1]] += 1
            stored += 1
            if len(batch) >= BATCH:
                connection.executemany("INSERT INTO items VALUES (?, ?, ?, ?, ?)", batch)
                batch = []
        connection.executemany("INSERT INTO items VALUES (?, ?, ?, ?, ?)", batch)
        connection.execute("CREATE TABLE counts (kind INTEGER PRIMARY KEY, items INTEGER NOT NULL)")
        connection.executemany("INSERT INTO counts VALUES (?, ?)", sorted(counts.items()))
        connection.execute("COMMIT")
        # The data in the index too: a patient's rows are scattered over the table (files come in time
        # order), so reading them through a plain index costs a page each; this one holds them side by
        # side (a context read 54 -> 17 us for 24 rows; the file is about 1.7 times larger).
        connection.execute("CREATE INDEX by_patient ON items (patient_id, kind, at, seq, data)")
        if counts[_PATIENT] > 1:
            gaps = []
            for problem in _conflicts(connection):
                on_problem(problem)
                if problem.patient_id is not None:
                    gaps.append(_gap(problem.patient_id, problem.source, stored))
            connection.executemany("INSERT INTO items VALUES (?, ?, ?, ?, ?)", gaps)
    finally:
        connection.close()
    return stored


def _conflicts(connection: sqlite3.Connection) -> Iterator[HistoryProblem]:
    """Each field a patient's rows disagree on, at the later row: read in the main process, once, in
    patient order from an index holding only patient rows (memory: one patient's rows)."""
    connection.execute("CREATE INDEX patient_rows ON items (patient_id, seq) WHERE kind = 0")
    rows = connection.execute(  # only the patients of two rows or more reach Python
        "SELECT patient_id, data FROM items WHERE kind = 0 AND patient_id IN "
        "(SELECT patient_id FROM items INDEXED BY patient_rows WHERE kind = 0 GROUP BY patient_id "
        "HAVING count(*) > 1) ORDER BY patient_id, seq"
    )
    for patient_id, group in groupby(rows, key=lambda row: row[0]):
        _, conflicts = merge_patient_rows(orjson.loads(data) for _, data in group)
        for conflict in conflicts:
            yield HistoryProblem(
                conflict.source or f"patient {patient_id}",
                conflict.field,
                f"{conflict.value!r} here, {conflict.first!r} at "
                f"{conflict.first_source or 'an earlier record'}: the patient's rows disagree, "
                f"so neither value is used for {patient_id}",
                patient_id,
            )


class HistoryStore:
    """A store opened read-only: each patient's :class:`PatientContext`, with the run's kinds."""

    def __init__(
        self, path: Path | str, cache: int = CACHE, needs: frozenset[HistoryKind] | None = None
    ) -> None:
        """``needs``: the kinds of history the reader's rules aggregate (None: every kind). Only those
        are read, and said held (patient fields always are): what no loaded rule reads costs nothing,
        and no outcome depends on it."""
        uri = f"file:{pathname2url(str(Path(path).resolve()))}?mode=ro"  # never written by a worker
        self._connection = sqlite3.connect(uri, uri=True, check_same_thread=False)
        (kinds,) = self._connection.execute("SELECT kinds FROM meta").fetchone()
        held = frozenset(HistoryKind(kind) for kind in kinds.split(",") if kind)
        self.kinds = held if needs is None else held & (needs | {HistoryKind.PATIENT})
        codes = ",".join(
            [*(str(_CODES[kind]) for kind in sorted(self.kinds | {HistoryKind.PATIENT})), str(_GAP)]
        )
        self._query = (
            f"SELECT kind, data FROM items WHERE patient_id = ? AND kind IN ({codes}) ORDER BY kind, at, seq"
        )
        self._cache: OrderedDict[str, PatientContext] = OrderedDict()
        self._size = cache
        patients = self._connection.execute("SELECT items FROM counts WHERE kind = ?", (_PATIENT,)).fetchone()
        self.says_nothing = not (self.kinds - {HistoryKind.PATIENT}) and not (patients and patients[0])
        """No patient has fields here and no history kind is read: every context would be empty, and a
        record checked with one is checked as with none."""

    def context(self, patient_id: str) -> PatientContext:
        """Everything the run holds of this patient (an empty history of each kind the run holds
        when the files hold nothing of them), histories sorted by time."""
        patient_id = patient_key(patient_id)
        cached = self._cache.get(patient_id)
        if cached is not None:
            self._cache.move_to_end(patient_id)
            return cached
        context = self._read(patient_id)
        self._cache[patient_id] = context
        if len(self._cache) > self._size:
            self._cache.popitem(last=False)
        return context

    def close(self) -> None:
        self._connection.close()

    def _read(self, patient_id: str) -> PatientContext:
        rows = self._connection.execute(self._query, (patient_id,))
        patient_rows: list[list[Any]] = []
        administrations: list[Administration] = []
        labs: list[LabResult] = []
        orders: list[OtherOrder] = []
        gaps: list[str] = []
        loads, moment, statuses = orjson.loads, _moment, _STATUSES  # locals: a patient has many rows
        for kind, data in rows:
            value = loads(data)
            if kind == _ADMINISTRATION:
                drug, at, status, mcg, units, route, source = value
                administrations.append(
                    Administration(drug, moment(at), statuses[status], mcg, units, route, source)
                )
            elif kind == _LAB:
                test, number, at, unit, source = value
                labs.append(LabResult(test, number, moment(at), unit, source))
            elif kind == _PATIENT:
                patient_rows.append(value)
            elif kind == _GAP:
                gaps.append(value)
            else:
                drug, route, form, active, record, at = value
                orders.append(OtherOrder(drug, route, form, active, record, _moment(at) if at else None))
        fields, _ = merge_patient_rows(patient_rows)
        return PatientContext(
            patient_id, self.kinds, fields, tuple(administrations), tuple(labs), tuple(orders),
            gaps=tuple(gaps), field_sources=field_sources(patient_rows) if patient_rows else {},
        )  # fmt: skip


def patient_key(patient_id: str) -> str:
    """A patient id as the order model reads it (invisible characters removed, full-width forms
    folded), on both sides of the store: an id written with a zero-width space in one file and without
    it in another is one patient, as the order's own result says it is."""
    try:
        return read_text(patient_id, "patient_id").text
    except TextProblem:
        return patient_id.strip()


def _gap(patient_id: str, source: str, seq: int) -> tuple[str, int, float | None, int, bytes]:
    return patient_key(patient_id), _GAP, None, seq, orjson.dumps(source)


def _row(item: HistoryItem, seq: int) -> tuple[str, int, float | None, int, bytes]:
    patient_id, value = item
    patient_id = patient_key(patient_id)
    if isinstance(value, Administration):
        data = [value.drug, value.given_at.isoformat(), value.status.value, value.dose_mcg, value.dose_units,
                value.route, value.source]  # fmt: skip
        return patient_id, _ADMINISTRATION, value.given_at.timestamp(), seq, orjson.dumps(data)
    if isinstance(value, LabResult):
        data = [value.test, value.value, value.taken_at.isoformat(), value.unit, value.source]
        return patient_id, _LAB, value.taken_at.timestamp(), seq, orjson.dumps(data)
    if isinstance(value, OtherOrder):
        at = value.ordered_at
        data = [
            value.drug,
            value.route,
            value.form,
            value.active,
            value.record,
            at.isoformat() if at else None,
        ]
        # No sort time: a patient's other orders come back in the order they were written (record order).
        return patient_id, _ORDER, None, seq, orjson.dumps(data)
    source = value.source if isinstance(value, PatientFields) else ""
    return patient_id, _PATIENT, None, seq, orjson.dumps([source, value])


def merge_patient_rows(rows: Iterable[list[Any]]) -> tuple[dict[str, Any], list[Conflict]]:
    """A patient's rows (``[source, fields]``, in file order) into one record, and the conflicts.

    Allergies and conditions of every row are joined. Another field holds one value: the same value
    written otherwise (``80`` and ``"80 kg"``, ``"F"`` and ``"female"``: as the order reads it) is no
    conflict; two values are,
    said once per new value at the row that brings it, and the field is then taken from neither row
    (no row says which is right: a weight of 70 or 90 kg is the dose per kg a rule judges, so the
    field is left unknown and a rule that needs it is not evaluated, never judged on a guess). The
    workers merge with this function too, so what is said is what is checked."""
    fields: dict[str, Any] = {}
    seen: dict[str, tuple[Any, str, set[Any]]] = {}  # field: first value, its row, values seen
    conflicts: list[Conflict] = []
    for source, more in rows:
        for key, value in more.items():
            if key in _LISTS:
                fields[key] = _joined(fields[key], value) if key in fields else value
                continue
            canonical = _canonical(key, value)
            if key not in seen:
                seen[key] = (value, source, {canonical})
                fields[key] = value
            elif canonical not in seen[key][2]:
                first, first_source, values = seen[key]
                values.add(canonical)
                fields.pop(key, None)
                conflicts.append(Conflict(key, value, source, first, first_source))
    return fields, conflicts


def field_sources(rows: Iterable[list[Any]]) -> dict[str, str]:
    """Where each field of a patient's rows (``[source, fields]``) was first read, so that a value the
    order cannot use is named at its line."""
    found: dict[str, str] = {}
    for source, more in rows:
        if source:
            for key in more:
                found.setdefault(key, source)
    return found


_READ_AS: dict[str, Callable[[str], Any]] = {
    "weight_kg": parse_weight,
    "height_cm": parse_height,
    "age_years": parse_age,
    "creatinine_clearance_ml_min": lambda text: parse_renal(text, "creatinine_clearance_ml_min"),
    "egfr": lambda text: parse_renal(text, "egfr"),
    "sex": parse_sex,
    "pregnant": parse_pregnant,
    "birth_date": parse_birth_date,
}
"""How the order normaliser reads each patient field (``orders/patient.py``): two rows agree when
the order would read the same fact from either ("80 kg" and 80, "F" and "female")."""


def _canonical(key: str, value: Any) -> Any:
    """A patient value as the order would read it; one the order cannot read (reported when an order
    of the patient is read) as its text without case or spaces."""
    read = _READ_AS.get(key)
    text = value if isinstance(value, str) else orjson.dumps(value).decode()
    if isinstance(value, bool) and key == "pregnant":
        return value
    if read is not None:
        try:
            return read(text)
        except PatientFactError:
            pass
    return "".join(text.split()).casefold()


def _joined(first: Any, second: Any) -> Any:
    if isinstance(first, str) and isinstance(second, str):
        return first if second in first.split("; ") else f"{first}; {second}"
    items = [
        *(first if isinstance(first, list) else [first]),
        *(second if isinstance(second, list) else [second]),
    ]
    return list(dict.fromkeys(items))


_moment = datetime.fromisoformat
_STATUSES = {status.value: status for status in AdministrationStatus}
"""A stored status to the enum: a dict lookup (the enum's call costs a few microseconds a row)."""
