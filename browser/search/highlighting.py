"""Which words of a hit's title and abstract to light up, as character spans."""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache
from typing import Any, Final

from browser.models import Highlight
from browser.search.planning import positive_leaves
from browser.search.schema import PROSE_FIELDS, index_term
from browser.text.spelling import listed_pairs
from browser.text.tokens import WORD_RUN, tokenise

# Letters of a term that pick the places to analyse (see ``_candidate_starts``).
ROOT_LETTERS: Final = 3
# What may stand between two letters of a compound in ASCII text (``browser.text``'s
# joiners, and the underscore that splits parts).
_JOINED: Final = "[-._]?"


def hit_terms(searcher: Any, parsed: Any) -> tuple[frozenset[str], frozenset[str]]:
    """Indexed terms that should light up in the title and in the abstract."""
    reader = searcher.reader()
    title_terms: set[str] = set()
    abstract_terms: set[str] = set()
    for leaf, abstract_only in positive_leaves(parsed, regions=True):
        if leaf.field() not in PROSE_FIELDS:
            continue
        try:
            pairs = list(leaf.expanded_terms(reader))
        except Exception:  # an odd leaf must not cost the results
            continue
        for fieldname, term in pairs:
            word = as_str(term)
            if fieldname in ("text", "title") and not abstract_only:
                title_terms.add(word)
            if fieldname == "text":
                abstract_terms.add(word)
    return frozenset(title_terms), frozenset(abstract_terms)


def highlight_spans(text: str, terms: frozenset[str]) -> list[Highlight]:
    """Character spans of the tokens of ``text`` whose indexed term is one of ``terms``.

    Tokens come from ``browser.text.tokenise`` run by run, so a part of a compound or a
    word with invisible characters lights up where it is written; overlapping spans (a
    compound and its parts) are merged. Running it over every word of 200 abstracts
    costs tens of milliseconds, so in plain ASCII text a regular expression of the terms'
    leading letters picks the runs to analyse; other text takes every run.
    """
    if not terms or not text:
        return []
    starts = _candidate_starts(terms) if text.isascii() else None
    if starts is None:
        runs: Any = WORD_RUN.finditer(text)
    else:
        runs = _runs_at(text, _word_starts(text, starts))
    found_spans: list[tuple[int, int]] = []
    for run in runs:
        offset = run.start()
        for start, end, term in _run_terms(run.group("word")):
            if term in terms:
                found_spans.append((offset + start, offset + end))
    return [Highlight(start=start, end=end) for start, end in _merged(found_spans)]


def _word_starts(text: str, starts: re.Pattern[str]) -> Iterator[int]:
    """Places in ASCII ``text`` where a token with one of the terms may be written.

    The pattern runs over the lower-cased text (the same offsets in ASCII) without a
    look-behind: ``re`` then skips to the roots' first letters instead of trying a
    look-behind and every root at each character (100 times faster for one word, 200
    abstracts at a time). A match inside a word counts too: a compound's part or a
    camel-case part starts there (``unlearn.learning``, ``MixFormer``).
    """
    return (found.start() for found in starts.finditer(text.lower()))


def _runs_at(text: str, positions: Any) -> Any:
    """The word runs (``WORD_RUN``) holding these positions of ASCII text, each once."""
    last_end = -1
    for position in positions:
        if position < last_end:
            continue
        start = position
        while start > 0 and (text[start - 1].isalnum() or text[start - 1] in "_-."):
            start -= 1
        run = WORD_RUN.search(text, start)
        # Walking back may cross joiners that end a run (``models.-learning``): the run
        # holding the position is a later one.
        while run is not None and run.end() <= position:
            run = WORD_RUN.search(text, run.end())
        if run is not None:
            last_end = run.end()
            yield run


@lru_cache(maxsize=1 << 16)
def _run_terms(run: str) -> tuple[tuple[int, int, str], ...]:
    """The tokens of one word run as (start, end, indexed term): the same words come
    back in hit after hit, and analysing one costs tens of µs."""
    return tuple((token.start, token.end, index_term(token.text)) for token in tokenise(run))


def _merged(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


@lru_cache(maxsize=1024)
def _candidate_starts(terms: frozenset[str]) -> re.Pattern[str] | None:
    """Where the tokens of ``terms`` can be written, as one pattern over lower-cased
    text; None if a term is not ASCII.

    A token's term starts with the token's first letters, short of a compound's joiners:
    ``multitask`` is written ``multi-task``, ``gpt4`` ``GPT-4``, ``ecommerc``
    ``e-commerce``. So each term gives its first ``ROOT_LETTERS`` letters with an optional
    joiner between any two, and the roots form a trie of alternatives (``re`` would try
    each root at each place otherwise; a wildcard expands to 128 terms).
    """
    roots = set()
    british = _british_roots()
    for term in terms:
        if not term.isascii():
            return None
        # A stem can end in a letter the word lacks (``aging``, ``using`` -> ``age``,
        # ``use``): within a short term that letter is part of the root, so drop it.
        root = (term[:ROOT_LETTERS] if len(term) > ROOT_LETTERS else term[:-1] or term).lower()
        roots.add(root)
        # A term indexed under its American spelling is also written the British way
        # (``gray`` as "grey"): those roots too, or the quick path never looks there.
        roots |= british.get(root, frozenset())
    # A root that starts with another finds nothing the shorter one does not.
    return re.compile(_trie_pattern(_shortest_roots(sorted(roots))) if roots else "(?!)")


@lru_cache(maxsize=1)
def _british_roots() -> dict[str, frozenset[str]]:
    """American root -> the roots of its British spellings where they differ
    (``gra`` -> ``gre``; ``hem`` -> ``hae``), from ``browser.text.spelling``."""
    extra: dict[str, set[str]] = {}
    for british, american in listed_pairs():
        if british[:ROOT_LETTERS] != american[:ROOT_LETTERS]:
            extra.setdefault(american[:ROOT_LETTERS], set()).add(british[:ROOT_LETTERS])
    return {root: frozenset(found) for root, found in extra.items()}


def _shortest_roots(roots: list[str]) -> list[str]:
    """Sorted ``roots`` without those that start with another one."""
    kept: list[str] = []
    for root in roots:
        if not kept or not root.startswith(kept[-1]):
            kept.append(root)
    return kept


def _trie_pattern(roots: list[str]) -> str:
    """A regular expression matching exactly ``roots`` (none a prefix of another), an
    ASCII joiner allowed between two letters, as a trie: ``g[-._]?e[-._]?(?:n|o)``."""
    if len(roots) == 1:
        return _JOINED.join(map(re.escape, roots[0]))
    groups: dict[str, list[str]] = {}
    for root in roots:
        groups.setdefault(root[0], []).append(root[1:])
    alternatives = [
        re.escape(first) + (_JOINED + _trie_pattern(rests) if rests != [""] else "")
        for first, rests in groups.items()
    ]
    return alternatives[0] if len(alternatives) == 1 else "(?:" + "|".join(alternatives) + ")"


def as_str(value: object) -> str:
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)
