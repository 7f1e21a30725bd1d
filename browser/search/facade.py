"""The search engine's front door: ``PaperIndex`` opens, builds, updates and answers.

Everything it hands back is a model from ``browser.models``, so callers never see Whoosh
objects. Query language (Whoosh syntax, all terms must match by default)::

    reinforcement learning          words, stemmed and accent-folded
    "policy gradient"               phrase
    title:diffusion abstract:robot org:nvidia author:smith arxiv:2401.01234 keyword:rl
    year:2024  date:[2024-01 TO 2024-06]  comments:>2  authors:>10  upvotes:>=5
    listed:2025-12-10  listed:[2025-12-01 TO 2025-12-10]  listed:2025-12   (the listing day)
    tag:NAME  -tag:NAME  NOT tag:NAME  tag:"to read"  is:tagged  is:untagged
    is:read  is:unread  is:noted  is:new  note:WORD  note:"some words"   (user data)

The route of one query through the package is in ``docs/architecture.md``. How it stays
fast at 100k papers (bench/results/ has the figures):

* relevance for plain words, AND/OR/NOT and numeric ranges is Whoosh's BM25F computed a
  posting block at a time (``scoring``), counts are set operations over posting lists
  (``matching``), field lengths and sort keys are read whole once per commit
  (``whoosh_internals``, ``ordering``);
* the typing pass (a time budget) returns a screenful, may skip blocks that cannot reach
  the top and says ``partial``: the app then runs the settled search.
"""

from __future__ import annotations

import contextlib
import dataclasses
import threading
import time
from collections import Counter, OrderedDict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import whoosh.index
from whoosh import query as wq
from whoosh.collectors import TopCollector
from whoosh.writing import CLEAR, LockError

from browser.models import (
    Paper,
    SearchCancelled,
    SearchFilters,
    SearchHit,
    SearchResult,
    SortOrder,
    TagLookup,
    UserStateLookup,
)
from browser.search.highlighting import as_str, highlight_spans, hit_terms
from browser.search.matching import (
    allowed_only,
    driven_by_negation,
    matching_docnums,
    matching_set,
    resolve_filters,
    without_negations,
)
from browser.search.ordering import CommitOrder
from browser.search.planning import (
    PREFIX_EXPANSION_CAP,
    Plan,
    QueryPlanner,
    plain_query,
)
from browser.search.schema import (
    DEFAULT_FIELD,
    INDEX_NAME,
    META_FILE,
    SCHEMA_VERSION,
    analyse,
    build_schema,
    document_for,
    folded_word,
    paper_regions,
    read_version,
    storage,
    write_version,
)
from browser.search.scoring import postings_to_read, ranked_by_bm25, top
from browser.search.spelling import FEW_HITS, corrected_query, smaller_queries
from browser.search.stopping import NO_STOP, GuardedCollector, Interrupted, Stop, checked
from browser.search.vocabulary import VOCABULARY_PREFIX, Vocabulary, VocabularyFiles
from browser.search.whoosh_internals import field_lengths_in_memory

__all__ = ["IndexBusy", "IndexUnusable", "PaperIndex", "SearchCancelled"]


class IndexUnusable(Exception):
    """The index is broken, from another schema version, or cannot be opened: rebuild it."""


class IndexBusy(Exception):
    """Another writer holds the index lock."""

    def __init__(self, message: str = "another index run is in progress") -> None:
        super().__init__(message)


# Hits the typing pass returns: a screenful and then some; the settled search fills the rest.
TYPING_HITS: Final = 50
# Up to this many postings the typing pass scores everything at once (~1 µs each):
# complete and exact, so its top hits are the settled ones. At 100k papers 40k postings
# kept p95 near 40 ms while raising top-10 agreement with the settled pass from 46% to 57%.
TYPING_POSTINGS: Final = 40_000
# Share of the typing pass's time budget spent matching documents; planning, papers and
# highlights need the rest (0.6 of 50 ms gave a 31 ms median at 100k, 0.5 gave 28 ms).
TYPING_MATCH_SHARE: Final = 0.5
# Words of a paper that make up its "more like this" query.
MORE_LIKE_TERMS: Final = 25
_WRITER_TIMEOUT_S: Final = 2.0


@dataclass(frozen=True)
class _UserData:
    """Where filters and hits look up the user's tags and other per-paper state."""

    tags: TagLookup | None = None
    states: UserStateLookup | None = None


@dataclass
class _Outcome:
    hits: list[SearchHit]
    total: int
    partial: bool
    order: SortOrder = "relevance"  # the order the hits are really in


@dataclass(frozen=True)
class _Commit:
    """What is worked out once per commit, replaced whole (in one assignment) when the
    searcher moves to a newer commit."""

    searcher: Any
    order: CommitOrder
    docnums: dict[str, int | None] = field(default_factory=dict)


class PaperIndex:
    """The papers of one library, searchable. Thread-safe; one writer at a time across processes."""

    SCHEMA_VERSION: Final = SCHEMA_VERSION

    def __init__(self, index_dir: Path, ix: Any) -> None:
        self.index_dir = index_dir
        self._ix = ix
        self._lock = threading.RLock()
        self._commit: _Commit | None = None
        self._vocabularies = VocabularyFiles(index_dir, self._vocabulary_from_papers)
        self._planner = QueryPlanner(self._vocabulary_for)
        # Papers rebuilt from stored JSON, by document number: paging through results and
        # the settled search after the typing pass ask for the same papers again.
        self._paper_cache: OrderedDict[int, Paper] = OrderedDict()

    # ------------------------------------------------------------------ opening

    @classmethod
    def open(cls, index_dir: Path) -> PaperIndex:
        index_dir = Path(index_dir)
        try:
            present = index_dir.exists() and whoosh.index.exists_in(str(index_dir), INDEX_NAME)
        except Exception as exc:  # exists_in reads the table of contents, which may be damaged
            raise IndexUnusable(f"{index_dir}: cannot read the index ({exc})") from exc
        if not present:
            if (index_dir / META_FILE).exists():
                raise IndexUnusable(f"{index_dir}: index files are missing")
            return cls.create(index_dir)
        version = read_version(index_dir)
        if version != SCHEMA_VERSION:
            raise IndexUnusable(
                f"{index_dir}: index schema version {version}, this program needs {SCHEMA_VERSION}"
            )
        try:
            ix = storage(index_dir).open_index(INDEX_NAME)
            index = cls(index_dir, ix)
            index._current_searcher()
        except Exception as exc:  # whoosh raises many kinds for a damaged folder
            raise IndexUnusable(f"{index_dir}: cannot open the index ({exc})") from exc
        return index

    @classmethod
    def create(cls, index_dir: Path) -> PaperIndex:
        index_dir = Path(index_dir)
        index_dir.mkdir(parents=True, exist_ok=True)
        owned = (f"{INDEX_NAME}_", f"_{INDEX_NAME}_", VOCABULARY_PREFIX, f".{VOCABULARY_PREFIX}")
        for path in index_dir.iterdir():
            if path.is_file() and (path.name == META_FILE or path.name.startswith(owned)):
                path.unlink()
        ix = storage(index_dir).create_index(build_schema(), indexname=INDEX_NAME)
        write_version(index_dir)
        return cls(index_dir, ix)

    def close(self) -> None:
        with self._lock:
            if self._commit is not None:
                self._commit.searcher.close()
                self._commit = None
            self._ix.close()

    def __enter__(self) -> PaperIndex:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _current_searcher(self) -> Any:
        """The searcher for the newest commit (ours or another process's)."""
        with self._lock:
            commit = self._commit
            if commit is not None and commit.searcher.up_to_date():
                return commit.searcher
            # Not Searcher.refresh(): it reuses segment readers by segment id and so
            # misses deletions committed to a segment it already had open.
            if commit is not None:
                commit.searcher.close()
            searcher = self._ix.searcher()
            field_lengths_in_memory(searcher)
            self._commit = _Commit(searcher, CommitOrder(searcher))
            self._forget_session_caches()
            return searcher

    def _forget_session_caches(self) -> None:
        """What a new typing session starts without (the benchmark calls this)."""
        self._planner.forget()
        self._paper_cache.clear()

    def _order(self) -> CommitOrder:
        """Sort keys of the commit ``_current_searcher`` last gave (under the lock)."""
        assert self._commit is not None
        return self._commit.order

    # ------------------------------------------------------------------ vocabulary

    def _vocabulary_for(self, searcher: Any, *, exact: bool = False) -> Vocabulary:
        return self._vocabularies.for_searcher(searcher, exact=exact)

    def _vocabulary_from_papers(self, searcher: Any) -> Vocabulary:
        counts: Counter[str] = Counter()
        reader = searcher.reader()
        for docnum in reader.all_doc_ids():
            counts.update(analyse(*paper_regions(self._paper_at(searcher, docnum)))[1])
        self._paper_cache.clear()
        return Vocabulary.from_counts(counts)

    def _save_vocabulary(self, vocabulary: Vocabulary) -> None:
        self._vocabularies.save(vocabulary, int(self._ix.latest_generation()))

    # ------------------------------------------------------------------ writing

    @contextlib.contextmanager
    def _writing(self, *, procs: int = 1, **commit_options: Any) -> Iterator[Any]:
        """A writer that commits on success and cancels on any error (the old index stays)."""
        options: dict[str, Any] = {"timeout": _WRITER_TIMEOUT_S, "limitmb": 96}
        if procs > 1:
            # multisegment: merging the workers' segments at the end would re-write every
            # posting in one process, costing more than the second process saved.
            options.update(procs=procs, multisegment=True)
        try:
            writer = self._ix.writer(**options)
        except LockError as exc:
            raise IndexBusy() from exc
        try:
            yield writer
        except BaseException:
            writer.cancel()
            raise
        writer.commit(**commit_options)

    def _document(self, paper: Paper) -> dict[str, Any]:
        return document_for(paper)[0]

    def rebuild(
        self,
        papers: Iterable[Paper],
        *,
        progress: Callable[[int], None] | None = None,
        procs: int = 1,
    ) -> None:
        """Replace the whole content with ``papers``; until it commits, searches see the old one.

        ``procs > 1`` analyses in worker processes: for the CLI only, never inside the app.
        """
        seen: set[str] = set()
        counts: Counter[str] = Counter()
        with self._writing(procs=procs, mergetype=CLEAR) as writer:
            for paper in papers:
                if paper.id in seen:
                    continue
                seen.add(paper.id)
                document, words = document_for(paper)
                counts.update(words)
                writer.add_document(**document)
                if progress is not None and len(seen) % 1000 == 0:
                    progress(len(seen))
        self._save_vocabulary(Vocabulary.from_counts(counts))
        if progress is not None:
            progress(len(seen))
        self._current_searcher()

    def update(self, papers: Iterable[Paper], removed_ids: Iterable[str] = ()) -> None:
        """Add or replace papers by id and delete ``removed_ids``, in one commit."""
        papers = list({paper.id: paper for paper in papers}.values())
        removed = set(removed_ids)
        if not papers and not removed:
            return
        with self._lock:
            searcher = self._current_searcher()
            segments = len(searcher.reader().leaf_readers())
            current = self._vocabulary_for(searcher, exact=True)
            vocabulary = current.copy()
            for paper_id in removed | {paper.id for paper in papers}:
                docnum = self._docnum(searcher, paper_id)
                if docnum is not None:
                    old = self._paper_at(searcher, docnum)
                    vocabulary.add(analyse(*paper_regions(old))[1], -1)
        # Merging rewrites segments: skip it for small updates until segments pile up.
        with self._writing(merge=segments >= 8) as writer:
            for paper_id in removed | {paper.id for paper in papers}:
                writer.delete_by_term("id", paper_id)
            for paper in papers:
                document, words = document_for(paper)
                vocabulary.add(words)
                writer.add_document(**document)
        self._save_vocabulary(vocabulary)
        self._current_searcher()

    # ------------------------------------------------------------------ reading

    def __len__(self) -> int:
        with self._lock:
            return int(self._current_searcher().doc_count())

    def all_ids(self) -> set[str]:
        with self._lock:
            searcher = self._current_searcher()
            reader = searcher.reader()
            ids = reader.column_reader("id")
            return {as_str(ids[docnum]) for docnum in reader.all_doc_ids()}

    def get(self, paper_id: str) -> Paper | None:
        return self.get_many([paper_id]).get(paper_id)

    def get_many(self, paper_ids: Iterable[str]) -> dict[str, Paper]:
        with self._lock:
            searcher = self._current_searcher()
            found: dict[str, Paper] = {}
            for paper_id in paper_ids:
                docnum = self._docnum(searcher, paper_id)
                if docnum is not None:
                    found[paper_id] = self._paper_at(searcher, docnum)
            return found

    def _docnum(self, searcher: Any, paper_id: str) -> int | None:
        assert self._commit is not None and self._commit.searcher is searcher
        known = self._commit.docnums
        if paper_id not in known:
            known[paper_id] = searcher.document_number(id=paper_id)
        return known[paper_id]

    def _paper_at(self, searcher: Any, docnum: int) -> Paper:
        cache = self._paper_cache
        paper = cache.get(docnum)
        if paper is None:
            paper = Paper.model_validate_json(searcher.stored_fields(docnum)["paper"])
            cache[docnum] = paper
            if len(cache) > 4000:
                cache.popitem(last=False)
        else:
            cache.move_to_end(docnum)
        return paper

    # ------------------------------------------------------------------ searching

    def search(
        self,
        query: str,
        *,
        sort: SortOrder = "relevance",
        limit: int = 200,
        tags: TagLookup | None = None,
        filters: SearchFilters | None = None,
        states: UserStateLookup | None = None,
        time_budget_ms: float | None = None,
        cancelled: Callable[[], bool] | None = None,
    ) -> SearchResult:
        """Run ``query``; never raises for a bad query (``error`` says what was wrong).

        ``filters`` restrict the hits whatever the query says, combined with the query's
        own ``tag:``/``is:`` terms; tags resolve through ``tags`` and user-state
        predicates through ``states`` (see ``SearchFilters``).

        With ``time_budget_ms`` (the typing pass) it returns within about that time, with
        ``partial`` set when the search was cut short. ``cancelled`` is polled while it
        runs; once it says yes the search stops and raises ``SearchCancelled``.
        """
        started = time.perf_counter()
        # Matching gets part of the budget: planning, papers and highlights need the rest.
        deadline = (
            None if time_budget_ms is None else started + TYPING_MATCH_SHARE * time_budget_ms / 1000
        )
        stop = Stop(deadline, cancelled)
        filters = filters or SearchFilters()
        user = _UserData(tags, states)
        with self._lock:
            searcher = self._current_searcher()
            try:
                plan = with_note_matches(self._planner.plan(searcher, query, stop, filters), states)
                outcome = self._run(searcher, plan, sort=sort, limit=limit, user=user, stop=stop)
            except Exception as exc:  # Whoosh raises assorted errors
                # Some parsed queries only fail when run (a phrase on a field without
                # positions, an empty date): search the plain words instead. A second
                # failure is not the query's fault and propagates.
                plan = self._planner.words_plan(query, exc, filters)
                outcome = self._run(searcher, plan, sort=sort, limit=limit, user=user, stop=stop)
            result = SearchResult(
                query=query,
                hits=outcome.hits,
                total=outcome.total,
                sort=outcome.order,
                error=plan.error,
                partial=outcome.partial or stop.stopped_early,
            )
            if outcome.total < FEW_HITS and not result.partial and plan.words:
                # A correction is a bonus: one that cannot run leaves the result as it is.
                with contextlib.suppress(Exception):
                    self._offer_correction(
                        searcher,
                        query,
                        plan,
                        result,
                        sort=sort,
                        limit=limit,
                        user=user,
                        budget_ms=time_budget_ms,
                        stop=stop,
                    )
        if stop.cancelled():
            raise SearchCancelled
        result.elapsed_ms = (time.perf_counter() - started) * 1000
        return result

    def more_like(
        self,
        paper_id: str,
        *,
        limit: int = 50,
        tags: TagLookup | None = None,
        filters: SearchFilters | None = None,
        states: UserStateLookup | None = None,
        cancelled: Callable[[], bool] | None = None,
    ) -> SearchResult:
        """Papers similar to ``paper_id`` (never itself); an unknown id gives no hits.

        ``filters``, ``states`` and ``cancelled`` work as for ``search``."""
        stop = Stop(None, cancelled)
        started = time.perf_counter()
        with self._lock:
            searcher = self._current_searcher()
            docnum = self._docnum(searcher, paper_id)
            result = SearchResult(query=f"like:{paper_id}")
            if docnum is not None:
                paper = self._paper_at(searcher, docnum)
                text = f"{paper.title}\n{paper.title}\n{paper.abstract}"
                key_terms = searcher.key_terms_from_text(
                    DEFAULT_FIELD, text, numterms=MORE_LIKE_TERMS, normalize=True
                )
                similar = wq.Or(
                    [wq.Term(DEFAULT_FIELD, term, boost=weight) for term, weight in key_terms]
                )
                plan = Plan(similar, filters or SearchFilters(), None, listing=False, words=[])
                outcome = self._run(
                    searcher,
                    plan,
                    sort="relevance",
                    limit=limit,
                    user=_UserData(tags, states),
                    stop=stop,
                    exclude={docnum},
                )
                result.hits, result.total = outcome.hits, outcome.total
        if stop.cancelled():
            raise SearchCancelled
        result.elapsed_ms = (time.perf_counter() - started) * 1000
        return result

    # -- running

    def _run(
        self,
        searcher: Any,
        plan: Plan,
        *,
        sort: SortOrder,
        limit: int,
        user: _UserData,
        stop: Stop = NO_STOP,
        exclude: set[int] | None = None,
    ) -> _Outcome:
        tags = user.tags
        allowed_ids, denied_ids = resolve_filters(plan.filters, tags, user.states)
        allowed = None if allowed_ids is None else self._docnums(searcher, allowed_ids)
        denied = self._docnums(searcher, denied_ids) | (exclude or set())
        if (allowed is not None and not allowed) or plan.query is wq.NullQuery:
            return _Outcome([], 0, False, sort)
        limit = max(1, limit)
        query, in_range = self._order().ranges_as_filters(plan.query)
        # No words to rank by (a listing, only ranges, or only NOTs): newest first.
        unranked = isinstance(query, wq.Every) or without_negations(query) is None
        effective_sort: SortOrder = "newest" if unranked and sort == "relevance" else sort
        if in_range is not None:
            allowed = in_range if allowed is None else allowed & in_range
            if not allowed:
                return _Outcome([], 0, False, effective_sort)
        # The typing pass (it has a deadline, and a settled search follows a partial one)
        # fills the screen rather than the whole list, and lets the collector skip blocks
        # of postings that cannot reach the top: a fraction of the work, but the match
        # count is then a lower bound.
        wanted = min(limit, TYPING_HITS) if stop.deadline is not None else limit
        try:
            stop.check()
            ranked, total, partial = self._match(
                searcher, query, effective_sort, wanted, allowed, denied, stop
            )
        except Interrupted:
            # Stopped before anything could be ranked: the settled search follows.
            return _Outcome([], 0, True, effective_sort)
        partial = partial or (wanted < limit and total > wanted)
        no_terms: frozenset[str] = frozenset()
        lit = hit_terms(searcher, plan.query) if not plan.listing else (no_terms, no_terms)
        hits: list[SearchHit] = []
        for docnum, score in ranked:
            paper = self._paper_at(searcher, docnum)
            hits.append(
                SearchHit(
                    paper=paper,
                    score=score,
                    title_highlights=highlight_spans(paper.title, lit[0]),
                    abstract_highlights=highlight_spans(paper.abstract, lit[1]),
                    tags=tags.tags_of(paper.id) if tags is not None else [],
                )
            )
        return _Outcome(hits, total, partial, effective_sort)

    def _match(
        self,
        searcher: Any,
        query: Any,
        sort: SortOrder,
        wanted: int,
        allowed: set[int] | None,
        denied: set[int],
        stop: Stop,
    ) -> tuple[list[tuple[int, float]], int, bool]:
        """The ``wanted`` best matches of ``query``, how many match, and whether that is
        cut short (``partial``). May raise ``Interrupted``."""
        typing = stop.deadline is not None
        if isinstance(query, wq.Every):
            # A listing: walk the precomputed order, no need to gather every document.
            return self._order().listing(sort, wanted, allowed, denied)
        if sort != "relevance":
            docnums = matching_set(searcher, query, stop)
            timed_out = False
            if docnums is None:
                docnums, timed_out = matching_docnums(searcher, query, stop)
            docnums = allowed_only(docnums, allowed, denied)
            ranked = self._order().first_in_order(sort, docnums, wanted)
            return ranked, len(docnums), timed_out
        if driven_by_negation(query):
            # Whoosh would walk past every document the NOT's part matches, one at a time
            # (seconds at 100k papers for ``NOT abstract:[a TO z]``): sets are far faster.
            docnums = matching_set(searcher, query, stop)
            if docnums is not None:
                docnums = allowed_only(docnums, allowed, denied)
                ranked, complete = self._rank_negation(searcher, query, docnums, wanted, stop)
                return ranked, len(docnums), not complete
        # The settled search scores whole posting lists at once. So does the typing pass
        # when the lists are short enough to finish well within its budget (the result
        # is then complete, and no settled search needs to follow); otherwise it keeps
        # Whoosh's collector, which can stop at its deadline and skip blocks.
        scored = (
            ranked_by_bm25(searcher, query, stop)
            if not typing or postings_to_read(searcher, query) <= TYPING_POSTINGS
            else None
        )
        if scored is not None:
            if allowed is not None or denied:
                scored = {
                    d: v
                    for d, v in scored.items()
                    if d not in denied and (allowed is None or d in allowed)
                }
            return top(scored, wanted), len(scored), False
        # The settled search counts its matches with set operations over postings when
        # it can; then block skipping may find the top hits, as when typing.
        matching = None if typing else matching_set(searcher, query, stop)
        quick = typing or matching is not None
        # Block skipping (usequality) makes the match count inexact: only when the count
        # comes from elsewhere or may be a lower bound.
        collector = GuardedCollector(
            TopCollector(limit=wanted, usequality=quick),
            allowed=allowed,
            denied=denied,
            stop=stop,
            skip_deleted=driven_by_negation(query),
        )
        searcher.search_with_collector(checked(query, stop), collector)
        ranked = list(_docs_and_scores(collector.results(), wanted))
        total, timed_out = collector.matched, collector.timed_out
        if matching is not None:
            total = len(allowed_only(matching, allowed, denied))
        return ranked, total, timed_out or (typing and total >= wanted)

    def _rank_negation(
        self, searcher: Any, query: Any, docnums: set[int], wanted: int, stop: Stop
    ) -> tuple[list[tuple[int, float]], bool]:
        """Rank the matches of a query whose NOT does the matching but that has words
        too (``agents OR NOT survey``; NOTs alone are listed newest first): those its
        words match first, by BM25, then the rest newest first, since a NOT says nothing
        about relevance. False when the typing pass had no time to score the words (only
        the order may change).
        """
        positive = without_negations(query)
        scores: dict[int, float] | None = {}
        complete = True
        if positive is not None:
            typing = stop.deadline is not None
            if typing and postings_to_read(searcher, positive) > TYPING_POSTINGS:
                complete = False
            else:
                scores = ranked_by_bm25(searcher, positive, stop)
        scored = {d: v for d, v in (scores or {}).items() if d in docnums}
        ranked = top(scored, wanted)
        if len(ranked) < wanted:
            rest = docnums.difference(scored) if scored else docnums
            ranked += self._order().first_in_order("newest", rest, wanted - len(ranked))
        return ranked, complete

    def _docnums(self, searcher: Any, paper_ids: Iterable[str]) -> set[int]:
        docnums: set[int] = set()
        for paper_id in paper_ids:
            docnum = self._docnum(searcher, paper_id)
            if docnum is not None:
                docnums.add(docnum)
        return docnums

    # -- spelling

    def _offer_correction(
        self,
        searcher: Any,
        query: str,
        plan: Plan,
        result: SearchResult,
        *,
        sort: SortOrder,
        limit: int,
        user: _UserData,
        budget_ms: float | None,
        stop: Stop,
    ) -> None:
        """Nothing (or very little) found: try the closest known spellings of unknown words.

        On the typing pass the retry gets half a budget more, not an unbounded search: a
        typo in a common word would otherwise run the full query at every keystroke.
        """
        vocabulary = self._vocabulary_for(searcher)
        corrected = corrected_query(
            query, plan.words, vocabulary, lambda word: self._is_being_typed(query, word, searcher)
        )
        if corrected is not None:
            retry_stop = stop.with_deadline(
                None if budget_ms is None else time.perf_counter() + budget_ms / 2000
            )
            retry_plan = self._planner.plan(searcher, corrected, retry_stop, plan.filters)
            retry = self._run(
                searcher, retry_plan, sort=sort, limit=limit, user=user, stop=retry_stop
            )
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
        if result.total == 0 and len(plan.words) > 1:
            result.suggestion = self._smaller_query(searcher, plan, user)

    def _is_being_typed(self, query: str, word: str, searcher: Any) -> bool:
        if not query or query[-1].isspace() or not query.rstrip().endswith(word):
            return False
        folded = folded_word(word.lower())
        return bool(folded and self._planner.completions(searcher, folded, PREFIX_EXPANSION_CAP))

    def _smaller_query(self, searcher: Any, plan: Plan, user: _UserData) -> str | None:
        """Drop the rarest words one at a time until something matches."""
        for words in smaller_queries(plan.words, self._vocabulary_for(searcher)):
            candidate = " ".join(words)
            probe = plain_query(candidate, stemmed=True)
            if probe is None:
                return None
            if not plan.filters:
                # Only "does anything match": the first match answers it, no count needed.
                if probe.matcher(searcher).is_active():
                    return candidate
                continue
            outcome = self._run(
                searcher,
                Plan(probe, plan.filters, None, False, words),
                sort="relevance",
                limit=1,
                user=user,
            )
            if outcome.total:
                return candidate
        return None


def _docs_and_scores(results: Any, limit: int) -> Iterator[tuple[int, float]]:
    for docnum, score in list(results.items())[:limit]:
        yield int(docnum), float(score) if isinstance(score, int | float) else 0.0


def with_note_matches(plan: Plan, states: UserStateLookup | None) -> Plan:
    """The plan, its plain words also finding the papers whose note holds them all.

    Notes live in the user data, not the index (issue 14): the few matching ids are
    OR-ed in as id terms, so the query's own filters still apply to them.
    """
    if states is None or plan.listing or not plan.words:
        return plan
    try:
        noted = states.ids_where("note", " ".join(plan.words))
    except KeyError:  # a lookup that keeps no notes
        return plan
    if not noted:
        return plan
    by_note = [wq.Term("id", paper_id) for paper_id in sorted(noted)]
    return dataclasses.replace(plan, query=wq.Or([plan.query, *by_note]))
