"""Errors as RFC 9457 problem bodies (``application/problem+json``): every refusal says what was
wrong and, for a bad request, which field; anything unexpected is logged and answered with a problem
(never a traceback). The request size limit is here too: a body over it is refused as it streams in."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from doseguard.errors import BodyTooLarge, FieldProblem
from doseguard.service.json_response import FastJSONResponse

log = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"


def problem(
    status: int,
    detail: str,
    problems: Sequence[FieldProblem] = (),
    headers: Mapping[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    """A problem response: the status's title, what was wrong, and each field concerned."""
    body: dict[str, Any] = {"type": "about:blank", "title": HTTPStatus(status).phrase, "status": status}
    body["detail"] = detail
    if problems:
        body["errors"] = [item.as_dict() for item in problems]
    body.update(extra)
    return FastJSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


class SizeLimit:
    """Refuses a request body over ``limit`` bytes: at once by its Content-Length, else as soon as
    the bytes received pass it (a chunked upload); the app answers 413."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or ()).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.limit:
            response = problem(413, f"the request body is over {self.limit} bytes")
            await response(scope, receive, send)
            return
        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit:
                    raise BodyTooLarge(self.limit)
            return message

        await self.app(scope, counted, send)


class CrashGuard:
    """Anything the app let escape, logged and answered with a 500 problem (no traceback in the
    body); once a response has started, it can only be logged."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def watched(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, watched)
        except Exception:
            log.exception("unexpected error answering %s %s", scope.get("method"), scope.get("path"))
            if not started:
                await problem(500, "the service failed to answer; the error is in its log")(
                    scope, receive, send
                )


def install(app: FastAPI) -> None:
    """The app's problem answers for FastAPI's and Starlette's own errors and the size limit."""

    async def http_error(request: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, HTTPException)
        return problem(error.status_code, str(error.detail), headers=error.headers)

    async def invalid(request: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, RequestValidationError)
        found = [
            FieldProblem(".".join(str(part) for part in item["loc"]), str(item["msg"]))
            for item in error.errors()
        ]
        return problem(400, "; ".join(str(item) for item in found) or "bad request", found)

    async def too_large(request: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, BodyTooLarge)
        return problem(413, str(error))

    app.add_exception_handler(HTTPException, http_error)
    app.add_exception_handler(RequestValidationError, invalid)
    app.add_exception_handler(BodyTooLarge, too_large)
