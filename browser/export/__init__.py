"""Export papers (CSV, BibTeX, RIS, Markdown, JSON Lines) and import tags back.

One module per format; ``formats`` names them, ``usecases`` is what ``Services``
calls, ``tag_import`` reads CSV/BibTeX/RIS back and matches entries to papers.
"""

from browser.export.csv_format import (
    CSV_COLUMNS,
    LIST_SEPARATOR,
    LONG_COLUMNS,
    WIDE_COLUMNS,
    ColumnError,
    CsvImportError,
    CsvTags,
    ImportedTags,
    neutralize_cell,
    read_csv_tags,
    resolve_columns,
    restore_cell,
    write_csv,
)
from browser.export.formats import (
    EXPORT_FORMATS,
    FILE_SUFFIXES,
    FORMAT_LABELS,
    ExportFormat,
    ExportOptions,
    FormatMismatch,
    choose_format,
    format_of_path,
    write_export,
)
from browser.export.rows import ExportRow
from browser.export.tag_import import ImportReport, TagImportError

__all__ = [
    "CSV_COLUMNS",
    "EXPORT_FORMATS",
    "FILE_SUFFIXES",
    "FORMAT_LABELS",
    "LIST_SEPARATOR",
    "LONG_COLUMNS",
    "WIDE_COLUMNS",
    "ColumnError",
    "CsvImportError",
    "CsvTags",
    "ExportFormat",
    "ExportOptions",
    "ExportRow",
    "FormatMismatch",
    "ImportReport",
    "ImportedTags",
    "TagImportError",
    "choose_format",
    "format_of_path",
    "neutralize_cell",
    "read_csv_tags",
    "resolve_columns",
    "restore_cell",
    "write_csv",
    "write_export",
]
