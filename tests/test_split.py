"""The list view's split: + and - resize the abstract pane, remembered between launches."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from app_driver import listen, search, settle, wait_for
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


async def test_stacked_layout_resizes_the_height_within_bounds(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = make_app(services)
    said = listen(app)
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
        # Ten presses, eight of them at the limit: one notice, not a stack of them.
        assert [message for message, _ in said if "as small as it gets" in message] == [
            "The abstract pane is as small as it gets."
        ]


async def test_a_damaged_preferences_file_is_reported_not_fatal(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    ui_state_path(services.paths.root).write_text("{broken", encoding="utf-8")
    app = make_app(services)
    said = listen(app)
    async with running(app, size=(80, 24)) as pilot:
        assert app.is_running
        assert app.abstract_percent is None
        assert any("View preferences" in message for message, _ in said)
        await search(pilot, "diffusion")
        await pilot.press("plus")
        await settle(pilot)
    assert json.loads(ui_state_path(services.paths.root).read_text())["abstract_percent"] == 60


async def test_a_burst_of_presses_saves_the_last_size_once(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    import browser.app.split_pane
    import browser.ui_state

    writes: list[int] = []
    real_update = browser.ui_state.update_ui_state

    def counting_update(path: Path, **changes: int) -> object:
        writes.append(changes["abstract_percent"])
        return real_update(path, **changes)

    monkeypatch.setattr(browser.ui_state, "update_ui_state", counting_update)
    path = ui_state_path(services.paths.root)
    app = make_app(services)
    async with running(app, size=(120, 40)) as pilot:
        await search(pilot, "diffusion")
        await pilot.press("minus")
        await wait_for(pilot, lambda: writes == [30])
        # A save delay longer than the test: the burst is written once, at exit.
        monkeypatch.setattr(browser.app.split_pane, "UI_STATE_SAVE_DELAY", 60.0)
        await pilot.press("plus", "plus", "minus", "plus", "plus", "plus", "minus")
        await settle(pilot)
        assert writes == [30]
    assert writes == [30, 60]
    assert json.loads(path.read_text(encoding="utf-8"))["abstract_percent"] == 60
