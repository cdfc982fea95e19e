"""The rule model: what a rule file may say (validated by pydantic) and what a loaded rule is."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints

from doseguard.errors import RuleProblem, SourceLocation
from doseguard.rules.expressions import Expr
from doseguard.rules.history import Aggregate, DoseForm, HistorySpec
from doseguard.vocabulary import VOCABULARY, FieldSpec, ndc_keys

RuleId = Annotated[str, StringConstraints(pattern=r"^[A-Z][A-Z0-9]*(-[A-Z0-9]+)*$")]
ParameterName = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$")]
Text = Annotated[str, StringConstraints(min_length=1, strip_whitespace=True)]


class Severity(StrEnum):
    INFO = "info"
    WARNING = "warning"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        return _RANK[self]


_RANK = {Severity.INFO: 1, Severity.WARNING: 2, Severity.CRITICAL: 3}


class RuleStatus(StrEnum):
    EXPERIMENTAL = "experimental"
    TEST = "test"
    STABLE = "stable"
    DEPRECATED = "deprecated"


def _plain(text: str) -> str:
    if "{" in text or "}" in text:
        raise ValueError("a not-evaluated message is plain text: the fields it could name are absent")
    return text


class UnevaluatedSpec(BaseModel):
    """A rule's ``unevaluated:``: its not-evaluated finding's severity and message."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    severity: Severity | None = Field(default=None, description="Default: the pack's unevaluated_severity.")
    message: Annotated[Text, AfterValidator(_plain)] | None = Field(
        default=None, description="Plain text; default: 'Not evaluated: ' and what is absent."
    )


DEFAULT_OVERRIDE_REASON_SYSTEM = "https://doseguard.example/fhir/CodeSystem/override-reason"
"""The code system of override reasons whose pack names none (an identifier, not a page to fetch)."""


class OverrideReasonSpec(BaseModel):
    """A reason a clinician may give for overriding the rule's card (CDS Hooks ``overrideReasons``:
    a Coding, ``display`` required)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    code: Text
    display: Text
    system: Text | None = Field(default=None, description="Default: the pack's code system URL.")


class RuleSpec(BaseModel):
    """One rule as written in YAML. Unknown keys are errors (a misspelt key must not be ignored)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: RuleId
    title: Text
    severity: Severity
    status: RuleStatus = RuleStatus.EXPERIMENTAL
    version: int = Field(default=1, ge=1)
    description: Text
    references: list[Text] = Field(min_length=1)
    tags: list[Text] = Field(default_factory=list)
    # Values are checked by the loader, which can say what a parameter may be in one message.
    parameters: dict[ParameterName, Any] = Field(default_factory=dict)
    when: str | list[Any] | dict[str, Any]
    message: Text
    override_reasons: list[OverrideReasonSpec] = Field(
        default_factory=list,
        description="Reasons a clinician may pick when overriding this rule's card in the EHR.",
    )
    fix: dict[str, str] = Field(
        default_factory=dict,
        description="Where the rule can compute the correction: the order field to set and the "
        "expression of its value (e.g. volume_ml: dose_mcg / concentration_mcg_per_ml), offered as a "
        "suggestion on the service's card.",
    )
    fix_when: str | None = Field(
        default=None,
        description="An expression: the fix is offered only when it holds too (the dose in its usual "
        "range, so that it is the volume that is wrong).",
    )
    unevaluated: UnevaluatedSpec | None = Field(
        default=None,
        description="What the rule says when it cannot be decided because patient data or a history "
        "aggregate it reads is absent (default: the pack's unevaluated_severity, and a message saying "
        "what is absent).",
    )


def _rxcui(value: object) -> object:
    """An RxCUI written as a YAML number (``309594``) is the same code as ``"309594"``."""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, str) and not (value.strip().isascii() and value.strip().isdigit()):
        raise ValueError(f"{value!r} is not an RxNorm code (an RxCUI is digits, e.g. '309594')")
    return value.strip() if isinstance(value, str) else value


def _ndc(value: object) -> object:
    """An NDC as text, in one of its unambiguous forms: hyphenated (4-4-2, 5-3-2, 5-4-1, 5-4-2, or
    the product alone: 4-4, 5-3, 5-4) or 11 digits."""
    if not isinstance(value, str):
        raise ValueError(f"write an NDC as quoted text ('0517-0031-25'), not {type(value).__name__}: "
                         "a number loses its leading zeros")  # fmt: skip
    keys = ndc_keys(value)
    if len(keys) != 1:
        problem = "is 10 digits without hyphens, which can be 3 NDCs" if len(keys) > 1 else "is not an NDC"
        raise ValueError(
            f"{value!r} {problem}: write it hyphenated ('0517-0031-25', '63323-044') or as 11 digits"
        )
    return value.strip()


RxCui = Annotated[str, BeforeValidator(_rxcui), Field(pattern=r"^\d{1,8}$")]
Ndc = Annotated[str, BeforeValidator(_ndc)]


class DrugCodes(BaseModel):
    """Codes that identify the drug whatever its name says: RxNorm concepts (RxCUIs) and NDCs."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    rxnorm: list[RxCui] = Field(default_factory=list, description="RxCUIs, e.g. '309594'.")
    ndc: list[Ndc] = Field(
        default_factory=list,
        description="NDCs, quoted: a package ('0517-0031-25', 4-4-2, 5-3-2, 5-4-1 or 11 digits) or a "
        "product, every package of it ('0517-0031').",
    )


class DrugSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: Text
    synonyms: list[Text] = Field(default_factory=list)
    forms: list[DoseForm] = Field(
        default_factory=list,
        description="The dose forms the pack's rules are about (none listed: every form); a product "
        "name of another form ('cyanocobalamin 1000 mcg tablet') is not covered.",
    )
    codes: DrugCodes = Field(
        default_factory=DrugCodes, description="Codes that identify the drug, whatever its name says."
    )


class PackSpec(BaseModel):
    """``pack.yaml``: a pack's name and the drugs its rules apply to (none: every order)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_-]*$")]
    title: Text
    description: str = ""
    drugs: list[DrugSpec] = Field(default_factory=list)
    # Correct orders that scenarios start from ("Given a standard <name> order"): field -> value.
    standard_orders: dict[Text, dict[Text, str]] = Field(default_factory=dict)
    history: dict[str, HistorySpec] = Field(
        default_factory=dict,
        description="History aggregates the pack's rules read as fields: name -> declaration "
        "(docs/rule-files.md).",
    )
    course_gap_days: float = Field(
        default=90,
        gt=0,
        description="The current course: the given doses of the pack's drugs with no gap longer than "
        "this before the order.",
    )
    unevaluated_severity: Severity = Field(
        default=Severity.INFO,
        description="Severity of a not-evaluated finding of the pack's rules, unless a rule's "
        "unevaluated: says otherwise.",
    )
    override_reason_system: Text = Field(
        default=DEFAULT_OVERRIDE_REASON_SYSTEM,
        description="The code system (a URI) of the pack's override reasons that name none.",
    )


class RuleFileSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    rules: list[Any] = Field(min_length=1)


@dataclass(frozen=True)
class Override:
    """One change a site's overrides file made to a rule (its severity or a parameter), kept so that
    ``rules explain`` and an audit can tell the pack's value from the site's."""

    key: str  # "severity", or the parameter's name
    pack_value: Any
    site_value: Any
    source: SourceLocation
    reason: str


@dataclass(frozen=True)
class ConditionSource:
    """Where a rule's condition was written: its ``when:`` value, and the file location of every
    position (``pos``) in its expression tree, so that a later stage (the engine's compiler) can point
    at the part it cannot take without the YAML document."""

    when: SourceLocation
    positions: Mapping[int, SourceLocation]

    def locate(self, position: int) -> SourceLocation:
        return self.positions.get(position, self.when)


@dataclass(frozen=True)
class Rule:
    """A loaded rule: validated and type-checked, with where it came from (engine-free: the engine
    compiles ``condition`` itself, and locates its problems through ``condition_source``).

    ``spec`` holds the values in force: a site override has already replaced the pack's value there,
    and ``overrides`` says what it replaced."""

    spec: RuleSpec
    pack: str
    source: SourceLocation
    condition: Expr
    message: MessageTemplate
    fields_read: frozenset[str]
    condition_source: ConditionSource
    overrides: tuple[Override, ...] = ()
    warnings: tuple[RuleProblem, ...] = ()  # what ``rules validate`` warns about (a divisor that can be 0)
    # The not-evaluated finding's severity and message (None: the checker says what is absent, from
    # the absent fields' Aggregate.absent_phrase).
    unevaluated_severity: Severity = Severity.INFO
    unevaluated_message: str | None = None
    fixes: tuple[Fix, ...] = ()  # its ``fix:``, resolved (rules/fixes.py); the checker computes them
    fix_when: Expr | None = None  # its ``fix_when:``, resolved: the fix is offered only when it holds

    @property
    def id(self) -> str:
        return self.spec.id

    @property
    def severity(self) -> Severity:
        return self.spec.severity

    @property
    def title(self) -> str:
        return self.spec.title


@dataclass(frozen=True)
class Notice:
    """A notice doseguard itself gives, listed, silenced and overridden like a rule but decided in
    Python, because no rule can say it: which drugs the loaded packs cover is known to no single pack."""

    id: str
    severity: Severity
    title: str
    description: str
    references: tuple[str, ...]
    status: RuleStatus = RuleStatus.STABLE
    pack: str = "doseguard"
    overrides: tuple[Override, ...] = ()


NOT_COVERED = "DOSEGUARD-DRUG-NOT-COVERED"
NOT_COVERED_NOTICE = Notice(
    NOT_COVERED,
    Severity.INFO,
    "Drug not covered by any rule pack",
    "An order for a drug no loaded rule pack covers is not checked: its status is not_covered, never "
    "pass and never invalid, and its fields other than its ids and drug are not read (an insulin order "
    "in units, SC, before meals is not held to the vocabulary of the covered drugs). This notice says "
    "so on the order's result. It is information by default: a whole-hospital export holds many such "
    "orders, none of them wrong, and a warning on each would bury the findings that matter (alert "
    "fatigue). Silencing it (--ignore) removes the notice, not the status. Whether not-covered orders "
    "decide the exit status is check's --fail-on-not-covered, not this severity.",
    (
        "docs/outputs.md: statuses (not_covered, inactive)",
        "van der Sijs H, Aarts J, Vulto A, Berg M. Overriding of drug safety alerts in computerized "
        "physician order entry. J Am Med Inform Assoc. 2006;13(2):138-147 (alerts overridden in 49-96% "
        "of cases: alerts that need no action teach users to override all of them)",
    ),
)
"""The built-in notices: ``rules list`` lists them after the packs' rules."""
NOTICES = (NOT_COVERED_NOTICE,)


@dataclass(frozen=True)
class Pack:
    spec: PackSpec
    directory: str
    drugs: dict[str, str] = field(default_factory=dict)  # every accepted spelling -> the drug's name
    aggregates: Mapping[str, Aggregate] = field(default_factory=dict)  # its history: block, resolved

    @property
    def course_gap_days(self) -> float:
        return self.spec.course_gap_days

    @property
    def vocabulary(self) -> Mapping[str, FieldSpec]:
        """The fields the pack's rules may read: the order's and patient's, and its aggregates."""
        return with_aggregates(self.aggregates.values())


@dataclass(frozen=True)
class RuleSet:
    """Everything the checker needs: the rules, the packs, and a version that identifies them."""

    rules: tuple[Rule, ...]
    packs: tuple[Pack, ...]
    version: str
    notices: tuple[Notice, ...] = NOTICES  # the built-in notices in force (less those --ignore silences)

    @property
    def aggregates(self) -> Mapping[str, Aggregate]:
        """Every loaded pack's history aggregates by name (two packs declaring one name declare the
        same aggregate: the loader refuses a different one); the first pack's in load order."""
        found: dict[str, Aggregate] = {}
        for pack in self.packs:
            for name, aggregate in pack.aggregates.items():
                found.setdefault(name, aggregate)
        return found

    @property
    def vocabulary(self) -> Mapping[str, FieldSpec]:
        """The fields some loaded rule may read: the vocabulary and every pack's aggregates."""
        return with_aggregates(self.aggregates.values())

    def rule(self, rule_id: str) -> Rule:
        return next(r for r in self.rules if r.id == rule_id)

    def notice(self, notice_id: str) -> Notice | None:
        """The built-in notice in force, or None when it is silenced."""
        return next((n for n in self.notices if n.id == notice_id), None)

    @property
    def drug_names(self) -> dict[str, str]:
        names: dict[str, str] = {}
        for pack in self.packs:
            names.update(pack.drugs)
        return names

    def drugs_reading(self, field: str) -> frozenset[str]:
        """The drugs some rule reads ``field`` for (a pack's rules are about its drugs); a pack that
        names no drug applies to every order and says nothing about any one drug."""
        drugs = {pack.spec.name: frozenset(pack.drugs.values()) for pack in self.packs}
        return frozenset().union(*(drugs.get(r.pack, ()) for r in self.rules if field in r.fields_read))

    @property
    def drugs(self) -> tuple[DrugSpec, ...]:
        """Every pack's drugs, in load order (a later pack's spelling wins, as in drug_names)."""
        return tuple(drug for pack in self.packs for drug in pack.spec.drugs)

    @property
    def covered_drugs(self) -> frozenset[str]:
        """Drugs some pack is about; an order for any other drug is reported as not covered."""
        return frozenset(name for pack in self.packs for name in pack.drugs.values())


def with_aggregates(aggregates: Iterable[Aggregate]) -> Mapping[str, FieldSpec]:
    """The fact vocabulary with these aggregates' fields after the order's own."""
    vocabulary = dict(VOCABULARY)
    vocabulary.update((aggregate.name, aggregate.field_spec) for aggregate in aggregates)
    return vocabulary


from doseguard.rules.fixes import Fix  # noqa: E402  (a cycle for annotations only)
from doseguard.rules.messages import MessageTemplate  # noqa: E402  (a cycle for annotations only)
