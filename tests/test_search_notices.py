"""When the notice speaks about the last word of a query: notes about the word being
typed wait for a pause (an abbreviation's meaning flashed in and out while "di" was on
its way to "diffusion"), and Enter says when reading that word whole changed the list
(``offline r``: the words starting with "r", then the word "r")."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from app_driver import make_app, running, settle, wait_for
from conftest import DumpPaper
from test_app import build_library
from test_index import make_paper
from textual import events
from textual.content import Content
from textual.pilot import Pilot

import browser.app.searching
from browser.app import PaperBrowserApp
from browser.cli import main
from browser.models import SearchHit, SearchResult
from browser.search_notices import (
    ShownList,
    about_typed_word,
    joined_expansions,
    search_notices,
    typed_word,
    whole_word_notice,
)
from browser.services import Services

# ------------------------------------------------------------------ pure rules


def test_the_word_being_typed() -> None:
    assert typed_word("offline r") == "r"
    assert typed_word("offline r ") is None
    assert typed_word("title:dif") == "title:dif"
    assert typed_word("") is None


@pytest.mark.parametrize(
    ("kind", "note", "word", "about"),
    [
        ("expansion", "DI: dunn index", "di", True),
        ("expansion", "VLMs: vision-language model", "vlm", True),
        ("expansion", "chain of thought: CoT", "thought", True),
        ("expansion", "RL: reinforcement learning", "r", False),
        ("expansion", "RL: reinforcement learning", "title:rl", True),
        ("relaxation", "xq", "xq", True),
        ("relaxation", "diffusion", "xq", False),
        ("syntax", "“title:” needs something after it, as in title:diffusion", "title:", True),
        ("syntax", "“foo:” is not a field", "diffusion", False),
    ],
)
def test_which_notes_are_about_the_word_being_typed(
    kind: str, note: str, word: str, about: bool
) -> None:
    assert about_typed_word(kind, note, word) is about  # type: ignore[arg-type]


def test_a_correction_is_about_the_typed_word_when_it_changes_it() -> None:
    assert about_typed_word("correction", "diffusion policy", "polcy", query="diffusion polcy")
    assert not about_typed_word("correction", "diffusion policy", "policy", query="difusion policy")


def shown(prefix: bool, total: int, *, partial: bool = False, as_typed: bool = True) -> ShownList:
    return ShownList("offline r", prefix, total, partial, as_typed=as_typed)


def test_enter_that_changes_the_list_says_so_with_both_counts_and_the_way_back() -> None:
    notice = whole_word_notice(shown(True, 44), shown(False, 1))
    assert notice is not None
    assert notice.text == (
        "Searched “r” as a whole word: 1 paper. As you typed it, words starting with “r” "
        "matched 44 papers: search offline r* to keep them."
    )
    assert notice.keep_query == "offline r*"
    cut_short = whole_word_notice(shown(True, 44, partial=True), shown(False, 1))
    assert cut_short is not None and "at least 44 papers" in cut_short.text
    relaxed = whole_word_notice(shown(True, 3), shown(False, 9, as_typed=False))
    assert relaxed is not None and "whole word." in relaxed.text and "9" not in relaxed.text
    # The same count relaxed or corrected is another list all the same.
    assert whole_word_notice(shown(True, 9), shown(False, 9, as_typed=False)) is not None


def test_enter_that_changes_nothing_or_nothing_typed_says_nothing() -> None:
    # "robot" whole finds what "robots", "robotic" did (one stem), ranked a little
    # differently: the same list, nothing to say.
    assert whole_word_notice(shown(True, 44), shown(False, 44)) is None
    assert whole_word_notice(None, shown(False, 1)) is None
    assert whole_word_notice(shown(False, 44), shown(False, 1)) is None
    other = ShownList("offline", True, 44, False)
    assert whole_word_notice(other, shown(False, 1)) is None


def test_enter_after_a_corrected_typed_list_says_nothing() -> None:
    # "difu" was shown as "diffusion": "difu*" would keep nothing.
    corrected = shown(True, 500, as_typed=False)
    assert whole_word_notice(corrected, shown(False, 3)) is None
    assert whole_word_notice(corrected, shown(False, 0, as_typed=False)) is None


def test_enter_after_a_cut_short_typed_list_speaks_only_of_a_smaller_count() -> None:
    # 150 was a lower bound: a larger (or equal) whole-word count shows no change.
    cut_short = shown(True, 150, partial=True)
    assert whole_word_notice(cut_short, shown(False, 400)) is None
    assert whole_word_notice(cut_short, shown(False, 150)) is None
    assert whole_word_notice(cut_short, shown(False, 400, as_typed=False)) is None
    smaller = whole_word_notice(cut_short, shown(False, 12))
    assert smaller is not None and "at least 150 papers" in smaller.text


# ------------------------------------------------------------------ in the app

OFFLINE = [
    DumpPaper("Offline Reinforcement Learning at Scale", "Offline agents learn from logs."),
    DumpPaper("Robust Offline Policies", "Offline policies that resist noise."),
    DumpPaper("Offline Rewards Without Labels", "Offline reward models."),
    DumpPaper("An Offline R Package for Surveys", "We release an offline R package."),
    DumpPaper(
        "Clustering Quality by the Dunn Index", "We compute the dunn index (DI) per cluster."
    ),
    DumpPaper("Diffusion Models for Images", "Diffusion models generate images."),
    DumpPaper("Diffusion Transformers", "Transformers for diffusion."),
]


@pytest.fixture
def services(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Services]:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    built = build_library(tmp_path, OFFLINE)
    yield built
    built.close()


def notice_text(app: PaperBrowserApp) -> str:
    notice = app.main_screen.notice
    if not notice.display:
        return ""
    visual = notice.visual
    return visual.plain if isinstance(visual, Content) else str(visual)


async def type_and_wait(pilot: Pilot[None], app: PaperBrowserApp, keys: str, query: str) -> None:
    await pilot.press(*keys)
    await wait_for(pilot, lambda: app.result is not None and app.result.query == query)
    await settle(pilot)


async def test_enter_on_a_typed_word_says_it_read_it_whole(services: Services) -> None:
    app = make_app(services)
    async with running(app, size=(80, 24)) as pilot:
        app.search_bar.focus()
        await type_and_wait(pilot, app, "offline r", "offline r")
        assert app.result is not None
        typed_total = app.result.total
        assert typed_total > 1 and "whole word" not in notice_text(app)
        await pilot.press("enter")
        await settle(pilot)
        await wait_for(pilot, lambda: "whole word" in notice_text(app))
        assert app.result.total == services.search("offline r").total == 1
        text = notice_text(app)
        assert "Searched “r” as a whole word: 1 paper." in text, text
        assert f"matched {typed_total} papers" in text and "offline r*" in text, text
        # What the notice offers keeps the completions: the same papers as typed.
        assert services.search("offline r*").total == typed_total


async def test_a_note_about_the_word_being_typed_waits_for_a_pause(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(browser.app.searching, "NOTICE_PAUSE_SECONDS", 60.0, raising=False)
    app = make_app(services)
    async with running(app, size=(80, 24)) as pilot:
        app.search_bar.focus()
        await type_and_wait(pilot, app, "di", "di")
        assert app.result is not None and any("DI" in note for note in app.result.expansions)
        # On the way to "diffusion": the meaning of "DI" is not flashed at once.
        assert "DI" not in notice_text(app)
        await type_and_wait(pilot, app, "f", "dif")
        assert "DI" not in notice_text(app)
        # Finished (Enter reads it whole): said at once.
        await pilot.press("backspace")
        await pilot.press("enter")
        await settle(pilot)
        await wait_for(pilot, lambda: "dunn index" in notice_text(app))


async def test_typing_paused_on_the_word_says_the_note(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(browser.app.searching, "NOTICE_PAUSE_SECONDS", 0.05, raising=False)
    app = make_app(services)
    async with running(app, size=(80, 24)) as pilot:
        app.search_bar.focus()
        await type_and_wait(pilot, app, "di", "di")
        await wait_for(pilot, lambda: "Also matching" in notice_text(app))
        assert "dunn index" in notice_text(app)
        # The next key takes it away with the meaning it no longer has.
        await type_and_wait(pilot, app, "f", "dif")
        assert "dunn index" not in notice_text(app)


async def test_the_enter_notice_shows_pasted_invisible_characters_safely(
    services: Services,
) -> None:
    # A paste can carry bidi and zero-width characters; the notice repeats the query
    # (twice) and must not hand them to the terminal.
    app = make_app(services)
    async with running(app, size=(80, 24)) as pilot:
        app.search_bar.focus()
        app.search_bar.post_message(events.Paste("\u202eoffline\u200b r"))
        await wait_for(pilot, lambda: app.result is not None and "r" in app.result.query)
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        await wait_for(pilot, lambda: "whole word" in notice_text(app))
        text = notice_text(app)
        assert "\u202e" not in text and "\u200b" not in text, repr(text)
        assert "Searched “r” as a whole word" in text, text


# ------------------------------------------------------------------ one notice, app and CLI


def answer(query: str, *, hits: int = 0, **notes: object) -> SearchResult:
    found = [SearchHit(paper=make_paper(f"Paper {n}", "text."), score=1.0) for n in range(hits)]
    return SearchResult(query=query, hits=found, total=hits, **notes)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("result", "said"),
    [
        (answer("zzqqxx"), ["No papers match “zzqqxx”. Try fewer words."]),
        (
            answer("difusion", suggestion="diffusion"),
            ["No papers match “difusion”. Did you mean “diffusion”?"],
        ),
        (
            answer("difusion", hits=1, corrected_query="diffusion"),
            ["No results for “difusion”; showing results for “diffusion”"],
        ),
        (
            answer("a zq", hits=1, relaxed_query="a", relaxed_notice="No paper has all"),
            ["No paper has all."],
        ),
        (
            answer("2403.99999", error="Read “2403.99999” as the arXiv id 2403.99999: none."),
            [
                "Read “2403.99999” as the arXiv id 2403.99999: none.",
                "No papers match “2403.99999”. Try fewer words.",
            ],
        ),
        (
            answer("rl vlm", hits=2, expansions=["RL: reinforcement learning", "VLM: vlms"]),
            ["Also matching RL: reinforcement learning; VLM: vlms."],
        ),
        (answer(""), ["No papers yet."]),
    ],
)
def test_what_a_search_says_about_its_query(result: SearchResult, said: list[str]) -> None:
    notices = joined_expansions(search_notices(result, empty_hint=" Try fewer words."))
    assert [notice.text for notice in notices] == said


ENTER_NOTE = re.compile(r"Searched “.*” as a whole word.* to keep them\. ")


async def test_the_cli_says_what_the_app_notice_says(
    services: Services, capsys: pytest.CaptureFixture[str]
) -> None:
    """One notice, worked out once: the app shows it above the list, the CLI on stderr
    (the syntax note as ``note:``) and in ``--json``'s ``notices`` (it said nothing
    when a search found nothing)."""
    library = str(services.paths.root)
    queries = ["zzqqxx", "difusion", "offline zzqqxx", "DI", "diffusion 2403.99999", "title:"]
    shown: dict[str, str] = {}
    app = make_app(services)
    async with running(app, size=(160, 48)) as pilot:
        for query in queries:
            app.search_bar.value = ""
            await settle(pilot)
            app.search_bar.focus()
            app.search_bar.post_message(events.Paste(query))
            await wait_for(pilot, lambda q=query: app.result is not None and app.result.query == q)
            await pilot.press("enter")
            await settle(pilot)
            # Less what only the app says: that Enter changed the list on screen.
            shown[query] = ENTER_NOTE.sub("", notice_text(app))
    # Textual holds stdout and stderr while the app runs: the CLI after it.
    for query in queries:
        assert main(["search", query, "--library", library]) == 0
        # Then the count and time (and the shorter query run, which the app does not
        # say: it lists that query's papers).
        lines = [s for s in capsys.readouterr().err.splitlines()[:-1] if s[:5] != "ran: "]
        assert lines, query
        assert " ".join(lines).replace("note: ", "Query: ", 1) == shown[query], query
        assert main(["search", query, "--json", "--library", library]) == 0
        notices = json.loads(capsys.readouterr().out)["notices"]
        assert [line.removeprefix("note: ") for line in lines] == notices, query


def test_enter_on_an_id_start_calls_it_an_id_not_a_word() -> None:
    before = ShownList("2402.0", True, 3, False, as_typed=True)
    notice = whole_word_notice(before, ShownList("2402.0", False, 0, False, as_typed=True))
    assert notice is not None
    assert notice.text == (
        "Searched “2402.0” as a whole arXiv id: 0 papers. As you typed it, ids starting with "
        "“2402.0” matched 3 papers: search 2402.0* to keep them."
    )
