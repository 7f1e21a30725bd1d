"""A query as typed or pasted, made into the plain one-line text the query syntax reads.

``clean_query`` keeps the case (``AND``/``OR``/``NOT`` are upper-case operators) and the
syntax, and changes only what a reader would not see as different:

* invisible characters go (a zero-width space pasted into a word no longer splits it);
* NFKC, so full-width letters, ligatures and full-width quotes read as plain ones;
* every line break, tab and run of spaces becomes one space (a pasted title over two
  lines is one query); a trailing space stays, since it says the last word is finished;
* curly and locale double quotes (``“ ” „ ‟ « » ＂ 〝 〞``) become ``"``, so ``“policy
  gradient”``, ``„policy gradient“`` and ``«policy gradient»`` are phrases, also in
  ``tag:“to read”``; single quotes (``‘ ’ ‚ ‛ ‹ › '``) do too where they wrap words
  (``‘policy gradient’``), but an apostrophe inside a word stays one (``model’s``);
* hyphens and dashes inside a word (``Multi‐Task``, ``GPT–4``) become ``-``.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Final

from browser.text.normalise import IGNORABLE_CHARACTERS

__all__ = ["clean_query", "last_word_finished"]

_IGNORABLE_RE: Final = re.compile(f"[{IGNORABLE_CHARACTERS}]")
_DOUBLE_QUOTES: Final = str.maketrans(
    dict.fromkeys("\u201c\u201d\u201e\u201f\u00ab\u00bb\u301d\u301e\u301f", '"')
)
# An opening single quote at a word's start, the closing one at a word's end.
_SINGLE_QUOTED: Final = re.compile(
    "(?<![\\w'\u2018\u2019])['\u2018\u2019\u201a\u201b\u2039\u203a]"
    "(?=\\w)([^'\u2018\u2019\u201a\u201b\u2039\u203a\"\n]*?\\w)"
    "['\u2018\u2019\u201b\u2039\u203a](?!\\w)"
)
_INNER_DASH: Final = re.compile("(?<=\\w)[\u2010\u2011\u2012\u2013\u2014\u2015\u2212](?=\\w)")
_SPACE_RUN: Final = re.compile(r"\s+")


def clean_query(text: str) -> str:
    """``text`` as one line of plain query syntax (see the module docstring); never raises."""
    if not text.isascii():
        text = unicodedata.normalize("NFKC", _IGNORABLE_RE.sub("", text))
        text = text.translate(_DOUBLE_QUOTES)
        text = _INNER_DASH.sub("-", text)
    if "'" in text or not text.isascii():
        text = _SINGLE_QUOTED.sub(r'"\1"', text)
    ends_with_space = text[-1:].isspace()
    text = _SPACE_RUN.sub(" ", text).strip()
    return text + " " if ends_with_space and text else text


def last_word_finished(query: str) -> bool:
    """Whether ``query`` ends in a space once cleaned: its last word is finished, never a
    prefix being typed (the planner's rule, ``word_being_typed``). Whatever strips the
    query before re-running it decides the prefix with this first."""
    return clean_query(query)[-1:].isspace()
