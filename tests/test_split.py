"""The list view's split: + and - resize the abstract pane, remembered between launches."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from app_driver import search, settle
from test_app import build_library, make_app, running

from browser.services import Services
from browser.ui_state import ui_state_path


@pytest.fixture
def services(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Services]:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    built = build_library(tmp_path)
    yield built
    built.close()


def pane_size(app: object) -> tuple[int, int]:
    from browser.app import PaperBrowserApp

    assert isinstance(app, PaperBrowserApp)
    region = app.screen_stack[0].query_one("#paper-column").region
    return region.width, region.height


async def test_plus_grows_the_pane_and_the_next_launch_remembers(services: Services) -> None:
    app = make_app(services)
    async with running(app, size=(120, 40)) as pilot:
        await search(pilot, "diffusion")
        before = pane_size(app)[0]
        await pilot.press("plus")
        await settle(pilot)
        grown = pane_size(app)[0]
        assert grown > before
        await pilot.press("minus", "minus")
        await settle(pilot)
        assert pane_size(app)[0] < before
        await pilot.press("equals_sign")  # + without shift
        await settle(pilot)
        assert pane_size(app)[0] == before
        await pilot.press("plus", "plus")
        await settle(pilot)
        remembered = pane_size(app)[0]
    saved = json.loads(ui_state_path(services.paths.root).read_text(encoding="utf-8"))
    assert saved["abstract_percent"] == 60
    again = make_app(services)
    async with running(again, size=(120, 40)):
        assert pane_size(again)[0] == remembered


async def test_stacked_layout_resizes_the_height_within_bounds(services: Services) -> None:
    app = make_app(services)
    async with running(app, size=(80, 24)) as pilot:
        await search(pilot, "diffusion")
        before = pane_size(app)[1]
        await pilot.press("minus")
        await settle(pilot)
        assert pane_size(app)[1] < before
        for _ in range(10):
            await pilot.press("minus")
        await settle(pilot)
        assert app.abstract_percent == 20
        assert pane_size(app)[1] >= 3
        assert any("as small as it gets" in str(note.message) for note in app._notifications)


async def test_a_damaged_preferences_file_is_reported_not_fatal(services: Services) -> None:
    ui_state_path(services.paths.root).write_text("{broken", encoding="utf-8")
    app = make_app(services)
    async with running(app, size=(80, 24)) as pilot:
        assert app.is_running
        assert app.abstract_percent is None
        assert any("View preferences" in str(note.message) for note in app._notifications)
        await search(pilot, "diffusion")
        await pilot.press("plus")
        await settle(pilot)
    assert json.loads(ui_state_path(services.paths.root).read_text())["abstract_percent"] == 60
