"""What a service worker process does: build its own checker once, then check one request's records at a
time. The process is started, and its death seen, as the batch pool's workers are
(:class:`doseguard.batch.pool.Worker`); only the loop differs: records in, results out, no chunks.

Messages from the main process: ``FRAME`` (the record list's length) then the pickled records. Answers
on the result pipe, pickled: a :class:`~doseguard.batch.worker.Greeting` first, then for each request a
list of :class:`~doseguard.results.OrderResult` (one per record, in order) or a :class:`Failed`.
"""

from __future__ import annotations

import pickle
import signal
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from multiprocessing.connection import Connection
from typing import NamedTuple

from doseguard.batch.worker import FRAME, Greeting, leave_with_parent
from doseguard.checker import Checker
from doseguard.records import InputRecord
from doseguard.rules.model import RuleSet

BeforeCheck = Callable[[Sequence[InputRecord]], None]
"""Called in the worker with a request's records before they are checked: the tests' way of making a
worker die or hang on a record they mark (``tests/service/faults.py``). Nothing shipped sets one."""


class Failed(NamedTuple):
    """The checker raised for a request (a bug: it fails closed per record); the worker goes on."""

    why: str


@dataclass(frozen=True)
class ServiceWorkerSetup:
    """What a service worker needs: the rules the main process loaded and checked (sent, not read from
    disk again, so that a worker started after a crash answers with the same rules as its generation
    even when the files changed since), and the test hook (:data:`BeforeCheck`, module-level, picklable)."""

    rules: RuleSet
    before_check: BeforeCheck | None = None


def serve_requests(commands: Connection, results: Connection, setup: ServiceWorkerSetup) -> None:
    """A worker process: its checker, a greeting, then one answer per request until ``commands`` closes.
    Ctrl-C and SIGTERM to the process group are the main process's to handle (it stops the workers
    when its requests are done); the worker leaves with its parent (:func:`leave_with_parent`)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    leave_with_parent()
    try:
        _serve(commands, results, setup)
    except BrokenPipeError:  # the main process went away while we were sending
        return


def _serve(commands: Connection, results: Connection, setup: ServiceWorkerSetup) -> None:
    try:
        checker = Checker(setup.rules)
    except Exception as error:  # told to the main process, which tries another worker
        results.send_bytes(pickle.dumps(Greeting(failed=f"{type(error).__name__}: {error}")))
        return
    results.send_bytes(pickle.dumps(Greeting()))
    before_check = setup.before_check
    with open(commands.fileno(), "rb", closefd=False) as stream:
        while len(header := stream.read(FRAME.size)) == FRAME.size:
            (size,) = FRAME.unpack(header)
            records: list[InputRecord] = pickle.loads(stream.read(size))
            if before_check is not None:
                before_check(records)
            try:
                answer: object = [
                    replace(result, record_data=None) for result in checker.check_many(records, 1)
                ]
            except Exception as error:
                answer = Failed(f"{type(error).__name__}: {error}")
            results.send_bytes(pickle.dumps(answer, protocol=pickle.HIGHEST_PROTOCOL))
