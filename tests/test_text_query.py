"""browser.text.query_text: a pasted or typed query read as one line of plain syntax."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from browser.text.query_text import clean_query


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("“policy gradient”", '"policy gradient"'),
        ("„policy gradient“", '"policy gradient"'),
        ("«policy gradient»", '"policy gradient"'),
        ("« policy gradient »", '" policy gradient "'),
        ("»policy gradient«", '"policy gradient"'),
        ("＂policy gradient＂", '"policy gradient"'),
        ("〝policy gradient〞", '"policy gradient"'),
        ("‘policy gradient’", '"policy gradient"'),
        ("‚policy gradient‘", '"policy gradient"'),
        ("'policy gradient'", '"policy gradient"'),
        ("‹policy gradient›", '"policy gradient"'),
        ("tag:“to read”", 'tag:"to read"'),
        ("tag:„to read“ diffusion", 'tag:"to read" diffusion'),
        # Apostrophes inside or after words stay.
        ("model’s bias", "model’s bias"),
        ("the models' outputs", "the models' outputs"),
        ("don't 'stop'", 'don\'t "stop"'),
        # Pasted lines are one query; a trailing space stays.
        ("Efficient Fine-Tuning\nof Diffusion Models", "Efficient Fine-Tuning of Diffusion Models"),
        ("a\r\n\tb  c ", "a b c "),
        ("  leading", "leading"),
        # Invisible characters no longer split a word.
        ("Mix\u200bFormer", "MixFormer"),
        ("rein\u00adforcement \ufefflearning", "reinforcement learning"),
        # Full width and ligatures read as plain letters; dashes inside words are hyphens.
        ("ＧＰＴ－４", "GPT-4"),
        ("Eﬃcient", "Efficient"),
        ("Multi‐Task GPT–4", "Multi-Task GPT-4"),
        # Operators keep their case.
        ("diffusion OR “flow matching” NOT survey", 'diffusion OR "flow matching" NOT survey'),
        ("", ""),
    ],
)
def test_clean_query(typed: str, expected: str) -> None:
    assert clean_query(typed) == expected


@given(st.text(max_size=60))
@settings(max_examples=300, deadline=None)
def test_clean_query_is_one_line_and_stable(text: str) -> None:
    cleaned = clean_query(text)
    assert "\n" not in cleaned and "\r" not in cleaned
    assert clean_query(cleaned) == cleaned
