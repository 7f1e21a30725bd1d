"""The listing day (issue 12): the Daily Papers day a paper appeared on, apart from its date.

Read from each format (page header, ``submittedOnDailyAt``, a saved page's date),
merged (the first listing wins), kept in the catalog (a column, older catalogs
migrated in place), searchable as ``listed:`` and exported in CSV.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import sqlite3
from pathlib import Path
from typing import Any

from browser.library import Catalog, sync_catalog
from browser.merging import merge_records
from browser.models import ParsedRecord
from browser.parse import parse_bytes, parse_file, parse_text
from browser.search import PaperIndex

SAMPLE_DUMPS = Path(__file__).resolve().parent.parent / "sample_dumps"
HEADER = "Get trending papers in your email inbox!\n\n"
CARD = "{title}\n\nAbstract of {title}.\n\n  • 2 authors\n·\n{date}\n\n"


def test_text_dumps_carry_their_page_date() -> None:
    records = parse_file(SAMPLE_DUMPS / "2025-12-10_daily-papers.txt").records
    assert {record.listed for record in records} == {dt.date(2025, 12, 10)}
    assert records[1].date == dt.date(2025, 6, 16)  # its own day stays the card's
    # Without a page date in the header there is no listing day (the file name is no page).
    for name in ("undated-search-behavior.txt", "compact-search-behavior.txt"):
        assert {record.listed for record in parse_file(SAMPLE_DUMPS / name).records} == {None}


def test_each_page_copy_has_its_own_listing_day_with_the_year_rules() -> None:
    text = (
        HEADER
        + "Dec 31\n\n"
        + CARD.format(title="One", date="Dec 30")
        + HEADER
        + "Jan 2\n\n"
        + CARD.format(title="Two", date="Dec 31")
        + HEADER
        + CARD.format(title="Three", date="Jan 1")
    )
    parsed = parse_text(text, "x.txt", anchor=dt.date(2026, 1, 5))
    assert [(r.title, r.listed, r.date) for r in parsed.records] == [
        ("One", dt.date(2025, 12, 31), dt.date(2025, 12, 30)),
        ("Two", dt.date(2026, 1, 2), dt.date(2025, 12, 31)),
        ("Three", None, dt.date(2026, 1, 1)),  # a page without a date
    ]
    # --year names the year of the page date too.
    text = HEADER + "Dec 10\n\n" + CARD.format(title="T", date="Dec 9")
    (record,) = parse_text(text, "x.txt", year=2019).records
    assert (record.listed, record.date) == (dt.date(2019, 12, 10), dt.date(2019, 12, 9))


def api_entries(count: int, listed: str, start: int = 0) -> list[dict[str, Any]]:
    return [
        {
            "paper": {
                "id": f"2608.{i:05d}",
                "title": f"Paper {i}",
                "summary": "An abstract.",
                "publishedAt": f"2026-08-{1 + i % 19:02d}T17:00:00.000Z",
                "submittedOnDailyAt": f"{listed}T08:00:00.000Z",
            },
            "numComments": 0,
        }
        for i in range(start, start + count)
    ]


def test_api_json_keeps_published_as_date_and_submitted_as_listed() -> None:
    (record,) = parse_bytes(json.dumps(api_entries(1, "2026-08-20")).encode(), "x.json").records
    assert (record.date, record.listed) == (dt.date(2026, 8, 1), dt.date(2026, 8, 20))


def test_a_saved_page_lists_its_papers_on_its_date() -> None:
    entries = api_entries(2, "2026-08-20")
    del entries[1]["paper"]["submittedOnDailyAt"]
    props = html.escape(json.dumps({"dailyPapers": entries, "date": "2026-08-21"}))
    page = f'<html><body><div data-target="DailyPapers" data-props="{props}"></div></body></html>'
    records = parse_bytes(page.encode(), "page.html").records
    assert [record.listed for record in records] == [dt.date(2026, 8, 20), dt.date(2026, 8, 21)]


def test_markdown_copies_carry_the_page_date() -> None:
    fixtures = Path(__file__).resolve().parent / "fixtures" / "markdown"
    for path in sorted(fixtures.glob("*.md")):
        assert {record.listed for record in parse_file(path).records} == {dt.date(2025, 12, 10)}


def test_the_first_listing_wins_when_a_paper_is_shown_again() -> None:
    def record(listed: dt.date | None, file: str) -> ParsedRecord:
        return ParsedRecord(id="hf-1", title="T", listed=listed, source={"file": file, "line": 1})

    weekly, daily = dt.date(2025, 12, 14), dt.date(2025, 12, 10)
    merged = merge_records("hf-1", [record(weekly, "a"), record(None, "b"), record(daily, "c")])
    assert merged.listed == daily
    assert merge_records("hf-1", [record(None, "a")]).listed is None


def test_the_catalog_stores_listed_and_migrates_an_older_catalog(tmp_path: Path) -> None:
    dump = tmp_path / "dumps" / "2025-12-10_daily-papers.txt"
    dump.parent.mkdir()
    dump.write_bytes((SAMPLE_DUMPS / dump.name).read_bytes())
    junk = tmp_path / "dumps" / "LICENSE"
    junk.write_text("Permission is granted\nto copy this file.\n")
    path = tmp_path / "library.sqlite3"
    catalog = Catalog(path)
    sync_catalog(catalog, [dump.parent])
    catalog.close()
    # Make it look like a catalog of the previous version: no column, no parser version,
    # a junk paper the old parser made of the licence, records without a listing day.
    with sqlite3.connect(path) as db:
        db.execute("DROP INDEX papers_by_listed")
        db.execute("ALTER TABLE papers DROP COLUMN listed")
        db.execute("DELETE FROM meta WHERE key = 'parser'")
        db.execute("UPDATE papers SET data = json_remove(data, '$.listed')")
        db.execute("UPDATE records SET data = json_remove(data, '$.listed')")
        junk_record = {"id": "hf-junk", "title": "Permission", "source": {"file": "x", "line": 1}}
        db.execute("INSERT INTO papers (id, data) VALUES ('hf-junk', ?)", [json.dumps(junk_record)])
        db.execute(
            "INSERT INTO records (file, line, paper_id, data) VALUES (?, 1, 'hf-junk', ?)",
            (str(junk.resolve()), json.dumps(junk_record)),
        )
    catalog = Catalog(path)
    try:
        assert catalog.stale_files()  # every file is to be read again
        # The next sync reads them, even when it is given no path at all.
        sync_catalog(catalog, [])
        assert catalog.paper("hf-junk") is None
        papers = list(catalog.papers())
        assert papers and {paper.listed for paper in papers} == {dt.date(2025, 12, 10)}
        rows = catalog._db.execute("SELECT DISTINCT listed FROM papers").fetchall()
        assert rows == [("2025-12-10",)]
        assert catalog.stale_files() == []
    finally:
        catalog.close()


def test_listed_is_searchable_apart_from_date(tmp_path: Path) -> None:
    from browser.merging import deduplicate

    data = json.dumps(api_entries(15, "2026-08-20")) + json.dumps(api_entries(5, "2026-08-21", 15))
    records = parse_bytes(data.encode(), "two-days.json").records
    index = PaperIndex.create(tmp_path / "index")
    try:
        index.rebuild(deduplicate(records))

        def count(query: str) -> int:
            return index.search(query, limit=100, prefix_last_word=True).total

        assert count("listed:2026-08-20") == 15
        assert count("date:2026-08-20") == 0  # no paper was published that day
        assert count("listed:2026-08") == 20
        assert count("listed:[2026-08-20 TO 2026-08-21]") == 20
        assert count("listed:>2026-08-20") == 5
        assert count("date:2026-08-02") == 1
    finally:
        index.close()


def test_a_file_read_again_for_a_new_parser_keeps_the_year_it_was_read_with(
    tmp_path: Path,
) -> None:
    """Dates written without a year took the user's ``--year``; reading the file again
    because the parser changed (not because the user named it) must not drop it: a
    sync of another folder without ``--year`` left "Oct 1" papers in the wrong year."""
    yearless = tmp_path / "old" / "dump.txt"
    yearless.parent.mkdir()
    yearless.write_text("Yearless One\nAbout it.\n• 2 authors\n·\nOct 1\n", encoding="utf-8")
    other = tmp_path / "new" / "2025-12-10_daily-papers.txt"
    other.parent.mkdir()
    other.write_bytes((SAMPLE_DUMPS / other.name).read_bytes())
    path = tmp_path / "library.sqlite3"
    catalog = Catalog(path)
    try:
        sync_catalog(catalog, [yearless.parent], year=2020)
        (before,) = [p for p in catalog.papers() if p.title == "Yearless One"]
        assert before.date == dt.date(2020, 10, 1)
        with catalog.transaction() as db:  # as a parser version bump marks them
            db.execute("UPDATE files SET sha256 = 'stale'")
        sync_catalog(catalog, [other.parent])  # no --year this time
        (after,) = [p for p in catalog.papers() if p.title == "Yearless One"]
        assert after.date == dt.date(2020, 10, 1)
        assert catalog.stale_files() == []
        # Read with its own year, the file is now up to date: a later sync leaves it.
        assert sync_catalog(catalog, [other.parent]).files_read == 0
    finally:
        catalog.close()
