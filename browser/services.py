"""The one factory that wires the stages together, for the CLI, the app and the tests.

Nothing here imports Textual: the app receives a ready ``Services`` object.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import TextIO

from browser.export import (
    ExportOptions,
    ExportRow,
    ImportReport,
    resolve_columns,
    write_export,
)
from browser.export.usecases import build_rows, import_tags, write_export_file
from browser.fsutil import LockTimeout, file_lock
from browser.identity_migration import migrate_identities
from browser.library import (
    Catalog,
    CatalogUnusable,
    LibraryPaths,
    SyncProgress,
    resolve_library_dir,
    sync_catalog,
)
from browser.models import Paper, ParseProblem, SearchFilters, SearchResult, SortOrder
from browser.reading import Reading
from browser.search import IndexBusy, IndexUnusable, PaperIndex, slow_path_reason
from browser.search.matching import resolve_filters
from browser.stats import TOP, LibraryStats, Period, compute_stats
from browser.stats.source import StatsSource
from browser.userdata import BackupReport, UserData, UserDataError, UserTags, open_user_data

__all__ = [
    "ExportSelection",
    "Services",
    "SyncProgress",
    "SyncSummary",
    "UnknownPaper",
    "open_services",
]

UPDATE_BATCH = 5000
# Columns a default CSV export adds from the user data: the note and "yes"/"no" read.
READER_COLUMNS = ("notes", "read")
# A query's results are exported whole, not a page of them.
EXPORT_LIMIT = 1_000_000


def _bundled_sample_dumps() -> Path:
    """The sample dumps: inside the installed package (setup.py maps the repository's
    top-level sample_dumps/ to ``browser/sample_dumps``), else beside the source tree."""
    installed = resources.files("browser") / "sample_dumps"
    if isinstance(installed, Path) and installed.is_dir():
        return installed
    return Path(__file__).resolve().parent.parent / "sample_dumps"


BUNDLED_SAMPLE_DUMPS = _bundled_sample_dumps()


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
            f"{self.files_read} file(s) read",
            f"{self.files_unchanged} unchanged",
            f"{self.papers_added} paper(s) added",
            f"{self.papers_updated} updated",
            f"{self.papers_removed} removed",
        ]
        if self.files_removed:
            parts.append(f"{self.files_removed} deleted file(s) dropped")
        if self.rebuilt:
            parts.append("index rebuilt")
        return ", ".join(parts) + f" in {self.seconds:.2f} s"


class UnknownPaper(LookupError):
    """A paper id that is not in the library (say, for similar papers)."""


@dataclass(frozen=True)
class ExportSelection:
    """Which papers an export takes: exactly ``paper_ids``; else the papers like
    ``like``; else a query's results (``query`` set); else every tagged paper.
    ``filters`` (the app's tag filter, the CLI's ``--tag``) narrow any of them, the same
    ``SearchFilters`` a search takes."""

    query: str | None = None
    sort: SortOrder = "relevance"
    like: str | None = None
    paper_ids: tuple[str, ...] | None = None
    filters: SearchFilters | None = None


class AnotherSyncRunning(Exception):
    """Another process holds the library's sync lock for longer than we agreed to wait."""


@dataclass
class Services:
    """Everything one library offers: its paths, catalog, search index and tag store."""

    paths: LibraryPaths
    catalog: Catalog
    index: PaperIndex
    userdata: UserData
    # Why the index had to be rebuilt on open (None when it opened cleanly).
    index_problem: str | None = None
    # The index could not be opened at all: a rebuild must start from an empty folder.
    index_broken: bool = False
    # What opening the library did that the user should hear once (an id migration).
    notices: list[str] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _stats_source: StatsSource | None = field(default=None, repr=False)
    # Read state, notes, saved searches and the session (issue 14).
    reading: Reading = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.reading = Reading(self.catalog, self.userdata)

    @property
    def tags(self) -> UserTags:
        """The user's tags (the TagStore interface), kept in the user-data store."""
        return self.userdata.tags

    def is_empty(self) -> bool:
        return self.catalog.paper_count() == 0

    @property
    def search_warning(self) -> str | None:
        """Why searches are slower than they should be (one sentence), or None."""
        return search_engine_warning()

    def paper(self, paper_id: str) -> Paper | None:
        return self.catalog.paper(paper_id)

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
        with self._lock, _sync_lock(self.paths.sync_lock_file, on_wait, wait_timeout):
            # Which papers are there already: those the sync adds become "new" (issue 14).
            known = {paper_id for paper_id, _ in self.catalog.paper_facts()} if dumps else set()
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
            added = [paper_id for paper_id in changes.changed_ids if paper_id not in known]
            # A first import is not news: every paper would be "new".
            if added and known and not self.userdata.read_only:
                with contextlib.suppress(UserDataError):
                    self.userdata.reading.replace_new(added)
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
        # A first build goes through the bulk path (faster, and may use both cores).
        if len(self.index) == 0 and len(pending) > 1000:
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

    def search(
        self,
        query: str = "",
        *,
        sort: SortOrder = "relevance",
        limit: int = 200,
        filters: SearchFilters | None = None,
        like: str | None = None,
        time_budget_ms: float | None = None,
        cancelled: Callable[[], bool] | None = None,
    ) -> SearchResult:
        """The papers for ``query``, or with ``like`` (a paper id) the papers similar to it.

        The one search use case of the CLI and the app. ``filters`` restrict either kind
        (tags resolve through this library's tag store); similar papers are ranked by
        likeness, so ``query``, ``sort`` and ``time_budget_ms`` (milliseconds for a typing
        pass, which may come back ``partial``) apply to word searches only. Never raises
        for a bad query (``error`` says what was wrong); raises UnknownPaper for a
        ``like`` id not in the library and SearchCancelled once ``cancelled()`` is True.
        Safe from worker threads.
        """
        if like is not None:
            if self.catalog.paper(like) is None:
                raise UnknownPaper(f"no paper with id {like!r} in the library")
            return self.index.more_like(
                like,
                limit=limit,
                tags=self.tags,
                filters=filters,
                states=self.userdata.reading,
                cancelled=cancelled,
            )
        return self.index.search(
            query,
            sort=sort,
            limit=limit,
            tags=self.tags,
            filters=filters,
            states=self.userdata.reading,
            time_budget_ms=time_budget_ms,
            cancelled=cancelled,
        )

    def rebuild_index(
        self,
        *,
        procs: int = 1,
        on_wait: Callable[[], None] | None = None,
        wait_timeout: float = 300.0,
    ) -> None:
        """Recreate the search index from the catalog (no dump is re-read).

        Takes the same locks as :meth:`sync`: the app rebuilds from a worker thread
        while a CLI `index` may be writing the same folder.
        """
        with self._lock, _sync_lock(self.paths.sync_lock_file, on_wait, wait_timeout):
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

    def stats(
        self,
        query: str = "",
        *,
        by: Period = "month",
        top: int | None = TOP,
        cancelled: Callable[[], bool] | None = None,
    ) -> LibraryStats:
        """Counts over the papers ``query`` matches (every paper when it is empty).

        Papers per listing day, ISO week or month (``by``), tags, organisations, authors
        and rising terms (see ``browser.stats``); ``top`` caps each ranked list. A query
        that matches nothing as typed is counted as its spelling correction, as the
        search would show it (``corrected_query`` says so). ``cancelled`` is polled by
        the search; once it says yes ``SearchCancelled`` is raised.
        """
        source = self._stats()
        columns = source.columns()
        query = query.strip()
        corrected: str | None = None
        rows: list[int] | None = None
        if query:
            result = self.index.search(
                query,
                limit=max(1, len(columns)),
                tags=self.tags,
                states=self.userdata.reading,
                cancelled=cancelled,
            )
            corrected = result.corrected_query
            rows = columns.positions_of(hit.paper.id for hit in result.hits)
        tags = {entry.paper_id: entry.tags for entry in self.tags.entries()}
        stats = compute_stats(columns, rows, by=by, tags=tags, terms_of=source.terms_of, top=top)
        stats.query = query
        stats.corrected_query = corrected
        return stats

    def warm_stats(self) -> None:
        """Read what ``stats`` needs of every paper now, so its first call is fast."""
        self._stats().columns()

    def _stats(self) -> StatsSource:
        if self._stats_source is None:
            self._stats_source = StatsSource(self.catalog)
        return self._stats_source

    def _forget_stats(self) -> None:
        if self._stats_source is not None:
            self._stats_source.forget()

    # -- export and import (issue 11: one use case each, for the CLI and the app) --------

    def export_rows(self, paper_ids: Sequence[str] | None = None) -> list[ExportRow]:
        """Rows for these papers (with their tags, note and read state), or for every
        tagged paper when None."""
        reading = self.userdata.reading
        read = reading.read_ids()
        notes = reading.notes(paper_ids)
        rows = build_rows(self.catalog, self.tags, paper_ids, notes=notes)
        for row in rows:
            row.read = row.paper_id in read
        return rows

    def export_selection(self, selection: ExportSelection) -> list[str]:
        """The ids of the papers ``selection`` names, in the order they are exported:
        a query's results in its sort order, else every tagged paper by id; only those
        ``selection.filters`` allow (applied by the search, else here the same way)."""
        if selection.paper_ids is not None:
            paper_ids = list(selection.paper_ids)
        elif selection.like is not None:
            if self.paper(selection.like) is None:
                raise ValueError(f"no paper with id {selection.like!r} in the library")
            result = self.search(like=selection.like, limit=EXPORT_LIMIT, filters=selection.filters)
            paper_ids = [hit.paper.id for hit in result.hits]
        elif selection.query is not None:
            result = self.search(
                selection.query,
                sort=selection.sort,
                limit=EXPORT_LIMIT,
                filters=selection.filters,
            )
            paper_ids = [hit.paper.id for hit in result.hits]
        else:
            paper_ids = sorted(self.tags.tagged_ids())
        searched = selection.paper_ids is None and (
            selection.like is not None or selection.query is not None
        )
        if selection.filters and not searched:
            allowed, denied = resolve_filters(
                selection.filters, self.tags, self.userdata.reading
            )
            paper_ids = [
                paper_id
                for paper_id in paper_ids
                if paper_id not in denied and (allowed is None or paper_id in allowed)
            ]
        return paper_ids

    def export(
        self,
        selection: ExportSelection,
        options: ExportOptions,
        *,
        path: Path | None = None,
        out: TextIO | None = None,
    ) -> int:
        """Export the selected papers to ``path`` (atomically) or to the stream ``out``.

        Returns what was written (CSV rows, BibTeX entries, RIS records, papers).
        Raises ColumnError (ValueError) for unknown CSV columns, OSError when the
        file cannot be written.
        """
        if options.format == "csv" and options.columns is None:
            # The reader's own columns (issue 14) after the paper's, in every default CSV.
            default = resolve_columns(None, long=options.long)
            options = dataclasses.replace(options, columns=(*default, *READER_COLUMNS))
        resolve_columns(options.columns, long=options.long)  # fail before any work
        rows = self.export_rows(self.export_selection(selection))
        if path is not None:
            return write_export_file(path, rows, options)
        if out is None:
            raise ValueError("export needs a path or a stream")
        return write_export(out, rows, options)

    def import_tags(self, path: Path, *, replace: bool = False) -> ImportReport:
        """Tags from a CSV, BibTeX or RIS file, matched to papers; see ``import_tags``."""
        return import_tags(path, self.catalog, self.tags, replace=replace)

    def listing_day_step(
        self,
        current: dt.date | None,
        delta: int,
        *,
        query: str = "",
        filters: SearchFilters | None = None,
    ) -> tuple[dt.date, frozenset[str]] | None:
        """The Daily Papers day before (``delta`` -1) or after (+1) ``current`` that has
        papers matching ``query`` and ``filters``, with those papers' ids; from no day,
        the newest day. None when there is no such day. The day is the paper's listing
        day where known, else its date (``browser.stats``' columns)."""
        columns = self._stats().columns()
        if query.strip() or filters:
            result = self.search(query, limit=max(1, len(columns)), filters=filters)
            rows: Iterable[int] = columns.positions_of(hit.paper.id for hit in result.hits)
        else:
            rows = range(len(columns))
        by_day: dict[int, list[str]] = {}
        for row in rows:
            if columns.days[row]:
                by_day.setdefault(columns.days[row], []).append(columns.ids[row])
        days = sorted(by_day)
        if not days:
            return None
        if current is None:
            chosen = days[-1]
        else:
            here = current.toordinal()
            later = [day for day in days if day > here]
            earlier = [day for day in days if day < here]
            if (delta > 0 and not later) or (delta < 0 and not earlier):
                return None
            chosen = later[0] if delta > 0 else earlier[-1]
        return dt.date.fromordinal(chosen), frozenset(by_day[chosen])

    def backup(self, folder: Path) -> BackupReport:
        """A copy of the user data and its plain-text twin in ``folder`` (see UserData)."""
        return self.userdata.backup(folder)

    def close(self) -> None:
        self.index.close()
        self.catalog.close()
        self.userdata.close()


@contextlib.contextmanager
def _sync_lock(
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


def search_engine_warning() -> str | None:
    """One sentence when searches run on Whoosh's slower public path (the installed
    Whoosh lacks a private name the fast path reads), else None; needs no library."""
    return slow_path_reason()


def open_services(
    library_dir: Path | None = None,
    tags_file: Path | None = None,
    *,
    on_wait: Callable[[], None] | None = None,
) -> Services:
    """Open (creating if needed) the library at ``library_dir`` or the default location.

    A catalog or index that cannot be opened is set aside and rebuilt, never a traceback.
    """
    paths = LibraryPaths(resolve_library_dir(library_dir))
    paths.root.mkdir(parents=True, exist_ok=True)
    try:
        catalog = Catalog(paths.catalog_file)
    except CatalogUnusable:
        _set_aside(paths.catalog_file)
        catalog = Catalog(paths.catalog_file)
    index_problem: str | None = None
    try:
        index = PaperIndex.open(paths.index_dir)
    except IndexUnusable:
        # Emptying the folder while another process writes it (a sync mid-rebuild) would
        # destroy that run's work: look again, and create, only under the sync lock.
        with _sync_lock(paths.sync_lock_file, on_wait, 300.0):
            try:
                index = PaperIndex.open(paths.index_dir)
            except IndexUnusable as error:
                index_problem = str(error) or "the search index could not be opened"
                index = PaperIndex.create(paths.index_dir)
    userdata = open_user_data(
        paths.root, tags_file.expanduser() if tags_file is not None else None
    )
    # Its own tag store, so the migration is not the user's first undo.
    migrated = migrate_identities(
        catalog, lambda: UserTags(userdata.database), reading=userdata.reading
    )
    services = Services(
        paths=paths,
        catalog=catalog,
        index=index,
        userdata=userdata,
        index_problem=index_problem,
        index_broken=index_problem is not None,
    )
    if migrated is not None:
        services.notices.append(migrated)
        if index_problem is None:
            # The index still holds the old ids: rebuilt by the next sync (the app's first).
            services.index_problem = "paper ids changed (identity migration)"
    if services.index_problem is None and len(index) != catalog.paper_count():
        # The index is a cache of the catalog: if they disagree, the catalog wins.
        services.index_problem = "the search index was out of date with the library"
    return services


def _set_aside(path: Path) -> None:
    """Keep a broken catalog for inspection instead of deleting it."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    for suffix in ("", "-wal", "-shm"):
        candidate = path.with_name(path.name + suffix)
        if candidate.exists():
            candidate.replace(candidate.with_name(f"{candidate.name}.broken-{stamp}"))
