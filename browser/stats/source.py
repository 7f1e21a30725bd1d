"""Per-paper facts and terms for the stats, read from the catalog and kept in memory.

Counting 100k papers takes a few milliseconds once their facts are in memory; reading
them takes about a second. So the facts of every paper are read once per catalog
version (``Catalog.version``) and kept; the terms of a paper are worked out the first
time rising terms need it and kept while the catalog stays the same (up to
``MAX_CACHED_TERMS`` papers).
"""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable, Sequence
from typing import Any, Final, Protocol

from browser.stats.summary import FactColumns, LibraryStats, PaperFacts
from browser.stats.term_groups import NO_TERMS, PaperTerms
from browser.stats.terms import paper_terms

MAX_CACHED_TERMS: Final = 60_000


class FactsCatalog(Protocol):
    """What the stats read from the catalog (``browser.library.Catalog`` implements it)."""

    def version(self) -> Hashable: ...

    def paper_facts(self) -> Iterable[tuple[str, str]]: ...

    def paper_texts(self, paper_ids: Sequence[str]) -> Iterable[tuple[str, str, str]]: ...


class StatsSource:
    """The facts of every paper and the terms of some, cached per catalog version.

    Thread-safe: the app computes stats in a worker while the catalog may be syncing.
    """

    def __init__(self, catalog: FactsCatalog) -> None:
        self._catalog = catalog
        self._lock = threading.Lock()
        self._version: Hashable | None = None
        self._columns = FactColumns()
        self._terms: OrderedDict[str, PaperTerms] = OrderedDict()
        self._kept: dict[Hashable, LibraryStats] = {}

    def forget(self) -> None:
        """Drop everything (the library was changed by this process)."""
        with self._lock:
            self._version = None
            self._columns = FactColumns()
            self._terms.clear()
            self._kept.clear()

    def columns(self) -> FactColumns:
        """Facts of every paper in the catalog (read again only after a change)."""
        with self._lock:
            version = self._catalog.version()
            if version != self._version:
                self._columns = FactColumns(
                    _facts(paper_id, fields) for paper_id, fields in self._catalog.paper_facts()
                )
                self._terms.clear()
                self._kept.clear()
                self._version = version
            return self._columns

    def kept(
        self, columns: FactColumns, key: Hashable, count: Callable[[], LibraryStats]
    ) -> LibraryStats:
        """``count()``, worked out once for these ``columns`` and ``key`` and kept until the
        catalog changes (the whole library's counts: 0.1-0.5 s at 100k papers otherwise).

        Counted outside the lock, so a count of other papers need not wait for it; a count
        of columns no longer current is returned but not kept.
        """
        with self._lock:
            found = self._kept.get(key) if columns is self._columns else None
        if found is not None:
            return found
        counted = count()
        with self._lock:
            if columns is self._columns:
                self._kept[key] = counted
        return counted

    def kept_already(self, columns: FactColumns, key: Hashable) -> LibraryStats | None:
        """What ``kept`` holds for ``key``, if anything (nothing is counted)."""
        with self._lock:
            return self._kept.get(key) if columns is self._columns else None

    def terms_of(self, paper_ids: Sequence[str]) -> list[PaperTerms]:
        """The terms (``paper_terms`` of title and abstract: the search's term of each,
        counted, beside the forms shown) of each paper, in order.

        A paper missing from the catalog has none.
        """
        with self._lock:
            cache = self._terms
            missing = [paper_id for paper_id in dict.fromkeys(paper_ids) if paper_id not in cache]
            for paper_id, title, abstract in self._catalog.paper_texts(missing):
                cache[paper_id] = paper_terms(title, abstract)
            found = [cache.get(paper_id, NO_TERMS) for paper_id in paper_ids]
            while len(cache) > MAX_CACHED_TERMS:
                cache.popitem(last=False)
            return found


def _facts(paper_id: str, fields: str) -> PaperFacts:
    listed, date, org_name, org_slug, names = json.loads(fields)
    # The listing day when the paper has one; until every library records it, the date
    # the paper carries stands in for it (the same day for Daily Papers pages).
    listing_day = _day(listed)
    day = listing_day or _day(date)
    organization = (org_name or org_slug or "").strip() or None
    authors = tuple(name for name in names or () if isinstance(name, str) and name.strip())
    return PaperFacts(paper_id, day, organization, authors, on_own_date=listing_day is None)


def _day(value: Any) -> dt.date | None:
    if not isinstance(value, str):
        return None
    try:
        return dt.date.fromisoformat(value[:10])
    except ValueError:
        return None
