"""The user-data database: one SQLite file (``userdata.sqlite3``) in WAL mode.

Why SQLite and not a JSON file: a JSON document is rewritten whole on every
change, which took about half a second per tag at the scale of a heavy user
(see ``bench/bench_userdata.py``); a SQLite transaction writes only the pages it
changes. The guarantees the JSON store gave are kept:

- **Kills**: a transaction is committed whole or not at all (write-ahead log,
  ``synchronous=FULL`` so a commit also survives a power cut).
- **Two copies**: every change runs in ``BEGIN IMMEDIATE`` and is applied onto
  what the database holds at that moment (row-level operations, never a
  whole-file rewrite); a writer waits up to ``BUSY_TIMEOUT_SECONDS`` for another.
- **Damage**: a file that is not a database, fails ``PRAGMA quick_check`` or was
  written by a newer schema is never written: the store turns read-only with a
  message, and a damaged file is first copied to ``userdata.sqlite3.bak-STAMP``.
- **Plain text**: ``paper-browser backup`` writes a consistent copy of the
  database and a JSON Lines file of everything in it.

Source: sqlite.org "Atomic Commit", "Write-Ahead Logging", "PRAGMA synchronous".
"""

from __future__ import annotations

import contextlib
import shutil
import sqlite3
import threading
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from browser.fsutil import fsync_directory, keep_copy
from browser.tagchanges import describe_os_error, iso_utc, utc_now
from browser.tagnames import TagError

__all__ = [
    "BUSY_TIMEOUT_SECONDS",
    "SCHEMA_VERSION",
    "USERDATA_FILE",
    "Database",
    "UserDataError",
]

USERDATA_FILE = "userdata.sqlite3"
SCHEMA_VERSION = 1
# A save holds the write lock for milliseconds; longer means a stopped or hung copy.
BUSY_TIMEOUT_SECONDS = 30.0
_HEADER = b"SQLite format 3\x00"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS tagged (
    paper_id TEXT PRIMARY KEY, title TEXT NOT NULL, changed TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS tag (
    paper_id TEXT NOT NULL, position INTEGER NOT NULL, name TEXT NOT NULL, key TEXT NOT NULL,
    PRIMARY KEY (paper_id, key));
CREATE INDEX IF NOT EXISTS tag_by_key ON tag (key, paper_id);
CREATE TABLE IF NOT EXISTS read (paper_id TEXT PRIMARY KEY, at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS note (
    paper_id TEXT PRIMARY KEY, title TEXT NOT NULL, text TEXT NOT NULL, changed TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS new_paper (paper_id TEXT PRIMARY KEY);
CREATE TABLE IF NOT EXISTS saved_search (
    name TEXT PRIMARY KEY, query TEXT NOT NULL, sort TEXT NOT NULL, filters TEXT NOT NULL,
    changed TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS session (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


class UserDataError(TagError):
    """A change to user data that could not be saved; the message says why and that
    nothing was changed. A TagError, so every caller that reports a failed tag save
    reports these too."""


def _is_damage(error: sqlite3.Error) -> bool:
    """Errors that mean the file itself is bad (not a busy lock or a full disk)."""
    code = getattr(error, "sqlite_errorcode", None)
    return code in (sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB) or (
        isinstance(error, sqlite3.DatabaseError)
        and not isinstance(error, sqlite3.OperationalError | sqlite3.IntegrityError)
    )


def _describe(error: sqlite3.Error) -> str:
    code = getattr(error, "sqlite_errorcode", None)
    if code == sqlite3.SQLITE_FULL:
        return "the disk is full"
    if code in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
        return f"another paper-browser kept it locked for {BUSY_TIMEOUT_SECONDS:.0f} s"
    if code == sqlite3.SQLITE_READONLY:
        return "the file or its folder is read-only"
    if code == sqlite3.SQLITE_CANTOPEN:
        return "the file cannot be opened"
    return str(error)


class Database:
    """One connection to the user-data file, shared by the threads of one process.

    ``read`` never raises: a database that cannot be read answers nothing and the
    store turns read-only (``read_only``, ``problem``). ``write`` is a transaction;
    it raises UserDataError (nothing changed) when the change cannot be saved.
    """

    def __init__(
        self, path: Path, *, clock: Callable[[], Any] = utc_now
    ) -> None:
        self.path = Path(path)
        self.read_only = False
        self.problem: str | None = None
        self._clock = clock
        # sqlite3 connections are not safe to share without it; holds for microseconds.
        self._mutex = threading.RLock()
        self._connection: sqlite3.Connection | None = None
        self._open()

    # ------------------------------------------------------------------ opening

    def _open(self) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            self._refuse(f"cannot create {self.path.parent}: {describe_os_error(error)}")
            return
        try:
            with self.path.open("rb") as handle:
                header = handle.read(len(_HEADER))
        except FileNotFoundError:
            header = None
        except OSError as error:
            self._refuse(f"cannot read {self.path}: {describe_os_error(error)}")
            return
        if header is not None and header and header != _HEADER:
            self._damaged("is not a SQLite database")
            return
        try:
            connection = sqlite3.connect(
                self.path,
                timeout=BUSY_TIMEOUT_SECONDS,
                isolation_level=None,
                check_same_thread=False,
            )
        except sqlite3.Error as error:
            self._refuse(f"cannot open {self.path}: {_describe(error)}")
            return
        self._connection = connection
        try:
            self._check_and_prepare(connection)
        except sqlite3.Error as error:
            if _is_damage(error):
                self._damaged(f"is damaged ({error})")
            else:
                self._refuse(f"cannot open {self.path}: {_describe(error)}")

    def _check_and_prepare(self, connection: sqlite3.Connection) -> None:
        """Look before writing anything: a damaged or newer file is only ever read."""
        version = connection.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            self._refuse(
                f"{self.path} was written by a newer paper-browser (schema {version}; this "
                f"one knows up to {SCHEMA_VERSION}); upgrade to change tags, notes or read state"
            )
            return
        if version:
            verdict = connection.execute("PRAGMA quick_check").fetchone()[0]
            if verdict != "ok":
                self._damaged(f"is damaged ({verdict})")
                return
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=FULL")
        if version < SCHEMA_VERSION:
            connection.execute("BEGIN IMMEDIATE")
            try:
                if connection.execute("PRAGMA user_version").fetchone()[0] < SCHEMA_VERSION:
                    for statement in _SCHEMA.split(";"):
                        if statement.strip():
                            connection.execute(statement)
                    connection.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
                connection.execute("COMMIT")
            except BaseException:
                connection.execute("ROLLBACK")
                raise

    def _refuse(self, problem: str) -> None:
        self.read_only = True
        self.problem = problem

    def _damaged(self, what: str) -> None:
        """Keep a copy of the damaged file before anyone repairs it; never write to it."""
        if self._connection is not None:
            with contextlib.suppress(sqlite3.Error):
                self._connection.close()
            self._connection = None
        backup = self._set_aside_copy()
        kept = f"; a copy is kept as {backup.name}" if backup else ""
        self._refuse(
            f"{self.path} {what}{kept}. Tags, notes and read state are read-only: restore "
            "a backup (paper-browser backup) or move the file away"
        )

    def _set_aside_copy(self) -> Path | None:
        stamp = iso_utc(self._clock()).replace(":", "").replace("-", "")
        try:
            data = self.path.read_bytes()
        except OSError:
            return None
        backup = keep_copy(self.path, data, stamp)
        wal = self.path.with_name(self.path.name + "-wal")
        if backup is not None and wal.exists():
            # Committed changes may still sit in the write-ahead log: keep it beside the copy.
            with contextlib.suppress(OSError):
                shutil.copy2(wal, backup.with_name(backup.name + "-wal"))
        return backup

    # ------------------------------------------------------------------ using

    def read(self, sql: str, parameters: Sequence[Any] = ()) -> list[Any]:
        """The rows of one query; [] when the database cannot be read."""
        with self._mutex:
            if self._connection is None:
                return []
            try:
                return self._connection.execute(sql, parameters).fetchall()
            except sqlite3.Error as error:
                if _is_damage(error):
                    self._damaged(f"is damaged ({error})")
                return []

    @contextlib.contextmanager
    def write(self, what: str) -> Iterator[sqlite3.Connection]:
        """One transaction, begun IMMEDIATE (the write lock first, so what it reads is
        what it writes onto). ``what`` names the change for messages ("tags")."""
        with self._mutex:
            if self.read_only or self._connection is None:
                raise UserDataError(f"{what} are read-only because {self.problem}")
            connection = self._connection
            try:
                connection.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as error:
                raise self._failed(what, error) from None
            try:
                yield connection
                connection.execute("COMMIT")
            except BaseException as error:
                with contextlib.suppress(sqlite3.Error):
                    connection.execute("ROLLBACK")
                if isinstance(error, sqlite3.Error):
                    raise self._failed(what, error) from None
                raise

    def _failed(self, what: str, error: sqlite3.Error) -> UserDataError:
        if _is_damage(error):
            self._damaged(f"is damaged ({error})")
            return UserDataError(f"{what} are read-only because {self.problem}")
        return UserDataError(
            f"could not save {what} to {self.path}: {_describe(error)}; "
            "the change was not saved"
        )

    def data_version(self) -> int | None:
        """Changes whenever another connection commits (PRAGMA data_version)."""
        rows = self.read("PRAGMA data_version")
        return int(rows[0][0]) if rows else None

    def backup_to(self, target: Path) -> None:
        """A consistent copy of the database at ``target`` (SQLite's online backup), made
        beside it and renamed into place. Raises OSError or UserDataError."""
        with self._mutex:
            if self._connection is None:
                raise UserDataError(f"nothing to back up: {self.problem}")
            target.parent.mkdir(parents=True, exist_ok=True)
            temporary = target.with_name(f".{target.name}.tmp")
            with contextlib.suppress(FileNotFoundError):
                temporary.unlink()
            try:
                copy = sqlite3.connect(temporary)
                try:
                    self._connection.backup(copy)
                finally:
                    copy.close()
                temporary.replace(target)
            except sqlite3.Error as error:
                with contextlib.suppress(OSError):
                    temporary.unlink()
                raise UserDataError(f"could not back up to {target}: {_describe(error)}") from None
            fsync_directory(target.parent)

    def close(self) -> None:
        with self._mutex:
            if self._connection is not None:
                self._connection.close()
                self._connection = None
