"""The search view's decisions, without Textual: when to search, which answers count.

As-you-type searching is a small protocol between the search bar, a worker thread
and the result list. :class:`SearchSession` holds its state and rules so they can
be tested without an app; the app only runs the timers and the workers it is told
to and paints what an :data:`Outcome` says.

- A keystroke waits :data:`DEBOUNCE_SECONDS` for the next one, then searches with
  a time budget (:data:`TYPING_BUDGET_MS`); the first key after a pause searches at
  once (:func:`debounce_delay`); Enter searches at once without one.
- Every request has a generation; an answer to anything but the newest is stale.
- A typing pass the budget cut short is shown and searched again, without a budget,
  :data:`SETTLE_SECONDS` later; one that found nothing in time is not "no papers
  match": the list stays and the settled search starts after
  :data:`SETTLE_EMPTY_SECONDS`.
- A typing pass asks for a first page of :data:`TYPING_PAGE_SIZE` hits (more rows than
  the tallest screen shows); Enter and the settled search ask for :data:`PAGE_SIZE`.
- Near the end of the list the next :data:`PAGE_SIZE` hits are fetched, once at a
  time, and only for a complete answer that has more.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

from browser.models import SearchFilters, SearchHit, SearchResult, SortOrder
from browser.text.query_text import last_word_finished

__all__ = [
    "DEBOUNCE_SECONDS",
    "PAGE_SIZE",
    "SETTLE_EMPTY_SECONDS",
    "SETTLE_SECONDS",
    "TYPING_BUDGET_MS",
    "TYPING_PAGE_SIZE",
    "AppendPage",
    "Ignore",
    "KeepWaiting",
    "Outcome",
    "ReplaceList",
    "SearchRequest",
    "SearchSession",
    "Show",
    "TagFilter",
    "debounce_delay",
]

# As-you-type: wait this long after the last key, then search within a time budget;
# if the budget cut the search short, search again without one once typing settles.
# 0.1 s (was 0.15): a pass that finishes in its budget is final (issue 17), so a key
# costs the debounce, at most the budget and a paint, under 250 ms at 100k papers; a
# newer key cancels a search still running, so a shorter wait costs little.
DEBOUNCE_SECONDS = 0.1
TYPING_BUDGET_MS = 60.0
# A cut-short pass is shown, and settled this long after: the debounce already saw the
# typing pause, and a newer key stops the timer or cancels the settled search, so a
# longer wait (it was 0.35 s) only delayed every cut-short keystroke's final list.
SETTLE_SECONDS = 0.1
# A typing pass that found nothing in time has nothing to show: settle sooner. A newer
# keystroke cancels that search, so starting it early costs little.
SETTLE_EMPTY_SECONDS = 0.05
PAGE_SIZE = 200
# The typing pass's first page: every hit of a page is read from the index and made a
# paper, and at 100k papers reading 200 cold papers was a quarter of a typing pass (about
# 12 of 45 ms at p95). A 160x48 terminal shows about 40 rows, so 50 fill any screen; the
# reader who scrolls on gets the next page (``next_page``) as after Enter.
TYPING_PAGE_SIZE = 50


def debounce_delay(since_last_key: float | None, *, waiting: bool) -> float:
    """Seconds to wait after a key before the typing pass: none after a pause, else
    :data:`DEBOUNCE_SECONDS` (a leading- and trailing-edge debounce).

    ``since_last_key``: seconds since the previous key in the bar (None for the first);
    ``waiting``: a debounce from an earlier key is still pending. A key that follows a
    pause of at least the debounce cannot be part of a burst the debounce would merge,
    so waiting would only delay its list; keys in a burst still wait, and each newer
    search cancels the one before it.
    """
    paused = since_last_key is None or since_last_key >= DEBOUNCE_SECONDS
    return 0.0 if paused and not waiting else DEBOUNCE_SECONDS


FilterKind = Literal["tag", "tagged", "untagged"]


@dataclass(frozen=True)
class TagFilter:
    """Restricts results to papers with one tag, any tag, or no tag."""

    kind: FilterKind
    tag: str = ""

    def filters(self) -> SearchFilters:
        """The filter as the index takes it: any tag name, quotes and all, filters exactly."""
        if self.kind == "tagged":
            return SearchFilters(tagged=True)
        if self.kind == "untagged":
            return SearchFilters(tagged=False)
        return SearchFilters(required_tags=(self.tag,))

    def clause(self) -> str:
        """The filter as query text, for what only takes text (the stats screen).

        Lossy: a quote inside a tag cannot be written in the query language.
        """
        if self.kind == "tagged":
            return "is:tagged"
        if self.kind == "untagged":
            return "is:untagged"
        # Quotes inside a tag cannot be expressed in the query language; drop them.
        return 'tag:"{}"'.format(self.tag.replace('"', ""))

    def describe(self) -> str:
        if self.kind == "tag":
            return f"tag {self.tag}"
        return self.kind


@dataclass(frozen=True)
class SearchRequest:
    """Everything one search needs; ``generation`` tells a fresh answer from a stale one."""

    generation: int
    query: str
    sort: SortOrder
    tag_filter: TagFilter | None = None
    like_paper_id: str | None = None
    time_budget_ms: float | None = None
    # A view on top of the tag filter: the new papers, one listing day (issue 14).
    view_filters: SearchFilters | None = None
    # How many hits to fetch; more than the list holds means "the next page" of it.
    limit: int = PAGE_SIZE
    more: bool = False
    # The query is still being typed: its last word also matches as a prefix. The typing
    # pass and the settled search after it say so; Enter does not, nor a typed trailing
    # space (``SearchSession.start``): what re-runs the list's words uses this as is.
    prefix_last_word: bool = False

    @property
    def filters(self) -> SearchFilters | None:
        """The structured filters this search applies on top of its query's own terms."""
        tag = None if self.tag_filter is None else self.tag_filter.filters()
        if tag is None or self.view_filters is None:
            return tag if tag is not None else self.view_filters
        return tag & self.view_filters

    @property
    def typing(self) -> bool:
        """A pass made while the user types: it may be cut short by its time budget."""
        return self.time_budget_ms is not None


# ---------------------------------------------------------------- outcomes


@dataclass(frozen=True)
class Show:
    """Put ``result`` in the list; stay on the highlighted paper if ``keep_position``.

    ``settle_after`` (seconds): search again without a budget then, unless the user
    types first.
    """

    result: SearchResult
    keep_position: bool
    settle_after: float | None = None


@dataclass(frozen=True)
class KeepWaiting:
    """The typing pass found nothing in time: keep the list, say "searching…", settle soon."""

    settle_after: float


@dataclass(frozen=True)
class AppendPage:
    """The next page arrived and the list is still its beginning: add ``new_hits``."""

    result: SearchResult
    new_hits: tuple[SearchHit, ...]


@dataclass(frozen=True)
class ReplaceList:
    """The next page arrived but the library changed under the list: show it whole."""

    result: SearchResult


@dataclass(frozen=True)
class Ignore:
    """Nothing to paint: a stale answer, or a page that failed (the next move retries)."""

    reason: Literal["stale", "page failed"]


Outcome = Show | KeepWaiting | AppendPage | ReplaceList | Ignore


class SearchSession:
    """The state of the search view: the newest request and the result on screen.

    Not thread-safe: used from the UI thread only; workers get a :class:`SearchRequest`.
    """

    def __init__(
        self,
        page_size: int = PAGE_SIZE,
        *,
        typing_page_size: int = TYPING_PAGE_SIZE,
        settle_seconds: float = SETTLE_SECONDS,
        settle_empty_seconds: float = SETTLE_EMPTY_SECONDS,
    ) -> None:
        self.page_size = page_size
        self.typing_page_size = min(page_size, typing_page_size)
        self.settle_seconds = settle_seconds
        self.settle_empty_seconds = settle_empty_seconds
        self.generation = 0
        self.request: SearchRequest | None = None
        self.result: SearchResult | None = None
        # Whether the list on screen read its last word as a prefix (see ``answer``).
        self._shown_prefix_last_word = False
        self.loading_more = False

    def start(
        self,
        query: str,
        *,
        sort: SortOrder,
        tag_filter: TagFilter | None = None,
        like_paper_id: str | None = None,
        time_budget_ms: float | None = None,
        view_filters: SearchFilters | None = None,
        prefix_last_word: bool | None = None,
    ) -> SearchRequest:
        """A new search (every older answer becomes stale); the caller runs it.

        ``prefix_last_word``: the query is being typed (True) or was submitted (False);
        None keeps what the search before it said when the query is the same, so a new
        sort, filter or view, or the settled pass, matches the words the list shows as it
        did; another query (a saved search, a stats row's clause appended) is whole words.
        A trailing space finishes the last word (the planner's rule, ``word_being_typed``):
        the request keeps the query stripped, so the flag says it.
        """
        stripped = query.strip()
        previous = self.request
        if prefix_last_word is None:
            prefix_last_word = (
                previous is not None and previous.prefix_last_word and previous.query == stripped
            )
        prefix_last_word = prefix_last_word and not last_word_finished(query)
        self.generation += 1
        self.request = SearchRequest(
            generation=self.generation,
            query=stripped,
            sort=sort,
            tag_filter=tag_filter,
            like_paper_id=like_paper_id,
            time_budget_ms=time_budget_ms,
            view_filters=view_filters,
            limit=self.page_size if time_budget_ms is None else self.typing_page_size,
            prefix_last_word=prefix_last_word,
        )
        self.loading_more = False
        return self.request

    @property
    def prefix_last_word(self) -> bool:
        """The newest search's last word was a prefix: what re-runs the list's words
        (stats, day steps, export, mark all read) matches them as it did."""
        return self.request is not None and self.request.prefix_last_word

    def next_page(self) -> SearchRequest | None:
        """The request for the next page when the reader nears the end, or None.

        None while a page is on its way, when the shown answer is partial or complete,
        and when a newer search has started.
        """
        result, request = self.result, self.request
        if (
            result is None
            or request is None
            or self.loading_more
            or result.partial
            or result.total <= len(result.hits)
            or request.generation != self.generation
        ):
            return None
        self.loading_more = True
        return replace(
            request, time_budget_ms=None, limit=len(result.hits) + self.page_size, more=True
        )

    def is_stale(self, request: SearchRequest) -> bool:
        return request.generation != self.generation

    def answer(self, request: SearchRequest, result: SearchResult) -> Outcome:
        """What to do with a worker's answer; records what the list will show."""
        if self.is_stale(request):
            return Ignore("stale")  # a newer search is on its way
        if request.more:
            return self._page(result)
        if request.typing and result.partial and not result.hits and not result.error:
            # Out of time before finding anything is not "no papers match".
            return KeepWaiting(self.settle_empty_seconds)
        # Same words (new sort, filter, or the settled pass): stay on the paper being read.
        # Not when Enter turns a typed last word into a whole word: that is a new list
        # (kept, the typing list's top paper sat at row 22 of "learning" and the view
        # scrolled past the first 13 results).
        same_query = (
            self.result is not None
            and self.result.query == result.query
            and self._shown_prefix_last_word == request.prefix_last_word
        )
        self.result = result
        self._shown_prefix_last_word = request.prefix_last_word
        settle = self.settle_seconds if result.partial and request.typing else None
        return Show(result, keep_position=same_query, settle_after=settle)

    def _page(self, result: SearchResult) -> Outcome:
        self.loading_more = False
        if result.failed or result.partial:
            # The list as shown stays. (A mere ``error`` is a note on the query's syntax,
            # the same for every page of it.)
            return Ignore("page failed")
        shown = self.result.hits if self.result is not None else []
        self.result = result
        if [hit.paper.id for hit in result.hits[: len(shown)]] == [hit.paper.id for hit in shown]:
            return AppendPage(result, tuple(result.hits[len(shown) :]))
        return ReplaceList(result)
