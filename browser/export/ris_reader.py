"""Read RIS records back: ours, or re-exported by Zotero, EndNote or Mendeley.

Lenient where writers differ: one or two spaces before the hyphen, a missing space
after it, any line ends, a BOM, blank lines between records. A line without a tag
continues the previous value (a wrapped line); under ``KW`` it is one more keyword,
as EndNote writes them. ``KW`` values are also split at ``;``, as Zotero reads them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_TAG_LINE = re.compile(r"^([A-Z][A-Z0-9])  ?-(?: (.*))?$")


@dataclass
class RisRecord:
    """One record: its values by tag, in file order, and the line of its ``TY``."""

    fields: dict[str, list[str]] = field(default_factory=dict)
    line: int = 0

    def first(self, *tags: str) -> str:
        """The first value of the first of ``tags`` present, else ''."""
        for tag in tags:
            values = self.fields.get(tag)
            if values:
                return values[0]
        return ""

    def keywords(self) -> list[str]:
        return [
            part.strip()
            for value in self.fields.get("KW", [])
            for part in value.split(";")
            if part.strip()
        ]


def parse_ris(text: str) -> tuple[list[RisRecord], list[str]]:
    """Records of a RIS text, and messages about lines that belong to no record."""
    records: list[RisRecord] = []
    problems: list[str] = []
    current: RisRecord | None = None
    last_tag = ""
    for number, raw in enumerate(text.lstrip("\ufeff").splitlines(), start=1):
        line = raw.rstrip()
        if not line.strip():
            continue
        match = _TAG_LINE.match(line)
        if match is None:
            if current is None:
                problems.append(f"line {number}: text outside a record was ignored")
            elif last_tag == "KW":
                current.fields["KW"].append(line.strip())
            elif last_tag:
                values = current.fields[last_tag]
                values[-1] = f"{values[-1]} {line.strip()}".strip()
            continue
        tag, value = match.group(1), (match.group(2) or "").strip()
        if tag == "TY":
            if current is not None:
                problems.append(
                    f"line {current.line}: a record without ER was closed at the next TY"
                )
                records.append(current)
            current = RisRecord(line=number)
        elif current is None:
            problems.append(f"line {number}: {tag} outside a record was ignored")
            continue
        if tag == "ER":
            records.append(current)
            current, last_tag = None, ""
            continue
        current.fields.setdefault(tag, []).append(value)
        last_tag = tag
    if current is not None:
        problems.append(f"line {current.line}: the last record has no ER; read anyway")
        records.append(current)
    return records, problems
