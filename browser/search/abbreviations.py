"""Abbreviations the library defines itself, mined at indexing and kept beside the index.

``reinforcement learning (RL)`` in an abstract teaches the query side that ``RL`` also
means those words (``browser.text.acronyms``: Schwartz and Hearst's algorithm). The
counts (short form -> long form -> papers defining it so) live in ``ACRONYMS_FILE``,
written whole (``fsutil``) after each rebuild or update; a paper removed later leaves
its definitions counted, which only keeps a true definition known.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Final

from browser.fsutil import atomic_write
from browser.models import Paper
from browser.text.acronyms import AcronymTable, mine_counts

__all__ = ["ACRONYMS_FILE", "MinedAbbreviations"]

ACRONYMS_FILE: Final = "acronyms.json"


class MinedAbbreviations:
    """Definition counts of one index: ``add`` papers, ``save``, and the ``table`` to query."""

    def __init__(self, counts: dict[str, Counter[str]] | None = None) -> None:
        self.counts: dict[str, Counter[str]] = counts or {}

    @classmethod
    def load(cls, index_dir: Path) -> MinedAbbreviations:
        """The counts saved in ``index_dir``; none when the file is missing or unreadable."""
        try:
            data = json.loads((index_dir / ACRONYMS_FILE).read_text(encoding="utf-8"))
            counts = {
                str(short): Counter({str(long): int(n) for long, n in longs.items()})
                for short, longs in data.items()
            }
        except (OSError, ValueError, AttributeError, TypeError):
            return cls()
        return cls(counts)

    def add(self, paper: Paper) -> None:
        """Count the definitions in ``paper``'s title and abstract."""
        if "(" not in paper.abstract and "(" not in paper.title:
            return
        for short, longs in mine_counts([f"{paper.title}. {paper.abstract}"]).items():
            self.counts.setdefault(short, Counter()).update(longs)

    def save(self, index_dir: Path) -> None:
        data = {short: dict(longs) for short, longs in sorted(self.counts.items())}
        atomic_write(index_dir / ACRONYMS_FILE, json.dumps(data, ensure_ascii=False))

    def table(self) -> AcronymTable:
        """The built-in abbreviations with these."""
        return AcronymTable.from_counts(self.counts)
