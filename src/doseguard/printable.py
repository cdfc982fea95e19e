"""Text from the data made safe to show to a person: every control character escaped.

An order id holding ``ESC [ 2 A ESC [ 2 K`` moved a terminal's cursor up and erased the rows above it
(a critical finding among them); a right-to-left override (U+202E) makes a browser or a terminal
show other text than the data. Human outputs (the table, the HTML report, messages on stderr) pass
everything that came from the input through :func:`printable`; machine outputs (JSON, CSV) stay
exact. Escapes read as Python's: ``\\x1b``, ``\\u202e``, ``\\n``.

A foundation module (it imports nothing of doseguard), so that rule-file messages (``rules/``) and the
outputs (``io/``, ``cli/``) escape alike without ``rules/`` importing ``io/``.
"""

from __future__ import annotations

import re

_ESCAPED = re.compile(
    "["
    "\x00-\x1f\x7f-\x9f"  # C0, DEL, C1 (Cc)
    "\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb"  # format
    # characters that reorder, hide or break text (Cf), line and paragraph separators (Zl, Zp)
    "\ud800-\udfff"  # lone surrogates: they cannot even be encoded
    "\U000e0001\U000e0020-\U000e007f"  # tag characters (invisible)
    "]"
)
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    named = _NAMED.get(char)
    if named is not None:
        return named
    code = ord(char)
    if code < 0x100:
        return f"\\x{code:02x}"
    if code < 0x10000:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def printable(text: str) -> str:
    """``text`` with every control character shown as an escape (line breaks too)."""
    if text.isprintable():  # nearly always: a scan in C, no copy
        return text
    return _ESCAPED.sub(_escape, text)


def printable_lines(text: str) -> str:
    """A message of several lines: its line breaks kept, every other control character escaped."""
    if text.isprintable() or _ESCAPED.search(text) is None:  # nearly always: a scan in C, no copy
        return text
    return "\n".join(_ESCAPED.sub(_escape, line) for line in text.split("\n"))
