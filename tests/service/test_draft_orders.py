"""A request's draft orders are mapped once each: ``bundle_context`` reads them as the patient's
other orders from the records the request checks (it mapped each MedicationRequest again before),
with the same contexts as mapping them afresh."""

from __future__ import annotations

import dataclasses
from collections import Counter
from typing import Any

import pytest

from doseguard.io.fhir import bundle_context as bundle_context_module
from doseguard.io.fhir import mapper
from doseguard.io.fhir.bundle import bundle_items
from doseguard.io.fhir.bundle_context import bundle_context
from doseguard.rules.model import RuleSet
from doseguard.service import hooks, prefetch
from doseguard.service.hooks import DRAFT_ORDERS, draft_orders, parse_hook
from tests.service.fhir_data import full_prefetch, hook_request, medication_request

ORDERS = (
    medication_request("MR-1", route="IV"),
    medication_request("MR-2"),
    medication_request("MR-3", dose_mcg=-5),  # cannot be mapped: a problem, but another order all the same
)


def counted_mapping(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """How many times each MedicationRequest is mapped, by its id."""
    calls: Counter[str] = Counter()
    real = mapper.medication_request_to_record

    def counting(resource: Any, **kwargs: Any) -> Any:
        calls[resource.get("id")] += 1
        return real(resource, **kwargs)

    monkeypatch.setattr(mapper, "medication_request_to_record", counting)
    monkeypatch.setattr(bundle_context_module, "medication_request_to_record", counting)
    return calls


@pytest.mark.parametrize(
    ("hook", "selections"), [("order-sign", None), ("order-select", ["MedicationRequest/MR-2"])]
)
def test_each_draft_order_is_mapped_once(
    monkeypatch: pytest.MonkeyPatch, bundled_rules: RuleSet, hook: str, selections: list[str] | None
) -> None:
    calls = counted_mapping(monkeypatch)
    body = hook_request(hook, *ORDERS, prefetch=full_prefetch(), selections=selections)
    request = parse_hook(body, hook, True)
    patient = prefetch.patient_data(request.prefetch or {})
    orders = draft_orders(request, bundled_rules, patient.resources, patient.kinds)
    # MR-3, which cannot be checked, is read once more without its doses: as another order of its drug
    assert calls == {"MR-1": 1, "MR-2": 1, "MR-3": 2}
    assert len(orders.records) == (3 if selections is None else 1)


def test_the_contexts_are_those_of_orders_mapped_afresh(bundled_rules: RuleSet) -> None:
    body = hook_request("order-sign", *ORDERS, prefetch=full_prefetch())
    request = parse_hook(body, "order-sign", True)
    patient = prefetch.patient_data(request.prefetch or {})
    orders = draft_orders(request, bundled_rules, patient.resources, patient.kinds)
    combined = {
        **request.context.draftOrders,
        "entry": [*request.context.draftOrders["entry"], *({"resource": r} for r in patient.resources)],
    }
    items, index = bundle_items(DRAFT_ORDERS, combined, clean=False)
    afresh = bundle_context(DRAFT_ORDERS, combined, items, index, bundled_rules.drugs)
    contexts = [record.context for record in orders.records if record.context is not None]
    assert len(contexts) == 2  # MR-3 could not be mapped: no context is attached to it
    for context in contexts:  # the kinds are the prefetch's too (hooks._holding): the rest is the same
        assert context == dataclasses.replace(afresh.contexts[context.patient_id], kinds=context.kinds)
    assert len(contexts[0].orders) == 3  # MR-1, MR-2 and MR-3 (read without its doses) as other orders


def read(rules: RuleSet, body: dict[str, Any], clean: bool, checked: bool) -> Any:
    request = parse_hook(body, body["hook"], True)
    sent = request.prefetch or {}
    patient = prefetch.patient_data(sent, list(sent) if checked else [])
    return patient, draft_orders(request, rules, patient.resources, patient.kinds, clean=clean)


def test_a_clean_body_is_read_the_same_without_looking_through_it_again(bundled_rules: RuleSet) -> None:
    body = hook_request("order-sign", *ORDERS, prefetch=full_prefetch())
    assert read(bundled_rules, body, clean=True, checked=True) == read(
        bundled_rules, body, clean=False, checked=False
    )


def test_the_drug_tables_are_built_once_per_rule_set(
    monkeypatch: pytest.MonkeyPatch, bundled_rules: RuleSet
) -> None:
    built: list[object] = []
    real = hooks.ResourceReader

    def counting(drugs: Any) -> Any:
        built.append(drugs)
        return real(drugs)

    monkeypatch.setattr(hooks, "ResourceReader", counting)
    rules = dataclasses.replace(bundled_rules)  # a rule set no test has read with yet
    body = hook_request("order-sign", *ORDERS, prefetch=full_prefetch())
    first = read(rules, body, clean=True, checked=True)
    assert read(rules, body, clean=True, checked=True) == first and len(built) == 1
    read(dataclasses.replace(bundled_rules), body, clean=True, checked=True)
    assert len(built) == 2
