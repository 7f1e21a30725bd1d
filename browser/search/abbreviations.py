"""Abbreviations the library defines itself, mined at indexing and kept beside the index.

``reinforcement learning (RL)`` in an abstract teaches the query side that ``RL`` also
means those words (``browser.text.acronyms``: Schwartz and Hearst's algorithm). The
counts (short form -> long form -> papers defining it so) live in ``ACRONYMS_FILE``,
written whole (``fsutil``) after each rebuild or update. An update takes back what the
old copy of each replaced or removed paper defined, so a definition goes when the last
paper that gave it does (a dump deleted, a paper edited). Long forms are kept as
written (``mixture of experts``); a file from before that (``mixture experts``) is still
read and taken back from, and rewritten as written by the next rebuild.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Final

from browser.fsutil import atomic_write
from browser.models import Paper
from browser.text.acronyms import AcronymTable, long_form_key, mine_counts

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
        for short, longs in _definitions(paper).items():
            self.counts.setdefault(short, Counter()).update(longs)

    def remove(self, paper: Paper) -> None:
        """Take back what ``add(paper)`` counted (the paper left the index); a long form
        no paper defines any more goes, and a short form without long forms too."""
        for short, longs in _definitions(paper).items():
            counts = self.counts.get(short)
            if counts is None:
                continue
            counts.subtract({_as_counted(counts, long): n for long, n in longs.items()})
            for long in [long for long, count in counts.items() if count <= 0]:
                del counts[long]
            if not counts:
                del self.counts[short]

    def save(self, index_dir: Path) -> None:
        data = {short: dict(longs) for short, longs in sorted(self.counts.items())}
        atomic_write(index_dir / ACRONYMS_FILE, json.dumps(data, ensure_ascii=False))

    def table(self) -> AcronymTable:
        """The built-in abbreviations with these."""
        return AcronymTable.from_counts(self.counts)


def _definitions(paper: Paper) -> dict[str, dict[str, int]]:
    """Short form -> long form -> 1, for each definition in ``paper``'s title and abstract."""
    if "(" not in paper.abstract and "(" not in paper.title:
        return {}
    return mine_counts([f"{paper.title}. {paper.abstract}"])


def _as_counted(counts: Counter[str], long: str) -> str:
    """``long`` (as written) as ``counts`` holds it: a file saved before long forms were
    kept as written holds only their words (``mixture experts``, no stop words)."""
    if long in counts:
        return long
    words = " ".join(long_form_key(long))
    return words if words in counts else long
