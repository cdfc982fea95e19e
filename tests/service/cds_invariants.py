"""The HL7 CDS Hooks 2.0 response invariants (the logical model's rules), checked on every response
the service's tests receive: a response that breaks one fails the test that got it."""

from __future__ import annotations

from typing import Any

INDICATORS = {"info", "warning", "critical"}
ACTION_TYPES = {"create", "update", "delete"}
SELECTION_BEHAVIOURS = {"at-most-one", "any"}


def invariant_violations(body: Any) -> list[str]:
    """What a CDS Hooks response breaks (empty: nothing)."""
    if not isinstance(body, dict) or not isinstance(body.get("cards"), list):
        return ["a response is an object with a list of cards"]
    broken: list[str] = []
    uuids: list[str] = []
    for number, card in enumerate(body["cards"]):
        broken += [f"cards[{number}]: {problem}" for problem in _card_violations(card, uuids)]
    if len(uuids) != len(set(uuids)):
        broken.append("card and suggestion uuids are not unique")
    return broken


def _card_violations(card: Any, uuids: list[str]) -> list[str]:
    if not isinstance(card, dict):
        return ["not an object"]
    broken = []
    summary = card.get("summary")
    if not isinstance(summary, str) or not summary or len(summary) >= 140:
        broken.append(f"summary must be text under 140 characters, got {summary!r}")
    if card.get("indicator") not in INDICATORS:
        broken.append(f"indicator {card.get('indicator')!r} is not info, warning or critical")
    source = card.get("source")
    if not isinstance(source, dict) or not isinstance(source.get("label"), str) or not source["label"]:
        broken.append("source.label is required")
    if not isinstance(card.get("uuid"), str) or not card["uuid"]:
        broken.append("uuid is required (feedback names the card by it)")
    else:
        uuids.append(card["uuid"])
    for reason in card.get("overrideReasons") or []:
        if not isinstance(reason, dict) or not reason.get("display") or not reason.get("code"):
            broken.append(f"an override reason needs code and display: {reason!r}")
    suggestions = card.get("suggestions") or []
    if suggestions and card.get("selectionBehavior") not in SELECTION_BEHAVIOURS:
        broken.append("suggestions need selectionBehavior at-most-one or any")
    if card.get("selectionBehavior") == "at-most-one":
        recommended = sum(1 for s in suggestions if isinstance(s, dict) and s.get("isRecommended"))
        if recommended > 1:
            broken.append("at-most-one: at most one suggestion may be recommended")
    for number, suggestion in enumerate(suggestions):
        broken += [f"suggestions[{number}]: {p}" for p in _suggestion_violations(suggestion, uuids)]
    return broken


def _suggestion_violations(suggestion: Any, uuids: list[str]) -> list[str]:
    if not isinstance(suggestion, dict) or not isinstance(suggestion.get("label"), str):
        return ["a suggestion needs a label"]
    broken = []
    if isinstance(suggestion.get("uuid"), str):
        uuids.append(suggestion["uuid"])
    for number, action in enumerate(suggestion.get("actions") or []):
        where = f"actions[{number}]"
        if not isinstance(action, dict) or action.get("type") not in ACTION_TYPES:
            broken.append(f"{where}: type must be create, update or delete")
            continue
        if not action.get("description"):
            broken.append(f"{where}: description is required")
        if action["type"] == "delete" and (not action.get("resourceId") or "resource" in action):
            broken.append(f"{where}: delete needs resourceId and no resource")
        if action["type"] in ("create", "update") and not isinstance(action.get("resource"), dict):
            broken.append(f"{where}: {action['type']} needs a resource")
    return broken


def assert_valid_response(body: Any) -> None:
    broken = invariant_violations(body)
    assert not broken, "\n".join(broken)
