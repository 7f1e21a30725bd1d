"""The export formats by name: one writer call for the CLI, the app and the tests."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, TextIO

from browser.export.bibtex import write_bibtex
from browser.export.csv_format import resolve_columns, write_csv
from browser.export.jsonl import write_jsonl
from browser.export.markdown import write_markdown
from browser.export.ris import write_ris
from browser.export.rows import ExportRow

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
        if count == 1:
            return f"1 {noun}"
        return f"{count} {'entries' if noun == 'entry' else noun + 's'}"


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
