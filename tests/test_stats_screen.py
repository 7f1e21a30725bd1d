"""Pilot tests of the stats screen: open, switch period, Enter runs a search, Esc goes back.

Every wait is for a state (a worker finished, the screen filled, the indicator up), never
for a length of time: the tests ran flaky on a loaded machine while one waited 0.3 s
for a timer and another let a stub wait 5 s before counting on its own.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from app_driver import rendered_screen, settle
from conftest import DumpPaper
from rich.cells import cell_len
from stats_library import build_stats_library
from test_app import PAPERS, build_library, make_app, running, titles, wait_for
from textual.pilot import Pilot
from textual.widgets import Static

from browser.app import PALETTE_COMMANDS, PaperBrowserApp
from browser.search_session import TagFilter
from browser.services import Services
from browser.stats import LibraryStats, PeriodCount, RisingTerm
from browser.stats.searches import NO_DAY, NO_ORGANIZATION
from browser.widgets.stats_screen import StatsScreen, StatsTable, bar

D = dt.date
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
    # The counts show first, the rising terms when worked out.
    await wait_for(pilot, lambda: screen.stats is not None and screen.stats.rising_counted)
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


async def test_the_title_fits_80_columns_and_tells_what_enter_does(services: Services) -> None:
    app = make_app(services)
    async with running(app, size=(80, 24)) as pilot:
        screen = await open_stats(pilot)
        await pilot.pause(0.1)
        title = screen.query_one("#stats-title", Static)
        plain = getattr(title.render(), "plain", "")
        assert plain.endswith("Enter searches a row"), plain
        assert cell_len(plain) <= title.content_size.width, (plain, title.content_size)


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
        # These papers have no listing day: counted, and found, by their own date.
        assert app.search_bar.value == (
            "swarms (listed:2024-06 OR (date:2024-06 NOT listed:[0001 TO 9999]))"
        )
        assert titles(app) == ["Agent Swarms for Planning"]
        assert app.focused is app.table
        # Typing goes on after the query, not before it (newcomer's finding).
        assert app.search_bar.cursor_position == len(app.search_bar.value)
        # The same row again: the search already has its clause, so nothing is added.
        shown = app.search_bar.value
        screen = await open_stats(pilot)
        await wait_for(pilot, lambda: bool(cells(screen, "#stats-periods")))
        await pilot.press("enter")
        await settle(pilot)
        assert app.search_bar.value == shown


async def test_enter_on_an_organisation_and_on_a_tag(services: Services) -> None:
    app = make_app(services)
    async with running(app) as pilot:
        paper = next(h.paper for h in services.index.search("swarms", prefix_last_word=True).hits)
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
    snap_compare: object, counted: Services, size: tuple[int, int]
) -> None:
    """The hand-counted library: listing days and own dates, hostile names, a tag,
    authors and rising terms; at both sizes every table fits without scrolling sideways."""

    async def run_before(pilot: Pilot[None]) -> None:
        await settle(pilot)
        await open_stats(pilot)

    assert snap_compare(  # type: ignore[operator]
        make_app(counted), terminal_size=size, run_before=run_before
    )


async def test_slow_counting_shows_a_loading_indicator_and_typing_goes_on(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    import threading

    release = threading.Event()
    real = services.stats

    def slow(*args: object, **kwargs: object) -> object:
        release.wait(60)  # set by the test; the timeout only stops a broken run hanging
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(services, "stats", slow)
    app = make_app(services)
    async with running(app) as pilot:
        try:
            app.table.focus()
            await pilot.press("S")
            screen = app.screen
            assert isinstance(screen, StatsScreen)
            body = screen.query_one("#stats-body")
            # The UI thread is free: the indicator comes up (its timer fires however
            # loaded the machine is) and keys are handled while the count waits.
            await until(pilot, lambda: body.loading)
            await pilot.press("w")
            assert screen.by == "week"
        finally:
            release.set()
        await wait_for(pilot, lambda: screen.stats is not None)
        assert not body.loading
        assert screen.stats is not None and screen.stats.by == "week"


async def until(pilot: Pilot[None], condition: Callable[[], bool]) -> None:
    """Let the app run until ``condition`` holds, without waiting for workers (a stubbed
    count is still blocked); fails after 10 s of the app's time."""
    for _ in range(500):
        if condition():
            return
        await pilot.pause(0.02)
    raise AssertionError("condition never became true")


def test_warm_stats_reads_the_facts_once(services: Services) -> None:
    services.warm_stats()
    source = services._stats()
    columns = source.columns()
    assert len(columns) == len(PAPERS) + len(EXTRA)
    assert source.columns() is columns  # nothing changed: the same columns


# -- the hand-counted library of test_stats: hostile names, every kind of row -----------


@pytest.fixture
def counted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Services]:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    built = build_stats_library(tmp_path)
    paper = next(iter(built.index.matching_ids("walking", prefix_last_word=True).paper_ids))
    built.tags.add(paper, "to read")
    yield built
    built.close()


def row_of(screen: StatsScreen, table_id: str, first_cell: str) -> int:
    return next(i for i, row in enumerate(cells(screen, table_id)) if row[0] == first_cell)


async def choose(pilot: Pilot[None], table_id: str, first_cell: str) -> PaperBrowserApp:
    """Open the stats of the current search and press Enter on one row."""
    app = pilot.app
    assert isinstance(app, PaperBrowserApp)
    screen = await open_stats(pilot)
    table = screen.query_one(table_id, StatsTable)
    table.focus()
    table.move_cursor(row=row_of(screen, table_id, first_cell))
    await pilot.press("enter")
    await settle(pilot)
    assert not isinstance(app.screen, StatsScreen)
    return app


async def search_for(pilot: Pilot[None], query: str) -> None:
    app = pilot.app
    assert isinstance(app, PaperBrowserApp)
    app.tag_filter = None
    app.search_bar.focus()
    app.search_bar.value = query
    await pilot.press("enter")
    await settle(pilot)


async def test_hostile_names_are_shown_as_the_text_they_are(counted: Services) -> None:
    app = make_app(counted)
    async with running(app, size=(160, 48)) as pilot:
        screen = await open_stats(pilot)
        organizations = [row[0] for row in cells(screen, "#stats-organizations")]
        authors = [row[0] for row in cells(screen, "#stats-authors")]
        # Markup stays text; control characters are visible marks, never sent as they are.
        assert "[link=https://evil.example]Evil[/link] Lab ␛[31m" in organizations
        assert "[bold red]Mallory[/] \\[x] ␇" in authors
        assert "agent swarms" in [row[0] for row in cells(screen, "#stats-rising")]


async def test_hostile_rising_terms_are_shown_as_text(services: Services) -> None:
    hostile = "[b]bold[/b] [link=https://evil.example]x[/link] \x1b]52;c;aGk=\x07"
    periods = [PeriodCount(D(2025, 11, 1), "2025-11", 3), PeriodCount(D(2025, 12, 1), "2025-12", 4)]
    stats = LibraryStats(
        papers=7,
        by="month",
        per_period=periods,
        rising_terms=[RisingTerm(hostile, 4, 0, 3.0)],
        latest=periods[1],
        previous=periods[0],
        rising_counted=True,
    )
    app = make_app(services)
    async with running(app) as pilot:
        screen = StatsScreen(lambda by, rising: stats, query="[red]q[/red]")
        await app.push_screen(screen)
        await wait_for(pilot, lambda: screen.stats is not None and screen.stats.rising_counted)
        (term,) = [row[0] for row in cells(screen, "#stats-rising")]
        assert term == "[b]bold[/b] [link=https://evil.example]x[/link] ␛]52;c;aGk=␇"
        title = screen.query_one("#stats-title", Static).render()
        assert "“[red]q[/red]”" in getattr(title, "plain", "")


@pytest.mark.parametrize(
    ("query", "table_id", "row", "searched", "papers"),
    [
        ("grasping", "#stats-periods", "2025-11", "grasping listed:2025-11", 2),
        (
            "",
            "#stats-periods",
            "2025-12",
            "(listed:2025-12 OR (date:2025-12 NOT listed:[0001 TO 9999]))",
            5,
        ),
        ("", "#stats-periods", "no date", NO_DAY, 1),
        ("", "#stats-rising", "agent swarms", '"agent swarms"', 5),
        ("robot", "#stats-organizations", "NVIDIA", 'robot org:"NVIDIA"', 2),
        (
            "",
            "#stats-organizations",
            "[link=https://evil.example]Evil[/link] Lab ␛[31m",
            'org:"[link=https://evil.example]Evil[/link] Lab [31m"',
            2,
        ),
        ("", "#stats-organizations", "(no organisation)", NO_ORGANIZATION, 5),
        ("", "#stats-authors", "Ada Li", 'author:"Ada Li"', 3),
        (
            "agent OR walking",
            "#stats-authors",
            "Chen Wei",
            '(agent OR walking) author:"Chen Wei"',
            1,
        ),
    ],
)
async def test_enter_on_each_kind_of_row_runs_its_search(
    counted: Services, query: str, table_id: str, row: str, searched: str, papers: int
) -> None:
    app = make_app(counted)
    async with running(app) as pilot:
        await search_for(pilot, query)
        await choose(pilot, table_id, row)
        await wait_for(pilot, lambda: app.result is not None and app.result.query == searched)
        assert app.search_bar.value == searched
        assert app.result is not None and app.result.total == papers
        assert app.focused is app.table


async def test_enter_on_a_tag_and_on_untagged_sets_the_tag_filter(counted: Services) -> None:
    app = make_app(counted)
    async with running(app) as pilot:
        await choose(pilot, "#stats-tags", "to read")
        assert app.tag_filter is not None and app.tag_filter.tag == "to read"
        await wait_for(pilot, lambda: app.result is not None and app.result.total == 1)
        assert titles(app) == ["Robot Walking on Ice"]
        await search_for(pilot, "")
        await choose(pilot, "#stats-tags", "(untagged)")
        assert app.tag_filter is not None and app.tag_filter.kind == "untagged"
        await wait_for(pilot, lambda: app.result is not None and app.result.total == 9)


async def test_the_tag_filter_counts_as_a_filter_not_as_query_text(counted: Services) -> None:
    # A quote cannot be written inside tag:"..."; as a structured filter it needs no quoting.
    paper = next(iter(counted.index.matching_ids("tactile", prefix_last_word=True).paper_ids))
    counted.tags.add(paper, 'say "hi"')
    app = make_app(counted)
    async with running(app) as pilot:
        app.tag_filter = TagFilter(kind="tag", tag='say "hi"')
        app.request_search()
        await settle(pilot)
        screen = await open_stats(pilot)
        assert screen.stats is not None and screen.stats.papers == 1
        assert [(p.key, p.count) for p in screen.stats.per_period] == [("2025-11", 1)]


async def test_the_counts_show_before_the_rising_terms(counted: Services) -> None:
    import threading

    release = threading.Event()
    real = counted.stats

    def rising_waits(*args: object, rising: bool = True, **kwargs: object) -> object:
        if rising:
            release.wait(60)  # set by the test; the timeout only stops a broken run hanging
        return real(*args, rising=rising, **kwargs)  # type: ignore[arg-type]

    counted.stats = rising_waits  # type: ignore[method-assign]
    app = make_app(counted)
    async with running(app) as pilot:
        try:
            app.table.focus()
            await pilot.press("S")
            screen = app.screen
            assert isinstance(screen, StatsScreen)
            await until(pilot, lambda: screen.stats is not None)
            assert screen.stats is not None and not screen.stats.rising_counted
            assert cells(screen, "#stats-periods")[0][:2] == ["2025-12", "5"]
            rising = screen.query_one("#stats-rising", StatsTable)
            assert rising.border_title == "Rising terms: counting…" and rising.row_count == 0
            assert not screen.query_one("#stats-body").loading
        finally:
            release.set()
        await wait_for(pilot, lambda: screen.stats is not None and screen.stats.rising_counted)
        assert "agent swarms" in [row[0] for row in cells(screen, "#stats-rising")]


async def test_a_second_open_reuses_the_screen_and_shows_only_the_new_counts(
    services: Services,
) -> None:
    app = make_app(services)
    async with running(app) as pilot:
        first = await open_stats(pilot)
        await pilot.press("d")
        await wait_for(pilot, lambda: first.stats is not None and first.stats.by == "day")
        whole = cells(first, "#stats-organizations")
        await pilot.press("escape")
        await settle(pilot)
        await search_for(pilot, "swarms")
        second = await open_stats(pilot)
        # The same screen, counting the new search from the start: per month, the cursor
        # on the first row, nothing of the whole library's counts left.
        assert second is first
        assert second.filled and second.by == "month"
        assert second.stats is not None and second.stats.query == "swarms"
        assert second.stats.papers == 1
        assert cells(second, "#stats-periods")[0][:2] == ["2024-06", "1"]
        organizations = cells(second, "#stats-organizations")
        assert organizations != whole and len(organizations) == 1
        assert second.query_one("#stats-periods", StatsTable).cursor_row == 0
        assert app.screen is second and second.focused is second.query_one("#stats-periods")


async def test_a_reopened_screen_hides_its_tables_until_the_new_counts_are_in(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    import threading

    release = threading.Event()
    real = services.stats
    asked: list[tuple[str, bool]] = []

    def slow_for_swarms(query: str = "", **kwargs: object) -> object:
        asked.append((query, bool(kwargs.get("rising"))))
        if query == "swarms":
            release.wait(60)  # set by the test; the timeout only stops a broken run hanging
        return real(query, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(services, "stats", slow_for_swarms)
    app = make_app(services)
    async with running(app) as pilot:
        screen = await open_stats(pilot)
        await pilot.press("escape")
        await settle(pilot)
        await search_for(pilot, "swarms")
        try:
            app.table.focus()
            await pilot.press("S")
            assert app.screen is screen
            await until(pilot, lambda: screen.query_one("#stats-body").loading)
            # While counting: no table shows anything, least of all the last counts.
            assert not screen.filled and screen.stats is None
            rows = screen.query("#stats-body > Horizontal")
            assert rows and all(not row.visible for row in rows)
            assert all(table.row_count == 0 for table in screen.query(StatsTable))
            # Leaving before the count ends: its result is dropped, and the rising terms
            # (the costly part) are never asked for.
            await pilot.press("escape")
            await settle(pilot)
        finally:
            release.set()
        await app.workers.wait_for_complete()
        await settle(pilot)
        assert screen.stats is None and not screen.filled
        assert ("swarms", True) not in asked
        app.table.focus()
        await pilot.press("S")
        await wait_for(pilot, lambda: screen.filled)
        rows = screen.query("#stats-body > Horizontal")
        assert all(row.visible for row in rows)
        assert screen.stats is not None and screen.stats.papers == 1


async def _counted_per(pilot: Pilot[None], screen: StatsScreen, by: str) -> None:
    """Wait until ``screen`` shows the counts per ``by``, rising terms included."""
    await wait_for(
        pilot,
        lambda: screen.stats is not None and screen.stats.by == by and screen.stats.rising_counted,
    )
    await settle(pilot)


def _rising_panel_text(app: PaperBrowserApp) -> str:
    """The words inside the rising terms' panel (right of the periods), wrapping undone."""
    text, _ = rendered_screen(app)
    top = text.split("╰")[0]  # the top row of panels: periods, rising terms
    inside = [
        line.split("││", 1)[1].rstrip().rstrip("│").strip()
        for line in top.splitlines()
        if "││" in line
    ]
    return " ".join(" ".join(inside).split())


@pytest.mark.parametrize("size", [(80, 24), (160, 48)])
async def test_an_empty_rising_table_says_why_and_what_would_fill_it(
    counted: Services, size: tuple[int, int]
) -> None:
    """Per week the hand-counted library's latest week has one paper: the panel says so,
    with the rule's numbers and the key of a longer period, whole at both sizes; it has
    no header or cursor, and Enter on it searches nothing."""
    app = make_app(counted)
    async with running(app, size=size) as pilot:
        screen = await open_stats(pilot)
        await pilot.press("w")
        await _counted_per(pilot, screen, "week")
        rising = screen.query_one("#stats-rising", StatsTable)
        assert rising.border_title == "Rising: 2025-W50 against 2025-W49"
        assert not rising.show_header and not rising.show_cursor
        assert _rising_panel_text(app) == (
            "2025-W50 has only 1 paper. A term rises once it is in at least 3 papers of "
            "the latest week and in a larger share of them than in 2025-W49 (4 papers). "
            "Longer periods or a wider search give each period more papers. Press m to "
            "compare months."
        )
        rising.focus()
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is screen
        await pilot.press("m")  # the terms come back, with their header and cursor
        await _counted_per(pilot, screen, "month")
        assert rising.show_header and rising.show_cursor
        assert "agent swarms" in [row[0] for row in cells(screen, "#stats-rising")]
