"""What operators run the service by: health and readiness, Prometheus metrics, JSON logs, SIGHUP reload.

Each app has its own :class:`Metrics` registry (not prometheus_client's global one), so two apps in a
process (tests) never share counts. The middleware is pure ASGI: it sees every response, streaming ones
too, and adds no task or thread per request as ``BaseHTTPMiddleware`` would. How SIGHUP, SIGTERM and
SIGINT compose with uvicorn: ``docs/service.md``."""

from __future__ import annotations

import asyncio
import contextvars
import json
import logging
import signal
import sys
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, InfoMetricFamily, Metric
from prometheus_client.registry import Collector
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from doseguard.service.json_response import FastJSONResponse
from doseguard.service.ports import Evaluator

log = logging.getLogger("doseguard.service")

SERVICE_IDS = ("doseguard-order-select", "doseguard-order-sign")
"""The ids a request is counted under; any other id the path holds is counted as ``other`` (a client
posting to made-up ids must not grow the metrics without bound)."""
LATENCY_BUCKETS = (0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0)
"""Seconds: fine below 50 ms, the goal for a 5-order order-sign (``docs/performance.md``)."""
REQUEST_ID_HEADER = "x-request-id"

request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("doseguard_request_id", default=None)
"""The request being answered (the caller's ``X-Request-ID`` or one made up): in every log line."""


class Metrics:
    """The service's Prometheus metrics. Worker restarts and the rules version are read from the
    evaluator when scraped, so they are never stale after a crash or a reload."""

    def __init__(self, evaluator: Evaluator, service_ids: Iterable[str] = SERVICE_IDS) -> None:
        self.registry = CollectorRegistry()
        self.service_ids = frozenset(service_ids)
        self.requests = Counter(
            "doseguard_http_requests",
            "HTTP requests answered, by route template, CDS service id and status",
            ["method", "route", "service", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "doseguard_http_request_duration_seconds",
            "Time from a request's arrival to the end of its response, by route template",
            ["method", "route", "service"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.cards = Counter(
            "doseguard_cards_issued",
            "CDS Hooks cards returned, by indicator",
            ["indicator"],
            registry=self.registry,
        )
        self.registry.register(_EvaluatorCollector(evaluator))

    def count_cards(self, indicators: Iterable[str]) -> None:
        """One card issued for each indicator given (``info``, ``warning``, ``critical``)."""
        for indicator in indicators:
            self.cards.labels(indicator).inc()

    def service_label(self, path_params: dict[str, Any]) -> str:
        given = next((v for k, v in path_params.items() if k in ("service_id", "id")), None)
        if given is None:
            return ""
        return given if given in self.service_ids else "other"

    def text(self) -> bytes:
        return generate_latest(self.registry)


class _EvaluatorCollector(Collector):
    def __init__(self, evaluator: Evaluator) -> None:
        self.evaluator = evaluator

    def collect(self) -> Iterator[Metric]:
        restarts = CounterMetricFamily(
            "doseguard_worker_restarts", "Worker processes replaced after a crash or a hang"
        )
        restarts.add_metric([], self.evaluator.restarts)
        yield restarts
        rules = InfoMetricFamily("doseguard_rules", "The version of the rules that answer new requests")
        rules.add_metric([], {"version": self.evaluator.rules_version})
        yield rules
        ready = GaugeMetricFamily("doseguard_ready", "1 when at least one worker is up with rules loaded")
        ready.add_metric([], 1.0 if self.evaluator.ready() else 0.0)
        yield ready


class MetricsMiddleware:
    """Counts each HTTP request by route template (``/cds-services/{service_id}``, never the raw path)
    and status, times it, and gives it a request id (the caller's ``X-Request-ID``, else a new one),
    echoed in the response and put in every log line written while it is answered."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = dict(scope.get("headers") or ()).get(REQUEST_ID_HEADER.encode())
        rid = _safe_id(given) or uuid.uuid4().hex
        token = request_id.set(rid)
        status = 500  # what the server answers if the app raises before it starts a response
        started = time.perf_counter()

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", []), (REQUEST_ID_HEADER.encode(), rid.encode())]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            route = getattr(scope.get("route"), "path", None) or "unmatched"
            service = self.metrics.service_label(scope.get("path_params") or {})
            method = scope.get("method", "")
            self.metrics.requests.labels(method, route, service, str(status)).inc()
            self.metrics.latency.labels(method, route, service).observe(time.perf_counter() - started)
            request_id.reset(token)


def _safe_id(raw: bytes | None) -> str | None:
    """A caller's request id when it is short printable ASCII (it goes into logs and a header)."""
    if raw is None or not 0 < len(raw) <= 128:
        return None
    text = raw.decode("ascii", "replace")
    return text if text.isprintable() and "\ufffd" not in text else None


def operations_router(evaluator: Evaluator, metrics: Metrics, *, insecure_dev: bool = False) -> APIRouter:
    """``GET /healthz`` (the process answers), ``GET /readyz`` (503 until a worker is up) and
    ``GET /metrics``; ``insecure_dev``: /readyz says the service runs without authentication."""
    router = APIRouter(tags=["operations"])

    @router.get("/healthz", summary="The process is alive")
    async def healthz() -> dict[str, str]:
        return {"status": "alive"}

    @router.get(
        "/readyz",
        summary="Ready to check orders (a worker is up with rules loaded)",
        responses={503: {"description": "No worker is up yet (or any more)"}},
    )
    async def readyz() -> JSONResponse:
        ready = evaluator.ready()
        body: dict[str, Any] = {
            "status": "ready" if ready else "not ready",
            "rules_version": evaluator.rules_version,
            "worker_restarts": evaluator.restarts,
        }
        if insecure_dev:
            body["insecure_dev"] = True
            body["warning"] = "insecure-dev: requests are not authenticated (loopback development only)"
        return FastJSONResponse(body, status_code=200 if ready else 503)

    @router.get("/metrics", summary="Prometheus metrics", response_class=Response)
    async def prometheus() -> Response:
        return Response(metrics.text(), media_type=CONTENT_TYPE_LATEST)

    return router


class JsonLogFormatter(logging.Formatter):
    """One JSON object a line: time (UTC, ISO 8601), level, logger, message, the request id where
    there is one, the rules version that answers; an exception's traceback as one field."""

    def __init__(self, rules_version_source: Callable[[], str]) -> None:
        super().__init__()
        self.rules_version_source = rules_version_source

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        rid = request_id.get()
        if rid is not None:
            line["request_id"] = rid
        try:
            line["rules_version"] = self.rules_version_source()
        except Exception:  # a log line is never lost for want of the version
            line["rules_version"] = None
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)


def configure_json_logging(level: int | str, rules_version_source: Callable[[], str]) -> logging.Handler:
    """Every log record (uvicorn's too, when it runs with ``log_config=None``) as a JSON line on stderr;
    replaces the root logger's handlers. Returns the handler (to remove it again)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonLogFormatter(rules_version_source))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):  # theirs go to the root, as JSON
        named = logging.getLogger(name)
        named.handlers.clear()
        named.propagate = True
    return handler


def install_sighup_reload(evaluator: Evaluator, loop: asyncio.AbstractEventLoop) -> Callable[[], None]:
    """SIGHUP reloads the rules in a thread (``evaluator.reload`` blocks while the new workers start),
    so the event loop goes on answering meanwhile; requests in flight finish on the old rules. Returns
    a function that removes the handler. SIGTERM and SIGINT are left to uvicorn."""

    def reload_in_thread() -> None:
        log.info("SIGHUP: reloading the rules")
        done = loop.run_in_executor(None, evaluator.reload)
        done.add_done_callback(_log_failure)

    loop.add_signal_handler(signal.SIGHUP, reload_in_thread)

    def uninstall() -> None:
        loop.remove_signal_handler(signal.SIGHUP)

    return uninstall


def _log_failure(done: asyncio.Future[None]) -> None:
    if not done.cancelled() and done.exception() is not None:
        log.error("the reload failed", exc_info=done.exception())
