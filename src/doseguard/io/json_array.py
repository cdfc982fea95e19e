"""The elements of a JSON array, cut from its bytes as they are read, each one the worker's to parse.

Elements are cut by counting brackets outside strings, so a bad element spoils only itself, and
nothing is built in the main process: nesting costs no memory beyond its bytes.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import IO

from doseguard.io.json_text import Unreadable
from doseguard.io.streams import READ_BLOCK

MAX_DEPTH = 32
"""Deepest nesting accepted inside one element of a JSON array (an order is two levels deep): deeper is
refused before any parser sees it (a streaming item builder once turned a 200 kB file of nested brackets
into 24 GB of memory)."""

_BODY = rb'[^"\\\n]*+(?:\\[^\n][^"\\\n]*+)*+'
_STRING = rb'"%b"' % _BODY
# What may be passed over inside an element (strings whole) up to the next bracket, and at the top
# level of the array up to the next bracket or comma; a string cut by the end of a block stops it,
# and so does a string that meets a raw new line (JSON strings hold none: the string was left open).
_SKIP_INSIDE = re.compile(rb'(?:[^"\[\]{}]++|%b)*+' % _STRING, re.S)
_SKIP_TOP = re.compile(rb'(?:[^"\[\]{},]++|%b)*+' % _STRING, re.S)
_STRING_BODY = re.compile(_BODY)
_OPEN, _COMMA, _QUOTE, _BRACE = frozenset(b"[{"), ord(","), ord('"'), ord("}")
_LEFT_BRACE, _COLON, _BACKSLASH, _NEW_LINE = (ord(c) for c in "{:\\\n")
_SPACE = frozenset(b" \t\r\n")
_SPACE_BYTE = ord(" ")


def array_items(stream: IO[bytes]) -> Iterator[bytes | Unreadable]:
    """The elements of a top-level JSON array, each as its own bytes (parsed by the worker, as a JSON
    line is), or the reason it cannot be one.

    Elements are cut by counting brackets outside strings, so a bad element (a number orjson
    refuses, a repeated key, nesting deeper than :data:`MAX_DEPTH`, a syntax error) spoils only
    itself: the next one starts after its comma. Nothing is built here, so nesting costs no memory
    beyond its bytes. A file that ends before the array is closed ends with an invalid record.
    """
    buffer = bytearray()
    pos = start = 0  # where scanning goes on; where the current element began
    opened = False  # past the array's opening bracket
    inside = bytearray()  # the brackets open inside the current element, innermost last
    deepest = 1  # of the current element
    commas = 0
    for block in iter(lambda: stream.read(READ_BLOCK), b""):
        del buffer[:start]
        pos, start = pos - start, 0
        buffer += block
        if not opened:  # before the opening bracket
            stripped = buffer.lstrip()
            if not stripped:
                buffer.clear()
                continue
            if stripped[:1] != b"[":
                raise ValueError("expected a JSON array of orders")
            pos = start = len(buffer) - len(stripped) + 1
            opened = True
        while True:
            pos = (_SKIP_INSIDE if inside else _SKIP_TOP).match(buffer, pos).end()  # type: ignore[union-attr]
            if pos >= len(buffer):
                break  # the block ended: read on
            char = buffer[pos]
            if char == _QUOTE:
                end = _STRING_BODY.match(buffer, pos + 1).end()  # type: ignore[union-attr]
                if end >= len(buffer) or (buffer[end] == _BACKSLASH and end + 1 >= len(buffer)):
                    break  # the block ended inside a string: read on
                pos += 1  # a raw new line ends an unclosed string: read on after its quote
                continue
            pos += 1
            if char in _OPEN:
                after = buffer[pos - 2] if pos - 2 >= start else -1  # '"dose": {' nearly always
                colon = after == _COLON or (after == _SPACE_BYTE and buffer[pos - 3] == _COLON)
                cut = None if colon else _starts_another(buffer, start, pos - 1, inside)
                if cut is not None:  # the element was left unclosed, or a comma left out
                    yield cut
                    start, deepest = pos - 1, 1
                    inside.clear()
                    commas += 1
                inside.append(char)
                deepest = max(deepest, len(inside) + 1)
            elif inside:
                _close(inside, char)
            elif char == _BRACE:
                continue  # a stray '}' belongs to its element, which will not parse
            else:  # a comma or the closing bracket of the array: the element ends
                element = bytes(buffer[start : pos - 1]).strip()
                if char == _COMMA or element or commas:
                    yield _element(element, deepest, "a comma" if char == _COMMA else "the closing bracket")
                start, deepest = pos, 1
                if char == _COMMA:
                    commas += 1
                    continue
                if not _only_space(bytes(buffer[pos:]), stream):
                    yield Unreadable("not JSON: there is more text after the array's closing bracket")
                return
    if opened:
        yield Unreadable(
            "the file ends inside this record, before the array is closed (truncated?)"
            if buffer[start:].strip()
            else "the file ends before the array is closed (truncated?)"
        )


def _starts_another(buffer: bytearray, start: int, at: int, inside: bytearray) -> Unreadable | None:
    """The element that began at ``start`` refused, if the bracket at ``at`` cannot belong to it
    and so starts the next element; else None.

    At the array's level a bracket after a closed element starts another (a comma left out). Inside
    an object a bracket may only follow a colon: one at the start of a line where a key or a comma
    must come (``"dose": "1 mg",`` then ``{"order_id": ...`` on the next line) is the next element,
    and the element before it was left unclosed, or it would merge every later element into itself.
    (Elsewhere inside an element a misplaced bracket spoils only that element, as before.)
    """
    index, line_start = at - 1, False
    while index >= start and buffer[index] in _SPACE:
        line_start = line_start or buffer[index] == _NEW_LINE
        index -= 1
    if index < start:
        return None  # the element's first bracket
    if not inside:
        return Unreadable("not JSON: no comma between this element and the next")
    if line_start and inside[-1] == _LEFT_BRACE and buffer[index] != _COLON:
        element = bytes(buffer[start:at]).strip()
        return Unreadable(
            f"not JSON: the element is not closed before the next one starts (after {_shown_end(element)})"
        )
    return None


def _shown_end(element: bytes) -> str:
    text = element.decode("utf-8", "replace").splitlines()[-1].strip()
    return repr(text if len(text) <= 40 else f"...{text[-37:]}")


def _close(inside: bytearray, closer: int) -> None:
    """Close the innermost open bracket of the closer's kind, and those left open inside it.

    A closer of the wrong kind (``}`` for an open ``[``) spoils its element, which will not parse,
    but must not carry the count past the element's end and so merge the next elements into it.
    A closer with no opener of its kind inside the element closes the innermost bracket.
    """
    at = inside.rfind(closer - 2)  # '[' is ']' - 2, '{' is '}' - 2
    del inside[at if at >= 0 else -1 :]


def _only_space(rest: bytes, stream: IO[bytes]) -> bool:
    while not rest.strip():
        rest = stream.read(READ_BLOCK)
        if not rest:
            return True
    return False


def _element(element: bytes, deepest: int, before: str) -> bytes | Unreadable:
    if not element:
        return Unreadable(f"not JSON: no value before {before}")
    if deepest > MAX_DEPTH:
        return Unreadable(f"not readable: the record is nested more than {MAX_DEPTH} levels deep")
    return element
