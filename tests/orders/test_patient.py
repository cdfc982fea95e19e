"""Patient facts as orders and patient files write them: units normalised, implausible values refused."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from doseguard.errors import PatientFactError
from doseguard.orders.patient import (
    age_at,
    body_surface_area_m2,
    parse_age,
    parse_birth_date,
    parse_height,
    parse_ordered_at,
    parse_pregnant,
    parse_renal,
    parse_sex,
    parse_weight,
)

# --- weight -> kg --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "kg"),
    [
        ("80", 80.0),
        ("80.5", 80.5),
        ("80 kg", 80.0),
        ("80kg", 80.0),
        ("80 KG", 80.0),
        ("80 kilograms", 80.0),
        ("176 lb", 79.832257),
        ("176 lbs", 79.832257),
        ("850 g", 0.85),
        ("0.3 kg", 0.3),  # the lightest plausible: a very premature neonate
        ("500 kg", 500.0),
    ],
)
def test_weight_is_normalised_to_kg(text: str, kg: float) -> None:
    assert parse_weight(text) == kg


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("0.2 kg", "outside the plausible range"),
        ("501 kg", "outside the plausible range"),
        ("0", "outside the plausible range"),
        ("-80 kg", "outside the plausible range"),
        ("80 cm", "unknown unit 'cm'"),
        ("eighty", "not a weight"),
        ("80,5 kg", "not a weight"),
        (">80 kg", "not a weight"),
        ("", "not a weight"),
    ],
)
def test_a_weight_that_is_no_plausible_weight_is_refused(text: str, words: str) -> None:
    with pytest.raises(PatientFactError, match=words):
        parse_weight(text)


# --- height -> cm --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "cm"),
    [
        ("180", 180.0),
        ("180 cm", 180.0),
        ("1.8 m", 180.0),
        ("71 in", 180.34),
        ("5 ft 11 in", 180.34),
        ("5ft 11in", 180.34),
        ("5' 11\"", 180.34),
        ("6 ft", 182.88),
        ("20 cm", 20.0),
        ("280 cm", 280.0),
    ],
)
def test_height_is_normalised_to_cm(text: str, cm: float) -> None:
    assert parse_height(text) == pytest.approx(cm)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("1.8", "outside the plausible range"),  # metres without a unit: read as cm, so refused
        ("281 cm", "outside the plausible range"),
        ("180 kg", "unknown unit 'kg'"),
        ("tall", "not a height"),
    ],
)
def test_a_height_that_is_no_plausible_height_is_refused(text: str, words: str) -> None:
    with pytest.raises(PatientFactError, match=words):
        parse_height(text)


# --- age, sex, pregnancy ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "years"),
    [("70", 70.0), ("70 years", 70.0), ("70 y", 70.0), ("70 yrs", 70.0), ("6 months", 0.5), ("0", 0.0),
     ("130", 130.0)],
)  # fmt: skip
def test_age_is_in_years(text: str, years: float) -> None:
    assert parse_age(text) == years


@pytest.mark.parametrize("text", ["131", "-1", "seventy", "70 kg"])
def test_an_implausible_age_is_refused(text: str) -> None:
    with pytest.raises(PatientFactError):
        parse_age(text)


@pytest.mark.parametrize(
    ("text", "sex"),
    [("female", "female"), ("F", "female"), ("Female", "female"), ("m", "male"), ("MALE", "male"),
     ("other", "other"), ("unknown", "unknown"), ("U", "unknown")],
)  # fmt: skip
def test_sex_is_one_of_the_fhir_gender_codes(text: str, sex: str) -> None:
    assert parse_sex(text) == sex


def test_an_unknown_sex_is_refused_with_the_codes() -> None:
    with pytest.raises(PatientFactError, match="female, male, other or unknown"):
        parse_sex("fem")


@pytest.mark.parametrize(
    ("text", "pregnant"),
    [("yes", True), ("true", True), ("Y", True), ("no", False), ("false", False), ("N", False)],
)
def test_pregnant_is_yes_or_no(text: str, pregnant: bool) -> None:
    assert parse_pregnant(text) is pregnant


def test_a_pregnancy_that_is_neither_yes_nor_no_is_refused() -> None:
    with pytest.raises(PatientFactError, match="yes or no"):
        parse_pregnant("possibly")


# --- renal function -> mL/min -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "field", "value"),
    [
        ("25", "creatinine_clearance_ml_min", 25.0),
        ("25 mL/min", "creatinine_clearance_ml_min", 25.0),
        ("25 ml/min", "creatinine_clearance_ml_min", 25.0),
        ("0 mL/min", "creatinine_clearance_ml_min", 0.0),  # anuric
        ("250", "creatinine_clearance_ml_min", 250.0),
        ("40", "egfr", 40.0),
        ("40 mL/min/1.73m2", "egfr", 40.0),
        ("40 mL/min/1.73 m2", "egfr", 40.0),
        ("40 mL/min/1.73m²", "egfr", 40.0),
        ("40 mL/min", "egfr", 40.0),
    ],
)
def test_renal_function_is_in_ml_per_min(text: str, field: str, value: float) -> None:
    assert parse_renal(text, field) == value


@pytest.mark.parametrize(
    ("text", "field", "words"),
    [
        ("251 mL/min", "creatinine_clearance_ml_min", "outside the plausible range"),
        ("25 mL/min/1.73m2", "creatinine_clearance_ml_min", "eGFR"),
        ("25 mg/dL", "creatinine_clearance_ml_min", "unknown unit"),
        (">90", "egfr", "not a number"),
        ("normal", "egfr", "not a number"),
    ],
)
def test_implausible_renal_function_is_refused(text: str, field: str, words: str) -> None:
    with pytest.raises(PatientFactError, match=words):
        parse_renal(text, field)


# --- dates -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "when"),
    [
        ("2026-03-01T09:00:00Z", datetime(2026, 3, 1, 9, tzinfo=UTC)),
        ("2026-03-01T09:00:00+01:00", datetime(2026, 3, 1, 9, tzinfo=timezone(timedelta(hours=1)))),
        ("2026-03-01T09:00:00", datetime(2026, 3, 1, 9, tzinfo=UTC)),  # no offset: UTC
        ("2026-03-01 09:00", datetime(2026, 3, 1, 9, tzinfo=UTC)),
        ("2026-03-01", datetime(2026, 3, 1, tzinfo=UTC)),  # a date alone: that day, 00:00 UTC
    ],
)
def test_ordered_at_is_an_aware_datetime(text: str, when: datetime) -> None:
    parsed = parse_ordered_at(text)
    assert parsed == when
    assert parsed.utcoffset() == when.utcoffset()


@pytest.mark.parametrize("text", ["2026-02-30", "01/03/2026", "yesterday", "1772355600", "2026-03"])
def test_an_ordered_at_that_is_no_iso_date_is_refused(text: str) -> None:
    with pytest.raises(PatientFactError, match="ISO 8601"):
        parse_ordered_at(text)


def test_birth_date_is_a_full_iso_date() -> None:
    assert parse_birth_date("1956-04-02") == date(1956, 4, 2)
    for text in ("1956", "1956-04", "02/04/1956", "1956-04-02T00:00:00Z"):
        with pytest.raises(PatientFactError, match="YYYY-MM-DD"):
            parse_birth_date(text)


@pytest.mark.parametrize(
    ("born", "ordered", "years"),
    [
        (date(1956, 3, 1), datetime(2026, 3, 1, 9, tzinfo=UTC), 70),  # the birthday itself
        (date(1956, 3, 2), datetime(2026, 3, 1, 9, tzinfo=UTC), 69),  # the day before it
        (date(2024, 2, 29), datetime(2025, 2, 28, tzinfo=UTC), 0),  # born on 29 February
        (date(2024, 2, 29), datetime(2025, 3, 1, tzinfo=UTC), 1),
        (date(2026, 3, 1), datetime(2026, 3, 1, tzinfo=UTC), 0),  # born the day of the order
    ],
)
def test_age_is_counted_in_whole_years_at_the_order(born: date, ordered: datetime, years: int) -> None:
    assert age_at(born, ordered) == years


def test_age_is_counted_on_the_order_s_own_calendar_day() -> None:
    """23:30 on 28 February in New York is already 1 March in UTC: the order's own date counts."""
    new_york = timezone(timedelta(hours=-5))
    assert age_at(date(1956, 3, 1), datetime(2026, 2, 28, 23, 30, tzinfo=new_york)) == 69


def test_body_surface_area_is_mosteller_to_two_decimals() -> None:
    assert body_surface_area_m2(80.0, 180.0) == 2.0  # sqrt(80 * 180 / 3600)
    assert body_surface_area_m2(70.0, 170.0) == 1.82


@pytest.mark.parametrize(
    "text",
    ["0001-01-01", "0001-01-01T00:00:00+01:00", "9999-12-31T23:00:00-05:00", "1066-10-14", "2200-01-01"],
)
def test_an_ordered_at_in_an_implausible_year_is_refused(text: str) -> None:
    """Year 1 with an offset is before the first instant Python can hold in UTC, so windows counted
    from it failed further on; 9999 or 1066 is a typo, not an order. Refused, naming the year."""
    with pytest.raises(PatientFactError, match=r"year \d+ is not plausible \(1900-2199\)"):
        parse_ordered_at(text)


@pytest.mark.parametrize("text", ["1900-01-01T00:00:00+14:00", "2199-12-31T23:59:59-12:00"])
def test_the_first_and_last_plausible_years_are_read(text: str) -> None:
    assert parse_ordered_at(text).year in (1900, 2199)
