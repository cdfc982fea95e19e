"""The patient context a record is checked with: read and validated once, shared by every order of
the patient. Engine-free and reader-free: readers build it (``io/history.py``, ``io/fhir/``), the
checker merges it into the order (``patients/merge.py``) and computes history aggregates from it
(``patients/aggregates.py``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from doseguard.vocabulary import HistoryKind

__all__ = [
    "Administration",
    "AdministrationStatus",
    "HistoryItem",
    "HistoryKind",
    "LabResult",
    "OtherOrder",
    "PatientContext",
]


class AdministrationStatus(StrEnum):
    GIVEN = "given"
    MISSED = "missed"
    REFUSED = "refused"


@dataclass(frozen=True, slots=True)
class Administration:
    """One line of the MAR, normalised: ``drug`` is the name the loaded packs use (as an order's
    ``drug`` fact), ``dose_mcg`` / ``dose_units`` as an order's, ``route`` a route code."""

    drug: str
    given_at: datetime  # timezone-aware (UTC when the source gave no offset)
    status: AdministrationStatus = AdministrationStatus.GIVEN
    dose_mcg: float | None = None
    dose_units: float | None = None
    route: str | None = None
    source: str = ""  # "file:line" of the record it was read from


@dataclass(frozen=True, slots=True)
class LabResult:
    """One laboratory result, normalised: ``test`` the catalogue's name (``patients/labs.py``:
    ``haemoglobin``, ``mcv``, ``reticulocytes``, ``potassium``, ``b12``, ...) and ``value`` in the
    catalogue's unit for it (g/dL, fL, %, mmol/L, pg/mL, ...)."""

    test: str
    value: float
    taken_at: datetime  # timezone-aware
    unit: str = ""  # the catalogue's unit, after conversion
    source: str = ""


@dataclass(frozen=True, slots=True)
class OtherOrder:
    """Another order of the same patient (in the batch, or in the Bundle): enough to tell duplicate
    therapy. ``drug`` as an order's fact; ``active`` False for cancelled, stopped, completed, ..."""

    drug: str
    route: str | None
    form: str | None  # a dose form of vocabulary.DOSE_FORMS when the order's name states one
    active: bool
    record: int  # its record number in the batch, so an order never counts itself
    ordered_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class PatientContext:
    """Everything known about one patient in this run, beside the order itself.

    ``fields`` are patient facts as an order record would carry them (``weight_kg``, ``height_cm``,
    ``age_years``, ``birth_date``, ``sex``, ``creatinine_clearance_ml_min``, ``egfr``, ``pregnant``,
    ``allergies``, ``conditions``): merged into the order record before it is normalised, the order's
    own values first, lists (allergies, conditions) joined. ``kinds`` says which kinds of data the
    run holds at all (a run given a labs file holds LABS for every patient, even one with no result).
    Histories are sorted by time."""

    patient_id: str
    kinds: frozenset[HistoryKind] = frozenset()
    fields: dict[str, Any] = field(default_factory=dict)
    administrations: Sequence[Administration] = ()  # a tuple, or the store's rows (patients/rows.py)
    labs: Sequence[LabResult] = ()
    orders: Sequence[OtherOrder] = ()
    sources: tuple[str, ...] = ()  # where its facts were read ("patients.csv:12", "bundle.json#entry[3]")
    gaps: tuple[str, ...] = ()  # where its records were not used ("mar.csv:3"): its history is incomplete
    field_sources: dict[str, str] = field(default_factory=dict)  # where each of ``fields`` was read
    field_times: dict[str, datetime] = field(default_factory=dict)  # when a field was true, if said

    @property
    def has_history(self) -> bool:
        """Whether aggregates can depend on it: outcomes of orders with history are never shared
        between records (the checker's outcome cache and the workers' line cache are bypassed)."""
        return bool(self.kinds - {HistoryKind.PATIENT})


HistoryItem = tuple[str, "dict[str, Any] | Administration | LabResult | OtherOrder"]
"""What a patient-context reader yields: a patient id and one thing known about the patient (patient
fields as an order record carries them, an administration, a lab result, another order). Readers
yield :class:`~doseguard.errors.HistoryProblem` for records they cannot use, in place."""
