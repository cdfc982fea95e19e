"""Fixtures of the service tests: the bundled example orders as records, a running evaluator."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from doseguard.io.readers import read_inputs
from doseguard.records import InputRecord
from doseguard.service.workers import ProcessEvaluator

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
