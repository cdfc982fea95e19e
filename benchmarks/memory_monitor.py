"""The memory of a process tree, read from ``/proc`` while it runs.

A thread polls the process tree every 20 ms and keeps, per process, its ``VmHWM`` (the kernel's own peak
resident set), and the largest sum of ``VmRSS`` over the tree. The exact peak of the largest process of
the tree is also taken from ``wait4()`` (``ru_maxrss``) as a cross-check.
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

POLL_SECONDS = 0.02
KB_PER_MB = 1024.0


@dataclass
class ProcessPeak:
    role: str  # main, worker or helper (multiprocessing's resource tracker)
    hwm_kb: int = 0


@dataclass
class Measurement:
    """One subprocess run: its wall time and the memory of its process tree."""

    command: list[str]
    seconds: float
    returncode: int
    main_peak_mb: float
    worker_peak_mb: float | None
    workers: int
    worker_peaks_mb: list[float]  # each worker's own VmHWM, in the order they were first seen
    tree_peak_mb: float
    max_rss_mb: float
    stdout: str
    stderr: str

    @property
    def crashed(self) -> str | None:
        if self.returncode >= 0:
            return None
        try:
            return signal.Signals(-self.returncode).name
        except ValueError:
            return f"signal {-self.returncode}"

    def memory(self) -> dict[str, Any]:
        return {
            "main_peak_mb": round(self.main_peak_mb, 1),
            "worker_peak_mb": None if self.worker_peak_mb is None else round(self.worker_peak_mb, 1),
            "workers_seen": self.workers,
            "worker_peaks_mb": [round(peak, 1) for peak in self.worker_peaks_mb],
            "tree_peak_mb": round(self.tree_peak_mb, 1),
            "wait4_max_rss_mb": round(self.max_rss_mb, 1),
        }


def _proc_status(pid: int) -> dict[str, int]:
    """VmHWM and VmRSS of ``pid`` in kB (empty once the process is gone)."""
    values: dict[str, int] = {}
    try:
        with Path(f"/proc/{pid}/status").open(encoding="ascii", errors="replace") as status:
            for line in status:
                if line.startswith(("VmHWM:", "VmRSS:")):
                    key, _, value = line.partition(":")
                    values[key] = int(value.split()[0])
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return {}
    return values


def _parents() -> dict[int, int]:
    """pid → parent pid for every process visible in /proc."""
    parents: dict[int, int] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            stat = Path(entry.path, "stat").read_text(encoding="ascii", errors="replace")
        except OSError:
            continue
        fields = stat.rpartition(")")[2].split()  # the command name may hold spaces and parentheses
        if len(fields) > 1:
            parents[int(entry.name)] = int(fields[1])
    return parents


def _role(pid: int) -> str:
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return "worker"
    return "helper" if b"resource_tracker" in cmdline else "worker"


class TreeMonitor(threading.Thread):
    """Polls a process and its descendants; keeps each one's VmHWM and the largest sum of VmRSS."""

    def __init__(self, root: int) -> None:
        super().__init__(daemon=True)
        self.root = root
        self.peaks: dict[int, ProcessPeak] = {root: ProcessPeak("main")}
        self.tree_peak_kb = 0
        self._finished = threading.Event()

    def run(self) -> None:
        while not self._finished.is_set():
            self.sample()
            self._finished.wait(POLL_SECONDS)

    def stop(self) -> None:
        self._finished.set()
        self.join()

    def sample(self) -> None:
        parents = _parents()
        tree = {self.root}
        frontier = [self.root]
        while frontier:
            parent = frontier.pop()
            children = [pid for pid, ppid in parents.items() if ppid == parent and pid not in tree]
            tree.update(children)
            frontier.extend(children)
        total = 0
        for pid in tree:
            status = _proc_status(pid)
            if not status:
                continue
            peak = self.peaks.get(pid)
            if peak is None:
                peak = self.peaks[pid] = ProcessPeak(_role(pid))
            peak.hwm_kb = max(peak.hwm_kb, status.get("VmHWM", 0))
            total += status.get("VmRSS", 0)
        self.tree_peak_kb = max(self.tree_peak_kb, total)


def measure(command: Sequence[str], workdir: Path) -> Measurement:
    """Run ``command``, watching its process tree; its stdout and stderr go to files."""
    out_path, err_path = workdir / "child.stdout", workdir / "child.stderr"
    with out_path.open("wb") as out, err_path.open("wb") as err:
        started = time.perf_counter()
        process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=out, stderr=err)
        monitor = TreeMonitor(process.pid)
        monitor.start()
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - started
        monitor.stop()
    process.returncode = os.waitstatus_to_exitcode(status)
    workers = [p.hwm_kb for p in monitor.peaks.values() if p.role == "worker"]
    return Measurement(
        command=list(command),
        seconds=seconds,
        returncode=process.returncode,
        main_peak_mb=monitor.peaks[process.pid].hwm_kb / KB_PER_MB,
        worker_peak_mb=max(workers) / KB_PER_MB if workers else None,
        workers=len(workers),
        worker_peaks_mb=[kb / KB_PER_MB for kb in workers],
        tree_peak_mb=monitor.tree_peak_kb / KB_PER_MB,
        max_rss_mb=usage.ru_maxrss / KB_PER_MB,  # kB on Linux
        stdout=out_path.read_text(encoding="utf-8", errors="replace"),
        stderr=err_path.read_text(encoding="utf-8", errors="replace"),
    )
