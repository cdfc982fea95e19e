"""The checker's result caches: outcomes remembered by what decides them, kept on second sight.

In a batch the same order sentences come back again and again, and rules read nothing but an order's
fields: so the checker remembers outcomes by the record without its ids (:func:`record_key`) and
findings by the engine's input, and the batch workers remember encoded lines (``batch/line_cache.py``).
Every such cache is bounded the same way, here.
"""

from __future__ import annotations

from typing import Any, Generic, TypeVar

from doseguard.errors import PatientFactError
from doseguard.orders.draft import STRUCTURED_TYPES
from doseguard.orders.model import MAX_TEXT
from doseguard.orders.patient import parse_ordered_at

CACHE_SIZE = 16_384
"""Entries per cache; a full cache is emptied (orders that repeat are back in it at once)."""
SEEN_SIZE = 4 * CACHE_SIZE
"""How many first sightings a cache remembers: an entry is kept the second time it is met, so orders
that never repeat (the worst case) leave no objects behind for the garbage collector to follow."""
_UNCACHEABLE = object()
_VALID_ORDERED_AT = object()
"""Among a key's field names, in place of ``ordered_at``: a valid order time (whose value is not keyed)."""
_TEXT = {str}
_TEXT_OR_INT = {str, int}
_TEXT_OR_STRUCTURED = {str, *STRUCTURED_TYPES}

K = TypeVar("K")
V = TypeVar("V")


class ResultCache(Generic[K, V]):
    """At most :data:`CACHE_SIZE` entries, each kept the second time its key is offered.

    ``get`` is the dict's own method (a lookup is on the hot path of every record)."""

    __slots__ = ("_entries", "_met_once", "get")

    def __init__(self) -> None:
        self._entries: dict[K, V] = {}
        self._met_once: set[int] = set()  # hashes of keys met once
        self.get = self._entries.get

    def __len__(self) -> int:
        return len(self._entries)

    def met_before(self, key: K) -> bool:
        """Whether ``key`` was offered before (and note it if not): for a caller whose value is
        costly to make, to make it only for a key met again."""
        return _second_sight(self._met_once, hash(key))

    def keep(self, key: K, value: V) -> None:
        """Keep ``value`` (a full cache is emptied first)."""
        if len(self._entries) >= CACHE_SIZE:
            self._entries.clear()
        self._entries[key] = value

    def offer(self, key: K, value: V) -> None:
        """Keep ``value`` if ``key`` was met before; note ``key`` otherwise."""
        if _second_sight(self._met_once, hash(key)):
            self.keep(key, value)


def _second_sight(seen: set[int], fingerprint: int) -> bool:
    """Whether ``fingerprint`` was met before (and note it if not): caches keep an entry the second
    time it is met. A collision only caches early."""
    if fingerprint in seen:
        return True
    if len(seen) >= SEEN_SIZE:
        seen.clear()
    seen.add(fingerprint)
    return False


def record_key(data: Any, ids: tuple[str | None, str | None]) -> tuple[Any, ...] | None:
    """The record without its ids (``ids``: what :func:`~doseguard.records.record_ids` says of it)
    as its field names and their values, hashable and type-exact (``True`` is not ``1``), or None
    when the record cannot share an outcome: its ids are not both valid, or it holds nested objects.
    (Two tuples, not a pair per field: fewer objects for the garbage collector to follow.)"""
    if ids[0] is None or ids[1] is None or not isinstance(data, dict):
        return None
    order_id, patient_id = data["order_id"], data["patient_id"]
    if (
        len(order_id if type(order_id) is str else ids[0]) > MAX_TEXT
        or len(patient_id if type(patient_id) is str else ids[1]) > MAX_TEXT
    ):
        return None  # an id too long is invalid: this record cannot share the outcome of one without it
    rest = dict(data)
    del rest["order_id"], rest["patient_id"]
    if "ordered_at" in rest and "birth_date" not in rest and _valid_time(rest["ordered_at"]):
        del rest["ordered_at"]
        key = _key_of(rest)
        return None if key is None else ((*key[0], _VALID_ORDERED_AT), key[1])
    return _key_of(rest)


def _key_of(rest: dict[str, Any]) -> tuple[Any, ...] | None:
    values = rest.values()
    kinds = set(map(type, values))
    if kinds <= _TEXT:  # the common case: every field is text (a CSV row always)
        return tuple(rest), tuple(values)
    if kinds <= _TEXT_OR_STRUCTURED:  # a FHIR record: as _freeze writes it
        return tuple(rest), tuple(values)
    if kinds <= _TEXT_OR_INT:  # JSON with a count: as _freeze writes it
        return tuple(rest), tuple([value if type(value) is str else (int, value) for value in values])
    frozen = [_freeze(value) for value in values]
    if _UNCACHEABLE in frozen:
        return None
    return tuple(rest), tuple(frozen)


def _valid_time(value: Any) -> bool:
    """Whether ``value`` is an ``ordered_at`` the order model reads as it is (plain ASCII text, nothing
    to strip, not too long) and that is a valid time: then, with no history and no birth date, no
    outcome depends on which time it is, only on its being there and valid. Anything else is keyed
    by its value (an invalid one's message quotes it)."""
    if type(value) is not str or len(value) > MAX_TEXT or not value.isascii() or not value.isprintable():
        return False
    if value != value.strip():
        return False
    try:
        parse_ordered_at(value)
    except PatientFactError:
        return False
    return True


def _freeze(value: Any) -> Any:
    kind = type(value)
    if kind is str or value is None:
        return value
    if kind is list:
        items = tuple(_freeze(item) for item in value)
        return _UNCACHEABLE if _UNCACHEABLE in items else (list, items)
    if kind in (int, float, bool):
        return (kind, value)
    if kind in STRUCTURED_TYPES:  # a FHIR value (orders.draft): a tuple, compared by value
        return value
    return _UNCACHEABLE
