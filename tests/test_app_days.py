"""Pilot tests of the Daily Papers days: a day in its page's order (most upvoted first),
the new papers of a real sync at launch (newest listing day first, "N new papers since
DAY", escape returns), saved searches that keep their view, and the unread count of the
whole result. The library is API JSON, the format that carries upvotes and listing days."""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from app_driver import make_app, notices, running, search, settle, wait_for
from test_app import status_text
from textual.widgets import Input

import browser.app.main as app_main
from browser.models import Paper, SearchFilters
from browser.reading import SavedQuery, SavedView
from browser.services import Services, open_services
from browser.widgets.name_prompt import NamePrompt

# (title, listing day, upvotes or None, comments)
FIRST_BATCH = [
    ("Sparse Attention for Long Videos", "2025-03-03", 12, 1),
    ("Tiny Recursive Reasoners", "2025-03-03", 80, 0),
    ("A Benchmark of Unknown Popularity", "2025-03-03", None, 5),
    ("Diffusion Policies for Dexterous Hands", "2025-03-03", 35, 2),
    ("Scaling Laws of Reward Models", "2025-03-02", 50, 3),
    ("Robots That Fold Laundry", "2025-03-02", 7, 0),
]
LATER_BATCH = [
    ("Streaming Diffusion at the Edge", "2025-03-05", 9, 0),
    ("Agents That Write Their Own Tools", "2025-03-05", 120, 4),
    ("Quantised Transformers Without Loss", "2025-03-04", 60, 1),
    ("Curriculum Learning for Math Proofs", "2025-03-04", 15, 2),
    ("An Unvoted Note on Tokenisers", "2025-03-05", None, 0),
]


def write_api_dump(folder: Path, name: str, batch: list[tuple[str, str, int | None, int]]) -> Path:
    """A saved ``/api/daily_papers`` answer: each paper published the day before its
    listing day, so the listing day, not the date, must give the order."""
    entries = []
    for number, (title, listed, upvotes, comments) in enumerate(batch):
        published = dt.date.fromisoformat(listed) - dt.timedelta(days=1)
        paper: dict[str, object] = {
            "id": f"2503.{abs(hash(title)) % 90000 + 10000:05d}",
            "title": title,
            "summary": f"{title}: what it does and why ({number}).",
            "publishedAt": f"{published.isoformat()}T00:00:00.000Z",
            "authors": [{"name": "Ada Lovelace"}],
        }
        if upvotes is not None:
            paper["upvotes"] = upvotes
        listing = f"{listed}T08:00:00.000Z"
        entries.append({"paper": paper, "submittedOnDailyAt": listing, "numComments": comments})
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(json.dumps(entries), encoding="utf-8")
    return path


def page_order(papers: list[Paper]) -> list[tuple[int, int]]:
    """What the pages' order compares first: newest listing day, most upvoted (ties go
    in the page's own order, which tests/test_page_order.py checks)."""
    return [
        (
            -(paper.listed or dt.date.min).toordinal(),
            -(paper.upvotes if paper.upvotes is not None else -1),
        )
        for paper in papers
    ]


@pytest.fixture
def services(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Services]:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    write_api_dump(tmp_path / "dumps", "2025-03-03.json", FIRST_BATCH)
    opened = open_services(tmp_path / "library")
    opened.sync([tmp_path / "dumps"])
    yield opened
    opened.close()


def shown(app: object) -> list[Paper]:
    return [hit.paper for hit in app.table.hits]  # type: ignore[attr-defined]


async def test_a_day_shows_its_papers_most_upvoted_first(services: Services) -> None:
    app = make_app(services)
    async with running(app) as pilot:
        await search(pilot, "")
        await pilot.press("right_square_bracket")  # the newest listing day
        await settle(pilot)
        await wait_for(pilot, lambda: app.view is not None and app.view.day is not None)
        assert app.view is not None and app.view.day == dt.date(2025, 3, 3)
        papers = shown(app)
        assert {paper.listed for paper in papers} == {dt.date(2025, 3, 3)}
        assert len(papers) == 4
        assert [paper.upvotes for paper in papers] == [80, 35, 12, None]  # unknown last
        assert "sort: Daily Papers order" in status_text(app)
        await pilot.press("left_square_bracket")
        await settle(pilot)
        await wait_for(pilot, lambda: {p.listed for p in shown(app)} == {dt.date(2025, 3, 2)})
        assert [paper.upvotes for paper in shown(app)] == [50, 7]


async def test_the_upvotes_and_listing_day_orders_are_in_the_sort_cycle(
    services: Services,
) -> None:
    app = make_app(services)
    async with running(app) as pilot:
        await search(pilot, "")  # nothing to rank by: newest first
        await pilot.press("s")
        await settle(pilot)
        assert app.sort == "listed" and "sort: Daily Papers order" in status_text(app)
        assert page_order(shown(app)) == sorted(page_order(shown(app)))
        await pilot.press("s")
        await settle(pilot)
        assert app.sort == "upvotes" and "sort: most upvoted" in status_text(app)
        upvotes = [-1 if p.upvotes is None else p.upvotes for p in shown(app)]
        assert upvotes == sorted(upvotes, reverse=True)


async def test_a_real_sync_at_launch_opens_on_the_new_papers(
    services: Services, tmp_path: Path
) -> None:
    """The app's own sync adds papers (no marks written by the test): it opens on them,
    newest listing day first, says how many since the previous sync, and escape returns."""
    before = services.reading.state.new_since()
    assert before is not None  # the first import is the day the next papers are new since
    moment = dt.datetime.fromisoformat(before.replace("Z", "+00:00"))
    dumps = tmp_path / "dumps"
    write_api_dump(dumps, "2025-03-05.json", LATER_BATCH)
    app = make_app(services, dumps=[dumps])
    async with running(app) as pilot:
        await wait_for(pilot, lambda: app.view is not None and app.view.new)
        await settle(pilot)
        titles = {paper.title for paper in shown(app)}
        assert titles == {title for title, *_ in LATER_BATCH}
        assert page_order(shown(app)) == sorted(page_order(shown(app)))
        assert shown(app)[0].title == "Agents That Write Their Own Tools"
        assert {p.listed for p in shown(app)[:3]} == {dt.date(2025, 3, 5)}
        expected = f"5 new papers since {moment:%b} {moment.day}"
        assert any(expected in message for message, _ in notices(app))
        # The status line leads with the count and names the view without repeating it.
        status = status_text(app)
        assert status.startswith("5 papers ") and f"new papers since {moment:%b}" in status
        assert "5 new papers" not in status, status
        await pilot.press("enter")  # from the search bar to the list
        await pilot.press("escape")
        await settle(pilot)
        await wait_for(pilot, lambda: app.view is None)
        assert app.result is not None and app.result.total == len(FIRST_BATCH) + len(LATER_BATCH)
        assert "new papers" not in status_text(app)


async def test_a_saved_search_keeps_its_day_and_the_palette_lists_it(
    services: Services,
) -> None:
    app = make_app(services)
    async with running(app) as pilot:
        await search(pilot, "")
        await pilot.press("right_square_bracket", "left_square_bracket")
        await settle(pilot)
        await wait_for(pilot, lambda: app.view is not None and app.view.day == dt.date(2025, 3, 2))
        await pilot.press("b")
        await settle(pilot)
        assert isinstance(app.screen, NamePrompt)
        app.screen.query_one(Input).value = "[bold]march 2[/bold]"  # a name is data
        await pilot.press("enter")
        await settle(pilot)
        saved = services.reading.saved_query("[bold]march 2[/bold]")
        assert saved is not None and saved.view == SavedView("day", dt.date(2025, 3, 2))
        assert saved.sort == "listed"
        await pilot.press("escape")  # back to the whole library
        await settle(pilot)
        assert app.view is None
        commands = [command.title for command in app.get_system_commands(app.screen)]
        entry = next(title for title in commands if "Saved search:" in title)
        assert entry == r"Saved search: \[bold]march 2\[/bold]"  # escaped for the palette
        command = next(c for c in app.get_system_commands(app.screen) if c.title == entry)
        command.callback()
        await settle(pilot)
        await wait_for(pilot, lambda: app.view is not None and app.view.day is not None)
        await settle(pilot)
        assert [paper.title for paper in shown(app)] == [
            "Scaling Laws of Reward Models",
            "Robots That Fold Laundry",
        ]
        assert app.sort == "listed"


async def test_the_new_papers_view_is_saved_as_such(services: Services, tmp_path: Path) -> None:
    write_api_dump(tmp_path / "dumps", "2025-03-05.json", LATER_BATCH)
    services.sync([tmp_path / "dumps"])
    app = make_app(services)
    async with running(app) as pilot:
        await wait_for(pilot, lambda: app.view is not None and app.view.new)
        await pilot.press("enter")  # to the list
        await pilot.press("b")
        await settle(pilot)
        app.screen.query_one(Input).value = "fresh"
        await pilot.press("enter")
        await settle(pilot)
        saved = services.reading.saved_query("fresh")
        assert saved is not None and saved.view == SavedView("new") and saved.sort == "listed"
        await pilot.press("escape")
        await settle(pilot)
        assert app.view is None
        app.session_flow.run_saved("fresh")
        await settle(pilot)
        await wait_for(pilot, lambda: len(shown(app)) == len(LATER_BATCH))
        assert app.view is not None and app.view.new


def test_the_cli_runs_a_saved_search_in_its_view(
    services: Services, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from browser.cli import main

    day = SavedQuery("", "upvotes", SearchFilters(), SavedView("day", dt.date(2025, 3, 2)))
    services.reading.save_query("march 2", day)
    library = ["--library", str(tmp_path / "library")]
    assert main(["search", "--saved", "march 2", "--json", *library]) == 0
    listed = json.loads(capsys.readouterr().out)["hits"]
    assert [hit["title"] for hit in listed] == [
        "Scaling Laws of Reward Models",
        "Robots That Fold Laundry",
    ]
    assert main(["search", "--sort", "upvotes", "--json", "--limit", "3", *library]) == 0
    assert [hit["title"] for hit in json.loads(capsys.readouterr().out)["hits"]] == [
        "Tiny Recursive Reasoners",
        "Scaling Laws of Reward Models",
        "Diffusion Policies for Dexterous Hands",
    ]


# -- answers that come too late -----------------------------------------------------------


def slowed(method: Callable[..., Any], seconds: float) -> Callable[..., Any]:
    def slow(*arguments: Any, **options: Any) -> Any:
        time.sleep(seconds)
        return method(*arguments, **options)

    return slow


async def test_a_day_step_overtaken_by_a_saved_search_is_dropped(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The exclusive worker group only flags the older worker cancelled: its day used to
    replace the saved search opened after it (review finding)."""
    services.reading.save_query(
        "march 2", SavedQuery("", "listed", view=SavedView("day", dt.date(2025, 3, 2)))
    )
    app = make_app(services)
    async with running(app) as pilot:
        await search(pilot, "")
        monkeypatch.setattr(services, "listing_day_step", slowed(services.listing_day_step, 0.6))
        await pilot.press("right_square_bracket")  # slow: 2025-03-03 would come back late
        app.session_flow.run_saved("march 2")
        await settle(pilot)
        await pilot.pause(0.8)
        await settle(pilot)
        assert app.view is not None and app.view.day == dt.date(2025, 3, 2)
        assert {paper.listed for paper in shown(app)} == {dt.date(2025, 3, 2)}


async def test_a_saved_search_overtaken_by_a_day_step_or_typing_is_dropped(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    services.reading.save_query("robots", SavedQuery("robots", "title"))
    app = make_app(services)
    async with running(app) as pilot:
        await search(pilot, "")
        monkeypatch.setattr(services, "open_saved", slowed(services.open_saved, 0.6))
        app.session_flow.run_saved("robots")
        await pilot.press("right_square_bracket")
        await settle(pilot)
        await pilot.pause(0.8)
        await settle(pilot)
        assert app.search_bar.value == "" and app.sort == "listed"
        assert app.view is not None and app.view.day == dt.date(2025, 3, 3)
        # Typed while it was opening: the user has moved on.
        app.session_flow.run_saved("robots")
        app.search_bar.value = "diffusion"
        await pilot.pause(0.8)
        await settle(pilot)
        assert app.search_bar.value == "diffusion"


async def test_a_failing_day_step_is_reported(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_arguments: Any, **_options: Any) -> None:
        raise OSError("disk I/O error")

    app = make_app(services)
    async with running(app) as pilot:
        await search(pilot, "")
        monkeypatch.setattr(services, "listing_day_step", broken)
        await pilot.press("right_square_bracket")
        await settle(pilot)
        assert any("disk I/O error" in message for message, _ in notices(app))


async def test_quitting_before_the_first_answer_keeps_the_place_to_restore(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Before the first list nothing is highlighted; remembering then used to store no
    paper, so the next launch lost the place (review finding)."""
    robots = next(p.id for p in services.catalog.papers() if p.title.startswith("Robots"))
    services.reading.remember_session(SavedQuery("robots"), robots)
    # Held until the place is remembered: a search slowed by a fixed second answered
    # before the check when the machine was busy (the app took that long to start).
    released = threading.Event()
    search = services.search

    def held(*arguments: Any, **options: Any) -> Any:
        released.wait(timeout=30)
        return search(*arguments, **options)

    monkeypatch.setattr(services, "search", held)
    app = make_app(services)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause(0.1)
        assert app.result is None  # still searching
        app.session_flow.remember_now()
        last = services.reading.last_session()
        released.set()
        assert last is not None and last[1] == robots
        await settle(pilot)


@pytest.mark.parametrize("asked", [True, False])
async def test_the_start_up_heap_is_set_aside_once_after_the_first_list(
    services: Services, monkeypatch: pytest.MonkeyPatch, asked: bool
) -> None:
    """``run_app`` asks for it (``browser.heap``); tests, which start many apps, do not.
    The real ``gc.freeze`` is not run here: it would keep this test process's heap."""
    calls: list[int] = []
    monkeypatch.setattr(app_main, "set_aside_startup_heap", lambda: calls.append(len(calls)))
    app = make_app(services, set_aside_heap=asked)
    async with running(app) as pilot:
        await wait_for(pilot, lambda: app.result is not None)
        await settle(pilot)
        await search(pilot, "robots")
        await settle(pilot)
    assert calls == ([0] if asked else [])


def test_a_day_step_matches_the_words_as_the_list_did(services: Services) -> None:
    """While a query is typed its last word is a prefix ("Diffu" -> Diffusion): the day
    step asked with the list's words finds that paper's day; given whole it finds none."""
    found = services.listing_day_step(None, -1, query="Diffu", prefix_last_word=True)
    assert found is not None
    day, ids = found
    assert day == dt.date(2025, 3, 3)
    assert [services.paper(paper_id).title for paper_id in ids] == [  # type: ignore[union-attr]
        "Diffusion Policies for Dexterous Hands"
    ]
    assert services.listing_day_step(None, -1, query="Diffu") is None


def test_a_typed_trailing_space_finishes_the_word_for_day_steps_and_stats(
    services: Services,
) -> None:
    """``Diffu `` (the space typed) is the word "diffu", as the search reads it; the
    query is stripped before it is matched, so the prefix is decided first."""
    assert services.listing_day_step(None, -1, query="Diffu ", prefix_last_word=True) is None
    typed = services.stats("Diffu", prefix_last_word=True, rising=False)
    finished = services.stats("Diffu ", prefix_last_word=True, rising=False)
    whole = services.stats("Diffu", rising=False)
    assert typed.papers == 1
    assert (finished.papers, finished.corrected_query) == (whole.papers, whole.corrected_query)
    assert services.search("Diffu ", prefix_last_word=True).total == whole.papers


async def test_a_space_typed_after_a_word_being_typed_searches_whole_words(
    services: Services,
) -> None:
    app = make_app(services)
    async with running(app) as pilot:
        app.search_bar.focus()
        await pilot.press(*"Diffu")
        await wait_for(pilot, lambda: app.result is not None and app.result.query == "Diffu")
        await settle(pilot)
        request = app.session.request
        assert request is not None and request.prefix_last_word and app.result.total == 1
        asked = app.session.generation
        await pilot.press("space")
        await wait_for(pilot, lambda: app.session.generation > asked)
        await settle(pilot)
        request = app.session.request
        assert request is not None and not request.prefix_last_word
        assert app.result is not None
        assert app.result.total == services.search("Diffu").total
