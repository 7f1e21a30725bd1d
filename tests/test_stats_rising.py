"""Rising terms: the forms of one word counted as one term, as the search groups them,
and why the table is empty, in words (``stats.rising_note``)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from conftest import DumpPaper, write_dump

from browser.services import open_services
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
from browser.stats.searches import term_search
from browser.stats.term_groups import PaperTerms, term_key, terms_of_forms
from browser.stats.terms import papers_needed, rising_terms

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


@pytest.mark.parametrize(
    "forms",
    [
        ("dataset", "datasets", "Data-set", "data-sets"),
        ("behaviour", "behavior", "behavioural", "behaviors"),
        ("modelling", "modeling", "models", "model's"),
        ("multi-task", "multitask", "Multi-Task"),
        ("fine-tuning", "finetuning"),
        ("naïve", "naive"),
        ("diffusion model", "diffusion models", "diffusion modelling"),
        ("optimisation", "optimization", "optimizations"),
    ],
)
def test_the_forms_of_one_word_have_one_key(forms: tuple[str, ...]) -> None:
    assert len({term_key(form) for form in forms}) == 1, [term_key(form) for form in forms]


@pytest.mark.parametrize(
    ("one", "other"),
    [("data", "dataset"), ("model", "modal"), ("general", "generative"), ("gpt-4", "gpt-4o")],
)
def test_words_the_search_tells_apart_stay_apart(one: str, other: str) -> None:
    assert term_key(one) != term_key(other)


def _papers(*term_sets: set[str], times: int = 1) -> list[PaperTerms]:
    return [terms_of_forms(terms) for terms in term_sets] * times


def test_forms_count_together_each_paper_once_shown_as_the_most_used() -> None:
    now = _papers({"datasets"}, {"datasets"}, {"dataset", "datasets"}, {"data-set"}, {"video"})
    before = _papers({"video"}, times=5)
    (rising,) = rising_terms(now, before)
    assert (rising.term, rising.now, rising.before) == ("datasets", 4, 0)
    assert rising.forms == ("datasets", "dataset", "data-set")


def test_forms_too_rare_alone_rise_together() -> None:
    now = _papers({"behaviour"}, {"behavior"}, {"behavioral"}, {"x"}, {"y"})
    before = _papers({"z"}, times=5)
    assert [(r.now, len(r.forms)) for r in rising_terms(now, before)] == [(3, 3)]


def test_the_papers_before_count_every_form_too() -> None:
    now = _papers({"datasets"}, times=6) + _papers(set(), times=4)
    before = _papers({"data-set"}, {"dataset"}, {"y"}, {"y"}, {"y"})
    (rising,) = rising_terms(now, before)
    assert (rising.term, rising.now, rising.before) == ("datasets", 6, 2)
    assert set(rising.forms) == {"datasets", "data-set", "dataset"}


def test_a_searched_word_is_left_out_in_every_form() -> None:
    now = _papers({"datasets", "agents"}, times=4)
    before = _papers({"y"}, times=4)
    assert [r.term for r in rising_terms(now, before, leave_out=frozenset({"dataset"}))] == [
        "agents"
    ]


def test_a_rising_row_finds_every_paper_it_counts(tmp_path: Path) -> None:
    """End to end: one row for the forms the papers use, and its search finds them all."""
    december = [
        DumpPaper(f"Paper {n}", abstract, date="Dec 10, 2025")
        for n, abstract in enumerate(
            [
                "A new dataset of robot videos.",
                "Two datasets of robot videos.",
                "A data-set of robot videos.",
                "Datasets and a dataset of robot videos.",
                # The parts of a compound are words the search finds ("state" finds
                # "state-of-the-art"), and boilerplate is dropped in every form the
                # search stems together ("effective" with "effectiveness").
                "State estimation scores and their effectiveness.",
                "State estimation scores and their effectiveness.",
                "State estimation scores and their effectiveness.",
                "State-of-the-art score-based planning is effective.",
                "Out-of-distribution detection.",
                "Distribution shift and distribution drift.",
                "Distribution shift again.",
                "Distribution shift, once more.",
            ]
        )
    ]
    november = [DumpPaper(f"Old {n}", "Robot videos only.", date="Nov 5, 2025") for n in range(4)]
    dump = write_dump(tmp_path / "dumps", "page.txt", december + november)
    services = open_services(tmp_path / "library")
    try:
        services.sync([dump])
        stats = services.stats(top=None)
        rows = [term for term in stats.rising_terms if term_key(term.term) == "dataset"]
        assert [(term.term, term.now, term.before) for term in rows] == [
            ("dataset", 4, 0)
        ]  # a tie: the shorter
        found = services.index.matching_ids(term_search(rows[0]), prefix_last_word=False).paper_ids
        assert len(found) == 4
        assert {"state", "scores", "distribution"} <= {term.term for term in stats.rising_terms}
        for term in stats.rising_terms:
            found = services.index.matching_ids(term_search(term), prefix_last_word=False)
            assert len(found.paper_ids) == term.now + term.before, term
    finally:
        services.close()


def test_the_top_is_cut_and_shown_in_one_order() -> None:
    # "colour" (key "color") and "colorado" tie on score and papers: ordered by key, so
    # the top one is the first of the top two whatever the forms shown sort as.
    now = _papers({"colour"}, {"colorado"}, times=3)
    before = _papers({"x"}, times=5)
    whole = [r.term for r in rising_terms(now, before, limit=2)]
    assert whole == ["colour", "colorado"]
    assert [r.term for r in rising_terms(now, before, limit=1)] == whole[:1]
