"""The tag store: names, undo, the file format, damaged files, failed saves, concurrency."""

from __future__ import annotations

import datetime as dt
import errno
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from browser.tags import MAX_TAG_LENGTH, TagEntry, TagError, TagStore, clean_tag

ROOT = Path(__file__).resolve().parent.parent
CHILD = Path(__file__).resolve().parent / "tag_writer_child.py"
FIXED = dt.datetime(2026, 11, 23, 10, 0, 0, tzinfo=dt.UTC)


def fixed_clock() -> dt.datetime:
    return FIXED


@pytest.fixture
def tags_path(tmp_path: Path) -> Path:
    return tmp_path / "library" / "tags.json"


@pytest.fixture
def store(tags_path: Path) -> TagStore:
    return TagStore(tags_path, clock=fixed_clock)


def child_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return env


def backups(path: Path) -> list[Path]:
    return sorted(path.parent.glob(path.name + ".bak-*"))


# ------------------------------------------------------------------ names


@pytest.mark.parametrize(
    ("name", "complaint"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("a,b", "comma"),
        ("a;b", "semicolon"),
        ("a\nb", "line"),
        ("a\rb", "line"),
        ("a\u2028b", "line"),
        ("a\tb", "control character U+0009"),
        ("a\x1b[31mb", "control character U+001B"),
        ("a\x7fb", "control character U+007F"),
        ("evil\u202etxt", "text-direction"),
        ("x" * (MAX_TAG_LENGTH + 1), "at most 64"),
    ],
)
def test_clean_tag_rejects_with_a_clear_message(name: str, complaint: str) -> None:
    with pytest.raises(TagError, match=complaint.replace("+", r"\+")):
        clean_tag(name)


@pytest.mark.parametrize(
    ("name", "stored"),
    [
        ("  to read ", "to read"),
        ("to   read", "to read"),
        ("x" * MAX_TAG_LENGTH, "x" * MAX_TAG_LENGTH),
        ("C++ & [rust]", "C++ & [rust]"),
        ("café", "café"),
        ("cafe\u0301", "café"),  # decomposed accent: the same tag as the composed one
        ("-draft", "-draft"),
    ],
)
def test_clean_tag_trims_and_keeps_the_rest(name: str, stored: str) -> None:
    assert clean_tag(name) == stored


def test_invalid_name_changes_nothing(store: TagStore, tags_path: Path) -> None:
    with pytest.raises(TagError):
        store.add("hf-1", "a,b")
    assert not tags_path.exists()
    assert not store.can_undo


def test_tags_match_case_insensitively_and_keep_the_first_spelling(store: TagStore) -> None:
    assert store.add("hf-1", "To Read")
    assert store.add("hf-2", "to read")
    assert not store.add("hf-1", "TO  READ ")
    assert store.tags_of("hf-2") == ["To Read"]
    assert store.ids_with_tag("  to READ") == {"hf-1", "hf-2"}
    assert store.counts() == {"To Read": 2}
    assert store.known_tags() == ["To Read"]
    assert store.remove("hf-1", "to read")
    assert store.tags_of("hf-1") == []


def test_lookups(store: TagStore) -> None:
    store.add("hf-1", "b")
    store.add("hf-1", "A")
    store.add("hf-2", "b")
    assert store.tags_of("hf-1") == ["b", "A"]  # order of tagging is kept
    assert store.tags_of("hf-unknown") == []
    assert store.tagged_ids() == {"hf-1", "hf-2"}
    assert store.counts() == {"A": 1, "b": 2}
    assert store.known_tags() == ["A", "b"]
    assert store.ids_with_tag("nothing") == set()
    assert store.ids_with_tag("bad,name") == set()  # lookups never raise


def test_toggle_returns_the_new_state(store: TagStore) -> None:
    assert store.toggle("hf-1", "x", title="One") is True
    assert store.tags_of("hf-1") == ["x"]
    assert store.toggle("hf-1", "X") is False
    assert store.tags_of("hf-1") == []
    assert store.tagged_ids() == set()


# ------------------------------------------------------------------ file


def test_round_trip(store: TagStore, tags_path: Path) -> None:
    store.add("hf-1", "to read", title='A "quoted", [bracketed] title — naïve')
    store.add("hf-1", "rlhf")
    store.add("hf-2", "Rlhf", title="Two")
    again = TagStore(tags_path)
    assert again.entries() == [
        TagEntry(
            "hf-1",
            'A "quoted", [bracketed] title — naïve',
            ("to read", "rlhf"),
            "2026-11-23T10:00:00Z",
        ),
        TagEntry("hf-2", "Two", ("rlhf",), "2026-11-23T10:00:00Z"),
    ]
    assert not again.read_only
    assert again.problem is None


def test_file_is_versioned_sorted_indented_and_stable(tmp_path: Path) -> None:
    first = TagStore(tmp_path / "a" / "tags.json", clock=fixed_clock)
    second = TagStore(tmp_path / "b" / "tags.json", clock=fixed_clock)
    first.add("hf-2", "z", title="Zed")
    first.add("hf-1", "y", title="Why")
    # The same state reached another way must give the same bytes.
    second.add("hf-1", "y", title="Why")
    second.add("hf-2", "temporary")
    second.add("hf-2", "z", title="Zed")
    second.remove("hf-2", "temporary")
    text = (tmp_path / "a" / "tags.json").read_text(encoding="utf-8")
    assert (tmp_path / "b" / "tags.json").read_text(encoding="utf-8") == text
    document = json.loads(text)
    assert document["version"] == 1
    assert document["papers"]["hf-1"] == {
        "changed": "2026-11-23T10:00:00Z",
        "tags": ["y"],
        "title": "Why",
    }
    assert text == json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    # Saving the unchanged state again does not change a byte.
    first.add("hf-1", "extra")
    first.remove("hf-1", "extra")
    assert (tmp_path / "a" / "tags.json").read_text(encoding="utf-8") == text


def test_file_bytes_are_exactly_what_json_dumps_writes(tags_path: Path) -> None:
    awkward = 'quote " backslash \\ newline \n tab \t bell \x07 sep \u2028 emoji 🧪 東京'
    tags_path.parent.mkdir(parents=True)
    tags_path.write_text(
        json.dumps(
            {
                "version": 1,
                "a-note": {"nested": [1, 2.5, None, True, {"z": [], "a": {}}]},
                "papers": {
                    "hf-2": {"tags": ["x"], "title": awkward, "zz": []},
                    "hf-1": {"tags": ["é", "[y]"], "title": "", "changed": "", "aa": {"k": 1}},
                },
            }
        ),
        encoding="utf-8",
    )
    store = TagStore(tags_path, clock=fixed_clock)
    store.add("hf-3", "new", title=awkward)
    text = tags_path.read_text(encoding="utf-8")
    document = json.loads(text)
    assert document["papers"]["hf-2"]["title"] == awkward
    assert text == json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def test_symlinked_file_stays_a_symlink(tmp_path: Path) -> None:
    real = tmp_path / "notes" / "my-tags.json"
    real.parent.mkdir()
    link = tmp_path / "library" / "tags.json"
    link.parent.mkdir()
    link.symlink_to(real)
    store = TagStore(link)
    store.add("hf-1", "x")
    assert link.is_symlink()
    assert TagStore(real).tags_of("hf-1") == ["x"]


def test_missing_file_is_an_empty_store_created_on_first_write(tags_path: Path) -> None:
    store = TagStore(tags_path)
    assert store.entries() == [] and not store.read_only
    assert not tags_path.parent.exists()
    store.add("hf-1", "x")
    assert json.loads(tags_path.read_text())["papers"]["hf-1"]["tags"] == ["x"]
    changed = json.loads(tags_path.read_text())["papers"]["hf-1"]["changed"]
    assert dt.datetime.fromisoformat(changed).tzinfo is not None


def test_paper_without_tags_leaves_the_file(store: TagStore, tags_path: Path) -> None:
    store.add("hf-1", "x", title="One")
    store.remove("hf-1", "x")
    assert json.loads(tags_path.read_text())["papers"] == {}
    assert store.entries() == []


def test_unknown_keys_are_carried_through(tags_path: Path) -> None:
    tags_path.parent.mkdir(parents=True)
    tags_path.write_text(
        json.dumps(
            {
                "version": 1,
                "note": "kept",
                "papers": {"hf-1": {"tags": ["x"], "title": "One", "stars": 3}},
            }
        )
    )
    store = TagStore(tags_path)
    store.add("hf-1", "y")
    document = json.loads(tags_path.read_text())
    assert document["note"] == "kept"
    assert document["papers"]["hf-1"]["stars"] == 3
    assert document["papers"]["hf-1"]["tags"] == ["x", "y"]


def test_title_is_kept_and_updated(store: TagStore) -> None:
    store.add("hf-1", "x", title="Old title")
    store.add("hf-1", "y")
    assert store.title_of("hf-1") == "Old title"
    store.add("hf-1", "z", title="New title")
    assert store.entries()[0].title == "New title"


# ------------------------------------------------------------------ undo


def test_undo_of_nothing(store: TagStore) -> None:
    assert store.undo() is None


def test_undo_single(store: TagStore) -> None:
    store.add("hf-1", "to read", title="Paper One")
    assert store.undo() == "removed 'to read' from Paper One"
    assert store.tags_of("hf-1") == []
    assert store.undo() is None


def test_undo_several_in_reverse_order(store: TagStore, tags_path: Path) -> None:
    store.add("hf-1", "A", title="One")
    store.add("hf-1", "b")
    store.remove("hf-1", "a")
    store.toggle("hf-2", "c", title="Two")
    assert not store.add("hf-1", "B")  # no change: nothing to undo
    assert store.undo() == "removed 'c' from Two"
    assert store.undo() == "put 'A' back on One"
    assert store.tags_of("hf-1") == ["b", "A"]
    assert store.title_of("hf-1") == "One"
    assert store.undo() == "removed 'b' from One"
    assert store.undo() == "removed 'A' from One"
    assert store.undo() is None
    assert TagStore(tags_path).entries() == []


def test_undo_of_set_tags_and_batches(store: TagStore) -> None:
    store.add("hf-1", "x", title="One")
    assert store.set_tags("hf-1", ["y", "Z", "z"])
    assert store.tags_of("hf-1") == ["y", "Z"]
    assert not store.set_tags("hf-1", ["y", "z"])
    assert store.set_many([("hf-2", ["q"], "Two"), ("hf-3", ["q"], "Three")]) == 2
    assert store.undo() == "restored the tags of 2 papers"
    assert store.tagged_ids() == {"hf-1"}
    assert store.undo() == "restored the tags of One"
    assert store.tags_of("hf-1") == ["x"]


def test_add_many_keeps_existing_tags_and_undoes_in_one_step(store: TagStore) -> None:
    store.add("hf-1", "old", title="One")
    added = store.add_many([("hf-1", ["OLD", "new"], ""), ("hf-2", ["a", "b"], "Two")])
    assert added == 3
    assert store.tags_of("hf-1") == ["old", "new"]
    assert store.title_of("hf-2") == "Two"
    with pytest.raises(TagError):
        store.add_many([("hf-3", ["fine"], ""), ("hf-3", ["not;fine"], "")])
    assert "hf-3" not in store.tagged_ids()
    assert store.undo() == "removed 3 added tags from 2 papers"
    assert {e.paper_id: e.tags for e in store.entries()} == {"hf-1": ("old",)}


def test_undo_merges_with_other_writers(tags_path: Path) -> None:
    mine = TagStore(tags_path)
    theirs = TagStore(tags_path)
    mine.add("hf-1", "mine")
    theirs.add("hf-1", "theirs")
    assert mine.undo() == "removed 'mine' from hf-1"
    assert TagStore(tags_path).tags_of("hf-1") == ["theirs"]


# ------------------------------------------------------------------ merging


def test_two_stores_merge_instead_of_overwriting(tags_path: Path) -> None:
    first = TagStore(tags_path)
    second = TagStore(tags_path)
    first.add("hf-1", "x")
    first.add("hf-1", "gone")
    second.add("hf-2", "y")  # second never saw first's tags
    second.remove("hf-1", "gone")  # removal is an operation on what is on disk
    first.add("hf-3", "z")  # first has not seen the removal
    final = TagStore(tags_path)
    assert {entry.paper_id: entry.tags for entry in final.entries()} == {
        "hf-1": ("x",),
        "hf-2": ("y",),
        "hf-3": ("z",),
    }
    assert first.tags_of("hf-1") == ["x"]  # a write shows what the disk holds


def test_reload_picks_up_other_changes(tags_path: Path) -> None:
    reader = TagStore(tags_path)
    writer = TagStore(tags_path)
    assert not reader.reload()
    writer.add("hf-1", "x")
    assert reader.reload()
    assert reader.tags_of("hf-1") == ["x"]
    assert not reader.reload()


def test_spelling_of_a_tag_follows_the_file(tags_path: Path) -> None:
    first = TagStore(tags_path)
    second = TagStore(tags_path)
    first.add("hf-1", "To Read")
    second.add("hf-2", "to read")  # second had not seen "To Read" yet
    assert second.counts() == {"To Read": 2}


# ------------------------------------------------------------------ damaged files


@pytest.mark.parametrize(
    ("content", "complaint"),
    [
        (b'{"version": 1, "papers": {', "not valid JSON"),
        (b"\xff\xfe garbage", "not UTF-8"),
        (b"[]", "JSON object"),
        (b'{"papers": {}}', "version"),
        (b'{"version": 1, "papers": []}', "papers"),
        (b'{"version": 1, "papers": {"hf-1": {"tags": "x"}}}', "tags should be a list"),
        (b'{"version": 1, "papers": {"hf-1": {"tags": ["a,b"]}}}', "comma"),
        (b'{"version": 7, "papers": {}}', "newer paper-browser"),
    ],
)
def test_damaged_file_makes_the_store_read_only_and_is_never_touched(
    tags_path: Path, content: bytes, complaint: str
) -> None:
    tags_path.parent.mkdir(parents=True)
    tags_path.write_bytes(content)
    store = TagStore(tags_path)
    assert store.read_only
    assert store.problem is not None
    assert str(tags_path) in store.problem
    assert complaint in store.problem
    [backup] = backups(tags_path)
    assert backup.read_bytes() == content
    assert backup.name in store.problem
    with pytest.raises(TagError, match="read-only because"):
        store.add("hf-1", "x")
    with pytest.raises(TagError, match="read-only"):
        store.set_tags("hf-1", ["x"])
    assert tags_path.read_bytes() == content
    # Opening the same damaged file again does not pile up copies.
    assert TagStore(tags_path).read_only
    assert len(backups(tags_path)) == 1


def test_repaired_file_is_picked_up_by_reload(tags_path: Path) -> None:
    tags_path.parent.mkdir(parents=True)
    tags_path.write_text("{oops")
    store = TagStore(tags_path)
    assert store.read_only
    tags_path.write_text('{"version": 1, "papers": {"hf-1": {"tags": ["x"]}}}')
    assert store.reload()
    assert not store.read_only and store.problem is None
    assert store.add("hf-1", "y")


def test_file_damaged_during_the_session_is_not_overwritten(
    store: TagStore, tags_path: Path
) -> None:
    store.add("hf-1", "x")
    tags_path.write_text("{ half written by hand")
    with pytest.raises(TagError, match="read-only because"):
        store.add("hf-1", "y")
    assert store.read_only
    assert tags_path.read_text() == "{ half written by hand"
    assert len(backups(tags_path)) == 1


def test_unreadable_file_makes_the_store_read_only(
    tags_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tags_path.parent.mkdir(parents=True)
    tags_path.write_text('{"version": 1, "papers": {}}')
    real_read_bytes = Path.read_bytes

    def denied(self: Path) -> bytes:
        if self == tags_path:
            raise PermissionError(errno.EACCES, "Permission denied", str(self))
        return real_read_bytes(self)

    # The tests may run as root, for whom chmod does not deny anything.
    monkeypatch.setattr(Path, "read_bytes", denied)
    store = TagStore(tags_path)
    assert store.read_only
    assert store.problem is not None
    assert str(tags_path) in store.problem and "permission denied" in store.problem
    with pytest.raises(TagError, match="read-only"):
        store.add("hf-1", "x")


# ------------------------------------------------------------------ failed saves


def no_temporaries(path: Path) -> bool:
    return not list(path.parent.glob(".*.tmp"))


@pytest.mark.parametrize(
    ("target", "error", "complaint"),
    [
        ("fsync", OSError(errno.ENOSPC, "No space left on device"), "disk is full"),
        ("replace", PermissionError(errno.EACCES, "Permission denied"), "permission denied"),
        ("mkstemp", OSError(errno.EROFS, "Read-only file system"), "read-only file system"),
    ],
)
def test_failed_save_keeps_the_old_file_and_rolls_back(
    store: TagStore,
    tags_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    target: str,
    error: OSError,
    complaint: str,
) -> None:
    store.add("hf-1", "kept", title="One")
    before = tags_path.read_bytes()

    def fail(*args: object, **kwargs: object) -> None:
        raise error

    if target == "mkstemp":
        monkeypatch.setattr(tempfile, "mkstemp", fail)
    else:
        monkeypatch.setattr(os, target, fail)
    with pytest.raises(TagError, match=complaint) as raised:
        store.add("hf-1", "lost")
    assert str(tags_path) in str(raised.value)
    assert "not saved" in str(raised.value)
    monkeypatch.undo()
    assert tags_path.read_bytes() == before
    assert no_temporaries(tags_path)
    assert store.tags_of("hf-1") == ["kept"]
    assert store.undo() == "removed 'kept' from One"  # the failed change left no undo step
    assert not store.read_only


def test_failed_undo_stays_on_the_stack(
    store: TagStore, tags_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store.add("hf-1", "x")

    def full(*args: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(TagError):
        store.undo()
    monkeypatch.undo()
    assert store.tags_of("hf-1") == ["x"]
    assert store.undo() == "removed 'x' from hf-1"


def test_folder_that_is_a_file(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the library folder should be")
    store = TagStore(blocker / "tags.json")
    assert store.read_only
    assert store.problem is not None and str(blocker) in store.problem


def test_folder_where_no_lock_can_be_made(
    store: TagStore, tags_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_open = Path.open

    def denied(self: Path, *args: object, **kwargs: object) -> object:
        if self.name.endswith(".lock"):
            raise PermissionError(errno.EACCES, "Permission denied", str(self))
        return real_open(self, *args, **kwargs)  # type: ignore[call-overload]

    monkeypatch.setattr(Path, "open", denied)
    with pytest.raises(TagError, match=r"cannot save tags in .*permission denied"):
        store.add("hf-1", "x")
    assert not tags_path.exists()
    assert store.tags_of("hf-1") == []


def test_leftover_temporary_files_are_cleaned_up(store: TagStore, tags_path: Path) -> None:
    tags_path.parent.mkdir(parents=True)
    leftover = tags_path.parent / ".tags.json.abc123.tmp"
    leftover.write_text('{"version": 1, "pap')
    store.add("hf-1", "x")
    assert not leftover.exists()


# ------------------------------------------------------------------ processes


def test_two_processes_tagging_at_once_keep_every_tag(tmp_path: Path) -> None:
    path = tmp_path / "tags.json"
    go_file = tmp_path / "go"
    iterations, papers = 200, 7
    children = [
        subprocess.Popen(
            [
                sys.executable,
                str(CHILD),
                "merge",
                str(path),
                prefix,
                str(iterations),
                str(papers),
                str(go_file),
            ],
            env=child_env(),
            stderr=subprocess.PIPE,
        )
        for prefix in ("left", "right")
    ]
    go_file.touch()
    for child in children:
        _, errors = child.communicate(timeout=120)
        assert child.returncode == 0, errors.decode()
    store = TagStore(path)
    assert not store.read_only
    for prefix in ("left", "right"):
        for index in range(iterations):
            removed = index % 5 == 3
            tags = store.tags_of(f"hf-{index % papers}")
            assert (f"{prefix}-{index}" in tags) is not removed, (prefix, index)
    expected = 2 * (iterations - iterations // 5)
    assert sum(store.counts().values()) == expected


def kill_iterations() -> int:
    # A longer soak: TAGS_KILL_ITERATIONS=1000 pytest tests/test_tags.py -k kill
    return int(os.environ.get("TAGS_KILL_ITERATIONS", "30"))


def test_killing_a_writer_at_any_moment_never_loses_a_saved_tag(tmp_path: Path) -> None:
    path = tmp_path / "tags.json"
    seed = int.from_bytes(os.urandom(4), "big")
    chance = random.Random(seed)
    added: set[str] = set()
    removed: set[str] = set()
    uncertain: set[str] = set()  # a removal was under way when the child died
    papers = 40
    for iteration in range(kill_iterations()):
        child = subprocess.Popen(
            [sys.executable, str(CHILD), "churn", str(path), f"k{iteration}", str(papers)],
            env=child_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert child.stdout is not None
        first = child.stdout.readline()
        assert first == "ready\n", child.communicate()[1]
        # Die anywhere: right away, mid-save, or after some dozens of saves.
        delay = chance.choice([0.0, chance.uniform(0, 0.005), chance.uniform(0, 0.06)])
        if delay:
            time.sleep(delay)
        child.send_signal(signal.SIGKILL)
        output, _ = child.communicate(timeout=30)
        assert child.returncode == -signal.SIGKILL
        lines = output.split("\n")[:-1]  # a line cut short by the kill is not reported
        for line in lines:
            sign, tag = line[0], line[1:]
            if sign == "+":
                added.add(tag)
            elif sign == "?":
                uncertain.add(tag)
            elif sign == "-":
                removed.add(tag)
                uncertain.discard(tag)

        context = f"seed {seed}, iteration {iteration}"
        if path.exists():
            json.loads(path.read_text(encoding="utf-8"))  # always complete JSON
        store = TagStore(path)
        assert not store.read_only, (context, store.problem)
        on_disk = {tag for entry in store.entries() for tag in entry.tags}
        missing = added - removed - uncertain - on_disk
        assert not missing, (context, sorted(missing))
        resurrected = removed & on_disk
        assert not resurrected, (context, sorted(resurrected))
    assert added, "the children never got to save anything"
