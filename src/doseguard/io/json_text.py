"""One JSON record read exactly: orjson for speed, and what orjson cannot say.

orjson keeps the last of two values under one key, so ``{"dose": "100000 mcg", ..., "dose": "1000 mcg"}``
would be read as a 1000 mcg order, while another reader of the same bytes sees the first: a record
with a repeated key is refused, naming the key. It also cannot say *which* field holds a number it
refuses (NaN, 1e400) or nests too deeply; the standard library, with hooks, can, and is asked only
when orjson has refused the record or when a cheap necessary condition for a repeated key holds.

The cheap test (exact, see :func:`may_repeat_keys`): outside strings every key, and nothing else, is
followed by a colon, so if the bytes hold no more colons outside strings than the parsed objects hold
keys, no key was repeated. A plain order (no colon in any value) passes with two ``bytes.count``
calls; one with colons in values (times, URLs) or nested objects with orjson writing it back.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import orjson

from doseguard.errors import FieldProblem

MAX_REPORTED = 5
"""Problems named per record at most (a record of a thousand repeats says so in a few lines)."""


@dataclass(frozen=True, slots=True)
class Unreadable:
    """A record (or a place in the input) that cannot be read, reported as an invalid record.

    ``reason`` is for the whole record; ``problems`` name fields (which key is repeated, which field
    holds a number out of range); ``data`` holds what could safely be read of the record's ids.
    """

    reason: str
    problems: tuple[FieldProblem, ...] = ()
    data: Any = None


def may_repeat_keys(raw: bytes, data: Any) -> bool:
    """False only if no object in ``raw`` (whose value is ``data``) repeats a key.

    Outside strings a colon follows each key and nothing else. So the bytes hold as many colons as
    key occurrences plus colons inside strings, and orjson's own writing of ``data`` as many as the
    distinct keys plus the colons of the strings it kept (orjson never escapes one). Unless a colon is
    written ``\\u003a``, a repeat is exactly a difference: it adds a key occurrence, and the value it
    drops can only take colons away from the writing. (How a key is spelt, escaped or not, does not
    matter: only colons are counted.)
    """
    colons = raw.count(b":")
    if type(data) is dict and colons == len(data) and raw.count(b"{") == 1:
        return False  # one object (a nested one needs a brace of its own), one colon per key
    if b"\\u003a" in raw or b"\\u003A" in raw:
        return True  # an escaped colon: the bytes hold fewer colons than the strings
    try:
        return orjson.dumps(data).count(b":") != colons
    except orjson.JSONEncodeError:  # nested deeper than orjson writes
        return True


def load_clean(raw: bytes) -> tuple[Any, bool]:
    """A whole JSON document, and whether it is known to hold no repeated key and no bad number (then
    it is orjson's plain value, and :func:`problems_in` need not look); else :func:`load_document`'s.
    Raises what ``json.loads`` raises, and UnicodeDecodeError."""
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return load_document(raw.decode("utf-8")), False
    if (type(value) is dict or type(value) is list) and may_repeat_keys(raw, value):
        return load_document(raw.decode("utf-8")), False
    return value, True


def load_document(text: str) -> Any:
    """A whole JSON document (a Bundle, one resource), strictly: objects with a repeated key are
    :class:`Repeated` (a dict, last value kept) for :func:`problems_in` to name. Raises what
    ``json.loads`` raises."""
    return json.loads(
        text,
        object_pairs_hook=_pairs,
        parse_constant=_BadNumber,
        parse_float=_float,
        parse_int=_int,
    )


def problems_in(value: Any, root: str, skip: str | None = None) -> list[FieldProblem]:
    """The repeated keys and bad numbers in a value from :func:`load_document`, each at its path
    (``root`` names the value itself: a FHIR resource type, or "" for a plain record); the value
    under the top-level key ``skip`` is not looked into (a Bundle's entries, checked one by one)."""
    found: list[FieldProblem] = []
    try:
        for problem in _walk(value, root, skip):
            found.append(problem)
            if len(found) >= MAX_REPORTED:
                break
    except RecursionError:  # nested about as deep as the standard library reads: not an order
        return [FieldProblem(root or "record", f"nested too deeply: {NESTED_TOO_DEEPLY}")]
    return found


def checked_document(value: Any) -> Any:
    """``value`` (from :func:`load_document`), or an Unreadable naming its
    repeated keys and bad numbers."""
    problems = problems_in(value, root_of(value))
    return unreadable(value, problems) if problems else value


def root_of(value: Any) -> str:
    """How paths in a record start: its FHIR resource type, or nothing for a plain order record."""
    if isinstance(value, dict) and isinstance(value.get("resourceType"), str) and value["resourceType"]:
        return str(value["resourceType"])
    return ""


def unreadable(value: Any, problems: list[FieldProblem]) -> Unreadable:
    """``value`` (strictly loaded) refused for ``problems``, keeping its ids where they are sure."""
    reason = "; ".join(str(problem) for problem in problems)
    return Unreadable(reason, tuple(problems), _safe_ids(value))


class Repeated(dict[str, Any]):
    """An object that repeats keys: ``repeats`` holds each such key with all its values, in order."""

    repeats: dict[str, list[Any]]


class _BadNumber(str):
    """A number JSON input must not hold (NaN, Infinity, 1e400, an integer of thousands of digits)."""


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    value = dict(pairs)
    if len(value) == len(pairs):
        return value
    repeated = Repeated(value)
    repeated.repeats = {}
    counts = Counter(key for key, _ in pairs)
    for key, item in pairs:
        if counts[key] > 1:
            repeated.repeats.setdefault(key, []).append(item)
    return repeated


def _float(text: str) -> float | _BadNumber:
    number = float(text)
    return number if math.isfinite(number) else _BadNumber(text)


def _int(text: str) -> int | float | _BadNumber:
    if len(text.lstrip("-")) > 19:  # beyond 64 bits (where orjson, and many readers, stop): as written
        number = float(text)
        return number if math.isfinite(number) else _BadNumber(text)
    return int(text)


NESTED_TOO_DEEPLY = "more levels than doseguard reads (an order is two levels deep)"


def refuse_repeats(raw: bytes) -> Unreadable | None:
    """The record refused if it repeats a key (orjson has read it: the standard library reads fewer
    levels of nesting, and a record nested that deep is refused as such, not left to crash)."""
    try:
        value = load_document(raw.decode("utf-8"))
    except RecursionError:
        return Unreadable(f"not readable: nested too deeply, {NESTED_TOO_DEEPLY}")
    problems = problems_in(value, root_of(value))
    return unreadable(value, problems) if problems else None


def not_utf8(error: UnicodeDecodeError, offset: int = 0) -> str:
    """The bad byte and its 1-based position (``offset`` bytes were cut before decoding), with the
    likely cause: a bare position ("byte 73") read as the byte's value."""
    return not_utf8_at(error.object[error.start], f"byte {error.start + 1 + offset}")


def not_utf8_at(byte: int, where: str) -> str:
    """The one wording of text that is not UTF-8, for a whole line or a CSV cell."""
    return f"not UTF-8 text (byte 0x{byte:02X} at {where}): a Latin-1 or Windows-1252 file? save it as UTF-8"


def explain(raw: bytes) -> Unreadable:
    """Why orjson refused ``raw``, in words a person understands, naming the field where there is one."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        return Unreadable(not_utf8(error))
    try:
        value = load_document(text)
    except json.JSONDecodeError as error:
        where = f"line {error.lineno} column {error.colno}" if error.lineno > 1 else f"column {error.colno}"
        return Unreadable(f"not JSON: {error.msg} at {where}")
    except RecursionError:
        return Unreadable("not readable: nested too deeply")
    except ValueError as error:
        return Unreadable(f"not readable: {error}")
    problems = problems_in(value, root_of(value))
    if problems:
        return unreadable(value, problems)
    return Unreadable("not readable: a number or nesting beyond what doseguard accepts")


def _walk(value: Any, path: str, skip: str | None = None) -> Iterator[FieldProblem]:
    if isinstance(value, _BadNumber):
        yield FieldProblem(
            path or "record",
            f"the number {_shown(value)} is not one JSON input may hold (not finite, or out of range)",
            str(value),
        )
    elif isinstance(value, dict):
        if isinstance(value, Repeated):
            for key, items in value.repeats.items():
                shown = ", then ".join(_shown(item) for item in items)
                yield FieldProblem(
                    _join(path, key),
                    f"the key is given {len(items)} times ({shown}): which value is meant?",
                    key,
                )
        for key, item in value.items():
            if key != skip and isinstance(item, dict | list | _BadNumber):
                yield from _walk(item, _join(path, key))
    elif isinstance(value, list):
        for number, item in enumerate(value):
            if isinstance(item, dict | list | _BadNumber):
                yield from _walk(item, f"{path or 'record'}[{number}]")


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _shown(value: Any) -> str:
    if isinstance(value, _BadNumber):
        text = str(value)
        return text if len(text) <= 24 else f"{text[:10]}...({len(text)} characters)"
    text = json.dumps(value, ensure_ascii=False) if not isinstance(value, dict | list) else "{...}"
    if isinstance(value, list):
        text = "[...]"
    return text if len(text) <= 60 else f"{text[:57]}..."


def _safe_ids(value: Any) -> dict[str, Any] | None:
    """The record's ids, unless an id is itself repeated or bad (then nobody knows which it is)."""
    if not isinstance(value, dict) or "resourceType" in value:
        return None
    repeats = value.repeats if isinstance(value, Repeated) else {}
    ids = {
        key: value[key]
        for key in ("order_id", "patient_id")
        if key in value and key not in repeats and isinstance(value[key], str | int)
        and not isinstance(value[key], bool | _BadNumber)
    }  # fmt: skip
    return ids or None
