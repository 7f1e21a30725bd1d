"""Counts read as English wherever they are shown (one helper, ``browser.wording``), and
the CLI's ``note ID -`` takes standard input as the shell's ``$(...)`` would."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import FIXTURE_PAPERS, DumpPaper, write_dump

from browser.cli import main
from browser.config import read_settings
from browser.dump_files import skipped_summary
from browser.export import ExportOptions
from browser.export.tag_import import ImportReport
from browser.identity import paper_id
from browser.models import ParseProblem
from browser.services import SyncSummary, open_services
from browser.wording import counted, noun_for

# ------------------------------------------------------------------ the helper


@pytest.mark.parametrize(
    ("count", "noun", "plural", "expected"),
    [
        (0, "paper", None, "0 papers"),
        (1, "paper", None, "1 paper"),
        (2, "paper", None, "2 papers"),
        (1_234, "paper", None, "1,234 papers"),
        (1, "entry", "entries", "1 entry"),
        (3, "entry", "entries", "3 entries"),
        (1, "saved search", "saved searches", "1 saved search"),
        (0, "saved search", "saved searches", "0 saved searches"),
        (-1, "paper", None, "-1 papers"),
    ],
)
def test_counted_agrees_the_noun_with_the_count(
    count: int, noun: str, plural: str | None, expected: str
) -> None:
    assert counted(count, noun, plural) == expected
    assert noun_for(count, noun, plural) == expected.split(" ", 1)[1]


# ------------------------------------------------------------------ messages built from counts


@pytest.mark.parametrize(("count", "files"), [(1, "1 file skipped"), (2, "2 files skipped")])
def test_skipped_files_summary(count: int, files: str) -> None:
    skipped = [ParseProblem(file=f"/d/f{n}.txt", message="no") for n in range(count)]
    assert skipped_summary(skipped).startswith(files + " (")


def test_sync_summary_singular_and_plural() -> None:
    one = SyncSummary(files_read=1, papers_added=1, files_removed=1).describe()
    assert "1 file read" in one and "1 paper added" in one and "1 deleted file dropped" in one
    many = SyncSummary(files_read=2, papers_added=0, files_removed=3).describe()
    assert "2 files read" in many and "0 papers added" in many and "3 deleted files" in many


def test_import_report_singular_and_plural() -> None:
    one = ImportReport(
        "a.bib", "bibtex", "BibTeX, UTF-8", False, entries=1, papers_matched=1, tags_added=1,
        papers_changed=1,
    ).summary()
    assert "imported 1 tag on 1 paper" in one and "1 of 1 entry matched" in one
    many = ImportReport(
        "a.csv", "csv", "CSV", False, entries=5, papers_matched=2, tags_added=3, papers_changed=2
    ).summary()
    assert "imported 3 tags on 2 papers" in many and "2 of 5 entries matched" in many


@pytest.mark.parametrize(
    ("names", "expected"),
    [(["colour"], "unknown setting colour"), (["colour", "size"], "unknown settings colour")],
)
def test_unknown_settings_agree(names: list[str], expected: str) -> None:
    _, problems = read_settings(dict.fromkeys(names, 1))
    assert any(problem.startswith(expected) for problem in problems), problems


@pytest.mark.parametrize(
    ("fmt", "one", "two"),
    [
        ("csv", "1 row", "2 rows"),
        ("bibtex", "1 entry", "2 entries"),
        ("jsonl", "1 paper", "2 papers"),
    ],
)
def test_export_units(fmt: str, one: str, two: str) -> None:
    options = ExportOptions(format=fmt)  # type: ignore[arg-type]
    assert (options.unit(1), options.unit(2)) == (one, two)


# ------------------------------------------------------------------ the CLI


def _library(folder: Path, papers: list[DumpPaper]) -> Path:
    return write_dump(folder, "2024-03-05_page.txt", papers)


@pytest.mark.parametrize("how_many", [1, 2])
def test_cli_counts_agree_in_singular_and_plural(
    how_many: int,
    tmp_path: Path,
    library_dir: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    papers = FIXTURE_PAPERS[:how_many]
    dump = _library(tmp_path / "dumps", papers)
    paper = "paper" if how_many == 1 else "papers"
    record = "record" if how_many == 1 else "records"

    assert main(["parse", str(dump)]) == 0
    err = capsys.readouterr().err
    assert f": {how_many} {record}" in err and f"{how_many} unique {paper} in 1 file" in err

    assert main(["index", str(dump)]) == 0
    out = capsys.readouterr().out
    assert "1 file read" in out and f"{how_many} {paper} added" in out

    assert main(["search", "", "--limit", "5"]) == 0
    assert f"{how_many} of {how_many} {paper}, sorted" in capsys.readouterr().err

    assert main(["stats"]) == 0
    assert f"{how_many} {paper} in the library" in capsys.readouterr().out

    ids = [paper_id(p.title) for p in papers]
    assert main(["read", *ids]) == 0
    assert f"{how_many} {paper} marked read; 0 already read" in capsys.readouterr().out

    assert main(["tag", ids[0], *["x", "y"][:how_many]]) == 0
    tags = "tag" if how_many == 1 else "tags"
    assert f"{how_many} {tags} added" in capsys.readouterr().out

    assert main(["backup", "-o", str(tmp_path / "backup")]) == 0
    out = capsys.readouterr().out
    marks = "mark" if how_many == 1 else "marks"
    assert "1 tagged paper," in out and f"{how_many} read {marks}," in out
    assert "0 saved searches" in out
    assert "(s)" not in out


# ------------------------------------------------------------------ note ID - (standard input)


def stored_note(paper: str) -> str:
    services = open_services()
    try:
        return services.reading.note_of(paper)
    finally:
        services.close()


@pytest.fixture
def one_paper(tmp_path: Path, library_dir: Path) -> str:
    """A library (``$PAPER_BROWSER_HOME``) of one paper, indexed; that paper's id."""
    _library(tmp_path / "dumps", FIXTURE_PAPERS[:1])
    assert main(["index", str(tmp_path / "dumps")]) == 0
    return paper_id(FIXTURE_PAPERS[0].title)


@pytest.mark.parametrize(
    ("stdin", "note"),
    [
        ("a\nb\n", "a\nb"),  # what printf 'a\nb\n' and echo write
        ("a\nb", "a\nb"),  # nothing to strip
        ("a\n\nb\n\n\n", "a\n\nb"),  # every trailing newline, like $(...); inner ones kept
        ("  indented\n", "  indented"),  # only newlines go, never spaces
        ("tab ends\t\n", "tab ends\t"),
    ],
)
def test_note_from_stdin_drops_only_the_final_newlines(
    stdin: str,
    note: str,
    one_paper: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    assert main(["note", one_paper, "-"]) == 0
    assert stored_note(one_paper) == note
    capsys.readouterr()
    assert main(["note", one_paper]) == 0
    assert capsys.readouterr().out == note + "\n"  # printed with one newline to end it


def test_a_note_of_only_newlines_from_stdin_keeps_the_note(
    one_paper: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Empty input is most likely a failed generator: the note stays, and '' deletes."""
    assert main(["note", one_paper, "kept until replaced"]) == 0
    monkeypatch.setattr("sys.stdin", io.StringIO("\n\n"))
    assert main(["note", one_paper, "-"]) == 1
    assert "the note is kept" in capsys.readouterr().err
    assert main(["note", one_paper]) == 0
    assert capsys.readouterr().out == "kept until replaced\n"
    assert main(["note", one_paper, ""]) == 0
    capsys.readouterr()
    assert main(["note", one_paper]) == 1
    assert "has no note" in capsys.readouterr().err


def test_printf_piped_into_note_round_trips(one_paper: str) -> None:
    """The README's own use: a shell pipe into ``note ID -``, then the note printed."""
    command = f"printf 'a\\nb\\n' | {sys.executable} -m browser note {one_paper} -"
    env = dict(os.environ)
    subprocess.run(["bash", "-c", command], check=True, env=env, timeout=120)
    assert stored_note(one_paper) == "a\nb"
    shown = subprocess.run(
        [sys.executable, "-m", "browser", "note", one_paper],
        capture_output=True,
        text=True,
        check=True,
        env=env,
        timeout=120,
    )
    assert shown.stdout == "a\nb\n"
