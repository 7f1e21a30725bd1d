"""The reader: one paper full-screen, with next and previous through the current list.

The reader never owns a list of its own. It shows the paper under the list's cursor
and moves that cursor (through a ``ReaderSource``), so quick tags, triage and
fetching more results work exactly as in the list, and leaving lands the list on
the paper last read.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import ClassVar, Protocol

from textual import events
from textual.app import ComposeResult, SystemCommand
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Static

from browser.models import SearchHit
from browser.widgets.paper_text import LABEL_STYLE, PaperText
from browser.widgets.quick_tags import QuickTagBar
from browser.widgets.quiet_footer import QuietFooter


class ReaderSource(Protocol):
    """The list the reader walks through (the app's result list)."""

    def reader_paper(self) -> tuple[SearchHit, list[str]] | None:
        """The paper under the list's cursor and its tags, or None for an empty list."""
        ...

    def reader_note(self, paper_id: str) -> tuple[str, bool | None]:
        """The paper's note ("" when none) and read mark (None when unknown)."""
        ...

    def reader_position(self) -> tuple[int, int, int]:
        """(1-based row of the cursor, rows loaded, papers found in all)."""
        ...

    def reader_step(self, delta: int) -> str | None:
        """Move the list's cursor by ``delta`` rows; a message when it cannot move."""
        ...


# Most important first: the footer shows as many whole keys as fit, in this order.
READER_BINDINGS: list[BindingType] = [
    Binding("escape", "back", "Back", tooltip="Back to the list, on this paper"),
    Binding("question_mark", "app.help", "Keys", key_display="?", tooltip="Show every key"),
    Binding("q", "back", "Back", show=False, tooltip="Back to the list, on this paper"),
    Binding("j", "step(1)", "Next", tooltip="Next paper of the list"),
    Binding("k", "step(-1)", "Prev", tooltip="Previous paper of the list"),
    Binding("n", "step(1)", "Next", show=False, tooltip="Next paper of the list"),
    Binding("p", "step(-1)", "Prev", show=False, tooltip="Previous paper of the list"),
    Binding("right", "step(1)", "Next", show=False, tooltip="Next paper of the list"),
    Binding("left", "step(-1)", "Prev", show=False, tooltip="Previous paper of the list"),
    Binding("space", "page(1)", "Page", tooltip="Scroll down a page"),
    Binding("pagedown", "page(1)", "Page down", show=False, tooltip="Scroll down a page"),
    Binding("b", "page(-1)", "Page up", show=False, tooltip="Scroll up a page"),
    Binding("pageup", "page(-1)", "Page up", show=False, tooltip="Scroll up a page"),
    Binding("down", "line(1)", "Line down", show=False, tooltip="Scroll down a line"),
    Binding("up", "line(-1)", "Line up", show=False, tooltip="Scroll up a line"),
    Binding("home", "edge(-1)", "Top", show=False, tooltip="Scroll to the title"),
    Binding("end", "edge(1)", "Bottom", show=False, tooltip="Scroll to the end"),
    Binding("t", "app.tag_prompt", "Tag", tooltip="Add any tag, with completion (-name removes)"),
    Binding("x", "app.remove_tag", "Untag", show=False, tooltip="Remove one of the paper's tags"),
    Binding("u", "app.undo", "Undo", tooltip="Undo the last tag or read-mark change"),
    Binding("r", "app.toggle_read", "Read/unread", show=False, tooltip="Mark read or unread"),
    Binding("N", "app.edit_note", "Note", tooltip="Write a note on the paper (Markdown)"),
    Binding("o", "app.open_link", "Open", tooltip="Open the paper's link in the browser"),
    Binding("y", "app.copy", "Copy", show=False, tooltip="Copy title and link to the clipboard"),
    Binding(
        "a",
        "app.toggle_triage",
        "Triage mode",
        show=False,
        tooltip="Toggle moving to the next paper after each quick tag",
    ),
    *(
        Binding(str(slot), f"app.quick_tag({slot})", f"Quick tag {slot}", show=False)
        for slot in range(1, 10)
    ),
]


# The app's actions the reader has keys for: its palette offers these and no list-only
# ones (search, sort, filter, the split).
READER_APP_ACTIONS = frozenset(
    binding.action.removeprefix("app.")
    for binding in READER_BINDINGS
    if isinstance(binding, Binding) and binding.action.startswith("app.")
)


class NavButton(Static):
    """A one-line clickable label that runs a reader action (no focus, no border)."""

    def __init__(self, label: str, action: str, *, id: str) -> None:
        super().__init__(Content(label), id=id, classes="reader-nav-button")
        self._action = action

    async def on_click(self, event: events.Click) -> None:
        event.stop()
        await self.screen.run_action(self._action)


class ReaderScreen(Screen[None]):
    """One paper at a time, the whole abstract, next/previous without leaving."""

    BINDINGS: ClassVar[list[BindingType]] = READER_BINDINGS
    DEFAULT_CSS = """
    ReaderScreen { layout: vertical; }
    ReaderScreen #reader-nav { height: 1; background: $panel; }
    ReaderScreen .reader-nav-button { width: auto; padding: 0 1; color: $text-accent; }
    ReaderScreen .reader-nav-button:hover { background: $accent 30%; }
    ReaderScreen #reader-position {
        width: 1fr; height: 1; content-align: center middle; color: $text-muted;
        text-wrap: nowrap; text-overflow: ellipsis;
    }
    ReaderScreen #reader-scroll {
        height: 1fr; padding: 1 2 0 2; align-horizontal: center; scrollbar-size-vertical: 1;
    }
    ReaderScreen.-short #reader-scroll { padding: 0 1; }
    ReaderScreen #reader-paper { width: 1fr; max-width: 100; height: auto; margin-bottom: 1; }
    """

    def __init__(self, source: ReaderSource, quick_tags: Sequence[str]) -> None:
        super().__init__(id="reader")
        self._source = source
        self._quick_tags = tuple(quick_tags)
        self._paper_id: str | None = None
        # Kept, not queried: the app may update the reader while it closes.
        self._paper = PaperText(id="reader-paper")
        self._position = Static(id="reader-position")
        self._scroll = VerticalScroll(self._paper, id="reader-scroll")

    @property
    def paper_id(self) -> str | None:
        """The id of the paper on screen."""
        return self._paper_id

    def compose(self) -> ComposeResult:
        with Horizontal(id="reader-nav"):
            yield NavButton("◀ Prev", "step(-1)", id="reader-prev")
            yield self._position
            yield NavButton("Next ▶", "step(1)", id="reader-next")
            yield NavButton("✕ Back", "back", id="reader-back")
        yield self._scroll
        yield QuickTagBar(self._quick_tags)
        yield QuietFooter()

    def on_mount(self) -> None:
        self.show_current()
        self._scroll.focus()

    def show_current(self) -> None:
        """Show the paper under the list's cursor; a new paper starts at its title."""
        current = self._source.reader_paper()
        if current is None:
            self._paper_id = None
            self._paper.show_message(
                Content.styled("No paper to read: the list is empty.", LABEL_STYLE)
            )
            self._position.update("")
            self.query_one(QuickTagBar).show_active([])
            return
        hit, tags = current
        note, read = self._source.reader_note(hit.paper.id)
        self._paper.show_paper(hit, tags, full_paths=True, note=note, read=read)
        self.query_one(QuickTagBar).show_active(tags)
        row, loaded, total = self._source.reader_position()
        more = f" (of {total:,})" if total > loaded else ""
        self._position.update(Content(f"{row:,} / {loaded:,}{more}"))
        if hit.paper.id != self._paper_id:
            self._paper_id = hit.paper.id
            self._scroll.scroll_home(animate=False, immediate=True)

    # ------------------------------------------------------------------ actions

    def action_back(self) -> None:
        self.dismiss(None)

    def action_step(self, delta: int) -> None:
        problem = self._source.reader_step(delta)
        if problem:
            self.notify(problem, timeout=2, markup=False)
        else:
            self.show_current()

    def action_page(self, direction: int) -> None:
        page = max(1, self._scroll.scrollable_content_region.height - 1)
        self._scroll.scroll_relative(y=direction * page, animate=False)

    def action_line(self, direction: int) -> None:
        self._scroll.scroll_relative(y=direction, animate=False)

    def action_edge(self, direction: int) -> None:
        if direction < 0:
            self._scroll.scroll_home(animate=False)
        else:
            self._scroll.scroll_end(animate=False)

    def system_commands(self) -> Iterator[SystemCommand]:
        """The reader's own palette commands."""
        yield SystemCommand("Next paper", "Read the next paper of the list", self._step(1))
        yield SystemCommand("Previous paper", "Read the previous paper", self._step(-1))
        yield SystemCommand("Back to the list", "Leave the reader on this paper", self.action_back)

    def _step(self, delta: int) -> Callable[[], None]:
        return lambda: self.action_step(delta)
