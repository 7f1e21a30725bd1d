"""Half-typed and broken query syntax (``repair.repair``) and ``field:*`` ("has a value"),
over a small hand-made library: results for what can be understood, one message in words,
never Python's own text."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_index import make_paper

from browser.cli import main
from browser.models import Organization, SearchResult
from browser.search import PaperIndex
from browser.search.planning import QueryPlanner, first_parse_error
from browser.search.repair import repair
from browser.search.syntax import MINUS_WORD, clean_query, extract_tag_terms

PAPERS = [
    make_paper(
        "Diffusion Policies for Robot Control",
        "Diffusion models generate robot actions.",
        date=dt.date(2024, 3, 5),
        listed=dt.date(2024, 3, 6),
        comments=4,
        authors=3,
        upvotes=12,
        arxiv_id="2403.01234",
        author_names=["Jane Doe"],
        keywords=["robotics"],
        organization=Organization(slug="nvidia", name="NVIDIA"),
    ),
    make_paper(
        "Latent Diffusion at Scale",
        "A denoising diffusion model makes pictures.",
        date=dt.date(2024, 6, 30),
        comments=0,
        arxiv_id="2406.00001",
    ),
    make_paper(
        "Conservative Critics for Offline Control",
        "Logged data and a cautious critic keep training stable.",
        date=dt.date(2023, 11, 2),
        listed=dt.date(2023, 11, 3),
        authors=12,
        organization=Organization(slug="openai", name="OpenAI"),
    ),
    make_paper("An Undated Survey of Diffusion Samplers"),
    make_paper(
        "How Loss Scales With Model Size",
        "A power law in parameters.",
        date=dt.date(2020, 1, 23),
        author_names=["Ann Smith", "Bo Li"],
        upvotes=3,
    ),
]
ALL = {paper.title for paper in PAPERS}

# Text a Python error message would show; never in what the user reads.
PYTHON_TEXT = re.compile(
    r"Error\b|Exception|Traceback|invalid literal|base 10|object has no|"
    r"not subscriptable|NoneType|list index|is not a valid number|not a parseable"
)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PaperIndex]:
    index = PaperIndex.create(tmp_path_factory.mktemp("index"))
    index.rebuild(PAPERS)
    yield index
    index.close()


def titles(result: SearchResult) -> set[str]:
    return {hit.paper.title for hit in result.hits}


def having(condition: object) -> set[str]:
    """Titles of the papers for which ``condition(paper)`` holds (the oracle)."""
    assert callable(condition)
    return {paper.title for paper in PAPERS if condition(paper)}


# ------------------------------------------------------------------ field:* is "has a value"

PRESENCE_CASES = [
    ("arxiv:*", lambda p: p.arxiv_id is not None),
    ("org:*", lambda p: p.organization is not None),
    ("organisation:*", lambda p: p.organization is not None),
    ("author:*", lambda p: bool(p.author_names)),
    ("keyword:*", lambda p: bool(p.keywords)),
    ("abstract:*", lambda p: bool(p.abstract)),
    ("date:*", lambda p: p.date is not None),
    ("year:*", lambda p: p.date is not None),
    ("date:[* TO *]", lambda p: p.date is not None),
    ("listed:*", lambda p: p.listed is not None),
    ("comments:*", lambda p: p.comments is not None),
    ("comment:*", lambda p: p.comments is not None),
    ("authors:*", lambda p: p.authors is not None),
    ("upvotes:*", lambda p: p.upvotes is not None),
    ("has:arxiv", lambda p: p.arxiv_id is not None),
]


@pytest.mark.parametrize(("query", "condition"), PRESENCE_CASES)
def test_a_field_wildcard_means_has_a_value(
    built: PaperIndex, query: str, condition: object
) -> None:
    result = built.search(query, limit=100, prefix_last_word=True)
    assert result.error is None
    assert titles(result) == having(condition)
    # The complement, written either way; a listing, so newest first.
    for negated in (f"-{query}", f"NOT {query}"):
        others = built.search(negated, limit=100, prefix_last_word=True)
        assert titles(others) == ALL - having(condition), negated
        assert others.sort == "newest"


def test_has_a_value_filters_words_without_changing_their_ranking(built: PaperIndex) -> None:
    words = built.search("diffusion", limit=100, prefix_last_word=True)
    with_id = built.search("diffusion arxiv:*", limit=100, prefix_last_word=True)
    expected = [hit.paper.title for hit in words.hits if hit.paper.arxiv_id]
    assert [hit.paper.title for hit in with_id.hits] == expected
    assert with_id.sort == "relevance"
    without_id = built.search("diffusion -arxiv:*", limit=100, prefix_last_word=True)
    assert titles(without_id) == {h.paper.title for h in words.hits if not h.paper.arxiv_id}
    either = built.search("org:* OR arxiv:*", limit=100, prefix_last_word=True)
    assert titles(either) == having(lambda p: p.organization or p.arxiv_id)
    assert [hit.paper.date for hit in either.hits] == sorted(
        (hit.paper.date for hit in either.hits), reverse=True
    )


def test_title_wildcard_is_every_paper(built: PaperIndex) -> None:
    assert titles(built.search("title:*", limit=100, prefix_last_word=True)) == ALL


def ranked(index: PaperIndex, query: str) -> list[str]:
    return [hit.paper.title for hit in index.search(query, limit=100, prefix_last_word=True).hits]


@pytest.mark.parametrize(
    ("query", "meant"),
    [
        # A value every paper has (Whoosh's normalising made these every paper).
        ("title:* diffusion ", "diffusion "),
        ("diffusion title:* ", "diffusion "),
        ("diffusion AND title:* ", "diffusion "),
        ("* diffusion ", "diffusion "),
        ("text:* diffusion ", "diffusion "),
        ("title:* title:diffusion ", "title:diffusion "),
        ("(title:* control) OR latent ", "control OR latent "),
        ("title:* -robot ", "-robot "),
        # A value some papers have, beside words, phrases and NOT.
        ("org:* diffusion ", "diffusion org:* "),
        ("-arxiv:* robot ", "robot -arxiv:* "),
        ('abstract:* "diffusion models" ', '"diffusion models" abstract:* '),
    ],
)
def test_has_a_value_beside_words_keeps_the_words(
    built: PaperIndex, query: str, meant: str
) -> None:
    assert ranked(built, query) == ranked(built, meant)
    assert ranked(built, query) != ranked(built, "title:*")


def test_has_a_value_beside_words_matches_what_the_papers_hold(built: PaperIndex) -> None:
    assert titles(built.search("org:* diffusion ", prefix_last_word=True)) == {
        "Diffusion Policies for Robot Control"
    }
    without_id = built.search("-arxiv:* diffusion ", prefix_last_word=True)
    assert titles(without_id) == {"An Undated Survey of Diffusion Samplers"}
    assert titles(built.search("abstract:* diffusion ", prefix_last_word=True)) == {
        "Diffusion Policies for Robot Control",
        "Latent Diffusion at Scale",
    }
    # Every paper has a title: none lacks one, and OR with it is every paper.
    assert built.search("-title:* diffusion ", prefix_last_word=True).total == 0
    assert titles(built.search("title:* OR robot ", limit=100, prefix_last_word=True)) == ALL


# ------------------------------------------------------------------ broken syntax

# (typed, the same query written correctly, words the message must have)
BROKEN = [
    ("date:[2024-01 TO 2024-06", "date:[2024-01 TO 2024-06]", ["not closed"]),
    ("date:[2024-01 TO", "date:>=2024-01", ["not closed"]),
    ("date:[2024-01", "date:>=2024-01", ["not closed"]),
    ("date:{2023 TO 2024", "date:{2023 TO 2024}", ["not closed"]),
    ("diffusion date:[2024 TO 2024-04 robot", "diffusion date:[2024 TO 2024-04] robot", []),
    ("title:", "", ["title:", "needs something"]),
    ("diffusion title:", "diffusion ", ["needs something"]),
    ("diffusion AND", "diffusion ", ["AND", "at the end"]),
    ("diffusion OR", "diffusion ", ["OR", "at the end"]),
    ("diffusion NOT", "diffusion ", ["NOT", "at the end"]),
    ("AND diffusion ", "diffusion ", ["AND", "nothing before"]),
    ("diffusion AND OR models ", "diffusion OR models ", ["AND"]),
    ("diffusion -", "diffusion ", ["-"]),
    ("date:2024-13", "", ["2024-13", "not a date"]),
    ("diffusion date:2024-02-30", "diffusion ", ["not a date"]),
    ("year:abc diffusion ", "diffusion ", ["abc", "not a whole number"]),
    ("comments:>x", "", ["not a whole number"]),
    ("comments:>", "", ["needs a number"]),
    ('"diffusion models', "diffusion models", ["quote"]),
    # A field's phrase left open keeps its words in that field (the field's name used
    # to become a word searched everywhere); a field with only a quote is left out
    # (inside date:(...) it was read as a broken date).
    ('title:"latent diffusion ', "title:(latent diffusion) ", ["quote", "in title"]),
    ('Abstract:"denoising model ', "abstract:(denoising model) ", ["in abstract"]),
    ('diffusion abstract:"', "diffusion ", ["abstract:", "needs something"]),
    ('date:(arxiv:"', "", ["arxiv:", "needs something"]),
    ('(title:"offline control ', "title:(offline control) ", ["in title"]),
    ("(diffusion models ", "diffusion models ", ["not closed"]),
    ("diffusion models) ", "diffusion models ", ["“)”"]),
    ("diffusion () ", "diffusion ", ["Empty parentheses"]),
    ("foo:diffusion ", "foo diffusion ", ["foo:", "not a field"]),
    ("is:unknown diffusion ", "diffusion ", ["is:unknown", "is:read"]),
    ("has:nothing diffusion ", "diffusion ", ["has:nothing"]),
    ("date:[2024] diffusion ", "diffusion ", ["has no TO"]),
    ("date:[2024 2025] diffusion ", "diffusion ", ["not a range"]),
    ("date:[2024 x TO 2025] diffusion ", "diffusion ", ["not a range"]),
    ("diffusion date:[ ", "diffusion ", ["no ends"]),
    ('date:"March 2024" diffusion ', "diffusion ", ["not a date"]),
]


@pytest.mark.parametrize(("typed", "meant", "words"), BROKEN)
def test_broken_syntax_searches_what_it_can_and_says_so(
    built: PaperIndex, typed: str, meant: str, words: list[str]
) -> None:
    result = built.search(typed, limit=100, prefix_last_word=True)
    assert result.error is not None
    assert not PYTHON_TEXT.search(result.error)
    for word in words:
        assert word in result.error
    assert titles(result) == titles(built.search(meant, limit=100, prefix_last_word=True))


@pytest.mark.parametrize(
    "query",
    [
        "Mamba: Linear-Time Sequence Modeling",
        "see http://example.org",
        "at 10:30",
        "x - y",
        "Q AND: A on diffusion",
        " NOT AND:",
        "date:(arxiv:diffusion>diffusion)",
        "upvotes:(title:a<b)",
        "title:x>y",
        "NOT: diffusion",
    ],
)
def test_punctuation_in_pasted_text_is_not_syntax(built: PaperIndex, query: str) -> None:
    assert built.search(query, prefix_last_word=True).error is None


def test_dates_are_read_as_written(built: PaperIndex) -> None:
    march = titles(built.search("date:2024-03", limit=100, prefix_last_word=True))
    assert march == {"Diffusion Policies for Robot Control"}
    assert titles(built.search("date:2024-3", limit=100, prefix_last_word=True)) == march
    assert titles(built.search('date:"2024-03"', limit=100, prefix_last_word=True)) == march
    assert titles(built.search("date:2024/3/5", limit=100, prefix_last_word=True)) == march


def test_the_word_being_typed_stays_a_prefix_inside_an_open_parenthesis(
    built: PaperIndex,
) -> None:
    result = built.search("(conservative crit", prefix_last_word=True)
    assert titles(result) == {"Conservative Critics for Offline Control"}
    assert result.error is not None and "closed it at the end" in result.error


def test_a_correct_query_has_no_message(built: PaperIndex) -> None:
    for query in [
        "diffusion",
        "date:[2024-01 TO 2024-06]",
        "year:>=2023",
        "diffusion AND robot",
        "NOT diffusion",
        '"diffusion models"',
        "title:(diffusion OR loss)",
        "date:(2024 OR 2023)",
        "arxiv:2403.01234",
    ]:
        assert built.search(query, prefix_last_word=True).error is None, query


# ------------------------------------------------------------------ never raises, never Python

_PIECES = [
    "diffusion", "policy", "GPT-4", "x", "2024", "2024-03", "13", "abc", "*", "?", "~", "^",
    "^2", ":", "-", '"', "'", "(", ")", "[", "]", "{", "}", " TO ", " ", " AND ", " OR ",
    " NOT ", "AND", "NOT", ">", "<", ">=", "title:", "abstract:", "date:", "listed:",
    "year:", "comments:", "authors:", "arxiv:", "org:", "author:", "tag:", "note:", "is:",
    "is:read", "has:", "foo:", "by:", "\u201c", "\u201d", "\n", "\u200b", "推論", ",", "/",
]  # fmt: skip
QUERIES = st.one_of(
    st.lists(st.sampled_from(_PIECES), max_size=10).map("".join),
    st.text(max_size=40),
)


@settings(max_examples=400, suppress_health_check=list(HealthCheck), deadline=None)
@given(QUERIES)
def test_repaired_syntax_always_parses(query: str) -> None:
    parser = QueryPlanner(lambda searcher: None)._parser
    text, _note = clean_query(query)
    text, _filters = extract_tag_terms(text)
    repaired = repair(MINUS_WORD.sub("NOT ", text))
    assert repaired.message is None or not PYTHON_TEXT.search(repaired.message)
    assert first_parse_error(parser.parse(repaired.text)) is None


@settings(max_examples=150, suppress_health_check=list(HealthCheck), deadline=None)
@given(QUERIES, st.sampled_from([None, 80.0]))
def test_any_query_gives_an_answer_and_no_python_text(
    built: PaperIndex, query: str, budget: float | None
) -> None:
    result = built.search(query, time_budget_ms=budget, prefix_last_word=True)
    assert result.total >= len(result.hits) >= 0
    assert result.error is None or not PYTHON_TEXT.search(result.error)


# ------------------------------------------------------------------ the CLI and its JSON


def test_the_cli_says_what_it_did_on_stderr_and_in_json(
    capsys: pytest.CaptureFixture[str], sample_library: Path
) -> None:
    status = main(["search", "date:[2025-10 TO 2025-12", "--library", str(sample_library)])
    captured = capsys.readouterr()
    assert status == 0
    assert "note: “date:[2025-10 TO 2025-12” is not closed" in captured.err
    assert "Traceback" not in captured.err
    assert captured.out.count("\n") > 1
    status = main(
        ["search", "date:[2025-10 TO 2025-12", "--json", "--library", str(sample_library)]
    )
    answer = json.loads(capsys.readouterr().out)
    assert answer["hits"] and "is not closed" in answer["query_note"]


def test_the_cli_takes_a_query_that_starts_with_a_minus(
    capsys: pytest.CaptureFixture[str], sample_library: Path
) -> None:
    status = main(["search", "-arxiv:*", "--limit", "1", "--library", str(sample_library)])
    captured = capsys.readouterr()
    assert status == 0
    assert "of 516 papers" in captured.err
    status = main(["search", "diffusion", "-policy", "--json", "--library", str(sample_library)])
    hits = json.loads(capsys.readouterr().out)["hits"]
    assert hits and all("policy" not in hit["title"].lower() for hit in hits)


# ------------------------------------------------------------------ tag:* and note:*


def test_tag_and_note_wildcards_are_tagged_and_noted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from test_app import build_library

    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("PAPER_BROWSER_HOME", str(tmp_path / "library"))
    services = build_library(tmp_path)
    try:

        def ids(query: str) -> set[str]:
            return {hit.paper.id for hit in services.search(query, limit=100).hits}

        everything = ids("")
        robots, pokemon = ids("robot "), ids("pokemon ")
        assert len(robots) == len(pokemon) == 1
        services.tags.add(next(iter(robots)), "to read", title="robots")
        services.reading.set_note(next(iter(pokemon)), "a note")
        assert ids("tag:*") == ids("is:tagged") == robots
        assert ids("-tag:*") == ids("is:untagged") == everything - robots
        assert ids("note:*") == ids("is:noted") == pokemon
        assert ids("NOT note:*") == everything - pokemon
    finally:
        services.close()


@given(st.text(max_size=80))
def test_relaxable_words_are_words_of_the_query_and_never_raise(text: str) -> None:
    from browser.search.spelling import relaxable_words, without_words
    from browser.text.query_text import clean_query

    words = relaxable_words(text)
    cleaned = clean_query(text)
    for word in words:
        assert word and word in cleaned
    if words and text.strip():
        # Leaving a word out never raises and never adds one.
        shorter = relaxable_words(without_words(cleaned, words[:1]))
        assert len(shorter) <= len(words)


@pytest.mark.parametrize(
    ("query", "read_as"),
    [("foo:*", "foo"), ("xqzv:* robot", "xqzv robot"), ("(bar:*)", "(bar )")],
)
def test_an_unknown_field_with_a_star_is_its_word_as_the_note_says(
    query: str, read_as: str
) -> None:
    # "foo:*" said "searched “foo” as a word" but listed every paper (the "*").
    from browser.search.repair import repair

    repaired = repair(query)
    assert " ".join(repaired.text.split()) == " ".join(read_as.split())
    assert repaired.message is not None and "as a word" in repaired.message
