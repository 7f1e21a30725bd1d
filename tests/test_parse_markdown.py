"""browser.parse, issue 12: Markdown copies of the Daily Papers page (web clippers, scrapers).

``fixtures/markdown`` holds the same five cards as three tools save them: an
Obsidian-style clipper (front matter with the page address, absolute links), a
reader service (numbered image alts, ``·`` on the date's line) and a browser
extension (relative links, plain-text abstracts, "Submitted by"). The first four
cards are papers of ``sample_dumps/2025-12-10_daily-papers.txt``: the text dump is
the oracle for their titles and abstracts.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from browser.dump_files import DUMP_SUFFIXES
from browser.identity import paper_id
from browser.models import Organization
from browser.parse import parse_bytes, parse_file, parse_text

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "markdown"
SAMPLE = Path(__file__).resolve().parent.parent / "sample_dumps" / "2025-12-10_daily-papers.txt"
HF = "https://huggingface.co"
EXTRA_TITLE = "[Re] *Sparse* Rewards_v2: A <Study> of $\\alpha$-Divergence & Friends"
EXTRA_ABSTRACT = (
    "We revisit sparse_rewards [1] with *care* and code at https://github.com/x/sparse."
)
# (arXiv id, upvotes, authors, organization, date, year inferred, comments) of each card.
CARDS = [
    ("2510.07962", 42, 6, None, dt.date(2025, 10, 9), True, 3),
    ("2506.13901", 0, 15, None, dt.date(2025, 6, 16), True, 2),
    (
        "2509.07430",
        7,
        None,
        Organization(slug="Kwai", name="Kuaishou"),
        dt.date(2025, 9, 9),
        True,
        None,
    ),
    ("2309.16240", 12, 5, None, dt.date(2023, 9, 28), False, None),
    ("2512.00001", 1, 1, None, dt.date(2025, 12, 10), True, 1),
]


@pytest.mark.parametrize("path", sorted(FIXTURES.glob("*.md")), ids=lambda path: path.name)
def test_each_clipper_form_gives_exactly_its_papers(path: Path) -> None:
    parsed = parse_file(path)
    assert parsed.problems == []
    assert parsed.refusal is None
    oracle = parse_file(SAMPLE).records[:4]
    titles = [record.title for record in oracle] + [EXTRA_TITLE]
    abstracts = [record.abstract for record in oracle] + [EXTRA_ABSTRACT]
    assert [record.title for record in parsed.records] == titles
    assert [record.abstract for record in parsed.records] == abstracts
    for record, (arxiv, upvotes, authors, org, date, inferred, comments) in zip(
        parsed.records, CARDS, strict=True
    ):
        assert record.id == paper_id(record.title)
        assert record.arxiv_id == arxiv
        assert (record.upvotes, record.authors, record.organization) == (upvotes, authors, org)
        assert (record.date, record.year_inferred, record.comments) == (date, inferred, comments)
        assert record.links[-2:] == [f"https://arxiv.org/abs/{arxiv}", f"{HF}/papers/{arxiv}"]
        assert record.source.file == str(path)
    assert parsed.records[0].links[0] == "https://github.com/HKUDS/LightReasoner"
    assert parsed.records[4].links[0] == "https://github.com/x/sparse"


def test_the_card_lines_are_where_the_titles_are() -> None:
    path = FIXTURES / "obsidian-clipper.md"
    lines = path.read_text(encoding="utf-8").split("\n")
    records = parse_file(path).records
    for record in records:
        assert lines[record.source.line - 1].startswith("### [")


def test_markdown_is_walked_in_folders() -> None:
    assert {".md", ".markdown"} <= DUMP_SUFFIXES


def card(title: str = "A Title", pid: str = "2501.00001", **parts: str) -> str:
    upvotes = parts.get("upvotes", f"[5]({HF}/login)\n\n")
    abstract = parts.get("abstract", f"[An abstract.]({HF}/papers/{pid})\n\n")
    byline = parts.get("byline", f"[- 3 authors]({HF}/papers/{pid})\n\n")
    footer = parts.get("footer", "·\n\nMar 6\n\n")
    return f"{upvotes}### [{title}]({HF}/papers/{pid})\n\n{abstract}{byline}{footer}"


def test_year_rules_follow_the_page_date() -> None:
    text = "# Daily Papers\n\nJan 3\n\n" + card(footer="·\n\nDec 30 4\n\n")
    (record,) = parse_text(text, "copy.md", anchor=dt.date(2026, 2, 1)).records
    assert (record.date, record.year_inferred, record.comments) == (dt.date(2025, 12, 30), True, 4)
    # The page address in front matter is the exact page date, whatever the file's age.
    front = f'---\nsource: "{HF}/papers/date/2024-01-03"\n---\n\n'
    (record,) = parse_text(front + card(footer="· Dec 30\n"), "copy.md").records
    assert record.date == dt.date(2023, 12, 30)


def test_clipper_furniture_is_not_a_paper() -> None:
    furniture = (
        f"![banner]({HF}/front/banner.png)\n\n[Log In]({HF}/login)\n\n[Sign Up]({HF}/join)\n\n"
        f"* [Daily]({HF}/papers)\n* [Weekly]({HF}/papers/week/2025-W50)\n\n---\n\n"
        f"[Previous]({HF}/papers/date/2025-12-09)\n\n[![]({HF}/thumb.png)]({HF}/papers/2501.00001)\n\n"
    )
    parsed = parse_text(furniture + card() + "\n[See more]({HF}/papers?p=2)\n", "copy.md")
    assert [(r.title, r.abstract, r.authors, r.upvotes) for r in parsed.records] == [
        ("A Title", "An abstract.", 3, 5)
    ]


def test_organisation_with_only_an_avatar_keeps_its_slug() -> None:
    byline = f"[![](https://cdn-avatars.huggingface.co/x.png)]({HF}/nvidia)\n\n"
    (record,) = parse_text(card(byline=byline), "copy.md").records
    assert (record.organization, record.authors) == (
        Organization(slug="nvidia", name="nvidia"),
        None,
    )


def test_a_lone_user_link_is_not_an_organisation() -> None:
    text = card(byline=f"[akhaliq]({HF}/akhaliq)\n\n[- 3 authors]({HF}/papers/2501.00001)\n\n")
    (record,) = parse_text(text, "copy.md").records
    assert (record.organization, record.authors) == (None, 3)


def test_a_card_cut_short_keeps_its_title_with_a_warning() -> None:
    parsed = parse_text(
        card() + f"[9]({HF}/login)\n\n### [Cut Off]({HF}/papers/2501.00002)\n", "c.md"
    )
    assert [(r.title, r.abstract, r.upvotes) for r in parsed.records] == [
        ("A Title", "An abstract.", 5),
        ("Cut Off", "", 9),
    ]
    assert [problem.message for problem in parsed.problems] == ["a title without an abstract"]


@pytest.mark.parametrize(
    "text",
    [
        # A digest that links paper pages, without the page's cards.
        f"## [A Paper]({HF}/papers/2501.00001)\n- Votes: 5\n- Authors: A, B\n- Summary.\n",
        f"# My reading list\n\n### [A Paper]({HF}/papers/2501.00001)\n\nWhy I liked it.\n",
        "**[A Paper](/papers/2501.00001)**\n\nNotes.\n\n**[Another](/papers/2501.00002)**\n",
    ],
)
def test_markdown_that_only_links_papers_is_refused(text: str) -> None:
    parsed = parse_bytes(text.encode(), "digest.md")
    assert parsed.records == []
    (problem,) = parsed.problems
    assert problem.message == (
        "not a Daily Papers dump (Markdown with 0 links to papers, but no Daily Papers cards: "
        "no upvotes, author counts or '·' dates); skipped"
    ) or re.fullmatch(
        r"not a Daily Papers dump \(Markdown with \d+ links? to papers, but no Daily Papers "
        r"cards: no upvotes, author counts or '·' dates\); skipped",
        problem.message,
    )


# -- property: any card, in either layout, reads back ---------------------------------------------

TEXT = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp")), min_size=1, max_size=40
).filter(lambda text: text.strip() == text and text.strip())


def escape(text: str) -> str:
    return re.sub(r"([\\`*_{}\[\]()<>#+\-.!|&])", r"\\\1", text)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.tuples(TEXT, TEXT, st.integers(0, 999), st.integers(1, 99)), min_size=1, max_size=5
    ),
    st.booleans(),
)
def test_any_cards_read_back(cards: list[tuple[str, str, int, int]], relative: bool) -> None:
    base = "" if relative else HF
    text = "# Daily Papers\n\nDec 10\n\n"
    for number, (title, abstract, upvotes, authors) in enumerate(cards):
        pid = f"2501.{number:05d}"
        text += (
            f"[{upvotes}]({base}/login)\n### [{escape(title)}]({base}/papers/{pid})\n"
            f"[{escape(abstract)}]({base}/papers/{pid})\n"
            f"[- {authors} authors]({base}/papers/{pid})\n"
            f"· Dec {1 + number}\n\n"
        )
    parsed = parse_text(text, "2025-12-10.md")
    assert parsed.problems == []
    assert [(r.title, r.abstract, r.upvotes, r.authors) for r in parsed.records] == [
        (title, abstract, upvotes, authors) for title, abstract, upvotes, authors in cards
    ]
    assert [r.date for r in parsed.records] == [dt.date(2025, 12, 1 + n) for n in range(len(cards))]
