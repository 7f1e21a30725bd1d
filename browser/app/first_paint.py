"""The launch over a kept first screen (``browser.first_screen``): paint it at once, open
the library behind it, and keep the next one when the user quits.

``FirstPaint.paint`` fills the search bar, the list, the status line, the notice and the
split from the kept screen with plain widgets (the flows, pydantic, Whoosh and the
services are not imported yet), then, once that is on screen, a thread opens the
library (``open_library``: the CLI's ``open_library``) and imports the flows, and posts
``LibraryOpened``. The app then attaches the services and starts as it always does (the
restored session, the first search); the first answer replaces the rows, the same ones.
What the user did meanwhile wins: text typed in the bar is searched, a row moved to
stays highlighted. A failed open ends the app; the launcher re-raises the error.

This module imports only Textual and light modules: it is on the path to the first paint.
"""

from __future__ import annotations

import importlib
import sqlite3
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from textual.content import Content
from textual.message import Message
from textual.widget import Widget

from browser.first_screen import (
    MAX_ROWS,
    FirstScreen,
    LibraryState,
    ListRow,
    NoticePart,
    discard_first_screen,
    library_state,
    save_first_screen,
)
from browser.widgets.results_table import FIRST_PAINT_ROWS
from browser.widgets.split import apply_split
from browser.widgets.status_line import StatusPart

if TYPE_CHECKING:
    from browser.app.main import PaperBrowserApp
    from browser.services import Services

__all__ = [
    "FirstPaint",
    "KeptScreen",
    "LibraryOpenFailed",
    "LibraryOpened",
    "keep_first_screen",
    "take_first_screen",
]

# Imported by the opening thread, so that attaching the library costs the UI thread
# no imports: the flows and what the first search and its answer need.
_ATTACH_MODULES = (
    "browser.services",
    "browser.search_session",
    "browser.app.messages",
    "browser.app.narrowing",
    "browser.app.paper",
    "browser.app.reading",
    "browser.app.searching",
    "browser.app.session",
    "browser.app.split_pane",
    "browser.app.syncing",
    "browser.app.tagging",
    "browser.app.transfer",
    "browser.readable_math",
)


# Refreshes the opening waits for the rows to be painted before it starts anyway.
_PAINT_WAITS = 5


class LibraryOpened(Message):
    """The opening thread has the library's services."""

    def __init__(self, services: Services) -> None:
        super().__init__()
        self.services = services


class LibraryOpenFailed(Message):
    """The library could not be opened (``error``: what ``open_library`` raised)."""

    def __init__(self, error: BaseException) -> None:
        super().__init__()
        self.error = error


class FirstPaint:
    """A kept first screen on an app that has no library yet, and the thread opening it."""

    def __init__(
        self, app: PaperBrowserApp, screen: FirstScreen, open_library: Callable[[], Services]
    ) -> None:
        self.app = app
        self.screen = screen
        self._open = open_library
        self._thread: threading.Thread | None = None
        # Set by the thread: the launcher closes the services (or re-raises the error).
        self.services: Services | None = None
        self.error: BaseException | None = None

    @property
    def abstract_percent(self) -> int | None:
        return self.screen.abstract_percent

    def paint(self) -> None:
        """Show the kept screen (from ``on_mount``); open the library once it is painted."""
        app, first = self.app, self.screen
        main = app.main_screen
        main.status.hide_progress()
        app.search_bar.value = first.query
        app.search_bar.cursor_position = len(first.query)
        app.search_bar.focus()
        app.table.show_first_screen(first.rows, first.sort, first.cursor)
        main.status.show_status(
            [StatusPart(forms, ranks) for forms, ranks in first.status], triage=app.triage
        )
        if first.notice:
            main.notice.update(
                Content.assemble(*((part.text, part.style) for part in first.notice))
            )
            main.notice.display = True
        self.apply_split()
        app.call_after_refresh(self._open_behind)

    def apply_split(self) -> None:
        main = self.app.main_screen
        apply_split(
            main.list_column,
            main.paper_column,
            self.screen.abstract_percent,
            wide=main.has_class("-wide"),
        )

    def _open_behind(self, waited: int = 0) -> None:
        """Start the opening thread once the rows are on screen: its imports would take
        the interpreter lock from the paint. (The rows are laid out by the list's first
        resize, which may come a refresh after the first; a few refreshes at most.)"""
        table = self.app.table
        if (not table.row_count or not table.size.width) and waited < _PAINT_WAITS:
            self.app.call_after_refresh(self._open_behind, waited + 1)
            return
        self._thread = threading.Thread(target=self._open_library, name="open-library")
        self._thread.start()

    def _open_library(self) -> None:
        """In the thread: open the library, import what attaching it needs, tell the app."""
        try:
            self.services = services = self._open()
            for module in _ATTACH_MODULES:
                importlib.import_module(module)
            # numpy, which large libraries' scoring loads with the first search.
            services.load_search_code()
        except BaseException as error:  # every failure reaches the user (see the launcher)
            self.error = error
            self.app.post_message(LibraryOpenFailed(error))
            return
        self.app.post_message(LibraryOpened(services))

    def opened(self, services: Services) -> None:
        """On the UI thread: attach the library and start as every launch does."""
        app = self.app
        typed = app.search_bar.value
        moved_to = app.table.highlighted_id
        app.attach(services)
        if services.index_problem is not None:
            # The sync rebuilds the list: the kept rows must not stand for it meanwhile.
            app.table.show_hits([], {}, "relevance")
        app.start()
        if moved_to is not None and moved_to != self.screen.highlighted_id:
            app.session_flow.keep_paper(moved_to)
        if typed != self.screen.query:
            # Typed before the library was open: that is the search to run.
            app.search_bar.value = typed
            app.search_bar.cursor_position = len(typed)
        app.refresh_bindings()

    def failed(self, error: BaseException) -> None:
        self.app.exit(return_code=1)

    def wait(self) -> Services | None:
        """The services the thread opened (None if it failed or never started), once it
        has finished: the launcher closes them after the app."""
        if self._thread is not None:
            self._thread.join()
        return self.services


# ---------------------------------------------------------------- keeping the next one


@dataclass(frozen=True)
class KeptScreen:
    """A first screen taken as the user quit, and the library state it is true for."""

    screen: FirstScreen
    state: LibraryState


def take_first_screen(app: PaperBrowserApp) -> KeptScreen | None:
    """The list the app shows, as the next launch would restore it (``remember_now``
    has just saved the session), or None when it is not that list: a view, similar
    papers, a search still running or cut short or of a word being typed, a sync,
    read-only user data."""
    services = app.services
    session = app.session
    request, result = session.request, session.result
    current = app.session_flow.current_query()
    root = services.paths.root
    if (
        app.syncing
        or app.like is not None
        or app.view is not None
        or request is None
        or result is None
        or not result.hits
        or result.partial
        or result.failed
        or request.generation != session.generation
        or request.like_paper_id is not None
        or request.view_filters is not None
        # The restore searches whole words: a list of a word being typed ("diffus") is
        # not the list it would show.
        or request.prefix_last_word
        or (request.query, request.sort, request.tag_filter)
        != (current.query, current.sort, app.tag_filter)
        or services.userdata.read_only
        or services.userdata.path != root / "userdata.sqlite3"
        or services.index_problem is not None
    ):
        return None
    table = app.table
    cursor = table.cursor_row
    notice = _notice_parts(app.main_screen.notice)
    if notice is None or not 0 <= cursor < min(MAX_ROWS, len(result.hits)):
        return None
    count = max(FIRST_PAINT_ROWS, cursor + 1)
    ids = [hit.paper.id for hit in result.hits[:count]]
    try:
        # Read before the rows: a change made meanwhile makes the kept screen stale.
        state = library_state(root, ids)
    except (OSError, sqlite3.Error):
        return None
    rows: list[ListRow] = table.list_rows(count)
    screen = FirstScreen(
        query=current.query,
        sort=result.sort,
        rows=tuple(rows),
        cursor=cursor,
        status=tuple((part.forms, part.ranks) for part in app.main_screen.status.parts),
        notice=notice,
        abstract_percent=app.abstract_percent,
    )
    return KeptScreen(screen, state)


def _notice_parts(notice: Widget) -> tuple[NoticePart, ...] | None:
    """The notice above the list as parts (empty: none shown); None if it cannot be kept."""
    if not notice.display:
        return ()
    content = getattr(notice, "content", None)
    if not isinstance(content, Content):
        return None
    plain, parts, at = content.plain, [], 0
    for span in sorted(content.spans, key=lambda span: span.start):
        if span.start < at or not isinstance(span.style, str):
            return None  # overlapping or structured styles: not worth keeping
        if span.start > at:
            parts.append(NoticePart(plain[at : span.start]))
        parts.append(NoticePart(plain[span.start : span.end], span.style))
        at = span.end
    if at < len(plain):
        parts.append(NoticePart(plain[at:]))
    return tuple(parts)


def keep_first_screen(kept: KeptScreen | None, root: Path) -> None:
    """After the app: keep ``kept`` for the next launch if the library is still in the
    state it was taken in, else forget any kept screen. Never raises (a screen not kept
    only costs the next launch its head start)."""
    if kept is None:
        discard_first_screen(root)
        return
    try:
        ids = [row.paper_id for row in kept.screen.rows]
        if library_state(root, ids) != kept.state:
            discard_first_screen(root)
            return
        save_first_screen(root, kept.screen, kept.state)
    except Exception:  # after a normal quit, a screen not kept is no error to report
        discard_first_screen(root)
