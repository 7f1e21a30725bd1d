"""Which words of a hit's title and abstract to light up, as character spans."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from browser.models import Highlight
from browser.search.planning import positive_leaves
from browser.search.schema import PROSE_FIELDS, TOKEN_RE, term_of


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

    Running the analyzer over every token of 200 abstracts costs tens of milliseconds, so
    a regular expression of the terms' leading letters (the stemmer only rewrites word
    endings) picks candidate tokens first and only those go through the analyzer.
    Text with non-ASCII letters may fold differently from its raw form: it takes the
    slow path over every token.
    """
    if not terms or not text:
        return []
    starts = _candidate_starts(terms) if text.isascii() else None
    candidates = starts.finditer(text) if starts is not None else TOKEN_RE.finditer(text)
    spans: list[Highlight] = []
    for candidate in candidates:
        token = TOKEN_RE.match(text, candidate.start())
        if token is not None and term_of(token.group()) in terms:
            spans.append(Highlight(start=token.start(), end=token.end()))
    return spans


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
