"""Driving the app in Pilot tests: a real app over real services, waiting for its workers,
and the screen as a terminal would receive it (shared by test_app and the hardening tests)."""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import weakref
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from rich.console import Console
from textual.pilot import Pilot
from textual.worker import WorkerCancelled

from browser.app import PaperBrowserApp
from browser.config import AppConfig
from browser.services import Services

TODAY = dt.date(2025, 1, 2)


# What each app made by make_app has shown, from its creation on.
_HEARD: weakref.WeakKeyDictionary[PaperBrowserApp, list[tuple[str, str]]] = (
    weakref.WeakKeyDictionary()
)


def listen(app: PaperBrowserApp) -> list[tuple[str, str]]:
    """Every (message, severity) ``app`` shows from now on, heard through its public
    ``notifiers`` hook (screens' ``notify`` goes through the app's too)."""
    heard: list[tuple[str, str]] = []
    app.notifiers.append(lambda message, severity: heard.append((message, str(severity))))
    return heard


def notices(app: PaperBrowserApp) -> list[tuple[str, str]]:
    """Every (message, severity) an app made by ``make_app`` has shown so far."""
    return _HEARD[app]


def make_app(services: Services, **options: Any) -> PaperBrowserApp:
    """The app over ``services`` with default config, no sample dumps and a fixed today."""
    # No automatic read marks unless a test asks: a slow machine must not change the rows.
    options.setdefault("config", AppConfig(read_after_seconds=0))
    options.setdefault("sample_dumps", Path("/nonexistent-sample-dumps"))
    options.setdefault("today", lambda: TODAY)
    app = PaperBrowserApp(services, **options)
    _HEARD[app] = listen(app)
    return app


@asynccontextmanager
async def running(
    app: PaperBrowserApp, size: tuple[int, int] = (120, 40)
) -> AsyncIterator[Pilot[None]]:
    """The app running under Pilot, settled after its first search."""
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        yield pilot


async def wait_for(pilot: Pilot[None], condition: Callable[[], bool]) -> None:
    """Let timers (debounce) fire until ``condition`` holds; fails after ~5 s of app time."""
    for _ in range(100):
        if condition():
            return
        await pilot.pause(0.05)
        await settle(pilot)
    raise AssertionError("condition never became true")


async def settle(pilot: Pilot[None]) -> None:
    """Wait until no worker runs and every message they posted is handled."""
    app = pilot.app
    for _ in range(200):
        # An exclusive worker cancelled by a newer one is finished too; the
        # newer one is still in app.workers and is waited for on the next turn.
        with contextlib.suppress(WorkerCancelled):
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
