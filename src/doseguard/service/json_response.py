"""JSON responses rendered by orjson: the web process's JSON cost a measurable share of a request.

The bytes are those Starlette's ``JSONResponse`` gives (``json.dumps`` with ``ensure_ascii=False``,
``allow_nan=False``, compact separators), with one difference in form only: a float under 1e-4 in
magnitude is written in decimal (``0.00001``) where ``json`` writes ``1e-05`` (the same number). Whatever
orjson would write differently from ``json`` (or accept where ``json`` refuses) goes to ``json`` itself:
a type other than the plain JSON ones (a dataclass, a datetime, a ``str`` or ``int`` subclass), a
non-string key, an integer over 64 bits, a lone surrogate, and any ``null`` in the output (orjson writes
NaN and infinities as ``null``; ``json`` refuses them)."""

from __future__ import annotations

from typing import Any

import orjson
from fastapi.responses import JSONResponse

_PLAIN_ONLY = (
    orjson.OPT_PASSTHROUGH_DATACLASS | orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_SUBCLASS
)


def _not_plain(value: Any) -> Any:
    raise TypeError(f"{type(value).__name__} is left to json")


class FastJSONResponse(JSONResponse):
    """A ``JSONResponse`` whose body orjson writes, or ``json`` where the two would differ."""

    def render(self, content: Any) -> bytes:
        try:
            body = orjson.dumps(content, default=_not_plain, option=_PLAIN_ONLY)
        except TypeError:  # orjson.JSONEncodeError is one
            return super().render(content)
        if b"null" in body:  # perhaps a NaN or an infinity, which json refuses
            return super().render(content)
        return body
