"""Which order ids a batch has seen, in memory that does not grow with the batch.

A set of strings would cost over 100 bytes per order, too much for batches of millions. This table
keeps a 64-bit fingerprint of each id and the record it came from (12 bytes a slot, at most 3/4
full), with open addressing in two flat arrays. Two different ids share a fingerprint with a
probability of about n²/2⁶⁵ (under 10⁻⁶ for five million orders); the cost of that is one order
wrongly reported as a duplicate, never a pass.

The arrays grow up to ``max_capacity`` slots (24 MB by default, about 1.5 million ids). When they
are full they are written unchanged to an unlinked temporary file (a *run*, probed on disk with
``pread`` exactly as in memory, so nothing is sorted and nothing is mapped into the process), their
fingerprints are added to a fixed-size Bloom filter (16 MB), and the arrays start empty again.
A new id is looked up on disk only when the filter says it may be there: about 1 id in 500 at five
million orders, more as the filter fills (a third at fifty million), so very large batches get
slower, never bigger and never wrong.

:class:`RepeatedOrderIds` is the one rule for repeats, on top of the table: the single-process
checker and the batch runner both apply it, so the two paths give the same results.
"""

from __future__ import annotations

import os
import tempfile
from array import array
from collections.abc import Iterable
from types import TracebackType
from typing import BinaryIO

from doseguard.results import OrderResult, ResultError, ResultStatus

_EMPTY = 0
_KEY_BYTES = 8
_RECORD_BYTES = 4
_PROBE_WINDOW = 64  # slots read from disk at a time (a cluster at 3/4 load is rarely longer)
_BLOOM_WORDS = 1 << 21  # 64-bit words: 16 MB, fixed


def _bloom_place(fingerprint: int) -> tuple[int, int]:
    """The filter word and the three bits of it that stand for ``fingerprint``.

    The table's slot is taken from the low bits, so the filter uses the high ones: the word from
    bits 43–63, the bits within it from bits 25–42 (all bits of Python's SipHash are independent).
    """
    word = (fingerprint >> 43) & (_BLOOM_WORDS - 1)
    bits = 1 << ((fingerprint >> 25) & 63)
    bits |= 1 << ((fingerprint >> 31) & 63)
    bits |= 1 << ((fingerprint >> 37) & 63)
    return word, bits


class _Run:
    """A full table written to disk: the key array, then the record array, probed like the table."""

    def __init__(self, keys: array[int], records: array[int], directory: str | None) -> None:
        self._file: BinaryIO = tempfile.TemporaryFile(prefix="doseguard-ids-", dir=directory)  # noqa: SIM115 (closed by close())
        keys.tofile(self._file)
        records.tofile(self._file)
        self._file.flush()
        self._fd = self._file.fileno()
        self._capacity = len(keys)
        self._mask = self._capacity - 1

    def find(self, fingerprint: int) -> int | None:
        """The record stored for ``fingerprint``, or None; reads one window of slots at a time."""
        slot = fingerprint & self._mask
        for _ in range(self._capacity // _PROBE_WINDOW + 2):  # ends at an empty slot well before
            count = min(_PROBE_WINDOW, self._capacity - slot)
            window = array("q")
            window.frombytes(os.pread(self._fd, count * _KEY_BYTES, slot * _KEY_BYTES))
            for index, found in enumerate(window):
                if found == _EMPTY:
                    return None
                if found == fingerprint:
                    where = self._capacity * _KEY_BYTES + (slot + index) * _RECORD_BYTES
                    record = array("I")
                    record.frombytes(os.pread(self._fd, _RECORD_BYTES, where))
                    return record[0]
            slot = (slot + count) & self._mask
        return None

    def close(self) -> None:
        self._file.close()


class OrderIdTable:
    def __init__(
        self,
        capacity: int = 1 << 16,
        *,
        max_capacity: int = 1 << 21,
        spill_directory: str | None = None,
    ) -> None:
        if capacity & (capacity - 1) or max_capacity & (max_capacity - 1) or capacity > max_capacity:
            raise ValueError("capacities must be powers of two, capacity <= max_capacity")
        self._size = 0  # ids in memory
        self._spilled = 0  # ids in runs on disk
        self._max_capacity = max_capacity
        self._spill_directory = spill_directory
        self._runs: list[_Run] = []
        self._bloom: array[int] | None = None
        self._allocate(capacity)

    def _allocate(self, capacity: int) -> None:
        self._mask = capacity - 1
        self._keys = array("q", bytes(_KEY_BYTES * capacity))
        self._records = array("I", bytes(_RECORD_BYTES * capacity))  # record numbers up to 4,294,967,295

    def __len__(self) -> int:
        return self._size + self._spilled

    @property
    def runs(self) -> int:
        """How many full tables have been written to disk."""
        return len(self._runs)

    @property
    def slots_in_memory(self) -> int:
        return self._mask + 1

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
        bloom = self._bloom
        if bloom is not None:
            word, bits = _bloom_place(fingerprint)
            if bloom[word] & bits == bits:  # maybe spilled: look on disk
                earlier = self._find_in_runs(fingerprint)
                if earlier is not None:
                    return earlier
        keys[slot] = fingerprint
        self._records[slot] = record
        self._size += 1
        if self._size * 4 > (mask + 1) * 3:
            if mask + 1 < self._max_capacity:
                self._grow()
            else:
                self._spill()
        return None

    def add_many(self, order_ids: list[str | None], first_record: int) -> list[tuple[int, int]]:
        """``add`` for consecutive records (None: a record not to check); returns (offset, earlier
        record) for each repeat. The loop of :meth:`add`, inlined: the main process runs it for
        every order of a batch, so it keeps everything in locals until it must resize or look on
        disk, which :meth:`add` does."""
        repeats: list[tuple[int, int]] = []
        keys, records, mask, size = self._keys, self._records, self._mask, self._size
        room = (mask + 1) * 3 // 4 if self._bloom is None else 0  # inserts before add() must act
        for offset, order_id in enumerate(order_ids):
            if order_id is None:
                continue
            fingerprint = hash(order_id) or 1
            slot = fingerprint & mask
            found = keys[slot]
            while found and found != fingerprint:  # _EMPTY is 0
                slot = (slot + 1) & mask
                found = keys[slot]
            if found:
                repeats.append((offset, records[slot]))
            elif size < room:
                keys[slot] = fingerprint
                records[slot] = first_record + offset
                size += 1
            else:
                self._size = size
                earlier = self.add(order_id, first_record + offset)
                if earlier is not None:
                    repeats.append((offset, earlier))
                keys, records, mask, size = self._keys, self._records, self._mask, self._size
                room = (mask + 1) * 3 // 4 if self._bloom is None else 0
        self._size = size
        return repeats

    def _find_in_runs(self, fingerprint: int) -> int | None:
        for run in self._runs:
            earlier = run.find(fingerprint)
            if earlier is not None:
                return earlier
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

    def _spill(self) -> None:
        if self._bloom is None:
            self._bloom = array("Q", bytes(8 * _BLOOM_WORDS))
        bloom = self._bloom
        self._runs.append(_Run(self._keys, self._records, self._spill_directory))
        for fingerprint in self._keys:
            if fingerprint != _EMPTY:
                word, bits = _bloom_place(fingerprint)
                bloom[word] |= bits
        capacity = self._mask + 1
        del self._keys, self._records  # free the full arrays before allocating empty ones
        self._allocate(capacity)
        self._spilled += self._size
        self._size = 0

    def close(self) -> None:
        """Remove the runs written to disk (they are unlinked files: closing is all it takes)."""
        for run in self._runs:
            run.close()
        self._runs.clear()

    def __enter__(self) -> OrderIdTable:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()


_INVALID = ResultStatus.INVALID.value


def claimed_ids(order_ids: Iterable[str | None], statuses: Iterable[str]) -> list[str | None]:
    """The order id each result claims in its batch, given the results' ids and statuses: None for
    a result with no id, and for an invalid one (a record that could not be understood neither
    repeats an id nor is repeated)."""
    return [
        order_id if status != _INVALID else None for order_id, status in zip(order_ids, statuses, strict=True)
    ]


class RepeatedOrderIds:
    """A batch's one rule for order ids: a record that repeats the ``order_id`` claimed by an earlier
    record is invalid, whatever its own result was, and says which record it repeats.

    The single-process path applies it a result at a time (:meth:`check`); the batch runner a chunk
    at a time (:meth:`repeats` of their :func:`claimed_ids`, then :meth:`duplicate` for each repeat).
    """

    def __init__(self, rules_version: str, table: OrderIdTable | None = None) -> None:
        self.rules_version = rules_version
        self._seen = table if table is not None else OrderIdTable()

    def check(self, result: OrderResult) -> OrderResult:
        """``result``, or the invalid result of its record if it repeats an earlier record's id."""
        (order_id,) = claimed_ids((result.order_id,), (result.status,))
        if order_id is None:
            return result
        earlier = self._seen.add(order_id, result.record)
        if earlier is None:
            return result
        return self.duplicate(result.record, result.source, order_id, result.patient_id, earlier)

    def repeats(self, claimed: list[str | None], first_record: int) -> list[tuple[int, int]]:
        """(offset, earlier record) for each of consecutive records (their :func:`claimed_ids`,
        from ``first_record`` on) that repeats an id claimed before."""
        return self._seen.add_many(claimed, first_record)

    def duplicate(
        self, number: int, source: str, order_id: str, patient_id: str | None, earlier: int
    ) -> OrderResult:
        """The result of record ``number``, whose ``order_id`` record ``earlier`` already claimed."""
        problem = ResultError("order_id", f"duplicates the order_id of record {earlier}")
        return OrderResult(number, source, order_id, patient_id, ResultStatus.INVALID, errors=(problem,),
                           rules_version=self.rules_version)  # fmt: skip

    def close(self) -> None:
        self._seen.close()

    def __enter__(self) -> RepeatedOrderIds:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()
