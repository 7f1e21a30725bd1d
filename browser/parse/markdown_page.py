"""Markdown copies of a Daily Papers page, as web clippers and page-to-Markdown scrapers save them.

A card of the page becomes, in whichever order and spacing the tool chose::

    [42](https://huggingface.co/login?next=%2Fpapers)        the upvote count, before the title
    ### [Title](https://huggingface.co/papers/2510.07962)    the title: a link to /papers/ID
    [The abstract ...](https://huggingface.co/papers/2510.07962)
    [- 5 authors](https://huggingface.co/papers/2510.07962)  or an organisation avatar link:
    [![](https://cdn-avatars...)NVIDIA](https://huggingface.co/nvidia)
    ·
    Oct 9 [2](https://huggingface.co/papers/2510.07962#community)   the date; the comment count

Links may be relative (``/papers/ID``), list or quote markers may lead a line, the
``·`` may share the date's line, and the abstract may be plain text. Everything
else (front matter, images, login links, tab lists, "Submitted by") is furniture.
The page date (the listing day) comes from the header's date line or, exactly,
from a ``.../papers/date/YYYY-MM-DD`` address in the front matter; year-less
dates follow the rules of :mod:`browser.parse.dates`.

A file is a Markdown copy only with cards and evidence of the page: card details
(upvotes, author counts, an organisation, a ``·`` date) or the page's header
lines. A digest that merely links paper pages is refused.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from browser.models import Organization, ParsedRecord, ParseProblem
from browser.parse.dates import DateResolver, match_date
from browser.parse.lines import DOT, PAGE_MARKS, iter_lines
from browser.parse.links import extract_links
from browser.parse.result import NOT_A_DUMP, cached_paper_id
from browser.wording import counted

__all__ = ["MarkdownParser", "looks_like_markdown_page"]

_HF = r"(?:https?://(?:www\.)?(?:huggingface\.co|hf\.co))"
_PAPER_URL = re.compile(_HF + r"?/papers/(\d{4}\.\d{4,5})(?:v\d+)?(?:[/?#]\S*)?")
_ORG_URL = re.compile(_HF + r"?/([A-Za-z0-9][\w.-]*)/?")
_NOT_ORGS = frozenset({"papers", "login", "join", "models", "datasets", "spaces", "docs", "blog"})
_PAGE_DATE_URL = re.compile(r"/papers(?:/date/|\?date=)(\d{4})-(\d{2})-(\d{2})")
_FRONT_MATTER_SOURCE = re.compile(r"(?:source|url|url source|original_url)\s*:", re.IGNORECASE)
# [text](url "title"): text may hold an image ![alt](src) or escaped brackets.
_LINK = re.compile(
    r"(!?)\[((?:[^\[\]\\]|\\.|!?\[(?:[^\[\]\\]|\\.)*\]\([^()\s]*\))*)\]"
    r"\(<?([^()\s<>]*)>?(?:\s+\"[^\"]*\")?\)"
)
_IMAGE = re.compile(r"!\[((?:[^\[\]\\]|\\.)*)\]\([^()\s]*\)")
_MARKERS = re.compile(r"(?:>\s*)*(?:(?:[*+-]|\d{1,3}[.)])\s+)?")
_HEADING = re.compile(r"(#{1,6})\s+(.*?)(?:\s+#+)?")
_EMPHASIS = re.compile(r"(\*\*|__|\*|_)(.+)\1")
# A backslash escape or an HTML entity, undone in one pass (so "\\&amp;" stays "&amp;").
_ESCAPE_OR_ENTITY = re.compile(
    r"\\([!-/:-@\[-`{-~])|&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});"
)
_IMAGE_NUMBER = re.compile(r"Image \d+(?::\s*|$)")  # alt text numbered by reader services
_AUTHORS = re.compile(r"[-•*·]?\s*(\d{1,9})\s+authors?", re.IGNORECASE | re.ASCII)
_COUNT = re.compile(r"\d{1,9}|-")
# Cheap first look (on the first chunk): a heading or bold link to a paper page.
_SNIFF = re.compile(
    r"^[ \t>*+-]*(?:#{1,6}[ \t]+|\*\*)\[[^\n]*\]\(" + _HF + r"?/papers/\d{4}\.", re.M
)


def looks_like_markdown_page(head: str) -> bool:
    """Whether text starting with ``head`` may be a Markdown copy of the page."""
    return "](" in head and "/papers/" in head and _SNIFF.search(head) is not None


def _unescape(text: str) -> str:
    """Markdown text as shown: backslash escapes and HTML entities undone, ends stripped."""
    if "\\" in text or "&" in text:
        text = _ESCAPE_OR_ENTITY.sub(_undo_escape, text)
    return text.strip()


def _undo_escape(match: re.Match[str]) -> str:
    return match[1] if match[1] is not None else html.unescape(match[0])


def _shown(line: str) -> str:
    """A line as the page showed it: links and images replaced by their text."""
    line = _IMAGE.sub(lambda match: match[1], line)
    return _unescape(_LINK.sub(lambda match: match[2], line))


@dataclass
class _Card:
    title: str
    arxiv_id: str
    line: int
    upvotes: int | None
    abstract: str = ""
    authors: int | None = None
    organization: Organization | None = None
    date: dt.date | None = None
    year_inferred: bool = False
    comments: int | None = None
    after_dot: bool = False
    linked_abstract: bool = False  # the abstract was a link's text (a plain line may be furniture)
    details: list[str] = field(default_factory=list)  # which details were seen, as evidence


class MarkdownParser:
    """One pass over the lines of a Markdown copy: each line is a card's part or furniture."""

    def __init__(self, file: str, dates: DateResolver) -> None:
        self.file = file
        self.dates = dates
        self.records: list[ParsedRecord] = []
        self.problems: list[ParseProblem] = []
        self.refusal: ParseProblem | None = None
        self.card: _Card | None = None
        self.next_upvotes: int | None = None
        self.marks = 0  # page header lines seen (evidence)
        self.details = 0  # card details seen (evidence)

    def run(self, chunks: Iterable[str]) -> None:
        """Read the text given in chunks; records, problems and a refusal are left on self."""
        front_matter = False
        first = True
        for lineno, raw in iter_lines(chunks):
            if raw == "---" and (first or front_matter):
                front_matter = first  # opens on the first line, closes on the next "---"
                first = False
                continue
            first = False
            if front_matter or _FRONT_MATTER_SOURCE.match(raw):
                self._on_page_address(raw)
                continue
            self._on_line(lineno, _MARKERS.sub("", raw, count=1) or raw)
        self._close()
        if not self.records or not (self.details or self.marks):
            cards = len(self.records)
            self.refusal = ParseProblem(
                file=self.file,
                message=f"{NOT_A_DUMP} (Markdown with {counted(cards, 'link')} to papers, but "
                "no Daily Papers cards: no upvotes, author counts or '·' dates); skipped",
            )

    # -- lines ----------------------------------------------------------------------------

    def _on_page_address(self, line: str) -> None:
        match = _PAGE_DATE_URL.search(line)
        if match is None:
            return
        try:
            self.dates.page = dt.date(int(match[1]), int(match[2]), int(match[3]))
        except ValueError:
            return
        self.marks += 1

    def _on_line(self, lineno: int, line: str) -> None:
        heading = _HEADING.fullmatch(line)
        body = heading[2] if heading else line
        emphasis = _EMPHASIS.fullmatch(body)
        if emphasis is not None:
            body = emphasis[2]
        link = _LINK.fullmatch(body)
        if link is not None and not link[1]:
            self._on_link(lineno, link[2], link[3], heading=heading is not None)
            return
        self._on_text(lineno, line)

    def _on_link(self, lineno: int, markdown: str, url: str, *, heading: bool) -> None:
        """A line that is one link: ``markdown`` is its text as written, ``url`` its target."""
        card = self.card
        paper = _PAPER_URL.fullmatch(url)
        text = _shown(markdown)
        if not heading and _COUNT.fullmatch(text):
            count = 0 if text == "-" else int(text)
            if paper is None:  # the upvote button links elsewhere (the login page)
                self.next_upvotes = count
                return
            if card is not None and "#community" in url:
                card.comments = count
                self._detail(card, "comments")
                return
        authors = _AUTHORS.fullmatch(text)
        if authors is not None and card is not None:
            card.authors = int(authors[1])
            self._detail(card, "authors")
            return
        if paper is not None:
            if not text or markdown.startswith("!["):
                return  # a thumbnail linking the paper
            if card is not None and card.arxiv_id == paper[1]:
                if not card.linked_abstract and not heading:
                    card.abstract, card.linked_abstract = text, True
                return
            self._start(text, paper[1], lineno)
            return
        org = _ORG_URL.fullmatch(url)
        # An organisation links its page with its avatar, after the abstract (a lone link to
        # a user, "Submitted by", comes before the title or without an avatar).
        images = _IMAGE.findall(markdown)
        if org is not None and org[1] not in _NOT_ORGS and images and card and card.abstract:
            alts = [_IMAGE_NUMBER.sub("", _unescape(alt), count=1) for alt in images]
            name = _shown(_IMAGE.sub("", markdown)) or next((alt for alt in alts if alt), "")
            card.organization = Organization(slug=org[1], name=name or org[1])
            self._detail(card, "organization")

    def _on_text(self, lineno: int, line: str) -> None:
        card = self.card
        shown = _shown(line)
        if shown.startswith(DOT):
            if card is not None:
                card.after_dot = True
                self._detail(card, "·")
            shown = shown[len(DOT) :].strip()
            if not shown:
                return
        date = match_date(shown)
        if date is not None:
            self._on_date(lineno, date)
            return
        heading_text = shown.lstrip("#").strip()
        if heading_text in PAGE_MARKS or heading_text == "by AK and the research community":
            self.marks += 1
            return
        if card is None:
            if _COUNT.fullmatch(shown):
                self.next_upvotes = 0 if shown == "-" else int(shown)
            return
        authors = _AUTHORS.fullmatch(shown)
        if authors is not None:
            card.authors = int(authors[1])
            self._detail(card, "authors")
        elif _COUNT.fullmatch(shown):
            self.next_upvotes = 0 if shown == "-" else int(shown)
        elif (
            not card.abstract
            and not card.details
            and not line.startswith(("#", "!", "[", "Submitted by"))
            and any(char.isalpha() for char in shown)
        ):
            card.abstract = shown  # a plain-text abstract (a link's text replaces it)

    def _on_date(self, lineno: int, date: re.Match[str]) -> None:
        card = self.card
        if card is None or (not card.after_dot and card.date is not None):
            if self.card is None and not self.records and date["count"] is None:
                self.dates.set_page(date, lineno, self.problems)
            return
        card.date, card.year_inferred = self.dates.resolve(date, lineno, self.problems)
        if date["count"] is not None:
            card.comments = int(date["count"])
        self._detail(card, "date")

    # -- cards ----------------------------------------------------------------------------

    def _detail(self, card: _Card, name: str) -> None:
        card.details.append(name)
        self.details += 1

    def _start(self, title: str, arxiv_id: str, lineno: int) -> None:
        self._close()
        self.card = _Card(title=title, arxiv_id=arxiv_id, line=lineno, upvotes=self.next_upvotes)
        self.next_upvotes = None

    def _close(self) -> None:
        card = self.card
        if card is None:
            return
        self.card = None
        if not card.abstract:
            self.problems.append(
                ParseProblem(file=self.file, line=card.line, message="a title without an abstract")
            )
        links = extract_links(card.abstract)
        links += [
            f"https://arxiv.org/abs/{card.arxiv_id}",
            f"https://huggingface.co/papers/{card.arxiv_id}",
        ]
        self.records.append(
            ParsedRecord.model_validate(
                {
                    "id": cached_paper_id(card.title),
                    "source": {"file": self.file, "line": card.line},
                    "title": card.title,
                    "abstract": card.abstract,
                    "authors": card.authors,
                    "organization": card.organization,
                    "date": card.date,
                    "listed": self.dates.page,
                    "year_inferred": card.year_inferred,
                    "comments": card.comments,
                    "upvotes": card.upvotes,
                    "links": list(dict.fromkeys(links)),
                    "arxiv_id": card.arxiv_id,
                }
            )
        )
