"""Encoded outcomes of JSON lines, remembered by the line's bytes with its ids cut out.

In a batch the same order sentences come back again and again, differing only in ``order_id`` and
``patient_id``; rules never read the ids. So the output of a line that was checked once can be
written for the next line with the same bytes around its ids by putting the new record number,
source and ids into the old output: no parsing, no result objects, no encoding.

The fast path is taken only where it is provably the same as checking: the ids are plain text that
the order model accepts as it is and every output format writes as is (letters, digits and
``_ . : / -``, not first; at most ``MAX_TEXT`` characters), each appears once
in a line with no escapes (so the match is the top-level key: the slow path checks that, once, when
the entry is made), and an entry is kept only if its template, filled with the values of the record
that made it, gives the very bytes the encoder gave. Anything else is checked the ordinary way.
"""

from __future__ import annotations

import re
from typing import Any

from doseguard.batch.record_meta import Outcome
from doseguard.io.encoders import Encoder
from doseguard.orders.model import MAX_TEXT
from doseguard.result_cache import ResultCache
from doseguard.results import OrderResult, ResultStatus

# An id the order model accepts as it is (no whitespace to strip, not too long): rules never read ids,
# but the model refuses ids over MAX_TEXT characters, so a longer one must be checked, not looked up.
_VALUE = re.compile(rb'[ \t]*:[ \t]*"([A-Za-z0-9][A-Za-z0-9_.:/-]{0,%d})"' % (MAX_TEXT - 1))
_PLAIN_NAME = re.compile(r"[A-Za-z0-9_./<>][A-Za-z0-9_./<> -]*")
# What a probe result holds in place of the record number, source and ids; a template is its output
# cut at these marks, each mark standing for that argument of _Template.fill.
_PROBE = (987654321012, "DGSOURCEMARK", "DGORDERMARK", "DGPATIENTMARK")
_MARKS = {str(mark).encode(): index for index, mark in enumerate(_PROBE)}
_SPLIT = re.compile(b"(" + b"|".join(_MARKS) + b")")

Key = bytes
Ids = tuple[bytes, bytes]  # order_id, patient_id
LineKey = tuple[Key, Ids]
"""What :meth:`LineCache.key` says of a line: its key, and its ids (unpacked, never indexed; a
named tuple would cost a fifth of a microsecond per line here, a twentieth of a cached line)."""


class _Template:
    """An encoded output with holes for the record number, source and ids."""

    __slots__ = ("fields", "format", "ignored", "not_evaluated", "outcome")

    def __init__(
        self,
        pieces: list[bytes],
        outcome: Outcome,
        ignored: tuple[str, ...] = (),
        not_evaluated: tuple[str, ...] = (),
    ) -> None:
        literal = [piece.replace(b"%", b"%%") for piece in pieces[0::2]]
        self.format = b"%b".join(literal)
        self.fields = tuple(_MARKS[mark] for mark in pieces[1::2])  # indexes into fill's arguments
        self.outcome = outcome
        self.ignored = ignored  # the line's keys that are no order field (the same in every line like it)
        self.not_evaluated = not_evaluated  # the result's rules not evaluated for want of a kind of data

    def fill(self, record: bytes, source: bytes, order_id: bytes, patient_id: bytes) -> bytes:
        values = (record, source, order_id, patient_id)
        return self.format % tuple(values[index] for index in self.fields)


class LineCache:
    """What lines already checked gave, for one encoder (one output format) and one rule set."""

    def __init__(self, encode: Encoder) -> None:
        self.encode = encode
        self._templates: ResultCache[Key, _Template] = ResultCache()

    @staticmethod
    def plain_name(name: str) -> bool:
        """Whether sources ``name:line`` are written as is by every format (no quoting, escaping or
        spreadsheet defusing)."""
        return name.isascii() and _PLAIN_NAME.fullmatch(name) is not None

    @staticmethod
    def key(raw: bytes) -> LineKey | None:
        """The line without the values of its ids, and the ids; None if they are not plain.

        A line whose key equals an entry's is that entry's line with other plain ids, so what
        :meth:`learn` proved of the entry's line (no escapes, each id key once) holds for it too.
        """
        at_order, at_patient = raw.find(b'"order_id"'), raw.find(b'"patient_id"')
        if at_order < 0 or at_patient < 0:
            return None
        order = _VALUE.match(raw, at_order + 10)
        patient = _VALUE.match(raw, at_patient + 12)
        if order is None or patient is None:
            return None
        (start, end), (start2, end2) = sorted((order.span(1), patient.span(1)))
        return raw[:start] + raw[end:start2] + raw[end2:], (order.group(1), patient.group(1))

    def get(self, key: Key) -> _Template | None:
        return self._templates.get(key)

    def learn(
        self,
        raw: bytes,
        found: LineKey | None,
        data: Any,
        result: OrderResult,
        encoded: bytes,
        outcome: Outcome,
        ignored: tuple[str, ...] = (),
    ) -> None:
        """Remember ``result`` (just encoded as ``encoded``, counted as ``outcome``) for lines like
        ``raw`` but for their ids, if that is provably right: ``found`` is ``key(raw)``, ``data``
        what ``raw`` parsed to.

        A key is learnt the second time it is met, so that lines that never repeat (the worst case)
        cost a set lookup, not a template."""
        if found is None or result.status is ResultStatus.ERROR or not isinstance(data, dict):
            return
        key, (order_id, patient_id) = found
        if not self._templates.met_before(key):
            return
        if b"\\" in raw or raw.count(b'"order_id"') != 1 or raw.count(b'"patient_id"') != 1:
            return
        ids = (order_id.decode(), patient_id.decode())
        if (data.get("order_id"), data.get("patient_id")) != ids:
            return  # the ids found are not the record's top-level ids
        if (result.order_id, result.patient_id) != ids:
            return
        probe = OrderResult(*_PROBE, result.status, result.findings, result.errors, result.warnings,
                            result.rules_version, result.not_evaluated)  # fmt: skip
        template = _Template(_SPLIT.split(self.encode(probe)), outcome, ignored, result.not_evaluated)
        if template.fill(b"%d" % result.record, result.source.encode(), order_id, patient_id) != encoded:
            return
        self._templates.keep(key, template)
