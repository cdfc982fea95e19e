"""Human output shows control characters from the data as escapes, never as themselves."""

from __future__ import annotations

import pytest

from doseguard.printable import printable, printable_lines


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("ORD\x1b[2J\x1b[1;1H", "ORD\\x1b[2J\\x1b[1;1H"),  # clear screen, cursor home (C0 ESC)
        ("a\x00b\x07c\x08d\re\nf\tg", "a\\x00b\\x07c\\x08d\\re\\nf\\tg"),
        ("DEL\x7f", "DEL\\x7f"),
        ("CSI\x9b2J", "CSI\\x9b2J"),  # C1
        ("gpj.\u202eexe", "gpj.\\u202eexe"),  # right-to-left override
        ("\u2066x\u2069\u200f\u061c", "\\u2066x\\u2069\\u200f\\u061c"),  # isolates, RLM, ALM
        ("line\u2028sep\u2029", "line\\u2028sep\\u2029"),
        ("zero\u200bwidth\ufeff", "zero\\u200bwidth\\ufeff"),
        ("lone \ud800 surrogate", "lone \\ud800 surrogate"),  # would not even encode as UTF-8
        ("tag\U000e0041", "tag\\U000e0041"),
    ],
)
def test_control_characters_are_escaped(text: str, shown: str) -> None:
    assert printable(text) == shown


@pytest.mark.parametrize(
    "text", ["", "ORD-1", "µg 1,000 mcg/mL é ü 日本 🙂", "a\\x1b is text", "[b]x[/b] <i>"]
)
def test_printable_text_is_left_alone(text: str) -> None:
    assert printable(text) == text


def test_printable_lines_keeps_the_line_breaks_of_a_message_and_escapes_the_rest() -> None:
    assert printable_lines("first \x1b[31m\nsecond\r") == "first \\x1b[31m\nsecond\\r"
