"""``StatsUseCases``: counts over the papers a query matches (``Services.stats``), and the
listing days the app steps through; both read ``browser.stats``' columns."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable

from browser.models import MatchingPapers, SearchFilters
from browser.reading import NEW_PAPERS, SavedView
from browser.services.core import ServicesCore
from browser.stats import TOP, FactColumns, LibraryStats, Period
from browser.stats.rising_note import rising_note
from browser.stats.summary import count_papers, with_tags
from browser.stats.terms import paper_terms
from browser.text.query_text import last_word_finished

__all__ = ["StatsUseCases"]


class StatsUseCases(ServicesCore):
    """The library at a glance, computed from columns read once per catalog version."""

    def stats(
        self,
        query: str = "",
        *,
        by: Period = "month",
        top: int | None = TOP,
        filters: SearchFilters | None = None,
        rising: bool = True,
        cancelled: Callable[[], bool] | None = None,
        prefix_last_word: bool = False,
    ) -> LibraryStats:
        """Counts over the papers ``query`` and ``filters`` match (every paper when both
        are empty), the papers ``search`` would find.

        Papers per listing day, ISO week or month (``by``), tags, organisations, authors
        and rising terms (see ``browser.stats``); ``top`` caps each ranked list. A query
        that matches nothing as typed is counted as the search would show it: its
        spelling correction or the query without the words no paper has all of
        (``corrected_query`` and ``relaxed`` say which, as ``search`` does).
        ``rising=False`` leaves the rising terms out (``rising_counted`` False): they cost
        most, working out the terms of every paper of two periods. ``cancelled`` is
        polled while matching; once it says yes ``SearchCancelled`` is raised.
        ``prefix_last_word`` as for ``search``.
        """
        source = self._stats()
        columns = source.columns()
        # Stripped below: a typed trailing space finished the last word, as in ``search``.
        prefix_last_word = prefix_last_word and not last_word_finished(query)
        query = query.strip()
        rows, matched = self._matching_rows(
            columns, query, filters, cancelled, prefix_last_word=prefix_last_word
        )
        terms_of = source.terms_of if rising else None
        # The words searched for hold in every paper counted: never "rising" news.
        counted_query = matched and (matched.corrected_query or matched.relaxed_query)
        searched = paper_terms(counted_query or query).forms if rows is not None else frozenset()

        def count() -> LibraryStats:
            return count_papers(
                columns, rows, by=by, terms_of=terms_of, top=top, leave_out=searched
            )

        if rows is None:
            # The whole library's counts change only with the catalog: kept. Those with
            # the rising terms serve a call without them too.
            counted = source.kept_already(columns, (by, top, True))
            if counted is None:
                counted = source.kept(columns, (by, top, rising), count)
        else:
            counted = count()
        tags = {entry.paper_id: entry.tags for entry in self.tags.entries()}
        stats = with_tags(counted, columns, rows, tags, top)
        stats.query = query
        if matched is not None:
            stats.corrected_query = matched.corrected_query
            # What the index ran instead, with its notice: not searched for again.
            stats.relaxed = matched.relaxed
        stats.rising_note = rising_note(stats)
        return stats

    def _matching_rows(
        self,
        columns: FactColumns,
        query: str,
        filters: SearchFilters | None,
        cancelled: Callable[[], bool] | None = None,
        *,
        prefix_last_word: bool,
    ) -> tuple[list[int] | None, MatchingPapers | None]:
        """The rows of ``columns`` the query and filters match, in row order (None and
        None: every row), and what the search index said of them.

        The index gives the matching ids as a set (``PaperIndex.matching_ids``): a search
        for every hit would score, sort and read all of them (seconds at 100k papers).
        """
        if not query and not filters:
            return None, None
        matched = self.index.matching_ids(
            query,
            tags=self.tags,
            filters=filters,
            states=self.userdata.reading,
            cancelled=cancelled,
            prefix_last_word=prefix_last_word,
        )
        rows = columns.positions_of(matched.paper_ids)
        rows.sort()  # a set has no order; counting and term caching then never vary
        return rows, matched

    def warm_stats(self) -> None:
        """Read what ``stats`` needs of every paper now and count the whole library per
        month (the stats screen's first view of an empty search), so that its first call
        is fast. The rising terms are left to the first call that asks: working out the
        terms of two months' papers takes a second of CPU at 100k papers."""
        self.stats(rising=False)

    def listing_day_step(
        self,
        current: dt.date | None,
        delta: int,
        *,
        query: str = "",
        filters: SearchFilters | None = None,
        prefix_last_word: bool = False,
    ) -> tuple[dt.date, frozenset[str]] | None:
        """The Daily Papers day before (``delta`` -1) or after (+1) ``current`` that has
        papers matching ``query`` and ``filters``, with those papers' ids; from no day,
        the newest day. None when there is no such day. The day is the paper's listing
        day where known, else its date (``browser.stats``' columns). ``prefix_last_word``
        as for ``search``: the words as the list on screen matched them."""
        by_day = self._papers_by_day(query, filters, prefix_last_word=prefix_last_word)
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

    def listing_day_papers(
        self, day: dt.date, *, query: str = "", filters: SearchFilters | None = None
    ) -> frozenset[str]:
        """The ids of the papers of Daily Papers day ``day`` that match ``query`` and
        ``filters`` (the day as ``listing_day_step`` counts it); empty when none."""
        # A day's papers are asked for by whole words (a saved search's view), never a prefix.
        by_day = self._papers_by_day(query, filters, prefix_last_word=False)
        return frozenset(by_day.get(day.toordinal(), ()))

    def view_filters(
        self, view: SavedView, *, query: str = "", filters: SearchFilters | None = None
    ) -> SearchFilters:
        """A saved search's view as filters: the new papers, or the papers of its day
        that match ``query`` and ``filters`` (answered now, not when it was saved)."""
        if view.day is None:
            return NEW_PAPERS
        return SearchFilters(
            allowed_ids=self.listing_day_papers(view.day, query=query, filters=filters)
        )

    def _papers_by_day(
        self, query: str, filters: SearchFilters | None, *, prefix_last_word: bool
    ) -> dict[int, list[str]]:
        """Matching paper ids by day ordinal: the listing day where known, else the date."""
        columns = self._stats().columns()
        # As in ``stats``: the prefix is decided before the trailing space goes.
        matching, _ = self._matching_rows(
            columns,
            query.strip(),
            filters,
            prefix_last_word=prefix_last_word and not last_word_finished(query),
        )
        rows: Iterable[int] = range(len(columns)) if matching is None else matching
        by_day: dict[int, list[str]] = {}
        for row in rows:
            if columns.days[row]:
                by_day.setdefault(columns.days[row], []).append(columns.ids[row])
        return by_day
