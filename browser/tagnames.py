"""Tag names: the one place that says what a tag may be called and when two are the same.

Used by the tag store, CSV import and the config's quick tags, so a name one of
them accepts is accepted by all. The rules keep a tag exportable (commas and
semicolons separate tags in CSV cells), on one line, displayed as what it is
(no control or text-direction characters) and short enough for the tag bar.
"""

from __future__ import annotations

import functools
import unicodedata

__all__ = ["MAX_TAG_LENGTH", "TagError", "clean_tag", "tag_key"]

MAX_TAG_LENGTH = 64

# Bidirectional overrides can make a tag display as something else entirely.
_BIDI_CONTROLS = frozenset(
    "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)
# Cc: C0/C1 controls (newline, tab, ESC...); Zl/Zp: Unicode line and paragraph
# separators, which break lines just like "\n"; Cs: lone surrogates cannot be saved.
_FORBIDDEN_CATEGORIES = frozenset({"Cc", "Zl", "Zp", "Cs"})


class TagError(ValueError):
    """A tag name that cannot be used, or a change that cannot be saved."""


def clean_tag(name: str) -> str:
    """The tag as it will be stored: trimmed, inner runs of spaces collapsed.

    Raises TagError, with a message fit to show the user, for names that could
    not be exported or searched unambiguously.
    """
    if not isinstance(name, str):
        raise TagError(f"a tag must be text, not {type(name).__name__}")
    if "," in name:
        raise TagError(f"tag {name.strip()!r} contains a comma; commas separate tags")
    if ";" in name:
        raise TagError(f"tag {name.strip()!r} contains a semicolon; semicolons separate tags")
    for character in name:
        if character in "\r\n" or unicodedata.category(character) in {"Zl", "Zp"}:
            raise TagError("a tag must fit on one line (it contains a line break)")
        if unicodedata.category(character) in _FORBIDDEN_CATEGORIES:
            raise TagError(
                f"tag contains the control character U+{ord(character):04X}; "
                "use letters, digits, spaces and punctuation"
            )
        if character in _BIDI_CONTROLS:
            raise TagError(
                f"tag contains the text-direction control U+{ord(character):04X}, "
                "which would make it display differently from what it is"
            )
    # Two tags that look the same on screen ("to  read", "to read") should be one tag.
    cleaned = " ".join(unicodedata.normalize("NFC", name).split())
    if not cleaned:
        raise TagError("a tag cannot be empty")
    if len(cleaned) > MAX_TAG_LENGTH:
        raise TagError(
            f"tag {cleaned[:20]!r}... is {len(cleaned)} characters long; "
            f"at most {MAX_TAG_LENGTH} are allowed"
        )
    return cleaned


@functools.lru_cache(maxsize=8192)
def tag_key(name: str) -> str:
    """The form two tag names are compared in: ``To Read`` and ``to read`` are one tag."""
    return " ".join(unicodedata.normalize("NFC", name).split()).casefold()
