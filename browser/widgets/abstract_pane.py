"""The highlighted paper in full: title, metadata, tags, abstract with matches, links."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.content import Content

from browser.widgets.paper_text import LABEL_STYLE, PaperText

if TYPE_CHECKING:
    from browser.models import SearchHit


class AbstractPane(VerticalScroll, can_focus=False):
    """Scrolls with the mouse wheel, or J/K from the list; focus stays on the list."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        # Kept, not queried: updates may still arrive while the app shuts down.
        self._paper = PaperText(id="paper")

    def compose(self) -> ComposeResult:
        yield self._paper

    def show(
        self,
        hit: SearchHit | None,
        tags: Sequence[str],
        empty_message: str = "",
        *,
        note: str = "",
        read: bool | None = None,
    ) -> None:
        paper = self._paper
        if hit is None:
            paper.show_message(Content.styled(empty_message, LABEL_STYLE))
        else:
            paper.show_paper(hit, tags, note=note, read=read)
        self.scroll_home(animate=False)

    def refresh_tags(
        self, hit: SearchHit, tags: Sequence[str], *, note: str = "", read: bool | None = None
    ) -> None:
        """Re-render after a tag, note or read change without losing the reading position."""
        self._paper.show_paper(hit, tags, note=note, read=read)
