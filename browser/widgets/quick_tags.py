"""The quick tags on keys 1-9, lit up when the highlighted paper carries them."""

from __future__ import annotations

from collections.abc import Sequence

from textual.content import Content
from textual.widgets import Static

from browser.safe_text import safe_line


def quick_tags_content(quick_tags: Sequence[str], active: Sequence[str]) -> Content:
    on = {tag.casefold() for tag in active}
    pieces = []
    for slot, tag in enumerate(quick_tags, start=1):
        style = "bold reverse $accent" if tag.casefold() in on else "$text-muted"
        # No space between key and label, as in the footer: lines wrap at spaces,
        # and a key must not end up on one line with its tag on the next.
        pieces.append(Content.assemble((f"{slot}", "bold $text-accent"), (safe_line(tag), style)))
    return Content("  ").join(pieces)


class QuickTagBar(Static):
    """Shows which key toggles which tag, so triage needs no help screen."""

    def __init__(self, quick_tags: Sequence[str]) -> None:
        super().__init__(id="quick-tags")
        self._quick_tags = tuple(quick_tags)

    def on_mount(self) -> None:
        self.show_active([])

    def show_active(self, tags: Sequence[str]) -> None:
        self.update(quick_tags_content(self._quick_tags, tags))
