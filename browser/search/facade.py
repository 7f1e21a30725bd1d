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
    arxiv:*  org:*  -author:*  date:[* TO *]  tag:*  note:*   ("has a value" and not)

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
import importlib
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from functools import partial
from pathlib import Path
from typing import Any, Final

import whoosh.index
from whoosh.writing import CLEAR, LockError

from browser.heap import collector_paused
from browser.models import (
    MatchingPapers,
    Paper,
    Relaxation,
    SearchCancelled,
    SearchFilters,
    SearchResult,
    SortOrder,
    TagLookup,
    UserStateLookup,
)
from browser.search.abbreviations import MinedAbbreviations
from browser.search.answering import Answerer, UserData
from browser.search.commit import Commit, stored_paper
from browser.search.highlighting import as_str
from browser.search.plainvectors import uses_numpy
from browser.search.planning import QueryPlanner
from browser.search.schema import (
    INDEX_NAME,
    META_FILE,
    SCHEMA_VERSION,
    analyse,
    build_schema,
    document_for,
    paper_regions,
    read_version,
    storage,
    write_version,
)
from browser.search.scoring import scored_lists
from browser.search.stopping import Interrupted, Stop
from browser.search.vocabulary import VOCABULARY_PREFIX, Vocabulary, VocabularyFiles
from browser.search.whoosh_internals import grouped_postings, index_codec, index_writer

__all__ = ["IndexBusy", "IndexUnusable", "PaperIndex", "SearchCancelled"]


class IndexUnusable(Exception):
    """The index is broken, from another schema version, or cannot be opened: rebuild it."""


class IndexBusy(Exception):
    """Another writer holds the index lock."""

    def __init__(self, message: str = "another index run is in progress") -> None:
        super().__init__(message)


# Share of the typing pass's time budget for planning and matching; reading the papers
# and their highlights need the rest. 0.5 (from 0.6 of 50 ms, for a lower median while
# the collector ran every long query to its deadline) left 30 of 60 ms for 50 papers
# and highlights that take 4 ms at the median and 8-13 ms at most at 100k papers (CPU,
# load 6), while the deadline cut 13-23% of keystrokes short, about half of them within
# 15 ms of finishing (bench/results/agree-2026-12-07g.md). A pass that finishes is
# final and spares the settled search after it.
TYPING_MATCH_SHARE: Final = 0.75
_WRITER_TIMEOUT_S: Final = 2.0


class PaperIndex:
    """The papers of one library, searchable. Thread-safe; one writer at a time across processes."""

    SCHEMA_VERSION: Final = SCHEMA_VERSION

    def __init__(self, index_dir: Path, ix: Any) -> None:
        self.index_dir = index_dir
        self._ix = ix
        self._lock = threading.RLock()
        self._commit: Commit | None = None
        self._closed = False
        self._vocabularies = VocabularyFiles(index_dir, self._vocabulary_from_papers)
        self._planner = QueryPlanner(self._vocabulary_for)
        self._planner.acronyms = MinedAbbreviations.load(index_dir).table()
        self._answerer = Answerer(self._planner, self._vocabulary_for)

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
        """Close the index once the search holding it (if any) is done; a search that
        was waiting for it, or comes later (a worker the app left behind when it quit),
        raises ``SearchCancelled`` instead of reopening closed files."""
        with self._lock:
            self._closed = True
            if self._commit is not None:
                self._commit.searcher.close()
                self._commit = None
            self._ix.close()

    def __enter__(self) -> PaperIndex:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _current(self) -> Commit:
        """The newest commit (ours or another process's), opened once."""
        with self._lock:
            if self._closed:
                raise SearchCancelled
            commit = self._commit
            if commit is not None and commit.searcher.up_to_date():
                return commit
            # Not Searcher.refresh(): it reuses segment readers by segment id and so
            # misses deletions committed to a segment it already had open.
            if commit is not None:
                commit.searcher.close()
            self._commit = commit = Commit.of(self._ix.searcher())
            self._planner.forget()
            return commit

    def _current_searcher(self) -> Any:
        return self._current().searcher

    def _forget_session_caches(self) -> None:
        """What a new typing session starts without (the benchmark calls this)."""
        with self._lock:
            self._planner.forget()
            if self._commit is not None:
                self._commit.forget_papers()
                scored_lists(self._commit.searcher).clear()

    # ------------------------------------------------------------------ vocabulary

    def _vocabulary_for(self, searcher: Any, *, exact: bool = False) -> Vocabulary:
        return self._vocabularies.for_searcher(searcher, exact=exact)

    @staticmethod
    def _vocabulary_from_papers(searcher: Any) -> Vocabulary:
        counts: Counter[str] = Counter()
        for docnum in searcher.reader().all_doc_ids():
            counts.update(analyse(*paper_regions(stored_paper(searcher, docnum)))[1])
        return Vocabulary.from_counts(counts)

    def _keep_abbreviations(self, mined: MinedAbbreviations) -> None:
        """Save the mined abbreviations and let queries use them (a write failure only
        costs the library's own abbreviations, never the index)."""
        with contextlib.suppress(OSError):
            mined.save(self.index_dir)
        self._planner.acronyms = mined.table()

    def _save_vocabulary(self, vocabulary: Vocabulary) -> None:
        self._vocabularies.save(vocabulary, int(self._ix.latest_generation()))

    # ------------------------------------------------------------------ writing

    @contextlib.contextmanager
    def _writing(self, *, procs: int = 1, **commit_options: Any) -> Iterator[Any]:
        """A writer that commits on success and cancels on any error (the old index stays)."""
        options: dict[str, Any] = {
            "timeout": _WRITER_TIMEOUT_S,
            "limitmb": 96,
            # Every segment, merged ones included, in the layout the version file names.
            "codec": index_codec(),
        }
        if procs > 1:
            # multisegment: merging the workers' segments at the end would re-write every
            # posting in one process, costing more than the second process saved.
            options.update(procs=procs, multisegment=True)
        with grouped_postings():
            try:
                writer = index_writer(self._ix, **options)
            except LockError as exc:
                raise IndexBusy() from exc
            try:
                yield writer
            except BaseException:
                writer.cancel()
                raise
            writer.commit(**commit_options)

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
        mined = MinedAbbreviations()
        # The CLI's build runs in its own process: no cyclic collections while it runs.
        with collector_paused(procs > 1), self._writing(procs=procs, mergetype=CLEAR) as writer:
            for paper in papers:
                if paper.id in seen:
                    continue
                seen.add(paper.id)
                document, words = document_for(paper)
                counts.update(words)
                mined.add(paper)
                writer.add_document(**document)
                if progress is not None and len(seen) % 1000 == 0:
                    progress(len(seen))
        self._save_vocabulary(Vocabulary.from_counts(counts))
        self._keep_abbreviations(mined)
        if progress is not None:
            progress(len(seen))
        self._current_searcher()

    def update(self, papers: Iterable[Paper], removed_ids: Iterable[str] = ()) -> None:
        """Add or replace papers by id and delete ``removed_ids``, in one commit."""
        papers = list({paper.id: paper for paper in papers}.values())
        removed = set(removed_ids)
        if not papers and not removed:
            return
        mined = MinedAbbreviations.load(self.index_dir)
        with self._lock:
            commit = self._current()
            segments = len(commit.searcher.reader().leaf_readers())
            vocabulary = self._vocabulary_for(commit.searcher, exact=True).copy()
            for paper_id in removed | {paper.id for paper in papers}:
                docnum = commit.docnum(paper_id)
                if docnum is not None:
                    # What the old copy brought goes with it: its words, its definitions.
                    old = commit.paper_at(docnum)
                    vocabulary.add(analyse(*paper_regions(old))[1], -1)
                    mined.remove(old)
        # Merging rewrites segments: skip it for small updates until segments pile up.
        with self._writing(merge=segments >= 8) as writer:
            for paper_id in removed | {paper.id for paper in papers}:
                writer.delete_by_term("id", paper_id)
            for paper in papers:
                document, words = document_for(paper)
                vocabulary.add(words)
                writer.add_document(**document)
        self._save_vocabulary(vocabulary)
        for paper in papers:
            mined.add(paper)
        self._keep_abbreviations(mined)
        self._current_searcher()

    # ------------------------------------------------------------------ reading

    def load_scoring(self) -> None:
        """Import the scoring code this index's searches will use (numpy's from
        ``NUMPY_FROM_DOCUMENTS`` documents, 60-190 ms; nothing more below), so a
        background thread can pay for it before the first search does."""
        with self._lock:
            large = uses_numpy(self._current_searcher())
        if large:
            importlib.import_module("browser.search.vectors")

    def __len__(self) -> int:
        with self._lock:
            return int(self._current_searcher().doc_count())

    def all_ids(self) -> set[str]:
        with self._lock:
            reader = self._current_searcher().reader()
            ids = reader.column_reader("id")
            return {as_str(ids[docnum]) for docnum in reader.all_doc_ids()}

    def get(self, paper_id: str) -> Paper | None:
        return self.get_many([paper_id]).get(paper_id)

    def get_many(self, paper_ids: Iterable[str]) -> dict[str, Paper]:
        with self._lock:
            commit = self._current()
            found: dict[str, Paper] = {}
            for paper_id in paper_ids:
                docnum = commit.docnum(paper_id)
                if docnum is not None:
                    found[paper_id] = commit.paper_at(docnum)
            return found

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
        prefix_last_word: bool,
    ) -> SearchResult:
        """Run ``query``; never raises for a bad query (``error`` says what was wrong).

        ``prefix_last_word``: the query is being typed, so its last word, unless a space
        follows, also matches as a prefix; False for a query given whole (``Services``
        searches so unless told the user is typing).

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
        with self._lock:
            result = self._answerer.answer(
                self._current(),
                query,
                sort=sort,
                limit=limit,
                filters=filters or SearchFilters(),
                user=UserData(tags, states),
                stop=stop,
                budget_ms=time_budget_ms,
                prefix_last_word=prefix_last_word,
            )
        if stop.cancelled():
            raise SearchCancelled
        result.elapsed_ms = (time.perf_counter() - started) * 1000
        return result

    def matching_ids(
        self,
        query: str,
        *,
        tags: TagLookup | None = None,
        filters: SearchFilters | None = None,
        states: UserStateLookup | None = None,
        cancelled: Callable[[], bool] | None = None,
        prefix_last_word: bool,
    ) -> MatchingPapers:
        """The ids of every paper ``search`` finds for ``query`` and ``filters``, as a set:
        nothing scored, sorted or read (the stats count them).

        A query that matches nothing as typed is matched as ``search`` would answer it:
        its spelling correction, or without the words no paper has all of (the result
        names the query run). Raises ``SearchCancelled`` once ``cancelled()`` says yes.
        ``prefix_last_word`` as for ``search``.
        """
        stop = Stop(None, cancelled)
        with self._lock:
            commit = self._current()
            try:
                found, docnums = self._matching(
                    commit,
                    query,
                    filters or SearchFilters(),
                    UserData(tags, states),
                    stop,
                    prefix_last_word=prefix_last_word,
                )
            except Interrupted:
                raise SearchCancelled from None
            ids = commit.paper_ids()
            paper_ids = frozenset(map(ids.__getitem__, docnums))
        if stop.cancelled():
            raise SearchCancelled
        return dataclasses.replace(found, paper_ids=paper_ids)

    def _matching(
        self,
        commit: Commit,
        query: str,
        filters: SearchFilters,
        user: UserData,
        stop: Stop,
        *,
        prefix_last_word: bool,
    ) -> tuple[MatchingPapers, set[int]]:
        """``matching_ids`` under the lock, as document numbers (the ids left empty)."""
        as_typed = partial(
            self._answerer.matching,
            commit,
            filters=filters,
            user=user,
            stop=stop,
            prefix_last_word=prefix_last_word,
        )
        docnums, plan = as_typed(query)
        if docnums or not plan.words:
            return MatchingPapers(frozenset(), error=plan.error), docnums
        # What the search shows instead; a one-hit answer says which query that is.
        shown = self._answerer.answer(
            commit,
            query,
            sort="relevance",
            limit=1,
            filters=filters,
            user=user,
            stop=stop,
            budget_ms=None,
            prefix_last_word=prefix_last_word,
        )
        instead = shown.corrected_query or shown.relaxed_query
        if instead is None:
            return MatchingPapers(frozenset(), error=plan.error), docnums
        docnums, _ = as_typed(instead)
        found = MatchingPapers(
            frozenset(), corrected_query=shown.corrected_query, relaxed=Relaxation.of(shown)
        )
        return found, docnums

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
        result = SearchResult(query=f"like:{paper_id}")
        with self._lock:
            commit = self._current()
            docnum = commit.docnum(paper_id)
            if docnum is not None:
                outcome = self._answerer.similar(
                    commit,
                    docnum,
                    limit=limit,
                    filters=filters or SearchFilters(),
                    user=UserData(tags, states),
                    stop=stop,
                )
                result.hits, result.total = outcome.hits, outcome.total
        if stop.cancelled():
            raise SearchCancelled
        result.elapsed_ms = (time.perf_counter() - started) * 1000
        return result
