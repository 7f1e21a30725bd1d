"""Tagged papers to CSV and back.

Two shapes: *wide* (one row per paper, tags joined with ``; ``) for reading in
a spreadsheet, and *long* (one row per paper and tag) for pivot tables and
scripts. Both are RFC 4180 as Python's csv module writes it (CRLF line ends,
fields quoted when needed), UTF-8, always with a header.

Dump text is untrusted: a title starting with ``=`` would run as a formula in
a spreadsheet, so such cells get a leading ``'`` (OWASP "CSV injection").
Import takes that quote off again, so export -> import -> export is lossless.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from browser.identity import paper_id as paper_id_for_title
from browser.models import Paper
from browser.tags import TagError, clean_tag, tag_key

WIDE_COLUMNS = (
    "id",
    "title",
    "tags",
    "date",
    "authors",
    "organization",
    "comments",
    "upvotes",
    "links",
    "sources",
)
# The long form names one tag per row instead of the list.
LONG_COLUMNS = tuple("tag" if column == "tags" else column for column in WIDE_COLUMNS)
LIST_SEPARATOR = "; "

# What a spreadsheet treats as the start of a formula (OWASP CSV injection).
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_QUOTE = "'"


class CsvImportError(ValueError):
    """A CSV file that cannot be read as tags; the message names the file and line."""


@dataclass
class ExportRow:
    """One paper to export: its tags, and the library's paper when the dumps still have it."""

    paper_id: str
    title: str
    tags: list[str]
    paper: Paper | None = None


@dataclass
class ImportedTags:
    """The tags one CSV gives one paper, in the order they appear."""

    paper_id: str
    title: str
    tags: list[str] = field(default_factory=list)
    line: int = 0  # where the paper's first row starts, for messages


def neutralize_cell(value: str) -> str:
    """Make a cell inert in spreadsheets: ``=1+1`` -> ``'=1+1``.

    A value that already looks neutralised (``'=x``) gets one more quote, so
    that ``restore_cell`` can always tell the two apart.
    """
    if value.lstrip(_QUOTE).startswith(_FORMULA_STARTS):
        return _QUOTE + value
    return value


def restore_cell(value: str) -> str:
    """Undo ``neutralize_cell``: strip one ``'`` only where it guarded a formula start."""
    if value.startswith(_QUOTE) and value.lstrip(_QUOTE).startswith(_FORMULA_STARTS):
        return value[1:]
    return value


def _number(value: int | None) -> str:
    return "" if value is None else str(value)


def _paper_cells(paper: Paper | None) -> dict[str, str]:
    if paper is None:
        return {}
    authors = paper.authors if paper.authors is not None else (len(paper.author_names) or None)
    organization = paper.organization
    return {
        "date": paper.date.isoformat() if paper.date else "",
        "authors": _number(authors),
        "organization": (organization.name or organization.slug) if organization else "",
        "comments": _number(paper.comments),
        "upvotes": _number(paper.upvotes),
        "links": LIST_SEPARATOR.join(paper.links),
        "sources": LIST_SEPARATOR.join(f"{s.file}:{s.line}" for s in paper.sources),
    }


def _records(rows: Iterable[ExportRow], *, long: bool) -> Iterator[dict[str, str]]:
    for row in rows:
        title = row.title or (row.paper.title if row.paper else "")
        common = {"id": row.paper_id, "title": title, **_paper_cells(row.paper)}
        if not long:
            yield {**common, "tags": LIST_SEPARATOR.join(row.tags)}
        elif not row.tags:
            # An untagged paper (a search result) still gets its row.
            yield {**common, "tag": ""}
        else:
            for tag in row.tags:
                yield {**common, "tag": tag}


def write_csv(
    out: TextIO,
    rows: Iterable[ExportRow],
    *,
    long: bool = False,
    neutralize: bool = True,
    bom: bool = False,
) -> int:
    """Write the header and the rows; returns the number of data rows written.

    ``out`` should be opened with ``newline=""`` so the CRLF line ends and the
    line breaks inside quoted titles are written as they are. ``bom`` starts
    the text with U+FEFF, which Excel needs to read UTF-8 rather than ANSI.
    """
    columns = LONG_COLUMNS if long else WIDE_COLUMNS
    if bom:
        out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow(columns)
    written = 0
    for record in _records(rows, long=long):
        cells = [record.get(column, "") for column in columns]
        if neutralize:
            cells = [neutralize_cell(cell) for cell in cells]
        writer.writerow(cells)
        written += 1
    return written


def read_tag_rows(path: Path) -> list[ImportedTags]:
    """The tags of each paper in a wide or long CSV export, detected from the header.

    Rows are grouped by paper id in order of first appearance; a row without an
    id gets the id its title would have. Papers unknown to the library are
    returned like the others. Raises CsvImportError (a ValueError) naming the
    line for a file that is not such an export or holds an invalid tag.
    """
    # utf-8-sig: a spreadsheet that saved the file again may have added a BOM.
    with Path(path).open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader, None)
        if header is None:
            raise CsvImportError(f"{path} is empty (expected a header line)")
        columns = [name.strip().casefold() for name in header]
        if "tags" in columns:
            tag_column, splits = columns.index("tags"), True
        elif "tag" in columns:
            tag_column, splits = columns.index("tag"), False
        else:
            raise CsvImportError(
                f"{path}:1: the header has neither a 'tags' nor a 'tag' column "
                f"(found: {', '.join(header) or 'nothing'})"
            )
        if "id" not in columns and "title" not in columns:
            raise CsvImportError(f"{path}:1: the header has neither an 'id' nor a 'title' column")
        id_column = columns.index("id") if "id" in columns else None
        title_column = columns.index("title") if "title" in columns else None

        papers: dict[str, ImportedTags] = {}
        line = reader.line_num + 1
        for cells in reader:
            row_line, line = line, reader.line_num + 1
            if not any(value.strip() for value in cells):
                continue
            title = restore_cell(_cell(cells, title_column))
            paper_id = restore_cell(_cell(cells, id_column)).strip() or (
                paper_id_for_title(title) if title.strip() else ""
            )
            if not paper_id:
                raise CsvImportError(f"{path}:{row_line}: the row has neither an id nor a title")
            raw_tags = restore_cell(_cell(cells, tag_column))
            names = raw_tags.split(";") if splits else [raw_tags]
            tags: list[str] = []
            for name in names:
                if not name.strip():
                    continue
                try:
                    tags.append(clean_tag(name))
                except TagError as error:
                    raise CsvImportError(f"{path}:{row_line}: {error}") from None
            entry = papers.setdefault(paper_id, ImportedTags(paper_id, title, [], row_line))
            entry.title = entry.title or title
            seen = {tag_key(tag) for tag in entry.tags}
            for tag in tags:
                if tag_key(tag) not in seen:
                    seen.add(tag_key(tag))
                    entry.tags.append(tag)
    return list(papers.values())


def _cell(cells: list[str], index: int | None) -> str:
    return cells[index] if index is not None and index < len(cells) else ""
