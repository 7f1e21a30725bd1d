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
import json
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from browser.fsutil import (
    LockTimeout,
    atomic_write,
    file_lock,
    keep_copy,
    remove_stale_temporaries,
)
from browser.tagchanges import (
    TagChange,
    TagEntry,
    TaggedPaper,
    TagOperations,
    UndoStep,
    apply_change,
    describe_os_error,
    display_forms,
    iso_utc,
    utc_now,
)
from browser.tagnames import MAX_TAG_LENGTH, TagError, clean_tag, tag_key

__all__ = [
    "MAX_TAG_LENGTH",
    "TagEntry",
    "TagError",
    "TagFileUnreadable",
    "TagStore",
    "clean_tag",
    "read_tags_file",
    "tag_key",
]

FORMAT_VERSION = 1
# A save holds the lock for milliseconds; longer means a stopped or hung process.
LOCK_TIMEOUT_SECONDS = 30.0


@dataclass(frozen=True)
class _Document:
    papers: Mapping[str, TaggedPaper]
    extra: Mapping[str, Any] = field(default_factory=dict)


_EMPTY = _Document(papers={})


class _Unreadable(Exception):
    """The tags file exists but cannot be used; the message says why."""


class TagFileUnreadable(ValueError):
    """A ``tags.json`` that cannot be read; the message names the file and the fault."""


def read_tags_file(path: Path) -> list[TagEntry]:
    """Every tagged paper of a ``tags.json`` (format version 1), by id.

    Used to migrate the file into the user-data store. Raises FileNotFoundError when
    it is missing and TagFileUnreadable (naming the line, key or version at fault)
    when it cannot be used; the file is never changed.
    """
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise
    except OSError as error:
        raise TagFileUnreadable(f"cannot read {path}: {describe_os_error(error)}") from None
    try:
        document = _parse_document(data)
    except _Unreadable as error:
        raise TagFileUnreadable(f"{path} {error}") from None
    return [
        TagEntry(paper_id, paper.title, paper.tags, paper.changed)
        for paper_id, paper in sorted(document.papers.items())
    ]


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
    papers: dict[str, TaggedPaper] = {}
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
            papers[paper_id] = TaggedPaper(title, tuple(tags), changed, extra)
    extra = {k: v for k, v in raw.items() if k not in {"version", "papers"}}
    return _Document(papers, extra)


# The C string encoder behind json.dumps(ensure_ascii=False), without its per-call setup.
_string = json.encoder.encode_basestring


def _json(value: Any, indent: int) -> str:
    """``value`` as json.dumps(indent=2, sort_keys=True) writes it, ``indent`` spaces deep."""
    text = json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False)
    return text.replace("\n", "\n" + " " * indent)


def _paper_json(paper: TaggedPaper) -> str:
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
_Fragments = dict[str, tuple[TaggedPaper, str]]


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
    return _View(document, raw, signature, frozen, display_forms(document.papers))


_EMPTY_VIEW = _make_view(_EMPTY, None, None)


class TagStore(TagOperations):
    """Tags by paper id, saved to one JSON file after every change (implements TagLookup)."""

    def __init__(self, path: Path, *, clock: Callable[[], dt.datetime] = utc_now) -> None:
        self.path = Path(path)
        self.read_only = False
        self.problem: str | None = None
        self._clock = clock
        # Writers in one process serialise here; flock serialises processes.
        self._mutex = threading.RLock()
        self._undo: list[UndoStep] = []
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

    def reload(self) -> bool:
        """Pick up changes another process saved; True if what this store shows changed."""
        with self._mutex:
            if self._view.signature is not None and _signature(self.path) == self._view.signature:
                return False
            before = (self._view.document, self.read_only, self.problem)
            self._load()
            return (self._view.document, self.read_only, self.problem) != before

    # ---------------------------------------------------------------- internals
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
            raise _Unreadable(f"cannot read {self.path}: {describe_os_error(error)}") from None
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
        stamp = iso_utc(self._clock()).replace(":", "").replace("-", "")
        return keep_copy(self.path, data, stamp)

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
                f"cannot save tags in {self.path.parent}: {describe_os_error(error)}; "
                "the change was not saved"
            ) from None
        with lock:
            yield

    def _commit(self, changes: list[TagChange]) -> list[TagChange]:
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
                    forms = display_forms(on_disk.papers)
                papers = dict(on_disk.papers)
                now = iso_utc(self._clock())
                inverses = [
                    inverse
                    for change in changes
                    if (inverse := apply_change(papers, change, forms, now)) is not None
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
                f"could not save tags to {self.path}: {describe_os_error(error)}; "
                "the change was not saved and the file is unchanged"
            ) from None
