"""A note's Markdown as display text: styled, never markup, only web links clickable."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from textual.content import Content

from browser.widgets.note_markdown import note_markdown


def styles(content: Content, text: str) -> list[object]:
    """The styles of the spans that cover ``text`` in ``content``."""
    start = content.plain.index(text)
    return [
        span.style for span in content.spans if span.start <= start and span.end > start
    ]


def test_headings_emphasis_code_lists_and_quotes_are_rendered() -> None:
    note = "# Verdict\n\nA *solid* **baseline**, `code`.\n\n- one\n- two\n  1. deep\n\n> quoted"
    shown = note_markdown(note)
    lines = shown.plain.split("\n")
    assert lines[0] == "Verdict"
    assert "A solid baseline, code." in lines
    assert "• one" in lines and "• two" in lines and "  1. deep" in lines
    assert "▌ quoted" in lines
    assert any("bold" in str(style) for style in styles(shown, "Verdict"))
    assert "italic" in map(str, styles(shown, "solid"))
    assert "bold" in map(str, styles(shown, "baseline"))


def test_a_line_break_in_the_note_stays_one() -> None:
    assert note_markdown("first line\nsecond line").plain == "first line\nsecond line"


def test_only_web_links_are_clickable() -> None:
    shown = note_markdown("[paper](https://arxiv.org/abs/1) [local](file:///etc/passwd)")
    links = [getattr(span.style, "link", None) for span in shown.spans]
    assert "https://arxiv.org/abs/1" in links
    assert not any(link and "file:" in link for link in links)
    assert "local" in shown.plain


def test_markup_html_and_control_characters_stay_text() -> None:
    note = "[bold]x[/bold] <b>y</b> [@click=app.quit]z[/] \x1b[2J \u202e"
    shown = note_markdown(note)
    assert "[bold]x[/bold] <b>y</b> [@click=app.quit]z[/]" in shown.plain
    assert "\x1b" not in shown.plain and "\u202e" not in shown.plain
    assert all(isinstance(span.style, str) or span.style.link is None for span in shown.spans)


@given(st.text(max_size=300))
def test_any_note_renders_without_raising_or_raw_controls(note: str) -> None:
    shown = note_markdown(note).plain
    assert "\x1b" not in shown and "\x00" not in shown
    # Every letter typed is still there, somewhere: rendering hides syntax, not words.
    for word in note.split():
        letters = "".join(ch for ch in word if ch.isalnum())
        if letters and letters.isascii():
            assert letters[0] in shown
