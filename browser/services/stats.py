"""``StatsUseCases``: counts over the papers a query matches (``Services.stats``), and the
listing days the app steps through; both read ``browser.stats``' columns."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable

from browser.models import SearchFilters
from browser.services.core import ServicesCore
from browser.stats import TOP, LibraryStats, Period, compute_stats

__all__ = ["StatsUseCases"]


class StatsUseCases(ServicesCore):
    """The library at a glance, computed from columns read once per catalog version."""

    def stats(
        self,
        query: str = "",
        *,
        by: Period = "month",
        top: int | None = TOP,
        cancelled: Callable[[], bool] | None = None,
    ) -> LibraryStats:
        """Counts over the papers ``query`` matches (every paper when it is empty).

        Papers per listing day, ISO week or month (``by``), tags, organisations, authors
        and rising terms (see ``browser.stats``); ``top`` caps each ranked list. A query
        that matches nothing as typed is counted as its spelling correction, as the
        search would show it (``corrected_query`` says so). ``cancelled`` is polled by
        the search; once it says yes ``SearchCancelled`` is raised.
        """
        source = self._stats()
        columns = source.columns()
        query = query.strip()
        corrected: str | None = None
        rows: list[int] | None = None
        if query:
            result = self.index.search(
                query,
                limit=max(1, len(columns)),
                tags=self.tags,
                states=self.userdata.reading,
                cancelled=cancelled,
            )
            corrected = result.corrected_query
            rows = columns.positions_of(hit.paper.id for hit in result.hits)
        tags = {entry.paper_id: entry.tags for entry in self.tags.entries()}
        stats = compute_stats(columns, rows, by=by, tags=tags, terms_of=source.terms_of, top=top)
        stats.query = query
        stats.corrected_query = corrected
        return stats

    def warm_stats(self) -> None:
        """Read what ``stats`` needs of every paper now, so its first call is fast."""
        self._stats().columns()

    def listing_day_step(
        self,
        current: dt.date | None,
        delta: int,
        *,
        query: str = "",
        filters: SearchFilters | None = None,
    ) -> tuple[dt.date, frozenset[str]] | None:
        """The Daily Papers day before (``delta`` -1) or after (+1) ``current`` that has
        papers matching ``query`` and ``filters``, with those papers' ids; from no day,
        the newest day. None when there is no such day. The day is the paper's listing
        day where known, else its date (``browser.stats``' columns)."""
        columns = self._stats().columns()
        if query.strip() or filters:
            result = self.search(query, limit=max(1, len(columns)), filters=filters)
            rows: Iterable[int] = columns.positions_of(hit.paper.id for hit in result.hits)
        else:
            rows = range(len(columns))
        by_day: dict[int, list[str]] = {}
        for row in rows:
            if columns.days[row]:
                by_day.setdefault(columns.days[row], []).append(columns.ids[row])
        days = sorted(by_day)
        if not days:
            return None
        if current is None:
            chosen = days[-1]
        else:
            here = current.toordinal()
            later = [day for day in days if day > here]
            earlier = [day for day in days if day < here]
            if (delta > 0 and not later) or (delta < 0 and not earlier):
                return None
            chosen = later[0] if delta > 0 else earlier[-1]
        return dt.date.fromordinal(chosen), frozenset(by_day[chosen])
