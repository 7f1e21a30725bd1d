"""Dumps into the library: ``SyncUseCases`` (``Services.sync``, ``rebuild_index``), the
cross-process sync lock, and the worker processes of a multi-process index build."""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from browser.fsutil import LockTimeout, file_lock
from browser.library import SyncProgress, sync_catalog
from browser.models import ParseProblem
from browser.search import IndexBusy, PaperIndex
from browser.services.core import ServicesCore
from browser.userdata import UserDataError
from browser.wording import counted

__all__ = ["AnotherSyncRunning", "SyncProgress", "SyncSummary", "SyncUseCases", "sync_lock"]

UPDATE_BATCH = 5000


@dataclass
class SyncSummary:
    files_read: int = 0
    files_unchanged: int = 0
    files_removed: int = 0
    papers_added: int = 0
    papers_updated: int = 0
    papers_removed: int = 0
    problems: list[ParseProblem] = field(default_factory=list)
    # Files found in folders that are not dumps (see browser.library.skipped_summary).
    skipped: list[ParseProblem] = field(default_factory=list)
    records_by_file: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    rebuilt: bool = False
    rebuild_reason: str | None = None

    def describe(self) -> str:
        parts = [
            f"{counted(self.files_read, 'file')} read",
            f"{self.files_unchanged:,} unchanged",
            f"{counted(self.papers_added, 'paper')} added",
            f"{self.papers_updated:,} updated",
            f"{self.papers_removed:,} removed",
        ]
        if self.files_removed:
            parts.append(f"{counted(self.files_removed, 'deleted file')} dropped")
        if self.rebuilt:
            parts.append("index rebuilt")
        return ", ".join(parts) + f" in {self.seconds:.2f} s"


class AnotherSyncRunning(Exception):
    """Another process holds the library's sync lock for longer than we agreed to wait."""


class SyncUseCases(ServicesCore):
    """The library kept up to date with its dumps, and its search index with the catalog."""

    def sync(
        self,
        dumps: Sequence[Path],
        *,
        year: int | None = None,
        progress: Callable[[SyncProgress], None] | None = None,
        on_wait: Callable[[], None] | None = None,
        procs: int = 1,
        wait_timeout: float = 300.0,
        rebuild: bool = False,
    ) -> SyncSummary:
        """Parse, deduplicate and index what changed in ``dumps``; safe from a worker thread.

        ``rebuild`` recreates the whole search index from the catalog afterwards (as
        when the index could not be opened); ``summary.rebuild_reason`` says why.
        """
        started = time.perf_counter()
        with self._lock, sync_lock(self.paths.sync_lock_file, on_wait, wait_timeout):
            # A first import is not news: every paper would be "new" (issue 14).
            first_import = self.is_empty()
            changes = sync_catalog(self.catalog, dumps, year=year, progress=progress)
            summary = SyncSummary(
                files_read=changes.files_read,
                files_unchanged=changes.files_unchanged,
                files_removed=changes.files_removed,
                papers_added=changes.papers_added,
                papers_updated=changes.papers_updated,
                papers_removed=len(changes.removed_ids),
                problems=changes.problems,
                skipped=changes.skipped,
                records_by_file=changes.records_by_file,
            )
            self._bring_index_up_to_date(summary, procs, rebuild)
            # The papers this sync added become "new" (the catalog's change set says which);
            # a first import marks none but is the day the next ones are "new since".
            if changes.added_ids and not self.userdata.read_only:
                with contextlib.suppress(UserDataError):
                    self.userdata.reading.replace_new([] if first_import else changes.added_ids)
        self._forget_stats()
        summary.seconds = time.perf_counter() - started
        return summary

    def _bring_index_up_to_date(self, summary: SyncSummary, procs: int, rebuild: bool) -> None:
        pending = self.catalog.pending_index_ids()
        if rebuild or self.index_problem is not None:
            summary.rebuilt = True
            summary.rebuild_reason = self.index_problem or "rebuild requested"
            self._rebuild_index(procs=procs)
            return
        if not pending:
            return
        # A first build, or one that changes most papers (a parser upgrade reads every
        # file again), goes through the bulk path: faster, and may use both cores.
        if len(pending) > 1000 and 2 * len(pending) > len(self.index):
            summary.rebuilt = True
            self._rebuild_index(procs=procs)
            return
        # In batches: a big dump added to a non-empty library would otherwise hold every
        # changed Paper in memory at once; each batch is marked indexed once committed,
        # so a killed run resumes where it stopped.
        for start in range(0, len(pending), UPDATE_BATCH):
            batch = pending[start : start + UPDATE_BATCH]
            papers = list(self.catalog.papers(batch))
            present = {paper.id for paper in papers}
            self.index.update(papers, [paper_id for paper_id in batch if paper_id not in present])
            self.catalog.mark_indexed(batch)

    def rebuild_index(
        self,
        *,
        procs: int = 1,
        on_wait: Callable[[], None] | None = None,
        wait_timeout: float = 300.0,
    ) -> None:
        """Recreate the search index from the catalog (no dump is re-read, except the
        files an older parser read: they are read again first, so that after an upgrade
        the index is built once, from what this parser gives, not twice).

        Takes the same locks as :meth:`sync`: the app rebuilds from a worker thread
        while a CLI `index` may be writing the same folder.
        """
        if self.catalog.stale_files():
            self.sync([], procs=procs, on_wait=on_wait, wait_timeout=wait_timeout, rebuild=True)
            return
        with self._lock, sync_lock(self.paths.sync_lock_file, on_wait, wait_timeout):
            self._rebuild_index(procs=procs)

    def _rebuild_index(self, *, procs: int = 1) -> None:
        self.catalog.mark_all_pending()
        if self.index_broken:
            self.index.close()
            self.index = PaperIndex.create(self.paths.index_dir)
        try:
            # In place: until the commit, searches (here and in other processes) see the
            # old content instead of an emptied index.
            with _workers_die_with_us(procs):
                self.index.rebuild(self.catalog.papers(), procs=procs)
        except IndexBusy:
            raise
        except Exception:
            # It opened but cannot be written (damaged segments): start from nothing.
            self.index.close()
            self.index = PaperIndex.create(self.paths.index_dir)
            with _workers_die_with_us(procs):
                self.index.rebuild(self.catalog.papers(), procs=procs)
        self.catalog.mark_indexed(self.catalog.pending_index_ids())
        self._forget_stats()
        self.index_problem = None
        self.index_broken = False


@contextlib.contextmanager
def sync_lock(
    lock_file: Path, on_wait: Callable[[], None] | None, timeout: float
) -> Iterator[None]:
    """One sync per library at a time, across processes; the OS drops it if we are killed."""
    lock = contextlib.ExitStack()
    try:
        lock.enter_context(
            file_lock(
                lock_file,
                timeout=timeout,
                on_wait=None if on_wait is None else lambda _message: on_wait(),
                waiting_for="another index run",
            )
        )
    except LockTimeout:
        running = f"another index run is in progress on {lock_file.parent}"
        raise AnotherSyncRunning(running) from None
    with lock:
        yield


# -- worker processes of a multi-process index build --------------------------------
#
# Whoosh's procs>1 writer forks workers that wait on a queue forever if the parent is
# SIGKILLed; each fork also shares the parent's open sync.lock, so an orphan kept the
# library locked and the next `index` waited on it for good. Linux can kill a child
# when its parent dies (PR_SET_PDEATHSIG); only forks made during a build ask for it.

_PR_SET_PDEATHSIG = 1
_build_parent: int | None = None


def _die_with_the_build_parent() -> None:
    parent = _build_parent
    if parent is None:
        return
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):  # pragma: no cover - not Linux
        return
    if os.getppid() != parent:  # the parent died before prctl took effect
        os._exit(1)


if sys.platform.startswith("linux"):
    os.register_at_fork(after_in_child=_die_with_the_build_parent)


@contextlib.contextmanager
def _workers_die_with_us(procs: int) -> Iterator[None]:
    global _build_parent
    if procs <= 1:
        yield
        return
    _build_parent = os.getpid()
    try:
        yield
    finally:
        _build_parent = None
