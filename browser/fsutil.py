"""File-system primitives every writer of user or library files goes through.

- :func:`atomic_write` / :func:`atomic_writer`: a file is replaced whole or not at
  all. The new content goes to a temporary file in the same folder (so the final
  rename never crosses file systems), is flushed and ``fsync``-ed, renamed over the
  target with ``os.replace`` (atomic on POSIX), and the folder is ``fsync``-ed so
  the rename itself survives a power cut. Killing the process at any instant leaves
  either the old or the new file, plus at most a hidden temporary that
  :func:`remove_stale_temporaries` clears.
- :func:`file_lock`: an exclusive ``flock`` on a lock file, shared by every process
  and thread that opens it; finding it busy calls a "waiting for …" callback
  once, and waiting past the timeout raises :class:`LockTimeout`. The
  kernel drops the lock when its holder dies, even by SIGKILL.

Without ``fcntl`` (Windows) the lock is a no-op; the atomic write still holds.
Sources: rename(2) and fsync(2) man pages; the folder fsync is what ext4's
``auto_da_alloc`` documentation and SQLite's "atomic commit" note ask of a rename.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, BinaryIO, Literal, TextIO, overload

try:  # Linux and macOS
    import fcntl
except ImportError:  # pragma: no cover - Windows has no fcntl; one process at a time there
    fcntl = None  # type: ignore[assignment]

__all__ = [
    "LockTimeout",
    "atomic_write",
    "atomic_writer",
    "file_lock",
    "fsync_directory",
    "keep_copy",
    "remove_stale_temporaries",
]

TEMPORARY_SUFFIX = ".tmp"
_POLL_FIRST, _POLL_MAX = 0.002, 0.05


class LockTimeout(TimeoutError):
    """The lock file stayed locked by someone else for longer than the timeout."""

    def __init__(self, lock_path: Path, waited: float) -> None:
        super().__init__(f"{lock_path} stayed locked by another program for {waited:.0f} s")
        self.lock_path = lock_path
        self.waited = waited


def fsync_directory(directory: Path) -> None:
    """Make a rename or creation inside ``directory`` durable; best effort.

    Some file systems (and every platform without directory file descriptors)
    refuse; the rename itself has already happened then.
    """
    try:
        descriptor = os.open(directory, os.O_RDONLY)
    except OSError:  # pragma: no cover - platforms that cannot open directories
        return
    try:
        os.fsync(descriptor)
    except OSError:  # pragma: no cover - some file systems refuse
        pass
    finally:
        os.close(descriptor)


def _target(path: Path) -> Path:
    """The file a write replaces: a symlink (say into a notes repository) stays a link."""
    try:
        return path.resolve() if path.is_symlink() else path
    except OSError:
        return path


def _process_umask() -> int:
    """The umask, read without changing it (os.umask can only set it, racing other threads)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    return 0o022


# A new file gets the mode open() would give it; mkstemp alone would make it 0600.
_NEW_FILE_MODE = 0o666 & ~_process_umask()


def _create_temporary(target: Path) -> tuple[int, Path]:
    """A new hidden file beside ``target`` (named so :func:`remove_stale_temporaries` finds it)."""
    descriptor, name = tempfile.mkstemp(
        dir=target.parent, prefix=f".{target.name}.", suffix=TEMPORARY_SUFFIX
    )
    return descriptor, Path(name)


@overload
def atomic_writer(
    path: Path, mode: Literal["wb"] = "wb", *, encoding: None = None, newline: None = None
) -> contextlib.AbstractContextManager[BinaryIO]: ...
@overload
def atomic_writer(
    path: Path, mode: Literal["w"], *, encoding: str = "utf-8", newline: str | None = None
) -> contextlib.AbstractContextManager[TextIO]: ...
def atomic_writer(
    path: Path,
    mode: Literal["w", "wb"] = "wb",
    *,
    encoding: str | None = None,
    newline: str | None = None,
) -> contextlib.AbstractContextManager[BinaryIO] | contextlib.AbstractContextManager[TextIO]:
    """A file handle whose content replaces ``path`` atomically when the block ends.

    ``mode`` is ``"wb"`` (bytes) or ``"w"`` (text; ``encoding`` defaults to UTF-8,
    ``newline`` as for :func:`open`). If the block raises, ``path`` is untouched and
    the temporary is removed. An existing file keeps its permission bits; a new one
    gets the umask's. A symlink at ``path`` stays, its target is replaced.
    Raises OSError (a full disk, a read-only folder...) with ``path`` unchanged.
    """
    if mode == "w":
        return _atomic_writer(path, "w", encoding or "utf-8", newline)
    return _atomic_writer(path, "wb", None, None)


@contextlib.contextmanager
def _atomic_writer(
    path: Path, mode: str, encoding: str | None, newline: str | None
) -> Iterator[Any]:
    target = _target(Path(path))
    descriptor, temporary = _create_temporary(target)
    done = False
    try:
        with open(descriptor, mode, encoding=encoding, newline=newline) as handle:  # noqa: PTH123
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        try:
            permissions = target.stat().st_mode & 0o7777
        except OSError:
            permissions = _NEW_FILE_MODE
        with contextlib.suppress(OSError):
            temporary.chmod(permissions)
        temporary.replace(target)  # os.replace: atomic on POSIX
        done = True
    finally:
        if not done:
            with contextlib.suppress(OSError):
                temporary.unlink()
    fsync_directory(target.parent)


def atomic_write(path: Path, data: bytes | str, *, encoding: str = "utf-8") -> None:
    """Replace ``path`` with ``data`` atomically and durably (see :func:`atomic_writer`)."""
    if isinstance(data, str):
        with atomic_writer(path, "w", encoding=encoding, newline="") as text:
            text.write(data)
    else:
        with atomic_writer(path) as binary:
            binary.write(data)


def remove_stale_temporaries(path: Path) -> None:
    """Delete temporaries a killed writer of ``path`` left behind.

    Call it only while holding the lock that every writer of ``path`` takes:
    then no writer is mid-save and any temporary is an orphan.
    """
    target = _target(Path(path))
    for leftover in target.parent.glob(f".{target.name}.*{TEMPORARY_SUFFIX}"):
        with contextlib.suppress(OSError):
            leftover.unlink()


@contextlib.contextmanager
def file_lock(
    lock_path: Path,
    *,
    timeout: float | None,
    on_wait: Callable[[str], None] | None = None,
    waiting_for: str = "another paper-browser",
) -> Iterator[None]:
    """Hold an exclusive ``flock`` on ``lock_path`` (created with its folder) for the block.

    If the lock is busy, ``on_wait`` is called once, at once (the user learns why
    nothing happens), with ``"waiting for {waiting_for} to finish…"``.
    ``timeout`` is in seconds (None: wait for ever); past it, :class:`LockTimeout`
    is raised and nothing is held. The lock is per open file, so two threads of one
    process exclude each other as two processes do.
    """
    lock_path = Path(lock_path)
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with lock_path.open("a+b") as handle:
        if fcntl is None:  # pragma: no cover - see the module docstring
            yield
            return
        _acquire(handle.fileno(), lock_path, timeout, on_wait, waiting_for)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def _acquire(
    descriptor: int,
    lock_path: Path,
    timeout: float | None,
    on_wait: Callable[[str], None] | None,
    waiting_for: str,
) -> None:
    # flock has no timeout of its own: poll without blocking, backing off from a few
    # milliseconds (a tag save holds it that long) to a twentieth of a second.
    started = time.monotonic()
    pause = _POLL_FIRST
    told = False
    while True:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            pass
        waited = time.monotonic() - started
        if not told and on_wait is not None:
            on_wait(f"waiting for {waiting_for} to finish…")
            told = True
        if timeout is not None and waited >= timeout:
            raise LockTimeout(lock_path, waited)
        time.sleep(pause)
        pause = min(pause * 2, _POLL_MAX)


def keep_copy(path: Path, data: bytes, stamp: str) -> Path | None:
    """Keep ``data`` (the content of ``path`` we cannot use) as ``path.bak-STAMP`` before
    anyone repairs it; one copy per content (an identical ``.bak-*`` is returned). None when
    the copy cannot be written (the caller still refuses to touch the original)."""
    try:
        for existing in sorted(path.parent.glob(path.name + ".bak-*")):
            if existing.is_file() and existing.read_bytes() == data:
                return existing
        backup = path.with_name(f"{path.name}.bak-{stamp}")
        counter = 1
        while backup.exists():
            counter += 1
            backup = path.with_name(f"{path.name}.bak-{stamp}-{counter}")
        backup.write_bytes(data)
        return backup
    except OSError:
        return None
