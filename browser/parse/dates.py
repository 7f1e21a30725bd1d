"""Date lines (``Mar 6``, ``Feb 5, 2023``, ``Jun 16 2``) and the year rules for year-less ones.

A page shows its own date (the listing day) in its header and each paper's date
on its card, often without a year. A year-less date is the latest such day on or
before its reference: the page's date for a paper, and for the page date the
explicit ``year`` (if given), else the date in the file's name, else the
caller's anchor (the file's modification day), else today.
"""

from __future__ import annotations

import datetime as dt
import re

from browser.models import ParseProblem

__all__ = ["DateResolver", "file_date", "match_date"]

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


def match_date(line: str) -> re.Match[str] | None:
    """A whole date line: groups ``month``, ``day``, ``year`` (or None), ``count`` (or None)."""
    if len(line) <= _MAX_DATE_LINE and line[:3] in _MONTH_PREFIXES:
        return _DATE.fullmatch(line)
    return None


def file_date(file: str) -> dt.date | None:
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


class DateResolver:
    """Turns date lines into dates: the page date (the listing day), then the papers' dates."""

    def __init__(self, file: str, year: int | None, anchor: dt.date | None) -> None:
        self.file = file
        self.year = year
        # The anchor year comes from the explicit year, the file name, the caller's
        # anchor (parse_file: the modification time) or today, in that order.
        self.anchor = file_date(file) or anchor or dt.date.today()
        self.page: dt.date | None = None

    def set_page(self, match: re.Match[str], line: int, problems: list[ParseProblem]) -> None:
        """Take a header date line as the page's date; an impossible one is a problem."""
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
