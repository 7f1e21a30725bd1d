"""A saved Daily Papers page: the JSON of its ``DailyPapers`` data element, else its visible text.

The page embeds its data HTML-escaped in ``data-props`` of the element with
``data-target="DailyPapers"``; without it (a page saved after scripts changed it,
say) the visible text is read as a text dump, line by block element.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from html.parser import HTMLParser

from browser.models import ParsedRecord, ParseProblem
from browser.parse.api_json import records_from_json
from browser.parse.dates import DateResolver
from browser.parse.lines import BADGE, FURNITURE
from browser.parse.result import ParsedFile, by_line, not_a_dump, suffix
from browser.parse.text import TextParser

__all__ = ["HTML_SUFFIXES", "parse_html"]

HTML_SUFFIXES = frozenset({".html", ".htm"})
_HTML_START = re.compile(r"\s*<(?:!doctype\s+html|html|head|body|meta|!--|\?xml)", re.IGNORECASE)
_DAILY_PAPERS_TARGET = "DailyPapers"
# Elements whose text is not on the page, and elements that break lines.
_INVISIBLE = frozenset({"head", "script", "style", "noscript", "template", "svg", "title"})
_BLOCKS = frozenset({
    "address", "article", "aside", "blockquote", "br", "button", "dd", "details", "div", "dl",
    "dt", "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5",
    "h6", "header", "hr", "li", "main", "nav", "ol", "p", "pre", "section", "summary", "table",
    "tbody", "td", "tfoot", "th", "thead", "tr", "ul",
})  # fmt: skip


class _PageReader(HTMLParser):
    """Reads the DailyPapers data element and, for the fallback, the visible text lines."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.props: list[tuple[int, str]] = []  # (line, data-props JSON) of DailyPapers elements
        self.lines: list[tuple[int, str]] = []  # visible text, one (line, text) per block
        self._hidden = 0
        self._pieces: list[str] = []
        self._line = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if attributes.get("data-target") == _DAILY_PAPERS_TARGET:
            props = attributes.get("data-props")
            if props is not None:
                self.props.append((self.getpos()[0], props))
        if tag == "body":
            self._hidden = 0  # whatever an unclosed <head> left open
        elif tag in _INVISIBLE:
            self._hidden += 1
        if tag in _BLOCKS:
            self._break()

    def handle_endtag(self, tag: str) -> None:
        if tag in _INVISIBLE and self._hidden:
            self._hidden -= 1
        if tag in _BLOCKS:
            self._break()

    def handle_data(self, data: str) -> None:
        if self._hidden:
            return
        if not self._pieces:
            self._line = self.getpos()[0]
        self._pieces.append(data)

    def _break(self) -> None:
        if self._pieces:
            text = " ".join("".join(self._pieces).split())
            if text:
                self.lines.append((self._line, text))
            self._pieces.clear()

    def close(self) -> None:
        super().close()
        self._break()


def parse_html(
    text: str, file: str, *, year: int | None, anchor: dt.date | None
) -> ParsedFile | None:
    """Records of a saved Daily Papers page; ``None`` when the text is not HTML at all."""
    if not (
        suffix(file) in HTML_SUFFIXES
        or _HTML_START.match(text)
        or f'data-target="{_DAILY_PAPERS_TARGET}"' in text
    ):
        return None
    reader = _PageReader()
    reader.feed(text)
    reader.close()
    problems: list[ParseProblem] = []
    records: list[ParsedRecord] = []
    for line, props in reader.props:
        try:
            data = json.loads(props)
        except json.JSONDecodeError as error:
            problems.append(
                ParseProblem(
                    file=file,
                    line=line,
                    message=f"the Daily Papers data of the page is not valid JSON ({error.msg})",
                )
            )
            continue
        found, found_problems = records_from_json([(line, data)], file)
        records += found
        problems += found_problems
    if records:
        return ParsedFile(file=file, records=records, problems=problems)
    # No data element (or nothing in it): read the page's visible text instead.
    if any(line in FURNITURE and line != BADGE for _, line in reader.lines):
        parser = TextParser(file, DateResolver(file, year, anchor))
        parser.run_lines(iter(reader.lines))
        if parser.is_dump() or reader.props:  # a DailyPapers element says it is the page
            return ParsedFile(
                file=file, records=parser.records, problems=by_line(problems + parser.problems)
            )
    refusal = not_a_dump(file, "a web page without Daily Papers data")
    return ParsedFile(file=file, records=[], problems=[*problems, refusal], refusal=refusal)
