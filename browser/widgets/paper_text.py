"""One paper as display text: shared by the abstract pane and the reader.

Dump text is untrusted: everything here is built from plain strings into ``Content``
and rich ``Text`` objects, never parsed as markup. Control characters are made
visible first (``safe_text`` keeps offsets), inline LaTeX is shown as Unicode
(``readable_math`` maps the search highlight spans onto the shown text), and web
links become OSC 8 terminal hyperlinks through a rich ``Style(link=...)``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path, PurePath
from typing import TYPE_CHECKING, Any

from rich.cells import cell_len
from rich.style import Style
from rich.text import Text
from textual import events
from textual.content import Content
from textual.message import Message
from textual.widgets import Static

from browser.links import is_web_link
from browser.safe_text import safe_line, safe_text
from browser.widgets.line_fitting import pack_lines
from browser.widgets.results_table import paper_byline

if TYPE_CHECKING:
    from browser.models import Highlight, Paper, SearchHit

MATCH_STYLE = "bold $text-warning on $warning-muted"
LABEL_STYLE = "$text-muted"
TITLE_STYLE = "bold $text-primary"
# A URL in running text ends before whitespace, quotes, angle brackets or a closing
# bracket; trailing sentence punctuation is not part of it.
_URL = re.compile(r"https?://[^\s<>\"'`\]\[{}|\\^]+", re.IGNORECASE)
_TRAILING = ".,;:!?)"
FACT_GAP = "   "  # between two facts of the facts line, and before the read mark
TAG_GAP = "  "  # between two tags


def link_text(url: str, style: str = "underline") -> Text:
    """``url`` shown as itself, clickable (OSC 8) when it is a web link."""
    shown = safe_line(url)
    if not is_web_link(url):
        return Text(shown, end="")
    return Text(shown, style=Style.parse(style) + Style(link=url), end="")


def _url_spans(text: str) -> list[tuple[int, int, str]]:
    spans = []
    for match in _URL.finditer(text):
        url = match.group().rstrip(_TRAILING)
        if url.count("(") > url.count(")") and match.group()[len(url) :].startswith(")"):
            url += ")"  # Wikipedia-style URLs keep their own closing bracket
        if is_web_link(url):
            spans.append((match.start(), match.start() + len(url), url))
    return spans


def display_text(
    stored: str,
    highlights: Sequence[Highlight] = (),
    *,
    base_style: str = "",
    one_line: bool = False,
) -> Content:
    """Stored dump text as shown: safe, readable math, matches highlighted, links clickable.

    ``highlights`` are character offsets into ``stored`` (as the index reports them).
    """
    safe = safe_line(stored) if one_line else safe_text(stored)
    # Here: pylatexenc is not needed for a kept first screen (launch time).
    from browser.readable_math import readable_math

    readable = readable_math(safe)
    text = Text(readable.text, end="")
    # Links are found in the stored text: safe_text keeps offsets, and a URL with a
    # control character in it is no link at all.
    for start, end, url in _url_spans(stored):
        shown_start, shown_end = readable.shown_span(start, end)
        text.stylize(Style(underline=True, link=url), shown_start, shown_end)
    content = Content.from_rich_text(text)
    if base_style:
        content = content.stylize_before(base_style)
    for span in highlights:
        start, end = readable.shown_span(span.start, span.end)
        content = content.stylize(MATCH_STYLE, start, end)
    return content


def _home_relative(file: str) -> str:
    """A dump's path with the home folder written ``~``, as a shell user would type it."""
    try:
        return str(PurePath("~") / PurePath(file).relative_to(Path.home()))
    except (ValueError, RuntimeError):  # not under home, or no home at all
        return file


def _field(label: str, value: str | Content) -> Content:
    shown = value if isinstance(value, Content) else Content(safe_line(value))
    return Content.assemble((f"{label} ", LABEL_STYLE), shown)


def facts_line(paper: Paper, width: int | None = None) -> Content | None:
    """Date, listing day, authors or organisation, comments, upvotes, arXiv id, fitted
    to ``width`` (``fitted``)."""
    facts: list[Content] = []
    if paper.date is not None:
        approximate = " (year guessed)" if paper.year_inferred else ""
        facts.append(_field("Date", paper.date.isoformat() + approximate))
    # The listing day (the Daily Papers page the paper was listed on) where the dump says.
    listed = paper.listed
    if listed is not None and listed != paper.date:
        facts.append(_field("Listed", listed.isoformat()))
    byline = paper_byline(paper)
    if byline:
        facts.append(_field("By", byline))
    if paper.organization is not None and paper.authors:
        facts.append(_field("Authors", str(paper.authors)))
    if paper.comments is not None:
        facts.append(_field("Comments", str(paper.comments)))
    if paper.upvotes is not None:
        facts.append(_field("Upvotes", str(paper.upvotes)))
    if paper.arxiv_id:
        facts.append(_field("arXiv", paper.arxiv_id))
    return fitted(facts, FACT_GAP, width) if facts else None


def fitted(pieces: Sequence[Content], gap: str, width: int | None) -> Content:
    """``pieces`` joined by ``gap``, a line break instead where the next piece would not
    fit whole in ``width`` cells (None: one line). A label stays with its value and a
    tag stays whole: wrapped as text, the pane at 80 columns showed "Comments" at the
    end of one line and its "3" alone on the next."""
    if width is None:
        return Content(gap).join(pieces)
    widths = [piece.cell_length for piece in pieces]
    lines = [[pieces[i] for i in line] for line in pack_lines(widths, len(gap), width)]
    return Content("\n").join(Content(gap).join(line) for line in lines)


def tags_line(tags: Sequence[str], state: str = "", width: int | None = None) -> Content:
    """The paper's tags, then ``state`` (its read mark), each tag whole on a line."""
    label = Content.styled("Tags", LABEL_STYLE)
    shown = [Content.styled(f" {safe_line(tag)} ", "reverse $accent") for tag in tags]
    if not shown:
        shown = [Content.styled("no tags yet", LABEL_STYLE)]
    # The label goes with the first tag; the tags two cells apart, the state three.
    pieces = [Content.assemble(label, " ", shown[0]), *shown[1:]]
    line = fitted(pieces, TAG_GAP, width)
    if not state:
        return line
    last_line = line.plain.rsplit("\n", 1)[-1]
    marked = Content.styled(state, LABEL_STYLE)
    fits = width is None or cell_len(last_line) + len(FACT_GAP) + marked.cell_length <= width
    return Content.assemble(line, FACT_GAP if fits else "\n", marked)


def note_lines(note: str) -> list[Content]:
    """The user's note under a label, its Markdown rendered (``note_markdown``: styled,
    never markup, only web links clickable)."""
    if not note.strip():
        return []
    # The list edits a note with n; in the reader n is "next", so N edits there.
    label = Content.styled("Note (n edits; N in the reader)", LABEL_STYLE)
    from browser.widgets.note_markdown import note_markdown  # not for a kept first screen

    return [label, note_markdown(note.strip("\n"))]


def paper_content(
    hit: SearchHit,
    tags: Sequence[str],
    *,
    full_paths: bool = False,
    note: str = "",
    read: bool | None = None,
    width: int | None = None,
) -> Content:
    """Everything about one paper; ``full_paths`` names each dump file by its whole path.

    ``note`` (the user's Markdown, rendered) follows the tags; ``read`` adds a
    read/unread mark to the tags line when known. ``width``: the cells the text is
    shown in, for the facts and tags lines (``fitted``)."""
    paper = hit.paper
    parts: list[Content] = [
        display_text(paper.title, hit.title_highlights, base_style=TITLE_STYLE, one_line=True),
        Content(""),
    ]
    facts = facts_line(paper, width)
    if facts is not None:
        parts.append(facts)
    state = "" if read is None else "marked read" if read else "unread (r marks read)"
    parts.append(tags_line(tags, state, width))
    parts.extend(note_lines(note))
    parts.append(Content(""))
    if paper.abstract:
        parts.append(display_text(paper.abstract, hit.abstract_highlights))
    else:
        parts.append(Content.styled("(no abstract in the dump)", LABEL_STYLE))
    if paper.links:
        parts.append(Content(""))
        parts.append(Content.styled("Links", LABEL_STYLE))
        parts.extend(Content.from_rich_text(link_text(link)) for link in paper.links)
    if paper.sources:
        parts.append(Content(""))
        parts.append(Content.styled("Found in", LABEL_STYLE))
        for source in paper.sources:
            # In the pane the file name is enough to find it again, and fits.
            where = _home_relative(source.file) if full_paths else PurePath(source.file).name
            parts.append(Content.styled(safe_line(f"{where}:{source.line}"), LABEL_STYLE))
    return Content("\n").join(parts)


class LinkClicked(Message):
    """A web link in a paper was clicked; the app opens it (in a worker)."""

    def __init__(self, url: str) -> None:
        super().__init__()
        self.url = url


class PaperText(Static):
    """A paper's text; a click on one of its links asks the app to open it.

    Terminals open OSC 8 links themselves only when the app does not capture the
    mouse; this makes a plain click work everywhere.
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        # The paper shown, as paper_content's arguments but the width: laid out again
        # when the width changes.
        self._paper: tuple[SearchHit, tuple[str, ...], dict[str, Any]] | None = None
        self._laid_out_width = 0

    def show_paper(
        self,
        hit: SearchHit,
        tags: Sequence[str],
        *,
        full_paths: bool = False,
        note: str = "",
        read: bool | None = None,
    ) -> None:
        self._paper = (hit, tuple(tags), {"full_paths": full_paths, "note": note, "read": read})
        self._lay_out()

    def show_message(self, message: Content) -> None:
        self._paper = None
        self.update(message)

    def _lay_out(self) -> None:
        if self._paper is None:
            return
        hit, tags, options = self._paper
        self._laid_out_width = self.content_size.width
        width = self._laid_out_width or None  # unknown before the first layout
        self.update(paper_content(hit, tags, width=width, **options))

    def on_resize(self, event: events.Resize) -> None:
        if self.content_size.width != self._laid_out_width:
            self._lay_out()

    def on_click(self, event: events.Click) -> None:
        url = event.style.link
        if url and is_web_link(url):
            event.stop()
            self.post_message(LinkClicked(url))
