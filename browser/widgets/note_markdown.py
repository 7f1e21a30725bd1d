"""A note's Markdown as display text, for the abstract pane and the reader.

The note is the user's own text, but it may hold anything pasted (a title with Rich
markup, escape codes): it is parsed as CommonMark by markdown-it (raw HTML off, so
tags stay text) and every piece of text is built into ``Content`` as plain characters,
never as markup. Headings, emphasis, code, lists, quotes and rules are styled; links
are clickable only when they are web links (``links.is_web_link``), else shown as text.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

from rich.style import Style
from rich.text import Text
from textual.content import Content

from browser.links import is_web_link
from browser.safe_text import safe_line

if TYPE_CHECKING:
    from markdown_it import MarkdownIt
    from markdown_it.token import Token

__all__ = ["note_markdown"]


@cache
def _parser() -> MarkdownIt:
    # Imported on the first note shown, not at launch: most papers have no note.
    from markdown_it import MarkdownIt

    # html=False: "<b>" in a note is the text "<b>", as typed.
    return MarkdownIt("commonmark", {"html": False}).enable("strikethrough")


CODE_STYLE = "$text-accent"
HEADING_STYLE = "bold $text-primary"
QUOTE_BAR = "▌ "
RULE = "─" * 24
_INLINE_STYLES = {"em": "italic", "strong": "bold", "s": "strike"}


@dataclass
class _Item:
    """A list item: its marker on its first line, as much blank space on the others."""

    marker: str
    used: bool = False


@dataclass
class _List:
    ordered: bool
    next_number: int


_Container = _Item | str  # str: a block quote


def _prefix(stack: Sequence[_Container]) -> str:
    parts: list[str] = []
    for entry in stack:
        if isinstance(entry, str):
            parts.append(entry)
        else:
            parts.append(" " * len(entry.marker) if entry.used else entry.marker)
            entry.used = True
    return "".join(parts)


def _piece(text: str, styles: Sequence[str], link: str | None) -> Content:
    shown = safe_line(text)
    if link is not None:
        content = Content.from_rich_text(Text(shown, style=Style(underline=True, link=link)))
    else:
        content = Content(shown)
    return content.stylize_before(" ".join(styles)) if styles else content


def _inline_lines(children: Sequence[Token]) -> list[Content]:
    """One inline run as lines (a line break in the note stays one)."""
    lines: list[list[Content]] = [[]]
    styles: list[str] = []
    link: str | None = None
    for child in children:
        kind = child.type
        name, _, edge = kind.rpartition("_")
        if kind in ("text", "html_inline"):
            lines[-1].append(_piece(child.content, styles, link))
        elif kind == "code_inline":
            lines[-1].append(Content.styled(safe_line(child.content), CODE_STYLE))
        elif kind in ("softbreak", "hardbreak"):
            lines.append([])
        elif name in _INLINE_STYLES and edge in ("open", "close"):
            if edge == "open":
                styles.append(_INLINE_STYLES[name])
            elif styles:
                styles.pop()
        elif kind == "link_open":
            href = str(child.attrs.get("href", ""))
            link = href if is_web_link(href) else None
        elif kind == "link_close":
            link = None
        elif kind == "image":
            lines[-1].append(_piece(f"[image: {child.content}]", styles, None))
    return [Content("").join(parts) for parts in lines]


def note_markdown(note: str) -> Content:
    """``note`` (Markdown) as styled lines; the text itself is never markup."""
    lines: list[Content] = []
    stack: list[_Container] = []
    lists: list[_List] = []
    block_style = ""

    def add(content: Content, style: str = "") -> None:
        if style:
            content = content.stylize_before(style)
        lines.append(Content.assemble(_prefix(stack), content))

    def gap() -> None:
        # A blank line between top-level blocks, none inside lists and quotes.
        if lines and not stack and lines[-1].plain.strip():
            lines.append(Content(""))

    for token in _parser().parse(note):
        kind = token.type
        if kind == "heading_open":
            gap()
            block_style = HEADING_STYLE + (" underline" if token.tag in ("h1", "h2") else "")
        elif kind == "paragraph_open":
            gap()
        elif kind in ("heading_close", "paragraph_close"):
            block_style = ""
        elif kind == "inline":
            for line in _inline_lines(token.children or []):
                add(line, block_style)
        elif kind in ("bullet_list_open", "ordered_list_open"):
            gap()
            start = int(str(token.attrs.get("start", 1) or 1))
            lists.append(_List(kind == "ordered_list_open", start))
        elif kind in ("bullet_list_close", "ordered_list_close"):
            if lists:
                lists.pop()
        elif kind == "list_item_open":
            current = lists[-1] if lists else _List(False, 1)
            marker = f"{current.next_number}. " if current.ordered else "• "
            current.next_number += 1
            stack.append(_Item(marker))
        elif kind == "blockquote_open":
            gap()
            stack.append(QUOTE_BAR)
        elif kind in ("list_item_close", "blockquote_close"):
            if stack:
                stack.pop()
        elif kind in ("fence", "code_block", "html_block"):
            gap()
            style = "" if kind == "html_block" else CODE_STYLE
            for code_line in token.content.rstrip("\n").split("\n"):
                add(Content(safe_line(code_line)), style)
        elif kind == "hr":
            gap()
            add(Content(RULE), "$text-muted")
    return Content("\n").join(lines)
