"""``SavedSearchUseCases``: a saved search opened in the view it was saved from, the one
use case the CLI (``search --saved NAME``) and the app (``B``, the palette) both run."""

from __future__ import annotations

from dataclasses import dataclass

from browser.models import SearchFilters, SortOrder
from browser.reading import SavedQuery
from browser.services.stats import StatsUseCases

__all__ = ["OpenedSearch", "SavedSearchUseCases", "UnknownSavedSearch"]


class UnknownSavedSearch(LookupError):
    """No saved search has that name; the message names the saved ones."""


@dataclass(frozen=True)
class OpenedSearch:
    """A saved search ready to run now.

    ``saved`` is what was stored (words, sort, filters, view). ``query``, ``sort`` and
    ``filters`` are what to search with: the saved words and filters with the caller's
    added, the saved sort unless the caller chose one, and the view answered now
    (``view_filters``: the new papers, or the ids of the day's papers that match, as
    the library is now; None without a view).
    """

    name: str
    saved: SavedQuery
    query: str
    sort: SortOrder
    filters: SearchFilters
    view_filters: SearchFilters | None = None

    @property
    def day_ids(self) -> frozenset[str] | None:
        """The papers of the saved day that match (None unless the view is one day)."""
        if self.saved.view is None or self.saved.view.day is None or self.view_filters is None:
            return None
        return self.view_filters.allowed_ids


class SavedSearchUseCases(StatsUseCases):
    """Saved searches run again, in their view."""

    def open_saved(
        self,
        name: str,
        *,
        query: str = "",
        filters: SearchFilters | None = None,
        sort: SortOrder | None = None,
    ) -> OpenedSearch:
        """The saved search ``name`` made ready to run: ``query`` is ANDed with its words,
        ``filters`` with its filters, ``sort`` (None: the saved one) replaces its sort.

        A day view is answered again (``listing_day_papers`` over the combined words and
        filters: the library may have grown since it was saved); the new papers are the
        last sync's. Raises ``UnknownSavedSearch``; ``UserDataError`` when the user data
        cannot be read. Reads the index: call it off the UI thread.
        """
        saved = self.reading.saved_query(name)
        if saved is None:
            known = ", ".join(repr(s.name) for s in self.reading.saved_searches()) or "none"
            raise UnknownSavedSearch(f"no saved search named {name!r} (saved: {known})")
        words = query.strip()
        combined = (
            f"({saved.query}) ({words})"
            if words and saved.query.strip()
            else (words or saved.query)
        )
        wanted = saved.filters if filters is None else saved.filters & filters
        view_filters = None
        if saved.view is not None:
            view_filters = self.view_filters(saved.view, query=combined, filters=wanted)
            wanted = wanted & view_filters
        return OpenedSearch(
            name=name,
            saved=saved,
            query=combined,
            sort=saved.sort if sort is None else sort,
            filters=wanted,
            view_filters=view_filters,
        )
