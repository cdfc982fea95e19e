"""From an input record to the facts the rules read, or to a list of what is wrong with it.

Every field is checked and every problem is reported (not just the first), each naming its field.
The facts carry only vocabulary fields, numbers as numbers in normalised units, and nothing empty:
the engine treats ``null`` as present and an empty list as something to match.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Collection, Iterable, Mapping
from functools import lru_cache
from typing import Any

from pydantic import ValidationError

from doseguard.errors import FieldProblem, InvalidOrderError, QuantityError, ScheduleError, TextProblem
from doseguard.orders import codes
from doseguard.orders.draft import (
    STRUCTURED_FIELDS,
    DraftDuration,
    DraftFrequency,
    DraftQuantity,
    checked_duration,
    checked_frequency,
    checked_quantity,
)
from doseguard.orders.drugs import DrugEntry, DrugIdentifier
from doseguard.orders.model import (
    LIST_FIELDS,
    MAX_TEXT,
    QUANTITY_FIELDS,
    RECORD_FIELDS,
    REQUIRED_FIELDS,
    TEXT_FIELDS,
    Order,
    OrderRecord,
    PlainRecord,
    plain_record,
)
from doseguard.orders.patient import PatientReading, add_dose_facts, read_patient
from doseguard.orders.plan import add_plan_facts
from doseguard.orders.quantities import (
    PerBodyDose,
    Quantity,
    parse_concentration,
    parse_mass,
    parse_per_body,
    parse_units,
    parse_volume,
)
from doseguard.orders.schedule import parse_duration, parse_frequency
from doseguard.orders.status import Activity, order_activity
from doseguard.orders.text import read_text
from doseguard.orders.units import UNIT_OF, joined, numbers_as_text, unit_without_value
from doseguard.suggestions import closest, did_you_mean
from doseguard.vocabulary import PHASES, ROUTES, SITES

_QUANTITIES = tuple(
    (name, UNIT_OF[name], fact, parser, name.replace("_", " "))
    for name, fact, parser in (
        ("dose", "dose_mcg", parse_mass),
        ("volume", "volume_ml", parse_volume),
        ("concentration", "concentration_mcg_per_ml", parse_concentration),
        ("product_concentration", "product_concentration_mcg_per_ml", parse_concentration),
    )
)
"""Quantity fields: the record's field, its unit field, the fact, the parser, and the field as
messages name it."""
_UNIT_KEYS = frozenset(UNIT_OF.values())


class OrderNormaliser:
    """Normalises records for one rule set (whose packs say which names and codes are which drug)."""

    def __init__(
        self, drugs: Iterable[DrugEntry] | Mapping[str, str] | None = None, mass_dosed: Iterable[str] = ()
    ) -> None:
        """``mass_dosed``: the drugs whose rules read the dose as a mass (``dose_mcg``); for them a dose
        in units is an invalid dose, for any other drug it is the ``dose_units`` fact."""
        self.drugs = DrugIdentifier(drugs or ())
        self._mass_dosed = frozenset(mass_dosed)

    def normalise(self, raw: Any) -> Order:
        """The normalised order; raises :class:`InvalidOrderError` naming every field that is wrong."""
        if type(raw) is not dict and not isinstance(raw, Mapping):
            kind = type(raw).__name__ if raw is not None else "null"
            raise InvalidOrderError(
                [FieldProblem("record", f"expected an object with order fields, got {kind}")]
            )
        units = not _UNIT_KEYS.isdisjoint(raw)  # a unit in a field of its own (rare: one test in C)
        if units and type(raw) is dict:
            raw = numbers_as_text(raw)
        record, problems, structured = _validate(raw)
        warnings: list[str] = []
        if isinstance(record, OrderRecord):  # a plain record is printable ASCII: nothing to read
            record = _read_record(record, problems, warnings, structured)
        identity = self.drugs.identify(record.drug, record.rxnorm, record.ndc)
        drug = identity.drug
        problems.extend(identity.problems)
        if identity.notice is not None:
            warnings.append(identity.notice)
        # A drug that could not be read (or whose name and codes disagree) may be a covered one: the
        # whole order is then read, every problem named (an order is not for the rules only when what
        # it is, is known).
        unread = identity.problems or _names(problems, "drug")
        unchecked = None if unread else self._unchecked(record.status, identity.covered, warnings)
        if unchecked is not None:
            return _not_for_rules(record, drug, unchecked, problems, warnings)
        facts: dict[str, Any] = {"drug": drug}
        patient = read_patient(record, problems, warnings)
        facts.update(patient.facts)
        per_body: PerBodyDose | None = None

        quantities: list[DraftQuantity] = []
        notation: list[str] = []
        as_ordered: list[tuple[str, float, str]] = []
        for name, unit_field, fact, parser, what in _QUANTITIES:
            text = getattr(record, name)
            unit = getattr(record, unit_field) if units else None
            if text is None:
                if unit is not None:
                    problems.append(FieldProblem(unit_field, unit_without_value(name, unit), unit))
                continue
            try:  # text is parsed; a structured value (orders.draft) is taken as it is, range-checked
                if unit is not None:
                    text = _with_unit(text, unit, name)
                quantity = parser(text, what) if type(text) is str else checked_quantity(text, what)
            except QuantityError as error:
                if name != "dose" or type(text) is not str:
                    problems.append(FieldProblem(name, str(error), _shown(text)))
                    continue
                try:  # not a mass: per kg or m² ("1 mg/kg")?
                    per_body = parse_per_body(text, what)
                except QuantityError as per_body_error:
                    problems.append(FieldProblem(name, str(per_body_error), text))
                    continue
                if per_body is not None:
                    if not self._per_body_usable(identity.drug, per_body, patient, problems):
                        continue
                    quantity = per_body.quantity
                else:
                    in_units = self._units(identity.drug, text, error, problems)  # in units?
                    if in_units is None:
                        continue
                    facts["dose_units"] = in_units.value
                    quantity = in_units
            else:
                facts[fact] = quantity.value
            quantities.append(quantity)
            notation.extend(quantity.notation)
            ordered = (
                quantity.ordered if type(quantity) is Quantity else _structured_ordered(parser, quantity.text)
            )
            if ordered is not None and fact in facts:  # not for a dose in units
                as_ordered.append((fact, *ordered))

        add_dose_facts(facts, per_body, patient, problems)

        if identity.strength_mcg_per_ml is not None:  # the product's, when the order states none
            facts["named_concentration_mcg_per_ml"] = identity.strength_mcg_per_ml
            facts.setdefault("product_concentration_mcg_per_ml", identity.strength_mcg_per_ml)

        frequency: DraftFrequency | None = self._schedule(
            record.frequency, "frequency", parse_frequency, checked_frequency, problems
        )
        if frequency is not None:
            notation.extend(frequency.notation)
        duration: DraftDuration | None = self._schedule(
            record.duration, "duration", parse_duration, checked_duration, problems
        )
        add_plan_facts(
            facts,
            problems,
            frequency,
            duration,
            frequency_stated=record.frequency is not None,
            duration_stated=record.duration is not None,
        )

        for name, fact, coder, allowed in (
            ("route", "route", codes.route_code, ROUTES),
            ("site", "site", codes.site_code, SITES),
            ("phase", "phase", codes.phase_code, PHASES),
        ):
            text = getattr(record, name)
            if text is None:
                continue
            code = coder(text)
            if code is None:
                problems.append(FieldProblem(name, _unknown_code(name, text, allowed), text))
            else:
                facts[fact] = code

        if record.administrations_given is not None:
            facts["administrations_given"] = float(record.administrations_given)
        for name, item, terms_fact in (
            ("red_flags", codes.flag_item, None),
            ("allergies", codes.free_text_item, "allergy_terms"),
            ("conditions", codes.free_text_item, "condition_terms"),
        ):
            entries = getattr(record, name)
            if not entries:
                continue
            # "None", "N/A", "-", "no red flags", "NKDA": an entry that records nothing is no entry.
            values = [v for v in entries if not codes.is_null_entry(v)]
            if not values:
                continue
            facts[name] = list(dict.fromkeys(item(v) for v in values))
            if terms_fact is not None:
                # A contraindication recorded as absent ("denies cobalt allergy", "no Leber's disease")
                # is not one: rules read what is stated as present (and, for conditions, as absent).
                terms, affirmed, negated, truncated = codes.list_terms(tuple(values))
                if terms:
                    facts[terms_fact] = list(terms)
                if affirmed:
                    facts[f"affirmed_{terms_fact}"] = list(affirmed)
                if negated and terms_fact == "condition_terms":
                    facts["negated_condition_terms"] = list(negated)
                if truncated:
                    warnings.append(
                        f"{name}: too long to compare every phrase with the rules; only the first "
                        f"{len(terms)} words and phrases (shortest first) were compared"
                    )

        if notation:
            facts["notation_tokens"] = list(dict.fromkeys(notation))
        if any(q.trailing_zero or q.missing_leading_zero for q in quantities):
            trailing = [q.text for q in quantities if q.trailing_zero]
            leading = [q.text for q in quantities if q.missing_leading_zero]
            if trailing:
                facts["trailing_zero_quantities"] = trailing
            if leading:
                facts["missing_leading_zero_quantities"] = leading

        if record.model_extra:
            problems.extend(_misnamed_fields(record.model_extra, raw))
        if problems:
            raise InvalidOrderError(problems)
        stated = tuple(as_ordered)
        said = tuple(
            warnings
        )  # unknown keys are not warned of here: a batch names them once (doseguard.batch)
        return Order(record.order_id, record.patient_id, facts, said, stated, ordered_at=patient.ordered_at)

    def _unchecked(self, status: str | None, covered: bool, warnings: list[str]) -> str | None:
        """Why the order is not for the rules ("inactive", "not_covered"), or None to check it; what
        the result says about its status goes to ``warnings``. An inactive order is that whatever its
        drug: a cancelled order of any drug is not alerted on; with no pack naming a drug (the notation
        pack alone), every order is for the rules."""
        if status is not None:
            reading = order_activity(status)
            if reading.note is not None:
                warnings.append(reading.note)
            if reading.activity is Activity.INACTIVE:
                return INACTIVE
        if self.drugs.covered and not covered:
            return NOT_COVERED
        return None

    def _units(
        self, drug: str, text: str, not_a_mass: QuantityError, problems: list[FieldProblem]
    ) -> Quantity | None:
        """The dose in units ("5000 units", "10 IU"), or None when it is not one or the drug is dosed by
        mass (then the problem is said here: what the rules need, not only what was written)."""
        try:
            units = parse_units(text)
        except QuantityError as error:
            problems.append(FieldProblem("dose", str(error), text))
            return None
        if units is None:
            problems.append(FieldProblem("dose", str(not_a_mass), text))
        elif drug in self._mass_dosed:
            problems.append(
                FieldProblem("dose", f"{drug} is dosed by mass (mcg); {text!r} is not a mass", text)
            )
            return None
        return units

    def _per_body_usable(
        self, drug: str, dose: PerBodyDose, patient: PatientReading, problems: list[FieldProblem]
    ) -> bool:
        """A dose per kg or m² is the order's dose, unless the drug's rules read the dose as a mass
        (dose_mcg) and the patient's weight (or surface) that gives the mass is not known: those rules
        would read no dose at all, and "does not state its dose" is not what is wrong
        (docs/decisions/doses-per-weight.md). A dose in units per kg is a dose in units (see _units)."""
        text = dose.quantity.text
        if drug not in self._mass_dosed:
            return True
        if dose.fact == "dose_units_per_kg":
            problems.append(
                FieldProblem("dose", f"{drug} is dosed by mass (mcg); {text!r} is not a mass", text)
            )
            return False
        needed = "height_cm and weight_kg" if dose.fact == "dose_mg_per_m2" else "weight_kg"
        known = patient.body_surface_area_m2 if dose.fact == "dose_mg_per_m2" else patient.weight_kg
        if known is None:
            problems.append(
                FieldProblem(
                    "dose",
                    f"{text!r} is a dose per {'m²' if dose.fact == 'dose_mg_per_m2' else 'kg'}, and the "
                    f"patient's {needed.replace('_cm', '').replace('_kg', '')} is not known: {drug}'s rules "
                    f"read the dose as a mass (state {needed}, or the dose in mg or mcg)",
                    text,
                )
            )
            return False
        return True

    @staticmethod
    def _schedule(value: Any, name: str, parser: Any, checker: Any, problems: list[FieldProblem]) -> Any:
        """The frequency or duration: text parsed, a structured value range-checked; None if wrong."""
        if value is None:
            return None
        try:
            return parser(value) if type(value) is str else checker(value)
        except ScheduleError as error:
            problems.append(FieldProblem(name, str(error), _shown(value)))
            return None


INACTIVE, NOT_COVERED = "inactive", "not_covered"
SAID_OF_UNCHECKED = (*REQUIRED_FIELDS, "status")
"""The fields whose warnings an order that is not for the rules keeps: what it is, and its status."""


def _names(problems: list[FieldProblem], field: str) -> bool:
    return any(problem.field == field for problem in problems)


def _not_for_rules(
    record: OrderRecord | PlainRecord, drug: str, why: str, problems: list[FieldProblem], warnings: list[str]
) -> Order:
    """An order read only as far as knowing it is not for the rules (``why``): its ids and drug are
    still held to the contract (a repeated or missing id is invalid), its other fields are not read,
    so nothing of theirs is a problem or a warning (the vocabulary is the covered drugs')."""
    identity = [problem for problem in problems if problem.field in REQUIRED_FIELDS]
    if identity:
        raise InvalidOrderError(identity)
    said = tuple(w for w in warnings if w.partition(":")[0] in SAID_OF_UNCHECKED)
    return Order(record.order_id, record.patient_id, {"drug": drug}, said, unchecked=why)


READ_FIELDS = tuple(name for name in TEXT_FIELDS if name not in ("order_id", "patient_id"))
"""Text fields read as a person reads them; the ids are reported back as sent, not compared."""


def _read_record(
    record: OrderRecord,
    problems: list[FieldProblem],
    warnings: list[str],
    structured: dict[str, Any] | None = None,
) -> PlainRecord:
    """The record with every text read as a person reads it (:func:`read_text`); what cannot be read
    safely is a problem of its field, what reading changed a warning. ``structured`` values (set
    aside from validation, see :func:`_validate`) are put back as they are: they are not text."""
    values: dict[str, Any] = {name: getattr(record, name) for name in RECORD_FIELDS}
    notes: dict[str, None] = {}
    bad = {problem.field for problem in problems}
    for name in (*READ_FIELDS, *LIST_FIELDS):
        value = values[name]
        if value is None or name in bad:
            continue
        if isinstance(value, list):
            items = [_read(name, item, problems, notes) for item in value]
            values[name] = [item for item in items if item] or None
        else:
            values[name] = _read(name, value, problems, notes)
    read_bad = {problem.field for problem in problems} - bad
    for name in REQUIRED_FIELDS:
        if values[name] is None:
            if name not in read_bad:
                problems.append(FieldProblem(name, "has no visible text", getattr(record, name)))
            values[name] = "?"
    warnings.extend(notes)
    if structured:
        values.update(structured)
    return PlainRecord(**values, model_extra=record.model_extra)


def _with_unit(value: Any, unit: str, name: str) -> Any:
    """A quantity joined to its unit field's unit (:mod:`doseguard.orders.units`)."""
    if type(value) is not str:
        raise QuantityError(
            f"is a structured quantity with its own unit: {UNIT_OF[name]} {unit!r} is not read"
        )
    return joined(value, unit, name)


def _shown(value: Any) -> Any:
    """A field's value as a problem quotes it: text as it is, a structured value as it is shown."""
    return value if type(value) is str else value.text


def _read(name: str, value: str, problems: list[FieldProblem], notes: dict[str, None]) -> str | None:
    try:
        reading = read_text(value, name)
    except TextProblem as error:
        problems.append(FieldProblem(name, str(error), value))
        return None
    for note in reading.notes:
        notes.setdefault(f"{name}: {note}")
    if len(reading.text) > MAX_TEXT:
        problems.append(FieldProblem(name, f"is longer than {MAX_TEXT} characters", value))
        return None
    return reading.text or None


@lru_cache(maxsize=1024)
def _structured_ordered(parser: Callable[[str, str], Quantity], text: str) -> tuple[float, str] | None:
    """How a structured quantity (FHIR) stated its number and unit: its text ("1 mg") read back, only
    for messages (its value is never taken from the text)."""
    try:
        return parser(text, "quantity").ordered
    except QuantityError:
        return None


def _unknown_code(name: str, text: str, allowed: tuple[str, ...]) -> str:
    spelled = {a.lower().replace("_", " "): a.replace("_", " ") for a in allowed}
    meant = closest(text.strip().lower(), spelled)
    hint = did_you_mean(spelled[meant] if meant is not None else None)
    expected = ", ".join(a.replace("_", " ") for a in allowed)
    return f"unknown {name} {text.strip()!r}{hint} (expected one of: {expected})"


def _spelling(name: str) -> str:
    """A key as a person reads it, for comparing with field names: width, case, invisible
    characters and separators do not count ("Red Flags", "red-flags" and "red_flags" are one)."""
    return "".join(ch for ch in unicodedata.normalize("NFKC", name).casefold() if ch.isalnum())


_SPELLINGS = {
    **{_spelling(field): field for field in RECORD_FIELDS},
    **{_spelling(field[:-1]): field for field in ("red_flags", "conditions")},
    "allergy": "allergies",
}
"""Each field by its spelling, and the list fields also in the singular ("allergy")."""


def _misnamed_fields(extra: Mapping[str, Any], raw: Mapping[str, Any]) -> list[FieldProblem]:
    """Unknown keys that are a field written another way ("Allergies", "allergy", "ｄｏｓｅ"), or a
    misspelling of a field the record does not state ("alergies"): ignoring them would check the
    order as if it stated nothing there (a cobalt allergy under "Allergies" passed), so each is a
    problem. A close name beside the field itself ("dosage" next to "dose") stays a warning."""
    problems = []
    for name, value in extra.items():
        key = str(name)
        field = misnamed_field(key, raw)
        if field is None:
            continue
        said = "also stated as" if field in raw else "not stated as"
        problems.append(
            FieldProblem(
                key,
                f"is not a field doseguard reads, but reads like {field!r} ({said} {field!r}): "
                f"ignoring it could miss what it says; name the field {field!r}",
                value if isinstance(value, str) else None,
            )
        )
    return problems


def misnamed_field(key: str, stated: Collection[str]) -> str | None:
    """The field an unknown key is written for ("Allergies", "allergy"), or misspells when ``stated``
    (the record's keys, or a file's columns) does not hold it ("alergies"); None if neither."""
    written_as, held = _read_as_field(key)
    if written_as is not None:
        return written_as
    close = _close_field(key)
    if close is not None and close not in stated:
        return close
    return held


@lru_cache(maxsize=4096)
def _read_as_field(key: str) -> tuple[str | None, str | None]:
    """The field ``key`` is written for ("Allergies"), and the field a word in it says it holds
    ("PATIENT_ALLERGIES"): cached, as a batch repeats its keys on every record."""
    spelling = _spelling(key)
    held = next((field for word, field in _HELD_WORDS if word in spelling), None)
    return _SPELLINGS.get(spelling), held


_HELD_WORDS = (("allerg", "allergies"), ("condition", "conditions"), ("redflag", "red_flags"),
               ("volume", "volume"))  # fmt: skip
"""Words that, anywhere in a key ("PATIENT_ALLERGIES", "ADMIN_VOLUME"), say it holds a field whose loss
could hide a finding (a cobalt allergy, the volume the arithmetic checks): such a key is refused, never
ignored. "site", "dose", "route" are too common in other columns ("SITE_ID", "DOSE_FORM") to refuse on."""


@lru_cache(maxsize=4096)
def _close_field(name: str) -> str | None:
    """The record field an unknown key is a misspelling of, or None. Cached: a batch repeats its
    unknown keys (a CSV column) on every record, and both the problem and the warning ask."""
    return closest(name, RECORD_FIELDS, cutoff=0.7)


def unread_keys(raw: Mapping[str, Any]) -> tuple[str, ...]:
    """The keys of a record that are no order field and are not read, as a batch names them once:
    a key that reads like a field (:func:`misnamed_field`) is the record's problem instead."""
    return tuple(key for key in raw if key not in _FIELD_NAMES and misnamed_field(str(key), raw) is None)


def close_field(name: str) -> str | None:
    """The field an unknown key most likely misspells, for the batch's note ("dosage": dose)."""
    return _close_field(name)


_FIELD_NAMES = frozenset(RECORD_FIELDS)


def _validate(
    raw: Mapping[str, Any],
) -> tuple[OrderRecord | PlainRecord, list[FieldProblem], dict[str, Any] | None]:
    """The record, its type problems, and its structured values (:mod:`doseguard.orders.draft`, set
    aside from :class:`OrderRecord`, which validates text); fields of the wrong type are set aside so
    that the others are still parsed and every problem of the record is reported at once."""
    plain = plain_record(raw)
    if plain is not None:
        return plain, [], None
    structured = {name: value for name, value in raw.items() if type(value) is STRUCTURED_FIELDS.get(name)}
    if structured:
        raw = {name: value for name, value in raw.items() if name not in structured}
    try:
        return OrderRecord.model_validate(raw), [], structured
    except ValidationError as error:
        problems = _field_problems(error)
    bad = {problem.field for problem in problems}
    salvage = {key: value for key, value in raw.items() if key not in bad}
    salvage.update({name: "?" for name in REQUIRED_FIELDS if name in bad})
    try:
        return OrderRecord.model_validate(salvage), problems, structured
    except ValidationError:
        raise InvalidOrderError(problems) from None


_MESSAGES = {
    "missing": "required",
    "string_too_short": "must not be empty",
    "int_parsing": "must be a whole number",
    "int_type": "must be a whole number",
    "int_from_float": "must be a whole number",
    "greater_than_equal": "must be 0 or more",
    "list_type": "must be a list of texts (or ';'-separated text)",
    "string_too_long": f"is longer than {MAX_TEXT} characters",
}


def _field_problems(error: ValidationError) -> list[FieldProblem]:
    problems: list[FieldProblem] = []
    seen: set[str] = set()
    for item in error.errors():
        loc = item["loc"]
        field = str(loc[0]) if loc else "record"
        if field in seen:
            continue
        seen.add(field)
        value = None if item["type"] == "missing" else item.get("input")
        message = _MESSAGES.get(item["type"], item["msg"].removeprefix("Value error, "))
        if field in REQUIRED_FIELDS and (value is None or item["type"] == "missing"):
            message = "required"
        elif field in QUANTITY_FIELDS and isinstance(value, int | float) and not isinstance(value, bool):
            unit = "mL" if field == "volume" else "mcg/mL" if "concentration" in field else "mcg"
            message = f"a number without a unit; write it with its unit, e.g. '{value} {unit}'"
        elif item["type"] == "string_type":
            message = f"must be text, not {type(value).__name__}"
        problems.append(FieldProblem(field, message, value))
    return problems
