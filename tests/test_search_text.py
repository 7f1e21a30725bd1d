"""Issue 13 in the search engine: what researchers type finds what the papers say."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from browser.identity import paper_id
from browser.models import Paper
from browser.search import PaperIndex
from browser.search.spelling import without_words


def make_paper(title: str, abstract: str = "", day: int = 1) -> Paper:
    return Paper(id=paper_id(title), title=title, abstract=abstract, date=dt.date(2024, 5, day))


PAPERS = [
    make_paper("Eﬃcient Fine-Tuning of Diﬀusion Models", "Adapters for denoisers."),
    make_paper("Mix\u200bFormer: Mixing Features across Windows", "A vision backbone."),
    make_paper("Reward Shaping", "Dense rewards for rein\u00adforcement learning agents."),
    make_paper("GPT-4 Technical Report", "A large multimodal model."),
    make_paper("Evaluating GPT-3 on Arithmetic", "Few-shot arithmetic with GPT-3."),
    make_paper("Command-V: Pasting Memories", "A clipboard for agents."),
    make_paper("Command-R Retrieval Models", "Retrieval-augmented generation at scale."),
    make_paper("Policy Gradient Theorems", "We derive the policy gradient for soft critics."),
    make_paper("Gradient Noise in Policy Search", "A policy with noisy gradient estimates."),
    make_paper("Multi-Task Learning for Speech", "One model, many tasks."),
    make_paper("Jailbreak Prompts and Ethical Biases", "Measuring biases of aligned chat models."),
    make_paper("Generalization in Deep Networks", "Why networks generalize."),
    make_paper("General Purpose Agents", "Agents for everything."),
    make_paper("Generative Adversarial Networks Revisited", "A generative model study."),
    make_paper("大規模言語モデルの推論能力に関する研究", "日本語の論文です。"),
    make_paper("大规模语言模型的推理能力研究", "中文论文。"),
    make_paper("대규모 언어 모델의 추론 능력", "한국어 논문입니다."),
    make_paper(
        "ViHateT5: Enhancing Hate Speech Detection in Vietnamese",
        "A text-to-text model for Vietnamese hate speech.",
    ),
    make_paper(
        "Latent Plans for Offline Reinforcement Learning",
        "Offline reinforcement learning with latent plans from play data.",
    ),
    make_paper(
        "Lipschitz-Constrained Off-Policy Generative Adversarial Imitation Learning",
        "Smooth discriminators for off-policy imitation.",
    ),
    make_paper("Diffusion Behaviour Cloning", "Behaviour cloning with diffusion policies."),
    make_paper(
        "Classifier-Free Guidance with Predictor-Corrector Sampling",
        "A predictor-corrector sampler for guidance.",
    ),
    make_paper(
        "A Kernel View of Language Model Fine-Tuning",
        "Fine-tuning as kernel regression.",
    ),
    make_paper("RL Agents in Minecraft", "We train RL agents with curricula."),
    make_paper("Optimisation of Retrieval Pipelines", "Modelling retrieval costs."),
]


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PaperIndex]:
    built = PaperIndex.create(tmp_path_factory.mktemp("index"))
    built.rebuild(PAPERS)
    yield built
    built.close()


def titles(index: PaperIndex, query: str) -> list[str]:
    return [hit.paper.title for hit in index.search(query, prefix_last_word=True).hits]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        # Ligatures and invisible characters in the papers (issue 13), and in the query.
        ("efficient ", "Eﬃcient Fine-Tuning of Diﬀusion Models"),
        ("diffusion models ", "Eﬃcient Fine-Tuning of Diﬀusion Models"),
        ("ﬁne-tuning diﬀusion ", "Eﬃcient Fine-Tuning of Diﬀusion Models"),
        ("MixFormer ", "Mix\u200bFormer: Mixing Features across Windows"),
        ("mixformer ", "Mix\u200bFormer: Mixing Features across Windows"),
        ("Mix\u200bFormer ", "Mix\u200bFormer: Mixing Features across Windows"),
        ("Mix\u2060Former\ufeff ", "Mix\u200bFormer: Mixing Features across Windows"),
        ("reinforcement reward ", "Reward Shaping"),
        ("rein\u00adforcement reward ", "Reward Shaping"),
        # Compounds: joined or in parts.
        ("multitask ", "Multi-Task Learning for Speech"),
        ("multi-task speech ", "Multi-Task Learning for Speech"),
        ("multi task speech ", "Multi-Task Learning for Speech"),
        # Snowball: bias and biases are one word.
        ("ethical bias jailbreak ", "Jailbreak Prompts and Ethical Biases"),
        # CJK words inside runs.
        ("推論 ", "大規模言語モデルの推論能力に関する研究"),
        ("推理 ", "大规模语言模型的推理能力研究"),
        ("추론 ", "대규모 언어 모델의 추론 능력"),
        ("모델 ", "대규모 언어 모델의 추론 능력"),
        # Abbreviations both ways, spelling variants.
        ("offline RL latent plans ", "Latent Plans for Offline Reinforcement Learning"),
        (
            "lipschitz off-policy GAIL ",
            "Lipschitz-Constrained Off-Policy Generative Adversarial Imitation Learning",
        ),
        ("diffusion behavior cloning ", "Diffusion Behaviour Cloning"),
        ("optimization modeling ", "Optimisation of Retrieval Pipelines"),
        # Typing after a hyphen: the last part is a prefix.
        (
            "classifier-free guidance predictor-corr",
            "Classifier-Free Guidance with Predictor-Corrector Sampling",
        ),
        ("kernel view language model fine-tun", "A Kernel View of Language Model Fine-Tuning"),
        # A title pasted over two lines.
        ("Efficient Fine-Tuning\nof Diffusion Models", "Eﬃcient Fine-Tuning of Diﬀusion Models"),
    ],
)
def test_found(index: PaperIndex, query: str, expected: str) -> None:
    assert expected in titles(index, query)


def test_one_letter_parts_of_names_tell_papers_apart(index: PaperIndex) -> None:
    assert titles(index, "GPT-4 ") == ["GPT-4 Technical Report"]
    assert titles(index, "GPT-3 ") == ["Evaluating GPT-3 on Arithmetic"]
    assert titles(index, "Command-R ") == ["Command-R Retrieval Models"]
    assert titles(index, "command-v ") == ["Command-V: Pasting Memories"]
    assert titles(index, "v ") == ["Command-V: Pasting Memories"]


@pytest.mark.parametrize(
    "quoted",
    [
        '"policy gradient"',
        "“policy gradient”",
        "„policy gradient“",
        "«policy gradient»",
        "« policy gradient »",
        "‘policy gradient’",
        "〝policy gradient〞",
        "‹policy gradient›",
    ],
)
def test_every_quote_style_is_a_phrase(index: PaperIndex, quoted: str) -> None:
    assert titles(index, quoted) == ["Policy Gradient Theorems"]


def test_an_exact_stem_ranks_above_a_near_one(index: PaperIndex) -> None:
    found = titles(index, "generative ")
    assert found[0] == "Generative Adversarial Networks Revisited"
    assert "General Purpose Agents" not in found
    assert "Generalization in Deep Networks" not in found


def test_abbreviations_say_what_they_also_matched(index: PaperIndex) -> None:
    result = index.search("offline RL latent plans ", prefix_last_word=True)
    assert "RL: reinforcement learning" in result.expansions
    reverse = index.search("reinforcement learning agents ", prefix_last_word=True)
    assert "RL Agents in Minecraft" in [hit.paper.title for hit in reverse.hits]
    assert any("RL" in expansion for expansion in reverse.expansions)


def test_no_paper_with_all_words_runs_a_shorter_query_and_says_so(index: PaperIndex) -> None:
    result = index.search("vietnam hate ", prefix_last_word=True)
    assert result.total > 0
    assert "ViHateT5: Enhancing Hate Speech Detection in Vietnamese" in [
        hit.paper.title for hit in result.hits
    ]
    assert result.dropped_words == ["vietnam"]
    assert result.relaxed_query == "hate "
    assert result.relaxed_notice is not None and "2 words" in result.relaxed_notice
    # The most common word goes first: "model" is in many papers, "zebra" in none.
    many = index.search("model zebra ", prefix_last_word=True)
    assert many.total == 0 or many.dropped_words


@pytest.mark.parametrize(
    ("query", "dropped", "ran"),
    [
        # "foo:" is not a field: "foo" was searched as a word, and leaving out "x" takes
        # "foo:x" whole, so the notice must name both.
        ("foo:x hate ", ["foo", "x"], "hate "),
        ("zork:qqxqzzv minecraft ", ["zork", "qqxqzzv"], "minecraft "),
        ("vietnam qqxqzzv hate ", ["vietnam", "qqxqzzv"], "hate "),
    ],
)
def test_the_relaxation_notice_names_every_word_left_out(
    index: PaperIndex, query: str, dropped: list[str], ran: str
) -> None:
    result = index.search(query, prefix_last_word=True)
    assert result.total > 0
    assert sorted(result.dropped_words) == sorted(dropped)
    assert result.relaxed_query == ran
    asked = len(dropped) + len(ran.split())
    assert result.relaxed_notice is not None
    assert result.relaxed_notice.startswith(
        f"No paper has all {asked} words; showing papers with {asked - len(dropped)} of them"
    )
    for word in dropped:
        assert f"“{word}”" in result.relaxed_notice


@pytest.mark.parametrize(
    ("query", "dropped", "ran"),
    [
        # A word with digits is a word: no paper has it, so it is left out, with a notice
        # (it used to give a silent empty list, since only letters counted as words).
        ("minecraft 98765 ", ["98765"], "minecraft "),
        ("minecraft v9 ", ["v9"], "minecraft "),
        ("minecraft gpt-9 ", ["gpt-9"], "minecraft "),
        # (An arXiv id, 2401.01234, is no word to leave out: test_query_forgiveness.)
        ("minecraft 2401.123 ", ["2401.123"], "minecraft "),
        ("R1V3 minecraft ", ["R1V3"], "minecraft "),
        ("Qwen9.5 arithmetic ", ["Qwen9.5"], "arithmetic "),
        # "foo" is not a field and is searched as a word: leaving it out alone keeps
        # "diffusion" (2 of 3 words), rather than taking "foo:diffusion" whole.
        ("foo:diffusion behaviour ", ["foo"], "diffusion behaviour "),
        # A wildcard word is one word: "colo?r" was split into "colo?" and "r".
        ("minecraft colo?r ", ["colo?r"], "minecraft "),
        ("zebr* minecraft ", ["zebr*"], "minecraft "),
        # ... and not respelt into another pattern ("zzq*" became "zz*").
        ("zzq* minecraft ", ["zzq*"], "minecraft "),
        ("agnt? minecraft ", ["agnt?"], "minecraft "),
        # A word written twice is one word, left out wherever it is.
        ("minecraft qqxqzzv qqxqzzv ", ["qqxqzzv"], "minecraft "),
        # A curly apostrophe does not split a word ("minecraft’s" is one of 2 words).
        ("minecraft’s qqxqzzv ", ["qqxqzzv"], "minecraft’s "),
    ],
)
def test_a_shortened_query_leaves_out_words_as_written(
    index: PaperIndex, query: str, dropped: list[str], ran: str
) -> None:
    result = index.search(query, prefix_last_word=True)
    assert result.total > 0
    assert result.dropped_words == dropped
    assert result.relaxed_query == ran
    assert result.relaxed_notice is not None and f"(without “{dropped[0]}”)" in (
        result.relaxed_notice
    )


@pytest.mark.parametrize(
    "query",
    ["'gradient policy' ", "‘gradient policy’ ", "‹gradient policy› ", "«gradient policy» "],
)
def test_a_phrase_in_any_quotes_is_never_shortened(index: PaperIndex, query: str) -> None:
    # "gradient policy" is in no paper as a phrase, though both words are.
    result = index.search(query, prefix_last_word=True)
    assert result.total == 0
    assert result.relaxed_query is None and result.dropped_words == []


@pytest.mark.parametrize("query", ["foo:x year:2024 ", "zork:qqxqzzv date:2024-05 "])
def test_a_relaxation_never_leaves_only_a_range(index: PaperIndex, query: str) -> None:
    """Leaving out the words of ``foo:x year:2024`` must not list every paper of 2024 as
    if it were an answer: a shortened query keeps at least one of the words."""
    result = index.search(query, prefix_last_word=True)
    assert result.relaxed_query is None or any(
        word in result.relaxed_query.split() for word in ("foo", "x", "zork", "qqxqzzv")
    )
    if result.relaxed_query is None:
        assert result.total == 0


def test_the_most_common_word_is_dropped_first(index: PaperIndex) -> None:
    # "agents" is in several papers, "minecraft" and "arithmetic" in one each: leaving
    # out "agents" still matches nothing, so one of the rare ones goes.
    result = index.search("agents minecraft arithmetic ", prefix_last_word=True)
    assert result.total > 0
    assert len(result.dropped_words) == 1


def test_highlights_land_on_the_text_as_written(index: PaperIndex) -> None:
    hit = index.search("efficient ", prefix_last_word=True).hits[0]
    title = hit.paper.title
    assert [title[h.start : h.end] for h in hit.title_highlights] == ["Eﬃcient"]
    hit = index.search("mixformer ", prefix_last_word=True).hits[0]
    assert [hit.paper.title[h.start : h.end] for h in hit.title_highlights] == ["Mix\u200bFormer"]
    hit = index.search("GPT-4 ", prefix_last_word=True).hits[0]
    assert [hit.paper.title[h.start : h.end] for h in hit.title_highlights] == ["GPT-4"]
    hit = index.search("推論 ", prefix_last_word=True).hits[0]
    assert [hit.paper.title[h.start : h.end] for h in hit.title_highlights] == ["推論"]


def test_an_old_index_is_rebuilt(tmp_path: Path) -> None:
    from browser.search import IndexUnusable
    from browser.search.schema import META_FILE

    folder = tmp_path / "index"
    PaperIndex.create(folder).close()
    (folder / META_FILE).write_text('{"schema_version": 2}', encoding="utf-8")
    with pytest.raises(IndexUnusable):
        PaperIndex.open(folder)


def test_the_cli_says_what_it_left_out_and_what_it_also_matched(
    tmp_path: Path, library_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import json

    from browser.cli import main
    from tests.conftest import DumpPaper, write_dump

    dumps = tmp_path / "dumps"
    write_dump(
        dumps,
        "2024-05-01_page.txt",
        [
            DumpPaper(
                "ViHateT5: Enhancing Hate Speech Detection in Vietnamese",
                "A text-to-text model for hate speech.",
            ),
            DumpPaper("RL Agents in Minecraft", "We train agents with curricula."),
        ],
    )
    assert main(["index", str(dumps)]) == 0
    capsys.readouterr()
    assert main(["search", "vietnam hate"]) == 0
    captured = capsys.readouterr()
    assert "ViHateT5" in captured.out
    assert "without “vietnam”" in captured.err and "ran: hate" in captured.err
    assert main(["search", "reinforcement learning agents", "--json"]) == 0
    answer = json.loads(capsys.readouterr().out)
    assert answer["hits"][0]["title"] == "RL Agents in Minecraft"
    assert answer["also_matching"] == ["reinforcement learning: RL"]
    assert main(["search", "vietnam hate", "--json"]) == 0
    answer = json.loads(capsys.readouterr().out)
    assert answer["relaxed"]["dropped_words"] == ["vietnam"]


def test_mined_abbreviations_leave_with_the_papers_that_defined_them(
    tmp_path: Path, library_dir: Path
) -> None:
    """Through sync: a deleted dump takes its definitions along, unless another paper
    still gives them; an edited paper that no longer defines one takes it back too."""
    from conftest import DumpPaper, write_dump

    from browser.search.abbreviations import ACRONYMS_FILE
    from browser.services import open_services

    dumps = tmp_path / "dumps"
    defining = DumpPaper(
        "Zebra Quokka Networks for Counting",
        "We propose zebra quokka networks (ZQN) for counting animals.",
    )
    also = DumpPaper(
        "Herds Seen From Above",
        "Wombat lattice codes (WLC) help; so do zebra quokka networks (ZQN).",
    )
    user = DumpPaper("Counting Herds With a ZQN", "A ZQN counts herds from the air.")
    write_dump(dumps, "2024-03-05_a.txt", [defining])
    write_dump(dumps, "2024-03-06_b.txt", [also])
    write_dump(dumps, "2024-03-07_c.txt", [user])
    services = open_services()
    try:
        services.sync([dumps])

        def also_matching(query: str) -> list[str]:
            return services.search(query).expansions

        def mined() -> dict[str, dict[str, int]]:
            file = library_dir / "index" / ACRONYMS_FILE
            return json.loads(file.read_text(encoding="utf-8"))

        assert also_matching("ZQN ") == ["ZQN: zebra quokka networks"]
        assert mined()["zqn"] == {"zebra quokka networks": 2}
        (dumps / "2024-03-05_a.txt").unlink()
        services.sync([dumps])
        # Still defined by the other paper.
        assert mined()["zqn"] == {"zebra quokka networks": 1}
        assert also_matching("ZQN ") == ["ZQN: zebra quokka networks"]
        # Its paper edited so that it defines only WLC, then its dump deleted.
        write_dump(
            dumps, "2024-03-06_b.txt", [DumpPaper(also.title, "Wombat lattice codes (WLC).")]
        )
        services.sync([dumps])
        assert "zqn" not in mined() and "wlc" in mined()
        assert also_matching("ZQN ") == []
        reverse = services.search("zebra quokka networks ")
        assert [hit.paper.title for hit in reverse.hits] == []
        (dumps / "2024-03-06_b.txt").unlink()
        services.sync([dumps])
        assert mined() == {}
        assert also_matching("WLC ") == []
    finally:
        services.close()


@pytest.mark.parametrize(
    ("query", "dropped", "left"),
    [
        ("foo:bar", ["foo"], "bar"),  # not a field: read as two words
        ("mamba: linear", ["linear"], "mamba "),  # no dangling colon
        ("title:penguin robots", ["penguin"], "robots"),  # a field goes with its word
        ("x foo:bar y", ["bar"], "x y"),
        ("vietnam hate speech", ["speech"], "vietnam hate "),
        ("multi-task learning", ["learning"], "multi-task "),
    ],
)
def test_a_relaxed_query_is_one_a_reader_would_type(
    query: str, dropped: list[str], left: str
) -> None:
    """Review finding: ``foo:bar`` without ``foo`` ran ``:bar``."""
    assert without_words(query, dropped) == left
