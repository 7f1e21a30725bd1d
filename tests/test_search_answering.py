"""The typing pass (a search with a time budget) against the settled one: when it is final.

A typing pass that finishes within its budget is the whole first page and final: the
app then runs no second search (issue 17). Only a pass really cut short (its deadline,
or Whoosh's collector keeping a screenful with a lower-bound count) says ``partial``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from browser.identity import paper_id
from browser.models import Paper, SearchResult, SortOrder
from browser.search import PaperIndex, answering, plainvectors, scoring, stopping
from browser.search_session import SearchSession, Show

GENEROUS_MS = 10_000.0  # a budget no query here reaches: the pass finishes


def make_paper(title: str, abstract: str, number: int) -> Paper:
    return Paper(
        id=paper_id(title),
        title=title,
        abstract=abstract,
        date=dt.date(2024, 1, 1) + dt.timedelta(days=number % 300),
        comments=number % 7,
        authors=1 + number % 11,
    )


def library() -> list[Paper]:
    """More papers per common word than one screen (and than a page of 100) holds."""
    papers = []
    for n in range(260):
        topic = ("graph", "vision", "speech")[n % 3]
        extra = " ".join(["learning"] * (1 + n % 5))
        papers.append(
            make_paper(
                f"Learning {topic} representations number {n}",
                f"We study {topic} models; {extra} with {'robots' if n % 4 else 'agents'}.",
                n,
            )
        )
    return papers


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PaperIndex]:
    with PaperIndex.create(tmp_path_factory.mktemp("answering") / "ix") as built:
        built.rebuild(library())
        yield built


def ids(result: SearchResult) -> list[str]:
    return [hit.paper.id for hit in result.hits]


# Each kind of query the typing pass meets: the word being typed, finished words with
# it, a field, a range ANDed with words, a NOT, an OR, a phrase, and sorted lists.
QUERIES: list[tuple[str, SortOrder]] = [
    ("learn", "relevance"),
    ("learning rep", "relevance"),
    ("learning graph ", "relevance"),
    ("title:learning", "relevance"),
    ("learning year:2024", "relevance"),
    ("learning NOT speech", "relevance"),
    ("graph OR vision", "relevance"),
    ('"learning graph"', "relevance"),
    ("robots", "newest"),
    ("learning", "comments"),
    ("", "newest"),
    ("", "title"),
]


@pytest.mark.parametrize(("query", "sort"), QUERIES)
@pytest.mark.parametrize("limit", [100, 200])
def test_a_typing_pass_that_finishes_is_the_whole_first_page_and_final(
    index: PaperIndex, query: str, sort: SortOrder, limit: int
) -> None:
    typing = index.search(
        query, sort=sort, limit=limit, time_budget_ms=GENEROUS_MS, prefix_last_word=True
    )
    settled = index.search(query, sort=sort, limit=limit, prefix_last_word=True)
    assert settled.total > 0, query
    assert not typing.partial, query
    assert typing.total == settled.total, query
    assert len(typing.hits) == min(limit, settled.total), query
    assert ids(typing) == ids(settled), query
    assert [h.score for h in typing.hits] == pytest.approx([h.score for h in settled.hits])


def test_more_hits_than_the_collector_keeps_is_still_final_when_scored_whole(
    index: PaperIndex,
) -> None:
    """The bug of issue 17: more hits than ``TYPING_HITS`` made every typing pass partial."""
    result = index.search("learning", limit=200, time_budget_ms=GENEROUS_MS, prefix_last_word=True)
    assert result.total == 260 > answering.TYPING_HITS
    assert len(result.hits) == 200 and not result.partial


def test_the_collector_fallback_keeps_a_screen_and_says_partial(
    index: PaperIndex, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Too many postings to score whole in the budget: Whoosh's collector keeps a
    screenful with block skipping, exact top hits but a lower-bound count."""
    monkeypatch.setattr(answering, "TYPING_POSTINGS", 0)
    typing = index.search(
        "learning robots", limit=200, time_budget_ms=GENEROUS_MS, prefix_last_word=True
    )
    settled = index.search("learning robots", limit=200, prefix_last_word=True)
    assert typing.partial
    assert len(typing.hits) == answering.TYPING_HITS < settled.total
    assert ids(typing)[:10] == ids(settled)[:10]


def test_the_collector_fallback_with_fewer_matches_than_a_screen_is_final(
    index: PaperIndex, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(answering, "TYPING_POSTINGS", 0)
    typing = index.search("number 17", limit=200, time_budget_ms=GENEROUS_MS, prefix_last_word=True)
    settled = index.search("number 17", limit=200, prefix_last_word=True)
    assert 0 < settled.total < answering.TYPING_HITS
    assert not typing.partial
    assert ids(typing) == ids(settled) and typing.total == settled.total


@pytest.mark.parametrize("query", ["learning", "learning NOT speech", "learn"])
def test_a_pass_out_of_time_says_partial(index: PaperIndex, query: str) -> None:
    assert index.search(query, limit=200, time_budget_ms=0.0, prefix_last_word=True).partial


def test_a_final_typing_pass_can_be_paged_like_a_settled_one(index: PaperIndex) -> None:
    first = index.search("learning", limit=100, time_budget_ms=GENEROUS_MS, prefix_last_word=True)
    more = index.search("learning", limit=200, prefix_last_word=True)
    assert not first.partial and first.total > len(first.hits)
    assert ids(more)[:100] == ids(first)


@pytest.mark.parametrize(
    "typed", ["l", "le", "lea", "learn", "learning", "learning g", "learning gr"]
)
def test_each_keystroke_gives_one_final_list(index: PaperIndex, typed: str) -> None:
    """The session's rule on the index's answers: every keystroke state of a common word
    is answered by its typing pass alone (no settle is asked for)."""
    session = SearchSession()
    request = session.start(typed, sort="relevance", time_budget_ms=GENEROUS_MS)
    found = index.search(
        request.query,
        sort=request.sort,
        limit=request.limit,
        time_budget_ms=GENEROUS_MS,
        prefix_last_word=True,
    )
    outcome = session.answer(request, found)
    assert isinstance(outcome, Show) and outcome.settle_after is None, typed
    assert len(found.hits) == min(request.limit, found.total)


class StopsEvery:
    """A stop that gives up at every ``every``-th check: a keystroke's budget."""

    active = True

    def __init__(self, every: int) -> None:
        self.every = every
        self.checks = 0

    def check(self) -> None:
        self.checks += 1
        if self.checks % self.every == 0:
            raise stopping.Interrupted


@pytest.mark.parametrize("every", [2, 3, 7])
def test_a_list_stopped_part_way_goes_on_at_the_next_keystroke(
    tmp_path: Path, every: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Scoring a long list a few blocks per call, as keystrokes with small budgets do,
    ends with exactly the scores of one whole pass, over segments with deletions (in
    blocks of 32 postings: 800 papers make lists of many blocks)."""
    from browser.search.whoosh_internals import postings

    monkeypatch.setattr(postings, "BLOCK_POSTINGS", 32)
    papers = [
        make_paper(f"Paper {n} about learning", "learning " * (1 + n % 4), n) for n in range(900)
    ]
    with PaperIndex.create(tmp_path / "ix") as built:
        built.rebuild(papers[:600])
        built.update(papers[600:], removed_ids=[p.id for p in papers[100:400:3]])
        searcher = built._current_searcher()
        assert len(searcher.leaf_searchers()) > 1 and searcher.reader().has_deletions()
        whole = scoring.term_scores(searcher, "text", "learn", 1.0)
        assert len(whole) == 800
        scoring.scored_lists(searcher).clear()
        stop = StopsEvery(every)
        calls = 0
        while True:
            calls += 1
            try:
                stepped = scoring.term_scores(searcher, "text", "learn", 1.0, stop=stop)  # type: ignore[arg-type]
                break
            except stopping.Interrupted:
                assert calls < 100
        assert calls > 1  # it really was stopped and went on
        assert stepped == whole
        # Kept whole now: asked again, the same without reading a block.
        assert scoring.term_scores(searcher, "text", "learn", 1.0, stop=StopsEvery(1)) == whole  # type: ignore[arg-type]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_term_read_only_where_the_candidates_are_scores_as_the_whole_list(
    tmp_path: Path, seed: int
) -> None:
    """Inside an AND a long list is read only in the blocks that may hold the other
    parts' matches (a block's header gives its last id): the same scores as the whole
    list kept to those candidates, for a term and for an OR of completions, over
    segments with deletions, on the fast path and on Whoosh's public one."""
    import random

    from whoosh import query as wq

    from browser.search import whoosh_internals
    from browser.search.internals_status import InternalsStatus

    papers = [
        make_paper(f"Paper {n} on {'lemma' if n % 3 else 'lexicon'}", "learning " * (1 + n % 4), n)
        for n in range(900)
    ]
    rng = random.Random(seed)
    with PaperIndex.create(tmp_path / "ix") as built:
        built.rebuild(papers[:600])
        built.update(papers[600:], removed_ids=[p.id for p in papers[100:400:3]])
        searcher = built._current_searcher()
        assert len(searcher.leaf_searchers()) > 1 and searcher.reader().has_deletions()
        either = wq.Or([wq.Term("text", "lemma"), wq.Term("text", "lexicon")])
        whole = {
            "term": scoring.term_scores(searcher, "text", "learn", 1.0),
            "or": scoring.node_scores(searcher, either, stopping.NO_STOP),
        }
        for size in (1, 5, 40):  # few enough to be read by their blocks only
            within = set(rng.sample(range(900), size))
            for public in (False, True):
                slow = InternalsStatus(("a name",) if public else ())
                original, whoosh_internals.STATUS = whoosh_internals.STATUS, slow
                try:
                    scoring.scored_lists(searcher).clear()
                    term = scoring._scores_within(
                        searcher, wq.Term("text", "learn"), within, stopping.NO_STOP
                    )
                    ored = scoring._scores_within(searcher, either, within, stopping.NO_STOP)
                finally:
                    whoosh_internals.STATUS = original
                assert term == {d: s for d, s in whole["term"].items() if d in within}
                expected = {d: s for d, s in whole["or"].items() if d in within}
                assert ored.keys() == expected.keys()
                assert all(abs(ored[d] - expected[d]) < 1e-9 for d in expected)


@pytest.mark.parametrize("numpy_from", [0, plainvectors.NUMPY_FROM_DOCUMENTS])
def test_the_numpy_path_reads_a_list_whole_for_all_but_very_few_candidates(
    tmp_path: Path, numpy_from: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Five candidates in a list of 800 postings: the lists path reads only their
    blocks; the numpy path reads the list whole from its blocks' bytes, cheaper there
    below one candidate per ``ARRAY_SKIP_RATIO`` postings, and keeps it for the next
    keystrokes. The same scores either way."""
    from browser.search import kept

    monkeypatch.setattr(plainvectors, "NUMPY_FROM_DOCUMENTS", numpy_from)
    papers = [make_paper(f"Paper {n}", "learning " * (1 + n % 4), n) for n in range(800)]
    with PaperIndex.create(tmp_path / "ix") as built:
        built.rebuild(papers)
        searcher = built._current_searcher()
        whole = scoring.term_scores(searcher, "text", "learn", 1.0)
        scoring.scored_lists(searcher).clear()
        within = {3, 100, 401, 402, 799}
        assert kept.skips_cheaper(len(within), 800)
        assert not kept.skips_as_arrays(len(within), 800)
        found = scoring.term_scores(searcher, "text", "learn", 1.0, within)
        assert found == {d: s for d, s in whole.items() if d in within}
        was_kept = scoring.scored_lists(searcher).get(("text", b"learn")) is not None
        assert was_kept == (numpy_from == 0)


# An AND of a word with a part that is neither a term nor an OR of terms: the typing
# pass's cost estimate asked such parts for their terms and raised, so the app searched
# the bare words and said it "could not run the query as written" (newcomer's finding).
MIXED_ANDS = [
    '"learning graph" robots',
    'robots "learning graph"',
    'qqq "learning graph"',
    "robots listed:2024-01",
    "qqq listed:[2024-01-01 TO 2024-12-31]",
    "robots date:[2024-01 TO 2024-06]",
    'agents title:"learning vision"',
    'robots (graph OR "speech models")',
    "robots comments:>3",
]


@pytest.mark.parametrize("query", MIXED_ANDS)
def test_a_word_anded_with_a_phrase_or_range_runs_as_written_when_typing(
    index: PaperIndex, query: str
) -> None:
    typing = index.search(query, time_budget_ms=GENEROUS_MS, prefix_last_word=True)
    settled = index.search(query, prefix_last_word=True)
    assert typing.error is None and settled.error is None, query
    assert (typing.total, ids(typing)) == (settled.total, ids(settled)), query
