"""Quantities as prescribers write them: units normalised, notation facts recorded, mistakes refused."""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from doseguard.errors import QuantityError
from doseguard.orders.quantities import (
    LARGEST,
    SMALLEST,
    Quantity,
    parse_concentration,
    parse_mass,
    parse_units,
    parse_volume,
)

# --- mass (doses) -> mcg ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "mcg"),
    [
        ("1000 mcg", 1000.0),
        ("1000 MCG", 1000.0),
        ("1000mcg", 1000.0),
        ("1 microgram", 1.0),
        ("250 micrograms", 250.0),
        ("1000 ug", 1000.0),
        ("1000 \u00b5g", 1000.0),  # MICRO SIGN
        ("1000 \u03bcg", 1000.0),  # GREEK SMALL LETTER MU
        ("1 mg", 1000.0),
        ("1 Mg", 1000.0),
        ("0.5 mg", 500.0),
        ("2 milligrams", 2000.0),
        ("0.001 g", 1000.0),
        ("1 gram", 1_000_000.0),
        ("1,000 mcg", 1000.0),
        ("1,234,567 mcg", 1_234_567.0),
        ("  1000 mcg  ", 1000.0),
    ],
)
def test_mass_is_normalised_to_mcg(text: str, mcg: float) -> None:
    assert parse_mass(text).value == mcg


def test_mass_keeps_the_text_as_written_without_surrounding_space() -> None:
    quantity = parse_mass("  1,000 mcg ")
    assert quantity.text == "1,000 mcg"


@pytest.mark.parametrize(
    ("text", "token"),
    [
        ("1000 ug", "ug"),
        ("1000 UG", "ug"),
        ("1000 \u00b5g", "\u00b5g"),
        ("1000 \u03bcg", "\u03bcg"),
        ("1000 mcg", "mcg"),
        ("1 mg", "mg"),
        ("1 microgram", "microgram"),
    ],
)
def test_mass_records_the_unit_as_written_lower_case(text: str, token: str) -> None:
    assert parse_mass(text).notation == (token,)


def test_micro_sign_and_greek_mu_are_not_folded_into_each_other() -> None:
    # NFKC would turn U+00B5 into U+03BC; the notation must keep what was written.
    assert parse_mass("5 \u00b5g").notation != parse_mass("5 \u03bcg").notation


# --- volume -> mL -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "ml"),
    [
        ("1 mL", 1.0),
        ("1 ml", 1.0),
        ("1 ML", 1.0),
        ("0.5 mL", 0.5),
        ("2 cc", 2.0),
        ("0.001 L", 1.0),
        ("1 l", 1000.0),
        ("2 millilitres", 2.0),
        ("2 milliliters", 2.0),
        ("1 litre", 1000.0),
    ],
)
def test_volume_is_normalised_to_ml(text: str, ml: float) -> None:
    assert parse_volume(text).value == ml


@pytest.mark.parametrize(("text", "token"), [("1 cc", "cc"), ("1 mL", "ml"), ("1 L", "l")])
def test_volume_records_the_unit_as_written(text: str, token: str) -> None:
    assert parse_volume(text).notation == (token,)


# --- concentration -> mcg/mL --------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "1000 mcg/mL",
        "1 mg/mL",
        "1000 mcg per mL",
        "1000 mcg PER ml",
        "5000 mcg/5 mL",
        "1mg/1mL",
        "1000 mcg / mL",
        "1000 mcg in 1 mL",
        "1000 ug/cc",
        "1 mg/0.001 L",
    ],
)
def test_concentration_forms_all_mean_1000_mcg_per_ml(text: str) -> None:
    assert parse_concentration(text).value == 1000.0


def test_concentration_with_a_volume_other_than_one() -> None:
    assert parse_concentration("1 mg/.5 mL").value == 2000.0
    assert parse_concentration("500 mcg/2 mL").value == 250.0


def test_concentration_records_both_units_as_written() -> None:
    assert parse_concentration("1000 ug/cc").notation == ("ug", "cc")
    assert parse_concentration("1 mg/mL").notation == ("mg", "ml")


def test_concentration_notation_facts_come_from_either_side() -> None:
    top = parse_concentration("1.0 mg/mL")
    assert top.trailing_zero is True
    assert top.missing_leading_zero is False
    bottom = parse_concentration("1 mg/.5 mL")
    assert bottom.missing_leading_zero is True
    assert bottom.trailing_zero is False


# --- notation facts -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "trailing"),
    [
        ("1.0 mL", True),
        ("1.50 mL", True),
        ("100.0 mL", True),
        ("10 mL", False),
        ("1000 mL", False),
        ("1.5 mL", False),
        ("1.05 mL", False),
        ("0.5 mL", False),
    ],
)
def test_trailing_zero_is_only_a_zero_after_the_point(text: str, trailing: bool) -> None:
    assert parse_volume(text).trailing_zero is trailing


@pytest.mark.parametrize(("text", "trailing"), [("1000 mcg", False), ("1.0 mg", True), ("10 mg", False)])
def test_trailing_zero_on_doses(text: str, trailing: bool) -> None:
    assert parse_mass(text).trailing_zero is trailing


@pytest.mark.parametrize(
    ("text", "missing"),
    [(".5 mL", True), ("0.5 mL", False), ("5 mL", False), (".25 mL", True)],
)
def test_missing_leading_zero(text: str, missing: bool) -> None:
    assert parse_volume(text).missing_leading_zero is missing


def test_missing_leading_zero_value_is_still_read() -> None:
    quantity = parse_volume(".5 mL")
    assert quantity == Quantity(0.5, ".5 mL", ("ml",), trailing_zero=False, missing_leading_zero=True)


def test_thousands_separator_is_not_a_trailing_zero() -> None:
    quantity = parse_mass("1,000 mcg")
    assert quantity.trailing_zero is False
    assert quantity.missing_leading_zero is False


# --- errors -------------------------------------------------------------------------------------


def _error(parser: object, text: str) -> str:
    with pytest.raises(QuantityError) as info:
        parser(text)  # type: ignore[operator]
    return str(info.value)


def test_no_unit_is_refused_with_the_units_to_use() -> None:
    message = _error(parse_mass, "1000")
    assert "'1000' has no unit" in message
    assert "mcg, mg or g" in message
    assert "'1000 mcg'" in message


def test_no_unit_on_a_volume_suggests_ml() -> None:
    message = _error(parse_volume, "1")
    assert "has no unit" in message
    assert "'1 mL'" in message


def test_unknown_unit_is_named() -> None:
    message = _error(parse_mass, "1000 foo")
    assert "unknown unit 'foo'" in message
    assert "mcg, mg or g" in message


def test_plural_of_an_abbreviation_is_an_unknown_unit() -> None:
    assert "unknown unit 'mcgs'" in _error(parse_mass, "1000 mcgs")


def test_mass_unit_where_a_volume_is_expected() -> None:
    message = _error(parse_volume, "1 mg")
    assert "'mg' is a mass unit" in message
    assert "mL or L" in message


def test_volume_unit_where_a_dose_is_expected() -> None:
    message = _error(parse_mass, "1 mL")
    assert "'ml' is a volume unit" in message
    assert "a dose needs mcg, mg or g" in message


def test_concentration_written_upside_down_is_refused() -> None:
    assert "is a volume unit" in _error(parse_concentration, "1 mL/1000 mcg")


def test_concentration_with_a_mass_below_the_line_is_refused() -> None:
    assert "'mg' is a mass unit" in _error(parse_concentration, "1000 mcg/mg")


def test_a_dose_is_not_a_concentration() -> None:
    message = _error(parse_concentration, "1000 mcg")
    assert "is not a concentration" in message
    assert "1000 mcg/mL" in message


@pytest.mark.parametrize(
    ("parser", "text", "what"),
    [(parse_mass, "-1 mg", "dose"), (parse_volume, "-1 mL", "volume"), (parse_volume, "- 0.5 mL", "volume")],
)
def test_negative_is_refused(parser: object, text: str, what: str) -> None:
    assert f"a {what} cannot be negative" in _error(parser, text)


def test_negative_volume_in_a_concentration_is_refused() -> None:
    assert "cannot be negative" in _error(parse_concentration, "1000 mcg/-1 mL")


@pytest.mark.parametrize(
    ("parser", "text"),
    [
        (parse_mass, "0 mg"),
        (parse_mass, "0.0 mcg"),
        (parse_volume, "0 mL"),
        (parse_concentration, "0 mcg/mL"),
    ],
)
def test_zero_is_refused(parser: object, text: str) -> None:
    assert "must be greater than zero" in _error(parser, text)


def test_zero_volume_in_a_concentration_is_refused() -> None:
    assert "must be greater than zero" in _error(parse_concentration, "1000 mcg/0 mL")


@pytest.mark.parametrize(
    ("parser", "text"),
    [
        (parse_volume, "1,5 mL"),
        (parse_volume, "2,5 ml"),
        (parse_volume, "1,50 mL"),
        (parse_mass, "12,34 mcg"),
    ],
)
def test_european_decimal_comma_is_refused_with_a_hint(parser: object, text: str) -> None:
    message = _error(parser, text)
    assert "write decimals with a point" in message
    assert "not a comma" in message


def test_decimal_comma_in_a_concentration_is_refused() -> None:
    assert "not a comma" in _error(parse_concentration, "1,5 mg/mL")


@pytest.mark.parametrize(
    ("parser", "text"),
    [
        (parse_mass, "1000000 g"),  # 1e12 mcg
        (parse_mass, "0.0000001 mcg"),
        (parse_volume, "10000000 L"),
        (parse_concentration, "1000000 g/mL"),
    ],
)
def test_out_of_range_is_refused(parser: object, text: str) -> None:
    assert "out of any plausible range" in _error(parser, text)


def test_range_limits_are_inclusive() -> None:
    assert parse_mass(f"{LARGEST:.0f} mcg").value == LARGEST
    assert parse_mass("0.000001 mcg").value == SMALLEST


@pytest.mark.parametrize("text", ["", "   ", "one thousand mcg", "1e3 mcg", "1 mg 2", "mcg", "1,0000 mcg"])
def test_text_that_is_not_a_quantity_is_refused(text: str) -> None:
    message = _error(parse_mass, text)
    assert "is not a dose" in message
    assert "'1000 mcg'" in message


def test_error_message_uses_the_name_it_is_given() -> None:
    assert "is not a volume" in _error(parse_volume, "abc")
    with pytest.raises(QuantityError, match="a product concentration must be greater than zero"):
        parse_concentration("0 mcg/mL", "product concentration")


def test_quantity_error_is_a_value_error() -> None:
    assert issubclass(QuantityError, ValueError)


def test_product_concentration_error_gives_a_concentration_example() -> None:
    message = _error(lambda t: parse_concentration(t, "product concentration"), "abc mcg/mL")
    assert "1000 mcg/mL" in message


# --- properties ---------------------------------------------------------------------------------


@given(st.floats(min_value=0.001, max_value=1_000_000, allow_nan=False, allow_infinity=False))
def test_any_value_in_mg_is_a_thousand_times_that_in_mcg(value: float) -> None:
    text = f"{value} mg"
    assert "e" not in text  # the property is about plain decimal notation
    assert parse_mass(text).value == pytest.approx(round(value * 1000, 6), abs=1e-6)


@given(st.decimals(min_value=Decimal("0.001"), max_value=Decimal(1_000_000), places=3))
def test_decimal_mg_is_exactly_rounded_mcg(value: Decimal) -> None:
    quantity = parse_mass(f"{value} mg")
    assert quantity.value == round(float(value) * 1000, 6)
    fraction = str(value).partition(".")[2]
    assert quantity.trailing_zero is (bool(fraction) and fraction.endswith("0"))


@given(st.integers(min_value=1, max_value=999_999_999))
def test_thousands_separators_do_not_change_the_value(value: int) -> None:
    assert parse_mass(f"{value:,} mcg").value == float(value)


@given(st.floats(min_value=0.001, max_value=1000, allow_nan=False, allow_infinity=False))
def test_concentration_is_mass_over_volume(volume: float) -> None:
    text = f"1000 mcg/{volume} mL"
    assert parse_concentration(text).value == pytest.approx(1000 / volume, rel=1e-6, abs=1e-6)


@given(st.text(alphabet=st.characters(categories=["L"]), min_size=1, max_size=6))
def test_a_unit_is_either_understood_or_refused_by_name(unit: str) -> None:
    text = f"5 {unit}"
    try:
        quantity = parse_mass(text)
    except QuantityError as error:
        assert re.search(r"unknown unit|is a volume unit|is not a dose", str(error))
    else:
        assert quantity.value > 0


# --- the quantity as the order stated it, for messages ----------------------------------------------


@pytest.mark.parametrize(
    ("parse", "text", "ordered"),
    [
        (parse_mass, "1 mg", (1.0, "mg")),
        (parse_mass, "1,000 mg", (1000.0, "mg")),
        (parse_mass, "1 MG", (1.0, "mg")),
        (parse_mass, "2 milligrams", (2.0, "mg")),
        (parse_mass, "0.001 g", (0.001, "g")),
        (parse_mass, "1 gram", (1.0, "g")),
        (parse_mass, "1000 mcg", None),
        (parse_mass, "1000 ug", None),
        (parse_mass, "1000 micrograms", None),
        (parse_volume, "1 mL", None),
        (parse_volume, "1 cc", None),
        (parse_volume, "0.001 L", (0.001, "L")),
        (parse_concentration, "1000 mcg/mL", None),
        (parse_concentration, "1000 mcg per mL", None),
        (parse_concentration, "1 mg/mL", (1.0, "mg/mL")),
        (parse_concentration, "5000 mcg/5 mL", (5000.0, "mcg/5 mL")),
        (parse_concentration, "5 mg/5 mL", (5.0, "mg/5 mL")),
        (parse_concentration, "1000 mg/L", (1000.0, "mg/L")),
    ],
)
def test_a_quantity_keeps_the_number_and_unit_the_order_stated(
    parse: Callable[[str], Quantity], text: str, ordered: tuple[float, str] | None
) -> None:
    assert parse(text).ordered == ordered


# --- doses in units (not mass) -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "units", "notation"),
    [
        ("1000 units", 1000.0, ("units",)),
        ("1 unit", 1.0, ("unit",)),
        ("5000 Units", 5000.0, ("units",)),
        ("5,000 units", 5000.0, ("units",)),
        ("10 IU", 10.0, ("iu",)),
        ("10IU", 10.0, ("iu",)),
        ("10 U", 10.0, ("u",)),
        ("10 I.U.", 10.0, ("i.u", "i.u.")),
        ("40 international units", 40.0, ("international units",)),
        ("1 international unit", 1.0, ("international unit",)),
        ("5000 USP units", 5000.0, ("usp units",)),
        ("0.5 units", 0.5, ("units",)),
    ],
)
def test_a_dose_in_units_is_read_with_its_unit_as_written(
    text: str, units: float, notation: tuple[str, ...]
) -> None:
    quantity = parse_units(text)
    assert quantity is not None
    assert quantity.value == units
    assert quantity.notation == notation


@pytest.mark.parametrize("text", ["1000 mcg", "1 mL", "a lot", "1000", "units", "1000 unicorns", "10 UI"])
def test_what_is_not_a_dose_in_units_is_none(text: str) -> None:
    assert parse_units(text) is None


@pytest.mark.parametrize(
    ("text", "message"),
    [("-5 units", "cannot be negative"), ("0 units", "greater than zero")],
)
def test_a_dose_in_units_is_refused_as_a_mass_is(text: str, message: str) -> None:
    with pytest.raises(QuantityError, match=message):
        parse_units(text)
