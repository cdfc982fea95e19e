"""Cards from results: suggestions from a rule's fix, override reasons, summaries, Markdown, the
not-evaluated card; and the invariant check every test response goes through."""

from __future__ import annotations

import dataclasses
import sys
import types
from collections.abc import Mapping, Sequence
from typing import Any

import pytest

from doseguard.records import InputRecord, record_ids
from doseguard.results import Finding, OrderResult, ResultStatus
from doseguard.rules.model import OverrideReasonSpec, RuleSet, Severity
from doseguard.service.cards import CardMaker, _md, _rule, _truncated
from tests.service.cds_invariants import invariant_violations
from tests.service.fhir_data import full_prefetch, hook_request, medication_request
from tests.service.live import ServiceFactory
from tests.service.responses import SIGN, cards_of
from tests.service.stand_ins import ScriptedEvaluator

VOLUME_FIX = (("volume_ml", 1.0),)


def flagged(finding: Finding) -> Any:
    def answer(records: Sequence[InputRecord]) -> list[OrderResult]:
        results = []
        for number, record in enumerate(records, start=1):
            order_id, patient_id = record_ids(record.data)
            results.append(
                OrderResult(
                    number,
                    record.source,
                    order_id,
                    patient_id,
                    ResultStatus.FLAGGED,
                    (finding,),
                    rules_version="v1",
                )
            )
        return results

    return answer


def with_override_reasons(rules: RuleSet, rule_id: str) -> RuleSet:
    reasons = [
        OverrideReasonSpec(code="patient-tolerates", display="Patient has tolerated this before"),
        OverrideReasonSpec(code="other", display="Other", system="https://example.org/reasons"),
    ]
    changed = tuple(
        dataclasses.replace(rule, spec=rule.spec.model_copy(update={"override_reasons": reasons}))
        if rule.id == rule_id
        else rule
        for rule in rules.rules
    )
    return dataclasses.replace(rules, rules=changed)


@pytest.fixture
def fake_updates(monkeypatch: pytest.MonkeyPatch) -> list[tuple[Mapping[str, Any], Any]]:
    """``io/fhir/updates.py``'s function (s12-fix's), as a stand-in: records its calls."""
    calls: list[tuple[Mapping[str, Any], Any]] = []

    def updated_medication_request(
        resource: Mapping[str, Any], fixes: Sequence[tuple[str, Any]]
    ) -> dict[str, Any]:
        calls.append((resource, fixes))
        return {**resource, "note": [{"text": f"volume {fixes[0][1]} mL"}]}

    module = types.ModuleType("doseguard.io.fhir.updates")
    module.updated_medication_request = updated_medication_request  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "doseguard.io.fhir.updates", module)
    return calls


def test_a_fix_is_one_recommended_update_of_the_order(
    service: ServiceFactory, bundled_rules: RuleSet, fake_updates: list[Any]
) -> None:
    finding = Finding(
        "B12-SITE-VOLUME",
        Severity.WARNING,
        "Too much for the site.",
        "Volume too large for the site",
        "b12",
        fixes=VOLUME_FIX,
    )
    app = service(evaluator=ScriptedEvaluator(flagged(finding)), rules=bundled_rules)
    order = medication_request("MR-7")
    (card,) = cards_of(
        app.client.post(SIGN, json=hook_request("order-sign", order, prefetch=full_prefetch()))
    )
    assert card["selectionBehavior"] == "at-most-one"
    (suggestion,) = card["suggestions"]
    assert suggestion["isRecommended"] is True and suggestion["label"] == "Change the order: volume_ml 1"
    (action,) = suggestion["actions"]
    assert action["type"] == "update" and action["description"] == "Update the order: volume_ml 1"
    assert action["resource"]["id"] == "MR-7" and action["resource"]["note"] == [{"text": "volume 1.0 mL"}]
    ((resource, fixes),) = fake_updates
    assert resource["id"] == "MR-7" and fixes == VOLUME_FIX


def test_no_fix_no_suggestion(service: ServiceFactory, fake_updates: list[Any]) -> None:
    finding = Finding("B12-SITE-VOLUME", Severity.WARNING, "Too much.", "Volume too large", "b12")
    app = service(evaluator=ScriptedEvaluator(flagged(finding)))
    (card,) = cards_of(
        app.client.post(
            SIGN, json=hook_request("order-sign", medication_request("MR-7"), prefetch=full_prefetch())
        )
    )
    assert "suggestions" not in card and "selectionBehavior" not in card
    assert fake_updates == []


def test_a_fix_that_cannot_be_applied_is_no_suggestion(
    service: ServiceFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuses(resource: Mapping[str, Any], fixes: Any) -> dict[str, Any]:
        raise ValueError("no doseAndRate to update")

    module = types.ModuleType("doseguard.io.fhir.updates")
    module.updated_medication_request = refuses  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "doseguard.io.fhir.updates", module)
    finding = Finding(
        "B12-SITE-VOLUME", Severity.WARNING, "Too much.", "Volume too large", "b12", fixes=VOLUME_FIX
    )
    app = service(evaluator=ScriptedEvaluator(flagged(finding)))
    (card,) = cards_of(
        app.client.post(
            SIGN, json=hook_request("order-sign", medication_request("MR-7"), prefetch=full_prefetch())
        )
    )
    assert "suggestions" not in card and card["indicator"] == "warning"


def test_override_reasons_come_from_the_rule(service: ServiceFactory, bundled_rules: RuleSet) -> None:
    app = service(rules=with_override_reasons(bundled_rules, "B12-ROUTE"))
    body = hook_request("order-sign", medication_request("MR-1", route="IV"), prefetch=full_prefetch())
    (card,) = cards_of(app.client.post(SIGN, json=body))
    assert card["overrideReasons"] == [
        {
            "system": f"{app.url}/override-reasons/b12",
            "code": "patient-tolerates",
            "display": "Patient has tolerated this before",
        },
        {"system": "https://example.org/reasons", "code": "other", "display": "Other"},
    ]


def test_a_finding_that_could_not_be_decided_is_a_not_checked_warning(bundled_rules: RuleSet) -> None:
    undecided = Finding(
        "B12-NO-RESPONSE",
        Severity.INFO,
        "Not evaluated: no haemoglobin results.",
        "No response",
        "b12",
        evaluated=False,
    )
    result = OrderResult(1, "draftOrders:entry[0]", "MR-1", "PT-1", ResultStatus.FLAGGED, (undecided,))
    made = CardMaker("doseguard-order-sign", "http://svc", bundled_rules, "v1").cards([result], [None])
    (card,) = made.cards
    assert card["indicator"] == "warning"
    assert card["summary"] == "Not checked: No response (MR-1)"
    assert "could not be decided" in card["detail"]
    assert made.issued[0].rule_id == "B12-NO-RESPONSE"


def test_a_pass_and_an_inactive_order_get_no_card(bundled_rules: RuleSet) -> None:
    results = [
        OrderResult(1, "a", "MR-1", "PT-1", ResultStatus.PASS),
        OrderResult(2, "b", "MR-2", "PT-1", ResultStatus.INACTIVE),
    ]
    assert CardMaker("s", "http://svc", bundled_rules, "v1").cards(results, [None, None]).cards == []


def test_summaries_are_cut_on_a_word_under_140_characters() -> None:
    long = "word " * 60
    cut = _truncated(long)
    assert len(cut) < 140 and cut.endswith("word…")
    assert _truncated("short") == "short"
    assert len(_truncated("x" * 300)) == 139


def test_data_in_markdown_cannot_make_links_or_html() -> None:
    assert (
        _md("[click](https://evil) <img src=x> *bold* \x1b")
        == r"\[click\](https://evil) \<img src=x\> \*bold\* \\x1b"  # shown as \x1b
    )


@pytest.mark.parametrize(
    ("card", "broken"),
    [
        ({"summary": "x" * 140}, "summary must be text under 140"),
        ({"indicator": "hard-stop"}, "indicator 'hard-stop'"),
        ({"source": {}}, "source.label is required"),
        ({"suggestions": [{"label": "a", "uuid": "s", "actions": []}]}, "suggestions need selectionBehavior"),
        (
            {
                "selectionBehavior": "at-most-one",
                "suggestions": [{"label": "a", "isRecommended": True}, {"label": "b", "isRecommended": True}],
            },
            "at most one suggestion may be recommended",
        ),
        (
            {
                "selectionBehavior": "any",
                "suggestions": [{"label": "a", "actions": [{"type": "update", "resource": {}}]}],
            },
            "description is required",
        ),
        (
            {
                "selectionBehavior": "any",
                "suggestions": [
                    {"label": "a", "actions": [{"type": "delete", "description": "d", "resource": {}}]}
                ],
            },
            "delete needs resourceId and no resource",
        ),
        (
            {
                "selectionBehavior": "any",
                "suggestions": [{"label": "a", "actions": [{"type": "patch", "description": "d"}]}],
            },
            "type must be",
        ),
        ({"overrideReasons": [{"code": "x"}]}, "needs code and display"),
    ],
)
def test_the_invariant_check_catches_what_the_model_forbids(card: dict[str, Any], broken: str) -> None:
    good = {"uuid": "u-1", "summary": "s", "indicator": "info", "source": {"label": "doseguard"}}
    assert invariant_violations({"cards": [good]}) == []
    found = invariant_violations({"cards": [{**good, **card}]})
    assert any(broken in problem for problem in found), found
    assert invariant_violations({"cards": [good, good]}) == ["card and suggestion uuids are not unique"]


def test_a_place_is_shown_as_code_without_escapes(bundled_rules: RuleSet) -> None:
    from doseguard.errors import HistoryProblem  # noqa: PLC0415

    problem = HistoryProblem("draftOrders:entry[7]", "Observation.valueQuantity", "a weight must be positive")
    made = CardMaker("s", "http://svc", bundled_rules, "v1").cards([], [], problems=[problem])
    assert made.cards[0]["detail"] == (
        "`draftOrders:entry[7]`: Observation.valueQuantity: a weight must be positive. The orders were checked without it."
    )


def test_a_card_names_the_first_rule_of_its_id_as_the_search_in_order_did(bundled_rules: RuleSet) -> None:
    first, other = bundled_rules.rules[0], bundled_rules.rules[1]
    second = dataclasses.replace(other, spec=other.spec.model_copy(update={"id": first.id}))
    rules = dataclasses.replace(bundled_rules, rules=(first, second, *bundled_rules.rules[2:]))
    assert _rule(rules, first.id) is first
    assert _rule(rules, bundled_rules.rules[3].id) is bundled_rules.rules[3]
    assert _rule(rules, "NO-SUCH-RULE") is None
