"""The CLI as scripts use it: exit codes, JSON shapes, messages, never a traceback."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import FIXTURE_PAPERS, SAMPLE_DUMPS

from browser.cli import main, with_command_first
from browser.identity import paper_id
from browser.search import whoosh_internals

RECORD_KEYS = {
    "id",
    "title",
    "abstract",
    "authors",
    "organization",
    "date",
    "year_inferred",
    "comments",
    "upvotes",
    "links",
    "source",
}


def run_cli(capsys: pytest.CaptureFixture[str], *arguments: str) -> tuple[int, str, str]:
    status = main(list(arguments))
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def test_parse_json_prints_one_object_per_record(
    capsys: pytest.CaptureFixture[str], dumps_folder: Path
) -> None:
    status, out, err = run_cli(capsys, "parse", str(dumps_folder), "--json")
    assert status == 0
    records = [json.loads(line) for line in out.splitlines()]
    assert [record["title"] for record in records] == [paper.title for paper in FIXTURE_PAPERS]
    assert all(set(record) >= RECORD_KEYS for record in records)
    first = records[0]
    assert first["id"] == paper_id(FIXTURE_PAPERS[0].title)
    assert (first["authors"], first["comments"], first["date"]) == (5, 3, "2024-01-10")
    assert first["source"]["file"].endswith("2024-03-05_page.txt")
    assert records[2]["organization"] == {"slug": "nvidia", "name": "NVIDIA"}
    assert "4 records" in err
    assert "4 unique papers" in err


def test_parse_sample_dumps_prints_a_paper_twice_with_one_id(
    capsys: pytest.CaptureFixture[str],
) -> None:
    status, out, err = run_cli(capsys, "parse", str(SAMPLE_DUMPS), "--json")
    assert status == 0
    records = [json.loads(line) for line in out.splitlines()]
    sailor = [r for r in records if "Skilled" in r["title"] and "SAILOR" in r["title"]]
    assert len(sailor) == 3
    assert len({r["id"] for r in sailor}) == 1
    assert len({r["id"] for r in records}) < len(records)
    assert "unique papers in 5 files" in err


def test_parse_readable_table(capsys: pytest.CaptureFixture[str], dumps_folder: Path) -> None:
    status, out, _ = run_cli(capsys, "parse", str(dumps_folder))
    assert status == 0
    assert out.splitlines()[0].split() == ["id", "date", "comments", "title"]
    assert FIXTURE_PAPERS[1].title in out


def test_missing_file_is_an_error_but_others_are_parsed(
    capsys: pytest.CaptureFixture[str], dumps_folder: Path, tmp_path: Path
) -> None:
    status, out, err = run_cli(capsys, "parse", str(tmp_path / "missing.txt"), str(dumps_folder))
    assert status == 1
    assert "missing.txt" in err
    assert FIXTURE_PAPERS[0].title in out


def test_binary_empty_and_header_only_files_are_warnings(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    (tmp_path / "binary.txt").write_bytes(b"\x00\x01\x02PNG\x00" * 50)
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "header.txt").write_text("new\n\nSubscribe\n\nDaily Papers\n", encoding="utf-8")
    status, out, err = run_cli(capsys, "parse", str(tmp_path), "--json")
    assert status == 0
    assert out == ""
    assert "binary.txt" in err
    assert "Traceback" not in err


def test_index_search_tag_export_import_round_trip(
    capsys: pytest.CaptureFixture[str], dumps_folder: Path, library_dir: Path, tmp_path: Path
) -> None:
    status, out, _ = run_cli(capsys, "index", str(dumps_folder))
    assert status == 0
    assert "4 papers added" in out

    status, out, _ = run_cli(capsys, "search", "reinforcement", "--json")
    hits = json.loads(out)["hits"]
    assert hits[0]["title"] == FIXTURE_PAPERS[0].title
    assert {"id", "title", "score", "date", "comments", "upvotes", "tags"} <= set(hits[0])
    first_id = hits[0]["id"]
    markup_id = paper_id(FIXTURE_PAPERS[3].title)

    assert run_cli(capsys, "tag", first_id, "to read", "Important")[0] == 0
    assert run_cli(capsys, "tag", markup_id, "to read")[0] == 0
    status, out, _ = run_cli(capsys, "tags", "--json")
    assert json.loads(out) == {"to read": 2, "Important": 1}

    status, out, _ = run_cli(capsys, "search", "tag:important", "--json")
    assert [hit["id"] for hit in json.loads(out)["hits"]] == [first_id]

    export_file = tmp_path / "tags.csv"
    assert run_cli(capsys, "export", "--output", str(export_file))[0] == 0
    rows = list(csv.DictReader(io.StringIO(export_file.read_text(encoding="utf-8"))))
    assert {row["id"] for row in rows} == {first_id, markup_id}
    markup_row = next(row for row in rows if row["id"] == markup_id)
    assert markup_row["title"] == FIXTURE_PAPERS[3].title

    fresh = tmp_path / "fresh"
    assert run_cli(capsys, "index", str(dumps_folder), "--library", str(fresh))[0] == 0
    assert run_cli(capsys, "import-tags", str(export_file), "--library", str(fresh))[0] == 0
    second_export = tmp_path / "again.csv"
    assert (
        run_cli(capsys, "export", "--output", str(second_export), "--library", str(fresh))[0] == 0
    )
    assert second_export.read_bytes() == export_file.read_bytes()

    assert run_cli(capsys, "untag", first_id, "IMPORTANT")[0] == 0
    status, out, _ = run_cli(capsys, "tags", "--json")
    assert json.loads(out) == {"to read": 2}


def test_export_tag_narrows_like_search_tag_and_an_empty_result_is_explained(
    capsys: pytest.CaptureFixture[str], dumps_folder: Path, library_dir: Path
) -> None:
    assert run_cli(capsys, "index", str(dumps_folder))[0] == 0
    robot, markup = paper_id(FIXTURE_PAPERS[0].title), paper_id(FIXTURE_PAPERS[3].title)
    assert run_cli(capsys, "tag", robot, 'say "hi"', "rl")[0] == 0
    assert run_cli(capsys, "tag", markup, 'say "hi"')[0] == 0

    def exported_ids(*arguments: str) -> tuple[list[str], str]:
        status, out, err = run_cli(capsys, "export", "-f", "jsonl", *arguments)
        assert status == 0
        return [json.loads(line)["id"] for line in out.splitlines()], err

    assert sorted(exported_ids("--tag", 'say "hi"')[0]) == sorted([robot, markup])
    # Repeated --tag means all of them, as `search --tag` and the app's filter do.
    assert exported_ids("--tag", 'SAY "hi"', "--tag", "rl")[0] == [robot]
    assert exported_ids("--query", "robot OR planning", "--tag", "rl")[0] == [robot]
    ids, err = exported_ids("--tag", "nosuchtag")
    assert ids == [] and "no paper has the tag 'nosuchtag'" in err
    ids, err = exported_ids("--tag", "rl", "--query", "pokemon")
    assert ids == [] and "none of the 1 paper the query finds has the tag" in err
    ids, err = exported_ids("--tag", 'say "hi"', "--tag", "rl", "--query", "planning")
    assert ids == [] and "the query finds has all of the --tag tags" in err


def test_an_empty_export_says_why_whatever_selected_nothing(
    capsys: pytest.CaptureFixture[str], dumps_folder: Path, library_dir: Path
) -> None:
    assert run_cli(capsys, "index", str(dumps_folder))[0] == 0

    def why(*arguments: str) -> str:
        status, out, err = run_cli(capsys, "export", "-f", "jsonl", *arguments)
        assert status == 0 and out == ""
        return err

    assert "no paper is tagged yet; nothing exported" in why()
    # The search's own reason, as `search` prints it: the correction, or no match.
    assert "nothing exported" in why("--query", "zzqqxx")
    assert "No papers match “zzqqxx”." in why("--query", "zzqqxx")
    assert "nothing exported" in why("--query", '"robot pokemon"')
    robot = paper_id(FIXTURE_PAPERS[0].title)
    assert run_cli(capsys, "tag", robot, "rl")[0] == 0
    assert "none of the " in why("--query", "planning -robot", "--tag", "rl")


def test_export_header_only_when_nothing_is_tagged(
    capsys: pytest.CaptureFixture[str], library_dir: Path
) -> None:
    status, out, _ = run_cli(capsys, "export")
    assert status == 0
    assert out.strip().split(",")[:3] == ["id", "title", "tags"]


def test_tagging_an_unknown_id_is_a_clear_error(
    capsys: pytest.CaptureFixture[str], library_dir: Path
) -> None:
    status, _, err = run_cli(capsys, "tag", "hf-0000000000000000", "x")
    assert status == 1
    assert "no paper with id" in err


def test_invalid_tag_name_is_a_clear_error(
    capsys: pytest.CaptureFixture[str], dumps_folder: Path, library_dir: Path
) -> None:
    run_cli(capsys, "index", str(dumps_folder))
    status, _, err = run_cli(capsys, "tag", paper_id(FIXTURE_PAPERS[0].title), "a,b")
    assert status == 1
    assert "paper-browser:" in err


def test_malformed_query_never_raises(
    capsys: pytest.CaptureFixture[str], dumps_folder: Path, library_dir: Path
) -> None:
    run_cli(capsys, "index", str(dumps_folder))
    for query in ["title:(", '"', "AND", "*", "comments:>", "[@click=app.quit]"]:
        status, out, err = run_cli(capsys, "search", query, "--json")
        assert status == 0, query
        assert isinstance(json.loads(out)["hits"], list)
        assert "Traceback" not in err


def test_python_dash_m_runs_the_same_cli(dumps_folder: Path) -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "browser", "parse", str(dumps_folder), "--json"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 0
    assert len(completed.stdout.splitlines()) == len(FIXTURE_PAPERS)


def test_bad_quick_tags_are_named_on_stderr_and_the_app_gets_the_rest(
    capsys: pytest.CaptureFixture[str],
    library_dir: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import browser.app

    (tmp_path / "config.toml").write_text(
        'quick_tags = ["a,b", "semi;colon"]\nauto_advance = true\n', encoding="utf-8"
    )
    opened: list[object] = []
    monkeypatch.setattr(
        browser.app, "run_app", lambda services, **options: opened.append(options["config"]) or 0
    )
    status, _, err = run_cli(capsys, "app")
    assert status == 0
    assert "quick tag 1 'a,b'" in err and "comma" in err
    assert "quick tag 2 'semi;colon'" in err and "semicolon" in err
    (loaded,) = opened
    assert loaded.config.auto_advance is True  # type: ignore[attr-defined]


def test_an_app_that_stopped_with_an_error_is_a_failed_command(
    capsys: pytest.CaptureFixture[str], library_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import browser.app

    monkeypatch.setattr(browser.app, "run_app", lambda services, **options: 1)
    status, _, err = run_cli(capsys, "app")
    assert status == 1
    assert "the app stopped with an error (exit status 1)" in err


def test_search_filters_by_any_tag_name_and_similar_papers_go_through_one_use_case(
    capsys: pytest.CaptureFixture[str], library_dir: Path, dumps_folder: Path
) -> None:
    assert run_cli(capsys, "index", str(dumps_folder))[0] == 0
    status, out, _ = run_cli(capsys, "search", "--json")
    ids = [hit["id"] for hit in json.loads(out)["hits"]]
    quoted = 'the "best" one'
    assert run_cli(capsys, "tag", ids[0], quoted)[0] == 0
    assert run_cli(capsys, "tag", ids[1], "the best one")[0] == 0
    status, out, _ = run_cli(capsys, "search", "--tag", quoted, "--json")
    assert status == 0 and [hit["id"] for hit in json.loads(out)["hits"]] == [ids[0]]
    status, out, _ = run_cli(capsys, "search", "--untagged", "--json")
    assert {hit["id"] for hit in json.loads(out)["hits"]} == set(ids[2:])
    status, out, _ = run_cli(capsys, "search", "--like", ids[0], "--untagged", "--json")
    assert status == 0 and not {hit["id"] for hit in json.loads(out)["hits"]} & set(ids[:2])
    status, _, err = run_cli(capsys, "search", "--like", "hf-0000000000000000")
    assert status == 1 and "no paper with id" in err


def test_index_rebuild_is_an_argument_of_sync(
    capsys: pytest.CaptureFixture[str], library_dir: Path, dumps_folder: Path
) -> None:
    assert run_cli(capsys, "index", str(dumps_folder))[0] == 0
    status, out, err = run_cli(capsys, "index", str(dumps_folder), "--rebuild")
    assert status == 0
    assert "rebuilt the search index: rebuild requested" in err
    assert "index rebuilt" in out
    status, out, err = run_cli(capsys, "index", str(dumps_folder))
    assert "rebuilt" not in err and "index rebuilt" not in out


def test_doctor_says_whether_searches_take_the_fast_path(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    code, out, _ = run_cli(capsys, "doctor")
    assert code == 0
    assert "whoosh-reloaded 2.7.5" in out and "Searches take the fast path." in out
    slow = whoosh_internals.InternalsStatus(("BM25F._field_B",))
    monkeypatch.setattr(whoosh_internals, "STATUS", slow)
    code, out, _ = run_cli(capsys, "doctor")
    assert code == 1
    assert slow.message is not None and slow.message in out and "BM25F._field_B" in out


def test_search_and_export_rebuild_an_index_of_another_schema_first(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, dumps_folder: Path
) -> None:
    """After an upgrade that changes the index schema, the CLI answers from the catalog's
    papers, not from an empty index, and says why it took longer."""
    from browser.search.schema import META_FILE

    library = tmp_path / "library"
    assert main(["index", str(dumps_folder), "--library", str(library)]) == 0
    (library / "index" / META_FILE).write_text('{"schema_version": 1}', encoding="utf-8")
    capsys.readouterr()
    status, out, err = run_cli(capsys, "search", "diffusion", "--library", str(library))
    assert status == 0 and "Diffusion Models for Text-to-3D Generation" in out
    assert "rebuilding the search index first" in err
    status, out, err = run_cli(capsys, "search", "diffusion", "--library", str(library))
    assert "rebuilding" not in err and "Diffusion Models" in out
    (library / "index" / META_FILE).write_text('{"schema_version": 1}', encoding="utf-8")
    target = tmp_path / "out.csv"
    status, _out, err = run_cli(
        capsys, "export", "--query", "diffusion", "-o", str(target), "--library", str(library)
    )
    assert status == 0 and "Text-to-3D" in target.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        (["--library", "L", "index", "d"], ["index", "--library", "L", "d"]),
        (["--library=L", "search", "x"], ["search", "--library=L", "x"]),
        (
            ["--userdata", "u.sqlite3", "--year", "2024", "index", "d"],
            ["index", "--userdata", "u.sqlite3", "--year", "2024", "d"],
        ),
        (["--tags", "t.json", "note", "ID"], ["note", "--tags", "t.json", "ID"]),
        (["--library", "L"], ["app", "--library", "L"]),
        (["--library", "L", "dumps/"], ["app", "--library", "L", "dumps/"]),
        ([], ["app"]),
        (["dumps/"], ["app", "dumps/"]),
        (["search", "--library", "L", "x"], ["search", "--library", "L", "x"]),
        (["--version"], ["--version"]),
        (["-h"], ["-h"]),
        (["--library", "L", "--help"], ["app", "--library", "L", "--help"]),
    ],
)
def test_shared_options_may_come_before_the_command(typed: list[str], meant: list[str]) -> None:
    assert with_command_first(typed) == meant


def test_library_given_before_the_command_indexes_and_searches_there(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, dumps_folder: Path
) -> None:
    """`paper-browser --library DIR index PATH` indexes into DIR; it used to open the
    app on a dump called "index"."""
    library = tmp_path / "library"
    status, _, err = run_cli(capsys, "--library", str(library), "index", str(dumps_folder))
    assert status == 0, err
    status, out, _ = run_cli(capsys, f"--library={library}", "search", "diffusion")
    assert status == 0 and "Diffusion Models for Text-to-3D Generation" in out


@pytest.mark.parametrize(
    ("arguments", "said"),
    [
        (["--year", "2025", "search", "rl"], "--year does not apply to `search`"),
        (["--library", "L", "doctor"], "--library does not apply to `doctor`"),
        (["--library=L", "parse", "x.txt"], "--library does not apply to `parse`"),
    ],
)
def test_a_shared_option_a_command_does_not_take_is_named(
    capsys: pytest.CaptureFixture[str], arguments: list[str], said: str
) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(arguments)
    assert exit_.value.code == 2
    assert said in capsys.readouterr().err


def test_after_an_upgrade_of_parser_and_schema_the_first_search_reads_old_files_once(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, dumps_folder: Path
) -> None:
    """A parser bump marks every file to read again and a schema bump needs a new index:
    the first command rebuilds the index from the files read again, so the next `index`
    has nothing left to do (it used to rebuild from the old records, then update every
    paper again one batch at a time)."""
    import sqlite3

    from browser.library import Catalog
    from browser.search.schema import META_FILE

    library = tmp_path / "library"
    assert main(["index", str(dumps_folder), "--library", str(library)]) == 0
    with sqlite3.connect(library / "library.sqlite3") as db:
        db.execute("UPDATE files SET sha256 = 'stale'")
    (library / "index" / META_FILE).write_text('{"schema_version": 1}', encoding="utf-8")
    capsys.readouterr()
    status, out, err = run_cli(capsys, "search", "diffusion", "--library", str(library))
    assert status == 0 and "Diffusion Models for Text-to-3D Generation" in out
    assert "rebuilding the search index first" in err
    catalog = Catalog(library / "library.sqlite3")
    try:
        assert catalog.stale_files() == []
        assert catalog.pending_index_ids() == []
    finally:
        catalog.close()
    status, out, err = run_cli(capsys, "index", str(dumps_folder), "--library", str(library))
    assert status == 0 and out.startswith("0 file") and " 0 updated," in out, out + err


# ------------------------------------------------------------------ what a search said, as JSON

SEARCH_NOTE_KEYS = {"corrected_query", "suggestion", "relaxed", "also_matching", "query_note"}


def test_search_json_says_what_it_did_with_a_query_even_without_hits(
    capsys: pytest.CaptureFixture[str], sample_library: Path
) -> None:
    library = ["--library", str(sample_library)]
    status, out, _ = run_cli(capsys, "search", "date:[2099-01 TO 2099-06", "--json", *library)
    empty = json.loads(out)
    assert status == 0 and empty["hits"] == [] and empty["total"] == 0
    assert "is not closed" in empty["query_note"]
    status, out, _ = run_cli(capsys, "search", "date:[2025-10 TO 2025-12", "--json", *library)
    found = json.loads(out)
    assert found["hits"] and "is not closed" in found["query_note"]
    # One shape with hits or without: the query's notes once, beside the hits.
    assert set(empty) == set(found) >= SEARCH_NOTE_KEYS | {"query", "sort", "total", "hits"}
    assert not SEARCH_NOTE_KEYS & set(found["hits"][0])


def test_stats_json_says_which_words_no_paper_has_as_search_does(
    capsys: pytest.CaptureFixture[str], sample_library: Path
) -> None:
    library = ["--library", str(sample_library)]
    status, out, _ = run_cli(capsys, "search", "vietnam hate", "--json", *library)
    searched = json.loads(out)
    status, out, err = run_cli(capsys, "stats", "vietnam hate", "--json", *library)
    counted = json.loads(out)
    assert status == 0
    assert counted["relaxed"] == searched["relaxed"]
    assert counted["relaxed"]["dropped_words"] == ["vietnam"]
    assert counted["corrected_query"] is None and counted["papers"] == searched["total"]
    assert "without “vietnam”" in err and "showing counts for: hate" in err
    status, out, _ = run_cli(capsys, "stats", "", "--json", *library)
    assert json.loads(out)["relaxed"] is None


def test_stats_lists_periods_newest_first_as_the_stats_screen_does(
    capsys: pytest.CaptureFixture[str], sample_library: Path
) -> None:
    status, out, _ = run_cli(capsys, "stats", "--library", str(sample_library))
    months = [line.split()[0] for line in out.splitlines() if line[:4].isdigit()]
    assert status == 0 and months == ["2025-12", "2025-11", "2025-10"]
    # The JSON keeps time order (its documented shape), the tables read newest first.
    status, out, _ = run_cli(capsys, "stats", "--json", "--library", str(sample_library))
    assert list(json.loads(out)["per_period"]) == ["2025-10", "2025-11", "2025-12", "no date"]


def test_stats_says_why_no_term_rose_as_the_stats_screen_does(
    capsys: pytest.CaptureFixture[str], sample_library: Path
) -> None:
    library = ["--library", str(sample_library)]
    status, out, _ = run_cli(capsys, "stats", "diffusion", "--by", "week", "--json", *library)
    counted = json.loads(out)
    assert status == 0 and counted["rising_terms"] == []
    note = counted["rising_note"]
    assert note and note.startswith(counted["latest_period"])
    status, out, _ = run_cli(capsys, "stats", "diffusion", "--by", "week", *library)
    assert f"rising terms: {note} Try --by month." in out
    assert "no term rose" not in out
