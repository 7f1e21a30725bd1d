"""browser.parse, issue 7: API JSON, saved HTML pages, newer text layouts, unsupported files."""

from __future__ import annotations

import codecs
import datetime as dt
import html
import json
from pathlib import Path
from typing import Any

import pytest

from browser.dump_files import find_dump_files
from browser.identity import paper_id
from browser.models import Organization, ParsedRecord
from browser.parse import ParsedFile, parse_bytes, parse_file, parse_text

ANCHOR = dt.date(2025, 11, 1)
HEADER = (
    "new\n\nGet trending papers in your email inbox!\n\nSubscribe\n\nDaily Papers\n\n"
    "byAK and the research community\n\n"
)

# The footer of a card: what makes a few lines of text a dump.
FOOTER = "  • 2 authors\n·\nMar 1\n"

# One entry as https://huggingface.co/api/daily_papers returns it (trimmed).
ENTRY: dict[str, Any] = {
    "paper": {
        "id": "2510.01234v2",
        "authors": [
            {"_id": "a1", "name": "Zoë Müller", "hidden": False},
            {"_id": "a2", "name": "Bob [admin]", "hidden": True},
        ],
        "publishedAt": "2025-10-14T17:59:59.000Z",
        "submittedOnDailyAt": "2025-10-15T08:00:00.000Z",
        "title": "Reward Models\n  Are $\\texttt{Hard}$: [bold]=SUM(A1)",
        "summary": "We study reward\nmodels in depth.\n\nCode: https://github.com/x/rm.\n",
        "upvotes": 42,
        "discussionId": "d1",
        "ai_summary": "Reward models are hard.",
        "ai_keywords": ["reward model", "RLHF"],
        "organization": {"_id": "o1", "name": "nvidia", "fullname": "NVIDIA", "avatar": "x"},
        "githubRepo": "https://github.com/x/rm",
    },
    "publishedAt": "2025-10-15T09:00:00.000Z",
    "title": "Reward Models Are $\\texttt{Hard}$: [bold]=SUM(A1)",
    "summary": "We study reward models in depth.",
    "thumbnail": "https://cdn/x.png",
    "numComments": 3,
    "submittedBy": {"_id": "u1", "name": "akhaliq", "fullname": "AK"},
    "isAuthorParticipating": False,
}
TITLE = "Reward Models Are $\\texttt{Hard}$: [bold]=SUM(A1)"
EXPECTED = {
    "title": TITLE,
    "abstract": "We study reward models in depth. Code: https://github.com/x/rm.",
    "authors": 2,
    "organization": Organization(slug="nvidia", name="NVIDIA"),
    "date": dt.date(2025, 10, 14),  # publishedAt: the arXiv day
    "listed": dt.date(2025, 10, 15),  # submittedOnDailyAt: the Daily Papers day
    "year_inferred": False,
    "comments": 3,
    "upvotes": 42,
    "links": [
        "https://github.com/x/rm",
        "https://arxiv.org/abs/2510.01234",
        "https://huggingface.co/papers/2510.01234",
    ],
    "arxiv_id": "2510.01234",
    "author_names": ["Zoë Müller", "Bob [admin]"],
    "keywords": ["reward model", "RLHF"],
    "id": paper_id(TITLE),
}


def fields(record: ParsedRecord) -> dict[str, Any]:
    values = dict(record)
    del values["source"]
    return values


def entry(**paper: Any) -> dict[str, Any]:
    """ENTRY with some of its paper's fields replaced (None removes one)."""
    changed = {**ENTRY["paper"], **paper}
    return {**ENTRY, "paper": {key: value for key, value in changed.items() if value is not None}}


def not_a_dump(parsed: ParsedFile) -> str:
    assert parsed.records == []
    (problem,) = parsed.problems
    assert problem.severity == "warning"
    assert problem.file == parsed.file
    assert problem.message.startswith("not a Daily Papers dump ("), problem.message
    return problem.message


# -- the Daily Papers API JSON ------------------------------------------------------------------


def test_api_array_maps_every_field() -> None:
    data = json.dumps([ENTRY, entry(id="hep-th/9901001v3", title="Old One")], indent=2)
    parsed = parse_bytes(data.encode(), "papers.json")
    assert parsed.problems == []
    first, second = parsed.records
    assert fields(first) == EXPECTED
    assert (first.source.file, first.source.line) == ("papers.json", 2)
    assert second.title == "Old One"
    assert second.arxiv_id == "hep-th/9901001"
    assert second.links[1:3] == [
        "https://arxiv.org/abs/hep-th/9901001",
        "https://huggingface.co/papers/hep-th/9901001",
    ]
    assert second.source.line == data.split("\n").index("  },") + 2


def test_summary_is_unwrapped_and_text_kept_literally() -> None:
    summary = "First  line,\nsecond line.\r\n\r\n  Second paragraph\twith <b>tags</b>.\n"
    record = parse_bytes(json.dumps([entry(summary=summary)]).encode(), "x.json").records[0]
    assert record.abstract == ("First  line, second line. Second paragraph\twith <b>tags</b>.")
    assert record.title == TITLE


def test_one_paper_object_on_its_own() -> None:
    paper = ENTRY["paper"]
    record = parse_bytes(json.dumps(paper).encode(), "paper.json").records[0]
    assert fields(record) == {**EXPECTED, "comments": None}


def test_json_lines_with_a_broken_line() -> None:
    lines = [json.dumps(ENTRY), "{not json", "", json.dumps(entry(title="Second"))]
    parsed = parse_bytes("\n".join(lines).encode(), "feed.jsonl")
    assert [(r.title, r.source.line) for r in parsed.records] == [(TITLE, 1), ("Second", 4)]
    (problem,) = parsed.problems
    assert (problem.line, problem.severity) == (2, "warning")
    assert "not valid JSON" in problem.message


def test_the_page_data_object_and_mixed_entries() -> None:
    data = {"dailyPapers": [ENTRY, {"paper": {"id": "1"}}, 7], "dateString": "2025-10-30"}
    parsed = parse_bytes(json.dumps(data).encode(), "page.json")
    assert [fields(r) for r in parsed.records] == [EXPECTED]
    assert [problem.message for problem in parsed.problems] == ["an entry that is not a paper"] * 2


def test_unexpected_types_are_left_out_not_guessed() -> None:
    odd = entry(
        upvotes="12",
        authors="Alice and Bob",
        publishedAt="yesterday",
        organization="nvidia",
        ai_keywords=[1, "kept"],
        id="not an arxiv id",
        githubRepo="javascript:alert(1)",
    )
    record = parse_bytes(json.dumps([{**odd, "numComments": True}]).encode(), "x.json").records[0]
    assert (record.upvotes, record.authors, record.author_names) == (None, None, [])
    assert record.date == dt.date(2025, 10, 15)  # the entry's own publishedAt
    assert (record.organization, record.keywords, record.arxiv_id) == (None, ["kept"], None)
    assert record.comments is None
    assert record.links == ["https://github.com/x/rm"]


def test_json_is_recognised_by_content_whatever_the_name() -> None:
    data = json.dumps([ENTRY]).encode()
    for name in ("dump.txt", "2025-10-30", "papers.html"):
        assert [fields(r) for r in parse_bytes(data, name).records] == [EXPECTED]
    text_dump = b"A title\n\nIts abstract.\n\n  \xe2\x80\xa2 2 authors\n\xc2\xb7\nMar 1\n"
    assert [r.title for r in parse_bytes(text_dump, "mislabelled.json").records] == ["A title"]
    utf16 = codecs.BOM_UTF16_LE + json.dumps([ENTRY], ensure_ascii=False).encode("utf-16-le")
    assert [fields(r) for r in parse_bytes(utf16, "x.json").records] == [EXPECTED]
    assert [fields(r) for r in parse_text(data.decode(), "x").records] == [EXPECTED]


@pytest.mark.parametrize(
    ("data", "name"),
    [
        (b'[{"paper": {"id": "2510.01234", "title": "Cut off', "papers.json"),
        (b'[{"paper": {"id": "2510.01234", "title": "Cut off', "papers.txt"),
        (b'{"dailyPapers": [}', "page.txt"),
        (b"[{'single': 'quotes'}]", "papers.json"),
        (b"{not json at all", "papers.json"),
        (b"[1, 2,]", "x.jsonl"),
    ],
)
def test_malformed_json_is_not_a_dump(data: bytes, name: str) -> None:
    assert "malformed JSON at line 1" in not_a_dump(parse_bytes(data, name))


@pytest.mark.parametrize(
    "data",
    [
        {"name": "paper-browser", "version": "0.1.0"},
        [1, 2, 3],
        [{"title": "No summary, no id"}],
        [{"paper": {"title": "  ", "id": "2510.1"}}],
        {"paper": "2510.01234", "title": "x"},
        {"dailyPapers": [{"id": 1}], "dateString": "2025-10-30"},
        "just a string",
        None,
    ],
)
def test_json_of_another_shape_is_not_a_dump(data: object) -> None:
    message = not_a_dump(parse_bytes(json.dumps(data).encode(), "other.json"))
    assert message == "not a Daily Papers dump (JSON, but not of Daily Papers); skipped"


def test_an_empty_api_list_is_no_papers_not_an_error() -> None:
    parsed = parse_bytes(b"[]\n", "2025-12-25.json")
    assert parsed.records == []
    (problem,) = parsed.problems
    assert (problem.severity, problem.message) == (
        "warning",
        "no papers: the JSON holds an empty list",
    )


def test_text_dumps_that_start_with_brackets_stay_text() -> None:
    for first in (
        "[bold] Title",
        "{\\em Title}",
        "[[wiki]] links",
        '{"quoted"} words',
        "[1] Intro",
    ):
        parsed = parse_bytes(f"{first}\nAbstract\n{FOOTER}".encode(), "dump.txt")
        assert [(r.title, r.abstract) for r in parsed.records] == [(first, "Abstract")]
        assert parsed.problems == []


# -- a saved HTML page --------------------------------------------------------------------------


def page(props: str | None, body: str = "<h1>Daily Papers</h1>") -> str:
    element = "" if props is None else f'<div data-target="DailyPapers" data-props="{props}">'
    return (
        "<!DOCTYPE html>\n<html>\n<head><title>Daily Papers - Hugging Face</title>\n"
        '<script>window.x = "<div data-target=\\"DailyPapers\\">";</script></head>\n<body>\n'
        f"{element}{body}{'</div>' if props is not None else ''}\n</body>\n</html>\n"
    )


def test_saved_page_reads_the_html_escaped_data() -> None:
    props = html.escape(json.dumps({"dailyPapers": [ENTRY], "dateString": "2025-10-30"}))
    assert "&quot;" in props
    parsed = parse_bytes(page(props).encode(), "daily.html")
    assert parsed.problems == []
    (record,) = parsed.records
    assert fields(record) == EXPECTED
    assert (record.source.file, record.source.line) == ("daily.html", 6)


def test_saved_page_with_entities_ampersands_and_non_ascii() -> None:
    title = 'Caf\u00e9 "quoted" & <b>bold</b> 漢字 \u2014 done'
    data = {"dailyPapers": [entry(title=title, summary="A & B < C")], "dateString": "x"}
    escaped_ascii = html.escape(json.dumps(data))  # \u00e9 escapes inside, &quot; &amp; &lt;
    raw_utf8 = html.escape(json.dumps(data, ensure_ascii=False))  # UTF-8 bytes in the file
    by_entity = raw_utf8.replace("\u00e9", "&#233;").replace("\u2014", "&mdash;")
    for props in (escaped_ascii, raw_utf8, by_entity):
        (record,) = parse_bytes(page(props).encode(), "daily.html").records
        assert record.title == title
        assert record.abstract == "A & B < C"
        assert record.id == paper_id(title)


def test_page_without_the_data_element_falls_back_to_its_text() -> None:
    body = (
        "<div>new</div><div>Get trending papers in your email inbox!</div>"
        "<button>Subscribe</button><h1>Daily Papers</h1><p>byAK and the research community</p>"
        "<nav><a>Daily</a><a>Weekly</a><a>Monthly</a></nav><div>Oct 30</div>\n"
        "<article><div>12</div><h3><a href='/papers/1'>A <em>Title</em> &amp; more</a></h3>\n"
        "<p>The abstract,\n   wrapped &lt;here&gt;.</p><div>• 3 authors</div><div>·</div>"
        "<div>Mar 6 2</div></article>\n"
        "<article><div>-</div><h3>Second</h3><p>Abs 2</p>"
        "<div>nvidia NVIDIA</div><div>·</div><div>Dec 2, 2024</div></article>"
    )
    parsed = parse_bytes(page(None, body).encode(), "2025-10-30_daily.html")
    assert parsed.problems == []
    first, second = parsed.records
    assert (first.title, first.abstract) == ("A Title & more", "The abstract, wrapped <here>.")
    assert (first.upvotes, first.authors, first.comments) == (12, 3, 2)
    assert (first.date, first.year_inferred) == (dt.date(2025, 3, 6), True)
    assert first.source.line == 7  # the HTML line the title's text starts on
    assert (second.title, second.upvotes) == ("Second", 0)
    assert second.organization == Organization(slug="nvidia", name="NVIDIA")
    assert (second.date, second.year_inferred, second.source.line) == (
        dt.date(2024, 12, 2),
        False,
        10,
    )


def test_broken_page_data_is_reported() -> None:
    # The visible text is a Daily Papers header without papers: nothing else to say.
    parsed = parse_bytes(page("{&quot;dailyPapers&quot;: [").encode(), "daily.html")
    assert parsed.records == []
    (problem,) = parsed.problems
    assert (problem.line, problem.severity) == (6, "warning")
    assert "not valid JSON" in problem.message
    # Without even that, the page is not a dump.
    broken = page("{&quot;dailyPapers&quot;: [", body="<p>Something else</p>")
    parsed = parse_bytes(broken.encode(), "daily.html")
    assert [problem.line for problem in parsed.problems] == [None, 6]
    assert parsed.problems[0].message.startswith("not a Daily Papers dump")


@pytest.mark.parametrize(
    "document",
    [
        "<!doctype html><html><head><title>Blog</title></head><body><h1>My blog</h1>"
        "<p>Hello there.</p><p>Second paragraph.</p></body></html>",
        "<html><body><div data-target='Other' data-props='{\"x\": 1}'>x</div></body></html>",
        "<?xml version='1.0'?><rss><channel><title>Feed</title></channel></rss>",
        "<!-- nothing -->",
    ],
)
def test_other_web_pages_are_not_dumps(document: str) -> None:
    message = not_a_dump(parse_bytes(document.encode(), "page.html"))
    assert message == "not a Daily Papers dump (a web page without Daily Papers data); skipped"


def test_text_dumps_that_start_with_a_tag_stay_text() -> None:
    parsed = parse_bytes(f"<b>Bold</b> claims\n\nAbstract.\n{FOOTER}".encode(), "dump.txt")
    assert [(r.title, r.abstract) for r in parsed.records] == [("<b>Bold</b> claims", "Abstract.")]


# -- newer text layouts -------------------------------------------------------------------------


def test_upvote_counts_before_titles() -> None:
    text = (
        HEADER
        + "Daily\n\nWeekly\n\nMonthly\n\nOct 30\n\n"
        + "42\n\nFirst\n\nAbstract one.\n\n  • 3 authors\n·\nMar 6 2\n\n"
        + "-\n\nSecond\n\nAbstract two.\n\n"
        + "7\n\nThird\n\nAbstract three.\n\nnvidia NVIDIA\n·\nOct 1\n\n"
        + "Fourth Without Count\n\nAbstract four.\n"
    )
    parsed = parse_text(text, "2025-10-30_daily.txt")
    assert parsed.problems == []
    assert [(r.title, r.upvotes, r.comments) for r in parsed.records] == [
        ("First", 42, 2),
        ("Second", 0, None),
        ("Third", 7, None),
        ("Fourth Without Count", None, None),
    ]
    compact = "Get trending papers in your email inbox!\nSubscribe\n5\nA\nabs A\n-\nB\nabs B\n"
    parsed = parse_text(compact, "x.txt")
    assert [(r.title, r.abstract, r.upvotes) for r in parsed.records] == [
        ("A", "abs A", 5),
        ("B", "abs B", 0),
    ]
    assert parsed.problems == []


def test_an_upvote_count_with_no_paper_is_a_problem() -> None:
    parsed = parse_text("T\nA\n• 1 author\n12\n", "x.txt", anchor=ANCHOR)
    assert [(r.title, r.upvotes) for r in parsed.records] == [("T", None)]
    (problem,) = parsed.problems
    assert problem.line == 4


def test_page_copies_of_the_newer_layout_appended() -> None:
    tabs = "Daily\n\nWeekly\n\nMonthly\n\n"
    copy = HEADER + tabs + "{date}\n\n3\n\n{title}\n\nAbs.\n\n• 1 authors\n·\nDec 31\n\n"
    text = copy.format(date="Jan 2", title="One") + copy.format(date="Dec 31", title="Two")
    parsed = parse_text(text, "x.txt", anchor=dt.date(2026, 1, 5))
    assert parsed.problems == []
    assert [(r.title, r.upvotes, r.date) for r in parsed.records] == [
        ("One", 3, dt.date(2025, 12, 31)),  # page Jan 2, 2026
        ("Two", 3, dt.date(2025, 12, 31)),  # page Dec 31, 2025
    ]


# -- files -----------------------------------------------------------------------------------------


def test_folders_pick_up_json_and_html_and_parse_file_reads_them(tmp_path: Path) -> None:
    (tmp_path / "a.json").write_text(json.dumps([ENTRY]), encoding="utf-8")
    (tmp_path / "b.html").write_text(page(html.escape(json.dumps({"dailyPapers": [ENTRY]}))))
    (tmp_path / "c.jsonl").write_text(json.dumps(ENTRY) + "\n")
    (tmp_path / "d.png").write_bytes(b"\x89PNG\r\n\x1a\n\x00")
    files, problems = find_dump_files([tmp_path])
    assert [path.name for path in files] == ["a.json", "b.html", "c.jsonl"]
    assert problems == []
    for path in files:
        assert [fields(r) for r in parse_file(path).records] == [EXPECTED]


def test_compact_page_copies_appended() -> None:
    copy = (
        "Get trending papers in your email inbox once a day!\n"
        "Get trending papers in your email inbox!\nSubscribe{title}\nAbstract of {title}.\n"
    )
    parsed = parse_text(copy.format(title="First") + copy.format(title="Second"), "x.txt")
    assert parsed.problems == []
    assert [(r.title, r.abstract, r.source.line) for r in parsed.records] == [
        ("First", "Abstract of First.", 3),
        ("Second", "Abstract of Second.", 7),
    ]
