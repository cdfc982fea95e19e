"""From an input record to the facts the rules read, or to a list of what is wrong with it.

Every field is checked and every problem is reported (not just the first), each naming its field.
The facts carry only vocabulary fields, numbers as numbers in normalised units, and nothing empty:
the engine treats ``null`` as present and an empty list as something to match.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from doseguard.errors import FieldProblem, InvalidOrderError
from doseguard.orders import codes
from doseguard.orders.model import (
    MAX_TEXT,
    QUANTITY_FIELDS,
    RECORD_FIELDS,
    REQUIRED_FIELDS,
    Order,
    OrderRecord,
    PlainRecord,
    plain_record,
)
from doseguard.orders.quantities import Quantity, QuantityError, parse_concentration, parse_mass, parse_volume
from doseguard.orders.schedule import Duration, Frequency, ScheduleError, parse_duration, parse_frequency
from doseguard.vocabulary import PHASES, ROUTES, SITES

_QUANTITIES = tuple(
    (name, fact, parser, name.replace("_", " "))
    for name, fact, parser in (
        ("dose", "dose_mcg", parse_mass),
        ("volume", "volume_ml", parse_volume),
        ("concentration", "concentration_mcg_per_ml", parse_concentration),
        ("product_concentration", "product_concentration_mcg_per_ml", parse_concentration),
    )
)
"""Quantity fields: the record's field, the fact, the parser, and the field as messages name it."""


class OrderNormaliser:
    """Normalises records for one rule set (whose packs say which drug names mean the same drug)."""

    def __init__(self, drug_names: Mapping[str, str] | None = None) -> None:
        self.drug_names = dict(drug_names or {})

    def normalise(self, raw: Any) -> Order:
        """The normalised order; raises :class:`InvalidOrderError` naming every field that is wrong."""
        if type(raw) is not dict and not isinstance(raw, Mapping):
            kind = type(raw).__name__ if raw is not None else "null"
            raise InvalidOrderError(
                [FieldProblem("record", f"expected an object with order fields, got {kind}")]
            )
        record, problems = _validate(raw)
        facts: dict[str, Any] = {"drug": self._drug(record.drug)}

        quantities: list[Quantity] = []
        notation: list[str] = []
        for name, fact, parser, what in _QUANTITIES:
            text = getattr(record, name)
            if text is None:
                continue
            try:
                quantity = parser(text, what)
            except QuantityError as error:
                problems.append(FieldProblem(name, str(error), text))
                continue
            facts[fact] = quantity.value
            quantities.append(quantity)
            notation.extend(quantity.notation)

        frequency = self._schedule(record.frequency, "frequency", parse_frequency, problems)
        if isinstance(frequency, Frequency):
            facts["interval_days"] = frequency.interval_days
            facts["interval_max_days"] = frequency.max_interval_days
            notation.extend(frequency.notation)
        duration = self._schedule(record.duration, "duration", parse_duration, problems)
        if isinstance(duration, Duration):
            days = duration.days
            if duration.doses is not None:
                if isinstance(frequency, Frequency):
                    days = round(duration.doses * frequency.interval_days, 6)
                elif record.frequency is None:
                    problems.append(
                        FieldProblem(
                            "duration", f"{duration.text!r} counts doses, so the order needs a frequency"
                        )
                    )
            if days is not None:
                facts["duration_days"] = days
            if duration.open_ended:
                facts["duration_open_ended"] = True

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
        warnings: list[str] = []
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
                terms, truncated = codes.phrase_terms(values)
                if terms:
                    facts[terms_fact] = terms
                # A contraindication recorded as absent ("denies cobalt allergy", "no Leber's disease")
                # is not one: rules read what is stated as present (and, for conditions, as absent).
                affirmed, negated, cut = codes.negation_terms(values)
                if affirmed:
                    facts[f"affirmed_{terms_fact}"] = affirmed
                if negated and terms_fact == "condition_terms":
                    facts["negated_condition_terms"] = negated
                truncated = truncated or cut
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

        if problems:
            raise InvalidOrderError(problems)
        if record.model_extra or warnings:
            return Order(record.order_id, record.patient_id, facts, (*_unknown_fields(record), *warnings))
        return Order(record.order_id, record.patient_id, facts)

    def _drug(self, text: str) -> str:
        name = codes.free_text_item(text)
        return self.drug_names.get(name, name)

    @staticmethod
    def _schedule(text: str | None, name: str, parser: Any, problems: list[FieldProblem]) -> Any:
        if text is None:
            return None
        try:
            return parser(text)
        except ScheduleError as error:
            problems.append(FieldProblem(name, str(error), text))
            return None


def _unknown_code(name: str, text: str, allowed: tuple[str, ...]) -> str:
    spelled = {a.lower().replace("_", " "): a.replace("_", " ") for a in allowed}
    close = difflib.get_close_matches(text.strip().lower(), list(spelled), n=1, cutoff=0.6)
    hint = f"; did you mean {spelled[close[0]]!r}?" if close else ""
    expected = ", ".join(a.replace("_", " ") for a in allowed)
    return f"unknown {name} {text.strip()!r}{hint} (expected one of: {expected})"


def _unknown_fields(record: OrderRecord | PlainRecord) -> tuple[str, ...]:
    warnings = []
    for name in record.model_extra or {}:
        close = difflib.get_close_matches(str(name), RECORD_FIELDS, n=1, cutoff=0.7)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        warnings.append(f"unknown field {name!r} ignored{hint}")
    return tuple(warnings)


def _validate(raw: Mapping[str, Any]) -> tuple[OrderRecord | PlainRecord, list[FieldProblem]]:
    """The record and its type problems; fields of the wrong type are set aside so that the others
    are still parsed and every problem of the record is reported at once."""
    plain = plain_record(raw)
    if plain is not None:
        return plain, []
    try:
        return OrderRecord.model_validate(raw), []
    except ValidationError as error:
        problems = _field_problems(error)
    bad = {problem.field for problem in problems}
    salvage = {key: value for key, value in raw.items() if key not in bad}
    salvage.update({name: "?" for name in REQUIRED_FIELDS if name in bad})
    try:
        return OrderRecord.model_validate(salvage), problems
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
