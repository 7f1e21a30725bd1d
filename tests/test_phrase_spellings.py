"""A phrase finds a compound however the phrase and the paper write it: ``"github code"``
finds ``GitHub code``, ``"multi-task learning"`` finds ``multitask learning``, and the
answers are Whoosh's for the same planned query (``search.phrase_spellings``)."""

from __future__ import annotations

import datetime as dt
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_search_oracle import _assert_same_answer

from browser.identity import paper_id
from browser.models import Paper
from browser.search import PaperIndex
from browser.search.phrase_spellings import MAX_SPELLINGS, phrase_spellings, splits_of
from browser.text.tokens import STOP_WORDS


def make_paper(title: str, abstract: str) -> Paper:
    return Paper(id=paper_id(title), title=title, abstract=abstract, date=dt.date(2024, 5, 1))


PAPERS = [
    make_paper("Code Search", "We mine GitHub code and iPhone apps from arXiv papers."),
    make_paper("Lab Notes", "DeepMind and OpenAI compare LoRA adapters on ImageNet."),
    make_paper("Multitask Learning Revisited", "Multitask learning with GPT4 models."),
    make_paper("Multi-Task Learning Again", "Multi-task learning with GPT-4 models."),
    make_paper("Plain Words", "The git hub code is a phrase of three plain words."),
    make_paper("Unrelated", "A hub of tools, with git far from it: never next to each other."),
]
CODE, LAB, JOINED, HYPHENED, PLAIN = (paper.title for paper in PAPERS[:5])


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PaperIndex]:
    built = PaperIndex.create(tmp_path_factory.mktemp("index"))
    built.rebuild(PAPERS)
    yield built
    built.close()


def found(index: PaperIndex, query: str, typing: bool = False) -> set[str]:
    result = index.search(query, prefix_last_word=typing)
    return {hit.paper.title for hit in result.hits}


@pytest.mark.parametrize(
    ("phrase", "titles"),
    [
        # Written joined, in any case: the paper wrote it in parts (camel case).
        ('"github code"', {CODE, PLAIN}),
        ('"GITHUB CODE"', {CODE, PLAIN}),
        ('"GitHub code"', {CODE, PLAIN}),
        ('"iphone apps"', {CODE}),
        ('"arxiv papers"', {CODE}),
        ('"deepmind and openai"', {LAB}),
        ('"lora adapters on imagenet"', {LAB}),
        # Written in parts: papers that wrote it joined, and in parts.
        ('"multi-task learning"', {JOINED, HYPHENED}),
        ('"Multi-Task learning"', {JOINED, HYPHENED}),
        ('"multitask learning"', {JOINED, HYPHENED}),
        ('"gpt-4 models"', {JOINED, HYPHENED}),
        ('"gpt4 models"', {JOINED, HYPHENED}),
        # One word of a compound alone.
        ('"github"', {CODE, PLAIN}),
        # The parts as words: a compound's parts stand at consecutive positions.
        ('"git hub code"', {CODE, PLAIN}),
        ('"hub git"', set()),
    ],
)
def test_a_phrase_finds_a_compound_however_written(
    index: PaperIndex, phrase: str, titles: set[str]
) -> None:
    for typing in (False, True):
        assert found(index, phrase, typing) == titles, (phrase, typing)


@pytest.mark.parametrize(
    "text",
    ['"github code"', '"multi-task learning"', '"gpt4 models"', '"lora adapters" code'],
)
def test_spelled_phrases_answer_as_whoosh_does(index: PaperIndex, text: str) -> None:
    _assert_same_answer(index, text + " ", "relevance")


def test_the_spellings_of_a_phrase() -> None:
    vocabulary = {"git": 5, "hub": 3, "github": 2, "code": 9, "gi": 1, "thub": 1}
    frequency = vocabulary.get
    assert splits_of("github", lambda w: frequency(w, 0)) == [("git", "hub")]  # not gi thub
    assert splits_of("gitlab", lambda w: frequency(w, 0)) == []  # no such word: no split
    spellings = phrase_spellings(["github", "code"], lambda w: frequency(w, 0))
    assert spellings == [["github", "code"], ["git", "hub", "code"]]
    assert phrase_spellings(["Multi-Task", "code"], lambda w: 0) == [
        ["multi", "task", "code"],
        ["multitask", "code"],
    ]
    # CJK runs are already phrases of their characters; stop words alone give nothing.
    assert phrase_spellings(["推論能力"], lambda w: 1) == [["推", "論", "能", "力"]]
    assert phrase_spellings(["the"], lambda w: 1) == [[]]


def test_a_phrase_has_at_most_a_few_spellings() -> None:
    words = [f"w{n}x{n}" for n in range(6)]
    spellings = phrase_spellings(["k-l", "m-n", "p-q", "r-s"], lambda w: 1)
    assert len(spellings) == MAX_SPELLINGS
    assert spellings[0] == ["k", "l", "m", "n", "p", "q", "r", "s"]
    assert len(phrase_spellings(words, lambda w: 1)) <= MAX_SPELLINGS


PART = st.text("bcdfgklmnprstvz", min_size=2, max_size=6).filter(lambda w: w not in STOP_WORDS)


def _written(first: str, second: str, style: str) -> str:
    return {
        "camel": first.capitalize() + second.capitalize(),
        "hyphen": f"{first}-{second}",
        "joined": first + second,
        "upper": (first + second).upper(),
    }[style]


STYLES = st.sampled_from(["camel", "hyphen", "joined", "upper"])


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(first=PART, second=PART, in_paper=STYLES, in_query=STYLES, after=st.booleans())
def test_any_spelling_of_a_compound_finds_any_other(
    first: str, second: str, in_paper: str, in_query: str, after: bool
) -> None:
    """Camel case, hyphens, joined or capitals, in the paper and in the phrase, with
    the compound before or after the phrase's other word."""
    compound = _written(first, second, in_paper)
    sentence = f"quiet {compound} results" if after else f"{compound} results quiet"
    paper = make_paper("Generated", f"Other words first. {sentence}. Other words last.")
    typed = _written(first, second, in_query)
    phrase = f'"quiet {typed}"' if after else f'"{typed} results"'
    with tempfile.TemporaryDirectory() as folder:
        built = PaperIndex.create(Path(folder))
        try:
            built.rebuild([paper])
            assert found(built, phrase) == {"Generated"}, (sentence, phrase)
        finally:
            built.close()
