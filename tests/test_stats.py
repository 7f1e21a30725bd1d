"""Stats counts against small libraries counted by hand, the rising-terms rule, the CLI shape."""

from __future__ import annotations

import datetime as dt
import json
import math
import random
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import DumpPaper, write_dump
from stats_library import HOSTILE_AUTHOR, HOSTILE_ORG, build_stats_library

from browser.cli import main
from browser.library import Catalog
from browser.services import Services, open_services
from browser.stats import (
    PERIODS,
    FactColumns,
    PaperFacts,
    PeriodGap,
    RisingTerm,
    compute_stats,
    condensed,
    paper_terms,
    period_key,
    period_query,
    rising_terms,
)
from browser.stats.periods import period_start
from browser.stats.searches import (
    ANY_DAY,
    NO_AUTHOR_NAMES,
    NO_DAY,
    NO_ORGANIZATION,
    name_search,
    period_search,
    term_search,
)
from browser.stats.summary import _spelling_order, name_key
from browser.stats.term_groups import PaperTerms, terms_of_forms
from browser.stats.terms import log_odds_z

D = dt.date

# Eight papers counted by hand below: two without a date, three without organisation.
FACTS = [
    PaperFacts("p1", D(2025, 11, 3), "NVIDIA", ("Ada Li", "Bo Chen")),
    PaperFacts("p2", D(2025, 11, 28), "NVIDIA", ("Ada Li",)),
    PaperFacts("p3", D(2025, 12, 1), "AI at Meta", ()),
    PaperFacts("p4", D(2025, 12, 1), None, ("Bo Chen", "Bo Chen")),
    PaperFacts("p5", D(2025, 12, 31), "[bold]Lab[/bold]", ()),
    PaperFacts("p6", D(2026, 1, 1), None, ()),
    PaperFacts("p7", None, "NVIDIA", ()),
    PaperFacts("p8", None, None, ("Ada Li",)),
]
TAGS = {"p1": ["To Read"], "p3": ["to read", "robots"], "p7": ["robots"], "gone": ["x"]}


def test_counts_per_month_with_undated_papers_counted() -> None:
    stats = compute_stats(FactColumns(FACTS), by="month", tags=TAGS)
    assert stats.papers == 8
    assert [(p.key, p.count) for p in stats.per_period] == [
        ("2025-11", 2),
        ("2025-12", 3),
        ("2026-01", 1),
    ]
    assert stats.no_date == 2
    assert stats.to_json()["per_period"] == {
        "2025-11": 2,
        "2025-12": 3,
        "2026-01": 1,
        "no date": 2,
    }
    assert sum(stats.to_json()["per_period"].values()) == stats.papers
    assert (stats.latest and stats.latest.key, stats.previous and stats.previous.key) == (
        "2026-01",
        "2025-12",
    )


def test_counts_per_iso_week_and_day_include_empty_periods_between() -> None:
    weeks = compute_stats(FactColumns(FACTS), by="week")
    # 2025-11-03 is a Monday of W45; 2025-12-31 and 2026-01-01 are in ISO week 2026-W01.
    keys = {p.key: p.count for p in weeks.per_period}
    assert keys["2025-W45"] == 1
    assert keys["2025-W48"] == 1  # Nov 28
    assert keys["2025-W49"] == 2  # Dec 1 twice
    assert keys["2026-W01"] == 2
    assert keys["2025-W46"] == 0
    assert len(weeks.per_period) == 9  # W45..W52 and 2026-W01
    days = compute_stats(FactColumns(FACTS), by="day")
    assert days.per_period[0].key == "2025-11-03"
    assert days.per_period[-1].key == "2026-01-01"
    assert len(days.per_period) == (D(2026, 1, 1) - D(2025, 11, 3)).days + 1
    assert sum(p.count for p in days.per_period) == 6


def test_tags_organisations_and_authors_count_the_missing_too() -> None:
    stats = compute_stats(FactColumns(FACTS), tags=TAGS)
    assert [(t.name, t.count) for t in stats.tags] == [("robots", 2), ("To Read", 2)]
    assert stats.untagged == 5
    assert [(o.name, o.count) for o in stats.organizations] == [
        ("NVIDIA", 3),
        ("[bold]Lab[/bold]", 1),
        ("AI at Meta", 1),
    ]
    assert stats.no_organization == 3
    # A name listed twice on one paper counts that paper once.
    assert [(a.name, a.count) for a in stats.authors] == [("Ada Li", 3), ("Bo Chen", 2)]
    assert stats.no_author_names == 4  # p3, p5, p6, p7
    data = stats.to_json()
    assert data["no_organization"] == 3 and data["untagged"] == 5


def test_a_subset_of_rows_is_counted_alone() -> None:
    columns = FactColumns(FACTS)
    rows = columns.positions_of(["p6", "p7", "p8", "unknown"])
    stats = compute_stats(columns, rows, tags=TAGS)
    assert stats.papers == 3
    assert stats.no_date == 2
    assert [(p.key, p.count) for p in stats.per_period] == [("2026-01", 1)]
    assert stats.previous is None and stats.rising_terms == []
    assert [(t.name, t.count) for t in stats.tags] == [("robots", 1)]
    assert stats.untagged == 2
    assert stats.no_organization == 2


def test_top_caps_each_ranked_table() -> None:
    stats = compute_stats(FactColumns(FACTS), top=1, tags=TAGS)
    assert len(stats.organizations) == len(stats.authors) == len(stats.tags) == 1


@pytest.mark.parametrize("order", [1, -1])
def test_a_merged_name_is_shown_as_most_papers_spell_it(order: int) -> None:
    # The catalog reads papers in no set order: the spelling shown must not depend on it.
    facts = [
        PaperFacts("p0", D(2025, 1, 1), "nvidia", ("ada li",)),
        *(PaperFacts(f"p{n}", D(2025, 1, 1), "NVIDIA", ("Ada Li",)) for n in range(1, 4)),
        PaperFacts("p4", D(2025, 1, 1), "Meta", ("Bo",)),
        PaperFacts("p5", D(2025, 1, 1), "META", ("bo",)),
    ][::order]
    stats = compute_stats(FactColumns(facts))
    assert [(o.name, o.count) for o in stats.organizations] == [("NVIDIA", 4), ("META", 2)]
    assert [(a.name, a.count) for a in stats.authors] == [("Ada Li", 4), ("Bo", 2)]


@pytest.mark.parametrize("top", [0, 1, 3, 7, 50, None])
def test_ranked_tables_keep_the_top_with_ties_broken_by_name(top: int | None) -> None:
    # Many names, many ties at every count, names that differ only in case (one name,
    # as the search finds both, spelt as most papers do, ties: more capitals and
    # accents, then the spelling sorting first): the top is the head of the whole list
    # sorted by count, then name (case-folded, then as is).
    rng = random.Random(7)
    names = [f"{rng.choice('abcAB')}{rng.choice('xyzXY')}{n % 5}" for n in range(400)]
    facts = [
        PaperFacts(f"p{n}", D(2025, 1, 1), organization=name, authors=(name, names[-n]))
        for n, name in enumerate(names)
    ]
    stats = compute_stats(FactColumns(facts), top=top)
    organizations = [[paper.organization or ""] for paper in facts]
    authors = [list(paper.authors) for paper in facts]
    for shown, per_paper in ((stats.organizations, organizations), (stats.authors, authors)):
        counts: dict[str, int] = {}
        spellings: dict[str, Counter[str]] = {}
        for paper_names in per_paper:
            first_of_key = {name_key(name): name for name in reversed(paper_names)}
            for key, name in first_of_key.items():
                counts[key] = counts.get(key, 0) + 1
                spellings.setdefault(key, Counter())[name] += 1
        shown_counts = [
            (min(spellings[key], key=lambda name: _spelling_order(name, spellings[key])), count)
            for key, count in counts.items()
        ]
        whole = sorted(shown_counts, key=lambda item: (-item[1], item[0].casefold(), item[0]))
        assert [(item.name, item.count) for item in shown] == whole[:top]


def test_an_empty_set_has_no_periods() -> None:
    stats = compute_stats(FactColumns([]))
    assert stats.papers == 0 and stats.per_period == [] and stats.latest is None
    assert stats.to_json()["per_period"] == {}


def test_period_keys_and_queries() -> None:
    assert period_key(D(2024, 12, 30), "week") == "2025-W01"
    assert period_start(D(2025, 12, 7), "week") == D(2025, 12, 1)
    assert period_query(D(2025, 12, 1), "month") == "date:2025-12"
    assert period_query(D(2025, 12, 5), "day", "listed") == "listed:2025-12-05"
    assert period_query(D(2025, 12, 1), "week") == "date:[2025-12-01 TO 2025-12-07]"
    last = compute_stats(FactColumns([PaperFacts("a", D(9999, 12, 31))]), by="month")
    assert [p.key for p in last.per_period] == ["9999-12"]


def test_condensed_folds_long_runs_of_empty_periods() -> None:
    stats = compute_stats(
        FactColumns([PaperFacts("a", D(2020, 1, 5)), PaperFacts("b", D(2020, 6, 5))])
    )
    shown = condensed(stats.per_period)
    assert len(shown) == 3
    assert shown[1] == PeriodGap("2020-02", "2020-05", 4)
    short = compute_stats(
        FactColumns([PaperFacts("a", D(2020, 1, 5)), PaperFacts("b", D(2020, 3, 5))])
    )
    assert len(condensed(short.per_period)) == 3  # one empty month stays a bar


def test_paper_terms_are_words_and_adjacent_pairs_without_stop_words_or_furniture() -> None:
    terms = paper_terms(
        "Large Language Models for Video",
        "We propose a novel method. Video generation, https://x.org",
    ).forms
    assert {"large", "language", "models", "video", "generation"} <= terms
    assert {"large language", "language models", "video generation"} <= terms
    assert "models video" not in terms  # "for" stood between them
    assert not {"we", "propose", "novel", "method", "a", "https", "x.org"} & terms
    assert "generation https" not in terms
    # A clause break ends a phrase; LaTeX commands and markup brackets are no terms.
    assert "method video" not in paper_terms("method. video").forms
    assert "mathcal" not in paper_terms(r"$\mathcal{O}(n)$ bounds").forms
    assert "[bold]" not in paper_terms("[bold]Lab[/bold]").forms


def test_rising_terms_follow_the_documented_score() -> None:
    now = [terms_of_forms({"agents", "video"})] * 6 + [terms_of_forms({"video"})] * 4
    before = [terms_of_forms({"video"})] * 9 + [terms_of_forms({"agents"})] * 1
    rising = rising_terms(now, before)
    # "video" grew from 9 of 10 papers to 10 of 10: a rise, with little evidence.
    assert [(r.term, r.now, r.before) for r in rising] == [("agents", 6, 1), ("video", 10, 9)]
    # a=6, b=4, c=1, d=9 with 0.5 added to each cell.
    expected = math.log(6.5 * 9.5 / (4.5 * 1.5)) / math.sqrt(1 / 6.5 + 1 / 4.5 + 1 / 1.5 + 1 / 9.5)
    assert rising[0].score == pytest.approx(expected)
    assert log_odds_z(6, 10, 1, 10) == pytest.approx(expected)


def test_rising_terms_need_minimum_counts_and_growth() -> None:
    # Two papers out of two now, none before: too few to rise.
    assert rising_terms([terms_of_forms({"rare"})] * 2, [terms_of_forms({"x"})] * 5) == []
    # A share that fell or stayed does not rise.
    same = [terms_of_forms({"steady"})] * 5
    assert rising_terms(same, same) == []
    assert rising_terms([], same) == [] and rising_terms(same, []) == []
    # More evidence ranks higher: 40 -> 120 of 200 beats 0 -> 3 of 200.
    now = (
        [terms_of_forms({"big"})] * 120
        + [terms_of_forms({"small"})] * 3
        + [terms_of_forms(())] * 77
    )
    before = [terms_of_forms({"big"})] * 40 + [terms_of_forms(())] * 160
    assert [r.term for r in rising_terms(now, before)] == ["big", "small"]


def test_rising_terms_compare_the_latest_two_periods_with_papers() -> None:
    facts = [PaperFacts(f"old{i}", D(2025, 10, 2)) for i in range(3)]
    facts += [PaperFacts(f"b{i}", D(2025, 11, 2)) for i in range(5)]
    facts += [PaperFacts(f"n{i}", D(2026, 1, 2)) for i in range(5)]  # December is empty
    texts = {f"n{i}": "agent swarms" for i in range(5)} | {f"b{i}": "old topic" for i in range(5)}
    asked: list[list[str]] = []

    def terms_of(ids: list[str]) -> list[PaperTerms]:
        asked.append(list(ids))
        return [paper_terms(texts.get(paper_id, "")) for paper_id in ids]

    stats = compute_stats(FactColumns(facts), terms_of=terms_of)  # type: ignore[arg-type]
    assert stats.latest is not None and stats.previous is not None
    assert (stats.latest.key, stats.previous.key) == ("2026-01", "2025-11")
    assert sorted(asked[0]) == sorted([f"n{i}" for i in range(5)] + [f"b{i}" for i in range(5)])
    assert [(r.term, r.now, r.before) for r in stats.rising_terms] == [
        ("agent", 5, 0),
        ("agent swarms", 5, 0),
        ("swarms", 5, 0),
    ]
    # The words of the search counted are not news (newcomer's finding): left out.
    searched = compute_stats(
        FactColumns(facts),  # type: ignore[arg-type]
        terms_of=terms_of,
        leave_out=paper_terms("swarms").forms,
    )
    assert [r.term for r in searched.rising_terms] == ["agent", "agent swarms"]


# -- through the library: Services.stats and the CLI ---------------------------------


PAPERS = [
    DumpPaper(
        "Agent Swarms One",
        "Agent swarms coordinate.",
        organization="nvidia NVIDIA",
        date="Dec 2, 2025",
    ),
    DumpPaper(
        "Agent Swarms Two", "Agent swarms plan.", organization="nvidia NVIDIA", date="Dec 3, 2025"
    ),
    DumpPaper("Agent Swarms Three", "Agent swarms again.", date="Dec 4, 2025"),
    DumpPaper(
        "Robot Grasping",
        "Robot grasping study.",
        organization="meta [red]Meta[/red]",
        date="Nov 4, 2025",
    ),
    DumpPaper("Robot Walking", "Robot walking.", date="Nov 5, 2025"),
    DumpPaper("Undated Robot Paper", "Robot without a date.", date=None),
]


@pytest.fixture
def library(tmp_path: Path) -> Path:
    # Stats count a paper on the day it was listed: each paper here is on the page of its
    # own date (the undated one on a page without a date, so it has no day at all).
    folder = tmp_path / "dumps"
    for paper in PAPERS:
        if paper.date is None:
            write_dump(folder, "undated.txt", [paper], page_date=None)
            continue
        day = dt.datetime.strptime(paper.date, "%b %d, %Y").date()
        write_dump(folder, f"{day}_daily-papers.txt", [paper], page_date=paper.date)
    root = tmp_path / "library"
    services = open_services(root)
    services.sync([folder])
    found = services.index.search("walking", prefix_last_word=True)
    paper_id = next(hit.paper.id for hit in found.hits)
    services.tags.add(paper_id, "to read")
    services.close()
    return root


def test_stats_count_papers_on_their_listing_day(tmp_path: Path) -> None:
    # One page of Dec 5 lists papers of November and December: all count on Dec 5.
    dump = write_dump(tmp_path / "dumps", "2025-12-05_daily-papers.txt", PAPERS, page_date="Dec 5")
    services = open_services(tmp_path / "library")
    try:
        services.sync([dump])
        stats = services.stats(by="day")
        assert {p.key: p.count for p in stats.per_period} == {"2025-12-05": 6}
        assert stats.no_date == 0
    finally:
        services.close()


def test_services_stats_of_the_library_and_of_a_query(library: Path) -> None:
    services = open_services(library)
    try:
        everything = services.stats()
        assert everything.papers == 6
        assert everything.no_date == 1
        assert {p.key: p.count for p in everything.per_period} == {"2025-11": 2, "2025-12": 3}
        assert [(o.name, o.count) for o in everything.organizations] == [
            ("NVIDIA", 2),
            ("[red]Meta[/red]", 1),
        ]
        assert everything.no_organization == 3
        assert [(t.name, t.count) for t in everything.tags] == [("to read", 1)]
        assert everything.untagged == 5
        robots = services.stats("robot")
        assert robots.papers == 3 and robots.no_date == 1
        assert robots.query == "robot"
        by_day = services.stats("agent", by="day")
        assert [p.count for p in by_day.per_period] == [1, 1, 1]
    finally:
        services.close()


def test_the_whole_library_counts_are_kept_and_follow_the_tags(library: Path) -> None:
    services = open_services(library)
    try:
        first = services.stats(rising=False)
        assert [(t.name, t.count) for t in first.tags] == [("to read", 1)]
        untagged = next(
            hit.paper.id
            for hit in services.index.search("robot", prefix_last_word=True).hits
            if not services.tags.tags_of(hit.paper.id)
        )
        services.tags.add(untagged, "robots")
        again = services.stats(rising=False)
        assert [(t.name, t.count) for t in again.tags] == [("robots", 1), ("to read", 1)]
        assert again.untagged == first.untagged - 1
        # The counts the first call returned are not changed by the second.
        assert [(t.name, t.count) for t in first.tags] == [("to read", 1)]
        assert again.organizations == first.organizations
        # Kept with the rising terms, they serve a call without them.
        assert services.stats().rising_counted
        assert services.stats(rising=False).rising_counted
        assert services.stats(by="day").by == "day"
    finally:
        services.close()


def test_stats_follow_a_change_of_the_library(library: Path, tmp_path: Path) -> None:
    services = open_services(library)
    try:
        assert services.stats().papers == 6
        extra = write_dump(
            tmp_path / "dumps",
            "2025-12-06_daily-papers.txt",
            [DumpPaper("Another Robot", "Robot again.", date="Dec 6, 2025")],
            page_date="Dec 6",
        )
        services.sync([tmp_path / "dumps", extra])
        assert services.stats().papers == 7
    finally:
        services.close()


def test_the_catalog_version_moves_with_every_change_of_the_papers(library: Path) -> None:
    # The stats keep the facts they read while Catalog.version stays the same.
    path = library / "library.sqlite3"
    catalog, other = Catalog(path), Catalog(path)
    try:
        ids = [paper_id for paper_id, *_ in catalog.identities()]
        first, second, third = ids[:3]
        delete = "DELETE FROM papers WHERE id = ?"
        update = "UPDATE papers SET data = json_set(data, '$.date', 'Jan 1, 2020') WHERE id = ?"
        # (connection, statement, paper): here and in another connection; a row that is
        # not the last, a change in place that keeps the rowid and the count.
        writes = [
            (catalog, delete, first),
            (catalog, update, second),
            (other, delete, third),
            (other, update, ids[-1]),
        ]
        for writer, statement, paper_id in writes:
            before = catalog.version()
            list(catalog.paper_facts())
            assert catalog.paper_count() > 0
            assert catalog.version() == before  # reading moves nothing
            with writer.transaction() as db:
                db.execute(statement, (paper_id,))
            assert catalog.version() != before, statement
    finally:
        catalog.close()
        other.close()


def test_cli_stats_json_shape(library: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["stats", "--library", str(library), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert {"papers", "per_period", "tags", "organizations", "authors", "rising_terms"} <= set(data)
    assert data["papers"] == 6
    assert data["per_period"] == {"2025-11": 2, "2025-12": 3, "no date": 1}
    assert data["organizations"] == {"NVIDIA": 2, "[red]Meta[/red]": 1}
    assert data["no_organization"] == 3
    assert data["tags"] == {"to read": 1} and data["untagged"] == 5
    assert data["authors"] == {} and data["no_author_names"] == 6
    assert isinstance(data["rising_terms"], list)
    for term in data["rising_terms"]:
        assert set(term) == {"term", "now", "before", "score", "forms"}
        assert term["forms"][0] == term["term"]
    assert data["latest_period"] == "2025-12" and data["previous_period"] == "2025-11"


def test_cli_stats_tables(library: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["stats", "agent OR robot", "--library", str(library), "--by", "week"]) == 0
    out = capsys.readouterr().out
    assert "6 papers matching" in out
    assert "2025-W49" in out and "no date" in out
    assert "(no organisation)" in out and "[red]Meta[/red]" in out
    assert "rising terms: 2025-W49" in out


def test_cli_stats_rejects_a_negative_top(library: Path) -> None:
    assert main(["stats", "--library", str(library), "--top", "-1"]) == 1


# -- the search each row stands for (browser.stats.searches) --------------------------


def test_row_searches_as_text() -> None:
    assert name_search("org", 'say "hi"  there') == 'org:"say hi there"'
    # Control and invisible characters of untrusted names never reach the search bar.
    assert name_search("author", "Eve\x1b[2J\u202e \x07Lab") == 'author:"Eve [2J Lab"'
    assert period_search(D(2025, 12, 1), "month", own_dates=False) == "listed:2025-12"
    assert period_search(D(2025, 12, 5), "day", own_dates=False) == "listed:2025-12-05"
    assert period_search(D(2025, 12, 1), "week", own_dates=False) == (
        "listed:[2025-12-01 TO 2025-12-07]"
    )
    assert period_search(D(2025, 12, 1), "month", own_dates=True) == (
        f"(listed:2025-12 OR (date:2025-12 NOT listed:{ANY_DAY}))"
    )
    assert term_search(RisingTerm("agent swarms", 5, 0, 3.0)) == '"agent swarms"'
    assert term_search(RisingTerm("agent", 5, 0, 3.0)) == "agent"


@pytest.fixture
def hand_counted(tmp_path: Path) -> Iterator[Services]:
    services = build_stats_library(tmp_path)
    yield services
    services.close()


def test_the_hand_counted_library(hand_counted: Services) -> None:
    stats = hand_counted.stats(top=None)
    assert (stats.papers, stats.no_date, stats.on_own_date) == (10, 1, 2)
    assert {p.key: p.count for p in stats.per_period} == {"2025-10": 1, "2025-11": 3, "2025-12": 5}
    assert [(o.name, o.count) for o in stats.organizations] == [("NVIDIA", 3), (HOSTILE_ORG, 2)]
    assert stats.no_organization == 5
    assert [(a.name, a.count) for a in stats.authors] == [
        ("Ada Li", 3),
        ("Bo Chen", 2),
        ("Chen Wei", 2),
        (HOSTILE_AUTHOR, 1),
    ]
    assert stats.no_author_names == 4
    assert ("agent swarms", 5, 0) in [(t.term, t.now, t.before) for t in stats.rising_terms]
    assert stats.to_json()["counted_on_own_date"] == 2


def _found(services: Services, query: str, clause: str) -> set[str]:
    # As the app adds a row's clause to the current search.
    query = f"({query})" if " OR " in f" {query} " else query
    combined = f"{query} {clause}".strip()
    return set(services.index.matching_ids(combined, prefix_last_word=True).paper_ids)


@pytest.mark.parametrize("query", ["", "robot", "agent OR robot", "swarms"])
def test_every_row_searches_exactly_the_papers_it_counts(
    hand_counted: Services, query: str
) -> None:
    counted = set(hand_counted.index.matching_ids(query, prefix_last_word=True).paper_ids)
    for by in PERIODS:
        stats = hand_counted.stats(query, by=by, top=None)
        own_dates = stats.on_own_date > 0
        for period in stats.per_period:
            clause = period_search(period.start, by, own_dates=own_dates)
            found = _found(hand_counted, query, clause)
            assert len(found) == period.count and found <= counted, (query, by, period.key)
        assert len(_found(hand_counted, query, NO_DAY)) == stats.no_date
    stats = hand_counted.stats(query, top=None)
    assert len(_found(hand_counted, query, NO_ORGANIZATION)) == stats.no_organization
    assert len(_found(hand_counted, query, NO_AUTHOR_NAMES)) == stats.no_author_names
    # No name here is a phrase inside another, so a name's search is exact too.
    for item in stats.organizations:
        assert len(_found(hand_counted, query, name_search("org", item.name))) == item.count
    for item in stats.authors:
        assert len(_found(hand_counted, query, name_search("author", item.name))) == item.count
    for term in stats.rising_terms:
        assert len(_found(hand_counted, query, term_search(term))) >= term.now + term.before


def test_papers_all_with_listing_days_search_the_listing_day(hand_counted: Services) -> None:
    stats = hand_counted.stats("grasping")
    assert stats.on_own_date == 0 and [p.key for p in stats.per_period] == ["2025-11"]
    clause = period_search(stats.per_period[0].start, "month", own_dates=False)
    assert clause == "listed:2025-11"
    assert len(_found(hand_counted, "grasping", clause)) == 2


def test_cli_stats_show_hostile_names_as_text(
    hand_counted: Services, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    library = str(tmp_path / "library")
    assert main(["stats", "--library", library]) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\x07" not in out
    assert "[link=https://evil.example]Evil[/link] Lab ␛[31m" in out
    assert "[bold red]Mallory[/] \\[x] ␇" in out
    assert "agent swarms" in out
    assert "2 papers without a listing day counted on their own date" in out
    assert main(["stats", "--library", library, "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["organizations"][HOSTILE_ORG] == 2 and data["authors"][HOSTILE_AUTHOR] == 1


@pytest.mark.parametrize("prefix_last_word", [False, True])
def test_stats_name_the_relaxation_the_index_ran_without_searching_again(
    hand_counted: Services, monkeypatch: pytest.MonkeyPatch, prefix_last_word: bool
) -> None:
    """The words left out and the notice come with the set the counts come from:
    ``_relaxation`` searched the same query again to learn them."""
    query = "swarms quokkaesque"
    expected = hand_counted.search(query, limit=1, prefix_last_word=prefix_last_word)
    assert expected.relaxed_query is not None

    def searched(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("stats searched again for what the index already answered")

    monkeypatch.setattr(hand_counted.index, "search", searched)
    monkeypatch.setattr(hand_counted, "search", searched)
    stats = hand_counted.stats(query, prefix_last_word=prefix_last_word)
    assert stats.relaxed is not None
    assert stats.relaxed.dropped_words == ("quokkaesque",)
    assert stats.relaxed.notice == expected.relaxed_notice
    assert stats.relaxed.query == expected.relaxed_query
