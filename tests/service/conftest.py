"""The service's test fixtures: the app served by uvicorn on loopback (a thread per server, a free
port), a small FHIR server stub on loopback, and the bundled rules' in-process evaluator."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from doseguard.rules.model import RuleSet
from doseguard.rules.source import RuleSource
from doseguard.service.app import create_app
from doseguard.service.config import ServiceSettings
from doseguard.service.inprocess import InProcessEvaluator
from doseguard.service.ports import Evaluator, FeedbackSink, Verifier
from doseguard.service.rulebook import RuleBook


@contextmanager
def served(make_app: Callable[[int], Any]) -> Iterator[str]:
    """``make_app(port)`` served on a free loopback port until the block ends; yields its base URL."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(make_app(port), log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    ready = threading.Event()
    while not server.started and thread.is_alive():
        ready.wait(0.01)
    assert server.started, "the server did not start"
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join()
        sock.close()


@pytest.fixture(scope="session")
def bundled_rules() -> RuleSet:
    return RuleSource().load()


@pytest.fixture(scope="session")
def bundled_evaluator(bundled_rules: RuleSet) -> InProcessEvaluator:
    return InProcessEvaluator(lambda: bundled_rules)


@dataclass
class Service:
    """A running app and a client of it."""

    url: str
    client: httpx.Client


ServiceFactory = Callable[..., Service]


@pytest.fixture
def service(bundled_evaluator: InProcessEvaluator, bundled_rules: RuleSet) -> Iterator[ServiceFactory]:
    """Starts the app (with the bundled rules and insecure_dev unless told otherwise); every server
    started is stopped at the end of the test."""
    with_stack: list[Any] = []

    def start(
        *,
        evaluator: Evaluator | None = None,
        feedback: FeedbackSink | None = None,
        verifier: Verifier | None = None,
        rules: RuleSet | None = None,
        **settings: Any,
    ) -> Service:
        settings.setdefault("insecure_dev", verifier is None)
        book = RuleBook(lambda: rules if rules is not None else bundled_rules)

        def make(port: int) -> Any:
            config = ServiceSettings(port=port, **settings)
            used = evaluator if evaluator is not None else bundled_evaluator
            return create_app(config, evaluator=used, feedback=feedback, verifier=verifier, rules=book)

        context = served(make)
        url = context.__enter__()
        client = httpx.Client(base_url=url, timeout=30)
        with_stack.append((context, client))
        return Service(url, client)

    yield start
    for context, client in reversed(with_stack):
        client.close()
        context.__exit__(None, None, None)


@dataclass
class FhirStub:
    """A FHIR server on loopback: ``answers`` maps a path with its query (``AllergyIntolerance?
    patient=PT-1``, matched on the resource type alone when the query is not there) to a JSON answer,
    or to a status code; ``requests`` records each request's path, query and Authorization."""

    url: str = ""
    answers: dict[str, Any] = field(default_factory=dict)
    requests: list[tuple[str, str, str | None]] = field(default_factory=list)

    def app(self) -> Starlette:
        async def answer(request: Request) -> Response:
            path = request.path_params["path"]
            query = request.url.query
            self.requests.append((path, query, request.headers.get("authorization")))
            found = self.answers.get(
                f"{path}?{query}" if query else path, self.answers.get(path.split("/")[0])
            )
            if found is None:
                return JSONResponse({"resourceType": "OperationOutcome"}, status_code=404)
            if isinstance(found, int):
                return Response(status_code=found)
            return JSONResponse(found, media_type="application/fhir+json")

        return Starlette(routes=[Route("/fhir/{path:path}", answer)])


@pytest.fixture
def fhir_stub() -> Iterator[FhirStub]:
    stub = FhirStub()
    with served(lambda port: stub.app()) as url:
        stub.url = f"{url}/fhir"
        yield stub
