"""No paper has all the words of a query: a shorter query of the same words, and the
notice that says which were left out.

First the fewest, most common words (``spelling.words_to_drop``: one word, then two, at
most ``MAX_RELAXATIONS`` sets, each a query planned and run). Those sets never reach a
long pasted sentence, where half the words may be no paper's: then the words of the
paper that has the most of them are kept (``spelling.best_kept_words``): each word's
papers read once as a set (set operations over its postings, rarest first, at most
``RELAX_POSTINGS`` postings) and one query more. Each word's papers are those the
search's filters allow (tags, the day and new-papers views: ``restricted``), or the
best paper could be one the relaxed query is then not allowed to find. Without Whoosh's
internals (no fast path) a word's papers are read through its public matcher instead:
slower, same answer. Only for words that are all required: leaving a word out of an OR,
a NOT, a range or a phrase would change what the query means, not how strict it is.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Any

from whoosh import query as wq

from browser.models import SearchFilters, SearchResult
from browser.search.commit import Commit
from browser.search.identifiers import ID_LIST, read_arxiv_ids
from browser.search.matching import allowed_only, matching_docnums, matching_set
from browser.search.planning import Plan, QueryPlanner
from browser.search.spelling import (
    best_kept_words,
    relaxable,
    relaxable_words,
    without_words,
    words_to_drop,
)
from browser.search.stopping import Stop
from browser.search.syntax import LAST_WORD, OPERATORS
from browser.search.vocabulary import Vocabulary
from browser.text.query_text import clean_query, last_word_finished
from browser.wording import counted

if TYPE_CHECKING:
    from browser.search.answering import Outcome

# A plan's query without the ranges read from the sort columns, the documents allowed
# (None: all) and denied; None when nothing can match (``answering._restricted``).
Restriction = Callable[[Plan], tuple[Any, set[int] | None, set[int]] | None]


class Relaxer:
    """Relaxes one query: ``run(commit, plan)`` runs a plan as the search does (its sort,
    limit, user data and stop already given); ``restricted(plan)`` the documents its
    filters allow and deny, as the search applies them."""

    def __init__(
        self,
        planner: QueryPlanner,
        run: Callable[[Commit, Plan], Outcome],
        vocabulary: Vocabulary,
        *,
        restricted: Restriction,
        prefix_last_word: bool,
    ) -> None:
        self._planner = planner
        self._run = run
        self._restricted = restricted
        self._vocabulary = vocabulary
        self._prefix_last_word = prefix_last_word

    def relax(self, commit: Commit, plan: Plan, result: SearchResult, stop: Stop) -> None:
        """Answer ``result`` with the query without the fewest, most common words that
        leaves some papers, and say which were left out (``dropped_words``)."""
        # The query as planned: capped, and a pasted link is one arXiv id, not words to
        # leave out one by one (``https``). The raw query may be any length.
        query = plan.text
        # One word however often and in whatever case it is written ("Learning learning").
        asked = list({word.casefold(): word for word in reversed(relaxable_words(query))}.values())
        asked.reverse()
        # An arXiv id names one paper: every word beside it may go (a pasted reference,
        # "arXiv:2401.01234, 2024."); otherwise a shorter query keeps one of the words.
        # (An id's start, ``2401.0123*``, may name many papers: its words stay.)
        with_id = any(not one.prefix for one in read_arxiv_ids(query).read)
        if len(asked) < (1 if with_id else 2) or not relaxable(query):
            return
        # A list of ids names the papers wanted: leaving out some words would keep only
        # the papers that have them, so the words go all at once (a reference list).
        if ID_LIST.search(query) is not None:
            self._answered(commit, plan, result, asked, asked, stop)
            return
        for dropped in words_to_drop(asked, self._vocabulary, keep_one=not with_id):
            if self._answered(commit, plan, result, asked, dropped, stop):
                return
        restricted = self._restricted(plan) if len(asked) > 2 else None
        if restricted is not None:
            _, allowed, denied = restricted
            typed = self._typed_word(query, asked)
            papers_of = partial(self._word_papers, commit, plan.filters, stop, typed)
            among = partial(allowed_only, allowed=allowed, denied=denied)
            kept = best_kept_words(asked, papers_of, self._vocabulary, among)
            if kept is not None and len(kept) < len(asked):
                dropped = [word for word in asked if word not in kept]
                self._answered(commit, plan, result, asked, dropped, stop)

    def _answered(
        self,
        commit: Commit,
        plan: Plan,
        result: SearchResult,
        asked: list[str],
        dropped: list[str],
        stop: Stop,
    ) -> bool:
        """Run ``plan`` without ``dropped``; True when that answered ``result`` (or left
        it partial: the settled search relaxes in full), False when it finds nothing or
        is not a shorter query of the same words."""
        candidate = without_words(plan.text, dropped)
        # Taking a word out must not take another with it (``foo:diffusion``, ``foo``
        # not a field, goes whole when ``diffusion`` does): that shorter query is tried
        # when its turn comes, and the notice names exactly what was left out.
        kept = {word.casefold() for word in relaxable_words(candidate)}
        if {word for word in asked if word.casefold() not in kept} != set(dropped):
            return False
        relaxed = self._planner.plan(
            commit.searcher,
            candidate,
            stop,
            plan.filters,
            prefix_last_word=self._prefix_last_word,
        )
        if relaxed.listing or relaxed.query is wq.NullQuery:
            return False
        if not plan.filters and not relaxed.query.matcher(commit.searcher).is_active():
            # Only "does anything match": the first match answers it, no count needed.
            return False
        outcome = self._run(commit, relaxed)
        if not outcome.total and (outcome.partial or stop.stopped_early):
            # Cut short, not empty: the settled search relaxes in full.
            result.partial = True
            return True
        if not outcome.total:
            return False
        result.hits, result.total = outcome.hits, outcome.total
        result.partial = outcome.partial
        result.relaxed_query = candidate
        result.dropped_words = dropped
        total = len(asked)
        left_out = ", ".join(f"“{word}”" for word in dropped)
        if len(dropped) == total and ID_LIST.search(plan.text) is not None:
            result.relaxed_notice = (
                f"No paper has the arXiv ids with {left_out}; showing the papers without"
            )
        elif len(dropped) == total:  # beside an arXiv id
            result.relaxed_notice = f"No paper has the arXiv id with {left_out}; showing it without"
        else:
            result.relaxed_notice = (
                f"No paper has all {counted(total, 'word')}; showing papers with"
                f" {total - len(dropped)} of them (without {left_out})"
            )
        result.expansions = relaxed.expansions
        return True

    def _typed_word(self, query: str, asked: list[str]) -> str | None:
        """The word of ``asked`` the planner reads as a prefix being typed, if any: the
        query's last token (``word_being_typed``'s rule), when no space follows it and
        it is a plain word, not a tag term, a phrase's end or a non-prose field's value."""
        if not self._prefix_last_word or last_word_finished(query):
            return None
        match = LAST_WORD.search(clean_query(query))
        if match is None or match.group("word") in OPERATORS:
            return None
        last = match.group("word").casefold()
        return next((word for word in asked if word.casefold() == last), None)

    def _word_papers(
        self,
        commit: Commit,
        filters: SearchFilters,
        stop: Stop,
        typed: str | None,
        word: str,
    ) -> set[int] | None:
        """The documents one word alone matches, None when it narrows nothing (a stop
        word); the ``typed`` word read as a prefix, as the query reads it. Raises
        ``Interrupted`` once ``stop`` says so."""
        single = self._planner.plan(
            commit.searcher, word, stop, filters, prefix_last_word=word == typed
        )
        if single.listing or single.query is wq.NullQuery:
            return None  # a stop word: the text's analysis leaves it out anyway
        found = matching_set(commit.searcher, single.query, stop)
        if found is None:  # no fast path, or a shape set evaluation does not know
            found = matching_docnums(commit.searcher, single.query, stop)[0]
        return found
