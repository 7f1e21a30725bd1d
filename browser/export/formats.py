"""The export formats by name: one writer call for the CLI, the app and the tests."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import PurePath
from typing import Literal, TextIO

from browser.export.bibtex import write_bibtex
from browser.export.csv_format import resolve_columns, write_csv
from browser.export.jsonl import write_jsonl
from browser.export.markdown import write_markdown
from browser.export.ris import write_ris
from browser.export.rows import ExportRow
from browser.wording import counted

ExportFormat = Literal["csv", "bibtex", "ris", "markdown", "jsonl"]
EXPORT_FORMATS: tuple[ExportFormat, ...] = ("csv", "bibtex", "ris", "markdown", "jsonl")
FILE_SUFFIXES: dict[ExportFormat, str] = {
    "csv": ".csv",
    "bibtex": ".bib",
    "ris": ".ris",
    "markdown": ".md",
    "jsonl": ".jsonl",
}
FORMAT_LABELS: dict[ExportFormat, str] = {
    "csv": "CSV (spreadsheets)",
    "bibtex": "BibTeX (LaTeX, Zotero, JabRef)",
    "ris": "RIS (Zotero, EndNote, Mendeley)",
    "markdown": "Markdown reading list",
    "jsonl": "JSON Lines (scripts)",
}


_FORMAT_OF_SUFFIX: dict[str, ExportFormat] = {
    suffix: name for name, suffix in FILE_SUFFIXES.items()
}


class FormatMismatch(ValueError):
    """A format chosen explicitly that contradicts the file's suffix (``-f csv -o x.bib``)."""


def format_of_path(path: str | PurePath) -> ExportFormat | None:
    """The format a file's suffix names (``refs.BIB`` -> bibtex), None for any other name."""
    return _FORMAT_OF_SUFFIX.get(PurePath(path).suffix.lower())


def choose_format(path: str | PurePath | None, explicit: ExportFormat | None) -> ExportFormat:
    """The format to write ``path`` in: the explicit choice, else what its suffix names,
    else CSV. Raises FormatMismatch when the explicit choice contradicts a known suffix,
    so a .bib never silently holds CSV."""
    inferred = format_of_path(path) if path is not None and str(path) != "-" else None
    if explicit is None:
        return inferred or "csv"
    if inferred is not None and inferred != explicit:
        raise FormatMismatch(
            f"{path} is named like a {FORMAT_LABELS[inferred].split(' (')[0]} file "
            f"({FILE_SUFFIXES[inferred]}) but the format asked for is {explicit}; "
            f"name it *{FILE_SUFFIXES[explicit]} or leave the format out"
        )
    return explicit


@dataclass(frozen=True)
class ExportOptions:
    """How to write an export. ``long``, ``neutralize``, ``excel`` and ``columns`` are
    CSV options; ``columns`` names are checked by :func:`resolve_columns`."""

    format: ExportFormat = "csv"
    long: bool = False
    neutralize: bool = True
    excel: bool = False
    columns: Sequence[str] | None = None

    def unit(self, count: int) -> str:
        """``3 rows`` / ``1 entry``: what a count of this format's output means."""
        noun = {"csv": "row", "bibtex": "entry", "ris": "record"}.get(self.format, "paper")
        return counted(count, noun, "entries" if noun == "entry" else None)


def write_export(out: TextIO, rows: Sequence[ExportRow], options: ExportOptions) -> int:
    """Write ``rows`` to ``out`` (opened with ``newline=""``) in the chosen format.

    Returns what was written: CSV data rows, BibTeX entries, RIS records, papers.
    Raises ColumnError (a ValueError) for unknown CSV columns before writing anything.
    """
    if options.format == "csv":
        columns = resolve_columns(options.columns, long=options.long)
        return write_csv(
            out,
            rows,
            long=options.long,
            neutralize=options.neutralize,
            bom=options.excel,
            columns=columns,
        )
    if options.format == "bibtex":
        return write_bibtex(out, rows)
    if options.format == "ris":
        return write_ris(out, rows)
    if options.format == "markdown":
        return write_markdown(out, rows)
    return write_jsonl(out, rows)
