"""Records of one paper -> one ``Paper``: which copy's value wins for each field.

Used by the catalog for every merge and, without a catalog, by ``paper-browser parse``
(:func:`deduplicate`): the same rules either way.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import TypeVar

from browser.models import Paper, ParsedRecord, Source

_T = TypeVar("_T")


def merge_records(paper_id: str, records: Sequence[ParsedRecord]) -> Paper:
    """One Paper from every occurrence of it: keep every field that any copy has.

    ``records`` come in a stable order (file, line); the first copy's title wins,
    so a paper does not change name when a later dump spells it differently.
    """
    first = records[0]
    merged = Paper(id=paper_id, title=first.title)
    abstracts = [record.abstract for record in records if record.abstract]
    # A truncated dump can cut an abstract short: the longest copy is the complete one.
    merged.abstract = max(abstracts, key=len, default="")
    merged.authors = _first_present(record.authors for record in records)
    merged.organization = _first_present(record.organization for record in records)
    dated = [record for record in records if record.date is not None]
    # A date whose year was written out beats one whose year was inferred.
    dated.sort(key=lambda record: record.year_inferred)
    if dated:
        merged.date = dated[0].date
        merged.year_inferred = dated[0].year_inferred
    # Weekly and monthly pages show a paper again later: its first page is its listing day.
    merged.listed = min((record.listed for record in records if record.listed), default=None)
    # Counts only grow over time, so the largest is the latest snapshot.
    merged.comments = _largest(record.comments for record in records)
    merged.upvotes = _largest(record.upvotes for record in records)
    merged.arxiv_id = _first_present(record.arxiv_id for record in records)
    merged.links = _union(link for record in records for link in record.links)
    merged.author_names = max((record.author_names for record in records), key=len)
    merged.keywords = _union(keyword for record in records for keyword in record.keywords)
    merged.sources = sorted({record.source for record in records}, key=_file_order)
    merged.page = page_occurrence(records, merged.listed)
    return merged


def page_occurrence(records: Sequence[ParsedRecord], listed: dt.date | None) -> Source:
    """Where the paper stands on its listing day's page: the first (by file, then place in
    the file) of its occurrences listed on ``listed``, or of all when no copy gives a day.

    A paper shown again on a later weekly page, or copied into several dumps, has one
    such occurrence whatever order the files were read in, so the day's order is
    deterministic. ``records`` must not be empty.
    """
    on_day = [record.source for record in records if record.listed == listed]
    return min(on_day or [record.source for record in records], key=_file_order)


def _file_order(source: Source) -> tuple[str, int, int]:
    # ``position`` orders records within a file (several may share a line); records
    # stored before positions existed all have 0, and then the line decides.
    return (source.file, source.position, source.line)


def _first_present(values: Iterable[_T | None]) -> _T | None:
    return next((value for value in values if value is not None), None)


def _largest(values: Iterable[int | None]) -> int | None:
    present = [value for value in values if value is not None]
    return max(present) if present else None


def _union(values: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(values))


def deduplicate(records: Iterable[ParsedRecord]) -> list[Paper]:
    """Merge records in memory (no catalog): what `paper-browser parse` reports."""
    by_id: dict[str, list[ParsedRecord]] = {}
    id_by_arxiv: dict[str, str] = {}
    for record in records:
        paper_id = record.id
        if record.arxiv_id is not None:
            paper_id = id_by_arxiv.setdefault(record.arxiv_id, record.id)
        by_id.setdefault(paper_id, []).append(record)
    return [merge_records(paper_id, group) for paper_id, group in by_id.items()]
