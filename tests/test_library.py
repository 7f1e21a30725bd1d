"""Deduplication, stable ids, and the incremental catalog + index sync."""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
from pathlib import Path

import pytest
from conftest import FIXTURE_PAPERS, DumpPaper, write_dump

from browser.identity import normalize_title, paper_id
from browser.library_paths import LibraryPaths, resolve_library_dir
from browser.merging import deduplicate, merge_records
from browser.models import Organization, ParsedRecord, Source
from browser.services import open_services


def _record(title: str, file: str = "a.txt", line: int = 1, **fields: object) -> ParsedRecord:
    return ParsedRecord(
        id=paper_id(title), title=title, source=Source(file=file, line=line), **fields
    )  # type: ignore[arg-type]


def test_titles_that_differ_only_in_latex_and_case_share_an_id() -> None:
    plain = "A Smooth Sea Never Made a Skilled SAILOR: Robust Imitation via Learning to Search"
    latex = (
        r"A Smooth Sea Never Made a Skilled $\texttt{SAILOR}$: "
        "Robust Imitation via Learning to Search"
    )
    assert paper_id(plain) == paper_id(latex) == paper_id(plain.upper())
    assert normalize_title("SOTOPIA-$\\pi$:  Interactive") == "sotopia interactive"
    assert normalize_title("Ｆｕｌｌ－ｗｉｄｔｈ") == "full width"


def test_ids_are_stable_across_runs() -> None:
    # Pinned: tags are keyed by this id, so it must never change silently.
    assert paper_id("Attention Is All You Need") == "hf-4a1c934d3d98f3ce"
    assert paper_id("  attention is ALL you need.  ") == "hf-4a1c934d3d98f3ce"


def test_merge_keeps_every_field_any_copy_has() -> None:
    first = _record("Paper", "a.txt", 10, abstract="Short", comments=1)
    second = _record(
        "PAPER",
        "b.txt",
        3,
        abstract="Short but complete abstract",
        authors=4,
        organization=Organization(slug="nvidia", name="NVIDIA"),
        date=dt.date(2024, 5, 1),
        comments=3,
        links=["https://x.org"],
    )
    merged = merge_records(first.id, [first, second])
    assert merged.title == "Paper"
    assert merged.abstract == "Short but complete abstract"
    assert merged.authors == 4
    assert merged.organization == Organization(slug="nvidia", name="NVIDIA")
    assert merged.date == dt.date(2024, 5, 1)
    assert merged.comments == 3
    assert merged.links == ["https://x.org"]
    assert [(s.file, s.line) for s in merged.sources] == [("a.txt", 10), ("b.txt", 3)]


def test_a_written_year_beats_an_inferred_one() -> None:
    inferred = _record("P", date=dt.date(2025, 6, 1), year_inferred=True)
    written = _record("P", "b.txt", date=dt.date(2024, 6, 1))
    merged = merge_records(inferred.id, [inferred, written])
    assert (merged.date, merged.year_inferred) == (dt.date(2024, 6, 1), False)


def test_same_arxiv_id_means_same_paper_even_with_other_titles() -> None:
    first = _record("Old Title", arxiv_id="2501.01234")
    second = _record("New Title", "b.txt", arxiv_id="2501.01234")
    (paper,) = deduplicate([first, second])
    assert paper.id == first.id


def test_library_folder_resolution(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PAPER_BROWSER_HOME", str(tmp_path / "env"))
    assert resolve_library_dir(tmp_path / "explicit") == tmp_path / "explicit"
    assert resolve_library_dir() == tmp_path / "env"
    monkeypatch.delenv("PAPER_BROWSER_HOME")
    assert resolve_library_dir().name == "paper-browser"


def test_sync_indexes_then_skips_unchanged_files(dumps_folder: Path, library_dir: Path) -> None:
    services = open_services()
    try:
        first = services.sync([dumps_folder])
        assert (first.files_read, first.papers_added) == (1, len(FIXTURE_PAPERS))
        assert len(services.index) == len(FIXTURE_PAPERS)
        again = services.sync([dumps_folder])
        assert (again.files_read, again.files_unchanged, again.papers_added) == (0, 1, 0)
    finally:
        services.close()


def test_the_change_set_names_the_papers_a_sync_added(
    dumps_folder: Path, library_dir: Path
) -> None:
    """``added_ids`` are the papers not in the catalog before, never the updated ones;
    ``Services.sync`` marks exactly those "new" (a first import marks none)."""
    from browser.library import sync_catalog

    services = open_services()
    try:
        services.sync([dumps_folder])
        assert services.reading.state.new_ids() == set()  # a first import is not news
        extra = [
            DumpPaper("Brand New Paper on Graph Search", "Graphs.", date="Jan 2, 2024"),
            DumpPaper("Another New Paper on Sparse Codes", "Codes.", date="Jan 3, 2024"),
        ]
        changed = dataclasses.replace(FIXTURE_PAPERS[0], abstract="A rewritten abstract.")
        write_dump(dumps_folder, "2024-03-05_page.txt", [changed, *FIXTURE_PAPERS[1:], *extra])
        changes = sync_catalog(services.catalog, [dumps_folder])
        new = {paper_id(paper.title) for paper in extra}
        assert set(changes.added_ids) == new
        assert changes.papers_added == 2 and changes.papers_updated >= 1
        assert set(changes.added_ids) < set(changes.changed_ids)
        write_dump(dumps_folder, "2024-03-06_page.txt", [DumpPaper("Third New Paper", "x.")])
        services.sync([dumps_folder])
        assert services.reading.state.new_ids() == {paper_id("Third New Paper")}
    finally:
        services.close()


def test_touched_but_identical_file_is_not_reparsed(dumps_folder: Path, library_dir: Path) -> None:
    services = open_services()
    try:
        services.sync([dumps_folder])
        dump = next(dumps_folder.iterdir())
        os.utime(dump, (1, 1))
        summary = services.sync([dumps_folder])
        assert (summary.files_read, summary.papers_updated) == (0, 0)
    finally:
        services.close()


def test_changed_dump_updates_only_its_papers(dumps_folder: Path, library_dir: Path) -> None:
    services = open_services()
    try:
        services.sync([dumps_folder])
        extra = DumpPaper(
            "Brand New Paper on Graph Search", "Graphs are searched.", date="Jan 2, 2024"
        )
        write_dump(dumps_folder, "2024-03-05_page.txt", [*FIXTURE_PAPERS[:2], extra])
        summary = services.sync([dumps_folder])
        assert summary.papers_added == 1
        assert summary.papers_removed == 2
        titles = {
            hit.paper.title
            for hit in services.index.search("", limit=50, prefix_last_word=True).hits
        }
        assert "Brand New Paper on Graph Search" in titles
        assert FIXTURE_PAPERS[2].title not in titles
    finally:
        services.close()


def test_deleted_dump_takes_only_its_own_papers(tmp_path: Path, library_dir: Path) -> None:
    folder = tmp_path / "dumps"
    shared = FIXTURE_PAPERS[0]
    write_dump(folder, "2024-03-05_a.txt", [shared, FIXTURE_PAPERS[1]])
    second = write_dump(folder, "2024-03-06_b.txt", [shared, FIXTURE_PAPERS[2]])
    services = open_services()
    try:
        services.sync([folder])
        assert len(services.index) == 3
        second.unlink()
        summary = services.sync([folder])
        assert summary.files_removed == 1
        assert summary.papers_removed == 1
        remaining = services.paper(paper_id(shared.title))
        assert remaining is not None
        assert [Path(s.file).name for s in remaining.sources] == ["2024-03-05_a.txt"]
        assert len(services.index) == 2
    finally:
        services.close()


def test_broken_index_is_rebuilt_from_the_catalog(dumps_folder: Path, library_dir: Path) -> None:
    services = open_services()
    services.sync([dumps_folder])
    services.close()
    index_dir = LibraryPaths(library_dir).index_dir
    for file in index_dir.iterdir():
        if file.is_file():
            file.write_bytes(b"garbage")
    reopened = open_services()
    try:
        summary = reopened.sync([dumps_folder])
        assert summary.rebuilt
        assert len(reopened.index) == len(FIXTURE_PAPERS)
    finally:
        reopened.close()


def test_crash_between_catalog_and_index_is_repaired(dumps_folder: Path, library_dir: Path) -> None:
    services = open_services()
    services.sync([dumps_folder])
    # Simulate a kill after the catalog committed but before the index did.
    services.catalog.mark_all_pending()
    services.close()
    reopened = open_services()
    try:
        reopened.sync([dumps_folder])
        assert reopened.catalog.pending_index_ids() == []
        assert len(reopened.index) == len(FIXTURE_PAPERS)
    finally:
        reopened.close()


def test_missing_path_is_reported_and_others_still_load(
    dumps_folder: Path, library_dir: Path
) -> None:
    services = open_services()
    try:
        summary = services.sync([dumps_folder, dumps_folder / "nope.txt"])
        assert summary.papers_added == len(FIXTURE_PAPERS)
        assert any("nope.txt" in problem.file for problem in summary.problems)
    finally:
        services.close()
