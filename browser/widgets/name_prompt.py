"""A modal asking for a name (a saved search's), completing the names that exist."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.suggester import SuggestFromList
from textual.widgets import Input, Static

from browser.safe_text import safe_line


class NamePrompt(ModalScreen[str | None]):
    """Returns the name typed (trimmed), or None when cancelled or empty."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel"),
        # The hint promises Tab (where dialogs move focus): Right alone was easy to miss,
        # and Enter on "se" saved a new "se" beside "semi-supervised".
        Binding("tab", "complete", "Complete", show=False),
    ]

    def __init__(self, title: str, describe: str, existing: Sequence[str]) -> None:
        super().__init__(classes="dialog-screen")
        self._title = title
        self._describe = describe
        self._existing = list(existing)

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="name-dialog") as dialog:
            dialog.border_title = self._title
            yield Static(Content.styled(safe_line(self._describe), "bold"), classes="dialog-title")
            if self._existing:
                names = ", ".join(self._existing)
                yield Static(Content.assemble(("Saved: ", "$text-muted"), safe_line(names)))
            yield Input(
                placeholder="name  (an existing name is overwritten; Tab completes)",
                suggester=SuggestFromList(self._existing, case_sensitive=False),
                id="name-input",
            )
            yield Static(
                Content.styled("Enter saves · Esc cancels", "$text-muted"), classes="hint"
            )

    @on(Input.Submitted)
    def submit(self, event: Input.Submitted) -> None:
        self.dismiss(event.value.strip() or None)

    def action_complete(self) -> None:
        """Take the suggested existing name (Input accepts it on Right at the end)."""
        name = self.query_one(Input)
        name.action_end()
        name.action_cursor_right()

    def action_cancel(self) -> None:
        self.dismiss(None)
