"""The search service over a small hand-made library (no parser involved)."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import signal
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from whoosh import query as wq

from browser.identity import paper_id
from browser.models import (
    Organization,
    Paper,
    SearchCancelled,
    SearchFilters,
    Source,
    StatePredicate,
)
from browser.search import (
    IndexBusy,
    IndexUnusable,
    PaperIndex,
    answering,
    facade,
    phrases,
    schema,
    stopping,
    typed_word,
)
from browser.search.vocabulary import VOCABULARY_PREFIX, Vocabulary

ROOT = Path(__file__).resolve().parent.parent


def make_paper(title: str, abstract: str = "", **fields: object) -> Paper:
    return Paper(id=paper_id(title), title=title, abstract=abstract, **fields)


PAPERS = [
    make_paper(
        "Policy Gradient Methods for Reinforcement Learning",
        "We study policies trained with reinforcement learning on continuous control.",
        date=dt.date(2024, 3, 5),
        comments=4,
        authors=3,
        upvotes=12,
        arxiv_id="2403.01234",
        author_names=["Jane Doe", "Li Wei"],
        keywords=["policy gradient"],
    ),
    make_paper(
        "Offline Reinforcement Learning with Conservative Critics",
        "Offline data and a conservative critic make learning stable.",
        date=dt.date(2023, 11, 2),
        comments=1,
        authors=12,
    ),
    make_paper(
        "Diffusion Models for Image Synthesis",
        "Denoising diffusion produces images; robots are not involved.",
        date=dt.date(2024, 6, 30),
        comments=0,
        authors=15,
        organization=Organization(slug="nvidia", name="NVIDIA"),
    ),
    make_paper(
        "Policy-Guided Diffusion",
        "Guiding a diffusion sampler with a behaviour policy for offline reinforcement learning.",
        date=dt.date(2024, 1, 15),
        comments=7,
        authors=4,
    ),
    make_paper(
        "Twitch Plays Pokémon, Machines Learn",
        "A crowd plays Pokemon through chat and a model learns from it.",
        date=dt.date(2022, 2, 1),
        comments=2,
        authors=2,
    ),
    make_paper(
        "Robot Manipulation from Demonstrations",
        "Imitation of human demonstrations lets robots grasp objects.",
        date=dt.date(2025, 5, 20),
        authors=6,
    ),
    make_paper(
        "Large Language Models Are Zero-Shot Reasoners",
        "Prompting large language models with step by step reasoning improves arithmetic.",
        date=dt.date(2022, 5, 24),
        comments=3,
        authors=5,
    ),
    make_paper(
        "Scaling Laws for Neural Language Models",
        "Loss scales as a power law with model size, data and compute.",
        date=dt.date(2020, 1, 23),
        authors=10,
        organization=Organization(slug="openai", name="OpenAI"),
    ),
    make_paper(
        "Attention Is All You Need",
        "The transformer relies entirely on attention, dispensing with recurrence.",
        date=dt.date(2017, 6, 12),
        comments=9,
        authors=8,
    ),
    make_paper(
        "An Undated Survey of Graph Neural Networks",
        "Graph neural networks aggregate messages from neighbours.",
    ),
    make_paper(
        "Transformers for Protein Folding",
        "A transformer predicts protein structure from sequences.",
        date=dt.date(2021, 7, 15),
        comments=2,
        authors=20,
    ),
    make_paper(
        "Reward Hacking in Reinforcement Learning from Human Feedback",
        "Policies exploit reward models; we measure reward hacking.",
        date=dt.date(2024, 9, 1),
        comments=5,
        authors=7,
    ),
]
BY_TITLE = {paper.title: paper for paper in PAPERS}


class FakeTags:
    """TagLookup over a dict, case-insensitive as the contract asks."""

    def __init__(self, tags: dict[str, list[str]]) -> None:
        self.tags = tags

    def tags_of(self, paper_id: str) -> list[str]:
        return list(self.tags.get(paper_id, []))

    def ids_with_tag(self, tag: str) -> set[str]:
        wanted = tag.strip().casefold()
        return {pid for pid, names in self.tags.items() if wanted in {n.casefold() for n in names}}

    def tagged_ids(self) -> set[str]:
        return {pid for pid, names in self.tags.items() if names}


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PaperIndex]:
    index = PaperIndex.create(tmp_path_factory.mktemp("index"))
    index.rebuild(PAPERS)
    yield index
    index.close()


@pytest.fixture
def fresh(tmp_path: Path) -> Iterator[PaperIndex]:
    index = PaperIndex.create(tmp_path / "index")
    index.rebuild(PAPERS)
    yield index
    index.close()


def titles(index: PaperIndex, query: str, **options: object) -> list[str]:
    return [
        hit.paper.title for hit in index.search(query, **{"prefix_last_word": True, **options}).hits
    ]  # type: ignore[arg-type]


# ------------------------------------------------------------------ words


def test_stemming_matches_other_word_forms(built: PaperIndex) -> None:
    assert "Policy Gradient Methods for Reinforcement Learning" in titles(built, "policies ")
    assert "Reward Hacking in Reinforcement Learning from Human Feedback" in titles(
        built, "policy "
    )


def test_accents_fold_both_ways(built: PaperIndex) -> None:
    assert titles(built, "pokemon ") == ["Twitch Plays Pokémon, Machines Learn"]
    assert titles(built, "Pokémon ") == ["Twitch Plays Pokémon, Machines Learn"]


def test_all_terms_must_match_by_default(built: PaperIndex) -> None:
    assert titles(built, "diffusion policy ") == ["Policy-Guided Diffusion"]


def test_last_word_is_a_prefix_while_typing(built: PaperIndex) -> None:
    typing = built.search("reinf", prefix_last_word=True)
    assert typing.total == 4
    assert {
        hit.paper.title
        for hit in built.search("offline reinforcement lea", prefix_last_word=True).hits
    } == {
        "Offline Reinforcement Learning with Conservative Critics",
        "Policy-Guided Diffusion",
    }
    # "learni" is not a stem of anything: the completion goes through the raw words.
    assert (
        built.search("learni", prefix_last_word=True).total
        == built.search("learning ", prefix_last_word=True).total
    )


def test_finished_word_is_not_a_prefix(built: PaperIndex) -> None:
    assert "Transformers for Protein Folding" in titles(built, "prot")
    finished = built.search("prot ", prefix_last_word=True)
    assert finished.total == 0 or finished.corrected_query


def test_phrase_and_boolean_operators(built: PaperIndex) -> None:
    assert set(titles(built, '"reinforcement learning" NOT offline')) == {
        "Policy Gradient Methods for Reinforcement Learning",
        "Reward Hacking in Reinforcement Learning from Human Feedback",
    }
    assert set(titles(built, "protein OR pokemon")) == {
        "Transformers for Protein Folding",
        "Twitch Plays Pokémon, Machines Learn",
    }
    assert "Offline Reinforcement Learning with Conservative Critics" not in titles(
        built, "reinforcement -offline"
    )


def test_phrases_read_positions_the_same_for_few_and_many_candidates(tmp_path: Path) -> None:
    # "omega" is in every paper, so its candidates are few next to its postings (skip to
    # each); "alpha" is only where "omega" is too (read every block).
    papers = []
    for n in range(1000):
        if n % 50 == 0:
            abstract = "alpha omega together"
        elif n % 50 == 1:
            abstract = "alpha apart from omega"
        else:
            abstract = "omega alone"
        papers.append(make_paper(f"Paper {n}", abstract))
    expected = {f"Paper {n}" for n in range(0, 1000, 50)}
    with PaperIndex.create(tmp_path / "ix") as index:
        index.rebuild(papers[:500])
        index.update(papers[500:])  # a second segment
        found = {
            hit.paper.title
            for hit in index.search('"alpha omega"', limit=100, prefix_last_word=True).hits
        }
        assert found == expected
        in_abstract = index.search('abstract:"alpha omega"', limit=100, prefix_last_word=True).hits
        assert {hit.paper.title for hit in in_abstract} == expected


def test_explicit_wildcard_matches_unstemmed_words(built: PaperIndex) -> None:
    assert set(titles(built, "learn*")) >= {
        "Twitch Plays Pokémon, Machines Learn",
        "Offline Reinforcement Learning with Conservative Critics",
    }
    assert built.search("*", prefix_last_word=True).total == len(PAPERS)


# ------------------------------------------------------------------ typos


def test_typo_is_corrected_when_nothing_matches(built: PaperIndex) -> None:
    result = built.search("reinfrocement learning ", prefix_last_word=True)
    assert result.corrected_query == "reinforcement learning "
    assert result.total == 4
    assert result.hits


def test_a_correction_cut_short_leaves_the_typing_pass_partial(
    built: PaperIndex, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Out of budget for the corrected query is not "nothing matches": the settled search
    must still run and correct it."""
    real_run = built._answerer.run

    def out_of_time_for_corrections(commit: Any, plan: Any, **options: Any) -> Any:
        if "reinforc" in repr(plan.query):
            return answering.Outcome([], 0, True)
        return real_run(commit, plan, **options)

    monkeypatch.setattr(built._answerer, "run", out_of_time_for_corrections)
    result = built.search("reinfrocement learning ", time_budget_ms=10_000, prefix_last_word=True)
    assert result.total == 0 and result.corrected_query is None
    assert result.partial


def test_typo_in_the_last_word_is_corrected_too(built: PaperIndex) -> None:
    result = built.search("protien", prefix_last_word=True)
    assert result.corrected_query == "protein"
    assert titles(built, "protien") == ["Transformers for Protein Folding"]


def test_without_a_word_when_even_correction_finds_nothing(built: PaperIndex) -> None:
    # Issue 13: the shorter query is run, not only suggested, and says what it left out.
    result = built.search("qqxqzzv diffusion ", prefix_last_word=True)
    assert result.total > 0
    assert result.relaxed_query == "diffusion "
    assert result.dropped_words == ["qqxqzzv"]
    assert all("iffusion" in hit.paper.title + hit.paper.abstract for hit in result.hits)


# ------------------------------------------------------------------ fields and ranges


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("title:diffusion", {"Diffusion Models for Image Synthesis", "Policy-Guided Diffusion"}),
        (
            "abstract:robots",
            {"Diffusion Models for Image Synthesis", "Robot Manipulation from Demonstrations"},
        ),
        ("title:robots", {"Robot Manipulation from Demonstrations"}),
        ("org:nvidia", {"Diffusion Models for Image Synthesis"}),
        ("org:OpenAI", {"Scaling Laws for Neural Language Models"}),
        ('author:"jane doe"', {"Policy Gradient Methods for Reinforcement Learning"}),
        ("arxiv:2403.01234", {"Policy Gradient Methods for Reinforcement Learning"}),
        ("keyword:gradient", {"Policy Gradient Methods for Reinforcement Learning"}),
        (
            "year:2022",
            {
                "Twitch Plays Pokémon, Machines Learn",
                "Large Language Models Are Zero-Shot Reasoners",
            },
        ),
        (
            "date:[2024-01 TO 2024-06]",
            {
                "Policy Gradient Methods for Reinforcement Learning",
                "Diffusion Models for Image Synthesis",
                "Policy-Guided Diffusion",
            },
        ),
        ("date:2024-03", {"Policy Gradient Methods for Reinforcement Learning"}),
        ("comments:>5", {"Policy-Guided Diffusion", "Attention Is All You Need"}),
        (
            "authors:>12",
            {"Diffusion Models for Image Synthesis", "Transformers for Protein Folding"},
        ),
        ("upvotes:>=10", {"Policy Gradient Methods for Reinforcement Learning"}),
        ("diffusion year:2024 comments:>3", {"Policy-Guided Diffusion"}),
    ],
)
def test_fields_and_ranges(built: PaperIndex, query: str, expected: set[str]) -> None:
    result = built.search(query, prefix_last_word=True)
    assert result.error is None
    assert {hit.paper.title for hit in result.hits} == expected
    assert result.total == len(expected)


_RANGE_FIELDS = {
    "date": lambda paper: paper.date,
    "year": lambda paper: paper.date.year if paper.date else None,
    "comments": lambda paper: paper.comments,
}


@st.composite
def _ranges(draw: st.DrawFn) -> tuple[str, str, Any, Any, bool, bool]:
    field = draw(st.sampled_from(sorted(_RANGE_FIELDS)))
    if field == "date":
        # The papers' own dates and their neighbours: where exclusive bounds matter.
        known = [p.date + dt.timedelta(days=d) for p in PAPERS if p.date for d in (-1, 0, 1)]
        values = st.one_of(
            st.sampled_from(known), st.dates(dt.date(2016, 1, 1), dt.date(2026, 12, 31))
        )
    elif field == "year":
        values = st.integers(2015, 2027)
    else:
        values = st.integers(0, 12)
    low, high = draw(st.one_of(st.none(), values)), draw(st.one_of(st.none(), values))
    if low is None and high is None:
        low = draw(values)
    return field, field, low, high, draw(st.booleans()), draw(st.booleans())


def _range_query(field: str, low: Any, high: Any, low_excl: bool, high_excl: bool) -> str:
    text = {"date": lambda d: d.isoformat()}.get(field, str)
    if low is not None and high is not None:
        opening, closing = "{" if low_excl else "[", "}" if high_excl else "]"
        return f"{field}:{opening}{text(low)} TO {text(high)}{closing}"
    if low is not None:
        return f"{field}:{'>' if low_excl else '>='}{text(low)}"
    return f"{field}:{'<' if high_excl else '<='}{text(high)}"


@given(
    case=_ranges(),
    words=st.sampled_from(["", "learning ", "NOT learning "]),
    negated=st.booleans(),
)
@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
def test_date_year_and_comment_ranges_match_exactly(
    built: PaperIndex, case: tuple[str, str, Any, Any, bool, bool], words: str, negated: bool
) -> None:
    """Ranges agree with the papers' own fields, whether answered from the sort columns
    or (negated) by Whoosh; ``>`` and ``<`` leave the named day out."""
    _, field, low, high, low_excl, high_excl = case
    query = _range_query(field, low, high, low_excl, high_excl)
    if negated:
        query = f"NOT {query}"

    def inside(paper: Paper) -> bool:
        value = _RANGE_FIELDS[field](paper)
        if value is None:
            return False
        if low is not None and (value < low or (low_excl and value == low)):
            return False
        return not (high is not None and (value > high or (high_excl and value == high)))

    with_words = (
        {h.paper.id for h in built.search(words, limit=100, prefix_last_word=True).hits}
        if words
        else None
    )
    expected = {
        paper.id
        for paper in PAPERS
        if inside(paper) != negated and (with_words is None or paper.id in with_words)
    }
    for sort in ("relevance", "newest"):
        result = built.search(f"{words}{query}", limit=100, sort=sort, prefix_last_word=True)  # type: ignore[arg-type]
        assert {hit.paper.id for hit in result.hits} == expected, (query, words, sort)
        assert result.total == len(expected)


def test_abstract_field_does_not_match_title_words(tmp_path: Path) -> None:
    with PaperIndex.create(tmp_path / "ix") as index:
        index.rebuild(
            [
                make_paper("Penguin Counting From Space", "Satellites see animals."),
                make_paper("Satellite Imagery", "We count penguins on ice floes."),
            ]
        )
        assert titles(index, "abstract:penguin") == ["Satellite Imagery"]
        assert titles(index, 'abstract:"ice floes"') == ["Satellite Imagery"]
        assert titles(index, "abstract:pengu") == ["Satellite Imagery"]
        assert titles(index, "abstract:space") == []
        assert titles(index, "title:imagery abstract:penguins") == ["Satellite Imagery"]
        # No paper has both: the search says so and shows one field's papers, as asked.
        result = index.search("title:penguin abstract:penguins", prefix_last_word=True)
        assert result.relaxed_query in ("title:penguin", "abstract:penguins")
        assert [hit.paper.title for hit in result.hits] == titles(index, result.relaxed_query)
        both = {"Penguin Counting From Space", "Satellite Imagery"}
        assert set(titles(index, "penguin ")) == both
        hit = index.search("abstract:penguin", prefix_last_word=True).hits[0]
        assert hit.title_highlights == []
        assert [hit.paper.abstract[s.start : s.end] for s in hit.abstract_highlights] == [
            "penguins"
        ]


# ------------------------------------------------------------------ sorting


def test_sort_orders(built: PaperIndex) -> None:
    query = "learning "
    relevance = built.search(query, prefix_last_word=True)
    scores = [hit.score for hit in relevance.hits]
    assert scores == sorted(scores, reverse=True)
    newest = [
        hit.paper.date for hit in built.search(query, sort="newest", prefix_last_word=True).hits
    ]
    assert newest == sorted(newest, reverse=True)  # type: ignore[type-var]
    comments = [
        hit.paper.comments or 0
        for hit in built.search(query, sort="comments", prefix_last_word=True).hits
    ]
    assert comments == sorted(comments, reverse=True)
    by_title = titles(built, query, sort="title")
    assert by_title == sorted(by_title, key=str.casefold)
    assert set(by_title) == {hit.paper.title for hit in relevance.hits}


def test_empty_query_lists_everything_newest_first(built: PaperIndex) -> None:
    result = built.search("", prefix_last_word=True)
    assert result.total == len(PAPERS)
    dates = [hit.paper.date for hit in result.hits]
    assert dates[0] == dt.date(2025, 5, 20)
    assert dates[-1] is None  # undated papers last
    dated = [d for d in dates if d is not None]
    assert dated == sorted(dated, reverse=True)
    assert (
        built.search("   ", sort="title", prefix_last_word=True)
        .hits[0]
        .paper.title.startswith("An ")
    )
    # The result says the order it is really in.
    assert result.sort == "newest"
    assert built.search("   ", sort="title", prefix_last_word=True).sort == "title"
    assert built.search("learning ", prefix_last_word=True).sort == "relevance"


def test_limit_and_total(built: PaperIndex) -> None:
    result = built.search("", limit=3, prefix_last_word=True)
    assert len(result.hits) == 3
    assert result.total == len(PAPERS)


# ------------------------------------------------------------------ malformed queries


@pytest.mark.parametrize(
    "query",
    ["title:(", '"', "AND", "*", "~", "x" * 10_000, "ü∂ƒ©≈ç√∫", "((a", "a)", "date:soon",
     "year:abc", "comments:>x", "NOT", "OR OR", "title:", ":", "^2", "[1 TO", "\x1b[31m", "\u202e"],
)  # fmt: skip
def test_malformed_queries_never_raise(built: PaperIndex, query: str) -> None:
    result = built.search(query, prefix_last_word=True)
    assert result.total >= 0
    assert len({hit.paper.id for hit in result.hits}) == len(result.hits)


@pytest.mark.parametrize(
    "query",
    ['arxiv:"0 0"', 'arxiv:"a b"~3', 'date:"a b"', 'date:""', 'year:""', 'comments:"a b"',
     "abstract:[a TO z]", "abstract:>a", "abstract:[a TO]", 'arxiv:"policy gradient" learning'],
)  # fmt: skip
def test_queries_that_fail_when_run_never_raise(built: PaperIndex, query: str) -> None:
    for budget in (None, 60.0):
        result = built.search(query, time_budget_ms=budget, prefix_last_word=True)
        assert result.total >= 0
        assert len({hit.paper.id for hit in result.hits}) == len(result.hits)


def test_malformed_query_falls_back_to_its_words(built: PaperIndex) -> None:
    result = built.search("title:(diffusion", prefix_last_word=True)
    assert result.error is not None
    assert {hit.paper.title for hit in result.hits} == {
        "Diffusion Models for Image Synthesis",
        "Policy-Guided Diffusion",
    }
    assert built.search('"', prefix_last_word=True).error
    assert built.search("x" * 10_000, prefix_last_word=True).error


# ------------------------------------------------------------------ highlights


def test_highlights_are_exact_spans(built: PaperIndex) -> None:
    result = built.search("policies ", prefix_last_word=True)
    hit = next(h for h in result.hits if h.paper.title.startswith("Policy Gradient"))
    assert [(s.start, s.end) for s in hit.title_highlights] == [(0, 6)]
    abstract = hit.paper.abstract
    assert [abstract[s.start : s.end] for s in hit.abstract_highlights] == ["policies"]


def test_highlights_follow_accents_prefixes_and_fields(built: PaperIndex) -> None:
    hit = built.search("pokemon ", prefix_last_word=True).hits[0]
    assert [hit.paper.title[s.start : s.end] for s in hit.title_highlights] == ["Pokémon"]
    assert [hit.paper.abstract[s.start : s.end] for s in hit.abstract_highlights] == ["Pokemon"]
    hit = built.search("title:protein", prefix_last_word=True).hits[0]
    assert hit.abstract_highlights == []
    hit = next(
        h
        for h in built.search("reinf", prefix_last_word=True).hits
        if h.paper.title.startswith("Offline")
    )
    assert [hit.paper.title[s.start : s.end] for s in hit.title_highlights] == ["Reinforcement"]


def test_negated_words_are_not_highlighted(built: PaperIndex) -> None:
    hit = built.search("reinforcement NOT offline ", prefix_last_word=True).hits[0]
    assert all(hit.paper.title[s.start : s.end].lower() != "offline" for s in hit.title_highlights)


# ------------------------------------------------------------------ negations

NOT_LEARNING = [  # newest first; the undated paper last
    "Robot Manipulation from Demonstrations",
    "Diffusion Models for Image Synthesis",
    "Large Language Models Are Zero-Shot Reasoners",
    "Transformers for Protein Folding",
    "Scaling Laws for Neural Language Models",
    "Attention Is All You Need",
    "An Undated Survey of Graph Neural Networks",
]


def test_a_negation_alone_lists_what_it_leaves_newest_first(built: PaperIndex) -> None:
    result = built.search("NOT learning ", prefix_last_word=True)
    assert [hit.paper.title for hit in result.hits] == NOT_LEARNING
    assert result.sort == "newest"
    assert result.total == len(NOT_LEARNING)
    assert titles(built, "-learning ", sort="newest") == NOT_LEARNING


def test_or_not_ranks_the_positive_matches_first(built: PaperIndex) -> None:
    result = built.search("diffusion OR NOT learning ", prefix_last_word=True)
    found = [hit.paper.title for hit in result.hits]
    assert set(found[:2]) == {"Diffusion Models for Image Synthesis", "Policy-Guided Diffusion"}
    assert found[2:] == [t for t in NOT_LEARNING if t != "Diffusion Models for Image Synthesis"]
    assert result.total == 8


_WORDS = ["learning", "diffusion", "policy", "models", "reinforcement", "language"]


def _boolean_queries() -> st.SearchStrategy[tuple[str, frozenset[str]]]:
    """Random AND/OR/NOT trees of words: the query text and the same tree as tuples."""
    leaves = st.sampled_from(_WORDS).map(lambda word: (word, ("word", word)))

    def extend(children: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
        pairs = st.tuples(children, children)
        return st.one_of(
            children.map(lambda c: (f"NOT ({c[0]})", ("not", c[1]))),
            pairs.map(lambda p: (f"({p[0][0]} AND {p[1][0]})", ("and", p[0][1], p[1][1]))),
            pairs.map(lambda p: (f"({p[0][0]} OR {p[1][0]})", ("or", p[0][1], p[1][1]))),
        )

    return st.recursive(leaves, extend, max_leaves=5)


@given(case=_boolean_queries())
@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
def test_boolean_queries_match_exactly_the_right_papers(
    built: PaperIndex, case: tuple[str, Any]
) -> None:
    """Set evaluation of NOT/AND/OR agrees with the set algebra of single-word matches."""
    everything = {paper.id for paper in PAPERS}
    by_word = {
        word: {h.paper.id for h in built.search(word + " ", limit=100, prefix_last_word=True).hits}
        for word in _WORDS
    }

    def denote(node: Any) -> set[str]:
        kind = node[0]
        if kind == "word":
            return by_word[node[1]]
        if kind == "not":
            return everything - denote(node[1])
        left, right = denote(node[1]), denote(node[2])
        return left & right if kind == "and" else left | right

    query, tree = case
    expected = denote(tree)
    for sort in ("relevance", "newest"):
        result = built.search(query + " ", limit=100, sort=sort, prefix_last_word=True)  # type: ignore[arg-type]
        assert {hit.paper.id for hit in result.hits} == expected, (query, sort)
        assert result.total == len(expected), (query, sort)


class ThirdPollStops(stopping.Stop):
    """A stop that is reached the third time anyone asks."""

    polls = 0

    def reached(self) -> bool:
        self.polls += 1
        return self.polls >= 3


def test_a_negation_can_stop_inside_whooshs_skipping_loop(tmp_path: Path) -> None:
    """Whoosh walks past every document a NOT excludes without returning to the collector
    (seconds at 100k papers); the checked form must stop inside that walk."""
    common = [make_paper(f"Common paper {n}", "common words") for n in range(2000)]
    negation = wq.Not(wq.Term("text", schema.term_of("common")))
    with PaperIndex.create(tmp_path / "ix") as index:
        index.rebuild(common)
        with index._ix.searcher() as searcher:
            assert list(negation.matcher(searcher).all_ids()) == []  # walked all 2000
            stop = ThirdPollStops(deadline=0.0)
            with pytest.raises(stopping.Interrupted):
                list(stopping.checked(negation, stop).matcher(searcher).all_ids())
            assert stop.polls == 3


def test_an_and_of_parts_that_never_meet_can_stop_while_it_looks(tmp_path: Path) -> None:
    # Whoosh looks for the first common document while building the matcher.
    papers = [
        make_paper(f"Paper {n}", "alpha" if n % 2 else "omega", date=dt.date(2024, 1, 1))
        for n in range(2000)
    ]
    both = wq.And([wq.Term("text", "alpha"), wq.Term("text", "omega")])
    with PaperIndex.create(tmp_path / "ix") as index:
        index.rebuild(papers)
        with index._ix.searcher() as searcher:
            assert list(both.matcher(searcher).all_ids()) == []
            stop = ThirdPollStops(deadline=0.0)
            with pytest.raises(stopping.Interrupted):
                list(stopping.checked(both, stop).matcher(searcher).all_ids())
            assert stop.polls == 3


def test_a_numeric_range_can_stop_while_it_gathers_its_matches(tmp_path: Path) -> None:
    # A constant-score range collects every match while its matcher is built.
    papers = [
        make_paper(f"Paper {n}", "words", date=dt.date(2024, 1, 1) + dt.timedelta(days=n % 300))
        for n in range(2000)
    ]
    with PaperIndex.create(tmp_path / "ix") as index:
        index.rebuild(papers)
        with index._ix.searcher() as searcher:
            plan = index._planner.plan(searcher, "date:[2024-01 TO 2024-06]", prefix_last_word=True)
            assert isinstance(plan.query, wq.NumericRange)
            stop = ThirdPollStops(deadline=0.0)
            with pytest.raises(stopping.Interrupted):
                list(stopping.checked(plan.query, stop).matcher(searcher).all_ids())
            assert stop.polls == 3
        assert index.search("date:[2024-01 TO 2024-06]", prefix_last_word=True).total == sum(
            1 for p in papers if p.date and p.date < dt.date(2024, 7, 1)
        )


def test_a_phrase_of_common_words_can_stop_while_it_compares_positions(tmp_path: Path) -> None:
    # A phrase of two common words compares positions in thousands of documents (170 ms
    # at 100k papers): a typing pass's deadline or a newer search must stop it.
    papers = [
        make_paper(f"Paper {n}", "policy gradient" if n % 2 else "gradient of the policy")
        for n in range(1200)
    ]
    words = [schema.term_of("policy"), schema.term_of("gradient")]
    with PaperIndex.create(tmp_path / "ix") as index:
        index.rebuild(papers)
        searcher = index._current().searcher  # with the field lengths in memory
        assert len(phrases.phrase_scores(searcher, "text", words)) == 600
        stop = ThirdPollStops(deadline=0.0)
        with pytest.raises(stopping.Interrupted):
            phrases.phrase_scores(searcher, "text", words, stop)
        assert stop.polls == 3
        assert index.search('"policy gradient"', prefix_last_word=True).total == 600


def test_a_wide_or_inside_an_and_can_stop_in_the_middle_of_one_skip(tmp_path: Path) -> None:
    # One skip of an OR skips each of its terms; with 128 terms at 100k papers that one
    # step took 90 ms, so each term checks as it is skipped.
    class ArmedStop(stopping.Stop):
        armed = False
        polls = 0

        def reached(self) -> bool:
            if not self.armed:
                return False
            self.polls += 1
            return self.polls >= 3

    words = ["alpha", "beta", "gamma"]
    papers = [make_paper(f"Paper {n}", words[n % 3]) for n in range(900)]
    terms = [wq.Term("text", schema.term_of(word)) for word in words]
    query = wq.And([wq.Or(terms), wq.Term("text", schema.term_of("paper"))])
    with PaperIndex.create(tmp_path / "ix") as index:
        index.rebuild(papers)
        with index._ix.searcher() as searcher:
            stop = ArmedStop(deadline=0.0)
            wide = stopping.checked(query, stop).subqueries[0]
            matcher = wide.matcher(searcher)
            stop.armed = True
            with pytest.raises(stopping.Interrupted):
                matcher.skip_to(800)
            assert stop.polls == 3  # the OR's own check, then one per term skipped


def test_checking_keeps_what_makes_an_or_fast() -> None:
    union = typed_word.union([wq.Term("text", "a"), wq.Term("text", "b")])
    checked = stopping.checked(wq.And([union, wq.Term("text", "c")]), ThirdPollStops(0.0))
    inner = [q for q in checked.subqueries[0].children() if isinstance(q, wq.Or)]
    assert inner and inner[0].matcher_type == wq.Or.ARRAY_MATCHER


_VOCABULARY_WORDS = st.lists(
    st.tuples(st.text("abcdef", min_size=1, max_size=4), st.integers(1, 9)),
    max_size=60,
    unique_by=lambda pair: pair[0],
)


@given(entries=_VOCABULARY_WORDS, bounds=st.tuples(st.integers(0, 60), st.integers(0, 60)))
@settings(max_examples=150, deadline=None)
def test_the_frequency_walk_picks_what_ranking_picks(
    entries: list[tuple[str, int]], bounds: tuple[int, int]
) -> None:
    vocabulary = Vocabulary.from_counts(dict(entries))
    span = range(min(bounds), min(max(bounds), len(vocabulary.words)))
    for cap in (1, 3, 50):
        ranked = vocabulary._most_frequent(span, cap)
        vocabulary.RANKED_SPAN = 0  # the walk, as for a wide span
        walked = vocabulary._most_frequent(span, cap)
        del vocabulary.RANKED_SPAN
        assert walked == ranked
        expected = sorted(span, key=lambda i: (-vocabulary.counts[i], i))[:cap]
        assert ranked == [vocabulary.words[i] for i in expected]


def test_a_walk_cut_short_keeps_the_most_frequent_so_far() -> None:
    words = {f"w{n:05d}": n for n in range(1, 5001)}
    vocabulary = Vocabulary.from_counts(words)
    stop = ThirdPollStops(deadline=0.0)
    found = vocabulary.most_frequent_between(
        None, None, 10_000, startexcl=False, endexcl=False, stop=stop
    )
    assert stop.stopped_early
    assert 0 < len(found) < 5000
    assert found == [f"w{n:05d}" for n in range(5000, 5000 - len(found), -1)]


def test_a_fuzzy_scan_cut_short_keeps_what_it_found() -> None:
    words = {f"w{n:05d}x": 1 for n in range(5000)}
    vocabulary = Vocabulary.from_counts(words)
    complete = vocabulary.within("w00000y", 2, 0)
    assert {"w00000x", "w00001x", "w00010x"} <= complete
    stop = ThirdPollStops(deadline=0.0)
    found = vocabulary.within("w00000y", 2, 0, stop)
    assert stop.stopped_early
    assert "w00000x" in found and found < complete


def test_a_cancelled_search_raises_instead_of_answering(built: PaperIndex) -> None:
    with pytest.raises(SearchCancelled):
        built.search("NOT learning", cancelled=lambda: True, prefix_last_word=True)
    with pytest.raises(SearchCancelled):
        built.more_like(PAPERS[0].id, cancelled=lambda: True)
    assert built.search(
        "NOT learning ", cancelled=lambda: False, prefix_last_word=True
    ).total == len(NOT_LEARNING)


# ------------------------------------------------------------------ more like this


def test_more_like_finds_similar_papers_but_not_itself(built: PaperIndex) -> None:
    source = BY_TITLE["Offline Reinforcement Learning with Conservative Critics"]
    result = built.more_like(source.id, limit=3)
    found = [hit.paper.id for hit in result.hits]
    assert source.id not in found
    assert result.hits[0].paper.title in {
        "Policy-Guided Diffusion",
        "Policy Gradient Methods for Reinforcement Learning",
        "Reward Hacking in Reinforcement Learning from Human Feedback",
    }
    assert built.more_like("hf-0000000000000000").hits == []


# ------------------------------------------------------------------ tags


def test_tag_filters_are_resolved_at_query_time(built: PaperIndex) -> None:
    gradient = BY_TITLE["Policy Gradient Methods for Reinforcement Learning"].id
    offline = BY_TITLE["Offline Reinforcement Learning with Conservative Critics"].id
    tags = FakeTags({gradient: ["To Read", "rl"], offline: ["rl"]})
    assert set(titles(built, "tag:rl", tags=tags)) == {
        "Policy Gradient Methods for Reinforcement Learning",
        "Offline Reinforcement Learning with Conservative Critics",
    }
    assert titles(built, 'tag:"to read"', tags=tags) == [
        "Policy Gradient Methods for Reinforcement Learning"
    ]
    assert titles(built, 'TAG:RL -tag:"TO READ"', tags=tags) == [
        "Offline Reinforcement Learning with Conservative Critics"
    ]
    assert titles(built, "reinforcement NOT tag:rl", tags=tags) == [
        t for t in titles(built, "reinforcement ") if BY_TITLE[t].id not in {gradient, offline}
    ]
    assert built.search("is:tagged", tags=tags, prefix_last_word=True).total == 2
    assert built.search("is:untagged", tags=tags, prefix_last_word=True).total == len(PAPERS) - 2
    assert built.search("tag:nothing", tags=tags, prefix_last_word=True).total == 0
    assert (
        built.search("tag:rl", prefix_last_word=True).total == 0
    )  # no tag store: nothing is tagged
    hit = built.search("conservative tag:rl", tags=tags, prefix_last_word=True).hits[0]
    assert hit.tags == ["rl"]
    # A tag change shows at once, with no index write.
    tags.tags[offline] = []
    assert built.search("tag:rl", tags=tags, prefix_last_word=True).total == 1


def test_tag_terms_combine_with_operators(built: PaperIndex) -> None:
    gradient = BY_TITLE["Policy Gradient Methods for Reinforcement Learning"].id
    tags = FakeTags({gradient: ["rl"]})
    result = built.search("policy AND tag:rl", tags=tags, prefix_last_word=True)
    assert result.error is None
    assert [hit.paper.id for hit in result.hits] == [gradient]


def test_structured_tag_filter_keeps_quotes_in_the_name(built: PaperIndex) -> None:
    quoted = BY_TITLE["Policy Gradient Methods for Reinforcement Learning"].id
    unquoted = BY_TITLE["Offline Reinforcement Learning with Conservative Critics"].id
    tags = FakeTags({quoted: ['the "best" one'], unquoted: ["the best one"]})
    wanted = SearchFilters(required_tags=('the "best" one',))
    assert [
        hit.paper.id
        for hit in built.search("", tags=tags, filters=wanted, prefix_last_word=True).hits
    ] == [quoted]
    other = SearchFilters(required_tags=("the best one",))
    assert [
        hit.paper.id
        for hit in built.search("", tags=tags, filters=other, prefix_last_word=True).hits
    ] == [unquoted]
    excluded = SearchFilters(excluded_tags=('the "best" one',))
    found = {
        hit.paper.id
        for hit in built.search("", tags=tags, filters=excluded, prefix_last_word=True).hits
    }
    assert quoted not in found and unquoted in found and len(found) == len(PAPERS) - 1
    # Words and the query's own tag terms combine with the structured filter.
    assert built.search("conservative", tags=tags, filters=wanted, prefix_last_word=True).total == 0
    assert built.search("policy", tags=tags, filters=wanted, prefix_last_word=True).total == 1
    assert built.search("tag:rl", tags=tags, filters=wanted, prefix_last_word=True).total == 0


@pytest.mark.parametrize(
    "name", ['the "best" one', "a:b", "(x)", "NOT", "-minus", "tag:inner", "spaced  out", "é"]
)
def test_any_tag_name_filters_exactly(built: PaperIndex, name: str) -> None:
    target = BY_TITLE["Transformers for Protein Folding"].id
    decoy = BY_TITLE["Policy Gradient Methods for Reinforcement Learning"].id
    tags = FakeTags({target: [name], decoy: [name.replace('"', "").strip() + "x"]})
    result = built.search(
        "", tags=tags, filters=SearchFilters(required_tags=(name,)), prefix_last_word=True
    )
    assert [hit.paper.id for hit in result.hits] == [target]
    assert result.error is None


def test_structured_tagged_untagged_and_id_sets(built: PaperIndex) -> None:
    gradient = BY_TITLE["Policy Gradient Methods for Reinforcement Learning"].id
    offline = BY_TITLE["Offline Reinforcement Learning with Conservative Critics"].id
    tags = FakeTags({gradient: ["rl"]})
    tagged = built.search("", tags=tags, filters=SearchFilters(tagged=True), prefix_last_word=True)
    assert [hit.paper.id for hit in tagged.hits] == [gradient]
    untagged = built.search(
        "", tags=tags, filters=SearchFilters(tagged=False), prefix_last_word=True
    )
    assert untagged.total == len(PAPERS) - 1
    # is:tagged in the text and untagged as a filter: both must hold, so nothing does.
    assert (
        built.search(
            "is:tagged", tags=tags, filters=SearchFilters(tagged=False), prefix_last_word=True
        ).total
        == 0
    )
    allowed = SearchFilters(allowed_ids=frozenset({gradient, offline}))
    assert built.search("reinforcement", filters=allowed, prefix_last_word=True).total == 2
    denied = SearchFilters(denied_ids=frozenset({gradient}))
    assert gradient not in {
        h.paper.id
        for h in built.search("reinforcement", filters=denied, prefix_last_word=True).hits
    }
    assert built.search("reinforcement", filters=allowed & denied, prefix_last_word=True).total == 1


class FakeStates:
    """A UserStateLookup: ``read`` and ``note`` (notes containing a word)."""

    def __init__(self, read: set[str], notes: dict[str, str]) -> None:
        self.read = read
        self.notes = notes

    def ids_where(self, name: str, argument: str) -> set[str]:
        if name == "read":
            return set(self.read)
        if name == "note":
            return {pid for pid, text in self.notes.items() if argument in text}
        raise KeyError(name)


def test_user_state_predicates_plug_in_through_a_lookup(built: PaperIndex) -> None:
    gradient = BY_TITLE["Policy Gradient Methods for Reinforcement Learning"].id
    offline = BY_TITLE["Offline Reinforcement Learning with Conservative Critics"].id
    states = FakeStates({gradient}, {offline: "check the critic", gradient: "nice"})
    read = SearchFilters(states=(StatePredicate("read"),))
    unread = SearchFilters(states=(StatePredicate("read", negated=True),))
    assert [
        h.paper.id
        for h in built.search("", filters=read, states=states, prefix_last_word=True).hits
    ] == [gradient]
    assert (
        built.search("", filters=unread, states=states, prefix_last_word=True).total
        == len(PAPERS) - 1
    )
    noted = SearchFilters(states=(StatePredicate("note", "critic"),))
    assert [
        h.paper.id
        for h in built.search("", filters=noted, states=states, prefix_last_word=True).hits
    ] == [offline]
    # No store: no paper is read, so "read" keeps none and "not read" keeps all.
    assert built.search("", filters=read, prefix_last_word=True).total == 0
    assert built.search("", filters=unread, prefix_last_word=True).total == len(PAPERS)
    similar = built.more_like(offline, filters=read, states=states)
    assert [h.paper.id for h in similar.hits] in ([gradient], [])


# ------------------------------------------------------------------ writing


def test_update_adds_replaces_and_removes(fresh: PaperIndex) -> None:
    old = BY_TITLE["Attention Is All You Need"]
    changed = old.model_copy(update={"abstract": "Now about quokkas."})
    added = make_paper("Quokka Behaviour in the Wild", "Quokkas smile.", date=dt.date(2026, 1, 1))
    removed = BY_TITLE["Robot Manipulation from Demonstrations"]
    fresh.update([changed, added, changed], removed_ids=[removed.id])
    assert len(fresh) == len(PAPERS)
    assert fresh.search("quokka ", prefix_last_word=True).total == 2
    assert fresh.search("recurrence ", prefix_last_word=True).total == 0
    assert fresh.get(removed.id) is None
    assert fresh.get(old.id) == changed
    assert fresh.all_ids() == {p.id for p in PAPERS} - {removed.id} | {added.id}
    assert set(fresh.get_many([added.id, removed.id])) == {added.id}


def test_completions_and_spelling_follow_updates(fresh: PaperIndex) -> None:
    fresh.update([make_paper("Quagmire Estimation", "Quagmires everywhere.")])
    assert titles(fresh, "quagm") == ["Quagmire Estimation"]
    assert fresh.search("quagmier ", prefix_last_word=True).corrected_query == "quagmire "
    fresh.update([], removed_ids=[paper_id("Quagmire Estimation")])
    assert fresh.search("quagm", prefix_last_word=True).total == 0
    assert fresh.search("quagmier ", prefix_last_word=True).corrected_query is None


@pytest.mark.parametrize("damage", ["delete", "truncate"])
def test_missing_vocabulary_is_rebuilt_from_the_papers(fresh: PaperIndex, damage: str) -> None:
    folder = fresh.index_dir
    fresh.close()
    for path in folder.glob(f"{VOCABULARY_PREFIX}*"):
        if damage == "delete":
            path.unlink()
        else:
            path.write_bytes(path.read_bytes()[:40])
    with PaperIndex.open(folder) as again:
        assert again.search("reinf", prefix_last_word=True).total == 4
        assert again.search("protien", prefix_last_word=True).corrected_query == "protein"
        again.update([make_paper("Zebrafish Swimming", "Fins.")])
        assert titles(again, "zebraf") == ["Zebrafish Swimming"]
        assert again.search("reinf", prefix_last_word=True).total == 4


def test_a_typing_pass_in_time_is_the_whole_page_and_final(tmp_path: Path) -> None:
    """More hits than a screen used to make every typing pass partial (issue 17)."""
    many = [make_paper(f"Learning Thing Number {n}", "learning again") for n in range(150)]
    with PaperIndex.create(tmp_path / "ix") as index:
        index.rebuild(many)
        typing = index.search("learn", time_budget_ms=10_000, prefix_last_word=True)
        settled = index.search("learn", prefix_last_word=True)
        assert not typing.partial and not settled.partial
        assert typing.total == len(typing.hits) == 150 > answering.TYPING_HITS
        assert [h.paper.id for h in typing.hits] == [h.paper.id for h in settled.hits]


def test_sorted_lists_skip_removed_papers(fresh: PaperIndex) -> None:
    removed = BY_TITLE["Robot Manipulation from Demonstrations"]
    added = make_paper("Aardvark Studies", "Aardvarks.", date=dt.date(2026, 2, 2), comments=99)
    fresh.search(
        "", sort="title", prefix_last_word=True
    )  # orders computed before the update must not linger
    fresh.update([added], removed_ids=[removed.id])
    for sort in ("newest", "comments", "title"):
        result = fresh.search("", sort=sort, prefix_last_word=True)
        ids = [hit.paper.id for hit in result.hits]
        assert result.total == len(ids) == len(PAPERS)
        assert removed.id not in ids
        assert ids[0] == added.id
    assert titles(fresh, "learning ", sort="comments")[0] == "Policy-Guided Diffusion"


def test_no_paper_appears_twice(fresh: PaperIndex) -> None:
    paper = BY_TITLE["Attention Is All You Need"]
    fresh.update([paper])
    fresh.update([paper])
    assert [h.paper.id for h in fresh.search("attention ", prefix_last_word=True).hits] == [
        paper.id
    ]
    fresh.rebuild([*PAPERS, paper])
    assert len(fresh) == len(PAPERS)
    assert fresh.search("attention ", prefix_last_word=True).total == 1


def test_rebuild_reports_progress(tmp_path: Path) -> None:
    seen: list[int] = []
    with PaperIndex.create(tmp_path / "ix") as index:
        index.rebuild(PAPERS, progress=seen.append)
    assert seen[-1] == len(PAPERS)


def test_only_the_clis_multi_process_rebuild_pauses_the_collector(tmp_path: Path) -> None:
    """``rebuild(procs=2)`` (the CLI's build) runs without cyclic collections and turns
    the collector back on after; ``procs=1`` (what the app may run) leaves it alone."""
    import gc

    seen: list[bool] = []

    def papers() -> Iterator[Paper]:
        for paper in PAPERS:
            seen.append(gc.isenabled())
            yield paper

    assert gc.isenabled()
    with PaperIndex.create(tmp_path / "ix") as index:
        index.rebuild(papers(), procs=1)
        assert all(seen) and gc.isenabled()
        seen.clear()
        index.rebuild(papers(), procs=2)
        assert seen and not any(seen)
        assert gc.isenabled()
        assert index.all_ids() == {paper.id for paper in PAPERS}


def test_failing_writer_leaves_the_previous_index_usable(fresh: PaperIndex) -> None:
    def broken() -> Iterator[Paper]:
        yield make_paper("A Paper That Never Lands", "nothing")
        raise RuntimeError("catalog read failed")

    with pytest.raises(RuntimeError):
        fresh.rebuild(broken())
    assert len(fresh) == len(PAPERS)
    with pytest.raises(RuntimeError):
        fresh.update(broken())
    assert "A Paper That Never Lands" not in titles(fresh, "never lands ")
    fresh.update([make_paper("A Paper That Lands", "fine")])
    assert titles(fresh, "lands ") == ["A Paper That Lands"]


def test_reopen_sees_the_same_papers(fresh: PaperIndex) -> None:
    folder = fresh.index_dir
    fresh.close()
    with PaperIndex.open(folder) as again:
        assert again.all_ids() == {p.id for p in PAPERS}
        assert again.get(PAPERS[0].id) == PAPERS[0]


def test_open_creates_a_missing_index(tmp_path: Path) -> None:
    with PaperIndex.open(tmp_path / "new") as index:
        assert len(index) == 0
        assert index.search("anything", prefix_last_word=True).total == 0


def test_schema_version_mismatch_is_unusable(fresh: PaperIndex) -> None:
    folder = fresh.index_dir
    fresh.close()
    (folder / schema.META_FILE).write_text(json.dumps({"schema_version": 0}))
    with pytest.raises(IndexUnusable):
        PaperIndex.open(folder)
    (folder / schema.META_FILE).unlink()
    with pytest.raises(IndexUnusable):
        PaperIndex.open(folder)
    PaperIndex.create(folder).close()
    with PaperIndex.open(folder) as index:
        assert len(index) == 0


def test_an_index_of_the_other_postings_layout_is_unusable(
    fresh: PaperIndex, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Joined posting values are read only by ``JoinedValuesCodec``: an index written in
    Whoosh's own layout (the fallback when its private names are missing), or the other
    way round, is rebuilt rather than read with the wrong matcher."""
    from browser.search import whoosh_internals

    folder = fresh.index_dir
    fresh.close()
    meta = json.loads((folder / schema.META_FILE).read_text())
    assert meta["postings"] == whoosh_internals.JOINED_VALUES
    (folder / schema.META_FILE).write_text(json.dumps({**meta, "postings": "whoosh"}))
    with pytest.raises(IndexUnusable):
        PaperIndex.open(folder)
    (folder / schema.META_FILE).write_text(json.dumps(meta))
    slow = whoosh_internals.InternalsStatus(("W3PostingsWriter._mini_values",))
    monkeypatch.setattr(whoosh_internals, "STATUS", slow)
    with pytest.raises(IndexUnusable):
        PaperIndex.open(folder)
    with PaperIndex.create(folder) as index:
        index.update([PAPERS[0]])
        assert index.search('"' + PAPERS[0].title + '"', prefix_last_word=True).total == 1
    assert json.loads((folder / schema.META_FILE).read_text())["postings"] == "whoosh"


def test_damaged_index_is_unusable(fresh: PaperIndex) -> None:
    folder = fresh.index_dir
    fresh.close()
    for toc in folder.glob("_papers_*.toc"):
        toc.write_bytes(b"garbage")
    with pytest.raises(IndexUnusable):
        PaperIndex.open(folder)


def test_second_writer_is_busy(fresh: PaperIndex, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(facade, "_WRITER_TIMEOUT_S", 0.05)
    holder = fresh._ix.writer()
    try:
        with pytest.raises(IndexBusy, match="another index run is in progress"):
            fresh.update([make_paper("Blocked", "x")])
    finally:
        holder.cancel()
    fresh.update([make_paper("Unblocked", "x")])
    assert fresh.search("unblocked ", prefix_last_word=True).total == 1


def test_stale_lock_file_does_not_block(fresh: PaperIndex) -> None:
    (fresh.index_dir / "papers_WRITELOCK").write_text("12345")
    fresh.update([make_paper("After A Stale Lock", "x")])
    assert fresh.search("stale ", prefix_last_word=True).total == 1


def test_writer_killed_mid_write_does_not_block_or_corrupt(fresh: PaperIndex) -> None:
    folder = fresh.index_dir
    script = textwrap.dedent(
        f"""
        import os, signal
        from pathlib import Path
        from browser.search import PaperIndex
        from browser.search.schema import document_for
        from browser.models import Paper
        index = PaperIndex.open(Path({str(folder)!r}))
        writer = index._ix.writer()
        for number in range(50):
            ghost = Paper(id=f"hf-{{number:016x}}", title=f"ghost {{number}}")
            writer.add_document(**document_for(ghost)[0])
        print("holding", flush=True)
        os.kill(os.getpid(), signal.SIGKILL)
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=60,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )  # fmt: skip
    assert "holding" in done.stdout
    assert done.returncode == -signal.SIGKILL
    assert fresh.search("ghost ", prefix_last_word=True).total == 0
    fresh.update([make_paper("Written After The Crash", "x")])
    assert fresh.search("crash ", prefix_last_word=True).total == 1
    assert len(fresh) == len(PAPERS) + 1


def test_match_counts_are_exact_beyond_the_limit(tmp_path: Path) -> None:
    # Whoosh's collector drops sub-queries that cannot reach the top hits: the count
    # must still include every match.
    papers = [
        make_paper(
            f"Paper {n}",
            "alpha " * (1 + n % 7) + ("alphabet" if n % 3 else "gamma"),
            comments=n % 2,
        )
        for n in range(300)
    ]
    expected = {
        "alph": 300,
        "alpha OR alphabet": 300,
        "alpha NOT gamma": 200,
        "alpha comments:<1": 150,
        '"alpha alphabet"': 200,
    }
    with PaperIndex.create(tmp_path / "ix") as index:
        index.rebuild(papers)
        for query, count in expected.items():
            result = index.search(query, limit=5, prefix_last_word=True)
            assert len(result.hits) == 5
            assert result.total == count, query
            assert (
                index.search(query, limit=5, sort="newest", prefix_last_word=True).total == count
            ), query


def test_time_budget_marks_partial_results(built: PaperIndex) -> None:
    result = built.search("learning", time_budget_ms=0.0, prefix_last_word=True)
    assert result.partial
    full = built.search("learning", time_budget_ms=None, prefix_last_word=True)
    assert not full.partial
    assert full.total > 0


# ------------------------------------------------------------------ benchmark smoke


@pytest.mark.slow
def test_the_benchmark_runs_end_to_end(tmp_path: Path) -> None:
    # 200 papers: every measure runs as at 1k (--quick), in half the CPU time.
    out = tmp_path / "quick.md"
    done = subprocess.run(
        [sys.executable, "-m", "bench.bench_search", "--sizes", "200", "--runs", "1",
         "--work", str(tmp_path), "--out", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    report = out.read_text()
    assert "| typing |" in report and "| as-you-type final in one pass |" in report
    assert "| as-you-type final in one pass, typed key by key |" in report
    assert "error" not in report


def test_word_ranges_on_text_fields_are_capped_not_walked(tmp_path: Path) -> None:
    index = PaperIndex.create(tmp_path / "ranges")
    papers = [
        Paper(id=f"hf-{i:016x}", title=f"Paper about {word}", abstract=f"The {word} study.")
        for i, word in enumerate(["apple", "banana", "cherry", "melon"])
    ]
    index.rebuild(papers)
    try:
        titles = {
            hit.paper.title for hit in index.search("title:[b TO c]", prefix_last_word=True).hits
        }
        assert titles == {"Paper about banana"}
        in_abstract = {
            h.paper.title for h in index.search("abstract:[m TO n]", prefix_last_word=True).hits
        }
        assert in_abstract == {"Paper about melon"}
    finally:
        index.close()


def test_explicit_fuzzy_terms_expand_over_the_vocabulary(tmp_path: Path) -> None:
    index = PaperIndex.create(tmp_path / "fuzzy")
    papers = [
        Paper(id=f"hf-{i:016x}", title=title, abstract="An abstract.")
        for i, title in enumerate(["Diffusion policies", "Transformer scaling", "Robot grasping"])
    ]
    index.rebuild(papers)
    try:
        assert [h.paper.title for h in index.search("difusion~", prefix_last_word=True).hits] == [
            "Diffusion policies"
        ]
        assert [
            h.paper.title for h in index.search("trnasformer~2", prefix_last_word=True).hits
        ] == ["Transformer scaling"]
    finally:
        index.close()


def test_grouped_postings_come_back_by_term_in_document_order(tmp_path: Path) -> None:
    """``GroupedPostingPool`` groups postings by term as they are added and sorts only the
    terms: spilled runs longer than a pickled chunk, one ending on a chunk, an empty
    spill, a term in several runs and in memory, and a list added out of document order
    (which only a merge of old segments could do) all come back as Whoosh's sort
    gives them, with no run file left behind."""
    import random

    from whoosh.filedb.filestore import FileStorage

    from browser.search.whoosh_internals import pool as layout

    chunk = layout._RUN_CHUNK
    rng = random.Random(7)
    terms = [(rng.choice(["text", "title"]), rng.randbytes(3)) for _ in range(3 * chunk)]
    added = [
        (*rng.choice(terms), n, float(rng.randint(1, 3)), rng.randbytes(rng.randint(0, 9)))
        for n in range(8 * chunk + 17)
    ]
    storage = FileStorage(str(tmp_path)).create()
    pool = layout.GroupedPostingPool(storage, None, limitmb=1)
    at = 0
    for size in (chunk, 2 * chunk + 5, 0, chunk - 1):
        for posting in added[at : at + size]:
            pool.add(posting)
        at += size
        pool.spill()
    for posting in added[at:]:
        pool.add(posting)
    shuffled = [("text", b"late", n, 1.0, b"v") for n in (9, 3, 7, 1)]
    for posting in shuffled:
        pool.add(posting)
    assert list(pool.iter_postings()) == sorted(added + shuffled)
    assert not [p for p in tmp_path.iterdir() if p.suffix == ".run"]
    pool.cleanup()


def test_grouped_postings_refuse_whooshs_run_hand_over(tmp_path: Path) -> None:
    """Whoosh's sorted-run hand-over would read the pool's own, always empty, buffer and
    write a segment without postings: it raises instead (review finding)."""
    from whoosh.filedb.filestore import FileStorage

    from browser.search.whoosh_internals import postings as layout

    pool = layout.GroupedPostingPool(FileStorage(str(tmp_path)).create(), None, limitmb=1)
    pool.add(("text", b"word", 0, 1.0, b"v"))
    with pytest.raises(NotImplementedError):
        pool.save()
    with pytest.raises(NotImplementedError):
        pool.reduce_to(str(tmp_path / "run"), 2)
    pool.cleanup()


@pytest.mark.parametrize(("limitmb", "blocklimit"), [(1, 128), (96, 128), (96, 3)])
def test_grouped_postings_write_the_same_files(
    tmp_path: Path, limitmb: int, blocklimit: int
) -> None:
    """Documents added through ``GroupedSegmentWriter`` and its grouped pool, their
    postings written a term at a time, make the same files, byte for byte, as Whoosh's
    writer, pool and posting-at-a-time field writer (with 1 MB the pool spills runs and
    merges them). A term whose postings fit one block is written by
    ``JoinedFieldWriter._write_term``, a longer one block by block: with blocks of 3
    postings most terms take the second way, lists of exactly one block included."""

    from browser.search.whoosh_internals import postings as layout

    papers = [
        Paper(
            id=f"hf-{n:016x}",
            title=f"{PAPERS[n % len(PAPERS)].title} part {n}",
            abstract=" ".join(p.abstract for p in PAPERS[n % 3 :: 3]) + f" word{n % 17}",
            authors=n % 9 or None,
            # Values that repeat (indexed once by the grouped writer) and some that not.
            date=dt.date(2024, 1 + n % 12, 1 + n % 5) if n % 7 else None,
            comments=n % 4 if n % 3 else n,
        )
        for n in range(300)
    ]
    documents = [schema.document_for(paper)[0] for paper in papers]
    codec = layout.JoinedValuesCodec(blocklimit=blocklimit)
    written = [
        _segment_files(
            tmp_path / str(grouped),
            schema.build_schema(),
            documents,
            grouped,
            codec=codec,
            limitmb=limitmb,
        )
        for grouped in (True, False)
    ]
    assert {"trm", "pst", "_stored.col", "_text_len.col", "sort_page.col"} <= set(written[0])
    assert written[0] == written[1]


def _segment_files(
    folder: Path, fields: Any, documents: list[dict[str, Any]], grouped: bool, **options: Any
) -> dict[str, bytes]:
    """The files of one segment of ``documents``, written through the grouped pool and
    writer or through Whoosh's: terms, postings, and the columns (lengths, stored
    fields, sort keys); not the table of contents, which names the segment."""
    from whoosh.filedb.filestore import FileStorage

    from browser.search.whoosh_internals import postings as layout

    folder.mkdir()
    ix = FileStorage(str(folder)).create_index(fields, indexname="papers")
    # The pool is made with the writer: swapped in before it.
    with layout.pool_swapped() if grouped else contextlib.nullcontext():
        writer = (
            layout.GroupedSegmentWriter(ix, compound=False, **options)
            if grouped
            else ix.writer(compound=False, **options)
        )
        with writer:
            for document in documents:
                writer.add_document(**document)
    segment = [p for p in folder.iterdir() if p.suffix not in (".toc", "")]
    return {p.name.split(".", 1)[1]: p.read_bytes() for p in segment}


def test_grouped_writer_keeps_whooshs_boosts_and_custom_stored_values(tmp_path: Path) -> None:
    """Documents with ``_boost``, ``_NAME_boost`` or ``_stored_NAME`` (the index passes
    none, and the grouped writer skips looking for them when a document has no such key)
    are written as Whoosh writes them, byte for byte."""
    from whoosh.fields import KEYWORD, NUMERIC, TEXT, Schema

    from browser.search.whoosh_internals import postings as layout

    documents: list[dict[str, Any]] = [
        {"body": "alpha beta", "tags": "x y", "n": 3},
        {"body": "beta gamma", "tags": "y", "n": 4, "_boost": 2.0},
        {"body": "alpha", "tags": "x", "n": 3, "_body_boost": 3.0, "_stored_body": "shown"},
        {"body": "gamma gamma", "tags": "z", "n": 5, "_n_boost": 0.5},
    ]
    fields = Schema(body=TEXT(stored=True), tags=KEYWORD(stored=True), n=NUMERIC(int))
    codec = layout.JoinedValuesCodec()
    written = [
        _segment_files(tmp_path / str(grouped), fields, documents, grouped, codec=codec)
        for grouped in (True, False)
    ]
    assert {"trm", "pst", "_stored.col"} <= set(written[0])
    assert written[0] == written[1]


def test_grouped_writer_indexes_a_repeated_value_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``GroupedSegmentWriter`` indexes each distinct value of a number, date or keyword
    field once and reuses its postings (the byte-for-byte test above checks they are the
    same); a field whose values outnumber ``_REMEMBERED_MAX`` goes back to indexing
    each value."""
    from collections import Counter

    from whoosh.fields import KEYWORD, NUMERIC, Schema
    from whoosh.filedb.filestore import FileStorage

    from browser.search.whoosh_internals import pool as layout
    from browser.search.whoosh_internals import postings

    monkeypatch.setattr(layout, "_REMEMBERED_MAX", 5)
    calls: Counter[int] = Counter()
    whooshs = NUMERIC.index

    def counted(field: Any, num: int, **kwargs: Any) -> Any:
        calls[num] += 1
        return whooshs(field, num, **kwargs)

    monkeypatch.setattr(NUMERIC, "index", counted)
    ix = FileStorage(str(tmp_path)).create_index(
        Schema(
            small=NUMERIC(int, shift_step=0),
            wide=NUMERIC(int, shift_step=0),
            tags=KEYWORD(stored=True),
        ),
        indexname="t",
    )
    with postings.pool_swapped():
        writer = layout.GroupedSegmentWriter(ix, codec=postings.JoinedValuesCodec())
        with writer:
            for n in range(40):
                writer.add_document(small=1000 + n % 3, wide=n, tags="a b" if n % 2 else "c")
    assert calls == {**dict.fromkeys(range(40), 1), 1000: 1, 1001: 1, 1002: 1}
    with ix.searcher() as searcher:
        assert searcher.doc_count() == 40
        assert len(list(searcher.documents(tags="c"))) == 20
        numbers = searcher.schema["small"]
        for n in range(3):
            found = searcher.doc_frequency("small", numbers.to_bytes(1000 + n))
            assert found == len(range(n, 40, 3))


# ---------------------------------------------------------------- the pages' orders


def _page_order_papers(count: int, seed: int) -> list[Paper]:
    """Papers over a few days, some listed on another day than their date, upvotes and
    comments often unknown or tied: the cases the orders must break the same way."""
    import random

    rng = random.Random(seed)
    papers = []
    for number in range(count):
        date = dt.date(2025, 3, 1) + dt.timedelta(days=rng.randrange(6))
        listed = rng.choice([None, date, date + dt.timedelta(days=rng.randrange(1, 4))])
        # Pages in a few files, places often out of line order (a JSON array on one
        # line), some papers with no page (merged before pages were kept) or no source.
        sources = [
            Source(
                file=rng.choice(["a.txt", "b.txt", "b.txt2"]),
                line=rng.randrange(1, 50),
                position=rng.randrange(30),
            )
            for _ in range(rng.choice([0, 1, 1, 2]))
        ]
        page = rng.choice([None, *sources[:1]])
        papers.append(
            make_paper(
                f"Order study number {number} on learning",
                "learning " * rng.randrange(1, 3),
                date=date,
                listed=listed,
                upvotes=rng.choice([None, 0, 3, 3, 7, 40, rng.randrange(100)]),
                comments=rng.choice([None, 0, 2, 2, 9]),
                sources=sources,
                page=page,
            )
        )
    return papers


def _order_key(paper: Paper, sort: str) -> tuple[object, ...]:
    """The documented orders written the plain way, one tuple per paper (the oracle):
    unknown upvotes and comments count as -1, a missing listing day as the date; a
    day's page order is (file, place, line) of ``page``, else of the first source, and
    papers without any come last."""
    newest = paper.date.toordinal() if paper.date else 0
    upvotes = -1 if paper.upvotes is None else paper.upvotes
    comments = -1 if paper.comments is None else paper.comments
    if sort == "upvotes":
        return (-upvotes, -comments, -newest)
    day = paper.listed.toordinal() if paper.listed else newest
    source = paper.page or (paper.sources[0] if paper.sources else None)
    page = (0, source.file, source.position, source.line) if source else (1, "", 0, 0)
    return (-day, -upvotes, *page, -comments, -newest)


@pytest.mark.parametrize("sort", ["upvotes", "listed"])
def test_the_pages_orders_match_their_definition_across_segments(tmp_path: Path, sort: Any) -> None:
    papers = _page_order_papers(120, seed=14)
    by_id = {paper.id: paper for paper in papers}
    removed = {papers[0].id, papers[70].id}
    kept = [paper for paper in papers if paper.id not in removed]
    # Equal keys promise no order among themselves: the keys are compared, in place.
    expected = sorted(_order_key(paper, sort) for paper in kept)
    with PaperIndex.create(tmp_path / "ix") as index:
        index.rebuild(papers[:60])
        index.update(papers[60:90])  # a second segment
        index.update(papers[90:], removed_ids=sorted(removed))  # and deletions
        listing = index.search("", sort=sort, limit=500, prefix_last_word=True)
        assert listing.sort == sort and listing.total == len(kept)
        assert [_order_key(by_id[hit.paper.id], sort) for hit in listing.hits] == expected
        worded = index.search("study", sort=sort, limit=50, prefix_last_word=True)
        assert [_order_key(by_id[hit.paper.id], sort) for hit in worded.hits] == expected[:50]


def test_a_search_after_close_or_waiting_for_it_is_cancelled(tmp_path: Path) -> None:
    """The app's workers can outlive it: a search that waited for the index while it was
    being closed, or starts after, ends as cancelled instead of reading closed files
    (quitting mid-search at 100k crashed the process)."""
    import threading

    index = PaperIndex.create(tmp_path / "ix")
    index.rebuild(PAPERS)
    assert index.search("policy", prefix_last_word=True).total > 0
    outcome: list[object] = []
    started = threading.Event()

    def search_when_free() -> None:
        started.set()
        try:
            outcome.append(index.search("policy", prefix_last_word=True))
        except SearchCancelled as cancelled:
            outcome.append(cancelled)

    with index._lock:  # a search in flight holds it
        waiting = threading.Thread(target=search_when_free)
        waiting.start()
        started.wait()
        index.close()
    waiting.join(timeout=10)
    assert len(outcome) == 1 and isinstance(outcome[0], SearchCancelled)
    with pytest.raises(SearchCancelled):
        index.matching_ids("policy", prefix_last_word=True)
