"""Discovery, the feedback endpoint and the rule pages, end to end on loopback."""

from __future__ import annotations

import dataclasses

from doseguard.feedback.model import Outcome
from doseguard.rules.model import RuleSet
from doseguard.service.hooks import draft_orders, parse_hook
from doseguard.service.prefetch import needed_keys, patient_data
from tests.service.fhir_data import hook_request, medication_request, searchset
from tests.service.live import ServiceFactory
from tests.service.responses import problem_of
from tests.service.stand_ins import RecordingSink, TokenVerifier

FEEDBACK = "/cds-services/doseguard-order-sign/feedback"


def test_discovery_lists_one_service_per_hook_with_the_prefetch_the_rules_read(
    service: ServiceFactory,
) -> None:
    app = service()
    response = app.client.get("/cds-services")
    assert response.status_code == 200
    services = response.json()["services"]
    assert [(s["id"], s["hook"]) for s in services] == [
        ("doseguard-order-select", "order-select"),
        ("doseguard-order-sign", "order-sign"),
    ]
    for item in services:
        assert item["title"] and item["description"]
        assert item["prefetch"] == {
            "allergies": "AllergyIntolerance?patient={{context.patientId}}",
            "conditions": "Condition?patient={{context.patientId}}",
            "vitals": "Observation?patient={{context.patientId}}&category=vital-signs&_sort=-date&_count=100",
            "labs": "Observation?patient={{context.patientId}}&category=laboratory&_sort=-date&_count=200",
            "administrations": "MedicationAdministration?patient={{context.patientId}}&_sort=-effective-time&_count=200",
            "medications": "MedicationRequest?patient={{context.patientId}}&status=active",
            "pregnancy": "Observation?patient={{context.patientId}}&code=http://loinc.org|82810-3,"
            "http://loinc.org|11449-6&_sort=-date&_count=10",
        }


def test_only_what_the_loaded_rules_read_is_prefetched(bundled_rules: RuleSet) -> None:
    notation = [rule for rule in bundled_rules.rules if rule.pack == "notation"]
    assert needed_keys(dataclasses.replace(bundled_rules, rules=tuple(notation))) == []
    route = [rule for rule in bundled_rules.rules if rule.id == "B12-CONTRAINDICATION"]
    assert needed_keys(dataclasses.replace(bundled_rules, rules=tuple(route))) == ["allergies", "conditions"]
    pregnancy = [rule for rule in bundled_rules.rules if rule.id == "B12-REVIEW-DUE-PREGNANCY"]
    assert "pregnancy" in needed_keys(dataclasses.replace(bundled_rules, rules=tuple(pregnancy)))


def test_a_prefetched_pregnancy_status_is_the_patients_pregnant_field(bundled_rules: RuleSet) -> None:
    """``pregnant`` was not read from FHIR at all, so no key asked for it and the rules reading it were
    never decided at the point of care."""
    status = {
        "resourceType": "Observation", "id": "PS-1", "status": "final",
        "subject": {"reference": "Patient/PT-1"}, "effectiveDateTime": "2026-11-20",
        "code": {"coding": [{"system": "http://loinc.org", "code": "82810-3"}]},
        "valueCodeableConcept": {"coding": [{"system": "http://snomed.info/sct", "code": "77386006"}]},
    }  # fmt: skip
    data = patient_data({"pregnancy": searchset(status)})
    request = parse_hook(hook_request("order-sign", medication_request("MR-1")), "order-sign", clean=True)
    (record,) = draft_orders(request, bundled_rules, data.resources, data.kinds).records
    assert record.context is not None and record.context.fields["pregnant"] == "yes"


def test_feedback_is_parsed_and_given_to_the_sink(service: ServiceFactory) -> None:
    sink = RecordingSink()
    app = service(feedback=sink)
    body = {
        "feedback": [
            {
                "card": "c-1",
                "outcome": "accepted",
                "acceptedSuggestions": [{"id": "s-1"}],
                "outcomeTimestamp": "2026-12-03T10:00:00Z",
            },
            {
                "card": "c-2",
                "outcome": "overridden",
                "overrideReason": {
                    "reason": {
                        "system": "https://example.org/reasons",
                        "code": "benefit",
                        "display": "Benefit outweighs risk",
                    },
                    "userComment": "discussed with the patient",
                },
                "outcomeTimestamp": "2026-12-03T10:01:00+01:00",
            },
        ]
    }
    response = app.client.post(FEEDBACK, json=body)
    assert response.status_code == 200, response.text
    assert response.json() == {"stored": 2}
    (service_id, accepted), (_, overridden) = sink.feedback
    assert service_id == "doseguard-order-sign"
    assert (accepted.card, accepted.outcome, accepted.accepted_suggestions) == (
        "c-1",
        Outcome.ACCEPTED,
        ("s-1",),
    )
    assert (overridden.override_code, overridden.override_display) == ("benefit", "Benefit outweighs risk")
    assert overridden.user_comment == "discussed with the patient"
    assert overridden.outcome_at.utcoffset() is not None


def test_bad_feedback_is_a_400_naming_the_field(service: ServiceFactory) -> None:
    app = service(feedback=RecordingSink())
    naive = {"feedback": [{"card": "c-1", "outcome": "accepted", "outcomeTimestamp": "2026-12-03T10:00:00"}]}
    assert (
        problem_of(app.client.post(FEEDBACK, json=naive), 400)["errors"][0]["field"]
        == "feedback.0.outcomeTimestamp"
    )
    wrong = {"feedback": [{"card": "c-1", "outcome": "ignored", "outcomeTimestamp": "2026-12-03T10:00:00Z"}]}
    assert (
        problem_of(app.client.post(FEEDBACK, json=wrong), 400)["errors"][0]["field"] == "feedback.0.outcome"
    )
    mixed = {
        "feedback": [
            {
                "card": "c",
                "outcome": "accepted",
                "overrideReason": {"userComment": "x"},
                "outcomeTimestamp": "2026-12-03T10:00:00Z",
            }
        ]
    }
    assert "not 'overridden'" in problem_of(app.client.post(FEEDBACK, json=mixed), 400)["detail"]


def test_feedback_without_a_store_or_with_a_broken_one_is_a_503(service: ServiceFactory) -> None:
    body = {"feedback": [{"card": "c-1", "outcome": "accepted", "outcomeTimestamp": "2026-12-03T10:00:00Z"}]}
    assert "no feedback database" in problem_of(service().client.post(FEEDBACK, json=body), 503)["detail"]
    problem_of(service(feedback=RecordingSink(fail=True)).client.post(FEEDBACK, json=body), 503)


def test_feedback_needs_a_token_too(service: ServiceFactory) -> None:
    sink = RecordingSink()
    app = service(feedback=sink, verifier=TokenVerifier())
    body = {"feedback": [{"card": "c-1", "outcome": "accepted", "outcomeTimestamp": "2026-12-03T10:00:00Z"}]}
    problem_of(app.client.post(FEEDBACK, json=body), 401)
    assert sink.feedback == []


def test_a_rule_page_is_the_rules_explanation_escaped(service: ServiceFactory) -> None:
    app = service()
    page = app.client.get("/rules/b12-contraindication")
    assert page.status_code == 200
    assert "Leber&#x27;s" in page.text and "<script" not in page.text
    notice = app.client.get("/rules/DOSEGUARD-DRUG-NOT-COVERED")
    assert notice.status_code == 200 and "Drug not covered by any rule pack" in notice.text


def test_a_call_to_a_service_discovery_does_not_list_is_a_404_naming_the_services(
    service: ServiceFactory,
) -> None:
    app = service(feedback=RecordingSink())
    body = {"feedback": [{"card": "c-1", "outcome": "accepted", "outcomeTimestamp": "2026-12-03T10:00:00Z"}]}
    for path in ("/cds-services/doseguard-order-sgin", "/cds-services/doseguard-order-sgin/feedback"):
        detail = problem_of(app.client.post(path, json=body), 404)["detail"]
        assert detail == (
            "no service 'doseguard-order-sgin': the services are doseguard-order-select, doseguard-order-sign"
        ), path
