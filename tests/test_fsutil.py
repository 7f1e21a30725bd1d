"""The file-system primitives: atomic, durable replacement and a lock that can give up."""

from __future__ import annotations

import errno
import os
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from browser import fsutil
from browser.fsutil import (
    LockTimeout,
    atomic_write,
    atomic_writer,
    file_lock,
    remove_stale_temporaries,
)


def temporaries(folder: Path) -> list[Path]:
    return sorted(folder.glob(".*.tmp"))


def test_atomic_write_replaces_the_whole_file(tmp_path: Path) -> None:
    target = tmp_path / "data.json"
    target.write_text("old content that is longer than the new one", encoding="utf-8")
    atomic_write(target, b"new")
    assert target.read_bytes() == b"new"
    atomic_write(target, "caf\u00e9\r\n")
    assert target.read_bytes() == "caf\u00e9\r\n".encode()  # text is written as given
    assert temporaries(tmp_path) == []


def test_the_file_and_then_its_folder_are_fsynced(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    synced: list[tuple[str, bool]] = []
    real_fsync = os.fsync

    def recording_fsync(descriptor: int) -> None:
        mode = os.fstat(descriptor).st_mode
        synced.append(("dir" if stat.S_ISDIR(mode) else "file", True))
        real_fsync(descriptor)

    monkeypatch.setattr(os, "fsync", recording_fsync)
    replaced: list[int] = []
    real_replace = os.replace

    def recording_replace(source: object, destination: object) -> None:
        replaced.append(len(synced))
        real_replace(source, destination)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "replace", recording_replace)
    atomic_write(tmp_path / "a.txt", b"x")
    # The data is on disk before the rename, and the rename is on disk after it.
    assert synced == [("file", True), ("dir", True)]
    assert replaced == [1]


@pytest.mark.parametrize("failing", ["fsync", "replace"])
def test_a_failed_write_leaves_the_old_file_and_no_temporary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, failing: str
) -> None:
    target = tmp_path / "tags.json"
    target.write_bytes(b"precious")

    def fail(*args: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, failing, fail)
    with pytest.raises(OSError, match="No space"):
        atomic_write(target, b"half")
    assert target.read_bytes() == b"precious"
    assert temporaries(tmp_path) == []


def test_an_error_inside_the_block_replaces_nothing(tmp_path: Path) -> None:
    target = tmp_path / "export.csv"
    target.write_text("a,b\n", encoding="utf-8")
    with pytest.raises(RuntimeError), atomic_writer(target, "w", newline="") as out:
        out.write("partial")
        raise RuntimeError("the writer failed half way")
    assert target.read_text(encoding="utf-8") == "a,b\n"
    assert temporaries(tmp_path) == []


def test_permissions_of_an_existing_file_are_kept_and_a_new_one_follows_the_umask(
    tmp_path: Path,
) -> None:
    kept = tmp_path / "private.json"
    kept.write_bytes(b"{}")
    kept.chmod(0o600)
    atomic_write(kept, b"{1}")
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    fresh = tmp_path / "fresh.csv"
    atomic_write(fresh, b"x")
    # Not mkstemp's 0600: an export is a file like any the user makes.
    assert stat.S_IMODE(fresh.stat().st_mode) == fsutil._NEW_FILE_MODE
    umask = os.umask(0)
    os.umask(umask)
    assert 0o666 & ~umask == fsutil._NEW_FILE_MODE


def test_a_symlink_stays_a_link_and_its_target_is_replaced(tmp_path: Path) -> None:
    real = tmp_path / "notes" / "tags.json"
    real.parent.mkdir()
    real.write_bytes(b"old")
    link = tmp_path / "tags.json"
    link.symlink_to(real)
    atomic_write(link, b"new")
    assert link.is_symlink()
    assert real.read_bytes() == b"new"


def test_stale_temporaries_of_a_killed_writer_are_removed(tmp_path: Path) -> None:
    target = tmp_path / "tags.json"
    target.write_bytes(b"{}")
    (tmp_path / ".tags.json.abc123.tmp").write_bytes(b"torn")
    (tmp_path / ".other.json.abc123.tmp").write_bytes(b"not ours")
    remove_stale_temporaries(target)
    assert [path.name for path in temporaries(tmp_path)] == [".other.json.abc123.tmp"]


# ------------------------------------------------------------------------ the lock


def test_the_lock_times_out_with_the_path_and_says_it_is_waiting(tmp_path: Path) -> None:
    lock_path = tmp_path / "sub" / "sync.lock"
    messages: list[str] = []
    with file_lock(lock_path, timeout=5):
        started = time.monotonic()
        with (
            pytest.raises(LockTimeout) as raised,
            file_lock(
                lock_path, timeout=0.5, on_wait=messages.append, waiting_for="another index run"
            ),
        ):
            pytest.fail("the lock was held: the block must not run")
        waited = time.monotonic() - started
    assert 0.5 <= waited < 3
    assert raised.value.lock_path == lock_path
    assert str(lock_path) in str(raised.value)
    assert messages == ["waiting for another index run to finish…"]
    # Given up means nothing is held: the next taker gets it at once.
    with file_lock(lock_path, timeout=0):
        pass


def test_a_waiter_is_told_once_and_gets_the_lock_when_it_is_released(tmp_path: Path) -> None:
    lock_path = tmp_path / "tags.json.lock"
    messages: list[str] = []
    entered = threading.Event()
    release = threading.Event()

    def holder() -> None:
        with file_lock(lock_path, timeout=5):
            entered.set()
            release.wait(5)

    thread = threading.Thread(target=holder)
    thread.start()
    entered.wait(5)
    threading.Timer(0.3, release.set).start()
    with file_lock(lock_path, timeout=5, on_wait=messages.append):
        assert release.is_set()
    thread.join()
    assert messages == ["waiting for another paper-browser to finish…"]


def test_the_lock_excludes_another_process_and_is_dropped_when_it_is_killed(
    tmp_path: Path,
) -> None:
    lock_path = tmp_path / "sync.lock"
    code = (
        "import sys, time\n"
        "from pathlib import Path\n"
        "from browser.fsutil import file_lock\n"
        "with file_lock(Path(sys.argv[1]), timeout=5):\n"
        "    print('held', flush=True)\n"
        "    time.sleep(60)\n"
    )
    child = subprocess.Popen(
        [sys.executable, "-c", code, str(lock_path)],
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parent.parent,
    )
    try:
        assert child.stdout is not None and child.stdout.readline().strip() == "held"
        with pytest.raises(LockTimeout), file_lock(lock_path, timeout=0.2):
            pass
        child.kill()
        child.wait(10)
        with file_lock(lock_path, timeout=5):
            pass
    finally:
        child.kill()
        child.wait(10)
