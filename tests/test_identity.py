"""browser.identity version 2: invisible characters do not make another paper; no other id moves."""

from __future__ import annotations

import hashlib
import re
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from browser.identity import normalize_title, paper_id, strip_latex
from browser.merging import deduplicate
from browser.parse import parse_file
from browser.text.normalise import IGNORABLE_CHARACTERS
from tests.conftest import SAMPLE_DUMPS

_IGNORABLE = re.compile(f"[{IGNORABLE_CHARACTERS}]")


def version_1_id(title: str) -> str:
    """The id as identity version 1 made it (the oracle the pinned ids come from)."""
    text = unicodedata.normalize("NFKC", title)
    if any(marker in text for marker in ("\\", "$", "{", "}")):
        text = unicodedata.normalize("NFKC", strip_latex(text))
    key = re.sub(r"[\W_]+", " ", text.casefold()).strip() or title.strip()
    return "hf-" + hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]


# Ids of version 1, pinned: none of these titles has an invisible character.
PINNED = {
    "Attention Is All You Need": "hf-4a1c934d3d98f3ce",
    "Pokémon Battles as a Benchmark for Planning": version_1_id(
        "Pokémon Battles as a Benchmark for Planning"
    ),
}


@pytest.mark.parametrize(
    "title",
    [
        "Attention Is All You Need",
        "Pokémon Battles as a Benchmark for Planning",
        "Eﬃcient Fine-Tuning of Diﬀusion Models",
        "SOTOPIA-$\\pi$: Interactive Evaluation",
        "“Quoted” Titles — With Dashes – and ‘Quotes’",
        "ΐ Polytonic ᾳ Greek and ǰ",
        "大規模言語モデルの推論能力に関する研究",
        "Ｆｕｌｌ－ｗｉｄｔｈ Title",
        "İstanbul Straße",
    ],
)
def test_ids_of_titles_without_invisible_characters_do_not_change(title: str) -> None:
    assert paper_id(title) == version_1_id(title)


def test_pinned_ids() -> None:
    assert paper_id("Attention Is All You Need") == "hf-4a1c934d3d98f3ce"
    for title, expected in PINNED.items():
        assert paper_id(title) == expected


@given(st.text(max_size=50).filter(lambda text: not _IGNORABLE.search(text)))
@settings(max_examples=400, deadline=None)
def test_any_title_without_invisible_characters_keeps_its_id(title: str) -> None:
    assert paper_id(title) == version_1_id(title)


def test_sample_dump_ids_are_unchanged_and_no_papers_merge() -> None:
    records = [r for path in sorted(SAMPLE_DUMPS.iterdir()) for r in parse_file(path).records]
    assert all(r.id == version_1_id(r.title) for r in records if not _IGNORABLE.search(r.title))
    assert len(deduplicate(records)) == 516


@pytest.mark.parametrize(
    "copy",
    [
        "Mix\u200bFormer: Mixing Features",  # zero-width space
        "MixFormer\u200d: Mixing Features",  # zero-width joiner
        "Mix\u200cFormer: Mixing Features",  # zero-width non-joiner
        "Mix\u00adFormer: Mixing Features",  # soft hyphen
        "\ufeffMixFormer: Mixing Features",  # byte-order mark
        "Mix\u2060Former: Mixing Features",  # word joiner
        "\u200eMixFormer: Mixing Features\u200f",  # bidi marks
        "\u2066MixFormer\u2069: Mixing Features",  # bidi isolate
        "MixFormer: Mixing\ufe0f Features",  # variation selector
        "Mix\u034fFormer: Mixing Features",  # combining grapheme joiner
    ],
)
def test_a_copy_with_invisible_characters_is_the_same_paper(copy: str) -> None:
    assert paper_id(copy) == paper_id("MixFormer: Mixing Features")


def test_ligatures_and_full_width_letters_were_and_are_one_paper() -> None:
    plain = "Efficient Fine-Tuning of Diffusion Models"
    assert paper_id("Eﬃcient Fine-Tuning of Diﬀusion Models") == paper_id(plain)
    assert paper_id("Ｅｆｆｉｃｉｅｎｔ Fine-Tuning of Diffusion Models") == paper_id(plain)
    assert normalize_title("rein\u00adforcement learn\u200bing") == "reinforcement learning"


def test_different_papers_stay_apart() -> None:
    assert paper_id("GPT-4 Technical Report") != paper_id("GPT-3 Technical Report")
    assert paper_id("Command-R") != paper_id("Command-V")
    assert paper_id("Café") != paper_id("Cafe")  # accents are kept in ids
