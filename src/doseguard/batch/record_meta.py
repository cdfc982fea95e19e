"""What the main process reads of each record's result: its ids, source and outcome.

The main process counts outcomes and, for a record that repeats an earlier ``order_id``, writes a
duplicate in its place; it never needs the result itself. Workers build each record's metadata as a
plain tuple in :class:`RecordMeta`'s field order (:data:`MetaRow`: a named tuple costs about 200 ns
more to make, on a cached line's path of about 5 us) and send a chunk's as columns
(:func:`pack_meta`: pickled faster and smaller than rows); everything that reads them reads
:class:`RecordMeta` by name.
"""

from __future__ import annotations

import pickle
from collections.abc import Sequence
from typing import Any, NamedTuple

from doseguard.order_ids import claimed_ids


class Outcome(NamedTuple):
    """What the main process counts of a record (:meth:`Summary.add_counts`)."""

    status: str
    severity: str | None  # the highest of the findings, or None
    rules: tuple[str, ...]  # the rule ids of the findings


class RecordMeta(NamedTuple):
    """One record's metadata."""

    order_id: str | None
    patient_id: str | None
    source: str
    status: str
    severity: str | None
    rules: tuple[str, ...]

    @property
    def outcome(self) -> Outcome:
        return Outcome(self.status, self.severity, self.rules)


MetaRow = tuple[str | None, str | None, str, str, str | None, tuple[str, ...]]
"""A :class:`RecordMeta` as the hot path builds it; written, never read by index."""


def pack_meta(rows: Sequence[MetaRow]) -> tuple[list[str | None], bytes]:
    """The ids the chunk's records claim (:func:`doseguard.order_ids.claimed_ids`), and the rows
    pickled as columns; the columns that repeat few values go first, as pickle refers back to a
    value met early in 2 bytes and to one met late in 5."""
    if not rows:
        return [], pickle.dumps(((),) * len(RecordMeta._fields), protocol=pickle.HIGHEST_PROTOCOL)
    order_ids, patient_ids, sources, statuses, severities, rules = zip(*rows, strict=True)
    wire = (statuses, severities, rules, order_ids, patient_ids, sources)
    return claimed_ids(order_ids, statuses), pickle.dumps(wire, protocol=pickle.HIGHEST_PROTOCOL)


class MetaColumns:
    """A chunk's metadata as :func:`pack_meta` packed them, read by record."""

    __slots__ = ("_columns",)

    def __init__(self, packed: bytes) -> None:
        statuses, severities, rules, order_ids, patient_ids, sources = pickle.loads(packed)
        self._columns: tuple[Sequence[Any], ...] = (
            order_ids, patient_ids, sources, statuses, severities, rules
        )  # fmt: skip

    def __len__(self) -> int:
        return len(self._columns[0])

    def row(self, position: int) -> RecordMeta:
        return RecordMeta._make(column[position] for column in self._columns)

    def rows(self) -> list[RecordMeta]:
        return list(map(RecordMeta._make, zip(*self._columns, strict=True)))
