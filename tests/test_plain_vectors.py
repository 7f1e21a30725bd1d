"""Scoring without numpy below ``NUMPY_FROM_DOCUMENTS`` (``search/plainvectors.py``).

The lists must give bitwise the scores numpy's arrays give (both are the dict code's
operations in its order), so a library's answers do not change when it grows past the
threshold: the same hits, the same scores, ties in the same order.
"""

from __future__ import annotations

import random
import subprocess
import sys
from array import array
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from test_search_oracle import _build, _cases
from test_search_vectors import _PART, _queries, _reference_sum, _same_bits

from browser.search import PaperIndex, plainvectors, scoring, vectors
from browser.search.stopping import NO_STOP


@given(st.lists(_PART, max_size=5))
def test_a_sum_adds_in_the_order_of_its_parts(parts: list[dict[int, float]]) -> None:
    docs = plainvectors.summed([plainvectors.scored_docs(p) for p in parts])
    assert _same_bits(docs.as_dict(), _reference_sum(parts))
    assert docs.ids == sorted(docs.ids)


@given(_PART, _PART, st.integers(1, 80))
def test_each_list_operation_is_numpys_bitwise(
    joint: dict[int, float], part: dict[int, float], wanted: int
) -> None:
    mine = (plainvectors.scored_docs(joint), plainvectors.scored_docs(part))
    theirs = (vectors.scored_docs(joint), vectors.scored_docs(part))
    assert _same_bits(plainvectors.joined(*mine).as_dict(), vectors.joined(*theirs).as_dict())
    assert plainvectors.top(mine[0], wanted) == vectors.top(theirs[0], wanted)
    assert plainvectors.top(mine[0], wanted) == scoring.top(joint, wanted)
    assert plainvectors.best(mine[0], wanted).as_dict() == vectors.best(theirs[0], wanted).as_dict()
    cut = set(part)
    assert plainvectors.without(mine[0], cut).as_dict() == vectors.without(theirs[0], cut).as_dict()
    assert plainvectors.among(mine[0], cut).as_dict() == vectors.among(theirs[0], cut).as_dict()
    assert _same_bits(
        plainvectors.plus(plainvectors.times(mine[0], 0.3), 1.0).as_dict(),
        vectors.plus(vectors.times(theirs[0], 0.3), 1.0).as_dict(),
    )


@given(st.lists(st.tuples(st.integers(0, 49), st.sampled_from([1.0, 2.0, 3.0, 7.0])), max_size=50))
def test_bm25_is_the_python_formula_bitwise(postings: list[tuple[int, float]]) -> None:
    postings = sorted(dict(postings).items())
    norms = array("d", [0.75 * (0.25 + 0.75 * n / 17.3) for n in range(1, 51)])
    idf, k1_plus_1 = 2.718, 2.2
    ids = [d for d, _ in postings]
    weights = [w for _, w in postings]
    docs = plainvectors.bm25(ids, weights, norms, idf, k1_plus_1, offset=1000)
    expected = {1000 + d: idf * ((w * k1_plus_1) / (w + norms[d])) for d, w in postings}
    assert _same_bits(docs.as_dict(), expected)


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PaperIndex]:
    built = _build(tmp_path_factory.mktemp("plain") / "ix")
    yield built
    built.close()


def test_both_sides_of_the_threshold_score_alike(
    index: PaperIndex, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Whole-list BM25 over segments with deletions: the same scores to the last bit."""
    searcher = index._current_searcher()
    for _kind, query in _queries(random.Random(18)):
        answers = []
        for numpy_from in (0, 10**9):
            monkeypatch.setattr(plainvectors, "NUMPY_FROM_DOCUMENTS", numpy_from)
            scoring.scored_lists(searcher).clear()
            docs = scoring.ranked_by_bm25(searcher, query, NO_STOP)
            assert docs is not None
            answers.append(plainvectors.vectors_of(docs).top(docs, len(docs)))
        numpy_top, plain_top = answers
        assert [d for d, _ in numpy_top] == [d for d, _ in plain_top], query
        assert all(
            a.hex() == b.hex() for (_, a), (_, b) in zip(numpy_top, plain_top, strict=True)
        ), query


def test_searches_answer_alike_on_both_sides(
    index: PaperIndex, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What a search returns (words, phrases, fields, ranges, the word being typed, sort
    orders) does not depend on the side of the threshold the library is on."""
    for text, sort in _cases(60, seed=1819):
        for typing in (False, True):
            answers = []
            for numpy_from in (0, 10**9):
                monkeypatch.setattr(plainvectors, "NUMPY_FROM_DOCUMENTS", numpy_from)
                index._forget_session_caches()
                result = index.search(text, sort=sort, limit=30, prefix_last_word=typing)
                answers.append([(h.paper.id, h.score.hex()) for h in result.hits] + [result.total])
            assert answers[0] == answers[1], (text, sort, typing)


_SEARCH = """
import sys
from pathlib import Path
from browser.search import PaperIndex
from test_index import PAPERS
index = PaperIndex.create(Path(sys.argv[1]))
index.rebuild(PAPERS)
for query, typing in [("reinforcement learning", False), ('"policy gradient"', False),
                      ("offline r", True), ("diffusion OR robots", False)]:
    assert index.search(query, prefix_last_word=typing).total > 0, query
print("numpy" in sys.modules)
"""


def test_a_small_library_never_imports_numpy(tmp_path: Path) -> None:
    tests = Path(__file__).parent
    output = subprocess.run(
        [sys.executable, "-c", _SEARCH, str(tmp_path / "ix")],
        capture_output=True,
        text=True,
        check=True,
        cwd=tests,
        env={"PYTHONPATH": f"{tests}{':' + ':'.join(sys.path[1:])}"},
    ).stdout
    assert output.strip() == "False"


_LOAD = """
import sys
from pathlib import Path
from browser.search import PaperIndex, plainvectors
from test_index import PAPERS
plainvectors.NUMPY_FROM_DOCUMENTS = int(sys.argv[2])
index = PaperIndex.create(Path(sys.argv[1]))
index.rebuild(PAPERS)
index.load_scoring()
print("numpy" in sys.modules)
"""


@pytest.mark.parametrize(("numpy_from", "imported"), [(10**9, "False"), (0, "True")])
def test_loading_the_scoring_code_imports_numpy_only_for_a_large_library(
    tmp_path: Path, numpy_from: int, imported: str
) -> None:
    # The app's opening thread calls this (Services.load_search_code) before the first
    # search; a small library must not pay numpy's import there either.
    tests = Path(__file__).parent
    output = subprocess.run(
        [sys.executable, "-c", _LOAD, str(tmp_path / "ix"), str(numpy_from)],
        capture_output=True,
        text=True,
        check=True,
        cwd=tests,
        env={"PYTHONPATH": f"{tests}{':' + ':'.join(sys.path[1:])}"},
    ).stdout
    assert output.strip() == imported
