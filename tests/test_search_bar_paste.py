"""A paste of several lines into the search bar is one query (issue 13: Textual's Input
kept the first line only, newcomer's finding)."""

from __future__ import annotations

import pytest
from textual import events
from textual.app import App, ComposeResult

from browser.widgets.search_bar import SearchBar


class BarApp(App[None]):
    def compose(self) -> ComposeResult:
        yield SearchBar()


@pytest.mark.parametrize(
    ("before", "pasted", "after"),
    [
        ("", "Free Guidance is a\nPredictor-Corrector\n", "Free Guidance is a Predictor-Corrector"),
        ("", "  two\r\n\r\n  lines  ", "two lines"),
        ("diffusion ", "policy\ngradient", "diffusion policy gradient"),
        ("keep", "\n\n", "keep"),
    ],
)  # fmt: skip
async def test_a_pasted_multi_line_text_is_one_query(before: str, pasted: str, after: str) -> None:
    app = BarApp()
    async with app.run_test() as pilot:
        bar = app.query_one(SearchBar)
        bar.focus()
        bar.value = before
        bar.cursor_position = len(before)
        bar.post_message(events.Paste(pasted))
        await pilot.pause()
        assert bar.value == after
