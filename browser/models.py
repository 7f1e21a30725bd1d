"""The data every stage passes on: parsed records, papers, problems and search hits.

Pure pydantic; nothing here touches files, Whoosh or Textual.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field


class Organization(BaseModel):
    """An organisation line such as ``nvidia NVIDIA``: the HF slug and its display name."""

    model_config = ConfigDict(frozen=True)

    slug: str
    name: str


class Source(BaseModel):
    """Where one occurrence of a paper was read: the dump file and the 1-based line of its title."""

    model_config = ConfigDict(frozen=True)

    file: str
    line: int


class PaperFields(BaseModel):
    """Fields shared by a single parsed occurrence and by the merged paper."""

    title: str
    abstract: str = ""
    authors: int | None = None
    organization: Organization | None = None
    date: dt.date | None = None
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


class FileReport(BaseModel):
    """What parsing one file produced."""

    file: str
    records: int = 0
    problems: list[ParseProblem] = Field(default_factory=list)


class ParseReport(BaseModel):
    """What parsing a set of files produced: per-file counts and problems."""

    files: list[FileReport] = Field(default_factory=list)
    unique_papers: int = 0

    @property
    def problems(self) -> list[ParseProblem]:
        return [problem for report in self.files for problem in report.problems]

    @property
    def records(self) -> int:
        return sum(report.records for report in self.files)


class Highlight(BaseModel):
    """A matched span, as character offsets into the text it belongs to."""

    model_config = ConfigDict(frozen=True)

    start: int
    end: int


SortOrder = Literal["relevance", "newest", "comments", "title"]
SORT_ORDERS: tuple[SortOrder, ...] = ("relevance", "newest", "comments", "title")


class SearchHit(BaseModel):
    """One paper in a result list, with the spans of its text that matched the query."""

    paper: Paper
    score: float = 0.0
    title_highlights: list[Highlight] = Field(default_factory=list)
    abstract_highlights: list[Highlight] = Field(default_factory=list)
    tags: list[str] = Field(default_factory=list)


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
    # Set when the query could not be parsed and plain words were searched instead.
    error: str | None = None
    # True when a time budget cut the search short (as-you-type pass).
    partial: bool = False


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
