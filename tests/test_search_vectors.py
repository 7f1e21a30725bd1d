"""Whole-list BM25F as numpy arrays (``search/vectors.py``).

The array operations must give bitwise the scores the dict code before them gave (its
sums in the same order), so ties order exactly as before; and the numpy path must score
as Whoosh's own scorer does (an oracle on an index of several segments with deletions:
a term's scores exactly, ties in Whoosh's order; sums within 1e-9).
"""

from __future__ import annotations

import pickle
import random
from array import array
from collections.abc import Iterator
from itertools import accumulate
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from test_search_oracle import WORDS, _build
from whoosh import query as wq

from browser.search import PaperIndex, plainvectors, scoring, vectors, whoosh_internals
from browser.search.schema import index_term
from browser.search.stopping import NO_STOP

# Few distinct values: many ties, and sums whose last bit depends on the order.
_SCORES = st.sampled_from([0.1, 0.2, 0.3, 1.0 / 3, 2.5, 7.125, 1e-3, 3.0])
_PART = st.dictionaries(st.integers(0, 200), _SCORES, max_size=60)


def _reference_sum(parts: list[dict[int, float]]) -> dict[int, float]:
    """How ``_scores_within`` added an OR's parts before: ``get(d, 0.0) + score``."""
    total: dict[int, float] = {}
    for part in parts:
        for docnum, score in part.items():
            total[docnum] = total.get(docnum, 0.0) + score
    return total


def _same_bits(ours: dict[int, float], theirs: dict[int, float]) -> bool:
    return ours.keys() == theirs.keys() and all(ours[d].hex() == theirs[d].hex() for d in theirs)


@given(st.lists(_PART, max_size=5))
def test_a_sum_adds_in_the_order_of_its_parts(parts: list[dict[int, float]]) -> None:
    docs = vectors.summed([vectors.scored_docs(p) for p in parts])
    assert _same_bits(docs.as_dict(), _reference_sum(parts))
    assert list(docs.ids) == sorted(docs.ids)


@given(_PART, _PART)
def test_an_and_adds_the_later_part_to_the_joint_one(
    joint: dict[int, float], part: dict[int, float]
) -> None:
    docs = vectors.joined(vectors.scored_docs(joint), vectors.scored_docs(part))
    expected = {d: s + part[d] for d, s in joint.items() if d in part}
    assert _same_bits(docs.as_dict(), expected)


@given(_PART, st.integers(1, 80))
def test_the_top_is_the_dict_top_ties_and_all(scored: dict[int, float], wanted: int) -> None:
    assert vectors.top(vectors.scored_docs(scored), wanted) == scoring.top(scored, wanted)


@given(st.lists(st.tuples(st.integers(0, 49), st.sampled_from([1.0, 2.0, 3.0, 7.0])), max_size=50))
def test_bm25_is_the_python_formula_bitwise(postings: list[tuple[int, float]]) -> None:
    postings = sorted(dict(postings).items())
    norms = array("d", [0.75 * (0.25 + 0.75 * n / 17.3) for n in range(1, 51)])
    idf, k1_plus_1 = 2.718, 2.2
    ids = np.array([d for d, _ in postings], dtype=np.int64)
    weights = np.array([w for _, w in postings], dtype=np.float64)
    docs = vectors.bm25(ids, weights, norms, idf, k1_plus_1, offset=1000)
    expected = {1000 + d: idf * ((w * k1_plus_1) / (w + norms[d])) for d, w in postings}
    assert _same_bits(docs.as_dict(), expected)


@given(_PART, st.sets(st.integers(0, 60), max_size=40))
def test_among_ids_keeps_the_same_postings_whichever_side_is_shorter(
    scored: dict[int, float], within: set[int]
) -> None:
    """Few candidates are looked up in the list, many the other way: the same answer."""
    docs = vectors.among_ids(vectors.scored_docs(scored), vectors.docnum_array(within))
    assert list(docs.ids) == sorted(set(scored) & within)
    assert _same_bits(docs.as_dict(), {d: s for d, s in scored.items() if d in within})


def test_filters_keep_the_order_and_scores() -> None:
    docs = vectors.scored_docs({5: 1.0, 2: 2.0, 9: 3.0, 7: 4.0})
    assert list(docs.ids) == [2, 5, 7, 9]
    assert vectors.without(docs, {5, 11}).as_dict() == {2: 2.0, 7: 4.0, 9: 3.0}
    assert vectors.among(docs, {9, 2, 3}).as_dict() == {2: 2.0, 9: 3.0}
    assert vectors.among_ids(docs, vectors.docnum_array({7, 100})).as_dict() == {7: 4.0}
    assert vectors.best(docs, 2).as_dict() == {7: 4.0, 9: 3.0}


# -- the oracle: the numpy path against Whoosh's scorer


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PaperIndex]:
    built = _build(tmp_path_factory.mktemp("vectors") / "ix")
    yield built
    built.close()


def _queries(rng: random.Random) -> Iterator[tuple[str, wq.Query]]:
    def term(word: str) -> wq.Term:
        return wq.Term("text", index_term(word))

    for word in WORDS:
        yield "term", term(word)
    for _ in range(40):
        words = rng.sample(WORDS, rng.randint(2, 6))
        yield "or", wq.Or([term(w) for w in words])
        yield "and", wq.And([term(w) for w in words[:2]])
        completions = wq.Or([term(w) for w in words[2:]])
        yield "and", wq.And([term(words[0]), completions])


@pytest.mark.parametrize("numpy_from", [0, plainvectors.NUMPY_FROM_DOCUMENTS])
def test_the_numpy_path_scores_as_whoosh(
    index: PaperIndex, numpy_from: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Both sides of ``NUMPY_FROM_DOCUMENTS``: numpy's arrays and the lists without it."""
    monkeypatch.setattr(plainvectors, "NUMPY_FROM_DOCUMENTS", numpy_from)
    searcher = index._current_searcher()
    assert plainvectors.uses_numpy(searcher) == (numpy_from == 0)
    deleted = searcher.reader().is_deleted
    assert len(searcher.leaf_searchers()) >= 4 and searcher.reader().has_deletions()
    for kind, query in _queries(random.Random(17)):
        scoring.scored_lists(searcher).clear()
        docs = scoring.ranked_by_bm25(searcher, query, NO_STOP)
        assert docs is not None
        theirs = [
            (hit.docnum, float(hit.score))
            for hit in searcher.search(query, limit=None)
            if not deleted(hit.docnum)
        ]
        ours = plainvectors.vectors_of(docs).top(docs, len(docs))
        assert len(ours) == len(theirs), query
        if kind == "term":
            # One list: the same floats, so the same order, ties included.
            assert ours == theirs, query
            continue
        mine = dict(ours)
        assert mine.keys() == dict(theirs).keys(), query
        assert all(abs(mine[d] - s) <= 1e-9 for d, s in theirs), query
        for (their_doc, _), (my_doc, _) in zip(theirs, ours, strict=True):
            assert their_doc == my_doc or abs(mine[their_doc] - mine[my_doc]) <= 1e-9, query


def test_numpy_is_not_imported_with_the_search_package(tmp_path: Path) -> None:
    """Starting the app paints before any search: importing the search package (and
    the facade) must not load numpy, which the first scoring does."""
    import subprocess
    import sys

    code = "import sys, browser.search; print('numpy' in sys.modules)"
    output = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=tmp_path
    ).stdout
    assert output.strip() == "False"


def _public_postings(matcher: Any) -> list[tuple[int, float]]:
    found = []
    while matcher.is_active():
        found.append((matcher.id(), matcher.weight()))
        matcher.next()
    return found


_AS_BYTES: list[int] = []


def _gathered(matcher: Any) -> list[tuple[int, float]]:
    gathered = whoosh_internals.PostingArrays()
    gathered.read(matcher)
    _AS_BYTES.append(gathered.blocks_as_bytes)
    ids, weights = gathered.arrays()
    assert ids.dtype == np.int64 and weights.dtype == np.float64
    return list(zip(ids.tolist(), weights.tolist(), strict=True))


def test_posting_arrays_are_whooshs_postings(index: PaperIndex) -> None:
    """``PostingArrays`` reads a term's blocks after the first from its extent at once,
    most of them as their pickle's bytes: the same ids and weights as Whoosh's matcher
    gives a block at a time (deleted documents included) and, without the deleted ones,
    as its public API gives one at a time; from the start and from a skip into the
    middle of a list."""
    searcher = index._current_searcher()
    longest = 0
    for subsearcher, _ in searcher.leaf_searchers():
        reader = subsearcher.reader()
        for fieldname, tbytes in reader.all_terms():
            if fieldname not in ("text", "title"):
                continue
            ours = _gathered(reader.postings(fieldname, tbytes))
            longest = max(longest, len(ours))
            by_block = whoosh_internals.posting_parts(reader.postings(fieldname, tbytes), "weights")
            assert ours == [p for ids, ws, _ in by_block for p in zip(ids, ws, strict=True)]
            public = _public_postings(reader.postings(fieldname, tbytes))
            assert [p for p in ours if not reader.is_deleted(p[0])] == public
            if len(public) > 10:
                middle = public[len(public) // 2][0]
                skipped = reader.postings(fieldname, tbytes)
                skipped.skip_to(middle)
                rest = _gathered(skipped)
                assert [p for p in rest if not reader.is_deleted(p[0])] == [
                    p for p in public if p[0] >= middle
                ]
    assert longest > 2 * 128  # lists of several blocks were read
    assert sum(_AS_BYTES) >= 20  # and most blocks after a list's first as their bytes


@pytest.mark.parametrize(
    ("deltas", "weights"),
    [
        ((5, 1, 2, 3, 250), None),  # every delta a byte: read as bytes
        ((300, 1, 2, 3, 4), 2.0),  # a first id of two bytes, one weight for all
        ((70_000, 1, 2, 3), 0.1),  # four bytes; 0.1 as Whoosh's single float keeps it
        ((5, 1, 300, 3), (1.0, 2.0, 3.0, 4.0)),  # a delta past a byte: unpickled
        ((5, 1), (1.0, 2.0)),  # fewer than four: another tuple opcode, unpickled
        ((9, 1, 1, 1, 1, 1), (1.0, 2.5, 1.0, 3.0, 1.0, 7.0)),
        ((9, 1, 1, 1, 1, 1), (1, 2, 1, 3, 255, 7)),  # whole weights as ints: as bytes
        ((9, 1, 1, 1, 1, 1), (1, 2, 1, 3, 256, 7)),  # one past a byte: unpickled
        ((70_000, 1, 2, 3), 3.0),  # one whole weight for all
    ],
)
def test_a_block_reads_as_whoosh_decodes_it(
    deltas: tuple[int, ...], weights: tuple[float, ...] | float | None
) -> None:
    """Whatever shape a block's pickled ``(deltas, weights)`` has, the arrays are what
    Whoosh's ``_read_ids``/``_read_weights`` make of it (ids summed; one weight for all,
    or none, as single floats)."""
    gathered = whoosh_internals.PostingArrays()
    head = pickle.dumps((deltas, weights), pickle.HIGHEST_PROTOCOL)
    gathered.add_block(head, len(deltas))
    gathered.add_block(head.replace(b"\x80\x05", b"\x80\x04", 1), len(deltas))  # unpickled
    ids, read = gathered.arrays()
    count = len(deltas)
    expected_ids = list(accumulate(deltas))
    if weights is None or isinstance(weights, float):
        one = array("f", [1.0 if weights is None else weights])[0]
        expected = [one] * count
    else:
        expected = list(map(float, weights))
    assert ids.tolist() == expected_ids * 2
    assert read.tolist() == expected * 2
    # As bytes when each delta after the first and each weight fits its record.
    assert gathered.blocks_as_bytes == (
        max(deltas[1:]) < 256
        and count >= 4
        and (
            not isinstance(weights, tuple)
            or max(weights) < 256
            or {float} == set(map(type, weights))
        )
    )
