"""The highlighted paper: the abstract pane, the reader that walks the list (it is the
reader's ``ReaderSource``), and leaving the app for the paper's link or the clipboard."""

from __future__ import annotations

import webbrowser
from typing import TYPE_CHECKING
from urllib.parse import quote_plus

from browser.links import first_web_link
from browser.models import SearchHit
from browser.widgets.reader import ReaderScreen

if TYPE_CHECKING:
    from browser.app.main import PaperBrowserApp

__all__ = ["HF_SEARCH_URL", "PaperFlow", "link_for"]

HF_SEARCH_URL = "https://huggingface.co/papers?q="


def link_for(hit: SearchHit) -> str:
    """The paper's first web link (``links.is_web_link``), else a Hugging Face title search."""
    return first_web_link(hit.paper.links) or HF_SEARCH_URL + quote_plus(hit.paper.title)


class PaperFlow:
    """The pane and the reader follow the list's cursor; ``o`` and ``y`` act on its paper."""

    def __init__(self, app: PaperBrowserApp) -> None:
        self.app = app
        # Reader moves past the loaded rows, made once the next page arrives.
        self._reader_queued = 0

    # ------------------------------------------------------------------ the pane

    def show_highlighted(self) -> None:
        app = self.app
        hit = app.table.highlighted_hit
        tags = app.services.tags.tags_of(hit.paper.id) if hit else []
        empty = "Reading the dumps…" if app.syncing else "Nothing to show: no paper matches."
        note, read = self.note_and_mark(hit.paper.id) if hit else ("", None)
        app.main_screen.abstract.show(hit, tags, empty, note=note, read=read)
        app.main_screen.quick_tag_bar.show_active(tags)
        self.update_reader()
        app.reading_flow.paper_shown(hit)
        app.session_flow.remember_soon()

    def refresh(self) -> None:
        """Re-render the highlighted paper (its note or read mark changed), keeping the scroll."""
        app = self.app
        hit = app.table.highlighted_hit
        if hit is not None:
            note, read = self.note_and_mark(hit.paper.id)
            tags = app.services.tags.tags_of(hit.paper.id)
            app.main_screen.abstract.refresh_tags(hit, tags, note=note, read=read)
        self.update_reader()
        app.search_flow.update_status()

    def note_and_mark(self, paper_id: str) -> tuple[str, bool | None]:
        reading = self.app.services.reading
        return reading.note_of(paper_id), reading.is_read(paper_id)

    def scroll_abstract(self, direction: int) -> None:
        pane = self.app.main_screen.abstract
        pane.scroll_relative(y=direction * max(1, pane.size.height // 2), animate=False)

    # ------------------------------------------------------------------ the reader

    def open_reader(self) -> None:
        app = self.app
        if app.table.highlighted_hit is not None and not self._reader_screens():
            app.push_screen(ReaderScreen(self, app.config.quick_tags))

    def _reader_screens(self) -> list[ReaderScreen]:
        return [screen for screen in self.app.screen_stack if isinstance(screen, ReaderScreen)]

    def update_reader(self) -> None:
        for reader in self._reader_screens():
            reader.show_current()

    def reader_paper(self) -> tuple[SearchHit, list[str]] | None:
        hit = self.app.table.highlighted_hit
        return None if hit is None else (hit, self.app.services.tags.tags_of(hit.paper.id))

    def reader_note(self, paper_id: str) -> tuple[str, bool | None]:
        return self.note_and_mark(paper_id)

    def reader_position(self) -> tuple[int, int, int]:
        app = self.app
        loaded = len(app.table.hits)
        total = max(app.result.total if app.result else loaded, loaded)
        return app.table.cursor_row + 1, loaded, total

    def reader_step(self, delta: int) -> str | None:
        row, loaded, total = self.reader_position()
        # Moves asked for while a page is on its way count from where they will land.
        target = row - 1 + self._reader_queued + delta
        if target < 0:
            return "This is the first paper of the list."
        if target >= loaded and loaded < total:
            # Kept, not dropped: the move happens when the page arrives.
            self._reader_queued = target - (row - 1)
            self.app.search_flow.load_more()  # the list fetches as it nears its end; make sure
            return "Fetching more papers…"
        self._reader_queued = 0
        if target >= loaded:
            if row == loaded:
                return "This is the last paper of the list."
            target = loaded - 1
        self.app.table.move_cursor(row=target, animate=False)
        return None

    def page_arrived(self) -> None:
        """The next page is in the list: make the reader's moves that waited for it."""
        if self._reader_queued:
            queued, self._reader_queued = self._reader_queued, 0
            self.reader_step(queued)

    def list_replaced(self) -> None:
        self._reader_queued = 0  # a new list: moves meant for the old one are void

    # ------------------------------------------------------------------ leaving the app

    def open_link(self) -> None:
        hit = self.app.table.highlighted_hit
        if hit is not None:
            self.open_url(link_for(hit))

    def open_url(self, url: str) -> None:
        self.app.say(f"Opening {url}", timeout=3)
        # webbrowser.open can block for seconds (it may start a browser).
        self.app.run_worker(
            lambda: self._open_in_browser(url), thread=True, group="browser", exit_on_error=False
        )

    def _open_in_browser(self, url: str) -> None:
        if not webbrowser.open(url):
            self.app.call_from_thread(
                self.app.say, f"No web browser found to open {url}", "warning"
            )

    def copy(self) -> None:
        hit = self.app.table.highlighted_hit
        if hit is None:
            return
        self.app.copy_to_clipboard(f"{hit.paper.title}\n{link_for(hit)}")
        self.app.say("Copied title and link", timeout=2)
