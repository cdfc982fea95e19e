"""The "did you mean" of every message: the one place a misspelt name is matched to the name meant.

A foundation module (it imports nothing of doseguard). Errors keep the name meant as data
(``suggestion``); the text a person reads says it too.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable


def closest(
    word: str, candidates: Iterable[object], *, cutoff: float = 0.6, any_case: bool = False
) -> str | None:
    """The candidate ``word`` is most likely a misspelling of, or None when none is close enough.

    ``cutoff`` is :func:`difflib.get_close_matches`'s similarity (0 to 1); with ``any_case``, a
    candidate that differs from ``word`` only in case is found when no spelling is close."""
    names = [str(candidate) for candidate in candidates]
    close = difflib.get_close_matches(word, names, n=1, cutoff=cutoff)
    if close:
        return close[0]
    if any_case:
        lowered = {name.lower(): name for name in names}
        return lowered.get(word.lower())
    return None


def did_you_mean(suggestion: str | None) -> str:
    """The ``; did you mean 'x'?`` suffix of a message, or nothing when there is no suggestion."""
    return f"; did you mean {suggestion!r}?" if suggestion is not None else ""
