"""Counts over a set of papers: per period, per tag, organisation and author, rising terms.

Pure computation over plain values: the caller (``Services.stats``) gathers each paper's
facts and tags; the terms of a paper are asked for only when the paper is in one of the
two periods that rising terms compare.
"""

from __future__ import annotations

import datetime as dt
import heapq
from collections import Counter
from collections.abc import Callable, Container, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from itertools import chain
from typing import TYPE_CHECKING, Any, Final

from browser.stats.periods import (
    NO_DATE,
    Period,
    period_end,
    period_key,
    period_start,
    period_starts,
)
from browser.stats.term_groups import PaperTerms
from browser.stats.terms import RisingTerm, rising_terms
from browser.tags import tag_key
from browser.text.normalise import normalise

if TYPE_CHECKING:
    from browser.models import Relaxation
    from browser.stats.rising_note import RisingNote

# Rows of each ranked table (tags, organisations, authors, rising terms) by default.
TOP: Final = 20


@dataclass(frozen=True)
class PaperFacts:
    """What the stats need of one paper.

    ``day`` is the paper's listing day; a paper without one (a library indexed before
    listing days were recorded, or a format without them) has its own date there instead,
    and ``None`` means neither is known. ``organization`` is the display name.
    """

    paper_id: str
    day: dt.date | None = None
    organization: str | None = None
    authors: tuple[str, ...] = ()
    # ``day`` is the paper's own date: it has no listing day.
    on_own_date: bool = False


@dataclass(frozen=True)
class PeriodCount:
    """Papers in one period (``start`` is its first day; ``key`` as in ``period_key``)."""

    start: dt.date
    key: str
    count: int


@dataclass(frozen=True)
class PeriodGap:
    """A run of periods without papers, shown as one row instead of many empty bars."""

    first: str
    last: str
    periods: int


# A run of at least this many empty periods is shown as one PeriodGap.
MIN_GAP: Final = 3


def condensed(
    periods: Sequence[PeriodCount], min_gap: int = MIN_GAP
) -> list[PeriodCount | PeriodGap]:
    """``periods`` with every run of ``min_gap`` or more empty ones replaced by a ``PeriodGap``.

    A library of dated papers has a few from years ago (a paper's own date is often
    older than the day it was listed): the years between are one row, not fifty.
    """
    shown: list[PeriodCount | PeriodGap] = []
    run: list[PeriodCount] = []
    for period in [*periods, None]:
        if period is not None and period.count == 0:
            run.append(period)
            continue
        if len(run) >= min_gap:
            shown.append(PeriodGap(run[0].key, run[-1].key, len(run)))
        else:
            shown.extend(run)
        run = []
        if period is not None:
            shown.append(period)
    return shown


def newest_first(periods: Sequence[PeriodCount]) -> list[PeriodCount | PeriodGap]:
    """The rows of a papers-per-period table as the stats screen and ``paper-browser
    stats`` show them: the newest period first (what a reader looks for), long runs of
    empty periods ``condensed`` into one gap."""
    return condensed(periods)[::-1]


@dataclass(frozen=True)
class NameCount:
    """A tag, organisation or author with the number of papers it has."""

    name: str
    count: int


@dataclass
class LibraryStats:
    """Everything the stats screen and ``paper-browser stats`` show, for one set of papers."""

    papers: int
    by: Period
    # The query counted ("" for the whole library); when it matched nothing as typed,
    # its spelling correction, or the query without the words no paper has (``relaxed``),
    # as ``search`` says them (``counted_query``: the one counted).
    query: str = ""
    corrected_query: str | None = None
    relaxed: Relaxation | None = None
    # Every period from the first paper's to the last one's, in time order, empty ones too.
    per_period: list[PeriodCount] = field(default_factory=list)
    no_date: int = 0
    # Papers counted on their own date for want of a listing day (older dumps).
    on_own_date: int = 0
    tags: list[NameCount] = field(default_factory=list)
    untagged: int = 0
    organizations: list[NameCount] = field(default_factory=list)
    no_organization: int = 0
    authors: list[NameCount] = field(default_factory=list)
    no_author_names: int = 0
    rising_terms: list[RisingTerm] = field(default_factory=list)
    # False when counted without terms (``compute_stats`` without ``terms_of``): the
    # stats screen shows the counts first and the rising terms once they are known.
    rising_counted: bool = False
    # The two periods rising terms compare: the latest with papers and the one before it
    # that has papers (days without listings, such as weekends, are skipped).
    latest: PeriodCount | None = None
    previous: PeriodCount | None = None
    # Why no term rose, when none did (``rising_note``; set by ``Services.stats``).
    rising_note: RisingNote | None = None

    @property
    def counted_query(self) -> str | None:
        """The query counted instead of ``query`` (None: ``query`` itself)."""
        return self.relaxed.query if self.relaxed else self.corrected_query

    def to_json(self) -> dict[str, Any]:
        """The JSON shape of ``paper-browser stats --json``.

        ``per_period`` maps each period key to its count, in time order, with ``"no date"``
        last when some papers have none, so its counts add up to ``papers``. Tags,
        organisations and authors map names to counts, most first; the papers without
        one are counted under ``untagged``, ``no_organization`` and ``no_author_names``.
        ``counted_on_own_date`` papers have no listing day and are counted on their date.
        ``rising_terms`` lists ``{"term", "now", "before", "score", "forms"}`` objects
        (``forms``: every form counted as the term, as the search groups words, the one
        shown first).
        ``rising_note`` says in words why none rose when the list is empty (else None).
        ``corrected_query`` and ``relaxed`` say what was counted instead of a query that
        matched nothing as typed, as in ``search --json``.
        """
        per_period = {period.key: period.count for period in self.per_period}
        if self.no_date:
            per_period[NO_DATE] = self.no_date
        return {
            "query": self.query,
            "corrected_query": self.corrected_query,
            "relaxed": self.relaxed.to_json() if self.relaxed else None,
            "papers": self.papers,
            "by": self.by,
            "per_period": per_period,
            "counted_on_own_date": self.on_own_date,
            "tags": {item.name: item.count for item in self.tags},
            "untagged": self.untagged,
            "organizations": {item.name: item.count for item in self.organizations},
            "no_organization": self.no_organization,
            "authors": {item.name: item.count for item in self.authors},
            "no_author_names": self.no_author_names,
            "rising_terms": [
                {
                    "term": item.term,
                    "now": item.now,
                    "before": item.before,
                    "score": round(item.score, 3),
                    "forms": list(item.forms or (item.term,)),
                }
                for item in self.rising_terms
            ],
            "latest_period": self.latest.key if self.latest else None,
            "previous_period": self.previous.key if self.previous else None,
            "rising_note": self.rising_note.text if self.rising_note else None,
        }


class FactColumns:
    """The facts of many papers as columns, so counting a subset runs at C speed.

    Row ``i`` is one paper: ``ids[i]``, its day as an ordinal (``0``: no date), whether
    that day is its own date for want of a listing day (``on_own_date[i]``, 0 or 1), its
    organisation as an index into ``organization_names`` (``-1``: none) and its authors
    as indices into ``author_names`` (each name once). Names the search cannot tell
    apart (``name_key``: case, accents, spacing; ``org:"nvidia"`` finds "NVIDIA") are one
    name, so a row counts the papers its search finds, shown as most papers spell it
    (ties: see ``_count_spelling``), whatever order the catalog reads papers in.
    """

    def __init__(self, facts: Iterable[PaperFacts] = ()) -> None:
        self.ids: list[str] = []
        self.days: list[int] = []
        self.on_own_date = bytearray()
        self.organizations: list[int] = []
        self.authors: list[tuple[int, ...]] = []
        self.organization_names: list[str] = []
        self.author_names: list[str] = []
        # Each name as written, and each name_key, to its index.
        self._organization_index: dict[str, int] = {}
        self._author_index: dict[str, int] = {}
        self._organization_keys: dict[str, int] = {}
        self._author_keys: dict[str, int] = {}
        # Papers per spelling, to show the one most papers use.
        self._organization_uses: Counter[str] = Counter()
        self._author_uses: Counter[str] = Counter()
        self.position: dict[str, int] = {}
        for paper in facts:
            self.append(paper)

    def __len__(self) -> int:
        return len(self.ids)

    def append(self, paper: PaperFacts) -> None:
        """Add one paper (a second paper with the same id replaces nothing: ids are unique)."""
        self.position[paper.paper_id] = len(self.ids)
        self.ids.append(paper.paper_id)
        self.days.append(paper.day.toordinal() if paper.day is not None else 0)
        self.on_own_date.append(paper.on_own_date and paper.day is not None)
        if paper.organization:
            index = self._organization_index.get(paper.organization)
            if index is None:
                index = _name_index(
                    paper.organization,
                    self._organization_index,
                    self._organization_keys,
                    self.organization_names,
                )
            _count_spelling(
                paper.organization, index, self._organization_uses, self.organization_names
            )
            self.organizations.append(index)
        else:
            self.organizations.append(-1)
        names: dict[int, None] = {}
        for name in paper.authors:
            index = self._author_index.get(name)
            if index is None:
                index = _name_index(name, self._author_index, self._author_keys, self.author_names)
            if index not in names:
                _count_spelling(name, index, self._author_uses, self.author_names)
            names[index] = None
        self.authors.append(tuple(names))

    def positions_of(self, paper_ids: Iterable[str]) -> list[int]:
        """Rows of these papers (ids not in the columns are left out)."""
        # One look-up per id, not ``in`` then ``[]`` (still ~10 ms for the 12k papers a
        # query matches at 100k; the two look-ups took ~12 ms).
        return [row for row in map(self.position.get, paper_ids) if row is not None]


def name_key(name: str) -> str:
    """An organisation's or author's name as the search compares it (the one text
    pipeline's fold: case, accents, invisible characters) with spacing closed up."""
    folded = normalise(name)
    if "  " in folded or folded != folded.strip() or not folded.isprintable():  # rare
        return " ".join(folded.split())
    return folded


def _name_index(name: str, written: dict[str, int], keys: dict[str, int], shown: list[str]) -> int:
    """The index of ``name``, first seen as written: that of a name with its key, or a
    new one (shown as written)."""
    key = name_key(name)
    index = keys.get(key)
    if index is None:
        index = keys[key] = len(shown)
        shown.append(name)
    written[name] = index
    return index


def _count_spelling(name: str, index: int, uses: Counter[str], shown: list[str]) -> None:
    """Count one more paper spelling the name at ``index`` as ``name``, and show the
    spelling most papers use (ties: the one with more capitals and accents, "José" over
    "jose", then the one that sorts first)."""
    uses[name] += 1
    current = shown[index]
    if name != current and _spelling_order(name, uses) < _spelling_order(current, uses):
        shown[index] = name


def _spelling_order(name: str, uses: Counter[str]) -> tuple[int, int, str]:
    marked = sum(1 for char in name if char.isupper() or not char.isascii())
    return -uses[name], -marked, name


def compute_stats(
    columns: FactColumns,
    rows: Sequence[int] | None = None,
    *,
    by: Period = "month",
    tags: Mapping[str, Sequence[str]] | None = None,
    terms_of: Callable[[Sequence[str]], Sequence[PaperTerms]] | None = None,
    top: int | None = TOP,
    leave_out: frozenset[str] = frozenset(),
) -> LibraryStats:
    """Count the papers at ``rows`` of ``columns`` (all when None) by period, tag,
    organisation and author, and find the rising terms.

    ``by`` names the period: listing day, ISO week or month. ``tags`` maps paper ids to
    their tags (a missing id is untagged; tags that differ only in case or spacing are
    one tag, shown as first met). ``terms_of`` gives the term sets of a list of paper
    ids, in order (``terms.paper_terms``); it is called once, for the papers of the
    latest two periods only. ``top`` caps each ranked list (None: all). Ties are broken
    by name, so the output is stable. Terms in ``leave_out`` never rise (a search's own
    words).
    """
    counted = count_papers(columns, rows, by=by, terms_of=terms_of, top=top, leave_out=leave_out)
    return with_tags(counted, columns, rows, tags or {}, top)


def count_papers(
    columns: FactColumns,
    rows: Sequence[int] | None = None,
    *,
    by: Period = "month",
    terms_of: Callable[[Sequence[str]], Sequence[PaperTerms]] | None = None,
    top: int | None = TOP,
    leave_out: frozenset[str] = frozenset(),
) -> LibraryStats:
    """``compute_stats`` without the tags (``tags`` empty, ``untagged`` 0): what depends
    on the catalog only, so that the counts of the whole library can be kept per catalog
    version while tags change (``with_tags`` adds them). ``leave_out``: terms never
    rising (the search's own words)."""
    if rows is None:
        rows = range(len(columns))
    stats = LibraryStats(papers=len(rows), by=by)
    days = columns.days
    day_counts = Counter(map(days.__getitem__, rows))
    _count_periods(stats, day_counts, by)
    stats.on_own_date = sum(map(columns.on_own_date.__getitem__, rows))
    _count_names(stats, columns, rows, top)
    stats.rising_counted = terms_of is not None
    if terms_of is not None and stats.latest is not None and stats.previous is not None:
        now = _rows_in_period(columns, rows, stats.latest.start, by)
        before = _rows_in_period(columns, rows, stats.previous.start, by)
        ids = columns.ids
        term_sets = terms_of([ids[row] for row in now + before])
        stats.rising_terms = rising_terms(
            term_sets[: len(now)],
            term_sets[len(now) :],
            limit=top or 1_000_000,
            leave_out=leave_out,
        )
    return stats


def _count_periods(stats: LibraryStats, day_counts: Counter[int], by: Period) -> None:
    stats.no_date = day_counts.pop(0, 0)
    if not day_counts:
        return
    by_start: Counter[dt.date] = Counter()
    for ordinal, count in day_counts.items():
        by_start[period_start(dt.date.fromordinal(ordinal), by)] += count
    first, last = dt.date.fromordinal(min(day_counts)), dt.date.fromordinal(max(day_counts))
    stats.per_period = [
        PeriodCount(start, period_key(start, by), by_start.get(start, 0))
        for start in period_starts(first, last, by)
    ]
    filled = [period for period in stats.per_period if period.count]
    stats.latest = filled[-1]
    stats.previous = filled[-2] if len(filled) > 1 else None


def _rows_in_period(
    columns: FactColumns, rows: Sequence[int], start: dt.date, by: Period
) -> list[int]:
    low, high = start.toordinal(), period_end(start, by).toordinal()
    days = columns.days
    return [row for row in rows if low <= days[row] <= high]


def _count_names(
    stats: LibraryStats, columns: FactColumns, rows: Sequence[int], top: int | None
) -> None:
    organizations = Counter(map(columns.organizations.__getitem__, rows))
    stats.no_organization = organizations.pop(-1, 0)
    names = columns.organization_names
    stats.organizations = _ranked({names[i]: n for i, n in organizations.items()}, top)
    per_paper = list(map(columns.authors.__getitem__, rows))
    stats.no_author_names = per_paper.count(())
    authors = Counter(chain.from_iterable(per_paper))
    names = columns.author_names
    stats.authors = _ranked({names[i]: n for i, n in authors.items()}, top)


def with_tags(
    counted: LibraryStats,
    columns: FactColumns,
    rows: Sequence[int] | None,
    tags: Mapping[str, Sequence[str]],
    top: int | None = TOP,
) -> LibraryStats:
    """A copy of ``counted`` (``count_papers`` of these ``rows``) with its tags counted;
    ``counted`` itself is left as it is, so a kept count can be shared."""
    # Tagged papers are few: look each one up instead of walking every row.
    chosen: Container[int]
    if rows is None or isinstance(rows, range):
        chosen = range(len(columns)) if rows is None else rows
    else:
        chosen = set(rows)
    position = columns.position
    counts: Counter[str] = Counter()
    forms: dict[str, str] = {}
    tagged = 0
    for paper_id, names in tags.items():
        row = position.get(paper_id)
        if row is None or row not in chosen or not names:
            continue
        tagged += 1
        keys: set[str] = set()
        for name in names:
            key = tag_key(name)
            forms.setdefault(key, name)
            keys.add(key)
        counts.update(keys)
    ranked = [NameCount(forms[item.name], item.count) for item in _ranked(counts, top)]
    return replace(counted, tags=ranked, untagged=counted.papers - tagged)


def _ranked(counts: Mapping[str, int], top: int | None) -> list[NameCount]:
    items: Iterable[tuple[str, int]] = counts.items()
    if top is not None and len(counts) > top:
        # A library has names by the hundred thousand: only those that can make the top
        # are sorted by name (the threshold is found over bare counts, in C).
        lowest = heapq.nlargest(top, counts.values())[-1] if top > 0 else None
        items = [item for item in items if lowest is not None and item[1] >= lowest]
    ordered = sorted(items, key=lambda item: (-item[1], item[0].casefold(), item[0]))
    if top is not None:
        ordered = ordered[:top]
    return [NameCount(name, count) for name, count in ordered]
