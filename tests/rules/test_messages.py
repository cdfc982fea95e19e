"""Messages show numbers as a pharmacist reads them: thousands separated, and a quantity in the unit
the order stated it (``as_ordered``), then in the unit the rules compare."""

from __future__ import annotations

from typing import Any

import pytest

from doseguard.errors import ExpressionError
from doseguard.rules.evaluate import ORDERED
from doseguard.rules.messages import display, parse_message
from doseguard.vocabulary import VOCABULARY

PARAMETERS: dict[str, Any] = {"max_dose_mcg": 1000.0, "table": {"deltoid": 2500.0}}


def rendered(text: str, facts: dict[str, Any]) -> str:
    template, _ = parse_message(text, VOCABULARY, PARAMETERS)
    compiled = template.compile()(facts)
    assert compiled == template.render(facts)  # the compiled template and the reference agree
    return compiled


@pytest.mark.parametrize(
    ("value", "text"),
    [(1000.0, "1,000"), (1_000_000.0, "1,000,000"), (2500, "2,500"), (0.5, "0.5"), (7 / 3, "2.333"),
     ([1000.0, 2.0], "1,000, 2")],
)  # fmt: skip
def test_numbers_in_messages_have_thousands_separated(value: Any, text: str) -> None:
    assert display(value) == text


def test_text_in_messages_keeps_its_digits_as_they_are() -> None:
    """Ids, codes and words hold digits that are not amounts: never grouped."""
    assert display("ORD-10000") == "ORD-10000"
    assert rendered("{route} {drug}", {"route": "IM", "drug": "b12 10000"}) == "IM b12 10000"


def test_parameters_and_fields_alike_are_grouped() -> None:
    assert rendered(
        "{dose_mcg} mcg over {max_dose_mcg} mcg, {table[site]}", {"dose_mcg": 1500.0, "site": "deltoid"}
    ) == ("1,500 mcg over 1,000 mcg, 2,500")


@pytest.mark.parametrize(
    ("field", "value", "stated", "text"),
    [
        ("dose_mcg", 1_000_000.0, (1000.0, "mg"), "1,000 mg (1,000,000 mcg)"),
        ("dose_mcg", 1000.0, (1.0, "mg"), "1 mg (1,000 mcg)"),
        ("dose_mcg", 1000.0, None, "1,000 mcg"),
        ("volume_ml", 1500.0, (1.5, "L"), "1.5 L (1,500 mL)"),
        ("volume_ml", 0.5, None, "0.5 mL"),
        ("concentration_mcg_per_ml", 1000.0, (5000.0, "mcg/5 mL"), "5,000 mcg/5 mL (1,000 mcg/mL)"),
        ("product_concentration_mcg_per_ml", 1000.0, (1.0, "mg/mL"), "1 mg/mL (1,000 mcg/mL)"),
    ],
)
def test_as_ordered_shows_the_quantity_as_the_order_stated_it(
    field: str, value: float, stated: tuple[float, str] | None, text: str
) -> None:
    facts: dict[str, Any] = {field: value}
    if stated is not None:
        facts[ORDERED] = {field: stated}
    assert rendered(f"{{as_ordered({field})}} in one injection", facts) == f"{text} in one injection"


def test_as_ordered_of_a_field_the_order_does_not_state_says_so() -> None:
    assert rendered("{as_ordered(dose_mcg)}", {}) == "not stated"


@pytest.mark.parametrize(
    ("placeholder", "problem"),
    [
        ("as_ordered(max_dose_mcg)", r"as_ordered\(\) takes a quantity field"),
        ("as_ordered(route)", r"as_ordered\(\) takes a quantity field"),
        ("as_ordered(dose_mcg / 2)", r"as_ordered\(\) takes a quantity field"),
        ("as_ordered(dose_mcg, volume_ml)", "takes 1 argument"),
    ],
)
def test_as_ordered_takes_one_quantity_field(placeholder: str, problem: str) -> None:
    with pytest.raises(ExpressionError, match=problem):
        parse_message(f"{{{placeholder}}}", VOCABULARY, PARAMETERS)
