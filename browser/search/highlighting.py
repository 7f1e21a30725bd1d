"""Which words of a hit's title and abstract to light up, as character spans."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from browser.models import Highlight
from browser.search.planning import positive_leaves
from browser.search.schema import PROSE_FIELDS, index_term
from browser.text.tokens import WORD_RUN, tokenise


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
        runs = _runs_at(text, (found.start() for found in starts.finditer(text)))
    found_spans: list[tuple[int, int]] = []
    for run in runs:
        offset = run.start()
        for token in tokenise(run.group("word")):
            if index_term(token.text) in terms:
                found_spans.append((offset + token.start, offset + token.end))
    return [Highlight(start=start, end=end) for start, end in _merged(found_spans)]


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
        if run is not None:
            last_end = run.end()
            yield run


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
    roots = set()
    for term in terms:
        if not term.isascii():
            return None
        # The stemmer rewrites at most the last letter of what it keeps (policy -> polici).
        roots.add(re.escape(term[:-1] if len(term) > 3 else term))
    return re.compile(r"(?<![\w.])(?:" + "|".join(sorted(roots)) + ")", re.IGNORECASE)


def as_str(value: object) -> str:
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)
