"""The CDS Hooks 2.0 web app: discovery, order-select and order-sign, feedback, and the rule pages a
card links to. Written against ``service/ports.py`` only: the evaluator, the feedback store and the
token verifier are given (docs/service.md).

Failing closed: a request that cannot be read is a 400 naming the field, one whose prefetch is missing
and cannot be fetched a 412; once read, every order of it gets a card unless it was checked and
nothing was found (a failed evaluation is a "not checked" card, never an empty ``cards``)."""

from __future__ import annotations

import asyncio
import importlib.metadata
import json
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Path, Request, Response
from fastapi.openapi.utils import get_openapi
from fastapi.responses import HTMLResponse, JSONResponse
from pydantic import ValidationError

from doseguard.errors import AuthError, FeedbackStoreError, FieldProblem, PrefetchMissing, RequestShapeError
from doseguard.io.json_text import load_clean
from doseguard.rules.model import RuleSet
from doseguard.rules.source import RuleSource
from doseguard.service import prefetch
from doseguard.service.card_recorder import CardRecorder
from doseguard.service.cards import CardMaker, Cards, not_checked_cards, order_name
from doseguard.service.config import ServiceSettings
from doseguard.service.feedback_requests import FeedbackRequest
from doseguard.service.hooks import (
    ORDER_SELECT,
    ORDER_SIGN,
    DraftOrders,
    HookRequest,
    draft_orders,
    parse_hook,
    shape_problems,
)
from doseguard.service.json_response import FastJSONResponse
from doseguard.service.operations import Metrics, MetricsMiddleware, operations_router
from doseguard.service.pages import rule_page
from doseguard.service.ports import Evaluator, FeedbackSink, Verifier
from doseguard.service.problems import CrashGuard, SizeLimit, install, problem
from doseguard.service.rulebook import RuleBook, per_rule_set

log = logging.getLogger(__name__)

SERVICES = {
    f"doseguard-{ORDER_SELECT}": (
        ORDER_SELECT,
        "doseguard: medication order safety (order-select)",
        "Checks the selected draft medication orders against doseguard's rule packs as they are chosen.",
    ),
    f"doseguard-{ORDER_SIGN}": (
        ORDER_SIGN,
        "doseguard: medication order safety (order-sign)",
        "Checks every draft medication order against doseguard's rule packs before it is signed.",
    ),
}


INLINE_ENTRIES = 64
"""Requests of up to this many resources (draft orders and prefetch) are read on the event loop: a
thread would not read them beside the loop (the GIL runs one at a time), and the hop has a cost of its
own (a wake-up each way). Larger ones are read in a thread, so that the loop is not held up for long."""

_needed_keys = per_rule_set(lambda rules: tuple(prefetch.needed_keys(rules)))

SERVICE_ID: Any = Path(description="A service of discovery", json_schema_extra={"enum": list(SERVICES)})
"""The service id as OpenAPI documents it (one of discovery's); another is answered 404, not 400."""


def rules_loader(settings: ServiceSettings) -> Callable[[], RuleSet]:
    """How the service's rules are loaded (again on reload): its packs and overrides."""
    source = RuleSource(tuple(settings.rules), settings.overrides)
    return source.load


def create_app(
    settings: ServiceSettings,
    *,
    evaluator: Evaluator,
    feedback: FeedbackSink | None,
    verifier: Verifier | None,
    rules: RuleBook | None = None,
) -> FastAPI:
    """The app. Without a ``verifier`` every call is refused (401) unless ``settings.insecure_dev``
    (then no token is asked for); without ``feedback`` the feedback endpoint answers 503. Issued
    cards reach ``feedback`` behind the answers (``card_recorder``); the lifespan's shutdown waits
    until all are written."""
    book = rules if rules is not None else RuleBook(rules_loader(settings))
    recorder = CardRecorder(feedback) if feedback is not None else None

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        if recorder is not None:
            await asyncio.to_thread(recorder.close)

    app = FastAPI(
        lifespan=lifespan,
        title="doseguard CDS Hooks service",
        version=importlib.metadata.version("doseguard"),
        description="HL7 CDS Hooks 2.0: medication order checks at order-select and order-sign.",
        default_response_class=FastJSONResponse,
    )
    install(app)
    # for the operations endpoints (/readyz says insecure_dev) and the lead's wiring
    app.state.settings, app.state.evaluator, app.state.insecure_dev = (
        settings,
        evaluator,
        settings.insecure_dev,
    )
    app.state.card_recorder = recorder
    app.add_middleware(SizeLimit, limit=settings.max_request_bytes)
    app.add_middleware(CrashGuard)
    metrics = Metrics(evaluator)
    app.state.metrics = metrics
    app.include_router(operations_router(evaluator, metrics, insecure_dev=settings.insecure_dev))
    app.add_middleware(MetricsMiddleware, metrics=metrics)  # outermost: it sees every answer

    async def authorise(request: Request) -> JSONResponse | None:
        """None when the request may go on, else the 401 to answer."""
        if verifier is None:
            if settings.insecure_dev:
                return None
            return _unauthorised("no token verifier is configured: every call is refused")
        url = settings.base_url + request.url.path
        authorization = request.headers.get("authorization")
        try:
            if verifier.may_block:
                await asyncio.to_thread(verifier.verify, authorization, url)
            else:
                verifier.verify(authorization, url)
        except AuthError as error:
            log.warning("refused %s: %s", request.url.path, error.reason)
            return _unauthorised(error.reason)
        return None

    @app.get("/cds-services", summary="CDS Hooks discovery", response_model=None)
    async def discovery() -> dict[str, Any]:
        templates = prefetch.templates(_needed_keys(book.rules))
        services = [
            {
                "hook": hook,
                "id": service_id,
                "title": title,
                "description": description,
                "prefetch": templates,
            }
            for service_id, (hook, title, description) in SERVICES.items()
        ]
        return {"services": services}

    @app.post(
        "/cds-services/{service_id}",
        summary="Call a service (order-select or order-sign)",
        response_model=None,
        openapi_extra=_body(HookRequest),
        responses=_problems(400, 401, 404, 412, 413),
    )
    async def call_service(request: Request, service_id: str = SERVICE_ID) -> Response:
        if service_id not in SERVICES:
            return _unknown_service(service_id)
        refused = await authorise(request)
        if refused is not None:
            return refused
        body = await _json_body(request)
        if isinstance(body, JSONResponse):
            return body
        hook = SERVICES[service_id][0]
        try:
            hook_request = parse_hook(body[0], hook, body[1])
        except RequestShapeError as error:
            return _bad_request(error.problems)
        rule_set = book.rules
        clean = body[1]
        sent = hook_request.prefetch or {}
        try:
            values = await prefetch.complete(
                sent,
                _needed_keys(rule_set),
                patient_id=hook_request.context.patientId,
                fhir_server=hook_request.fhirServer,
                access_token=hook_request.fhirAuthorization.access_token
                if hook_request.fhirAuthorization
                else None,
                timeout=settings.fhir_timeout_seconds,
                max_bytes=settings.max_request_bytes * 8,
            )
        except PrefetchMissing as error:
            return problem(412, str(error), missing=error.keys)
        checked = [key for key, value in values.items() if clean and sent.get(key) is value]  # not fetched
        patient = prefetch.patient_data(values, checked)
        entries = hook_request.context.draftOrders.get("entry")
        size = (
            (len(entries) if isinstance(entries, list) else 0) + len(patient.resources) + len(patient.orders)
        )
        try:
            if size <= INLINE_ENTRIES:
                orders = draft_orders(
                    hook_request, rule_set, patient.resources, patient.kinds, patient.orders, clean=clean
                )
            else:
                orders = await asyncio.to_thread(
                    draft_orders, hook_request, rule_set, patient.resources, patient.kinds, patient.orders,
                    clean=clean,
                )  # fmt: skip
        except RequestShapeError as error:
            return _bad_request(error.problems)
        made = await _cards(service_id, orders, patient)
        metrics.count_cards(card["indicator"] for card in made.cards)
        if recorder is not None:
            recorder.record(made.issued)  # written behind the answer, many requests a commit
        return FastJSONResponse({"cards": made.cards})

    async def _cards(service_id: str, orders: DraftOrders, patient: prefetch.PatientData) -> Cards:
        """The cards of a request's results; a failure here is every order's "not checked" card."""
        version = evaluator.rules_version
        try:
            results = await evaluator.check(orders.records) if orders.records else []
            if len(results) != len(orders.records):
                raise RuntimeError(f"{len(results)} results for {len(orders.records)} orders")
            answered = results[0].rules_version if results else version
            maker = CardMaker(service_id, settings.base_url, book.at(answered), answered or version)
            return maker.cards(results, orders.resources, patient.unusable, orders.problems)
        except Exception as error:
            log.exception("request not checked")
            names = [
                order_name(res, rec.source) for rec, res in zip(orders.records, orders.resources, strict=True)
            ]
            return not_checked_cards(service_id, settings.base_url, version, names, type(error).__name__)

    @app.post(
        "/cds-services/{service_id}/feedback",
        summary="Feedback on a service's cards",
        response_model=None,
        openapi_extra=_body(FeedbackRequest),
        responses=_problems(400, 401, 404, 413, 503),
    )
    async def give_feedback(request: Request, service_id: str = SERVICE_ID) -> Response:
        if service_id not in SERVICES:
            return _unknown_service(service_id)
        refused = await authorise(request)
        if refused is not None:
            return refused
        if feedback is None:
            return problem(503, "feedback is not stored by this service (no feedback database configured)")
        body = await _json_body(request)
        if isinstance(body, JSONResponse):
            return body
        try:
            parsed = FeedbackRequest.model_validate(body[0])
        except ValidationError as error:
            return _bad_request(shape_problems(error))
        items = [entry.item() for entry in parsed.feedback]
        try:
            await asyncio.to_thread(feedback.record_feedback, service_id, items)
        except FeedbackStoreError as error:
            log.error("feedback not stored: %s", error)
            return problem(503, "the feedback could not be stored; try again later")
        return FastJSONResponse({"stored": len(items)})

    @app.get("/rules/{rule_id}", summary="A rule's explanation", response_class=HTMLResponse)
    async def rule_explanation(rule_id: str) -> Response:
        page = rule_page(book.rules, rule_id)
        if page is None:
            return problem(404, f"no rule {rule_id!r} in the rules loaded")
        return HTMLResponse(page)

    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    return app


async def _json_body(request: Request) -> tuple[Any, bool] | JSONResponse:
    """The body as JSON read strictly (and whether it is clean: no repeated key, no bad number), or
    the 400 saying why it is not JSON."""
    raw = await request.body()
    try:
        return load_clean(raw)
    except UnicodeDecodeError:
        return problem(400, "the body is not UTF-8 JSON")
    except json.JSONDecodeError as error:
        return problem(400, f"the body is not JSON: {error.msg} at line {error.lineno} column {error.colno}")
    except (RecursionError, ValueError) as error:
        return problem(400, f"the body is not readable JSON: {error}")


def _bad_request(problems: list[FieldProblem]) -> JSONResponse:
    return problem(400, "; ".join(str(item) for item in problems), problems)


def _unauthorised(reason: str) -> JSONResponse:
    return problem(401, f"not authorised: {reason}", headers={"WWW-Authenticate": "Bearer"})


def _body(model: type[Any]) -> dict[str, Any]:
    """The OpenAPI request body of a route that reads its body itself (strictly)."""
    schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
    schema.pop("$defs", None)
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": schema}}}}


def _problems(*statuses: int) -> dict[int | str, dict[str, Any]]:
    return {
        status: {"description": "a problem", "content": {"application/problem+json": {}}}
        for status in statuses
    }


def _openapi(app: FastAPI) -> dict[str, Any]:
    """FastAPI's document, with the models of the bodies the routes read themselves."""
    if app.openapi_schema is None:
        document = get_openapi(
            title=app.title, version=app.version, description=app.description, routes=app.routes
        )
        schemas = document.setdefault("components", {}).setdefault("schemas", {})
        for model in (HookRequest, FeedbackRequest):
            schemas.update(
                model.model_json_schema(ref_template="#/components/schemas/{model}").get("$defs", {})
            )
            schemas[model.__name__] = _body(model)["requestBody"]["content"]["application/json"]["schema"]
        app.openapi_schema = document
    return app.openapi_schema


def _unknown_service(service_id: str) -> JSONResponse:
    """The 404 of a hook or feedback call to a service id discovery does not list."""
    return problem(404, f"no service {service_id!r}: the services are {', '.join(SERVICES)}")
