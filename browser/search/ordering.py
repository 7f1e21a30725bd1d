"""Orders without relevance: sort keys, listings and range filters from the sort columns.

Whoosh's sorting collector reads the sort columns one document at a time (a read call
each without mmap): a listing of 100k papers took ~1 s. Here a commit's columns are read
whole once (``CommitOrder``), ordered once per sort, and a search only picks its
matches' smallest ranks.

The ``listed`` order is the Daily Papers pages' own: newest listing day first, each
day most upvoted first (unknown upvotes last), then the order the dump showed the
papers in (``page_places``); comments and the date only break what is left.
"""

from __future__ import annotations

import copy
import datetime as dt
import heapq
from array import array
from collections.abc import Callable, Sequence
from typing import Any, Final

from whoosh import query as wq
from whoosh.util.times import long_to_datetime

from browser.models import SortOrder
from browser.search.whoosh_internals import bytes_column, int_column

# Picking the first matches in a sort order: not a posting list skipped (``kept``'s
# ``skips_to_candidates``), but a choice between two walks. With under one match in
# FEW_MATCHES_RATIO documents, each match's rank is looked up and the smallest taken
# (one C-level look-up per match, however the matches lie in the order); with more,
# the precomputed order is walked until enough are found: about ``wanted * N / matches``
# steps, under ``wanted * FEW_MATCHES_RATIO`` when the matches are spread evenly.
FEW_MATCHES_RATIO: Final = 8


class CommitOrder:
    """Sort keys and range columns of one commit, each read whole when first asked for.

    Belongs to one searcher: a new commit gets a new ``CommitOrder``.
    """

    def __init__(self, searcher: Any) -> None:
        self._searcher = searcher
        # Per sort order: each document's place, and the documents in that order.
        self._ranks: dict[SortOrder, array[int]] = {}
        self._orders: dict[SortOrder, array[int]] = {}
        self._columns: dict[str, array[int]] = {}
        self._titles: list[bytes] | None = None
        self._pages: list[bytes] | None = None

    def ranges_as_filters(self, query: Any) -> tuple[Any, set[int] | None]:
        """Date, year and comment ranges that every match must meet, as a set of documents.

        Whoosh matches a range through one posting list per day (or value) in it, and
        gathers every match before the first is scored: 60-250 ms for half a year at 100k
        papers. The sort columns already hold each paper's date and comment count, read
        once per commit, and a scan of them takes a few ms. A range ANDed with the rest
        adds the same constant to every score, so as a filter it ranks the same. Returns
        the query without those ranges (``Every`` if nothing is left) and the set, or
        ``(query, None)`` when there is none.
        """
        parts = list(query.subqueries) if isinstance(query, wq.And) else [query]
        kept: list[Any] = []
        found: set[int] | None = None
        for part in parts:
            documents = self._column_range(part)
            if documents is None:
                kept.append(part)
            else:
                found = documents if found is None else found & documents
        if found is None:
            return query, None
        if not kept:
            return wq.Every(), found
        if len(kept) == 1:
            return kept[0], found
        rest = copy.copy(query)
        rest.subqueries = kept
        return rest, found

    def _column_range(self, node: Any) -> set[int] | None:
        """The documents a date/year/comments range matches, from the sort columns."""
        if not (
            isinstance(node, wq.NumericRange)
            and node.constantscore
            and node.fieldname in ("date", "year", "comments")
        ):
            return None
        low, high = node.start, node.end
        if node.startexcl and isinstance(low, int) and node.fieldname != "date":
            low += 1
        if node.endexcl and isinstance(high, int) and node.fieldname != "date":
            high -= 1
        if node.fieldname == "comments":
            # -1 is "no count", which no range matches.
            return in_interval(self._column("sort_comments", -1), low, high, 0)
        try:
            if node.fieldname == "year":
                if (low is not None and low > 9999) or (high is not None and high < 1):
                    return set()
                low = None if low is None else dt.date(max(1, low), 1, 1).toordinal()
                high = None if high is None else dt.date(min(9999, high), 12, 31).toordinal()
            else:
                # Dates are indexed as midnight: a bound inside a day moves to a whole day.
                if low is not None:
                    low = day_at_or_after(long_to_datetime(low), node.startexcl)
                if high is not None:
                    high = day_at_or_before(long_to_datetime(high), node.endexcl)
        except (OverflowError, ValueError):
            return None  # a bound no date has: let Whoosh say what it matches
        # 0 is "no date", which no range matches.
        return in_interval(self._column("sort_newest", 0), low, high, 1)

    def _column(self, name: str, default: int) -> array[int]:
        """A whole integer column, read once."""
        cached = self._columns.get(name)
        if cached is None:
            cached = self._columns[name] = int_column(self._searcher, name, default)
        return cached

    def listing(
        self,
        sort: SortOrder,
        wanted: int,
        allowed: set[int] | None,
        denied: set[int],
    ) -> tuple[list[tuple[int, float]], int, bool]:
        self.ranks(sort)
        reader = self._searcher.reader()
        deleted = reader.is_deleted if reader.has_deletions() else None
        if allowed is not None:
            # A filter (tags, ranges): count it, then pick its first in order.
            live = allowed - denied
            if deleted is not None:
                live = {docnum for docnum in live if not deleted(docnum)}
            return self.first_in_order(sort, live, wanted), len(live), False
        picked: list[int] = []
        total = 0
        for docnum in self.order(sort):
            if docnum in denied or (deleted is not None and deleted(docnum)):
                continue
            total += 1
            if len(picked) < wanted:
                picked.append(docnum)
            else:
                # The rest only adds to the count: work it out instead of walking.
                # (Denied documents were looked up by id, so they are live ones.)
                total = reader.doc_count() - len(denied)
                break
        return [(d, 0.0) for d in picked], total, False

    def first_in_order(
        self, sort: SortOrder, docnums: set[int], wanted: int
    ) -> list[tuple[int, float]]:
        """The first ``wanted`` of ``docnums`` in ``sort`` order (live documents only)."""
        ranks = self.ranks(sort)
        if len(docnums) * FEW_MATCHES_RATIO < len(ranks):
            first = heapq.nsmallest(wanted, docnums, key=ranks.__getitem__)
        else:
            # Many matches: the first few in the precomputed order are found sooner.
            first = []
            for docnum in self.order(sort):
                if docnum in docnums:
                    first.append(docnum)
                    if len(first) == wanted:
                        break
        return [(d, 0.0) for d in first]

    def ranks(self, sort: SortOrder) -> array[int]:
        """Each document's place in ``sort`` order, computed once per commit.

        Whoosh's sorting collector reads the sort columns one document at a time (a read
        call each without mmap): a listing of 100k papers took ~1 s. Here the columns are
        read whole, ordered once, and a search only picks its matches' smallest ranks.
        """
        cached = self._ranks.get(sort)
        if cached is not None:
            return cached
        # Stable sorts, least significant key first, each keyed by a C-level look-up:
        # several times faster than one sort on tuples.
        newest = self._column("sort_newest", 0)
        later_first = _negated(newest)
        order = list(range(len(newest)))
        if sort in ("comments", "upvotes", "listed"):
            order.sort(key=later_first.__getitem__)
            order.sort(key=_negated(self._column("sort_comments", -1)).__getitem__)
            if sort == "listed":
                # A day's page: the most upvoted first, then as the page showed them.
                order.sort(key=self.page_places().__getitem__)
            if sort != "comments":
                order.sort(key=_negated(self.upvotes()).__getitem__)
            if sort == "listed":
                order.sort(key=_negated(self.listing_days()).__getitem__)
        elif sort == "title":
            order.sort(key=later_first.__getitem__)
            order.sort(key=self.titles().__getitem__)
        else:
            order.sort(key=self.titles().__getitem__)
            order.sort(key=later_first.__getitem__)
        ranks = array("i", bytes(4 * len(order)))
        for place, docnum in enumerate(order):
            ranks[docnum] = place
        self._ranks[sort] = ranks
        self._orders[sort] = array("i", order)
        return ranks

    def titles(self) -> list[bytes]:
        """Each document's title as ``identity.normalize_title`` gives it (UTF-8), the
        title sort key: read whole once per commit."""
        if self._titles is None:
            self._titles = bytes_column(self._searcher, "sort_title")
        return self._titles

    def page_places(self) -> list[bytes]:
        """Each document's place on its listing day's page (``schema.page_key``: compares
        as file, place in the file, line), read whole once per commit."""
        if self._pages is None:
            self._pages = bytes_column(self._searcher, "sort_page")
        return self._pages

    def upvotes(self) -> array[int]:
        """Each document's upvotes, -1 where the dump gave none."""
        return self._term_column("upvotes", -1, int)

    def listing_days(self) -> array[int]:
        """Each document's listing day (a date ordinal), else its own date, else 0: the
        day ``browser.stats`` counts a paper on and ``[``/``]`` step through."""
        key = "listing_days"
        cached = self._columns.get(key)
        if cached is None:
            listed = self._term_column("listed", 0, _day_ordinal)
            newest = self._column("sort_newest", 0)
            cached = self._columns[key] = array(
                "i", (day or newest[docnum] for docnum, day in enumerate(listed))
            )
        return cached

    def _term_column(
        self, fieldname: str, default: int, value_of: Callable[[Any], int]
    ) -> array[int]:
        """A whole column made from an indexed field's terms, read once per commit, for
        fields the schema keeps no sort column for (upvotes and listing days are indexed
        as terms already: a column would store them a second time).

        One posting list per distinct value (a few hundred upvote counts or listing days
        at 100k papers) through Whoosh's public reader; the single-tier numeric fields
        have exactly one term per value (``sortable_terms``)."""
        key = "terms:" + fieldname
        cached = self._columns.get(key)
        if cached is None:
            reader = self._searcher.reader()
            cached = array("i", [default]) * reader.doc_count_all()
            field = self._searcher.schema[fieldname]
            for token in field.sortable_terms(reader, fieldname):
                value = value_of(field.from_bytes(token))
                for docnum in reader.postings(fieldname, token).all_ids():
                    cached[docnum] = value
            self._columns[key] = cached
        return cached

    def order(self, sort: SortOrder) -> array[int]:
        """The documents in ``sort`` order (deleted ones included)."""
        if sort not in self._orders:
            self.ranks(sort)
        return self._orders[sort]


def _negated(column: Sequence[int]) -> array[int]:
    return array("i", (-value for value in column))


def _day_ordinal(value: Any) -> int:
    """A DATETIME term's value (a datetime, or Whoosh's long) as a date ordinal."""
    moment = value if isinstance(value, dt.datetime) else long_to_datetime(value)
    return moment.date().toordinal()


def in_interval(column: Sequence[int], low: int | None, high: int | None, floor: int) -> set[int]:
    """Positions of ``column`` whose value is within ``[low, high]`` and at least ``floor``."""
    low = floor if low is None else max(low, floor)
    if high is None:
        return {docnum for docnum, value in enumerate(column) if value >= low}
    if high < low:
        return set()
    return {docnum for docnum, value in enumerate(column) if low <= value <= high}


def day_at_or_after(moment: dt.datetime, exclusive: bool) -> int:
    """The first day whose midnight is after ``moment`` (or at it, unless ``exclusive``)."""
    day = moment.date().toordinal()
    at_midnight = moment.time() == dt.time()
    return day + 1 if (exclusive or not at_midnight) else day


def day_at_or_before(moment: dt.datetime, exclusive: bool) -> int:
    """The last day whose midnight is before ``moment`` (or at it, unless ``exclusive``)."""
    day = moment.date().toordinal()
    at_midnight = moment.time() == dt.time()
    return day - 1 if (exclusive and at_midnight) else day
