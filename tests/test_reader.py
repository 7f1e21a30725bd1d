"""Pilot tests of the reader: open, next/previous, tag and triage from it, back to the list."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from app_driver import rendered_screen, search, settle, wait_for
from conftest import DumpPaper
from test_app import HOSTILE_TITLE, PAPERS, build_library, make_app, running, tags_on_disk
from textual import events
from textual.content import Content
from textual.widgets import Static

import browser.app.searching
from browser.app import PaperBrowserApp
from browser.config import AppConfig
from browser.links import is_web_link
from browser.search_session import SearchRequest
from browser.services import Services
from browser.widgets.help_screen import HelpScreen
from browser.widgets.reader import ReaderScreen
from browser.widgets.tag_prompt import TagPrompt

MATH = DumpPaper(
    r"$\pi$-Flow: Diffusion Policies in One Step",
    r"We distil diffusion into $\alpha$-divergence flows with $k=4$ steps, about $10^{-3}$ "
    r"of the cost. \texttt{SAILOR} code: https://github.com/example/piflow. It costs $5 and $10.",
    authors=4,
    date="Apr 1, 2024",
    comments=2,
)


@pytest.fixture
def services(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Services]:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    built = build_library(tmp_path, [*PAPERS, MATH])
    yield built
    built.close()


def scaling_papers(count: int) -> list[DumpPaper]:
    """More papers than one page of the list (200) holds, all matching "scaling"."""
    return [
        DumpPaper(f"Scaling study number {n}", f"Scaling again, case {n}.", authors=2)
        for n in range(count)
    ]


def reader_of(app: PaperBrowserApp) -> ReaderScreen:
    screen = app.screen
    assert isinstance(screen, ReaderScreen), type(screen)
    return screen


def reader_text(app: PaperBrowserApp) -> str:
    visual = reader_of(app).query_one("#reader-paper", Static).visual
    assert isinstance(visual, Content)
    return visual.plain


def highlighted_id(app: PaperBrowserApp) -> str:
    hit = app.table.highlighted_hit
    assert hit is not None
    return hit.paper.id


async def test_enter_opens_the_whole_paper_and_escape_lands_on_the_last_read(
    services: Services,
) -> None:
    app = make_app(services)
    async with running(app, size=(80, 24)) as pilot:
        await search(pilot, "diffusion")
        ids = [hit.paper.id for hit in app.table.hits]
        assert len(ids) >= 3
        await pilot.press("enter")
        reader = reader_of(app)
        assert reader.paper_id == ids[0]
        first = reader_text(app)
        assert app.table.hits[0].paper.abstract.split()[-1] in first  # the whole abstract
        assert "Found in" in first and "/dumps/2024-06-03_daily-papers.txt:" in first
        await pilot.press("j")
        assert reader_of(app).paper_id == ids[1]
        await pilot.press("n")
        assert reader_of(app).paper_id == ids[2]
        await pilot.press("p")
        assert reader_of(app).paper_id == ids[1]
        await pilot.press("k", "k")  # past the first paper: stays, says so
        await settle(pilot)
        assert reader_of(app).paper_id == ids[0]
        await pilot.press("j", "escape")
        await settle(pilot)
        assert not isinstance(app.screen, ReaderScreen)
        assert highlighted_id(app) == ids[1]
        assert app.focused is app.table


async def test_the_reader_shows_where_it_is_and_the_mouse_moves_it(services: Services) -> None:
    app = make_app(services)
    async with running(app, size=(80, 24)) as pilot:
        await search(pilot, "diffusion")
        ids = [hit.paper.id for hit in app.table.hits]
        await pilot.press("enter")
        position = reader_of(app).query_one("#reader-position", Static).visual
        assert isinstance(position, Content)
        assert position.plain == f"1 / {len(ids)}"
        await pilot.click("#reader-next")
        await settle(pilot)
        assert reader_of(app).paper_id == ids[1]
        await pilot.click("#reader-prev")
        await settle(pilot)
        assert reader_of(app).paper_id == ids[0]
        await pilot.click("#reader-back")
        await settle(pilot)
        assert not isinstance(app.screen, ReaderScreen)


async def test_quick_tags_and_prompt_work_from_the_reader(services: Services) -> None:
    app = make_app(services)
    async with running(app, size=(80, 24)) as pilot:
        await search(pilot, "robot")
        paper_id = highlighted_id(app)
        await pilot.press("enter", "1")
        assert tags_on_disk(services)[paper_id] == ["to read"]
        assert " to read " in reader_text(app)
        await pilot.press("u")
        assert paper_id not in tags_on_disk(services)
        await pilot.press("t")
        assert isinstance(app.screen, TagPrompt)
        await pilot.press(*"from reader", "enter")
        await settle(pilot)
        assert tags_on_disk(services)[paper_id] == ["from reader"]
        assert reader_of(app).paper_id == paper_id
        assert "from reader" in reader_text(app)


async def test_triage_advances_inside_the_reader(services: Services) -> None:
    app = make_app(services)
    async with running(app, size=(80, 24)) as pilot:
        await search(pilot, "diffusion")
        first, second = app.table.hits[0].paper.id, app.table.hits[1].paper.id
        await pilot.press("enter", "a", "2")
        await settle(pilot)
        assert tags_on_disk(services)[first] == ["read"]
        assert reader_of(app).paper_id == second
        await pilot.press("escape")
        assert highlighted_id(app) == second


async def test_space_and_b_scroll_a_long_abstract_at_40x12(tmp_path: Path) -> None:
    long = DumpPaper(
        "A Very Long Abstract",
        " ".join(f"Sentence {n} says something about scaling." for n in range(60)),
        authors=2,
    )
    services = build_library(tmp_path, [long])
    try:
        app = make_app(services)
        async with running(app, size=(40, 12)) as pilot:
            await search(pilot, "long")
            await pilot.press("enter")
            scroll = reader_of(app).query_one("#reader-scroll")
            assert scroll.max_scroll_y > 0
            await pilot.press("space")
            await settle(pilot)
            assert scroll.scroll_y > 0
            await pilot.press("b")
            await settle(pilot)
            assert scroll.scroll_y == 0
            # The wheel (Pilot has no public scroll helper).
            await pilot._post_mouse_events([events.MouseScrollDown], "#reader-paper", (2, 2))
            await settle(pilot)
            assert scroll.scroll_y > 0
            text, _ = rendered_screen(app)
            assert "Next" in text and "Back" in text
    finally:
        services.close()


async def test_next_fetches_more_results_as_the_list_does(tmp_path: Path) -> None:
    services = build_library(tmp_path, scaling_papers(230))
    try:
        app = make_app(services)
        async with running(app, size=(80, 24)) as pilot:
            await search(pilot, "scaling")
            assert len(app.table.hits) == 200
            app.table.move_cursor(row=175, animate=False)
            await settle(pilot)
            await pilot.press("enter")
            for _ in range(30):
                await pilot.press("j")
                await settle(pilot)
            assert len(app.table.hits) == 230
            assert app.table.cursor_row == 205
            assert reader_of(app).paper_id == app.table.hits[205].paper.id
    finally:
        services.close()


async def test_moves_asked_for_while_a_page_is_fetched_happen_when_it_arrives(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    services = build_library(tmp_path, scaling_papers(230))
    page_may_answer = threading.Event()
    real_run_request = browser.app.searching.run_request

    def slow_pages(services: Services, request: SearchRequest, cancelled: object = None) -> object:
        if request.more:  # a next page: held until the test lets it answer
            page_may_answer.wait(10)
        return real_run_request(services, request, cancelled)  # type: ignore[arg-type]

    monkeypatch.setattr(browser.app.searching, "run_request", slow_pages)
    try:
        app = make_app(services)
        async with running(app, size=(80, 24)) as pilot:
            await search(pilot, "scaling")
            assert len(app.table.hits) == 200
            app.table.move_cursor(row=198, animate=False)
            await pilot.pause()
            await pilot.press("enter", "j", "j", "j", "j", "k", "j", "j")
            await pilot.pause()
            assert len(app.table.hits) == 200  # the page has not arrived yet
            assert app.table.cursor_row == 199
            page_may_answer.set()
            await settle(pilot)
            await wait_for(pilot, lambda: len(app.table.hits) == 230)
            # One step to the last loaded row, the other four once the page came.
            assert app.table.cursor_row == 203
            assert reader_of(app).paper_id == app.table.hits[203].paper.id
    finally:
        page_may_answer.set()
        services.close()


async def test_the_reader_palette_offers_only_what_applies_to_the_reader(
    services: Services,
) -> None:
    app = make_app(services)
    async with running(app, size=(100, 32)) as pilot:
        await search(pilot, "robot")
        await pilot.press("enter")
        offered = {command.title for command in app.get_system_commands(reader_of(app))}
        assert {"Tag paper…", "Open paper in browser", "Copy title and link", "Show keys"} <= (
            offered
        )
        list_only = {
            "Search",
            "Read paper",
            "Cycle sort order",
            "Filter by tag…",
            "Similar papers",
            "Grow the abstract pane",
            "Shrink the abstract pane",
            "Stats of this search",
            "Mark list read",
        }
        assert not offered & list_only, offered & list_only


async def test_a_click_on_a_quick_tag_toggles_it_in_the_list_and_the_reader(
    services: Services,
) -> None:
    app = make_app(services, config=AppConfig(quick_tags=["to read", "[@click=app.quit]x"]))
    async with running(app, size=(100, 32)) as pilot:
        await search(pilot, "robot")
        paper_id = highlighted_id(app)
        # "1to read  2[@click=app.quit]x": the label of tag 2 starts at column 11.
        await pilot.click("#quick-tags", offset=(12, 0))
        await settle(pilot)
        assert app.is_running  # the tag's name is text, not an action
        assert tags_on_disk(services)[paper_id] == ["[@click=app.quit]x"]
        await pilot.press("enter")
        await pilot.click("ReaderScreen #quick-tags", offset=(3, 0))
        await settle(pilot)
        assert tags_on_disk(services)[paper_id] == ["[@click=app.quit]x", "to read"]
        assert " to read " in reader_text(app)


async def test_palette_and_help_know_the_reader(services: Services) -> None:
    app = make_app(services)
    async with running(app, size=(100, 32)) as pilot:
        await search(pilot, "robot")
        offered = {command.title for command in app.get_system_commands(app.screen)}
        assert "Read paper" in offered
        await app.run_action("read")
        await settle(pilot)
        reader = reader_of(app)
        offered = {command.title for command in app.get_system_commands(reader)}
        assert {"Next paper", "Previous paper", "Back to the list"} <= offered
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        reader_rows = {(key, text) for area, key, text in app.screen.rows if area == "Reader"}
        for key in ("j", "k", "n", "p", "space", "b", "esc", "t", "u", "o", "y"):
            assert any(row_key == key for row_key, _ in reader_rows), key


async def test_math_reads_as_unicode_and_links_are_terminal_hyperlinks(
    services: Services,
) -> None:
    app = make_app(services)
    async with running(app, size=(100, 32)) as pilot:
        await search(pilot, "one step")
        await pilot.press("enter")
        shown = reader_text(app)
        assert "π-Flow: Diffusion Policies in One Step" in shown
        assert "α-divergence" in shown and "k=4" in shown and "10⁻³" in shown
        assert "SAILOR code" in shown and "It costs $5 and $10." in shown
        _, with_codes = rendered_screen(app)
        assert "\x1b]8;" in with_codes
        assert ";https://github.com/example/piflow\x1b\\" in with_codes
        # The paper as stored is untouched: identity and search use it.
        hit = app.table.highlighted_hit
        assert hit is not None and hit.paper.title.startswith(r"$\pi$-Flow")


async def test_hostile_text_stays_inert_in_the_reader(services: Services) -> None:
    app = make_app(services)
    async with running(app, size=(100, 32)) as pilot:
        await search(pilot, "evil")
        await pilot.press("enter")
        shown = reader_text(app)
        assert "[@click=app.quit]Click me[/]" in shown and "[bold]b[/bold]" in shown
        assert "\x1b" not in shown and "\u202e" not in shown
        _, with_codes = rendered_screen(app)
        # Every hyperlink on screen is one we made: a plain http(s) target, no escapes.
        targets = re.findall(r"\x1b\]8;[^;\x1b]*;([^\x1b]*)\x1b\\", with_codes)
        assert all(not target or is_web_link(target) for target in targets), targets
        await pilot.click("#reader-paper", offset=(2, 0))
        await settle(pilot)
        assert app.is_running
        assert HOSTILE_TITLE in [hit.paper.title for hit in app.table.hits]


async def test_a_click_on_a_link_opens_it(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    opened: list[str] = []
    monkeypatch.setattr("webbrowser.open", lambda url: opened.append(url) or True)
    app = make_app(services)
    async with running(app, size=(100, 32)) as pilot:
        await search(pilot, "one step")
        await pilot.press("enter")
        await settle(pilot)
        text, _ = rendered_screen(app)
        lines = text.splitlines()
        row = next(n for n, line in enumerate(lines) if line.strip() == "Links") + 1
        column = lines[row].index("https://")
        await pilot.click(offset=(column + 3, row))
        await settle(pilot)
        assert opened == ["https://github.com/example/piflow"]
        await pilot.click(offset=(column + 3, row - 1))  # the label: not a link
        await settle(pilot)
        assert opened == ["https://github.com/example/piflow"]
