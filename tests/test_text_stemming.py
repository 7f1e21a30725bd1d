"""browser.text.stemming: Snowball English, checked against the pure-Python reference."""

from __future__ import annotations

import re

import pytest
import snowballstemmer
from hypothesis import given, settings
from hypothesis import strategies as st

from browser.text.stemming import stem
from browser.text.tokens import tokenise
from tests.conftest import SAMPLE_DUMPS

ORACLE = snowballstemmer.stemmer("english")


def test_singular_and_plural_share_a_stem() -> None:
    # Porter made "bias" "bia" but "biases" "bias" (issue 13).
    assert stem("bias") == stem("biases")
    for singular, plural in [
        ("policy", "policies"),
        ("model", "models"),
        ("activity", "activities"),
        ("agent", "agents"),
        ("benchmark", "benchmarks"),
    ]:
        assert stem(singular) == stem(plural), (singular, plural)


def test_generative_and_general_stay_apart() -> None:
    assert stem("generative") != stem("general")
    assert stem("generative") != stem("generalization")


def test_names_and_short_words_are_their_own_stem() -> None:
    for word in ("gpt4", "2.5", "t5s", "rl", "v", "推論", "модели"):
        assert stem(word) == word


def _sample_words() -> list[str]:
    words: set[str] = set()
    for path in sorted(SAMPLE_DUMPS.iterdir()):
        text = path.read_text(encoding="utf-8", errors="replace")
        words.update(t.text for t in tokenise(text) if t.text.isascii() and t.text.isalpha())
    return sorted(words)


def test_matches_the_reference_on_the_sample_dumps_vocabulary() -> None:
    words = [word for word in _sample_words() if len(word) > 2]
    assert len(words) > 2000
    mismatches = [w for w in words if stem(w) != ORACLE.stemWord(w)]
    assert mismatches == []


@given(st.from_regex(re.compile(r"[a-z]{3,16}"), fullmatch=True))
@settings(max_examples=500, deadline=None)
def test_matches_the_reference_on_random_words(word: str) -> None:
    assert stem(word) == ORACLE.stemWord(word)


@pytest.mark.parametrize("word", ["generously", "skies", "dying", "news", "sky", "cycling"])
def test_snowball_exceptions(word: str) -> None:
    # Porter2's exception list, which the C build must share with the reference.
    assert stem(word) == ORACLE.stemWord(word)
