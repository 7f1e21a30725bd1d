"""The result list: one row per paper, columns sized to the space available.

A Line API widget (``ScrollView``): each visible line is built from the row's data when
painted (``browser.widgets.result_lines``), kept per row until that row or the width
changes, so a new list costs only the lines on screen and rows past them cost nothing
until scrolled to. It keeps the parts of a DataTable the app uses: a row cursor moved by
keys, clicks and ``move_cursor``, a header, zebra stripes, and a message when the
highlighted row changes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import events
from textual.binding import Binding, BindingType
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from browser.first_screen import ListRow
from browser.safe_text import safe_line
from browser.widgets.result_lines import (
    Column,
    cell_text,
    columns_for,
    header_segments,
    row_segments,
)

if TYPE_CHECKING:
    # Types only: the launch paints a kept first screen before pydantic is imported.
    from browser.models import Paper, SearchHit, SortOrder

# Shown in the footer while the list has focus; quick tags 1-9 are added by the app's help.
LIST_BINDINGS: list[BindingType] = [
    # Most important first: the footer shows as many whole keys as its width holds, in
    # this order (QuietFooter); the rest are in ? and the command palette.
    Binding("question_mark", "app.help", "Keys", key_display="?", tooltip="Show every key"),
    Binding(
        "slash",
        "app.focus_search",
        "Search",
        key_display="/",
        tooltip="Type a new query in the search bar",
    ),
    Binding("enter", "app.read", "Read", tooltip="Read the paper full-screen, with next/previous"),
    Binding("t", "app.tag_prompt", "Tag", tooltip="Add any tag, with completion (-name removes)"),
    Binding(
        "s",
        "app.cycle_sort",
        "Sort",
        tooltip="Cycle: relevance, newest, listed, upvotes, comments, title",
    ),
    Binding("f", "app.filter_tags", "Filter", tooltip="Show papers with a tag, any tag, or none"),
    Binding(
        "S",
        "app.stats",
        "Stats",
        tooltip="Papers over time, tags, organisations and rising terms of this search",
    ),
    # Shown only in similar papers, a day or the new papers (check_action), where it matters.
    Binding(
        "escape",
        "app.clear_context",
        "Back",
        tooltip="Leave similar papers, a day or the new papers: back to the search results",
    ),
    Binding("q", "app.quit", "Quit", tooltip="Quit (tags are already saved)"),
    Binding("u", "app.undo", "Undo", tooltip="Undo the last tag or read-mark change"),
    Binding(
        "e",
        "app.export",
        "Export",
        tooltip="Export results or tagged papers (CSV, BibTeX, RIS, Markdown, JSONL)",
    ),
    Binding("n", "app.edit_note", "Note", tooltip="Write a note on the paper (Markdown)"),
    Binding("m", "app.more_like", "Similar", tooltip="Papers like the highlighted one"),
    Binding(
        "o",
        "app.open_link",
        "Open",
        tooltip="Open the paper's link (or a Hugging Face search) in the browser",
    ),
    Binding("x", "app.remove_tag", "Untag", tooltip="Remove one of the paper's tags"),
    Binding(
        "left_square_bracket",
        "app.step_day(-1)",
        "Prev day",
        key_display="[",
        tooltip="The Daily Papers day before (of this search)",
    ),
    Binding(
        "right_square_bracket",
        "app.step_day(1)",
        "Next day",
        key_display="]",
        tooltip="The Daily Papers day after (of this search)",
    ),
    Binding(
        "plus",
        "app.resize_pane(1)",
        "Bigger",
        key_display="+",
        tooltip="Grow the abstract pane",
    ),
    Binding(
        "minus",
        "app.resize_pane(-1)",
        "Smaller",
        key_display="-",
        tooltip="Shrink the abstract pane",
    ),
    Binding("r", "app.toggle_read", "Read/unread", show=False, tooltip="Mark read or unread"),
    Binding(
        "ctrl+r",
        "app.mark_list_read",
        "All read",
        show=False,
        tooltip="Mark every paper of this list read (u undoes)",
    ),
    Binding("y", "app.copy", "Copy", show=False, tooltip="Copy title and link to the clipboard"),
    Binding(
        "a",
        "app.toggle_triage",
        "Triage mode",
        show=False,
        tooltip="Toggle moving to the next paper after each quick tag",
    ),
    Binding(
        "i",
        "app.import_tags",
        "Import",
        show=False,
        tooltip="Import tags from a CSV, BibTeX or RIS file (u undoes it)",
    ),
    Binding(
        "equals_sign",
        "app.resize_pane(1)",
        "Bigger",
        show=False,
        key_display="=",
        tooltip="Grow the abstract pane (+ without shift)",
    ),
    Binding("b", "app.save_search", "Save search", show=False, tooltip="Save this search"),
    Binding("B", "app.saved_searches", "Saved", show=False, tooltip="List saved searches"),
    Binding("j", "cursor_down", "Next paper", show=False),
    Binding("k", "cursor_up", "Previous paper", show=False),
    Binding("g", "scroll_top", "First paper", show=False),
    Binding("G", "scroll_bottom", "Last paper", show=False),
    Binding("J", "app.scroll_abstract(1)", "Scroll abstract down", show=False),
    Binding("K", "app.scroll_abstract(-1)", "Scroll abstract up", show=False),
    *(
        Binding(str(slot), f"app.quick_tag({slot})", f"Quick tag {slot}", show=False)
        for slot in range(1, 10)
    ),
]


# The list's own movement keys (a DataTable's, with Home/End going to the first and
# last paper: the list never scrolls sideways), on a base class so that the help's
# table of list keys (``ResultsTable.BINDINGS``) is LIST_BINDINGS alone. Enter comes
# first as in a DataTable, whose place in the footer LIST_BINDINGS' Enter (Read) takes.
CURSOR_BINDINGS: list[BindingType] = [
    Binding("enter", "app.read", "Read", show=False),
    Binding("up", "cursor_up", "Cursor up", show=False),
    Binding("down", "cursor_down", "Cursor down", show=False),
    Binding("pageup", "page_up", "Page up", show=False),
    Binding("pagedown", "page_down", "Page down", show=False),
    Binding("home,ctrl+home", "scroll_top", "First paper", show=False),
    Binding("end,ctrl+end", "scroll_bottom", "Last paper", show=False),
]

# Rows a kept first screen holds (``browser.app.first_paint``).
FIRST_PAINT_ROWS = 40
# The next page of hits is fetched when the cursor or the view gets this close to the end.
NEAR_END_ROWS = 20
# Lines above the rows: the header.
HEADER_LINES = 1


def paper_byline(paper: Paper) -> str:
    """Organisation if known, else the number of authors."""
    if paper.organization is not None:
        return paper.organization.name or paper.organization.slug
    if paper.author_names:
        return ", ".join(paper.author_names)
    if paper.authors:
        return f"{paper.authors} author" + ("" if paper.authors == 1 else "s")
    return ""


class _CursorKeys(ScrollView):
    """The movement keys, merged by Textual under the subclass' own bindings."""

    BINDINGS: ClassVar[list[BindingType]] = CURSOR_BINDINGS


class ResultsTable(_CursorKeys, can_focus=True):
    """Papers found by the current search; the highlighted row drives the abstract pane."""

    BINDINGS: ClassVar[list[BindingType]] = LIST_BINDINGS

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "results--header",
        "results--cursor",
        "results--even-row",
    }

    # A DataTable's look (Textual 8's defaults), so the list reads as before.
    DEFAULT_CSS = """
    ResultsTable {
        background: $surface;
        color: $foreground;
        width: 1fr;
        height: 1fr;
        overflow-x: hidden;
        &:focus {
            background-tint: $foreground 5%;
            & > .results--cursor {
                background: $block-cursor-background;
                color: $block-cursor-foreground;
                text-style: $block-cursor-text-style;
            }
            & > .results--header {
                background-tint: $foreground 5%;
            }
        }
        &:dark > .results--even-row {
            background: $surface-darken-1 40%;
        }
        & > .results--header {
            text-style: bold;
            background: $panel;
            color: $foreground;
        }
        &:ansi > .results--header {
            background: ansi_bright_blue;
            color: ansi_default;
        }
        & > .results--even-row {
            background: $surface-lighten-1 50%;
        }
        & > .results--cursor {
            background: $block-cursor-blurred-background;
            color: $block-cursor-blurred-foreground;
            text-style: $block-cursor-blurred-text-style;
        }
    }
    """

    class RowHighlighted(Message):
        """The highlighted row changed (or a new list put another paper under it)."""

        def __init__(self, table: ResultsTable, row: int) -> None:
            super().__init__()
            self.table = table
            self.row = row

        @property
        def control(self) -> ResultsTable:
            return self.table

    class NearEnd(Message):
        """The cursor or the scroll came close to the last row: time to fetch more."""

    def __init__(self) -> None:
        super().__init__(id="results")
        self._hits: list[SearchHit] = []
        # A kept first screen (``browser.first_screen``) shown until the first answer.
        self._first_rows: list[ListRow] = []
        self._tags: dict[str, list[str]] = {}
        # paper id -> (read, has a note); a paper not in it shows no marks.
        self._marks: dict[str, tuple[bool, bool]] = {}
        # paper id -> its row (the first, should an id repeat): a refresh of every row's
        # tags or marks looks each one up, and a scan per lookup froze 3,000 rows ~1 s.
        self._row_of: dict[str, int] = {}
        self._sort: str = "relevance"
        self._cursor = 0
        # What a row shows, and its line's segments at the columns' width: built when the
        # row is first painted, dropped when its row changes (or all, with the columns).
        self._rows: dict[int, ListRow] = {}
        self._lines: dict[int, Strip] = {}
        self._columns: list[Column] = []
        self._columns_width = -1
        self._header: Strip | None = None

    # ------------------------------------------------------------------ what it shows

    @property
    def hits(self) -> list[SearchHit]:
        return self._hits

    @property
    def row_count(self) -> int:
        return len(self._first_rows) or len(self._hits)

    @property
    def cursor_row(self) -> int:
        return self._cursor

    @property
    def highlighted_hit(self) -> SearchHit | None:
        if not self._hits or not 0 <= self._cursor < len(self._hits):
            return None
        return self._hits[self._cursor]

    @property
    def highlighted_id(self) -> str | None:
        """The highlighted paper's id, of a hit or of a kept first screen's row."""
        return self._id_at(self._cursor)

    @property
    def showing_first_screen(self) -> bool:
        """True while the rows are a kept first screen's, not an answer's."""
        return bool(self._first_rows)

    @property
    def columns(self) -> dict[str, Column]:
        """The columns shown at the list's present width, by key."""
        return {column.key: column for column in self._laid_out_columns()}

    def show_first_screen(self, rows: Sequence[ListRow], sort: str, cursor: int) -> None:
        """Show a kept first screen's rows (no papers yet: no hit is highlighted) with
        row ``cursor`` highlighted, until ``show_hits`` replaces them."""
        self._hits = []
        self._tags = {}
        self._marks = {}
        self._first_rows = list(rows)
        self._row_of = {}
        self._index_rows([row.paper_id for row in self._first_rows], 0)
        self._sort = sort
        self._replace(cursor if 0 <= cursor < len(rows) else 0)

    def list_rows(self, count: int) -> list[ListRow]:
        """The first ``count`` rows of the answer shown, as the list shows them."""
        return [self._row(index) for index in range(min(count, len(self._hits)))]

    def show_hits(
        self,
        hits: Sequence[SearchHit],
        tags: dict[str, list[str]],
        sort: SortOrder,
        *,
        keep_paper_id: str | None = None,
        marks: dict[str, tuple[bool, bool]] | None = None,
    ) -> None:
        """Replace the rows; keep ``keep_paper_id`` highlighted if it is still there.
        ``marks``: paper id -> (read, has a note), shown before the title."""
        self._hits = list(hits)
        self._first_rows = []
        self._tags = tags
        self._marks = dict(marks or {})
        self._sort = sort
        self._row_of = {}
        self._index_rows([hit.paper.id for hit in self._hits], 0)
        self._replace(self._index_of(keep_paper_id) if keep_paper_id is not None else 0)

    def append_hits(
        self,
        hits: Sequence[SearchHit],
        tags: dict[str, list[str]],
        marks: dict[str, tuple[bool, bool]] | None = None,
    ) -> None:
        """Add rows at the end, leaving the cursor and the scroll where they are."""
        self._index_rows([hit.paper.id for hit in hits], len(self._hits))
        self._hits.extend(hits)
        self._tags.update(tags)
        self._marks.update(marks or {})
        self._set_virtual_size()
        self.refresh()

    def update_tags(self, paper_id: str, tags: list[str]) -> None:
        """Refresh one paper's tag cell after a tag change."""
        if paper_id not in self._tags:
            return
        self._tags[paper_id] = tags
        self._row_changed(paper_id)

    def update_mark(self, paper_id: str, read: bool, noted: bool) -> None:
        """Refresh one paper's read and note marks."""
        if self._marks.get(paper_id) == (read, noted):
            return
        self._marks[paper_id] = (read, noted)
        self._row_changed(paper_id)

    def unread_count(self) -> int:
        """Unread papers among the rows loaded."""
        return sum(1 for hit in self._hits if not self._marks.get(hit.paper.id, (True,))[0])

    def get_row_at(self, index: int) -> list[Text]:
        """Row ``index``'s cells (whole, before they are fitted), in column order."""
        row = self._row(index)
        return [cell_text(row, column.key) for column in self._laid_out_columns()]

    def get_row(self, paper_id: str) -> list[Text]:
        """The cells of the row of ``paper_id``."""
        index = self._index_of(paper_id)
        if index < 0:
            raise KeyError(paper_id)
        return self.get_row_at(index)

    def get_cell(self, paper_id: str, key: str) -> Text:
        """The cell of column ``key`` in the row of ``paper_id``."""
        index = self._index_of(paper_id)
        if index < 0:
            raise KeyError(paper_id)
        return cell_text(self._row(index), key)

    # ------------------------------------------------------------------ the cursor

    def move_cursor(self, *, row: int, animate: bool = False, scroll: bool = True) -> None:
        """Highlight row ``row`` (clamped to the rows), scrolled into view if ``scroll``."""
        del animate  # the list jumps: a moving view would lag behind the keys
        self._set_cursor(row, scroll=scroll)

    def action_cursor_up(self) -> None:
        self._set_cursor(self._cursor - 1)

    def action_cursor_down(self) -> None:
        self._set_cursor(self._cursor + 1)

    def action_page_up(self) -> None:
        page = self._page_rows()
        self.scroll_to(y=self.scroll_y - page, animate=False)
        self._set_cursor(self._cursor - page)

    def action_page_down(self) -> None:
        page = self._page_rows()
        self.scroll_to(y=self.scroll_y + page, animate=False)
        self._set_cursor(self._cursor + page)

    def action_scroll_top(self) -> None:
        self._set_cursor(0)

    def action_scroll_bottom(self) -> None:
        self._set_cursor(self.row_count - 1)

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None or offset.y < HEADER_LINES:
            return
        row = int(self.scroll_y) + offset.y - HEADER_LINES
        if row < self.row_count:
            self._set_cursor(row)
            event.stop()

    def _set_cursor(self, row: int, *, scroll: bool = True, announce: bool = False) -> None:
        row = max(0, min(row, self.row_count - 1))
        old, self._cursor = self._cursor, row
        if row != old:
            self._refresh_row(old)
            self._refresh_row(row)
        if scroll:
            self._scroll_to_cursor()
        if row != old or announce:
            self.post_message(self.RowHighlighted(self, row))
        if self._hits and row >= len(self._hits) - NEAR_END_ROWS:
            self.post_message(self.NearEnd())

    def _page_rows(self) -> int:
        return max(1, self.scrollable_content_region.height - HEADER_LINES)

    def _scroll_to_cursor(self) -> None:
        visible = self.scrollable_content_region.height - HEADER_LINES
        if visible <= 0:
            return  # not laid out yet: the first resize scrolls
        top = int(self.scroll_y)
        if self._cursor < top:
            self.scroll_to(y=self._cursor, animate=False)
        elif self._cursor >= top + visible:
            self.scroll_to(y=self._cursor - visible + 1, animate=False)

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        # Scrolling with the mouse or the wheel moves the view, not the cursor.
        if new_value > old_value and new_value >= self.max_scroll_y - NEAR_END_ROWS:
            self.post_message(self.NearEnd())

    def on_resize(self, event: events.Resize) -> None:
        self._set_virtual_size()
        self._scroll_to_cursor()

    # ------------------------------------------------------------------ painting

    def render_line(self, y: int) -> Strip:
        columns = self._laid_out_columns()
        width = self.scrollable_content_region.width
        base = self.rich_style
        if y < HEADER_LINES:
            if self._header is None:
                self._header = Strip(header_segments(columns)).adjust_cell_length(width)
            return self._header.apply_style(base + self.get_component_rich_style("results--header"))
        index = int(self.scroll_y) + y - HEADER_LINES
        if index >= self.row_count:
            return Strip.blank(width, base)
        line = self._lines.get(index)
        if line is None:
            line = Strip(row_segments(self._row(index), columns)).adjust_cell_length(width)
            self._lines[index] = line
        if index == self._cursor:
            style = base + self.get_component_rich_style("results--cursor")
        elif index % 2 == 0:
            style = base + self.get_component_rich_style("results--even-row")
        else:
            style = base
        return line.apply_style(style)

    def _laid_out_columns(self) -> list[Column]:
        width = self.scrollable_content_region.width or self.size.width
        if width != self._columns_width:
            self._columns_width = width
            self._columns = columns_for(width, self._sort)
            self._lines.clear()
            self._header = None
        return self._columns

    def _replace(self, cursor: int) -> None:
        """New rows: forget the old ones' lines, highlight ``cursor``, say so."""
        self._rows.clear()
        self._lines.clear()
        self._header = None
        self._columns_width = -1  # the sort's arrow may have moved
        self._cursor = 0
        self.scroll_to(y=0, animate=False)
        self._set_virtual_size()
        self.refresh()
        self._set_cursor(cursor, announce=True)

    def _set_virtual_size(self) -> None:
        # No width of its own: the columns fit whatever width the list has.
        self.virtual_size = Size(0, self.row_count + HEADER_LINES)

    def _row_changed(self, paper_id: str) -> None:
        index = self._index_of(paper_id)
        if index >= 0:
            self._rows.pop(index, None)
            self._lines.pop(index, None)
            self._refresh_row(index)

    def _refresh_row(self, index: int) -> None:
        self.refresh_line(index + HEADER_LINES)

    def _id_at(self, index: int) -> str | None:
        if self._first_rows:
            return self._first_rows[index].paper_id if 0 <= index < len(self._first_rows) else None
        return self._hits[index].paper.id if 0 <= index < len(self._hits) else None

    def _index_of(self, paper_id: str) -> int:
        return self._row_of.get(paper_id, -1)

    def _index_rows(self, ids: Sequence[str], start: int) -> None:
        for index, paper_id in enumerate(ids, start):
            self._row_of.setdefault(paper_id, index)

    def _row(self, index: int) -> ListRow:
        """What row ``index`` shows (also what a kept first screen keeps of it)."""
        if self._first_rows:
            return self._first_rows[index]
        row = self._rows.get(index)
        if row is None:
            row = self._rows[index] = self._list_row(self._hits[index])
        return row

    def _list_row(self, hit: SearchHit) -> ListRow:
        paper = hit.paper
        # Inline LaTeX shown as Unicode; the index's spans are mapped onto it.
        # Here: pylatexenc is not needed for a kept first screen (launch time).
        from browser.readable_math import readable_math

        title = readable_math(safe_line(paper.title))
        return ListRow(
            paper_id=paper.id,
            title=title.text,
            title_spans=tuple(
                title.shown_span(span.start, span.end) for span in hit.title_highlights
            ),
            marks=self._marks.get(paper.id),
            date=paper.date.isoformat() if paper.date else "",
            byline=paper_byline(paper),
            comments="" if paper.comments is None else str(paper.comments),
            tags=tuple(self._tags.get(paper.id, hit.tags)),
        )
