"""Issue 13: a title holding the query word as written ranks above one matching its stem only.

Each library below is built so that plain BM25 (stems only) puts the stem-only papers
first: shorter titles and the stem repeated in their abstracts. The exact-form rule must
turn that around, and leave alone what it has no reason to touch.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest

from browser.identity import paper_id
from browser.models import Paper
from browser.search import PaperIndex, exactness
from browser.search.schema import index_term


def make_paper(title: str, abstract: str = "", day: int = 1) -> Paper:
    return Paper(id=paper_id(title), title=title, abstract=abstract, date=dt.date(2024, 5, day))


# (query word, titles with it as written, titles with its stem only). The stem-only ones
# have the stem in their abstract too, so BM25 alone ranks them first.
FAMILIES = [
    (
        "generative",
        ["Generative Priors for Long Video Synthesis with Many Many Extra Title Words"],
        ["Generation Tricks", "Generated Faces", "Generators of Images"],
    ),
    (
        "policies",
        ["Safe Policies under Uncertainty for Robots in Cluttered Warehouse Settings"],
        ["Policy Search", "Policy Networks"],
    ),
    (
        "learned",
        ["Learned Optimizers That Generalise Across Architectures and Many Other Things"],
        ["Learning Rates", "Learning Theory"],
    ),
    (
        "modeling",
        ["Modeling Sparse Interactions in Large Recommender Systems with Extra Words"],
        ["Models Everywhere", "Model Cards"],
    ),
]


def library() -> list[Paper]:
    papers = []
    day = 1
    for word, exact, stem_only in FAMILIES:
        stem_word = stem_only[0].split()[0].lower()
        for title in exact:
            papers.append(make_paper(title, "A study of something else entirely.", day))
            day += 1
        for title in stem_only:
            papers.append(make_paper(title, f"{stem_word} {stem_word} {stem_word}.", day))
            day += 1
        assert all(index_term(t.split()[0].lower()) == index_term(word) for t in stem_only)
    papers.append(make_paper("Unrelated Filler Paper", "Nothing to see here.", day))
    return papers


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PaperIndex]:
    with PaperIndex.create(tmp_path_factory.mktemp("exact") / "ix") as built:
        built.rebuild(library())
        yield built


def titles(index: PaperIndex, query: str, **options: object) -> list[str]:
    return [
        hit.paper.title for hit in index.search(query, **{"prefix_last_word": True, **options}).hits
    ]  # type: ignore[arg-type]


@pytest.mark.parametrize(("word", "exact", "stem_only"), FAMILIES)
@pytest.mark.parametrize("ending", [" ", ""])
def test_a_title_with_the_word_as_written_ranks_first(
    index: PaperIndex, word: str, exact: list[str], stem_only: list[str], ending: str
) -> None:
    found = titles(index, word + ending)
    assert set(found) >= set(exact) | set(stem_only)
    assert found[: len(exact)] == exact, found


@pytest.mark.parametrize(("word", "exact", "stem_only"), FAMILIES)
def test_without_the_rule_bm25_alone_ranks_them_the_other_way(
    index: PaperIndex,
    monkeypatch: pytest.MonkeyPatch,
    word: str,
    exact: list[str],
    stem_only: list[str],
) -> None:
    """The library really tests the rule: with it switched off the order flips."""
    monkeypatch.setattr(exactness, "EXACT_TITLE_SHARE", 0.0)
    found = titles(index, word + " ")
    assert found[-len(exact) :] == exact, found


def test_the_rule_changes_the_order_not_the_matches(index: PaperIndex) -> None:
    with_rule = index.search("generative ", prefix_last_word=True)
    assert with_rule.total == 4
    assert not with_rule.partial
    typing = index.search("generative ", time_budget_ms=10_000, prefix_last_word=True)
    assert [h.paper.id for h in typing.hits] == [h.paper.id for h in with_rule.hits]


def test_a_word_with_one_written_form_in_the_library_scores_as_bm25(index: PaperIndex) -> None:
    """No paper can match ``warehouse`` by its stem only: nothing to promote or add."""
    searcher = index._current_searcher()
    vocabulary = index._vocabulary_for(searcher)

    def exact(*finished: str, typed: str | None = None) -> list[bytes]:
        words = exactness.QueryWords(list(finished), typed)
        found = exactness.exact_words(
            searcher, words, vocabulary, lambda prefix: list(vocabulary.starting_with(prefix))
        )
        return [word.form for word in found]

    assert exact("warehouse") == []
    assert exact("Generative") == [b" generative "]
    # "generati" completes to generative and generation; "generated" shares their stem.
    assert exact(typed="generati") == [b" generati"]
    assert exact(typed="generated") == [b" generated"]
    assert exact(typed="wareh") == []


@pytest.mark.parametrize(
    ("query", "words", "finished", "typed"),
    [
        ("generative", ["generative"], [], "generative"),
        ("generative ", ["generative"], ["generative"], None),
        ("learned opt", ["learned", "opt"], ["learned"], "opt"),
        ('"learned optimizers"', ["learned", "optimizers"], ["learned", "optimizers"], None),
    ],
)
def test_the_word_being_typed_is_told_apart(
    query: str, words: list[str], finished: list[str], typed: str | None
) -> None:
    assert exactness.query_words(query, words, being_typed=True) == exactness.QueryWords(
        finished, typed
    )
