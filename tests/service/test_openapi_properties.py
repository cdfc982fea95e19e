"""Property-based tests of the app against its own OpenAPI document (schemathesis): whatever is
sent, no answer is a server error. Bounded (50 examples an operation) so it stays quick."""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from doseguard.rules.source import RuleSource
from doseguard.service.app import create_app
from doseguard.service.config import ServiceSettings
from doseguard.service.inprocess import InProcessEvaluator
from doseguard.service.rulebook import RuleBook
from tests.service.stand_ins import RecordingSink

RULES = RuleSource().load()
APP = create_app(
    ServiceSettings(insecure_dev=True),
    evaluator=InProcessEvaluator(lambda: RULES),
    feedback=RecordingSink(),
    verifier=None,
    rules=RuleBook(lambda: RULES),
)
schema = schemathesis.openapi.from_asgi("/openapi.json", APP)


@schema.parametrize()
@settings(max_examples=50, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_request_gets_a_server_error(case: schemathesis.Case) -> None:
    case.call_and_validate(checks=[not_a_server_error])
