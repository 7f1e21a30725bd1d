"""The highlighted paper in full: title, metadata, tags, abstract with matches, links."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import PurePath

from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.content import Content
from textual.widgets import Static

from browser.models import Highlight, SearchHit
from browser.safe_text import safe_line, safe_text
from browser.widgets.results_table import paper_byline

MATCH_STYLE = "bold $text-warning on $warning-muted"
LABEL_STYLE = "$text-muted"


def _highlighted(text: str, spans: Sequence[Highlight], base_style: str = "") -> Content:
    # safe_text keeps offsets, so the index's spans still point at the right characters.
    content = Content(text)
    if base_style:
        content = content.stylize(base_style)
    for span in spans:
        content = content.stylize(MATCH_STYLE, span.start, span.end)
    return content


def _field(label: str, value: str) -> Content:
    return Content.assemble((f"{label} ", LABEL_STYLE), safe_line(value))


def paper_content(hit: SearchHit, tags: Sequence[str]) -> Content:
    """Everything about one paper, built from plain strings (dump text is never markup)."""
    paper = hit.paper
    parts: list[Content] = [
        _highlighted(safe_line(paper.title), hit.title_highlights, "bold $text-primary"),
        Content(""),
    ]
    facts: list[Content] = []
    if paper.date is not None:
        approximate = " (year guessed)" if paper.year_inferred else ""
        facts.append(_field("Date", paper.date.isoformat() + approximate))
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
    if facts:
        parts.append(Content("   ").join(facts))
    tag_line = (
        Content("  ").join(Content.styled(f" {safe_line(tag)} ", "reverse $accent") for tag in tags)
        if tags
        else Content.styled("no tags yet", LABEL_STYLE)
    )
    parts.append(Content.assemble(("Tags ", LABEL_STYLE), tag_line))
    parts.append(Content(""))
    if paper.abstract:
        parts.append(_highlighted(safe_text(paper.abstract), hit.abstract_highlights))
    else:
        parts.append(Content.styled("(no abstract in the dump)", LABEL_STYLE))
    if paper.links:
        parts.append(Content(""))
        parts.append(Content.styled("Links", LABEL_STYLE))
        parts.extend(Content.styled(safe_line(link), "underline") for link in paper.links)
    if paper.sources:
        parts.append(Content(""))
        parts.append(Content.styled("Found in", LABEL_STYLE))
        parts.extend(
            # The file name is enough to find it again, and fits the pane.
            Content.styled(safe_line(f"{PurePath(source.file).name}:{source.line}"), LABEL_STYLE)
            for source in paper.sources
        )
    return Content("\n").join(parts)


class AbstractPane(VerticalScroll, can_focus=False):
    """Scrolls with the mouse wheel, or J/K from the list; focus stays on the list."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        # Kept, not queried: updates may still arrive while the app shuts down.
        self._paper = Static(id="paper")

    def compose(self) -> ComposeResult:
        yield self._paper

    def show(self, hit: SearchHit | None, tags: Sequence[str], empty_message: str = "") -> None:
        paper = self._paper
        if hit is None:
            paper.update(Content.styled(empty_message, LABEL_STYLE))
        else:
            paper.update(paper_content(hit, tags))
        self.scroll_home(animate=False)

    def refresh_tags(self, hit: SearchHit, tags: Sequence[str]) -> None:
        """Re-render after a tag change without losing the reading position."""
        self._paper.update(paper_content(hit, tags))
