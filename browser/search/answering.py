"""One query against one commit: from a plan to its hits, and the spelling retries.

Four ways to the hits (``docs/architecture.md``, the route of a keystroke): a listing
when no words are left, a matching set picked in sort order, a NOT-led query by sets
with its words ranked first, and relevance by whole-list BM25F or Whoosh's collector.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any, Final

from whoosh import query as wq
from whoosh.collectors import TopCollector

from browser.models import (
    SearchFilters,
    SearchHit,
    SearchResult,
    SortOrder,
    TagLookup,
    UserStateLookup,
)
from browser.search.commit import Commit
from browser.search.exactness import (
    ExactWord,
    exact_words,
    query_words,
    ranked_with_exact_bonus,
)
from browser.search.highlighting import highlight_spans, hit_terms
from browser.search.matching import (
    allowed_only,
    driven_by_negation,
    matching_docnums,
    matching_set,
    resolve_filters,
    without_negations,
)
from browser.search.noting import with_note_matches
from browser.search.plainvectors import vectors_for, vectors_of
from browser.search.planning import (
    PREFIX_EXPANSION_CAP,
    Plan,
    QueryPlanner,
    ranks_nothing,
)
from browser.search.relaxing import Relaxer
from browser.search.schema import DEFAULT_FIELD, folded_word
from browser.search.scoring import postings_to_read, ranked_by_bm25
from browser.search.spelling import (
    FEW_HITS,
    corrected_query,
)
from browser.search.stopping import NO_STOP, GuardedCollector, Interrupted, Stop, checked
from browser.search.vocabulary import Vocabulary

if TYPE_CHECKING:  # numpy is imported with the first scoring, not with this module
    from browser.search.vectors import ScoredDocs

# Hits the typing pass keeps when it must fall back to Whoosh's collector (too many
# postings to score whole in its budget): a screenful and then some. Its count is then a
# lower bound, so the answer is partial and the settled search fills the rest. Every
# other way to the hits gives the typing pass the whole first page, exact and final.
TYPING_HITS: Final = 50
# Up to this many postings (a list kept from an earlier keystroke counts a tenth) the
# typing pass scores whole lists, checking its deadline before each block: complete and
# exact when it finishes in time, so its answer is final; when it does not, the lists it
# finished are kept and the next keystroke or the settled search starts from them.
# Beyond it Whoosh's collector gives a partial screenful. At 100k papers the collector
# never finished such queries in time (its block bounds skip little: 57-88% of a common
# word's blocks may hold a top-10 score), so its rows were not the settled ones either.
# Whole lists score 4-10k postings a millisecond there: 250k fit the 45 ms a typing pass
# gets for matching (``facade.TYPING_MATCH_SHARE``) when the prefix's lists are long
# (``pr``: 227k in 22-30 ms), while its collector ran for seconds.
TYPING_POSTINGS: Final = 250_000
# Words of a paper that make up its "more like this" query.
MORE_LIKE_TERMS: Final = 25


@dataclass(frozen=True)
class UserData:
    """Where filters and hits look up the user's tags and other per-paper state."""

    tags: TagLookup | None = None
    states: UserStateLookup | None = None


@dataclass
class Outcome:
    hits: list[SearchHit]
    total: int
    partial: bool
    order: SortOrder = "relevance"  # the order the hits are really in


class Answerer:
    """Answers queries against a ``Commit``; holds no per-commit state of its own.

    ``vocabulary_for(searcher)`` gives the vocabulary of the searcher's commit (spelling).
    """

    def __init__(self, planner: QueryPlanner, vocabulary_for: Callable[[Any], Vocabulary]) -> None:
        self._planner = planner
        self._vocabulary_for = vocabulary_for

    def answer(
        self,
        commit: Commit,
        query: str,
        *,
        sort: SortOrder,
        limit: int,
        filters: SearchFilters,
        user: UserData,
        stop: Stop,
        budget_ms: float | None,
        prefix_last_word: bool,
    ) -> SearchResult:
        """``PaperIndex.search`` once the lock is held: plan, run, offer a correction.
        ``prefix_last_word``: the query is being typed (``QueryPlanner.plan``)."""
        typed = partial(self._planner.plan, prefix_last_word=prefix_last_word)
        try:
            plan = with_note_matches(typed(commit.searcher, query, stop, filters), user.states)
            exact = exact_words(
                commit.searcher,
                query_words(query, plan.words, being_typed=prefix_last_word),
                self._vocabulary_for(commit.searcher),
                lambda prefix: self._planner.completions(
                    commit.searcher, prefix, PREFIX_EXPANSION_CAP
                ),
            )
            outcome = self.run(
                commit, plan, sort=sort, limit=limit, user=user, stop=stop, exact=exact
            )
        except Exception:  # Whoosh raises assorted errors
            # Some parsed queries only fail when run (a phrase on a field without
            # positions, an empty date): search the plain words instead. A second
            # failure is not the query's fault and propagates.
            plan = self._planner.words_plan(query, filters)
            outcome = self.run(commit, plan, sort=sort, limit=limit, user=user, stop=stop)
        result = SearchResult(
            query=query,
            hits=outcome.hits,
            total=outcome.total,
            sort=outcome.order,
            error=plan.error,
            partial=outcome.partial or stop.stopped_early,
            expansions=plan.expansions,
        )
        if outcome.total < FEW_HITS and not result.partial and plan.words:
            try:
                self._offer_correction(
                    commit,
                    query,
                    plan,
                    result,
                    sort=sort,
                    limit=limit,
                    user=user,
                    budget_ms=budget_ms,
                    stop=stop,
                    prefix_last_word=prefix_last_word,
                )
            except Interrupted:
                # Out of time before a correction or a shorter query could answer: an
                # empty list is not the answer, so the settled search tries them in full.
                result.partial = True
            except Exception:  # Whoosh raises assorted errors
                # A correction is a bonus: one that cannot run leaves the result as it is.
                pass
        return result

    def similar(
        self,
        commit: Commit,
        docnum: int,
        *,
        limit: int,
        filters: SearchFilters,
        user: UserData,
        stop: Stop,
    ) -> Outcome:
        """Papers like document ``docnum`` (never itself): its title twice and abstract
        as a weighted OR of their most telling terms."""
        paper = commit.paper_at(docnum)
        text = f"{paper.title}\n{paper.title}\n{paper.abstract}"
        key_terms = commit.searcher.key_terms_from_text(
            DEFAULT_FIELD, text, numterms=MORE_LIKE_TERMS, normalize=True
        )
        similar = wq.Or([wq.Term(DEFAULT_FIELD, term, boost=weight) for term, weight in key_terms])
        plan = Plan(similar, filters, None, listing=False, words=[])
        return self.run(
            commit, plan, sort="relevance", limit=limit, user=user, stop=stop, exclude={docnum}
        )

    def run(
        self,
        commit: Commit,
        plan: Plan,
        *,
        sort: SortOrder,
        limit: int,
        user: UserData,
        stop: Stop = NO_STOP,
        exclude: set[int] | None = None,
        exact: list[ExactWord] | None = None,
    ) -> Outcome:
        """The hits of ``plan`` in ``sort`` order (newest first when nothing ranks them),
        how many match, and whether that answer was cut short. Never raises
        ``Interrupted``: a stopped search comes back partial. ``exact``: query words a
        title holding them as written ranks higher by (``exactness``)."""
        restricted = _restricted(commit, plan, user, exclude)
        if restricted is None:
            return Outcome([], 0, False, sort)
        query, allowed, denied = restricted
        limit = max(1, limit)
        # No words to rank by (a listing, only ranges, or only NOTs): newest first.
        unranked = ranks_nothing(query)
        effective_sort: SortOrder = "newest" if unranked and sort == "relevance" else sort
        if allowed is not None and not allowed:
            return Outcome([], 0, False, effective_sort)
        # ``partial`` only when the answer really is cut short (its deadline, or a count
        # that is a lower bound): a typing pass that finished is the whole first page and
        # final, so the app runs no second search after it.
        try:
            stop.check()
            ranked, total, partial = self._match(
                commit, query, effective_sort, limit, allowed, denied, stop, exact or []
            )
        except Interrupted:
            # Stopped before anything could be ranked: the settled search follows.
            return Outcome([], 0, True, effective_sort)
        return Outcome(_hits(commit, plan, ranked, user.tags), total, partial, effective_sort)

    def matching(
        self,
        commit: Commit,
        query: str,
        *,
        filters: SearchFilters,
        user: UserData,
        stop: Stop,
        prefix_last_word: bool,
    ) -> tuple[set[int], Plan]:
        """The documents ``answer`` would count for ``query`` (as typed: no spelling
        retries), as a set: no scoring, no order, no hits; and the plan that ran.
        Raises ``Interrupted`` once ``stop`` says so."""
        try:
            plan = with_note_matches(
                self._planner.plan(
                    commit.searcher, query, stop, filters, prefix_last_word=prefix_last_word
                ),
                user.states,
            )
            return self._matching(commit, plan, user, stop), plan
        except Interrupted:
            raise
        except Exception:  # as in ``answer``: a query that only fails when run
            plan = self._planner.words_plan(query, filters)
            return self._matching(commit, plan, user, stop), plan

    @staticmethod
    def _matching(commit: Commit, plan: Plan, user: UserData, stop: Stop) -> set[int]:
        restricted = _restricted(commit, plan, user, None)
        if restricted is None:
            return set()
        query, allowed, denied = restricted
        # Live documents only: ranges read from the sort columns hold deleted ones too.
        found = matching_set(commit.searcher, query, stop)
        if found is None:  # a query shape set evaluation does not know, or no fast path
            found = matching_docnums(commit.searcher, query, stop)[0]
        return allowed_only(found, allowed, denied)

    def _match(
        self,
        commit: Commit,
        query: Any,
        sort: SortOrder,
        wanted: int,
        allowed: set[int] | None,
        denied: set[int],
        stop: Stop,
        exact: list[ExactWord],
    ) -> tuple[list[tuple[int, float]], int, bool]:
        """The ``wanted`` best matches of ``query``, how many match, and whether that is
        cut short (``partial``). May raise ``Interrupted``."""
        if isinstance(query, wq.Every):
            # A listing: walk the precomputed order, no need to gather every document.
            return commit.order.listing(sort, wanted, allowed, denied)
        if sort != "relevance":
            docnums = matching_set(commit.searcher, query, stop)
            timed_out = False
            if docnums is None:
                docnums, timed_out = matching_docnums(commit.searcher, query, stop)
            docnums = allowed_only(docnums, allowed, denied)
            ranked = commit.order.first_in_order(sort, docnums, wanted)
            return ranked, len(docnums), timed_out
        if driven_by_negation(query):
            # Whoosh would walk past every document the NOT's part matches, one at a time
            # (seconds at 100k papers for ``NOT abstract:[a TO z]``): sets are far faster.
            docnums = matching_set(commit.searcher, query, stop)
            if docnums is not None:
                docnums = allowed_only(docnums, allowed, denied)
                ranked, complete = self._rank_negation(commit, query, docnums, wanted, stop, exact)
                return ranked, len(docnums), not complete
        return self._by_relevance(commit, query, wanted, allowed, denied, stop, exact)

    def _by_relevance(
        self,
        commit: Commit,
        query: Any,
        wanted: int,
        allowed: set[int] | None,
        denied: set[int],
        stop: Stop,
        exact: list[ExactWord],
    ) -> tuple[list[tuple[int, float]], int, bool]:
        """``_match`` for relevance order and a query with words to rank by."""
        typing = stop.deadline is not None
        # The settled search scores whole posting lists at once. So does the typing pass
        # when the lists are short enough to finish well within its budget (the result
        # is then complete, and no settled search needs to follow); otherwise it keeps
        # Whoosh's collector, which can stop at its deadline and skip blocks.
        scored = (
            ranked_by_bm25(commit.searcher, query, stop)
            if not typing or postings_to_read(commit.searcher, query) <= TYPING_POSTINGS
            else None
        )
        if scored is not None:
            vectors = vectors_of(scored)
            if denied:
                scored = vectors.without(scored, denied)
            if allowed is not None:
                scored = vectors.among(scored, allowed)
            ranked = ranked_with_exact_bonus(commit.order, exact, scored, wanted)
            return ranked, len(scored), False
        # The settled search counts its matches with set operations over postings when
        # it can; then block skipping may find the top hits, as when typing.
        matching = None if typing else matching_set(commit.searcher, query, stop)
        quick = typing or matching is not None
        # The typing pass keeps a screenful (``TYPING_HITS``) and lets the collector skip
        # blocks of postings that cannot reach it: a fraction of the work, but the match
        # count is then a lower bound, so such an answer is partial.
        kept = min(wanted, TYPING_HITS) if typing else wanted
        # Block skipping (usequality) makes the match count inexact: only when the count
        # comes from elsewhere or may be a lower bound.
        collector = GuardedCollector(
            TopCollector(limit=kept, usequality=quick),
            allowed=allowed,
            denied=denied,
            stop=stop,
            skip_deleted=driven_by_negation(query),
        )
        commit.searcher.search_with_collector(checked(query, stop), collector)
        ranked = list(docs_and_scores(collector.results(), kept))
        if exact:
            # Only what the collector kept can be promoted here: its best by BM25.
            ranked = ranked_with_exact_bonus(commit.order, exact, dict(ranked), kept)
        total, timed_out = collector.matched, collector.timed_out
        if matching is not None:
            total = len(allowed_only(matching, allowed, denied))
        # Fewer matches than it keeps: nothing was skipped, the count and page are whole.
        return ranked, total, timed_out or (typing and total >= kept)

    def _rank_negation(
        self,
        commit: Commit,
        query: Any,
        docnums: set[int],
        wanted: int,
        stop: Stop,
        exact: list[ExactWord],
    ) -> tuple[list[tuple[int, float]], bool]:
        """Rank the matches of a query whose NOT does the matching but that has words
        too (``agents OR NOT survey``; NOTs alone are listed newest first): those its
        words match first, by BM25, then the rest newest first, since a NOT says nothing
        about relevance. False when the typing pass had no time to score the words (only
        the order may change).
        """
        vectors = vectors_for(commit.searcher)
        positive = without_negations(query)
        scores: ScoredDocs | None = None
        complete = True
        if positive is not None:
            typing = stop.deadline is not None
            if typing and postings_to_read(commit.searcher, positive) > TYPING_POSTINGS:
                complete = False
            else:
                scores = ranked_by_bm25(commit.searcher, positive, stop)
        scored = vectors.nothing() if scores is None else vectors.among(scores, docnums)
        ranked = ranked_with_exact_bonus(commit.order, exact, scored, wanted)
        if len(ranked) < wanted:
            rest = docnums.difference(scored.docnums()) if len(scored) else docnums
            ranked += commit.order.first_in_order("newest", rest, wanted - len(ranked))
        return ranked, complete

    # -- spelling

    def _offer_correction(
        self,
        commit: Commit,
        query: str,
        plan: Plan,
        result: SearchResult,
        *,
        sort: SortOrder,
        limit: int,
        user: UserData,
        budget_ms: float | None,
        stop: Stop,
        prefix_last_word: bool,
    ) -> None:
        """Nothing (or very little) found: try the closest known spellings of unknown words.

        On the typing pass the retry gets half a budget more, not an unbounded search: a
        typo in a common word would otherwise run the full query at every keystroke.
        """
        vocabulary = self._vocabulary_for(commit.searcher)
        corrected = corrected_query(
            query,
            plan.words,
            vocabulary,
            being_typed=lambda word: prefix_last_word and self._is_being_typed(query, word, commit),
        )
        if corrected is not None:
            retry_stop = stop.with_deadline(
                None if budget_ms is None else time.perf_counter() + budget_ms / 2000
            )
            retry_plan = self._planner.plan(
                commit.searcher,
                corrected,
                retry_stop,
                plan.filters,
                prefix_last_word=prefix_last_word,
            )
            retry = self.run(commit, retry_plan, sort=sort, limit=limit, user=user, stop=retry_stop)
            retry.partial = retry.partial or retry_stop.stopped_early
            if retry.total > result.total:
                if result.total == 0:
                    result.hits, result.total = retry.hits, retry.total
                    result.partial = retry.partial
                    result.corrected_query = corrected
                else:
                    result.suggestion = corrected
                return
            if retry.partial:
                # Cut short by the typing budget: the settled search tries it in full.
                result.partial = True
                return
        if result.total == 0:
            self._relax(
                commit,
                plan,
                result,
                sort=sort,
                limit=limit,
                user=user,
                stop=stop,
                prefix_last_word=prefix_last_word,
            )

    def _is_being_typed(self, query: str, word: str, commit: Commit) -> bool:
        if not query or query[-1].isspace() or not query.rstrip().endswith(word):
            return False
        folded = folded_word(word.lower())
        return bool(
            folded and self._planner.completions(commit.searcher, folded, PREFIX_EXPANSION_CAP)
        )

    def _relax(
        self,
        commit: Commit,
        plan: Plan,
        result: SearchResult,
        *,
        sort: SortOrder,
        limit: int,
        user: UserData,
        stop: Stop,
        prefix_last_word: bool,
    ) -> None:
        """No paper has all the words: ``relaxing.Relaxer`` runs a shorter query."""
        relaxer = Relaxer(
            self._planner,
            partial(self.run, sort=sort, limit=limit, user=user, stop=stop),
            self._vocabulary_for(commit.searcher),
            restricted=lambda plan: _restricted(commit, plan, user, None),
            prefix_last_word=prefix_last_word,
        )
        relaxer.relax(commit, plan, result, stop)


def _restricted(
    commit: Commit, plan: Plan, user: UserData, exclude: set[int] | None
) -> tuple[Any, set[int] | None, set[int]] | None:
    """``plan``'s query without the ranges read from the sort columns, the documents
    allowed (None: all; tags, user state and those ranges) and denied; None when nothing
    can match."""
    allowed_ids, denied_ids = resolve_filters(plan.filters, user.tags, user.states)
    allowed = None if allowed_ids is None else commit.docnums(allowed_ids)
    denied = commit.docnums(denied_ids) | (exclude or set())
    if (allowed is not None and not allowed) or plan.query is wq.NullQuery:
        return None
    query, in_range = commit.order.ranges_as_filters(plan.query)
    if in_range is not None:
        allowed = in_range if allowed is None else allowed & in_range
    return query, allowed, denied


def _hits(
    commit: Commit, plan: Plan, ranked: list[tuple[int, float]], tags: TagLookup | None
) -> list[SearchHit]:
    """The papers of ``ranked`` with their highlights and tags."""
    no_terms: frozenset[str] = frozenset()
    lit = hit_terms(commit.searcher, plan.query) if not plan.listing else (no_terms, no_terms)
    hits: list[SearchHit] = []
    for docnum, score in ranked:
        paper = commit.paper_at(docnum)
        hit = SearchHit(
            paper=paper,
            score=score,
            title_highlights=highlight_spans(paper.title, lit[0]),
            tags=tags.tags_of(paper.id) if tags is not None else [],
        )
        hits.append(hit.highlight_abstract_with(partial(highlight_spans, paper.abstract, lit[1])))
    if hits:
        # The pane shows the first hit as soon as the list lands: its spans are worked
        # out here, in the search's thread, not in the UI's.
        hits[0].abstract_highlights  # noqa: B018
    return hits


def docs_and_scores(results: Any, limit: int) -> Iterator[tuple[int, float]]:
    for docnum, score in list(results.items())[:limit]:
        yield int(docnum), float(score) if isinstance(score, int | float) else 0.0
