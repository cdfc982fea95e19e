"""Health, readiness, metrics, JSON logs and SIGHUP, on a small app that serves the CDS Hooks path the
way the service does (route ``/cds-services/{service_id}``) with the operations router and middleware."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
import os
import signal
import threading
from collections.abc import Iterator, Sequence

import httpx
import pytest
from fastapi import FastAPI
from prometheus_client.parser import text_string_to_metric_families

from doseguard.records import InputRecord
from doseguard.results import OrderResult
from doseguard.service.operations import (
    Metrics,
    MetricsMiddleware,
    configure_json_logging,
    install_sighup_reload,
    operations_router,
)
from doseguard.service.ports import Evaluator
from doseguard.service.workers import ProcessEvaluator
from tests.helpers.bundled import bundled_checker
from tests.service import faults


class StandInEvaluator:
    """An evaluator whose readiness and counts the test sets; checks in process."""

    def __init__(self) -> None:
        self.up = False
        self.restarts = 0
        self.rules_version = "v-test"
        self.reloaded_on: list[str] = []
        self.reloaded = threading.Event()

    def ready(self) -> bool:
        return self.up

    async def check(self, records: Sequence[InputRecord]) -> list[OrderResult]:
        return bundled_checker().check_many(list(records), 1)

    def reload(self) -> None:
        self.reloaded_on.append(threading.current_thread().name)
        self.reloaded.set()

    async def close(self) -> None:
        return None


def service_app(evaluator: Evaluator, records: list[InputRecord], *, insecure_dev: bool = False) -> FastAPI:
    """The CDS Hooks path checks the example records named by the body's ``records`` (their indexes;
    ``mark`` an order id to give the first), counts one card per finding, and says how many it returns."""
    metrics = Metrics(evaluator)
    app = FastAPI()
    app.include_router(operations_router(evaluator, metrics, insecure_dev=insecure_dev))

    @app.post("/cds-services/{service_id}")
    async def hook(service_id: str, body: dict[str, object]) -> dict[str, object]:
        chosen = [records[int(i)] for i in body["records"]]  # type: ignore[attr-defined]
        if body.get("mark"):
            chosen[0] = dataclasses.replace(chosen[0], data={**chosen[0].data, "order_id": body["mark"]})
        results = await evaluator.check(chosen)
        indicators = [f.severity.value for r in results for f in r.findings]
        metrics.count_cards(indicators)
        logging.getLogger("doseguard.service.test").info("answered %d orders", len(results))
        return {"cards": len(indicators), "statuses": [r.status.value for r in results]}

    app.add_middleware(MetricsMiddleware, metrics=metrics)
    return app


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


async def talk(app: FastAPI, *calls: tuple[str, str, object]) -> list[httpx.Response]:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app, raise_app_exceptions=False), base_url="http://service"
    ) as client:
        return [await client.request(method, path, json=body) for method, path, body in calls]


def test_healthz_answers_and_readyz_is_503_until_a_worker_is_up(example_records: list[InputRecord]) -> None:
    evaluator = StandInEvaluator()
    app = service_app(evaluator, example_records)
    health, before = asyncio.run(talk(app, ("GET", "/healthz", None), ("GET", "/readyz", None)))
    assert health.status_code == 200 and health.json() == {"status": "alive"}
    assert before.status_code == 503 and before.json()["status"] == "not ready"
    evaluator.up = True
    (after,) = asyncio.run(talk(app, ("GET", "/readyz", None)))
    assert after.status_code == 200
    assert after.json() == {"status": "ready", "rules_version": "v-test", "worker_restarts": 0}


def test_readyz_says_when_the_service_runs_insecure_dev(example_records: list[InputRecord]) -> None:
    evaluator = StandInEvaluator()
    evaluator.up = True
    (ready,) = asyncio.run(
        talk(service_app(evaluator, example_records, insecure_dev=True), ("GET", "/readyz", None))
    )
    assert ready.json()["insecure_dev"] is True and "insecure-dev" in ready.json()["warning"]


def test_metrics_count_requests_by_route_service_and_status_latency_and_cards(
    example_records: list[InputRecord],
) -> None:
    evaluator = StandInEvaluator()
    app = service_app(evaluator, example_records)
    sign = "/cds-services/doseguard-order-sign"
    answers = asyncio.run(
        talk(
            app,
            ("POST", sign, {"records": [0, 1, 2, 3, 4]}),
            ("POST", sign, {"records": [5]}),
            ("POST", "/cds-services/made-up", {"records": [0]}),
            ("POST", sign, {"wrong": 1}),
            ("GET", "/nowhere", None),
        )
    )
    assert [a.status_code for a in answers] == [200, 200, 200, 500, 404]
    cards = answers[0].json()["cards"] + answers[1].json()["cards"] + answers[2].json()["cards"]
    assert cards > 0
    (metrics,) = asyncio.run(talk(app, ("GET", "/metrics", None)))
    assert metrics.headers["content-type"].startswith("text/plain")
    found = samples(metrics.text)
    route = "/cds-services/{service_id}"

    def requests(service: str, status: str, method: str = "POST", path: str = route) -> float:
        labels = (("method", method), ("route", path), ("service", service), ("status", status))
        return found.get(("doseguard_http_requests_total", labels), 0.0)

    assert requests("doseguard-order-sign", "200") == 2
    assert requests("other", "200") == 1
    assert requests("doseguard-order-sign", "500") == 1
    assert requests("", "404", "GET", "unmatched") == 1
    latency = (("method", "POST"), ("route", route), ("service", "doseguard-order-sign"))
    assert found[("doseguard_http_request_duration_seconds_count", latency)] == 3
    by_indicator = {
        labels[0][1]: value
        for (name, labels), value in found.items()
        if name == "doseguard_cards_issued_total"
    }
    assert sum(by_indicator.values()) == cards and set(by_indicator) <= {"info", "warning", "critical"}
    assert found[("doseguard_worker_restarts_total", ())] == 0
    assert found[("doseguard_rules_info", (("version", "v-test"),))] == 1
    assert found[("doseguard_ready", ())] == 0


def test_the_metrics_count_a_real_workers_restart_and_its_request_still_gets_results(
    example_records: list[InputRecord],
) -> None:
    evaluator = ProcessEvaluator(workers=1, before_check=faults.misbehave_on_marked)
    try:
        assert evaluator.wait_ready()
        app = service_app(evaluator, example_records)
        sign = "/cds-services/doseguard-order-sign"
        crashed, after, metrics = asyncio.run(
            talk(
                app,
                ("POST", sign, {"records": [0, 1], "mark": faults.SEGFAULT}),
                ("POST", sign, {"records": [0, 1]}),
                ("GET", "/metrics", None),
            )
        )
        assert crashed.json()["statuses"] == ["error", "error"]
        assert after.json()["statuses"] == [
            r.status.value for r in bundled_checker().check_many(example_records[:2])
        ]
        found = samples(metrics.text)
        assert found[("doseguard_worker_restarts_total", ())] == 1
        assert found[("doseguard_rules_info", (("version", evaluator.rules_version),))] == 1
        assert found[("doseguard_ready", ())] == 1
    finally:
        asyncio.run(evaluator.close())


@pytest.fixture
def root_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    for handler in list(root.handlers):
        root.removeHandler(handler)
    for handler in handlers:
        root.addHandler(handler)
    root.setLevel(level)


def test_json_log_lines_carry_the_request_id_and_the_rules_version(
    example_records: list[InputRecord], capsys: pytest.CaptureFixture[str], root_logging: None
) -> None:
    evaluator = StandInEvaluator()
    evaluator.up = True
    configure_json_logging("INFO", lambda: evaluator.rules_version)
    app = service_app(evaluator, example_records)

    async def call() -> httpx.Response:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app, raise_app_exceptions=False), base_url="http://s"
        ) as client:
            return await client.post(
                "/cds-services/doseguard-order-sign",
                json={"records": [0]},
                headers={"X-Request-ID": "req-42"},
            )

    response = asyncio.run(call())
    logging.getLogger("doseguard.service.test").warning("outside a request")
    assert response.headers["x-request-id"] == "req-42"
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
    inside = next(line for line in lines if line["message"] == "answered 1 orders")
    assert inside["request_id"] == "req-42" and inside["rules_version"] == "v-test"
    assert inside["level"] == "info" and inside["logger"] == "doseguard.service.test" and "time" in inside
    outside = next(line for line in lines if line["message"] == "outside a request")
    assert "request_id" not in outside and outside["level"] == "warning"


def test_sighup_reloads_in_a_thread_while_the_loop_goes_on() -> None:
    evaluator = StandInEvaluator()

    async def scenario() -> None:
        loop = asyncio.get_running_loop()
        uninstall = install_sighup_reload(evaluator, loop)
        try:
            os.kill(os.getpid(), signal.SIGHUP)
            await asyncio.to_thread(evaluator.reloaded.wait)
        finally:
            uninstall()

    asyncio.run(scenario())
    assert len(evaluator.reloaded_on) == 1 and evaluator.reloaded_on[0] != threading.main_thread().name
