"""``FastJSONResponse`` gives the bytes Starlette's ``JSONResponse`` gave (floats under 1e-4 aside,
which are the same numbers), and refuses what it refused."""

from __future__ import annotations

import dataclasses
import datetime
import json
import math
from enum import Enum
from typing import Any

import pytest
from fastapi.responses import JSONResponse
from hypothesis import given
from hypothesis import strategies as st

from doseguard.service.json_response import FastJSONResponse

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats()  # NaN and infinities included: both must refuse them
    | st.text(st.characters(codec=None)),  # lone surrogates included
    lambda inner: (
        st.lists(inner, max_size=5)
        | st.dictionaries(st.text(max_size=8) | st.integers(-3, 3), inner, max_size=5)
    ),
    max_leaves=30,
)


def floats_in(value: Any) -> list[float]:
    if isinstance(value, float):
        return [value]
    if isinstance(value, list):
        return [f for item in value for f in floats_in(item)]
    if isinstance(value, dict):
        return [f for item in value.values() for f in floats_in(item)]
    return []


def rendered(response_class: type[JSONResponse], content: Any) -> bytes | type[Exception]:
    try:
        return bytes(response_class(content).body)
    except (ValueError, TypeError) as error:  # UnicodeEncodeError is a ValueError
        return type(error)


@given(json_values)
def test_the_bytes_are_those_of_json_response_and_its_refusals_the_same(content: Any) -> None:
    old, new = rendered(JSONResponse, content), rendered(FastJSONResponse, content)
    if not isinstance(old, bytes):
        assert new is old
        return
    assert isinstance(new, bytes)
    assert json.loads(new) == json.loads(old)
    if all(math.isfinite(f) and (f == 0 or abs(f) >= 1e-4) for f in floats_in(content)):
        assert new == old


class Colour(str, Enum):  # noqa: UP042 (a str subclass is the point)
    RED = "red"


@dataclasses.dataclass
class Point:
    x: int


@pytest.mark.parametrize(
    "content",
    [
        {"when": datetime.datetime(2026, 12, 4, tzinfo=datetime.UTC)},  # json refuses it: so does this
        {"point": Point(1)},
        {"colour": Colour.RED},  # a str subclass: json's way
        {1: "int key"},
        {"big": 2**80},
        {"nan": math.nan},
        {"inf": [1.0, math.inf]},
        {"null": None, "text": "é\u2028\x00"},
    ],
)
def test_what_orjson_would_write_otherwise_is_json_response_s_answer(content: Any) -> None:
    assert rendered(FastJSONResponse, content) == rendered(JSONResponse, content)


def test_a_tiny_float_is_the_same_number() -> None:
    body = FastJSONResponse({"dose": 1e-05}).body
    assert json.loads(body) == {"dose": 1e-05}
