"""The service workload in ``make bench``: ``doseguard serve --workers 2 --insecure-dev`` on loopback,
driven at a fixed rate with 5-order ``order-sign`` requests, then again with one worker killed (SIGKILL)
half-way through.

The load is open-loop: request *i* is sent at ``start + i / rate`` whatever the answers before it did,
and its latency is counted from that moment to the end of its answer (a slow answer cannot hide the
requests queued behind it). The body is a CDS Hooks request whose ``context.draftOrders`` is a FHIR
Bundle of the five MedicationRequests of ``examples/fhir-bundle.json`` (for one patient), with every
prefetch key the service's discovery asks for. An *empty answer* is a 200 whose ``cards`` is empty (or
unreadable) although these orders always give cards: what fail-closed forbids, even when a worker dies.
"""

from __future__ import annotations

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


@dataclass(frozen=True)
class Reply:
    """One request: when it was due (seconds from the start), how long until its answer ended, the
    HTTP status (None: no answer at all), its cards (None: not a readable CDS Hooks response) and how
    many of them say an order was not checked."""

    due: float
    latency: float
    status: int | None
    cards: int | None
    not_checked: int = 0


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

    def as_dict(self) -> dict[str, Any]:
        return {
            name: round(value, 3) if isinstance(value, float) else value
            for name, value in asdict(self).items()
        }


def percentile(ordered: Sequence[float], share: float) -> float | None:
    """The nearest-rank percentile (``share`` in 0-100) of values already sorted; None when there are none."""
    if not ordered:
        return None
    rank = max(1, math.ceil(share / 100 * len(ordered)))
    return ordered[rank - 1]


def summarise(replies: Sequence[Reply], wall_seconds: float) -> LoadStats:
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


async def _one(client: httpx.AsyncClient, path: str, body: bytes, due: float, start: float) -> Reply:
    try:
        response = await client.post(path, content=body, headers={"content-type": "application/json"})
    except httpx.HTTPError:
        return Reply(due, time.perf_counter() - start - due, None, None)
    latency = time.perf_counter() - start - due
    cards: list[Any] | None
    try:
        cards = response.json().get("cards")
    except (ValueError, AttributeError):
        cards = None
    if not isinstance(cards, list):
        return Reply(due, latency, response.status_code, None)
    said = sum(1 for card in cards if "not checked" in str(card.get("summary", "")).lower())
    return Reply(due, latency, response.status_code, len(cards), said)


async def drive(
    client: httpx.AsyncClient,
    body: dict[str, Any],
    rate: float,
    seconds: float,
    halfway: Callable[[], None] | None = None,
) -> tuple[list[Reply], float]:
    """Send ``rate × seconds`` requests at their due times (``halfway`` is called once, when half are
    sent); the replies in sending order and the wall seconds from the start to the last answer."""
    payload = json.dumps(body).encode()
    path = f"/cds-services/{SERVICE_ID}"
    count = max(1, round(rate * seconds))
    start = time.perf_counter()
    tasks = []
    for number in range(count):
        due = number / rate
        delay = start + due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        if number == count // 2 and halfway is not None:
            halfway()
        tasks.append(asyncio.create_task(_one(client, path, payload, due, start)))
    replies = list(await asyncio.gather(*tasks))
    return replies, time.perf_counter() - start


def client_for(base_url: str, transport: httpx.AsyncBaseTransport | None = None) -> httpx.AsyncClient:
    """Enough connections that the load is never held back by the client's pool."""
    limits = httpx.Limits(max_connections=256, max_keepalive_connections=256)
    return httpx.AsyncClient(base_url=base_url, limits=limits, timeout=30.0, transport=transport)


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
    say(f"   {name:<22}{stats.sent:>7}{stats.requests_per_second:>9.1f}{stats.p50_ms or 0:>9.1f}"
        f"{stats.p99_ms or 0:>9.1f}{stats.max_ms or 0:>9.1f}{stats.error_responses:>8}{stats.no_response:>8}"
        f"{stats.empty_answers:>7}{stats.not_checked_cards:>12}")  # fmt: skip


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
) -> dict[str, Any]:
    """Both runs against one server (``command_for(port, workdir)`` starts it); a dict for the results file
    (the runs, targets, checks)."""
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

        (steady, wall), (crashed_replies, crashed_wall) = asyncio.run(
            _runs(base_url, body, rate, seconds, kill)
        )
        normal = summarise(steady, wall)
        crashed = summarise(crashed_replies, crashed_wall)
        after = worker_pids(server.pid)
    finally:
        _stop(server)
    say(f"   {'run':<22}{'sent':>7}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'max ms':>9}{'errors':>8}"
        f"{'no ans':>8}{'empty':>7}{'not checked':>12}")  # fmt: skip
    _report(f"{WORKERS} workers", normal)
    _report("one worker SIGKILLed", crashed)
    checks = {
        "no error response (steady)": normal.error_responses == 0 and normal.no_response == 0,
        "no empty answer (steady)": normal.empty_answers == 0,
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
        "worker_killed": crashed.as_dict(),
        "target_p99_ms": TARGET_P99_MS,
        "meets_latency_target": meets_latency,
        "meets_rate_target": meets_rate,
        "checks": checks,
        "load_average_after": os.getloadavg(),
    })  # fmt: skip
    return record


async def _runs(
    base_url: str, body: dict[str, Any], rate: float, seconds: float, kill: Callable[[], None]
) -> tuple[tuple[list[Reply], float], tuple[list[Reply], float]]:
    """A warm-up (not counted: the client opens its connections), the steady run, the run with a kill,
    all on one client, as an EHR keeps its connections."""
    async with client_for(base_url) as client:
        await drive(client, body, rate, WARM_UP_SECONDS)
        steady = await drive(client, body, rate, seconds)
        return steady, await drive(client, body, rate, seconds, kill)
