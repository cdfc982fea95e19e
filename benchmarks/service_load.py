"""The service workload in ``make bench``: ``doseguard serve --workers 2 --insecure-dev`` on loopback,
driven at a fixed rate with 5-order ``order-sign`` requests, then again with one worker killed (SIGKILL)
half-way through.

The load is open-loop: request *i* is sent at ``start + i / rate`` whatever the answers before it did,
and its latency is counted from that moment to the end of its answer (a slow answer cannot hide the
requests queued behind it). The body is a CDS Hooks request whose ``context.draftOrders`` is a FHIR
Bundle of the five MedicationRequests of ``examples/fhir-bundle.json`` (for one patient), with every
prefetch key the service's discovery asks for. An *empty answer* is a 200 whose ``cards`` is empty (or
unreadable) although these orders always give cards: what fail-closed forbids, even when a worker dies.

The requests are sent by ``load_driver.py`` (raw keep-alive HTTP/1.1: httpx's client cost more CPU than
the server). Wall-clock latency on a shared 2-core machine is noisy, so each run also reports the CPU
a request cost the web process, the workers and the driver (``/proc/PID/stat``, every thread).

Alone: ``python benchmarks/service_load.py [--rate R] [--seconds S] [--steady-only]`` (the server is
the ``doseguard`` this Python imports: set ``PYTHONPATH`` to measure another tree).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import httpx

from load_driver import Pool, Reply, Target, drive
from runner import workdir
from runs import BenchmarkError, Options, say

HERE = Path(__file__).resolve().parent
EXAMPLE_BUNDLE = HERE.parent / "examples" / "fhir-bundle.json"
SERVICE_ID = "doseguard-order-sign"
PATIENT_ID = "PT-101"
RATE = 200.0
"""Requests a second: the issue's goal."""
SECONDS = 20.0
WORKERS = 2
TARGET_P99_MS = 50.0
WARM_UP_SECONDS = 3.0
"""Load sent before the steady run and not counted: the client's connections are opened then."""
READY_TIMEOUT = 120.0
"""Seconds the server may take to answer /readyz with 200 (it loads the rules and starts its workers)."""
STOP_TIMEOUT = 30.0
CONNECTIONS = 256
"""At most this many connections open at once: the load is never held back by the driver."""


@dataclass(frozen=True)
class LoadStats:
    sent: int
    answered: int
    p50_ms: float | None
    p99_ms: float | None
    max_ms: float | None
    requests_per_second: float
    error_responses: int  # an HTTP status other than 200
    no_response: int  # the connection failed or timed out
    empty_answers: int  # a 200 without a card
    not_checked_cards: int
    resent: int = 0  # sent again once: the server closed its connection without an answer
    cpu: CpuPerRequest | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            name: round(value, 3) if isinstance(value, float) else value
            for name, value in asdict(self).items()
            if name != "cpu"
        } | ({"cpu_ms_per_request": self.cpu.as_dict()} if self.cpu else {})


@dataclass(frozen=True)
class CpuPerRequest:
    """Milliseconds of CPU (user + system, all threads) a request answered cost each side."""

    web: float
    workers: float
    driver: float

    def as_dict(self) -> dict[str, float]:
        return {name: round(value, 3) for name, value in asdict(self).items()}


CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process so far (``/proc/PID/stat``; 0 for a process that is gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0.0
    fields = stat[stat.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime, stime (fields 14 and 15)


@dataclass(frozen=True)
class CpuSnapshot:
    web: float
    workers: dict[int, float]
    driver: float

    @classmethod
    def take(cls, server: int) -> CpuSnapshot:
        pids = worker_pids(server)
        return cls(cpu_seconds(server), {pid: cpu_seconds(pid) for pid in pids}, time.process_time())

    def per_request(self, later: CpuSnapshot, answered: int) -> CpuPerRequest | None:
        """From this snapshot to ``later``, per answered request. A worker that died in between is
        counted up to this snapshot only (its CPU since is lost with it)."""
        if answered == 0:
            return None
        workers = sum(later.workers.get(pid, used) - used for pid, used in self.workers.items())
        workers += sum(used for pid, used in later.workers.items() if pid not in self.workers)
        scale = 1000 / answered
        return CpuPerRequest(
            (later.web - self.web) * scale, workers * scale, (later.driver - self.driver) * scale
        )


def percentile(ordered: Sequence[float], share: float) -> float | None:
    """The nearest-rank percentile (``share`` in 0-100) of values already sorted; None when there are none."""
    if not ordered:
        return None
    rank = max(1, math.ceil(share / 100 * len(ordered)))
    return ordered[rank - 1]


def summarise(replies: Sequence[Reply], wall_seconds: float, cpu: CpuPerRequest | None = None) -> LoadStats:
    """The statistics of a run: latencies of the requests that got an answer, rates over ``wall_seconds``."""
    answered = [reply for reply in replies if reply.status is not None]
    latencies = sorted(1000 * reply.latency for reply in answered)
    return LoadStats(
        sent=len(replies),
        answered=len(answered),
        p50_ms=percentile(latencies, 50),
        p99_ms=percentile(latencies, 99),
        max_ms=latencies[-1] if latencies else None,
        requests_per_second=len(answered) / wall_seconds if wall_seconds > 0 else 0.0,
        error_responses=sum(1 for reply in answered if reply.status != 200),
        no_response=len(replies) - len(answered),
        empty_answers=sum(1 for reply in answered if reply.status == 200 and not reply.cards),
        not_checked_cards=sum(reply.not_checked for reply in answered),
        resent=sum(1 for reply in replies if reply.resent),
        cpu=cpu,
    )


def order_sign_request(discovery: dict[str, Any], bundle: dict[str, Any]) -> dict[str, Any]:
    """A CDS Hooks order-sign request: the bundle's MedicationRequests (made the orders of one patient)
    and the Medications they may reference as ``draftOrders``; each prefetch key discovery lists
    filled from the bundle (the Patient) or as an empty search result."""
    services = {service["id"]: service for service in discovery.get("services", [])}
    if SERVICE_ID not in services:
        raise BenchmarkError(f"the service's discovery lists no {SERVICE_ID}: {sorted(services)}")
    resources = [entry["resource"] for entry in bundle["entry"]]
    orders = []
    for resource in resources:
        if resource["resourceType"] == "MedicationRequest":
            orders.append({**resource, "subject": {"reference": f"Patient/{PATIENT_ID}"}})
    medications = [resource for resource in resources if resource["resourceType"] == "Medication"]
    patient = next((r for r in resources if r["resourceType"] == "Patient"), {"resourceType": "Patient"})
    prefetch: dict[str, Any] = {}
    for key, template in services[SERVICE_ID].get("prefetch", {}).items():
        kind = str(template).split("?")[0].split("/")[0]
        if kind == "Patient":
            prefetch[key] = {**patient, "id": PATIENT_ID}
        else:
            prefetch[key] = {"resourceType": "Bundle", "type": "searchset", "total": 0, "entry": []}
    draft = {"resourceType": "Bundle", "type": "collection",
             "entry": [{"resource": resource} for resource in [*orders, *medications]]}  # fmt: skip
    return {
        "hook": "order-sign",
        "hookInstance": str(uuid.uuid4()),
        "context": {"userId": "Practitioner/bench", "patientId": PATIENT_ID, "draftOrders": draft},
        "prefetch": prefetch,
    }


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def worker_pids(server: int) -> list[int]:
    """The server's worker processes (its children started by multiprocessing's spawn)."""
    children: list[int] = []
    for task in Path(f"/proc/{server}/task").iterdir():
        with contextlib.suppress(OSError):
            children += [int(pid) for pid in (task / "children").read_text().split()]
    found = []
    for pid in children:
        with contextlib.suppress(OSError):
            if b"spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes():
                found.append(pid)
    return found


def _wait_ready(base_url: str, server: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + READY_TIMEOUT
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise BenchmarkError(f"doseguard serve stopped (exit status {server.returncode}): {_tail(log)}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{base_url}/readyz", timeout=2.0).status_code == 200:
                return
        time.sleep(0.2)
    raise BenchmarkError(f"doseguard serve was not ready within {READY_TIMEOUT:g} s: {_tail(log)}")


def _tail(log: Path) -> str:
    lines = log.read_text(encoding="utf-8", errors="replace").strip().splitlines()[-5:]
    return "\n    " + "\n    ".join(lines) if lines else "(nothing in its log)"


def _stop(server: subprocess.Popen[bytes]) -> None:
    if server.poll() is None:
        server.send_signal(signal.SIGTERM)  # uvicorn's graceful shutdown, then the workers
        try:
            server.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def _report(name: str, stats: LoadStats) -> None:
    cpu = stats.cpu
    shares = f"{cpu.web:>6.2f}{cpu.workers:>6.2f}{cpu.driver:>6.2f}" if cpu else f"{'-':>6}" * 3
    say(f"   {name:<22}{stats.sent:>7}{stats.requests_per_second:>9.1f}{stats.p50_ms or 0:>9.1f}"
        f"{stats.p99_ms or 0:>9.1f}{stats.max_ms or 0:>9.1f}{stats.error_responses:>8}{stats.no_response:>8}"
        f"{stats.empty_answers:>7}{stats.not_checked_cards:>12}{stats.resent:>7}{shares}")  # fmt: skip


def _header() -> None:
    say(f"   {'run':<22}{'sent':>7}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'max ms':>9}{'errors':>8}"
        f"{'no ans':>8}{'empty':>7}{'not checked':>12}{'resent':>7}"
        f"{'web':>6}{'wrk':>6}{'drv':>6}  (CPU ms a request)")  # fmt: skip


def serve_command(port: int, workdir: Path) -> list[str]:
    """The server under load; its feedback database in the run's work folder, never the checkout."""
    return [sys.executable, "-m", "doseguard", "serve", "--host", "127.0.0.1", "--port", str(port),
            "--workers", str(WORKERS), "--insecure-dev",
            "--db", f"sqlite:///{workdir / 'feedback.sqlite3'}"]  # fmt: skip


def bench_service(
    options: Options,
    rate: float = RATE,
    seconds: float = SECONDS,
    command_for: Callable[[int, Path], list[str]] = serve_command,
    *,
    steady_only: bool = False,
) -> dict[str, Any]:
    """Both runs against one server (``command_for(port, workdir)`` starts it; ``steady_only``: no
    run with a worker killed); a dict for the results file (the runs, targets, checks)."""
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    log = options.workdir / "service.log"
    command = command_for(port, options.workdir)
    say(f"\n== service: {' '.join(command[1:])}; {rate:g} requests/s for {seconds:g} s, 5 orders each")
    record: dict[str, Any] = {"load_average_before": os.getloadavg(), "rate": rate, "seconds": seconds}
    with log.open("wb") as written:
        server = subprocess.Popen(command, stdout=written, stderr=subprocess.STDOUT, cwd=HERE.parent)
    try:
        _wait_ready(base_url, server, log)
        discovery = httpx.get(f"{base_url}/cds-services", timeout=10.0).json()
        body = order_sign_request(discovery, json.loads(EXAMPLE_BUNDLE.read_text(encoding="utf-8")))
        warm = httpx.post(f"{base_url}/cds-services/{SERVICE_ID}", json=body, timeout=30.0)
        cards = warm.json().get("cards") if warm.status_code == 200 else None
        if not cards:
            raise BenchmarkError(f"the 5 orders gave no card ({warm.status_code}): {warm.text[:300]}")
        say(f"   warm-up: {len(cards)} cards; the empty-answer count below is of answers without one")
        pids = worker_pids(server.pid)
        if not pids:
            raise BenchmarkError("no worker process of the server was found to kill")
        victim = pids[0]

        def kill() -> None:
            os.kill(victim, signal.SIGKILL)

        target = Target("127.0.0.1", port, f"/cds-services/{SERVICE_ID}", json.dumps(body).encode())
        normal, crashed = asyncio.run(_runs(target, server.pid, rate, seconds, None if steady_only else kill))
        after = worker_pids(server.pid)
    finally:
        _stop(server)
    _header()
    _report(f"{WORKERS} workers", normal)
    checks = {
        "no error response (steady)": normal.error_responses == 0 and normal.no_response == 0,
        "no empty answer (steady)": normal.empty_answers == 0,
    }
    if crashed is not None:
        _report("one worker SIGKILLed", crashed)
        checks |= {
            "no error response (a worker killed)": crashed.error_responses == 0 and crashed.no_response == 0,
            "no empty answer (a worker killed)": crashed.empty_answers == 0,
            "the killed worker was replaced": victim not in after and len(after) == WORKERS,
        }
    meets_latency = normal.p99_ms is not None and normal.p99_ms < TARGET_P99_MS
    meets_rate = normal.requests_per_second >= 0.95 * rate
    say(f"   p99 < {TARGET_P99_MS:g} ms at {rate:g}/s: {'PASS' if meets_latency and meets_rate else 'FAIL'} "
        f"(p99 {normal.p99_ms or 0:.1f} ms, {normal.requests_per_second:.1f}/s achieved)")  # fmt: skip
    for name, ok in checks.items():
        say(f"   {'PASS' if ok else 'FAIL'}  {name}")
    record.update({
        "workers": WORKERS,
        "steady": normal.as_dict(),
        "worker_killed": None if crashed is None else crashed.as_dict(),
        "target_p99_ms": TARGET_P99_MS,
        "meets_latency_target": meets_latency,
        "meets_rate_target": meets_rate,
        "checks": checks,
        "load_average_after": os.getloadavg(),
    })  # fmt: skip
    return record


async def _runs(
    target: Target, server: int, rate: float, seconds: float, kill: Callable[[], None] | None
) -> tuple[LoadStats, LoadStats | None]:
    """A warm-up (not counted: the connections are opened then), the steady run, and the run with a
    kill (unless ``kill`` is None), on the same connections, as an EHR keeps them."""
    pool = Pool(target.host, target.port, CONNECTIONS)
    try:
        await drive(target, rate, WARM_UP_SECONDS, pool=pool)
        stats = []
        for halfway in (None, kill) if kill is not None else (None,):
            before = CpuSnapshot.take(server)
            replies, wall = await drive(target, rate, seconds, halfway, pool=pool)
            answered = sum(1 for reply in replies if reply.status is not None)
            cpu = before.per_request(CpuSnapshot.take(server), answered)
            stats.append(summarise(replies, wall, cpu))
    finally:
        pool.close()
    return stats[0], stats[1] if len(stats) > 1 else None


def main(argv: Sequence[str]) -> int:
    """The service workload alone, with its checks; exit status 1 if one fails."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--rate", type=float, default=RATE, help=f"requests a second (default {RATE:g})")
    parser.add_argument("--seconds", type=float, default=SECONDS, help=f"each run (default {SECONDS:g})")
    parser.add_argument("--steady-only", action="store_true", help="no run with a worker killed")
    parser.add_argument("--workdir", type=Path, help="where the server's log and database go")
    args = parser.parse_args(argv)
    with workdir(args.workdir) as folder:
        options = Options(
            orders=0, workloads=["service"], jobs=[], host_sample=0, baselines=False, repeat=1,
            results=Path(), cli=Path(), requested_workdir=args.workdir, workdir=folder,
        )  # fmt: skip
        say(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        record = bench_service(options, args.rate, args.seconds, steady_only=args.steady_only)
    return 0 if all(record["checks"].values()) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
