"""A site's overrides file: change a rule's severity or parameters without editing its pack.

Commercial dose-range checking lets each hospital edit its ranges; here a site keeps its changes in one
YAML file, beside the packs it did not write, so a new pack version does not erase them::

    site: St Elsewhere pharmacy
    overrides:
      - rule: B12-SITE-VOLUME
        reason: Trust IM policy 2026-04 caps the deltoid at 1 mL
        parameters:
          site_max_volume_ml: {deltoid: 1}
      - rule: B12-DOSE-HIGH
        reason: Haematology asked for this to stop the order
        severity: critical
      - rule: B12-DOSE-VOLUME-MISMATCH
        reason: Pharmacy committee wording
        override_reasons:
          - {code: pharmacist-checked, display: Pharmacist checked the volume}

A table parameter is changed entry by entry (``site_max_volume_ml: {deltoid: 1}`` keeps the pack's
other sites). ``override_reasons`` replace the pack's list (a reason naming no ``system`` takes the
pack's). A rule's ``fix`` cannot be overridden: it is what the service writes into the order, and
belongs to the reviewed pack with the scenarios that prove it.

Every override needs a ``reason`` (an audit asks why a rule differs from its pack). The
file is checked like a rule file, every problem with its ``file:line:col``: unknown keys, an unknown
rule or parameter ("did you mean"), a value of another kind than the pack's, the same rule twice. An
override's values then go through the same type check and compilation as the pack's own.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator, model_validator

from doseguard.errors import ProblemKind, RuleProblem, SourceLocation
from doseguard.rules.model import (
    Notice,
    Override,
    OverrideReasonSpec,
    ParameterName,
    RuleSpec,
    Severity,
    Text,
)
from doseguard.rules.override_reasons import reason_code_problems
from doseguard.rules.typecheck import ParameterValue, type_of_value
from doseguard.rules.yaml_source import PathKey, YamlDocument
from doseguard.suggestions import closest, did_you_mean

RuleRef = Annotated[str, StringConstraints(min_length=1, strip_whitespace=True)]


class OverrideSpec(BaseModel):
    """One entry of ``overrides:``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    rule: RuleRef
    reason: Text
    severity: Severity | None = None
    parameters: dict[ParameterName, Any] = Field(default_factory=dict)
    override_reasons: list[OverrideReasonSpec] | None = Field(
        default=None, description="The site's reasons, in place of the pack's."
    )
    fix: Any = Field(default=None, description="Refused: a rule's fix belongs to its pack.")

    @field_validator("fix")
    @classmethod
    def _no_fix(cls, value: Any) -> Any:
        if value is not None:
            raise ValueError(
                "a site cannot change a rule's fix (the correction the service writes into the order "
                "belongs to the pack, proven by its scenarios); change the pack"
            )
        return value

    @model_validator(mode="after")
    def _changes_something(self) -> OverrideSpec:
        if self.severity is None and not self.parameters and self.override_reasons is None:
            raise ValueError(
                "an override changes the severity, parameters, override_reasons, or some of them"
            )
        return self


class OverridesFileSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    site: Text | None = None
    overrides: list[Any] = Field(min_length=1)


@dataclass
class SiteOverrides:
    """The checked entries of one overrides file, by rule id."""

    document: YamlDocument | None = None
    entries: dict[str, tuple[OverrideSpec, PathKey]] = field(default_factory=dict)

    def apply(
        self,
        spec: RuleSpec,
        parameters: dict[str, ParameterValue],
        convert: Any,
    ) -> tuple[RuleSpec, dict[str, ParameterValue], tuple[Override, ...], list[RuleProblem]]:
        """The rule as the site wants it: ``spec`` with the site's severity and parameter values,
        the parameters in force, what changed, and the problems (unknown parameter, wrong kind).
        ``convert`` turns a YAML value into a parameter value (the loader's own conversion)."""
        found = self.entries.get(spec.id)
        if found is None or self.document is None:
            return spec, parameters, (), []
        entry, where = found
        document = self.document
        changes: list[Override] = []
        problems: list[RuleProblem] = []
        if entry.severity is not None and entry.severity != spec.severity:
            location = document.locate((*where, "severity"))
            changes.append(Override("severity", spec.severity, entry.severity, location, entry.reason))
        merged = dict(parameters)
        for name, written in entry.parameters.items():
            spot = (*where, "parameters", name)
            if name not in parameters:
                known = ", ".join(sorted(parameters)) or "none"
                meant = closest(name, parameters, any_case=True)
                message = (
                    f"{spec.id} has no parameter {name!r} (its parameters: {known}){did_you_mean(meant)}"
                )
                problems.append(
                    _problem(document.locate(spot, at_key=True), message, spec.id, suggestion=meant)
                )
                continue
            pack_value = parameters[name]
            raw = written
            if isinstance(pack_value, dict) and isinstance(written, dict):
                # A table is changed entry by entry: the site names only the entries it changes.
                strays = [key for key in written if key not in pack_value]
                for key in strays:
                    meant = closest(str(key), pack_value, any_case=True)
                    message = f"{name} has no entry {key!r}{did_you_mean(meant)}"
                    location = document.locate((*spot, key), at_key=True)
                    problems.append(_problem(location, message, spec.id, suggestion=meant))
                if strays:
                    continue
                raw = {**spec.parameters[name], **written}
            value = convert(raw)
            if value is None or type_of_value(value) != type_of_value(pack_value):
                message = (
                    f"{name} must be a {type_of_value(parameters[name])} like the pack's value "
                    f"{spec.parameters[name]!r} (got {raw!r})"
                )
                problems.append(_problem(document.locate(spot), message, spec.id))
                continue
            merged[name] = value
            location = document.locate(spot)
            changes.append(Override(name, spec.parameters[name], raw, location, entry.reason))
        if problems:
            return spec, parameters, (), problems
        raw_parameters = {
            **spec.parameters,
            **{change.key: change.site_value for change in changes if change.key in parameters},
        }
        update: dict[str, Any] = {"severity": entry.severity or spec.severity, "parameters": raw_parameters}
        if entry.override_reasons is not None:
            location = document.locate((*where, "override_reasons"))
            changes.append(Override("override_reasons", spec.override_reasons, entry.override_reasons,
                                    location, entry.reason))  # fmt: skip
            update["override_reasons"] = entry.override_reasons
        return spec.model_copy(update=update), merged, tuple(changes), []

    def apply_notice(self, notice: Notice) -> tuple[Notice, list[RuleProblem]]:
        """The built-in notice as the site wants it (its severity), and the problems: a notice has no
        parameters to change."""
        found = self.entries.get(notice.id)
        if found is None or self.document is None:
            return notice, []
        entry, where = found
        problems = [
            _problem(
                self.document.locate((*where, "parameters", name), at_key=True),
                f"{notice.id} has no parameter {name!r} (a built-in notice has none: only its severity "
                "can be changed)",
                notice.id,
            )
            for name in entry.parameters
        ]
        if problems or entry.severity is None or entry.severity == notice.severity:
            return notice, problems
        location = self.document.locate((*where, "severity"))
        change = Override("severity", notice.severity, entry.severity, location, entry.reason)
        return replace(notice, severity=entry.severity, overrides=(change,)), []

    def unused(self, known_ids: set[str], unread: Sequence[str] = ()) -> list[RuleProblem]:
        """Overrides of rules no pack has (``known_ids``: every id written in a rule file, valid or
        not): a misspelt id must not silently change nothing. ``unread``: rule files whose ids are not
        known (they could not be read or parsed), where the id may be."""
        if self.document is None:
            return []
        problems = []
        if len(unread) == 1:
            maybe = f" (unless it is in {unread[0]}, which could not be read: fix that first)"
        elif unread:
            maybe = (
                f" (unless it is in one of the {len(unread)} rule files that could not be read: "
                "fix those first)"
            )
        else:
            maybe = ""
        for rule_id, (_, where) in self.entries.items():
            if rule_id not in known_ids:
                location = self.document.locate((*where, "rule"))
                meant = closest(rule_id, known_ids, any_case=True)
                message = f"no loaded rule has the id {rule_id!r}{did_you_mean(meant) or maybe}"
                problems.append(
                    _problem(location, message, rule_id, kind=ProblemKind.UNKNOWN_RULE, suggestion=meant)
                )
        return problems


def read_overrides(document: YamlDocument, validate: Any) -> tuple[SiteOverrides, list[RuleProblem]]:
    """The entries of an overrides file and the problems beyond its schema; ``validate(model, data,
    document, where)`` is the loader's located pydantic validation (it records the schema problems
    and returns None on failure)."""
    overrides = SiteOverrides(document)
    problems: list[RuleProblem] = []
    if validate(OverridesFileSpec, document.data, document, ()) is None:
        return overrides, problems
    for index, raw in enumerate(document.data["overrides"]):
        where: PathKey = ("overrides", index)
        rule_id = raw.get("rule") if isinstance(raw, dict) and isinstance(raw.get("rule"), str) else None
        problems.extend(reason_code_problems(document, (*where, "override_reasons"), rule_id))
        entry = validate(OverrideSpec, raw, document, where)
        if entry is None or document.has_refused(where):
            continue  # a refused YAML value (an alias, a tag) is reported already, and changes nothing
        if entry.rule in overrides.entries:
            first = document.locate((*overrides.entries[entry.rule][1], "rule"))
            location = document.locate((*where, "rule"))
            message = f"{entry.rule} is overridden twice (first at {first}): merge the two entries"
            problems.append(_problem(location, message, entry.rule, kind=ProblemKind.DUPLICATE_OVERRIDE))
            continue
        overrides.entries[entry.rule] = (entry, where)
    return overrides, problems


def _problem(
    location: SourceLocation,
    message: str,
    rule_id: str,
    kind: ProblemKind = ProblemKind.OVERRIDE,
    suggestion: str | None = None,
) -> RuleProblem:
    return RuleProblem(location, message, kind=kind, rule_id=rule_id, suggestion=suggestion)
