"""QuietFooter: the keys are mounted again only when what the footer shows changes."""

from __future__ import annotations

from typing import ClassVar

from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.pilot import Pilot
from textual.widgets import Input
from textual.widgets._footer import FooterKey

from browser.widgets.quiet_footer import QuietFooter


class FooterApp(App[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f2", "first", "First"),
        Binding("f3", "second", "Second"),
        Binding("f4", "hidden", "Hidden", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.second: bool | None = True  # True enabled, None disabled, False not shown

    def compose(self) -> ComposeResult:
        yield Input(id="one")
        yield Input(id="two")
        yield QuietFooter()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return self.second if action == "second" else True


async def settled(pilot: Pilot[None]) -> None:
    """Let the footer's recompose (run after a refresh) happen."""
    for _ in range(5):
        await pilot.pause(0.02)


def shown(app: FooterApp) -> list[tuple[str, bool]]:
    return [
        (key.key, key.has_class("-disabled"))
        for key in app.query(FooterKey)
        if not key.has_class("-command-palette")
    ]


async def test_the_footer_follows_its_bindings_but_mounts_its_keys_only_when_they_change() -> None:
    app = FooterApp()
    async with app.run_test() as pilot:
        await settled(pilot)
        assert shown(app) == [("f2", False), ("f3", False)]
        keys = list(app.query(FooterKey))
        # Focus moves and a refresh: the same keys shown, the same widgets kept.
        app.query_one("#two", Input).focus()
        await settled(pilot)
        app.refresh_bindings()
        await settled(pilot)
        assert list(app.query(FooterKey)) == keys
        # A key disabled, then hidden, then back: each change is shown.
        app.second = None
        app.refresh_bindings()
        await settled(pilot)
        assert shown(app) == [("f2", False), ("f3", True)]
        app.second = False
        app.refresh_bindings()
        await settled(pilot)
        assert shown(app) == [("f2", False)]
        app.second = True
        app.refresh_bindings()
        await settled(pilot)
        assert shown(app) == [("f2", False), ("f3", False)]


async def test_the_footer_finds_textuals_key_widgets_without_importing_them() -> None:
    """Fitting reads Textual's private ``FooterKey`` by its type name and its ``key`` and
    ``action``: with this Textual every key is found, the same as the private class gives
    (a Textual that renames it leaves the keys as Textual lays them out)."""
    from browser.widgets.quiet_footer import _footer_keys

    app = FooterApp()
    async with app.run_test() as pilot:
        await settled(pilot)
        footer = app.query_one(QuietFooter)
        found = _footer_keys(footer)
        assert found and found == list(footer.query_children(FooterKey))
