"""Bring a ``tags.json`` written by earlier versions into the user-data database.

Crash-safe and idempotent: the file's tags are *added* in one transaction (a
paper keeps what the database already holds), and only after the commit is the
file renamed to ``tags.json.bak-migrated``. Killed before the commit, nothing
changed; killed between commit and rename, the next launch adds the same tags
again (nothing changes) and renames. Two copies migrating at once serialise on
the transaction and both find the same result. A ``tags.json`` that reappears
later (an older copy of the program still running, a restored backup) is merged
the same way. A file that cannot be read is left in place, a copy is kept, and
tags stay read-only until it is fixed: its tags are never lost.
"""

from __future__ import annotations

from pathlib import Path

from browser.fsutil import fsync_directory
from browser.tagchanges import TagEntry, TaggedPaper
from browser.tagnames import tag_key
from browser.tags import TagFileUnreadable, read_tags_file
from browser.userdata.database import Database, UserDataError
from browser.userdata.tags import load_tagged, store_tagged, tag_forms
from browser.wording import counted

__all__ = ["MIGRATED_SUFFIX", "migrate_tags_file"]

MIGRATED_SUFFIX = ".bak-migrated"


def migrate_tags_file(database: Database, legacy: Path) -> str | None:
    """Merge ``legacy`` (a tags.json) into ``database`` and set it aside.

    Returns a message for the user (what was migrated, or why it could not be),
    None when there was nothing to do.
    """
    try:
        entries = read_tags_file(legacy)
    except FileNotFoundError:
        return None
    except TagFileUnreadable as error:
        database.read_only = True
        database.problem = (
            f"{error}; it was not migrated into {database.path.name}. Fix or move the file "
            "away to change tags again"
        )
        return database.problem
    try:
        added = _merge(database, entries)
    except UserDataError as error:
        return f"{legacy} was not migrated: {error}"
    kept = _set_aside(legacy)
    if kept is None:
        return f"migrated {counted(added, 'tag')} from {legacy}, but could not rename it"
    return (
        f"migrated {counted(added, 'tag')} from {legacy.name} into {database.path.name}; "
        f"kept {kept.name}"
    )


def _merge(database: Database, entries: list[TagEntry]) -> int:
    """Add every entry's tags (and its title when the database has none); tags added."""
    added = 0
    with database.write("tags") as db:
        for entry in entries:
            current = load_tagged(db, entry.paper_id)
            have = {tag_key(tag) for tag in current.tags} if current else set()
            new = [tag for tag in entry.tags if tag_key(tag) not in have]
            if not new and current is not None:
                continue
            forms = tag_forms(db, {tag_key(tag) for tag in new})
            shown = [forms.get(tag_key(tag), tag) for tag in new]
            title = current.title if current and current.title else entry.title
            changed = entry.changed if current is None else current.changed
            tags = (*(current.tags if current else ()), *shown)
            store_tagged(db, entry.paper_id, TaggedPaper(title, tags, changed) if tags else None)
            added += len(shown)
    return added


def _set_aside(legacy: Path) -> Path | None:
    target = legacy.with_name(legacy.name + MIGRATED_SUFFIX)
    counter = 1
    while target.exists():
        counter += 1
        target = legacy.with_name(f"{legacy.name}{MIGRATED_SUFFIX}-{counter}")
    try:
        legacy.replace(target)
    except FileNotFoundError:
        # Another copy migrated it a moment ago.
        return legacy.with_name(legacy.name + MIGRATED_SUFFIX)
    except OSError:
        return None
    fsync_directory(legacy.parent)
    return target
