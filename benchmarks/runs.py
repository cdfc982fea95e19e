"""What the parts of the benchmark share: its options, a measured run as a row of the report, the
facts of a file, and how a failed run is said."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from memory_monitor import Measurement


@dataclass
class FileFacts:
    sha256: str
    lines: int
    bytes: int


def file_facts(path: Path) -> FileFacts:
    digest = hashlib.sha256()
    lines = size = 0
    with path.open("rb") as data:
        while block := data.read(1 << 20):
            digest.update(block)
            lines += block.count(b"\n")
            size += len(block)
    return FileFacts(digest.hexdigest(), lines, size)


@dataclass
class Run:
    """The best of ``--repeat`` runs of one thing, as a row of the report."""

    name: str
    orders: int
    measurement: Measurement
    inner_seconds: float | None = None  # time inside the process (without start-up), when it says
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def rate(self) -> float:
        """Orders per second over the wall time of the whole process, start-up included."""
        return self.orders / self.measurement.seconds

    @property
    def inner_rate(self) -> float | None:
        return self.orders / self.inner_seconds if self.inner_seconds else None

    def as_dict(self) -> dict[str, Any]:
        m = self.measurement
        return {
            "orders": self.orders,
            "wall_seconds": round(m.seconds, 3),
            "orders_per_second": round(self.rate),
            "inner_seconds": None if self.inner_seconds is None else round(self.inner_seconds, 3),
            "inner_orders_per_second": None if self.inner_rate is None else round(self.inner_rate),
            **m.memory(),
            **self.extra,
        }


@dataclass
class Baselines:
    """The baselines of one workload, measured in the same run as the pipeline (None: not run; the stock
    Host loop's text: why it has no figure)."""

    io_floor: Run | None = None
    stdlib_floor: Run | None = None
    duckdb: Run | None = None
    stock_host: Run | str | None = None

    def runs(self) -> list[Run]:
        """Those with a figure, in the order the report lists them."""
        listed = (self.io_floor, self.stdlib_floor, self.duckdb, self.stock_host)
        return [run for run in listed if isinstance(run, Run)]


@dataclass
class Options:
    orders: int
    workloads: list[str]
    jobs: list[int]
    host_sample: int
    baselines: bool
    repeat: int
    results: Path
    cli: Path
    requested_workdir: Path | None
    workdir: Path = Path()  # set once the folder exists


class BenchmarkError(Exception):
    pass


def say(text: str = "") -> None:
    print(text, flush=True)


def fail_message(what: str, measurement: Measurement) -> str:
    crash = measurement.crashed
    why = f"crashed ({crash})" if crash else f"exit status {measurement.returncode}"
    tail = measurement.stderr.strip().splitlines()[-5:]
    return f"{what}: {why}" + ("\n    " + "\n    ".join(tail) if tail else "")
