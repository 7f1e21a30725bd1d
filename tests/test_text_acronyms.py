"""browser.text.acronyms: abbreviations built in and mined (Schwartz and Hearst)."""

from __future__ import annotations

import pytest

from browser.text.acronyms import (
    BUILT_IN,
    AcronymTable,
    Definition,
    find_definitions,
    long_form_key,
    mine_counts,
    short_form_key,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "We study offline reinforcement learning (RL) with latent plans.",
            Definition("RL", "reinforcement learning"),
        ),
        (
            "Large vision-language models (VLMs) describe images.",
            Definition("VLMs", "vision-language models"),
        ),
        (
            "Generative Adversarial Imitation Learning (GAIL) is off-policy here.",
            Definition("GAIL", "Generative Adversarial Imitation Learning"),
        ),
        ("Chain-of-Thought (CoT) prompting helps.", Definition("CoT", "Chain-of-Thought")),
        (
            "3D Gaussian Splatting (3DGS) renders scenes.",
            Definition("3DGS", "3D Gaussian Splatting"),
        ),
        (
            "We apply RLHF (reinforcement learning from human feedback) to chat.",
            Definition("RLHF", "reinforcement learning from human feedback"),
        ),
        (
            "a mixture-of-experts (MoE) layer",
            Definition("MoE", "mixture-of-experts"),
        ),
        (
            "retrieval-augmented generation (RAG) pipelines",
            Definition("RAG", "retrieval-augmented generation"),
        ),
    ],
)
def test_definitions_are_found(text: str, expected: Definition) -> None:
    assert expected in find_definitions(text)


@pytest.mark.parametrize(
    "text",
    [
        "The loss (see Fig. 2) is small.",
        "results (in percent) are shown",
        "a model (2024) was trained",
        "the baseline (ours) wins",
        "BLEU (higher is better)",
    ],
)
def test_parentheses_that_define_nothing(text: str) -> None:
    assert find_definitions(text) == []


def test_keys_fold_case_and_plural() -> None:
    assert short_form_key("VLMs") == "vlm"
    assert short_form_key("LLM") == "llm"
    assert short_form_key("CoT") == "cot"
    assert long_form_key("vision-language models") == ("vision", "language", "models")
    assert long_form_key("Chain-of-Thought") == ("chain", "thought")


def test_table_merges_built_in_and_mined_forms() -> None:
    mined = mine_counts(
        [
            "Representation learning (RL) of graphs.",
            "Representation learning (RL) of molecules.",
            "Large vision-language models (VLMs) describe images.",
            "Sparse mixture of experts (SMoE) layers.",
        ]
    )
    table = AcronymTable.from_counts(mined)
    # The built-in sense comes first, the library's own is kept too (two papers say so).
    assert table.expansions("rl")[0] == ("reinforcement", "learning")
    assert ("representation", "learning") in table.expansions("rl")
    assert ("vision", "language", "models") in table.expansions("vlm")
    assert table.expansions("vlms") == table.expansions("vlm")
    assert table.expansions("smoe") == (("sparse", "mixture", "experts"),)
    assert table.labels["smoe"] == ("sparse mixture of experts",)
    assert table.short_forms[("generative", "adversarial", "imitation", "learning")] == "gail"
    assert table.expansions("unknown") == ()


def test_built_in_list_has_the_common_ones() -> None:
    for short in ("rl", "llm", "gail", "vlm", "rag", "moe", "cot", "lora"):
        assert short in BUILT_IN
