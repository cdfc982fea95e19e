"""The service's evaluator: a request's records checked in supervised worker processes.

durable-rules can kill or hang its process on ordinary input (``docs/engine-hazards.md``), so no rule
runs in the web server's process. Each worker is started and watched as the batch pool's are
(``batch/pool.py``: its own pipes, the exit sentinel, a deadline); each is driven by a thread of its own
(a *slot*) that blocks on the worker's pipes, so the event loop only awaits a future. A request goes to
the first idle slot (a queue when all are busy). A worker that dies or misses the deadline is killed
and replaced, and that request, and no other, is answered with ``error`` results that say it was not
checked and why. Rules are reloaded as a new *generation* of workers: new requests go to it once it is
ready; the old one answers what it holds, then stops. Decisions: ``docs/service.md``.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import os
import pickle
import queue
import select
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from multiprocessing.connection import wait

from doseguard.batch.pool import START_ATTEMPTS, START_TIMEOUT, Worker, WorkerLost, why_lost
from doseguard.batch.worker import FRAME, Greeting
from doseguard.checker import load_checker
from doseguard.records import InputRecord, record_ids
from doseguard.results import OrderResult, ResultError, ResultStatus
from doseguard.rules.model import RuleSet
from doseguard.rules.source import RuleSource
from doseguard.service.worker_process import BeforeCheck, Failed, ServiceWorkerSetup, serve_requests

log = logging.getLogger("doseguard.service.workers")

DEFAULT_WORKERS = 2
DEFAULT_DEADLINE = 5.0
"""Seconds a worker may take over one request (a few orders take milliseconds) before it counts as hung."""
DEFAULT_CLOSE_TIMEOUT = 30.0
"""Seconds :meth:`ProcessEvaluator.close` waits for requests in flight before it kills the workers."""
IDLE_CHECK = 0.5
"""Seconds between looks at an idle worker: one that died idle is replaced before a request meets it."""
RETRY_START_AFTER = (1.0, 30.0)
"""A slot whose worker cannot start tries again after 1 s, doubling up to 30 s; meanwhile it answers
the requests it takes with "not checked" at once rather than let them wait."""


def not_checked(records: Sequence[InputRecord], rules_version: str, why: str) -> list[OrderResult]:
    """One ``error`` result per record saying it was not checked and why: never an empty answer."""
    error = ResultError(None, f"not checked: {why}")
    return [
        OrderResult(
            number,
            record.source,
            *record_ids(record.data),
            ResultStatus.ERROR,
            errors=(error,),
            rules_version=rules_version,
        )
        for number, record in enumerate(records, start=1)
    ]


@dataclass(eq=False)
class _Job:
    records: tuple[InputRecord, ...]
    future: concurrent.futures.Future[list[OrderResult]] = field(default_factory=concurrent.futures.Future)


_STOP = None
"""Put in a generation's queue once per slot: the slot answers what is before it, then stops."""


class _Slot:
    """One worker process and the thread that feeds it requests, one at a time, and replaces it."""

    def __init__(self, generation: _Generation, index: int) -> None:
        self.generation = generation
        self.worker: Worker | None = None
        self.started = threading.Event()  # the first start was tried (it worked or not)
        self.down_why = ""
        self._retry_at = 0.0
        self._retry_after = RETRY_START_AFTER[0]
        self.thread = threading.Thread(
            target=self._run, name=f"doseguard-evaluator-{generation.number}.{index}", daemon=True
        )

    @property
    def up(self) -> bool:
        worker = self.worker
        return worker is not None and worker.process.is_alive()

    def pid(self) -> int | None:
        worker = self.worker
        return worker.process.pid if worker is not None else None

    def _run(self) -> None:
        jobs = self.generation.jobs
        try:
            while True:
                if (
                    self.worker is None
                    and not self.generation.stopping
                    and time.monotonic() >= self._retry_at
                ):
                    self._start()
                try:
                    job = jobs.get(timeout=IDLE_CHECK if self.worker else self._retry_after)
                except queue.Empty:
                    self._mourn_if_dead()
                    continue
                if job is None:  # _STOP
                    return
                if not job.future.running() and not job.future.set_running_or_notify_cancel():
                    continue  # its request was cancelled while it waited
                if self._mourn_if_dead():
                    if self.generation.hand_over(job):
                        continue  # another worker of the generation is up: it takes the request now
                    if not self.generation.stopping:
                        self._start()
                job.future.set_result(self._answer_safely(job.records))
        finally:
            self.started.set()
            if self.worker is not None:
                self.worker.stop()

    def _start(self) -> None:
        """A ready worker, or ``down_why`` and a later retry (a few tries first: creating a ruleset
        rarely fails once in a fresh process, ``docs/engine-hazards.md``)."""
        why = "it died as it started"
        for _ in range(START_ATTEMPTS):
            try:
                worker = Worker.start(self.generation.setup, serve_requests)
            except Exception as error:  # no process (fork refused, out of memory, descriptors...)
                why = f"{type(error).__name__}: {error}"
                continue
            try:
                greeting = (
                    pickle.loads(worker.results.recv_bytes()) if worker.results.poll(START_TIMEOUT) else None
                )
            except (EOFError, OSError):
                greeting = None
            if isinstance(greeting, Greeting) and greeting.failed is None:
                worker.ready = True
                self.worker = worker
                self.down_why = ""
                self._retry_after = RETRY_START_AFTER[0]
                self.started.set()
                return
            worker.stop(now=True)
            if isinstance(greeting, Greeting) and greeting.failed is not None:
                why = greeting.failed
            elif greeting is None and worker.process.exitcode is None:
                why = f"it did not start within {START_TIMEOUT:g} s"
        self.down_why = f"no worker could start ({why})"
        log.error("a worker of rules %s could not start: %s", self.generation.version, why)
        self._retry_at = time.monotonic() + self._retry_after
        self._retry_after = min(2 * self._retry_after, RETRY_START_AFTER[1])
        self.started.set()

    def _mourn_if_dead(self) -> bool:
        """Whether the worker died while idle (then replaced: no request was in its hands)."""
        worker = self.worker
        if worker is None or worker.process.is_alive():
            return False
        self._lose(worker, WorkerLost(), while_idle=True)
        return True

    def _answer_safely(self, records: tuple[InputRecord, ...]) -> list[OrderResult]:
        """:meth:`_answer`; a fault of the supervision itself (a bug) is that request's "not checked",
        logged, never a thread that dies and leaves the requests behind it unanswered."""
        try:
            return self._answer(records)
        except Exception as error:
            log.exception("the evaluator failed on a request")
            return not_checked(
                records, self.generation.version, f"the evaluator failed ({type(error).__name__})"
            )

    def _answer(self, records: tuple[InputRecord, ...]) -> list[OrderResult]:
        """The worker's results, or "not checked" ones if it is down, dies or hangs (then replaced)."""
        version = self.generation.version
        if self.worker is None:
            return not_checked(records, version, self.down_why or "no worker is up (the service is stopping)")
        payload = pickle.dumps(records, protocol=pickle.HIGHEST_PROTOCOL)
        message = FRAME.pack(len(payload)) + payload
        deadline = self.generation.deadline
        for attempt in range(2):
            worker = self.worker
            end = time.monotonic() + deadline
            try:
                _write_all(worker.commands, message, end)
                answer = _receive(worker, end)
            except BrokenPipeError as lost:
                # it was gone before it read a byte of this request (it died idle): safe to send again
                why = self._lose(worker, lost, while_idle=True)
                if attempt == 0 and not self.generation.stopping:
                    self._start()
                    if self.worker is not None:
                        continue
                return not_checked(
                    records, version, f"the rules engine's worker {why}; no other could take it"
                )
            except (EOFError, OSError, WorkerLost) as lost:
                why = self._lose(worker, lost, while_idle=False)
                return not_checked(
                    records,
                    version,
                    f"the rules engine's worker {why} while checking this request (replaced)",
                )
            if isinstance(answer, Failed):
                return not_checked(records, version, f"the checker failed ({answer.why})")
            if not isinstance(answer, list) or len(answer) != len(records):
                return not_checked(records, version, f"the worker answered {type(answer).__name__}")
            return answer
        raise AssertionError("unreachable: the loop returns")

    def _lose(self, worker: Worker, lost: BaseException, *, while_idle: bool) -> str:
        """Kill the worker, count it, and say how it was lost; the slot starts another before it takes
        the next request (the request that lost it is answered first)."""
        worker.stop(now=True)  # joined: its exit status says what killed it
        why = why_lost(worker.process, lost, self.generation.deadline)
        log.warning(
            "a worker (pid %s) %s %s; starting another",
            worker.process.pid,
            why,
            "while idle" if while_idle else "while checking a request",
        )
        self.generation.on_restart()
        self.worker = None
        return why


class _Generation:
    """The workers of one version of the rules, and the queue of requests they answer."""

    def __init__(
        self, number: int, rules: RuleSet, workers: int, deadline: float, on_restart: Callable[[], None],
        before_check: BeforeCheck | None,
    ) -> None:  # fmt: skip
        self.number = number
        self.version = rules.version
        self.deadline = deadline
        self.setup = ServiceWorkerSetup(rules, before_check)
        self.jobs: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self.on_restart = on_restart
        self.stopping = False
        self._lock = threading.Lock()
        self.slots = [_Slot(self, index) for index in range(workers)]
        for slot in self.slots:
            slot.thread.start()

    def up(self) -> int:
        return sum(slot.up for slot in self.slots)

    def hand_over(self, job: _Job) -> bool:
        """Queue a request again for another worker, if one is up and the generation is not stopping
        (the stops must stay behind every request)."""
        with self._lock:
            if self.stopping or self.up() == 0:
                return False
            self.jobs.put(job)
            return True

    def wait_started(self, timeout: float) -> None:
        end = time.monotonic() + timeout
        for slot in self.slots:
            slot.started.wait(max(0.0, end - time.monotonic()))

    def stop(self) -> None:
        """Answer what is queued, then stop (the queue is FIFO: the stops go behind it)."""
        with self._lock:
            self.stopping = True
            for _ in self.slots:
                self.jobs.put(_STOP)

    def join(self, timeout: float) -> bool:
        end = time.monotonic() + timeout
        for slot in self.slots:
            slot.thread.join(max(0.0, end - time.monotonic()))
        return not any(slot.thread.is_alive() for slot in self.slots)

    def abandon(self, why: str) -> None:
        """Answer every queued request "not checked" (shutting down past the bound) and kill the workers."""
        self.stopping = True
        while True:
            try:
                job = self.jobs.get_nowait()
            except queue.Empty:
                break
            if job is not None and job.future.set_running_or_notify_cancel():
                job.future.set_result(not_checked(job.records, self.version, why))
        for slot in self.slots:
            worker = slot.worker
            if worker is not None:
                worker.process.kill()


class ProcessEvaluator:
    """:class:`doseguard.service.ports.Evaluator` on ``workers`` worker processes.

    The rules are loaded and checked here first (as ``doseguard check`` does: a pack that does not
    load raises RulePackError, EngineError or SelectionError, and ``serve`` stops). ``deadline``: seconds
    a worker may take over one request. ``before_check`` is for tests only (:data:`BeforeCheck`)."""

    def __init__(
        self,
        source: RuleSource | None = None,
        *,
        workers: int = DEFAULT_WORKERS,
        deadline: float = DEFAULT_DEADLINE,
        close_timeout: float = DEFAULT_CLOSE_TIMEOUT,
        before_check: BeforeCheck | None = None,
    ) -> None:
        if workers < 1 or deadline <= 0:
            raise ValueError("workers must be at least 1 and the deadline positive")
        self._source = source if source is not None else RuleSource()
        self._workers = workers
        self._deadline = deadline
        self._close_timeout = close_timeout
        self._before_check = before_check
        self._lock = threading.Lock()  # the current generation, and what is sent to it
        self._reloading = threading.Lock()  # one reload at a time
        self._restarts = 0
        self._closed = False
        self._pending: set[concurrent.futures.Future[list[OrderResult]]] = set()
        self._generations = 0
        self._retired: list[_Generation] = []
        self._current = self._generation(load_checker(self._source).rules)

    @property
    def rules_version(self) -> str:
        return self._current.version

    @property
    def restarts(self) -> int:
        return self._restarts

    def ready(self) -> bool:
        return not self._closed and self._current.up() > 0

    def wait_ready(self, timeout: float = START_TIMEOUT) -> bool:
        """Block until every worker of the current rules tried to start; whether one is up."""
        self._current.wait_started(timeout)
        return self.ready()

    def worker_pids(self) -> list[int]:
        """The pids of the current workers (what an operator, or a test, may kill)."""
        return [pid for slot in self._current.slots if (pid := slot.pid()) is not None]

    async def check(self, records: Sequence[InputRecord]) -> list[OrderResult]:
        if not records:
            return []
        job = _Job(tuple(records))
        with self._lock:
            if self._closed:
                return not_checked(records, self._current.version, "the service is shutting down")
            self._pending.add(job.future)
            self._current.jobs.put(job)
        job.future.add_done_callback(self._forget)
        return await asyncio.wrap_future(job.future)

    def reload(self) -> None:
        """Blocks while the new rules load and their workers start (a second or two): call it from a
        thread (``operations.install_sighup_reload`` does). Never raises for the rules' sake."""
        with self._reloading:
            try:
                rules = load_checker(self._source).rules
            except Exception as error:  # RulePackError, EngineError, SelectionError, OSError...
                log.error("the rules were not reloaded (%s answer on): %s", self.rules_version, _said(error))
                return
            if rules.version == self.rules_version:
                log.info("the rules are unchanged (%s): nothing to reload", rules.version)
                return
            new = self._generation(rules)
            new.wait_started(START_TIMEOUT)
            if new.up() == 0:
                log.error(
                    "the rules %s were not put in service: no worker of them could start", rules.version
                )
                new.stop()
                new.join(START_TIMEOUT)
                return
            with self._lock:
                if self._closed:
                    self._retired.append(new)
                    new.stop()
                    return
                old, self._current = self._current, new
                self._retired.append(old)
            old.stop()
            log.info("rules %s answer new requests (were %s)", new.version, old.version)
            if old.join(self._close_timeout):
                with self._lock:
                    self._retired.remove(old)

    async def close(self) -> None:
        with self._lock:
            self._closed = True
            pending = list(self._pending)
            generations = [self._current, *self._retired]
        await asyncio.to_thread(self._shut_down, pending, generations)

    def _shut_down(
        self, pending: list[concurrent.futures.Future[list[OrderResult]]], generations: list[_Generation]
    ) -> None:
        _, unfinished = concurrent.futures.wait(pending, timeout=self._close_timeout)
        for generation in generations:
            if unfinished:
                generation.abandon("the service shut down before this request was checked")
            generation.stop()
        for generation in generations:
            generation.join(self._close_timeout)

    def _generation(self, rules: RuleSet) -> _Generation:
        self._generations += 1
        return _Generation(
            self._generations, rules, self._workers, self._deadline, self._count_restart, self._before_check
        )

    def _count_restart(self) -> None:
        with self._lock:
            self._restarts += 1

    def _forget(self, future: concurrent.futures.Future[list[OrderResult]]) -> None:
        with self._lock:
            self._pending.discard(future)


def _write_all(fd: int, data: bytes, deadline: float) -> None:
    """Write a request to a worker's (non-blocking) command pipe; raises BrokenPipeError if the worker
    is gone, WorkerLost(hung) if the pipe stays full past the deadline."""
    view = memoryview(data)
    while view:
        try:
            view = view[os.write(fd, view) :]
        except BlockingIOError:
            _, writable, _ = select.select([], [fd], [], max(0.0, deadline - time.monotonic()))
            if not writable:
                raise WorkerLost(hung=True) from None


def _receive(worker: Worker, deadline: float) -> object:
    """The worker's answer; raises EOFError or WorkerLost if it dies or misses the deadline."""
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise WorkerLost(hung=True)
        ready = wait([worker.results, worker.process.sentinel], remaining)
        if worker.results in ready:
            return pickle.loads(worker.results.recv_bytes())
        if ready:  # its sentinel: it died without answering
            raise WorkerLost(hung=False)


def _said(error: BaseException) -> str:
    problems = getattr(error, "problems", None)
    if problems:
        return "; ".join(str(problem) for problem in problems)
    return f"{type(error).__name__}: {error}"
