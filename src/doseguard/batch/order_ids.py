"""Which order ids a batch has seen, in about 16 bytes per order.

A set of strings would cost over 100 bytes per order, too much for batches of millions. This table
keeps a 64-bit fingerprint of each id and the record it came from (12 bytes a slot, at most 3/4
full), with open addressing in two flat arrays. Two different ids share a fingerprint with a
probability of about n²/2⁶⁵ (under 10⁻⁶ for five million orders); the cost of that is one order
wrongly reported as a duplicate, never a pass.
"""

from __future__ import annotations

from array import array

_EMPTY = 0


class OrderIdTable:
    def __init__(self, capacity: int = 1 << 16) -> None:
        self._size = 0
        self._allocate(capacity)

    def _allocate(self, capacity: int) -> None:
        self._mask = capacity - 1
        self._keys = array("q", bytes(8 * capacity))
        self._records = array("I", bytes(4 * capacity))  # record numbers up to 4,294,967,295

    def __len__(self) -> int:
        return self._size

    def add(self, order_id: str, record: int) -> int | None:
        """Remember ``order_id`` as seen at ``record``; return the earlier record if it was seen before."""
        fingerprint = hash(order_id) or 1
        keys, mask = self._keys, self._mask
        slot = fingerprint & mask
        while True:
            found = keys[slot]
            if found == _EMPTY:
                break
            if found == fingerprint:
                return self._records[slot]
            slot = (slot + 1) & mask
        keys[slot] = fingerprint
        self._records[slot] = record
        self._size += 1
        if self._size * 4 > (mask + 1) * 3:
            self._grow()
        return None

    def _grow(self) -> None:
        keys, records = self._keys, self._records
        self._allocate((self._mask + 1) * 2)
        mask = self._mask
        for fingerprint, record in zip(keys, records, strict=True):
            if fingerprint != _EMPTY:
                slot = fingerprint & mask
                while self._keys[slot] != _EMPTY:
                    slot = (slot + 1) & mask
                self._keys[slot] = fingerprint
                self._records[slot] = record
