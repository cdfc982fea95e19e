"""Faults a test injects into worker processes: ``WorkerSetup.before_send`` hooks.

The shipped code reads no environment variable and installs no hook: only a test that builds a
``BatchOptions``/``WorkerSetup`` with one of these can make a worker misbehave. They are pickled by
reference and imported in the worker (which runs with the test's ``sys.path``).
"""

from __future__ import annotations

import os
import signal
import struct
from dataclasses import dataclass
from multiprocessing.connection import Connection

from doseguard.batch.worker import ChunkResult


def _holds(result: ChunkResult, order_id: str) -> bool:
    return any(meta.order_id == order_id for meta in result.records_meta())


@dataclass(frozen=True)
class KillOn:
    """A worker that meets this order id kills itself before it answers, as a segfault would."""

    order_id: str

    def __call__(self, result: ChunkResult, payload: bytes, results: Connection) -> None:
        if _holds(result, self.order_id):
            os.kill(os.getpid(), signal.SIGKILL)


@dataclass(frozen=True)
class KillMidResult:
    """A worker that meets this order id sends a header promising the whole result, half of it, and dies."""

    order_id: str

    def __call__(self, result: ChunkResult, payload: bytes, results: Connection) -> None:
        if _holds(result, self.order_id):
            os.write(results.fileno(), struct.pack("!i", len(payload)) + payload[: len(payload) // 2])
            os.kill(os.getpid(), signal.SIGKILL)


@dataclass(frozen=True)
class HangOn:
    """A worker that meets this order id stops for good, as an engine stuck in a loop would."""

    order_id: str

    def __call__(self, result: ChunkResult, payload: bytes, results: Connection) -> None:
        if _holds(result, self.order_id):
            os.kill(os.getpid(), signal.SIGSTOP)
