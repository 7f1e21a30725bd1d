"""The first screen kept between launches (``first-screen.json`` in the library folder).

When the app closes on a settled list, it keeps the first screenful of that list: the
rows as the table shows them (plain strings, not papers), the search text, the sort, the
status line, the cursor's row and the split. The next launch paints them before the
search stack (pydantic, Whoosh, the services) is even imported, then opens the library
in the background and lets the real search replace them: the same rows, so nothing
visibly changes (issue 17: launch to first painted results within 500 ms).

A kept screen is shown only while it is still true. It records, and the launch checks:

* the app's version and this file's format;
* the index folder as it is on disk (every file's name, size and modification time):
  any commit, rebuild or sync since changes it, so a paper that left the library or
  changed its title can never be painted;
* the catalog's counts (papers, and papers still waiting for the index);
* the user data of the rows shown (``userdata.sqlite3``, read only): each row's tags,
  read mark and note, the tag generation and every ``meta`` and ``session`` row (the
  search to restore, the new papers to announce): a tag or read mark changed by another
  copy or by the CLI makes the screen stale;
* ``ui_state.json`` and a ``tags.json`` waiting for migration, by their file stats.

Anything else (no file, a damaged or foreign file, a library that cannot be read) means
"no kept screen": the launch takes the ordinary path. This module only ever reads the
library's files, except its own, which it writes atomically and deletes when stale.

Pure: no Textual, no Whoosh, no pydantic (it runs before they are imported).
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from browser import __version__

__all__ = [
    "FIRST_SCREEN_FILE",
    "FORMAT",
    "MAX_ROWS",
    "FirstScreen",
    "LibraryState",
    "ListRow",
    "NoticePart",
    "discard_first_screen",
    "library_state",
    "load_first_screen",
    "save_first_screen",
]

FIRST_SCREEN_FILE = "first-screen.json"
FORMAT = 1
# A screen whose cursor sits further down than this is not kept (the file stays small).
MAX_ROWS = 400
# A larger file is not ours: it is not read.
_MAX_BYTES = 2_000_000
_USERDATA_FILE = "userdata.sqlite3"  # browser.userdata.database.USERDATA_FILE
_CATALOG_FILE = "library.sqlite3"  # browser.library_paths.LibraryPaths.catalog_file
_INDEX_DIR = "index"
_UI_STATE_FILE = "ui_state.json"  # browser.ui_state.UI_STATE_FILE
_LEGACY_TAGS_FILE = "tags.json"


@dataclass(frozen=True)
class ListRow:
    """What one row of the result list shows, as plain values.

    ``title``: the title as shown (safe, inline math as Unicode); ``title_spans``: the
    highlighted (start, end) character spans of that text; ``marks``: (read, has a note),
    None when the list shows no marks for the paper; ``date``, ``byline``, ``comments``:
    the cells' text; ``tags``: the tag names as shown.
    """

    paper_id: str
    title: str
    title_spans: tuple[tuple[int, int], ...] = ()
    marks: tuple[bool, bool] | None = None
    date: str = ""
    byline: str = ""
    comments: str = ""
    tags: tuple[str, ...] = ()


@dataclass(frozen=True)
class NoticePart:
    """A piece of the notice above the list: its text and a Textual style ("" if none)."""

    text: str
    style: str = ""


@dataclass(frozen=True)
class LibraryState:
    """What a kept screen must find unchanged (see the module docstring). JSON-shaped."""

    index: tuple[tuple[str, int, int], ...]
    catalog: tuple[int, int, int]
    files: tuple[tuple[str, int, int], ...]
    userdata: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class FirstScreen:
    """The list as the app closed on it, for the next launch's first paint.

    ``query``: the search bar's text (the cursor goes after it); ``sort``: a
    ``SortOrder`` name; ``rows``: the first rows of the list, ``cursor``: the
    highlighted row's index in them; ``status``: the status line's parts, each
    (forms, ranks) as ``StatusPart`` takes them; ``notice``: the notice's parts (empty:
    no notice); ``abstract_percent``: the split (None: the stylesheet's).
    """

    query: str
    sort: str
    rows: tuple[ListRow, ...]
    cursor: int = 0
    status: tuple[tuple[tuple[str, ...], tuple[int, ...]], ...] = ()
    notice: tuple[NoticePart, ...] = ()
    abstract_percent: int | None = None

    @property
    def highlighted_id(self) -> str | None:
        return self.rows[self.cursor].paper_id if 0 <= self.cursor < len(self.rows) else None


# ---------------------------------------------------------------- the library's state


def _stat_key(path: Path) -> tuple[str, int, int]:
    """(name, size, mtime in ns); a missing file is (name, -1, -1)."""
    try:
        stat = path.stat()
    except OSError:
        return (path.name, -1, -1)
    return (path.name, stat.st_size, stat.st_mtime_ns)


def _index_files(index_dir: Path) -> tuple[tuple[str, int, int], ...]:
    """Every file of the index folder with its size and modification time, by name."""
    with os.scandir(index_dir) as entries:
        found = [(entry.name, entry.stat().st_size, entry.stat().st_mtime_ns) for entry in entries]
    if not found:
        raise OSError(f"{index_dir} is empty")
    return tuple(sorted(found))


def _read_only(path: Path) -> sqlite3.Connection:
    """A read-only connection that never creates the file."""
    if not path.is_file():
        raise FileNotFoundError(path)
    return sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=1.0)


def _catalog_counts(catalog: Path) -> tuple[int, int, int]:
    """(papers, papers waiting for the index, papers waiting for a merge)."""
    with contextlib.closing(_read_only(catalog)) as db:
        return (
            int(db.execute("SELECT COUNT(*) FROM papers").fetchone()[0]),
            int(db.execute("SELECT COUNT(*) FROM pending_index").fetchone()[0]),
            int(db.execute("SELECT COUNT(*) FROM pending_merge").fetchone()[0]),
        )


def _userdata_rows(userdata: Path, paper_ids: Sequence[str]) -> dict[str, Any]:
    """The user data the rows of ``paper_ids`` show, and what decides the restored search
    (``meta``, ``session``), as JSON-shaped lists. Read in one transaction."""
    ids = sorted(set(paper_ids))
    marks = ",".join("?" * len(ids))
    with contextlib.closing(_read_only(userdata)) as db:
        db.execute("BEGIN")
        found: dict[str, Any] = {
            "meta": [list(row) for row in db.execute("SELECT key, value FROM meta ORDER BY key")],
            "session": [
                list(row) for row in db.execute("SELECT key, value FROM session ORDER BY key")
            ],
        }
        queries = {
            "tags": f"SELECT paper_id, position, name FROM tag WHERE paper_id IN ({marks})"
            " ORDER BY paper_id, position",
            "read": f"SELECT paper_id FROM read WHERE paper_id IN ({marks}) ORDER BY paper_id",
            "notes": f"SELECT paper_id, length(text) > 0 FROM note WHERE paper_id IN ({marks})"
            " ORDER BY paper_id",
        }
        for name, query in queries.items():
            found[name] = [list(row) for row in db.execute(query, ids)] if ids else []
        db.execute("COMMIT")
    return found


def library_state(root: Path, paper_ids: Sequence[str]) -> LibraryState:
    """The state of the library at ``root`` a kept screen of ``paper_ids`` depends on.

    Reads only (no file is created or written). Raises OSError or sqlite3.Error when a
    part cannot be read (then no screen is kept or shown).
    """
    return LibraryState(
        index=_index_files(root / _INDEX_DIR),
        catalog=_catalog_counts(root / _CATALOG_FILE),
        files=(_stat_key(root / _UI_STATE_FILE), _stat_key(root / _LEGACY_TAGS_FILE)),
        userdata=_userdata_rows(root / _USERDATA_FILE, paper_ids),
    )


def _state_json(state: LibraryState) -> dict[str, Any]:
    # Through JSON and back, so a state read now compares equal to one loaded from disk.
    loaded: dict[str, Any] = json.loads(json.dumps(asdict(state)))
    return loaded


# ---------------------------------------------------------------- the file


def save_first_screen(root: Path, screen: FirstScreen, state: LibraryState) -> None:
    """Keep ``screen`` for the next launch of the library at ``root``, valid while the
    library is in ``state`` (read before the screen was taken). Raises OSError."""
    document = {
        "format": FORMAT,
        "version": __version__,
        "state": _state_json(state),
        "screen": asdict(screen),
    }
    from browser.fsutil import atomic_write  # only at quit: not on the launch's path

    atomic_write(root / FIRST_SCREEN_FILE, json.dumps(document, ensure_ascii=False))


def discard_first_screen(root: Path) -> None:
    """Forget the kept screen (the list the app closed on is not one to show first)."""
    with contextlib.suppress(OSError):
        (root / FIRST_SCREEN_FILE).unlink(missing_ok=True)


def load_first_screen(root: Path) -> FirstScreen | None:
    """The kept screen of the library at ``root`` if it is still true, else None.

    Never raises: a missing, damaged or foreign file, or a library that cannot be read,
    is None (the launch then takes the ordinary path). A file found stale is deleted.
    """
    path = root / FIRST_SCREEN_FILE
    try:
        if path.stat().st_size > _MAX_BYTES:
            return None
        document = json.loads(path.read_text(encoding="utf-8"))
        if document.get("format") != FORMAT or document.get("version") != __version__:
            discard_first_screen(root)
            return None
        screen = _screen_of(document["screen"])
        now = library_state(root, [row.paper_id for row in screen.rows])
    except FileNotFoundError:
        return None
    except (OSError, ValueError, TypeError, KeyError, AttributeError, sqlite3.Error):
        return None  # unreadable for now (or not ours): the ordinary launch
    if _state_json(now) != document.get("state"):
        discard_first_screen(root)
        return None
    return screen


def _strings(values: Any) -> tuple[str, ...]:
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise ValueError("expected a list of strings")
    return tuple(values)


def _row_of(data: Mapping[str, Any]) -> ListRow:
    spans = tuple((int(start), int(end)) for start, end in data.get("title_spans", ()))
    marks = data.get("marks")
    if marks is not None:
        read, noted = marks
        marks = (bool(read), bool(noted))
    row = ListRow(
        paper_id=str(data["paper_id"]),
        title=str(data["title"]),
        title_spans=spans,
        marks=marks,
        date=str(data.get("date", "")),
        byline=str(data.get("byline", "")),
        comments=str(data.get("comments", "")),
        tags=_strings(data.get("tags", [])),
    )
    if any(not 0 <= start <= end <= len(row.title) for start, end in spans):
        raise ValueError("a highlight outside its title")
    return row


def _screen_of(data: Mapping[str, Any]) -> FirstScreen:
    """A ``FirstScreen`` from its JSON, every field checked. Raises ValueError,
    TypeError, KeyError or AttributeError on anything that is not one."""
    rows = tuple(_row_of(row) for row in data["rows"])
    if not rows or len(rows) > MAX_ROWS:
        raise ValueError("no rows, or too many")
    status = tuple(
        (_strings(forms), tuple(int(rank) for rank in ranks)) for forms, ranks in data["status"]
    )
    for forms, ranks in status:
        # What StatusPart accepts: one rank per shorter form, falling.
        if not forms or len(ranks) != len(forms) - 1 or list(ranks) != sorted(ranks, reverse=True):
            raise ValueError("a status part StatusPart would refuse")
        if len(set(ranks)) != len(ranks):
            raise ValueError("a status part StatusPart would refuse")
    notice = tuple(
        NoticePart(str(part["text"]), str(part.get("style", ""))) for part in data["notice"]
    )
    percent = data.get("abstract_percent")
    screen = FirstScreen(
        query=str(data["query"]),
        sort=str(data["sort"]),
        rows=rows,
        cursor=int(data["cursor"]),
        status=status,
        notice=notice,
        abstract_percent=None if percent is None else int(percent),
    )
    if not 0 <= screen.cursor < len(rows):
        raise ValueError("the cursor is outside the rows")
    return screen
