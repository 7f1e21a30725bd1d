"""The quick tags on keys 1-9, lit up when the highlighted paper carries them; a click
on one toggles it as its key does.

Each tag reads "1 to read": the key, a space, the label, two spaces before the next
key, so no key runs into the label before it (it read ``1research2todo``). The bar
lays itself out in the lines its style allows (one on a short screen, two otherwise)
and never wraps: a tag is never split across lines; when the tags do not fit, the
longest labels are shortened first, each ending in "…", down to a few letters; only
then the last tags give way, an ellipsis saying so.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from rich.cells import cell_len, set_cell_size
from textual import events
from textual.content import Content
from textual.css.scalar import Unit
from textual.style import Style
from textual.widgets import Static

from browser.safe_text import safe_line
from browser.widgets.line_fitting import pack_lines

__all__ = ["QUICK_TAG_META", "QuickTagBar", "quick_tags_content"]

QUICK_TAG_META = "quick_tag_slot"
KEY_GAP = " "  # between a key and its label
TAG_GAP = "  "  # between one tag and the next key
ELLIPSIS = "…"
# A shortened label keeps at least this many cells, its ellipsis included ("impo…").
SHORTEST_LABEL = 5


def _shortened(label: str, cells: int | None) -> str:
    """``label`` cut to ``cells`` cells, its last one an ellipsis (None: as it is)."""
    if cells is None or cell_len(label) <= cells:
        return label
    return set_cell_size(label, cells - 1).rstrip() + ELLIPSIS


def _piece_width(slot: int, label: str) -> int:
    return len(str(slot)) + len(KEY_GAP) + cell_len(label)


def _fitting_limit(labels: Sequence[str], width: int, lines: int) -> int | None:
    """The longest label length (cells) at which every tag fits ``lines`` lines of
    ``width`` cells: None when all fit whole, SHORTEST_LABEL when none does."""

    def fits(limit: int | None) -> bool:
        widths = [
            _piece_width(slot, _shortened(label, limit))
            for slot, label in enumerate(labels, start=1)
        ]
        laid = pack_lines(widths, len(TAG_GAP), width)
        return len(laid) <= lines and all(
            sum(widths[i] for i in line) + len(TAG_GAP) * (len(line) - 1) <= width for line in laid
        )

    if fits(None):
        return None
    longest = max((cell_len(label) for label in labels), default=0)
    for limit in range(longest - 1, SHORTEST_LABEL - 1, -1):
        if fits(limit):
            return limit
    return SHORTEST_LABEL


def quick_tags_content(
    quick_tags: Sequence[str],
    active: Sequence[str],
    width: int | None = None,
    lines: int = 1,
) -> Content:
    """The bar: each tag as its key and label, fitted to ``lines`` lines of ``width``
    cells (None: one line, nothing shortened)."""
    on = {tag.casefold() for tag in active}
    labels = [safe_line(tag) for tag in quick_tags]
    limit = None if width is None else _fitting_limit(labels, width, lines)
    pieces: list[Content] = []
    for slot, (tag, label) in enumerate(zip(quick_tags, labels, strict=True), start=1):
        style = "bold reverse $accent" if tag.casefold() in on else "$text-muted"
        piece = Content.assemble(
            (f"{slot}", "bold $text-accent"), KEY_GAP, (_shortened(label, limit), style)
        )
        # Which slot a cell belongs to rides along as style meta (never markup: the
        # tag name stays text); not "@click", which would restyle the bar as links.
        pieces.append(piece.stylize(Style.from_meta({QUICK_TAG_META: slot}), 0, len(piece)))
    if width is None:
        return Content(TAG_GAP).join(pieces)
    laid = pack_lines([piece.cell_length for piece in pieces], len(TAG_GAP), width)
    shown = laid[:lines]
    rows = [Content(TAG_GAP).join(pieces[i] for i in line) for line in shown]
    if len(laid) > lines:
        # Tags past the last line: an ellipsis says there are more.
        last = rows[-1]
        while last.cell_length + len(TAG_GAP) + len(ELLIPSIS) > width and shown[-1][1:]:
            shown[-1] = shown[-1][:-1]
            last = Content(TAG_GAP).join(pieces[i] for i in shown[-1])
        rows[-1] = Content.assemble(last, TAG_GAP, ELLIPSIS)
    return Content("\n").join(rows)


class QuickTagBar(Static):
    """Shows which key toggles which tag, so triage needs no help screen; each tag can
    be clicked."""

    # Laid out in lines by quick_tags_content: wrapping would split a key from its label.
    DEFAULT_CSS: ClassVar[str] = "QuickTagBar { text-wrap: nowrap; text-overflow: clip; }"

    def __init__(self, quick_tags: Sequence[str]) -> None:
        super().__init__(id="quick-tags")
        self._quick_tags = tuple(quick_tags)
        self._active: tuple[str, ...] = ()
        # The (width, lines) last laid out for: a resize that changes neither (the bar's
        # own height following its lines, say) leaves the layout as it is. The lines count
        # too: a screen crossing the short breakpoint changes them at the same width.
        self._laid_out_for = (-1, -1)

    def on_mount(self) -> None:
        self.show_active([])

    def show_active(self, tags: Sequence[str]) -> None:
        self._active = tuple(tags)
        self._lay_out()

    def _lay_out(self) -> None:
        width, lines = self._laid_out_for = (self.content_size.width, self._lines())
        # A width of 0: unknown before the first layout.
        self.update(quick_tags_content(self._quick_tags, self._active, width or None, lines))

    def _lines(self) -> int:
        """The lines the style allows (``max-height`` in cells: 1 on a short screen)."""
        limit = self.styles.max_height
        if limit is not None and limit.unit == Unit.CELLS and limit.value >= 1:
            return int(limit.value)
        return 2

    def on_resize(self, event: events.Resize) -> None:
        if (self.content_size.width, self._lines()) != self._laid_out_for:
            self._lay_out()

    async def on_click(self, event: events.Click) -> None:
        slot = event.style.meta.get(QUICK_TAG_META)
        if isinstance(slot, int):
            event.stop()
            # The same action as the tag's key, so triage and undo work alike.
            await self.run_action(f"app.quick_tag({slot})")
