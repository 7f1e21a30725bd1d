"""The search each row of the stats stands for, as the query text the search bar shows.

Added to the current search, a row's clause finds the papers the row counts: a period
finds the papers counted in it (by listing day, or by their own date for the papers
without one), the "no date" row those with neither, a name the papers of that
organisation or author, a rising term the papers that have it. Tags are not clauses:
the app applies them as its tag filter.

One difference is left as it is: a name is searched as a phrase of its words, so
``org:"Google"`` also finds "Google DeepMind"; the query language has no exact match.
"""

from __future__ import annotations

import datetime as dt
from typing import Final

from browser.stats.periods import Period, period_query
from browser.stats.terms import RisingTerm

# Every day the query language can write: ``listed:[0001 TO 9999]`` is "has a listing day".
ANY_DAY: Final = "[0001 TO 9999]"
NO_DAY: Final = f"NOT listed:{ANY_DAY} NOT date:{ANY_DAY}"
NO_ORGANIZATION: Final = "NOT org:*"
NO_AUTHOR_NAMES: Final = "NOT author:*"


def period_search(start: dt.date, by: Period, *, own_dates: bool) -> str:
    """The papers counted in the period starting on ``start``.

    ``listed:2025-12`` when every paper counted has a listing day; with ``own_dates``
    (some are counted on their own date for want of one) also those dated in the period
    that have no listing day, so the search finds exactly the papers the bar counts.
    """
    listed = period_query(start, by, "listed")
    if not own_dates:
        return listed
    return f"({listed} OR ({period_query(start, by, 'date')} NOT listed:{ANY_DAY}))"


def name_search(field: str, name: str) -> str:
    """``org:"..."`` or ``author:"..."``: the name's words as a phrase.

    The query language has no escape for a quote inside a phrase, so quotes are dropped;
    so are control and other invisible characters, which would otherwise reach the search
    bar from untrusted text. Neither is part of a word: the phrase still matches.
    """
    kept = "".join(char if char.isprintable() and char != '"' else " " for char in name)
    return '{}:"{}"'.format(field, " ".join(kept.split()))


def term_search(term: RisingTerm) -> str:
    """A rising word as itself, a two-word phrase in quotes (terms have no quotes)."""
    return f'"{term.term}"' if term.is_phrase else term.term
