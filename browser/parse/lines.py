"""Text a line at a time, and what one line of a text dump can be.

The page furniture of the Daily Papers page (header lines, tab labels, the
``new`` badge), the ``·`` before a card's date, the ``• N authors`` line, an
organisation line and an upvote count are recognised here; dates are in
:mod:`browser.parse.dates`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from browser.models import Organization
from browser.parse import decode

__all__ = [
    "BADGE",
    "DOT",
    "FURNITURE",
    "FURNITURE_LONGEST",
    "NO_UPVOTES",
    "PAGE_MARKS",
    "SUBSCRIBE",
    "SUBSCRIBE_BEFORE",
    "TAB_LABELS",
    "is_upvotes",
    "iter_lines",
    "match_authors",
    "parse_org",
    "text_chunks",
]

# Page furniture, skipped by exact match wherever it appears.
FURNITURE = frozenset(
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
FURNITURE_LONGEST = max(map(len, FURNITURE))
# Header lines only the Daily Papers page prints: one of them is evidence of a dump.
# ("Subscribe" and "Daily Papers" are common words: it takes both, or a tab list, too.)
PAGE_MARKS = frozenset(
    {
        "Get trending papers in your email inbox!",
        "Get trending papers in your email inbox once a day!",
        "byAK and the research community",
        "by AK and the research community",
    }
)
# Furniture after which a glued "Subscribe" prefixes the first title (compact dumps).
SUBSCRIBE_BEFORE = frozenset(
    {
        "Get trending papers in your email inbox!",
        "Get trending papers in your email inbox once a day!",
    }
)
SUBSCRIBE = "Subscribe"
# "new" is a badge, skipped without a trace. The rest of the header ends the
# record being read and starts a page (dumps of several pages repeat it).
BADGE = "new"
# Period tabs of the newer page, one a line or run together ("DailyWeeklyMonthly");
# furniture only in a page's header region.
TAB_LABELS = re.compile(r"(?:Daily|Weekly|Monthly)(?:\s*(?:Daily|Weekly|Monthly))*")

DOT = "·"  # U+00B7, the separator line before the date
NO_UPVOTES = "-"  # what a card prints instead of a count of 0
_BULLET = "•"  # U+2022, starts the authors line

_AUTHORS = re.compile(r"•\s*(\d{1,9})\s+authors?", re.IGNORECASE | re.ASCII)


def text_chunks(text: str) -> Iterator[str]:
    """``text`` in :data:`browser.parse.decode.CHUNK`-sized pieces."""
    size = decode.CHUNK
    for start in range(0, len(text), size):
        yield text[start : start + size]


def iter_lines(chunks: Iterable[str]) -> Iterator[tuple[int, str]]:
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


def is_upvotes(line: str) -> bool:
    """An upvote count on its own line (``-`` when there are none)."""
    return line == NO_UPVOTES or (len(line) <= 9 and line.isascii() and line.isdigit())


def match_authors(line: str) -> re.Match[str] | None:
    """``• 4 authors`` (group 1: the count), or None."""
    if line[0] == _BULLET:
        return _AUTHORS.fullmatch(line)
    return None


def parse_org(line: str) -> Organization:
    """An organisation line: its HF slug, then the display name (the slug when there is none)."""
    parts = line.split(None, 1)
    slug = parts[0]
    name = parts[1] if len(parts) > 1 else slug
    return Organization(slug=slug, name=name)
