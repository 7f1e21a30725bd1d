"""A typing pass that says it is final is the settled first page, wherever it stops.

The app runs no second search after a typing pass that is not ``partial`` (issue 17), so
a pass that claims to be final and is not would leave the reader a wrong list for good.
Here every keystroke of a few queries, typed key by key as the app searches them (each
pass keeping what the last one scored, ``kept.ScoredLists``), is cut at each place the
search looks at its deadline in turn: each pass must be partial or equal the settled
search (the same papers in the same order, the same count and scores). Small posting blocks give
the lists many blocks, so cuts land inside lists and within ANDs that skip.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from browser.identity import paper_id
from browser.models import Paper, SearchResult
from browser.search import PaperIndex, plainvectors, stopping
from browser.search.kept import SKIP_COST, skip_cost, skips_cheaper, skips_to_candidates
from browser.search.vocabulary import Vocabulary
from browser.search.whoosh_internals import postings as postings_layout

GENEROUS_MS = 10_000.0
PAGE = 30

WORDS = [
    "learning",
    "model",
    "diffusion",
    "graph",
    "vision",
    "speech",
    "reasoning",
    "agent",
    "policy",
    "reward",
    "transformer",
    "attention",
    "retrieval",
    "language",
    "robot",
    "planning",
    "memory",
    "control",
]


def library() -> list[Paper]:
    rng = random.Random(5)
    papers = []
    for n in range(900):
        # A skewed draw: a few words in most papers, the rest in a few.
        title = " ".join(rng.choice(WORDS[: rng.randint(1, len(WORDS))]) for _ in range(4))
        abstract = " ".join(rng.choice(WORDS[: rng.randint(2, len(WORDS))]) for _ in range(25))
        papers.append(
            Paper(
                id=paper_id(f"{title} {n}"),
                title=f"{title} {n}",
                abstract=abstract,
                date=dt.date(2024, 1, 1) + dt.timedelta(days=n % 300),
            )
        )
    return papers


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PaperIndex]:
    with pytest.MonkeyPatch.context() as patch:
        # Many blocks a list: a deadline can fall inside one, and an AND can skip.
        patch.setattr(postings_layout, "BLOCK_POSTINGS", 16)
        with PaperIndex.create(tmp_path_factory.mktemp("final") / "ix") as built:
            built.rebuild(library())
            yield built


def page(result: SearchResult) -> tuple[list[str], int]:
    return [h.paper.id for h in result.hits], result.total


def scores(result: SearchResult) -> list[float]:
    return [h.score for h in result.hits]


class CutAfter:
    """``Stop.reached`` for a pass with a deadline: yes from its ``at``-th question on."""

    def __init__(self, at: int) -> None:
        self.at = at
        self.asked = 0

    def __call__(self, stop: stopping.Stop) -> bool:
        if stop.deadline is None:
            return stop.cancelled()
        self.asked += 1
        return self.asked > self.at


def keystrokes(query: str) -> list[str]:
    return [query[:end] for end in range(2, len(query) + 1)]


TYPED = ["learning grap", "reasoning ag", "mo", "robot planning memo", "vision speech rea"]


@pytest.mark.parametrize("numpy_from", [0, plainvectors.NUMPY_FROM_DOCUMENTS])
@pytest.mark.parametrize("query", TYPED)
def test_a_pass_cut_anywhere_is_partial_or_the_settled_page(
    index: PaperIndex, query: str, numpy_from: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(plainvectors, "NUMPY_FROM_DOCUMENTS", numpy_from)
    states = keystrokes(query)
    index._forget_session_caches()
    settled = {text: index.search(text, limit=PAGE, prefix_last_word=True) for text in states}
    cut = CutAfter(0)
    monkeypatch.setattr(stopping.Stop, "reached", lambda stop: cut(stop))
    finals = cuts = 0
    for at in (0, 1, 2, 3, 5, 8, 13, 21, 34, 55, 89, 144):
        index._forget_session_caches()
        for text in states:
            cut = CutAfter(at)
            typing = index.search(
                text, limit=PAGE, time_budget_ms=GENEROUS_MS, prefix_last_word=True
            )
            if typing.partial:
                cuts += 1
                continue
            finals += 1
            assert page(typing) == page(settled[text]), (text, at)
            # An AND adds its parts cheapest first, and a part kept from the last
            # keystroke counts as cheaper: the sums may differ in the last bit.
            assert scores(typing) == pytest.approx(scores(settled[text]), rel=1e-12)
    # Both outcomes happened: the cuts did land inside the work.
    assert finals and cuts


def test_an_and_reads_a_list_whole_unless_skipping_reads_less() -> None:
    """``scoring.term_docs`` skips to an AND's candidates only when ``skip_cost`` says
    it reads less: with a candidate in nearly every block a whole read is cheaper, and
    it is kept for the next keystrokes."""
    assert skips_to_candidates(1_000, 30_000)  # over 8 postings per candidate ...
    assert skip_cost(30_000, 30_000, 1_000) == 30_000  # ... but 40 a skip costs more
    assert not skips_cheaper(1_000, 30_000)
    assert skips_cheaper(100, 30_000)
    assert skip_cost(30_000, 30_000, 100) == 0.15 * 30_000 + SKIP_COST * 100
    assert not skips_cheaper(10, 50)  # a short list: read whole


def test_an_and_with_many_candidates_keeps_the_whole_list(
    index: PaperIndex, monkeypatch: pytest.MonkeyPatch
) -> None:
    from browser.search import kept, scoring

    monkeypatch.setattr(plainvectors, "NUMPY_FROM_DOCUMENTS", 0)
    searcher = index._current_searcher()
    index._forget_session_caches()
    tbytes = searcher.schema["text"].to_bytes("learn")
    count = kept.frequency(searcher, "text", "learn")
    within = plainvectors.vectors_for(searcher).docnum_array(range(0, count // 20))
    monkeypatch.setattr(kept, "SKIP_COST", 10**6)  # skipping never pays: read whole
    scoring.term_docs(searcher, "text", "learn", 1.0, within)
    assert ("text", tbytes) in scoring.scored_lists(searcher)
    index._forget_session_caches()
    monkeypatch.setattr(kept, "SKIP_COST", 0)  # skipping always pays: nothing kept
    monkeypatch.setattr(kept, "ARRAY_SKIP_RATIO", 0)  # (the numpy path's own threshold)
    skipped = scoring.term_docs(searcher, "text", "learn", 1.0, within)
    assert ("text", tbytes) not in scoring.scored_lists(searcher)
    whole = scoring.term_docs(searcher, "text", "learn", 1.0)
    among = plainvectors.vectors_of(whole).among_ids(whole, within)
    assert skipped.as_dict() == among.as_dict()


@given(
    entries=st.lists(
        st.tuples(st.text("abc", min_size=1, max_size=5), st.integers(1, 6)),
        max_size=80,
        unique_by=lambda pair: pair[0],
    ),
    prefix=st.text("abc", min_size=1, max_size=2),
)
@settings(max_examples=150, deadline=None)
def test_a_prefix_ranked_before_the_vocabulary_is_sorted_gets_the_same_words(
    entries: list[tuple[str, int]], prefix: str
) -> None:
    """The first wide prefix of a session ranks its span directly rather than sorting
    the whole vocabulary by frequency (45 ms at 100k papers); every later one may walk
    that order. Both give the same words, ties alphabetically."""
    vocabulary = Vocabulary.from_counts(dict(entries))
    vocabulary.RANKED_SPAN = 0  # every span is "wide"
    for cap in (1, 2, 16):
        direct = vocabulary.most_frequent_with_prefix(prefix, cap)
        assert vocabulary._by_frequency is None  # nothing sorted for it
        span = [w for w in vocabulary.words if w.startswith(prefix)]
        expected = sorted(span, key=lambda w: (-vocabulary.frequency(w), w))[:cap]
        assert direct == expected
        vocabulary._frequency_order()
        assert vocabulary.most_frequent_with_prefix(prefix, cap) == direct
        vocabulary._by_frequency = None
