"""One row of a patients file, the MAR or a labs file, as the history item it says, or why not.

Patient facts stay as an order record carries them (text, or JSON values): the order normaliser reads
them once merged into the order (``patients/merge.py``), with the order's own. Administrations and lab
results are normalised here, once for the run, because aggregates compare them: the drug as the
rule set names it (``orders/drugs.py``), the dose in mcg or units (``orders/quantities.py``), a route
code, an aware time (UTC when no offset is written), a lab value in its test's unit
(``patients/labs.py``). A row that cannot be read is a :class:`HistoryProblem` in place, never used.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from doseguard.errors import HistoryProblem, LabValueError, PatientFactError, QuantityError
from doseguard.io.history_rows import Columns
from doseguard.io.history_store import PatientFields
from doseguard.orders.codes import route_code
from doseguard.orders.drugs import DrugEntry, DrugIdentifier
from doseguard.orders.model import PATIENT_FIELDS as ORDER_PATIENT_FIELDS
from doseguard.orders.patient import parse_ordered_at
from doseguard.orders.quantities import parse_mass, parse_units
from doseguard.patients.labs import TESTS, convert, lab_test
from doseguard.patients.model import Administration, AdministrationStatus, HistoryItem, LabResult
from doseguard.suggestions import closest, did_you_mean
from doseguard.vocabulary import ROUTES

PATIENT_FIELDS = (*ORDER_PATIENT_FIELDS, "allergies", "conditions")
"""A patients file's columns beside ``patient_id``: the patient fields orders carry (the order model's
list, ``orders/model.py``, and the lists; decision 2 of issue 11: the vocabulary names them with
``needs = PATIENT``)."""

PATIENTS = Columns("patients", ("patient_id", *PATIENT_FIELDS), ("patient_id",))
ADMINISTRATIONS = Columns(
    "administrations",
    ("patient_id", "drug", "dose", "route", "given_at", "status", "rxnorm", "ndc"),
    ("patient_id", "drug", "given_at"),
)
LABS = Columns(
    "labs", ("patient_id", "test", "value", "unit", "taken_at"), ("patient_id", "test", "value", "taken_at")
)

STATUS_WORDS: dict[str, AdministrationStatus] = {
    **dict.fromkeys(("given", "completed", "complete", "done", "administered"), AdministrationStatus.GIVEN),
    **dict.fromkeys(
        ("missed", "not-done", "not done", "not given", "not-given", "omitted", "held"),
        AdministrationStatus.MISSED,
    ),
    **dict.fromkeys(("refused", "declined", "patient refused"), AdministrationStatus.REFUSED),
}
"""The MAR's status words (case and spaces aside; blank is ``given``): FHIR's ``completed`` is given,
its ``not-done`` a dose not given (missed: the MAR gives no reason); anything else (``entered-in-error``,
``on-hold``, ``in-progress``) is not read as a dose given or missed, and is reported."""

_OTHER_WORDS = ", ".join(word for word in STATUS_WORDS if word not in set(AdministrationStatus))
_ID = re.compile(r"[^\x00-\x1f\x7f]+")
LARGEST_VALUE = 1e12
"""The largest lab value read: the engine's ``LARGEST_NUMBER`` (``engine/limits.py``; io may not
import the engine, docs/architecture.md; a test holds the two equal). A latest-value aggregate
beyond it fails the order in the adapter."""
_LARGEST = f"{LARGEST_VALUE:.0e}".replace("e+", "e")
_DIGIT = re.compile(r"\d")
_NUMBER = re.compile(r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)")


class RowNormaliser:
    """Rows to history items for one rule set (whose packs say which drug names are which)."""

    def __init__(self, drugs: Iterable[DrugEntry] | Mapping[str, str] = ()) -> None:
        self.drugs = DrugIdentifier(drugs)

    def patient(self, source: str, row: dict[str, Any]) -> HistoryItem | HistoryProblem:
        patient_id = _patient_id(source, row)
        if isinstance(patient_id, HistoryProblem):
            return patient_id
        fields = {key: value for key, value in row.items() if key != "patient_id"}
        for key, value in fields.items():
            if isinstance(value, dict) or (
                isinstance(value, list) and key not in ("allergies", "conditions")
            ):
                return HistoryProblem(
                    source,
                    key,
                    f"expected a value, got {'an object' if isinstance(value, dict) else 'a list'}",
                )
        return patient_id, PatientFields(fields, source)

    def administration(self, source: str, row: dict[str, Any]) -> HistoryItem | HistoryProblem:
        patient_id = _patient_id(source, row)
        if isinstance(patient_id, HistoryProblem):
            return patient_id
        text = _text(row, "drug")
        if text is None:
            return HistoryProblem(source, "drug", "missing: which drug was given?")
        identity = self.drugs.identify(text, _text(row, "rxnorm"), _text(row, "ndc"))
        if identity.problems:
            problem = identity.problems[0]
            return HistoryProblem(source, problem.field, problem.message)
        given_at = _moment(source, "given_at", row)
        if isinstance(given_at, HistoryProblem):
            return given_at
        status = _status(source, row)
        if isinstance(status, HistoryProblem):
            return status
        dose = _dose(source, row)
        if isinstance(dose, HistoryProblem):
            return dose
        route = None
        if (written := _text(row, "route")) is not None:
            route = route_code(written)
            if route is None:
                return HistoryProblem(
                    source, "route", f"{written!r} is not a route (expected one of: {', '.join(ROUTES)})"
                )
        dose_mcg, dose_units = dose
        return patient_id, Administration(
            identity.drug, given_at, status, dose_mcg, dose_units, route, source
        )

    def lab(self, source: str, row: dict[str, Any]) -> HistoryItem | HistoryProblem:
        patient_id = _patient_id(source, row)
        if isinstance(patient_id, HistoryProblem):
            return patient_id
        name = _text(row, "test")
        if name is None:
            return HistoryProblem(source, "test", "missing: which test?")
        test = lab_test(name)
        if test is None:
            meant = closest(name.lower(), [spelling for t in TESTS for spelling in (t.name, *t.aliases)])
            return HistoryProblem(
                source,
                "test",
                f"{name!r} is no test of the lab catalogue (a LOINC code or a name such as haemoglobin, "
                f"mcv, reticulocytes){did_you_mean(meant)}",
            )
        value = _number(row.get("value"))
        if isinstance(value, str):
            return HistoryProblem(source, "value", value)
        taken_at = _moment(source, "taken_at", row)
        if isinstance(taken_at, HistoryProblem):
            return taken_at
        try:
            converted = convert(test, value, _text(row, "unit"))
        except LabValueError as error:
            return HistoryProblem(source, error.field, error.message)
        return patient_id, LabResult(test.name, converted, taken_at, test.unit, source)


def _patient_id(source: str, row: dict[str, Any]) -> str | HistoryProblem:
    value = row.get("patient_id")
    if type(value) is int:
        return str(value)
    if not isinstance(value, str) or not value.strip():
        return HistoryProblem(
            source,
            "patient_id",
            "missing: whose record is it?" if value is None else f"expected text, got {value!r}",
        )
    if _ID.fullmatch(value) is None:
        return HistoryProblem(source, "patient_id", "holds a control character")
    return value.strip()


def _text(row: dict[str, Any], key: str) -> str | None:
    value = row.get(key)
    return value.strip() if isinstance(value, str) and value.strip() else None


def _moment(source: str, key: str, row: dict[str, Any]) -> datetime | HistoryProblem:
    """An ISO 8601 date-time, UTC when it writes no offset; a date is that day at 00:00 UTC (read as
    an order's ``ordered_at`` is, so a window counts from the same instants)."""
    value = row.get(key)
    if value is None:
        return HistoryProblem(source, key, "missing: when?")
    try:
        return parse_ordered_at(value if isinstance(value, str) else "")
    except PatientFactError:
        return HistoryProblem(
            source, key, f"{value!r} is not an ISO 8601 date-time (e.g. '2026-03-01T09:00:00Z')"
        )


def _status(source: str, row: dict[str, Any]) -> AdministrationStatus | HistoryProblem:
    written = _text(row, "status")
    if written is None:
        return AdministrationStatus.GIVEN
    status = STATUS_WORDS.get(" ".join(written.lower().split()))
    if status is None:
        return HistoryProblem(
            source,
            "status",
            f"{written!r} is not a status of a dose (expected given, missed or refused; also {_OTHER_WORDS})",
        )
    return status


def _dose(source: str, row: dict[str, Any]) -> tuple[float | None, float | None] | HistoryProblem:
    value = row.get("dose")
    if value is None:
        return None, None
    if not isinstance(value, str):
        return HistoryProblem(source, "dose", f"{value!r} has no unit (write '1000 mcg' or '5000 units')")
    try:
        return parse_mass(value).value, None
    except QuantityError as error:
        try:
            units = parse_units(value)
        except QuantityError as unit_error:
            return HistoryProblem(source, "dose", str(unit_error))
        if units is None:
            return HistoryProblem(source, "dose", str(error))
        return None, units.value


def _number(value: Any) -> float | str:
    """A lab value, or why not: text is a number as an order writes one (digits and a decimal point,
    as ``orders/patient.py`` reads a weight: no exponent, ``inf``, ``1_000`` or decimal comma, which
    Python's ``float`` would take or misread), and it must fit the engine (a latest value is compared
    in a rule's condition; beyond :data:`LARGEST_VALUE` the engine cannot hold it)."""
    if value is None:
        return "missing"
    if type(value) in (int, float):
        number = float(value)
    elif isinstance(value, str) and _NUMBER.fullmatch(value.strip()):
        number = float(value.strip())
    elif isinstance(value, str):
        text = value.strip()
        how = " as an order's are written (digits and a decimal point)" if _DIGIT.search(text) else ""
        return f"{text!r} is not a number{how}"
    else:
        return f"{value!r} is not a number"
    if not math.isfinite(number) or abs(number) > LARGEST_VALUE:
        shown = value.strip() if isinstance(value, str) else repr(value)
        return f"{shown} is out of the range a check can hold (up to {_LARGEST})"
    return number
