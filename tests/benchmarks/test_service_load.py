"""The service benchmark's driver: its statistics, the request it builds, and its counts on a raw
loopback stub that answers errors and empty cards, and drops connections, at known places. Nothing here
is timed: the stub answers at once and only counts are asserted."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
import service_load  # benchmarks/ is not a package: found on its path
from load_driver import Reply, Target, drive
from service_load import CpuSnapshot, percentile, summarise

DISCOVERY = {
    "services": [
        {
            "id": "doseguard-order-sign",
            "hook": "order-sign",
            "prefetch": {
                "patient": "Patient/{{context.patientId}}",
                "allergies": "AllergyIntolerance?patient={{context.patientId}}",
            },
        }
    ]
}


def test_percentiles_are_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 50) == 50.0
    assert percentile(values, 99) == 99.0
    assert percentile(values, 100) == 100.0
    assert percentile([7.0], 99) == 7.0
    assert percentile([], 50) is None


def test_summarise_counts_errors_no_answers_empty_answers_and_rates() -> None:
    replies = [
        Reply(0.0, 0.010, 200, 3),
        Reply(0.1, 0.020, 200, 2, not_checked=2),
        Reply(0.2, 0.030, 500, None),
        Reply(0.3, 0.040, 200, 0),
        Reply(0.4, 0.050, 200, None),  # a 200 that is no CDS Hooks response: empty too
        Reply(0.5, 1.000, None, None),  # no answer: not in the latencies
    ]
    stats = summarise(replies, wall_seconds=2.5)
    assert (stats.sent, stats.answered, stats.no_response) == (6, 5, 1)
    assert stats.error_responses == 1 and stats.empty_answers == 2 and stats.not_checked_cards == 2
    assert stats.p50_ms == pytest.approx(30.0) and stats.p99_ms == pytest.approx(50.0)
    assert stats.max_ms == pytest.approx(50.0)
    assert stats.requests_per_second == pytest.approx(2.0)


def test_the_request_is_an_order_sign_with_five_medication_requests_of_one_patient_and_its_prefetch() -> None:
    bundle = json.loads(service_load.EXAMPLE_BUNDLE.read_text(encoding="utf-8"))
    body = service_load.order_sign_request(DISCOVERY, bundle)
    assert body["hook"] == "order-sign" and body["context"]["patientId"] == service_load.PATIENT_ID
    draft = body["context"]["draftOrders"]
    orders = [e["resource"] for e in draft["entry"] if e["resource"]["resourceType"] == "MedicationRequest"]
    assert draft["resourceType"] == "Bundle" and len(orders) == 5
    assert {o["subject"]["reference"] for o in orders} == {f"Patient/{service_load.PATIENT_ID}"}
    assert body["prefetch"]["patient"]["resourceType"] == "Patient"
    assert body["prefetch"]["patient"]["id"] == service_load.PATIENT_ID
    assert body["prefetch"]["allergies"]["resourceType"] == "Bundle"


def test_a_discovery_without_the_service_stops_the_benchmark_with_a_reason() -> None:
    with pytest.raises(service_load.BenchmarkError, match="doseguard-order-sign"):
        service_load.order_sign_request({"services": []}, {"entry": []})


class StubServer:
    """A raw HTTP/1.1 server on loopback, answering the nth request to arrive: the connection closed
    without an answer when n is in ``drop``, 500 when n is a multiple of 5, empty cards when of 7, else
    two cards (one of them "not checked"); odd answers with Content-Length, even ones chunked. It keeps
    connections open between requests, as uvicorn does."""

    def __init__(self, drop: set[int]) -> None:
        self.drop = drop
        self.bodies: list[bytes] = []
        self.connections = 0

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = next(
                    int(line.split(b":")[1])
                    for line in head.split(b"\r\n")
                    if line.lower().startswith(b"content-length")
                )
                self.bodies.append(await reader.readexactly(length))
                n = len(self.bodies)
                if n in self.drop:
                    return
                status, body = self.answer(n)
                if n % 2:
                    writer.write(b"HTTP/1.1 %d X\r\ncontent-length: %d\r\n\r\n%s" % (status, len(body), body))
                else:
                    half = len(body) // 2
                    chunks = b"%x\r\n%s\r\n%x\r\n%s\r\n0\r\n\r\n" % (
                        half,
                        body[:half],
                        len(body) - half,
                        body[half:],
                    )
                    writer.write(b"HTTP/1.1 %d X\r\ntransfer-encoding: chunked\r\n\r\n%s" % (status, chunks))
                await writer.drain()
        except asyncio.IncompleteReadError:
            pass
        finally:
            writer.close()

    @staticmethod
    def answer(n: int) -> tuple[int, bytes]:
        if n % 5 == 0:
            return 500, b'{"detail": "boom"}'
        if n % 7 == 0:
            return 200, b'{"cards": []}'
        return 200, json.dumps(
            {"cards": [{"summary": "Dose high"}, {"summary": "Not checked: engine crashed"}]}
        ).encode()


def drive_stub(
    stub: StubServer, rate: float, seconds: float, halfway: Any = None
) -> tuple[list[Reply], float]:
    bundle = json.loads(service_load.EXAMPLE_BUNDLE.read_text(encoding="utf-8"))
    body = json.dumps(service_load.order_sign_request(DISCOVERY, bundle)).encode()

    async def run() -> tuple[list[Reply], float]:
        server = await asyncio.start_server(stub.handle, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        try:
            target = Target("127.0.0.1", port, "/cds-services/doseguard-order-sign", body)
            return await drive(target, rate=rate, seconds=seconds, halfway=halfway)
        finally:
            server.close()

    return asyncio.run(run())


def test_the_driver_sends_rate_times_seconds_requests_and_counts_what_the_stub_answered() -> None:
    stub = StubServer(drop={3})
    halfway: list[int] = []
    replies, wall = drive_stub(stub, rate=40.0, seconds=1.0, halfway=lambda: halfway.append(len(stub.bodies)))
    stats = summarise(replies, wall)
    assert stats.sent == 40 and len(stub.bodies) == 41  # the request dropped at arrival 3 was sent again
    assert stats.answered == 40 and stats.no_response == 0 and stats.resent == 1
    assert [reply.resent for reply in replies].index(True) == 2
    assert stats.error_responses == 8  # arrivals 5, 10, ..., 40
    assert stats.empty_answers == 4  # 7, 14, 21, 28 (35 is an error)
    assert stats.not_checked_cards == 40 - 8 - 4
    assert [reply.due for reply in replies] == [n / 40.0 for n in range(40)]
    assert len(halfway) == 1
    sent = json.loads(stub.bodies[0])
    assert sent["hook"] == "order-sign" and all(body == stub.bodies[0] for body in stub.bodies)
    assert stub.connections < 40  # kept alive between requests


def test_a_request_dropped_twice_has_no_answer_and_the_others_go_on() -> None:
    stub = StubServer(drop={2, 3})
    replies, wall = drive_stub(stub, rate=20.0, seconds=0.5)
    stats = summarise(replies, wall)
    assert stats.sent == 10 and stats.no_response == 1 and stats.answered == 9 and stats.resent == 1
    assert replies[1].status is None and replies[1].resent


def test_cpu_per_request_counts_each_side_and_a_worker_lost_up_to_the_first_snapshot() -> None:
    before = CpuSnapshot(web=10.0, workers={1: 5.0, 2: 4.0}, driver=1.0)
    after = CpuSnapshot(web=12.0, workers={2: 5.0, 3: 0.5}, driver=1.5)  # worker 1 died, 3 replaced it
    cpu = before.per_request(after, answered=100)
    assert cpu is not None
    assert cpu.web == pytest.approx(20.0) and cpu.driver == pytest.approx(5.0)
    assert cpu.workers == pytest.approx(15.0)  # 0 from worker 1, 1.0 s from 2, 0.5 s from 3
    assert before.per_request(after, answered=0) is None
