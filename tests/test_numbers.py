"""``format_number``: numbers written back as text, as a pharmacist writes them."""

from __future__ import annotations

import pytest

from doseguard.numbers import format_grouped, format_number
from doseguard.rules import expressions


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (1.0, "1"),
        (1000.0, "1000"),
        (0.5, "0.5"),
        (2.3333333, "2.333333"),
        (-0.0000001, "0"),
        (1e-7, "0"),
        (-2.5, "-2.5"),
    ],
)
def test_format_number_writes_no_trailing_zero(value: float, text: str) -> None:
    assert format_number(value) == text


def test_the_rule_language_formats_numbers_with_the_same_function() -> None:
    assert expressions.format_number is format_number


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (1.0, "1"),
        (999.0, "999"),
        (1000.0, "1,000"),
        (1_000_000.0, "1,000,000"),
        (1234.5, "1,234.5"),
        (0.333, "0.333"),
        (12345.678901, "12,345.678901"),
        (-2500.0, "-2,500"),
        (1e-7, "0"),
    ],
)
def test_format_grouped_writes_thousands_with_a_separator(value: float, text: str) -> None:
    assert format_grouped(value) == text
