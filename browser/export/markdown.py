"""Papers to a Markdown reading list: a section per tag, each paper a linked title with
its date and the first sentence of its abstract.

Dump text is untrusted: every ASCII punctuation character that CommonMark or GitHub
Markdown could read as syntax is backslash-escaped (CommonMark allows the escape
before any ASCII punctuation), so a title such as ``[x](javascript:...)`` or
``<script>`` stays text. Links are only plain http(s) URLs, written in ``<...>``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import TextIO

from browser.export.rows import ExportRow, first_sentence, listing_day, one_line, web_link
from browser.wording import counted

UNTAGGED_HEADING = "Untagged"
# Left alone: punctuation with no Markdown meaning, so titles stay readable.
_MARKDOWN_SPECIAL = re.compile(r"""([!"#$%&()*+\-./:<=>?@\[\\\]^_`{|}~])""")
_HARMLESS = frozenset(",;'\"?/%:")


def escape_markdown(text: str) -> str:
    """One line of literal text: ``*bold* [x](y)`` -> ``\\*bold\\* \\[x\\]\\(y\\)``."""

    def escape(match: re.Match[str]) -> str:
        char = match.group(1)
        return char if char in _HARMLESS else "\\" + char

    return _MARKDOWN_SPECIAL.sub(escape, one_line(text))


def _link_target(url: str) -> str:
    # Inside <...> a destination may not hold <, > or a line break.
    return url.replace("<", "%3C").replace(">", "%3E")


def _item(row: ExportRow) -> str:
    title = escape_markdown(row.shown_title) or "(untitled)"
    url = web_link(row.paper)
    line = f"- [{title}](<{_link_target(url)}>)" if url else f"- {title}"
    # The day to read it by: when it was listed, else the paper's own date.
    day = listing_day(row.paper) or (row.paper.date if row.paper is not None else None)
    if day is not None:
        line += f" · {day.isoformat()}"
    if row.read:
        line += " · read"
    parts = [line]
    if row.paper is not None and row.paper.abstract.strip():
        parts.append("  " + escape_markdown(first_sentence(row.paper.abstract)))
    if row.note and row.note.strip():
        parts.append("  Note: " + escape_markdown(row.note))
    # Two trailing spaces: a hard line break inside the list item.
    return "  \n".join(parts)


def _groups(rows: Sequence[ExportRow]) -> list[tuple[str, list[ExportRow]]]:
    by_tag: dict[str, tuple[str, list[ExportRow]]] = {}
    untagged: list[ExportRow] = []
    for row in rows:
        if not row.tags:
            untagged.append(row)
        for tag in row.tags:
            by_tag.setdefault(tag.casefold(), (tag, []))[1].append(row)
    groups = [by_tag[key] for key in sorted(by_tag)]
    if untagged:
        groups.append((UNTAGGED_HEADING, untagged))
    return groups


def write_markdown(out: TextIO, rows: Iterable[ExportRow], *, title: str = "Reading list") -> int:
    """Write the list: tags in alphabetical order, papers in the order given (a paper
    with two tags is under both), untagged papers last. Returns papers written."""
    papers = list(rows)
    out.write(f"# {escape_markdown(title)}\n\n")
    out.write(f"{counted(len(papers), 'paper')}\n")
    for heading, members in _groups(papers):
        out.write(f"\n## {escape_markdown(heading)}\n\n")
        for row in members:
            out.write(_item(row) + "\n")
    return len(papers)
