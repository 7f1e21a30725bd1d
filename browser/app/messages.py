"""Messages the app's workers post back to the UI thread, and the requests they answer."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual.message import Message

from browser.models import SearchResult

# Re-exported: the requests are plain data, defined without Textual.
from browser.search_session import FilterKind, SearchRequest, TagFilter

__all__ = [
    "ExportFinished",
    "FilterKind",
    "SearchCompleted",
    "SearchRequest",
    "SyncFinished",
    "SyncProgressed",
    "TagFilter",
]

if TYPE_CHECKING:
    from browser.services import SyncProgress, SyncSummary


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
