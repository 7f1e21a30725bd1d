"""How text is compared: the one normalisation behind identity, indexing, queries and highlights.

``normalise`` turns what a reader sees as the same text into the same string:

1. Default-ignorable code points are removed (Unicode's ``Default_Ignorable_Code_Point``
   property, DerivedCoreProperties.txt): zero-width space and joiners, word joiner, soft
   hyphen, byte-order mark, bidi marks, embeddings and isolates, variation selectors,
   Hangul fillers, tag characters. They are invisible, so ``Mix<ZWSP>Former`` and
   ``rein<SHY>forcement`` are the words the reader sees. Removed *before* NFKC so a
   combining mark behind one still composes with its letter.
2. NFKC: ligatures (``ﬃ`` -> ``ffi``), full-width letters and digits, superscripts,
   compatibility spaces.
3. Quotes and dashes unified: every double quote (``“ ” „ ‟ « » ＂ 〝 〞``) becomes ``"``,
   every single quote and apostrophe (``‘ ’ ‚ ‛ ‹ ›``) ``'``, every hyphen and dash
   (``‐ ‑ ‒ – — ― − ﹘ ﹣ －``) ``-``.
4. Case folding (``str.casefold``: ``ß`` -> ``ss``), then NFKC again, since folding can
   leave a sequence NFKC would change: the result is a fixed point.
5. Accent folding unless ``keep_accents``: Latin, Greek and Cyrillic diacritics are
   dropped (``é`` -> ``e``) and the letters that do not decompose are spelt out
   (``ø`` -> ``o``, ``æ`` -> ``ae``, ``ł`` -> ``l``). Marks of other scripts stay: the
   voicing marks of Japanese kana or Indic vowel signs change the word.

Paper identity keeps accents (``keep_accents=True``): ids derived from titles with
accents must not change. Everything else compares accent-folded text.

``normalise_with_offsets`` gives the same string with, for each of its characters,
the index in the original text it came from: how highlights computed on normalised
text land on the text as written.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import Final

__all__ = [
    "IGNORABLE_CHARACTERS",
    "fold_accents",
    "normalise",
    "normalise_with_offsets",
    "remove_ignorable",
]

# Unicode 15 Default_Ignorable_Code_Point (DerivedCoreProperties.txt), as a regex class.
IGNORABLE_CHARACTERS: Final = (
    "\u00ad"  # soft hyphen
    "\u034f"  # combining grapheme joiner
    "\u061c"  # arabic letter mark
    "\u115f\u1160"  # hangul choseong/jungseong fillers
    "\u17b4\u17b5"  # khmer inherent vowels
    "\u180b-\u180f"  # mongolian free variation selectors, vowel separator
    "\u200b-\u200f"  # zero-width space, ZWNJ, ZWJ, LRM, RLM
    "\u202a-\u202e"  # bidi embeddings and overrides
    "\u2060-\u206f"  # word joiner, invisible operators, bidi isolates, deprecated formats
    "\u3164"  # hangul filler
    "\ufe00-\ufe0f"  # variation selectors
    "\ufeff"  # zero-width no-break space / byte-order mark
    "\uffa0"  # half-width hangul filler
    "\ufff0-\ufff8"  # unassigned specials
    "\U0001bca0-\U0001bca3"  # shorthand format controls
    "\U0001d173-\U0001d17a"  # musical symbol format controls
    "\U000e0000-\U000e0fff"  # tag characters, variation selectors supplement
)
_IGNORABLE_RE: Final = re.compile(f"[{IGNORABLE_CHARACTERS}]")

_DOUBLE_QUOTES: Final = "\u201c\u201d\u201e\u201f\u00ab\u00bb\uff02\u301d\u301e\u301f"
_SINGLE_QUOTES: Final = "\u2018\u2019\u201a\u201b\u2039\u203a\uff07"
_DASHES: Final = "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\u2043\ufe58\ufe63\uff0d"
_PUNCTUATION: Final = str.maketrans(
    {
        **dict.fromkeys(_DOUBLE_QUOTES, '"'),
        **dict.fromkeys(_SINGLE_QUOTES, "'"),
        **dict.fromkeys(_DASHES, "-"),
    }
)

# Letters that carry their "accent" in the letter itself, so NFKD leaves them whole:
# spelt as an English reader types them (the same choices as Whoosh's accent_map).
_UNDECOMPOSABLE: Final = str.maketrans(
    {
        "ø": "o",
        "ł": "l",
        "đ": "d",
        "ð": "d",
        "ħ": "h",
        "ı": "i",
        "ŧ": "t",
        "þ": "th",
        "æ": "ae",
        "œ": "oe",
        "ĸ": "k",
        "ŀ": "l",
        "ŉ": "n",
    }
)
# Combining marks that are accents on Latin, Greek or Cyrillic letters.
_ACCENT_MARKS: Final = re.compile(
    "[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]"
)


def remove_ignorable(text: str) -> str:
    """``text`` without default-ignorable code points (see the module docstring)."""
    return _IGNORABLE_RE.sub("", text)


def fold_accents(text: str) -> str:
    """``text`` (already case-folded) without Latin/Greek/Cyrillic accents: ``é`` -> ``e``."""
    if text.isascii():
        return text
    # Translated after decomposing: "ǽ" is "æ" and an accent.
    decomposed = _ACCENT_MARKS.sub("", unicodedata.normalize("NFKD", text))
    return unicodedata.normalize("NFC", decomposed.translate(_UNDECOMPOSABLE))


def normalise(text: str, *, keep_accents: bool = False) -> str:
    """The comparison form of ``text`` (steps in the module docstring); idempotent.

    The length may change (``ﬃ`` -> ``ffi``, a zero-width space -> nothing); use
    ``normalise_with_offsets`` to map back. Never raises.
    """
    if text.isascii():
        return text.lower()
    text = unicodedata.normalize("NFKC", _IGNORABLE_RE.sub("", text)).translate(_PUNCTUATION)
    # NFKC can make capitals of folded text (``ℌ`` -> ``H``): fold until nothing changes
    # (Unicode's NFKC_Casefold closure; one round for all but a few symbols).
    for _round in range(3):
        folded = unicodedata.normalize("NFKC", text.casefold())
        if folded == text:
            break
        text = folded
    if not keep_accents and not text.isascii():
        text = fold_accents(text)
    return text


def normalise_with_offsets(text: str) -> tuple[str, tuple[int, ...]]:
    """``normalise(text)`` with the original index of each of its characters.

    ``offsets[i]`` is where the character ``i`` of the result came from; a character
    that expanded (``ﬃ`` -> ``ffi``) gives every piece its own index, and a removed
    character gives none. Normalised per cluster (a character and the marks that
    follow it), which is what NFKC does for all text a reader sees.
    """
    if text.isascii():
        return text.lower(), tuple(range(len(text)))
    return _normalise_mapped(text)


@lru_cache(maxsize=65_536)
def _normalise_mapped(text: str) -> tuple[str, tuple[int, ...]]:
    pieces: list[str] = []
    offsets: list[int] = []
    for start, cluster in _clusters(text):
        folded = normalise(cluster)
        pieces.append(folded)
        offsets.extend([start] * len(folded))
    return "".join(pieces), tuple(offsets)


def _clusters(text: str) -> list[tuple[int, str]]:
    """(start, characters) of each base character with the marks after it, ignorables left out."""
    clusters: list[tuple[int, list[str]]] = []
    for index, char in enumerate(text):
        if _IGNORABLE_RE.match(char):
            continue
        if clusters and _continues_cluster(char):
            clusters[-1][1].append(char)
        else:
            clusters.append((index, [char]))
    return [(start, "".join(chars)) for start, chars in clusters]


def _continues_cluster(char: str) -> bool:
    # Marks attach to the letter before them; Hangul vowel and final jamo compose with it.
    return unicodedata.category(char)[0] == "M" or "\u1160" <= char <= "\u11ff"
