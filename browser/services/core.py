"""``ServicesCore``: one library's parts (paths, catalog, search index, user data) and the
use cases every other part builds on: a paper by id, the search, backup, close.

Nothing in ``browser.services`` imports Textual: the app receives a ready ``Services``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from browser.library import Catalog
from browser.library_paths import LibraryPaths
from browser.models import Paper, SearchFilters, SearchResult, SortOrder, StatePredicate
from browser.reading import Reading
from browser.search import PaperIndex, slow_path_reason
from browser.stats.source import StatsSource
from browser.userdata import BackupReport, UserData, UserTags

__all__ = ["ServicesCore", "UnknownPaper", "search_engine_warning"]


class UnknownPaper(LookupError):
    """A paper id that is not in the library (say, for similar papers)."""


@dataclass
class ServicesCore:
    """Everything one library offers: its paths, catalog, search index and tag store.

    ``Services`` (``browser.services.factory``) adds the sync, export and stats use cases.
    """

    paths: LibraryPaths
    catalog: Catalog
    index: PaperIndex
    userdata: UserData
    # Why the index had to be rebuilt on open (None when it opened cleanly).
    index_problem: str | None = None
    # The index could not be opened at all: a rebuild must start from an empty folder.
    index_broken: bool = False
    # What opening the library did that the user should hear once (an id migration).
    notices: list[str] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _stats_source: StatsSource | None = field(default=None, repr=False)
    # Read state, notes, saved searches and the session (issue 14).
    reading: Reading = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.reading = Reading(self.catalog, self.userdata)

    @property
    def tags(self) -> UserTags:
        """The user's tags (the TagStore interface), kept in the user-data store."""
        return self.userdata.tags

    def is_empty(self) -> bool:
        return self.catalog.paper_count() == 0

    @property
    def search_warning(self) -> str | None:
        """Why searches are slower than they should be (one sentence), or None."""
        return search_engine_warning()

    def paper(self, paper_id: str) -> Paper | None:
        return self.catalog.paper(paper_id)

    def search(
        self,
        query: str = "",
        *,
        sort: SortOrder = "relevance",
        limit: int = 200,
        filters: SearchFilters | None = None,
        like: str | None = None,
        time_budget_ms: float | None = None,
        cancelled: Callable[[], bool] | None = None,
        prefix_last_word: bool = False,
    ) -> SearchResult:
        """The papers for ``query``, or with ``like`` (a paper id) the papers similar to it.

        The one search use case of the CLI and the app. ``filters`` restrict either kind
        (tags resolve through this library's tag store); similar papers are ranked by
        likeness, so ``query``, ``sort`` and ``time_budget_ms`` (milliseconds for a typing
        pass, which may come back ``partial``) apply to word searches only. Never raises
        for a bad query (``error`` says what was wrong); raises UnknownPaper for a
        ``like`` id not in the library and SearchCancelled once ``cancelled()`` is True.
        Safe from worker threads. A query is taken as given whole (``paper-browser search
        foo`` does not find "food"); ``prefix_last_word`` says the user is still typing
        it, so its last word also matches its completions.
        """
        if like is not None:
            if self.catalog.paper(like) is None:
                raise UnknownPaper(f"no paper with id {like!r} in the library")
            return self.index.more_like(
                like,
                limit=limit,
                tags=self.tags,
                filters=filters,
                states=self.userdata.reading,
                cancelled=cancelled,
            )
        return self.index.search(
            query,
            sort=sort,
            limit=limit,
            tags=self.tags,
            filters=filters,
            states=self.userdata.reading,
            time_budget_ms=time_budget_ms,
            cancelled=cancelled,
            prefix_last_word=prefix_last_word,
        )

    def unread_count(
        self,
        query: str = "",
        *,
        filters: SearchFilters | None = None,
        like: str | None = None,
        cancelled: Callable[[], bool] | None = None,
        prefix_last_word: bool = False,
    ) -> int:
        """How many of the papers ``search`` finds for these arguments are unread, all of
        them (not a page): the same search with ``is:unread`` added, in date order so that
        nothing is scored (the matches are a set). ``query`` is the one that was shown (a
        correction or relaxation already applied): when this search has to correct or
        relax it again, no unread paper has its words, and the count is 0."""
        unread = UNREAD if filters is None else filters & UNREAD
        result = self.search(
            query,
            sort="newest",
            limit=1,
            filters=unread,
            like=like,
            cancelled=cancelled,
            prefix_last_word=prefix_last_word,
        )
        if like is None and (result.corrected_query or result.relaxed_query):
            return 0
        return result.total

    def backup(self, folder: Path) -> BackupReport:
        """A copy of the user data and its plain-text twin in ``folder`` (see UserData)."""
        return self.userdata.backup(folder)

    def load_search_code(self) -> None:
        """Import what the first search will need, for a caller with a thread to spare
        (the app's opening thread): numpy only for libraries large enough to use it."""
        self.index.load_scoring()

    def close(self) -> None:
        self.index.close()
        self.catalog.close()
        self.userdata.close()

    def _stats(self) -> StatsSource:
        if self._stats_source is None:
            self._stats_source = StatsSource(self.catalog)
        return self._stats_source

    def _forget_stats(self) -> None:
        if self._stats_source is not None:
            self._stats_source.forget()


# is:unread (``read`` negated: the read set is the smaller side to resolve).
UNREAD = SearchFilters(states=(StatePredicate("read", negated=True),))


def search_engine_warning() -> str | None:
    """One sentence when searches run on Whoosh's slower public path (the installed
    Whoosh lacks a private name the fast path reads), else None; needs no library."""
    return slow_path_reason()
