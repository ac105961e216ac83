"""The client's reply, visible while it decodes.

The client's step is a structured output, ``{"emotion": [...], "reply": "..."}``. Its tokens
arrive as raw JSON; :class:`ReplyText` picks out the ``reply`` string's characters as they
come, escapes decoded, so the trainee reads the reply while the model writes it.
"""

from __future__ import annotations

import re

_KEY = re.compile(r'"reply"\s*:\s*"')
_ESCAPES = {'"': '"', "\\": "\\", "/": "/", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t"}


class ReplyText:
    """Incremental decoder of one generation's ``reply`` field."""

    def __init__(self) -> None:
        self.raw = ""
        self.text = ""
        self.done = False
        self._pos: int | None = None  # where the next undecoded character of the value is

    def feed(self, chunk: str) -> str:
        """Add raw model output; return the reply text it completed (may be empty)."""
        self.raw += chunk
        if self._pos is None:
            key = _KEY.search(self.raw)
            if key is None:
                return ""
            self._pos = key.end()
        out: list[str] = []
        while not self.done and self._pos < len(self.raw):
            got = self._next(self._pos)
            if got is None:  # an escape cut between chunks: wait for the rest
                break
            char, self._pos = got
            if char is None:
                self.done = True
            else:
                out.append(char)
        new = "".join(out)
        self.text += new
        return new

    def _next(self, pos: int) -> tuple[str | None, int] | None:
        """The character at ``pos`` and the position after it; ``(None, _)`` at the closing
        quote; None when the escape there is not complete yet."""
        raw = self.raw
        c = raw[pos]
        if c == '"':
            return None, pos + 1
        if c != "\\":
            return c, pos + 1
        if pos + 1 >= len(raw):
            return None
        e = raw[pos + 1]
        if e != "u":
            return _ESCAPES.get(e, e), pos + 2
        if pos + 6 > len(raw):
            return None
        code = _hex(raw[pos + 2 : pos + 6])
        if 0xD800 <= code < 0xDC00:  # a surrogate pair: the low half follows as \\uXXXX
            if pos + 12 > len(raw):
                return None
            low = _hex(raw[pos + 8 : pos + 12]) if raw[pos + 6 : pos + 8] == "\\u" else 0
            if 0xDC00 <= low < 0xE000:
                return chr(0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)), pos + 12
            return "\ufffd", pos + 6
        return chr(code), pos + 6


def _hex(digits: str) -> int:
    try:
        return int(digits, 16)
    except ValueError:
        return 0xFFFD
