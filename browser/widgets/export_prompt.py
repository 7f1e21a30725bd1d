"""A modal asking where to write a CSV export and which papers to put in it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar, Literal

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Input, RadioButton, RadioSet, Static

ExportScope = Literal["results", "tagged"]


@dataclass(frozen=True)
class ExportChoice:
    path: Path
    scope: ExportScope
    long: bool


class ExportPrompt(ModalScreen[ExportChoice | None]):
    """Path, set of papers and layout; Enter in the path field exports."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]

    def __init__(
        self, default_path: Path, *, result_count: int, tagged_count: int, scope: ExportScope
    ) -> None:
        super().__init__(classes="dialog-screen")
        self._default_path = default_path
        self._result_count = result_count
        self._tagged_count = tagged_count
        self._scope: ExportScope = scope

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="export-dialog") as dialog:
            dialog.border_title = "Export to CSV"
            yield Static("File", classes="field-label")
            yield Input(str(self._default_path), id="export-path")
            with RadioSet(id="export-scope"):
                yield RadioButton(
                    f"Current results ({self._result_count} papers)",
                    value=self._scope == "results",
                    id="scope-results",
                    disabled=self._result_count == 0,
                )
                yield RadioButton(
                    f"All tagged papers ({self._tagged_count})",
                    value=self._scope == "tagged",
                    id="scope-tagged",
                )
            yield Checkbox("One row per tag (long format)", id="export-long")
            with Horizontal(classes="buttons"):
                yield Button("Export", variant="primary", id="export-ok")
                yield Button("Cancel", id="export-cancel")
            yield Static(
                Content.styled("Enter exports · Esc cancels", "$text-muted"), classes="hint"
            )

    def on_mount(self) -> None:
        path_input = self.query_one("#export-path", Input)
        path_input.focus()
        path_input.cursor_position = len(path_input.value)

    @on(RadioSet.Changed)
    def scope_changed(self, event: RadioSet.Changed) -> None:
        self._scope = "tagged" if event.pressed.id == "scope-tagged" else "results"

    @on(Input.Submitted, "#export-path")
    @on(Button.Pressed, "#export-ok")
    def export(self) -> None:
        raw = self.query_one("#export-path", Input).value.strip()
        if not raw:
            self.notify("Type a file name for the export.", severity="warning")
            return
        self.dismiss(
            ExportChoice(
                path=Path(raw).expanduser(),
                scope=self._scope,
                long=self.query_one("#export-long", Checkbox).value,
            )
        )

    @on(Button.Pressed, "#export-cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
