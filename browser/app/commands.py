"""Every action as a command palette entry and as a row of the key help (``?``)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any

from textual.app import SystemCommand
from textual.binding import Binding, BindingType
from textual.markup import escape
from textual.screen import Screen

from browser.reading import describe_query, query_of
from browser.safe_text import safe_line
from browser.widgets.reader import READER_APP_ACTIONS, READER_BINDINGS, ReaderScreen
from browser.widgets.results_table import ResultsTable
from browser.widgets.search_bar import SearchBar

if TYPE_CHECKING:
    from browser.app.main import PaperBrowserApp

__all__ = ["PALETTE_COMMANDS", "PaletteCommand", "binding_rows", "palette_commands"]


@dataclass(frozen=True)
class PaletteCommand:
    title: str
    help: str
    action: str


PALETTE_COMMANDS: tuple[PaletteCommand, ...] = (
    PaletteCommand("Search", "Focus the search bar", "focus_search"),
    PaletteCommand("Read paper", "The highlighted paper full-screen, with next/previous", "read"),
    PaletteCommand("Tag paper…", "Add a tag to the highlighted paper", "tag_prompt"),
    PaletteCommand("Remove a tag…", "Pick one of the paper's tags to remove", "remove_tag"),
    PaletteCommand("Undo last change", "Revert the most recent tag or read-mark change", "undo"),
    PaletteCommand("Save this search…", "Query, sort and filters under a name", "save_search"),
    PaletteCommand("Saved searches…", "List the saved searches and run one", "saved_searches"),
    PaletteCommand("Previous day", "The Daily Papers day before, for this search", "step_day(-1)"),
    PaletteCommand("Next day", "The Daily Papers day after, for this search", "step_day(1)"),
    PaletteCommand("Edit note…", "Write a Markdown note on the highlighted paper", "edit_note"),
    PaletteCommand("Toggle read", "Mark the highlighted paper read or unread", "toggle_read"),
    PaletteCommand("Mark list read", "Every paper of this list read (u undoes)", "mark_list_read"),
    PaletteCommand(
        "Cycle sort order",
        "Relevance, newest, Daily Papers order, most upvoted, most comments, title",
        "cycle_sort",
    ),
    PaletteCommand("Filter by tag…", "Show only papers with a tag, or untagged", "filter_tags"),
    PaletteCommand("Similar papers", "Papers like the highlighted one", "more_like"),
    PaletteCommand(
        "Back to the search results",
        "Leave similar papers, a day or the new papers",
        "clear_context",
    ),
    PaletteCommand("Open paper in browser", "First link, or a Hugging Face search", "open_link"),
    PaletteCommand("Copy title and link", "To the clipboard", "copy"),
    PaletteCommand("Toggle triage mode", "Next paper after each quick tag", "toggle_triage"),
    PaletteCommand(
        "Export…", "CSV, BibTeX, RIS, Markdown or JSONL: current results or tagged", "export"
    ),
    PaletteCommand("Import tags…", "From a CSV, BibTeX or RIS file (one undo step)", "import_tags"),
    PaletteCommand(
        "Stats of this search", "Papers over time, tags, organisations, rising terms", "stats"
    ),
    PaletteCommand("Grow the abstract pane", "Remembered between launches", "resize_pane(1)"),
    PaletteCommand("Shrink the abstract pane", "Remembered between launches", "resize_pane(-1)"),
    PaletteCommand("Show keys", "Every key binding", "help"),
)


def binding_rows(app: PaperBrowserApp) -> list[tuple[str, str, str]]:
    """(area, key, description) for every binding, quick tags spelled out."""
    quick_tags = app.config.quick_tags
    rows: list[tuple[str, str, str]] = []
    areas: list[tuple[str, Sequence[BindingType]]] = [
        ("List", ResultsTable.BINDINGS),
        ("Reader", READER_BINDINGS),
        ("Search bar", SearchBar.BINDINGS),
        ("Anywhere", [*app.BINDINGS, Binding("ctrl+p", "command_palette", "Command palette")]),
    ]
    for area, bindings in areas:
        for binding in bindings:
            if not isinstance(binding, Binding):
                continue
            action, _, _ = binding.action.removeprefix("app.").partition("(")
            description = binding.tooltip or binding.description
            if action == "quick_tag":
                slot = int(binding.key)
                if slot > len(quick_tags):
                    continue
                description = f"Toggle tag “{quick_tags[slot - 1]}”"
            for key in binding.key.split(","):
                display = binding.key_display or app.get_key_display(
                    Binding(key.strip(), binding.action)
                )
                rows.append((area, display, description))
    return rows


def palette_commands(app: PaperBrowserApp, screen: Screen[Any]) -> Iterator[SystemCommand]:
    """The app's own commands for the palette on ``screen`` (after Textual's)."""
    in_reader = isinstance(screen, ReaderScreen)
    if isinstance(screen, ReaderScreen):
        yield from screen.system_commands()
    for command in PALETTE_COMMANDS:
        if in_reader and command.action not in READER_APP_ACTIONS:
            continue  # a list-only command (search, sort, filter, the split)
        if app.check_action(command.action, ()):
            yield SystemCommand(command.title, command.help, _runner(app, command.action))
    if not in_reader:
        yield from _saved_search_commands(app)
    if app.table.highlighted_hit is not None:
        for slot, tag in enumerate(app.config.quick_tags, start=1):
            yield SystemCommand(
                escape(safe_line(f"Toggle tag “{tag}”")),
                f"Quick tag, key {slot}",
                _runner(app, f"quick_tag({slot})"),
            )


def _saved_search_commands(app: PaperBrowserApp) -> Iterator[SystemCommand]:
    """One entry per saved search, besides the picker (``B``)."""
    session = app.session_flow
    for saved in app.services.reading.saved_searches():
        # The palette reads titles as markup: a name is data, escaped (and made safe).
        title = escape(safe_line(f"Saved search: {saved.name}"))
        shown = safe_line(describe_query(query_of(saved)))
        yield SystemCommand(title, escape(shown), partial(session.run_saved, saved.name))


def _runner(app: PaperBrowserApp, action: str) -> Callable[[], Any]:
    return lambda: app.run_action(action)
