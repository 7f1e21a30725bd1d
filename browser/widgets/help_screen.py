"""Every key the app understands, with what it does, and the search syntax.

One section per area (list, reader, search bar, anywhere); keys with the same meaning
share a row ("j, ↓"); then the query language (``browser.query_help``). Descriptions
wrap to the dialog's width, never cut, and the sections scroll (arrows, PgUp/PgDn,
Home/End, j/k, the mouse wheel), so all of it reads at 80x24. Keys scroll at once, as
in the reader: Textual animates Home and End over a whole second, so a reader who
pressed End saw the help still short of its end.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Static

from browser.query_help import QuerySyntax

__all__ = ["SYNTAX_TITLE", "HelpScreen", "HelpScroll", "help_sections"]

SYNTAX_TITLE = "Search syntax"


def help_sections(rows: Sequence[tuple[str, str, str]]) -> list[tuple[str, list[tuple[str, str]]]]:
    """``(area, [(keys, description)])`` in the rows' order: an area's keys with the same
    description are joined into one entry (``"j, n, →"``)."""
    sections: dict[str, dict[str, list[str]]] = {}
    for area, key, description in rows:
        keys = sections.setdefault(area, {}).setdefault(description, [])
        if key not in keys:
            keys.append(key)
    return [
        (area, [(", ".join(keys), description) for description, keys in entries.items()])
        for area, entries in sections.items()
    ]


def _help_renderable(
    rows: Sequence[tuple[str, str, str]], syntax: Sequence[QuerySyntax] = ()
) -> RenderableType:
    tables: list[RenderableType] = []
    for area, entries in help_sections(rows):
        table = _titled_table(area)
        table.add_column("Key", style="bold", no_wrap=True)
        table.add_column("What it does", ratio=1, overflow="fold")
        for keys, description in entries:
            table.add_row(keys, Text(description))
        tables.append(table)
        tables.append(Text(""))
    if syntax:
        tables.append(_syntax_table(syntax))
        tables.append(Text(""))
    return Group(*tables[:-1])


def _titled_table(title: str) -> Table:
    """A borderless, headerless table of two columns under a bold ``title``."""
    return Table(
        title=Text(title, style="bold"),
        title_justify="left",
        show_header=False,
        box=None,
        expand=True,
        padding=(0, 2, 0, 0),
    )


def _syntax_table(syntax: Sequence[QuerySyntax]) -> Table:
    """The query language: each row's examples one under the other (never broken inside,
    ``date:[2024-01 TO 2024-06]`` has spaces), what they find beside them."""
    table = _titled_table(SYNTAX_TITLE)
    table.add_column("Typed", style="bold", no_wrap=True)
    table.add_column("Finds", ratio=1, overflow="fold")
    for row in syntax:
        table.add_row(Text("\n".join(row.examples)), Text(row.meaning))
    return table


class HelpScroll(VerticalScroll):
    """The help's scroll area: its keys jump (Textual's container animates them)."""

    def action_scroll_home(self) -> None:
        self.scroll_home(animate=False)

    def action_scroll_end(self) -> None:
        self.scroll_end(animate=False)

    def action_page_up(self) -> None:
        self.scroll_page_up(animate=False)

    def action_page_down(self) -> None:
        self.scroll_page_down(animate=False)

    def action_scroll_up(self) -> None:
        self.scroll_up(animate=False)

    def action_scroll_down(self) -> None:
        self.scroll_down(animate=False)


class HelpScreen(ModalScreen[None]):
    """Rows of (area, key, description), shown by area; any of escape, ?, q closes it."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,question_mark,q,f1", "close", "Close help"),
        Binding("j", "scroll(1)", "Scroll down", show=False),
        Binding("k", "scroll(-1)", "Scroll up", show=False),
    ]

    def __init__(
        self,
        rows: Sequence[tuple[str, str, str]],
        footnote: str = "",
        syntax: Sequence[QuerySyntax] = (),
    ) -> None:
        super().__init__(classes="dialog-screen")
        self.rows = list(rows)
        self.syntax = list(syntax)
        self._footnote = footnote
        self.keys_view = HelpScroll(id="help-keys")

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="help-dialog") as dialog:
            dialog.border_title = "Keys and search syntax"
            with self.keys_view:
                yield Static(_help_renderable(self.rows, self.syntax), id="help-text")
            if self._footnote:
                yield Static(Content.styled(self._footnote, "$text-muted"), classes="hint")
            yield Static(
                Content.styled("↑ ↓ PgUp PgDn Home End scroll · Esc, ? or q closes", "$text-muted"),
                classes="hint",
            )

    def on_mount(self) -> None:
        self.keys_view.focus()

    def action_scroll(self, direction: int) -> None:
        if direction > 0:
            self.keys_view.action_scroll_down()
        else:
            self.keys_view.action_scroll_up()

    def action_close(self) -> None:
        self.dismiss(None)
