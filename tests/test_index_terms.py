"""What the text fields hand the index writer: each term's frequency, weight and positions,
against the same figures counted token by token from ``browser.text.tokens.tokenise``."""

from __future__ import annotations

import random
from collections import defaultdict

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from whoosh.formats import Positions

from browser.models import Paper
from browser.search.schema import (
    REGION,
    TITLE_WEIGHT,
    build_schema,
    document_for,
    index_term,
    paper_regions,
)
from browser.text.tokens import tokenise

TEXTS = [
    "Eﬃcient Fine-Tuning of Diﬀusion Models",
    "Mix\u200bFormer: Mixing Features across Windows, MixFormer and XLNet",
    "Dense rewards for rein\u00adforcement learning agents; learning to learn",
    "GPT-4 Technical Report: GPT-4, GPT4 and Qwen2.5 beat Qwen2 at 2.5 points",
    "Command-R Retrieval Models: retrieval-augmented generation at scale",
    "大規模言語モデルの推論能力に関する研究 推論",
    "대규모 언어 모델의 추론 능력",
    "The model's models and the models' model: it is a test of the stop words",
    "multi-task Multi-Task multitask multi task",
    "",
]
_WORDS = [*" ".join(TEXTS).split(), "the", "of", "a", "x-y-z", "½", "ÉCOLE", "école"]


def expected_postings(
    regions: tuple[str, ...], first_weight: float
) -> list[tuple[bytes, int, float, bytes]]:
    """(term, frequency, weight, encoded positions) counted a token at a time: region ``n``
    starts at position ``n * REGION``; tokens of the first region weigh ``first_weight``."""
    places: defaultdict[str, list[int]] = defaultdict(list)
    weights: defaultdict[str, float] = defaultdict(float)
    for number, region in enumerate(regions):
        for token in tokenise(region):
            term = index_term(token.text)
            places[term].append(number * REGION + token.position)
            weights[term] += first_weight if number == 0 else 1.0
    encode = Positions().encode
    return sorted(
        (term.encode("utf-8"), len(at), weights[term], encode(tuple(at)))
        for term, at in places.items()
    )


@pytest.mark.parametrize("title", TEXTS)
def test_text_and_title_fields_give_each_terms_positions_and_weight(title: str) -> None:
    rng = random.Random(title)
    abstract = " ".join(rng.choice(TEXTS) for _ in range(4))
    paper = Paper(id="hf-0000000000000001", title=title, abstract=abstract)
    document, _words = document_for(paper)
    schema = build_schema()
    regions = paper_regions(paper)
    assert sorted(schema["text"].index(document["text"])) == expected_postings(
        regions, TITLE_WEIGHT
    )
    assert sorted(schema["title"].index(document["title"])) == expected_postings(regions[:1], 1.0)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.sampled_from(_WORDS), max_size=30).map(" ".join),
    st.lists(st.sampled_from(_WORDS), max_size=60).map(" ".join),
)
def test_any_mix_of_words_is_counted_as_token_by_token(title: str, abstract: str) -> None:
    paper = Paper(id="hf-0000000000000001", title=title, abstract=abstract)
    document, _words = document_for(paper)
    schema = build_schema()
    assert sorted(schema["text"].index(document["text"])) == expected_postings(
        paper_regions(paper), TITLE_WEIGHT
    )


@pytest.mark.parametrize("text", TEXTS)
def test_a_plain_string_is_one_region(text: str) -> None:
    """``key_terms_from_text`` (similar papers) hands the field a string."""
    schema = build_schema()
    assert sorted(schema["text"].index(text)) == expected_postings((text,), TITLE_WEIGHT)
    assert sorted(schema["keyword"].index(text)) == expected_postings((text,), 1.0)
