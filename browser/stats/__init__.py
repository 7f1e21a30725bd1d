"""The library at a glance: papers over time, tags, organisations, authors, rising terms.

Pure computation (no Textual, no Whoosh): ``periods`` names days, ISO weeks and months,
``terms`` finds a paper's words and phrases and scores rising ones, ``summary`` counts a
set of papers. ``Services.stats`` feeds it from the library; the CLI and the stats screen
show what it returns.
"""

from browser.stats.periods import NO_DATE, PERIODS, Period, period_key, period_query
from browser.stats.summary import (
    TOP,
    FactColumns,
    LibraryStats,
    NameCount,
    PaperFacts,
    PeriodCount,
    PeriodGap,
    compute_stats,
    condensed,
    newest_first,
)
from browser.stats.terms import RisingTerm, paper_terms, rising_terms

__all__ = [
    "NO_DATE",
    "PERIODS",
    "TOP",
    "FactColumns",
    "LibraryStats",
    "NameCount",
    "PaperFacts",
    "Period",
    "PeriodCount",
    "PeriodGap",
    "RisingTerm",
    "compute_stats",
    "condensed",
    "newest_first",
    "paper_terms",
    "period_key",
    "period_query",
    "rising_terms",
]
