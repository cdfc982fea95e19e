"""The batch's own orders as history (duplicate therapy): a pre-pass over the orders input, before any
order is checked, writing each readable order as an :class:`OtherOrder` of its patient into the run's
history store, so that a worker checking one order sees the patient's others (``HistoryKind.ORDERS``).

It runs only when the loaded rules declare an aggregate of kind ORDERS (:func:`needs_other_orders`):
a run that does not need it reads its input once, as before. The pre-pass streams: chunks are cut
as the check cuts them, each order becomes one row, and the rows go to SQLite in batches
(``io/history_store.py``), so memory stays flat in the size of the input.

Only what duplicate therapy needs is read, the way the order normaliser reads it: the patient id
(``records.record_ids``), the drug (the rule set's ``DrugIdentifier``, from the name and the RxNorm
and NDC codes), the route (``orders.codes.route_code``), the dose form the name states (when it
states one), the status (``orders.status.order_activity``: cancelled, stopped, completed, entered in
error are not active) and ``ordered_at``. A record that cannot be read for this (not a record, no
patient id, a drug that cannot be identified, an unknown route, an ``ordered_at`` that is no date)
is simply not an other order: its own result says what is wrong with it. An order otherwise invalid
(a wrong dose, say) is still an order of that drug for that patient, and counts. Orders of drugs no
ORDERS aggregate names are not stored (no aggregate could count them).

Records are numbered as the checker numbers them (the chunk's first record, then one by one), so an
order never counts itself (``OtherOrder.record``).

stdin and FIFOs cannot be read twice: :func:`spool_streams` copies them into the run's private
folder first, and both passes read the copy under the input's own name (docs/decisions/history-inputs.md).
"""

from __future__ import annotations

import contextlib
import shutil
import sys
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from doseguard.io.chunks import Chunk, ChunkKind
from doseguard.io.columns import ColumnMap, mapped_record
from doseguard.io.readers import records_of
from doseguard.io.streams import STDIN, is_stream
from doseguard.orders import codes
from doseguard.orders.drugs import DrugEntry, DrugIdentifier, ingredient_identifier
from doseguard.orders.model import identifier_text
from doseguard.orders.patient import parse_ordered_at
from doseguard.orders.status import Activity, order_activity
from doseguard.orders.text import read_text
from doseguard.patients.model import HistoryItem, HistoryKind, OtherOrder
from doseguard.records import record_ids
from doseguard.rules.history import Aggregate

__all__ = ["OtherOrderReader", "needs_other_orders", "other_order_items", "spool_streams"]

SPOOL_BLOCK = 1 << 20
KNOWN_SIZE = 4096
"""Distinct (drug, rxnorm, ndc, route, status) remembered, as read (emptied when full)."""
_UNKNOWN: Any = object()
_Order = tuple[str, str | None, str | None, bool]  # drug, route code, dose form, active


def needs_other_orders(aggregates: Iterable[Aggregate]) -> bool:
    """Whether some loaded aggregate counts the patient's other orders (then the pre-pass runs)."""
    return any(aggregate.kind is HistoryKind.ORDERS for aggregate in aggregates)


class OtherOrderReader:
    """Reads one record as another order of its patient, or says it is none (None)."""

    def __init__(
        self, drugs: Iterable[DrugEntry] | DrugIdentifier, aggregates: Iterable[Aggregate] = ()
    ) -> None:
        # Another order is its ingredient in any form (a B12 tablet beside the injections is B12).
        self.drugs = drugs if isinstance(drugs, DrugIdentifier) else ingredient_identifier(drugs)
        named = [a.drugs for a in aggregates if a.kind is HistoryKind.ORDERS]
        # Every drug when an aggregate names none (or none was given, as in tests).
        self.wanted: frozenset[str] | None = (
            frozenset(drug for drugs in named for drug in drugs) if named and all(named) else None
        )
        self._known: dict[tuple[Any, ...], _Order | None] = {}

    def read(self, data: Any, record: int) -> HistoryItem | None:
        if type(data) is not dict:
            return None
        patient_id = record_ids(data)[1]
        if patient_id is None:
            return None
        get = data.get
        stated = (get("drug"), get("rxnorm"), get("ndc"), get("route"), get("status"))
        try:
            order = self._known.get(stated, _UNKNOWN)  # the same sentences come back: read once
        except TypeError:  # a value that is no text (a list): read below, and refused there
            order = _UNKNOWN
        if order is _UNKNOWN:
            order = self._read_order(stated)
            if len(self._known) >= KNOWN_SIZE:
                self._known.clear()
            with contextlib.suppress(TypeError):
                self._known[stated] = order
        if order is None:
            return None
        try:
            at_text = _text(get("ordered_at"), "ordered_at")
            at = parse_ordered_at(at_text) if at_text is not None else None
        except Exception:  # unreadable for this: not an other order (its own result says why)
            return None
        drug, route, form, active = order
        return patient_id, OtherOrder(drug, route, form, active, record, at)

    def _read_order(self, stated: tuple[Any, ...]) -> _Order | None:
        """What a record's drug, codes, route and status say for this; None when they cannot be read."""
        drug, rxnorm, ndc, route, status = stated
        try:
            drug_text = _text(drug, "drug")
            if drug_text is None:
                return None
            identity = self.drugs.identify(
                drug_text, _text(identifier_text(rxnorm), "rxnorm"), _text(ndc, "ndc")
            )
            if identity.problems or (self.wanted is not None and identity.drug not in self.wanted):
                return None
            route_text = _text(route, "route")
            code = codes.route_code(route_text) if route_text is not None else None
            if route_text is not None and code is None:
                return None
            status_text = _text(status, "status")
            active = status_text is None or order_activity(status_text).activity is not Activity.INACTIVE
        except Exception:  # unreadable for this: not an other order (its own result says why)
            return None
        form = identity.forms[0] if len(identity.forms) == 1 else None
        return identity.drug, code, form, active


def _text(value: Any, name: str) -> str | None:
    """A field's text as the order model reads it (None when absent or blank); raises for a value
    that is not text, or text that cannot be read."""
    if value is None:
        return None
    if type(value) is not str:
        raise ValueError(f"{name} is not text")
    return read_text(value, name).text or None


def other_order_items(
    chunks: Iterable[Chunk], reader: OtherOrderReader, columns: ColumnMap | None = None
) -> Iterator[HistoryItem]:
    """Every readable order of the chunks as an item of its patient, in input order."""
    by_column = columns.by_column if columns is not None else None
    read = reader.read
    for chunk in chunks:
        items: Iterable[Any] = records_of(chunk)
        if by_column is not None and chunk.kind is not ChunkKind.ROWS:  # as the workers map them
            items = (mapped_record(item, by_column) for item in items)
        for number, item in enumerate(items, start=chunk.first_record):
            if item.error is not None or item.problems:
                continue
            found = read(item.data, number)
            if found is not None:
                yield found


def spool_streams(inputs: Sequence[str], folder: Path) -> dict[str, Path]:
    """stdin and every FIFO among ``inputs`` copied whole into ``folder`` (the run's private folder,
    removed when it ends), by input; regular files are read where they are."""
    spooled: dict[str, Path] = {}
    for number, path in enumerate(inputs):
        if path != STDIN and not is_stream(path):
            continue
        copy = folder / f"input-{number}.spool"
        with copy.open("wb") as out:
            if path == STDIN:
                shutil.copyfileobj(sys.stdin.buffer, out, SPOOL_BLOCK)
            else:
                with Path(path).open("rb") as source:
                    shutil.copyfileobj(source, out, SPOOL_BLOCK)
        spooled[path] = copy
    return spooled
