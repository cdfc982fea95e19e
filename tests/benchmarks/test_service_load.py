"""The service benchmark's driver: its statistics, the request it builds, and its counts on a stub
service that answers errors and empty cards at known places. Nothing here is timed: the stub answers at
once and only counts are asserted."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.responses import JSONResponse

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
import service_load  # benchmarks/ is not a package: found on its path
from service_load import Reply, percentile, summarise

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


def stub_service() -> tuple[FastAPI, list[dict[str, Any]]]:
    """Answers the nth request: 500 when n is a multiple of 5, empty cards when of 7, else two cards
    (one of them "not checked")."""
    seen: list[dict[str, Any]] = []
    app = FastAPI()

    @app.post("/cds-services/doseguard-order-sign")
    async def sign(body: dict[str, Any]) -> JSONResponse:
        seen.append(body)
        n = len(seen)
        if n % 5 == 0:
            return JSONResponse({"detail": "boom"}, status_code=500)
        if n % 7 == 0:
            return JSONResponse({"cards": []})
        return JSONResponse({"cards": [{"summary": "Dose high"}, {"summary": "Not checked: engine crashed"}]})

    return app, seen


def test_the_driver_sends_rate_times_seconds_requests_and_counts_what_the_stub_answered() -> None:
    app, seen = stub_service()
    halfway: list[int] = []
    bundle = json.loads(service_load.EXAMPLE_BUNDLE.read_text(encoding="utf-8"))
    body = service_load.order_sign_request(DISCOVERY, bundle)

    async def run() -> tuple[list[Reply], float]:
        transport = httpx.ASGITransport(app=app)
        async with service_load.client_for("http://stub", transport) as client:
            return await service_load.drive(
                client, body, rate=40.0, seconds=1.0, halfway=lambda: halfway.append(len(seen))
            )

    replies, wall = asyncio.run(run())
    stats = summarise(replies, wall)
    assert len(seen) == stats.sent == 40 and stats.answered == 40 and stats.no_response == 0
    assert stats.error_responses == 8  # 5, 10, ..., 40
    assert stats.empty_answers == 4  # 7, 14, 21, 28 (35 is an error)
    assert stats.not_checked_cards == 40 - 8 - 4
    assert [reply.due for reply in replies] == [n / 40.0 for n in range(40)]
    assert len(halfway) == 1
    assert all(request == body for request in seen)
