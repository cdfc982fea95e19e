"""The service's test fixtures: the app served on loopback with the bundled rules' in-process
evaluator (or a stand-in), a FHIR server stub on loopback (``live.py``), and an EHR's signing keys
with a JWKS server on loopback; the bundled example orders as records, a running process evaluator."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from doseguard.io.readers import read_inputs
from doseguard.records import InputRecord
from doseguard.rules.model import RuleSet
from doseguard.rules.source import RuleSource
from doseguard.service.app import create_app
from doseguard.service.config import ServiceSettings
from doseguard.service.inprocess import InProcessEvaluator
from doseguard.service.ports import Evaluator, FeedbackSink, Verifier
from doseguard.service.rulebook import RuleBook
from doseguard.service.workers import ProcessEvaluator
from tests.helpers.jwks_server import JwksServer
from tests.helpers.tokens import KeyPair, ec_pair, rsa_pair
from tests.service.live import FhirStub, Service, ServiceFactory, served


@pytest.fixture(scope="session")
def bundled_rules() -> RuleSet:
    return RuleSource().load()


@pytest.fixture(scope="session")
def bundled_evaluator(bundled_rules: RuleSet) -> InProcessEvaluator:
    return InProcessEvaluator(lambda: bundled_rules)


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
        made: list[Any] = []

        def make(port: int) -> Any:
            config = ServiceSettings(port=port, **settings)
            used = evaluator if evaluator is not None else bundled_evaluator
            made.append(create_app(config, evaluator=used, feedback=feedback, verifier=verifier, rules=book))
            return made[0]

        context = served(make)
        url = context.__enter__()
        client = httpx.Client(base_url=url, timeout=30)
        with_stack.append((context, client))
        return Service(url, client, made[0])

    yield start
    for context, client in reversed(with_stack):
        client.close()
        context.__exit__(None, None, None)


@pytest.fixture
def fhir_stub() -> Iterator[FhirStub]:
    stub = FhirStub()
    with served(lambda port: stub.app()) as url:
        stub.url = f"{url}/fhir"
        yield stub


# --- signing keys and a JWKS server on loopback ------------------------------------------


@pytest.fixture(scope="session")
def rsa_key() -> KeyPair:
    """An EHR's RSA key (RS384), made once: key generation is the slow part."""
    return rsa_pair("ehr-rsa-1")


@pytest.fixture(scope="session")
def ec_key() -> KeyPair:
    """An EHR's EC key (ES384, P-384)."""
    return ec_pair("ehr-ec-1")


@pytest.fixture
def jwks_server() -> Iterator[JwksServer]:
    """A JWKS server on 127.0.0.1, for one test."""
    server = JwksServer()
    try:
        yield server
    finally:
        server.close()


# --- the bundled examples and a process evaluator ---------------------------------------------------

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
EXAMPLE_FILES = ("orders.jsonl", "orders.csv", "fhir-bundle.json", "fhir-medicationrequests.ndjson")


@pytest.fixture(scope="session")
def example_records() -> list[InputRecord]:
    """Every record of the bundled examples, as the readers give them (FHIR with its patient context)."""
    return list(read_inputs(str(EXAMPLES / name) for name in EXAMPLE_FILES))


@pytest.fixture(scope="module")
def evaluator() -> Iterator[ProcessEvaluator]:
    """Two workers of the bundled rules, shared by a module's tests that do not break them."""
    started = ProcessEvaluator(workers=2)
    assert started.wait_ready()
    yield started
    asyncio.run(started.close())
