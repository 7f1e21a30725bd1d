"""browser.text.normalise: what a reader sees as the same text compares equal."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from browser.text.normalise import fold_accents, normalise, normalise_with_offsets


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        # Ligatures from PDFs (issue 13) and others of the kind.
        ("Eﬃcient Fine-Tuning of Diﬀusion Models", "efficient fine-tuning of diffusion models"),
        ("ﬁne-tuning ﬂow ﬀ ﬄ ﬅ", "fine-tuning flow ff ffl st"),
        ("Ĳssel", "ijssel"),
        # Invisible characters: zero-width space/joiners, soft hyphen, BOM, word joiner,
        # bidi marks and isolates, variation selectors.
        ("Mix\u200bFormer", "mixformer"),
        ("rein\u00adforcement", "reinforcement"),
        ("\ufeffTransformer", "transformer"),
        ("zero\u200cwidth\u200djoiner", "zerowidthjoiner"),
        ("word\u2060joiner", "wordjoiner"),
        ("\u200eleft\u200f \u202adiffusion\u202c \u2066iso\u2069", "left diffusion iso"),
        ("heart\ufe0f", "heart"),
        ("Mongolian\u180eseparator", "mongolianseparator"),
        # Full-width letters and digits, superscripts, compatibility spaces.
        ("ＧＰＴ－４", "gpt-4"),
        ("x²", "x2"),
        ("no\u00a0break", "no break"),
        # Quotes and dashes unified.
        ("“policy gradient” „a“ «b» ＂c＂ 〝d〞", '"policy gradient" "a" "b" "c" "d"'),
        ("‘single’ ‚low‛ ‹guillemet›", "'single' 'low' 'guillemet'"),
        (
            "multi‐task non‑breaking 2020–2024 a—b minus−sign",
            "multi-task non-breaking 2020-2024 a-b minus-sign",
        ),
        # Case folding, accents folded.
        ("Straße", "strasse"),
        ("Café Größe naïve Ångström", "cafe grosse naive angstrom"),
        ("Łódź Øresund Æther Œuvre", "lodz oresund aether oeuvre"),
        ("ℌilbert", "hilbert"),
        # Other scripts keep their letters and marks.
        ("大規模言語モデル", "大規模言語モデル"),
        ("が", "が"),
        ("한국어", "한국어"),
        ("हिन्दी", "हिन्दी"),
        ("ΜΟΝΤΈΛΟ", "μοντελο"),
    ],
)
def test_normalise(raw: str, expected: str) -> None:
    assert normalise(raw) == expected


def test_keep_accents_keeps_them_but_folds_the_rest() -> None:
    assert normalise("Café\u200b Eﬃcient", keep_accents=True) == "café efficient"
    # A mark after an invisible character still composes with its letter.
    assert normalise("e\u200b\u0301", keep_accents=True) == "é"


def test_fold_accents_leaves_kana_voicing_marks() -> None:
    assert fold_accents("が") == "が"
    assert fold_accents("é") == "e"


def test_ascii_is_only_lowered() -> None:
    text = 'GPT-4 "quoted" it\'s (a) x_y'
    assert normalise(text) == text.lower()


def test_offsets_point_at_the_original_characters() -> None:
    text = "Eﬃcient Mix\u200bFormer"
    folded, offsets = normalise_with_offsets(text)
    assert folded == "efficient mixformer"
    assert [text[offsets[i]] for i in range(4)] == ["E", "ﬃ", "ﬃ", "ﬃ"]
    assert text[offsets[folded.index("former")]] == "F"


# Text of the kinds the pipeline must handle, mixed: the property tests draw from it.
_ALPHABET = (
    "abcXYZ019 -_.'\"()"
    "éÉüßøæŁ"  # accented and special Latin letters
    "\u0301\u0308\u0327"  # combining marks
    "ﬁﬃﬀﬆĲ"  # ligatures
    "\u200b\u200c\u200d\u00ad\ufeff\u2060\u200e\u202a\u2066\ufe0f"  # invisible
    "ＡＢ１２"  # full-width
    "“”„«»‘’–—‐"  # quotes and dashes
    "大規模言語モデルの推論がぱ한국어"  # CJK
    "हिन्दी"  # Devanagari with vowel signs
    "ℌ²½㎏"  # compatibility symbols
)
texts = st.text(alphabet=_ALPHABET, max_size=40)


@given(texts)
@settings(max_examples=300, deadline=None)
def test_normalise_is_idempotent(text: str) -> None:
    once = normalise(text)
    assert normalise(once) == once
    kept = normalise(text, keep_accents=True)
    assert normalise(kept, keep_accents=True) == kept


@given(st.text(max_size=30))
@settings(max_examples=300, deadline=None)
def test_normalise_is_idempotent_on_any_unicode(text: str) -> None:
    once = normalise(text)
    assert normalise(once) == once
    assert unicodedata.is_normalized("NFKC", once)


@given(texts)
@settings(max_examples=300, deadline=None)
def test_offsets_give_the_same_text_and_map_back(text: str) -> None:
    folded, offsets = normalise_with_offsets(text)
    assert folded == normalise(text)
    assert len(offsets) == len(folded)
    assert list(offsets) == sorted(offsets)
    assert all(0 <= offset < len(text) for offset in offsets)


@given(st.text(max_size=30))
@settings(max_examples=200, deadline=None)
def test_offsets_stay_in_range_on_any_unicode(text: str) -> None:
    folded, offsets = normalise_with_offsets(text)
    assert len(offsets) == len(folded)
    assert list(offsets) == sorted(offsets)
    assert all(0 <= offset < len(text) for offset in offsets)
