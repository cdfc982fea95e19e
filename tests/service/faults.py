"""Faults a test injects into service workers: a ``ProcessEvaluator(before_check=...)`` hook.

The shipped code installs no hook: only a test that builds an evaluator with this one can make a worker
misbehave, and only on a record whose ``order_id`` it marked. Pickled by reference and imported in the
worker (which runs with the test's ``sys.path``)."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Sequence
from pathlib import Path

from doseguard.records import InputRecord

SEGFAULT = "FAULT-SEGV"
KILLED = "FAULT-KILL"
EXITS = "FAULT-EXIT"
HANGS = "FAULT-HANG"
SLOW = "FAULT-SLOW"
"""A request holding it takes half a second: long enough to be in flight when a test acts."""


def misbehave_on_marked(records: Sequence[InputRecord]) -> None:
    for record in records:
        order_id = record.data.get("order_id") if isinstance(record.data, dict) else None
        if order_id == SEGFAULT:
            os.kill(os.getpid(), signal.SIGSEGV)
        elif order_id == KILLED:
            os.kill(os.getpid(), signal.SIGKILL)
        elif order_id == EXITS:
            os._exit(3)
        elif order_id == HANGS:
            time.sleep(3600)
        elif order_id == SLOW:
            time.sleep(0.5)


BUSY_FLAG = "busy_flag"
"""A record holding this key (a file path): the worker writes its pid there, then waits for the file to go
(or an hour), so that a test acts while the request is surely in the worker's hands."""


def wait_on_flag(records: Sequence[InputRecord]) -> None:
    """:func:`misbehave_on_marked`, and the busy flag: created, then waited on until the test removes it."""
    misbehave_on_marked(records)
    for record in records:
        flag = record.data.get(BUSY_FLAG) if isinstance(record.data, dict) else None
        if isinstance(flag, str):
            written = Path(f"{flag}.tmp")
            written.write_text(str(os.getpid()), encoding="utf-8")
            written.replace(flag)  # whole when it appears: the pid of the worker holding it
            deadline = time.monotonic() + 3600
            while Path(flag).exists() and time.monotonic() < deadline:
                time.sleep(0.01)
