"""Highlights: the quick path for ASCII text lights up exactly what the full path does.

In ASCII text a pattern of the terms' roots picks the word runs to analyse; other text
analyses every run. A non-ASCII word appended at the end sends the same text down the
full path without moving any offset before it: the oracle.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from browser.search.highlighting import _shortest_roots, _trie_pattern, highlight_spans
from browser.search.schema import index_term
from browser.text.spelling import listed_pairs

WORDS = [
    "learning",
    "learned",
    "learn",
    "unlearn",
    "policy",
    "policies",
    "generative",
    "generation",
    "general",
    "GPT-4",
    "multi-task",
    "e.g.",
    "x_learning",
    "re-learning",
    "Diffusion",
    "diffuse",
    "a",
    "model",
    "modelling",
    "models.",
    "(RL)",
    "RL-based",
    "2024",
    "v2.5",
    "qwen2.5",
]
SEPARATORS = [" ", ", ", "; ", " (", ") ", "\n", "-", "."]


def full_path(text: str, terms: frozenset[str]) -> list[tuple[int, int]]:
    spans = highlight_spans(text + " é", terms)
    return [(h.start, h.end) for h in spans if h.end <= len(text)]


@settings(max_examples=300, deadline=None)
@given(
    words=st.lists(st.sampled_from(WORDS), min_size=1, max_size=30),
    separators=st.lists(st.sampled_from(SEPARATORS), min_size=30, max_size=30),
    query=st.lists(st.sampled_from(WORDS), min_size=1, max_size=6),
)
def test_the_quick_path_lights_up_what_the_full_path_does(
    words: list[str], separators: list[str], query: list[str]
) -> None:
    text = "".join(word + separators[i] for i, word in enumerate(words))
    terms = frozenset(index_term(word.lower().strip(".()")) for word in query)
    quick = [(h.start, h.end) for h in highlight_spans(text, terms)]
    assert quick == full_path(text, terms)


@given(st.lists(st.text("abcdeg", min_size=1, max_size=5), min_size=1, max_size=12))
def test_the_trie_pattern_matches_each_root_and_no_other_word(roots: list[str]) -> None:
    kept = _shortest_roots(sorted(set(roots)))
    pattern = re.compile(_trie_pattern(kept))
    for root in roots:
        assert pattern.match(root), root
    for word in ["f", "gg", "z" + roots[0]]:
        found = pattern.match(word)
        assert found is None or any(found.group() == root for root in kept)


@pytest.mark.parametrize(("british", "american"), listed_pairs())
def test_british_spellings_light_up_on_the_quick_path_as_on_the_full_one(
    british: str, american: str
) -> None:
    """Review finding: ``grey`` (indexed as ``gray``) lit up only in non-ASCII text: the
    quick path looked for the American word's first letters."""
    for written in (british, british.capitalize(), american):
        text = f"The {written} results were clear"
        terms = frozenset({index_term(british)})
        quick = highlight_spans(text, terms)
        full = highlight_spans(text + " é", terms)  # non-ASCII: every run is analysed
        assert quick == full
        assert [text[h.start : h.end] for h in quick] == [written]


@pytest.mark.parametrize(
    ("written", "query_word"),
    [("aging", "ageing"), ("using", "use"), ("used", "using"), ("hoping", "hope"), ("eyes", "eye")],
)
def test_a_short_stem_with_a_letter_the_word_lacks_still_lights_up(
    written: str, query_word: str
) -> None:
    """Snowball restores an ``e`` (``aging`` -> ``age``): a three-letter stem's first letters
    are then not the word's."""
    text = f"{written.capitalize()} it here"
    terms = frozenset({index_term(query_word)})
    assert index_term(written) in terms
    quick = highlight_spans(text, terms)
    assert quick == highlight_spans(text + " é", terms)
    assert [text[h.start : h.end] for h in quick] == [written.capitalize()]


def test_a_hits_abstract_spans_are_worked_out_once_when_first_asked_for() -> None:
    from browser.models import Highlight, Paper, SearchHit

    calls: list[int] = []

    def spans() -> list[Highlight]:
        calls.append(1)
        return [Highlight(start=0, end=5)]

    hit = SearchHit(paper=Paper(id="x", title="t", abstract="Learn more")).highlight_abstract_with(
        spans
    )
    assert calls == []  # a page of hits costs nothing until one is shown
    assert hit.abstract_highlights == [Highlight(start=0, end=5)]
    assert hit.abstract_highlights == [Highlight(start=0, end=5)]
    assert calls == [1]
    assert SearchHit(paper=Paper(id="y", title="t")).abstract_highlights == []
