"""What a reader yields: records, and their ids as the order model reads them."""

from __future__ import annotations

from typing import Any

import pytest

from doseguard.records import InputRecord, record_ids


@pytest.mark.parametrize(
    ("data", "ids"),
    [
        ({"order_id": " O1 ", "patient_id": 7}, ("O1", "7")),
        ({"order_id": "", "patient_id": "  "}, (None, None)),
        ({"order_id": 1.5, "patient_id": True}, (None, None)),  # neither text nor a whole number
        ({"drug": "cyanocobalamin"}, (None, None)),
        (["not", "an", "object"], (None, None)),
        (None, (None, None)),
    ],
)
def test_record_ids_read_text_and_whole_numbers_stripped(
    data: Any, ids: tuple[str | None, str | None]
) -> None:
    assert record_ids(data) == ids


def test_an_input_record_is_frozen_and_says_why_it_could_not_be_read() -> None:
    record = InputRecord("f:2", error="not JSON")
    assert (record.data, record.problems) == (None, ())
    with pytest.raises(AttributeError):
        record.source = "other"  # type: ignore[misc]
