"""Every key the app understands, with what it does."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import DataTable, Static


class HelpScreen(ModalScreen[None]):
    """A table of (area, key, description) rows; any of escape, ?, q closes it."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,question_mark,q", "close", "Close help"),
    ]

    def __init__(self, rows: Sequence[tuple[str, str, str]], footnote: str = "") -> None:
        super().__init__(classes="dialog-screen")
        self.rows = list(rows)
        self._footnote = footnote

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="help-dialog") as dialog:
            dialog.border_title = "Keys"
            table: DataTable[Text] = DataTable(id="help-table", cursor_type="row")
            table.add_columns("Where", "Key", "What it does")
            for area, key, description in self.rows:
                table.add_row(Text(area, style="dim"), Text(key, style="bold"), Text(description))
            yield table
            if self._footnote:
                yield Static(Content.styled(self._footnote, "$text-muted"), classes="hint")
            yield Static(Content.styled("Esc, ? or q closes", "$text-muted"), classes="hint")

    def action_close(self) -> None:
        self.dismiss(None)
