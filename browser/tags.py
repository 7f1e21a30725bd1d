"""The user's tags: the one piece of data that cannot be rebuilt from the dumps.

``tags.json`` is a small, human-readable, versioned JSON document::

    {
      "papers": {
        "hf-0123456789abcdef": {
          "changed": "2026-11-23T10:00:00Z",
          "tags": ["to read", "rlhf"],
          "title": "Some Paper Title"
        }
      },
      "version": 1
    }

Every change is saved at once and is applied as an *operation* (add tag X to P,
remove tag X from P, set P's tags) onto whatever is on disk at that moment,
under an exclusive lock. Two processes tagging at the same time therefore both
keep their changes, and killing a process at any instant leaves either the old
or the new file, never a torn one. A file this module cannot understand is
never overwritten: the store turns read-only and says why.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import json
import shutil
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from browser.fsutil import LockTimeout, atomic_write, file_lock, remove_stale_temporaries
from browser.tagnames import MAX_TAG_LENGTH, TagError, clean_tag, tag_key

__all__ = [
    "MAX_TAG_LENGTH",
    "TagEntry",
    "TagError",
    "TagStore",
    "clean_tag",
    "tag_key",
]

FORMAT_VERSION = 1
# A save holds the lock for milliseconds; longer means a stopped or hung process.
LOCK_TIMEOUT_SECONDS = 30.0
@dataclass(frozen=True)
class TagEntry:
    """One tagged paper as stored: enough to read the file without the dumps."""

    paper_id: str
    title: str
    tags: tuple[str, ...]
    changed: str  # ISO-8601 UTC


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class _Paper:
    title: str
    tags: tuple[str, ...]
    changed: str
    # Keys a later version 1 writer may add: carried through untouched.
    extra: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class _Document:
    papers: Mapping[str, _Paper]
    extra: Mapping[str, Any] = field(default_factory=dict)


_EMPTY = _Document(papers={})


class _Unreadable(Exception):
    """The tags file exists but cannot be used; the message says why."""


@dataclass(frozen=True)
class _Change:
    """One operation on one paper, applied onto what is on disk under the lock.

    ``kind`` is "add", "remove" or "set"; ``tags`` holds one tag for add/remove.
    """

    kind: str
    paper_id: str
    tags: tuple[str, ...]
    title: str = ""


@dataclass(frozen=True)
class _UndoStep:
    changes: tuple[_Change, ...]
    description: str


def _label(paper_id: str, title: str) -> str:
    return title or paper_id


def _display_forms(papers: Mapping[str, _Paper]) -> dict[str, str]:
    """casefolded key -> the display name to use: first seen in id order."""
    forms: dict[str, str] = {}
    for paper_id in sorted(papers):
        for tag in papers[paper_id].tags:
            forms.setdefault(tag_key(tag), tag)
    return forms


def _apply(
    papers: dict[str, _Paper], change: _Change, forms: dict[str, str], now: str
) -> _Change | None:
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
        inverse = _Change("remove", change.paper_id, (shown,), title)
    elif change.kind == "remove":
        (tag,) = change.tags
        key = tag_key(tag)
        if key not in old_keys:
            return None
        removed = old_tags[old_keys.index(key)]
        new_tags = tuple(t for t in old_tags if tag_key(t) != key)
        inverse = _Change("add", change.paper_id, (removed,), title)
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
        inverse = _Change("set", change.paper_id, old_tags, current.title if current else "")
    else:  # pragma: no cover - internal misuse
        raise ValueError(f"unknown change {change.kind!r}")

    if new_tags:
        extra = current.extra if current else {}
        papers[change.paper_id] = _Paper(title, new_tags, now, extra)
    else:
        # A paper without tags has nothing worth keeping in the file.
        papers.pop(change.paper_id, None)
    return inverse


# ---------------------------------------------------------------- file format


def _parse_document(data: bytes) -> _Document:
    try:
        raw = json.loads(data.decode("utf-8"))
    except UnicodeDecodeError as error:
        raise _Unreadable(f"is not UTF-8 text ({error.reason} at byte {error.start})") from None
    except json.JSONDecodeError as error:
        raise _Unreadable(
            f"is not valid JSON ({error.msg} at line {error.lineno} column {error.colno})"
        ) from None
    if not isinstance(raw, dict):
        raise _Unreadable(f"should hold a JSON object, found {type(raw).__name__}")
    version = raw.get("version")
    if not isinstance(version, int) or isinstance(version, bool):
        raise _Unreadable('has no "version" number; it does not look like a paper-browser file')
    if version > FORMAT_VERSION:
        raise _Unreadable(
            f"was written by a newer paper-browser (format version {version}; "
            f"this one reads up to {FORMAT_VERSION}); upgrade to change tags"
        )
    if version < 1:
        raise _Unreadable(f"has an unknown format version {version}")
    papers_raw = raw.get("papers")
    if not isinstance(papers_raw, dict):
        raise _Unreadable('has no "papers" object')
    papers: dict[str, _Paper] = {}
    # The same few tag names repeat on thousands of papers: check each once.
    checked: dict[str, str | TagError] = {}
    for paper_id, entry in papers_raw.items():
        where = f"papers[{paper_id!r}]"
        if not paper_id.strip():
            raise _Unreadable(f"has a paper with an empty id ({where})")
        if not isinstance(entry, dict):
            raise _Unreadable(f"{where} should be an object")
        title = entry.get("title", "")
        changed = entry.get("changed", "")
        tags_raw = entry.get("tags", [])
        if not isinstance(title, str):
            raise _Unreadable(f"{where}.title should be text")
        if not isinstance(changed, str):
            raise _Unreadable(f"{where}.changed should be text")
        if not isinstance(tags_raw, list):
            raise _Unreadable(f"{where}.tags should be a list")
        tags: list[str] = []
        keys: set[str] = set()
        for position, tag in enumerate(tags_raw):
            if not isinstance(tag, str):
                raise _Unreadable(f"{where}.tags[{position}] should be text")
            if tag not in checked:
                try:
                    checked[tag] = clean_tag(tag)
                except TagError as error:
                    checked[tag] = error
            cleaned = checked[tag]
            if isinstance(cleaned, TagError):
                raise _Unreadable(f"{where}.tags[{position}]: {cleaned}")
            # A hand edit may list "AI" and "ai": they are one tag, keep the first.
            if tag_key(cleaned) not in keys:
                keys.add(tag_key(cleaned))
                tags.append(cleaned)
        if tags:
            extra = {k: v for k, v in entry.items() if k not in {"title", "changed", "tags"}}
            papers[paper_id] = _Paper(title, tuple(tags), changed, extra)
    extra = {k: v for k, v in raw.items() if k not in {"version", "papers"}}
    return _Document(papers, extra)


# The C string encoder behind json.dumps(ensure_ascii=False), without its per-call setup.
_string = json.encoder.encode_basestring


def _json(value: Any, indent: int) -> str:
    """``value`` as json.dumps(indent=2, sort_keys=True) writes it, ``indent`` spaces deep."""
    text = json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False)
    return text.replace("\n", "\n" + " " * indent)


def _paper_json(paper: _Paper) -> str:
    """One paper's object, byte for byte what json.dumps would write at depth 2.

    Written by hand because json.dumps with indent runs the pure-Python encoder,
    which took a quarter second for 10,000 tagged papers on every change.
    """
    fields: dict[str, str] = {key: _json(value, 6) for key, value in paper.extra.items()}
    fields["changed"] = _string(paper.changed)
    fields["title"] = _string(paper.title)
    if paper.tags:
        items = ",\n".join("        " + _string(tag) for tag in paper.tags)
        fields["tags"] = "[\n" + items + "\n      ]"
    else:
        fields["tags"] = "[]"
    body = ",\n".join(f"      {_string(key)}: {fields[key]}" for key in sorted(fields))
    return "{\n" + body + "\n    }"


# paper id -> (the paper, its JSON): papers are immutable, so an unchanged paper
# (the same object) reuses its text and a save costs little more than the join.
_Fragments = dict[str, tuple[_Paper, str]]


def _serialize(document: _Document, fragments: _Fragments | None = None) -> bytes:
    """The file's bytes: equal to json.dumps(indent=2, sort_keys=True) plus a newline."""
    cache: _Fragments = {} if fragments is None else fragments
    texts: list[str] = []
    for paper_id, paper in sorted(document.papers.items()):
        cached = cache.get(paper_id)
        if cached is None or cached[0] is not paper:
            cached = (paper, f"    {_string(paper_id)}: {_paper_json(paper)}")
            cache[paper_id] = cached
        texts.append(cached[1])
    for paper_id in cache.keys() - document.papers.keys():
        del cache[paper_id]
    if texts:
        items = ",\n".join(texts)
        papers = "{\n" + items + "\n  }"
    else:
        papers = "{}"
    fields = {key: _json(value, 2) for key, value in document.extra.items()}
    fields["papers"] = papers
    fields["version"] = str(FORMAT_VERSION)
    body = ",\n".join(f"  {_string(key)}: {fields[key]}" for key in sorted(fields))
    return ("{\n" + body + "\n}\n").encode("utf-8")


_Signature = tuple[int, int, int, int]  # device, inode, size, mtime_ns


def _signature(path: Path) -> _Signature | None:
    try:
        status = path.stat()
    except OSError:
        return None
    return (status.st_dev, status.st_ino, status.st_size, status.st_mtime_ns)


def _describe_os_error(error: OSError) -> str:
    if error.errno == errno.ENOSPC:
        return "the disk is full"
    if error.errno == errno.EDQUOT:
        return "the disk quota is exceeded"
    if error.errno == errno.EROFS:
        return "the folder is on a read-only file system"
    if isinstance(error, PermissionError):
        return "permission denied"
    return error.strerror or str(error)


# ------------------------------------------------------------------ the store


@dataclass(frozen=True)
class _View:
    """What the lookups read; replaced in one assignment, so a reader on another
    thread never sees a document with the index of another."""

    document: _Document
    raw: bytes | None  # the file's bytes this view was read from or saved as
    signature: _Signature | None
    by_key: Mapping[str, frozenset[str]]
    forms: Mapping[str, str]


def _make_view(document: _Document, raw: bytes | None, signature: _Signature | None) -> _View:
    by_key: dict[str, set[str]] = {}
    for paper_id, paper in document.papers.items():
        for tag in paper.tags:
            by_key.setdefault(tag_key(tag), set()).add(paper_id)
    frozen = {key: frozenset(ids) for key, ids in by_key.items()}
    return _View(document, raw, signature, frozen, _display_forms(document.papers))


_EMPTY_VIEW = _make_view(_EMPTY, None, None)


class TagStore:
    """Tags by paper id, saved to one JSON file after every change (implements TagLookup)."""

    def __init__(self, path: Path, *, clock: Callable[[], dt.datetime] = _utc_now) -> None:
        self.path = Path(path)
        self.read_only = False
        self.problem: str | None = None
        self._clock = clock
        # Writers in one process serialise here; flock serialises processes.
        self._mutex = threading.RLock()
        self._undo: list[_UndoStep] = []
        self._view = _EMPTY_VIEW
        self._fragments: _Fragments = {}
        self._load()

    # ---------------------------------------------------------------- reading

    def tags_of(self, paper_id: str) -> list[str]:
        paper = self._view.document.papers.get(paper_id)
        return list(paper.tags) if paper else []

    def ids_with_tag(self, tag: str) -> set[str]:
        return set(self._view.by_key.get(tag_key(tag), ()))

    def tagged_ids(self) -> set[str]:
        return set(self._view.document.papers)

    def counts(self) -> dict[str, int]:
        view = self._view
        return {view.forms[key]: len(view.by_key[key]) for key in sorted(view.by_key)}

    def known_tags(self) -> list[str]:
        forms = self._view.forms
        return [forms[key] for key in sorted(forms)]

    def title_of(self, paper_id: str) -> str:
        paper = self._view.document.papers.get(paper_id)
        return paper.title if paper else ""

    def entries(self) -> list[TagEntry]:
        """Every tagged paper, by id."""
        papers = self._view.document.papers
        return [
            TagEntry(paper_id, paper.title, paper.tags, paper.changed)
            for paper_id, paper in sorted(papers.items())
        ]

    def __len__(self) -> int:
        return len(self._view.document.papers)

    @property
    def can_undo(self) -> bool:
        return bool(self._undo)

    # ---------------------------------------------------------------- changing

    def add(self, paper_id: str, tag: str, *, title: str = "") -> bool:
        """Tag a paper; True if it was not tagged so before. Saved before returning."""
        change = _Change("add", self._check_id(paper_id), (clean_tag(tag),), title)
        with self._mutex:
            inverses = self._commit([change])
            if inverses:
                undone = inverses[0]
                label = _label(paper_id, undone.title)
                self._push_undo(inverses, f"removed {undone.tags[0]!r} from {label}")
        return bool(inverses)

    def remove(self, paper_id: str, tag: str) -> bool:
        """Untag a paper; True if it carried the tag. Saved before returning."""
        change = _Change("remove", self._check_id(paper_id), (clean_tag(tag),))
        with self._mutex:
            inverses = self._commit([change])
            if inverses:
                undone = inverses[0]
                label = _label(paper_id, undone.title)
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
            _Change("set", self._check_id(paper_id), tuple(clean_tag(t) for t in tags), title)
            for paper_id, tags, title in assignments
        ]
        if not changes:
            return 0
        with self._mutex:
            inverses = self._commit(changes)
            if inverses:
                if len(inverses) == 1:
                    only = inverses[0]
                    description = f"restored the tags of {_label(only.paper_id, only.title)}"
                else:
                    description = f"restored the tags of {len(inverses)} papers"
                self._push_undo(inverses, description)
        return len(inverses)

    def add_many(self, additions: Iterable[tuple[str, Iterable[str], str]]) -> int:
        """Add tags to many papers in one save and one undo step (import); returns tags added.

        Each addition is ``(paper_id, tags, title)``; a paper keeps the tags it
        already has. Every tag is validated before anything is written.
        """
        changes = [
            _Change("add", self._check_id(paper_id), (clean_tag(tag),), title)
            for paper_id, tags, title in additions
            for tag in tags
        ]
        if not changes:
            return 0
        with self._mutex:
            inverses = self._commit(changes)
            if inverses:
                papers = len({inverse.paper_id for inverse in inverses})
                tags = "tag" if len(inverses) == 1 else "tags"
                where = "paper" if papers == 1 else "papers"
                self._push_undo(
                    inverses, f"removed {len(inverses)} added {tags} from {papers} {where}"
                )
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

    def reload(self) -> bool:
        """Pick up changes another process saved; True if what this store shows changed."""
        with self._mutex:
            if self._view.signature is not None and _signature(self.path) == self._view.signature:
                return False
            before = (self._view.document, self.read_only, self.problem)
            self._load()
            return (self._view.document, self.read_only, self.problem) != before

    # ---------------------------------------------------------------- internals

    @staticmethod
    def _check_id(paper_id: str) -> str:
        if not isinstance(paper_id, str) or not paper_id.strip():
            raise TagError("cannot tag a paper without an id")
        return paper_id

    def _push_undo(self, inverses: Sequence[_Change], description: str) -> None:
        # Undo applies the inverses newest first, so a batch unwinds in reverse.
        self._undo.append(_UndoStep(tuple(reversed(inverses)), description))

    def _load(self) -> None:
        """Read the file into memory; on any problem turn read-only instead of raising."""
        signature = _signature(self.path)
        try:
            document, raw = self._read_disk()
        except _Unreadable as error:
            self._become_read_only(str(error))
            self._view = replace(self._view, signature=signature)
            return
        self.read_only = False
        self.problem = None
        if document is not self._view.document:
            self._view = _make_view(document, raw, signature)
        else:
            self._view = replace(self._view, signature=signature)

    def _read_disk(self) -> tuple[_Document, bytes | None]:
        """The file's document and bytes; the current document again if the bytes are the same."""
        try:
            data = self.path.read_bytes()
        except FileNotFoundError:
            return _EMPTY, None
        except IsADirectoryError:
            raise _Unreadable(f"cannot read {self.path}: it is a folder") from None
        except OSError as error:
            raise _Unreadable(f"cannot read {self.path}: {_describe_os_error(error)}") from None
        if data == self._view.raw:
            # Nobody else wrote since: skip parsing, the expensive part on big files.
            return self._view.document, data
        try:
            return _parse_document(data), data
        except _Unreadable as error:
            backup = self._back_up(data)
            kept = f"; a copy is kept as {backup.name}" if backup else ""
            raise _Unreadable(
                f"{self.path} {error}{kept}. Fix or move the file away to change tags again"
            ) from None

    def _back_up(self, data: bytes) -> Path | None:
        """Keep a copy of a file we cannot read before anyone repairs it; one per content."""
        stamp = _iso(self._clock()).replace(":", "").replace("-", "")
        try:
            for existing in sorted(self.path.parent.glob(self.path.name + ".bak-*")):
                if existing.read_bytes() == data:
                    return existing
            backup = self.path.with_name(f"{self.path.name}.bak-{stamp}")
            counter = 1
            while backup.exists():
                counter += 1
                backup = self.path.with_name(f"{self.path.name}.bak-{stamp}-{counter}")
            shutil.copy2(self.path, backup)
            return backup
        except OSError:
            return None

    def _become_read_only(self, problem: str) -> None:
        self.read_only = True
        self.problem = problem

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        try:
            target = self.path.resolve() if self.path.is_symlink() else self.path
        except OSError:
            target = self.path
        lock = contextlib.ExitStack()
        try:
            lock.enter_context(
                file_lock(target.with_name(target.name + ".lock"), timeout=LOCK_TIMEOUT_SECONDS)
            )
        except LockTimeout as error:
            raise TagError(f"cannot save tags: {error}; the change was not saved") from None
        except OSError as error:
            raise TagError(
                f"cannot save tags in {self.path.parent}: {_describe_os_error(error)}; "
                "the change was not saved"
            ) from None
        with lock:
            yield

    def _commit(self, changes: list[_Change]) -> list[_Change]:
        """Apply ``changes`` onto the file's current content under the lock and save.

        Returns the inverses of the changes that did something. On failure the
        file and this store's state are as they were before, and TagError says why.
        """
        with self._mutex:
            if self.read_only:
                raise TagError(f"tags are read-only because {self.problem}")
            with self._locked():
                try:
                    on_disk, raw = self._read_disk()
                except _Unreadable as error:
                    self._become_read_only(str(error))
                    raise TagError(f"tags are read-only because {error}") from None
                if on_disk is self._view.document:
                    forms = dict(self._view.forms)
                else:
                    forms = _display_forms(on_disk.papers)
                papers = dict(on_disk.papers)
                now = _iso(self._clock())
                inverses = [
                    inverse
                    for change in changes
                    if (inverse := _apply(papers, change, forms, now)) is not None
                ]
                # Either way this store then shows what the disk holds.
                if inverses:
                    document = _Document(papers, on_disk.extra)
                    data = _serialize(document, self._fragments)
                    self._write(data)
                    self._view = _make_view(document, data, _signature(self.path))
                elif on_disk is not self._view.document:
                    self._view = _make_view(on_disk, raw, _signature(self.path))
            return inverses

    def _write(self, data: bytes) -> None:
        # Under the lock no other writer is mid-save, so any temporary is from a killed one.
        remove_stale_temporaries(self.path)
        try:
            atomic_write(self.path, data)
        except OSError as error:
            raise TagError(
                f"could not save tags to {self.path}: {_describe_os_error(error)}; "
                "the change was not saved and the file is unchanged"
            ) from None
