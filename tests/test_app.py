"""Pilot tests of every user flow, over real services built on a tiny library in tmp_path."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from app_driver import make_app, notices, running, search, settle, wait_for
from conftest import DumpPaper, write_dump
from hardening import user_rows
from textual.binding import Binding
from textual.content import Content
from textual.widgets import Input, OptionList, Static

from browser.app import PALETTE_COMMANDS, PaperBrowserApp, link_for
from browser.app.messages import SearchCompleted, SearchRequest, SyncFinished
from browser.config import AppConfig, LoadedConfig, load_config
from browser.export import EXPORT_FORMATS, ExportOptions
from browser.identity import paper_id
from browser.models import ParseProblem, SearchCancelled, SearchResult
from browser.search import whoosh_internals
from browser.search_session import PAGE_SIZE, TYPING_PAGE_SIZE
from browser.services import ExportSelection, Services, SyncSummary, open_services
from browser.userdata import UserData
from browser.widgets.export_prompt import ExportPrompt
from browser.widgets.help_screen import HelpScreen
from browser.widgets.picker import PickerScreen
from browser.widgets.reader import ReaderScreen
from browser.widgets.results_table import ResultsTable
from browser.widgets.search_bar import SearchBar
from browser.widgets.tag_prompt import TagPrompt

HOSTILE_TITLE = "[@click=app.quit]Click me[/] \x1b[31mred\x1b[0m [bold]b[/bold] \u202eevil $x$"

PAPERS = [
    DumpPaper(
        "Reinforcement Learning for Robot Policies",
        "We train robot policies with reinforcement learning and reward shaping. "
        "Code: https://github.com/example/robots",
        authors=5,
        date="Jan 10, 2024",
        comments=3,
    ),
    DumpPaper(
        "Pokémon Battles as a Benchmark for Planning",
        "Planning agents play Pokémon battles against each other.",
        authors=2,
        date="Jun 2, 2024",
        comments=1,
    ),
    DumpPaper(
        "Diffusion Models for Text-to-3D Generation",
        "Score distillation with diffusion models produces 3D assets from text.",
        organization="nvidia NVIDIA",
        date="Feb 20, 2023",
    ),
    DumpPaper(
        HOSTILE_TITLE,
        "An abstract with [@click=app.quit] and \x1b]8;;http://evil\x07osc\x1b]8;;\x07 inside.",
        authors=1,
        date="Mar 1, 2024",
        comments=12,
    ),
    DumpPaper(
        "Video Diffusion Transformers at Scale",
        "Diffusion transformers generate long videos; we study scaling of video diffusion.",
        authors=9,
        date="May 5, 2024",
        comments=7,
    ),
]


def build_library(root: Path, papers: list[DumpPaper] = PAPERS) -> Services:
    # No page date: the papers have no listing day, so screens show (and stats count) their
    # own dates. Listing days are tested in test_listed.py and test_stats.py.
    dump = write_dump(root / "dumps", "2024-06-03_daily-papers.txt", papers, page_date=None)
    services = open_services(root / "library")
    services.sync([dump])
    return services


@pytest.fixture
def services(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Services]:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    built = build_library(tmp_path)
    yield built
    built.close()


def titles(app: PaperBrowserApp) -> list[str]:
    return [hit.paper.title for hit in app.table.hits]


def tags_on_disk(services: Services) -> dict[str, list[str]]:
    """What is committed to the user-data file, read by a second connection."""
    return user_rows(services.userdata.path.parent, "tag", "name")


def abstract_text(app: PaperBrowserApp) -> str:
    visual = app.query_one("#paper", Static).visual
    assert isinstance(visual, Content)
    return visual.plain


# ---------------------------------------------------------------- searching


async def test_first_search_lists_every_paper(services: Services) -> None:
    app = make_app(services)
    async with running(app):
        assert app.result is not None
        assert len(titles(app)) == len(PAPERS)
        assert app.focused is app.search_bar
        # No words to rank by: the list is newest first, and the status says so.
        assert "sort: newest" in status_text(app)


async def test_typing_searches_as_you_type_and_shows_the_best_match(services: Services) -> None:
    app = make_app(services)
    async with running(app) as pilot:
        await pilot.press(*"pokemon")
        await wait_for(pilot, lambda: app.result is not None and app.result.query == "pokemon")
        assert titles(app)[0] == "Pokémon Battles as a Benchmark for Planning"
        status = app.query_one("#status-text", Static).visual
        assert isinstance(status, Content)
        assert "1 paper " in status.plain and "sort: relevance" in status.plain


async def test_stale_results_are_dropped(services: Services) -> None:
    app = make_app(services)
    async with running(app) as pilot:
        await search(pilot, "diffusion")
        shown = titles(app)
        stale = SearchRequest(
            generation=app.session.generation - 1, query="pokemon", sort="relevance"
        )
        app.post_message(SearchCompleted(stale, SearchResult(query="pokemon")))
        await settle(pilot)
        assert titles(app) == shown


def status_text(app: PaperBrowserApp) -> str:
    status = app.query_one("#status-text", Static).visual
    assert isinstance(status, Content)
    return status.plain


async def test_a_typing_pass_cut_short_keeps_the_list_until_the_settled_answer(
    services: Services,
) -> None:
    app = make_app(services)
    async with running(app) as pilot:
        await search(pilot, "diffusion")
        shown = titles(app)
        # Long enough that a loaded machine cannot run the settled search before we look.
        app.session.settle_empty_seconds = 1.0
        app.session.generation += 1
        cut_short = SearchRequest(
            generation=app.session.generation,
            query="diffusion",
            sort="relevance",
            time_budget_ms=60.0,
        )
        app.post_message(SearchCompleted(cut_short, SearchResult(query="diffusion", partial=True)))
        await pilot.pause()
        # Out of time is not "no papers match": the rows stay and the status says why.
        assert titles(app) == shown
        assert "searching…" in status_text(app)
        assert not app.query_one("#notice", Static).display
        await wait_for(pilot, lambda: "searching…" not in status_text(app))
        assert titles(app) == shown
        assert "refining" not in status_text(app)


async def test_a_search_the_next_one_cancels_is_dropped_quietly(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = make_app(services)
    polled: list[bool] = []
    real_search = services.index.search

    def cancelled_midway(query: str, **options: Any) -> SearchResult:
        cancelled = options["cancelled"]
        polled.append(cancelled())  # the running worker: not cancelled
        if query == "pokemon":
            raise SearchCancelled
        return real_search(query, **options)

    async with running(app) as pilot:
        await search(pilot, "diffusion")
        shown = titles(app)
        monkeypatch.setattr(services.index, "search", cancelled_midway)
        await search(pilot, "pokemon")
        # The bar's new words search at once (the first key after a pause), then Enter,
        # whose search cancels that one: under load before or after it polled. Enter's
        # own worker polled while it ran, not cancelled.
        assert polled and not polled[-1]
        assert titles(app) == shown  # no error row, no empty list
        assert not app.query_one("#notice", Static).display


async def test_highlighting_a_row_shows_its_abstract_with_matches(services: Services) -> None:
    app = make_app(services)
    async with running(app) as pilot:
        await search(pilot, "diffusion")
        assert app.focused is app.table
        first = app.table.hits[0]
        assert first.abstract_highlights, "the index should report matched spans"
        assert first.paper.abstract in abstract_text(app)
        await pilot.press("down")
        second = app.table.hits[1]
        assert second.paper.title in abstract_text(app)


async def test_no_hits_and_misspellings_are_explained(services: Services) -> None:
    app = make_app(services)
    async with running(app) as pilot:
        await search(pilot, "zzzqqqxx")
        notice = app.query_one("#notice", Static)
        assert notice.display
        assert isinstance(notice.visual, Content) and "No papers match" in notice.visual.plain
        assert app.check_action("quick_tag", (1,)) is False
        await search(pilot, "difusion")
        assert app.result is not None
        assert app.result.corrected_query or app.result.suggestion
        assert isinstance(notice.visual, Content)
        assert "showing results for" in notice.visual.plain or "Did you mean" in notice.visual.plain


async def test_half_typed_syntax_shows_results_and_says_what_was_read(
    services: Services,
) -> None:
    app = make_app(services)
    async with running(app) as pilot:
        await search(pilot, "date:[2024-01 TO")
        notice = app.query_one("#notice", Static)
        assert notice.display and isinstance(notice.visual, Content)
        assert "is not closed: read it as date:[2024-01 TO]" in notice.visual.plain
        assert "invalid literal" not in notice.visual.plain
        assert titles(app)  # the papers from January 2024 on
        await search(pilot, "diffusion AND")
        assert "“AND” at the end" in notice.visual.plain
        assert titles(app)


# ---------------------------------------------------------------- tagging


async def test_quick_tag_saves_at_once_and_undo_reverts(services: Services) -> None:
    app = make_app(services)
    async with running(app) as pilot:
        await search(pilot, "robot")
        paper_id = app.table.hits[0].paper.id
        await pilot.press("1")
        assert tags_on_disk(services)[paper_id] == ["to read"]
        row = app.table.get_row(paper_id)
        assert "to read" in row[-1].plain
        await pilot.press("3")
        assert tags_on_disk(services)[paper_id] == ["to read", "important"]
        await pilot.press("u")
        assert tags_on_disk(services)[paper_id] == ["to read"]
        await pilot.press("1")
        assert paper_id not in tags_on_disk(services)
        assert "to read" not in app.table.get_row(paper_id)[-1].plain


async def test_triage_mode_moves_on_after_a_quick_tag(services: Services) -> None:
    app = make_app(services)
    async with running(app) as pilot:
        await search(pilot, "diffusion")
        first, second = app.table.hits[0].paper.id, app.table.hits[1].paper.id
        await pilot.press("a", "2")
        assert tags_on_disk(services)[first] == ["read"]
        assert app.table.highlighted_hit is not None
        assert app.table.highlighted_hit.paper.id == second


async def test_tag_prompt_completes_known_tags_and_removes_with_minus(services: Services) -> None:
    app = make_app(services)
    async with running(app) as pilot:
        await search(pilot, "planning")
        paper_id = app.table.hits[0].paper.id
        await pilot.press("t")
        assert isinstance(app.screen, TagPrompt)
        await pilot.press(*"imp")
        prompt_input = app.screen.query_one(Input)
        await wait_for(pilot, lambda: prompt_input._suggestion == "important")
        await pilot.press("right", "enter")
        await settle(pilot)
        assert tags_on_disk(services)[paper_id] == ["important"]
        await pilot.press("t", *"my own tag", "enter")
        assert tags_on_disk(services)[paper_id] == ["important", "my own tag"]
        await pilot.press("t", *"-important", "enter")
        assert tags_on_disk(services)[paper_id] == ["my own tag"]


async def test_remove_picker_lists_the_papers_tags(services: Services) -> None:
    app = make_app(services)
    async with running(app) as pilot:
        await search(pilot, "planning")
        paper_id = app.table.hits[0].paper.id
        await pilot.press("1", "4", "x")
        assert isinstance(app.screen, PickerScreen)
        options = app.screen.query_one(OptionList)
        assert [options.get_option_at_index(i).id for i in range(options.option_count)] == [
            "to read",
            "later",
        ]
        await pilot.press("down", "enter")
        await settle(pilot)
        assert tags_on_disk(services)[paper_id] == ["to read"]


async def test_bad_tag_names_are_reported_not_raised(services: Services) -> None:
    app = make_app(services)
    async with running(app) as pilot:
        await search(pilot, "planning")
        await pilot.press("t")
        app.screen.query_one(Input).value = "x" * 300
        await pilot.press("enter")
        await settle(pilot)
        assert app.is_running
        assert any(severity == "error" for _, severity in notices(app))


async def test_read_only_tag_store_refuses_tagging_with_a_message(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    library = tmp_path / "library"
    library.mkdir()
    (library / "userdata.sqlite3").write_text("{ not json", encoding="utf-8")
    services = build_library(tmp_path)
    try:
        assert services.tags.read_only
        app = make_app(services)
        async with running(app) as pilot:
            await search(pilot, "robot")
            await pilot.press("1")
            assert app.is_running
            messages = [message for message, _ in notices(app)]
            assert any("read-only" in message for message in messages)
    finally:
        services.close()
    assert (library / "userdata.sqlite3").read_text(encoding="utf-8") == "{ not json"


# ---------------------------------------------------------------- moving and finding


async def test_sort_cycles_and_orders_rows(services: Services) -> None:
    app = make_app(services)
    async with running(app) as pilot:
        await search(pilot, "diffusion")
        assert app.result is not None and app.result.sort == "relevance"
        await pilot.press("s")
        await settle(pilot)
        assert app.sort == "newest"
        dates = [hit.paper.date for hit in app.table.hits if hit.paper.date]
        assert dates == sorted(dates, reverse=True)
        assert str(app.table.columns["date"].label).endswith("▼")
        await pilot.press("s", "s")  # the pages' order, most upvoted (test_app_days.py)
        await settle(pilot)
        assert app.sort == "upvotes"
        await pilot.press("s")
        await settle(pilot)
        assert app.sort == "comments"
        comments = [hit.paper.comments or 0 for hit in app.table.hits]
        assert comments == sorted(comments, reverse=True)
        await pilot.press("s")
        await settle(pilot)
        assert app.sort == "title"
        await pilot.press("s")
        await settle(pilot)
        assert app.sort == "relevance"


async def test_sort_starts_from_the_order_on_screen(services: Services) -> None:
    app = make_app(services)
    async with running(app) as pilot:
        await search(pilot, "")  # nothing to rank by: already newest first
        assert app.result is not None and app.result.sort == "newest"
        await pilot.press("s")
        await settle(pilot)
        assert app.sort == "listed"
        assert "sort: Daily Papers order" in status_text(app)


async def test_tag_filter_shows_tagged_or_untagged_papers(services: Services) -> None:
    app = make_app(services)
    async with running(app) as pilot:
        await search(pilot, "robot")
        tagged_title = titles(app)[0]
        await pilot.press("3")
        await search(pilot, "")
        await pilot.press("f")
        assert isinstance(app.screen, PickerScreen)
        options = app.screen.query_one(OptionList)
        ids = [options.get_option_at_index(i).id for i in range(options.option_count)]
        assert ids == ["all", "tagged", "untagged", "tag:important"]
        options.highlighted = ids.index("tag:important")
        await pilot.press("enter")
        await settle(pilot)
        assert titles(app) == [tagged_title]
        await pilot.press("f")
        options = app.screen.query_one(OptionList)
        options.highlighted = 2
        await pilot.press("enter")
        await settle(pilot)
        assert tagged_title not in titles(app)
        assert len(titles(app)) == len(PAPERS) - 1


@pytest.mark.parametrize(
    "quoted", ['the "best" one', 'tag:"x" OR y', "(paren) -minus", "back\\slash"]
)
async def test_the_tag_filter_keeps_every_character_of_the_tag_name(
    services: Services, quoted: str
) -> None:
    """Once the filter crossed to the index as query text and lost its quotes: choosing
    'the "best" one' showed the papers tagged 'the best one'."""
    app = make_app(services)
    async with running(app) as pilot:
        await search(pilot, "")
        first, second = app.table.hits[0].paper, app.table.hits[1].paper
        services.tags.add(first.id, quoted, title=first.title)
        lossy = quoted.replace('"', "").replace("\\", "")
        if lossy != quoted:  # what the name became as query text
            services.tags.add(second.id, lossy, title=second.title)
        await pilot.press("f")
        assert isinstance(app.screen, PickerScreen)
        options = app.screen.query_one(OptionList)
        ids = [options.get_option_at_index(i).id for i in range(options.option_count)]
        options.highlighted = ids.index("tag:" + quoted)
        await pilot.press("enter")
        await settle(pilot)
        assert [hit.paper.id for hit in app.table.hits] == [first.id]
        assert quoted in status_text(app)
        # The filter applies on top of the words, and to similar papers too.
        await search(pilot, "zzzznothing")
        assert app.table.hits == []


async def test_more_like_this_and_escape_back(services: Services) -> None:
    app = make_app(services)
    async with running(app) as pilot:
        await search(pilot, "diffusion")
        source = app.table.hits[0].paper
        await pilot.press("m")
        await settle(pilot)
        assert app.like is not None and app.like.paper.id == source.id
        assert source.id not in [hit.paper.id for hit in app.table.hits]
        assert app.table.hits, "a paper about diffusion should have a similar one"
        # Ranked by likeness to the paper, which the status says; no "sort: relevance".
        assert "similar" in status_text(app) and "relevance" not in status_text(app)
        await pilot.press("escape")
        await settle(pilot)
        assert app.like is None
        assert app.result is not None and app.result.query == "diffusion"


async def test_keys_move_the_cursor(services: Services) -> None:
    app = make_app(services)
    async with running(app) as pilot:
        await search(pilot, "")
        await pilot.press("j", "j")
        assert app.table.cursor_row == 2
        await pilot.press("k")
        assert app.table.cursor_row == 1
        await pilot.press("G")
        assert app.table.cursor_row == len(PAPERS) - 1
        await pilot.press("g")
        assert app.table.cursor_row == 0
        await pilot.press("slash")
        assert app.focused is app.search_bar
        await pilot.press("escape")
        assert app.focused is app.table


async def test_the_list_fetches_more_hits_as_the_reader_nears_its_end(tmp_path: Path) -> None:
    many = [
        DumpPaper(f"Scaling study number {n}", f"Scaling again, case {n}.", authors=2)
        for n in range(450)
    ]
    services = build_library(tmp_path, many)
    try:
        app = make_app(services)
        async with running(app, size=(100, 30)) as pilot:
            await search(pilot, "scaling")
            first_page = titles(app)
            assert len(first_page) == 200
            assert "200 of 450 papers" in status_text(app)
            app.table.scroll_end(animate=False)  # as the mouse wheel would
            await settle(pilot)
            assert titles(app)[:200] == first_page
            assert len(titles(app)) == 400
            assert app.table.cursor_row == 0  # scrolling moves the view, not the reader
            await pilot.press("G")  # the last row: the next page comes
            await settle(pilot)
            assert app.table.cursor_row == 399
            assert len(set(titles(app))) == len(titles(app)) == 450
            assert "450 papers" in status_text(app)
            # A new search starts from one page again.
            await search(pilot, "scaling case")
            assert len(titles(app)) == 200
    finally:
        services.close()


async def test_typing_shows_a_first_page_and_the_rest_comes_as_the_reader_scrolls(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The typing pass asks only for what a screen shows (TYPING_PAGE_SIZE) and is final:
    the reader who goes on gets the next pages, without pressing Enter."""
    # A budget a loaded test machine cannot overrun: the pass must not be cut short here.
    monkeypatch.setattr("browser.app.searching.TYPING_BUDGET_MS", 10_000.0)
    many = [DumpPaper(f"Scaling study number {n}", f"Scaling again, case {n}.") for n in range(450)]
    services = build_library(tmp_path, many)
    try:
        app = make_app(services)
        async with running(app, size=(100, 30)) as pilot:
            await pilot.press(*"scaling")
            await wait_for(pilot, lambda: getattr(app.result, "query", "") == "scaling")
            await settle(pilot)
            assert app.session.request is not None and app.session.request.typing
            assert len(titles(app)) == TYPING_PAGE_SIZE
            assert f"{TYPING_PAGE_SIZE} of 450 papers" in status_text(app)
            first_page = titles(app)
            app.table.focus()
            await pilot.press("G")  # the last loaded row: the next page comes
            await settle(pilot)
            await wait_for(pilot, lambda: len(titles(app)) > TYPING_PAGE_SIZE)
            assert titles(app)[:TYPING_PAGE_SIZE] == first_page
            # A page of PAGE_SIZE; the view landing near the new end may ask for the next.
            assert len(titles(app)) in (TYPING_PAGE_SIZE + PAGE_SIZE, 450)
            await pilot.press("G")
            await settle(pilot)
            await wait_for(pilot, lambda: len(titles(app)) == 450)
            assert len(set(titles(app))) == 450
    finally:
        services.close()


async def test_open_uses_first_link_in_a_thread(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    opened: list[str] = []
    monkeypatch.setattr("webbrowser.open", lambda url: opened.append(url) or True)
    app = make_app(services)
    async with running(app) as pilot:
        await search(pilot, "robot")
        await pilot.press("o")
        await settle(pilot)
        assert opened == ["https://github.com/example/robots"]
        await search(pilot, "pokemon")
        await pilot.press("o")
        await settle(pilot)
        assert opened[-1].startswith("https://huggingface.co/papers?q=Pok")


@pytest.mark.parametrize(
    "bad", ["http://[github.com/x", "https://example.com:99999/x", "http://example.com:port/"]
)
async def test_links_urlsplit_refuses_neither_crash_open_nor_copy_nor_export(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, bad: str
) -> None:
    opened: list[str] = []
    monkeypatch.setattr("webbrowser.open", lambda url: opened.append(url) or True)
    paper = DumpPaper("Broken Link Paper", f"Code at {bad} and https://good.example/code.")
    services = build_library(tmp_path, [paper])
    try:
        assert bad in services.catalog.paper(paper_id(paper.title)).links  # type: ignore[union-attr]
        app = make_app(services)
        async with running(app) as pilot:
            await search(pilot, "broken")
            await pilot.press("o")
            await settle(pilot)
            assert opened == ["https://good.example/code"]
            await pilot.press("y")
            assert app.clipboard.endswith("\nhttps://good.example/code")
            assert app.return_code is None  # still running
        for export_format in EXPORT_FORMATS:
            out = io.StringIO(newline="")
            options = ExportOptions(format=export_format)
            services.export(ExportSelection(query="broken"), options, out=out)
            assert "good.example" in out.getvalue()
    finally:
        services.close()


async def test_copy_puts_title_and_link_on_the_clipboard(services: Services) -> None:
    app = make_app(services)
    async with running(app) as pilot:
        await search(pilot, "robot")
        await pilot.press("y")
        hit = app.table.hits[0]
        assert app.clipboard == f"{hit.paper.title}\n{link_for(hit)}"


# ---------------------------------------------------------------- export


async def test_export_writes_the_current_results(services: Services, tmp_path: Path) -> None:
    app = make_app(services)
    target = tmp_path / "out" / "results.csv"
    async with running(app) as pilot:
        await search(pilot, "diffusion")
        expected = {hit.paper.id for hit in app.table.hits}
        await pilot.press("e")
        assert isinstance(app.screen, ExportPrompt)
        path_input = app.screen.query_one("#export-path", Input)
        assert path_input.value.endswith("paper-browser-export-20250102.csv")
        path_input.value = str(target)
        await pilot.press("enter")
        await settle(pilot)
    with target.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert {row["id"] for row in rows} == expected


async def test_export_of_tagged_papers(services: Services, tmp_path: Path) -> None:
    app = make_app(services)
    target = tmp_path / "tagged.csv"
    async with running(app) as pilot:
        await search(pilot, "robot")
        await pilot.press("1")
        tagged_id = app.table.hits[0].paper.id
        await search(pilot, "diffusion")
        await pilot.press("e")
        assert isinstance(app.screen, ExportPrompt)
        app.screen.query_one("#export-path", Input).value = str(target)
        await pilot.click("#scope-tagged")
        await pilot.click("#export-ok")
        await settle(pilot)
        assert any(str(target) in message for message, _ in notices(app))
    with target.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [(row["id"], row["tags"]) for row in rows] == [(tagged_id, "to read")]


async def test_export_to_an_unwritable_place_says_why(services: Services, tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("x", encoding="utf-8")
    app = make_app(services)
    async with running(app) as pilot:
        await pilot.press("enter", "e")
        app.screen.query_one("#export-path", Input).value = str(blocker / "out.csv")
        await pilot.press("enter")
        await settle(pilot)
        assert app.is_running
        assert any("Export failed" in message for message, _ in notices(app))


# ---------------------------------------------------------------- keys, help, palette


def all_bindings() -> list[Binding]:
    bindings = [*ResultsTable.BINDINGS, *SearchBar.BINDINGS, *PaperBrowserApp.BINDINGS]
    for screen in (TagPrompt, PickerScreen, HelpScreen, ExportPrompt, ReaderScreen):
        bindings.extend(screen.BINDINGS)
    return [binding for binding in bindings if isinstance(binding, Binding)]


def test_every_binding_has_a_description() -> None:
    missing = [binding.key for binding in all_bindings() if not binding.description.strip()]
    assert missing == []


async def test_help_lists_every_binding_with_its_description(services: Services) -> None:
    app = make_app(services, config=AppConfig(quick_tags=("to read", "read", "important")))
    async with running(app) as pilot:
        await pilot.press("enter", "question_mark")
        assert isinstance(app.screen, HelpScreen)
        rows = app.screen.rows
        described = {(key, description) for _, key, description in rows}
        assert all(description for _, _, description in rows)
        assert ("1", "Toggle tag “to read”") in described
        assert ("3", "Toggle tag “important”") in described
        assert not any(key == "4" for key, _ in described), "unset quick tags are not listed"
        keys = {key for key, _ in described}
        for expected in (
            "/",
            "t",
            "x",
            "u",
            "s",
            "f",
            "m",
            "o",
            "y",
            "a",
            "e",
            "?",
            "q",
            "j",
            "k",
            "g",
            "G",
            "esc",
            "^p",
        ):
            assert expected in keys, expected
        await pilot.press("escape")
        assert not isinstance(app.screen, HelpScreen)


async def test_palette_offers_every_action(services: Services) -> None:
    app = make_app(services)
    async with running(app) as pilot:
        await pilot.press("enter", "1")
        titles_offered = {command.title for command in app.get_system_commands(app.screen)}
        # Leaving similar papers or a day is offered only in one of them.
        back = next(c.title for c in PALETTE_COMMANDS if c.action == "clear_context")
        for command in PALETTE_COMMANDS:
            assert command.title in titles_offered or command.title == back
        assert back not in titles_offered
        assert "Toggle tag “to read”" in titles_offered
        await pilot.press("m")  # similar papers
        await settle(pilot)
        assert back in {command.title for command in app.get_system_commands(app.screen)}


async def test_footer_dims_tagging_without_a_paper(services: Services) -> None:
    app = make_app(services)
    async with running(app) as pilot:
        await search(pilot, "nothingmatchesthis")
        assert app.check_action("tag_prompt", ()) is False
        assert app.check_action("quick_tag", (1,)) is False
        assert app.check_action("quick_tag", (9,)) is None  # no 9th quick tag configured
        await pilot.press("t")
        assert not isinstance(app.screen, TagPrompt)


# ---------------------------------------------------------------- untrusted text


async def test_markup_and_escapes_in_dump_text_render_literally(services: Services) -> None:
    app = make_app(services)
    async with running(app) as pilot:
        await search(pilot, "evil")
        assert titles(app) == [HOSTILE_TITLE]
        shown = abstract_text(app)
        assert "[@click=app.quit]Click me[/]" in shown
        # Markup stays literal; the inline math $x$ is shown as the reader sees it.
        assert "[bold]b[/bold]" in shown and "evil x\n" in shown
        assert "\x1b" not in shown and "\u202e" not in shown
        assert "␛[31mred" in shown
        cell = app.table.get_row(app.table.hits[0].paper.id)[0]
        assert cell.plain.startswith("[@click=app.quit]")
        screenshot = app.export_screenshot()
        assert "\x1b" not in screenshot
        await pilot.click("#paper", offset=(2, 0))
        await pilot.click("#results", offset=(3, 1))
        await settle(pilot)
        assert app.is_running


# ---------------------------------------------------------------- start-up


async def test_dumps_given_at_launch_are_synced_with_progress(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dump = write_dump(tmp_path / "dumps", "page.txt", PAPERS[:2], page_date="Jun 3")
    services = open_services(tmp_path / "library")
    try:
        assert services.is_empty()
        app = make_app(services, dumps=[dump])
        async with running(app) as pilot:
            await wait_for(pilot, lambda: app.result is not None)
            assert len(titles(app)) == 2
            messages = [message for message, _ in notices(app)]
            assert any("Library updated" in message for message in messages)
    finally:
        services.close()


async def test_parse_problems_are_summarised_without_blocking(services: Services) -> None:
    problems = [
        ParseProblem(file=f"/dumps/bad-{n}.txt", line=n, message="[bold]odd[/] line")
        for n in range(7)
    ]
    app = make_app(services)
    async with running(app) as pilot:
        app.post_message(SyncFinished(SyncSummary(files_read=7, problems=problems)))
        await settle(pilot)
        warnings = [message for message, severity in notices(app) if severity == "warning"]
        assert any("7 problems" in m and "bad-0.txt" in m and "2 more" in m for m in warnings)
        assert app.focused is app.search_bar


async def test_empty_library_loads_the_sample_dumps(tmp_path: Path) -> None:
    samples = tmp_path / "samples"
    write_dump(samples, "sample.txt", PAPERS[:3], page_date="Jun 3")
    services = open_services(tmp_path / "library")
    try:
        app = PaperBrowserApp(services, config=AppConfig(), sample_dumps=samples)
        async with running(app) as pilot:
            await wait_for(pilot, lambda: app.result is not None)
            assert len(titles(app)) == 3
    finally:
        services.close()


async def test_config_problem_is_shown_and_defaults_used(services: Services) -> None:
    loaded = LoadedConfig(AppConfig(), "Config x.toml is not valid TOML")
    app = make_app(services, config=loaded)
    async with running(app):
        assert any("not valid TOML" in message for message, _ in notices(app))
        assert app.config.quick_tags[0] == "to read"


async def test_bad_quick_tags_are_named_at_start_and_the_keys_still_tag(
    services: Services, tmp_path: Path
) -> None:
    config_file = tmp_path / "config.toml"
    config_file.write_text(
        'quick_tags = ["a,b", "semi;colon"]\nauto_advance = true\n', encoding="utf-8"
    )
    app = make_app(services, config=load_config(config_file))
    async with running(app) as pilot:
        messages = [message for message, _ in notices(app)]
        assert any("'a,b'" in m and "'semi;colon'" in m for m in messages), messages
        assert app.triage  # auto_advance still applies
        await search(pilot, "diffusion")
        paper_id = app.table.hits[0].paper.id
        await pilot.press("1")
        assert services.tags.tags_of(paper_id) == ["to read"]


@pytest.mark.parametrize("size", [(80, 24), (40, 12), (160, 48)])
async def test_any_terminal_size_works(services: Services, size: tuple[int, int]) -> None:
    app = make_app(services)
    async with running(app, size=size) as pilot:
        await search(pilot, "diffusion")
        await pilot.press("1", "down", "question_mark", "escape", "t", "escape")
        assert app.is_running
        assert app.table.hits


async def test_results_arriving_under_a_modal_update_the_main_screen(services: Services) -> None:
    app = make_app(services)
    async with running(app) as pilot:
        await pilot.press("enter", "question_mark")
        assert isinstance(app.screen, HelpScreen)
        app.search_bar.value = "pokemon"
        app.request_search()
        await settle(pilot)
        assert titles(app) == ["Pokémon Battles as a Benchmark for Planning"]
        await pilot.press("escape")
        assert app.focused is app.table


async def test_no_color_mode_runs(services: Services, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    app = make_app(services)
    assert app.no_color
    async with running(app, size=(80, 24)) as pilot:
        await search(pilot, "robot")
        await pilot.press("1")
        assert app.is_running and "to read" in app.table.get_row(app.table.hits[0].paper.id)[-1]


async def test_tags_changed_by_another_process_show_up(services: Services) -> None:
    app = make_app(services)
    async with running(app) as pilot:
        await search(pilot, "robot")
        paper = app.table.hits[0].paper
        other = UserData(services.userdata.path).tags
        other.add(paper.id, "from the cli", title=paper.title)
        app.pick_up_outside_changes()
        await settle(pilot)
        assert "from the cli" in app.table.get_row(paper.id)[-1]
        assert "from the cli" in abstract_text(app)


async def test_the_status_line_says_when_searches_take_whooshs_slower_path(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with running(make_app(services)) as pilot:
        assert "slower" not in status_text(pilot.app)
    slow = whoosh_internals.InternalsStatus(("BM25F._field_B",))
    monkeypatch.setattr(whoosh_internals, "STATUS", slow)
    async with running(make_app(services)) as pilot:
        assert slow.message is not None and slow.message in status_text(pilot.app)
        assert "papers" in status_text(pilot.app)  # the counts stay first
