"""order-select and order-sign end to end: the real server on loopback, the bundled rules."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pytest
from fastapi.responses import JSONResponse

from doseguard.rules.model import RuleSet
from doseguard.service.app import INLINE_ENTRIES
from doseguard.service.auth import InsecureDevVerifier, JwtVerifier
from tests.service.fhir_data import full_prefetch, hook_request, medication_request
from tests.service.live import ServiceFactory
from tests.service.responses import SELECT, SIGN, cards_of, problem_of, topics
from tests.service.stand_ins import RecordingSink, ScriptedEvaluator, TokenVerifier, error_results


def test_a_correct_order_at_order_sign_gets_no_card(service: ServiceFactory) -> None:
    app = service()
    body = hook_request("order-sign", medication_request("MR-1"), prefetch=full_prefetch())
    assert cards_of(app.client.post(SIGN, json=body)) == []


def test_order_sign_checks_every_draft_order(service: ServiceFactory) -> None:
    app = service()
    orders = (medication_request("MR-1", route="IV"), medication_request("MR-2", drug="B12 inj", route="IV"))
    cards = cards_of(
        app.client.post(SIGN, json=hook_request("order-sign", *orders, prefetch=full_prefetch()))
    )
    route_cards = [card for card in cards if card["source"]["topic"]["code"] == "B12-ROUTE"]
    assert sorted(card["summary"] for card in route_cards) == [
        "Route other than IM or deep SC (MedicationRequest/MR-1)",
        "Route other than IM or deep SC (MedicationRequest/MR-2)",
    ]


def test_order_select_checks_only_the_selections_and_reads_the_others_as_context(
    service: ServiceFactory,
) -> None:
    app = service()
    orders = (medication_request("MR-1", route="IV"), medication_request("MR-2"))
    body = hook_request(
        "order-select", *orders, prefetch=full_prefetch(), selections=["MedicationRequest/MR-2"]
    )
    cards = cards_of(app.client.post(SELECT, json=body))
    # MR-1's wrong route is not said (not selected), but MR-1 makes MR-2 a duplicate therapy
    assert topics(cards) == ["B12-DUPLICATE-THERAPY"]
    assert cards[0]["summary"].endswith("(MedicationRequest/MR-2)")


def test_a_card_has_every_field_the_finding_gives(service: ServiceFactory, bundled_rules: RuleSet) -> None:
    service_rules_version = bundled_rules.version
    app = service()
    body = hook_request("order-sign", medication_request("MR-9", route="IV"), prefetch=full_prefetch())
    (card,) = cards_of(app.client.post(SIGN, json=body))
    version = card["extension"]["doseguard-rules-version"]
    assert card["indicator"] == "warning"  # B12-ROUTE's severity
    assert card["summary"] == "Route other than IM or deep SC (MedicationRequest/MR-9)"
    assert "Route IV is not for this product" in card["detail"]
    assert "**Why:** Cyanocobalamin injection is for intramuscular" in card["detail"]
    assert "**References:**\n- Cyanocobalamin Injection USP label" in card["detail"]
    assert "Order: **MedicationRequest/MR-9**" in card["detail"]
    assert card["source"]["label"] == f"doseguard b12 (rules {version})"
    assert card["source"]["url"] == f"{app.url}/rules/B12-ROUTE"
    assert card["source"]["topic"] == {
        "system": f"{app.url}/rules",
        "code": "B12-ROUTE",
        "display": "Route other than IM or deep SC",
    }
    assert version == service_rules_version
    page = app.client.get("/rules/B12-ROUTE")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "B12-ROUTE: Route other than IM or deep SC" in page.text
    assert f"Rules version {version}" in page.text


def test_the_cards_answer_is_the_bytes_json_response_gave(service: ServiceFactory) -> None:
    app = service()
    orders = (medication_request("MR-1", route="IV"), medication_request("MR-2", drug="B12 inj", route="IV"))
    answer = app.client.post(SIGN, json=hook_request("order-sign", *orders, prefetch=full_prefetch()))
    assert answer.headers["content-type"] == "application/json"
    assert len(cards_of(answer)) >= 2 and answer.content == JSONResponse(answer.json()).body


def test_an_order_that_cannot_be_read_gets_a_not_checked_card(service: ServiceFactory) -> None:
    app = service()
    broken = medication_request("MR-3")
    broken["dosageInstruction"][0]["doseAndRate"][0]["doseQuantity"]["value"] = "a lot"
    (card,) = cards_of(
        app.client.post(SIGN, json=hook_request("order-sign", broken, prefetch=full_prefetch()))
    )
    assert card["indicator"] == "warning"
    assert card["summary"] == "Not checked: MedicationRequest/MR-3 could not be read"
    assert "**not checked**" in card["detail"] and "doseQuantity" in card["detail"]


def test_an_evaluation_that_failed_gets_a_not_checked_card_per_order(service: ServiceFactory) -> None:
    app = service(evaluator=ScriptedEvaluator(error_results))
    orders = (medication_request("MR-1"), medication_request("MR-2"))
    cards = cards_of(
        app.client.post(SIGN, json=hook_request("order-sign", *orders, prefetch=full_prefetch()))
    )
    assert [card["summary"] for card in cards] == [
        "Not checked: MedicationRequest/MR-1 could not be evaluated",
        "Not checked: MedicationRequest/MR-2 could not be evaluated",
    ]
    assert all("worker process died" in card["detail"] for card in cards)


def test_an_evaluator_that_raises_gives_not_checked_cards_not_an_error(service: ServiceFactory) -> None:
    app = service(evaluator=ScriptedEvaluator(error=RuntimeError("boom")))
    orders = (medication_request("MR-1"), medication_request("MR-2"))
    cards = cards_of(
        app.client.post(SIGN, json=hook_request("order-sign", *orders, prefetch=full_prefetch()))
    )
    assert [card["indicator"] for card in cards] == ["warning", "warning"]
    assert [card["summary"] for card in cards] == [
        "Not checked: MedicationRequest/MR-1",
        "Not checked: MedicationRequest/MR-2",
    ]
    assert "boom" not in json.dumps(cards)  # the exception's text stays in the log


def test_an_evaluator_that_loses_a_result_gives_not_checked_cards(service: ServiceFactory) -> None:
    app = service(evaluator=ScriptedEvaluator(lambda records: error_results(records)[:1]))
    orders = (medication_request("MR-1"), medication_request("MR-2"))
    cards = cards_of(
        app.client.post(SIGN, json=hook_request("order-sign", *orders, prefetch=full_prefetch()))
    )
    assert len(cards) == 2 and all(card["summary"].startswith("Not checked") for card in cards)


def test_lab_orders_in_the_draft_are_not_for_the_rules(service: ServiceFactory) -> None:
    app = service()
    lab = {"resourceType": "ServiceRequest", "id": "SR-1", "status": "draft", "intent": "order"}
    old = {**medication_request("MO-1"), "resourceType": "MedicationOrder"}
    cards = cards_of(
        app.client.post(SIGN, json=hook_request("order-sign", lab, old, prefetch=full_prefetch()))
    )
    (card,) = cards
    assert card["summary"] == "Not checked: MedicationOrder/MO-1 could not be read"
    assert "MedicationOrder" in card["detail"]


def test_issued_cards_are_given_to_the_feedback_sink(service: ServiceFactory) -> None:
    sink = RecordingSink()
    app = service(feedback=sink)
    body = hook_request("order-sign", medication_request("MR-1", route="IV"), prefetch=full_prefetch())
    (card,) = cards_of(app.client.post(SIGN, json=body))
    app.cards_recorded()
    (issued,) = sink.cards
    assert (issued.uuid, issued.rule_id, issued.indicator) == (card["uuid"], "B12-ROUTE", "warning")
    assert issued.service_id == "doseguard-order-sign" and issued.issued_at.tzinfo is not None
    assert issued.rules_version == card["extension"]["doseguard-rules-version"]


def test_a_broken_feedback_store_does_not_cost_the_cards(service: ServiceFactory) -> None:
    app = service(feedback=RecordingSink(fail=True))
    body = hook_request("order-sign", medication_request("MR-1", route="IV"), prefetch=full_prefetch())
    assert topics(cards_of(app.client.post(SIGN, json=body))) == ["B12-ROUTE"]


# --- bad requests ------------------------------------------------------------------------------------


def test_bad_json_is_a_400_problem(service: ServiceFactory) -> None:
    app = service()
    response = app.client.post(
        SIGN, content=b'{"hook": "order-sign",', headers={"content-type": "application/json"}
    )
    assert problem_of(response, 400)["detail"].startswith("the body is not JSON: Expecting")


def test_a_wrong_shape_is_a_400_naming_the_field(service: ServiceFactory) -> None:
    app = service()
    body = hook_request("order-sign", medication_request("MR-1"), prefetch=full_prefetch())
    del body["context"]["patientId"]
    body["context"]["draftOrders"] = {"resourceType": "Patient"}
    found = problem_of(app.client.post(SIGN, json=body), 400)
    fields = [error["field"] for error in found["errors"]]
    assert fields == ["context.patientId", "context.draftOrders"]


def test_the_wrong_hook_for_the_service_is_a_400(service: ServiceFactory) -> None:
    app = service()
    body = hook_request("order-select", medication_request("MR-1"), prefetch=full_prefetch(), selections=[])
    found = problem_of(app.client.post(SIGN, json=body), 400)
    assert found["errors"] == [
        {"field": "hook", "message": "this service is for 'order-sign', got 'order-select'"}
    ]


def test_order_select_needs_selections_that_name_draft_orders(service: ServiceFactory) -> None:
    app = service()
    body = hook_request("order-select", medication_request("MR-1"), prefetch=full_prefetch())
    assert problem_of(app.client.post(SELECT, json=body), 400)["errors"][0]["field"] == "context.selections"
    body["context"]["selections"] = ["MedicationRequest/MR-404"]
    found = problem_of(app.client.post(SELECT, json=body), 400)
    assert found["errors"] == [
        {
            "field": "context.selections[0]",
            "message": "'MedicationRequest/MR-404' names no resource of draftOrders",
        }
    ]


def test_a_repeated_key_outside_the_orders_is_a_400_and_inside_one_a_not_checked_card(
    service: ServiceFactory,
) -> None:
    app = service()
    body = json.dumps(hook_request("order-sign", medication_request("MR-1"), prefetch=full_prefetch()))
    twice = body.replace('"hook": "order-sign"', '"hook": "order-sign", "hook": "order-sign"')
    found = problem_of(
        app.client.post(SIGN, content=twice, headers={"content-type": "application/json"}), 400
    )
    assert found["errors"][0]["field"] == "hook"
    inside = body.replace('"status": "draft"', '"status": "draft", "status": "cancelled"')
    (card,) = cards_of(app.client.post(SIGN, content=inside, headers={"content-type": "application/json"}))
    assert card["summary"].startswith("Not checked: draftOrders:entry[0] could not be read")


def test_a_body_over_the_limit_is_a_413_problem(service: ServiceFactory) -> None:
    app = service(max_request_bytes=4096)
    body = hook_request(
        "order-sign", *(medication_request(f"MR-{n}") for n in range(20)), prefetch=full_prefetch()
    )
    problem_of(app.client.post(SIGN, json=body), 413)

    def chunks() -> Any:  # no Content-Length: refused as the bytes come in
        yield json.dumps(body).encode()

    problem_of(app.client.post(SIGN, content=chunks(), headers={"content-type": "application/json"}), 413)


def test_an_unknown_service_or_rule_is_a_404_problem(service: ServiceFactory) -> None:
    app = service()
    problem_of(app.client.post("/cds-services/nope", json={}), 404)
    problem_of(app.client.get("/rules/NO-SUCH-RULE"), 404)
    problem_of(app.client.get("/nowhere"), 404)
    problem_of(app.client.delete(SIGN), 405)


# --- tokens ------------------------------------------------------------------------------------------


def test_a_call_without_a_good_token_is_a_401_and_the_token_is_checked_against_the_exact_url(
    service: ServiceFactory,
) -> None:
    verifier = TokenVerifier()
    app = service(verifier=verifier)
    body = hook_request("order-sign", medication_request("MR-1"), prefetch=full_prefetch())
    found = problem_of(app.client.post(SIGN, json=body, headers={"authorization": "Bearer bad"}), 401)
    assert found["detail"] == "not authorised: no valid bearer token"
    ok = app.client.post(SIGN, json=body, headers={"authorization": "Bearer good-token"})
    assert cards_of(ok) == []
    assert verifier.calls[-1] == ("Bearer good-token", f"{app.url}{SIGN}")


def test_no_verifier_and_no_insecure_dev_refuses_every_call(service: ServiceFactory) -> None:
    app = service(insecure_dev=False)
    body = hook_request("order-sign", medication_request("MR-1"), prefetch=full_prefetch())
    assert "no token verifier" in problem_of(app.client.post(SIGN, json=body), 401)["detail"]


def test_the_public_base_url_is_the_token_audience_and_the_cards_links(service: ServiceFactory) -> None:
    verifier = TokenVerifier()
    app = service(verifier=verifier, public_base_url="https://cds.example.org/doseguard/")
    body = hook_request("order-sign", medication_request("MR-1", route="IV"), prefetch=full_prefetch())
    (card,) = cards_of(app.client.post(SIGN, json=body, headers={"authorization": "Bearer good-token"}))
    assert verifier.calls[-1][1] == "https://cds.example.org/doseguard/cds-services/doseguard-order-sign"
    assert card["source"]["url"] == "https://cds.example.org/doseguard/rules/B12-ROUTE"


def test_an_order_for_a_drug_no_pack_covers_gets_the_notices_info_card(service: ServiceFactory) -> None:
    app = service()
    body = hook_request(
        "order-sign", medication_request("MR-5", drug="amoxicillin 500 mg capsule"), prefetch=full_prefetch()
    )
    (card,) = cards_of(app.client.post(SIGN, json=body))
    assert card["indicator"] == "info"
    assert card["source"]["label"].startswith("doseguard (rules ")
    assert card["source"]["url"].endswith("/rules/DOSEGUARD-DRUG-NOT-COVERED")


def test_a_draft_order_for_another_patient_gets_a_not_checked_card(service: ServiceFactory) -> None:
    """A draft order whose subject is not the request's patientId was checked against the prefetch of
    the request's patient (their allergies, their labs): a card built on another patient's record.
    It is said not checked, naming both patients; the order for the request's patient is checked."""
    app = service()
    mine = medication_request("MR-1", route="IV")
    theirs = medication_request("MR-2", patient="someone-else")
    cards = cards_of(
        app.client.post(SIGN, json=hook_request("order-sign", mine, theirs, prefetch=full_prefetch()))
    )
    by_order = {card["summary"].rsplit("(", 1)[-1].rstrip(")"): card for card in cards}
    assert "B12-ROUTE" in topics([by_order["MedicationRequest/MR-1"]])
    other = [card for card in cards if "MR-2" in card["summary"]]
    assert [card["summary"] for card in other] == ["Not checked: MedicationRequest/MR-2 could not be read"]
    assert "'someone-else'" in other[0]["detail"] and "Patient/PT-1" in other[0]["detail"]


@dataclass
class LoopProbe:
    """Accepts every call, noting whether ``verify`` ran on the event loop's thread."""

    may_block: bool
    on_loop: list[bool] = field(default_factory=list)

    def verify(self, authorization: str | None, service_url: str) -> Mapping[str, Any]:
        try:
            asyncio.get_running_loop()
            self.on_loop.append(True)
        except RuntimeError:  # a thread of the executor: no loop runs there
            self.on_loop.append(False)
        return {}


@pytest.mark.parametrize("may_block", [True, False])
def test_a_verifier_that_may_block_runs_in_a_thread_else_on_the_loop(
    service: ServiceFactory, may_block: bool
) -> None:
    probe = LoopProbe(may_block)
    app = service(verifier=probe)
    body = hook_request("order-sign", medication_request("MR-1"), prefetch=full_prefetch())
    assert app.client.post(SIGN, json=body).status_code == 200
    assert probe.on_loop == [not may_block]


def test_the_insecure_dev_verifier_does_not_block() -> None:
    assert InsecureDevVerifier.may_block is False and JwtVerifier.may_block is True


def test_a_request_too_large_to_read_on_the_event_loop_is_read_in_a_thread_the_same_way(
    service: ServiceFactory,
) -> None:
    app = service()
    count = INLINE_ENTRIES + 6  # with the prefetch's patient: over the limit
    orders = [medication_request(f"MR-{n}", route="IV") for n in range(count)]
    cards = cards_of(
        app.client.post(SIGN, json=hook_request("order-sign", *orders, prefetch=full_prefetch()))
    )
    routes = [card["summary"] for card in cards if card["source"]["topic"]["code"] == "B12-ROUTE"]
    assert sorted(routes) == sorted(
        f"Route other than IM or deep SC (MedicationRequest/MR-{n})" for n in range(count)
    )


def test_an_order_is_never_its_own_duplicate_whatever_comes_before_it(service: ServiceFactory) -> None:
    """The other orders were numbered by their place among all the draft's entries, the checked orders
    among those checked: behind a lab order, or at order-select of the second draft, an order was
    counted as another order of itself (a duplicate-therapy card on a single B12 order)."""
    app = service()
    lab = {"resourceType": "ServiceRequest", "id": "SR-1", "status": "draft", "intent": "order",
           "subject": {"reference": "Patient/PT-1"}, "code": {"text": "CBC"}}  # fmt: skip
    body = hook_request("order-sign", lab, medication_request("MR-1"), prefetch=full_prefetch())
    assert cards_of(app.client.post(SIGN, json=body)) == []
    other = medication_request("MR-0", drug="amoxicillin 500 mg capsule")
    body = hook_request(
        "order-select", other, medication_request("MR-1"), prefetch=full_prefetch(),
        selections=["MedicationRequest/MR-1"],
    )  # fmt: skip
    assert cards_of(app.client.post(SELECT, json=body)) == []
