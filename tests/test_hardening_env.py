"""Issue 6, part 5: a hostile environment: read-only library, full disk, no $HOME,
a 40x12 terminal, NO_COLOR and TERM=dumb. Each gives a clear message or a degraded
but working app; never a traceback, never a truncated tags file.

The read-only and full-disk cases use a real tmpfs (remounted read-only, or filled
up) when the test may mount one (root in a container usually may); the tags file's
full-disk case is also simulated by patching, so it runs everywhere.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import dump_text
from hardening import (
    Tmux,
    app_command,
    assert_no_traceback,
    good_papers,
    run_command,
    tagged_on_disk,
    wait_until,
)

from browser.cli import main

# ---------------------------------------------------------------- a small real file system


@pytest.fixture
def tmpfs(tmp_path: Path) -> Iterator[Path]:
    mount_point = tmp_path / "mnt"
    mount_point.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", str(mount_point)],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], capture_output=True)


def _indexed_library(root: Path, dumps: Path) -> tuple[Path, str, bytes]:
    """A library in ``root`` with one tagged paper: (library, paper id, its saved tags)."""
    dumps.mkdir(parents=True, exist_ok=True)
    (dumps / "page.txt").write_text(dump_text(good_papers("env", 5)), encoding="utf-8")
    library = root / "library"
    done = run_command("index", str(dumps), library=library)
    assert done.returncode == 0, done.stderr
    listed = run_command("search", "", "--json", "--limit", "1", library=library)
    paper_id = json.loads(listed.stdout)["hits"][0]["id"]
    assert run_command("tag", paper_id, "keep me", library=library).returncode == 0
    return library, paper_id, tagged_on_disk(library)


def _remount(mount_point: Path, mode: str) -> None:
    subprocess.run(["mount", "-o", f"remount,{mode}", str(mount_point)], check=True)


def test_read_only_library_folder_says_so_and_keeps_the_tags(tmpfs: Path, tmp_path: Path) -> None:
    library, paper_id, tags_before = _indexed_library(tmpfs, tmp_path / "dumps")
    _remount(tmpfs, "ro")
    try:
        for arguments in (
            ["search", "env"],
            ["tag", paper_id, "new"],
            ["index", str(tmp_path / "dumps")],
            ["export"],
            ["tags"],
            [],  # the app: must stop with the message before taking over the terminal
        ):
            done = run_command(*arguments, library=library, timeout=60)
            assert_no_traceback(done.stdout, done.stderr)
            assert done.returncode == 1, (arguments, done.stderr)
            assert "read-only" in done.stderr.lower(), (arguments, done.stderr)
            assert "unexpected error" not in done.stderr, (arguments, done.stderr)
        assert tagged_on_disk(library) == tags_before
    finally:
        _remount(tmpfs, "rw")
    # Nothing was set aside as "broken" while it could not be opened.
    assert not list(library.glob("*.broken-*"))
    assert run_command("search", "env", library=library).returncode == 0


def test_full_disk_gives_clear_messages_and_never_truncates_the_tags(
    tmpfs: Path, tmp_path: Path
) -> None:
    library, paper_id, tags_before = _indexed_library(tmpfs, tmp_path / "dumps")
    more = tmp_path / "dumps" / "more.txt"
    more.write_text(dump_text(good_papers("more", 400)), encoding="utf-8")
    filler = tmpfs / "filler"
    with filler.open("wb", buffering=0) as out:  # unbuffered: closing has nothing to flush
        try:
            while True:
                out.write(b"\0" * 65536)
                out.flush()
        except OSError as error:
            assert error.errno == errno.ENOSPC
    try:
        for arguments in (
            ["tag", paper_id, "one more"],
            ["index", str(tmp_path / "dumps")],
            ["export", "--output", str(tmpfs / "out.csv")],
        ):
            done = run_command(*arguments, library=library, timeout=120)
            assert_no_traceback(done.stdout, done.stderr)
            assert done.returncode == 1, (arguments, done.stdout, done.stderr)
            assert "space" in done.stderr.lower(), (arguments, done.stderr)
            assert "unexpected error" not in done.stderr, (arguments, done.stderr)
            assert tagged_on_disk(library) == tags_before
        assert not list(library.glob("*.broken-*")), "a good catalog was set aside"
        assert not list(library.glob(".tags.json.*.tmp"))
    finally:
        filler.unlink()
    # Space again: everything works and nothing was lost.
    done = run_command("index", str(tmp_path / "dumps"), library=library, timeout=120)
    assert done.returncode == 0, done.stderr
    assert run_command("tag", paper_id, "one more", library=library).returncode == 0
    assert tagged_on_disk(library)[paper_id] == {"keep me", "one more"}
    listed = run_command("search", "", "--json", "--limit", "1000", library=library)
    assert len(json.loads(listed.stdout)["hits"]) == 405


def test_disk_full_while_saving_tags_keeps_the_old_file_whole(
    tmp_path: Path,
    library_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Simulated: SQLite reports a full disk (SQLITE_FULL) in the middle of the transaction,
    after the paper's old tag rows were deleted; the whole change must roll back."""
    library, paper_id, tags_before = _indexed_library(tmp_path, tmp_path / "dumps")
    monkeypatch.setenv("PAPER_BROWSER_HOME", str(library))
    from browser.userdata import tags as user_tags

    real_store = user_tags.store_tagged

    def no_space(db: sqlite3.Connection, *args: object) -> None:
        real_store(db, *args)  # type: ignore[arg-type]
        error = sqlite3.OperationalError("database or disk is full")
        error.sqlite_errorcode = sqlite3.SQLITE_FULL  # type: ignore[attr-defined]
        raise error

    monkeypatch.setattr(user_tags, "store_tagged", no_space)
    status = main(["tag", paper_id, "lost"])
    out, err = capsys.readouterr()
    assert status == 1
    assert "disk is full" in err and "not saved" in err
    assert_no_traceback(out, err)
    assert tagged_on_disk(library) == tags_before
    assert not list(library.glob(".tags.json.*.tmp"))
    monkeypatch.undo()
    assert main(["tag", "--library", str(library), paper_id, "saved"]) == 0
    assert tagged_on_disk(library)[paper_id] == {"keep me", "saved"}


# ---------------------------------------------------------------- no $HOME, no XDG


def _without_home(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("XDG_") or name in ("HOME", "PAPER_BROWSER_HOME"):
            monkeypatch.delenv(name)


def test_no_home_and_no_passwd_entry_asks_for_a_library_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import pwd

    _without_home(monkeypatch)
    monkeypatch.setenv("PAPER_BROWSER_CONFIG", str(tmp_path / "no-config.toml"))

    def no_such_user(uid: int) -> pwd.struct_passwd:
        raise KeyError(f"getpwuid(): uid not found: {uid}")

    # A container user with a random uid has no passwd entry: "~" cannot be expanded.
    monkeypatch.setattr(pwd, "getpwuid", no_such_user)
    monkeypatch.chdir(tmp_path)
    status = main(["search", "anything"])
    out, err = capsys.readouterr()
    assert status == 1
    assert "PAPER_BROWSER_HOME" in err and "--library" in err
    assert_no_traceback(out, err)
    assert not (tmp_path / "~").exists(), "a library was created in a folder named '~'"


def test_no_home_and_no_xdg_variables_work_with_an_explicit_library(tmp_path: Path) -> None:
    dumps = tmp_path / "dumps"
    dumps.mkdir()
    (dumps / "page.txt").write_text(dump_text(good_papers("nohome", 3)), encoding="utf-8")
    environment = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith("XDG_") and name not in ("HOME", "PAPER_BROWSER_HOME")
    }
    environment["PAPER_BROWSER_HOME"] = str(tmp_path / "library")
    for arguments in (["index", str(dumps)], ["search", "nohome"], ["tags"], ["export"]):
        done = subprocess.run(
            [str(Path(sys.executable).parent / "paper-browser"), *arguments],
            capture_output=True,
            text=True,
            env=environment,
            cwd=tmp_path,
            timeout=120,
        )
        assert done.returncode == 0, (arguments, done.stderr)
        assert_no_traceback(done.stdout, done.stderr)


# ---------------------------------------------------------------- the real app in odd terminals


@pytest.mark.slow
@pytest.mark.parametrize(
    ("size", "settings"),
    [
        ((40, 12), {}),
        ((80, 24), {"NO_COLOR": "1"}),
        ((80, 24), {"TERM": "dumb"}),
        ((40, 12), {"NO_COLOR": "1", "TERM": "dumb"}),
    ],
    ids=["40x12", "NO_COLOR", "TERM=dumb", "all-three"],
)
def test_the_real_app_works_in_small_colourless_and_dumb_terminals(
    tmp_path: Path, size: tuple[int, int], settings: dict[str, str]
) -> None:
    if shutil.which("tmux") is None:
        pytest.skip("tmux is not installed")
    dumps = tmp_path / "dumps"
    dumps.mkdir()
    (dumps / "page.txt").write_text(dump_text(good_papers("term", 6)), encoding="utf-8")
    library = tmp_path / "library"
    assert run_command("index", str(dumps), library=library).returncode == 0
    term = settings.pop("TERM", "xterm-256color")
    command = app_command(library, term=term, **settings)
    tmux = Tmux(f"pb-term-{uuid.uuid4().hex[:8]}", command, width=size[0], height=size[1])
    try:
        wait_until(lambda: "term" in tmux.screen(), 60, "the first results", tmux.screen)
        tmux.keys("term paper 3", literal=True)
        wait_until(lambda: "term paper 3" in tmux.screen(), 30, "the typed query", tmux.screen)
        time.sleep(1.0)  # the as-you-type search settles
        tmux.keys("Escape")
        time.sleep(0.5)  # else ESC and "1" arrive together and read as alt+1
        tmux.keys("1")
        wait_until(lambda: tagged_on_disk(library) != {}, 20, "a saved tag", tmux.screen)
        tmux.keys("q")
        wait_until(
            lambda: (
                tmux.run("display-message", "-p", "-t", tmux.name, "#{pane_dead}").strip()
                in ("1", "")
            ),
            20,
            "the app to quit",
            tmux.screen,
        )
        screen = tmux.screen()
        status = tmux.run("display-message", "-p", "-t", tmux.name, "#{pane_dead_status}")
    finally:
        tmux.close()
    assert_no_traceback(screen)
    assert status.strip() in ("0", ""), screen
    assert list(tagged_on_disk(library).values()) == [{"to read"}]
