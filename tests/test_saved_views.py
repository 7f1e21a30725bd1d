"""Saved searches with their view (issue 14): one use case opens them for the CLI and the
app (``Services.open_saved``), and one function describes them (``describe_query``) for
the app's ``B`` list, the palette and ``paper-browser saved``.

The library is API JSON with listing days and upvotes (``test_app_days``' batches).
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from app_driver import make_app, running, search, settle, wait_for
from test_app_days import FIRST_BATCH, LATER_BATCH
from test_app_days import services as services  # the fixture: that library
from textual.widgets import OptionList

from browser.cli import main
from browser.models import SearchFilters, StatePredicate
from browser.reading import NEW_PAPERS, SavedQuery, SavedView, describe_query
from browser.services import Services, UnknownSavedSearch
from browser.widgets.picker import PickerScreen

MARCH_3 = dt.date(2025, 3, 3)
UNREAD = StatePredicate("read", negated=True)


def ids_by_title(services: Services) -> dict[str, str]:
    return {paper.title: paper.id for paper in services.catalog.papers()}


def day_titles(day: str) -> list[str]:
    return [title for title, listed, *_ in FIRST_BATCH + LATER_BATCH if listed == day]


def unread_day_search(services: Services) -> tuple[SavedQuery, set[str]]:
    """A day view with is:unread and a tag, saved; the titles it should show now."""
    ids = ids_by_title(services)
    on_day = day_titles(MARCH_3.isoformat())
    for title in on_day[:3]:
        services.tags.add(ids[title], "to read")
    services.reading.set_read([ids[on_day[0]]])
    filters = SearchFilters(required_tags=("to read",), states=(UNREAD,))
    saved = SavedQuery("", "listed", filters, SavedView("day", MARCH_3))
    services.reading.save_query("march 3 to read", saved)
    return saved, set(on_day[1:3])


def test_open_saved_answers_the_day_again_with_its_filters(services: Services) -> None:
    saved, expected = unread_day_search(services)
    opened = services.open_saved("march 3 to read")
    assert opened.saved == saved
    assert (opened.query, opened.sort) == ("", "listed")
    ids = ids_by_title(services)
    assert opened.day_ids == frozenset(ids[title] for title in expected)
    found = services.search(opened.query, sort=opened.sort, filters=opened.filters, limit=50)
    assert {hit.paper.title for hit in found.hits} == expected
    # The day is answered now: a paper read since leaves it.
    services.reading.set_read([ids[sorted(expected)[0]]])
    again = services.open_saved("march 3 to read")
    assert again.day_ids == frozenset({ids[sorted(expected)[1]]})
    # The caller's words, filters and sort come on top.
    narrowed = services.open_saved(
        "march 3 to read",
        query="recursive OR sparse",
        filters=SearchFilters(tagged=True),
        sort="title",
    )
    assert narrowed.sort == "title" and "recursive OR sparse" in narrowed.query
    assert narrowed.filters.tagged is True and narrowed.filters.states == (UNREAD,)
    assert narrowed.day_ids == frozenset({ids["Tiny Recursive Reasoners"]})  # Sparse is read


def test_open_saved_keeps_the_new_papers_view_and_names_the_saved_ones(
    services: Services,
) -> None:
    services.reading.save_query("fresh", SavedQuery("", "listed", view=SavedView("new")))
    opened = services.open_saved("fresh")
    assert opened.view_filters == NEW_PAPERS and opened.day_ids is None
    assert set(NEW_PAPERS.states) <= set(opened.filters.states)
    with pytest.raises(UnknownSavedSearch, match="'fresh'"):
        services.open_saved("stale")


async def test_the_app_and_the_cli_open_a_saved_day_alike(
    services: Services, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _saved, expected = unread_day_search(services)
    app = make_app(services)
    async with running(app) as pilot:
        await search(pilot, "")
        app.session_flow.run_saved("march 3 to read")
        await settle(pilot)
        await wait_for(pilot, lambda: app.view is not None and app.view.day == MARCH_3)
        in_app = [hit.paper.title for hit in app.table.hits]
        assert set(in_app) == expected and app.sort == "listed"
        # Saved again from there, it is the same search.
        assert app.session_flow.current_query(with_view=True) == services.reading.saved_query(
            "march 3 to read"
        )
    arguments = ["search", "--saved", "march 3 to read", "--json"]
    assert main([*arguments, "--library", str(tmp_path / "library")]) == 0
    assert [hit["title"] for hit in json.loads(capsys.readouterr().out)["hits"]] == in_app


# -- the description ------------------------------------------------------------------------


def test_the_description_says_words_filters_view_and_sort() -> None:
    day = SavedQuery(
        "",
        "listed",
        SearchFilters(required_tags=("to read",), excluded_tags=("done",), states=(UNREAD,)),
        SavedView("day", MARCH_3),
    )
    assert describe_query(day) == (
        'every paper · tag:"to read" -tag:done is:unread · day Mon 2025-03-03 · sort: listed'
    )
    fresh = SavedQuery("diffusion", "upvotes", SearchFilters(tagged=False), SavedView("new"))
    assert describe_query(fresh) == "“diffusion” · is:untagged · the new papers · sort: upvotes"
    noted = SavedQuery("robots", filters=SearchFilters(states=(StatePredicate("note", "to try"),)))
    assert describe_query(noted) == '“robots” · note:"to try" · sort: relevance'


def test_the_description_of_a_search_without_words_names_the_order_it_lists() -> None:
    # Nothing ranks papers without words: the search lists them newest first, whatever
    # the sort asked for, and the description says so (the save prompt said "relevance").
    for filters in (SearchFilters(), SearchFilters(required_tags=("to read",))):
        for words in ("", "   "):
            described = describe_query(SavedQuery(words, "relevance", filters))
            assert described.endswith("sort: newest"), described
    assert describe_query(SavedQuery("", "upvotes")).endswith("sort: upvotes")


def test_the_cli_lists_what_each_saved_search_is(
    services: Services, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    saved, _expected = unread_day_search(services)
    services.reading.save_query("fresh", SavedQuery("", "listed", view=SavedView("new")))
    library = ["--library", str(tmp_path / "library")]
    assert main(["saved", *library]) == 0
    out = capsys.readouterr().out
    line = next(line for line in out.splitlines() if line.startswith("march 3 to read"))
    assert line.endswith(describe_query(saved))
    for part in ("day Mon 2025-03-03", "is:unread", 'tag:"to read"', "sort: listed"):
        assert part in line
    assert "the new papers" in next(line for line in out.splitlines() if line.startswith("fresh"))
    assert main(["saved", "--json", *library]) == 0
    listed = {entry["name"]: entry for entry in json.loads(capsys.readouterr().out)}
    assert listed["march 3 to read"]["description"] == describe_query(saved)


async def test_the_b_list_and_the_palette_show_what_each_saved_search_is(
    services: Services,
) -> None:
    saved, _expected = unread_day_search(services)
    app = make_app(services)
    async with running(app) as pilot:
        await search(pilot, "")
        await pilot.press("B")
        await settle(pilot)
        assert isinstance(app.screen, PickerScreen)
        options = app.screen.query_one(OptionList)
        (option,) = (options.get_option_at_index(i) for i in range(options.option_count))
        assert option.id == "march 3 to read"
        assert str(option.prompt) == f"march 3 to read  {describe_query(saved)}"
        await pilot.press("escape")
        await settle(pilot)
        commands = {c.title: c.help for c in app.get_system_commands(app.screen)}
        assert commands["Saved search: march 3 to read"] == describe_query(saved)


def test_a_day_saved_before_pages_kept_their_order_opens_in_the_page_order() -> None:
    """Day views used to be saved with sort `upvotes`; within one day `listed` is that
    order with the page's order for ties, as [ ] now show a day. Other views and other
    sorts are left as they were saved."""
    from browser.reading import query_of
    from browser.userdata.reading import SavedSearch

    day_view = {"view": {"kind": "day", "day": "2025-03-03"}}
    old_day = SavedSearch("march 3", "", "upvotes", day_view)
    assert query_of(old_day).sort == "listed"
    assert query_of(SavedSearch("march 3", "", "title", day_view)).sort == "title"
    assert query_of(SavedSearch("fresh", "", "upvotes", {"view": {"kind": "new"}})).sort == (
        "upvotes"
    )
    assert query_of(SavedSearch("popular", "gan", "upvotes")).sort == "upvotes"
