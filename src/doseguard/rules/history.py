"""History aggregates: the ``history:`` block of a pack file, and the aggregates it declares.

A pack declares each number its rules read from the patient's history (doses given, days since the
last dose, the latest haemoglobin, ...) by name; the name becomes a field of the pack's vocabulary,
computed in Python before the engine (``doseguard.patients.aggregates``) and absent when it has
nothing to say, so that a rule reading it is "not evaluated", never silently passed
(docs/rule-files.md, docs/decisions/patient-context.md). This module is the declaration's model and
the engine-free :class:`Aggregate` it resolves to; it computes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
)

from doseguard.rules.labs import lab_test, test_names
from doseguard.suggestions import closest, did_you_mean
from doseguard.vocabulary import DOSE_FORMS, FieldSpec, FieldType, HistoryKind

AGGREGATE_NAME = r"^[a-z][a-z0-9_]*$"
NO_ORDERED_AT = "no ordered_at"
"""What a not-evaluated message says when the order states no ``ordered_at``: every window is
relative to it, so no aggregate can be computed."""


class Measure(StrEnum):
    """What an aggregate measures: the kind key of its declaration."""

    COUNT = "count"
    DAYS_SINCE_LAST = "days_since_last"
    DAYS_SINCE_FIRST = "days_since_first"
    LONGEST_GAP = "longest_gap"
    LATEST = "latest"
    DAYS_SINCE_LATEST = "days_since_latest"
    CHANGE_SINCE_FIRST_DOSE = "change_since_first_dose"


class DoseStatus(StrEnum):
    """Which administrations an administrations aggregate counts (the MAR's status, or any)."""

    GIVEN = "given"
    MISSED = "missed"
    REFUSED = "refused"
    ANY = "any"


ADMINISTRATIONS = "administrations"
ORDERS = "orders"
_DOSE_MEASURES = (Measure.DAYS_SINCE_LAST, Measure.DAYS_SINCE_FIRST, Measure.LONGEST_GAP)
_LAB_MEASURES = (Measure.LATEST, Measure.DAYS_SINCE_LATEST, Measure.CHANGE_SINCE_FIRST_DOSE)


def _lab_name(value: object) -> object:
    """A lab test as the catalogue names it (an alias or LOINC code is normalised to the name)."""
    if not isinstance(value, str):
        return value  # the type check says what it should be
    test = lab_test(value)
    if test is None:
        meant = closest(value.strip().lower(), test_names())
        raise ValueError(
            f"unknown lab test {value!r}{did_you_mean(meant)} (expected one of: {', '.join(test_names())})"
        )
    return test.name


def _counted(value: object) -> object:
    """``count:`` takes administrations, orders, or a lab test."""
    if isinstance(value, str) and value.strip().lower() in (ADMINISTRATIONS, ORDERS):
        return value.strip().lower()
    if isinstance(value, str) and lab_test(value) is None:
        meant = closest(value.strip().lower(), (ADMINISTRATIONS, ORDERS, *test_names()))
        raise ValueError(
            f"count: takes administrations, orders or a lab test, not {value!r}{did_you_mean(meant)} "
            f"(lab tests: {', '.join(test_names())})"
        )
    return _lab_name(value)


def _dose_form(value: str) -> str:
    form = value.strip().lower()
    if form not in DOSE_FORMS:
        meant = closest(form, DOSE_FORMS)
        raise ValueError(
            f"unknown dose form {value!r}{did_you_mean(meant)} (expected one of: {', '.join(DOSE_FORMS)})"
        )
    return form


# No enum in the schema: aliases and LOINC codes are accepted too ("Hgb", "718-7").
LabName = Annotated[
    str, BeforeValidator(_lab_name), Field(json_schema_extra={"examples": list(test_names())})
]
Counted = Annotated[
    str,
    BeforeValidator(_counted),
    Field(json_schema_extra={"examples": [ADMINISTRATIONS, ORDERS, *test_names()]}),
]


def _administrations(value: object) -> object:
    if isinstance(value, str) and value.strip().lower() != ADMINISTRATIONS:
        raise ValueError(
            f"takes administrations, not {value!r} (a lab test: latest:, days_since_latest:, "
            "change_since_first_dose:, count:; other orders: count: orders)"
        )
    return value.strip().lower() if isinstance(value, str) else value


Administrations = Annotated[
    str, BeforeValidator(_administrations), Field(json_schema_extra={"enum": [ADMINISTRATIONS]})
]
DoseForm = Annotated[str, AfterValidator(_dose_form), Field(json_schema_extra={"enum": list(DOSE_FORMS)})]
Drug = Annotated[str, Field(min_length=1)]


class HistorySpec(BaseModel):
    """One aggregate as ``pack.yaml`` declares it under ``history:``: exactly one kind key (what is
    measured, and of what), and optionally a window and which drugs. Cross-key checks are field
    validators (located at the key, not at the whole declaration), which is why the kind keys come
    first: pydantic validates fields in this order."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    count: Counted | None = Field(
        default=None,
        description="How many: administrations, orders (the patient's other active orders) or results "
        "of a lab test.",
    )
    days_since_last: Administrations | None = Field(
        default=None, description="Days from the last dose to the order."
    )
    days_since_first: Administrations | None = Field(
        default=None, description="Days from the first dose of the current course to the order."
    )
    longest_gap: Administrations | None = Field(
        default=None,
        description="Longest time in days between consecutive given doses (and from the last dose to "
        "the order).",
    )
    latest: LabName | None = Field(
        default=None, description="The latest result of a lab test (in its catalogue unit)."
    )
    days_since_latest: LabName | None = Field(
        default=None, description="Days from the latest result of a lab test to the order."
    )
    change_since_first_dose: LabName | None = Field(
        default=None,
        description="The latest result minus the result at or before the first dose of the current course.",
    )
    status: DoseStatus | None = Field(
        default=None, description="Which administrations: given (default), missed, refused or any."
    )
    within_days: float | None = Field(
        default=None,
        gt=0,
        description="Only history in this many days before ordered_at (default: the current course for "
        "doses, any time before the order for labs).",
    )
    days_after_first_dose: tuple[float, float] | None = Field(
        default=None, description="Only history from..to days after the first dose of the current course."
    )
    drugs: list[Drug] | None = Field(
        default=None, description="Whose doses and orders (default: the pack's drugs)."
    )
    forms: list[DoseForm] | None = Field(
        default=None, description="Only doses and orders of these dose forms (default: any)."
    )
    description: str | None = Field(
        default=None,
        min_length=1,
        description="What the aggregate is for (shown by rules vocabulary and explain).",
    )

    @field_validator("status")
    @classmethod
    def _status_of_doses(cls, value: DoseStatus | None, info: ValidationInfo) -> DoseStatus | None:
        if value is not None and not _reads_administrations(info.data):
            raise ValueError("is for administrations aggregates only (given, missed, refused or any)")
        return value

    @field_validator("days_after_first_dose")
    @classmethod
    def _ordered_window(cls, value: tuple[float, float] | None) -> tuple[float, float] | None:
        if value is not None and value[0] > value[1]:
            raise ValueError(f"from {value[0]:g} is after to {value[1]:g}: write [from, to] with from <= to")
        return value

    @field_validator("forms")
    @classmethod
    def _forms_of_doses(cls, value: list[str] | None, info: ValidationInfo) -> list[str] | None:
        if value is not None and _lab_of(info.data) is not None:
            raise ValueError("is for administrations and orders aggregates, not for lab results")
        return value

    @property
    def measure(self) -> Measure | None:
        """The kind key given (None when there is none, or more than one: :func:`kind_problem`)."""
        given = [measure for measure in Measure if getattr(self, measure.value) is not None]
        return given[0] if len(given) == 1 else None

    @property
    def what(self) -> str | None:
        measure = self.measure
        return None if measure is None else getattr(self, measure.value)


def _reads_administrations(data: dict[str, Any]) -> bool:
    return any(data.get(key) == ADMINISTRATIONS for key in ("count", *(m.value for m in _DOSE_MEASURES)))


def _lab_of(data: dict[str, Any]) -> str | None:
    for key in ("count", *(m.value for m in _LAB_MEASURES)):
        value = data.get(key)
        if isinstance(value, str) and value not in (ADMINISTRATIONS, ORDERS):
            return value
    return None


def kind_problem(spec: HistorySpec) -> str | None:
    """Why the declaration does not name exactly one kind, or None."""
    given = [measure.value for measure in Measure if getattr(spec, measure.value) is not None]
    if len(given) == 1:
        return None
    keys = ", ".join(f"{m.value}:" for m in Measure)
    if not given:
        return f"an aggregate needs one kind key ({keys})"
    return (
        f"an aggregate has one kind key, this one has {len(given)} ({', '.join(given)}); "
        "declare one aggregate each"
    )


@dataclass(frozen=True)
class Aggregate:
    """A history aggregate as loaded: what a rule reads, and what the patients package computes.

    ``kind`` is the kind of patient data it needs (its field's ``needs``); ``measure`` what it is,
    ``what`` of what (``administrations``, ``orders`` or a lab test's catalogue name). ``drugs`` is
    resolved (the pack's drug names by default; empty for a pack that names none: every drug)."""

    name: str
    kind: HistoryKind
    measure: Measure
    what: str
    status: DoseStatus | None  # administrations aggregates only (given when not stated)
    within_days: float | None
    days_after_first_dose: tuple[float, float] | None
    drugs: tuple[str, ...]
    forms: tuple[str, ...]  # empty: any form
    pack: str
    description: str | None
    unit: str | None
    label: str
    course_gap_days: float = 90.0  # the pack's: a longer gap between given doses starts a new course

    @property
    def lab(self) -> str | None:
        """The lab test's catalogue name, for lab aggregates."""
        return self.what if self.kind is HistoryKind.LABS else None

    @property
    def needs(self) -> HistoryKind:
        return self.kind

    @property
    def window(self) -> str:
        """The window in words: "in the 30 days before the order", "5 to 10 days after the first dose"."""
        if self.days_after_first_dose is not None:
            start, end = self.days_after_first_dose
            span = f"{start:g} to {end:g}" if start != end else f"{start:g}"
            text = f"{span} days after the first dose of {self._drug_words} of the current course"
            return text + (f", in the {self.within_days:g} days before the order" if self.within_days else "")
        if self.within_days is not None:
            return f"in the {self.within_days:g} days before the order"
        if self.kind is HistoryKind.ADMINISTRATIONS and self.measure is not Measure.LONGEST_GAP:
            return "in the current course"
        return "before the order"

    @property
    def _drug_words(self) -> str:
        if not self.drugs:
            return "any drug"
        return " or ".join(self.drugs) if len(self.drugs) <= 3 else f"{', '.join(self.drugs[:3])}, ..."

    @property
    def _doses(self) -> str:
        status = self.status or DoseStatus.GIVEN
        adjective = "" if status is DoseStatus.ANY else f"{status.value} "
        forms = f" ({', '.join(self.forms)})" if self.forms else ""
        return f"{adjective}doses of {self._drug_words}{forms}"

    @property
    def absent_phrase(self) -> str:
        """What a not-evaluated message says when the aggregate is absent ("no haemoglobin result in
        the 30 days before the order")."""
        if self.kind is HistoryKind.LABS:
            test = lab_test(self.what)
            label = test.label if test else self.what
            if self.measure is Measure.CHANGE_SINCE_FIRST_DOSE:
                since = f" {self.window}" if self.window != "before the order" else " since"
                return (
                    f"no {label} result at or before the first dose of {self._drug_words} of the current "
                    f"course, or none{since}"
                )
            if self.measure is Measure.COUNT:
                return "no lab results recorded for the patient"
            return f"no {label} result {self.window}"
        if self.kind is HistoryKind.ORDERS:
            return "no other orders recorded for the patient"
        if self.measure is Measure.COUNT:
            return "no administrations recorded for the patient"
        status = self.status or DoseStatus.GIVEN
        adjective = "" if status in (DoseStatus.GIVEN, DoseStatus.ANY) else f"{status.value} "
        forms = f" ({', '.join(self.forms)})" if self.forms else ""
        return f"no {adjective}administration of {self._drug_words}{forms} recorded {self.window}"

    @property
    def definition(self) -> str:
        """The declaration in words, as ``rules vocabulary`` and ``rules explain`` show it."""
        window = self.window
        if self.kind is HistoryKind.LABS:
            test = lab_test(self.what)
            label = test.label if test else self.what
            unit = f" ({test.unit})" if test and test.unit else ""
            text = {
                Measure.COUNT: f"Number of {label} results {window}",
                Measure.LATEST: f"The latest {label}{unit} {window}",
                Measure.DAYS_SINCE_LATEST: f"Days from the latest {label} result {window} to the order",
                Measure.CHANGE_SINCE_FIRST_DOSE: (
                    f"The latest {label}{unit} {window} minus the {label} at or before the first dose of "
                    f"{self._drug_words} of the current course"
                ),
            }[self.measure]
        elif self.kind is HistoryKind.ORDERS:
            forms = f" ({', '.join(self.forms)})" if self.forms else ""
            text = f"Number of the patient's other active orders of {self._drug_words}{forms} {window}"
        else:
            text = {
                Measure.COUNT: f"Number of {self._doses} {window}",
                Measure.DAYS_SINCE_LAST: f"Days from the last of the {self._doses} {window} to the order",
                Measure.DAYS_SINCE_FIRST: f"Days from the first of the {self._doses} {window} to the order",
                Measure.LONGEST_GAP: (
                    f"Longest time in days between consecutive {self._doses} of the current course, "
                    "and from the last to the order"
                ),
            }[self.measure]
        return f"{text} (pack {self.pack})."

    @property
    def field_spec(self) -> FieldSpec:
        """The field rules read it as: a number, needing its kind of patient data."""
        description = self.definition if self.description is None else f"{self.description} {self.definition}"
        return FieldSpec(
            self.name,
            FieldType.NUMBER,
            self.label,
            description,
            unit=self.unit,
            may_be_zero=True,  # no dose in the window, a result on the day of the order, no change
            needs=self.kind,
        )

    def same_declaration(self, other: Aggregate) -> bool:
        """Whether two packs declare the same aggregate (what it is; not which pack, nor its words)."""
        return _key(self) == _key(other)


def _key(aggregate: Aggregate) -> tuple[Any, ...]:
    return (
        aggregate.measure, aggregate.what, aggregate.status, aggregate.within_days,
        aggregate.days_after_first_dose, aggregate.drugs, aggregate.forms, aggregate.course_gap_days,
    )  # fmt: skip


def resolve(
    name: str, spec: HistorySpec, pack: str, pack_drugs: Sequence[str], course_gap_days: float = 90.0
) -> Aggregate:
    """The aggregate a valid declaration (:func:`kind_problem` is None) declares in a pack whose
    drugs are ``pack_drugs`` (their names)."""
    measure, what = spec.measure, spec.what
    assert measure is not None and what is not None, "resolve() takes a declaration with one kind key"
    kind = (
        HistoryKind.ADMINISTRATIONS if what == ADMINISTRATIONS
        else HistoryKind.ORDERS if what == ORDERS
        else HistoryKind.LABS
    )  # fmt: skip
    status = (spec.status or DoseStatus.GIVEN) if kind is HistoryKind.ADMINISTRATIONS else None
    drugs = spec.drugs if spec.drugs is not None else pack_drugs
    test = lab_test(what) if kind is HistoryKind.LABS else None
    if measure is Measure.COUNT:
        unit: str | None = "count"
    elif measure in (Measure.LATEST, Measure.CHANGE_SINCE_FIRST_DOSE):
        unit = (test.unit or None) if test else None
    else:
        unit = "days"
    label = _label(measure, kind, test.label if test else what, status)
    return Aggregate(
        name=name,
        kind=kind,
        measure=measure,
        what=what,
        status=status,
        within_days=spec.within_days,
        days_after_first_dose=spec.days_after_first_dose,
        drugs=tuple(dict.fromkeys(drug.strip().lower() for drug in drugs)),
        forms=tuple(dict.fromkeys(spec.forms or ())),
        pack=pack,
        description=spec.description.strip() if spec.description else None,
        unit=unit,
        label=label,
        course_gap_days=float(course_gap_days),
    )


def _label(measure: Measure, kind: HistoryKind, what: str, status: DoseStatus | None) -> str:
    """How a message names the aggregate ("doses given", "latest haemoglobin")."""
    if kind is HistoryKind.LABS:
        return {
            Measure.COUNT: f"{what} results",
            Measure.LATEST: f"latest {what}",
            Measure.DAYS_SINCE_LATEST: f"days since the latest {what}",
            Measure.CHANGE_SINCE_FIRST_DOSE: f"change in {what} since the first dose",
        }[measure]
    if kind is HistoryKind.ORDERS:
        return "other active orders"
    doses = "doses" if status in (None, DoseStatus.ANY) else f"{status.value} doses"
    return {
        Measure.COUNT: doses if status is DoseStatus.ANY else f"doses {status.value if status else 'given'}",
        Measure.DAYS_SINCE_LAST: f"days since the last of the {doses}",
        Measure.DAYS_SINCE_FIRST: f"days since the first of the {doses}",
        Measure.LONGEST_GAP: "longest gap between doses",
    }[measure]


def not_evaluated_message(phrases: Iterable[str]) -> str:
    """The generated message of a not-evaluated finding, from what is absent (each phrase once):
    "Not evaluated: no haemoglobin result in the 30 days before the order." """
    said = list(dict.fromkeys(phrases))
    return "Not evaluated: " + ("; ".join(said) if said else "data the rule needs is absent") + "."
