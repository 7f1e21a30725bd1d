"""Calendar periods for counting papers over time: listing days, ISO weeks and months.

A period has a key that sorts in time order and reads as the query language writes
dates (``2025-12-05``, ``2025-W49``, ``2025-12``), so the key that labels a bar is also
the start of the search that lists its papers.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Final, Literal

Period = Literal["day", "week", "month"]
PERIODS: Final[tuple[Period, ...]] = ("day", "week", "month")
# The label of papers without a listing day or date: counted, never dropped.
NO_DATE: Final = "no date"


def period_start(day: dt.date, by: Period) -> dt.date:
    """The first day of the period holding ``day`` (weeks start on Monday, ISO 8601)."""
    if by == "day":
        return day
    if by == "week":
        return day - dt.timedelta(days=day.weekday())
    return day.replace(day=1)


def period_key(start: dt.date, by: Period) -> str:
    """``2025-12-05`` for a day, ``2025-W49`` for an ISO week, ``2025-12`` for a month.

    Weeks use the ISO year (``2024-12-30`` is in ``2025-W01``), so keys sort in time order.
    """
    if by == "day":
        return start.isoformat()
    if by == "week":
        year, week, _ = start.isocalendar()
        return f"{year:04d}-W{week:02d}"
    return f"{start.year:04d}-{start.month:02d}"


def next_start(start: dt.date, by: Period) -> dt.date:
    """The first day of the period after the one starting on ``start``."""
    if by == "day":
        return start + dt.timedelta(days=1)
    if by == "week":
        return start + dt.timedelta(days=7)
    if start.month == 12:
        return dt.date(start.year + 1, 1, 1)
    return dt.date(start.year, start.month + 1, 1)


def period_starts(first: dt.date, last: dt.date, by: Period) -> Iterator[dt.date]:
    """Every period from the one holding ``first`` to the one holding ``last``, gaps included."""
    start = period_start(first, by)
    end = period_start(last, by)
    while start <= end:
        yield start
        try:
            start = next_start(start, by)
        except (OverflowError, ValueError):  # the last period of year 9999
            return


def period_end(start: dt.date, by: Period) -> dt.date:
    """The last day of the period starting on ``start``."""
    try:
        return next_start(start, by) - dt.timedelta(days=1)
    except (OverflowError, ValueError):
        return dt.date.max


def period_query(start: dt.date, by: Period, field: str = "date") -> str:
    """The query-language clause for the papers of one period.

    A day or a month is a date the query language reads as that whole period
    (``date:2025-12``); a week has no such spelling and becomes a range of its days.
    """
    if by == "week":
        return f"{field}:[{start.isoformat()} TO {period_end(start, by).isoformat()}]"
    return f"{field}:{period_key(start, by)}"
