"""Property tests for browser.parse: random papers written as dumps read back the same."""

from __future__ import annotations

import codecs
import datetime as dt
import html
import json
import os
import re
from dataclasses import dataclass

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from browser.identity import paper_id
from browser.models import Organization, ParsedRecord
from browser.parse import ParsedFile, extract_links, parse_bytes, parse_text

# A few seconds in the suite; PARSE_PROPERTY_EXAMPLES=5000 for a deeper local run.
SETTINGS = settings(
    max_examples=int(os.environ.get("PARSE_PROPERTY_EXAMPLES", "100")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)

FURNITURE = {
    "new",
    "Subscribe",
    "Daily Papers",
    "Get trending papers in your email inbox!",
    "Get trending papers in your email inbox once a day!",
    "byAK and the research community",
    "by AK and the research community",
    "Daily",
    "Weekly",
    "Monthly",
}
HEADER = (
    "new\n\nGet trending papers in your email inbox!\n\nSubscribe\n\nDaily Papers\n\n"
    "byAK and the research community\n\nOct 30\n\n"
)
COMPACT_HEADER = (
    "Get trending papers in your email inbox once a day!\n"
    "Get trending papers in your email inbox!\nSubscribe"
)
FILE = "2025-10-30_daily-papers.txt"  # the page date Oct 30 is Oct 30, 2025
PAGE_DATE = dt.date(2025, 10, 30)
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
# Broader than what the parser treats as details, on purpose.
DETAILS_LIKE = re.compile(r"(?:[A-Z][a-z]{2,8}\.? +\d|•|·$)")


def is_plain_line(line: str) -> bool:
    """A line the generator may use as a title or abstract: not furniture, not details.

    (Nor an upvote count: newer cards print one, or ``-``, on the line before a title.)
    """
    return (
        bool(line)
        and line not in FURNITURE
        and not DETAILS_LIKE.match(line)
        and not (line == "-" or (line.isascii() and line.isdigit()))
    )


# Printable text with the characters a dump must keep literally, and any unicode.
SPICE = st.sampled_from([*"[]$=+@\\{}<>/:;.,!?'\"()-_*#%&|~^`·•", "\x1b[31m", "é", "🐍", "漢"])
WORD = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=12)
LINE = (
    st.lists(st.one_of(WORD, SPICE, st.just(" ")), min_size=1, max_size=14)
    .map(lambda parts: "".join(parts).strip())
    .filter(is_plain_line)
)
SLUG = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9_-]{0,11}", fullmatch=True)
YEARLESS_DAY = st.dates(min_value=dt.date(2024, 1, 1), max_value=dt.date(2024, 12, 31)).filter(
    lambda day: (day.month, day.day) != (2, 29)
)


@dataclass
class Paper:
    title: str
    abstract: str
    authors: int | None
    organization: tuple[str, str] | None
    date: dt.date | None
    show_year: bool
    comments: int | None

    def expected_date(self) -> dt.date | None:
        if self.date is None or self.show_year:
            return self.date
        late = (self.date.month, self.date.day) > (PAGE_DATE.month, PAGE_DATE.day)
        return self.date.replace(year=PAGE_DATE.year - late)

    def details(self, indent: str) -> list[str]:
        lines = []
        if self.organization is not None:
            lines.append(" ".join(self.organization))
        elif self.authors is not None:
            lines.append(f"{indent}• {self.authors} authors")
        if self.date is not None:
            text = f"{MONTHS[self.date.month - 1]} {self.date.day}"
            if self.show_year:
                text += f", {self.date.year}"
            if self.comments is not None:
                text += f" {self.comments}"
            lines += ["·", text]
        return lines


@st.composite
def papers(draw: st.DrawFn, *, details: bool = True) -> Paper:
    title = draw(LINE)
    abstract = draw(LINE)
    if not details:
        return Paper(title, abstract, None, None, None, False, None)
    authors = draw(st.none() | st.integers(1, 500))
    date = draw(st.none() | st.dates(dt.date(1990, 1, 1), dt.date(2030, 12, 31)) | YEARLESS_DAY)
    organization = None
    # An organisation line is known by the "·" after it, so it needs a date.
    if date is not None and draw(st.booleans()):
        organization = (draw(SLUG), draw(LINE))
        if not is_plain_line(" ".join(organization)):
            organization = None
    show_year = date is not None and (date.year != 2024 or draw(st.booleans()))
    comments = draw(st.none() | st.integers(0, 9999)) if date is not None else None
    return Paper(title, abstract, authors, organization, date, show_year, comments)


def check(parsed: ParsedFile, expected: list[Paper]) -> None:
    assert parsed.problems == []
    assert len(parsed.records) == len(expected)
    for record, paper in zip(parsed.records, expected, strict=True):
        assert isinstance(record, ParsedRecord)
        assert record.title == paper.title
        assert record.abstract == paper.abstract
        assert record.id == paper_id(paper.title)
        assert record.source.file == FILE
        if paper.organization is not None:
            assert record.organization == Organization(
                slug=paper.organization[0], name=paper.organization[1]
            )
            assert record.authors is None
        else:
            assert record.organization is None
            assert record.authors == paper.authors
        assert record.date == paper.expected_date()
        assert record.year_inferred == (paper.date is not None and not paper.show_year)
        assert record.comments == paper.comments
        assert record.upvotes is None
        assert record.links == extract_links(paper.abstract)


@SETTINGS
@given(
    st.lists(papers(), max_size=8),
    st.sampled_from(["\n", "\r\n", "\r"]),
    st.integers(1, 3),
    st.sampled_from(["", "  ", "\t"]),
    st.booleans(),
)
def test_blank_line_dumps_read_back(
    items: list[Paper], newline: str, blanks: int, indent: str, header: bool
) -> None:
    # Without the header (and its page date) year-less dates are anchored on the
    # date in the file name, which is the page date: the same papers either way.
    lines = HEADER.split("\n")[:-1] if header else []
    title_lines = []
    for paper in items:
        title_lines.append(len(lines) + 1)
        lines += [paper.title, "", paper.abstract]
        details = paper.details(indent)
        if details:
            lines += ["", *details]
        lines += [""] * blanks
    text = newline.join(lines)
    parsed = parse_bytes(text.encode(), FILE)
    if not items and not header:
        assert [problem.message for problem in parsed.problems] == [
            "no text in the file (it is empty or blank)"
        ]
        return
    if not header and not any(paper.details(indent) for paper in items):
        # Titles and abstracts alone are any text: no evidence of a Daily Papers page.
        (problem,) = parsed.problems
        assert problem.message.startswith("not a Daily Papers dump (no paper cards found")
        assert parsed.records == []
        return
    check(parsed, items)
    assert [record.source.line for record in parsed.records] == title_lines


@SETTINGS
@given(st.lists(papers(details=False), min_size=1, max_size=10), st.booleans())
def test_compact_dumps_read_back(items: list[Paper], bom: bool) -> None:
    body = "\n".join(f"{paper.title}\n{paper.abstract}" for paper in items)
    data = (COMPACT_HEADER + body).encode()
    parsed = parse_bytes((codecs.BOM_UTF8 if bom else b"") + data, FILE)
    check(parsed, items)
    assert [record.source.line for record in parsed.records] == [
        3 + 2 * i for i in range(len(items))
    ]


@SETTINGS
@given(st.binary(max_size=3000), st.sampled_from([b"", codecs.BOM_UTF8, b"\xff\xfe", b"\xfe\xff"]))
def test_arbitrary_bytes_never_raise(data: bytes, prefix: bytes) -> None:
    parsed = parse_bytes(prefix + data, "junk.bin", anchor=dt.date(2025, 2, 28))
    assert all(problem.file == "junk.bin" for problem in parsed.problems)
    for record in parsed.records:
        assert record.title
        assert record.id == paper_id(record.title)


SOUP_LINES = st.one_of(
    LINE,
    st.sampled_from(sorted(FURNITURE)),
    st.sampled_from(["·", "• 3 authors", "  • 1 authors", "Feb 29", "Feb 29 3", "Oct 30"]),
    st.sampled_from(["Dec 31, 2024 7", "Jan 1", "SubscribeX", "", "   ", "nvidia NVIDIA"]),
)


@SETTINGS
@given(st.lists(SOUP_LINES, max_size=40), st.none() | st.integers(1, 9999))
def test_any_mix_of_lines_is_parsed_without_raising(lines: list[str], year: int | None) -> None:
    parsed = parse_text("\n".join(lines), "soup.txt", year=year, anchor=dt.date(2024, 3, 1))
    for record in parsed.records:
        assert record.title not in FURNITURE - {"Daily", "Weekly", "Monthly"}
        assert record.title != "·"
        assert not record.title.startswith("•")
    for problem in parsed.problems:
        assert problem.file == "soup.txt"
        assert problem.line is None or 1 <= problem.line <= len(lines)


# -- issue 7's formats ----------------------------------------------------------------------------

TEXT = st.text(alphabet=st.characters(codec="utf-8"), max_size=40)


@SETTINGS
@given(st.lists(st.tuples(LINE, LINE, st.none() | st.integers(0, 10**6)), min_size=1, max_size=6))
def test_api_json_and_saved_pages_read_back(items: list[tuple[str, str, int | None]]) -> None:
    entries = [
        {"paper": {"id": f"2501.{i:05d}v1", "title": t, "summary": a, "upvotes": u}}
        for i, (t, a, u) in enumerate(items)
    ]
    props = html.escape(json.dumps({"dailyPapers": entries}, ensure_ascii=False))
    page = f'<html><body><div data-target="DailyPapers" data-props="{props}"></div></body></html>'
    for data, name in ((json.dumps(entries).encode(), "x.json"), (page.encode(), "x.html")):
        parsed = parse_bytes(data, name)
        assert parsed.problems == []
        assert [(r.title, r.abstract, r.upvotes) for r in parsed.records] == items
        assert [r.arxiv_id for r in parsed.records] == [f"2501.{i:05d}" for i in range(len(items))]


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | TEXT,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TEXT, inner, max_size=4),
    max_leaves=12,
)
PAPERISH = st.fixed_dictionaries(
    {"paper": st.fixed_dictionaries({"title": TEXT, "id": TEXT | JSON_VALUES})},
    optional={"numComments": JSON_VALUES, "summary": JSON_VALUES},
)


@SETTINGS
@given(st.lists(JSON_VALUES | PAPERISH, max_size=5), st.sampled_from(["x.json", "x.txt"]))
def test_any_json_is_papers_or_not_a_dump(values: list[object], name: str) -> None:
    parsed = parse_bytes(json.dumps(values).encode(), name)
    if not parsed.records:
        assert len(parsed.problems) == 1
        assert parsed.problems[0].message.startswith(("not a Daily Papers dump", "no papers"))
    for record in parsed.records:
        assert record.title.strip()
        assert record.id == paper_id(record.title)


@SETTINGS
@given(
    st.sampled_from([b"[", b"{", b'[{"paper": {', b"<html>", b"<!doctype html><body>", b"<div "]),
    st.binary(max_size=400) | TEXT.map(str.encode),
)
def test_json_or_html_looking_bytes_never_raise(prefix: bytes, rest: bytes) -> None:
    parsed = parse_bytes(prefix + rest, "junk.html")
    assert all(problem.file == "junk.html" for problem in parsed.problems)
