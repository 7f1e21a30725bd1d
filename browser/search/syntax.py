"""Query text before Whoosh sees it: clean-up, tag and ``is:`` terms, operators, plain
words.

Tag terms are cut out of the query and returned as ``SearchFilters``, so a tag change
shows at once without touching the index. Half-typed and broken syntax is
``repair.py``'s. No Whoosh here.
"""

from __future__ import annotations

import re
from typing import Final

from browser.models import SearchFilters, StatePredicate
from browser.search.schema import PROSE_FIELDS
from browser.text.query_text import clean_query as one_line_query

# Longest query we parse; the rest is dropped with a message, so a pasted essay stays fast.
MAX_QUERY_CHARS: Final = 500
# Controls that are not white space (those become one space in one_line_query).
_CONTROL_CHARS: Final = re.compile(r"[\x00-\x08\x0e-\x1b\x7f-\x84\x86-\x9f]")
OPERATORS: Final = frozenset({"AND", "OR", "NOT", "ANDNOT", "ANDMAYBE"})
# tag:NAME, tag:"two words", note:WORD, note:"some words", is:tagged / is:untagged /
# is:read / is:unread / is:noted / is:new, each optionally negated with - or NOT.
_TAG_TERM: Final = re.compile(
    r"""(?<![^\s(])(?P<neg>-|NOT\s+)?
        (?:(?P<field>(?i:tag|note)):(?:"(?P<quoted>[^"]*)"?|(?P<bare>[^\s()"]+))
          |(?i:is):(?P<state>(?i:tagged|untagged|read|unread|noted|new)))
        (?=[\s)]|$)""",
    re.VERBOSE,
)
# is:NAME -> (the user-state predicate it asks, negated?); ``unread`` is ``read`` negated.
_STATES: Final = {
    "read": ("read", False),
    "unread": ("read", True),
    "noted": ("noted", False),
    "new": ("new", False),
}
FIELD_PREFIX: Final = re.compile(r"\b\w+:")
MINUS_WORD: Final = re.compile(r"(?<![^\s(])-(?=[\w\"(])")


def minus_as_not(text: str) -> tuple[str, frozenset[int]]:
    """``text`` with each ``-word`` as ``NOT word``, and where those ``NOT``s stand (so
    that a note about one quotes the ``-`` the user typed, ``repair``)."""
    at: list[int] = []

    def replace(match: re.Match[str]) -> str:
        at.append(match.start() + 3 * len(at))
        return "NOT "

    return MINUS_WORD.sub(replace, text), frozenset(at)


# The word being typed; after a hyphen or a dot too (``fine-tun``, ``qwen2.``).
LAST_WORD: Final = re.compile(
    r"(?:^|[\s(])(?:(?P<field>title|abstract|text):)?(?P<word>\w+(?:[-.]\w+)*)$"
)


def clean_query(text: str) -> tuple[str, str | None]:
    """The query as one line of plain syntax (``browser.text.query_text``: invisible
    characters gone, curly and locale quotes as ``"``, pasted lines joined), at most
    ``MAX_QUERY_CHARS`` long, and a note when it was cut."""
    text = one_line_query(_CONTROL_CHARS.sub(" ", text))
    if len(text) > MAX_QUERY_CHARS:
        note = f"query too long: used its first {MAX_QUERY_CHARS} characters"
        return text[:MAX_QUERY_CHARS], note
    return text, None


def extract_tag_terms(text: str) -> tuple[str, SearchFilters]:
    """The query without its tag and user-state terms, and those terms as filters
    (``is:read``, ``note:word``... become ``StatePredicate``s, see ``_STATES``)."""
    found: list[SearchFilters] = []

    def take(match: re.Match[str]) -> str:
        negated = match.group("neg") is not None
        state = match.group("state")
        if state is not None and state.lower() in _STATES:
            predicate, inverted = _STATES[state.lower()]
            asked = StatePredicate(predicate, "", negated != inverted)
            found.append(SearchFilters(states=(asked,)))
            return " "
        if state is not None:
            wants_tagged = state.lower() == "tagged"
            found.append(SearchFilters(tagged=wants_tagged != negated))
            return " "
        name = match.group("quoted") if match.group("quoted") is not None else match.group("bare")
        name = " ".join((name or "").split())
        is_note = match.group("field").lower() == "note"
        if name == "*" and match.group("bare") is not None:
            # "Has a value": tag:* is is:tagged, note:* is is:noted.
            found.append(
                SearchFilters(states=(StatePredicate("noted", "", negated),))
                if is_note
                else SearchFilters(tagged=not negated)
            )
        elif name and is_note:
            found.append(SearchFilters(states=(StatePredicate("note", name, negated),)))
        elif name:
            found.append(
                SearchFilters(excluded_tags=(name,))
                if negated
                else SearchFilters(required_tags=(name,))
            )
        return " "

    rest = _TAG_TERM.sub(take, text)
    filters = SearchFilters()
    for term in found:
        filters &= term
    if filters:
        rest = _drop_dangling_operators(rest)
    return rest, filters


def _drop_dangling_operators(text: str) -> str:
    """Remove operators left without an operand after tag terms were cut out."""
    words = text.split()
    kept: list[str] = []
    for word in words:
        if word in OPERATORS and (not kept or kept[-1] in OPERATORS):
            continue
        kept.append(word)
    while kept and kept[-1] in OPERATORS:
        kept.pop()
    trailing = " " if text[-1:].isspace() else ""
    return " ".join(kept) + trailing if kept else ""


def plain_words(text: str, *, negated: bool = True) -> list[str]:
    """Words of a query outside field prefixes and operators: what spelling can correct.

    ``negated=False`` leaves out the words a ``NOT`` applies to (the next word, or the
    next parenthesised group): the words a paper must have, which a note may stand for.
    """
    words: list[str] = []
    spaced = text.replace('"', " ").replace("(", " ( ").replace(")", " ) ")
    # Depth of parentheses inside a negated group (0: none); -1: the next word is negated.
    negated_depth = 0
    for chunk in spaced.split():
        if not negated and negated_depth:
            if chunk == "(":
                negated_depth = negated_depth + 1 if negated_depth > 0 else 1
            elif chunk == ")" and negated_depth > 0:
                negated_depth -= 1
            elif negated_depth < 0 and chunk not in OPERATORS:
                negated_depth = 0
            continue
        if chunk == "NOT":
            negated_depth = -1
            continue
        if chunk in OPERATORS or chunk in "()":
            continue
        fieldname, sep, value = chunk.partition(":")
        if sep and fieldname not in PROSE_FIELDS:
            continue
        if "*" in chunk or "?" in chunk:
            continue  # a pattern, not a word to correct: "zzq*" is not "zz*"
        words.extend(m.group() for m in re.finditer(r"[^\W\d_]+", value if sep else chunk))
    return words
