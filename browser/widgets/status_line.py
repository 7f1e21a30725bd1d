"""One line under the results: counts, timing, sort, filters; a progress bar while syncing."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.content import Content
from textual.widgets import ProgressBar, Static

from browser.safe_text import safe_line


class StatusLine(Horizontal):
    """Says what the list shows and how it was found."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        # Kept, not queried: updates may still arrive while the app shuts down.
        self._text = Static(id="status-text")
        self._progress = ProgressBar(id="sync-progress", show_eta=False)

    def compose(self) -> ComposeResult:
        yield self._text
        yield self._progress

    def show_status(self, parts: list[str], *, triage: bool = False) -> None:
        text = Content("  ·  ").join(Content(safe_line(part)) for part in parts if part)
        if triage:
            text = Content.assemble(("TRIAGE ", "bold reverse $warning"), " ", text)
        self._text.update(text)

    def show_progress(self, done: int, total: int, label: str) -> None:
        bar = self._progress
        bar.display = True
        bar.update(total=max(total, 1), progress=done)
        self._text.update(Content(safe_line(label)))

    def hide_progress(self) -> None:
        self._progress.display = False
