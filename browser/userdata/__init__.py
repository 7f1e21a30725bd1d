"""The user's own data: tags, read state, notes, "new" marks, saved searches and the
last session, in one SQLite database (``userdata.sqlite3`` in the library folder).

This is the one part of the library that cannot be rebuilt from the dumps; see
``database`` for the guarantees (kills, two copies, damage), ``migrate`` for the
``tags.json`` of earlier versions, and :meth:`UserData.backup` for a copy plus a
plain-text (JSON Lines) export of everything.

Shapes: paper ids are the library's (``hf-...``); times are ISO-8601 UTC text.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from browser.fsutil import atomic_writer
from browser.tagchanges import iso_utc, utc_now
from browser.userdata.database import USERDATA_FILE, Database, UserDataError
from browser.userdata.migrate import MIGRATED_SUFFIX, migrate_tags_file
from browser.userdata.reading import STATE_NAMES, ReadingState, SavedSearch
from browser.userdata.tags import UserTags
from browser.wording import counted

__all__ = [
    "MIGRATED_SUFFIX",
    "STATE_NAMES",
    "USERDATA_FILE",
    "BackupReport",
    "ReadingState",
    "SavedSearch",
    "UserData",
    "UserDataError",
    "UserTags",
]


# What each count of ``write_text`` names, singular and plural ("1 saved search").
_BACKUP_NOUNS: dict[str, tuple[str, str]] = {
    "tagged": ("tagged paper", "tagged papers"),
    "noted": ("note", "notes"),
    "read": ("read mark", "read marks"),
    "saved searches": ("saved search", "saved searches"),
}


class BackupReport:
    """What :meth:`UserData.backup` wrote: the database copy and its plain-text twin."""

    def __init__(self, database: Path, text: Path, counts: dict[str, int]) -> None:
        self.database = database
        self.text = text
        self.counts = counts

    def describe(self) -> str:
        what = ", ".join(
            counted(value, *_BACKUP_NOUNS.get(name, (name, name)))
            for name, value in self.counts.items()
        )
        return f"backed up {what} to {self.database} and {self.text}"


class UserData:
    """Opens the database, migrates a ``tags.json`` beside it, and hands out the parts.

    ``tags`` (TagStore interface) and ``reading`` (read state, notes, new marks, saved
    searches, session). ``read_only``/``problem`` say when nothing can be saved and why;
    ``notice`` holds what the migration did, for the user, once.
    """

    def __init__(
        self,
        path: Path,
        *,
        legacy_tags: Path | None = None,
        clock: Callable[[], Any] = utc_now,
    ) -> None:
        self.path = Path(path)
        self._clock = clock
        self.database = Database(self.path, clock=clock)
        self.notice: str | None = None
        if legacy_tags is not None and not self.database.read_only:
            self.notice = migrate_tags_file(self.database, legacy_tags)
        self.tags = UserTags(self.database, clock=clock)
        self.reading = ReadingState(self.database, clock=clock)

    @property
    def read_only(self) -> bool:
        return self.database.read_only

    @property
    def problem(self) -> str | None:
        return self.database.problem

    def backup(self, folder: Path) -> BackupReport:
        """Write ``userdata-STAMP.sqlite3`` (a consistent copy) and ``userdata-STAMP.jsonl``
        (one JSON object per tagged, read, noted or new paper, then one per saved search)
        into ``folder``. Raises OSError or UserDataError."""
        stamp = iso_utc(self._clock()).replace(":", "").replace("-", "")
        folder.mkdir(parents=True, exist_ok=True)
        database = folder / f"userdata-{stamp}.sqlite3"
        text = folder / f"userdata-{stamp}.jsonl"
        self.database.backup_to(database)
        counts = self.write_text(text)
        return BackupReport(database, text, counts)

    def write_text(self, path: Path) -> dict[str, int]:
        """Everything as JSON Lines, atomically; returns how many of each were written."""
        tags = {entry.paper_id: entry for entry in self.tags.entries()}
        notes = self.reading.notes()
        read = self.reading.read_ids()
        new = self.reading.new_ids()
        ids = sorted(tags.keys() | notes.keys() | read | new)
        with atomic_writer(path, "w", encoding="utf-8", newline="\n") as out:
            for paper_id in ids:
                entry = tags.get(paper_id)
                record: dict[str, Any] = {"paper_id": paper_id}
                if entry is not None:
                    record["title"] = entry.title
                    record["tags"] = list(entry.tags)
                if paper_id in notes:
                    record["note"] = notes[paper_id]
                record["read"] = paper_id in read
                record["new"] = paper_id in new
                out.write(json.dumps(record, ensure_ascii=False, sort_keys=True) + "\n")
            searches = self.reading.saved_searches()
            for search in searches:
                out.write(
                    json.dumps(
                        {
                            "saved_search": search.name,
                            "query": search.query,
                            "sort": search.sort,
                            "filters": dict(search.filters),
                        },
                        ensure_ascii=False,
                        sort_keys=True,
                    )
                    + "\n"
                )
        return {
            "tagged": len(tags),
            "noted": len(notes),
            "read": len(read),
            "saved searches": len(searches),
        }

    def close(self) -> None:
        self.database.close()


def open_user_data(library_dir: Path, file: Path | None = None) -> UserData:
    """The user data of a library: ``file`` or ``library_dir/userdata.sqlite3``, with the
    library's ``tags.json`` (or a ``.json`` ``file``'s) migrated in."""
    if file is not None and file.suffix == ".json":
        return UserData(file.with_name(USERDATA_FILE), legacy_tags=file)
    path = file if file is not None else library_dir / USERDATA_FILE
    return UserData(path, legacy_tags=path.with_name("tags.json"))


__all__ += ["open_user_data"]
