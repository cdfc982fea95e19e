"""What a worker process does: build its own engine once, then check chunks and encode results.

durable-rules keeps the GIL and can kill its process, so checking happens in worker processes: the
speed comes from several cores, and a crash costs a worker, not the run.
"""

from __future__ import annotations

import contextlib
import ctypes
import dataclasses
import gc
import multiprocessing
import os
import pickle
import signal
import struct
from array import array
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import accumulate
from multiprocessing.connection import Connection
from typing import Any, NamedTuple, cast

from doseguard.batch.context import with_context
from doseguard.batch.line_cache import LineCache, LineKey
from doseguard.batch.record_meta import MetaColumns, MetaRow, RecordMeta, pack_meta
from doseguard.checker import Checker
from doseguard.io.chunks import Chunk, ChunkKind
from doseguard.io.columns import ColumnMap, mapped_record
from doseguard.io.encoders import Encoder, JsonLineEncoder, encode_csv_rows
from doseguard.io.history_store import HistoryStore
from doseguard.io.readers import record_of_line, records_of
from doseguard.orders.model import RECORD_FIELDS
from doseguard.orders.normalise import unread_keys
from doseguard.records import InputRecord, record_ids
from doseguard.results import OrderResult, ResultError, ResultStatus, Summary
from doseguard.rules.model import RuleSet
from doseguard.rules.source import RuleSource

JSON_LINES = ("", "jsonl")
"""Formats whose LINES chunks the line cache may read as JSON ("": a chunk built by hand)."""


class Greeting(NamedTuple):
    """A worker's first message: ready to check chunks, or why it could not build its checker."""

    failed: str | None = None


FRAME = struct.Struct("<Q")
"""The length in front of each chunk the main process writes to a worker."""


@dataclass(frozen=True, slots=True)
class ChunkResult:
    """A chunk's results as they cross the pipe, packed so that the main process does little.

    ``encoded`` is the chunk's output bytes (machine formats), with ``ends`` where each record's
    bytes end; ``objects`` are the results themselves (human formats). ``order_ids`` are what the
    main process checks for repeats (None: no id, or an invalid record, which is never a repeat).
    ``meta`` is the records' :class:`RecordMeta` packed by :func:`pack_meta`, read (as
    :class:`MetaColumns`) only when a repeat is found.
    """

    encoded: bytes
    ends: array[int]
    objects: list[OrderResult] | None
    order_ids: list[str | None]
    meta: bytes
    counts: Summary  # of this chunk: the main process adds them up

    @classmethod
    def pack(cls, outputs: list[Any], meta: Sequence[MetaRow], counts: Summary) -> ChunkResult:
        """From one output (bytes, or the result itself) and one meta per record."""
        order_ids, packed = pack_meta(meta)
        if outputs and not isinstance(outputs[0], bytes):
            return cls(b"", array("I"), outputs, order_ids, packed, counts)
        ends = array("I", accumulate(map(len, outputs)))
        return cls(b"".join(outputs), ends, None, order_ids, packed, counts)

    @classmethod
    def of(cls, results: list[OrderResult], encode: Encoder | None) -> ChunkResult:
        outputs: list[Any] = []
        meta: list[MetaRow] = []
        counts = Summary()
        for result in results:
            outputs.append(encode(result) if encode else result)
            described = describe(result)
            meta.append(described)
            counts.add_counts(described.status, described.severity, described.rules)
            counts.not_evaluated.update(result.not_evaluated)
        return cls.pack(outputs, meta, counts)

    @classmethod
    def failed(cls, chunk: Chunk, setup: WorkerSetup, *, hung: bool) -> ChunkResult:
        """The results of records whose check killed or hung their worker: errors, never passes."""
        reason = "hung" if hung else "crashed"
        error = ResultError(None, f"evaluation failed: the rules engine {reason} on this order")
        results = [
            OrderResult(
                chunk.number(offset),
                item.source,
                *record_ids(item.data),
                ResultStatus.ERROR,
                errors=(error,),
                rules_version=setup.rules_version,
                record_data=item.data,
            )
            for offset, item in enumerate(records_of(chunk))
        ]
        return cls.of(results, make_encoder(setup.output))

    def outputs(self) -> list[Any]:
        """One output per record: its bytes, or the result itself."""
        if self.objects is not None:
            return list(self.objects)
        starts = [0, *self.ends[:-1]]
        return [self.encoded[start:end] for start, end in zip(starts, self.ends, strict=True)]

    def records_meta(self) -> list[RecordMeta]:
        return MetaColumns(self.meta).rows()

    def __add__(self, other: ChunkResult) -> ChunkResult:
        counts = Summary()
        counts.merge(self.counts)
        counts.merge(other.counts)
        meta = [*self.records_meta(), *other.records_meta()]
        return ChunkResult.pack(self.outputs() + other.outputs(), meta, counts)


class ChunkChecker:
    """Checks chunks with one checker; used in workers, and in-process for the same bytes.

    Keys of JSON records that are no order field are counted (``counts.ignored_fields``), to be
    named once per run; a CSV's columns are counted where its header is read. With a column map,
    JSON records' keys are read as the map says (:func:`doseguard.io.columns.mapped_record`).

    With a history store, each record is checked with its patient's context, and the line cache is
    off: its premise (rules never read the ids) does not hold when the patient id picks the history."""

    def __init__(
        self,
        checker: Checker,
        output: str,
        columns: ColumnMap | None = None,
        history: HistoryStore | None = None,
    ) -> None:
        self.checker = checker
        self.encode: Encoder | None = make_encoder(output)
        self.history = history
        self.lines = LineCache(self.encode) if self.encode is not None and history is None else None
        self.by_column = columns.by_column if columns is not None else None

    def process(self, chunk: Chunk) -> ChunkResult:
        chunk = chunk.as_lines()
        if (
            chunk.kind is ChunkKind.LINES
            and chunk.format in JSON_LINES
            and self.lines is not None
            and self.by_column is None
            and LineCache.plain_name(chunk.name)
        ):  # the line cache reads JSON: another format's lines go to its own mapper
            return self._process_lines(chunk, self.lines)
        items = list(records_of(chunk))
        ignored: Counter[str] = Counter()
        if chunk.kind is not ChunkKind.ROWS:  # a CSV's columns were mapped and counted with its header
            if self.by_column is not None:
                items = [mapped_record(item, self.by_column) for item in items]
            for item in items:
                ignored.update(_unread(item.data))
        if self.history is not None:
            items = with_context(items, self.history)
        results = self.checker.check_many(items, chunk.first_record, chunk.numbers)
        if self.encode is None:  # the results themselves go out: with the records, for the report
            results = with_records(results, items)
        done = ChunkResult.of(results, self.encode)
        done.counts.ignored_fields.update(ignored)
        return done

    def _process_lines(self, chunk: Chunk, cache: LineCache) -> ChunkResult:
        """JSON Lines through the line cache: a line seen before (but for its ids) is not checked
        again; the others are checked together, as ``check_many`` does best."""
        outputs: list[Any] = []
        meta: list[MetaRow | None] = []
        counts = Summary()
        misses: list[_Miss] = []
        number = chunk.first_record
        name, first_line = chunk.name, chunk.first_line
        get = cache.get
        for offset, raw in enumerate(chunk.items):
            if not raw.strip():
                continue
            source = f"{name}:{first_line + offset}"
            found = cache.key(raw)
            template = None
            if found is not None:
                key, (order_id, patient_id) = found
                template = get(key)
            if template is not None:
                outputs.append(template.fill(b"%d" % number, source.encode(), order_id, patient_id))
                status, severity, rules = template.outcome
                meta.append((order_id.decode(), patient_id.decode(), source, status, severity, rules))
                counts.add_counts(status, severity, rules)
                if template.not_evaluated:
                    counts.not_evaluated.update(template.not_evaluated)
                if template.ignored:
                    counts.ignored_fields.update(template.ignored)
            else:
                misses.append(_Miss(len(outputs), number, raw, found, record_of_line(source, raw)))
                outputs.append(None)
                meta.append(None)  # filled below
            number += 1
        if misses:
            encode = cache.encode
            first = misses[0].number
            consecutive = misses[-1].number - first == len(misses) - 1  # then numbered as they are checked
            checked = self.checker.check_many([miss.item for miss in misses], first if consecutive else 1)
            for miss, result in zip(misses, checked, strict=True):
                numbered = result if consecutive else dataclasses.replace(result, record=miss.number)
                encoded = outputs[miss.position] = encode(numbered)
                described = meta[miss.position] = describe(numbered)
                counts.add_counts(described.status, described.severity, described.rules)
                counts.not_evaluated.update(numbered.not_evaluated)
                ignored = _unread(miss.item.data)
                counts.ignored_fields.update(ignored)
                cache.learn(
                    miss.raw, miss.found, miss.item.data, numbered, encoded, described.outcome, ignored
                )
        return ChunkResult.pack(outputs, cast(list[MetaRow], meta), counts)


class _Miss(NamedTuple):
    """A line the line cache could not answer: where its output goes, and what to check."""

    position: int  # in the chunk's outputs
    number: int  # the record's number in the batch
    raw: bytes
    found: LineKey | None  # what LineCache.key said of it
    item: InputRecord


def with_records(results: list[OrderResult], items: Sequence[InputRecord]) -> list[OrderResult]:
    """The results, each carrying its record as read (:attr:`OrderResult.record_data`): for the
    outputs that show the order (the HTML report, the annotated export); never on the encoded path."""
    return [
        dataclasses.replace(result, record_data=item.data)
        for result, item in zip(results, items, strict=True)
    ]


def _unread(data: Any) -> tuple[str, ...]:
    """A record's keys that are no order field (none, for most: one C call tells)."""
    if type(data) is not dict or _FIELD_NAMES.issuperset(data):
        return ()
    return unread_keys(data)


_FIELD_NAMES = frozenset(RECORD_FIELDS)


def make_encoder(output: str) -> Encoder | None:
    if output in ("jsonl", "json"):
        return JsonLineEncoder()
    if output == "csv":
        return encode_csv_rows
    return None  # table, html: the writer needs the results themselves


def describe(result: OrderResult) -> RecordMeta:
    severity = result.severity
    return RecordMeta(
        result.order_id,
        result.patient_id,
        result.source,
        result.status.value,
        severity.value if severity is not None else None,
        tuple(f.rule_id for f in result.findings),
    )


BeforeSend = Callable[[ChunkResult, bytes, Connection], None]
"""Called in the worker with a chunk's result, its pickled bytes and the result pipe, before it is
sent: the tests' way of injecting faults (``tests/batch/faults.py``). Nothing shipped sets one."""


@dataclass(frozen=True)
class WorkerSetup:
    """What a worker needs to build its checker: the rules, the output format, and the version of the
    rules the main process checked (a worker that reads other rules from disk refuses to start).
    ``before_send`` is for tests only (:data:`BeforeSend`); it must pickle (a module-level callable).
    ``history`` is the run's history store (:mod:`doseguard.io.history_store`), opened read-only."""

    rules: RuleSource
    output: str
    rules_version: str = ""
    before_send: BeforeSend | None = None
    columns: ColumnMap | None = None
    history: str | None = None


def serve(commands: Connection, results: Connection, setup: WorkerSetup) -> None:
    """A worker process: build the checker, say whether that worked, then answer each chunk read from
    ``commands`` on ``results`` until the main process closes ``commands``. A main process that
    is gone (``kill -9``) is no error: the worker leaves quietly, and at once (see
    :func:`leave_with_parent`), even in the middle of a chunk."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the main process's to handle
    leave_with_parent()
    try:
        _serve(commands, results, setup)
    except BrokenPipeError:  # the main process went away while we were sending
        return


def open_store(path: str, rule_set: RuleSet) -> HistoryStore | None:
    """The run's history store, read for the kinds of history the rules aggregate only: a run whose
    rules read no lab aggregate reads no lab result, and its outcomes do not depend on them. None
    when it holds nothing those rules read (no patient fields either): records are then checked as
    in a run without one, the line cache on."""
    store = HistoryStore(path, needs=frozenset(a.kind for a in rule_set.aggregates.values()))
    if store.says_nothing:
        store.close()
        return None
    return store


YOUNG_COLLECTION_THRESHOLD = 10_000
"""Allocations between two collections of the youngest generation (CPython's default: 700)."""


def settle_collector() -> None:
    """Once the checker is built: what it holds (rules, compiled closures, vocabularies) moved out of
    the cyclic collector's sight (``gc.freeze``), so that older collections stop walking it again and
    again, and young collections made rarer. A worker's per-order objects form few cycles (reference
    counting frees them), so this trades a little memory for fewer collections; results are the same."""
    gc.collect()
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_COLLECTION_THRESHOLD, middle, old)


def leave_with_parent() -> None:
    """Ask Linux for a SIGTERM when the main process dies: a worker stuck in a long (or endless)
    evaluation would otherwise outlive it, an orphan reading no pipe."""
    with contextlib.suppress(OSError, AttributeError):
        parent = multiprocessing.parent_process()
        libc = ctypes.CDLL(None, use_errno=True)
        asked = libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0) == 0
        if asked and parent is not None and os.getppid() != parent.pid:
            os._exit(0)  # it died before we asked


_PR_SET_PDEATHSIG = 1


def _serve(commands: Connection, results: Connection, setup: WorkerSetup) -> None:
    try:
        rule_set = setup.rules.load()
        if setup.rules_version and rule_set.version != setup.rules_version:
            raise RuntimeError(
                f"the rules changed on disk since the run began (version {rule_set.version}, "
                f"not {setup.rules_version})"
            )
        history = open_store(setup.history, rule_set) if setup.history is not None else None
        checker = ChunkChecker(Checker(rule_set), setup.output, setup.columns, history)
        settle_collector()
    except Exception as error:  # told to the main process, which stops the run
        results.send_bytes(pickle.dumps(Greeting(failed=f"{type(error).__name__}: {error}")))
        return
    results.send_bytes(pickle.dumps(Greeting()))
    before_send = setup.before_send
    with open(commands.fileno(), "rb", buffering=1 << 20, closefd=False) as stream:
        while len(header := stream.read(FRAME.size)) == FRAME.size:
            (size,) = FRAME.unpack(header)
            result = checker.process(pickle.loads(stream.read(size)))
            payload = pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL)
            if before_send is not None:
                before_send(result, payload, results)
            results.send_bytes(payload)
