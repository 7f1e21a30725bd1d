"""Bring a library made by an older ``browser.identity`` up to the current one, tags included.

When the rules for paper ids change (``IDENTITY_VERSION``), a catalog written before
holds old ids and the user's tags are keyed by them. ``migrate_identities`` runs once
per catalog, when the library is opened:

1. it asks the catalog which papers change id (``Catalog.identity_moves``);
2. it moves the tags of each such paper onto its new id through the tag store's own
   operations (added to whatever the new id already has, then taken off the old id),
   so a crash in between leaves a tag on both ids, never on neither; read marks and
   notes move the same way (two notes on one paper are kept one after the other), and
   so do "new" marks (their batch keeps its time), the paper highlighted when the app
   last closed, and ids written in saved searches' and the session's query text
   (``id:hf-...``);
3. only then the catalog re-derives its ids and merges the papers that became one
   (``Catalog.reidentify``), recording the new version.

A run killed between 2 and 3 does it again next time: step 2 is then a no-op for
what already moved. User data that cannot be written postpones the whole migration
(the catalog keeps its old ids, so nothing is stranded).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from typing import Final, Protocol

from browser.identity import ID_PREFIX, IDENTITY_VERSION, paper_id
from browser.library import Catalog
from browser.tagnames import TagError
from browser.userdata.reading import SavedSearch
from browser.wording import counted

# A paper id written in query text (``id:hf-0123456789abcdef``).
_ID_IN_TEXT: Final = re.compile(rf"(?<![\w-]){re.escape(ID_PREFIX)}[0-9a-f]+(?![\w-])")

__all__ = ["ReadingMover", "TagMover", "migrate_identities"]


class TagMover(Protocol):
    """The tag-store operations a migration uses (``UserTags``, the JSON ``TagStore``)."""

    @property
    def read_only(self) -> bool: ...

    def tags_of(self, paper_id: str) -> list[str]: ...

    def title_of(self, paper_id: str) -> str: ...

    def add_many(self, additions: Iterable[tuple[str, Iterable[str], str]]) -> int: ...

    def set_many(self, assignments: Iterable[tuple[str, Iterable[str], str]]) -> int: ...


class ReadingMover(Protocol):
    """The read marks, notes, "new" marks, session and saved searches a migration moves
    (``browser.userdata.ReadingState``)."""

    def read_ids(self) -> set[str]: ...

    def set_read(self, paper_ids: Iterable[str], read: bool = True) -> list[str]: ...

    def note_of(self, paper_id: str) -> str: ...

    def set_note(self, paper_id: str, text: str, *, title: str = "") -> bool: ...

    def rename_new(self, moves: Mapping[str, str]) -> int: ...

    def session(self) -> dict[str, str]: ...

    def save_session(self, values: Mapping[str, str]) -> None: ...

    def saved_searches(self) -> list[SavedSearch]: ...

    def save_search(self, search: SavedSearch) -> bool: ...


def migrate_identities(
    catalog: Catalog,
    open_tags: Callable[[], TagMover],
    *,
    reading: ReadingMover | None = None,
) -> str | None:
    """Migrate ``catalog`` and the user data to the current ids; a message when anything moved.

    ``open_tags`` opens a tag store for the migration alone, only when one is due: its
    undo history then holds the migration, not the user's first undo. ``reading`` holds
    read marks and notes, if any. Returns None when nothing was due or nothing changed.
    """
    if catalog.identity_version() >= IDENTITY_VERSION:
        return None
    moves = catalog.identity_moves(paper_id)
    moved = 0
    if moves:
        tags = open_tags()
        if tags.read_only:
            return "paper ids not updated yet: the user data cannot be written"
        try:
            moved = _move_tags(tags, moves)
            if reading is not None:
                _move_reading(reading, moves)
        except (TagError, OSError, ValueError) as error:
            return f"paper ids not updated yet: could not move the user data ({error})"
    catalog.reidentify(paper_id, IDENTITY_VERSION)
    if not moves:
        return None
    message = (
        f"{counted(len(moves), 'paper')} whose titles differed only by invisible characters"
        " now have the id of their visible title"
    )
    if moved:
        message += f"; the tags of {moved} moved with them"
    return message


def _move_tags(tags: TagMover, moves: dict[str, str]) -> int:
    """Tags of each old id added to its new id, then removed from the old; papers moved."""
    tagged = {old: new for old, new in moves.items() if tags.tags_of(old)}
    if tagged:
        tags.add_many((new, tags.tags_of(old), tags.title_of(old)) for old, new in tagged.items())
        tags.set_many((old, [], tags.title_of(old)) for old in tagged)
    return len(tagged)


def _move_reading(reading: ReadingMover, moves: dict[str, str]) -> None:
    read = reading.read_ids()
    was_read = [old for old in moves if old in read]
    reading.set_read([moves[old] for old in was_read], True)
    reading.set_read(was_read, False)
    for old, new in moves.items():
        note = reading.note_of(old)
        if not note:
            continue
        kept = reading.note_of(new)
        if note not in kept:
            reading.set_note(new, f"{kept}\n\n{note}" if kept else note)
        reading.set_note(old, "")
    reading.rename_new(moves)
    _move_session(reading, moves)
    for search in reading.saved_searches():
        query = renamed_ids(search.query, moves)
        if query != search.query:
            reading.save_search(SavedSearch(search.name, query, search.sort, search.filters))


def _move_session(reading: ReadingMover, moves: Mapping[str, str]) -> None:
    """The highlighted paper and the query of the last session, under the new ids."""
    session = reading.session()
    moved = dict(session)
    if session.get("paper") in moves:
        moved["paper"] = moves[session["paper"]]
    if "query" in session:
        moved["query"] = renamed_ids(session["query"], moves)
    if moved != session:
        reading.save_session(moved)


def renamed_ids(text: str, moves: Mapping[str, str]) -> str:
    """``text`` with each paper id that ``moves`` renames written as its new id."""
    return _ID_IN_TEXT.sub(lambda found: moves.get(found.group(), found.group()), text)
