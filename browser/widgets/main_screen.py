"""The main screen: the search bar, the result list with its notice and status, the paper pane.

The app pushes modals and the reader over it; whatever is on top, searches and syncs
report back to these widgets, held here as typed attributes (no lookups by query).
"""

from __future__ import annotations

from collections.abc import Sequence

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Static

from browser.widgets.abstract_pane import AbstractPane
from browser.widgets.quick_tags import QuickTagBar
from browser.widgets.quiet_footer import QuietFooter
from browser.widgets.results_table import ResultsTable
from browser.widgets.search_bar import SearchBar
from browser.widgets.status_line import StatusLine


class SearchNotice(Static):
    """Explains an empty, corrected or misunderstood search above the list."""


class MainScreen(Screen[None]):
    """The list view; the app's default screen, at the bottom of the screen stack."""

    def __init__(self, quick_tags: Sequence[str]) -> None:
        super().__init__()
        self.search_bar = SearchBar()
        self.notice = SearchNotice(id="notice")
        self.table = ResultsTable()
        self.status = StatusLine(id="status")
        self.abstract = AbstractPane(id="abstract")
        self.quick_tag_bar = QuickTagBar(quick_tags)
        self.list_column = Vertical(id="list-column")
        self.paper_column = Vertical(id="paper-column")

    def compose(self) -> ComposeResult:
        yield self.search_bar
        with Horizontal(id="body"):
            with self.list_column:
                yield self.notice
                yield self.table
                yield self.status
            with self.paper_column:
                yield self.abstract
                yield self.quick_tag_bar
        yield QuietFooter()
