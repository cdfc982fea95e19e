"""Results as CDS Hooks cards: one per finding, and a "not checked" card for every order (or rule, or
piece of patient data) the check could not cover, so that an empty ``cards`` means checked and
nothing found, never "something failed". The mapping field by field is in docs/service.md."""

from __future__ import annotations

import importlib
import logging
import re
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from doseguard.errors import DoseguardError, HistoryProblem
from doseguard.feedback.model import IssuedCard
from doseguard.numbers import format_number
from doseguard.printable import printable
from doseguard.results import Finding, OrderResult, ResultStatus
from doseguard.rules.model import Rule, RuleSet
from doseguard.service.prefetch import Unusable
from doseguard.service.rulebook import per_rule_set

log = logging.getLogger(__name__)

SUMMARY_LIMIT = 140  # CDS Hooks: a summary under 140 characters
NOT_CHECKED = "warning"
SOURCE = "doseguard"
VERSION_EXTENSION = "doseguard-rules-version"
_MARKDOWN = re.compile(r"([\\`*_\[\]<>#|~])")

Updater = Callable[[Mapping[str, Any], Sequence[tuple[str, Any]]], Mapping[str, Any]]


@dataclass
class Cards:
    """A response's cards, and what to record of each (for feedback per rule)."""

    cards: list[dict[str, Any]] = field(default_factory=list)
    issued: list[IssuedCard] = field(default_factory=list)


@dataclass(frozen=True)
class CardMaker:
    """Makes the cards of one request: ``base_url`` is the service's public URL (a card's
    ``source.url`` points at its rule's page there)."""

    service_id: str
    base_url: str
    rules: RuleSet
    version: str

    def cards(
        self,
        results: Sequence[OrderResult],
        resources: Sequence[Mapping[str, Any] | None],
        unusable: Sequence[Unusable] = (),
        problems: Sequence[HistoryProblem] = (),
    ) -> Cards:
        made = Cards()
        now = datetime.now(UTC)
        for item in unusable:
            summary = f"Not checked against {item.what}: {item.reason}"
            detail = (
                f"The orders were checked without **{_md(item.what)}** (prefetch {_code(item.key)}): "
                f"{_md(item.reason)}. A rule that reads it may have missed a problem."
            )
            self.add(made, now, _card(summary, detail, NOT_CHECKED, self.source()), None, None)
        for problem in problems:
            summary = f"Not checked against a patient record: {problem.message}"
            said = f"{problem.field}: {problem.message}" if problem.field else problem.message
            detail = f"{_code(problem.source)}: {_md(said)}. The orders were checked without it."
            self.add(made, now, _card(summary, detail, NOT_CHECKED, self.source()), None, None)
        for result, resource in zip(results, resources, strict=True):
            for card, rule_id in self._of_result(result, resource):
                self.add(made, now, card, rule_id, result.order_id)
        return made

    def add(
        self, made: Cards, now: datetime, card: dict[str, Any], rule_id: str | None, order_id: str | None
    ) -> None:
        card["extension"] = {VERSION_EXTENSION: self.version}
        made.cards.append(card)
        issued = IssuedCard(
            card["uuid"], self.service_id, rule_id, card["indicator"], self.version, now, order_id
        )
        made.issued.append(issued)

    def _of_result(
        self, result: OrderResult, resource: Mapping[str, Any] | None
    ) -> list[tuple[dict[str, Any], str | None]]:
        order = _order_name(result, resource)
        if result.status in (ResultStatus.INVALID, ResultStatus.ERROR):
            return [(self._not_checked(result, order), None)]
        made: list[tuple[dict[str, Any], str | None]] = []
        for finding in result.findings:
            if finding.evaluated:
                made.append((self._finding_card(finding, order, resource), finding.rule_id))
            else:
                made.append((self._undecided(finding, order), finding.rule_id))
        if result.not_evaluated:
            made.append((self._not_evaluated(result.not_evaluated, order), None))
        return made

    def _not_checked(self, result: OrderResult, order: str) -> dict[str, Any]:
        why = "could not be read" if result.status is ResultStatus.INVALID else "could not be evaluated"
        lines = [f"- {_md(str(error))}" for error in result.errors] or ["- no reason given"]
        detail = "\n".join(
            [f"The order **{_md(order)}** {why}: it was **not checked** by any rule.", "", *lines]
        )
        return _card(f"Not checked: {order} {why}", detail, NOT_CHECKED, self.source())

    def _undecided(self, finding: Finding, order: str) -> dict[str, Any]:
        detail = f"**{_md(finding.title)}** could not be decided for **{_md(order)}**: {_md(finding.message)}"
        return _card(
            f"Not checked: {finding.title} ({order})", detail, NOT_CHECKED, self._rule_source(finding)
        )

    def _not_evaluated(self, rule_ids: Sequence[str], order: str) -> dict[str, Any]:
        """One card for the rules the request held no data of a kind for (no lab results at all)."""
        rules = [(rule_id, _rule(self.rules, rule_id)) for rule_id in rule_ids]
        lines = [
            f"- [{_md(rule.title if rule else rule_id)}]({self.base_url}/rules/{rule_id})"
            for rule_id, rule in rules
        ]
        detail = "\n".join(
            [
                f"Not evaluated for **{_md(order)}**: the request holds none of the patient data they read.",
                "",
                *lines,
            ]
        )
        count = len(rule_ids)
        summary = f"Not checked: {count} rule{'s' if count != 1 else ''} could not be decided ({order})"
        return _card(summary, detail, NOT_CHECKED, self.source())

    def _finding_card(
        self, finding: Finding, order: str, resource: Mapping[str, Any] | None
    ) -> dict[str, Any]:
        rule = _rule(self.rules, finding.rule_id)
        parts = [_md(finding.message), "", f"Order: **{_md(order)}**"]
        if rule is not None:
            parts += ["", f"**Why:** {_md(' '.join(rule.spec.description.split()))}", "", "**References:**"]
            parts += [f"- {_md(reference)}" for reference in rule.spec.references]
        card = _card(
            f"{finding.title} ({order})", "\n".join(parts), finding.severity.value, self._rule_source(finding)
        )
        if rule is not None and rule.spec.override_reasons:
            card["overrideReasons"] = [
                {
                    "system": reason.system or f"{self.base_url}/override-reasons/{rule.pack}",
                    "code": reason.code,
                    "display": reason.display,
                }
                for reason in rule.spec.override_reasons
            ]
        suggestion = self._suggestion(finding, resource)
        if suggestion is not None:
            card["suggestions"] = [suggestion]
            card["selectionBehavior"] = "at-most-one"
        return card

    def _suggestion(self, finding: Finding, resource: Mapping[str, Any] | None) -> dict[str, Any] | None:
        """The rule's fix as an update of the MedicationRequest; none when the rule computes no fix,
        the order is no readable resource, or the fix cannot be applied to it (logged)."""
        if not finding.fixes or resource is None:
            return None
        updater = fhir_updater()
        if updater is None:
            return None
        try:
            updated = updater(resource, finding.fixes)
        except (DoseguardError, ValueError, KeyError, TypeError) as error:
            log.warning("fix of %s not offered: %s", finding.rule_id, error)
            return None
        changes = ", ".join(f"{name} {_value_text(value)}" for name, value in finding.fixes)
        return {
            "label": _truncated(f"Change the order: {changes}"),
            "uuid": str(uuid.uuid4()),
            "isRecommended": True,
            "actions": [
                {"type": "update", "description": f"Update the order: {changes}", "resource": dict(updated)}
            ],
        }

    def _rule_source(self, finding: Finding) -> dict[str, Any]:
        return self.source(finding.rule_id, finding.pack, finding.title)

    def source(
        self, rule_id: str | None = None, pack: str | None = None, title: str | None = None
    ) -> dict[str, Any]:
        named = (
            f"{SOURCE} {pack}" if pack and pack != SOURCE else SOURCE
        )  # a built-in notice's pack is doseguard
        label = f"{named} (rules {self.version})"
        source: dict[str, Any] = {"label": label}
        if rule_id is not None:
            source["url"] = f"{self.base_url}/rules/{rule_id}"
            source["topic"] = {
                "system": f"{self.base_url}/rules",
                "code": rule_id,
                "display": title or rule_id,
            }
        return source


def fhir_updater() -> Updater | None:
    """The FHIR update of a MedicationRequest from a finding's fixes (``io/fhir/updates.py``), looked
    up when first needed; None while it is not installed (then no suggestion is offered)."""
    try:
        module = importlib.import_module("doseguard.io.fhir.updates")
    except ImportError:
        return None
    found: Updater | None = getattr(module, "updated_medication_request", None)
    return found


def not_checked_cards(
    service_id: str, base_url: str, version: str, orders: Sequence[str], reason: str
) -> Cards:
    """A "not checked" card per order, when the request failed as a whole after it was read."""
    maker = CardMaker(service_id, base_url, RuleSet((), (), version), version)
    made = Cards()
    now = datetime.now(UTC)
    for order in orders or ["the orders"]:
        detail = f"The order **{_md(order)}** was **not checked**: {_md(reason)}."
        card = _card(f"Not checked: {order}", detail, NOT_CHECKED, maker.source())
        maker.add(made, now, card, None, None)
    return made


def _card(summary: str, detail: str, indicator: str, source: dict[str, Any]) -> dict[str, Any]:
    return {
        "uuid": str(uuid.uuid4()),
        "summary": _truncated(printable(summary)),
        "indicator": indicator,
        "detail": detail,
        "source": source,
    }


def _truncated(text: str, limit: int = SUMMARY_LIMIT - 1) -> str:
    """``text`` under ``limit`` + 1 characters: cut on a word, with an ellipsis."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    if " " in cut:
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip(" ,;:.") + "…"


def _md(text: str) -> str:
    """Text from orders and rules shown as itself in Markdown (no link, emphasis or HTML of the data's)."""
    return _MARKDOWN.sub(r"\\\1", printable(text))


def _code(text: str) -> str:
    """Text as a Markdown code span (where escapes would show): no backtick can close it early."""
    return "`" + printable(text).replace("`", "'") + "`"


def _rule(rules: RuleSet, rule_id: str) -> Rule | None:
    return _rules_by_id(rules).get(rule_id)


_rules_by_id = per_rule_set(lambda rules: {rule.id: rule for rule in reversed(rules.rules)})
"""A rule set's rules by id (the first of an id, as a search in order finds it): a card looked its
rule up among all the loaded ones."""


def _order_name(result: OrderResult, resource: Mapping[str, Any] | None) -> str:
    return order_name(resource, result.order_id or result.source)


def order_name(resource: Mapping[str, Any] | None, otherwise: str) -> str:
    """How a card names its order: as the EHR does ("MedicationRequest/MR-1"), else ``otherwise``
    (the order id, or the entry's place in draftOrders)."""
    if (
        resource is not None
        and isinstance(resource.get("id"), str)
        and isinstance(resource.get("resourceType"), str)
    ):
        return f"{resource['resourceType']}/{resource['id']}"
    return otherwise


def _value_text(value: Any) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int | float):
        return format_number(float(value))
    return str(value)
