"""Rising terms: why the table is empty, in words (``stats.rising_note``)."""

from __future__ import annotations

import datetime as dt

import pytest

from browser.stats import (
    FactColumns,
    LibraryStats,
    PaperFacts,
    PeriodCount,
    RisingTerm,
    compute_stats,
    paper_terms,
)
from browser.stats.rising_note import rising_note
from browser.stats.terms import papers_needed

D = dt.date


def _stats(
    by: str = "week",
    *,
    papers: int = 10,
    latest: PeriodCount | None = None,
    previous: PeriodCount | None = None,
    rising: list[RisingTerm] | None = None,
    counted: bool = True,
) -> LibraryStats:
    return LibraryStats(
        papers=papers,
        by=by,  # type: ignore[arg-type]
        latest=latest,
        previous=previous,
        rising_terms=rising or [],
        rising_counted=counted,
    )


W52 = PeriodCount(D(2025, 12, 22), "2025-W52", 1)
W50 = PeriodCount(D(2025, 12, 8), "2025-W50", 5)


def test_papers_needed_is_three_or_half_a_percent_of_the_latest_period() -> None:
    assert [papers_needed(n) for n in (0, 1, 100, 600, 601, 1000)] == [3, 3, 3, 3, 4, 5]


def test_no_note_while_counting_or_when_terms_rose() -> None:
    assert rising_note(_stats(latest=W52, previous=W50, counted=False)) is None
    rose = [RisingTerm("agents", 3, 0, 2.0)]
    assert rising_note(_stats(latest=W52, previous=W50, rising=rose)) is None


def test_too_few_papers_in_the_latest_period_names_the_numbers_and_a_longer_period() -> None:
    note = rising_note(_stats(latest=W52, previous=W50))
    assert note is not None and note.try_period == "month"
    assert note.text == (
        "2025-W52 has only 1 paper. A term rises once it is in at least 3 papers of the "
        "latest week and in a larger share of them than in 2025-W50 (5 papers). Longer "
        "periods or a wider search give each period more papers."
    )


def test_enough_papers_but_nothing_rose() -> None:
    latest = PeriodCount(D(2025, 12, 1), "2025-12", 40)
    previous = PeriodCount(D(2025, 10, 1), "2025-10", 1)
    note = rising_note(_stats("month", latest=latest, previous=previous))
    assert note is not None and note.try_period is None  # no period is longer than a month
    assert note.text.startswith(
        "No term of the 40 papers of 2025-12 rose: a term must be in at least 3 of them "
        "and in a larger share than in 2025-10 (1 paper)."
    )
    assert note.text.endswith("A wider search or more dumps give each period more papers.")


@pytest.mark.parametrize(("by", "shorter"), [("month", "week"), ("week", "day"), ("day", None)])
def test_every_paper_in_one_period(by: str, shorter: str | None) -> None:
    only = PeriodCount(D(2025, 11, 1), "2025-11", 2)
    note = rising_note(_stats(by, latest=only))
    assert note is not None and note.try_period == shorter
    assert "every dated paper here is in 2025-11 (2 papers)" in note.text
    assert note.text.endswith(f"Papers from a second {by} would fill this table.")


def test_no_dated_paper_and_no_paper() -> None:
    undated = rising_note(_stats(papers=3))
    assert undated is not None
    assert "none of these 3 papers has a listing day or a date" in undated.text
    empty = rising_note(_stats(papers=0))
    assert empty is not None and empty.text.startswith("No papers are counted")


def test_the_note_follows_what_compute_stats_found() -> None:
    facts = [PaperFacts("old", D(2025, 12, 8)), PaperFacts("new", D(2025, 12, 22))]
    stats = compute_stats(
        FactColumns(facts), by="week", terms_of=lambda ids: [paper_terms("agents")] * len(ids)
    )
    assert stats.rising_terms == []
    note = rising_note(stats)
    assert note is not None and note.text.startswith("2025-W52 has only 1 paper.")
