"""The patient-context inputs of a run: ``--patients``, ``--administrations``, ``--labs`` and
``--history DIR``, which files they name, which kinds of data the run holds, and their items.

A run given a labs file holds LABS for every patient, even one with no result in it: the kinds come
from the sources named, never from what the files happen to hold, so that "no potassium check" is
told apart from "no labs at all". Every row is a :class:`~doseguard.patients.model.HistoryItem` or a
:class:`~doseguard.errors.HistoryProblem` naming ``file:line``; reading goes on after a bad row.
"""

from __future__ import annotations

import contextlib
import dataclasses
import importlib.util
import itertools
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from doseguard.errors import HistoryProblem, InputError
from doseguard.io.formats import format_of
from doseguard.io.history_records import ADMINISTRATIONS, LABS, PATIENTS, RowNormaliser
from doseguard.io.history_rows import FORMATS, Columns, RowReader
from doseguard.io.history_store import write_store
from doseguard.io.streams import STDIN, is_stream
from doseguard.orders.drugs import DrugEntry
from doseguard.patients.model import HistoryItem, HistoryKind

KINDS: dict[str, tuple[Columns, HistoryKind]] = {
    "patients": (PATIENTS, HistoryKind.PATIENT),
    "administrations": (ADMINISTRATIONS, HistoryKind.ADMINISTRATIONS),
    "labs": (LABS, HistoryKind.LABS),
}
"""The files ``--history DIR`` reads by name (``labs.csv``, ``labs.jsonl``, ``.tsv``, each maybe
``.gz``), as ``--patients``, ``--administrations`` and ``--labs`` read them."""

FHIR_FILES: dict[str, HistoryKind] = {
    "Patient": HistoryKind.PATIENT,
    "AllergyIntolerance": HistoryKind.PATIENT,
    "Condition": HistoryKind.PATIENT,
    "Observation": HistoryKind.LABS,
    "MedicationAdministration": HistoryKind.ADMINISTRATIONS,
}
"""A FHIR Bulk Data export's files ``--history DIR`` reads (``Observation.ndjson``, maybe ``.gz``),
and the kind of patient data each gives."""

FHIR_MAPPER = "doseguard.io.fhir.context"
"""The module mapping FHIR resources to history items (``ndjson_items``)."""

_SUFFIXES = (".csv", ".tsv", ".jsonl", ".csv.gz", ".tsv.gz", ".jsonl.gz")


@dataclass(frozen=True)
class HistorySources:
    """The patient-context options of one run, as given on the command line."""

    patients: str | None = None
    administrations: str | None = None
    labs: str | None = None
    history: str | None = None  # a folder

    def __bool__(self) -> bool:
        return any((self.patients, self.administrations, self.labs, self.history))

    def other_orders(self, asked: bool | None) -> bool:
        """Whether the batch's orders are each other's history: as ``--other-orders`` /
        ``--no-other-orders`` asked, else when the run has history."""
        return bool(self) if asked is None else bool(asked)

    def files(self) -> list[tuple[str, str]]:
        """(path, kind name) of every file to read, in a fixed order: the named files, then the folder's."""
        named = [(path, kind) for kind, path in (("patients", self.patients),
                 ("administrations", self.administrations), ("labs", self.labs)) if path]  # fmt: skip
        return named + self._folder_files()

    def _folder_files(self) -> list[tuple[str, str]]:
        if self.history is None:
            return []
        folder = Path(self.history)
        found = [(str(folder / f"{kind}{suffix}"), kind) for kind in KINDS for suffix in _SUFFIXES]
        return [(path, kind) for path, kind in found if Path(path).is_file()]

    def fhir_files(self) -> list[tuple[str, str]]:
        """(path, resource type) of the folder's FHIR Bulk NDJSON files."""
        if self.history is None:
            return []
        folder = Path(self.history)
        found = [
            (str(folder / f"{name}{suffix}"), name)
            for name in FHIR_FILES
            for suffix in (".ndjson", ".ndjson.gz")
        ]
        return [(path, name) for path, name in found if Path(path).is_file()]

    def kinds(self) -> frozenset[HistoryKind]:
        """The kinds of patient data the run holds (for every patient)."""
        kinds = {KINDS[kind][1] for _, kind in self.files()}
        return frozenset(kinds | {FHIR_FILES[name] for _, name in self.fhir_files()})

    def paths(self) -> list[str]:
        """Every file read (an output must not replace one)."""
        return [path for path, _ in self.files()] + [path for path, _ in self.fhir_files()]

    def problems(self) -> list[str]:
        """What makes these options unusable, before anything runs (exit 2): a file that is not there
        or not CSV/JSON Lines, stdin, a folder that holds none of the files it is read for."""
        said = []
        for option, path in (("--patients", self.patients), ("--administrations", self.administrations),
                             ("--labs", self.labs)):  # fmt: skip
            if path is None:
                continue
            if path == STDIN:
                said.append(f"{option} -: history is read before the orders, not from stdin: name a file")
            elif not is_stream(path) and not Path(path).is_file():
                said.append(f"{option} {path}: no such file")
            elif (fmt := format_of(path)) is None or fmt.name not in FORMATS:
                said.append(f"{option} {path}: name a .csv, .tsv or .jsonl file (or .gz)")
            elif _empty(path):
                said.append(f"{option} {path}: {EMPTY}")
        if self.history is not None:
            if not Path(self.history).is_dir():
                said.append(f"--history {self.history}: no such folder")
            elif not self._folder_files() and not self.fhir_files():
                names = ", ".join(f"{kind}.csv|jsonl" for kind in KINDS)
                fhir = ", ".join(f"{name}.ndjson" for name in FHIR_FILES)
                said.append(f"--history {self.history}: the folder holds none of {names} nor FHIR {fhir}")
            elif empty := [path for path, _ in (*self._folder_files(), *self.fhir_files()) if _empty(path)]:
                said.extend(f"--history {self.history}: {path}: {EMPTY}" for path in empty)
            elif self.fhir_files() and importlib.util.find_spec(FHIR_MAPPER) is None:
                said.append(
                    f"--history {self.history}: FHIR Bulk NDJSON history is not read by this doseguard"
                )
        return said


EMPTY = "the file is empty (an export that failed?): a file of no records needs its header line"
"""Why a zero-byte history file is refused: read as "no results for anyone", every rule reading that
kind would be evaluated on nothing, where the run was meant to hold it."""


def _empty(path: str) -> bool:
    with contextlib.suppress(OSError):
        return not is_stream(path) and Path(path).stat().st_size == 0
    return False


def read_history(
    sources: HistorySources,
    drugs: Iterable[DrugEntry] | Mapping[str, str] = (),
    warn: Callable[[str], None] = lambda message: None,
) -> Iterator[HistoryItem | HistoryProblem]:
    """Every item of every source, in file order, and a problem in place of each row not used.
    Raises :class:`InputError` for a file that cannot be read at all."""
    reader = RowReader(warn)
    normaliser = RowNormaliser(drugs)
    make = {
        "patients": normaliser.patient,
        "administrations": normaliser.administration,
        "labs": normaliser.lab,
    }
    for path, kind in sources.files():
        columns, _ = KINDS[kind]
        to_item = make[kind]
        for source, row in reader.rows(path, columns):
            yield (
                HistoryProblem(source, None, row)
                if isinstance(row, str)
                else _whose(to_item(source, row), row)
            )
    for path, resource_type in sources.fhir_files():
        yield from _fhir_items(path, resource_type, drugs)


def build_store(
    path: Path,
    sources: HistorySources,
    drugs: Iterable[DrugEntry] | Mapping[str, str],
    on_problem: Callable[[HistoryProblem], None],
    warn: Callable[[str], None] = lambda message: None,
    other_orders: Iterable[HistoryItem] | None = None,
) -> None:
    """The run's history store at ``path``: every source's items (each problem to ``on_problem``,
    each note on a whole file to ``warn``) and, when given, the batch's own orders as other orders
    (kind ORDERS held for every patient)."""
    kinds = sources.kinds()
    items: Iterable[HistoryItem | HistoryProblem] = read_history(sources, drugs, warn)
    if other_orders is not None:
        kinds |= {HistoryKind.ORDERS}
        items = itertools.chain(items, other_orders)
    write_store(path, kinds, items, on_problem)


def _whose(item: HistoryItem | HistoryProblem, row: Mapping[str, Any]) -> HistoryItem | HistoryProblem:
    """A row's problem with its patient, when the row names one: the patient's orders are told that
    their history is incomplete (``PatientContext.gaps``)."""
    if not isinstance(item, HistoryProblem) or item.patient_id is not None or item.field == "patient_id":
        return item
    patient = row.get("patient_id")
    if isinstance(patient, int) and not isinstance(patient, bool):
        patient = str(patient)
    if not isinstance(patient, str) or not patient.strip():
        return item
    return dataclasses.replace(item, patient_id=patient.strip())


def _fhir_items(
    path: str, resource_type: str, drugs: Iterable[DrugEntry] | Mapping[str, str]
) -> Iterator[HistoryItem | HistoryProblem]:
    """The seam to the FHIR mapper (``doseguard.io.fhir.context``): a Bulk NDJSON file of one
    resource type, read line by line, its resources as history items or problems."""
    try:
        module = importlib.import_module(FHIR_MAPPER)
    except ImportError:
        raise InputError(path, "FHIR Bulk NDJSON history is not read by this doseguard") from None
    yield from module.ndjson_items(path, resource_type, drugs)
