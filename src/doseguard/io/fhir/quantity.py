"""A FHIR Quantity as the order record holds it: its number and unit checked, the unit written as the
record writes it ("ug" -> "mcg")."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from doseguard.errors import QuantityError
from doseguard.io.fhir.elements import positive_number, text_of
from doseguard.io.fhir.terminology import ACTIVITY, MASS, UCUM, VOLUME, expected_units, unit_of
from doseguard.numbers import format_number
from doseguard.orders.draft import StructuredQuantity
from doseguard.orders.quantities import MASS_TO_MCG, VOLUME_TO_ML, checked_amount

_KIND_NAMES = {MASS: "mass unit", VOLUME: "volume unit", ACTIVITY: "unit of activity"}
QuantityProblem = tuple[str, str, object]
"""A problem of a Quantity: the path below the Quantity ("" or ".code"), the message, the value."""


@lru_cache(maxsize=1024)
def map_quantity(
    value_type: type,
    value: Any,
    unit: Any,
    code: Any,
    system: Any,
    comparator: Any,
    kinds: tuple[str, ...],
    what: str,
) -> tuple[tuple[StructuredQuantity, str, float] | None, tuple[QuantityProblem, ...]]:
    """The record's structured value, kind and amount (mcg or mL) of a Quantity's fields, or the
    problems with them. The value is the number times its unit's factor, never written out and
    parsed back; its text ("1000 mcg", the unit as the record writes it) is only how it is shown.

    Pure, so cached: the same doses and strengths come back order after order. ``value_type`` is
    ``type(value)``, there only to keep ``True`` and ``1`` apart in the cache.
    """
    problems: list[QuantityProblem] = []
    if comparator is not None:
        problems.append(
            (
                ".comparator",
                f"{comparator!r}: a bound ('less than', 'at least') is not {what} that can be checked",
                comparator,
            )
        )
    number = positive_number(value)
    if value is None:
        problems.append((".value", f"required: {what} needs a number", value))
    elif number is None:
        problems.append((".value", f"must be a number greater than zero, got {value!r}", value))
    found = quantity_unit(unit, code, system, kinds, what, problems)
    if problems or found is None or number is None:
        return None, tuple(problems)
    written, kind = found
    text = f"{format_number(number)} {written}"
    factor = 1.0 if kind == ACTIVITY else (MASS_TO_MCG if kind == MASS else VOLUME_TO_ML)[written.lower()]
    try:
        amount = checked_amount(number * factor, text, what.removeprefix("a "))
    except QuantityError as error:
        return None, ((".value", str(error), value),)
    return (StructuredQuantity(amount, text), kind, amount), ()


def quantity_unit(
    unit: Any, code: Any, system: Any, kinds: tuple[str, ...], what: str, problems: list[QuantityProblem]
) -> tuple[str, str] | None:
    """The record's unit and kind from a Quantity's ``code`` (UCUM) and ``unit`` (display)."""
    by_code = unit_of(code)
    by_unit = unit_of(unit)
    if text_of(code) is not None and by_code is None and (system is None or system == UCUM):
        shown = f"unit {unit!r} (code {code!r})" if isinstance(unit, str) else f"code {code!r}"
        problems.append((".code", f"{shown} is not a unit of {what}: expected {expected_units(kinds)}", code))
        return None
    if by_code is not None and by_unit is not None and by_code != by_unit:
        problems.append(
            (
                "",
                f"unit {unit!r} and code {code!r} disagree: which is meant? "
                "(a mcg/mg mix-up is a 1000-fold error)",
                f"{unit} / {code}",
            )
        )
        return None
    found = by_code or by_unit
    if found is None:
        if text_of(unit) is not None:
            problems.append(
                (".unit", f"{unit!r} is not a unit of {what}: expected {expected_units(kinds)}", unit)
            )
        else:
            problems.append((".code", f"required: {what} needs a unit ({expected_units(kinds)})", None))
        return None
    if found[1] not in kinds:
        suffix, written = (".code", code) if by_code is not None else (".unit", unit)
        problems.append(
            (
                suffix,
                f"{found[0]!r} is a {_KIND_NAMES[found[1]]}: {what} needs {expected_units(kinds)}",
                written,
            )
        )
        return None
    return found
