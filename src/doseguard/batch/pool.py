"""Worker processes with a pair of pipes each, so that the death of a worker is always seen.

Why not ``ProcessPoolExecutor``: its workers share one result pipe, read by a thread that blocks for
good on a result cut short by a worker's death (a segfault or a SIGKILL in the middle of sending), and
the run hangs. Here each worker has its own pipes, held by no other process: when a worker dies its
pipes close, the main process reads end-of-file, and it knows which chunks that worker held.

The main process never blocks on a worker: it writes chunks without blocking, waits on every
worker's result pipe and exit sentinel at once, and gives up on a chunk after ``chunk_timeout``.
"""

from __future__ import annotations

import contextlib
import fcntl
import multiprocessing
import os
import pickle
import selectors
import signal
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any

from doseguard.batch.worker import FRAME, ChunkResult, Greeting, WorkerSetup, serve
from doseguard.errors import WorkerStartError
from doseguard.io.chunks import Chunk
from doseguard.io.readers import records_of

START_ATTEMPTS = 3
"""Workers that fail to start this many times in a row stop the run: nothing could be checked."""
PIPE_BYTES = 1 << 20
"""Pipe capacity asked of Linux: a chunk goes across in one write instead of sixteen."""
START_TIMEOUT = 120.0
"""Seconds a worker may take to load and compile the rules (about one on an idle machine)."""
STOP_GRACE = 5.0
"""Seconds a worker has to leave after its command pipe closes, before it is killed."""


WorkerMain = Callable[[Connection, Connection, Any], None]
"""What a worker process runs: its command pipe, its result pipe, its setup (picklable)."""


class WorkerLost(Exception):
    """A worker died, hung, or could not build its checker (``why`` says what it reported)."""

    def __init__(self, *, hung: bool = False, why: str = "") -> None:
        super().__init__(why or ("hung" if hung else "died"))
        self.hung = hung


@dataclass(eq=False)
class Ticket:
    """A chunk on its way: its place in the run and its bytes, made once and sent again if need be."""

    number: int
    chunk: Chunk
    payload: bytes


@dataclass(eq=False)
class Worker:
    """One worker process, the chunks it holds (in the order it answers them) and what is left to
    write to it."""

    process: BaseProcess
    commands: int  # the write end of its command pipe (a file descriptor, non-blocking)
    results: Connection
    ready: bool = False
    held: deque[Ticket] = field(default_factory=deque)
    outbox: deque[memoryview] = field(default_factory=deque)
    started_at: float = field(default_factory=time.monotonic)  # when it began starting or its chunk

    @classmethod
    def start(cls, setup: Any, target: WorkerMain = serve) -> Worker:
        """Start a worker running ``target(commands, results, setup)`` (the service's workers run their
        own loop in the same kind of process: ``doseguard.service.worker_process``)."""
        context = multiprocessing.get_context("spawn")
        command_reader, command_writer = context.Pipe(duplex=False)
        result_reader, result_writer = context.Pipe(duplex=False)
        for end in (command_writer, result_writer):
            _widen(end.fileno())
        process = context.Process(
            target=target, args=(command_reader, result_writer, setup), name="doseguard-worker", daemon=True
        )
        process.start()
        # Only the worker may hold its ends: then its death closes them and we read end-of-file.
        command_reader.close()
        result_writer.close()
        commands = os.dup(command_writer.fileno())
        command_writer.close()
        os.set_blocking(commands, False)
        return cls(process, commands, result_reader)

    def send(self, ticket: Ticket) -> None:
        if not self.held:
            self.started_at = time.monotonic()
        self.held.append(ticket)
        self.outbox.append(memoryview(FRAME.pack(len(ticket.payload)) + ticket.payload))

    def flush(self) -> None:
        """Write what the pipe takes now; raises BrokenPipeError if the worker is gone."""
        while self.outbox:
            head = self.outbox[0]
            try:
                written = os.write(self.commands, head)
            except BlockingIOError:
                return
            if written == len(head):
                self.outbox.popleft()
            else:
                self.outbox[0] = head[written:]

    def receive(self) -> object:
        """The next message; raises EOFError or OSError if the worker died before or while sending."""
        message = pickle.loads(self.results.recv_bytes())
        if isinstance(message, ChunkResult):
            self.held.popleft()
            self.started_at = time.monotonic()
        return message

    def stop(self, *, now: bool = False) -> None:
        """Close its command pipe (it leaves when it reads end-of-file), or kill it ``now``."""
        with contextlib.suppress(OSError):
            os.close(self.commands)
        if now or not _joined(self.process, STOP_GRACE):
            self.process.kill()
            self.process.join()
        self.results.close()


class WorkerPool:
    """``jobs`` workers checking chunks; results come back in input order, one per chunk, always.

    A chunk whose worker died or hung is checked again alone in a worker of its own, and split in
    halves until the record that kills the engine is alone; that record's result says so.
    """

    def __init__(
        self,
        setup: WorkerSetup,
        jobs: int,
        *,
        chunk_timeout: float,
        in_flight_per_job: int = 3,
        notify: Callable[[str], None] | None = None,
    ):
        self.setup = setup
        self.notify = notify  # told, in a sentence, of every worker that died or hung
        self.chunk_timeout = chunk_timeout
        self.per_worker = max(2, in_flight_per_job)
        self.restarts = 0
        self._failed_starts = 0
        self._selector = selectors.DefaultSelector()
        self._workers: list[Worker] = []
        self._isolation: Worker | None = None
        try:
            for _ in range(jobs):
                self._add(Worker.start(setup))
            while not all(worker.ready for worker in self._workers):
                self._wait(deque())
        except BaseException:
            self.close()
            raise

    def worker_pids(self) -> list[int]:
        """The process ids of the workers checking chunks now (a benchmark reads their memory)."""
        return [worker.process.pid for worker in self._workers if worker.process.pid is not None]

    def close(self) -> None:
        """Let idle workers leave; kill busy ones (the run was cut short)."""
        for worker in [*self._workers, *([self._isolation] if self._isolation else [])]:
            worker.stop(now=bool(worker.held))
        self._workers.clear()
        self._isolation = None
        self._selector.close()

    def map_ordered(self, chunks: Iterable[Chunk]) -> Iterator[tuple[Chunk, ChunkResult]]:
        source = iter(chunks)
        waiting: deque[Ticket] = deque()  # read, not yet sent to a worker (or sent again after a death)
        done: dict[int, tuple[Chunk, ChunkResult]] = {}
        # chunks between reading and writing out: room for a slow chunk to hold up the writing while
        # the other workers go on
        limit = 2 * len(self._workers) * self.per_worker
        read = written = 0
        exhausted = False
        while True:
            while not exhausted and read - written < limit:
                chunk = next(source, None)
                if chunk is None:
                    exhausted = True
                    break
                waiting.append(Ticket(read, chunk, pickle.dumps(chunk, protocol=pickle.HIGHEST_PROTOCOL)))
                read += 1
            self._dispatch(waiting)
            while written in done:
                yield done.pop(written)
                written += 1
            if exhausted and written == read:
                return
            for ticket, result in self._wait(waiting):
                done[ticket.number] = (ticket.chunk, result)

    def _dispatch(self, waiting: deque[Ticket]) -> None:
        while waiting:
            worker = min(self._workers, key=lambda w: len(w.held))
            if len(worker.held) >= self.per_worker:
                return
            worker.send(waiting.popleft())
            self._flush(worker, waiting)

    def _wait(self, waiting: deque[Ticket]) -> list[tuple[Ticket, ChunkResult]]:
        """Wait for workers to answer, take a pipe's room to write, die or run out of time."""
        finished: list[tuple[Ticket, ChunkResult]] = []
        deadlines = [self._deadline(w) for w in self._workers if w.held or not w.ready]
        timeout = max(0.0, min(deadlines) - time.monotonic()) if deadlines else self.chunk_timeout
        events = self._selector.select(timeout)
        for key, mask in events:
            worker = key.data
            if worker not in self._workers:
                continue  # replaced earlier in this round
            try:
                if mask & selectors.EVENT_WRITE:
                    self._flush(worker, waiting)
                elif key.fileobj is worker.results:
                    self._answer(worker, finished)
                else:  # its exit sentinel: take what it sent before it died, then mourn it
                    while worker.results.poll():
                        self._answer(worker, finished)
                    raise WorkerLost(hung=False)
            except (EOFError, OSError, WorkerLost) as lost:
                finished.extend(self._replace(worker, waiting, lost))
        now = time.monotonic()
        for worker in list(self._workers):
            if (worker.held or not worker.ready) and now > self._deadline(worker):
                finished.extend(self._replace(worker, waiting, WorkerLost(hung=True)))
        return finished

    def _deadline(self, worker: Worker) -> float:
        return worker.started_at + (self.chunk_timeout if worker.ready else START_TIMEOUT)

    def _answer(self, worker: Worker, finished: list[tuple[Ticket, ChunkResult]]) -> None:
        ticket = worker.held[0] if worker.held else None
        message = worker.receive()
        if isinstance(message, ChunkResult):
            assert ticket is not None
            finished.append((ticket, message))
        elif isinstance(message, Greeting) and message.failed is None:
            worker.ready = True
            worker.started_at = time.monotonic()
            self._failed_starts = 0
        else:  # it could not build its checker
            failed = message.failed if isinstance(message, Greeting) else None
            raise WorkerLost(why=failed if failed is not None else repr(message))

    def _flush(self, worker: Worker, waiting: deque[Ticket]) -> None:
        try:
            worker.flush()
        except OSError:
            return  # it died: its sentinel will say so, and its chunks will be sent again
        key = self._selector.get_map().get(worker.commands)
        if worker.outbox and key is None:
            self._selector.register(worker.commands, selectors.EVENT_WRITE, worker)
        elif not worker.outbox and key is not None:
            self._selector.unregister(worker.commands)

    def _add(self, worker: Worker) -> None:
        self._workers.append(worker)
        self._selector.register(worker.results, selectors.EVENT_READ, worker)
        self._selector.register(worker.process.sentinel, selectors.EVENT_READ, worker)

    def _remove(self, worker: Worker) -> None:
        for fileobj in (worker.results, worker.process.sentinel, worker.commands):
            with contextlib.suppress(KeyError, ValueError):
                self._selector.unregister(fileobj)
        self._workers.remove(worker)
        worker.stop(now=True)

    def _replace(
        self, worker: Worker, waiting: deque[Ticket], lost: BaseException
    ) -> list[tuple[Ticket, ChunkResult]]:
        """Put a fresh worker in the place of one that died or hung. The chunk it was checking is
        checked again alone; the chunks behind it, which it never began, go back in the queue."""
        self._remove(worker)
        self.restarts += 1
        held = list(worker.held)
        finished: list[tuple[Ticket, ChunkResult]] = []
        if not worker.ready:  # it died before it was ready: no chunk is to blame
            self._failed_starts += 1
            if self._failed_starts >= START_ATTEMPTS:
                raise WorkerStartError(f"worker processes cannot start: {lost}")
            self._say(f"a worker failed to start ({self._why(worker, lost)}); starting another")
        elif held:
            suspect = held.pop(0)
            self._say(
                f"a worker {self._why(worker, lost)} while checking {_where(suspect.chunk)}; "
                "checking them again in a worker of their own"
            )
            finished.append((suspect, self._isolate(suspect.chunk)))
            now = time.monotonic()  # the others waited for the isolation, not for their chunks
            for other in self._workers:
                other.started_at = max(other.started_at, now)
        waiting.extendleft(sorted(held, key=lambda t: t.number, reverse=True))
        self._add(Worker.start(self.setup))
        return finished

    def _isolate(self, chunk: Chunk) -> ChunkResult:
        """Check a chunk in a worker of its own; split it until the record that kills it is alone."""
        try:
            return self._check_alone(chunk)
        except (EOFError, OSError, WorkerLost) as lost:
            hung = isinstance(lost, WorkerLost) and lost.hung
            if chunk.record_count <= 1:
                self._say(
                    f"{_where(chunk)} {'hung' if hung else 'crashed'} every worker that checked it: "
                    "reported as an error"
                )
                return ChunkResult.failed(chunk, self.setup, hung=hung)
        left, right = chunk.split()
        return self._isolate(left) + self._isolate(right)

    def _say(self, message: str) -> None:
        if self.notify is not None:
            self.notify(message)

    def _why(self, worker: Worker, lost: BaseException) -> str:
        return why_lost(worker.process, lost, self.chunk_timeout)

    def _check_alone(self, chunk: Chunk) -> ChunkResult:
        worker = self._isolation
        if worker is None or not worker.process.is_alive():
            worker = self._isolation = self._start_alone()
        worker.send(Ticket(0, chunk, pickle.dumps(chunk, protocol=pickle.HIGHEST_PROTOCOL)))
        deadline = time.monotonic() + self.chunk_timeout
        try:
            while worker.outbox or worker.held:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise WorkerLost(hung=True)
                worker.flush()
                if worker.results.poll(min(remaining, 0.05) if worker.outbox else remaining):
                    message = worker.receive()
                    if isinstance(message, ChunkResult):
                        return message
                elif not worker.process.is_alive() and not worker.results.poll():
                    raise WorkerLost(hung=False)
        except BaseException:
            self._isolation = None
            worker.stop(now=True)
            raise
        raise AssertionError("unreachable: a sent chunk is answered or its worker is lost")

    def _start_alone(self) -> Worker:
        why = "it died as it started"
        for _ in range(START_ATTEMPTS):
            worker = Worker.start(self.setup)
            try:
                message = worker.receive() if worker.results.poll(START_TIMEOUT) else None
            except (EOFError, OSError):
                message = None
            if isinstance(message, Greeting) and message.failed is None:
                worker.ready = True
                return worker
            worker.stop(now=True)
            if isinstance(message, Greeting) and message.failed is not None:
                why = message.failed
        raise WorkerStartError(f"worker processes cannot start: {why}")


def why_lost(process: BaseProcess, lost: BaseException, timeout: float) -> str:
    """How a worker was lost, in words: ``hung for 5 s``, ``died (killed by SIGSEGV)``."""
    if isinstance(lost, WorkerLost) and lost.hung:
        return f"hung for {timeout:g} s"
    code = process.exitcode
    if code is not None and code < 0:
        with contextlib.suppress(ValueError):
            return f"died (killed by {signal.Signals(-code).name})"
    return f"died (exit status {code})" if code is not None else f"died ({lost})"


def _where(chunk: Chunk) -> str:
    """``record 7 (orders.jsonl:9)`` or ``records 2001-4000 (orders.csv:2002...)``: by the first
    record's source, as its result names it (only a JSON Lines chunk knows its lines); records not
    consecutive (a Spark task's) by their first: ``16 records from record 7 (orders.jsonl:12...)``."""
    count, first = chunk.record_count, chunk.number(0) if chunk.record_count else chunk.first_record
    source = next((record.source for record in records_of(chunk)), f"{chunk.name}:{chunk.first_line}")
    if chunk.numbers and count > 1:
        return f"{count} records from record {first} ({source}...)"
    if count <= 1:
        return f"record {first} ({source})"
    return f"records {first}-{first + count - 1} ({source}...)"


def _widen(fd: int) -> None:
    """Ask for a roomier pipe (Linux only; the default of 64 KiB is only slower)."""
    with contextlib.suppress(AttributeError, OSError):
        fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, PIPE_BYTES)


def _joined(process: BaseProcess, timeout: float) -> bool:
    process.join(timeout)
    return process.exitcode is not None
