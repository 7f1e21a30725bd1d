"""The library: many dump files -> one deduplicated set of Papers with stable ids.

The catalog is a SQLite file in the library folder. It remembers each dump file
(size, mtime, content hash) and every record read from it, so that re-indexing
re-reads only changed files and re-merges only the papers they touch. The
catalog is derived data too: it can always be rebuilt from the dumps; the user's
data lives beside it in ``userdata.sqlite3`` (``browser/userdata/``). Finding the dump
files is ``browser/dump_files.py``; merging a paper's records is ``browser/merging.py``.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from browser.dump_files import (
    file_key,
    file_problems,
    find_dump_files,
    named_files,
    sha256_of_file,
    unreadable_problem,
)
from browser.identity import IDENTITY_VERSION
from browser.merging import merge_records
from browser.models import Paper, ParsedRecord, ParseProblem, Source

if TYPE_CHECKING:
    from browser.parse import ParsedFile

CATALOG_SCHEMA_VERSION = 1
# What the parser gives changed (2: issue 12, refusals and listing days; 3: each record's
# place in its file, ``Source.position``, the page's order): files read by an older one
# are read again on the next sync. The digest marks such a file.
PARSER_VERSION = 3
STALE_DIGEST = "stale"


@dataclass
class SyncProgress:
    done: int
    total: int
    current_file: str


@dataclass
class CatalogChanges:
    """What one sync changed in the catalog, for the index to follow."""

    # Ids only: holding every changed Paper would keep a whole big dump in memory.
    changed_ids: list[str] = field(default_factory=list)
    removed_ids: list[str] = field(default_factory=list)
    # Papers that were not in the catalog before (a subset of changed_ids).
    added_ids: list[str] = field(default_factory=list)
    files_read: int = 0
    files_unchanged: int = 0
    files_removed: int = 0
    papers_added: int = 0
    papers_updated: int = 0
    problems: list[ParseProblem] = field(default_factory=list)
    # Files a folder walk found that are not dumps: one warning each, summarised
    # by skipped_summary rather than reported one by one.
    skipped: list[ParseProblem] = field(default_factory=list)
    records_by_file: dict[str, int] = field(default_factory=dict)


class CatalogUnusable(Exception):
    """The catalog file cannot be read (corrupt, newer schema): rebuild it from the dumps."""


class CatalogUnavailable(OSError):
    """The catalog is fine but cannot be used now: full disk, read-only folder, locked.

    Setting such a catalog aside (as for a corrupt one) would throw away a good file
    and fail again at once; the caller reports it instead.
    """


# SQLite's primary result codes that say "the environment", not "the file is damaged".
_ENVIRONMENT_CODES = {
    sqlite3.SQLITE_FULL: "no space left on the device",
    sqlite3.SQLITE_READONLY: "the library folder is read-only",
    sqlite3.SQLITE_CANTOPEN: "the catalog file cannot be opened (read-only or missing folder?)",
    sqlite3.SQLITE_PERM: "permission denied",
    sqlite3.SQLITE_BUSY: "the catalog is locked by another process",
    sqlite3.SQLITE_LOCKED: "the catalog is locked by another process",
    sqlite3.SQLITE_IOERR: "an input/output error",
}


def environment_problem(error: sqlite3.Error, folder: Path) -> str | None:
    """Why SQLite failed, when the reason is the disk or folder rather than the file."""
    code = getattr(error, "sqlite_errorcode", None)
    if code is None:
        return None
    if code & 0xFF in (sqlite3.SQLITE_IOERR, sqlite3.SQLITE_FULL) and _disk_full(folder):
        # A full disk often shows as "disk I/O error" (the WAL index cannot grow).
        return "no space left on the device"
    return _ENVIRONMENT_CODES.get(code & 0xFF)


def _disk_full(folder: Path) -> bool:
    try:
        return os.statvfs(folder).f_bavail == 0
    except (OSError, AttributeError):
        return False


_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS files (
    path TEXT PRIMARY KEY,
    size INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL,
    sha256 TEXT NOT NULL,
    year INTEGER,
    records INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS records (
    file TEXT NOT NULL,
    line INTEGER NOT NULL,
    paper_id TEXT NOT NULL,
    arxiv_id TEXT,
    data TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS records_by_file ON records (file);
CREATE INDEX IF NOT EXISTS records_by_paper ON records (paper_id);
CREATE INDEX IF NOT EXISTS records_by_arxiv ON records (arxiv_id) WHERE arxiv_id IS NOT NULL;
CREATE TABLE IF NOT EXISTS papers (id TEXT PRIMARY KEY, data TEXT NOT NULL, listed TEXT);
-- Papers changed in the catalog whose index update has not been committed yet:
-- a crash between the two commits leaves them here for the next run.
CREATE TABLE IF NOT EXISTS pending_index (id TEXT PRIMARY KEY);
-- Papers whose records changed but that were not merged again yet: written in the
-- same transaction as the records, so a run killed before the merge leaves them here
-- (the file itself then looks unchanged and would never be merged otherwise).
CREATE TABLE IF NOT EXISTS pending_merge (id TEXT PRIMARY KEY);
"""


class Catalog:
    """The SQLite catalog of dump files, their records, and the merged papers."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            # The app syncs from a worker thread; Services serialises the writers.
            self._db = sqlite3.connect(
                path, timeout=30.0, isolation_level=None, check_same_thread=False
            )
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.executescript(_SCHEMA)
            self._check_version()
            self._migrate()
        except sqlite3.DatabaseError as error:
            reason = environment_problem(error, path.parent)
            if reason is not None:
                raise CatalogUnavailable(0, f"{reason} ({error})", str(path)) from error
            raise CatalogUnusable(f"{path}: {error}") from error

    def _check_version(self) -> None:
        row = self._db.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
        if row is None:
            self._db.execute(
                "INSERT INTO meta (key, value) VALUES ('schema', ?)", (str(CATALOG_SCHEMA_VERSION),)
            )
            # A new catalog's ids are made by this code: no identity migration is due.
            self._db.execute(
                "INSERT OR REPLACE INTO meta (key, value) VALUES ('identity', ?)",
                (str(IDENTITY_VERSION),),
            )
        elif row[0] != str(CATALOG_SCHEMA_VERSION):
            raise CatalogUnusable(
                f"{self.path}: catalog schema {row[0]}, this version reads {CATALOG_SCHEMA_VERSION}"
            )

    def _migrate(self) -> None:
        """Bring an older catalog of this schema up to date, in place.

        A catalog made before ``papers.listed`` gains the column (filled from the stored
        papers, where they have it). A catalog whose records an older parser read has
        every file marked stale (:data:`STALE_DIGEST`): the next sync reads them again,
        so junk papers from non-dumps go and listing days come in.
        """
        columns = {row[1] for row in self._db.execute("PRAGMA table_info(papers)")}
        row = self._db.execute("SELECT value FROM meta WHERE key = 'parser'").fetchone()
        parser_changed = row is None or row[0] != str(PARSER_VERSION)
        if "listed" in columns and not parser_changed:
            return  # nothing to write: a read-only library opens as before
        with self.transaction() as db:
            if "listed" not in columns:
                db.execute("ALTER TABLE papers ADD COLUMN listed TEXT")
                db.execute("UPDATE papers SET listed = json_extract(data, '$.listed')")
            db.execute("CREATE INDEX IF NOT EXISTS papers_by_listed ON papers (listed)")
            if parser_changed:
                db.execute("UPDATE files SET sha256 = ?", (STALE_DIGEST,))
                db.execute(
                    "INSERT OR REPLACE INTO meta (key, value) VALUES ('parser', ?)",
                    (str(PARSER_VERSION),),
                )

    def stale_files(self) -> list[str]:
        """Files read by an older parser, to read again (see :meth:`_migrate`)."""
        rows = self._db.execute("SELECT path FROM files WHERE sha256 = ?", (STALE_DIGEST,))
        return [row[0] for row in rows]

    def close(self) -> None:
        self._db.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield self._db
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    # -- reading -----------------------------------------------------------------

    def paper_count(self) -> int:
        return int(self._db.execute("SELECT count(*) FROM papers").fetchone()[0])

    def known_files(self) -> dict[str, tuple[int, int, str, int | None]]:
        rows = self._db.execute("SELECT path, size, mtime_ns, sha256, year FROM files")
        return {path: (size, mtime, digest, year) for path, size, mtime, digest, year in rows}

    def paper(self, paper_id: str) -> Paper | None:
        row = self._db.execute("SELECT data FROM papers WHERE id = ?", (paper_id,)).fetchone()
        return None if row is None else Paper.model_validate_json(row[0])

    def papers(self, paper_ids: Iterable[str] | None = None) -> Iterator[Paper]:
        if paper_ids is None:
            for (data,) in self._db.execute("SELECT data FROM papers ORDER BY id"):
                yield Paper.model_validate_json(data)
            return
        for paper_id in paper_ids:
            paper = self.paper(paper_id)
            if paper is not None:
                yield paper

    def identities(self) -> Iterator[tuple[str, str, str | None, list[str]]]:
        """(id, title, arxiv_id, links) of every paper, without building ``Paper`` objects
        (what tag import matches entries against)."""
        for paper_id, data in self._db.execute("SELECT id, data FROM papers ORDER BY id"):
            fields = json.loads(data)
            yield paper_id, fields.get("title", ""), fields.get("arxiv_id"), fields.get("links", [])

    def version(self) -> tuple[int, int]:
        """A value that changes whenever the papers change, here or in another process.

        ``data_version`` moves with other connections' commits, ``total_changes`` with
        every row this connection writes (of any table: a change that left the papers
        as they were costs the stats one read of them). Neither counts rows: the stats
        ask on every call, and ``count(*)`` over 100k papers took 8 ms.
        """
        changed_elsewhere = int(self._db.execute("PRAGMA data_version").fetchone()[0])
        return changed_elsewhere, self._db.total_changes

    def paper_facts(self) -> Iterator[tuple[str, str]]:
        """(id, JSON array) per paper: ``[listed, date, organization name, slug, author names]``.

        One JSON parse per paper inside SQLite instead of a whole ``Paper`` in Python: the
        stats read every paper of a 100k library this way. A field a paper lacks is null
        (``listed`` is null for papers read before listing days were recorded).
        """
        yield from self._db.execute(
            "SELECT id, json_extract(data, '$.listed', '$.date', '$.organization.name',"
            " '$.organization.slug', '$.author_names') FROM papers"
        )

    def paper_texts(self, paper_ids: Sequence[str]) -> Iterator[tuple[str, str, str]]:
        """(id, title, abstract) of the papers with these ids that are in the catalog."""
        for start in range(0, len(paper_ids), 500):
            chunk = paper_ids[start : start + 500]
            marks = ",".join("?" * len(chunk))
            rows = self._db.execute(
                f"SELECT id, json_extract(data, '$.title', '$.abstract') FROM papers"
                f" WHERE id IN ({marks})",
                chunk,
            )
            for paper_id, fields in rows:
                title, abstract = json.loads(fields)
                yield paper_id, title or "", abstract or ""

    def pending_index_ids(self) -> list[str]:
        return [row[0] for row in self._db.execute("SELECT id FROM pending_index")]

    def mark_indexed(self, paper_ids: Iterable[str]) -> None:
        with self.transaction() as db:
            db.executemany("DELETE FROM pending_index WHERE id = ?", ((i,) for i in paper_ids))

    def mark_all_pending(self) -> None:
        with self.transaction() as db:
            db.execute("INSERT OR IGNORE INTO pending_index (id) SELECT id FROM papers")

    # -- writing -----------------------------------------------------------------

    def replace_file(
        self,
        db: sqlite3.Connection,
        file: str,
        stat: os.stat_result,
        digest: str,
        year: int | None,
        records: Sequence[ParsedRecord],
    ) -> set[str]:
        """Store a file's new records in place of its old ones; return the paper ids touched.

        Records are stored with ``file`` as their source: rows are made one at a time so
        a big dump is not copied whole a second (and third) time.
        """
        touched = self._paper_ids_of_file(db, file)
        db.execute("DELETE FROM records WHERE file = ?", (file,))
        ids_by_arxiv: dict[str, str] = {}

        def rows() -> Iterator[tuple[str, int, str, str | None, str]]:
            for record in records:
                paper_id = self._canonical_id(db, record, ids_by_arxiv)
                touched.add(paper_id)
                data = _with_source_file(record, file).model_dump_json()
                yield (file, record.source.line, paper_id, record.arxiv_id, data)

        db.executemany(
            "INSERT INTO records (file, line, paper_id, arxiv_id, data) VALUES (?, ?, ?, ?, ?)",
            rows(),
        )
        db.execute(
            "INSERT OR REPLACE INTO files (path, size, mtime_ns, sha256, year, records)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (file, stat.st_size, stat.st_mtime_ns, digest, year, len(records)),
        )
        self._mark_for_merge(db, touched)
        return touched

    def touch_file(self, db: sqlite3.Connection, file: str, stat: os.stat_result) -> None:
        """The file's bytes are unchanged but its mtime moved: remember the new mtime."""
        db.execute(
            "UPDATE files SET size = ?, mtime_ns = ? WHERE path = ?",
            (stat.st_size, stat.st_mtime_ns, file),
        )

    def forget_file(self, db: sqlite3.Connection, file: str) -> set[str]:
        touched = self._paper_ids_of_file(db, file)
        db.execute("DELETE FROM records WHERE file = ?", (file,))
        db.execute("DELETE FROM files WHERE path = ?", (file,))
        self._mark_for_merge(db, touched)
        return touched

    @staticmethod
    def _mark_for_merge(db: sqlite3.Connection, paper_ids: Iterable[str]) -> None:
        db.executemany(
            "INSERT OR IGNORE INTO pending_merge (id) VALUES (?)", ((i,) for i in paper_ids)
        )

    def pending_merge_ids(self) -> set[str]:
        """Ids to merge again; also papers whose records exist without a merged paper,
        which a run killed between the two commits left before pending_merge existed."""
        pending = {row[0] for row in self._db.execute("SELECT id FROM pending_merge")}
        orphaned = self._db.execute(
            "SELECT DISTINCT paper_id FROM records"
            " WHERE NOT EXISTS (SELECT 1 FROM papers WHERE papers.id = records.paper_id)"
        )
        return pending | {row[0] for row in orphaned}

    def remerge(
        self, db: sqlite3.Connection, paper_ids: Iterable[str]
    ) -> tuple[list[str], list[str], list[str]]:
        """Recompute the merged papers for these ids: (changed ids, removed ids, the ids
        among the changed that were not in the catalog before)."""
        changed: list[str] = []
        removed: list[str] = []
        added: list[str] = []
        for paper_id in sorted(set(paper_ids)):
            # rowid: records sharing a line (a JSON array) stay in the file's order.
            rows = db.execute(
                "SELECT data FROM records WHERE paper_id = ? ORDER BY file, line, rowid",
                (paper_id,),
            ).fetchall()
            existed = db.execute("SELECT 1 FROM papers WHERE id = ?", (paper_id,)).fetchone()
            if not rows:
                if existed:
                    db.execute("DELETE FROM papers WHERE id = ?", (paper_id,))
                    removed.append(paper_id)
                    db.execute("INSERT OR IGNORE INTO pending_index (id) VALUES (?)", (paper_id,))
                continue
            records = [ParsedRecord.model_validate_json(data) for (data,) in rows]
            paper = merge_records(paper_id, records)
            listed = paper.listed.isoformat() if paper.listed else None
            db.execute(
                "INSERT OR REPLACE INTO papers (id, data, listed) VALUES (?, ?, ?)",
                (paper_id, paper.model_dump_json(), listed),
            )
            db.execute("INSERT OR IGNORE INTO pending_index (id) VALUES (?)", (paper_id,))
            changed.append(paper_id)
            if not existed:
                added.append(paper_id)
        return changed, removed, added

    # -- paper identity (browser.identity_migration) ----------------------------------

    def identity_version(self) -> int:
        """The ``browser.identity`` version the stored ids were made with (1 before 2 existed)."""
        row = self._db.execute("SELECT value FROM meta WHERE key = 'identity'").fetchone()
        return int(row[0]) if row is not None else 1

    def identity_moves(self, id_for_title: Callable[[str], str]) -> dict[str, str]:
        """{old paper id: new paper id} that ``reidentify`` with ``id_for_title`` would make."""
        return _identity_plan(self._db, id_for_title)[1]

    def reidentify(self, id_for_title: Callable[[str], str], version: int) -> dict[str, str]:
        """Derive every record's id again with ``id_for_title`` and merge the papers anew.

        One transaction; records that were joined to a paper by arXiv id follow their
        paper. Papers whose ids now coincide become one; the old ids are removed (and
        queued for the index). Records ``version`` as the catalog's identity version.
        Returns {old paper id: new paper id}.
        """
        with self.transaction() as db:
            updates, moves = _identity_plan(db, id_for_title)
            db.executemany(
                "UPDATE records SET paper_id = ?, data = json_set(data, '$.id', ?) WHERE rowid = ?",
                updates,
            )
            if moves:
                self.remerge(db, set(moves) | set(moves.values()))
            db.execute(
                "INSERT OR REPLACE INTO meta (key, value) VALUES ('identity', ?)", (str(version),)
            )
        return moves

    @staticmethod
    def _paper_ids_of_file(db: sqlite3.Connection, file: str) -> set[str]:
        rows = db.execute("SELECT DISTINCT paper_id FROM records WHERE file = ?", (file,))
        return {row[0] for row in rows}

    @staticmethod
    def _canonical_id(
        db: sqlite3.Connection, record: ParsedRecord, ids_by_arxiv: dict[str, str]
    ) -> str:
        """The title-derived id, unless the same arXiv paper is already known under another id.

        Keeping the older id means tags never move when a second copy spells the title
        differently.
        """
        if record.arxiv_id is None:
            return record.id
        if record.arxiv_id not in ids_by_arxiv:
            row = db.execute(
                "SELECT paper_id FROM records WHERE arxiv_id = ? ORDER BY rowid LIMIT 1",
                (record.arxiv_id,),
            ).fetchone()
            ids_by_arxiv[record.arxiv_id] = record.id if row is None else str(row[0])
        return ids_by_arxiv[record.arxiv_id]


def _identity_plan(
    db: sqlite3.Connection, id_for_title: Callable[[str], str]
) -> tuple[list[tuple[str, str, int]], dict[str, str]]:
    """(record updates as (paper id, own id, rowid), {old paper id: new paper id}).

    A record whose paper id is its own title id makes its paper's new id; a record
    joined to another paper (same arXiv id) goes wherever that paper goes.
    """
    rows = db.execute(
        "SELECT rowid, paper_id, json_extract(data, '$.id'), json_extract(data, '$.title')"
        " FROM records ORDER BY rowid"
    ).fetchall()
    paper_moves: dict[str, str] = {}
    planned: list[tuple[int, str, str, str]] = []
    for rowid, paper, own, title in rows:
        new_own = id_for_title(title or "")
        planned.append((rowid, paper, own, new_own))
        if paper == own:
            paper_moves[paper] = new_own
    updates = [
        (paper_moves.get(paper, paper), new_own, rowid)
        for rowid, paper, own, new_own in planned
        if paper_moves.get(paper, paper) != paper or new_own != own
    ]
    return updates, {old: new for old, new in paper_moves.items() if old != new}


def parse_file(path: Path, *, year: int | None = None) -> ParsedFile:
    """``browser.parse.parse_file``, imported by the first sync: opening the catalog (the
    app's launch) needs no parser."""
    from browser.parse import parse_file as parse

    return parse(path, year=year)


def sync_catalog(
    catalog: Catalog,
    dumps: Sequence[Path],
    *,
    year: int | None = None,
    progress: Callable[[SyncProgress], None] | None = None,
) -> CatalogChanges:
    """Bring the catalog up to date with these dump paths (files or folders).

    Unchanged files (same size and mtime, or same hash) are not parsed again; files
    the catalog knows that are gone from disk take their papers with them (a paper
    still present in another dump stays).
    """
    changes = CatalogChanges()
    files, problems = find_dump_files(dumps)
    changes.problems.extend(problems)
    named = named_files(dumps)
    known = catalog.known_files()
    # Files an older parser read are read again, even when not named this time, with
    # the --year they were first read with (this sync's may be another or none).
    listed_keys = {file_key(path) for path in files}
    stale_years = {
        key: known[key][3]
        for key in catalog.stale_files()
        if key not in listed_keys and key in known and Path(key).is_file()
    }
    files += map(Path, stale_years)
    touched: set[str] = set()

    for known_file in known:
        if not Path(known_file).exists():
            with catalog.transaction() as db:
                touched |= catalog.forget_file(db, known_file)
            changes.files_removed += 1

    for position, path in enumerate(files):
        if progress is not None:
            progress(SyncProgress(done=position, total=len(files), current_file=str(path)))
        key = file_key(path)
        file_year = stale_years.get(key, year)
        try:
            stat = path.stat()
        except OSError as error:
            changes.problems.append(unreadable_problem(path, error))
            continue
        previous = known.get(key)
        if _unchanged(previous, stat, file_year):
            changes.files_unchanged += 1
            changes.records_by_file[str(path)] = -1
            continue
        try:
            digest = sha256_of_file(path)
        except OSError as error:
            changes.problems.append(unreadable_problem(path, error))
            continue
        if previous is not None and previous[2] == digest and previous[3] == file_year:
            with catalog.transaction() as db:
                catalog.touch_file(db, key, stat)
            changes.files_unchanged += 1
            continue
        # parse_file streams the file: a 200 MB dump is never in memory as bytes and text
        # at once, and a file that vanishes or turns unreadable now is a problem, not a crash.
        parsed = parse_file(path, year=file_year)
        changes.files_read += 1
        file_warnings, refusal = file_problems(path, parsed, named)
        changes.problems.extend(file_warnings)
        if refusal is not None:
            changes.skipped.append(refusal)
        changes.records_by_file[str(path)] = len(parsed.records)
        with catalog.transaction() as db:
            touched |= catalog.replace_file(db, key, stat, digest, file_year, parsed.records)
        del parsed

    if progress is not None:
        progress(SyncProgress(done=len(files), total=len(files), current_file=""))
    # Includes what a killed run stored but never merged.
    touched |= catalog.pending_merge_ids()
    if touched:
        with catalog.transaction() as db:
            changed, removed, added = catalog.remerge(db, touched)
            db.execute("DELETE FROM pending_merge")
        changes.changed_ids = changed
        changes.removed_ids = removed
        changes.added_ids = added
        changes.papers_added = len(added)
        changes.papers_updated = len(changed) - len(added)
    return changes


def _unchanged(
    previous: tuple[int, int, str, int | None] | None, stat: os.stat_result, year: int | None
) -> bool:
    """Whether a known file (size, mtime, digest, year) is as the catalog read it."""
    return (
        previous is not None
        and previous[2] != STALE_DIGEST
        and previous[3] == year
        and previous[:2] == (stat.st_size, stat.st_mtime_ns)
    )


def _with_source_file(record: ParsedRecord, file: str) -> ParsedRecord:
    source = record.source
    return record.model_copy(
        update={"source": Source(file=file, line=source.line, position=source.position)}
    )
