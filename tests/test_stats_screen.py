"""Pilot tests of the stats screen: open, switch period, Enter runs a search, Esc goes back."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from app_driver import settle
from conftest import DumpPaper
from test_app import PAPERS, build_library, make_app, running, titles, wait_for
from textual.pilot import Pilot

from browser.app import PALETTE_COMMANDS, PaperBrowserApp
from browser.services import Services
from browser.widgets.stats_screen import StatsScreen, StatsTable, bar, quoted

HOSTILE_ORG = "evil [bold red]Lab[/] \x1b[31m"
EXTRA = [
    DumpPaper(
        "Agent Swarms for Planning",
        "Agent swarms plan together.",
        organization=f"evil {HOSTILE_ORG}",
        date="Jun 1, 2024",
    ),
    DumpPaper("Undated Agent Note", "An agent without a date.", date=None),
]


@pytest.fixture
def services(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Services]:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    built = build_library(tmp_path, [*PAPERS, *EXTRA])
    yield built
    built.close()


async def open_stats(pilot: Pilot[None]) -> StatsScreen:
    app = pilot.app
    assert isinstance(app, PaperBrowserApp)
    app.table.focus()
    await pilot.press("S")
    await settle(pilot)
    screen = app.screen
    assert isinstance(screen, StatsScreen)
    await wait_for(pilot, lambda: screen.stats is not None)
    await settle(pilot)
    return screen


def cells(screen: StatsScreen, table_id: str) -> list[list[str]]:
    table = screen.query_one(table_id, StatsTable)
    return [[cell.plain for cell in table.get_row_at(row)] for row in range(table.row_count)]


def test_bars_are_drawn_to_an_eighth_of_a_cell() -> None:
    assert bar(10, 10, 4) == "████"
    assert bar(1, 8, 1) == "▏"
    assert bar(0, 10) == "" and bar(3, 0) == ""
    assert bar(1, 1000, 10) == "▏"  # never invisible
    assert quoted("org", 'say "hi"  there') == 'org:"say hi there"'


async def test_the_key_opens_the_stats_of_the_whole_library(services: Services) -> None:
    app = make_app(services)
    async with running(app) as pilot:
        screen = await open_stats(pilot)
        assert screen.stats is not None
        assert screen.stats.papers == len(PAPERS) + len(EXTRA)
        assert screen.stats.no_date == 1
        periods = cells(screen, "#stats-periods")
        assert periods[-1][:2] == ["no date", "1"]
        assert periods[0][0] == "2024-06"  # newest first
        orgs = cells(screen, "#stats-organizations")
        # Hostile markup is shown as the text it is.
        assert any("[bold red]Lab[/]" in row[0] for row in orgs)
        assert orgs[-1][0] == "(no organisation)"
        assert not screen.query_one("#stats-body").loading


async def test_switching_periods_and_escape(services: Services) -> None:
    app = make_app(services)
    async with running(app) as pilot:
        screen = await open_stats(pilot)
        await pilot.press("d")
        await wait_for(pilot, lambda: screen.stats is not None and screen.stats.by == "day")
        await settle(pilot)
        assert cells(screen, "#stats-periods")[0][0] == "2024-06-02"
        await pilot.press("w")
        await wait_for(pilot, lambda: screen.stats is not None and screen.stats.by == "week")
        await settle(pilot)
        assert cells(screen, "#stats-periods")[0][0] == "2024-W22"
        assert screen.query_one("#stats-periods", StatsTable).border_title == "Papers per week"
        await pilot.press("escape")
        await settle(pilot)
        assert not isinstance(app.screen, StatsScreen)
        assert app.search_bar.value == ""


async def test_enter_on_a_period_runs_its_search_within_the_current_one(
    services: Services,
) -> None:
    app = make_app(services)
    async with running(app) as pilot:
        app.search_bar.value = "swarms"
        await pilot.press("enter")
        await settle(pilot)
        screen = await open_stats(pilot)
        assert screen.stats is not None and screen.stats.query == "swarms"
        assert cells(screen, "#stats-periods")[0][0] == "2024-06"
        await pilot.press("enter")  # the periods table has focus, newest first
        await settle(pilot)
        assert not isinstance(app.screen, StatsScreen)
        await wait_for(pilot, lambda: app.result is not None and "date:" in app.result.query)
        assert app.search_bar.value == "swarms date:2024-06"
        assert titles(app) == ["Agent Swarms for Planning"]
        assert app.focused is app.table


async def test_enter_on_an_organisation_and_on_a_tag(services: Services) -> None:
    app = make_app(services)
    async with running(app) as pilot:
        paper = next(h.paper for h in services.index.search("swarms").hits)
        services.tags.add(paper.id, "to read")
        screen = await open_stats(pilot)
        orgs = screen.query_one("#stats-organizations", StatsTable)
        orgs.focus()
        row = next(i for i, r in enumerate(cells(screen, "#stats-organizations")) if "Lab" in r[0])
        orgs.move_cursor(row=row)
        await pilot.press("enter")
        await settle(pilot)
        await wait_for(pilot, lambda: app.result is not None and "org:" in app.result.query)
        assert titles(app) == ["Agent Swarms for Planning"]
        screen = await open_stats(pilot)
        tags = screen.query_one("#stats-tags", StatsTable)
        assert cells(screen, "#stats-tags")[0][:2] == ["to read", "1"]
        tags.focus()
        await pilot.press("enter")
        await settle(pilot)
        assert app.tag_filter is not None and app.tag_filter.tag == "to read"


async def test_a_click_selects_a_row(services: Services) -> None:
    app = make_app(services)
    async with running(app, size=(80, 24)) as pilot:
        screen = await open_stats(pilot)
        table = screen.query_one("#stats-periods", StatsTable)
        # The first data row sits under the border and the header.
        await pilot.click(table, offset=(3, 2))
        await settle(pilot)
        if isinstance(app.screen, StatsScreen):  # first click moves the cursor there
            await pilot.click(table, offset=(3, 2))
            await settle(pilot)
        assert not isinstance(app.screen, StatsScreen)
        await wait_for(pilot, lambda: app.result is not None and "date:" in app.result.query)


async def test_the_palette_offers_stats() -> None:
    assert "stats" in {command.action for command in PALETTE_COMMANDS}


@pytest.mark.parametrize("size", [(80, 24), (160, 48)])
def test_stats_screen_snapshot(
    snap_compare: object, services: Services, size: tuple[int, int]
) -> None:
    paper = next(h.paper for h in services.index.search("swarms").hits)
    services.tags.add(paper.id, "to read")

    async def run_before(pilot: Pilot[None]) -> None:
        await settle(pilot)
        await open_stats(pilot)

    assert snap_compare(  # type: ignore[operator]
        make_app(services), terminal_size=size, run_before=run_before
    )


async def test_slow_counting_shows_a_loading_indicator_and_typing_goes_on(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    import threading

    release = threading.Event()
    real = services.stats

    def slow(*args: object, **kwargs: object) -> object:
        release.wait(5)
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(services, "stats", slow)
    app = make_app(services)
    async with running(app) as pilot:
        app.table.focus()
        await pilot.press("S")
        screen = app.screen
        assert isinstance(screen, StatsScreen)
        await pilot.pause(0.3)
        # The UI thread is free: the indicator shows and keys are handled.
        assert screen.query_one("#stats-body").loading
        await pilot.press("w")
        assert screen.by == "week"
        release.set()
        await wait_for(pilot, lambda: screen.stats is not None)
        assert not screen.query_one("#stats-body").loading
        assert screen.stats is not None and screen.stats.by == "week"


def test_warm_stats_reads_the_facts_once(services: Services) -> None:
    services.warm_stats()
    source = services._stats()
    columns = source.columns()
    assert len(columns) == len(PAPERS) + len(EXTRA)
    assert source.columns() is columns  # nothing changed: the same columns
