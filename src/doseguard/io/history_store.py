"""The run's patient context on disk: every valid history item in one SQLite file, grouped by patient,
so that big, unsorted history files are grouped by patient without being held in memory.

The main process writes it once, before any order is checked (``executemany`` in batches into a
scratch table, then sorted by SQLite and packed one row per patient and kind: memory stays flat in the
size of the files), in the run's
private temporary folder, never beside the inputs, removed when the run ends. Workers open it
read-only and keep a few recent patients' contexts (a patient's orders come together in most exports).
"""

from __future__ import annotations

import contextlib
import shutil
import sqlite3
import tempfile
from collections import Counter, OrderedDict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import groupby
from operator import itemgetter
from pathlib import Path
from typing import Any
from urllib.request import pathname2url

import orjson

from doseguard.errors import HistoryProblem, HistoryStoreError, PatientFactError, TextProblem
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
    HistoryItem,
    HistoryKind,
    LabResult,
    OtherOrder,
    PatientContext,
)
from doseguard.patients.rows import (
    Rows,
    administration,
    administration_row,
    lab_result,
    lab_row,
    order_row,
    other_order,
)

BATCH = 5000
"""Rows written per ``executemany``: what the loader holds in memory at most."""
CACHE = 256
"""Patients' contexts a worker keeps (least recently used dropped first)."""
STORE_NAME = "history.sqlite"
FORMAT = 2
"""The store's layout (``meta.format``): 2, a patient's rows of a kind packed in one JSON array with
integer times (``patients/rows.py``); 1 (no ``format``), one row per item with ISO times."""

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
    A reader that yields a plain ``dict`` (no place) is located by the patient id. ``times``: when a
    field was recorded (a FHIR Observation's), kept so that one too old for the order says nothing
    of it (``patients/merge.CURRENT_FOR``)."""

    __slots__ = ("source", "times")

    def __init__(
        self, fields: Mapping[str, Any], source: str, times: Mapping[str, datetime] | None = None
    ) -> None:
        super().__init__(fields)
        self.source = source
        self.times = dict(times or {})


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
    store. Returns how many items were stored.

    The items go to a scratch table first (``executemany`` in batches: memory stays flat in the size
    of the files), then are read back sorted by patient, kind and time and packed: one row per patient
    and kind (``packed``), its rows one JSON array (``patients/rows.py``), so that a worker reads a
    patient's context with one decode per kind."""
    connection = sqlite3.connect(path, isolation_level=None)
    stored = 0
    try:
        # Pages of 16 KiB: a patient's packed rows (about 1 KiB a kind) rarely spill to an overflow page
        # (with 4 KiB pages the file was 1.6 times larger and a read 15% slower).
        connection.execute("PRAGMA page_size=16384")
        connection.execute("PRAGMA journal_mode=OFF")  # a scratch file: rebuilt, never recovered
        connection.execute("PRAGMA synchronous=OFF")
        connection.execute(
            "CREATE TABLE items "
            "(patient_id TEXT NOT NULL, kind INTEGER NOT NULL, at INTEGER, seq INTEGER, data BLOB)"
        )
        connection.execute("CREATE TABLE meta (kinds TEXT NOT NULL, format INTEGER NOT NULL)")
        connection.execute("INSERT INTO meta VALUES (?, ?)", (",".join(sorted(kinds)), FORMAT))
        connection.execute("BEGIN")
        batch: list[tuple[str, int, int | None, int, bytes]] = []
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
        connection.execute(
            "CREATE TABLE packed (patient_id TEXT NOT NULL, kind INTEGER NOT NULL, data BLOB NOT NULL, "
            "PRIMARY KEY (patient_id, kind)) WITHOUT ROWID"
        )
        _pack(connection, on_problem, counts[_PATIENT] > 1, stored)
        connection.execute("DROP TABLE items")
        connection.execute("COMMIT")
    finally:
        connection.close()
    return stored


def _pack(
    connection: sqlite3.Connection,
    on_problem: Callable[[HistoryProblem], None],
    check_conflicts: bool,
    last: int,
) -> None:
    """Each patient's rows of each kind into one ``packed`` row, in time order, then in the order
    they were read (other orders, patient rows and gaps have no time: read order). A field a
    patient's rows disagree on is said at the later row (in patient order, once every row is in) and
    is a gap of the patient's, read at ``last``; gaps read together are kept in the order of their
    JSON (as the index of the previous format kept them). Memory: one patient's rows."""
    rows = connection.execute(
        "SELECT patient_id, kind, seq, data FROM items ORDER BY patient_id, kind, at, seq, data"
    )
    batch: list[tuple[str, int, bytes]] = []
    for patient_id, patient in groupby(rows, key=itemgetter(0)):
        gaps: list[tuple[int, bytes]] = []
        for kind, group in groupby(patient, key=itemgetter(1)):
            if kind == _GAP:
                gaps.extend((seq, data) for _, _, seq, data in group)
                continue
            data = [row[3] for row in group]
            if kind == _PATIENT and check_conflicts and len(data) > 1:
                for problem in _conflicts(patient_id, data):
                    on_problem(problem)
                    gaps.append((last, orjson.dumps(problem.source)))
            batch.append((patient_id, kind, _array(data)))
        if gaps:
            gaps.sort()
            batch.append((patient_id, _GAP, _array([data for _, data in gaps])))
        if len(batch) >= BATCH:
            connection.executemany("INSERT INTO packed VALUES (?, ?, ?)", batch)
            batch = []
    connection.executemany("INSERT INTO packed VALUES (?, ?, ?)", batch)


def _array(rows: list[bytes]) -> bytes:
    """Rows each a JSON value as one JSON array, without decoding them."""
    return b"[" + b",".join(rows) + b"]"


def _conflicts(patient_id: str, rows: list[bytes]) -> Iterator[HistoryProblem]:
    """Each field a patient's rows (``[source, fields]``, JSON, in read order) disagree on, at the
    later row."""
    _, conflicts = merge_patient_rows(orjson.loads(row) for row in rows)
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
        try:
            self._connection = sqlite3.connect(uri, uri=True, check_same_thread=False)
        except sqlite3.Error as error:
            reason = "no such file" if not Path(path).exists() else str(error)
            raise HistoryStoreError(str(path), None, FORMAT, reason) from error
        held = frozenset(HistoryKind(kind) for kind in self._meta(str(path)).split(",") if kind)
        self.kinds = held if needs is None else held & (needs | {HistoryKind.PATIENT})
        self._codes = frozenset({*(_CODES[kind] for kind in self.kinds | {HistoryKind.PATIENT}), _GAP})
        # every kind of the patient read, those not needed skipped here: one search of the key, where
        # ``kind IN (...)`` costs one per kind (a context read 18 -> 13 us)
        self._query = "SELECT kind, data FROM packed WHERE patient_id = ?"
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

    def _meta(self, path: str) -> str:
        """The run's kinds, from a store of this format; another format is refused, said plainly
        (a store is a run's scratch file: one written by another doseguard is not read as this one's)."""
        try:
            cursor = self._connection.execute("SELECT * FROM meta")
            row = cursor.fetchone()
        except sqlite3.DatabaseError as error:
            self._connection.close()
            raise HistoryStoreError(path, None, FORMAT, str(error)) from error
        columns = [column[0] for column in cursor.description]
        found = row[columns.index("format")] if row is not None and "format" in columns else None
        if found != FORMAT or row is None:
            self._connection.close()
            raise HistoryStoreError(path, found, FORMAT)
        return str(row[columns.index("kinds")])

    def _read(self, patient_id: str) -> PatientContext:
        """One row per kind: one JSON decode each, the history kept as rows (``patients/rows.py``)."""
        fields: dict[str, Any] = {}
        administrations: Sequence[Administration] = ()
        labs: Sequence[LabResult] = ()
        orders: Sequence[OtherOrder] = ()
        gaps: tuple[str, ...] = ()
        sources: dict[str, str] = {}
        times: dict[str, datetime] = {}
        codes = self._codes
        for kind, data in self._connection.execute(self._query, (patient_id,)):
            if kind not in codes:
                continue
            rows = orjson.loads(data)
            if kind == _ADMINISTRATION:
                administrations = Rows(rows, administration)
            elif kind == _LAB:
                labs = Rows(rows, lab_result)
            elif kind == _PATIENT:
                fields, _ = merge_patient_rows(rows)
                sources = field_sources(rows)
                times = field_times(rows, fields)
            elif kind == _GAP:
                gaps = tuple(rows)
            else:
                orders = Rows(rows, other_order)
        return PatientContext(
            patient_id, self.kinds, fields, administrations, labs, orders, gaps=gaps, field_sources=sources,
            field_times=times,
        )  # fmt: skip


def patient_key(patient_id: str) -> str:
    """A patient id as the order model reads it (invisible characters removed, full-width forms
    folded), on both sides of the store: an id written with a zero-width space in one file and without
    it in another is one patient, as the order's own result says it is."""
    try:
        return read_text(patient_id, "patient_id").text
    except TextProblem:
        return patient_id.strip()


def _gap(patient_id: str, source: str, seq: int) -> tuple[str, int, int | None, int, bytes]:
    return patient_key(patient_id), _GAP, None, seq, orjson.dumps(source)


def _row(item: HistoryItem, seq: int) -> tuple[str, int, int | None, int, bytes]:
    """An item as a scratch row: its patient, kind, time (integer microseconds: the sort), read order
    and its row of ``patients/rows.py`` as JSON."""
    patient_id, value = item
    patient_id = patient_key(patient_id)
    if isinstance(value, Administration):
        row = administration_row(value)
        return patient_id, _ADMINISTRATION, row[1], seq, orjson.dumps(row)
    if isinstance(value, LabResult):
        row = lab_row(value)
        return patient_id, _LAB, row[2], seq, orjson.dumps(row)
    if isinstance(value, OtherOrder):
        # No sort time: a patient's other orders come back in the order they were written (record order).
        return patient_id, _ORDER, None, seq, orjson.dumps(order_row(value))
    if not isinstance(value, PatientFields):
        return patient_id, _PATIENT, None, seq, orjson.dumps(["", value])
    if not value.times:
        return patient_id, _PATIENT, None, seq, orjson.dumps([value.source, value])
    times = {key: at.isoformat() for key, at in value.times.items()}
    return patient_id, _PATIENT, None, seq, orjson.dumps([value.source, value, times])


def merge_patient_rows(rows: Iterable[list[Any]]) -> tuple[dict[str, Any], list[Conflict]]:
    """A patient's rows (``[source, fields]``, or ``[source, fields, times]``, in file order) into one
    record, and the conflicts.

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
    for source, more, *_ in rows:
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


def field_times(rows: Iterable[list[Any]], fields: Mapping[str, Any]) -> dict[str, datetime]:
    """When each of the merged ``fields`` was recorded, where its row says (``[source, fields,
    times]``): the value kept is the first row's, so is its time."""
    found: dict[str, datetime] = {}
    for _, more, *times in rows:
        for key, at in times[0].items() if times else ():
            if key in fields and key in more and key not in found:
                found[key] = datetime.fromisoformat(at)
    return found


def field_sources(rows: Iterable[list[Any]]) -> dict[str, str]:
    """Where each field of a patient's rows (``[source, fields]``) was first read, so that a value the
    order cannot use is named at its line."""
    found: dict[str, str] = {}
    for source, more, *_ in rows:
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
