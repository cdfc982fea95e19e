"""Prefetch end to end: keys sent, keys fetched from the EHR's FHIR server (a stub on loopback), keys
that cannot be had (412), and values that cannot be used (a "not checked against" card)."""

from __future__ import annotations

from typing import Any

from tests.service.fhir_data import (
    allergy,
    full_prefetch,
    hook_request,
    medication_request,
    operation_outcome,
    searchset,
)
from tests.service.live import FhirStub, ServiceFactory
from tests.service.responses import SIGN, cards_of, problem_of

TOKEN = {
    "access_token": "ehr-token",
    "token_type": "Bearer",
    "expires_in": 300,
    "scope": "patient/*.read",
    "subject": "doseguard",
}


def sign(*, prefetch: dict[str, Any], stub: FhirStub | None = None, route: str = "IM") -> dict[str, Any]:
    more: dict[str, Any] = {}
    if stub is not None:
        more = {"fhirServer": stub.url, "fhirAuthorization": TOKEN}
    return hook_request("order-sign", medication_request("MR-1", route=route), prefetch=prefetch, **more)


def summaries(cards: list[dict[str, Any]]) -> list[str]:
    return [card["summary"] for card in cards]


def test_a_complete_prefetch_is_used_as_sent_and_nothing_is_fetched(
    service: ServiceFactory, fhir_stub: FhirStub
) -> None:
    app = service()
    body = sign(prefetch=full_prefetch(allergy("cobalt")), stub=fhir_stub)
    cards = cards_of(app.client.post(SIGN, json=body))
    assert [card["source"]["topic"]["code"] for card in cards] == ["B12-CONTRAINDICATION"]
    assert fhir_stub.requests == []


def test_keys_left_out_or_null_are_fetched_with_the_ehrs_token(
    service: ServiceFactory, fhir_stub: FhirStub
) -> None:
    app = service()
    fhir_stub.answers["AllergyIntolerance?patient=PT-1"] = searchset(allergy("cobalt"))
    fhir_stub.answers["Condition?patient=PT-1"] = searchset()
    prefetch = full_prefetch()
    del prefetch["allergies"]
    prefetch["conditions"] = None
    cards = cards_of(app.client.post(SIGN, json=sign(prefetch=prefetch, stub=fhir_stub)))
    assert [card["source"]["topic"]["code"] for card in cards] == ["B12-CONTRAINDICATION"]
    assert sorted(fhir_stub.requests) == [
        ("AllergyIntolerance", "patient=PT-1", "Bearer ehr-token"),
        ("Condition", "patient=PT-1", "Bearer ehr-token"),
    ]


def test_a_search_of_many_pages_is_followed_on_the_same_server(
    service: ServiceFactory, fhir_stub: FhirStub
) -> None:
    app = service()
    first = searchset(allergy("latex", "AL-1"))
    first["link"] = [{"relation": "next", "url": f"{fhir_stub.url}/AllergyIntolerance?page=2"}]
    fhir_stub.answers["AllergyIntolerance?patient=PT-1"] = first
    fhir_stub.answers["AllergyIntolerance?page=2"] = searchset(allergy("cobalt", "AL-2"))
    prefetch = full_prefetch()
    del prefetch["allergies"]
    cards = cards_of(app.client.post(SIGN, json=sign(prefetch=prefetch, stub=fhir_stub)))
    assert [card["source"]["topic"]["code"] for card in cards] == ["B12-CONTRAINDICATION"]
    assert len(fhir_stub.requests) == 2


def test_missing_keys_and_no_server_to_fetch_them_from_is_a_412(service: ServiceFactory) -> None:
    app = service()
    prefetch = full_prefetch()
    del prefetch["allergies"], prefetch["labs"]
    found = problem_of(app.client.post(SIGN, json=sign(prefetch=prefetch)), 412)
    assert found["missing"] == ["allergies", "labs"]
    assert "no fhirServer" in found["detail"]
    assert problem_of(
        app.client.post(SIGN, json=hook_request("order-sign", medication_request("MR-1"))), 412
    )["missing"] == [
        "allergies",
        "conditions",
        "vitals",
        "labs",
        "administrations",
        "medications",
        "pregnancy",
    ]


def test_a_token_is_never_sent_in_clear_over_a_network(service: ServiceFactory) -> None:
    app = service()
    prefetch = full_prefetch()
    del prefetch["allergies"]
    body = sign(prefetch=prefetch)
    body["fhirServer"], body["fhirAuthorization"] = "http://ehr.example.org/fhir", TOKEN
    assert "is not https" in problem_of(app.client.post(SIGN, json=body), 412)["detail"]


def test_an_operation_outcome_is_said_in_a_card(service: ServiceFactory) -> None:
    app = service()
    prefetch = full_prefetch()
    prefetch["allergies"] = operation_outcome("allergy service unavailable")
    cards = cards_of(app.client.post(SIGN, json=sign(prefetch=prefetch)))
    assert summaries(cards) == [
        "Not checked against allergies: the EHR could not give it: allergy service unavailable"
    ]
    assert cards[0]["indicator"] == "warning"


def test_a_fetch_that_fails_is_said_in_a_card(service: ServiceFactory, fhir_stub: FhirStub) -> None:
    app = service()
    fhir_stub.answers["Condition"] = 503
    prefetch = full_prefetch()
    del prefetch["conditions"]
    cards = cards_of(app.client.post(SIGN, json=sign(prefetch=prefetch, stub=fhir_stub)))
    (card,) = cards
    assert card["summary"].startswith("Not checked against conditions: the FHIR server answered 503")


def test_a_first_page_sent_as_the_whole_is_said_in_a_card(service: ServiceFactory) -> None:
    app = service()
    prefetch = full_prefetch()
    prefetch["allergies"]["link"] = [{"relation": "next", "url": "https://ehr.example.org/fhir/x?page=2"}]
    cards = cards_of(app.client.post(SIGN, json=sign(prefetch=prefetch)))
    assert summaries(cards) == [
        "Not checked against allergies: the EHR sent only the first page of a search of many"
    ]


def test_a_patient_resource_that_cannot_be_read_is_said_in_a_card(service: ServiceFactory) -> None:
    app = service()
    prefetch = full_prefetch()
    weight = {
        "resourceType": "Observation",
        "id": "W-1",
        "status": "final",
        "code": {"coding": [{"system": "http://loinc.org", "code": "29463-7"}]},
        "subject": {"reference": "Patient/PT-1"},
        "effectiveDateTime": "2026-11-30",
        "valueQuantity": {"value": -70, "unit": "kg", "code": "kg"},
    }
    prefetch["vitals"] = searchset(weight)
    (card,) = cards_of(app.client.post(SIGN, json=sign(prefetch=prefetch)))
    assert card["summary"].startswith("Not checked against a patient record:")
    assert "Observation.valueQuantity" in card["detail"]


def test_an_empty_search_lets_the_rules_decide_and_a_failed_one_does_not(service: ServiceFactory) -> None:
    """An empty MAR search says no dose was given: the rules that read the MAR are decided on that,
    not "not evaluated" as for a request that holds no MAR at all."""
    app = service()
    held = cards_of(app.client.post(SIGN, json=sign(prefetch=full_prefetch())))
    assert held == []
    prefetch = full_prefetch()
    prefetch["administrations"] = operation_outcome("MAR down")
    cards = cards_of(app.client.post(SIGN, json=sign(prefetch=prefetch)))
    assert (
        summaries(cards)[0]
        == "Not checked against doses given (the MAR): the EHR could not give it: MAR down"
    )
    assert summaries(cards)[1] == "Not checked: 3 rules could not be decided (MedicationRequest/MR-1)"
    assert f"]({app.url}/rules/B12-MISSED-DOSES)" in cards[1]["detail"]


def test_a_fetched_answer_over_the_limit_is_not_read_and_said(
    service: ServiceFactory, fhir_stub: FhirStub
) -> None:
    app = service(max_request_bytes=4096)  # a fetched answer may be 8 times that
    fhir_stub.answers["AllergyIntolerance"] = searchset(
        *(allergy("latex " * 20, f"AL-{n}") for n in range(100))
    )
    prefetch = full_prefetch()
    del prefetch["allergies"]
    (card,) = cards_of(app.client.post(SIGN, json=sign(prefetch=prefetch, stub=fhir_stub)))
    assert card["summary"] == "Not checked against allergies: the FHIR server's answer is over 32768 bytes"


def active_order(ident: str, **kinds: Any) -> dict[str, Any]:
    return {**medication_request(ident, **kinds), "status": "active", "authoredOn": "2026-11-01"}


def test_an_active_order_the_ehr_holds_makes_the_draft_a_duplicate_and_gets_no_card_itself(
    service: ServiceFactory,
) -> None:
    """The patient's active orders came only from the draft Bundle: a second B12 order signed while
    the patient was on IM B12 got no duplicate-therapy card. They are read from the ``medications``
    prefetch, as the patient's other orders, never checked themselves."""
    app = service()
    prefetch = full_prefetch()
    prefetch["medications"] = searchset(active_order("MR-OLD", route="IV"))
    cards = cards_of(app.client.post(SIGN, json=sign(prefetch=prefetch)))
    assert summaries(cards) == ["Another active B12 order for the same patient (MedicationRequest/MR-1)"]


def test_a_draft_the_ehr_also_lists_as_active_is_not_its_own_duplicate(service: ServiceFactory) -> None:
    app = service()
    prefetch = full_prefetch()
    prefetch["medications"] = searchset({**medication_request("MR-1"), "status": "active"})
    assert cards_of(app.client.post(SIGN, json=sign(prefetch=prefetch))) == []


def test_active_orders_the_ehr_cannot_give_leave_duplicate_therapy_undecided(service: ServiceFactory) -> None:
    app = service()
    prefetch = full_prefetch()
    prefetch["medications"] = operation_outcome("pharmacy system down")
    cards = cards_of(app.client.post(SIGN, json=sign(prefetch=prefetch)))
    assert summaries(cards) == [
        "Not checked against the patient's active medication orders: the EHR could not give it: "
        "pharmacy system down",
        "Not checked: 1 rule could not be decided (MedicationRequest/MR-1)",
    ]
    assert f"]({app.url}/rules/B12-DUPLICATE-THERAPY)" in cards[1]["detail"]


def test_an_active_order_that_cannot_be_read_is_said_not_silently_left_out(service: ServiceFactory) -> None:
    app = service()
    broken = active_order("MR-OLD")
    del broken["medicationCodeableConcept"]
    broken["medicationReference"] = {"reference": "Medication/nowhere"}  # which drug: unknown
    prefetch = full_prefetch()
    prefetch["medications"] = searchset(broken)
    cards = cards_of(app.client.post(SIGN, json=sign(prefetch=prefetch)))
    assert [card["summary"].split(":")[0] for card in cards] == ["Not checked against a patient record"]
    assert "medicationReference" in cards[0]["detail"]


def test_an_active_order_signed_later_the_same_day_is_still_in_force(service: ServiceFactory) -> None:
    """An active order of 08:00 is 'after' a draft whose authoredOn is the date alone (00:00 UTC), and
    the batch rule leaves out orders placed after the one checked: the duplicate passed. An order
    the EHR lists as active is in force whatever its time."""
    app = service()
    prefetch = full_prefetch()
    prefetch["medications"] = searchset(
        {**active_order("MR-OLD", route="IV"), "authoredOn": "2026-12-01T08:00:00Z"}
    )
    cards = cards_of(app.client.post(SIGN, json=sign(prefetch=prefetch)))
    assert summaries(cards) == ["Another active B12 order for the same patient (MedicationRequest/MR-1)"]


def test_an_active_order_naming_its_medication_by_reference_in_the_search_counts(
    service: ServiceFactory,
) -> None:
    app = service()
    old = active_order("MR-OLD", route="IV")
    del old["medicationCodeableConcept"]
    old["medicationReference"] = {"reference": "Medication/M1"}
    medication = {
        "resourceType": "Medication",
        "id": "M1",
        "code": {"text": "cyanocobalamin 1000 mcg/mL injection"},
    }
    prefetch = full_prefetch()
    prefetch["medications"] = searchset(old, medication)
    cards = cards_of(app.client.post(SIGN, json=sign(prefetch=prefetch)))
    assert summaries(cards) == ["Another active B12 order for the same patient (MedicationRequest/MR-1)"]


def test_an_active_order_whose_dose_cannot_be_checked_counts_and_says_nothing(
    service: ServiceFactory,
) -> None:
    """A PRN paracetamol 1-2 tablets (a dose range) put 'Not checked against a patient record: ... a dose
    range cannot be checked' on every B12 order signed: an alert about another order, on every sign.
    Another order is read for its drug, route and status; its doses are its own check's."""
    app = service()
    prn = active_order("MR-P", drug="paracetamol 500 mg tablet")
    prn["dosageInstruction"][0]["doseAndRate"] = [
        {"doseRange": {"low": {"value": 1, "unit": "tablet"}, "high": {"value": 2, "unit": "tablet"}}}
    ]
    b12 = active_order("MR-OLD", route="IV")
    b12["dosageInstruction"][0]["doseAndRate"][0]["doseQuantity"]["value"] = "a lot"
    prefetch = full_prefetch()
    prefetch["medications"] = searchset(prn)
    assert cards_of(app.client.post(SIGN, json=sign(prefetch=prefetch))) == []
    prefetch["medications"] = searchset(prn, b12)  # a B12 order with an unreadable dose is still one
    cards = cards_of(app.client.post(SIGN, json=sign(prefetch=prefetch)))
    assert summaries(cards) == ["Another active B12 order for the same patient (MedicationRequest/MR-1)"]


def test_ids_that_are_not_text_get_an_answer_not_a_500(service: ServiceFactory) -> None:
    app = service()
    odd = {**medication_request("MR-1"), "id": ["MR-1"]}
    response = app.client.post(SIGN, json=hook_request("order-sign", odd, prefetch=full_prefetch()))
    assert response.status_code == 200, response.text
    assert [card["summary"].startswith("Not checked") for card in cards_of(response)] == [True]
    prefetch = full_prefetch()
    prefetch["medications"] = searchset({**active_order("MR-OLD"), "id": {"value": "MR-OLD"}})
    response = app.client.post(SIGN, json=sign(prefetch=prefetch))
    assert response.status_code == 200, response.text
