"""What a demanding reader types: a long pasted sentence no paper has all the words of,
a phrase copied from around an id, a single letter after other words."""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import partial

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_index import FakeTags, make_paper
from whoosh import query as wq

from browser.models import SearchFilters
from browser.search import PaperIndex, spelling, whoosh_internals
from browser.search.spelling import MAX_RELAXATIONS, best_kept_words
from browser.text.tokens import STOP_WORDS, WORD_RUN_PATTERN

CITING = (
    "One exception is the Continual few-shot Learning framework of Antoniou et al."
    " arXiv:2004.11967. We build on MixFormer from Google DeepMind and the XLNet code on"
    " GitHub (see arXiv 2310.06825v2), trained with PyTorch on YouTube clips."
)
SENTENCE = (
    "Offline reinforcement learning trains conservative critics from logged robot"
    " demonstrations without online interaction"
)
MODEL_PAPERS = [
    make_paper(f"Language Model Study {n}", f"A language model of kind {n} for text.")
    for n in range(8)
]
PAPERS = [
    make_paper("Continual Few-Shot Instances", CITING),
    make_paper("Conservative Offline Critics", SENTENCE),
    make_paper("Robot Demonstrations at Scale", "Logged robot demonstrations for imitation."),
    # One paper with many different m-words beside "language": the sum of equal
    # completions ranked it first for "language m".
    make_paper(
        "MODP: Multi Objective Directional Prompting",
        "Language prompting: multiple metrics, most methods, many machines.",
    ),
    *MODEL_PAPERS,
]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PaperIndex]:
    index = PaperIndex.create(tmp_path_factory.mktemp("index"))
    index.rebuild(PAPERS)
    yield index
    index.close()


def _titles(index: PaperIndex, query: str) -> list[str]:
    result = index.search(query, limit=50, prefix_last_word=False)
    return [hit.paper.title for hit in result.hits]


# ------------------------------------------------------------------ long queries

_NONSENSE = st.from_regex(r"zq[a-z]{3,8}x", fullmatch=True)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.lists(_NONSENSE, min_size=1, max_size=6, unique=True),
    st.randoms(use_true_random=False),
)
def test_a_long_query_keeps_the_words_a_paper_has(
    built: PaperIndex, nonsense: list[str], rng: object
) -> None:
    """Relaxation gave up past a handful of words (its ``MAX_RELAXATIONS`` sets of one
    or two words to leave out never reached a sentence with several unknown words)."""
    words = SENTENCE.split()
    for word in nonsense:
        words.insert(rng.randrange(len(words) + 1), word)  # type: ignore[attr-defined]
    assert len(words) >= 6
    result = built.search(" ".join(words), prefix_last_word=False)
    assert result.relaxed_query is not None, words
    assert "Conservative Offline Critics" in {hit.paper.title for hit in result.hits}
    assert set(result.dropped_words) == set(nonsense)
    assert result.relaxed_notice is not None
    assert f"all {len(words)} words" in result.relaxed_notice
    for word in nonsense:
        assert f"“{word}”" in result.relaxed_notice
        assert word not in result.relaxed_query


def test_a_long_query_past_the_sets_tried_keeps_its_best_paper(built: PaperIndex) -> None:
    # Four of seven words to leave out: the ``MAX_RELAXATIONS`` sets (7 of one word,
    # then two) never reach four.
    unknown = [f"zq{chr(97 + n)}qx" for n in range(4)]
    assert MAX_RELAXATIONS < 7 + 21 + 35
    query = " ".join(["robot", *unknown, "demonstrations", "logged"])
    result = built.search(query, prefix_last_word=True)
    assert set(result.dropped_words) == set(unknown)
    assert set(_titles(built, result.relaxed_query or "")) == {
        hit.paper.title for hit in result.hits
    }


# Beside a paper with three of the words, one with only "robot": the best paper of the
# whole library is not the best one a filter allows.
ALPHA = make_paper("Alpha one", "Logged robot demonstrations for imitation.")
BETA = make_paper("Beta two", "A robot grasping study.")
UNKNOWN = [f"zq{chr(97 + n)}qx" for n in range(4)]


@pytest.fixture(scope="module")
def two(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PaperIndex]:
    index = PaperIndex.create(tmp_path_factory.mktemp("two"))
    index.rebuild([ALPHA, BETA])
    yield index
    index.close()


@pytest.mark.parametrize(
    ("query_end", "filters", "tags"),
    [
        ("", SearchFilters(required_tags=("keep",)), {BETA.id: ["keep"]}),
        (" tag:keep", SearchFilters(), {BETA.id: ["keep"]}),
        ("", SearchFilters(excluded_tags=("skip",)), {ALPHA.id: ["skip"]}),
        # The day and new-papers views: the ids they allow, or those they leave out.
        ("", SearchFilters(allowed_ids=frozenset({BETA.id})), {}),
        ("", SearchFilters(denied_ids=frozenset({ALPHA.id})), {}),
    ],
)
def test_a_long_query_keeps_the_words_of_the_best_paper_the_filters_allow(
    two: PaperIndex, query_end: str, filters: SearchFilters, tags: dict[str, list[str]]
) -> None:
    """The best paper was read over the whole library ("Alpha one", three words), so the
    one relaxed query found nothing inside the filter and no notice came."""
    query = " ".join(["robot", *UNKNOWN, "demonstrations", "logged"]) + query_end
    result = two.search(query, filters=filters, tags=FakeTags(tags), prefix_last_word=False)
    assert [hit.paper.title for hit in result.hits] == ["Beta two"]
    assert set(result.dropped_words) == {*UNKNOWN, "demonstrations", "logged"}
    assert result.relaxed_notice is not None


@pytest.mark.parametrize("query_end", [" ", " tag:keep"])
def test_a_finished_last_word_is_not_read_as_a_prefix_to_pick_the_best_paper(
    two: PaperIndex, query_end: str
) -> None:
    """``logg`` was read as ``logg*`` (found in "Alpha one") whenever the search was
    typed, although a space or a tag term after it finishes it: the relaxed query then
    kept it as a whole word no paper has, and found nothing."""
    typing = " ".join(["robot", *UNKNOWN, "demonstrations", "logg"])
    tags = FakeTags({ALPHA.id: ["keep"]})
    result = two.search(typing + query_end, tags=tags, prefix_last_word=True)
    assert [hit.paper.title for hit in result.hits] == ["Alpha one"]
    assert set(result.dropped_words) == {*UNKNOWN, "logg"}
    # Still typed: the word being written is a prefix, and stays.
    typed = two.search(typing, tags=tags, prefix_last_word=True)
    assert [hit.paper.title for hit in typed.hits] == ["Alpha one"]
    assert set(typed.dropped_words) == set(UNKNOWN)


def test_a_long_query_is_relaxed_without_the_fast_path_too(
    two: PaperIndex, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without Whoosh's internals every word's set was None: nothing was relaxed."""
    slow = whoosh_internals.InternalsStatus(("BM25F._field_B",))
    monkeypatch.setattr(whoosh_internals, "STATUS", slow)
    query = " ".join(["robot", *UNKNOWN, "demonstrations", "logged"])
    result = two.search(query, prefix_last_word=False)
    assert [hit.paper.title for hit in result.hits] == ["Alpha one"]
    assert set(result.dropped_words) == set(UNKNOWN)


class _Frequencies:
    def frequency(self, word: str) -> int:
        return {"rare": 1, "middle": 2, "common": 3}[word]


def test_the_postings_bound_counts_what_is_read_not_what_the_filters_leave(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Counting the filtered sets let a narrow filter (a day's papers) read every word's
    postings, however common."""
    monkeypatch.setattr(spelling, "RELAX_POSTINGS", 15)
    read: list[str] = []

    def papers_of(word: str) -> set[int]:
        read.append(word)
        return set(range(10))

    among = {0}.intersection
    kept = best_kept_words(["common", "rare", "middle"], papers_of, _Frequencies(), among)  # type: ignore[arg-type]
    assert read == ["rare", "middle"]
    assert kept == {"rare", "middle"}


# ------------------------------------------------------------------ phrases around ids

_READER_WORDS = re.findall(WORD_RUN_PATTERN, CITING)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.integers(0, len(_READER_WORDS) - 2), st.integers(2, 4), st.booleans())
def test_a_phrase_of_the_words_a_reader_sees_finds_the_paper(
    built: PaperIndex, start: int, size: int, with_punctuation: bool
) -> None:
    """``"arXiv 2004.11967"`` found nothing: the parser lowercased ``arXiv``, which the
    index holds as ``ar`` and ``xiv`` (case splits it), so the id was looked for one
    position too early. Any run of words as written, ids and mixed case included."""
    words = _READER_WORDS[start : start + size]
    if all(word.lower() in STOP_WORDS for word in words) or len(words) < 2:
        return
    if with_punctuation:
        # As copied: the text from the first word to the last, punctuation and all.
        spans = [m.span() for m in re.finditer(WORD_RUN_PATTERN, CITING)][start : start + size]
        phrase = CITING[spans[0][0] : spans[-1][1]]
    else:
        phrase = " ".join(words)
    assert "Continual Few-Shot Instances" in _titles(built, f'"{phrase}"'), phrase


def test_a_phrase_spanning_an_id_finds_the_abstracts_citing_it(built: PaperIndex) -> None:
    for phrase in ('"arXiv 2004.11967"', '"et al. arXiv:2004.11967"', '"Google DeepMind"'):
        assert _titles(built, phrase) == ["Continual Few-Shot Instances"], phrase
    # Field phrases too, and the case as written is what counts, not a second reading.
    assert _titles(built, 'abstract:"MixFormer from Google"') == ["Continual Few-Shot Instances"]
    assert _titles(built, '"arXiv 2310.06825v2"') == ["Continual Few-Shot Instances"]


# ------------------------------------------------------------------ one letter


def test_one_letter_favours_the_completion_commonest_beside_the_other_words(
    built: PaperIndex,
) -> None:
    result = built.search("language m", limit=10, prefix_last_word=True)
    assert result.hits[0].paper.title.startswith("Language Model Study")
    assert {hit.paper.title for hit in result.hits[:8]} == {p.title for p in MODEL_PAPERS}


def test_a_letters_completions_weigh_their_share_of_the_narrowing_papers(
    built: PaperIndex,
) -> None:
    planner, searcher = built._planner, built._current().searcher
    plan = planner.plan(searcher, "language m", prefix_last_word=True)
    boosts = {
        leaf.text: leaf.boost
        for leaf in plan.query.leaves()
        if isinstance(leaf, wq.Term) and leaf.text != "languag"
    }
    # "model" is in 8 of the 9 papers with "language", each other m-word in 1: its
    # share, with its idf evened out to the commonest's.
    assert boosts["model"] == 1.0
    idf = partial(searcher.idf, "text")
    for text, boost in boosts.items():
        if text != "model":
            assert boost == pytest.approx(1 / 8 * idf("model") / idf(text)), text
    # A completion none of those papers holds is not searched.
    assert "m" not in boosts
