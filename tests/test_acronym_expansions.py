"""Issue 13 item 3, abbreviations: every known one expands both ways, as the last word
typed too, with one notice per meaning written as the library writes it."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from browser.identity import paper_id
from browser.models import Paper
from browser.search import PaperIndex
from browser.text.acronyms import AcronymTable, mine_counts, short_as_written


def make_paper(title: str, abstract: str = "") -> Paper:
    return Paper(id=paper_id(title), title=title, abstract=abstract, date=dt.date(2024, 5, 1))


# Each abbreviation said one way in one paper and the other way in another.
PAPERS = [
    make_paper("RL Agents for Minecraft", "We train RL agents on long tasks."),
    make_paper("Reinforcement Learning Agents for Minecraft", "Agents that learn to mine."),
    make_paper("Scaling LLMs to Long Contexts", "Our LLM reads books."),
    make_paper("Large Language Models as Tutors", "Tutoring with chat models."),
    make_paper("A VLM for Charts", "One VLM reads charts."),
    make_paper("Benchmarking VLMs on Maps", "Maps are hard."),
    make_paper("Vision-Language Models Read Receipts", "Receipts, scanned."),
    make_paper("CoT Prompting Revisited", "Longer CoT helps."),
    make_paper("Chain of Thought in Small Models", "Step by step."),
    make_paper("Sparse MoE Layers", "Routing tokens."),
    make_paper("A Mixture of Experts for Speech", "Experts per accent."),
    make_paper("SFT Data Selection", "Choosing what to tune on."),
    make_paper("Supervised Fine-Tuning Without Labels", "A paradox, resolved."),
    make_paper("LoRA for Diffusion", "Adapters, cheaply."),
    make_paper("Low-Rank Adaptation of Speech Models", "Adapters for audio."),
    make_paper("RLHF at Scale", "Preference data."),
    make_paper("Reinforcement Learning from Human Feedback, Revisited", "Rewards from people."),
    make_paper("DRL for Trading", "Markets as games."),
    # Mined: a library-only abbreviation, defined once.
    make_paper("Zebra Quokka Networks", "We propose zebra quokka networks (ZQN) for herds."),
    make_paper("Counting With a ZQN", "A ZQN counts herds."),
    # Mined: a one-off phrasing of a built-in abbreviation.
    make_paper("Tuning Tricks", "We use supervision fine tuning (SFT) on small sets."),
]


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PaperIndex]:
    built = PaperIndex.create(tmp_path_factory.mktemp("index"))
    built.rebuild(PAPERS)
    yield built
    built.close()


def titles(index: PaperIndex, query: str) -> list[str]:
    return [hit.paper.title for hit in index.search(query, prefix_last_word=True).hits]


# (query, a paper saying it the other way, the notice)
BOTH_WAYS = [
    ("RL", "Reinforcement Learning Agents for Minecraft", "RL: reinforcement learning"),
    ("rl", "Reinforcement Learning Agents for Minecraft", "RL: reinforcement learning"),
    ("LLM", "Large Language Models as Tutors", "LLM: large language model"),
    ("LLMs", "Large Language Models as Tutors", "LLMs: large language model"),
    ("VLM", "Vision-Language Models Read Receipts", "VLM: vision-language model"),
    ("VLMS", "Vision-Language Models Read Receipts", "VLMs: vision-language model"),
    ("vlms", "Vision-Language Models Read Receipts", "VLMs: vision-language model"),
    ("COT", "Chain of Thought in Small Models", "CoT: chain of thought"),
    ("moe", "A Mixture of Experts for Speech", "MoE: mixture of experts"),
    ("LORA", "Low-Rank Adaptation of Speech Models", "LoRA: low-rank adaptation"),
    ("SFT", "Supervised Fine-Tuning Without Labels", "SFT: supervised fine-tuning"),
    (
        "RLHF",
        "Reinforcement Learning from Human Feedback, Revisited",
        "RLHF: reinforcement learning from human feedback",
    ),
    ("reinforcement learning", "RL Agents for Minecraft", "reinforcement learning: RL"),
    ("large language models", "Scaling LLMs to Long Contexts", "large language model: LLM"),
    ("vision language model", "Benchmarking VLMs on Maps", "vision-language model: VLM"),
    ("chain of thought", "CoT Prompting Revisited", "chain of thought: CoT"),
    ("Chain-of-Thought", "CoT Prompting Revisited", "chain of thought: CoT"),
    ("mixture of experts", "Sparse MoE Layers", "mixture of experts: MoE"),
    ("supervised fine-tuning", "SFT Data Selection", "supervised fine-tuning: SFT"),
    ("low rank adaptation", "LoRA for Diffusion", "low-rank adaptation: LoRA"),
    (
        "reinforcement learning from human feedback",
        "RLHF at Scale",
        "reinforcement learning from human feedback: RLHF",
    ),
    ("ZQN", "Zebra Quokka Networks", "ZQN: zebra quokka networks"),
    ("zebra quokka networks", "Counting With a ZQN", "zebra quokka networks: ZQN"),
]


@pytest.mark.parametrize("ending", ["", " "])
@pytest.mark.parametrize(("query", "other_way", "notice"), BOTH_WAYS)
def test_every_abbreviation_expands_both_ways_with_one_notice(
    index: PaperIndex, query: str, other_way: str, notice: str, ending: str
) -> None:
    """The last word as typed (no space after it: the word being typed) and finished."""
    result = index.search(query + ending, prefix_last_word=True)
    assert other_way in [hit.paper.title for hit in result.hits]
    assert result.expansions == [notice]


@pytest.mark.parametrize(
    ("query", "typed", "other"),
    [
        ("RL", "RL Agents for Minecraft", "Reinforcement Learning Agents for Minecraft"),
        ("RL ", "RL Agents for Minecraft", "Reinforcement Learning Agents for Minecraft"),
        ("reinforcement learning", "Reinforcement Learning Agents for Minecraft", "RL Agents"),
        ("CoT", "CoT Prompting Revisited", "Chain of Thought in Small Models"),
        ("chain of thought ", "Chain of Thought in Small Models", "CoT Prompting Revisited"),
        ("LLM ", "Scaling LLMs to Long Contexts", "Large Language Models as Tutors"),
    ],
)
def test_the_words_typed_rank_above_the_other_form(
    index: PaperIndex, query: str, typed: str, other: str
) -> None:
    found = titles(index, query)
    other_title = next(title for title in found if title.startswith(other))
    assert found.index(typed) < found.index(other_title)


def test_singular_and_plural_acronyms_are_one(index: PaperIndex) -> None:
    for query in ("VLM", "VLM ", "VLMs", "VLMs "):
        found = set(titles(index, query))
        assert {"A VLM for Charts", "Benchmarking VLMs on Maps"} <= found, query


def test_a_one_off_phrasing_is_not_offered_beside_the_built_in_meaning(
    index: PaperIndex,
) -> None:
    assert index.search("SFT ", prefix_last_word=True).expansions == ["SFT: supervised fine-tuning"]


def test_a_long_form_inside_other_words_is_no_abbreviation(index: PaperIndex) -> None:
    # "deep reinforcement learning": DRL and RL are both long forms in it; the longest
    # wins and its notice is said once.
    result = index.search("deep reinforcement learning ", prefix_last_word=True)
    assert result.expansions == ["deep reinforcement learning: DRL"]
    assert "DRL for Trading" in [hit.paper.title for hit in result.hits]
    # Half a compound never makes a long form: "non-reinforcement" is not "reinforcement".
    assert index.search("non-reinforcement learning ", prefix_last_word=True).expansions == []


# -- the table itself


def test_mined_long_forms_keep_their_stop_words_and_one_entry_per_meaning() -> None:
    mined = mine_counts(
        [
            "a sparse mixture of experts (SMoE) layer",
            "Sparse Mixture-of-Experts (SMoEs) route tokens.",
            "graph attention networks (GATs) and a graph attention network (GAT)",
            "We fine-tune with quokka guided tuning (QGT).",
            "We fine-tune with quokka guided tuning (QGT) again.",
            "quick gradient tricks (QGT) help",
        ]
    )
    assert mined["smoe"] == {"sparse mixture of experts": 1, "sparse mixture-of-experts": 1}
    table = AcronymTable.from_counts(mined)
    # Two spellings of one meaning: one label, its most written form (ties: first).
    assert table.labels["smoe"] == ("sparse mixture of experts",)
    # Singular and plural long forms stem alike: one meaning.
    assert len(table.labels["gat"]) == 1
    # Two papers beat one: the one-off is not offered beside the supported meaning.
    assert table.labels["qgt"] == ("quokka guided tuning",)


def test_a_built_in_meaning_absorbs_the_library_s_variants_of_it() -> None:
    mined = {"sft": {"supervised fine tuned": 3, "supervision fine tuning": 1}}
    table = AcronymTable.from_counts(mined)
    assert table.labels["sft"] == ("supervised fine-tuning",)
    assert ("supervised", "fine", "tuned") in table.expansions("sft")
    assert table.short_forms[("supervised", "fine", "tuned")] == "sft"


def test_a_second_supported_meaning_is_kept_after_the_built_in_one() -> None:
    mined = {"rl": {"representation learning": 2, "robot locomotion": 1}}
    table = AcronymTable.from_counts(mined)
    assert table.labels["rl"] == ("reinforcement learning", "representation learning")


@pytest.mark.parametrize(
    ("short", "typed", "written"),
    [
        ("vlm", "VLMS", "VLMs"),
        ("vlm", "vlms", "VLMs"),
        ("vlm", "vlm", "VLM"),
        ("lora", "LORA", "LoRA"),
        ("cot", "COT", "CoT"),
        ("moe", "MOE", "MoE"),
        ("nerf", "nerfs", "NeRFs"),
        ("rl", "Rl", "RL"),  # built in: as the field writes it, whatever the typing
        ("zqn", "ZqN", "ZqN"),  # mined only: the user's own mixed case
        ("zqn", "zqn", "ZQN"),
        ("rl", None, "RL"),
    ],
)
def test_short_forms_are_written_as_the_field_writes_them(
    short: str, typed: str | None, written: str
) -> None:
    assert short_as_written(short, typed) == written


# -- the CLI


def test_the_cli_says_it_as_the_readme_does(
    tmp_path: Path, library_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from conftest import DumpPaper, write_dump

    from browser.cli import main

    dumps = tmp_path / "dumps"
    write_dump(
        dumps,
        "2024-05-01_page.txt",
        [
            DumpPaper("RL Agents in Minecraft", "We train agents with curricula."),
            DumpPaper("Offline Reinforcement Learning With Plans", "Plans from play."),
        ],
    )
    assert main(["index", str(dumps)]) == 0
    capsys.readouterr()
    assert main(["search", "RL"]) == 0
    captured = capsys.readouterr()
    assert "Offline Reinforcement Learning With Plans" in captured.out
    assert "Also matching RL: reinforcement learning.\n" in captured.err
    readme = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    assert '"Also matching RL: reinforcement learning."' in readme
    assert main(["search", "reinforcement learning", "--json"]) == 0
    answer = json.loads(capsys.readouterr().out)
    assert {row["title"] for row in answer["hits"]} == {
        "RL Agents in Minecraft",
        "Offline Reinforcement Learning With Plans",
    }
    assert answer["also_matching"] == ["reinforcement learning: RL"]


def test_definitions_saved_before_long_forms_kept_stop_words_are_still_taken_back(
    tmp_path: Path,
) -> None:
    from browser.search.abbreviations import ACRONYMS_FILE, MinedAbbreviations

    paper = make_paper("Routing", "A sparse mixture of experts (SMoE) routes tokens.")
    # As an older version saved it: the long form's words only.
    (tmp_path / ACRONYMS_FILE).write_text(
        json.dumps({"smoe": {"sparse mixture experts": 1}}), encoding="utf-8"
    )
    mined = MinedAbbreviations.load(tmp_path)
    assert mined.table().expansions("smoe") == (("sparse", "mixture", "experts"),)
    mined.remove(paper)
    assert mined.counts == {}
    mined.add(paper)
    assert mined.counts == {"smoe": {"sparse mixture of experts": 1}}
    assert mined.table().labels["smoe"] == ("sparse mixture of experts",)
