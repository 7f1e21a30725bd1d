"""The result list's lines, built straight from its rows: columns sized to the width, each
cell's text fitted to its column as Rich segments, no renderable in between.

The list paints every visible row on each new answer; a DataTable rendered each cell
through Rich's console (a Text wrapped in Padding, laid out and split into lines): about
100 ms of CPU for a 120x40 screen of ~350 cells, on the first paint and on every
keystroke's list. Here a cell is the row's own string cut to its width, so a row costs a
few dozen microseconds, and a row's segments are kept until its row or the width changes.

Cells are never parsed: a title is text, whatever markup, escapes or invisible
characters it holds (``safe_line`` has made the latter visible).
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise
from typing import TYPE_CHECKING

from rich.cells import cell_len, get_character_cell_size
from rich.segment import Segment
from rich.style import Style
from rich.text import Text

from browser.safe_text import safe_line

if TYPE_CHECKING:
    from browser.first_screen import ListRow

# The title's width (cells) before the list spends spare width on the byline or wider tags.
TITLE_COMFORT = 60
# Cells of padding on each side of a column's text (as a DataTable's cell_padding=1).
PADDING = 1
ELLIPSIS = "…"

_SORTED_COLUMN: dict[str, tuple[str, str]] = {
    "newest": ("date", " ▼"),
    "comments": ("comments", " ▼"),
    "title": ("title", " ▲"),
}

# The column after the title: unread papers get a dot, papers with a note a pencil.
UNREAD_MARK, NOTE_MARK = "•", "✎"

_BOLD = Style(bold=True)
_HIGHLIGHT = Style(bold=True, underline=True)
_DIM = Style(dim=True)
_ITALIC = Style(italic=True)


@dataclass(frozen=True)
class Column:
    """One column: its key, header label and width in cells (padding not included)."""

    key: str
    label: str
    width: int


def marks_text(read: bool, noted: bool) -> str:
    """Two cells: ``•`` when unread, ``✎`` when the paper has a note, else spaces."""
    return (" " if read else UNREAD_MARK) + (NOTE_MARK if noted else " ")


def columns_for(width: int, sort: str) -> list[Column]:
    """The columns a list ``width`` cells wide shows, the title first."""
    # Each column costs 2 cells of padding; the title takes what is left. The date,
    # comments and tags come as the row can hold them; the wider extras (the byline,
    # wider tags) only while the title keeps TITLE_COMFORT cells: spare width goes
    # to the title first (at 160 columns the byline had left it 38 cells, fewer than
    # at 80).
    mark = Column("mark", "", 2)
    date = Column("date", "Date", 10) if width >= 44 else None
    comments = Column("comments", "Cmts", 4) if width >= 64 else None
    tags = Column("tags", "Tags", 14) if width >= 56 else None
    by = None

    def title_width() -> int:
        shown = [column for column in (mark, date, by, comments, tags) if column]
        return width - sum(column.width + 2 for column in shown) - 2

    if width >= 90 and title_width() - (16 + 2) >= TITLE_COMFORT:
        by = Column("by", "Authors / org", 16)
    if tags and width >= 120 and title_width() - 6 >= TITLE_COMFORT:
        tags = Column("tags", "Tags", 20)
    title = Column("title", "Title", max(12, title_width()))
    sorted_key, arrow = _SORTED_COLUMN.get(sort, ("", ""))
    return [
        Column(c.key, c.label + arrow if c.key == sorted_key else c.label, c.width)
        for c in (title, mark, date, by, comments, tags)
        if c is not None
    ]


def _cut(text: str, width: int) -> tuple[int, int, bool]:
    """(characters kept, their cells, cut short?) for ``text`` in ``width`` cells; a text
    cut short keeps one cell for the ellipsis."""
    if text.isascii():
        if len(text) <= width:
            return len(text), len(text), False
        return width - 1, width - 1, True
    if cell_len(text) <= width:
        return len(text), cell_len(text), False
    cells = 0
    for index, character in enumerate(text):
        size = get_character_cell_size(character)
        if cells + size > width - 1:
            return index, cells, True
        cells += size
    return len(text), cells, True  # not reached: the text is wider than ``width``


def fit(
    text: str,
    width: int,
    style: Style | None = None,
    spans: tuple[tuple[int, int], ...] = (),
    *,
    right: bool = False,
) -> list[Segment]:
    """``text`` in exactly ``width`` cells: cut with an ellipsis or padded with spaces
    (on the left if ``right``); ``spans`` (character offsets) are highlighted."""
    if width <= 0:
        return []
    kept, cells, cut = _cut(text, width)
    shown = text[:kept]
    segments: list[Segment] = []
    pad = Segment(" " * (width - cells - cut), style)
    if right and pad.text:
        segments.append(pad)
    bounds = sorted({0, kept, *(min(max(b, 0), kept) for span in spans for b in span)})
    for start, end in pairwise(bounds):
        inside = any(s <= start and end <= e for s, e in spans)
        highlight = (style + _HIGHLIGHT if style else _HIGHLIGHT) if inside else style
        segments.append(Segment(shown[start:end], highlight))
    if cut:
        segments.append(Segment(ELLIPSIS, style))
    if not right and pad.text:
        segments.append(pad)
    return segments


@dataclass(frozen=True)
class Cell:
    """What one cell holds before it is fitted to its column."""

    text: str
    style: Style | None = None
    spans: tuple[tuple[int, int], ...] = ()
    right: bool = False


def cell_of(row: ListRow, key: str) -> Cell:
    """The cell of column ``key`` for ``row``."""
    if key == "title":
        unread = row.marks is not None and not row.marks[0]
        return Cell(safe_line(row.title), _BOLD if unread else None, row.title_spans)
    if key == "mark":
        return Cell(marks_text(*row.marks) if row.marks else "  ", _BOLD)
    if key == "date":
        return Cell(safe_line(row.date), _DIM)
    if key == "by":
        return Cell(safe_line(row.byline), _DIM)
    if key == "comments":
        return Cell(row.comments, right=True)
    return Cell(safe_line(", ".join(row.tags)), _ITALIC)


def cell_segments(row: ListRow, column: Column) -> list[Segment]:
    """What column ``column`` of ``row`` shows, in exactly ``column.width`` cells."""
    cell = cell_of(row, column.key)
    return fit(cell.text, column.width, cell.style, cell.spans, right=cell.right)


def row_segments(row: ListRow, columns: list[Column]) -> list[Segment]:
    """A row's line: its cells, each padded on both sides."""
    padding = Segment(" " * PADDING)
    segments: list[Segment] = []
    for column in columns:
        segments.append(padding)
        segments.extend(cell_segments(row, column))
        segments.append(padding)
    return segments


def header_segments(columns: list[Column]) -> list[Segment]:
    """The header line: each column's label, padded as its cells."""
    padding = Segment(" " * PADDING)
    segments: list[Segment] = []
    for column in columns:
        segments.append(padding)
        segments.extend(fit(column.label, column.width))
        segments.append(padding)
    return segments


def cell_text(row: ListRow, key: str) -> Text:
    """The cell of column ``key`` for ``row`` as Text, whole (before it is fitted to its
    column) and styled as painted: what tests read."""
    cell = cell_of(row, key)
    text = Text(cell.text, style=cell.style or "", end="", no_wrap=True)
    for start, end in cell.spans:
        text.stylize(_HIGHLIGHT, start, end)
    return text
