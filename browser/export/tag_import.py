"""Tags coming back from a CSV, BibTeX or RIS file: read, matched to papers, reported.

The format is detected from the content (a ``TY  -`` line is RIS, an ``@type{``
entry is BibTeX, a header with a ``tags``/``tag`` column is CSV), the file's suffix
breaking ties. An entry names its paper by our id (CSV ``id``), by arXiv id
(``eprint``, an arXiv DOI or URL; RIS ``DO``/``AN``/``UR``) or by title; it is
matched by id first, arXiv id second and normalised title third (accents and
LaTeX ignored: a reference manager may write ``M{\\"u}ller`` for ``Müller``).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, Protocol

from browser.export.bibtex_reader import BibEntry, parse_bibtex
from browser.export.csv_format import (
    CsvImportError,
    clean_tags,
    decode_spreadsheet_text,
    detect_delimiter,
    header_columns,
    read_csv_tags,
)
from browser.export.ris_reader import RisRecord, parse_ris
from browser.export.rows import arxiv_id_in_link, normalize_arxiv_id
from browser.identity import normalize_title
from browser.wording import counted

ImportFormat = Literal["csv", "bibtex", "ris"]
_RIS_START = re.compile(r"^\s*TY {1,2}-", re.MULTILINE)
_BIBTEX_START = re.compile(r"^\s*@\s*[A-Za-z]+\s*[{(]", re.MULTILINE)
_KEYWORD_SEPARATOR = re.compile(r"[,;]")
_SUFFIXES: dict[str, ImportFormat] = {".bib": "bibtex", ".ris": "ris", ".csv": "csv", ".tsv": "csv"}
# Where an entry may name its arXiv id, strongest first.
_BIBTEX_ARXIV_FIELDS = ("eprint", "arxivid", "arxiv", "doi", "url", "journal", "howpublished")
_RIS_ARXIV_TAGS = ("DO", "AN", "UR", "M1", "L1", "L2", "JO", "T2", "JF")


class TagImportError(ValueError):
    """A file that cannot be read as tags at all; the message names it."""


@dataclass
class ImportedEntry:
    """What one entry of an imported file says about one paper."""

    line: int
    title: str
    tags: list[str]
    arxiv_id: str = ""
    paper_id: str = ""  # our own id, from a CSV's id column; "" otherwise

    def describe(self, file: str) -> str:
        name = self.title or self.paper_id or self.arxiv_id or "(no title)"
        return f"{file}:{self.line}: {name}"


@dataclass
class ImportFile:
    """A file read for import: its format, how it was detected, entries and problems."""

    format: ImportFormat
    detection: str
    entries: list[ImportedEntry] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


class PaperLookup(Protocol):
    """Where imported entries find their papers (the library and the tag store)."""

    def has_id(self, paper_id: str) -> bool: ...
    def by_arxiv(self, arxiv_id: str) -> str | None: ...
    def by_title(self, title: str) -> str | None: ...


def title_match_key(title: str) -> str:
    """How imported titles are compared with the library's: the normalised title
    (NFKC, case-folded, LaTeX and punctuation removed) without accents."""
    decomposed = unicodedata.normalize("NFKD", title)
    bare = "".join(char for char in decomposed if not unicodedata.combining(char))
    return normalize_title(bare)


def detect_format(text: str, path: Path) -> ImportFormat:
    """RIS, BibTeX or CSV from the content; the suffix decides only when it cannot."""
    head = "\n".join(text.lstrip("\ufeff").splitlines()[:50])
    first_line = head.split("\n", 1)[0]
    header = header_columns(first_line.split(detect_delimiter(first_line)))
    if "tags" in header or "tag" in header:
        return "csv"
    if _RIS_START.search(head):
        return "ris"
    if _BIBTEX_START.search(text):
        return "bibtex"
    return _SUFFIXES.get(path.suffix.lower(), "csv")


def read_import_file(path: Path) -> ImportFile:
    """Read ``path`` for import. Raises OSError when it cannot be read and
    TagImportError (a ValueError) when it holds no tag export of any kind."""
    data = Path(path).read_bytes()
    text, encoding = decode_spreadsheet_text(data)
    kind = detect_format(text, path)
    if kind == "csv":
        try:
            read = read_csv_tags(data, str(path))
        except CsvImportError as error:
            raise TagImportError(str(error)) from None
        entries = [
            ImportedEntry(row.line, row.title, row.tags, row.arxiv_id, row.paper_id)
            for row in read.papers
        ]
        return ImportFile("csv", read.dialect.describe(), entries, read.problems)
    if kind == "bibtex":
        bib_entries, problems = parse_bibtex(text)
        result = ImportFile("bibtex", f"BibTeX, {encoding}", problems=problems)
        for entry in bib_entries:
            result.entries.append(_from_bibtex(entry, result.problems))
    else:
        records, problems = parse_ris(text)
        result = ImportFile("ris", f"RIS, {encoding}", problems=problems)
        for record in records:
            result.entries.append(_from_ris(record, result.problems))
    if not result.entries:
        raise TagImportError(f"{path} holds no {result.detection.split(',')[0]} entry")
    return result


def _from_bibtex(entry: BibEntry, problems: list[str]) -> ImportedEntry:
    keywords = _KEYWORD_SEPARATOR.split(entry.text("keywords"))
    arxiv = ""
    prefix = (entry.text("archiveprefix") or entry.text("eprinttype")).casefold()
    for name in _BIBTEX_ARXIV_FIELDS:
        value = entry.text(name)
        if not value or (name == "eprint" and prefix not in ("", "arxiv")):
            continue
        arxiv = arxiv_id_in_link(value) or normalize_arxiv_id(value)
        if arxiv:
            break
    return ImportedEntry(
        entry.line, entry.text("title"), clean_tags(keywords, entry.line, problems), arxiv
    )


def _from_ris(record: RisRecord, problems: list[str]) -> ImportedEntry:
    arxiv = ""
    for tag in _RIS_ARXIV_TAGS:
        for value in record.fields.get(tag, []):
            arxiv = arxiv_id_in_link(value) or (
                normalize_arxiv_id(value) if "arxiv" in value.casefold() else ""
            )
            if arxiv:
                break
        if arxiv:
            break
    title = " ".join(record.first("TI", "T1", "CT").split())
    return ImportedEntry(
        record.line, title, clean_tags(record.keywords(), record.line, problems), arxiv
    )


def match_entry(entry: ImportedEntry, lookup: PaperLookup) -> str | None:
    """The id of the paper ``entry`` names: our id, else arXiv id, else title; None if none."""
    if entry.paper_id and lookup.has_id(entry.paper_id):
        return entry.paper_id
    if entry.arxiv_id:
        found = lookup.by_arxiv(entry.arxiv_id)
        if found is not None:
            return found
    if entry.title.strip():
        return lookup.by_title(entry.title)
    return None


@dataclass
class ImportReport:
    """What an import did, for the CLI to print and the tests to check."""

    file: str
    format: ImportFormat
    detection: str
    replace: bool
    entries: int = 0
    papers_matched: int = 0
    tags_added: int = 0
    tags_removed: int = 0
    papers_changed: int = 0
    unmatched: list[str] = field(default_factory=list)
    kept_unknown: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def summary(self) -> str:
        """One line: ``imported 3 tags on 1 paper from BibTeX, UTF-8; ...``."""
        parts = [
            f"imported {counted(self.tags_added, 'tag')} on "
            f"{counted(self.papers_changed, 'paper')} from {self.detection}"
        ]
        if self.replace:
            parts.append(f"{counted(self.tags_removed, 'tag')} removed (--replace)")
        entries = counted(self.entries, "entry", "entries")
        parts.append(f"{self.papers_matched:,} of {entries} matched a paper")
        if self.unmatched:
            parts.append(f"{len(self.unmatched):,} matched nothing")
        if self.kept_unknown:
            parts.append(f"{len(self.kept_unknown):,} not in the library (tags kept)")
        return "; ".join(parts)
