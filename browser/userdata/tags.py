"""The user's tags in the user-data database, with the interface of the JSON TagStore.

Every change is an operation (``browser.tagchanges``) applied inside one
``BEGIN IMMEDIATE`` transaction onto the rows of the papers it touches, so two
copies tagging at once both keep their changes and undo never reverts another
copy's work. Reads go to the database each time (microseconds per paper), so a
change another copy committed shows at once; ``reload`` only tells whether
anything changed.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable
from typing import Any

from browser.tagchanges import (
    TagChange,
    TagEntry,
    TaggedPaper,
    TagOperations,
    UndoStep,
    apply_change,
    iso_utc,
    utc_now,
)
from browser.tagnames import tag_key
from browser.userdata.database import Database

__all__ = ["UserTags", "load_tagged", "store_tagged", "tag_forms"]

_GENERATION = "tags_generation"


class UserTags(TagOperations):
    """Tags by paper id (implements TagLookup); the same methods as the JSON TagStore."""

    def __init__(self, database: Database, *, clock: Callable[[], Any] = utc_now) -> None:
        self._db = database
        self._clock = clock
        self._undo: list[UndoStep] = []
        # A commit and its undo entry belong together (the app saves from several threads).
        self._mutex = threading.RLock()
        self._seen_version: int | None = database.data_version()
        self._seen_generation = self._generation()

    @property
    def path(self) -> Any:
        return self._db.path

    @property
    def read_only(self) -> bool:
        return self._db.read_only

    @property
    def problem(self) -> str | None:
        return self._db.problem

    # ---------------------------------------------------------------- reading

    def tags_of(self, paper_id: str) -> list[str]:
        rows = self._db.read(
            "SELECT name FROM tag WHERE paper_id = ? ORDER BY position", (paper_id,)
        )
        return [name for (name,) in rows]

    def ids_with_tag(self, tag: str) -> set[str]:
        rows = self._db.read("SELECT paper_id FROM tag WHERE key = ?", (tag_key(tag),))
        return {paper_id for (paper_id,) in rows}

    def tagged_ids(self) -> set[str]:
        return {paper_id for (paper_id,) in self._db.read("SELECT paper_id FROM tagged")}

    def counts(self) -> dict[str, int]:
        forms = self._forms()
        rows = self._db.read("SELECT key, COUNT(*) FROM tag GROUP BY key")
        counted = dict(rows)
        return {forms[key]: counted[key] for key in sorted(counted) if key in forms}

    def known_tags(self) -> list[str]:
        forms = self._forms()
        return [forms[key] for key in sorted(forms)]

    def title_of(self, paper_id: str) -> str:
        rows = self._db.read("SELECT title FROM tagged WHERE paper_id = ?", (paper_id,))
        return rows[0][0] if rows else ""

    def entries(self) -> list[TagEntry]:
        """Every tagged paper, by id."""
        tags: dict[str, list[str]] = {}
        for paper_id, name in self._db.read(
            "SELECT paper_id, name FROM tag ORDER BY paper_id, position"
        ):
            tags.setdefault(paper_id, []).append(name)
        rows = self._db.read("SELECT paper_id, title, changed FROM tagged ORDER BY paper_id")
        return [
            TagEntry(paper_id, title, tuple(tags.get(paper_id, ())), changed)
            for paper_id, title, changed in rows
        ]

    def __len__(self) -> int:
        rows = self._db.read("SELECT COUNT(*) FROM tagged")
        return int(rows[0][0]) if rows else 0

    def _forms(self) -> dict[str, str]:
        """casefolded key -> the spelling shown: the first in paper-id order."""
        forms: dict[str, str] = {}
        for key, name in self._db.read("SELECT key, name FROM tag ORDER BY paper_id, position"):
            forms.setdefault(key, name)
        return forms

    def _generation(self) -> str:
        rows = self._db.read("SELECT value FROM meta WHERE key = ?", (_GENERATION,))
        return rows[0][0] if rows else ""

    def reload(self) -> bool:
        """True if another copy changed the tags since this store last looked."""
        version = self._db.data_version()
        if version == self._seen_version:
            return False
        self._seen_version = version
        generation = self._generation()
        changed = generation != self._seen_generation
        self._seen_generation = generation
        return changed

    # ---------------------------------------------------------------- internals

    def _commit(self, changes: list[TagChange]) -> list[TagChange]:
        """Apply ``changes`` onto the database's rows in one transaction; their inverses."""
        with self._mutex, self._db.write("tags") as db:
            present: dict[str, TaggedPaper] = {}
            for paper_id in {change.paper_id for change in changes}:
                if (paper := load_tagged(db, paper_id)) is not None:
                    present[paper_id] = paper
            forms = tag_forms(db, {tag_key(tag) for change in changes for tag in change.tags})
            now = iso_utc(self._clock())
            inverses = [
                inverse
                for change in changes
                if (inverse := apply_change(present, change, forms, now)) is not None
            ]
            if inverses:
                for paper_id in {inverse.paper_id for inverse in inverses}:
                    store_tagged(db, paper_id, present.get(paper_id))
                db.execute(
                    "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE"
                    " SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT)",
                    (_GENERATION, "1"),
                )
        if inverses:
            # Our own commit is not news for reload().
            self._seen_version = self._db.data_version()
            self._seen_generation = self._generation()
        return inverses


def load_tagged(db: sqlite3.Connection, paper_id: str) -> TaggedPaper | None:
    row = db.execute(
        "SELECT title, changed FROM tagged WHERE paper_id = ?", (paper_id,)
    ).fetchone()
    if row is None:
        return None
    tags = db.execute(
        "SELECT name FROM tag WHERE paper_id = ? ORDER BY position", (paper_id,)
    ).fetchall()
    return TaggedPaper(row[0], tuple(name for (name,) in tags), row[1])


def tag_forms(db: sqlite3.Connection, keys: set[str]) -> dict[str, str]:
    forms: dict[str, str] = {}
    for key in keys:
        row = db.execute(
            "SELECT name FROM tag WHERE key = ? ORDER BY paper_id, position LIMIT 1", (key,)
        ).fetchone()
        if row is not None:
            forms[key] = row[0]
    return forms


def store_tagged(db: sqlite3.Connection, paper_id: str, paper: TaggedPaper | None) -> None:
    db.execute("DELETE FROM tag WHERE paper_id = ?", (paper_id,))
    if paper is None:
        db.execute("DELETE FROM tagged WHERE paper_id = ?", (paper_id,))
        return
    db.execute(
        "INSERT INTO tagged (paper_id, title, changed) VALUES (?, ?, ?) ON CONFLICT (paper_id)"
        " DO UPDATE SET title = excluded.title, changed = excluded.changed",
        (paper_id, paper.title, paper.changed),
    )
    db.executemany(
        "INSERT INTO tag (paper_id, position, name, key) VALUES (?, ?, ?, ?)",
        [(paper_id, position, name, tag_key(name)) for position, name in enumerate(paper.tags)],
    )
