"""browser.parse, issue 12: only Daily Papers dumps give papers; everything else is refused.

Each file in ``fixtures/not_dumps`` stands for a kind of file a user's folder holds
(licences, notes, code, YAML, CSV, subtitles, third-party digests ...): each gives
no paper and exactly one warning saying why. Real dumps keep every paper, and
concatenated API responses all parse.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from browser.cli import main
from browser.dump_files import file_problems, find_dump_files, named_files, skipped_summary
from browser.merging import deduplicate
from browser.models import ParsedRecord, ParseProblem
from browser.parse import parse_bytes, parse_file, parse_text

NOT_DUMPS = Path(__file__).resolve().parent / "fixtures" / "not_dumps"
SAMPLE_DUMPS = Path(__file__).resolve().parent.parent / "sample_dumps"
NO_CARDS = "not a Daily Papers dump (no paper cards found: "
# The wording for each kind of file that has its own reason.
OWN_REASONS = {
    "empty.txt": "no text in the file (it is empty or blank)",
    "blank.txt": "no text in the file (it is empty or blank)",
    "image.png": "not a text dump (binary data); the file was skipped",
    "package.json": "not a Daily Papers dump (JSON, but not of Daily Papers); skipped",
    "events.jsonl": "not a Daily Papers dump (JSON, but not of Daily Papers); skipped",
    "blog.html": "not a Daily Papers dump (a web page without Daily Papers data); skipped",
    "digest-links.md": "not a Daily Papers dump (Markdown with 2 links to papers, but no "
    "Daily Papers cards: no upvotes, author counts or '·' dates); skipped",
}
# Reported file by file even when a folder walk finds them (they may be damaged dumps).
OWN_REASONS_NO_REFUSAL = {"empty.txt", "blank.txt", "image.png"}


def refusal(file: Path | str, data: bytes | None = None) -> str:
    """The one warning of a file that gives no paper."""
    path = Path(file)
    parsed = parse_file(path) if data is None else parse_bytes(data, str(path))
    assert parsed.records == [], [record.title for record in parsed.records]
    (problem,) = parsed.problems
    assert parsed.refusal == (None if path.name in OWN_REASONS_NO_REFUSAL else problem)
    assert (problem.file, problem.severity, problem.line) == (str(path), "warning", None)
    return problem.message


@pytest.mark.parametrize("path", sorted(NOT_DUMPS.iterdir()), ids=lambda path: path.name)
def test_each_kind_of_non_dump_gives_no_paper_and_one_warning(path: Path) -> None:
    message = refusal(path)
    wanted = OWN_REASONS.get(path.name)
    if wanted is not None:
        assert message == wanted
    else:
        assert message.startswith(NO_CARDS), message
        assert message.endswith("no author count); skipped")


@pytest.mark.parametrize(
    "text",
    [
        "x",
        "x\n",
        "milk\neggs\n",
        "Title\n\nAbstract\n",  # titles and abstracts alone are any text
        "Daily Papers\n\nA heading\n\nSome text.\n",  # one common furniture word is not a page
        "Subscribe\n\nto our newsletter\n",
        "Dec 10\n\nMeeting notes\n\nDec 11 3\n",  # dates are not cards
        "42\n\nThe answer\n\nto everything\n",  # nor a number before a title
        "Beautiful is better than ugly.\nExplicit is better than implicit.\n" * 5,
        "nvidia NVIDIA\nrevenue\n",
        "• milk\n• 3 eggs\n",  # bullets, but no author count
        "date: 2025-12-10\ntitle: x\n",
        "a,b,c\n1,2,3\n",
        "def f():\n    return 1\n",
    ],
)
def test_text_without_evidence_of_the_page_is_refused(text: str) -> None:
    for name in ("file.txt", "file.md", "2025-12-10_daily-papers.txt"):
        assert refusal(name, text.encode()).startswith(NO_CARDS)
    # A .json name may make the first line JSON: refused either way.
    assert refusal("file.json", text.encode()).startswith("not a Daily Papers dump (")


def test_the_refusal_says_what_it_saw() -> None:
    message = refusal("zen.txt", (NOT_DUMPS / "zen-of-python.txt").read_bytes())
    assert message == (
        "not a Daily Papers dump (no paper cards found: 10 blocks of text, but no Daily Papers "
        "page header, no '·' before a date and no author count); skipped"
    )


def test_a_broken_encoding_does_not_add_warnings_to_the_refusal() -> None:
    # cp1252 notes: the decoding warning would be noise next to "not a dump".
    message = refusal("notes.txt", "Caf\xe9 notes\n\nbring cake\n".encode("cp1252"))
    assert message.startswith(NO_CARDS)


# One piece of evidence is enough, and keeps every paper of the file.
@pytest.mark.parametrize(
    "evidence",
    [
        "Get trending papers in your email inbox!\n",
        "Get trending papers in your email inbox once a day!\n",
        "by AK and the research community\n",
        "byAK and the research community\n",
        "Subscribe\nDaily Papers\n",
        "Daily Papers\nDailyWeeklyMonthly\n",
    ],
)
def test_page_header_lines_are_evidence(evidence: str) -> None:
    parsed = parse_text(evidence + "T1\nA1\nT2\nA2\n", "dump.txt")
    assert [(r.title, r.abstract) for r in parsed.records] == [("T1", "A1"), ("T2", "A2")]
    assert parsed.refusal is None


@pytest.mark.parametrize(
    "card", ["T1\nA1\n• 3 authors\n", "T1\nA1\n·\nMar 6\n", "T1\nA1\nnvidia NVIDIA\n·\nMar 6 2\n"]
)
def test_one_card_is_evidence_for_the_whole_file(card: str) -> None:
    parsed = parse_text(card + "T2\nA2\nT3\n", "dump.txt")
    assert [r.title for r in parsed.records] == ["T1", "T2", "T3"]
    assert [problem.message for problem in parsed.problems] == [
        "a title without an abstract at the end of the file (truncated?)"
    ]


def test_sample_dumps_are_all_still_read() -> None:
    records = [r for path in sorted(SAMPLE_DUMPS.iterdir()) for r in parse_file(path).records]
    assert len(records) == 574
    assert len(deduplicate(records)) == 516


# -- folders -------------------------------------------------------------------------------------


def read_folder(paths: list[Path]) -> tuple[list[ParsedRecord], list[ParseProblem], list[str]]:
    files, problems = find_dump_files(paths)
    named = named_files(paths)
    records: list[ParsedRecord] = []
    skipped: list[str] = []
    for path in files:
        parsed = parse_file(path)
        records += parsed.records
        warnings, refused = file_problems(path, parsed, named)
        problems += warnings
        skipped += [] if refused is None else [Path(refused.file).name]
    return records, problems, skipped


def test_sample_dumps_plus_junk_give_exactly_the_516_papers(tmp_path: Path) -> None:
    folder = tmp_path / "Downloads"
    shutil.copytree(SAMPLE_DUMPS, folder)
    shutil.copytree(NOT_DUMPS, folder / "junk")
    records, problems, skipped = read_folder([folder])
    assert len(deduplicate(records)) == 516
    assert len(records) == 574
    walked = {".txt", ".md", ".json", ".jsonl", ".html", ""}  # .csv, .py, .png ... are not read
    assert sorted(skipped) == sorted(
        p.name
        for p in NOT_DUMPS.iterdir()
        if p.suffix in walked and p.name not in OWN_REASONS_NO_REFUSAL
    )
    assert sorted(Path(problem.file).name for problem in problems) == ["blank.txt", "empty.txt"]


def test_a_file_named_on_its_own_gets_its_own_warning(tmp_path: Path) -> None:
    named = tmp_path / "notes.txt"
    shutil.copy(NOT_DUMPS / "notes.txt", named)
    records, problems, skipped = read_folder([named, NOT_DUMPS / "tool.py"])
    assert (records, skipped) == ([], [])
    assert [Path(problem.file).name for problem in problems] == ["notes.txt", "tool.py"]
    assert all(problem.message.startswith(NO_CARDS) for problem in problems)


def test_skipped_summary_wording() -> None:
    def skipped(*names: str) -> list[ParseProblem]:
        return [ParseProblem(file=f"/d/{name}", message="m") for name in names]

    assert skipped_summary(skipped("README.md", "notes.txt", "LICENSE")) == (
        "3 files skipped (not Daily Papers dumps): README.md, notes.txt, LICENSE"
    )
    assert skipped_summary(skipped("x.txt")) == "1 file skipped (not Daily Papers dumps): x.txt"
    many = skipped_summary(skipped(*(f"{i}.txt" for i in range(12))))
    assert many.endswith("8.txt, 9.txt and 2 more")


def test_cli_parse_summarises_a_folder_and_verbose_gives_reasons(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in ("LICENSE", "README.md", "notes.txt"):
        shutil.copy(NOT_DUMPS / name, tmp_path / name)
    shutil.copy(SAMPLE_DUMPS / "2025-12-10_daily-papers.txt", tmp_path)
    assert main(["parse", str(tmp_path)]) == 0
    err = capsys.readouterr().err
    assert "3 files skipped (not Daily Papers dumps): LICENSE, README.md, notes.txt" in err
    assert "no paper cards found" not in err
    assert main(["parse", "--verbose", str(tmp_path)]) == 0
    err = capsys.readouterr().err
    assert err.count("no paper cards found") == 3
    assert f"{tmp_path / 'LICENSE'}: warning: not a Daily Papers dump" in err


# -- JSON that looks odd -------------------------------------------------------------------------

ENTRY: dict[str, Any] = {
    "paper": {"id": "2510.00001", "title": "One", "summary": "First.", "upvotes": 3},
    "numComments": 1,
}


def entries(count: int, start: int = 0) -> list[dict[str, Any]]:
    return [
        {**ENTRY, "paper": {**ENTRY["paper"], "id": f"2510.{i:05d}", "title": f"Paper {i}"}}
        for i in range(start, start + count)
    ]


@pytest.mark.parametrize("between", ["", " ", "\n", "\r\n", "\n\n  \t", "\t"])
def test_concatenated_api_responses_all_parse(between: str) -> None:
    first, second = json.dumps(entries(12)), json.dumps(entries(15, 12), indent=1)
    parsed = parse_bytes((first + between + second).encode(), "feed.json")
    assert parsed.problems == []
    assert [r.title for r in parsed.records] == [f"Paper {i}" for i in range(27)]
    # The line of the element: the second response is indented, one element a line.
    assert parsed.records[12].source.line == 2 + (first + between).count("\n")


@pytest.mark.parametrize("between", ["", " ", "\n"])
def test_objects_one_after_another_all_parse(between: str) -> None:
    page = json.dumps({"dailyPapers": entries(2)})
    paper = json.dumps(entries(1, 2)[0]["paper"])
    parsed = parse_bytes((page + between + paper + between + page).encode(), "x.txt")
    assert parsed.problems == []
    titles = ["Paper 0", "Paper 1", "Paper 2", "Paper 0", "Paper 1"]
    assert [r.title for r in parsed.records] == titles


def test_an_empty_response_between_full_ones() -> None:
    data = json.dumps(entries(1)) + "[]" + json.dumps(entries(1, 1))
    assert [r.title for r in parse_bytes(data.encode(), "x.json").records] == [
        "Paper 0",
        "Paper 1",
    ]


@pytest.mark.parametrize(
    "first_title",
    ["{}", "[]", "[1] Introduction", "{} is all you need", "[{}]", '{"a": 1}', "[[1]] [2]"],
)
def test_a_dump_whose_first_title_looks_like_json_is_read_as_text(first_title: str) -> None:
    text = f"{first_title}\n\nIts abstract.\n\n  • 2 authors\n·\nMar 6\n\nSecond\n\nAbstract two.\n"
    for name in ("dump.txt", "dump.json"):
        parsed = parse_bytes(text.encode(), name)
        assert [r.title for r in parsed.records] == [first_title, "Second"], name
        assert parsed.problems == []


def test_broken_json_keeps_its_own_reason_when_the_text_is_no_dump_either() -> None:
    message = refusal("x.json", b'[{"paper": {"id": "2510.01234", "title": "Cut off')
    assert message.startswith("not a Daily Papers dump (malformed JSON at line 1")


# -- properties ----------------------------------------------------------------------------------

# Lines of any kind except the page's own: no card line, no header line.
PLAIN_LINE = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="·•\r\n"),
    max_size=30,
).filter(lambda line: "trending papers" not in line and "research community" not in line)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(PLAIN_LINE | st.sampled_from(["Daily Papers", "new", "Mar 6", "42", "-"]), max_size=30)
)
def test_text_without_cards_or_page_header_never_gives_a_paper(lines: list[str]) -> None:
    if "Subscribe" in lines and "Daily Papers" in lines:
        return  # the two together are the page's header
    parsed = parse_text("\n".join(lines), "any.txt")
    assert parsed.records == []
    assert len(parsed.problems) == 1
    blank = not "".join(lines).strip()
    assert parsed.refusal == (None if blank else parsed.problems[0])


@settings(max_examples=60, deadline=None)
@given(
    st.sampled_from(sorted(NOT_DUMPS.iterdir())), st.sampled_from(sorted(SAMPLE_DUMPS.iterdir()))
)
def test_junk_in_front_of_a_dump_does_not_lose_its_papers(junk: Path, dump: Path) -> None:
    # A dump pasted after some notes is still a dump: the evidence is per file.
    alone = parse_file(dump).records
    if junk.suffix in {".png", ".json", ".jsonl", ".html", ".md"}:
        return  # one file, one format: these are read as JSON, HTML or Markdown
    text = junk.read_text(encoding="utf-8") + "\n\n" + dump.read_text(encoding="utf-8")
    titles = {r.title for r in parse_text(text, dump.name).records}
    assert {r.title for r in alone} <= titles


def test_sync_keeps_folder_refusals_apart_from_problems(tmp_path: Path) -> None:
    from browser.library import Catalog, sync_catalog

    folder = tmp_path / "dumps"
    shutil.copytree(NOT_DUMPS, folder)
    shutil.copy(SAMPLE_DUMPS / "2025-10-30_daily-papers.txt", folder)
    catalog = Catalog(tmp_path / "library.sqlite3")
    try:
        changes = sync_catalog(catalog, [folder, NOT_DUMPS / "x.txt"])
        assert catalog.paper_count() == len(
            parse_file(folder / "2025-10-30_daily-papers.txt").records
        )
    finally:
        catalog.close()
    reported = sorted(Path(problem.file).name for problem in changes.problems)
    assert reported == ["blank.txt", "empty.txt", "x.txt"]  # empty files: their own warning
    assert "x.txt" in {Path(problem.file).name for problem in changes.skipped}
    assert "LICENSE" in {Path(problem.file).name for problem in changes.skipped}
