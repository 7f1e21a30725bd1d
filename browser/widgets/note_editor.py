"""The note editor (``n``): a multi-line Markdown ``TextArea`` saved as you type.

Saved ``SAVE_AFTER_SECONDS`` after typing pauses, at the latest ``SAVE_AT_LEAST_EVERY``
seconds after the first unsaved keystroke (so a kill loses at most about a second of
typing), and on close. A failed save keeps the editor open with the reason; closing
again then leaves without saving.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.timer import Timer
from textual.widgets import Static, TextArea

from browser.safe_text import safe_line

SAVE_AFTER_SECONDS = 0.4
SAVE_AT_LEAST_EVERY = 1.0

# Saves the text; returns None when saved, else why not (shown to the user).
NoteSaver = Callable[[str], str | None]


class NoteEditor(ModalScreen[str | None]):
    """Edit one paper's note; dismissed with the text as last saved (None: unchanged)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        # Priority: a TextArea that indents with Tab would take Escape to leave itself.
        Binding(
            "escape", "close", "Save and close", priority=True, tooltip="Save the note and close"
        ),
        Binding("ctrl+s", "save", "Save", tooltip="Save now (it also saves as you type)"),
    ]

    def __init__(self, title: str, text: str, save: NoteSaver) -> None:
        super().__init__(classes="dialog-screen")
        self._title = title
        self._initial = text
        self._saved = text
        self._save = save
        self._timer: Timer | None = None
        self._dirty_since: float | None = None
        self._failed = False
        self.status_message = ""

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="note-dialog") as dialog:
            dialog.border_title = "Note"
            yield Static(Content.styled(safe_line(self._title), "bold"), classes="dialog-title")
            yield TextArea(self._initial, id="note-text", soft_wrap=True, tab_behavior="indent")
            yield Static(
                Content.styled("Markdown · saved as you type · Esc closes", "$text-muted"),
                id="note-status",
                classes="hint",
            )

    def on_mount(self) -> None:
        area = self.query_one(TextArea)
        area.focus()
        area.move_cursor(area.document.end)

    @property
    def text(self) -> str:
        return self.query_one(TextArea).text

    @on(TextArea.Changed)
    def _changed(self) -> None:
        now = time.monotonic()
        if self._dirty_since is None:
            self._dirty_since = now
        if self._timer is not None:
            self._timer.stop()
        waited = now - self._dirty_since
        delay = min(SAVE_AFTER_SECONDS, SAVE_AT_LEAST_EVERY - waited)
        if delay <= 0.01:
            # Typing has outlasted SAVE_AT_LEAST_EVERY: save now. (A zero-second Textual
            # timer that fires late divides by its interval and dies, losing the save.)
            self.action_save()
            return
        self._timer = self.set_timer(delay, self.action_save)

    def action_save(self) -> bool:
        """Save what is typed if it changed; True when nothing is left unsaved."""
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        text = self.text
        if text == self._saved:
            self._dirty_since = None
            return True
        problem = self._save(text)
        if problem is not None:
            self._failed = True
            self._say(f"Not saved: {problem}. Esc again closes without saving.", "$error")
            return False
        self._saved = text
        self._dirty_since = None
        self._failed = False
        self._say("Saved · Markdown · Esc closes", "$text-muted")
        return True

    def _say(self, message: str, style: str) -> None:
        self.status_message = message
        self.query_one("#note-status", Static).update(Content.styled(message, style))

    def action_close(self) -> None:
        failed_before = self._failed
        if self.action_save() or failed_before:
            self.dismiss(self._saved if self._saved != self._initial else None)
