"""``PaperIndex.matching_ids``: the set of papers a search finds, without the search.

The stats count the papers a query matches; a search for every hit scores, sorts and
reads them all. ``matching_ids`` must name exactly the papers ``search`` would return
with no limit, for the same text and filters, including when the query as typed matches
nothing and the search shows its spelling correction or a relaxed query instead. The
seeded random queries of the search oracle (words, phrases, fields, AND/OR/NOT, ranges,
prefixes) on its index of several segments with deletions, with tag filters beside
them, are the cases.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_index import FakeTags
from test_search_oracle import _build, _cases

from browser.models import Relaxation, SearchCancelled, SearchFilters, SearchResult
from browser.search import PaperIndex, whoosh_internals

EVERYTHING = 100_000


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PaperIndex]:
    built = _build(tmp_path_factory.mktemp("matching") / "ix")
    yield built
    built.close()


@pytest.fixture(scope="module")
def tags(index: PaperIndex) -> FakeTags:
    rng = random.Random(16)
    ids = sorted(index.all_ids())
    return FakeTags({paper: [rng.choice(["to read", "cited"])] for paper in rng.sample(ids, 60)})


def hit_ids(result: SearchResult) -> frozenset[str]:
    return frozenset(hit.paper.id for hit in result.hits)


def assert_same_papers(
    index: PaperIndex, text: str, tags: FakeTags | None = None, filters: SearchFilters | None = None
) -> None:
    result = index.search(text, limit=EVERYTHING, tags=tags, filters=filters, prefix_last_word=True)
    matched = index.matching_ids(text, tags=tags, filters=filters, prefix_last_word=True)
    case = (text, filters)
    assert matched.paper_ids == hit_ids(result), case
    assert len(matched.paper_ids) == result.total, case
    assert matched.corrected_query == result.corrected_query, case
    assert matched.relaxed_query == result.relaxed_query, case
    assert matched.relaxed == Relaxation.of(result), case


def test_the_same_papers_as_a_search_for_every_hit(index: PaperIndex) -> None:
    for text, _sort in _cases(80, seed=1616):
        assert_same_papers(index, text)


def test_with_tag_filters_as_text_and_as_structure(index: PaperIndex, tags: FakeTags) -> None:
    filters = [
        SearchFilters(required_tags=("to read",)),
        SearchFilters(tagged=False),
        SearchFilters(excluded_tags=("cited",)),
    ]
    for number, (text, _sort) in enumerate(_cases(36, seed=1617)):
        assert_same_papers(index, text, tags, filters[number % 3])
    for text in ("tag:cited", "-tag:cited learning", "is:untagged", "is:tagged model*"):
        assert_same_papers(index, text, tags)


def test_an_empty_query_is_every_paper_and_filters_alone_narrow_it(
    index: PaperIndex, tags: FakeTags
) -> None:
    assert index.matching_ids("", prefix_last_word=True).paper_ids == frozenset(index.all_ids())
    narrowed = index.matching_ids(
        "", tags=tags, filters=SearchFilters(required_tags=("cited",)), prefix_last_word=True
    )
    assert narrowed.paper_ids == frozenset(tags.ids_with_tag("cited")) & index.all_ids()


def test_a_typo_is_matched_as_its_correction_and_missing_words_are_relaxed(
    index: PaperIndex,
) -> None:
    for text in ("difusion", "transformr", "diffusion zzzqqq", "retrieval xyzzyplugh agents"):
        assert_same_papers(index, text)
    matched = index.matching_ids("diffusion zzzqqq", prefix_last_word=True)
    assert matched.relaxed_query is not None and matched.paper_ids


def test_broken_syntax_matches_the_words_as_the_search_does(index: PaperIndex) -> None:
    for text in ('"unclosed phrase', "title:(", "AND OR NOT", "((learning", "date:[2024 TO"):
        assert_same_papers(index, text)


def test_the_public_path_gives_the_same_papers(
    index: PaperIndex, monkeypatch: pytest.MonkeyPatch
) -> None:
    slow = whoosh_internals.InternalsStatus(("BM25F._field_B",))
    monkeypatch.setattr(whoosh_internals, "STATUS", slow)
    for text, _sort in _cases(24, seed=1618):
        assert_same_papers(index, text)


def test_a_cancelled_match_raises(index: PaperIndex) -> None:
    with pytest.raises(SearchCancelled):
        index.matching_ids("learning OR model*", cancelled=lambda: True, prefix_last_word=True)
    assert (
        len(index.matching_ids("learning OR model*", prefix_last_word=True).paper_ids) > 0
    )  # nothing left locked


def test_an_empty_index_matches_nothing(tmp_path: Path) -> None:
    # Whoosh gives an index without documents a reader without columns.
    with PaperIndex.create(tmp_path / "ix") as empty:
        assert empty.matching_ids("", prefix_last_word=True).paper_ids == frozenset()
        assert empty.matching_ids("learning", prefix_last_word=True).paper_ids == frozenset()
        for text, sort in [("", "newest"), ("learning", "title"), ("date:>2020", "comments")]:
            result = empty.search(text, sort=sort, prefix_last_word=True)
            assert (result.total, result.error) == (0, None), (text, sort)
