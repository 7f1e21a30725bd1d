"""browser.parse: decoding, the two text layouts, metadata, dates, links, files and folders."""

from __future__ import annotations

import codecs
import datetime as dt
import os
from pathlib import Path

import pytest

import browser.parse.decode as decode_module
from browser.dump_files import find_dump_files
from browser.identity import paper_id
from browser.models import Organization, ParsedRecord
from browser.parse import (
    ParsedFile,
    decode_dump,
    extract_links,
    parse_bytes,
    parse_file,
    parse_text,
)

SAMPLE_DUMPS = Path(__file__).resolve().parent.parent / "sample_dumps"

HEADER = (
    "new\n\nGet trending papers in your email inbox!\n\nSubscribe\n\nDaily Papers\n\n"
    "byAK and the research community\n\n"
)
COMPACT_HEADER = (
    "Get trending papers in your email inbox once a day!\n"
    "Get trending papers in your email inbox!\n"
)
ANCHOR = dt.date(2025, 11, 1)
# The footer of a card: what makes a few lines of text a dump (see issue 12's refusals).
FOOTER = "\n  • 2 authors\n·\nMar 1\n"

# One page in the blank-line layout: every kind of metadata once.
PAGE = (
    HEADER
    + """Oct 30

Sparse Rewards in a Learned Behavior Space

We learn sparse rewards. Code: https://github.com/x/sparse.

  • 4 authors
·
Mar 6

Early Warning Signals

Systems collapse suddenly.

  • 1 authors
·
Feb 5, 2023

BroRL: Scaling Reinforcement Learning

RLVR is a key ingredient.

nvidia NVIDIA
·
Oct 1 2

Model Surgery

Editing parameters.

  • 8 authors
·
Jul 11, 2024 4

A Paper Without Details

Its abstract.
"""
)


def parse(text: str, file: str = "dump.txt", **options: object) -> ParsedFile:
    options.setdefault("anchor", ANCHOR)
    return parse_text(text, file, **options)  # type: ignore[arg-type]


def titles(parsed: ParsedFile) -> list[str]:
    return [record.title for record in parsed.records]


def messages(parsed: ParsedFile) -> str:
    return "\n".join(problem.describe() for problem in parsed.problems)


def only(parsed: ParsedFile) -> ParsedRecord:
    assert len(parsed.records) == 1, titles(parsed)
    return parsed.records[0]


# -- the blank-line layout ----------------------------------------------------------------


def test_blank_line_layout_reads_every_field() -> None:
    parsed = parse(PAGE, "pages/dump.txt")
    assert parsed.problems == []
    assert parsed.file == "pages/dump.txt"
    first, second, third, fourth, fifth = parsed.records

    assert first.title == "Sparse Rewards in a Learned Behavior Space"
    assert first.abstract == "We learn sparse rewards. Code: https://github.com/x/sparse."
    assert first.id == paper_id(first.title)
    assert (first.source.file, first.source.line) == ("pages/dump.txt", 13)
    assert first.authors == 4
    assert first.organization is None
    assert (first.date, first.year_inferred) == (dt.date(2025, 3, 6), True)
    assert first.comments is None
    assert first.upvotes is None
    assert first.links == ["https://github.com/x/sparse"]
    assert (first.arxiv_id, first.author_names, first.keywords) == (None, [], [])

    assert (second.authors, second.date, second.year_inferred) == (1, dt.date(2023, 2, 5), False)

    assert third.organization == Organization(slug="nvidia", name="NVIDIA")
    assert third.authors is None
    assert (third.date, third.comments, third.upvotes) == (dt.date(2025, 10, 1), 2, None)

    assert (fourth.authors, fourth.date, fourth.comments) == (8, dt.date(2024, 7, 11), 4)
    assert fourth.year_inferred is False

    assert fifth.title == "A Paper Without Details"
    assert fifth.abstract == "Its abstract."
    assert (fifth.authors, fifth.organization, fifth.date, fifth.comments) == (
        None,
        None,
        None,
        None,
    )
    assert [record.source.line for record in parsed.records] == [13, 21, 29, 37, 45]


def test_file_without_a_header() -> None:
    parsed = parse("First Paper\n\nFirst abstract.\n\n  • 2 authors\n·\nMar 6\n\nSecond\n\nOne.\n")
    assert parsed.problems == []
    assert titles(parsed) == ["First Paper", "Second"]
    assert parsed.records[0].date == dt.date(2025, 3, 6)  # against the anchor: no page date


def test_organisation_line_with_a_multi_word_name() -> None:
    record = only(parse("Title\n\nAbstract\n\nfacebook AI at Meta\n·\nOct 24 1\n"))
    assert record.organization == Organization(slug="facebook", name="AI at Meta")
    assert (record.authors, record.comments) == (None, 1)


def test_authors_line_indented_or_not_and_singular() -> None:
    parsed = parse("A\nabs\n• 1 authors\n·\nMar 1\nB\nabs\n      •   12 authors\n·\nMar 2\n")
    assert [record.authors for record in parsed.records] == [1, 12]
    assert only(parse("A\nabs\n• 1 author\n")).authors == 1


def test_titles_are_read_by_position_not_by_shape() -> None:
    text = (
        "Exploitation Is All You Need... for Exploration.\n\nShort.\n\n"
        'LLMs Can Get "Brain Rot"!\n\nOk\n\n  • 2 authors\n·\nMar 1\n\n'
        "A\n\nA very long abstract that looks nothing like the title before it.\n"
    )
    parsed = parse(text)
    assert parsed.problems == []
    assert [(r.title, r.abstract) for r in parsed.records] == [
        ("Exploitation Is All You Need... for Exploration.", "Short."),
        ('LLMs Can Get "Brain Rot"!', "Ok"),
        ("A", "A very long abstract that looks nothing like the title before it."),
    ]


def test_a_20000_character_abstract() -> None:
    abstract = ("word " * 4000).strip() + " https://example.org/end."
    assert len(abstract) > 20_000
    record = only(parse(f"Long One\n\n{abstract}\n\n  • 3 authors\n·\nMar 1\n"))
    assert record.abstract == abstract
    assert record.links == ["https://example.org/end"]


def test_markup_latex_and_ansi_are_kept_literally() -> None:
    title = "[bold]Markup[/bold] $\\texttt{LLM}^2$ <script>x</script> [@click=app.quit]"
    abstract = "=SUM(A1) +cmd @user -x \x1b[31mred\x1b[0m \x1b]8;;https://evil\x07link [/]"
    record = only(parse(f"{title}\n\n{abstract}\n{FOOTER}"))
    assert record.title == title
    assert record.abstract == abstract
    for leading in ("=1+1", "+1", "@SUM(1)", "-2"):
        assert only(parse(f"{leading}\n{leading} abstract\n{FOOTER}")).title == leading


def test_inner_whitespace_is_kept_and_the_ends_are_stripped() -> None:
    record = only(parse("  \tTwo  spaces\tand a tab  \n\n\u00a0 abstract  text \u3000\n" + FOOTER))
    assert record.title == "Two  spaces\tand a tab"
    assert record.abstract == "abstract  text"


# -- the compact layout ---------------------------------------------------------------------


def test_compact_layout_title_abstract_pairs() -> None:
    text = COMPACT_HEADER + "SubscribeFirst Title\nFirst abstract.\nSecond Title.\nx\nThird\nEnd."
    parsed = parse(text)
    assert parsed.problems == []
    assert [(r.title, r.abstract, r.source.line) for r in parsed.records] == [
        ("First Title", "First abstract.", 3),
        ("Second Title.", "x", 5),
        ("Third", "End.", 7),
    ]
    assert all(r.date is None and r.authors is None for r in parsed.records)


def test_subscribe_is_stripped_only_when_glued_to_the_first_title() -> None:
    text = (
        COMPACT_HEADER + "Subscribe$\\texttt{SAILOR}$ Learns\nabs\nSubscribeNot Glued Here\nabs\n"
    )
    assert titles(parse(text)) == ["$\\texttt{SAILOR}$ Learns", "SubscribeNot Glued Here"]
    # Without the header before it, "Subscribe..." is just a title.
    assert titles(parse("SubscribeX\nabs\n" + FOOTER)) == ["SubscribeX"]


@pytest.mark.parametrize(
    "title",
    [
        "New methods for offline RL",
        "new",  # exact furniture is skipped ...
        "Subscribe to Newsletters: a Study",
        "Daily Papers Considered Harmful",
        "Get trending papers in your email inbox! A study",
        "by AK and the research community, revisited",
    ],
)
def test_titles_that_start_like_furniture_are_papers(title: str) -> None:
    for text in (HEADER + f"Oct 30\n\n{title}\n\nabs\n", COMPACT_HEADER + f"{title}\nabs\n"):
        parsed = parse(text)
        if title == "new":  # ... so the abstract is left without a title
            assert titles(parsed) == ["abs"]
        else:
            assert titles(parsed) == [title]


def test_furniture_is_skipped_wherever_it_appears() -> None:
    text = "T1\nnew\nA1\nSubscribe\nT2\nA2\nDaily Papers\nT3\nA3\n"
    parsed = parse(text)
    assert [(r.title, r.abstract) for r in parsed.records] == [
        ("T1", "A1"),
        ("T2", "A2"),
        ("T3", "A3"),
    ]
    assert parsed.problems == []
    both = "Get trending papers in your email inbox once a day!\nby AK and the research community\n"
    assert titles(parse(both + "T\nA\n")) == ["T"]


def test_header_only_file_has_no_records_and_no_error() -> None:
    for text in (HEADER, HEADER + "Oct 30\n", COMPACT_HEADER + "Subscribe\n"):
        parsed = parse(text)
        assert parsed.records == []
        assert parsed.problems == []


def test_tab_labels_in_the_header_are_furniture() -> None:
    text = (
        HEADER
        + "Daily\n\nWeekly\n\nMonthly\n\nOct 30\n\nTitle\n\nAbstract\n\n• 2 authors\n·\nNov 2\n"
    )
    record = only(parse(text))
    assert record.title == "Title"
    assert record.date == dt.date(2024, 11, 2)  # later than the page date Oct 30, 2025
    # Outside the header they are ordinary lines: here an abstract and a title.
    assert [(r.title, r.abstract) for r in parse("T\nDaily\nWeekly\nx\n" + FOOTER).records] == [
        ("T", "Daily"),
        ("Weekly", "x"),
    ]


# -- truncated and odd records ----------------------------------------------------------------


def test_truncated_last_record_keeps_its_title_with_a_warning() -> None:
    parsed = parse(HEADER + "T1\n\nA1\n\nT2\n")
    assert [(r.title, r.abstract) for r in parsed.records] == [("T1", "A1"), ("T2", "")]
    (problem,) = parsed.problems
    assert (problem.line, problem.severity) == (15, "warning")
    assert "without an abstract" in problem.message


def test_metadata_cut_after_the_dot_keeps_what_is_there() -> None:
    parsed = parse("T1\n\nA1\n\n  • 3 authors\n·\n")
    record = only(parsed)
    assert (record.abstract, record.authors, record.date) == ("A1", 3, None)
    (problem,) = parsed.problems
    assert problem.line == 6
    assert "'·'" in problem.message
    assert only(parse("T1\nA1\n  • 3 authors\n")).authors == 3
    assert parse("T1\nA1\n  • 3 authors\n").problems == []


def test_a_missing_date_after_the_dot_does_not_swallow_the_next_paper() -> None:
    parsed = parse("T1\nA1\n• 2 authors\n·\nT2\nA2\n")
    assert [(r.title, r.authors) for r in parsed.records] == [("T1", 2), ("T2", None)]
    assert [problem.line for problem in parsed.problems] == [5]


def test_a_title_without_an_abstract_before_its_details() -> None:
    parsed = parse("T1\n\n  • 2 authors\n·\nMar 1\n\nT2\n\nA2\n")
    assert [(r.title, r.abstract, r.authors) for r in parsed.records] == [
        ("T1", "", 2),
        ("T2", "A2", None),
    ]
    assert [problem.line for problem in parsed.problems] == [1]


def test_details_with_no_paper_are_problems_not_papers() -> None:
    parsed = parse("T1\nA1\n• 2 authors\n·\nMar 4\nJun 4 2\n• 5 authors\n·\nMar 1\nT2\nA2\n")
    assert titles(parsed) == ["T1", "T2"]
    assert [problem.line for problem in parsed.problems] == [6, 7]
    assert all(problem.severity == "warning" for problem in parsed.problems)


def test_one_word_and_one_character_abstracts() -> None:
    parsed = parse("Title.\n\nYes.\n\n  • 1 authors\n·\nMar 1\n\nNext\n\nx\n")
    assert [(r.title, r.abstract) for r in parsed.records] == [("Title.", "Yes."), ("Next", "x")]


def test_repeated_page_copies_in_one_file() -> None:
    text = (
        HEADER
        + "Oct 30\n\nT1\n\nA1\n\n  • 1 authors\n·\nDec 30\n\n"
        + HEADER
        + "Jan 2\n\nT2\n\nA2\n\n  • 1 authors\n·\nDec 30\n\n"
        + HEADER
        + "T3\n\nA3\n\n  • 1 authors\n·\nDec 30\n"
    )
    parsed = parse(text, anchor=dt.date(2025, 11, 1))
    assert parsed.problems == []
    assert [(r.title, r.date) for r in parsed.records] == [
        ("T1", dt.date(2024, 12, 30)),  # page Oct 30, 2025
        ("T2", dt.date(2024, 12, 30)),  # page Jan 2, 2025
        ("T3", dt.date(2024, 12, 30)),  # no page date: against the anchor
    ]


def test_a_page_cut_mid_record_before_the_next_copy() -> None:
    parsed = parse(HEADER + "Oct 30\n\nT1\n\n" + HEADER + "Jan 2\n\nT2\n\nA2\n")
    assert [(r.title, r.abstract) for r in parsed.records] == [("T1", ""), ("T2", "A2")]
    assert len(parsed.problems) == 1


# -- dates and years ----------------------------------------------------------------------------


def test_dates_with_and_without_year_and_comment_counts() -> None:
    text = (
        HEADER
        + "Dec 10\n\n"
        + "".join(
            f"T{number}\nA\n• 2 authors\n·\n{date}\n"
            for number, date in enumerate(
                ["Jun 16 2", "Sep 28, 2023", "Sep 29, 2024 2", "Dec 10", "Dec 11", "Jan 1 0"]
            )
        )
    )
    parsed = parse(text, "2025-12-10_daily-papers.txt")
    assert parsed.problems == []
    assert [(r.date, r.year_inferred, r.comments) for r in parsed.records] == [
        (dt.date(2025, 6, 16), True, 2),
        (dt.date(2023, 9, 28), False, None),
        (dt.date(2024, 9, 29), False, 2),
        (dt.date(2025, 12, 10), True, None),
        (dt.date(2024, 12, 11), True, None),  # later than the page date: the year before
        (dt.date(2025, 1, 1), True, 0),
    ]
    assert all(r.upvotes is None for r in parsed.records)


def test_year_from_the_explicit_argument_first() -> None:
    text = HEADER + "Dec 10\n\nT\nA\n• 2 authors\n·\nDec 11\n"
    record = only(parse(text, "2025-12-10_x.txt", year=2019, anchor=dt.date(2030, 1, 1)))
    assert (record.date, record.year_inferred) == (dt.date(2018, 12, 11), True)
    # Without a page date, a year-less date is simply in that year.
    record = only(parse("T\nA\n• 2 authors\n·\nDec 11\n", "x.txt", year=2019))
    assert record.date == dt.date(2019, 12, 11)


def test_year_from_the_file_name_before_the_anchor() -> None:
    text = HEADER + "Oct 30\n\nT\nA\n• 2 authors\n·\nMar 6\n"
    record = only(parse(text, "dumps/2023-10-30_daily-papers.txt", anchor=dt.date(2030, 5, 5)))
    assert record.date == dt.date(2023, 3, 6)
    # A folder named like a date does not count, an impossible date in the name neither.
    # (The page date Oct 30 is then Oct 30, 2029, the last one before the anchor.)
    record = only(parse(text, "2023-10-30/daily.txt", anchor=dt.date(2030, 5, 5)))
    assert record.date == dt.date(2029, 3, 6)
    record = only(parse(text, "2023-02-30_daily.txt", anchor=dt.date(2030, 5, 5)))
    assert record.date == dt.date(2029, 3, 6)


def test_anchor_rollover_for_the_page_date_and_the_papers() -> None:
    text = HEADER + "Dec 30\n\nT1\nA\n• 2 authors\n·\nDec 31\nT2\nA\n• 2 authors\n·\nJan 3\n"
    parsed = parse(text, anchor=dt.date(2026, 1, 4))
    # The page date Dec 30 is later than Jan 4, 2026: it is Dec 30, 2025.
    assert [r.date for r in parsed.records] == [dt.date(2024, 12, 31), dt.date(2025, 1, 3)]


def test_without_page_date_papers_roll_over_against_the_anchor() -> None:
    parsed = parse("T1\nA\n·\nJan 3\nT2\nA\n·\nJan 5\n", anchor=dt.date(2026, 1, 4))
    assert [r.date for r in parsed.records] == [dt.date(2026, 1, 3), dt.date(2025, 1, 5)]


def test_without_any_anchor_today_is_used() -> None:
    record = only(parse_text("T\nA\n• 1 authors\n·\nJan 1\n", "x.txt"))
    assert record.date == dt.date(dt.date.today().year, 1, 1)
    assert record.year_inferred is True


def test_parse_file_anchors_on_the_modification_time(tmp_path: Path) -> None:
    path = tmp_path / "dump.txt"
    path.write_text("T\nA\n• 1 authors\n·\nDec 31\n", encoding="utf-8")
    stamp = dt.datetime(2021, 6, 1, 12, 0).timestamp()
    os.utime(path, (stamp, stamp))
    assert only(parse_file(path)).date == dt.date(2020, 12, 31)
    assert only(parse_file(path, year=2017)).date == dt.date(2017, 12, 31)


def test_february_29_and_other_impossible_dates() -> None:
    leap = only(parse("T\nA\n·\nFeb 29\n", anchor=dt.date(2024, 3, 1)))
    assert leap.date == dt.date(2024, 2, 29)
    parsed = parse("T1\nA\n·\nFeb 29\nT2\nA\n·\nFeb 30, 2024\nT3\nA\n·\nApr 31\n", anchor=ANCHOR)
    assert titles(parsed) == ["T1", "T2", "T3"]
    assert [r.date for r in parsed.records] == [None, None, None]
    assert [r.year_inferred for r in parsed.records] == [False, False, False]
    assert [problem.line for problem in parsed.problems] == [4, 8, 12]
    assert "Feb 29" in parsed.problems[0].message
    # An impossible page date is reported; the papers fall back on the anchor.
    parsed = parse(HEADER + "Feb 29\n\nT\nA\n·\nMar 1\n", year=2023)
    assert only(parsed).date == dt.date(2023, 3, 1)
    assert len(parsed.problems) == 1


# -- links ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "links"),
    [
        ("Code at https://github.com/a/b.", ["https://github.com/a/b"]),
        ("see https://x.org/a, and http://y.org/b; then ftp://z.org/c:", None),
        ("\\url{https://github.com/linkseed/FineRob}", ["https://github.com/linkseed/FineRob"]),
        ("advancements\\url{https://github.com/e/T}.", ["https://github.com/e/T"]),
        ("blue{https://github.com/R/F}.", ["https://github.com/R/F"]),
        ("https://github.com/Z/C{https://github.com/Z/C}.", ["https://github.com/Z/C"]),
        ("https://github.com/a/s/{ShadowLLM}.", ["https://github.com/a/s/"]),
        ("(see https://aka.ms/orca-lm), a model", ["https://aka.ms/orca-lm"]),
        ("https://en.wikipedia.org/wiki/Foo_(bar) ok", ["https://en.wikipedia.org/wiki/Foo_(bar)"]),
        ("[link](https://x.org/p)", ["https://x.org/p"]),
        ("<https://x.org/q> \"https://x.org/r\" 'https://x.org/s'", None),
        ("twice https://x.org/a and https://x.org/a.", ["https://x.org/a"]),
        ("HTTPS://X.ORG/Up", ["HTTPS://X.ORG/Up"]),
        ("no links: https:// or http://./ or mailto:a@b.c or www.x.org", []),
        ("项目主页：https://例子.cn/页面。", ["https://例子.cn/页面"]),
        ("https://phyworld.github.io", ["https://phyworld.github.io"]),
    ],
)
def test_extract_links(text: str, links: list[str] | None) -> None:
    expected = links
    if expected is None:  # the three URLs spelled in the text, one per scheme/quote
        expected = [
            part
            for part in (
                *("https://x.org/a", "http://y.org/b", "ftp://z.org/c"),
                *("https://x.org/q", "https://x.org/r", "https://x.org/s"),
            )
            if part in text
        ]
    assert extract_links(text) == expected


def test_links_come_from_the_abstract_only() -> None:
    record = only(parse("See https://title.org/x\n\nAbstract https://a.org/y.\n" + FOOTER))
    assert record.links == ["https://a.org/y"]


# -- decoding -----------------------------------------------------------------------------------


def test_crlf_and_cr_line_ends() -> None:
    lf = parse_bytes(PAGE.encode(), "dump.txt", anchor=ANCHOR)
    for newline in ("\r\n", "\r"):
        parsed = parse_bytes(PAGE.replace("\n", newline).encode(), "dump.txt", anchor=ANCHOR)
        assert parsed == lf
    assert parse_text(PAGE.replace("\n", "\r\n"), "dump.txt", anchor=ANCHOR) == lf


def test_utf8_bom() -> None:
    data = codecs.BOM_UTF8 + ("Tïtle\nAbstract\n" + FOOTER).encode()
    record = only(parse_bytes(data, "x.txt"))
    assert record.title == "Tïtle"
    text, problems = decode_dump(data, "x.txt")
    assert (text, problems) == ("Tïtle\nAbstract\n" + FOOTER, [])


@pytest.mark.parametrize(("bom", "codec"), [(b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be")])
def test_utf16_with_bom(bom: bytes, codec: str) -> None:
    data = bom + PAGE.replace("Early", "Éarly 🐍").encode(codec)
    parsed = parse_bytes(data, "x.txt", anchor=ANCHOR)
    assert parsed.problems == []
    assert parsed.records[1].title == "Éarly 🐍 Warning Signals"
    assert len(parsed.records) == 5
    truncated = parse_bytes(data[:-1], "x.txt", anchor=ANCHOR)
    assert len(truncated.records) == 5
    assert "truncated" in messages(truncated)


def test_cp1252_is_a_gentle_fallback() -> None:
    text = "Café “quoted” — paper\n\nAbstract with € and \x81 inside.\n" + FOOTER
    data = text.replace("•", "*").encode("cp1252", "replace")
    data = data.replace(b"?", b"\x81")  # a byte cp1252 leaves undefined
    parsed = parse_bytes(data, "x.txt")
    record = only(parsed)
    assert record.title == "Café “quoted” — paper"
    assert record.abstract == "Abstract with € and \x81 inside."
    (problem,) = parsed.problems
    assert (problem.severity, problem.line) == ("warning", 1)
    assert "cp1252" in problem.message


def test_binary_data_gives_no_records_and_a_warning() -> None:
    for data in (
        b"T\nA\n\x00\x00\x00",
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
        b"PK\x03\x04" + bytes(range(256)),
        bytes(range(1, 32)) * 10,  # control bytes, no NUL
        "T\nA\n".encode("utf-16-le"),  # UTF-16 without a BOM has NULs: not a dump
    ):
        parsed = parse_bytes(data, "junk.bin")
        assert parsed.records == []
        (problem,) = parsed.problems
        assert problem.severity == "warning"
        assert "not a text dump" in problem.message
        assert decode_dump(data, "junk.bin")[0] is None


def test_escape_sequences_do_not_make_text_binary() -> None:
    data = b"\x1b[1mBold\x1b[0m\n\x1b[31mred abstract\x1b[0m\x07\n" + FOOTER.encode()
    record = only(parse_bytes(data, "x.txt"))
    assert record.title == "\x1b[1mBold\x1b[0m"


def test_empty_and_whitespace_only_files() -> None:
    for data in (b"", b"   \n\n\t\r\n \x0c\n"):
        parsed = parse_bytes(data, "x.txt")
        assert parsed.records == []
        (problem,) = parsed.problems
        assert problem.severity == "warning"
        assert "empty or blank" in problem.message


def test_file_cut_in_the_middle_of_a_utf8_character() -> None:
    data = (HEADER + "Title\n\nAbstract about caf\u00e9").encode()[:-1]
    parsed = parse_bytes(data, "x.txt")
    assert only(parsed).abstract == "Abstract about caf"
    (problem,) = parsed.problems
    assert (problem.severity, problem.line) == ("warning", 13)
    assert "truncated" in problem.message
    assert decode_dump(data, "x.txt")[0] == HEADER + "Title\n\nAbstract about caf"


def test_invalid_utf8_late_in_the_file_starts_over_as_cp1252(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(decode_module, "CHUNK", 16)
    data = (HEADER + "Title One\nAbstract one.\n" * 20).encode() + b"Caf\xe9\nAbstract\n"
    parsed = parse_bytes(data, "x.txt")
    assert len(parsed.records) == 21
    assert parsed.records[-1].title == "Café"
    assert [problem.line for problem in parsed.problems] == [51]


@pytest.mark.parametrize("chunk", [1, 2, 3, 7, 64])
def test_chunk_boundaries_change_nothing(
    chunk: int, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    text = PAGE.replace("Early", "Éarly 🐍 ✓") + "Last\r\nx\rY\r\nz\r"
    variants = [
        text.encode(),
        codecs.BOM_UTF8 + text.encode(),
        b"\xff\xfe" + text.encode("utf-16-le"),
    ]
    expected = [parse_bytes(data, "2025-11-01.txt") for data in variants]
    monkeypatch.setattr(decode_module, "CHUNK", chunk)
    path = tmp_path / "2025-11-01.txt"
    for data, wanted in zip(variants, expected, strict=True):
        assert parse_bytes(data, "2025-11-01.txt") == wanted
        path.write_bytes(data)
        from_file = parse_file(path)
        assert [r.model_dump(exclude={"source"}) for r in from_file.records] == [
            r.model_dump(exclude={"source"}) for r in wanted.records
        ]
        assert parse_text(text, "2025-11-01.txt") == expected[0]


# -- files and folders --------------------------------------------------------------------------


def test_parse_file_reports_missing_and_unreadable_files(tmp_path: Path) -> None:
    for path, words in ((tmp_path / "missing.txt", "no such file"), (tmp_path, "folder")):
        parsed = parse_file(path)
        assert parsed.records == []
        (problem,) = parsed.problems
        assert (problem.file, problem.severity) == (str(path), "error")
        assert words in problem.message


def test_parse_file_reports_a_permission_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "locked.txt"
    path.write_text("T\nA\n")

    def refuse(*_args: object, **_kwargs: object) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(Path, "open", refuse)
    (problem,) = parse_file(path).problems
    assert (problem.severity, problem.message) == ("error", "permission denied")


def test_find_dump_files_walks_folders_sorted_and_safely(tmp_path: Path) -> None:
    root = tmp_path / "dumps"
    (root / "b").mkdir(parents=True)
    (root / "a" / "deep").mkdir(parents=True)
    (root / ".hidden").mkdir()
    for name in ("z.txt", "b/2.txt", "b/1.json", "a/deep/x.html", "a/noext", ".hidden/h.txt"):
        (root / name).write_text("T\nA\n")
    (root / ".dot.txt").write_text("T\nA\n")
    (root / "notes.md").write_text("# not a dump\n")
    (root / "notes.csv").write_text("a,b\n")
    (root / "a" / "loop").symlink_to(root)  # a link to a parent folder
    (root / "b" / "again.txt").symlink_to(root / "z.txt")  # the same file twice
    (root / "broken.txt").symlink_to(tmp_path / "nowhere")
    explicit = tmp_path / "explicit.md"
    explicit.write_text("T\nA\n")

    files, problems = find_dump_files([root, explicit, tmp_path / "missing", root / "z.txt"])
    assert [path.relative_to(tmp_path).as_posix() for path in files] == [
        "dumps/a/deep/x.html",
        "dumps/a/noext",
        "dumps/b/1.json",
        "dumps/b/2.txt",
        "dumps/b/again.txt",  # z.txt comes later in sorted order, so it is seen here first
        "dumps/notes.md",  # Markdown is walked too; its content decides (issue 12)
        "explicit.md",
    ]
    assert sorted((Path(p.file).name, p.severity) for p in problems) == [
        ("broken.txt", "warning"),
        ("missing", "error"),
    ]


def test_find_dump_files_with_a_single_file(tmp_path: Path) -> None:
    path = tmp_path / ".hidden-but-named.txt"
    path.write_text("T\nA\n")
    assert find_dump_files([path]) == ([path], [])


# -- the sample dumps ---------------------------------------------------------------------------

SAMPLE_COUNTS = {
    # records: titles counted by hand; 42/41/48 date lines include each page date.
    "2025-10-30_daily-papers.txt": 42,  # 41 dates, 40 "·", 40 authors lines
    "2025-12-10_daily-papers.txt": 45,  # 42 dates, 41 "·", 40 authors + 1 organisation
    "2025-12-25_daily-papers.txt": 51,  # 48 dates, 47 "·", 43 authors + 4 organisations
    "compact-search-behavior.txt": 346,  # 694 lines: 2 header lines, 346 title/abstract pairs
    "undated-search-behavior.txt": 90,  # 185 non-blank lines: 5 header lines, 90 pairs
}


@pytest.fixture(scope="module")
def samples() -> dict[str, ParsedFile]:
    return {path.name: parse_file(path) for path in sorted(SAMPLE_DUMPS.iterdir())}


def test_sample_dump_record_counts(samples: dict[str, ParsedFile]) -> None:
    assert {name: len(parsed.records) for name, parsed in samples.items()} == SAMPLE_COUNTS
    assert all(parsed.problems == [] for parsed in samples.values())


def test_sample_dumps_unique_ids(samples: dict[str, ParsedFile]) -> None:
    records = [record for parsed in samples.values() for record in parsed.records]
    assert len(records) == 574
    assert len({record.title for record in records}) == 517
    assert len({record.id for record in records}) == 516
    sailor = {r.title: r.id for r in records if "Skilled" in r.title and "SAILOR" in r.title}
    assert set(sailor) == {
        "A Smooth Sea Never Made a Skilled SAILOR: Robust Imitation via Learning to Search",
        "A Smooth Sea Never Made a Skilled $\\texttt{SAILOR}$: Robust Imitation via Learning"
        " to Search",
    }
    assert len(set(sailor.values())) == 1


def test_sample_dump_metadata(samples: dict[str, ParsedFile]) -> None:
    october = samples["2025-10-30_daily-papers.txt"].records
    first = october[0]
    assert first.title == (
        "Incorporating Surrogate Gradient Norm to Improve Offline Optimization Techniques"
    )
    assert (first.authors, first.date, first.year_inferred) == (4, dt.date(2025, 3, 6), True)
    assert first.links == ["https://github.com/cuong-dm/IGNITE"]
    assert october[1].links == ["https://github.com/Hritikbansal/generative-robustness"]
    assert (october[-2].date, october[-2].comments) == (dt.date(2024, 9, 29), 2)
    assert (october[-1].date, october[-1].comments) == (dt.date(2025, 8, 5), 2)
    assert sum(r.date is not None for r in october) == 40

    december = samples["2025-12-25_daily-papers.txt"].records
    organisations = [(r.organization.slug, r.organization.name) for r in december if r.organization]
    assert organisations == [
        ("Skywork", "Skywork"),
        ("nvidia", "NVIDIA"),
        ("Character-lab", "Character-lab"),
        ("tencent", "Tencent"),
    ]
    assert sum(r.date is not None for r in december) == 47
    assert sum(r.date is not None for r in samples["2025-12-10_daily-papers.txt"].records) == 41

    for name in ("compact-search-behavior.txt", "undated-search-behavior.txt"):
        records = samples[name].records
        assert all(r.date is None and r.authors is None and r.organization is None for r in records)
    compact = samples["compact-search-behavior.txt"].records
    assert (
        compact[0].title == "Feature Removal Is a Unifying Principle for Model Explanation Methods"
    )
    assert compact[0].source.line == 3
    assert compact[-1].source.line == 693
    assert compact[-1].abstract.endswith("accurately simulating continuous human behavior.")


def test_a_stray_nul_in_a_title_is_replaced_not_taken_for_binary() -> None:
    padding = "Padding Title\n" + "y" * 600 + "\n" + FOOTER
    text = "Good Title\nGood abstract.\nTitle with a\x00NUL\nIts abstract.\n" + padding
    parsed = parse_bytes(text.encode("utf-8"), "stray.txt")
    assert [record.title for record in parsed.records][:2] == [
        "Good Title",
        "Title with a\ufffdNUL",
    ]
    assert len(parsed.records) == 3
    assert [(problem.line, "NUL" in problem.message) for problem in parsed.problems] == [(3, True)]


def test_parsing_leaves_the_collector_alone_outside_bulk_parsing() -> None:
    # The app parses in a worker thread; a process-wide pause would also hold back
    # the UI thread's garbage, so only the CLI's bulk runs pause the collector.
    import gc

    from browser.parse import bulk_parsing, parse_text

    seen: list[bool] = []
    assert gc.isenabled()
    parse_text("Title\nAbstract.\n", "plain.txt")
    assert gc.isenabled()
    with bulk_parsing():
        seen.append(gc.isenabled())
        with bulk_parsing():  # reentrant: the inner end does not switch it back on
            pass
        seen.append(gc.isenabled())
    assert seen == [False, False]
    assert gc.isenabled()
