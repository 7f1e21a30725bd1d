"""Dump files -> records and problems: decoding, the two text layouts, dates and links.

A dump is the text of a Hugging Face "Daily Papers" page as a browser copies it:
page furniture (``new``, ``Subscribe``, ``Daily Papers`` ...), an optional page
date, then one record per paper::

    Title line
    Abstract line
      • 4 authors          (or an organisation line: ``nvidia NVIDIA``)
    ·
    Mar 6                 (or ``Feb 5, 2023``; a trailing number is the comment count)

Records are read by position (title, then abstract, then optional metadata), with
or without blank lines between them; newer cards print an upvote count (or ``-``)
on the line before the title, and a file may hold several page copies.

The content, not the name, says what a file is: a text dump, JSON of the Daily
Papers API (an array of entries, one paper, or JSON Lines), or a saved page (the
HTML-escaped JSON of its ``data-target="DailyPapers"`` element, else its visible
text). Anything else is "not a Daily Papers dump": one warning, no papers.

Nothing in here raises for bad input: what cannot be understood becomes a
:class:`ParseProblem` with the file and line.
"""

from __future__ import annotations

import codecs
import contextlib
import datetime as dt
import functools
import gc
import itertools
import json
import os
import re
import stat
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

from browser.identity import paper_id
from browser.models import Organization, ParsedRecord, ParseProblem

__all__ = [
    "DUMP_SUFFIXES",
    "ParsedFile",
    "decode_dump",
    "extract_links",
    "find_dump_files",
    "parse_bytes",
    "parse_file",
    "parse_text",
]


@dataclass
class ParsedFile:
    """What one file produced: its records in file order and its problems."""

    file: str  # path as given, for messages
    records: list[ParsedRecord] = field(default_factory=list)
    problems: list[ParseProblem] = field(default_factory=list)


# ---------------------------------------------------------------------------
# Decoding
# ---------------------------------------------------------------------------

_CHUNK = 1 << 20  # bytes read, or characters split into lines, at a time

# C0 controls that never occur in text (NUL is handled on its own; tab, LF, VT,
# FF, CR and ESC are left out: ESC starts the ANSI sequences a terminal copy keeps).
_BINARY_CONTROLS = bytes([*range(0x01, 0x09), *range(0x0E, 0x1B), *range(0x1C, 0x20)])
_BINARY_SAMPLE = 8192
_BINARY_RATIO = 0.10
_STRAY_NULS = 4
_C1_FALLBACK = "paper_browser_c1"


def _c1_fallback(error: UnicodeError) -> tuple[str, int]:
    """Decode the five bytes cp1252 leaves undefined as the C1 controls they are in Latin-1."""
    if not isinstance(error, UnicodeDecodeError):
        raise error
    return error.object[error.start : error.end].decode("latin-1"), error.end


codecs.register_error(_C1_FALLBACK, _c1_fallback)


class _NotText(Exception):
    """Raised from the middle of decoding: the bytes are binary after all."""


class _Restart(Exception):
    """Raised from the middle of decoding: start again with another encoding."""

    def __init__(self, encoding: str, errors: str, problem: ParseProblem) -> None:
        super().__init__(encoding)
        self.encoding = encoding
        self.errors = errors
        self.problem = problem


def _printable(text: str, limit: int = 60) -> str:
    """``text`` shortened and with control characters escaped, for a message."""
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    if not text.isprintable():
        text = "".join(ch if ch.isprintable() else ascii(ch)[1:-1] for ch in text)
    return text


def _too_many_nuls(chunk: bytes) -> bool:
    """Binary files are full of NULs; a text dump may carry a stray one in a title."""
    nuls = chunk.count(b"\x00")
    return nuls > _STRAY_NULS or nuls * 100 > len(chunk)


def _looks_binary(sample: bytes) -> bool:
    sample = sample[:_BINARY_SAMPLE]
    if _too_many_nuls(sample):
        return True
    controls = len(sample) - len(sample.translate(None, _BINARY_CONTROLS))
    return controls > len(sample) * _BINARY_RATIO


_ChunkSource = Callable[[], Iterator[bytes]]


def _memory_chunks(data: bytes) -> _ChunkSource:
    def chunks() -> Iterator[bytes]:
        view = memoryview(data)
        for start in range(0, len(view), _CHUNK):
            yield bytes(view[start : start + _CHUNK])

    return chunks


class _Decoding:
    """How a dump's bytes become text, and the generator that does it a chunk at a time.

    The first try is the strict reading (UTF-8 or the BOM's encoding). When it
    fails part-way, the generator raises :class:`_Restart` with the fallback
    (cp1252, or replacement characters after a BOM) and the caller starts over.
    """

    def __init__(self, file: str, head: bytes) -> None:
        self.file = file
        self.problems: list[ParseProblem] = []
        self.skip = 0
        self.check_nul = False
        if head.startswith(codecs.BOM_UTF8):
            self.encoding, self.skip, self.name = "utf-8", 3, "UTF-8"
        elif head.startswith(codecs.BOM_UTF16_LE):
            self.encoding, self.skip, self.name = "utf-16-le", 2, "UTF-16 LE"
        elif head.startswith(codecs.BOM_UTF16_BE):
            self.encoding, self.skip, self.name = "utf-16-be", 2, "UTF-16 BE"
        else:
            self.encoding, self.name, self.check_nul = "utf-8", "UTF-8", True
        self.errors = "strict"
        self.binary = self.check_nul and _looks_binary(head)

    def restart(self, restart: _Restart) -> None:
        self.encoding, self.errors = restart.encoding, restart.errors
        self.problems.append(restart.problem)

    def not_text(self) -> ParseProblem:
        return ParseProblem(
            file=self.file, message="not a text dump (binary data); the file was skipped"
        )

    def text_chunks(self, source: _ChunkSource) -> Iterator[str]:
        """The text, a chunk at a time; may raise :class:`_NotText` or :class:`_Restart`."""
        decoder = codecs.getincrementaldecoder(self.encoding)(self.errors)
        strict = self.errors == "strict"
        newlines = 0
        skip = self.skip
        for chunk in source():
            if skip:
                chunk, skip = chunk[skip:], max(0, skip - len(chunk))
            if self.check_nul and _too_many_nuls(chunk):
                raise _NotText
            try:
                text = decoder.decode(chunk)
            except UnicodeDecodeError as error:
                if not strict:  # pragma: no cover - "replace" and the cp1252 fallback never fail
                    raise
                pending = len(error.object) - len(chunk)
                line = newlines + chunk.count(b"\n", 0, max(0, error.start - pending)) + 1
                raise self._fallback(line) from None
            if "\x00" in text:
                text = self._replace_stray_nuls(text, newlines)
            newlines += text.count("\n")
            yield text
        tail = decoder.getstate()[0]
        if tail:
            self.problems.append(
                ParseProblem(
                    file=self.file,
                    line=newlines + 1,
                    message=f"the file ends in the middle of a {self.name} character "
                    f"(truncated?); the last {len(tail)} byte(s) were dropped",
                )
            )

    def _replace_stray_nuls(self, text: str, newlines_before: int) -> str:
        line = newlines_before + text.count("\n", 0, text.index("\x00")) + 1
        self.problems.append(
            ParseProblem(
                file=self.file,
                line=line,
                message=f"{text.count(chr(0))} stray NUL byte(s) replaced with \ufffd",
            )
        )
        return text.replace("\x00", "\ufffd")

    def _fallback(self, line: int) -> _Restart:
        if self.check_nul:
            return _Restart(
                "cp1252",
                _C1_FALLBACK,
                ParseProblem(
                    file=self.file,
                    line=line,
                    message="not UTF-8 (first odd byte on this line); read as Windows-1252 "
                    "(cp1252): check accented letters and symbols",
                ),
            )
        return _Restart(
            self.encoding,
            "replace",
            ParseProblem(
                file=self.file,
                line=line,
                message=f"invalid {self.name} text despite the byte order mark; "
                "broken characters were replaced with \ufffd",
            ),
        )


def _decode_with(
    file: str, head: bytes, source: _ChunkSource, consume: Callable[[Iterator[str]], None]
) -> tuple[bool, list[ParseProblem]]:
    """Feed the decoded text to ``consume``, starting over if the encoding turns out wrong.

    Returns whether the bytes were text, and the decoding problems.
    """
    decoding = _Decoding(file, head)
    if decoding.binary:
        return False, [decoding.not_text()]
    while True:
        try:
            consume(decoding.text_chunks(source))
        except _NotText:
            return False, [decoding.not_text()]
        except _Restart as restart:
            decoding.restart(restart)
            continue
        return True, decoding.problems


def decode_dump(data: bytes, file: str) -> tuple[str | None, list[ParseProblem]]:
    """The text of a dump, or ``None`` (with a warning) when the bytes are not text.

    A UTF-8 BOM means UTF-8 and ``FF FE``/``FE FF`` mean UTF-16; without a BOM,
    NUL bytes mean binary; otherwise strict UTF-8 (an incomplete character at the
    very end is a truncated file: it is dropped with a warning), else cp1252.
    Line ends are left as they are (:func:`parse_text` handles CR and CRLF).
    """
    pieces: list[str] = []

    def consume(chunks: Iterator[str]) -> None:
        pieces.clear()
        pieces.extend(chunks)

    is_text, problems = _decode_with(file, data[:_BINARY_SAMPLE], _memory_chunks(data), consume)
    return ("".join(pieces) if is_text else None), problems


# ---------------------------------------------------------------------------
# Lines and the things a line can be
# ---------------------------------------------------------------------------

# Page furniture, skipped by exact match wherever it appears.
_FURNITURE = frozenset(
    {
        "new",
        "Subscribe",
        "Daily Papers",
        "Get trending papers in your email inbox!",
        "Get trending papers in your email inbox once a day!",
        "byAK and the research community",
        "by AK and the research community",
    }
)
_FURNITURE_LONGEST = max(map(len, _FURNITURE))
# Furniture after which a glued "Subscribe" prefixes the first title (compact dumps).
_SUBSCRIBE_BEFORE = frozenset(
    {
        "Get trending papers in your email inbox!",
        "Get trending papers in your email inbox once a day!",
    }
)
_SUBSCRIBE = "Subscribe"
# "new" is a badge, skipped without a trace. The rest of the header ends the
# record being read and starts a page (dumps of several pages repeat it).
_BADGE = "new"
# Period tabs of the newer page, one a line or run together ("DailyWeeklyMonthly");
# furniture only in a page's header region.
_TAB_LABELS = re.compile(r"(?:Daily|Weekly|Monthly)(?:\s*(?:Daily|Weekly|Monthly))*")

_DOT = "·"  # U+00B7, the separator line before the date
_NO_UPVOTES = "-"  # what a card prints instead of a count of 0
_BULLET = "•"  # U+2022, starts the authors line

_AUTHORS = re.compile(r"•\s*(\d{1,9})\s+authors?", re.IGNORECASE | re.ASCII)

_MONTH_NAMES = {
    "jan": 1, "january": 1, "feb": 2, "february": 2, "mar": 3, "march": 3,
    "apr": 4, "april": 4, "may": 5, "jun": 6, "june": 6, "jul": 7, "july": 7,
    "aug": 8, "august": 8, "sep": 9, "sept": 9, "september": 9,
    "oct": 10, "october": 10, "nov": 11, "november": 11, "dec": 12, "december": 12,
}  # fmt: skip
_MONTH_PREFIXES = frozenset(name[:3].capitalize() for name in _MONTH_NAMES)
_DATE = re.compile(
    r"(?P<month>Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?"
    r"|Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\.?"
    r" (?P<day>\d{1,2})(?:, ?(?P<year>\d{4}))?(?: (?P<count>\d{1,9}))?",
    re.ASCII,
)
_MAX_DATE_LINE = 32

_FILE_DATE = re.compile(r"(?<!\d)(\d{4})-(\d{2})-(\d{2})(?!\d)")


def _text_chunks(text: str) -> Iterator[str]:
    for start in range(0, len(text), _CHUNK):
        yield text[start : start + _CHUNK]


def _iter_lines(chunks: Iterable[str]) -> Iterator[tuple[int, str]]:
    """``(line number, stripped line)`` for every non-blank line of the text in ``chunks``.

    LF, CRLF and CR end lines (also across chunk boundaries); nothing else does.
    Only one chunk's lines exist at a time.
    """
    lineno = 0
    pending: list[str] = []  # a line begun in an earlier chunk
    carried_cr = False
    for chunk in chunks:
        if carried_cr:
            chunk = "\r" + chunk
            carried_cr = False
        if "\r" in chunk:
            if chunk.endswith("\r"):  # maybe the first half of a CRLF
                chunk = chunk[:-1]
                carried_cr = True
            chunk = chunk.replace("\r\n", "\n").replace("\r", "\n")
        pieces = chunk.split("\n")
        if len(pieces) == 1:
            if chunk:
                pending.append(chunk)
            continue
        if pending:
            pending.append(pieces[0])
            pieces[0] = "".join(pending)
            pending.clear()
        last = pieces.pop()
        if last:
            pending.append(last)
        for raw in pieces:
            lineno += 1
            line = raw.strip()
            if line:
                yield lineno, line
    if pending:
        line = "".join(pending).strip()
        if line:
            yield lineno + 1, line


def _is_upvotes(line: str) -> bool:
    """An upvote count on its own line (``-`` when there are none)."""
    return line == _NO_UPVOTES or (len(line) <= 9 and line.isascii() and line.isdigit())


def _match_date(line: str) -> re.Match[str] | None:
    if len(line) <= _MAX_DATE_LINE and line[:3] in _MONTH_PREFIXES:
        return _DATE.fullmatch(line)
    return None


def _match_authors(line: str) -> re.Match[str] | None:
    if line[0] == _BULLET:
        return _AUTHORS.fullmatch(line)
    return None


def _parse_org(line: str) -> Organization:
    parts = line.split(None, 1)
    slug = parts[0]
    name = parts[1] if len(parts) > 1 else slug
    return Organization(slug=slug, name=name)


# ---------------------------------------------------------------------------
# Links
# ---------------------------------------------------------------------------

# Braces end a URL: ``\url{https://x}`` and ``https://x{text}`` (a flattened \href).
# A URL also ends at a control or bidi character: they must not reach CSV or JSON.
_URL_BODY = re.compile(
    r"[^\s<>\"{}\\^`|\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069]+"
)
_URL_SCHEMES = ("https", "http", "ftp")
_URL_TRAILING = frozenset(".,;:!?'\"*…。，；：！？、")
_URL_CLOSERS = {")": "(", "]": "[", "）": "（", "】": "【"}
_URL_HOST_CHAR = re.compile(r"[^/?#]*\w")


def _trim_url(url: str) -> str:
    """``url`` without trailing punctuation, or a closing bracket it does not open."""
    end = len(url)
    balance: dict[str, int] = {}  # closers minus openers in url[:end], per closer seen
    while end:
        last = url[end - 1]
        opener = _URL_CLOSERS.get(last)
        if opener is not None:
            if last not in balance:
                balance[last] = url.count(last, 0, end) - url.count(opener, 0, end)
            if balance[last] <= 0:
                break
            balance[last] -= 1
        elif last not in _URL_TRAILING:
            break
        end -= 1
    return url[:end]


def extract_links(text: str) -> list[str]:
    """URLs (http, https, ftp) in ``text``, in order, without duplicates or trailing punctuation."""
    links: dict[str, None] = {}
    find = text.find
    at = find("://")
    while at >= 0:
        # Looking for "://" first and the scheme second is several times faster
        # than a regex scanning every position of a long abstract.
        before = text[max(0, at - 5) : at].lower()
        body = _URL_BODY.match(text, at + 3)
        if body is None:
            at = find("://", at + 3)
            continue
        for scheme in _URL_SCHEMES:
            if before.endswith(scheme):
                url = _trim_url(text[at - len(scheme) : body.end()])
                if _URL_HOST_CHAR.match(url, len(scheme) + 3):
                    links.setdefault(url, None)
                break
        at = find("://", body.end())
    return list(links)


# ---------------------------------------------------------------------------
# Dates
# ---------------------------------------------------------------------------


def _file_date(file: str) -> dt.date | None:
    """A ``YYYY-MM-DD`` in the file's name (not its folders), if it is a real date."""
    name = re.split(r"[\\/]", file)[-1]
    for match in _FILE_DATE.finditer(name):
        try:
            return dt.date(int(match[1]), int(match[2]), int(match[3]))
        except ValueError:
            continue
    return None


def _on_or_before(month: int, day: int, ref: dt.date) -> int:
    """The year of ``month``/``day`` seen on a page dated ``ref``: a later day is last year's."""
    return ref.year if (month, day) <= (ref.month, ref.day) else ref.year - 1


class _Dates:
    """Turns date lines into dates: the page date, then the papers' dates against it."""

    def __init__(self, file: str, year: int | None, anchor: dt.date | None) -> None:
        self.file = file
        self.year = year
        # The anchor year comes from the explicit year, the file name, the caller's
        # anchor (parse_file: the modification time) or today, in that order.
        self.anchor = _file_date(file) or anchor or dt.date.today()
        self.page: dt.date | None = None

    def set_page(self, match: re.Match[str], line: int, problems: list[ParseProblem]) -> None:
        month, day = _MONTH_NAMES[match["month"].lower()], int(match["day"])
        if match["year"]:
            year = int(match["year"])
        elif self.year is not None:
            year = self.year
        else:
            year = _on_or_before(month, day, self.anchor)
        try:
            self.page = dt.date(year, month, day)
        except ValueError:
            self.page = None
            problems.append(
                ParseProblem(
                    file=self.file,
                    line=line,
                    message=f"page date {match.group()!r} is not a real date in {year}",
                )
            )

    def resolve(
        self, match: re.Match[str], line: int, problems: list[ParseProblem]
    ) -> tuple[dt.date | None, bool]:
        """The paper date of a date line and whether its year was inferred."""
        month, day = _MONTH_NAMES[match["month"].lower()], int(match["day"])
        inferred = not match["year"]
        if not inferred:
            year = int(match["year"])
        elif self.page is not None:
            year = _on_or_before(month, day, self.page)
        elif self.year is not None:
            year = self.year
        else:
            year = _on_or_before(month, day, self.anchor)
        try:
            return dt.date(year, month, day), inferred
        except ValueError:
            problems.append(
                ParseProblem(
                    file=self.file,
                    line=line,
                    message=f"'{match['month']} {match['day']}' is not a real date in {year}; "
                    "the date was left out",
                )
            )
            return None, False


# ---------------------------------------------------------------------------
# The text layouts
# ---------------------------------------------------------------------------

# Parser states: what the next line is expected to be.
_TITLE = 0  # a title (or page furniture / page date before the first title)
_ABSTRACT = 1  # the abstract of the title just read
_AFTER_ABSTRACT = 2  # metadata of the record, or the next title
_AFTER_BYLINE = 3  # after an authors or organisation line: "·", or the next title
_AFTER_DOT = 4  # after "·": the date


# The same paper turns up in many dumps (and often twice in one); its id, which
# costs more to compute than the rest of its record, is worth remembering.
_paper_id = functools.lru_cache(maxsize=1 << 14)(paper_id)


class _TextParser:
    """One pass over the lines: a small state machine holding the record being read."""

    def __init__(self, file: str, dates: _Dates) -> None:
        self.file = file
        self.dates = dates
        self.records: list[ParsedRecord] = []
        self.problems: list[ParseProblem] = []
        # An upvote count printed on the line before a title (newer cards).
        self.next_upvotes: int | None = None
        self.next_upvotes_line = 0
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

    def _start(self, title: str, line: int) -> None:
        self.title, self.title_line = title, line
        if self.next_upvotes_line:
            self.upvotes = self.next_upvotes
            self.next_upvotes, self.next_upvotes_line = None, 0

    def _set_upvotes(self, text: str, line: int) -> None:
        self._drop_upvotes()
        self.next_upvotes = 0 if text == _NO_UPVOTES else int(text)
        self.next_upvotes_line = line

    def _drop_upvotes(self) -> None:
        if self.next_upvotes_line:
            self._warn(self.next_upvotes_line, "an upvote count with no paper after it; skipped")
            self.next_upvotes, self.next_upvotes_line = None, 0

    def _warn(self, line: int | None, message: str) -> None:
        self.problems.append(ParseProblem(file=self.file, line=line, message=message))

    def _emit(self) -> None:
        title = self.title
        abstract = self.abstract
        self.records.append(
            ParsedRecord.model_validate(
                {
                    "id": _paper_id(title),
                    "source": {"file": self.file, "line": self.title_line},
                    "title": title,
                    "abstract": abstract,
                    "authors": self.authors,
                    "organization": self.org,
                    "date": self.date,
                    "year_inferred": self.year_inferred,
                    "comments": self.comments,
                    "upvotes": self.upvotes,
                    "links": extract_links(abstract),
                }
            )
        )
        self._reset()

    def _set_date(self, match: re.Match[str], line: int) -> None:
        self.date, self.year_inferred = self.dates.resolve(match, line, self.problems)
        count = match["count"]
        self.comments = int(count) if count is not None else None

    def run(self, chunks: Iterable[str]) -> None:
        self.run_lines(_iter_lines(chunks))

    def run_lines(self, lines: Iterator[tuple[int, str]]) -> None:
        """Read ``(line number, stripped non-blank line)`` pairs into records and problems."""
        state = _TITLE
        page_records = 0  # records since the last page header (0: in a header region)
        previous = ""  # the previous non-blank line, as read
        lineno = 0
        stray = False  # the previous line was paper details with no paper
        saw_anything = False
        warn = self._warn
        upcoming = next(lines, None)
        while upcoming is not None:
            lineno, line = upcoming
            upcoming = next(lines, None)
            saw_anything = True
            before, previous = previous, line

            # Page furniture, wherever it is. (The length test spares hashing abstracts.)
            if len(line) <= _FURNITURE_LONGEST and (
                line in _FURNITURE
                or (state == _TITLE and page_records == 0 and _TAB_LABELS.fullmatch(line))
            ):
                if line == _BADGE:
                    continue  # a badge: it neither ends a record nor starts a page
                self._drop_upvotes()
                if state == _ABSTRACT:
                    warn(self.title_line, "a title without an abstract (the page header follows)")
                    self._emit()
                elif state == _AFTER_DOT:
                    warn(lineno, "no date after '·' (the page header follows)")
                    self._emit()
                elif state != _TITLE:
                    self._emit()
                if page_records:
                    self.dates.page = None  # a new page begins: its own date follows, or none
                state = _TITLE
                page_records = 0
                continue

            if state == _TITLE:
                was_stray, stray = stray, False
                date = _match_date(line)
                if date is not None:
                    if was_stray:
                        pass  # the date of details already reported
                    elif page_records == 0 and date["count"] is None:
                        self.dates.set_page(date, lineno, self.problems)
                    else:
                        warn(lineno, f"a date with no paper: {_printable(line)!r}; skipped")
                    continue
                if line == _DOT or _match_authors(line) is not None:
                    if not was_stray:
                        warn(lineno, f"paper details with no paper: {_printable(line)!r}; skipped")
                    stray = True
                    continue
                if _is_upvotes(line):
                    self._set_upvotes(line, lineno)
                    continue
                if (
                    before in _SUBSCRIBE_BEFORE
                    and page_records == 0
                    and line.startswith(_SUBSCRIBE)
                    and len(line) > len(_SUBSCRIBE)
                    and not line[len(_SUBSCRIBE)].isspace()
                ):
                    # Compact dumps glue the Subscribe button to the first title.
                    line = line[len(_SUBSCRIBE) :].strip()
                self._start(line, lineno)
                state = _ABSTRACT
                page_records += 1
                continue

            if state == _ABSTRACT:
                if line == _DOT:
                    warn(self.title_line, "a title without an abstract")
                    state = _AFTER_DOT
                    continue
                authors = _match_authors(line)
                if authors is not None:
                    warn(self.title_line, "a title without an abstract")
                    self.authors = int(authors[1])
                    state = _AFTER_BYLINE
                    continue
                # Assigned by position: whatever follows a title is its abstract.
                self.abstract = line
                state = _AFTER_ABSTRACT
                continue

            # After the abstract: this record's details, or the next title.
            if line == _DOT:
                state = _AFTER_DOT
                continue
            authors = _match_authors(line)
            if authors is not None:
                self.authors = int(authors[1])
                state = _AFTER_BYLINE
                continue
            if upcoming is not None and upcoming[1] == _DOT and self.org is None:
                self.org = _parse_org(line)
                state = _AFTER_BYLINE
                continue
            date = _match_date(line)
            if date is not None:
                self._set_date(date, lineno)
                self._emit()
                state = _TITLE
                continue
            if state == _AFTER_DOT:
                warn(lineno, "no date after '·'; reading this line as the next paper")
            self._emit()
            if _is_upvotes(line):
                self._set_upvotes(line, lineno)
                state = _TITLE
                continue
            self._start(line, lineno)
            state = _ABSTRACT
            page_records += 1

        if state == _ABSTRACT:
            warn(self.title_line, "a title without an abstract at the end of the file (truncated?)")
            self._emit()
        elif state == _AFTER_DOT:
            warn(lineno, "the file ends after '·' without the date (truncated?)")
            self._emit()
        elif state != _TITLE:
            self._emit()
        self._drop_upvotes()
        if not saw_anything:
            warn(None, "no text in the file (it is empty or blank)")


# ---------------------------------------------------------------------------
# JSON from the Daily Papers API (an array, one object, or JSON Lines)
# ---------------------------------------------------------------------------

_NOT_A_DUMP = "not a Daily Papers dump"
_JSON_SUFFIXES = frozenset({".json", ".jsonl", ".ndjson"})
_HTML_SUFFIXES = frozenset({".html", ".htm"})
_JSON_WS = re.compile(r"[ \t\n\r]*")
_JSON_LINE_REST = re.compile(r"[ \t]*(?:\r?\n|\r|\Z)")
# How JSON of the API starts: [{"...  []  {"key":  {}  (and "[bold] a title" does not).
_JSON_START = re.compile(r'\s*(?:\[\s*(?:\{\s*"|\])|\{\s*(?:"(?:[^"\\\n]|\\.)*"\s*:|\}))')
_ARXIV_ID = re.compile(r"(\d{4}\.\d{4,5}|[a-z][a-z.-]*(?:\.[A-Z]{2})?/\d{7})(?:v\d+)?")
_ISO_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
_WRAP = re.compile(r"[ \t]*(?:\r\n|\r|\n)\s*")
_json_decoder = json.JSONDecoder()


def _suffix(file: str) -> str:
    return Path(re.split(r"[\\/]", file)[-1]).suffix.lower()


def _not_a_dump(file: str, reason: str, line: int | None = None) -> ParseProblem:
    return ParseProblem(file=file, line=line, message=f"{_NOT_A_DUMP} ({reason}); skipped")


def _unwrap(text: str) -> str:
    """Hard-wrapped text on one line: each line break (a paragraph break too) is one space."""
    return _WRAP.sub(" ", text).strip()


def _skip_json_space(text: str, index: int) -> int:
    match = _JSON_WS.match(text, index)
    return match.end() if match else index


def _json_values(text: str) -> tuple[list[tuple[int, object]], list[tuple[int, str]], str | None]:
    """Top-level JSON values with their line numbers, the elements of an array one by one.

    Returns the values, the JSON Lines that could not be read (line, reason), and
    why the first value could not be read (in which case nothing was).
    """
    values: list[tuple[int, object]] = []
    bad: list[tuple[int, str]] = []
    line, counted = 1, 0

    def line_at(offset: int) -> int:  # offsets only grow: count each newline once
        nonlocal line, counted
        line += text.count("\n", counted, offset)
        counted = offset
        return line

    length = len(text)
    index = _skip_json_space(text, 0)
    first = True
    while index < length:
        start = index
        try:
            if text[index] != "[":
                value, index = _json_decoder.raw_decode(text, index)
                values.append((line_at(start), value))
            else:
                index = _skip_json_space(text, index + 1)
                closed = text.startswith("]", index)
                while not closed:
                    value, end = _json_decoder.raw_decode(text, index)
                    values.append((line_at(index), value))
                    index = _skip_json_space(text, end)
                    closed = text.startswith("]", index)
                    if not closed and not text.startswith(",", index):
                        raise json.JSONDecodeError("Expecting ',' delimiter", text, index)
                    if not closed:
                        index = _skip_json_space(text, index + 1)
                index += 1
            # A value ends its line: "[1] Intro" is a text dump's title, not JSON.
            rest = _JSON_LINE_REST.match(text, index)
            if rest is None:
                raise json.JSONDecodeError("Extra data", text, index)
            index = rest.end()
        except json.JSONDecodeError as error:
            if first:
                return [], [], f"malformed JSON at line {error.lineno}: {error.msg}"
            bad.append((line_at(start), error.msg))
            newline = text.find("\n", max(start, error.pos))
            index = length if newline < 0 else newline + 1
        first = False
        index = _skip_json_space(text, index)
    return values, bad, None


def _int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _str(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _iso_date(value: object) -> dt.date | None:
    match = _ISO_DATE.match(value) if isinstance(value, str) else None
    if match is None:
        return None
    try:
        return dt.date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        return None


def _paper_of(value: object) -> tuple[dict[str, object], dict[str, object]] | None:
    """The paper object and its Daily Papers entry, if ``value`` is either."""
    if not isinstance(value, dict):
        return None
    paper = value.get("paper")
    if isinstance(paper, dict):
        title = _str(paper.get("title")) or _str(value.get("title"))
        if title and title.strip() and (_str(paper.get("id")) or _str(paper.get("summary"))):
            return paper, value
        return None
    # A paper object on its own (as /api/papers/ID returns it).
    title = _str(value.get("title"))
    if title and title.strip() and _str(value.get("id")) and _str(value.get("summary")) is not None:
        return value, {}
    return None


def _json_record(value: object, file: str, line: int) -> ParsedRecord | None:
    found = _paper_of(value)
    if found is None:
        return None
    paper, entry = found
    title = _unwrap(_str(paper.get("title")) or _str(entry.get("title")) or "")
    abstract = _unwrap(_str(paper.get("summary")) or _str(entry.get("summary")) or "")
    raw_authors = paper.get("authors")
    names: list[str] = []
    if isinstance(raw_authors, list):
        for author in raw_authors:
            name = _str(author.get("name")) if isinstance(author, dict) else _str(author)
            if name is not None and name.strip():
                names.append(_unwrap(name))
    organization = None
    raw_org = paper.get("organization") or entry.get("organization")
    if isinstance(raw_org, dict) and _str(raw_org.get("name")):
        slug = str(raw_org["name"])
        organization = Organization(slug=slug, name=_str(raw_org.get("fullname")) or slug)
    keywords = paper.get("ai_keywords")
    arxiv = _ARXIV_ID.fullmatch(_str(paper.get("id")) or "")
    arxiv_id = arxiv[1] if arxiv else None
    links = extract_links(abstract)
    if arxiv_id:
        links += [f"https://arxiv.org/abs/{arxiv_id}", f"https://huggingface.co/papers/{arxiv_id}"]
    for key in ("githubRepo", "projectPage"):
        url = _str(paper.get(key))
        if url and url.startswith(("https://", "http://")):
            links.append(url)
    comments = _int(entry.get("numComments"))
    return ParsedRecord.model_validate(
        {
            "id": _paper_id(title),
            "source": {"file": file, "line": line},
            "title": title,
            "abstract": abstract,
            "authors": len(raw_authors) if isinstance(raw_authors, list) else None,
            "organization": organization,
            "date": _iso_date(paper.get("publishedAt")) or _iso_date(entry.get("publishedAt")),
            "comments": comments if comments is not None else _int(paper.get("numComments")),
            "upvotes": _int(paper.get("upvotes")),
            "links": list(dict.fromkeys(links)),
            "arxiv_id": arxiv_id,
            "author_names": names,
            "keywords": [k for k in keywords if isinstance(k, str)]
            if isinstance(keywords, list)
            else [],
        }
    )


def _records_from_json(
    values: Iterable[tuple[int, object]], file: str
) -> tuple[list[ParsedRecord], list[ParseProblem]]:
    """Records of Daily Papers entries (or papers); anything else is a problem."""
    records: list[ParsedRecord] = []
    problems: list[ParseProblem] = []
    for line, value in values:
        entries = value.get("dailyPapers") if isinstance(value, dict) else None
        if isinstance(entries, list):  # the page's data: {"dailyPapers": [...], ...}
            for entry in entries:
                record = _json_record(entry, file, line)
                if record is None:
                    problems.append(
                        ParseProblem(file=file, line=line, message="an entry that is not a paper")
                    )
                else:
                    records.append(record)
            continue
        record = _json_record(value, file, line)
        if record is None:
            problems.append(
                ParseProblem(file=file, line=line, message="a JSON value that is not a paper")
            )
        else:
            records.append(record)
    return records, problems


def _parse_json(text: str, file: str, *, brackets: bool) -> ParsedFile | None:
    """Records of API JSON; ``None`` when the text is not JSON at all (a text dump, then).

    Broken JSON is "not a Daily Papers dump" when it starts like JSON does, or
    starts with a bracket in a file named .json; a ``.json`` file that holds a
    text dump (``brackets`` false) is read as one.
    """
    values, bad, fatal = _json_values(text)
    if fatal is not None:
        if _JSON_START.match(text) or (brackets and _suffix(file) in _JSON_SUFFIXES):
            return ParsedFile(file=file, records=[], problems=[_not_a_dump(file, fatal)])
        return None
    if all(value == [] for _, value in values) and not bad:
        empty = ParseProblem(file=file, message="no papers: the JSON holds an empty list")
        return ParsedFile(file=file, records=[], problems=[empty])
    records, problems = _records_from_json(values, file)
    if not records:
        return ParsedFile(
            file=file, records=[], problems=[_not_a_dump(file, "JSON, but not of Daily Papers")]
        )
    problems += [
        ParseProblem(file=file, line=line, message=f"a line that is not valid JSON ({reason})")
        for line, reason in bad
    ]
    return ParsedFile(file=file, records=records, problems=problems)


# ---------------------------------------------------------------------------
# A saved HTML page
# ---------------------------------------------------------------------------

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


def _parse_html(
    text: str, file: str, *, year: int | None, anchor: dt.date | None
) -> ParsedFile | None:
    """Records of a saved Daily Papers page; ``None`` when the text is not HTML at all."""
    if not (
        _suffix(file) in _HTML_SUFFIXES
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
        found, found_problems = _records_from_json([(line, data)], file)
        records += found
        problems += found_problems
    if records:
        return ParsedFile(file=file, records=records, problems=problems)
    # No data element (or nothing in it): read the page's visible text instead.
    if any(line in _FURNITURE and line != _BADGE for _, line in reader.lines):
        parser = _TextParser(file, _Dates(file, year, anchor))
        parser.run_lines(iter(reader.lines))
        return ParsedFile(
            file=file, records=parser.records, problems=_by_line(problems + parser.problems)
        )
    reason = "a web page without Daily Papers data"
    return ParsedFile(file=file, records=[], problems=[*problems, _not_a_dump(file, reason)])


# ---------------------------------------------------------------------------
# Telling the formats apart, and the entry points
# ---------------------------------------------------------------------------


def _parse_chunks(
    chunks: Iterator[str], file: str, *, year: int | None, anchor: dt.date | None
) -> ParsedFile:
    """Records of decoded text, whatever its format: text dump, API JSON or saved page.

    The first non-blank character decides: ``[``/``{`` may be JSON and ``<`` may be
    HTML (both need the whole text); anything else, or JSON/HTML that turns out to
    be neither, is a text dump, read a chunk at a time.
    """
    seen: list[str] = []
    first = ""
    for chunk in chunks:
        seen.append(chunk)
        stripped = chunk.lstrip().lstrip("\ufeff").lstrip()
        if stripped:
            first = stripped[0]
            break
    stream: Iterator[str] = itertools.chain(seen, chunks)
    json_name = _suffix(file) in _JSON_SUFFIXES
    if first in ("[", "{", "<") or (json_name and first):
        text = "".join(stream)
        parsed = (
            _parse_html(text, file, year=year, anchor=anchor)
            if first == "<"
            else _parse_json(text, file, brackets=first in ("[", "{"))
        )
        if parsed is not None:
            return parsed
        stream = _text_chunks(text)
    parser = _TextParser(file, _Dates(file, year, anchor))
    parser.run(stream)
    return ParsedFile(file=file, records=parser.records, problems=parser.problems)


def _by_line(problems: list[ParseProblem]) -> list[ParseProblem]:
    return sorted(problems, key=lambda problem: problem.line or 0)


def _parse_source(
    file: str,
    head: bytes,
    source: _ChunkSource,
    *,
    year: int | None,
    anchor: dt.date | None,
) -> ParsedFile:
    """Decode and parse a dump given as a re-readable source of byte chunks."""
    results: list[ParsedFile] = []

    def consume(chunks: Iterator[str]) -> None:
        results[:] = [_parse_chunks(chunks, file, year=year, anchor=anchor)]  # afresh on a restart

    with _gc_paused():
        is_text, problems = _decode_with(file, head, source, consume)
    if not is_text:
        return ParsedFile(file=file, records=[], problems=problems)
    parsed = results[0]
    parsed.problems = _by_line(problems + parsed.problems)
    return parsed


def parse_text(
    text: str, file: str, *, anchor: dt.date | None = None, year: int | None = None
) -> ParsedFile:
    """Records and problems of decoded text: a text dump (either layout), API JSON or a page."""
    with _gc_paused():
        parsed = _parse_chunks(_text_chunks(text), file, year=year, anchor=anchor)
    parsed.problems = _by_line(parsed.problems)
    return parsed


def parse_bytes(
    data: bytes, file: str, *, year: int | None = None, anchor: dt.date | None = None
) -> ParsedFile:
    """Decode and parse the bytes of one dump; never raises for bad input."""
    return _parse_source(
        file, data[:_BINARY_SAMPLE], _memory_chunks(data), year=year, anchor=anchor
    )


def parse_file(path: Path, *, year: int | None = None) -> ParsedFile:
    """Parse one dump file; a missing or unreadable file is an error problem, not an exception.

    The file is read a chunk at a time (twice when it turns out not to be UTF-8),
    so a large dump never sits in memory whole. Year-less dates are anchored on
    the file's modification date unless the name or ``year`` says otherwise.
    """
    file = str(path)
    try:
        info = path.stat()
        if stat.S_ISDIR(info.st_mode):
            return _failed(file, "is a folder, not a dump file")
        if not stat.S_ISREG(info.st_mode):
            return _failed(file, "not a regular file")
        handle = path.open("rb")
    except FileNotFoundError:
        return _failed(file, "no such file")
    except PermissionError:
        return _failed(file, "permission denied")
    except OSError as error:
        return _failed(file, f"cannot read the file: {error.strerror or error}")
    try:
        anchor: dt.date | None = dt.date.fromtimestamp(info.st_mtime)
    except (OverflowError, OSError, ValueError):
        anchor = None

    def chunks() -> Iterator[bytes]:
        handle.seek(0)
        while block := handle.read(_CHUNK):
            yield block

    with handle:
        try:
            head = handle.read(_BINARY_SAMPLE)
            return _parse_source(file, head, chunks, year=year, anchor=anchor)
        except OSError as error:
            return _failed(file, f"cannot read the file: {error.strerror or error}")


def _failed(file: str, message: str) -> ParsedFile:
    return ParsedFile(
        file=file, records=[], problems=[ParseProblem(file=file, severity="error", message=message)]
    )


class _GcPause:
    """Pauses the cyclic garbage collector while records are built, across threads.

    Parsing makes hundreds of thousands of acyclic objects; left on, the
    collector walks them over and over and costs about half the parse time.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._depth = 0
        self._was_enabled = False

    @contextlib.contextmanager
    def __call__(self) -> Iterator[None]:
        with self._lock:
            if self._depth == 0:
                self._was_enabled = gc.isenabled()
                gc.disable()
            self._depth += 1
        try:
            yield
        finally:
            with self._lock:
                self._depth -= 1
                if self._depth == 0 and self._was_enabled:
                    gc.enable()


_gc_paused = _GcPause()


# ---------------------------------------------------------------------------
# Finding dump files
# ---------------------------------------------------------------------------

# Files a folder walk picks up (a file named on its own is always read).
DUMP_SUFFIXES = frozenset(
    {"", ".txt", ".text", ".dump", ".json", ".jsonl", ".ndjson", ".html", ".htm"}
)


def find_dump_files(paths: Iterable[Path]) -> tuple[list[Path], list[ParseProblem]]:
    """The dump files named by ``paths``: a file is itself, a folder is walked recursively.

    Folders are walked in sorted order, skipping hidden files and folders and
    files whose suffix is not in :data:`DUMP_SUFFIXES`; a folder reached twice
    (a symlink to a parent, say) is walked once, and a file reached twice is
    listed once. A missing path is an error problem.
    """
    found: list[Path] = []
    problems: list[ParseProblem] = []
    seen_files: set[tuple[int, int]] = set()
    seen_dirs: set[tuple[int, int]] = set()

    def add_file(path: Path, info: os.stat_result) -> None:
        key = (info.st_dev, info.st_ino)
        if key not in seen_files:
            seen_files.add(key)
            found.append(path)

    def walk(folder: Path, info: os.stat_result) -> None:
        key = (info.st_dev, info.st_ino)
        if key in seen_dirs:
            return
        seen_dirs.add(key)
        try:
            with os.scandir(folder) as entries:
                names = sorted(entry.name for entry in entries)
        except OSError as error:
            problems.append(
                ParseProblem(
                    file=str(folder),
                    severity="error",
                    message=f"cannot read the folder: {error.strerror or error}",
                )
            )
            return
        for name in names:
            if name.startswith("."):
                continue
            child = folder / name
            try:
                child_info = child.stat()
            except OSError as error:
                problems.append(
                    ParseProblem(
                        file=str(child),
                        message=f"skipped: {error.strerror or error} (a broken link?)",
                    )
                )
                continue
            if stat.S_ISDIR(child_info.st_mode):
                walk(child, child_info)
            elif stat.S_ISREG(child_info.st_mode) and child.suffix.lower() in DUMP_SUFFIXES:
                add_file(child, child_info)

    for path in paths:
        try:
            info = path.stat()
        except FileNotFoundError:
            problems.append(
                ParseProblem(file=str(path), severity="error", message="no such file or folder")
            )
            continue
        except OSError as error:
            problems.append(
                ParseProblem(
                    file=str(path),
                    severity="error",
                    message=f"cannot open: {error.strerror or error}",
                )
            )
            continue
        if stat.S_ISDIR(info.st_mode):
            walk(path, info)
        else:
            add_file(path, info)
    return found, problems
