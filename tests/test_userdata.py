"""The user-data store: tags with the TagStore's behaviour, migration from tags.json,
damaged and newer files, two copies, kills, notes, read state, saved searches, backup."""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from browser.tags import TagStore
from browser.userdata import (
    MIGRATED_SUFFIX,
    SavedSearch,
    UserData,
    UserDataError,
    open_user_data,
)
from browser.userdata.database import SCHEMA_VERSION

ROOT = Path(__file__).resolve().parent.parent
CHILD = Path(__file__).resolve().parent / "tag_writer_child.py"
FIXED = dt.datetime(2026, 11, 23, 10, 0, 0, tzinfo=dt.UTC)


def fixed_clock() -> dt.datetime:
    return FIXED


def child_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return env


@pytest.fixture
def library(tmp_path: Path) -> Path:
    folder = tmp_path / "library"
    folder.mkdir()
    return folder


@pytest.fixture
def data(library: Path) -> UserData:
    opened = open_user_data(library)
    yield opened  # type: ignore[misc]
    opened.close()


# ------------------------------------------------------------------ tags: TagStore behaviour


def test_tags_behave_as_the_json_store(data: UserData) -> None:
    tags = data.tags
    assert tags.add("hf-2", "Robots", title="Two")
    assert not tags.add("hf-2", "robots")
    assert tags.add("hf-1", "ROBOTS", title="One")  # one tag: the first spelling shown
    assert tags.tags_of("hf-1") == ["Robots"]
    tags.add("hf-1", "to read")
    assert tags.tags_of("hf-1") == ["Robots", "to read"]
    assert tags.ids_with_tag(" robots ") == {"hf-1", "hf-2"}
    assert tags.tagged_ids() == {"hf-1", "hf-2"}
    assert tags.counts() == {"Robots": 2, "to read": 1}
    assert tags.known_tags() == ["Robots", "to read"]
    assert tags.title_of("hf-1") == "One"
    assert len(tags) == 2
    assert tags.toggle("hf-2", "ROBOTS") is False
    assert tags.tagged_ids() == {"hf-1"}
    assert [e.paper_id for e in tags.entries()] == ["hf-1"]


def test_undo_unwinds_batches_and_merges_with_other_writers(library: Path) -> None:
    mine = open_user_data(library).tags
    theirs = open_user_data(library).tags
    mine.add("hf-1", "mine")
    theirs.add("hf-1", "theirs")
    assert mine.undo() == "removed 'mine' from hf-1"
    assert open_user_data(library).tags.tags_of("hf-1") == ["theirs"]
    assert mine.add_many([("hf-2", ["a", "b"], ""), ("hf-3", ["a"], "")]) == 3
    assert mine.set_many([("hf-2", ["c"], ""), ("hf-9", ["d"], "")]) == 2
    assert mine.undo() == "restored the tags of 2 papers"
    assert mine.tags_of("hf-2") == ["a", "b"] and mine.tags_of("hf-9") == []
    assert mine.undo() == "removed 3 added tags from 2 papers"
    assert mine.tagged_ids() == {"hf-1"}
    assert mine.undo() is None


def test_reload_tells_when_another_copy_changed_tags(library: Path) -> None:
    reader = open_user_data(library)
    writer = open_user_data(library)
    assert reader.tags.reload() is False
    writer.tags.add("hf-1", "x")
    assert reader.tags.reload() is True
    assert reader.tags.tags_of("hf-1") == ["x"]
    assert reader.tags.reload() is False
    writer.reading.set_read(["hf-1"])  # not a tag change
    assert reader.tags.reload() is False
    reader.tags.add("hf-2", "own")  # our own change is not news
    assert reader.tags.reload() is False


def test_bad_tag_names_change_nothing(data: UserData) -> None:
    with pytest.raises(ValueError, match="comma"):
        data.tags.set_many([("hf-1", ["fine"], ""), ("hf-2", ["a,b"], "")])
    assert data.tags.entries() == []


# ------------------------------------------------------------------ migration


def _legacy_file(library: Path) -> TagStore:
    """A tags.json as today's code writes it."""
    store = TagStore(library / "tags.json", clock=fixed_clock)
    store.add("hf-b", "Vision", title="B paper")
    store.add("hf-a", "vision", title="A paper")
    store.add("hf-a", "naïve 東京")
    store.add("hf-c", "=sum")
    return store


def test_migration_keeps_every_tag_title_and_date_and_sets_the_file_aside(library: Path) -> None:
    legacy = _legacy_file(library)
    original = (library / "tags.json").read_bytes()
    data = open_user_data(library)
    assert data.notice is not None and "migrated 4 tags" in data.notice
    assert data.tags.entries() == legacy.entries()
    assert not (library / "tags.json").exists()
    assert (library / f"tags.json{MIGRATED_SUFFIX}").read_bytes() == original
    again = open_user_data(library)
    assert again.notice is None and again.tags.entries() == legacy.entries()


def test_migration_interrupted_before_the_rename_runs_again_without_duplicates(
    library: Path,
) -> None:
    legacy = _legacy_file(library)
    original = (library / "tags.json").read_bytes()
    open_user_data(library).close()
    # As if killed between the commit and the rename: the file is still there.
    (library / "tags.json").write_bytes(original)
    data = open_user_data(library)
    assert data.tags.entries() == legacy.entries()
    assert (library / f"tags.json{MIGRATED_SUFFIX}-2").read_bytes() == original


def test_a_tags_json_that_reappears_is_merged_never_overwriting(library: Path) -> None:
    data = open_user_data(library)
    data.tags.add("hf-a", "newer", title="A paper")
    _legacy_file(library)  # an older copy of the program wrote its file again
    merged = open_user_data(library)
    assert merged.tags.tags_of("hf-a") == ["newer", "Vision", "naïve 東京"]
    assert merged.tags.tags_of("hf-b") == ["Vision"]
    merged.tags.add("hf-a", "NEWER")  # one tag whatever the spelling
    assert merged.tags.counts() == {"=sum": 1, "naïve 東京": 1, "newer": 1, "Vision": 2}


def test_a_damaged_tags_json_is_kept_and_makes_tags_read_only(library: Path) -> None:
    (library / "tags.json").write_text('{"version": 1, "papers": {', encoding="utf-8")
    data = open_user_data(library)
    assert data.read_only and data.problem is not None
    assert "tags.json" in data.problem and "not valid JSON" in data.problem
    assert (library / "tags.json").read_text(encoding="utf-8") == '{"version": 1, "papers": {'
    with pytest.raises(UserDataError, match="read-only"):
        data.tags.add("hf-1", "x")


def test_two_copies_migrating_at_once_agree(library: Path) -> None:
    legacy = _legacy_file(library)
    first, second = open_user_data(library), open_user_data(library)
    assert first.tags.entries() == second.tags.entries() == legacy.entries()


def test_a_json_file_given_explicitly_is_migrated_beside_it(tmp_path: Path) -> None:
    store = TagStore(tmp_path / "elsewhere" / "tags.json")
    store.add("hf-1", "x")
    data = open_user_data(tmp_path / "library", tmp_path / "elsewhere" / "tags.json")
    assert data.path == tmp_path / "elsewhere" / "userdata.sqlite3"
    assert data.tags.tags_of("hf-1") == ["x"]


# ------------------------------------------------------------------ damaged and newer files


@pytest.mark.parametrize(
    "content",
    [b"{ not a database", b"SQLite format 3\x00" + b"\xff" * 5000, b"\x00" * 4096],
    ids=["text", "torn-header", "zeros"],
)
def test_a_damaged_database_is_read_only_backed_up_and_never_written(
    library: Path, content: bytes
) -> None:
    path = library / "userdata.sqlite3"
    path.write_bytes(content)
    data = open_user_data(library)
    assert data.read_only
    assert data.problem is not None and "read-only" in data.problem
    backups = sorted(library.glob("userdata.sqlite3.bak-*"))
    assert len(backups) == 1 and backups[0].read_bytes() == content
    assert backups[0].name in data.problem
    assert data.tags.tags_of("hf-1") == [] and data.reading.read_ids() == set()
    for change in (
        lambda: data.tags.add("hf-1", "x"),
        lambda: data.reading.set_read(["hf-1"]),
        lambda: data.reading.set_note("hf-1", "text"),
    ):
        with pytest.raises(UserDataError, match="read-only"):
            change()
    data.close()
    assert path.read_bytes() == content
    open_user_data(library).close()  # a second look keeps one copy per content
    assert len(list(library.glob("userdata.sqlite3.bak-*"))) == 1


def test_a_database_damaged_inside_is_caught_by_the_check(library: Path) -> None:
    data = open_user_data(library)
    data.tags.add_many([(f"hf-{n}", [f"tag {n % 50}"], "x" * 200) for n in range(3000)])
    data.close()
    path = library / "userdata.sqlite3"
    raw = bytearray(path.read_bytes())
    page = 4096
    for offset in range(2 * page, len(raw) - page, 3 * page):
        raw[offset + 8 : offset + 400] = b"\x07" * 392
    path.write_bytes(bytes(raw))
    damaged = open_user_data(library)
    assert damaged.read_only and "damaged" in (damaged.problem or "")
    assert list(library.glob("userdata.sqlite3.bak-*"))


def test_a_database_from_a_newer_version_is_read_but_never_written(library: Path) -> None:
    data = open_user_data(library)
    data.tags.add("hf-1", "kept")
    data.close()
    with sqlite3.connect(library / "userdata.sqlite3") as connection:
        connection.execute(f"PRAGMA user_version={SCHEMA_VERSION + 1}")
    newer = open_user_data(library)
    assert newer.read_only and "newer paper-browser" in (newer.problem or "")
    assert newer.tags.tags_of("hf-1") == ["kept"]
    assert not list(library.glob("userdata.sqlite3.bak-*"))
    with pytest.raises(UserDataError):
        newer.tags.add("hf-1", "x")


# ------------------------------------------------------------------ reading state


def test_read_marks_notes_and_state_filters(data: UserData) -> None:
    reading = data.reading
    assert reading.set_read(["hf-1", "hf-2", "hf-1"]) == ["hf-1", "hf-2"]
    assert reading.set_read(["hf-2", "hf-3"]) == ["hf-3"]
    assert reading.set_read(["hf-2"], read=False) == ["hf-2"]
    assert reading.read_ids() == {"hf-1", "hf-3"}
    assert reading.set_note("hf-1", "Uses *RLHF*; see [x](http://a)\n", title="One")
    assert not reading.set_note("hf-1", "Uses *RLHF*; see [x](http://a)\n")
    reading.set_note("hf-2", "Nothing about it")
    assert reading.note_of("hf-1").startswith("Uses *RLHF*")
    assert reading.ids_where("note", "rlhf") == {"hf-1"}
    assert reading.ids_where("note", "about NOTHING") == {"hf-2"}
    assert reading.ids_where("noted", "") == {"hf-1", "hf-2"}
    assert reading.ids_where("read", "") == {"hf-1", "hf-3"}
    assert reading.set_note("hf-2", "   \n")  # blank deletes
    assert reading.noted_ids() == {"hf-1"}
    with pytest.raises(KeyError):
        reading.ids_where("starred", "")


def test_new_marks_are_replaced_by_the_next_sync_that_adds(data: UserData) -> None:
    data.reading.replace_new(["hf-1", "hf-2"])
    assert data.reading.ids_where("new", "") == {"hf-1", "hf-2"}
    assert data.reading.new_since() is not None
    data.reading.replace_new(["hf-3"])
    assert data.reading.new_ids() == {"hf-3"}


def test_saved_searches_round_trip_and_overwrite(data: UserData) -> None:
    search = SavedSearch("weekly", 'diffusion "policy"', "newest", {"required_tags": ["a:b"]})
    assert data.reading.save_search(search) is False
    assert data.reading.save_search(SavedSearch(" weekly ", "robots")) is True
    (only,) = data.reading.saved_searches()
    assert (only.name, only.query, only.sort) == ("weekly", "robots", "relevance")
    assert data.reading.delete_search("weekly") and data.reading.saved_searches() == []
    with pytest.raises(ValueError):
        data.reading.save_search(SavedSearch("  ", "x"))


def test_backup_writes_a_database_and_a_plain_text_twin(data: UserData, tmp_path: Path) -> None:
    data.tags.add("hf-1", "x", title="One")
    data.reading.set_note("hf-2", "a note")
    data.reading.set_read(["hf-1"])
    data.reading.save_search(SavedSearch("s", "q"))
    report = data.backup(tmp_path / "backups")
    copy = UserData(report.database)
    assert copy.tags.tags_of("hf-1") == ["x"] and copy.reading.note_of("hf-2") == "a note"
    lines = [json.loads(line) for line in report.text.read_text(encoding="utf-8").splitlines()]
    assert lines[0] == {"paper_id": "hf-1", "title": "One", "tags": ["x"], "read": True,
                        "new": False}  # fmt: skip
    assert lines[1] == {"paper_id": "hf-2", "note": "a note", "read": False, "new": False}
    assert lines[2]["saved_search"] == "s"


# ------------------------------------------------------------------ two copies, kills


def test_two_processes_tagging_at_once_keep_every_tag(tmp_path: Path) -> None:
    path = tmp_path / "userdata.sqlite3"
    go_file = tmp_path / "go"
    iterations, papers = 150, 7
    arguments = ["merge", str(path), "", str(iterations), str(papers), str(go_file)]
    children = []
    for prefix in ("left", "right"):
        arguments[2] = prefix
        children.append(
            subprocess.Popen(
                [sys.executable, str(CHILD), *arguments], env=child_env(), stderr=subprocess.PIPE
            )
        )
    go_file.touch()
    for child in children:
        _, errors = child.communicate(timeout=120)
        assert child.returncode == 0, errors.decode()
    tags = UserData(path).tags
    for prefix in ("left", "right"):
        for index in range(iterations):
            removed = index % 5 == 3
            assert (f"{prefix}-{index}" in tags.tags_of(f"hf-{index % papers}")) is not removed
    assert sum(tags.counts().values()) == 2 * (iterations - iterations // 5)


def _kill_after(command: list[str], delay: float) -> list[str]:
    child = subprocess.Popen(
        command, env=child_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    assert child.stdout is not None
    assert child.stdout.readline() == "ready\n", child.communicate()[1]
    if delay:
        time.sleep(delay)
    child.send_signal(signal.SIGKILL)
    output, _ = child.communicate(timeout=30)
    return output.split("\n")[:-1]  # a line cut short by the kill is not reported


def test_killing_writers_at_any_moment_never_loses_a_saved_change(tmp_path: Path) -> None:
    """Tags (add/remove) and notes + read marks, from two kinds of child, killed anywhere."""
    path = tmp_path / "userdata.sqlite3"
    seed = int.from_bytes(os.urandom(4), "big")
    chance = random.Random(seed)
    added: set[str] = set()
    removed: set[str] = set()
    uncertain: set[str] = set()
    noted: set[str] = set()
    read: set[str] = set()
    for iteration in range(int(os.environ.get("TAGS_KILL_ITERATIONS", "12"))):
        delay = chance.choice([0.0, chance.uniform(0, 0.005), chance.uniform(0, 0.08)])
        base = [sys.executable, str(CHILD)]
        for line in _kill_after([*base, "churn", str(path), f"k{iteration}", "40"], delay):
            sign, tag = line[0], line[1:]
            {"+": added, "?": uncertain, "-": removed}[sign].add(tag)
            if sign == "-":
                uncertain.discard(tag)
        for line in _kill_after([*base, "reading", str(path), f"hf-r{iteration}"], delay):
            kind, paper_id = line.split(" ", 1)
            (noted if kind == "note" else read).add(paper_id)
        data = UserData(path)
        context = f"seed {seed}, iteration {iteration}"
        assert not data.read_only, (context, data.problem)
        on_disk = {tag for entry in data.tags.entries() for tag in entry.tags}
        assert not (added - removed - uncertain - on_disk), context
        assert not (removed & on_disk), context
        assert noted <= data.reading.noted_ids(), context
        assert read <= data.reading.read_ids(), context
        for paper_id in noted:
            assert data.reading.note_of(paper_id).startswith(f"note of {paper_id}\n"), context
        data.close()
    assert added and noted, "the children never got to save anything"
