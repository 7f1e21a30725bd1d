"""Read state, notes, "new" marks, saved searches and the last session, per paper.

Each change is one transaction on the rows it touches (see ``database``), so two
copies marking different papers, or writing notes to different papers, both
keep their work; for one paper the last save wins. Implements
``models.UserStateLookup`` for the search filters ``is:read``, ``is:noted``,
``is:new`` and ``note:WORD``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from browser.tagchanges import iso_utc, utc_now
from browser.userdata.database import Database

__all__ = ["STATE_NAMES", "ReadingState", "SavedSearch"]

# The predicate names ids_where answers (is:read, is:noted, is:new, note:WORD).
STATE_NAMES = ("read", "noted", "new", "note")
MAX_NOTE_CHARS = 1_000_000


@dataclass(frozen=True)
class SavedSearch:
    """A named search: the query text, its sort order and its structured filters
    (``filters`` is a JSON-ready mapping, see ``browser.userdata.filters_to_json``)."""

    name: str
    query: str
    sort: str = "relevance"
    filters: Mapping[str, Any] = field(default_factory=dict)
    changed: str = ""


class ReadingState:
    """The reading workflow's user data; every change is saved before returning."""

    def __init__(self, database: Database, *, clock: Callable[[], Any] = utc_now) -> None:
        self._db = database
        self._clock = clock

    # ------------------------------------------------------------------ read

    def is_read(self, paper_id: str) -> bool:
        return bool(self._db.read("SELECT 1 FROM read WHERE paper_id = ?", (paper_id,)))

    def read_ids(self) -> set[str]:
        return {paper_id for (paper_id,) in self._db.read("SELECT paper_id FROM read")}

    def set_read(self, paper_ids: Iterable[str], read: bool = True) -> list[str]:
        """Mark papers read (or unread); returns the ids whose state changed, in order."""
        wanted = list(dict.fromkeys(paper_ids))
        changed: list[str] = []
        now = iso_utc(self._clock())
        with self._db.write("read marks") as db:
            for paper_id in wanted:
                if read:
                    cursor = db.execute(
                        "INSERT OR IGNORE INTO read (paper_id, at) VALUES (?, ?)", (paper_id, now)
                    )
                else:
                    cursor = db.execute("DELETE FROM read WHERE paper_id = ?", (paper_id,))
                if cursor.rowcount:
                    changed.append(paper_id)
        return changed

    # ------------------------------------------------------------------ notes

    def note_of(self, paper_id: str) -> str:
        rows = self._db.read("SELECT text FROM note WHERE paper_id = ?", (paper_id,))
        return rows[0][0] if rows else ""

    def noted_ids(self) -> set[str]:
        return {paper_id for (paper_id,) in self._db.read("SELECT paper_id FROM note")}

    def notes(self, paper_ids: Iterable[str] | None = None) -> dict[str, str]:
        """paper id -> note, for these papers (every noted paper when None)."""
        every: dict[str, str] = dict(self._db.read("SELECT paper_id, text FROM note"))
        if paper_ids is None:
            return every
        return {paper_id: every[paper_id] for paper_id in paper_ids if paper_id in every}

    def set_note(self, paper_id: str, text: str, *, title: str = "") -> bool:
        """Save a paper's note (Markdown, as typed); blank text deletes it. True if changed.

        Raises ValueError for a note over MAX_NOTE_CHARS, UserDataError when not saved.
        """
        if len(text) > MAX_NOTE_CHARS:
            raise ValueError(f"a note holds at most {MAX_NOTE_CHARS:,} characters")
        with self._db.write("notes") as db:
            row = db.execute("SELECT text FROM note WHERE paper_id = ?", (paper_id,)).fetchone()
            if not text.strip():
                db.execute("DELETE FROM note WHERE paper_id = ?", (paper_id,))
                return row is not None
            if row is not None and row[0] == text:
                return False
            db.execute(
                "INSERT INTO note (paper_id, title, text, changed) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (paper_id) DO UPDATE SET text = excluded.text,"
                " changed = excluded.changed,"
                " title = CASE WHEN excluded.title = '' THEN title ELSE excluded.title END",
                (paper_id, title, text, iso_utc(self._clock())),
            )
        return True

    # ------------------------------------------------------------------ new

    def new_ids(self) -> set[str]:
        return {paper_id for (paper_id,) in self._db.read("SELECT paper_id FROM new_paper")}

    def new_since(self) -> str | None:
        """When the sync that added the current new papers ran (ISO-8601 UTC), or None."""
        rows = self._db.read("SELECT value FROM meta WHERE key = 'new_since'")
        return rows[0][0] if rows else None

    def previous_sync(self) -> str | None:
        """When the sync before the one that added the new papers added some (ISO-8601
        UTC): "37 new papers since Dec 9". None when this is the first such sync."""
        rows = self._db.read("SELECT value FROM meta WHERE key = 'new_previous'")
        return rows[0][0] if rows else None

    def replace_new(self, paper_ids: Iterable[str]) -> None:
        """The papers a sync just added become the new ones (the previous set is dropped)."""
        ids = list(dict.fromkeys(paper_ids))
        with self._db.write("new marks") as db:
            db.execute(
                "INSERT OR REPLACE INTO meta (key, value)"
                " SELECT 'new_previous', value FROM meta WHERE key = 'new_since'"
            )
            db.execute("DELETE FROM new_paper")
            db.executemany("INSERT INTO new_paper (paper_id) VALUES (?)", [(i,) for i in ids])
            db.execute(
                "INSERT OR REPLACE INTO meta (key, value) VALUES ('new_since', ?)",
                (iso_utc(self._clock()),),
            )

    def rename_new(self, moves: Mapping[str, str]) -> int:
        """Move "new" marks from old paper ids to new ones (``browser.identity_migration``),
        keeping when their batch was added (so it is not announced again). Returns how
        many moved; one transaction."""
        moved = 0
        with self._db.write("new marks") as db:
            for old, new in moves.items():
                if db.execute("DELETE FROM new_paper WHERE paper_id = ?", (old,)).rowcount:
                    db.execute("INSERT OR IGNORE INTO new_paper (paper_id) VALUES (?)", (new,))
                    moved += 1
        return moved

    # ------------------------------------------------------------------ filters

    def ids_where(self, name: str, argument: str) -> set[str]:
        """UserStateLookup: ``read``, ``noted``, ``new`` take no argument; ``note`` holds
        the papers whose note contains every word of ``argument`` (case-insensitive)."""
        if name == "read":
            return self.read_ids()
        if name == "noted":
            return self.noted_ids()
        if name == "new":
            return self.new_ids()
        if name == "note":
            words = argument.casefold().split()
            return {
                paper_id
                for paper_id, text in self.notes().items()
                if all(word in text.casefold() for word in words)
            }
        raise KeyError(name)

    # ------------------------------------------------------------------ saved searches

    def saved_searches(self) -> list[SavedSearch]:
        rows = self._db.read(
            "SELECT name, query, sort, filters, changed FROM saved_search ORDER BY name"
        )
        return [_saved(row) for row in rows]

    def saved_search(self, name: str) -> SavedSearch | None:
        rows = self._db.read(
            "SELECT name, query, sort, filters, changed FROM saved_search WHERE name = ?",
            (name.strip(),),
        )
        return _saved(rows[0]) if rows else None

    def save_search(self, search: SavedSearch) -> bool:
        """Save (or overwrite) a named search; True if it replaced one of that name."""
        name = search.name.strip()
        if not name:
            raise ValueError("a saved search needs a name")
        with self._db.write("saved searches") as db:
            existed = db.execute("SELECT 1 FROM saved_search WHERE name = ?", (name,)).fetchone()
            db.execute(
                "INSERT OR REPLACE INTO saved_search (name, query, sort, filters, changed)"
                " VALUES (?, ?, ?, ?, ?)",
                (name, search.query, search.sort, json.dumps(dict(search.filters)),
                 iso_utc(self._clock())),
            )
        return existed is not None

    def delete_search(self, name: str) -> bool:
        with self._db.write("saved searches") as db:
            cursor = db.execute("DELETE FROM saved_search WHERE name = ?", (name.strip(),))
            return bool(cursor.rowcount)

    # ------------------------------------------------------------------ session

    def session(self) -> dict[str, str]:
        """Where the user left off: free-form keys (query, sort, filters, paper)."""
        return dict(self._db.read("SELECT key, value FROM session"))

    def save_session(self, values: Mapping[str, str]) -> None:
        with self._db.write("the session") as db:
            db.execute("DELETE FROM session")
            db.executemany("INSERT INTO session (key, value) VALUES (?, ?)", list(values.items()))


def _saved(row: tuple[str, str, str, str, str]) -> SavedSearch:
    name, query, sort, filters, changed = row
    try:
        decoded = json.loads(filters)
    except ValueError:
        decoded = {}
    return SavedSearch(name, query, sort, decoded if isinstance(decoded, dict) else {}, changed)
