"""The data every stage passes on: parsed records, papers, problems and search hits.

Pure pydantic; nothing here touches files, Whoosh or Textual.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr


class Organization(BaseModel):
    """An organisation line such as ``nvidia NVIDIA``: the HF slug and its display name."""

    model_config = ConfigDict(frozen=True)

    slug: str
    name: str


class Source(BaseModel):
    """Where one occurrence of a paper was read: the dump file, the 1-based line of its
    title, and its 0-based place among the records read from that file (``position``:
    the page's order, also where several records share a line, as in a JSON array on
    one line; 0 in records stored before it existed)."""

    model_config = ConfigDict(frozen=True)

    file: str
    line: int
    position: int = 0


class PaperFields(BaseModel):
    """Fields shared by a single parsed occurrence and by the merged paper."""

    title: str
    abstract: str = ""
    authors: int | None = None
    organization: Organization | None = None
    date: dt.date | None = None  # the paper's own date (arXiv's, or the card's)
    # The Daily Papers day the paper was listed on: the page's date for text and Markdown
    # dumps, ``submittedOnDailyAt`` for API JSON; None when the dump does not say.
    listed: dt.date | None = None
    year_inferred: bool = False
    comments: int | None = None
    upvotes: int | None = None
    links: list[str] = Field(default_factory=list)
    # Only richer formats (HF JSON API, saved HTML) carry these.
    arxiv_id: str | None = None
    author_names: list[str] = Field(default_factory=list)
    keywords: list[str] = Field(default_factory=list)


class ParsedRecord(PaperFields):
    """One paper as found in one file, before deduplication."""

    id: str
    source: Source


class Paper(PaperFields):
    """One paper in the library: every occurrence merged, with a stable id."""

    id: str
    sources: list[Source] = Field(default_factory=list)
    # The occurrence on its listing day's page (``merging.page_occurrence``): where the
    # paper stands on that page, the ``listed`` order's key after upvotes. None for papers
    # merged before it existed.
    page: Source | None = None


Severity = Literal["warning", "error"]


class ParseProblem(BaseModel):
    """Something wrong with an input file, precise enough for the user to go and look."""

    model_config = ConfigDict(frozen=True)

    file: str
    line: int | None = None
    severity: Severity = "warning"
    message: str

    def describe(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        return f"{where}: {self.severity}: {self.message}"


class Highlight(BaseModel):
    """A matched span, as character offsets into the text it belongs to."""

    model_config = ConfigDict(frozen=True)

    start: int
    end: int


# "listed": the Daily Papers pages' own order, newest listing day (else the paper's date)
# first, each day most upvoted first (unknown last), then as its page showed them
# (``Paper.page``); "upvotes": most upvoted first, unknown last.
SortOrder = Literal["relevance", "newest", "listed", "upvotes", "comments", "title"]
SORT_ORDERS: tuple[SortOrder, ...] = (
    "relevance",
    "newest",
    "listed",
    "upvotes",
    "comments",
    "title",
)


class SearchHit(BaseModel):
    """One paper in a result list, with the spans of its text that matched the query.

    The abstract's spans are worked out when first asked for (``abstract_highlights``):
    only the paper shown in the pane needs them, and finding them in every abstract of a
    200-hit page was up to half of an as-you-type search at 100k papers. So they are not
    a field: not a constructor argument, not in ``model_dump``; and two hits compare
    equal only once both have worked theirs out.
    """

    paper: Paper
    score: float = 0.0
    title_highlights: list[Highlight] = Field(default_factory=list)
    tags: list[str] = Field(default_factory=list)
    _abstract_spans: Callable[[], list[Highlight]] | None = PrivateAttr(default=None)
    _abstract_highlights: list[Highlight] | None = PrivateAttr(default=None)

    def highlight_abstract_with(self, spans: Callable[[], list[Highlight]]) -> SearchHit:
        """Let ``spans()`` work out the abstract's highlights on first use; returns self."""
        self._abstract_spans = spans
        self._abstract_highlights = None
        return self

    @property
    def abstract_highlights(self) -> list[Highlight]:
        """Character spans of the abstract that matched (empty without a query's words)."""
        found = self._abstract_highlights
        if found is None:
            # The function is kept: a second thread asking at the same time works the
            # same spans out again rather than finding it gone.
            spans = self._abstract_spans
            found = self._abstract_highlights = [] if spans is None else spans()
        return found


class SearchResult(BaseModel):
    """The answer to one query."""

    query: str
    hits: list[SearchHit] = Field(default_factory=list)
    total: int = 0
    sort: SortOrder = "relevance"
    elapsed_ms: float = 0.0
    # Set when the query found nothing as typed and a corrected one was run instead.
    corrected_query: str | None = None
    # Suggestion offered when even the correction found nothing.
    suggestion: str | None = None
    # No paper had all the words: the query run instead, and the words it left out.
    relaxed_query: str | None = None
    dropped_words: list[str] = Field(default_factory=list)
    # ... in words: "No paper has all 4 words; showing papers with 3 of them (not “x”)".
    relaxed_notice: str | None = None
    # What query words also matched: "RL: reinforcement learning" (abbreviations).
    expansions: list[str] = Field(default_factory=list)
    # What was wrong with the query's syntax and what was searched instead, in words
    # ("“date:[2024-01” is not closed: read it as date:[2024-01 TO]."); never Python's.
    error: str | None = None
    # The search itself failed (the index busy or broken): ``error`` says why.
    failed: bool = False
    # True when a time budget cut the search short (as-you-type pass).
    partial: bool = False


@dataclass(frozen=True)
class Relaxation:
    """No paper had all the words of a query: the query run instead, the words it left
    out and the notice that says so. One JSON shape for ``search --json`` and
    ``stats --json`` (``relaxed``)."""

    query: str
    dropped_words: tuple[str, ...] = ()
    notice: str | None = None

    @classmethod
    def of(cls, result: SearchResult) -> Relaxation | None:
        if result.relaxed_query is None:
            return None
        return cls(result.relaxed_query, tuple(result.dropped_words), result.relaxed_notice)

    def to_json(self) -> dict[str, Any]:
        return {
            "query": self.query,
            "dropped_words": list(self.dropped_words),
            "notice": self.notice,
        }


@dataclass(frozen=True)
class MatchingPapers:
    """The papers a query matches, as a set (``PaperIndex.matching_ids``): no scores, no
    order, no hits, so a count over 100k papers costs milliseconds, not seconds."""

    paper_ids: frozenset[str]
    # The query matched nothing as typed: what ran instead, as ``SearchResult`` says it
    # (the relaxation with its dropped words and notice, from the search that found it).
    corrected_query: str | None = None
    relaxed: Relaxation | None = None
    # The query could not be parsed and plain words were matched instead.
    error: str | None = None

    @property
    def relaxed_query(self) -> str | None:
        return None if self.relaxed is None else self.relaxed.query


class SearchCancelled(Exception):
    """The caller gave up on a search while it ran (a newer search replaced it)."""


class TagLookup(Protocol):
    """Read access to the user's tags, as the search service needs it (TagStore implements it)."""

    def tags_of(self, paper_id: str) -> list[str]:
        """Tags of one paper, as first written, in a stable order."""
        ...

    def ids_with_tag(self, tag: str) -> set[str]:
        """Ids of papers carrying ``tag`` (matched case-insensitively, trimmed)."""
        ...

    def tagged_ids(self) -> set[str]:
        """Ids of papers with at least one tag."""
        ...


class UserStateLookup(Protocol):
    """Read access to per-paper user state beyond tags (read, new, notes), for filters.

    The search resolves each ``StatePredicate`` through ``ids_where`` into a set of paper
    ids; a negated predicate denies that set. Return the smaller side of a predicate and
    let negation give the other (``unread`` is ``read`` negated), so resolving stays cheap
    at 100k papers.
    """

    def ids_where(self, name: str, argument: str) -> set[str]:
        """Ids of papers for which the predicate ``name`` (e.g. ``"read"``, ``"note"``) holds
        with ``argument`` (``""`` when it takes none). Raises ``KeyError`` for a name it
        does not know."""
        ...


@dataclass(frozen=True)
class StatePredicate:
    """A named user-state condition such as ``read`` or ``note`` containing some text."""

    name: str
    argument: str = ""
    negated: bool = False


@dataclass(frozen=True)
class SearchFilters:
    """Which papers a search may return, whatever its words say; all conditions must hold.

    Filters travel as this object, never as query text, so any tag name (quotes, colons,
    parentheses) filters exactly. Query text ``tag:``/``-tag:``/``is:tagged``/``is:untagged``
    terms parse into the same object and are combined with ``&``.

    * ``required_tags``: each must be on the paper (case-insensitive, as ``TagLookup``).
    * ``excluded_tags``: none may be on the paper.
    * ``tagged``: True only papers with a tag, False only papers without, None either.
    * ``states``: named user-state predicates resolved through a ``UserStateLookup``.
    * ``allowed_ids``: when not None the paper id must be in it; ``denied_ids``: must not.
    """

    required_tags: tuple[str, ...] = ()
    excluded_tags: tuple[str, ...] = ()
    tagged: bool | None = None
    states: tuple[StatePredicate, ...] = ()
    allowed_ids: frozenset[str] | None = None
    denied_ids: frozenset[str] = frozenset()

    def __bool__(self) -> bool:
        return self != _NO_FILTERS

    def __and__(self, other: SearchFilters) -> SearchFilters:
        """Both sets of conditions at once (``is:tagged`` with ``is:untagged`` matches none)."""
        tagged = self.tagged if other.tagged is None else other.tagged
        allowed = _intersection(self.allowed_ids, other.allowed_ids)
        if None not in (self.tagged, other.tagged) and self.tagged != other.tagged:
            allowed = frozenset()
        return SearchFilters(
            required_tags=_merged(self.required_tags, other.required_tags),
            excluded_tags=_merged(self.excluded_tags, other.excluded_tags),
            tagged=tagged,
            states=tuple(dict.fromkeys(self.states + other.states)),
            allowed_ids=allowed,
            denied_ids=self.denied_ids | other.denied_ids,
        )


_NO_FILTERS: SearchFilters = SearchFilters()


def _merged(first: Iterable[str], second: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys([*first, *second]))


def _intersection(
    first: frozenset[str] | None, second: frozenset[str] | None
) -> frozenset[str] | None:
    if first is None:
        return second
    return first if second is None else first & second
