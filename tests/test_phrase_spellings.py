"""A phrase finds a compound however the phrase and the paper write it: ``"github code"``
finds ``GitHub code``, ``"multi-task learning"`` finds ``multitask learning``, and the
answers are Whoosh's for the same planned query (``search.phrase_spellings``)."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_acronym_expansions import make_paper
from test_search_oracle import _assert_same_answer

from browser.search import PaperIndex
from browser.search.phrase_spellings import MAX_SPELLINGS, phrase_spellings, splits_of
from browser.text.tokens import STOP_WORDS

PAPERS = [
    make_paper("Code Search", "We mine GitHub code and iPhone apps from arXiv papers."),
    make_paper("Lab Notes", "DeepMind and OpenAI compare LoRA adapters on ImageNet."),
    make_paper("Multitask Learning Revisited", "Multitask learning with GPT4 models."),
    make_paper("Multi-Task Learning Again", "Multi-task learning with GPT-4 models."),
    make_paper("Plain Words", "The git hub code is a phrase of three plain words."),
    make_paper("Unrelated", "A hub of tools, with git far from it: never next to each other."),
    make_paper("Inside Hyphens", "RoBERTa-large and NeRF-style methods, OpenAI-style chat."),
    make_paper("Deep Mind Written Joined", "The deepmind lab and few shot examples."),
    make_paper("Fewshot Joined", "Fewshot prompting of pretraining data."),
]
CODE, LAB, JOINED, HYPHENED, PLAIN, _, INSIDE, DEEPMIND, FEWSHOT = (p.title for p in PAPERS)


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
        # A compound inside a hyphenated one (``RoBERTa-large``), as a word and in phrases.
        ('"roberta large"', {INSIDE}),
        ('"nerf style methods"', {INSIDE}),
        ('"openai style"', {INSIDE}),
        # Neighbouring words that a paper wrote as one.
        ('"multi task learning"', {JOINED, HYPHENED}),
        ('"deep mind lab"', {DEEPMIND}),
        ('"few shot prompting"', {FEWSHOT}),
        ('"pre training data"', {FEWSHOT}),
    ],
)
def test_a_phrase_finds_a_compound_however_written(
    index: PaperIndex, phrase: str, titles: set[str]
) -> None:
    for typing in (False, True):
        assert found(index, phrase, typing) == titles, (phrase, typing)


@pytest.mark.parametrize(
    ("word", "titles"),
    [
        ("roberta", {INSIDE}),
        ("RoBERTa", {INSIDE}),
        ("nerf", {INSIDE}),
        ("openai", {LAB, INSIDE}),
        ("deepmind", {LAB, DEEPMIND}),
    ],
)
def test_a_compound_inside_a_hyphenated_one_is_a_word(
    index: PaperIndex, word: str, titles: set[str]
) -> None:
    for typing in (False, True):
        assert titles <= found(index, word, typing), (word, typing)
    result = index.search(word, prefix_last_word=False)
    assert result.corrected_query is None  # "nerf" was corrected to "ner"


@pytest.mark.parametrize(
    "text",
    [
        '"multi task learning"',
        '"nerf style"',
        '"github code"',
        '"multi-task learning"',
        '"gpt4 models"',
        '"lora adapters" code',
    ],
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
    # Two plain neighbours the vocabulary holds joined.
    assert phrase_spellings(["multi", "task", "code"], lambda w: int(w == "multitask")) == [
        ["multi", "task", "code"],
        ["multitask", "code"],
    ]
    # CJK runs are already phrases of their characters; stop words alone give nothing.
    assert phrase_spellings(["推論能力"], lambda w: 1) == [["推", "論", "能", "力"]]
    assert phrase_spellings(["the"], lambda w: 1) == [[]]


def test_a_word_splits_into_words_not_fragments() -> None:
    """A real vocabulary holds fragments and letters (``learni``, ``ng``, ``s``): a part
    must be held by a good share of the papers that hold the word, and a one-letter
    tail is no part."""
    vocabulary = {
        "learning": 1000, "learni": 2, "ng": 50, "learn": 700, "ing": 3,
        "models": 800, "model": 900, "s": 300,
        "github": 10, "git": 8, "hub": 9, "gi": 1, "thub": 1,
        "iphone": 5, "i": 500, "phone": 40,
        "dataset": 400, "data": 900, "set": 500,
    }  # fmt: skip
    frequency = lambda word: vocabulary.get(word, 0)  # noqa: E731
    assert splits_of("learning", frequency) == []
    assert splits_of("models", frequency) == []
    assert splits_of("github", frequency) == [("git", "hub")]
    assert splits_of("iphone", frequency) == [("i", "phone")]
    assert splits_of("dataset", frequency) == [("data", "set")]
    assert splits_of("x" * 200, lambda word: 1) == []  # too long to try every cut


def test_a_phrase_with_several_compounds_tries_them_joined_together_first() -> None:
    spellings = phrase_spellings(["multi-task", "generative", "pre-trained"], lambda w: 1)
    assert spellings[1] == ["multitask", "generative", "pretrained"]


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
