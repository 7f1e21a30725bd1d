"""Messages the app's workers post back to the UI thread, and the requests they answer."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from textual.message import Message

from browser.models import SearchResult, SortOrder

if TYPE_CHECKING:
    from browser.services import SyncProgress, SyncSummary

FilterKind = Literal["tag", "tagged", "untagged"]


@dataclass(frozen=True)
class TagFilter:
    """Restricts results to papers with one tag, any tag, or no tag."""

    kind: FilterKind
    tag: str = ""

    def clause(self) -> str:
        """The query-language clause that applies this filter."""
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
    # How many hits to fetch; more than the list holds means "the next page" of it.
    limit: int = 200
    more: bool = False

    @property
    def effective_query(self) -> str:
        if self.tag_filter is None:
            return self.query
        # Tag clauses filter the whole query, wherever they stand in it.
        return f"{self.query} {self.tag_filter.clause()}".strip()


@dataclass
class SearchCompleted(Message):
    """A search worker finished (possibly cut short by its time budget)."""

    request: SearchRequest
    result: SearchResult


@dataclass
class SyncProgressed(Message):
    """One more dump file was read during a sync."""

    progress: SyncProgress


@dataclass
class SyncFinished(Message):
    """The sync worker is done: a summary, or the message of what stopped it."""

    summary: SyncSummary | None
    error: str | None = None


@dataclass
class ExportFinished(Message):
    """The export worker wrote ``rows`` rows/entries to ``path``, or failed with ``error``;
    ``unit`` says it in the format's words ("3 entries")."""

    path: str
    rows: int
    error: str | None = None
    unit: str = ""
