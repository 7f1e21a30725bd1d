"""What parsing one file gives (:class:`ParsedFile`) and the shared wording of problems."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from pathlib import Path

from browser.identity import paper_id
from browser.models import ParsedRecord, ParseProblem

__all__ = [
    "NOT_A_DUMP",
    "ParsedFile",
    "by_line",
    "cached_paper_id",
    "failed",
    "not_a_dump",
    "printable",
    "refused",
    "suffix",
]

NOT_A_DUMP = "not a Daily Papers dump"


@dataclass
class ParsedFile:
    """What one file produced: its records in file order and its problems."""

    file: str  # path as given, for messages
    records: list[ParsedRecord] = field(default_factory=list)
    problems: list[ParseProblem] = field(default_factory=list)
    # Why the file is not a Daily Papers dump (None: it is one, or it could not be read).
    # Its problems then hold that one warning; a folder walk summarises such files.
    refusal: ParseProblem | None = None


# The same paper turns up in many dumps (and often twice in one); its id, which
# costs more to compute than the rest of its record, is worth remembering.
cached_paper_id = functools.lru_cache(maxsize=1 << 14)(paper_id)


def printable(text: str, limit: int = 60) -> str:
    """``text`` shortened and with control characters escaped, for a message."""
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    if not text.isprintable():
        text = "".join(ch if ch.isprintable() else ascii(ch)[1:-1] for ch in text)
    return text


def suffix(file: str) -> str:
    """The lower-cased suffix of the file's name (``""`` without one), whatever the separator."""
    return Path(re.split(r"[\\/]", file)[-1]).suffix.lower()


def not_a_dump(file: str, reason: str, line: int | None = None) -> ParseProblem:
    """The one warning of a file that holds no Daily Papers data, and why."""
    return ParseProblem(file=file, line=line, message=f"{NOT_A_DUMP} ({reason}); skipped")


def refused(file: str, problem: ParseProblem) -> ParsedFile:
    """No records and one warning (``problem``): the file holds no Daily Papers data."""
    return ParsedFile(file=file, records=[], problems=[problem], refusal=problem)


def by_line(problems: list[ParseProblem]) -> list[ParseProblem]:
    """Problems in file order (those about the whole file first)."""
    return sorted(problems, key=lambda problem: problem.line or 0)


def failed(file: str, message: str) -> ParsedFile:
    """No records and one error: the file could not be read at all."""
    return ParsedFile(
        file=file, records=[], problems=[ParseProblem(file=file, severity="error", message=message)]
    )
