"""The query input at the top of the screen.

The app opens with the cursor here (type and the list answers), so the keys that mean
something before any query must work here too: ``?`` in the empty bar shows the keys
(a query of a lone ``?``, one wildcard character, finds nothing useful; once there is
text, ``?`` is typed as the wildcard it is), and F1 shows them always.
"""

from __future__ import annotations

from typing import ClassVar

from textual import events
from textual.binding import Binding, BindingType
from textual.widgets import Input

PLACEHOLDER = (
    "Type to search (? shows the keys)   e.g.  diffusion video   author:smith   "
    'is:unread   tag:"to read"'
)


class SearchBar(Input):
    """An Input whose escape/down keys hand focus back to the result list."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "escape",
            "app.focus_results",
            "Back to list",
            tooltip="Back to the result list (Enter searches at once)",
        ),
        Binding(
            "down",
            "app.focus_results",
            "Back to list",
            show=False,
            tooltip="Back to the result list",
        ),
        Binding(
            "f1",
            "app.help",
            "Keys",
            tooltip="Show every key (so does ? while the search bar is empty)",
        ),
    ]

    def __init__(self) -> None:
        super().__init__(placeholder=PLACEHOLDER, id="search", select_on_focus=False)

    def on_paste(self, event: events.Paste) -> None:
        # Input keeps a paste's first line only; a title copied from a PDF or a web page
        # often spans two. Its lines become one query (the query layer cleans the rest).
        lines = [line.strip() for line in event.text.splitlines()]
        text = " ".join(line for line in lines if line)
        event.prevent_default()  # not Input's own paste as well
        event.stop()
        if not text:
            return
        if self.selection.is_empty:
            self.insert_text_at_cursor(text)
        else:
            self.replace(text, *self.selection)

    async def on_key(self, event: events.Key) -> None:
        # Runs before Input's own key handler; prevent_default keeps the ? out of the bar.
        if event.character == "?" and not self.value:
            event.stop()
            event.prevent_default()
            await self.run_action("app.help")
