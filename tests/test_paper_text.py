"""One paper as display text: readable math with highlights mapped, safe links, byline."""

from __future__ import annotations

import datetime as dt

import pytest
from rich.style import Style as RichStyle

from browser.links import is_web_link
from browser.models import Highlight, Paper
from browser.widgets.paper_text import display_text, facts_line, link_text, tags_line


def links_in(stored: str) -> list[tuple[str, str]]:
    """(shown text, link target) of every linked span."""
    content = display_text(stored)
    found = []
    for span in content.spans:
        style = span.style
        link = style.link if not isinstance(style, str) else None
        if link:
            found.append((content.plain[span.start : span.end], link))
    return found


@pytest.mark.parametrize(
    ("url", "ok"),
    [
        ("https://github.com/example/x", True),
        ("http://arxiv.org/abs/2401.00001", True),
        ("HTTPS://EXAMPLE.COM", True),
        ("javascript:alert(1)", False),
        ("file:///etc/passwd", False),
        ("https://", False),
        ("https://exa mple.com", False),
        ("https://example.com/\x1b]8;;x\x07", False),
        ("https://example.com/\x9b31m", False),
    ],
)
def test_only_plain_web_links_qualify(url: str, ok: bool) -> None:
    assert is_web_link(url) is ok
    linked = link_text(url)
    expected = RichStyle.parse("underline") + RichStyle(link=url) if ok else None
    assert (
        (linked.style == expected)
        if ok
        else (not isinstance(linked.style, RichStyle) or linked.style.link is None)
    )
    assert "\x1b" not in linked.plain


def test_urls_in_running_text_are_linked_without_trailing_punctuation() -> None:
    stored = (
        "Code at https://github.com/a/b. See (https://x.org/y) and "
        "https://en.wikipedia.org/wiki/Flow_(math), not javascript:alert(1) "
        "or http://evil\x1b]8;;http://x\x07 here."
    )
    assert links_in(stored) == [
        ("https://github.com/a/b", "https://github.com/a/b"),
        ("https://x.org/y", "https://x.org/y"),
        (
            "https://en.wikipedia.org/wiki/Flow_(math)",
            "https://en.wikipedia.org/wiki/Flow_(math)",
        ),
    ]


def test_markup_in_text_is_shown_literally() -> None:
    stored = "[@click=app.quit]x[/] [link=https://evil]y[/link]"
    content = display_text(stored)
    assert content.plain == stored
    # A link always goes where its visible text says: no hidden targets.
    assert links_in(stored) == [("https://evil", "https://evil")]


def test_highlights_land_on_the_shown_words_after_math() -> None:
    stored = r"$\pi$-Flow and $\alpha$-divergence flows"
    flows = stored.index("flows")
    content = display_text(stored, [Highlight(start=flows, end=flows + 5)])
    assert content.plain == "π-Flow and α-divergence flows"
    (span,) = [span for span in content.spans if span.style]
    assert content.plain[span.start : span.end] == "flows"


def test_the_byline_names_the_listing_day_when_it_differs() -> None:
    paper = Paper(id="hf-1", title="T", date=dt.date(2024, 5, 1), authors=3, comments=2)
    line = facts_line(paper)
    assert line is not None
    assert line.plain == "Date 2024-05-01   By 3 authors   Comments 2"
    # The listing day comes from the ingest stage when it knows it.
    listed = paper.model_copy(update={"listed": dt.date(2024, 5, 3)})
    shown = facts_line(listed)
    assert shown is not None and "Listed 2024-05-03" in shown.plain
    same = paper.model_copy(update={"listed": dt.date(2024, 5, 1)})
    shown = facts_line(same)
    assert shown is not None and "Listed" not in shown.plain


def test_a_fact_or_a_tag_is_never_split_across_lines() -> None:
    """At 80 columns the pane's facts wrapped as text: "Comments" ended one line and
    its "3" began the next. Fitted to the width, a label keeps its value."""
    paper = Paper(
        id="hf-1",
        title="T",
        date=dt.date(2025, 12, 2),
        year_inferred=True,
        listed=dt.date(2025, 12, 25),
        authors=5,
        comments=3,
    )
    whole = facts_line(paper)
    assert whole is not None
    facts = whole.plain.split("   ")
    fitted_line = facts_line(paper, 76)
    assert fitted_line is not None
    rows = fitted_line.plain.split("\n")
    assert len(rows) == 2 and all(len(row) <= 76 for row in rows), rows
    assert [fact for row in rows for fact in row.split("   ")] == facts
    assert rows[1] == "Comments 3"
    tags = tags_line(["to read", "reinforcement learning", "cite"], "unread (r marks read)", 30)
    rows = tags.plain.split("\n")
    assert rows == ["Tags  to read ", " reinforcement learning ", " cite    unread (r marks read)"]
