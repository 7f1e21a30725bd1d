"""Tag changes as operations, shared by every tag store: pure, no files.

A change (add tag X to P, remove X from P, set P's tags) is applied onto whatever
the store holds at that moment and returns its inverse, so two writers both keep
their changes and undo never reverts someone else's. Tag names compare by
``tag_key`` (casefolded); the first spelling seen, in paper-id order, is shown.
"""

from __future__ import annotations

import datetime as dt
import errno
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from browser.tagnames import TagError, clean_tag, tag_key
from browser.wording import counted

__all__ = [
    "TagChange",
    "TagEntry",
    "TagOperations",
    "TaggedPaper",
    "UndoStep",
    "apply_change",
    "change_label",
    "describe_os_error",
    "display_forms",
    "iso_utc",
    "utc_now",
]


@dataclass(frozen=True)
class TagEntry:
    """One tagged paper as stored: enough to read the file without the dumps."""

    paper_id: str
    title: str
    tags: tuple[str, ...]
    changed: str  # ISO-8601 UTC


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def iso_utc(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class TaggedPaper:
    title: str
    tags: tuple[str, ...]
    changed: str
    # Keys a later version 1 writer may add: carried through untouched.
    extra: Mapping[str, Any] = field(default_factory=dict)



@dataclass(frozen=True)
class TagChange:
    """One operation on one paper, applied onto what is on disk under the lock.

    ``kind`` is "add", "remove" or "set"; ``tags`` holds one tag for add/remove.
    """

    kind: str
    paper_id: str
    tags: tuple[str, ...]
    title: str = ""


@dataclass(frozen=True)
class UndoStep:
    changes: tuple[TagChange, ...]
    description: str


def change_label(paper_id: str, title: str) -> str:
    return title or paper_id


def display_forms(papers: Mapping[str, TaggedPaper]) -> dict[str, str]:
    """casefolded key -> the display name to use: first seen in id order."""
    forms: dict[str, str] = {}
    for paper_id in sorted(papers):
        for tag in papers[paper_id].tags:
            forms.setdefault(tag_key(tag), tag)
    return forms


def apply_change(
    papers: dict[str, TaggedPaper], change: TagChange, forms: dict[str, str], now: str
) -> TagChange | None:
    """Apply ``change`` to ``papers`` in place; return its inverse, or None if nothing changed."""
    current = papers.get(change.paper_id)
    old_tags = current.tags if current else ()
    old_keys = [tag_key(tag) for tag in old_tags]
    title = change.title or (current.title if current else "")

    if change.kind == "add":
        (tag,) = change.tags
        key = tag_key(tag)
        if key in old_keys:
            return None
        shown = forms.setdefault(key, tag)
        new_tags = (*old_tags, shown)
        inverse = TagChange("remove", change.paper_id, (shown,), title)
    elif change.kind == "remove":
        (tag,) = change.tags
        key = tag_key(tag)
        if key not in old_keys:
            return None
        removed = old_tags[old_keys.index(key)]
        new_tags = tuple(t for t in old_tags if tag_key(t) != key)
        inverse = TagChange("add", change.paper_id, (removed,), title)
    elif change.kind == "set":
        wanted: list[str] = []
        seen: set[str] = set()
        for tag in change.tags:
            key = tag_key(tag)
            if key not in seen:
                seen.add(key)
                wanted.append(forms.setdefault(key, tag))
        new_tags = tuple(wanted)
        title_unchanged = not change.title or current is None or change.title == current.title
        if new_tags == old_tags and title_unchanged:
            return None
        inverse = TagChange("set", change.paper_id, old_tags, current.title if current else "")
    else:  # pragma: no cover - internal misuse
        raise ValueError(f"unknown change {change.kind!r}")

    if new_tags:
        extra = current.extra if current else {}
        papers[change.paper_id] = TaggedPaper(title, new_tags, now, extra)
    else:
        # A paper without tags has nothing worth keeping in the file.
        papers.pop(change.paper_id, None)
    return inverse


# ---------------------------------------------------------------- file format

def describe_os_error(error: OSError) -> str:
    if error.errno == errno.ENOSPC:
        return "the disk is full"
    if error.errno == errno.EDQUOT:
        return "the disk quota is exceeded"
    if error.errno == errno.EROFS:
        return "the folder is on a read-only file system"
    if isinstance(error, PermissionError):
        return "permission denied"
    return error.strerror or str(error)


class TagOperations:
    """The changing half of a tag store, the same for every storage (JSON file, SQLite).

    A subclass provides ``tags_of``, ``_commit`` (apply changes onto what is stored
    now, atomically, and return their inverses; TagError when nothing was saved) and
    ``_mutex`` (serialises a commit with its undo entry between threads).
    """

    _mutex: threading.RLock
    _undo: list[UndoStep]

    def tags_of(self, paper_id: str) -> list[str]:  # pragma: no cover - abstract
        raise NotImplementedError

    def _commit(self, changes: list[TagChange]) -> list[TagChange]:  # pragma: no cover
        raise NotImplementedError

    @property
    def can_undo(self) -> bool:
        return bool(self._undo)

    # ---------------------------------------------------------------- changing

    def add(self, paper_id: str, tag: str, *, title: str = "") -> bool:
        """Tag a paper; True if it was not tagged so before. Saved before returning."""
        change = TagChange("add", self._check_id(paper_id), (clean_tag(tag),), title)
        with self._mutex:
            inverses = self._commit([change])
            if inverses:
                undone = inverses[0]
                label = change_label(paper_id, undone.title)
                self._push_undo(inverses, f"removed {undone.tags[0]!r} from {label}")
        return bool(inverses)

    def remove(self, paper_id: str, tag: str) -> bool:
        """Untag a paper; True if it carried the tag. Saved before returning."""
        change = TagChange("remove", self._check_id(paper_id), (clean_tag(tag),))
        with self._mutex:
            inverses = self._commit([change])
            if inverses:
                undone = inverses[0]
                label = change_label(paper_id, undone.title)
                self._push_undo(inverses, f"put {undone.tags[0]!r} back on {label}")
        return bool(inverses)

    def toggle(self, paper_id: str, tag: str, *, title: str = "") -> bool:
        """Add the tag if the paper does not show it, remove it if it does; returns the new state.

        Decided from what this store shows (what the user saw), then applied as an
        explicit add or remove, so a concurrent change elsewhere is never inverted.
        """
        key = tag_key(clean_tag(tag))
        if any(tag_key(existing) == key for existing in self.tags_of(paper_id)):
            self.remove(paper_id, tag)
            return False
        self.add(paper_id, tag, title=title)
        return True

    def set_tags(self, paper_id: str, tags: Iterable[str], *, title: str = "") -> bool:
        """Make the paper's tags exactly ``tags`` (used by import); True if anything changed."""
        return self.set_many([(paper_id, tags, title)]) > 0

    def set_many(self, assignments: Iterable[tuple[str, Iterable[str], str]]) -> int:
        """Set the tags of many papers in one save and one undo step; returns papers changed.

        Each assignment is ``(paper_id, tags, title)``; every tag is validated
        before anything is written, so a bad name changes nothing.
        """
        changes = [
            TagChange("set", self._check_id(paper_id), tuple(clean_tag(t) for t in tags), title)
            for paper_id, tags, title in assignments
        ]
        if not changes:
            return 0
        with self._mutex:
            inverses = self._commit(changes)
            if inverses:
                if len(inverses) == 1:
                    only = inverses[0]
                    description = f"restored the tags of {change_label(only.paper_id, only.title)}"
                else:
                    description = f"restored the tags of {counted(len(inverses), 'paper')}"
                self._push_undo(inverses, description)
        return len(inverses)

    def add_many(self, additions: Iterable[tuple[str, Iterable[str], str]]) -> int:
        """Add tags to many papers in one save and one undo step (import); returns tags added.

        Each addition is ``(paper_id, tags, title)``; a paper keeps the tags it
        already has. Every tag is validated before anything is written.
        """
        changes = [
            TagChange("add", self._check_id(paper_id), (clean_tag(tag),), title)
            for paper_id, tags, title in additions
            for tag in tags
        ]
        if not changes:
            return 0
        with self._mutex:
            inverses = self._commit(changes)
            if inverses:
                papers = len({inverse.paper_id for inverse in inverses})
                added = counted(len(inverses), "added tag")
                self._push_undo(inverses, f"removed {added} from {counted(papers, 'paper')}")
        return len(inverses)

    def undo(self) -> str | None:
        """Undo the last change made through this store; describes what was done, or None."""
        with self._mutex:
            if not self._undo:
                return None
            step = self._undo.pop()
            try:
                self._commit(list(step.changes))
            except TagError:
                self._undo.append(step)
                raise
            return step.description

    # ---------------------------------------------------------------- internals


    @staticmethod
    def _check_id(paper_id: str) -> str:
        if not isinstance(paper_id, str) or not paper_id.strip():
            raise TagError("cannot tag a paper without an id")
        return paper_id

    def _push_undo(self, inverses: Sequence[TagChange], description: str) -> None:
        # Undo applies the inverses newest first, so a batch unwinds in reverse.
        self._undo.append(UndoStep(tuple(reversed(inverses)), description))
