"""A rule's ``override_reasons:``: the reasons a clinician may pick when overriding its card.

They become the card's CDS Hooks ``overrideReasons`` (Codings, ``display`` required: the model says
so), and feedback reports override rates per reason by their code, so a code names one reason of a
rule: a repeated code is refused where it is written again. A reason that names no ``system`` takes
its pack's ``override_reason_system:``, so that every Coding the service sends has one.
"""

from __future__ import annotations

from doseguard.errors import ProblemKind, RuleProblem, SourceLocation
from doseguard.rules.model import RuleSpec
from doseguard.rules.yaml_source import PathKey, YamlDocument


def reason_code_problems(document: YamlDocument, where: PathKey, rule_id: str | None) -> list[RuleProblem]:
    """A problem at each code that repeats an earlier one of the list at ``where`` (a list of
    mappings; anything else is the schema's to report)."""
    value: object = document.data
    for key in where:
        in_list = isinstance(value, list) and isinstance(key, int) and 0 <= key < len(value)
        if not (in_list or (isinstance(value, dict) and key in value)):
            return []
        value = value[key]  # type: ignore[index]
    if not isinstance(value, list):
        return []
    seen: dict[str, SourceLocation] = {}
    problems: list[RuleProblem] = []
    for index, reason in enumerate(value):
        code = reason.get("code") if isinstance(reason, dict) else None
        if not isinstance(code, str) or not code.strip():
            continue
        at = document.locate((*where, index, "code"))
        first = seen.setdefault(code.strip(), at)
        if first is not at:
            repeated = code.strip()
            message = (
                f"duplicate override reason code {repeated!r} (first at {first}): a code names one reason"
            )
            problems.append(RuleProblem(at, message, kind=ProblemKind.DUPLICATE_ID, rule_id=rule_id))
    return problems


def with_reason_system(spec: RuleSpec, system: str) -> RuleSpec:
    """``spec`` with ``system`` given to each of its override reasons that names none."""
    if all(reason.system for reason in spec.override_reasons):
        return spec
    reasons = [
        reason if reason.system else reason.model_copy(update={"system": system})
        for reason in spec.override_reasons
    ]
    return spec.model_copy(update={"override_reasons": reasons})
