"""Papers to CSV and tags back from CSV, as spreadsheets write and re-save it.

Two shapes: *wide* (one row per paper, tags joined with ``; ``) for reading in
a spreadsheet, and *long* (one row per paper and tag) for pivot tables and
scripts. Both are RFC 4180 as Python's csv module writes it (CRLF line ends,
fields quoted when needed), UTF-8, always with a header. ``--columns`` picks and
orders the columns; ``--excel`` adds the byte-order mark Excel needs to read UTF-8.

Dump text is untrusted: a title starting with ``=`` would run as a formula in
a spreadsheet, so such cells get a leading ``'`` (OWASP "CSV injection"), and
escape sequences, C1 and bidi controls would reach whoever ``cat``s the file or
reorder what a spreadsheet shows, so they are made visible as on screen
(:func:`visible_cell`). Import takes the quote off again, so export -> import ->
export is lossless for everything a tag or id can hold. ``neutralize=False``
(``--no-neutralize``) writes the stored text exactly.

Import reads what a spreadsheet saves back: comma, semicolon (Excel in locales
with a decimal comma) or tab separated; UTF-8 with or without BOM, UTF-16 with a
BOM ("Unicode text"), else Windows-1252 (Excel's plain "CSV"); any line ends.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TextIO

from browser.export.rows import ExportRow, arxiv_id_of, listing_day, web_link
from browser.identity import paper_id as paper_id_for_title
from browser.models import Paper
from browser.safe_text import safe_line, safe_text
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
# Every column ``--columns`` may name, in the order the help lists them.
CSV_COLUMNS = (
    *WIDE_COLUMNS,
    "abstract",
    "listed",
    "arxiv_id",
    "url",
    "author_names",
    "notes",
    "read",
)
LIST_SEPARATOR = "; "

# What a spreadsheet treats as the start of a formula (OWASP CSV injection).
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_QUOTE = "'"
_DELIMITERS = (",", ";", "\t")
_DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab"}


class CsvImportError(ValueError):
    """A CSV file that cannot be read as tags; the message names the file and line."""


class ColumnError(ValueError):
    """Unknown or repeated ``--columns`` names; the message lists the valid ones."""


@dataclass
class ImportedTags:
    """The tags one CSV gives one paper, in the order they appear."""

    paper_id: str  # the row's own id cell; '' when the file names papers by title only
    title: str
    tags: list[str] = field(default_factory=list)
    line: int = 0  # where the paper's first row starts, for messages
    arxiv_id: str = ""


@dataclass(frozen=True)
class CsvDialect:
    """How an imported CSV was written, as detected: named in the import's report."""

    encoding: str  # "UTF-8", "UTF-8 with BOM", "UTF-16", "Windows-1252"
    delimiter: str
    line_ends: str  # "CRLF", "LF", "CR", "mixed" or "none"

    def describe(self) -> str:
        name = _DELIMITER_NAMES.get(self.delimiter, repr(self.delimiter))
        return f"CSV, {name}-separated, {self.encoding}, {self.line_ends} line ends"


def resolve_columns(names: str | Sequence[str] | None, *, long: bool = False) -> tuple[str, ...]:
    """The columns to write: ``"title,tags,abstract"`` -> ``("title", "tags", "abstract")``.

    None gives the default wide or long set. In the long form ``tags`` and ``tag``
    both name the one-tag column. Raises ColumnError naming the valid columns for an
    unknown, repeated or empty choice.
    """
    if names is None:
        return LONG_COLUMNS if long else WIDE_COLUMNS
    wanted = names.split(",") if isinstance(names, str) else list(names)
    chosen: list[str] = []
    for raw in wanted:
        name = raw.strip().casefold()
        if name in ("tags", "tag"):
            name = "tag" if long else "tags"
        if name not in CSV_COLUMNS and name != "tag":
            raise ColumnError(
                f"unknown column {raw.strip()!r}; valid columns: {', '.join(CSV_COLUMNS)}"
            )
        if name in chosen:
            raise ColumnError(f"column {name!r} is named twice")
        chosen.append(name)
    if not chosen or chosen == [""]:
        raise ColumnError(f"no column chosen; valid columns: {', '.join(CSV_COLUMNS)}")
    return tuple(chosen)


def neutralize_cell(value: str) -> str:
    """Make a cell inert in spreadsheets: ``=1+1`` -> ``'=1+1``.

    A value that already looks neutralised (``'=x``) gets one more quote, so
    that ``restore_cell`` can always tell the two apart.
    """
    if value.lstrip(_QUOTE).startswith(_FORMULA_STARTS):
        return _QUOTE + value
    return value


def visible_cell(value: str) -> str:
    """Control characters made visible as on screen (``safe_text``: ESC -> ␛, BEL -> ␇,
    C1 and bidi controls and invisible characters -> �; U+2028/2029 -> a line break),
    keeping what structures a cell: tab, line feed and carriage return."""
    return "\r".join(safe_text(part) for part in value.split("\r"))


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
    listed = listing_day(paper)
    return {
        "date": paper.date.isoformat() if paper.date else "",
        "authors": _number(authors),
        "organization": (organization.name or organization.slug) if organization else "",
        "comments": _number(paper.comments),
        "upvotes": _number(paper.upvotes),
        "links": LIST_SEPARATOR.join(paper.links),
        "sources": LIST_SEPARATOR.join(f"{s.file}:{s.line}" for s in paper.sources),
        "abstract": paper.abstract,
        "listed": listed.isoformat() if listed else "",
        "arxiv_id": arxiv_id_of(paper),
        "url": web_link(paper),
        "author_names": LIST_SEPARATOR.join(paper.author_names),
    }


def _records(rows: Iterable[ExportRow], *, long: bool) -> Iterator[dict[str, str]]:
    for row in rows:
        common = {
            "id": row.paper_id,
            "title": row.shown_title,
            **_paper_cells(row.paper),
            "notes": row.note or "",
            "read": "" if row.read is None else ("yes" if row.read else "no"),
        }
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
    columns: Sequence[str] | None = None,
) -> int:
    """Write the header and the rows; returns the number of data rows written.

    ``out`` should be opened with ``newline=""`` so the CRLF line ends and the
    line breaks inside quoted titles are written as they are. ``bom`` starts
    the text with U+FEFF, which Excel needs to read UTF-8 rather than ANSI.
    ``columns`` (from :func:`resolve_columns`) defaults to the wide or long set.
    """
    chosen = tuple(columns) if columns is not None else resolve_columns(None, long=long)
    if bom:
        out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow(chosen)
    written = 0
    for record in _records(rows, long=long):
        cells = [record.get(column, "") for column in chosen]
        if neutralize:
            cells = [neutralize_cell(visible_cell(cell)) for cell in cells]
        writer.writerow(cells)
        written += 1
    return written


# ------------------------------------------------------------------ import


def decode_spreadsheet_text(data: bytes) -> tuple[str, str]:
    """Bytes of a text file saved by a spreadsheet or reference manager -> (text, encoding).

    A BOM decides (UTF-8 or UTF-16); else strict UTF-8; else Windows-1252, the
    "ANSI" code page Excel writes on Western Windows. Bytes cp1252 leaves undefined
    (0x81, 0x8D, 0x8F, 0x90, 0x9D) are read as Latin-1 so nothing is refused.
    """
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace"), "UTF-8 with BOM"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", errors="replace"), "UTF-16"
    try:
        return data.decode("utf-8"), "UTF-8"
    except UnicodeDecodeError:
        pass
    return data.decode("latin-1").translate(_CP1252_FROM_LATIN1), "Windows-1252"


def _cp1252_char(byte: int) -> str:
    try:
        return bytes([byte]).decode("cp1252")
    except UnicodeDecodeError:
        return chr(byte)


# Latin-1 decodes every byte; this table then turns each into its cp1252 character.
_CP1252_FROM_LATIN1 = {byte: _cp1252_char(byte) for byte in range(0x80, 0xA0)}


def _line_ends(text: str) -> str:
    crlf = text.count("\r\n")
    lf = text.count("\n") - crlf
    cr = text.count("\r") - crlf
    kinds = [name for name, count in (("CRLF", crlf), ("LF", lf), ("CR", cr)) if count]
    if not kinds:
        return "none"
    return kinds[0] if len(kinds) == 1 else "mixed"


def header_columns(header: list[str]) -> list[str]:
    return [name.strip().lstrip("\ufeff").casefold() for name in header]


def detect_delimiter(text: str) -> str:
    """The separator under which the first line is a tag export's header.

    Sniffing character counts guesses wrong on a title full of commas; the header
    is ours, so the right separator is the one that splits it into known names.
    """
    first_line = text.splitlines()[0] if text else ""
    best, best_known = ",", -1
    for delimiter in _DELIMITERS:
        header = next(csv.reader([first_line], delimiter=delimiter), [])
        known = sum(name in (*CSV_COLUMNS, "tag") for name in header_columns(header))
        if known > best_known:
            best, best_known = delimiter, known
    return best


def clean_tags(names: Iterable[str], line: int, problems: list[str]) -> list[str]:
    """The valid tags among ``names`` (``tagnames`` rules), each once, in order.

    A bad name is skipped and named in ``problems`` (with ``line``), never a reason to
    refuse the rest: the one rule of the CSV, BibTeX and RIS readers.
    """
    tags: list[str] = []
    seen: set[str] = set()
    for name in names:
        if not name.strip():
            continue
        try:
            tag = clean_tag(name)
        except TagError as error:
            problems.append(f"line {line}: tag {safe_line(name.strip())!r} skipped: {error}")
            continue
        if tag_key(tag) not in seen:
            seen.add(tag_key(tag))
            tags.append(tag)
    return tags


@dataclass
class CsvTags:
    """What a CSV gives back: the tags per paper, how it was written, rows it skipped."""

    papers: list[ImportedTags]
    dialect: CsvDialect
    problems: list[str] = field(default_factory=list)


def read_csv_tags(data: bytes, name: str) -> CsvTags:
    """The tags of each paper in a wide or long CSV export (bytes of file ``name``),
    detected from the header, and how the file was written.

    Rows are grouped by id, else by the id their title would have, in order of first
    appearance; ``paper_id`` is the row's own id cell ('' when it has none, so a title
    that matches nothing never becomes a paper). A bad tag name, or a row with neither
    id nor title, is skipped and named in ``problems``. Raises CsvImportError (a
    ValueError) naming the line for a file that is not such an export.
    """
    text, encoding = decode_spreadsheet_text(data)
    dialect = CsvDialect(encoding, detect_delimiter(text), _line_ends(text))
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=dialect.delimiter)
    header = next(reader, None)
    if header is None:
        raise CsvImportError(f"{name} is empty (expected a header line)")
    columns = header_columns(header)
    if "tags" in columns:
        tag_column, splits = columns.index("tags"), True
    elif "tag" in columns:
        tag_column, splits = columns.index("tag"), False
    else:
        raise CsvImportError(
            f"{name}:1: the header has neither a 'tags' nor a 'tag' column "
            f"(found: {', '.join(header) or 'nothing'})"
        )
    if "id" not in columns and "title" not in columns:
        raise CsvImportError(f"{name}:1: the header has neither an 'id' nor a 'title' column")

    def cell_of(column: str) -> Callable[[list[str]], str]:
        index = columns.index(column) if column in columns else None
        return lambda cells: restore_cell(_cell(cells, index))

    id_of, title_of, arxiv_of = cell_of("id"), cell_of("title"), cell_of("arxiv_id")
    papers: dict[str, ImportedTags] = {}
    result = CsvTags([], dialect)
    line = reader.line_num + 1
    for cells in reader:
        row_line, line = line, reader.line_num + 1
        if not any(value.strip() for value in cells):
            continue
        title, own_id = title_of(cells), id_of(cells).strip()
        key = own_id or (paper_id_for_title(title) if title.strip() else "")
        if not key:
            result.problems.append(f"line {row_line}: the row has neither an id nor a title")
            continue
        raw_tags = restore_cell(_cell(cells, tag_column))
        names = raw_tags.split(";") if splits else [raw_tags]
        tags = clean_tags(names, row_line, result.problems)
        entry = papers.setdefault(key, ImportedTags(own_id, title, [], row_line))
        entry.title = entry.title or title
        entry.arxiv_id = entry.arxiv_id or arxiv_of(cells).strip()
        entry.tags = clean_tags([*entry.tags, *tags], row_line, result.problems)
    result.papers = list(papers.values())
    return result


def _cell(cells: list[str], index: int | None) -> str:
    return cells[index] if index is not None and index < len(cells) else ""
