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
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import Any

from doseguard.errors import (
    HistoryProblem,
    ImplausibleTimeError,
    LabValueError,
    PatientFactError,
    QuantityError,
)
from doseguard.io.history_rows import Columns
from doseguard.io.history_store import PatientFields
from doseguard.orders.codes import route_code
from doseguard.orders.drugs import DrugEntry, DrugIdentifier
from doseguard.orders.model import PATIENT_FIELDS as ORDER_PATIENT_FIELDS
from doseguard.orders.patient import PLAUSIBLE_YEARS, parse_ordered_at
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
_UTC_SECONDS = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z")
"""A time as exports write it (``2026-08-14T16:06:00Z``): one that ``parse_ordered_at`` reads as
``fromisoformat`` does (no spaces to strip, its offset UTC), without its cache of recent ones."""
REMEMBERED = 100_000
"""Readings each of the normaliser's caches keeps at most (a few tens of MB): past it, it starts again,
so that a file of millions of patients or of distinct lab values does not grow the run with it."""
_NUMBER = re.compile(r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)")


def _recalled(
    cache: dict[tuple[str | None, ...], _Read], key: tuple[Any, ...], read: Callable[[], _Read]
) -> _Read:
    """A reading of the row's cells ``key``, remembered when they are all text: no JSON value equals
    a text key (JSON's 1, 1.0 and true are equal keys but not equal values); a list or an object is
    read each time."""
    try:
        known = cache.get(key)
    except TypeError:  # a list or an object
        known = None
    if known is None:
        known = read()
        if all(type(value) is str or value is None for value in key):
            _remember(cache, key, known)
    return known


def _remember(cache: dict[Any, Any], key: Any, value: Any) -> None:
    if len(cache) >= REMEMBERED:
        cache.clear()
    cache[key] = value


class RowNormaliser:
    """Rows to history items for one rule set (whose packs say which drug names are which)."""

    def __init__(self, drugs: Iterable[DrugEntry] | Mapping[str, str] = ()) -> None:
        self.drugs = DrugIdentifier(drugs)
        # What repeats millions of times (a drug, dose, route, status; a test, value, unit), read once:
        # keyed by text only (JSON's 1, 1.0 and true are equal keys but not equal values).
        self._ids: dict[str, str] = {}
        self._doses: dict[tuple[str | None, ...], _Dose] = {}
        self._labs: dict[tuple[str | None, ...], _Lab] = {}

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
        patient_id = self._patient_id(source, row)
        if isinstance(patient_id, HistoryProblem):
            return patient_id
        get = row.get
        key = (get("drug"), get("rxnorm"), get("ndc"), get("status"), get("dose"), get("route"))
        dose, before, after = _recalled(self._doses, key, lambda: self._dose_read(row))
        given_at = _timed(source, "given_at", row, before, after)
        if isinstance(given_at, HistoryProblem):
            return given_at
        drug, status, dose_mcg, dose_units, route = dose
        return patient_id, Administration(drug, given_at, status, dose_mcg, dose_units, route, source)

    def _dose_read(self, row: dict[str, Any]) -> _Dose:
        """An administration but its patient and time: (drug, status, dose mcg, dose units, route),
        the problem said before the time is read (the drug), and the one said after it."""
        text = _text(row, "drug")
        if text is None:
            return _NOTHING, ("drug", "missing: which drug was given?"), None
        identity = self.drugs.identify(text, _text(row, "rxnorm"), _text(row, "ndc"))
        if identity.problems:
            problem = identity.problems[0]
            return _NOTHING, (problem.field, problem.message), None
        status = _status(_NO_SOURCE, row)
        if isinstance(status, HistoryProblem):
            return _NOTHING, None, (status.field, status.message)
        dose = _dose(_NO_SOURCE, row)
        if isinstance(dose, HistoryProblem):
            return _NOTHING, None, (dose.field, dose.message)
        route = None
        if (written := _text(row, "route")) is not None:
            route = route_code(written)
            if route is None:
                message = f"{written!r} is not a route (expected one of: {', '.join(ROUTES)})"
                return _NOTHING, None, ("route", message)
        return (identity.drug, status, *dose, route), None, None

    def _patient_id(self, source: str, row: dict[str, Any]) -> str | HistoryProblem:
        """:func:`_patient_id`, a good id's text remembered (a patient has many rows)."""
        value = row.get("patient_id")
        if type(value) is str and (known := self._ids.get(value)) is not None:
            return known
        patient_id = _patient_id(source, row)
        if type(value) is str and type(patient_id) is str:
            _remember(self._ids, value, patient_id)
        return patient_id

    def lab(self, source: str, row: dict[str, Any]) -> HistoryItem | HistoryProblem:
        patient_id = self._patient_id(source, row)
        if isinstance(patient_id, HistoryProblem):
            return patient_id
        key = (row.get("test"), row.get("value"), row.get("unit"))
        result, before, after = _recalled(self._labs, key, lambda: _lab_read(row))
        taken_at = _timed(source, "taken_at", row, before, after)
        if isinstance(taken_at, HistoryProblem):
            return taken_at
        name, converted, unit = result
        return patient_id, LabResult(name, converted, taken_at, unit, source)


def _lab_read(row: dict[str, Any]) -> _Lab:
    """A lab result but its patient and time: (test, value converted, unit), the problem said
    before the time is read (the test, the value), and the one said after it (the unit)."""
    name = _text(row, "test")
    if name is None:
        return _NOTHING, ("test", "missing: which test?"), None
    test = lab_test(name)
    if test is None:
        meant = closest(name.lower(), [spelling for t in TESTS for spelling in (t.name, *t.aliases)])
        message = (
            f"{name!r} is no test of the lab catalogue (a LOINC code or a name such as haemoglobin, "
            f"mcv, reticulocytes){did_you_mean(meant)}"
        )
        return _NOTHING, ("test", message), None
    value = _number(row.get("value"))
    if isinstance(value, str):
        return _NOTHING, ("value", value), None
    try:
        converted = convert(test, value, _text(row, "unit"))
    except LabValueError as error:
        return _NOTHING, None, (error.field, error.message)
    return (test.name, converted, test.unit), None, None


_Said = tuple[str | None, str] | None
"""A remembered problem, its field and message (the source is each row's own), or none."""
_Read = tuple[tuple[Any, ...], _Said, _Said]
"""A cached reading: the values, the problem said before the row's time is read, the one said after."""
_Dose = _Read
_Lab = _Read
_NOTHING: tuple[Any, ...] = ()
_NO_SOURCE = ""  # a remembered problem's, replaced by each row's


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


def _timed(
    source: str, key: str, row: dict[str, Any], before: _Said, after: _Said
) -> datetime | HistoryProblem:
    """The row's time, or its first problem in the order a reader meets them: what was said before
    the time (a drug, a test), the time's own, then what was said after it (a dose, a unit)."""
    if before is not None:
        return HistoryProblem(source, *before)
    moment = _moment(source, key, row)
    if after is not None and not isinstance(moment, HistoryProblem):
        return HistoryProblem(source, *after)
    return moment


def _moment(source: str, key: str, row: dict[str, Any]) -> datetime | HistoryProblem:
    """An ISO 8601 date-time, UTC when it writes no offset; a date is that day at 00:00 UTC (read as
    an order's ``ordered_at`` is, so a window counts from the same instants)."""
    value = row.get(key)
    if value is None:
        return HistoryProblem(source, key, "missing: when?")
    if type(value) is str and _UTC_SECONDS.fullmatch(value):  # the usual export's, read as below
        try:
            when = datetime.fromisoformat(value)
        except ValueError:  # a 13th month: said below
            pass
        else:
            if when.year in PLAUSIBLE_YEARS:
                return when
    try:
        return parse_ordered_at(value if isinstance(value, str) else "")
    except ImplausibleTimeError as error:
        return HistoryProblem(source, key, str(error))
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
