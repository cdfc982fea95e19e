"""The patient history of a scenario: the MAR, lab results and other orders its Given steps state,
made into the :class:`~doseguard.patients.model.PatientContext` the checker reads beside the order.

Rows are kept as written and read when the order is checked, so that "3 days before the order" counts
from the order's own ``ordered_at`` whatever step set it, and are read by the CLI's own
:class:`~doseguard.io.history_records.RowNormaliser`: a row a history file could not hold fails the
scenario with the message ``doseguard check --history`` gives for it. A table given, even an empty
one, means the run holds that kind of data (``PatientContext.kinds``): "no potassium was checked" is
then a fact, not a missing file. Free of pytest, so that it can be tested as plain code.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from doseguard.errors import HistoryProblem, PatientFactError
from doseguard.io.history_records import RowNormaliser
from doseguard.orders.codes import route_code
from doseguard.orders.drugs import DrugEntry, DrugIdentifier, ingredient_identifier
from doseguard.orders.patient import parse_ordered_at
from doseguard.orders.status import Activity, order_activity
from doseguard.patients.model import (
    Administration,
    HistoryKind,
    LabResult,
    OtherOrder,
    PatientContext,
)
from doseguard.testing.scenario import SCENARIO_ORDERED_AT
from doseguard.vocabulary import ROUTES

__all__ = ["OTHER_ORDER_RECORD", "RELATIVE_COLUMN", "ScenarioHistory"]

RELATIVE_COLUMN = "days before the order"
"""A column a table may have instead of ``given_at`` / ``taken_at``: a number of days (``0.5``, ``3``)."""
_RELATIVE = re.compile(
    r"(?P<number>\d+(?:\.\d+)?)\s+(?P<unit>days?|hours?)\s+before\s+the\s+order", re.IGNORECASE
)
_AT_THE_ORDER = re.compile(r"(?:at|on the day of) the order", re.IGNORECASE)
OTHER_ORDER_RECORD = 1_000
"""The batch record number of a scenario's first other order: never the scenario order's own (the
checker numbers it 1), which the aggregates would not count."""


@dataclass
class _Table:
    kind: HistoryKind
    time_key: str
    rows: list[tuple[str, dict[str, str]]] = field(default_factory=list)  # (source, row)


@dataclass
class ScenarioHistory:
    """What a scenario says of the patient's history, table by table (Background tables and a
    scenario's own add up)."""

    administrations: _Table = field(default_factory=lambda: _Table(HistoryKind.ADMINISTRATIONS, "given_at"))
    labs: _Table = field(default_factory=lambda: _Table(HistoryKind.LABS, "taken_at"))
    orders: _Table = field(default_factory=lambda: _Table(HistoryKind.ORDERS, "ordered_at"))
    kinds: set[HistoryKind] = field(default_factory=set)

    def add(self, kind: HistoryKind, datatable: list[list[str]]) -> list[tuple[str, dict[str, str]]]:
        """Take a table (a header row, then rows; no rows: the run holds the kind and the patient has
        none); returns its rows, each with where it is ("administrations table, row 2"). Raises
        ValueError for a table that cannot be read at all (no header, a row of another width): the
        step fails saying so."""
        table = self._table(kind)
        if not datatable:
            raise ValueError(f"a {kind.value} table needs a header row")
        header = [" ".join(cell.strip().lower().split()) for cell in datatable[0]]
        added = []
        for number, cells in enumerate(datatable[1:], start=1):
            if len(cells) != len(header):
                raise ValueError(f"row {number} has {len(cells)} cells, the header {len(header)}")
            row = {key: cell.strip() for key, cell in zip(header, cells, strict=True) if cell.strip()}
            source = f"{kind.value} table, row {len(table.rows) + 1}"
            table.rows.append((source, row))
            added.append((source, row))
        self.kinds.add(kind)
        return added

    def _table(self, kind: HistoryKind) -> _Table:
        return {
            HistoryKind.ADMINISTRATIONS: self.administrations,
            HistoryKind.LABS: self.labs,
            HistoryKind.ORDERS: self.orders,
        }[kind]

    def problems(
        self, drugs: tuple[DrugEntry, ...], rows: list[tuple[str, dict[str, str]]], kind: HistoryKind
    ) -> list[HistoryProblem]:
        """Why any of these rows could not be used (read against the scenario's default order time:
        a relative time is as good there as at any other)."""
        anchor = parse_ordered_at(SCENARIO_ORDERED_AT)
        found = []
        for index, (source, row) in enumerate(rows):
            item = self._item(drugs, kind, (source, row, index), "P1", anchor)
            if isinstance(item, HistoryProblem):
                found.append(item)
        return found

    def context(
        self, drugs: tuple[DrugEntry, ...], order: Any
    ) -> tuple[PatientContext | None, list[HistoryProblem]]:
        """The patient context of the scenario's order (None when no history table was given), and
        every row that could not be used."""
        if not self.kinds:
            return None, []
        patient_id = _text(order, "patient_id") or "P1"
        anchor = _anchor(order)
        problems: list[HistoryProblem] = []
        administrations: list[Administration] = []
        labs: list[LabResult] = []
        orders: list[OtherOrder] = []
        for table in (self.administrations, self.labs, self.orders):
            for index, (source, row) in enumerate(table.rows):
                item = self._item(drugs, table.kind, (source, row, index), patient_id, anchor)
                if isinstance(item, HistoryProblem):
                    problems.append(item)
                elif isinstance(item, Administration):
                    administrations.append(item)
                elif isinstance(item, LabResult):
                    labs.append(item)
                else:
                    orders.append(item)
        administrations.sort(key=lambda a: a.given_at)
        labs.sort(key=lambda lab: lab.taken_at)
        context = PatientContext(
            patient_id,
            frozenset(self.kinds | {HistoryKind.PATIENT}),
            {},
            tuple(administrations),
            tuple(labs),
            tuple(orders),
            ("scenario",),
        )
        return context, problems

    def _item(
        self,
        drugs: tuple[DrugEntry, ...],
        kind: HistoryKind,
        written: tuple[str, dict[str, str], int],
        patient_id: str,
        anchor: datetime,
    ) -> Administration | LabResult | OtherOrder | HistoryProblem:
        """One row as the history item it says (``written``: where it is, the row, its place)."""
        source, row, index = written
        table = self._table(kind)
        timed = _timed(source, row, table.time_key, anchor)
        if isinstance(timed, HistoryProblem):
            return timed
        record: dict[str, Any] = {"patient_id": patient_id, **timed}
        if kind is HistoryKind.ORDERS:
            return _other_order(ingredient_identifier(drugs), source, record, index)
        normaliser = _normaliser(drugs)
        read = (
            normaliser.administration(source, record)
            if kind is HistoryKind.ADMINISTRATIONS
            else (normaliser.lab(source, record))
        )
        if isinstance(read, HistoryProblem):
            return read
        _, value = read
        assert isinstance(value, Administration | LabResult)
        return value


def _anchor(order: Any) -> datetime:
    """The order's ``ordered_at`` when it states one that reads, else the scenario default."""
    written = _text(order, "ordered_at")
    if written is not None:
        try:
            return parse_ordered_at(written)
        except PatientFactError:
            pass  # the order is invalid for it; its history is placed at the default
    return parse_ordered_at(SCENARIO_ORDERED_AT)


def _text(order: Any, key: str) -> str | None:
    value = order.get(key) if isinstance(order, dict) else None
    return value.strip() if isinstance(value, str) and value.strip() else None


def _timed(source: str, row: dict[str, str], key: str, anchor: datetime) -> dict[str, str] | HistoryProblem:
    """The row with its time as an ISO 8601 instant: ``key`` as written (ISO 8601, "3 days before the
    order", "12 hours before the order", "at the order"), or a ``days before the order`` column."""
    timed = {name: value for name, value in row.items() if name != RELATIVE_COLUMN}
    relative = row.get(RELATIVE_COLUMN)
    if relative is not None:
        if key in row:
            return HistoryProblem(source, key, f"give {key} or {RELATIVE_COLUMN!r}, not both")
        try:
            days = float(relative)
        except ValueError:
            return HistoryProblem(source, RELATIVE_COLUMN, f"{relative!r} is not a number of days")
        timed[key] = _iso(anchor - timedelta(days=days))
        return timed
    written = row.get(key)
    if written is None:
        return timed
    if (match := _RELATIVE.fullmatch(written)) is not None:
        number = float(match["number"])
        delta = timedelta(days=number) if match["unit"].lower().startswith("day") else timedelta(hours=number)
        timed[key] = _iso(anchor - delta)
    elif _AT_THE_ORDER.fullmatch(written) is not None:
        timed[key] = _iso(anchor)
    return timed


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def _normaliser(drugs: tuple[DrugEntry, ...]) -> RowNormaliser:
    return RowNormaliser(drugs)


def _other_order(
    identifier: DrugIdentifier, source: str, row: dict[str, Any], index: int
) -> OtherOrder | HistoryProblem:
    """Another order of the patient: its drug (the ingredient:
    :func:`~doseguard.orders.drugs.ingredient_identifier`), its route, the dose form its name states,
    and whether it is active (its status read as an order's own; none written: active)."""
    text = row.get("drug")
    if not isinstance(text, str) or not text:
        return HistoryProblem(source, "drug", "missing: which drug is ordered?")
    identity = identifier.identify(text, row.get("rxnorm"), row.get("ndc"))
    if identity.problems:
        problem = identity.problems[0]
        return HistoryProblem(source, problem.field, problem.message)
    route = None
    if (written := row.get("route")) is not None:
        route = route_code(written)
        if route is None:
            return HistoryProblem(
                source, "route", f"{written!r} is not a route (expected one of: {', '.join(ROUTES)})"
            )
    status = row.get("status")
    active = status is None or order_activity(status).activity is Activity.CHECKED
    ordered_at = None
    if (at := row.get("ordered_at")) is not None:
        try:
            ordered_at = parse_ordered_at(at)
        except PatientFactError:
            return HistoryProblem(source, "ordered_at", f"{at!r} is not an ISO 8601 date-time")
    form = identity.forms[0] if identity.forms else None
    return OtherOrder(identity.drug, route, form, active, OTHER_ORDER_RECORD + index, ordered_at)
