"""Bring a library made by an older ``browser.identity`` up to the current one, tags included.

When the rules for paper ids change (``IDENTITY_VERSION``), a catalog written before
holds old ids and the user's tags are keyed by them. ``migrate_identities`` runs once
per catalog, when the library is opened:

1. it asks the catalog which papers change id (``Catalog.identity_moves``);
2. it moves the tags of each such paper onto its new id through the tag store's own
   operations (added to whatever the new id already has, then taken off the old id),
   so a crash in between leaves a tag on both ids, never on neither;
3. only then the catalog re-derives its ids and merges the papers that became one
   (``Catalog.reidentify``), recording the new version.

A run killed between 2 and 3 does it again next time: step 2 is then a no-op for the
tags already moved. A read-only tag store postpones the whole migration (the catalog
keeps its old ids, so no tag is stranded).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Protocol

from browser.identity import IDENTITY_VERSION, paper_id
from browser.library import Catalog
from browser.tagnames import TagError

__all__ = ["TagMover", "migrate_identities"]


class TagMover(Protocol):
    """The tag-store operations a migration uses (``TagStore`` and its successors)."""

    read_only: bool

    def tags_of(self, paper_id: str) -> list[str]: ...

    def title_of(self, paper_id: str) -> str: ...

    def add_many(self, additions: Iterable[tuple[str, Iterable[str], str]]) -> int: ...

    def set_many(self, assignments: Iterable[tuple[str, Iterable[str], str]]) -> int: ...


def migrate_identities(catalog: Catalog, open_tags: Callable[[], TagMover]) -> str | None:
    """Migrate ``catalog`` and the tags to the current ids; a message when anything moved.

    ``open_tags`` opens a tag store for the migration alone, only when one is due: its
    undo history then holds the migration, not the user's first undo. Returns None when
    nothing was due or nothing changed.
    """
    if catalog.identity_version() >= IDENTITY_VERSION:
        return None
    moves = catalog.identity_moves(paper_id)
    tags = open_tags() if moves else None
    tagged = {old: new for old, new in moves.items() if tags and tags.tags_of(old)}
    if tags is not None and tagged:
        if tags.read_only:
            return "paper ids not updated yet: the tags file cannot be written"
        try:
            tags.add_many(
                (new, tags.tags_of(old), tags.title_of(old)) for old, new in tagged.items()
            )
            tags.set_many((old, [], tags.title_of(old)) for old in tagged)
        except (TagError, OSError) as error:
            return f"paper ids not updated yet: could not move tags ({error})"
    catalog.reidentify(paper_id, IDENTITY_VERSION)
    if not moves:
        return None
    message = (
        f"{len(moves)} paper(s) whose titles differed only by invisible characters"
        " now have the id of their visible title"
    )
    if tagged:
        message += f"; the tags of {len(tagged)} moved with them"
    return message
