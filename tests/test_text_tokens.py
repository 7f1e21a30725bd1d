"""browser.text.tokens: the words a reader sees, with the parts of names kept."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from browser.text.normalise import normalise
from browser.text.tokens import Token, is_cjk, tokenise


def words(text: str) -> list[str]:
    """Phrase words (not derived) of ``text``."""
    return [token.text for token in tokenise(text) if not token.derived]


def derived(text: str) -> list[str]:
    return [token.text for token in tokenise(text) if token.derived]


def every(text: str) -> set[str]:
    return {token.text for token in tokenise(text)}


@pytest.mark.parametrize(
    ("text", "parts", "joined"),
    [
        ("GPT-4", ["gpt", "4"], ["gpt4"]),
        ("Llama 3-8B", ["llama", "3", "8", "b"], ["38b", "8b"]),
        ("GPT-3", ["gpt", "3"], ["gpt3"]),
        ("Command-R", ["command", "r"], ["commandr"]),
        ("Command-V", ["command", "v"], ["commandv"]),
        ("Multi-Task", ["multi", "task"], ["multitask"]),
        ("multi_task", ["multi", "task"], ["multitask"]),
        ("MixFormer", ["mix", "former"], ["mixformer"]),
        ("XLNet", ["xl", "net"], ["xlnet"]),
        ("ResNet50", ["res", "net", "50"], ["resnet50"]),
        ("GPT4o", ["gpt", "4", "o"], ["gpt4o"]),
        ("Qwen2.5", ["qwen", "2.5"], ["qwen2.5"]),
        ("Qwen2", ["qwen", "2"], ["qwen2"]),
        ("Llama-3.1-8B", ["llama", "3.1", "8", "b"], ["llama3.18b", "8b"]),
        # A compound inside a hyphenated one is joined too: a reader looks for it.
        ("RoBERTa-large", ["ro", "ber", "ta", "large"], ["robertalarge", "roberta"]),
        ("DeepMind-style", ["deep", "mind", "style"], ["deepmindstyle", "deepmind"]),
        ("NeRF-based", ["ne", "rf", "based"], ["nerfbased", "nerf"]),
        ("Qwen2.5-VL", ["qwen", "2.5", "vl"], ["qwen2.5vl", "qwen2.5"]),
        (
            "pre-trained GPT4-based",
            ["pre", "trained", "gpt", "4", "based"],
            ["pretrained", "gpt4based", "gpt4"],
        ),
        ("state-of-the-art", ["state", "art"], ["stateoftheart"]),
        ("e.g.", ["e", "g"], ["eg"]),
        # Wholes that must stay whole.
        ("LLMs", ["llms"], []),
        ("VLMs", ["vlms"], []),
        ("learning", ["learning"], []),
        ("Transformer", ["transformer"], []),
        ("2401.01234", ["2401.01234"], []),
        ("v", ["v"], []),
        ("x", ["x"], []),
    ],
)
def test_compounds_give_their_parts_and_the_joined_form(
    text: str, parts: list[str], joined: list[str]
) -> None:
    assert words(text) == parts
    assert derived(text) == joined


def test_one_letter_parts_keep_names_apart() -> None:
    assert every("Evaluating GPT-3 on reasoning") & every("GPT-4") == {"gpt"}
    assert "commandr" not in every("Command-V: a model")
    assert "v" in every("Command-V: a model")


def test_qwen_versions_stay_distinct() -> None:
    assert "qwen2" not in every("Qwen2.5 technical report")
    assert "2" not in every("Qwen2.5 technical report")


def test_stop_words_are_dropped_and_positions_close_up() -> None:
    tokens = tokenise("the policy of a gradient")
    assert [(t.text, t.position) for t in tokens] == [("policy", 0), ("gradient", 1)]
    assert [t.text for t in tokenise("the policy", keep_stop_words=True)] == ["the", "policy"]


def test_invisible_and_compatibility_characters_inside_words() -> None:
    assert words("Eﬃcient Fine-Tuning of Diﬀusion Models") == [
        "efficient",
        "fine",
        "tuning",
        "diffusion",
        "models",
    ]
    assert "finetuning" in derived("Eﬃcient Fine-Tuning")
    assert "mixformer" in every("Mix\u200bFormer")
    assert words("rein\u00adforcement") == ["reinforcement"]
    assert words("word\u2060joiner \ufeffBOM zero\u200dwidth") == ["wordjoiner", "bom", "zerowidth"]
    assert words("ＧＰＴ－４") == ["gpt", "4"]
    assert words("naïve Café") == ["naive", "cafe"]
    assert words("model's results") == ["model", "results"]
    assert words("models’ results") == ["models", "results"]


@pytest.mark.parametrize(
    ("text", "query"),
    [
        ("大規模言語モデルの推論能力に関する研究", "推論"),  # Japanese (issue 13)
        ("大规模语言模型的推理能力研究", "推理"),  # Chinese
        ("대규모 언어 모델의 추론 능력", "모델"),  # Korean: a word with its particle
        ("카타카나とひらがなのテスト", "テス"),  # kana
    ],
)
def test_cjk_words_are_found_inside_runs(text: str, query: str) -> None:
    # A two-character query is one bigram, which the text's bigrams contain.
    assert derived(query) == [query]
    assert query in every(text)


def test_cjk_runs_give_characters_and_overlapping_pairs() -> None:
    tokens = tokenise("推論能力")
    assert [(t.text, t.position, t.derived) for t in tokens] == [
        ("推", 0, False),
        ("推論", 0, True),
        ("論", 1, False),
        ("論能", 1, True),
        ("能", 2, False),
        ("能力", 2, True),
        ("力", 3, False),
    ]
    # One character is a query too.
    assert words("推") == ["推"]
    assert is_cjk("推") and is_cjk("한") and is_cjk("カ") and not is_cjk("a")


def test_mixed_scripts_split_at_the_script_edge() -> None:
    assert words("GPT-4による評価") == ["gpt", "4", "に", "よ", "る", "評", "価"]
    assert "gpt4" in derived("GPT-4による評価")


def test_offsets_point_at_the_text_as_written() -> None:
    text = "Eﬃcient Mix\u200bFormer (GPT-4)"
    spans = {t.text: text[t.start : t.end] for t in tokenise(text)}
    assert spans["efficient"] == "Eﬃcient"
    assert spans["mixformer"] == "Mix\u200bFormer"
    assert spans["former"] == "Former"
    assert spans["gpt4"] == "GPT-4"
    assert spans["4"] == "4"


_ALPHABET = (
    "abcXYZ019 -_.'’()"
    "éÉüßøæŁ\u0301\u0308"
    "ﬁﬃﬀĲ"
    "\u200b\u200c\u200d\u00ad\ufeff\u2060\u200e\u202a\ufe0f"
    "ＡＢ１２“”–—‐"
    "大規模言語モデルの推論がぱ한국어हिन्दी"
    "ℌ²½"
)


@given(st.text(alphabet=_ALPHABET, max_size=60))
@settings(max_examples=300, deadline=None)
def test_tokens_are_never_empty_and_map_back(text: str) -> None:
    tokens = tokenise(text)
    positions = [t.position for t in tokens]
    assert positions == sorted(positions)
    for token in tokens:
        assert isinstance(token, Token)
        assert token.text
        assert token.text == token.text.strip()
        assert 0 <= token.start < token.end <= len(text)
        surface = text[token.start : token.end]
        # The span holds what the token says: normalised, its letters are there in order
        # (a joined form drops the hyphens; a part of an expanded character shares it).
        folded = "".join(
            c for c in normalise(surface) if unicodedata.category(c)[0] in "LMN" or c == "."
        )
        assert _in_order(token.text.replace(".", ""), folded.replace(".", ""))


@given(st.text(alphabet=_ALPHABET, max_size=60))
@settings(max_examples=200, deadline=None)
def test_tokenising_normalised_text_gives_the_same_words(text: str) -> None:
    # Camel case is lost in the normalised text, so compare plain-case inputs.
    # (A compatibility character may hold a separator: "½" is "1⁄2", one word before.)
    lowered = text.lower()
    assume(not any(char.isupper() for char in lowered))  # "ℌ" has no lower case
    assert words(normalise(lowered)) == words(lowered)


@given(st.text(max_size=40))
@settings(max_examples=200, deadline=None)
def test_any_unicode_tokenises_without_error(text: str) -> None:
    for token in tokenise(text):
        assert token.text
        assert 0 <= token.start < token.end <= len(text)


def _in_order(needle: str, haystack: str) -> bool:
    letters = iter(haystack)
    return all(char in letters for char in needle)
