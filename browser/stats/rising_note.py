"""Why there are no rising terms, and what would give some, in words.

Rising terms compare the latest period with papers against the one before it, and a
term rises only when it is in enough papers of the latest period (``terms.papers_needed``)
and in a larger share of them than before. A small library, a narrow search or a short
period leaves nothing to show; an empty table would look broken, so the stats say which
of these it is, with the numbers, and which other period could help.
"""

from __future__ import annotations

from dataclasses import dataclass

from browser.stats.periods import Period
from browser.stats.summary import LibraryStats
from browser.stats.terms import papers_needed
from browser.wording import counted

__all__ = ["RisingNote", "rising_note"]

# The period before (longer: more papers each) and after (shorter: more periods).
_LONGER: dict[Period, Period | None] = {"day": "week", "week": "month", "month": None}
_SHORTER: dict[Period, Period | None] = {"day": None, "week": "day", "month": "week"}


@dataclass(frozen=True)
class RisingNote:
    """Why no term rose (``text``, whole sentences), and a period that would compare
    more (``try_period``: longer when the latest period has too few papers, shorter when
    every paper is in one period; None when no other period helps)."""

    text: str
    try_period: Period | None = None


def rising_note(stats: LibraryStats) -> RisingNote | None:
    """The note for stats whose rising terms are counted and empty; None otherwise."""
    if not stats.rising_counted or stats.rising_terms:
        return None
    by = stats.by
    latest, previous = stats.latest, stats.previous
    if latest is None:
        if stats.papers == 0:
            return RisingNote("No papers are counted, so there is nothing to compare.")
        return RisingNote(
            f"Rising terms compare the papers of the latest {by} with those of the {by} "
            f"before it, but none of these {counted(stats.papers, 'paper')} has a listing "
            "day or a date."
        )
    if previous is None:
        return RisingNote(
            f"Rising terms compare the latest {by} with papers against the one before "
            f"it, and every dated paper here is in {latest.key} "
            f"({counted(latest.count, 'paper')}). Papers from a second {by} would fill "
            "this table.",
            _SHORTER[by],
        )
    needed = papers_needed(latest.count)
    before = f"{previous.key} ({counted(previous.count, 'paper')})"
    if latest.count < needed:
        why = (
            f"{latest.key} has only {counted(latest.count, 'paper')}. A term rises once it "
            f"is in at least {counted(needed, 'paper')} of the latest {by} and in a larger "
            f"share of them than in {before}."
        )
    else:
        why = (
            f"No term of the {counted(latest.count, 'paper')} of {latest.key} rose: a term "
            f"must be in at least {needed} of them and in a larger share than in {before}."
        )
    longer = _LONGER[by]
    wider = "Longer periods or a wider search" if longer else "A wider search or more dumps"
    return RisingNote(f"{why} {wider} give each period more papers.", longer)
