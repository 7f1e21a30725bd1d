"""Make text read from dump files safe to put on a terminal.

Dump text is untrusted: it may carry ANSI/OSC escape sequences, C1 controls,
bidi overrides that reorder what the reader sees, or zero-width characters that
hide text. Each such character is replaced by exactly ONE visible placeholder,
so character offsets computed on the original text (search highlights) stay
valid on the safe text.

Markup is a separate concern: callers must build ``rich.text.Text`` /
Textual ``Content`` objects from these plain strings, never markup strings.
"""

from __future__ import annotations

import re

# C0 controls map onto the Unicode "Control Pictures" block: ESC -> "␛", NUL -> "␀".
_CONTROL_PICTURES_BASE = 0x2400
_DELETE_PICTURE = "\u2421"  # ␡
# Stands in for C1 controls, bidi controls and invisible characters.
HIDDEN_MARK = "\ufffd"  # �

_BIDI_AND_INVISIBLE = (
    "\u061c"  # arabic letter mark
    "\u180e"  # mongolian vowel separator
    "\u200b-\u200f"  # zero-width space/joiners, LRM, RLM
    "\u202a-\u202e"  # bidi embeddings and overrides
    "\u2060-\u2064"  # word joiner, invisible operators
    "\u2066-\u2069"  # bidi isolates
    "\ufeff"  # zero-width no-break space / BOM
)
_UNSAFE = re.compile(f"[\x00-\x08\x0b-\x1f\x7f\x80-\x9f{_BIDI_AND_INVISIBLE}\u2028\u2029]")
_UNSAFE_SINGLE_LINE = re.compile(f"[\x00-\x1f\x7f\x80-\x9f{_BIDI_AND_INVISIBLE}\u2028\u2029]")


def _placeholder(match: re.Match[str]) -> str:
    char = match.group()
    code = ord(char)
    if code in (0x09, 0x0A, 0x0D, 0x2028, 0x2029):
        # Only reached in single-line mode: line structure becomes a plain space.
        return " "
    if code < 0x20:
        return chr(_CONTROL_PICTURES_BASE + code)
    if code == 0x7F:
        return _DELETE_PICTURE
    return HIDDEN_MARK


def _multi_line_placeholder(match: re.Match[str]) -> str:
    char = match.group()
    if char in "\u2028\u2029":
        return "\n"
    return _placeholder(match)


def safe_text(text: str) -> str:
    """``text`` with every control, bidi or invisible character made visible.

    Keeps newlines and tabs.
    The result has the same length as ``text`` (one placeholder per character).
    """
    return _UNSAFE.sub(_multi_line_placeholder, text)


def safe_line(text: str) -> str:
    """Like :func:`safe_text`, for one-line places: line breaks and tabs become spaces."""
    return _UNSAFE_SINGLE_LINE.sub(_placeholder, text)
