"""What the notice above the list says about a search, and when (pure: no Textual).

What a search says about its query (:func:`search_notices`: what was read of its syntax,
the correction or shorter query that stood in, why nothing was found, what the words
also matched) is worked out here once, for the app's notice and the CLI's stderr and
``--json`` alike. Two rules, both about the last word of a query while it is typed:

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
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from browser.text.normalise import normalise
from browser.wording import counted

if TYPE_CHECKING:  # pydantic stays out of what imports this for the first screen
    from browser.models import SearchResult

__all__ = [
    "ALSO_MATCHING",
    "NOTICE_PAUSE_SECONDS",
    "NoteKind",
    "Notice",
    "ShownList",
    "WholeWordNotice",
    "about_typed_word",
    "joined_expansions",
    "search_notices",
    "typed_word",
    "whole_word_notice",
]

# Typing paused this long after a typing pass answered: its held notes are shown. Keys in
# a burst come 0.1-0.25 s apart, so a held note waits for a real pause, not a slow key.
NOTICE_PAUSE_SECONDS = 0.5

NoteKind = Literal["syntax", "correction", "relaxation", "expansion"]


# The start of a new-style arXiv id, as typed (``2402.0``, ``arXiv:2402.0``).
_ID_START = re.compile(r"(?:arxiv:)?\d{4}\.\d{0,5}", re.IGNORECASE)


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
    if _ID_START.fullmatch(word):
        # An id's start is no word: given whole it is the id written so.
        return WholeWordNotice(
            f"Searched “{word}” as a whole arXiv id{found}. As you typed it, ids starting "
            f"with “{word}” matched {typed}: search ",
            f"{after.query}*",
            " to keep them.",
        )
    return WholeWordNotice(
        f"Searched “{word}” as a whole word{found}. As you typed it, words starting with "
        f"“{word}” matched {typed}: search ",
        f"{after.query}*",
        " to keep them.",
    )


NoticeKind = Literal["syntax", "correction", "relaxation", "no_hits", "expansion"]
# What the meanings a query's words also matched are said after, joined by "; ".
ALSO_MATCHING = "Also matching "


@dataclass(frozen=True)
class Notice:
    """One thing a search says about its query, for the app's notice and the CLI alike:
    text in ``pieces``, each ``(text, bold)``, the user's words as written (each front
    end makes them safe to show). ``typed_kind``: it is about the word being typed, so
    the app holds it until typing pauses."""

    kind: NoticeKind
    pieces: tuple[tuple[str, bool], ...]
    typed_kind: NoteKind | None = None

    @property
    def text(self) -> str:
        return "".join(text for text, _bold in self.pieces)


def search_notices(
    result: SearchResult, *, typing: str | None = None, empty_hint: str = ""
) -> list[Notice]:
    """What a search says about its query, in the order shown: what was read of its
    syntax, the correction or shorter query that stood in, why nothing was found (and
    ``empty_hint``, the front end's way out, after it), and what the words also
    matched (one notice per meaning: ``joined_expansions`` makes them one sentence).
    ``typing``: the query while its last word is a prefix being typed."""
    word = None if typing is None else typed_word(typing)

    def about(kind: NoteKind, note: str) -> NoteKind | None:
        if word is None or not about_typed_word(kind, note, word, query=typing or ""):
            return None
        return kind

    notices: list[Notice] = []
    if result.error:
        notices.append(Notice("syntax", ((result.error, False),), about("syntax", result.error)))
    if result.corrected_query:
        pieces = (
            (f"No results for “{result.query}”; showing results for ", False),
            (f"“{result.corrected_query}”", True),
        )
        notices.append(Notice("correction", pieces, about("correction", result.corrected_query)))
    elif result.relaxed_notice:
        dropped = result.dropped_words
        held = bool(dropped) and all(about("relaxation", left) for left in dropped)
        pieces = ((result.relaxed_notice, True), (".", False))
        notices.append(Notice("relaxation", pieces, "relaxation" if held else None))
    elif not result.hits:
        notices.append(Notice("no_hits", _no_hits(result, empty_hint)))
    if result.hits:
        notices.extend(
            Notice("expansion", ((note, False),), about("expansion", note))
            for note in result.expansions
        )
    return notices


def _no_hits(result: SearchResult, hint: str) -> tuple[tuple[str, bool], ...]:
    """Why the list is empty, and the way out."""
    if not result.query:
        return (("No papers yet.", False),)
    if result.suggestion:
        return (
            (f"No papers match “{result.query}”. Did you mean ", False),
            (f"“{result.suggestion}”", True),
            ("?", False),
        )
    return ((f"No papers match “{result.query}”.{hint}", False),)


def joined_expansions(notices: Sequence[Notice]) -> list[Notice]:
    """``notices`` with their meanings (``expansion``) as one sentence at the end:
    "Also matching RL: reinforcement learning; VLMs: vision-language model."."""
    also = [notice for notice in notices if notice.kind == "expansion"]
    joined = [notice for notice in notices if notice.kind != "expansion"]
    if also:
        pieces: list[tuple[str, bool]] = [(ALSO_MATCHING, False)]
        for number, notice in enumerate(also):
            pieces.extend([("; ", False)] * (number > 0) + list(notice.pieces))
        pieces.append((".", False))
        joined.append(Notice("expansion", tuple(pieces)))
    return joined
