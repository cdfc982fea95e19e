"""The app and a FHIR server stub served by uvicorn on loopback (a thread per server, a free port)."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route


@contextmanager
def served(make_app: Callable[[int], Any]) -> Iterator[str]:
    """``make_app(port)`` served on a free loopback port until the block ends; yields its base URL."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(make_app(port), log_level="warning", lifespan="on"))
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


@dataclass
class Service:
    """A running app and a client of it."""

    url: str
    client: httpx.Client
    app: Any = None

    def cards_recorded(self) -> None:
        """Wait until the cards answered so far are in the feedback store (written behind the answers)."""
        recorder = self.app.state.card_recorder
        if recorder is not None:
            recorder.flush()


ServiceFactory = Callable[..., Service]


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
