"""The query input at the top of the screen."""

from __future__ import annotations

from typing import ClassVar

from textual.binding import Binding, BindingType
from textual.widgets import Input

PLACEHOLDER = (
    "Search titles and abstracts   e.g.  diffusion video   author:smith   "
    'tag:"to read"   -tag:read   is:untagged'
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
    ]

    def __init__(self) -> None:
        super().__init__(placeholder=PLACEHOLDER, id="search", select_on_focus=False)
