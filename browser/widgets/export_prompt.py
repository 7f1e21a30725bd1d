"""Modals for files: where to write an export (format, which papers), and which file
to import tags from."""

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
from textual.widgets import Button, Checkbox, Input, RadioSet, Select, Static

from browser.export.formats import (
    EXPORT_FORMATS,
    FILE_SUFFIXES,
    FORMAT_LABELS,
    ExportFormat,
    format_of_path,
)
from browser.widgets.choices import CheckOption, RadioOption
from browser.wording import counted

ExportScope = Literal["results", "tagged"]


@dataclass(frozen=True)
class ExportChoice:
    path: Path
    scope: ExportScope
    long: bool
    format: ExportFormat = "csv"
    excel: bool = False


def with_format_suffix(path: str, export_format: ExportFormat) -> str:
    """``out.csv`` -> ``out.bib``: swap a known export suffix, leave any other name alone."""
    for suffix in FILE_SUFFIXES.values():
        if path.endswith(suffix):
            return path[: -len(suffix)] + FILE_SUFFIXES[export_format]
    return path


class ExportPrompt(ModalScreen[ExportChoice | None]):
    """Path, format, set of papers and CSV layout; Enter in the path field exports."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]

    def __init__(
        self, default_path: Path, *, result_count: int, tagged_count: int, scope: ExportScope
    ) -> None:
        super().__init__(classes="dialog-screen")
        self._default_path = default_path
        self._result_count = result_count
        self._tagged_count = tagged_count
        self._scope: ExportScope = scope
        self._format: ExportFormat = "csv"

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="export-dialog") as dialog:
            dialog.border_title = "Export"
            yield Static("File", classes="field-label")
            yield Input(str(self._default_path), id="export-path")
            yield Select(
                [(FORMAT_LABELS[name], name) for name in EXPORT_FORMATS],
                value="csv",
                allow_blank=False,
                id="export-format",
            )
            yield Static("Papers (one of)", classes="field-label")
            with RadioSet(id="export-scope"):
                yield RadioOption(
                    f"Current results ({counted(self._result_count, 'paper')})",
                    value=self._scope == "results",
                    id="scope-results",
                    disabled=self._result_count == 0,
                )
                yield RadioOption(
                    f"All tagged papers ({self._tagged_count})",
                    value=self._scope == "tagged",
                    id="scope-tagged",
                )
            with Horizontal(id="export-csv-options"):
                yield Static("CSV (any of)", classes="field-label")
                yield CheckOption("One row per tag", id="export-long")
                yield CheckOption("For Excel (BOM)", id="export-excel")
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

    @on(Select.Changed, "#export-format")
    def format_changed(self, event: Select.Changed) -> None:
        if event.value not in EXPORT_FORMATS:
            return
        chosen: ExportFormat = event.value
        self._format = chosen
        path_input = self.query_one("#export-path", Input)
        path_input.value = with_format_suffix(path_input.value, chosen)
        # The CSV options mean nothing to the other formats.
        self.query_one("#export-csv-options").display = chosen == "csv"

    @on(Input.Changed, "#export-path")
    def path_changed(self, event: Input.Changed) -> None:
        """A typed ``.bib``/``.ris``/``.md``/``.jsonl``/``.csv`` picks its format."""
        named = format_of_path(event.value.strip())
        if named is not None and named != self._format:
            self.query_one("#export-format", Select).value = named

    @on(Input.Submitted, "#export-path")
    @on(Button.Pressed, "#export-ok")
    def export(self) -> None:
        raw = self.query_one("#export-path", Input).value.strip()
        if not raw:
            self.notify("Type a file name for the export.", severity="warning")
            return
        is_csv = self._format == "csv"
        self.dismiss(
            ExportChoice(
                path=Path(raw).expanduser(),
                scope=self._scope,
                long=is_csv and self.query_one("#export-long", Checkbox).value,
                format=self._format,
                excel=is_csv and self.query_one("#export-excel", Checkbox).value,
            )
        )

    @on(Button.Pressed, "#export-cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)


@dataclass(frozen=True)
class ImportChoice:
    path: Path
    replace: bool


class ImportPrompt(ModalScreen[ImportChoice | None]):
    """Which file to read tags back from (CSV, BibTeX or RIS), and whether the file's
    tags replace a matched paper's tags; Enter in the path field imports."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]
    AUTO_FOCUS = "#import-path"

    def __init__(self, default_path: Path) -> None:
        super().__init__(classes="dialog-screen")
        self._default_path = default_path

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="import-dialog") as dialog:
            dialog.border_title = "Import tags"
            yield Static("CSV, BibTeX or RIS file", classes="field-label")
            yield Input(str(self._default_path), id="import-path")
            yield CheckOption("Replace each matched paper's tags", id="import-replace")
            with Horizontal(classes="buttons"):
                yield Button("Import", variant="primary", id="import-ok")
                yield Button("Cancel", id="import-cancel")
            yield Static(
                Content.styled("Enter imports · u undoes it · Esc cancels", "$text-muted"),
                classes="hint",
            )

    @on(Input.Submitted, "#import-path")
    @on(Button.Pressed, "#import-ok")
    def import_file(self) -> None:
        raw = self.query_one("#import-path", Input).value.strip()
        if not raw:
            self.notify("Type the name of the file to import.", severity="warning")
            return
        replace = self.query_one("#import-replace", Checkbox).value
        self.dismiss(ImportChoice(Path(raw).expanduser(), replace))

    @on(Button.Pressed, "#import-cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
