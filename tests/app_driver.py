"""Driving the app in Pilot tests: a real app over real services, waiting for its workers,
and the screen as a terminal would receive it (shared by test_app and the hardening tests)."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

from rich.console import Console
from textual.pilot import Pilot

from browser.app import PaperBrowserApp
from browser.config import AppConfig
from browser.services import Services


def make_app(services: Services) -> PaperBrowserApp:
    return PaperBrowserApp(
        services,
        config=AppConfig(),
        sample_dumps=Path("/nonexistent-sample-dumps"),
        today=lambda: dt.date(2025, 1, 2),
    )


async def settle(pilot: Pilot[None]) -> None:
    """Wait until no worker runs and every message they posted is handled."""
    app = pilot.app
    for _ in range(200):
        await app.workers.wait_for_complete()
        await pilot.pause()
        if not any(worker.is_running for worker in app.workers):
            return


async def search(pilot: Pilot[None], query: str) -> None:
    """Put a query in the bar and submit it; focus ends on the list."""
    app = pilot.app
    assert isinstance(app, PaperBrowserApp)
    if app.focused is not app.search_bar:
        await pilot.press("slash")
    app.search_bar.value = query
    await pilot.press("enter")
    await settle(pilot)


def rendered_screen(app: PaperBrowserApp) -> tuple[str, str]:
    """(plain text, text with the escape codes) of the screen, rendered as for a terminal.

    The same compositor output a real driver writes (export_screenshot renders it too).
    """
    width, height = app.size
    console = Console(
        width=width,
        height=height,
        file=io.StringIO(),
        force_terminal=True,
        color_system="truecolor",
        record=True,
        legacy_windows=False,
        safe_box=False,
    )
    console.print(app.screen._compositor.render_update(full=True))
    return console.export_text(styles=False, clear=False), console.export_text(styles=True)
