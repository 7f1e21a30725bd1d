"""Pilot tests of sessions: where you left off, saved searches (b, B), the new papers
at launch (Esc returns to the library), and day by day ([, ])."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from app_driver import make_app, notices, running, search, settle, wait_for
from test_app import build_library, status_text, titles
from test_app_reading import highlighted_id
from textual.widgets import Input

from browser.models import SearchFilters, StatePredicate
from browser.reading import SavedQuery
from browser.services import Services
from browser.widgets.name_prompt import NamePrompt
from browser.widgets.picker import PickerScreen


@pytest.fixture
def services(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Services]:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    built = build_library(tmp_path)
    yield built
    built.close()


async def test_launch_restores_the_query_sort_filter_and_paper(services: Services) -> None:
    app = make_app(services)
    async with running(app) as pilot:
        await search(pilot, "diffusion")
        await pilot.press("s")  # newest first
        await settle(pilot)
        await pilot.press("down")
        await settle(pilot)
        chosen = highlighted_id(app)
        sort = app.sort
        await pilot.press("q")
    again = make_app(services)
    async with running(again) as pilot:
        await wait_for(pilot, lambda: again.result is not None and again.search_bar.value != "")
        await wait_for(pilot, lambda: getattr(again.result, "query", "") == "diffusion")
        assert again.search_bar.value == "diffusion"
        assert again.sort == sort
        assert highlighted_id(again) == chosen


def count_searches(services: Services, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The queries ``services.search`` is asked for a list, in order (the unread count's
    one-hit searches left out)."""
    asked: list[str] = []
    search = services.search

    def counting(query: str = "", **options: object) -> object:
        if options.get("limit") != 1:
            asked.append(query)
        return search(query, **options)  # type: ignore[arg-type]

    monkeypatch.setattr(services, "search", counting)
    return asked


async def test_the_app_setting_the_bar_searches_once(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A restored session and a saved search put their query in the bar themselves; the
    # bar's change event must not search the same words a second time (as a typing pass).
    services.reading.remember_session(SavedQuery("diffusion"), None)
    services.reading.save_query("robots", SavedQuery("robot"))
    asked = count_searches(services, monkeypatch)
    app = make_app(services)
    async with running(app) as pilot:
        await wait_for(pilot, lambda: getattr(app.result, "query", "") == "diffusion")
        await pilot.pause(0.3)  # past the debounce
        await settle(pilot)
        assert asked == ["diffusion"]
        app.session_flow.run_saved("robots")
        await wait_for(pilot, lambda: getattr(app.result, "query", "") == "robot")
        await pilot.pause(0.3)
        await settle(pilot)
        assert asked == ["diffusion", "robot"]
        # Typing still searches, even back to the words already shown.
        app.search_bar.focus()
        await pilot.press("s", "backspace")
        await pilot.pause(0.3)
        await settle(pilot)
        # On a loaded machine the two keys can be a debounce apart: "robots" may be asked too.
        assert asked[-1] == "robot" and len(asked) >= 3
        assert set(asked[2:]) <= {"robots", "robot"}


async def test_paths_on_the_command_line_start_afresh(services: Services, tmp_path: Path) -> None:
    services.reading.remember_session(SavedQuery("pokemon"), None)
    dumps = tmp_path / "dumps"
    app = make_app(services, dumps=[dumps])
    async with running(app) as pilot:
        await settle(pilot)
        assert app.search_bar.value == ""


async def test_b_saves_the_search_and_B_jumps_back_to_it(services: Services) -> None:
    app = make_app(services)
    async with running(app) as pilot:
        await search(pilot, "diffusion")
        await pilot.press("b")
        await settle(pilot)
        assert isinstance(app.screen, NamePrompt)
        app.screen.query_one(Input).value = "weekly diffusion"
        await pilot.press("enter")
        await settle(pilot)
        saved = services.reading.saved_query("weekly diffusion")
        assert saved is not None and saved.query == "diffusion"
        await search(pilot, "pokemon")
        await pilot.press("B")
        await settle(pilot)
        assert isinstance(app.screen, PickerScreen)
        await pilot.press("enter")
        await settle(pilot)
        await wait_for(pilot, lambda: app.result is not None and app.result.query == "diffusion")
        assert app.search_bar.value == "diffusion"


async def test_a_saved_search_with_user_state_filters_becomes_a_view(services: Services) -> None:
    pokemon = services.search("pokemon").hits[0].paper.id
    services.reading.set_read([pokemon])
    read = SearchFilters(states=(StatePredicate("read"),))
    services.reading.save_query("done", SavedQuery("", "newest", read))
    app = make_app(services)
    async with running(app) as pilot:
        await pilot.press("enter")  # to the list
        await pilot.press("B", "enter")
        await settle(pilot)
        await wait_for(pilot, lambda: [hit.paper.id for hit in app.table.hits] == [pokemon])
        await pilot.press("escape")
        await settle(pilot)
        await wait_for(pilot, lambda: len(app.table.hits) > 1)


async def test_new_papers_open_once_with_a_notice_and_escape_returns(services: Services) -> None:
    robots = services.search("robot").hits[0].paper.id
    services.reading.state.replace_new([robots])
    app = make_app(services)
    async with running(app) as pilot:
        await settle(pilot)
        assert [hit.paper.id for hit in app.table.hits] == [robots]
        # The day of the first import; the count leads the line and is not said twice.
        status = status_text(app)
        assert status.startswith("1 paper ") and "new paper since " in status, status
        assert "1 new paper" not in status, status
        assert any("new paper" in message for message, _ in notices(app))
        await pilot.press("enter")  # from the search bar to the list
        await pilot.press("escape")
        await settle(pilot)
        assert len(titles(app)) > 1 and "new papers" not in status_text(app)
        await pilot.press("q")
    again = make_app(services)
    async with running(again) as pilot:
        await settle(pilot)
        assert len(titles(again)) > 1  # the same batch is not announced twice


async def test_no_match_among_the_new_papers_says_the_search_was_only_there(
    services: Services,
) -> None:
    # "No papers match “pokemon”" while only the new papers were searched read as if
    # the library had none (newcomer's finding): the notice names the view and esc.
    robots = services.search("robot").hits[0].paper.id
    services.reading.state.replace_new([robots])
    app = make_app(services)
    async with running(app) as pilot:
        await settle(pilot)
        await search(pilot, "pokemon")
        await wait_for(pilot, lambda: getattr(app.result, "query", "") == "pokemon")
        notice = app.main_screen.notice
        text = str(notice.visual) if notice.display else ""
        assert "No papers match “pokemon”" in text
        assert "the new papers only (esc leaves them)" in text


async def test_brackets_step_through_the_days_of_the_search(services: Services) -> None:
    app = make_app(services)
    async with running(app) as pilot:
        await search(pilot, "")
        await pilot.press("right_square_bracket")  # from no day: the newest day
        await settle(pilot)
        await wait_for(pilot, lambda: "day " in status_text(app))
        days = {hit.paper.date for hit in app.table.hits}
        assert len(days) == 1
        newest = days.pop()
        assert newest is not None and f"day {newest:%a} {newest.isoformat()}" in status_text(app)
        await pilot.press("left_square_bracket")
        await settle(pilot)
        await wait_for(pilot, lambda: {h.paper.date for h in app.table.hits} != {newest})
        earlier = {hit.paper.date for hit in app.table.hits}
        assert len(earlier) == 1 and next(iter(earlier)) < newest  # type: ignore[operator]
        # With a query, only its days: "diffusion" papers are from two days.
        await search(pilot, "diffusion")
        assert app.view is not None  # the day stays, the query narrows it
        await pilot.press("escape")
        await settle(pilot)
        assert app.view is None and len(titles(app)) >= 2
        await pilot.press("right_square_bracket")
        await settle(pilot)
        await wait_for(pilot, lambda: app.view is not None)
        assert all("iffusion" in hit.paper.title for hit in app.table.hits)
        await pilot.press("right_square_bracket")  # nothing later
        await settle(pilot)
        assert any("No later" in message for message, _ in notices(app))


async def test_a_saved_searchs_state_filters_stay_under_days_and_when_saved_again(
    services: Services,
) -> None:
    """Review finding: stepping to a day from a saved ``is:unread`` search, or saving it
    again from a day, dropped ``is:unread``."""
    pokemon = services.search("pokemon").hits[0].paper.id  # the newest day, 2024-06-02
    video = services.search("video diffusion transformers").hits[0].paper.id  # 2024-05-05
    services.reading.set_read([pokemon])
    unread = SearchFilters(states=(StatePredicate("read", "", True),))
    services.reading.save_query("unread days", SavedQuery("", "newest", unread))
    app = make_app(services)
    async with running(app) as pilot:
        await pilot.press("enter")  # to the list
        await pilot.press("B", "enter")
        await settle(pilot)
        await wait_for(pilot, lambda: pokemon not in {h.paper.id for h in app.table.hits})
        await pilot.press("right_square_bracket")  # the newest day with an unread paper
        await settle(pilot)
        await wait_for(pilot, lambda: "day " in status_text(app))
        await wait_for(pilot, lambda: [h.paper.id for h in app.table.hits] == [video])
        await pilot.press("b")
        await settle(pilot)
        assert isinstance(app.screen, NamePrompt)
        app.screen.query_one(Input).value = "unread days"
        await pilot.press("enter")
        await settle(pilot)
        saved = services.reading.saved_query("unread days")
        assert saved is not None
        assert saved.filters.states == unread.states
        assert saved.view is not None and saved.view.day is not None
        assert saved.view.day.isoformat() == "2024-05-05"


async def test_tab_completes_an_existing_saved_name(services: Services) -> None:
    """The prompt says "Tab completes": Tab takes the suggested name, so Enter replaces
    that search instead of saving a new one under the typed prefix."""
    services.reading.save_query("semi; ctlred", SavedQuery("robots"))
    app = make_app(services)
    async with running(app) as pilot:
        await search(pilot, "diffusion")
        await pilot.press("b")
        await settle(pilot)
        assert isinstance(app.screen, NamePrompt)
        await pilot.press("s", "E")  # completion ignores case
        await pilot.pause(0.2)  # the suggester answers in a worker
        await pilot.press("tab", "enter")
        await settle(pilot)
        assert [s.name for s in services.reading.saved_searches()] == ["semi; ctlred"]
        saved = services.reading.saved_query("semi; ctlred")
        assert saved is not None and saved.query == "diffusion"
