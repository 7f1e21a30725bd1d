"""Counts in words: ``1 paper``, ``2 papers``, ``1 entry``, ``0 entries``.

Every count the app, the CLI and the exports show goes through :func:`counted`, so a
singular never reads "1 papers" and a plural never hides behind "paper(s)".
"""

from __future__ import annotations

__all__ = ["counted", "noun_for"]


def noun_for(count: int, noun: str, plural: str | None = None) -> str:
    """``noun`` when ``count`` is exactly 1, else ``plural`` (default: ``noun + "s"``).

    English counts zero and every other number as plural ("0 papers", "2 papers")."""
    if count == 1:
        return noun
    return plural if plural is not None else noun + "s"


def counted(count: int, noun: str, plural: str | None = None) -> str:
    """``count`` with thousands separators and the noun that agrees with it:
    ``counted(1, "paper")`` -> ``1 paper``; ``counted(1200, "entry", "entries")`` ->
    ``1,200 entries``."""
    return f"{count:,} {noun_for(count, noun, plural)}"
