"""What the notice above the list says about a search, and when (pure: no Textual).

Two rules, both about the last word of a query while it is typed:

- **A note about the word being typed waits.** A typing pass reads the unfinished last
  word as a prefix, and what the search makes of it changes with every key: ``di``, on
  the way to "diffusion", is a known abbreviation ("DI: dunn index"), ``difu`` a typo to
  correct, ``xq`` a word no paper has. Said at once, such notes flashed in and out of
  the notice on every key and moved the list. So a note about the word being typed
  (:func:`about_typed_word`: an abbreviation's meaning, a correction or relaxation of
  that word, a syntax note quoting it) is held until typing pauses
  (:data:`NOTICE_PAUSE_SECONDS`) or the word is finished (a space, Enter); one of its
  kind already on screen is updated in place rather than taken away. Notes about the
  finished words, and what says why the list is empty, come with the list.
- **Enter says when it changes what the list means.** A query given whole reads its
  last word as a whole word (``prefix_last_word`` in ``search_session``), so Enter on
  ``offline r`` turns a list of the words starting with "r" into the papers with the
  word "r". :func:`whole_word_notice` says so, with both counts and the query that
  keeps the completions (a trailing ``*``, the README's prefix syntax).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from browser.text.normalise import normalise
from browser.wording import counted

__all__ = [
    "NOTICE_PAUSE_SECONDS",
    "NoteKind",
    "ShownList",
    "WholeWordNotice",
    "about_typed_word",
    "typed_word",
    "whole_word_notice",
]

# Typing paused this long after a typing pass answered: its held notes are shown. Keys in
# a burst come 0.1-0.25 s apart, so a held note waits for a real pause, not a slow key.
NOTICE_PAUSE_SECONDS = 0.5

NoteKind = Literal["syntax", "correction", "relaxation", "expansion"]


def typed_word(query: str) -> str | None:
    """The last word of ``query`` as typed, or None when the query is empty or ends in a
    space (its last word is finished)."""
    if not query.strip() or query[-1:].isspace():
        return None
    return query.split()[-1]


def _words(text: str) -> list[str]:
    return re.findall(r"\w+", normalise(text))


def _same_word(one: str, other: str) -> bool:
    """The same word, singular or plural (``VLM``, ``VLMs``)."""
    return one == other or one.removesuffix("s") == other.removesuffix("s")


def about_typed_word(kind: NoteKind, note: str, word: str, *, query: str = "") -> bool:
    """Whether a note of ``kind`` concerns ``word``, the word being typed.

    ``expansion``: ``note`` is one meaning as ``SearchResult.expansions`` writes it, the
    query's side first (``DI: dunn index``, ``chain of thought: CoT``): it is about the
    word when that side ends in it. ``correction``: ``note`` is the corrected query and
    ``query`` the one typed: about the word when the correction changes the last word.
    ``relaxation``: ``note`` is a dropped word. ``syntax``: ``note`` quotes the word.
    """
    typed = _words(word)
    if not typed:
        return False
    if kind == "expansion":
        side = _words(note.split(": ", 1)[0])
        return bool(side) and _same_word(side[-1], typed[-1])
    if kind == "correction":
        corrected, asked = _words(note), _words(query)
        return not corrected or not asked or corrected[-1] != asked[-1]
    if kind == "relaxation":
        return _words(note) == typed
    return word.casefold() in note.casefold()


@dataclass(frozen=True)
class ShownList:
    """What a list on screen is an answer to, as far as its meaning goes."""

    query: str
    prefix_last_word: bool
    total: int
    # A typing pass cut short: ``total`` is at least this many.
    partial: bool
    # The words ran as typed (no correction or relaxation stood in for them).
    as_typed: bool = True


@dataclass(frozen=True)
class WholeWordNotice:
    """Enter read the last word whole, and the list changed: ``lead`` and ``tail``
    around ``keep_query`` (the query that keeps the completions, shown bold)."""

    lead: str
    keep_query: str
    tail: str

    @property
    def text(self) -> str:
        return f"{self.lead}{self.keep_query}{self.tail}"


def whole_word_notice(before: ShownList | None, after: ShownList) -> WholeWordNotice | None:
    """The notice for ``after`` replacing ``before`` on screen: None unless the same
    words went from a typed read (the last word a prefix) to a whole one, and the list
    changed with it: another count, or the whole word found nothing as typed. Not for
    another order alone: ``robot`` whole matches what its completions (``robots``,
    ``robotic``) did, stems alike, only ranked a little differently. Nothing when the
    typed list was not read as typed (``difu`` shown as "diffusion": ``difu*`` would
    keep nothing), and after a typing pass cut short only a smaller whole-word count
    says anything, since its total was only a lower bound."""
    if (
        before is None
        or not before.prefix_last_word
        or not before.as_typed
        or after.prefix_last_word
        or before.query != after.query
    ):
        return None
    word = typed_word(after.query)
    if word is None:
        return None
    if after.as_typed and before.total == after.total:
        return None
    if before.partial and after.total >= before.total:
        return None
    found = f": {counted(after.total, 'paper')}" if after.as_typed else ""
    typed = (
        f"at least {before.total:,} papers" if before.partial else counted(before.total, "paper")
    )
    return WholeWordNotice(
        f"Searched “{word}” as a whole word{found}. As you typed it, words starting with "
        f"“{word}” matched {typed}: search ",
        f"{after.query}*",
        " to keep them.",
    )
