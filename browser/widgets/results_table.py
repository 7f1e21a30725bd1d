"""The result list: one row per paper, columns sized to the space available."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import events
from textual.binding import Binding, BindingType
from textual.coordinate import Coordinate
from textual.message import Message
from textual.timer import Timer
from textual.widgets import DataTable

from browser.first_screen import ListRow
from browser.safe_text import safe_line

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

FIRST_PAINT_ROWS = 40
# A list from a typing pass gets its rows past the first screenful this long (seconds)
# after it is shown, unless a newer list replaces it first. Adding a row invalidates
# every rendered line of a DataTable, so adding them at once paints the visible rows a
# second time per keystroke, and the next keystroke waits for that paint.
REST_ROWS_DELAY = 0.25
# The title's width (cells) before the list spends spare width on the byline or wider tags.
TITLE_COMFORT = 60
# The next page of hits is fetched when the cursor or the view gets this close to the end.
NEAR_END_ROWS = 20

_SORTED_COLUMN: dict[str, tuple[str, str]] = {
    "newest": ("date", " ▼"),
    "comments": ("comments", " ▼"),
    "title": ("title", " ▲"),
}


@dataclass(frozen=True)
class _ColumnSpec:
    key: str
    label: str
    width: int


def paper_byline(paper: Paper) -> str:
    """Organisation if known, else the number of authors."""
    if paper.organization is not None:
        return paper.organization.name or paper.organization.slug
    if paper.author_names:
        return ", ".join(paper.author_names)
    if paper.authors:
        return f"{paper.authors} author" + ("" if paper.authors == 1 else "s")
    return ""


def _plain_cell(text: str, style: str = "") -> Text:
    # A Text built from a plain string is never parsed as markup.
    return Text(safe_line(text), style=style, no_wrap=True, overflow="ellipsis", end="")


# The column after the title: unread papers get a dot, papers with a note a pencil.
UNREAD_MARK, NOTE_MARK = "•", "✎"


def marks_text(read: bool, noted: bool) -> str:
    """Two cells: ``•`` when unread, ``✎`` when the paper has a note, else spaces."""
    return (" " if read else UNREAD_MARK) + (NOTE_MARK if noted else " ")


def tags_cell(tags: Sequence[str]) -> Text:
    return _plain_cell(", ".join(tags), "italic")


class ResultsTable(DataTable[Text]):
    """Papers found by the current search; the highlighted row drives the abstract pane."""

    BINDINGS: ClassVar[list[BindingType]] = LIST_BINDINGS

    def __init__(self) -> None:
        super().__init__(id="results", cursor_type="row", zebra_stripes=True)
        self._hits: list[SearchHit] = []
        # A kept first screen (``browser.first_screen``) shown until the first answer.
        self._first_rows: list[ListRow] = []
        self._keep_on_layout: str | None = None
        self._tags: dict[str, list[str]] = {}
        # paper id -> (read, has a note); a paper not in it shows no marks.
        self._marks: dict[str, tuple[bool, bool]] = {}
        self._sort: str = "relevance"
        self._laid_out_width = -1
        self._build_number = 0
        self._rows_added = 0
        self._rest_timer: Timer | None = None
        # True while rows are being added: the cursor watch must not add more then.
        self._adding = False

    class NearEnd(Message):
        """The cursor or the scroll came close to the last row: time to fetch more."""

    @property
    def hits(self) -> list[SearchHit]:
        return self._hits

    @property
    def highlighted_hit(self) -> SearchHit | None:
        if not self._hits or not 0 <= self.cursor_row < len(self._hits):
            return None
        return self._hits[self.cursor_row]

    @property
    def highlighted_id(self) -> str | None:
        """The highlighted paper's id, of a hit or of a kept first screen's row."""
        ids = self._ids()
        return ids[self.cursor_row] if 0 <= self.cursor_row < len(ids) else None

    @property
    def showing_first_screen(self) -> bool:
        """True while the rows are a kept first screen's, not an answer's."""
        return bool(self._first_rows)

    def show_first_screen(self, rows: Sequence[ListRow], sort: str, cursor: int) -> None:
        """Show a kept first screen's rows (no papers yet: no hit is highlighted) with
        row ``cursor`` highlighted, until ``show_hits`` replaces them."""
        self._hits = []
        self._tags = {}
        self._marks = {}
        self._first_rows = list(rows)
        self._sort = sort
        keep = rows[cursor].paper_id if 0 <= cursor < len(rows) else None
        if self.size.width:
            self._rebuild(keep)
        else:
            # Not laid out yet (the launch): the first resize builds the rows, once.
            self._keep_on_layout = keep

    def list_rows(self, count: int) -> list[ListRow]:
        """The first ``count`` rows of the answer shown, as the table shows them."""
        return [self._list_row(hit) for hit in self._hits[:count]]

    def show_hits(
        self,
        hits: Sequence[SearchHit],
        tags: dict[str, list[str]],
        sort: SortOrder,
        *,
        keep_paper_id: str | None = None,
        marks: dict[str, tuple[bool, bool]] | None = None,
        rest_after: float | None = None,
    ) -> None:
        """Replace the rows; keep ``keep_paper_id`` highlighted if it is still there.
        ``marks``: paper id -> (read, has a note), shown before the title. The rows past
        the first screenful are added just after the first paint, or ``rest_after``
        seconds later (a typing pass, likely replaced soon), or as soon as the reader
        moves or scrolls towards them."""
        self._hits = list(hits)
        self._first_rows = []
        self._tags = tags
        self._marks = dict(marks or {})
        self._sort = sort
        self._rebuild(keep_paper_id, rest_after)

    def append_hits(
        self,
        hits: Sequence[SearchHit],
        tags: dict[str, list[str]],
        marks: dict[str, tuple[bool, bool]] | None = None,
    ) -> None:
        """Add rows at the end, leaving the cursor and the scroll where they are."""
        start = len(self._hits)
        self._hits.extend(hits)
        self._tags.update(tags)
        self._marks.update(marks or {})
        if self._rows_added == start:
            self._add_rows(start, len(self._hits))
        # Otherwise the rows of the last rebuild are still being added, and the pending
        # call adds these too: it runs to the end of the list as it is then.

    def update_tags(self, paper_id: str, tags: list[str]) -> None:
        """Refresh one paper's tag cell after a tag change."""
        if paper_id not in self._tags:
            return
        self._tags[paper_id] = tags
        if "tags" in self.columns and paper_id in self.rows:
            self.update_cell(paper_id, "tags", tags_cell(tags))

    def update_mark(self, paper_id: str, read: bool, noted: bool) -> None:
        """Refresh one paper's read and note marks."""
        if self._marks.get(paper_id) == (read, noted):
            return
        self._marks[paper_id] = (read, noted)
        hit = next((hit for hit in self._hits if hit.paper.id == paper_id), None)
        if hit is not None and paper_id in self.rows:
            row = self._list_row(hit)
            for key in ("title", "mark"):
                if key in self.columns:
                    self.update_cell(paper_id, key, _cell(row, key))

    def unread_count(self) -> int:
        """Unread papers among the rows loaded."""
        return sum(1 for hit in self._hits if not self._marks.get(hit.paper.id, (True,))[0])

    def on_resize(self, event: events.Resize) -> None:
        if event.size.width != self._laid_out_width:
            keep, self._keep_on_layout = self._keep_on_layout, None
            self._rebuild(keep or self.highlighted_id)

    def _columns_for(self, width: int) -> list[_ColumnSpec]:
        # Each column costs 2 cells of padding; the title takes what is left. The date,
        # comments and tags come as the row can hold them; the wider extras (the byline,
        # wider tags) only while the title keeps TITLE_COMFORT cells: spare width goes
        # to the title first (at 160 columns the byline had left it 38 cells, fewer than
        # at 80).
        mark = _ColumnSpec("mark", "", 2)
        date = _ColumnSpec("date", "Date", 10) if width >= 44 else None
        comments = _ColumnSpec("comments", "Cmts", 4) if width >= 64 else None
        tags = _ColumnSpec("tags", "Tags", 14) if width >= 56 else None
        by = None

        def title_width() -> int:
            shown = [column for column in (mark, date, by, comments, tags) if column]
            return width - sum(column.width + 2 for column in shown) - 2

        if width >= 90 and title_width() - (16 + 2) >= TITLE_COMFORT:
            by = _ColumnSpec("by", "Authors / org", 16)
        if tags and width >= 120 and title_width() - 6 >= TITLE_COMFORT:
            tags = _ColumnSpec("tags", "Tags", 20)
        title = _ColumnSpec("title", "Title", max(12, title_width()))
        sorted_key, arrow = _SORTED_COLUMN.get(self._sort, ("", ""))
        return [
            _ColumnSpec(c.key, c.label + arrow if c.key == sorted_key else c.label, c.width)
            for c in (title, mark, date, by, comments, tags)
            if c is not None
        ]

    def _rebuild(self, keep_paper_id: str | None, rest_after: float | None = None) -> None:
        self._laid_out_width = self.size.width
        self._build_number += 1
        self._rows_added = 0
        if self._rest_timer is not None:
            self._rest_timer.stop()
            self._rest_timer = None
        self._adding = True
        try:
            self._layout_rows(keep_paper_id)
        finally:
            self._adding = False
        if self._row_count() > self._rows_added:
            add_rest = partial(self._add_remaining_rows, self._build_number)
            if rest_after is None:
                self.call_after_refresh(add_rest)
            else:
                self._rest_timer = self.set_timer(rest_after, add_rest)

    def _layout_rows(self, keep_paper_id: str | None) -> None:
        # Rebuilding (cheap at a few hundred rows) is how a DataTable re-sizes columns.
        width = self.scrollable_content_region.width or self.size.width
        self.clear(columns=True)
        for spec in self._columns_for(width):
            self.add_column(spec.label, width=spec.width, key=spec.key)
        ids = self._ids()
        cursor = ids.index(keep_paper_id) if keep_paper_id in ids else 0
        # Adding a row costs ~0.2 ms: paint the first screenful now, the rest later.
        first = max(FIRST_PAINT_ROWS, self.size.height + 1, cursor + 1)
        self._add_rows(0, first)
        if ids:
            self.move_cursor(row=cursor, animate=False, scroll=True)

    def _add_remaining_rows(self, build: int | None = None) -> None:
        """The rows not added yet (``build``: only if no newer list replaced that one)."""
        if build is not None and build != self._build_number:
            return
        if self._rest_timer is not None:
            self._rest_timer.stop()
            self._rest_timer = None
        if self._rows_added < self._row_count():
            self._add_rows(self._rows_added, self._row_count())

    def _near_unadded_rows(self, row: float) -> bool:
        return (
            not self._adding
            and self._rows_added < self._row_count()
            and row >= self._rows_added - NEAR_END_ROWS
        )

    def action_scroll_bottom(self) -> None:
        self._add_remaining_rows()
        super().action_scroll_bottom()

    def action_scroll_end(self) -> None:
        self._add_remaining_rows()
        super().action_scroll_end()

    def _ids(self) -> list[str]:
        if self._first_rows:
            return [row.paper_id for row in self._first_rows]
        return [hit.paper.id for hit in self._hits]

    def _row_count(self) -> int:
        return len(self._first_rows) or len(self._hits)

    def _add_rows(self, start: int, stop: int) -> None:
        keys = [str(key.value) for key in self.columns]
        adding, self._adding = self._adding, True
        rows = self._first_rows[start:stop] or [
            self._list_row(hit) for hit in self._hits[start:stop]
        ]
        try:
            for row in rows:
                self.add_row(*(_cell(row, key) for key in keys), key=row.paper_id)
        finally:
            self._adding = adding
        self._rows_added = max(self._rows_added, min(stop, self._row_count()))

    def watch_cursor_coordinate(self, old: Coordinate, new: Coordinate) -> None:
        super().watch_cursor_coordinate(old, new)
        if self._near_unadded_rows(new.row):
            self._add_remaining_rows()
        if self._hits and new.row >= len(self._hits) - NEAR_END_ROWS:
            self.post_message(self.NearEnd())

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        if new_value > old_value and self._near_unadded_rows(new_value + self.size.height):
            self._add_remaining_rows()
        # Scrolling with the mouse or the wheel moves the view, not the cursor.
        if new_value > old_value and new_value >= self.max_scroll_y - NEAR_END_ROWS:
            self.post_message(self.NearEnd())

    def _list_row(self, hit: SearchHit) -> ListRow:
        """What the row of ``hit`` shows (also what a kept first screen keeps of it)."""
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


def _cell(row: ListRow, key: str) -> Text:
    """The cell of column ``key`` for ``row``."""
    if key == "title":
        cell = _plain_cell(row.title)
        if row.marks is not None and not row.marks[0]:
            cell.stylize("bold")  # unread
        for start, end in row.title_spans:
            cell.stylize("bold underline", start, end)
        return cell
    if key == "mark":
        return Text(marks_text(*row.marks) if row.marks else "  ", style="bold", end="")
    if key == "date":
        return _plain_cell(row.date, "dim")
    if key == "by":
        return _plain_cell(row.byline, "dim")
    if key == "comments":
        return Text(row.comments, justify="right", end="")
    return tags_cell(row.tags)
