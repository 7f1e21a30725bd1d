"""What a newcomer types or pastes: a query given whole (the command line, Enter) has
no prefix, the word being typed does; with a small library written for it."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import DumpPaper, write_dump
from test_cli import run_cli
from test_index import make_paper

from browser.models import SearchHit, SearchResult
from browser.search import PaperIndex, kept
from browser.search.identifiers import read_arxiv_ids
from browser.search.kept import skip_cost
from browser.search.typed_word import LETTER_POSTINGS, letter_completions
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
    result = index.search(query, **{"prefix_last_word": True, **options})  # type: ignore[arg-type]
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
    assert [hit["title"] for hit in json.loads(out)["hits"]] == [FOO]
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
    # Enter: given whole, and what follows it (a sort, the next page) too.
    assert not session.start("foo", sort="newest", prefix_last_word=False).prefix_last_word
    settled = session.start("foo", sort="relevance")
    assert not settled.prefix_last_word
    session.answer(settled, answer_with_more("foo"))
    next_page = session.next_page()
    assert next_page is not None and next_page.more and not next_page.prefix_last_word
    # The next page of a list still being typed matches the words as it did.
    typing = session.start("foo", sort="relevance", prefix_last_word=True)
    session.answer(typing, answer_with_more("foo"))
    next_page = session.next_page()
    assert next_page is not None and next_page.more and next_page.prefix_last_word


def answer_with_more(query: str) -> SearchResult:
    """A complete first page of a list that has more: the session asks for the next."""
    hits = [SearchHit(paper=make_paper(f"Paper {n}", "text."), score=1.0) for n in range(2)]
    return SearchResult(query=query, hits=hits, total=5)


def test_another_query_after_typing_is_whole_words() -> None:
    session = SearchSession()
    assert session.start("diffus", sort="relevance", prefix_last_word=True).prefix_last_word
    # A saved search opened, a stats row's clause appended: not the words being typed.
    assert not session.start("robot learning", sort="relevance").prefix_last_word
    session.start("diffus", sort="relevance", prefix_last_word=True)
    assert not session.start("diffus year:2024", sort="relevance").prefix_last_word
    # The same words (the settled pass, a new sort or filter) keep the typing flag.
    session.start("diffus", sort="relevance", prefix_last_word=True)
    assert session.start("diffus", sort="newest").prefix_last_word


def test_a_typed_trailing_space_finishes_the_word_for_all_that_reruns_it() -> None:
    session = SearchSession()
    typing = session.start(
        "scal ", sort="relevance", time_budget_ms=TYPING_BUDGET_MS, prefix_last_word=True
    )
    # The planner's rule (``word_being_typed``): no prefix after a space. The request
    # keeps the query stripped, so its flag, which stats, export, day steps and
    # "mark all read" re-run the words with, must say so.
    assert typing.query == "scal" and not typing.prefix_last_word
    assert not session.start("scal", sort="relevance").prefix_last_word  # the settled pass
    assert session.start("scal", sort="relevance", prefix_last_word=True).prefix_last_word


# ------------------------------------------------------------------ a pasted link or id

ARXIV_PAPERS = [
    make_paper("Pasted Links Found", "A paper with a new-style id.", arxiv_id="2401.01234"),
    make_paper("An Old Style Paper", "A paper with an old-style id.", arxiv_id="hep-th/9901001"),
    make_paper("A Subject Class Id", "Old style with a class.", arxiv_id="math.AG/0601001"),
    make_paper("Another Pasted Paper", "A neighbour's id.", arxiv_id="2401.01235"),
    make_paper("A Citing Paper", "It builds on Antoniou et al. arXiv:2004.11967 and more."),
]


@pytest.fixture(scope="module")
def with_ids(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PaperIndex]:
    index = PaperIndex.create(tmp_path_factory.mktemp("index"))
    index.rebuild([*PAPERS, *ARXIV_PAPERS])
    yield index
    index.close()


@pytest.mark.parametrize(
    ("pasted", "title"),
    [
        ("https://arxiv.org/abs/2401.01234v2", "Pasted Links Found"),
        ("http://arxiv.org/abs/2401.01234", "Pasted Links Found"),
        ("arxiv.org/pdf/2401.01234.pdf", "Pasted Links Found"),
        ("https://arxiv.org/pdf/2401.01234v3", "Pasted Links Found"),
        ("https://www.arxiv.org/html/2401.01234v1/", "Pasted Links Found"),
        ("arXiv:2401.01234", "Pasted Links Found"),
        ("arXiv: 2401.01234v2", "Pasted Links Found"),
        ("2401.01234", "Pasted Links Found"),
        ("2401.01234v2", "Pasted Links Found"),
        ("https://huggingface.co/papers/2401.01234", "Pasted Links Found"),
        ("https://hf.co/papers/2401.01234#community", "Pasted Links Found"),
        ("<https://arxiv.org/abs/2401.01234>", "Pasted Links Found"),
        ("2401.01234.", "Pasted Links Found"),
        ("(arXiv:2401.01234),", "Pasted Links Found"),
        ("<2401.01234>.", "Pasted Links Found"),
        ("hep-th/9901001", "An Old Style Paper"),
        ("http://export.arxiv.org/abs/hep-th/9901001v2", "An Old Style Paper"),
        ("arXiv:math.AG/0601001", "A Subject Class Id"),
        ("arxiv:2401.01234v2", "Pasted Links Found"),
        # As citations write it: the words before the id are no paper's words.
        ("arXiv 2401.01234", "Pasted Links Found"),
        ("arxiv 2401.01234v2", "Pasted Links Found"),
        ("arXiv preprint arXiv:2401.01234", "Pasted Links Found"),
        ("arXiv preprint arXiv: 2401.01234.", "Pasted Links Found"),
        ("ARXIV PREPRINT 2401.01234", "Pasted Links Found"),
    ],
)
@pytest.mark.parametrize("typing", [True, False])
def test_a_pasted_link_or_id_finds_its_paper(
    with_ids: PaperIndex, pasted: str, title: str, typing: bool
) -> None:
    result = with_ids.search(pasted, prefix_last_word=typing)
    assert [hit.paper.title for hit in result.hits] == [title]
    assert result.error is not None and "as the arXiv id" in result.error
    assert "no paper" not in result.error


def test_an_id_beside_words_and_operators(with_ids: PaperIndex) -> None:
    assert titles(with_ids, "2401.01234 OR hep-th/9901001") == {
        "Pasted Links Found",
        "An Old Style Paper",
    }
    assert titles(with_ids, "pasted https://arxiv.org/abs/2401.01234 ") == {"Pasted Links Found"}
    assert "Pasted Links Found" not in titles(with_ids, "paper -2401.01234 ")
    # Inside a phrase it is text, as written, a quoted id alone too: abstracts cite ids.
    assert read_arxiv_ids('"see 2401.01234 here" robot').text == '"see 2401.01234 here" robot'
    assert read_arxiv_ids('"2401.01234"').text == '"2401.01234"'
    assert titles(with_ids, '"2004.11967"') == {"A Citing Paper"}
    assert titles(with_ids, "'2004.11967'") == {"A Citing Paper"}  # single quotes: a phrase
    assert titles(with_ids, '"Antoniou et al"') == {"A Citing Paper"}
    assert titles(with_ids, "2004.11967") == set()  # as an id: no paper has it


@pytest.mark.parametrize(
    "pasted",
    ["2402.09999", "https://arxiv.org/abs/2402.09999v1", "hep-ph/9901001", "arxiv:2402.09999"],
)
def test_an_id_not_in_the_library_finds_nothing_and_says_so(
    with_ids: PaperIndex, pasted: str
) -> None:
    for typing in (True, False):
        result = with_ids.search(pasted, prefix_last_word=typing)
        assert result.total == 0
        assert result.corrected_query is None and result.relaxed_query is None
        assert result.error is not None and "no paper in the library has" in result.error.lower()
    # Beside words no shorter query stands in for it: the id is not a word to leave out.
    beside = with_ids.search(f"pasted {pasted} ", prefix_last_word=False)
    assert beside.total == 0 and beside.relaxed_query is None


@pytest.mark.parametrize(
    "text",
    [
        "1234.5678",
        "version 1.5",
        "10.1000/xyz",
        "2401.01234/foo",
        "title:2401.01234",
        "arxiv models",
        "arxiv 1234.5678",
        "arxiv preprint",
    ],
)
def test_what_is_no_arxiv_id_stays_as_written(text: str) -> None:
    read = read_arxiv_ids(text)
    assert read.text == text and not read.read


# ------------------------------------------------------------------ one letter being typed


def test_one_letter_after_other_words_is_a_prefix_while_typing(built: PaperIndex) -> None:
    typed = titles(built, "offline r")
    assert typed == {
        "Offline Reinforcement Learning at Scale",
        "Offline Robot Learning",
        "Offline Evaluation of Ranking",
    }
    assert titles(built, "offline re") <= typed
    assert titles(built, "offline R") == typed
    # Given whole, or finished with a space, "r" is a word, which no paper has.
    for whole in (
        built.search("offline r", prefix_last_word=False),
        built.search("offline r ", prefix_last_word=True),
    ):
        assert whole.relaxed_query is not None and whole.dropped_words == ["r"]
    # After a hyphen the part before it narrows the letter: "tables", "the".
    planner, searcher = built._planner, built._current().searcher
    assert "tabl" in str(planner.plan(searcher, "foo-t", prefix_last_word=True).query)


def test_a_lone_letter_or_one_beside_only_a_not_stays_a_word(built: PaperIndex) -> None:
    planner = built._planner
    searcher = built._current().searcher
    for query in ("r", "-offline r", "title:* r"):
        plan = planner.plan(searcher, query, prefix_last_word=True)
        assert "robot" not in str(plan.query), query
    assert "robot" in str(planner.plan(searcher, "offline r", prefix_last_word=True).query)


def test_a_letter_keeps_the_completions_that_fit_its_postings_among_the_candidates() -> None:
    counts = {"reasoning": 6000, "reinforcement": 5000, "rare": 10}
    words = list(counts)
    # Over the whole library the first two add up to more than LETTER_POSTINGS.
    assert LETTER_POSTINGS < 11_000
    assert letter_completions(words, counts.__getitem__, None) == ["reasoning"]
    # Among 100 candidates each list costs a skip per candidate at most.
    assert letter_completions(words, counts.__getitem__, 100) == words
    assert letter_completions(words, lambda word: LETTER_POSTINGS + 1, None) == []


def test_a_letter_counts_postings_with_the_scoring_cost_model(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """One cost model (``kept.skip_cost``) for the AND's estimate and the letter's
    budget: a copy of its constants in ``typed_word`` drifted apart silently."""
    counts = {"reasoning": 50_000, "reinforcement": 50_000}
    words = list(counts)
    # Skipped to 100 candidates: 15% of 50k plus 40 per candidate, over the budget.
    assert skip_cost(50_000, 50_000, 100) == 0.15 * 50_000 + 40 * 100 > LETTER_POSTINGS
    assert skip_cost(500, 500, 100) == 500  # under 8 postings per candidate: whole
    assert letter_completions(words, counts.__getitem__, 100) == []
    monkeypatch.setattr(kept, "HEADERS_SHARE", 0.05)
    assert letter_completions(words, counts.__getitem__, 100) == ["reasoning"]


# ------------------------------------------------------------------ a pathological paste


@pytest.mark.parametrize("run", [")", "<", "(", ".", "/", "(<", ")>."])
def test_a_long_run_of_wrappers_is_read_in_linear_time(with_ids: PaperIndex, run: str) -> None:
    """A regex of a greedy lead, a lazy core and a greedy trail took seconds on 20,000
    ``)`` (quadratic) while holding the index lock, and relaxing read the raw query
    again past the length cap. The bound is generous: quadratic is tens of seconds."""
    pasted = "zzzqqq " + run * (50_000 // len(run)) + "b"
    started = time.process_time()
    read = read_arxiv_ids(pasted)
    assert read.text == pasted and not read.read
    result = with_ids.search(pasted, prefix_last_word=False)
    assert result.total == 0 or result.relaxed_query is not None
    assert result.error is not None  # cut at MAX_QUERY_CHARS, or run as its words
    assert time.process_time() - started < 5


def test_a_link_in_long_wrappers_is_still_read() -> None:
    link = "https://arxiv.org/abs/2401.01234v2"
    started = time.process_time()
    wrapped = read_arxiv_ids("-(<" * 20_000 + link + ">).," * 20_000)
    assert wrapped.ids == ["2401.01234"]
    assert wrapped.text == "-(" * 20_000 + "arxiv:2401.01234" + ")" * 20_000
    assert time.process_time() - started < 5


def test_a_shorter_query_is_cut_where_the_search_was(built: PaperIndex) -> None:
    # Past MAX_QUERY_CHARS "qqqzzz" was never searched: it is no word to leave out.
    pasted = "offline robot zzzqqq" + " ," * 400 + " qqqzzz"
    result = built.search(pasted, prefix_last_word=False)
    assert result.dropped_words == ["zzzqqq"]
    assert result.relaxed_query is not None and "qqqzzz" not in result.relaxed_query
    assert result.relaxed_notice is not None and "all 3 words" in result.relaxed_notice
    assert {hit.paper.title for hit in result.hits} == {"Offline Robot Learning"}
