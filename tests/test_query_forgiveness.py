"""What a newcomer types or pastes: a query given whole (the command line, Enter) has
no prefix, the word being typed does; with a small library written for it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import DumpPaper, write_dump
from test_cli import run_cli
from test_index import make_paper

from browser.search import PaperIndex
from browser.search_session import TYPING_BUDGET_MS, SearchSession

PAPERS = [
    make_paper("Foo Tables for Graph Search", "Tables of foo make search fast."),
    make_paper("Food Recognition in the Wild", "Recognising dishes from photos of food."),
    make_paper("Offline Reinforcement Learning at Scale", "Conservative critics for offline data."),
    make_paper("Offline Robot Learning", "Robots learn from logged demonstrations."),
    make_paper("Offline Evaluation of Ranking", "Judging search results offline."),
]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PaperIndex]:
    index = PaperIndex.create(tmp_path_factory.mktemp("index"))
    index.rebuild(PAPERS)
    yield index
    index.close()


def titles(index: PaperIndex, query: str, **options: object) -> set[str]:
    result = index.search(query, **options)  # type: ignore[arg-type]
    return {hit.paper.title for hit in result.hits}


# ------------------------------------------------------------------ a query given whole

FOO = "Foo Tables for Graph Search"
FOOD = "Food Recognition in the Wild"


@pytest.mark.parametrize("query", ["foo", "title:foo", "(foo", "nothing OR foo", "-offline foo"])
def test_a_query_given_whole_has_no_prefix(built: PaperIndex, query: str) -> None:
    assert FOOD in titles(built, query)  # being typed: "foo" may become "food"
    whole = built.search(query, prefix_last_word=False)
    assert FOOD not in {hit.paper.title for hit in whole.hits}
    assert FOO in {hit.paper.title for hit in whole.hits}


def test_the_cli_searches_whole_words(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, library_dir: Path
) -> None:
    papers = [DumpPaper(paper.title, paper.abstract) for paper in PAPERS]
    write_dump(tmp_path / "dumps", "2024-03-05_page.txt", papers)
    assert run_cli(capsys, "index", str(tmp_path / "dumps"))[0] == 0
    status, out, _ = run_cli(capsys, "search", "foo", "--json")
    assert status == 0
    assert [hit["title"] for hit in json.loads(out)] == [FOO]
    status, out, _ = run_cli(capsys, "stats", "foo", "--json")
    assert status == 0
    assert json.loads(out)["papers"] == 1


def test_the_app_session_keeps_the_prefix_while_typing_and_not_after_enter() -> None:
    session = SearchSession()
    assert not session.start("foo", sort="relevance").prefix_last_word  # restored, saved
    typing = session.start(
        "foo", sort="relevance", time_budget_ms=TYPING_BUDGET_MS, prefix_last_word=True
    )
    assert typing.prefix_last_word
    # The settled pass, a new sort or filter: the words as the list matched them.
    assert session.start("foo", sort="relevance").prefix_last_word
    assert session.start("foo", sort="newest").prefix_last_word
    # Enter: given whole, and what follows it (a sort) too.
    assert not session.start("foo", sort="newest", prefix_last_word=False).prefix_last_word
    assert not session.start("foo", sort="relevance").prefix_last_word
    next_page = session.next_page()
    assert next_page is None or not next_page.prefix_last_word
