"""What goes wrong inside the service is logged and answered, never a traceback; the in-process
evaluator turns its own failures into "not checked" results and keeps its rules when a reload fails."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from typing import Any

import pytest

from doseguard.errors import RulePackError
from doseguard.records import InputRecord
from doseguard.results import ResultStatus
from doseguard.rules.model import RuleSet
from doseguard.service.inprocess import InProcessEvaluator
from tests.service.fhir_data import full_prefetch, hook_request, medication_request
from tests.service.live import ServiceFactory
from tests.service.responses import SIGN, problem_of


class BrokenVerifier:
    may_block = True

    def verify(self, authorization: str | None, service_url: str) -> Mapping[str, Any]:
        raise RuntimeError("the key store is gone")


def test_an_unexpected_error_is_logged_and_answered_with_a_problem(
    service: ServiceFactory, caplog: pytest.LogCaptureFixture
) -> None:
    app = service(verifier=BrokenVerifier())
    body = hook_request("order-sign", medication_request("MR-1"), prefetch=full_prefetch())
    with caplog.at_level(logging.ERROR, logger="doseguard.service.problems"):
        response = app.client.post(SIGN, json=body)
    found = problem_of(response, 500)
    assert found["detail"] == "the service failed to answer; the error is in its log"
    assert "key store" not in response.text
    assert any("the key store is gone" in (record.exc_text or "") for record in caplog.records)


def test_the_in_process_evaluator_fails_closed(
    bundled_rules: RuleSet, monkeypatch: pytest.MonkeyPatch
) -> None:
    evaluator = InProcessEvaluator(lambda: bundled_rules)
    record = InputRecord(
        "draftOrders:entry[0]", {"order_id": "O-1", "patient_id": "P-1", "drug": "cyanocobalamin"}
    )

    def crash(records: Any) -> Any:
        raise MemoryError

    monkeypatch.setattr(evaluator, "_check", crash)
    (result,) = asyncio.run(evaluator.check([record]))
    assert (result.status, result.order_id) == (ResultStatus.ERROR, "O-1")
    assert result.errors[0].message == "evaluation failed: MemoryError"


def test_a_reload_that_fails_keeps_the_old_rules(bundled_rules: RuleSet) -> None:
    loads: list[RuleSet | Exception] = [bundled_rules, RulePackError([])]

    def load() -> RuleSet:
        item = loads.pop(0)
        if isinstance(item, Exception):
            raise item
        return item

    evaluator = InProcessEvaluator(load)
    evaluator.reload()
    assert evaluator.rules_version == bundled_rules.version
    record = InputRecord("x", {"order_id": "O-1", "patient_id": "P-1", "drug": "aspirin"})
    (result,) = asyncio.run(evaluator.check([record]))
    assert result.status is ResultStatus.NOT_COVERED
