"""The quick tags on keys 1-9, lit up when the highlighted paper carries them; a click
on one toggles it as its key does."""

from __future__ import annotations

from collections.abc import Sequence

from textual import events
from textual.content import Content
from textual.style import Style
from textual.widgets import Static

from browser.safe_text import safe_line

QUICK_TAG_META = "quick_tag_slot"


def quick_tags_content(quick_tags: Sequence[str], active: Sequence[str]) -> Content:
    on = {tag.casefold() for tag in active}
    pieces = []
    for slot, tag in enumerate(quick_tags, start=1):
        style = "bold reverse $accent" if tag.casefold() in on else "$text-muted"
        # No space between key and label, as in the footer: lines wrap at spaces,
        # and a key must not end up on one line with its tag on the next.
        piece = Content.assemble((f"{slot}", "bold $text-accent"), (safe_line(tag), style))
        # Which slot a cell belongs to rides along as style meta (never markup: the
        # tag name stays text); not "@click", which would restyle the bar as links.
        pieces.append(piece.stylize(Style.from_meta({QUICK_TAG_META: slot}), 0, len(piece)))
    return Content("  ").join(pieces)


class QuickTagBar(Static):
    """Shows which key toggles which tag, so triage needs no help screen; each tag can
    be clicked."""

    def __init__(self, quick_tags: Sequence[str]) -> None:
        super().__init__(id="quick-tags")
        self._quick_tags = tuple(quick_tags)

    def on_mount(self) -> None:
        self.show_active([])

    def show_active(self, tags: Sequence[str]) -> None:
        self.update(quick_tags_content(self._quick_tags, tags))

    async def on_click(self, event: events.Click) -> None:
        slot = event.style.meta.get(QUICK_TAG_META)
        if isinstance(slot, int):
            event.stop()
            # The same action as the tag's key, so triage and undo work alike.
            await self.run_action(f"app.quick_tag({slot})")
