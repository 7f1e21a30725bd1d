"""Tokens of what a reader sees: words, the parts of compound names, CJK bigrams.

``tokenise(text)`` finds each run of word characters in the text as written (invisible
characters and combining marks belong to the word they sit in), normalises it with
``normalise`` and splits it:

* **Compounds**: hyphens, underscores and dots (not a decimal point: ``2.5``) separate
  parts, and so do a lower-case letter followed by a capital (``MixFormer``), the end of
  a run of capitals before a word (``XLNet`` -> ``xl``, ``net``; ``LLMs`` stays whole) and
  letters next to digits (``GPT4`` -> ``gpt``, ``4``). Each part is a token, one-letter
  parts and digits included (``Command-R``, ``GPT-4``); a compound of several parts also
  gives its joined form (``Multi-Task`` -> ``multi``, ``task``, ``multitask``), derived,
  at the position of its first part, and so does each piece between joiners that is a
  compound itself (``RoBERTa-large`` -> ``roberta`` beside ``robertalarge``).
  ``Qwen2.5`` gives ``qwen``, ``2.5``, ``qwen2.5``: distinct from ``Qwen2``.
* **CJK**: a run of Han, kana or Hangul characters gives every character (a
  one-character query still matches) and every overlapping pair, derived, at the
  position of its first character (``推論`` is found in ``…モデルの推論能力…``).
* **Stop words** (``STOP_WORDS``, whole tokens) are dropped and positions close up, as
  Whoosh's StopFilter does; one-letter tokens are kept (``v`` is a query).
* A possessive ``'s`` ends the word (``model's`` -> ``model``).

Every token knows where it came from in the original text (``start``, ``end``), so
highlights land on the text as written. Tokens are not stemmed (``browser.text.stemming``).
"""

from __future__ import annotations

import itertools
import re
import sys
import unicodedata
from collections.abc import Callable
from functools import lru_cache
from typing import Final, NamedTuple

from browser.text.normalise import IGNORABLE_CHARACTERS, normalise_with_offsets

__all__ = [
    "STOP_WORDS",
    "WORD_RUN",
    "WORD_RUN_PATTERN",
    "Token",
    "analyse_run",
    "is_cjk",
    "tokenise",
]

# Whoosh's English stop words (whoosh.analysis.STOP_WORDS) without "tbd": the index has
# always dropped these, and their postings would be a third of the index.
_STOP_WORD_LIST: Final = """
    a an and are as at be by can for from have if in is it may not of on or that the this
    to us we when will with yet you your
"""
STOP_WORDS: Final = frozenset(_STOP_WORD_LIST.split())


class Token(NamedTuple):
    """One token: ``text`` normalised (case- and accent-folded, not stemmed).

    ``start``/``end`` index the original text. ``position`` counts words (a phrase is
    consecutive positions); a ``derived`` token (a joined compound, a CJK pair) shares
    the position of its first part and is not one of a phrase's words.
    """

    text: str
    start: int
    end: int
    position: int
    derived: bool = False


def _mark_ranges() -> str:
    """Combining marks of the Basic Multilingual Plane as a regex class body (~10 ms)."""
    ranges: list[str] = []
    start = previous = -2
    for code in range(0x300, 0x10000):
        if unicodedata.category(chr(code))[0] != "M":
            continue
        if code != previous + 1:
            if start >= 0:
                ranges.append(f"{chr(start)}-{chr(previous)}")
            start = code
        previous = code
    ranges.append(f"{chr(start)}-{chr(previous)}")
    return "".join(ranges)


_MARKS: Final = _mark_ranges()
_WORD_CHAR: Final = rf"[\w{_MARKS}{IGNORABLE_CHARACTERS}]"
_JOINER: Final = "[-\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d.]"
# One run of word characters as written, joiners included: what ``tokenise`` analyses.
WORD_RUN_PATTERN: Final = rf"{_WORD_CHAR}+(?:{_JOINER}{_WORD_CHAR}+)*"
# The same with a possessive "'s" after it, matched and left out of group "word".
WORD_RUN: Final = re.compile(rf"(?P<word>{WORD_RUN_PATTERN})(?:['\u2019][sS](?!\w))?")
_CHUNK_RE: Final = WORD_RUN
_CJK_CLASS: Final = (
    "\u1100-\u11ff\u3005-\u3007\u303b\u3040-\u30ff\u3130-\u318f\u31f0-\u31ff"
    "\u3400-\u4dbf\u4e00-\u9fff\ua960-\ua97f\uac00-\ud7ff\uf900-\ufaff"
    "\U00020000-\U0003134f"
)
_CJK_RE: Final = re.compile(f"[{_CJK_CLASS}]")
_CJK_RUNS: Final = re.compile(f"[{_CJK_CLASS}]+|[^{_CJK_CLASS}]+")
# Separators inside a normalised compound; a dot between digits is a decimal point.
_PART_RE: Final = re.compile(rf"(?:\d\.(?=\d)|[^\W_]|[{_MARKS}])+")


def is_cjk(char: str) -> bool:
    """Whether ``char`` is Han, Hiragana, Katakana or Hangul (tokenised as bigrams)."""
    return _CJK_RE.match(char) is not None


# (text, start, end, position, derived) relative to the chunk, and positions used.
_Analysed = tuple[tuple[tuple[str, int, int, int, bool], ...], int]


def tokenise(text: str, *, keep_stop_words: bool = False) -> list[Token]:
    """The tokens of ``text`` in reading order (see the module docstring); never empty texts."""
    tokens: list[Token] = []
    position = 0
    analyse = analyse_run
    for match in _CHUNK_RE.finditer(text):
        offset = match.start()
        found, used = analyse(match.group("word"), keep_stop_words)
        for word, start, end, at, derived in found:
            tokens.append(Token(word, offset + start, offset + end, position + at, derived))
        position += used
    return tokens


@lru_cache(maxsize=300_000)
def analyse_run(chunk: str, keep_stop_words: bool = False) -> _Analysed:
    """The tokens of one ``WORD_RUN`` (group ``word``) as ``(text, start, end, position,
    derived)`` relative to the run, and how many positions it takes. Cached: what
    ``tokenise`` and the indexer do per run."""
    folded, offsets = normalise_with_offsets(chunk)
    if folded.isalpha() and folded.isascii() and chunk.islower():
        # The common case, a plain lower-case English word.
        if not keep_stop_words and folded in STOP_WORDS:
            return (), 0
        return ((sys.intern(folded), 0, len(chunk), 0, False),), 1
    tokens: list[tuple[str, int, int, int, bool]] = []
    position = 0
    # bounds[i]: where folded character i starts in the chunk (and the chunk's end).
    bounds = (*offsets, len(chunk))

    def span(start: int, end: int) -> tuple[int, int]:
        # A part that ends inside one expanded character (the "1" of "½") covers it.
        return bounds[start], max(bounds[end], bounds[end - 1] + 1)

    for run in _CJK_RUNS.finditer(folded):
        text, base = run.group(), run.start()
        if _CJK_RE.match(text):
            for index, char in enumerate(text):
                tokens.append((char, *span(base + index, base + index + 1), position, False))
                if index + 1 < len(text):
                    pair = text[index : index + 2]
                    tokens.append((pair, *span(base + index, base + index + 2), position, True))
                position += 1
            continue
        pieces = _pieces(chunk, folded, offsets, run.start(), run.end())
        first = len(tokens), position
        for piece in pieces:
            piece_first = len(tokens), position
            for start, end in piece:
                word = folded[start:end]
                if keep_stop_words or word not in STOP_WORDS:
                    tokens.append((sys.intern(word), *span(start, end), position, False))
                    position += 1
            if len(piece) > 1 and len(pieces) > 1:
                # A compound inside a hyphenated one (``RoBERTa`` of ``RoBERTa-large``)
                # is a word a reader looks for too.
                _insert_joined(tokens, folded, piece, span, piece_first)
        parts = [part for piece in pieces for part in piece]
        if len(parts) > 1:
            _insert_joined(tokens, folded, parts, span, first)
    return tuple(tokens), position


def _insert_joined(
    tokens: list[tuple[str, int, int, int, bool]],
    folded: str,
    parts: list[tuple[int, int]],
    span: Callable[[int, int], tuple[int, int]],
    first: tuple[int, int],
) -> None:
    """Add the joined form of ``parts``, derived, at the position of the first of them:
    right after its token (``first``: where it is in ``tokens``, its position), so that
    tokens stay in position order."""
    joined = "".join(folded[start:end] for start, end in parts)
    at = first[0] + 1 if len(tokens) > first[0] else first[0]
    tokens.insert(at, (sys.intern(joined), *span(parts[0][0], parts[-1][1]), first[1], True))


def _pieces(
    chunk: str, folded: str, offsets: tuple[int, ...], start: int, end: int
) -> list[list[tuple[int, int]]]:
    """(start, end) in ``folded`` of each part of the compound ``folded[start:end]``, by
    piece between joiners (``RoBERTa-large``: ``ro``, ``berta`` | ``large``)."""
    return [
        _split_piece(chunk, folded, offsets, piece.start(), piece.end())
        for piece in _PART_RE.finditer(folded, start, end)
    ]


def _split_piece(
    chunk: str, folded: str, offsets: tuple[int, ...], start: int, end: int
) -> list[tuple[int, int]]:
    """Split at case changes (``MixFormer``, ``XLNet``) and letter/digit edges (``GPT4``)."""
    cuts = [start]
    for index in range(start + 1, end):
        if offsets[index] == offsets[index - 1]:
            continue  # never inside one written character (its marks, an expansion)
        before, here = folded[index - 1], folded[index]
        if before.isdigit() != here.isdigit() and here != "." and before != ".":
            cuts.append(index)
            continue
        original_before, original = chunk[offsets[index - 1]], chunk[offsets[index]]
        if not original.isupper():
            continue
        if original_before.islower() or (
            original_before.isupper() and _starts_lower_word(chunk, folded, offsets, index, end)
        ):
            cuts.append(index)
    cuts.append(end)
    return [(a, b) for a, b in itertools.pairwise(cuts) if a < b]


def _starts_lower_word(
    chunk: str, folded: str, offsets: tuple[int, ...], index: int, end: int
) -> bool:
    """A capital that starts a lower-case word after capitals: ``XL|Net``, not ``LLM|s``."""
    lower = index + 1
    while lower < end and chunk[offsets[lower]].islower():
        lower += 1
    run = folded[index + 1 : lower]
    return len(run) >= 2 or (len(run) == 1 and run != "s")
