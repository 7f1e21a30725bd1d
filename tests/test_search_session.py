"""The search view's rules, tested without an app: debounce, stale answers, settling, paging."""

from __future__ import annotations

from browser.models import Paper, SearchHit, SearchResult
from browser.search_session import (
    DEBOUNCE_SECONDS,
    PAGE_SIZE,
    SETTLE_EMPTY_SECONDS,
    SETTLE_SECONDS,
    TYPING_BUDGET_MS,
    TYPING_PAGE_SIZE,
    AppendPage,
    Ignore,
    KeepWaiting,
    ReplaceList,
    SearchSession,
    Show,
    TagFilter,
    debounce_delay,
)


def hits(*ids: str) -> list[SearchHit]:
    return [SearchHit(paper=Paper(id=paper_id, title=paper_id), score=1.0) for paper_id in ids]


def result(query: str, ids: list[str], **fields: object) -> SearchResult:
    return SearchResult(query=query, hits=hits(*ids), total=len(ids), **fields)  # type: ignore[arg-type]


def test_each_search_is_newer_and_only_the_newest_answer_counts() -> None:
    session = SearchSession()
    first = session.start("diff", sort="relevance", time_budget_ms=TYPING_BUDGET_MS)
    second = session.start("  diffusion ", sort="relevance")
    assert second.generation == first.generation + 1
    assert second.query == "diffusion" and not second.typing and first.typing
    assert session.answer(first, result("diff", ["a"])) == Ignore("stale")
    assert session.result is None
    outcome = session.answer(second, result("diffusion", ["a", "b"]))
    assert isinstance(outcome, Show) and outcome.settle_after is None
    assert session.result is outcome.result


def test_a_typing_pass_cut_short_is_shown_then_settled() -> None:
    session = SearchSession()
    typing = session.start("robot", sort="relevance", time_budget_ms=TYPING_BUDGET_MS)
    outcome = session.answer(typing, result("robot", ["a"], partial=True))
    assert outcome == Show(session.result, keep_position=False, settle_after=SETTLE_SECONDS)  # type: ignore[arg-type]
    # A settled (Enter) search that was cut short is not searched again.
    settled = session.start("robot", sort="relevance")
    again = session.answer(settled, result("robot", ["a", "b"], partial=True))
    assert isinstance(again, Show) and again.settle_after is None


def test_a_typing_pass_that_found_nothing_in_time_keeps_the_list() -> None:
    session = SearchSession()
    shown = session.answer(session.start("x", sort="relevance"), result("x", ["a"]))
    assert isinstance(shown, Show)
    typing = session.start("xy", sort="relevance", time_budget_ms=TYPING_BUDGET_MS)
    assert session.answer(typing, result("xy", [], partial=True)) == KeepWaiting(
        SETTLE_EMPTY_SECONDS
    )
    assert session.result is shown.result  # the list on screen is unchanged
    # An error is an answer, even an empty one: shown, not waited on.
    failing = session.start("xy(", sort="relevance", time_budget_ms=TYPING_BUDGET_MS)
    assert isinstance(session.answer(failing, result("xy(", [], partial=True, error="bad")), Show)


def test_the_same_words_keep_the_reader_on_their_paper() -> None:
    session = SearchSession()
    session.answer(session.start("robot", sort="relevance"), result("robot", ["a", "b"]))
    resorted = session.answer(session.start("robot", sort="newest"), result("robot", ["b", "a"]))
    assert isinstance(resorted, Show) and resorted.keep_position
    other = session.answer(session.start("pokemon", sort="newest"), result("pokemon", ["c"]))
    assert isinstance(other, Show) and not other.keep_position


def test_filters_and_similar_papers_travel_in_the_request() -> None:
    session = SearchSession()
    request = session.start(
        "", sort="title", tag_filter=TagFilter("untagged"), like_paper_id="hf-1"
    )
    assert request.tag_filter == TagFilter("untagged")
    assert request.like_paper_id == "hf-1" and request.sort == "title"
    assert request.limit == PAGE_SIZE


def test_paging_asks_once_and_appends_what_follows_the_list() -> None:
    session = SearchSession(page_size=2)
    first = session.start("", sort="newest")
    session.answer(first, SearchResult(query="", hits=hits("a", "b"), total=5))
    page = session.next_page()
    assert page is not None and page.more and page.limit == 4
    assert page.generation == first.generation
    assert session.next_page() is None  # one page at a time
    outcome = session.answer(page, SearchResult(query="", hits=hits("a", "b", "c", "d"), total=5))
    assert isinstance(outcome, AppendPage)
    assert [hit.paper.id for hit in outcome.new_hits] == ["c", "d"]
    last = session.next_page()
    assert last is not None and last.limit == 6
    session.answer(last, SearchResult(query="", hits=hits(*"abcde"), total=5))
    assert session.next_page() is None  # everything is shown


def test_a_page_of_a_changed_library_replaces_the_list_and_a_failed_one_retries() -> None:
    session = SearchSession(page_size=2)
    first = session.start("", sort="newest")
    session.answer(first, SearchResult(query="", hits=hits("a", "b"), total=5))
    page = session.next_page()
    assert page is not None
    failed = session.answer(page, SearchResult(query="", error="busy", failed=True, total=5))
    assert failed == Ignore("page failed")
    assert session.result is not None and len(session.result.hits) == 2
    retry = session.next_page()
    assert retry is not None
    changed = session.answer(retry, SearchResult(query="", hits=hits("z", "a", "b"), total=6))
    assert isinstance(changed, ReplaceList)


def test_pages_of_a_query_with_a_syntax_note_are_appended() -> None:
    # The note ("“(x” is not closed...") comes with every page of that query: not a failure.
    session = SearchSession(page_size=2)
    note = "A “(” is not closed: closed it at the end."
    first = session.start("(x", sort="relevance")
    session.answer(first, SearchResult(query="(x", hits=hits("a", "b"), total=3, error=note))
    page = session.next_page()
    assert page is not None
    more = session.answer(page, SearchResult(query="(x", hits=hits(*"abc"), total=3, error=note))
    assert isinstance(more, AppendPage) and [h.paper.id for h in more.new_hits] == ["c"]


def test_no_page_for_a_partial_answer_or_after_a_newer_search() -> None:
    session = SearchSession(page_size=2)
    typing = session.start("x", sort="relevance", time_budget_ms=TYPING_BUDGET_MS)
    session.answer(typing, SearchResult(query="x", hits=hits("a", "b"), total=9, partial=True))
    assert session.next_page() is None
    settled = session.start("x", sort="relevance")
    session.answer(settled, SearchResult(query="x", hits=hits("a", "b"), total=9))
    page = session.next_page()
    assert page is not None
    session.start("xy", sort="relevance")
    assert session.answer(page, SearchResult(query="x", hits=hits(*"abcd"), total=9)) == Ignore(
        "stale"
    )


def test_a_final_typing_pass_is_not_searched_again_and_pages_like_a_settled_one() -> None:
    """A typing pass that finished in its budget is the whole first page (issue 17): no
    settle, no "refining…", and the next page is fetched as after Enter."""
    session = SearchSession(page_size=2)
    typing = session.start("robot", sort="relevance", time_budget_ms=TYPING_BUDGET_MS)
    outcome = session.answer(typing, SearchResult(query="robot", hits=hits("a", "b"), total=7))
    assert isinstance(outcome, Show) and outcome.settle_after is None
    page = session.next_page()
    assert page is not None and page.more and not page.typing and page.limit == 4
    appended = session.answer(page, SearchResult(query="robot", hits=hits(*"abcd"), total=7))
    assert isinstance(appended, AppendPage)


def test_a_typing_pass_asks_for_a_first_page_and_the_next_pages_are_whole() -> None:
    """The typing pass reads only the rows a screen can show (issue 13: at 100k papers the
    200 cold papers were a quarter of it); Enter and every next page ask for PAGE_SIZE."""
    session = SearchSession()
    typing = session.start("robot", sort="relevance", time_budget_ms=TYPING_BUDGET_MS)
    assert typing.limit == TYPING_PAGE_SIZE < PAGE_SIZE
    first = hits(*(f"p{n}" for n in range(TYPING_PAGE_SIZE)))
    shown = session.answer(typing, SearchResult(query="robot", hits=first, total=900))
    assert isinstance(shown, Show) and shown.settle_after is None
    page = session.next_page()
    assert page is not None and not page.typing
    assert page.limit == TYPING_PAGE_SIZE + PAGE_SIZE
    assert session.start("robot", sort="relevance").limit == PAGE_SIZE


def test_a_small_page_size_bounds_the_typing_page_too() -> None:
    session = SearchSession(page_size=2)
    assert session.start("x", sort="relevance", time_budget_ms=TYPING_BUDGET_MS).limit == 2
    wide = SearchSession(page_size=500, typing_page_size=30)
    assert wide.start("x", sort="relevance", time_budget_ms=TYPING_BUDGET_MS).limit == 30
    assert wide.start("x", sort="relevance").limit == 500


def test_the_first_key_after_a_pause_searches_at_once_and_a_burst_waits() -> None:
    # Leading and trailing edge: a key after a pause cannot be merged with another, so
    # waiting would only delay its list; keys in a burst wait for the pause.
    assert debounce_delay(None, waiting=False) == 0.0
    assert debounce_delay(DEBOUNCE_SECONDS, waiting=False) == 0.0
    assert debounce_delay(2.0, waiting=False) == 0.0
    assert debounce_delay(DEBOUNCE_SECONDS / 2, waiting=False) == DEBOUNCE_SECONDS
    assert debounce_delay(0.0, waiting=False) == DEBOUNCE_SECONDS
    # An earlier key's debounce still pending: this key is part of that burst.
    assert debounce_delay(2.0, waiting=True) == DEBOUNCE_SECONDS


def test_enter_after_typing_is_a_new_list_that_starts_at_its_top() -> None:
    """Typed, the last word was a prefix; Enter searches it as a whole word: the list
    is a new one, so the cursor goes to its first row rather than following the paper
    the typing list had first. The settled pass of the typing list keeps the reader."""
    session = SearchSession()
    typed = session.start(
        "learning", sort="relevance", time_budget_ms=TYPING_BUDGET_MS, prefix_last_word=True
    )
    session.answer(typed, result("learning", ["a", "b"]))
    settled = session.answer(
        session.start("learning", sort="relevance"), result("learning", ["b", "a"])
    )
    assert isinstance(settled, Show) and settled.keep_position
    entered = session.start("learning", sort="relevance", prefix_last_word=False)
    shown = session.answer(entered, result("learning", ["c", "a"]))
    assert isinstance(shown, Show) and not shown.keep_position
