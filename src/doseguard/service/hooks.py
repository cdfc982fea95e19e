"""A CDS Hooks request: its shape (pydantic, every mistake named by its field), and its draft orders
with the prefetched patient read by the existing FHIR reader into the records the checker takes.

The draft orders and the prefetch resources become one Bundle, read exactly as ``doseguard check``
reads a Bundle (:func:`~doseguard.io.fhir.bundle.bundle_items`, ``bundle_context``,
``attach_context``): the orders not selected at order-select are context (duplicate therapy), not
checked."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from doseguard.errors import FhirMappingError, FieldProblem, HistoryProblem, RequestShapeError
from doseguard.io.fhir.bundle import bundle_items
from doseguard.io.fhir.bundle_context import (
    BundleContext,
    attach_context,
    bundle_context,
    read_as_other_order,
)
from doseguard.io.fhir.patient_resources import ResourceReader
from doseguard.io.json_records import object_record
from doseguard.io.json_text import Unreadable, problems_in
from doseguard.patients.model import HistoryKind
from doseguard.records import InputRecord, record_ids
from doseguard.rules.model import RuleSet
from doseguard.service.rulebook import per_rule_set

ORDER_SELECT = "order-select"
ORDER_SIGN = "order-sign"
DRAFT_ORDERS = "draftOrders"
OTHER_ORDER_TYPES = frozenset(
    {
        "ServiceRequest", "NutritionOrder", "VisionPrescription", "DeviceRequest", "SupplyRequest",
        "CommunicationRequest", "ReferralRequest", "ProcedureRequest", "DiagnosticOrder",
        "DeviceUseRequest", "ImmunizationRecommendation",
    }
)  # fmt: skip
"""Draft orders that are no medication (labs, diets, referrals): not for the rules, and no card. Every
other entry is checked or said not checked (a DSTU2 MedicationOrder, a misspelt type)."""


class FhirAuthorization(BaseModel):
    """The OAuth 2.0 access token the service may use on ``fhirServer``."""

    model_config = ConfigDict(extra="allow")

    access_token: str = Field(min_length=1)
    token_type: Literal["Bearer"]
    expires_in: int = Field(ge=0)
    scope: str
    subject: str
    patient: str | None = None


class HookContext(BaseModel):
    """``context`` of order-select and order-sign (other context fields are allowed and not read)."""

    model_config = ConfigDict(extra="allow")

    userId: str = Field(min_length=1)
    patientId: str = Field(min_length=1)
    encounterId: str | None = None
    selections: list[str] | None = None
    draftOrders: dict[str, Any] = Field(
        json_schema_extra={"properties": {"resourceType": {"const": "Bundle"}}, "required": ["resourceType"]}
    )

    @field_validator("draftOrders")
    @classmethod
    def _a_bundle(cls, value: dict[str, Any]) -> dict[str, Any]:
        if value.get("resourceType") != "Bundle":
            raise ValueError(f"must be a FHIR Bundle, got resourceType {value.get('resourceType')!r}")
        return value


class HookRequest(BaseModel):
    """A CDS Hooks 2.0 request to order-select or order-sign."""

    model_config = ConfigDict(extra="forbid")

    hook: str = Field(min_length=1, json_schema_extra={"enum": [ORDER_SELECT, ORDER_SIGN]})
    hookInstance: str = Field(min_length=1)
    fhirServer: str | None = None
    fhirAuthorization: FhirAuthorization | None = None
    context: HookContext
    prefetch: dict[str, Any] | None = None
    extension: dict[str, Any] | None = None

    @model_validator(mode="after")
    def _server_with_token(self) -> HookRequest:
        if self.fhirAuthorization is not None and self.fhirServer is None:
            raise ValueError("fhirAuthorization is given without fhirServer")
        return self


def shape_problems(error: ValidationError) -> list[FieldProblem]:
    """pydantic's errors as field problems (``context.patientId: Field required``)."""
    found = []
    for item in error.errors():
        name = ".".join(str(part) for part in item["loc"]) or "body"
        found.append(FieldProblem(name, str(item["msg"]).removeprefix("Value error, ")))
    return found


def parse_hook(body: Any, hook: str, clean: bool) -> HookRequest:
    """The request, for a service of ``hook``; raises :class:`RequestShapeError`. A repeated key or a
    bad number outside the draft orders' entries and the prefetch refuses the request (inside them,
    the entry or the prefetch value is refused in its place)."""
    if not isinstance(body, dict):
        raise RequestShapeError([FieldProblem("body", "must be a JSON object")])
    if not clean:
        outside = [p for p in problems_in(body, "") if not _in_place(p.field)]
        if outside:
            raise RequestShapeError(outside)
    try:
        request = HookRequest.model_validate(body)
    except ValidationError as error:
        raise RequestShapeError(shape_problems(error)) from None
    if request.hook != hook:
        raise RequestShapeError([FieldProblem("hook", f"this service is for {hook!r}, got {request.hook!r}")])
    if hook == ORDER_SELECT and request.context.selections is None:
        raise RequestShapeError([FieldProblem("context.selections", "Field required (order-select)")])
    return request


def _in_place(path: str) -> bool:
    return path.startswith(("context.draftOrders.entry[", "prefetch."))


@dataclasses.dataclass(frozen=True)
class DraftOrders:
    """The records to check, each with its MedicationRequest (None: it could not be read), and the
    prefetch resources the reader could not use."""

    records: list[InputRecord]
    resources: list[Mapping[str, Any] | None]
    problems: tuple[HistoryProblem, ...]


_reader = per_rule_set(lambda rules: ResourceReader(rules.drugs))


def draft_orders(
    request: HookRequest,
    rules: RuleSet,
    patient: Sequence[Mapping[str, Any]],
    kinds: set[HistoryKind],
    active: Sequence[Mapping[str, Any]] = (),
    *,
    clean: bool = False,
) -> DraftOrders:
    """The orders to check (at order-select, the selected ones), with the patient's context from
    ``patient`` (the prefetch resources), the other draft orders and ``active`` (the patient's active
    orders the EHR holds: context, never checked); ``kinds``: the kinds of patient data the prefetch
    held even where it holds none of it (no lab results in a lab search). The patient's other orders
    are held only when the prefetch gave ``active``: the draft Bundle alone is not all of them.
    ``clean``: the request body holds no repeated key and no bad number (``load_clean`` said so), so
    the draft orders are not looked through for them again; ``patient`` and ``active`` are clean in
    any case (a prefetch value with either is refused whole: ``prefetch.patient_data``)."""
    orders = request.context.draftOrders
    entries = orders.get("entry")
    if entries is not None and not isinstance(entries, list):
        raise RequestShapeError([FieldProblem("context.draftOrders.entry", "must be a list of entries")])
    drafts = [*(entries or [])]
    others = [_in_force(order) for order in _not_drafts(active, drafts)]
    first_active = len(drafts) + len(patient)
    combined = {
        **orders,
        "entry": [*drafts, *({"resource": r} for r in patient), *({"resource": r} for r in others)],
    }
    items, index = bundle_items(DRAFT_ORDERS, combined, clean=clean)
    active_sources = {f"{DRAFT_ORDERS}:entry[{n}]" for n in range(first_active, first_active + len(others))}
    drafted = [(source, value) for source, value in items if source not in active_sources]
    unread = _unread_active([(s, v) for s, v in items if s in active_sources], index)
    selected = [
        (source, value)
        for source, value in _selected(request, drafted)
        if not (isinstance(value, dict) and value.get("resourceType") in OTHER_ORDER_TYPES)
    ]
    mapped = {source: object_record(source, value, index) for source, value in selected}
    # numbered as the evaluator numbers the records it checks (1, 2, ...): an order is never another
    # order of itself, whatever entries come before it
    context = bundle_context(DRAFT_ORDERS, combined, selected, index, mapped=mapped, reader=_reader(rules))
    context = _holding(context, kinds)
    patient_id = request.context.patientId
    records = [_for_patient(attach_context(record, context), patient_id) for record in mapped.values()]
    resources = [None if isinstance(v, Unreadable) else v for _, v in selected]
    return DraftOrders(records, resources, (*context.problems, *unread))


def _for_patient(record: InputRecord, patient_id: str) -> InputRecord:
    """The record, or (an order for another patient than the request's) a record that is not checked:
    the prefetch, the allergies and labs it would be checked against, are of the request's patient."""
    _, subject = record_ids(record.data)
    if record.error is not None or record.problems or subject is None or subject == patient_id:
        return record
    problem = FieldProblem(
        "MedicationRequest.subject",
        f"is for patient {subject!r}, but this request is for Patient/{patient_id}: "
        "not checked against another patient's record",
        subject,
    )
    return dataclasses.replace(record, problems=(problem,), context=None)


def _selected(request: HookRequest, items: list[tuple[str, Any]]) -> list[tuple[str, Any]]:
    """Every order at order-sign; at order-select, the selections (an order that cannot be read is
    kept: it may be one of them, and it must be said not checked). A selection that names no draft
    order refuses the request."""
    selections = request.context.selections
    if request.hook != ORDER_SELECT or selections is None:
        return items
    names = {
        f"{value.get('resourceType')}/{value.get('id')}": (source, value)
        for source, value in items
        if isinstance(value, dict)
    }
    unknown = [
        FieldProblem(f"context.selections[{number}]", f"{name!r} names no resource of draftOrders")
        for number, name in enumerate(selections)
        if name not in names
    ]
    if unknown:
        raise RequestShapeError(unknown)
    wanted = set(selections)
    return [
        (source, value)
        for source, value in items
        if not isinstance(value, dict) or f"{value.get('resourceType')}/{value.get('id')}" in wanted
    ]


def _not_drafts(active: Sequence[Mapping[str, Any]], drafts: list[Any]) -> list[Mapping[str, Any]]:
    """The active orders that are not one of the drafts (an EHR may list a draft as active: it is not
    its own duplicate)."""
    drafted = {
        (resource.get("resourceType"), resource.get("id"))
        for entry in drafts
        if isinstance(entry, dict)
        and isinstance(resource := entry.get("resource"), dict)
        and isinstance(resource.get("id"), str)
    }
    return [
        order
        for order in active
        if not isinstance(order.get("id"), str) or (order.get("resourceType"), order.get("id")) not in drafted
    ]


def _in_force(order: Mapping[str, Any]) -> Mapping[str, Any]:
    """An order the EHR lists as active, read as in force at the draft's time whenever it was written
    (the batch leaves out another order placed after the one checked; this one is not 'later')."""
    return {key: value for key, value in order.items() if key != "authoredOn"}


def _unread_active(items: list[tuple[str, Any]], index: Mapping[str, Any]) -> list[HistoryProblem]:
    """An active order that cannot be read as another order (its drug, route, status; not its doses,
    which are its own check's) is not counted: said."""
    unread = []
    for source, value in items:
        if isinstance(value, Unreadable):
            unread.append(HistoryProblem(source, "MedicationRequest", value.reason))
            continue
        try:
            read_as_other_order(value, index)
        except FhirMappingError as error:
            unread.append(HistoryProblem(source, "MedicationRequest", "; ".join(map(str, error.problems))))
    return unread


def _holding(context: BundleContext, kinds: set[HistoryKind]) -> BundleContext:
    """The Bundle's contexts, holding ``kinds`` too, and the patient's other orders only when the
    prefetch held them."""
    held = (context.kinds - {HistoryKind.ORDERS}) | kinds
    if held == context.kinds:
        return context
    contexts = {key: dataclasses.replace(value, kinds=held) for key, value in context.contexts.items()}
    return BundleContext(contexts, held, context.problems, context.order_patients)
