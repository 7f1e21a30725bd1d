"""Issue 13's examples end to end, as a researcher runs them: the CLI over the sample
dumps and over a small dump written here (invisible characters, quotes, tags, pastes)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from conftest import DumpPaper, write_dump

from browser.cli import main

_capsys: list[pytest.CaptureFixture[str]] = []


@pytest.fixture(autouse=True)
def _remember_capsys(capsys: pytest.CaptureFixture[str]) -> None:
    _capsys[:] = [capsys]


def answer(library: Path, query: str, *options: str) -> tuple[dict[str, Any], str]:
    """The JSON answer to ``query`` through the CLI, and what it said on stderr."""
    capsys = _capsys[0]
    capsys.readouterr()
    arguments = ["search", query, "--json", "--limit", "50", "--library", str(library)]
    assert main([*arguments, *options]) == 0
    out = capsys.readouterr()
    return json.loads(out.out), out.err


def search(library: Path, query: str, *options: str) -> tuple[list[dict[str, object]], str]:
    """The JSON hits of ``query`` through the CLI, and what it said on stderr."""
    found, err = answer(library, query, *options)
    return found["hits"], err


def titles(hits: list[dict[str, object]]) -> list[str]:
    return [str(hit["title"]) for hit in hits]


# ------------------------------------------------------------------ the sample dumps

SAMPLE_FOUND = [
    ("vietnam hate", "ViHateT5: Enhancing Hate Speech Detection in Vietnamese"),
    ("multitask", "STG-MTL: Scalable Task Grouping for Multi-Task Learning Using Data Map"),
    ("ethical bias jailbreak", "Analyzing Ethical Biases and Jailbreak Vulnerabilities"),
    ("lipschitz off-policy GAIL", "Lipschitzness Is All You Need To Tame Off-policy"),
    ("diffusion behavior cloning", "DiffClone: Enhanced Behaviour Cloning in Robotics"),
    ("classifier-free guidance predictor-corr", "Classifier-Free Guidance is a Predictor"),
    ("offline RL latent plans", "Latent Plans for Task-Agnostic Offline Reinforcement Learning"),
    ("kernel view language model fine-tun", "A Kernel-Based View of Language Model Fine-Tuning"),
    ("Command-V", "Command-V: Pasting LLM Behaviors via Activation Profiles"),
    ("v", "Command-V: Pasting LLM Behaviors via Activation Profiles"),
    (
        "Lipschitzness Is All You Need\nTo Tame Off-policy Generative",
        "Lipschitzness Is All You Need To Tame Off-policy",
    ),
]


@pytest.mark.parametrize(("query", "title"), SAMPLE_FOUND)
def test_the_sample_dumps_answer_the_issue_examples(
    sample_library: Path, query: str, title: str
) -> None:
    hits, _err = search(sample_library, query)
    assert any(title in found for found in titles(hits)[:3]), titles(hits)[:5]


def test_names_keep_their_short_parts_on_the_sample_dumps(sample_library: Path) -> None:
    gpt4, _err = search(sample_library, "GPT-4")
    assert gpt4
    # A paper that names only GPT-3 is not a GPT-4 paper.
    assert "Using Large Language Models to Simulate Multiple Humans" not in " ".join(titles(gpt4))
    command_r, _err = search(sample_library, "Command-R")
    assert not any("Command-V" in title for title in titles(command_r))
    every, _err = search(sample_library, "v", "--limit", "1000")
    assert 0 < len(every) < 100  # a word, not every paper


def test_the_sample_dumps_answer_broken_syntax_and_field_wildcards(sample_library: Path) -> None:
    closed, _err = search(sample_library, "date:[2024-01 TO 2024-06]")
    half, err = answer(sample_library, "date:[2024-01 TO 2024-06")
    assert titles(half["hits"]) == titles(closed) and closed
    assert "is not closed" in err and "invalid literal" not in err
    assert "is not closed" in half["query_note"]
    # The sample dumps carry no arXiv ids.
    with_id, _err = search(sample_library, "arxiv:*", "--limit", "1000")
    without_id, _err = search(sample_library, "-arxiv:*", "--limit", "1000")
    assert with_id == [] and len(without_id) == 516


# ------------------------------------------------------------------ a dump written here

HANDMADE = [
    DumpPaper("Mix\u200bFormer: Mixing Features across Windows", "Pasted from a PDF."),
    DumpPaper("MixFormer: Mixing Features across Windows", "The same paper, clean.", authors=7),
    DumpPaper("Rein\u00adforcement Learning from Pixels", "A soft hyphen in the title."),
    DumpPaper("Eﬃcient Fine-Tuning of Diﬀusion Models", "Ligatures from a PDF."),
    DumpPaper("Policy Gradient Theorems", "We derive the policy gradient."),
    DumpPaper("Gradient Noise in Policy Search", "Noisy gradient estimates for a policy."),
    DumpPaper("大規模言語モデルの推論能力に関する研究", "日本語の論文です。"),
    DumpPaper("Diffusion Behaviour Cloning", "Cloning behaviour with diffusion."),
]


@pytest.fixture
def handmade(tmp_path: Path) -> Path:
    dumps = tmp_path / "dumps"
    write_dump(dumps, "2024-03-05_page.txt", HANDMADE)
    library = tmp_path / "library"
    assert main(["index", str(dumps), "--library", str(library)]) == 0
    return library


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("efficient", ["Eﬃcient Fine-Tuning of Diﬀusion Models"]),
        ("MixFormer", ["Mix\u200bFormer: Mixing Features across Windows"]),
        ("Mix\u200bFormer", ["Mix\u200bFormer: Mixing Features across Windows"]),
        ("reinforcement", ["Rein\u00adforcement Learning from Pixels"]),
        ("“policy gradient”", ["Policy Gradient Theorems"]),
        ("„policy gradient“", ["Policy Gradient Theorems"]),
        ("«policy gradient»", ["Policy Gradient Theorems"]),
        ("推論", ["大規模言語モデルの推論能力に関する研究"]),
        ("behavior cloning", ["Diffusion Behaviour Cloning"]),
        ("Efficient Fine-Tuning\nof Diffusion Models", ["Eﬃcient Fine-Tuning of Diﬀusion Models"]),
    ],
)
def test_a_handmade_dump_answers_the_issue_examples(
    handmade: Path, query: str, expected: list[str]
) -> None:
    hits, _err = search(handmade, query)
    assert titles(hits) == expected


def test_copies_differing_by_invisible_characters_are_one_paper_and_tags_find_them(
    handmade: Path,
) -> None:
    everything, _err = search(handmade, "", "--limit", "100")
    assert len(everything) == len(HANDMADE) - 1
    hits, _err = search(handmade, "mixformer")
    paper = str(hits[0]["id"])
    assert main(["tag", paper, "to read", "--library", str(handmade)]) == 0
    for query in ("tag:“to read”", "tag:«to read»", 'tag:"to read"', "tag:*"):
        tagged, _err = search(handmade, query)
        assert [hit["id"] for hit in tagged] == [paper], query
