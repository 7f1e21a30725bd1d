"""The text layouts of a Daily Papers page: one pass over the lines, one handler per state.

A dump is the text of a Hugging Face "Daily Papers" page as a browser copies it:
page furniture (``new``, ``Subscribe``, ``Daily Papers`` ...), an optional page
date, then one card per paper::

    42                    (newer cards: the upvote count, or ``-``)
    Title line
    Abstract line
      • 4 authors          (or an organisation line: ``nvidia NVIDIA``)
    ·
    Mar 6                 (or ``Feb 5, 2023``; a trailing number is the comment count)

Cards are read by position (title, then abstract, then optional details), with or
without blank lines between them, and a file may hold several page copies. Each
state of the reader has one handler; :meth:`TextParser._close` ends a record,
whatever ended it (the next title, a date, the page header, the end of the file).

Reading by position would make papers of any text, so a file counts only with
evidence of the page (:meth:`TextParser.is_dump`): a card's ``·`` or author count,
or the page's own header lines. Without it the file gives no records and one
"not a Daily Papers dump" warning (:attr:`TextParser.refusal`).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Iterator

from browser.models import Organization, ParsedRecord, ParseProblem
from browser.parse.dates import DateResolver, match_date
from browser.parse.lines import (
    BADGE,
    DOT,
    FURNITURE,
    FURNITURE_LONGEST,
    NO_UPVOTES,
    PAGE_MARKS,
    SUBSCRIBE,
    SUBSCRIBE_BEFORE,
    TAB_LABELS,
    is_upvotes,
    iter_lines,
    match_authors,
    parse_org,
)
from browser.parse.links import extract_links
from browser.parse.result import NOT_A_DUMP, cached_paper_id, printable
from browser.wording import counted

__all__ = ["TextParser"]

# Parser states: what the next line is expected to be.
_TITLE = 0  # a title (or page furniture / page date before the first title)
_ABSTRACT = 1  # the abstract of the title just read
_AFTER_ABSTRACT = 2  # details of the record, or the next title
_AFTER_BYLINE = 3  # after an authors or organisation line: "·", or the next title
_AFTER_DOT = 4  # after "·": the date

# What ended a record, for the warnings of a record cut short.
_HEADER, _NEXT, _DATE, _END = "header", "next", "date", "end"
_CUT_SHORT = {
    (_ABSTRACT, _HEADER): "a title without an abstract (the page header follows)",
    (_ABSTRACT, _END): "a title without an abstract at the end of the file (truncated?)",
    (_AFTER_DOT, _HEADER): "no date after '·' (the page header follows)",
    (_AFTER_DOT, _NEXT): "no date after '·'; reading this line as the next paper",
    (_AFTER_DOT, _END): "the file ends after '·' without the date (truncated?)",
}

_Line = tuple[int, str]


class TextParser:
    """One pass over the lines: a small state machine holding the record being read."""

    def __init__(self, file: str, dates: DateResolver) -> None:
        self.file = file
        self.dates = dates
        self.records: list[ParsedRecord] = []
        self.problems: list[ParseProblem] = []
        # An upvote count printed on the line before a title (newer cards).
        self.next_upvotes: int | None = None
        self.next_upvotes_line = 0
        self.state = _TITLE
        self.page_records = 0  # records since the last page header (0: in a header region)
        self.before = ""  # the non-blank line before the current one, as read
        self.stray = False  # the previous line was paper details with no paper
        # Evidence that this is a Daily Papers page (see is_dump).
        self.card_lines = 0  # "·" and "• N authors" lines
        self.marks: set[str] = set()  # distinct page furniture lines (tab lists as "tabs")
        # Set at the end when the file is not a dump: its one warning, which the caller
        # reports instead of the records and problems read.
        self.refusal: ParseProblem | None = None
        self._handlers: dict[int, Callable[[int, str, _Line | None], None]] = {
            _TITLE: self._on_title,
            _ABSTRACT: self._on_abstract,
            _AFTER_ABSTRACT: self._on_details,
            _AFTER_BYLINE: self._on_details,
            _AFTER_DOT: self._on_details,
        }
        self._reset()

    def _reset(self) -> None:
        self.title = ""
        self.title_line = 0
        self.abstract = ""
        self.authors: int | None = None
        self.org: Organization | None = None
        self.date: dt.date | None = None
        self.year_inferred = False
        self.comments: int | None = None
        self.upvotes: int | None = None

    def _warn(self, line: int | None, message: str) -> None:
        self.problems.append(ParseProblem(file=self.file, line=line, message=message))

    # -- the record being read ------------------------------------------------------------

    def _start(self, title: str, line: int) -> None:
        self.title, self.title_line = title, line
        if self.next_upvotes_line:
            self.upvotes = self.next_upvotes
            self.next_upvotes, self.next_upvotes_line = None, 0
        self.state = _ABSTRACT
        self.page_records += 1

    def _close(self, line: int, cause: str) -> None:
        """End the record being read (if any), warning when ``cause`` cut it short."""
        if self.state == _TITLE:
            return
        warning = _CUT_SHORT.get((self.state, cause))
        if warning is not None:
            self._warn(self.title_line if self.state == _ABSTRACT else line, warning)
        abstract = self.abstract
        self.records.append(
            ParsedRecord.model_validate(
                {
                    "id": cached_paper_id(self.title),
                    "source": {"file": self.file, "line": self.title_line},
                    "title": self.title,
                    "abstract": abstract,
                    "authors": self.authors,
                    "organization": self.org,
                    "date": self.date,
                    "listed": self.dates.page,
                    "year_inferred": self.year_inferred,
                    "comments": self.comments,
                    "upvotes": self.upvotes,
                    "links": extract_links(abstract),
                }
            )
        )
        self._reset()
        self.state = _TITLE

    def _set_upvotes(self, text: str, line: int) -> None:
        self._drop_upvotes()
        self.next_upvotes = 0 if text == NO_UPVOTES else int(text)
        self.next_upvotes_line = line

    def _drop_upvotes(self) -> None:
        if self.next_upvotes_line:
            self._warn(self.next_upvotes_line, "an upvote count with no paper after it; skipped")
            self.next_upvotes, self.next_upvotes_line = None, 0

    # -- the pass -------------------------------------------------------------------------

    def run(self, chunks: Iterable[str]) -> None:
        """Read the text given in chunks (see :func:`browser.parse.lines.iter_lines`)."""
        self.run_lines(iter_lines(chunks))

    def run_lines(self, lines: Iterator[_Line]) -> None:
        """Read ``(line number, stripped non-blank line)`` pairs into records and problems."""
        lineno = 0
        saw_anything = False
        upcoming = next(lines, None)
        while upcoming is not None:
            lineno, line = upcoming
            upcoming = next(lines, None)
            saw_anything = True
            # Page furniture, wherever it is. (The length test spares hashing abstracts.)
            if len(line) <= FURNITURE_LONGEST and self._is_furniture(line):
                self._on_furniture(lineno, line)
            else:
                self._handlers[self.state](lineno, line, upcoming)
            self.before = line
        self._close(lineno, _END)
        self._drop_upvotes()
        if not saw_anything:
            self._warn(None, "no text in the file (it is empty or blank)")
        elif not self.is_dump():
            blocks = len(self.records)
            self.refusal = ParseProblem(
                file=self.file,
                message=f"{NOT_A_DUMP} (no paper cards found: {counted(blocks, 'block')} of "
                "text, but no Daily Papers page header, no '·' before a date and no author "
                "count); skipped",
            )

    def is_dump(self) -> bool:
        """Whether the lines read so far show a Daily Papers page, not just any text.

        A card line (``·``, ``• N authors``) or a header line only the page prints is
        enough; the common words among the furniture count only two together.
        """
        return (
            bool(self.card_lines) or len(self.marks) >= 2 or not self.marks.isdisjoint(PAGE_MARKS)
        )

    def _is_furniture(self, line: str) -> bool:
        return line in FURNITURE or (
            self.state == _TITLE and self.page_records == 0 and bool(TAB_LABELS.fullmatch(line))
        )

    def _on_furniture(self, lineno: int, line: str) -> None:
        if line == BADGE:
            return  # a badge: it neither ends a record nor starts a page
        self.marks.add(line if line in FURNITURE else "tabs")
        self._drop_upvotes()
        self._close(lineno, _HEADER)
        if self.page_records:
            self.dates.page = None  # a new page begins: its own date follows, or none
        self.page_records = 0

    def _on_title(self, lineno: int, line: str, upcoming: _Line | None) -> None:
        """Expecting a title: also the page date, upvote counts and stray details."""
        was_stray, self.stray = self.stray, False
        date = match_date(line)
        if date is not None:
            if was_stray:
                pass  # the date of details already reported
            elif self.page_records == 0 and date["count"] is None:
                self.dates.set_page(date, lineno, self.problems)
            else:
                self._warn(lineno, f"a date with no paper: {printable(line)!r}; skipped")
            return
        if line == DOT or match_authors(line) is not None:
            self.card_lines += 1
            if not was_stray:
                self._warn(lineno, f"paper details with no paper: {printable(line)!r}; skipped")
            self.stray = True
            return
        if is_upvotes(line):
            self._set_upvotes(line, lineno)
            return
        if (
            self.before in SUBSCRIBE_BEFORE
            and self.page_records == 0
            and line.startswith(SUBSCRIBE)
            and len(line) > len(SUBSCRIBE)
            and not line[len(SUBSCRIBE)].isspace()
        ):
            # Compact dumps glue the Subscribe button to the first title.
            line = line[len(SUBSCRIBE) :].strip()
        self._start(line, lineno)

    def _on_abstract(self, lineno: int, line: str, upcoming: _Line | None) -> None:
        """After a title: whatever follows is its abstract, unless it is the card's details."""
        if line == DOT:
            self._warn(self.title_line, "a title without an abstract")
            self.card_lines += 1
            self.state = _AFTER_DOT
            return
        authors = match_authors(line)
        if authors is not None:
            self.card_lines += 1
            self._warn(self.title_line, "a title without an abstract")
            self.authors = int(authors[1])
            self.state = _AFTER_BYLINE
            return
        self.abstract = line
        self.state = _AFTER_ABSTRACT

    def _on_details(self, lineno: int, line: str, upcoming: _Line | None) -> None:
        """After the abstract: this record's details, or the next title (or its upvotes)."""
        if line == DOT:
            self.card_lines += 1
            self.state = _AFTER_DOT
            return
        authors = match_authors(line)
        if authors is not None:
            self.card_lines += 1
            self.authors = int(authors[1])
            self.state = _AFTER_BYLINE
            return
        if upcoming is not None and upcoming[1] == DOT and self.org is None:
            self.org = parse_org(line)
            self.state = _AFTER_BYLINE
            return
        date = match_date(line)
        if date is not None:
            self._set_date(date, lineno)
            self._close(lineno, _DATE)
            return
        self._close(lineno, _NEXT)
        if is_upvotes(line):
            self._set_upvotes(line, lineno)
            return
        self._start(line, lineno)

    def _set_date(self, match: re.Match[str], line: int) -> None:
        self.date, self.year_inferred = self.dates.resolve(match, line, self.problems)
        count = match["count"]
        self.comments = int(count) if count is not None else None
