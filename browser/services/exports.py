"""Export and import (issue 11: one use case each, for the CLI and the app):
``ExportSelection`` names the papers, ``ExportUseCases`` writes them and reads tags back."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from browser.models import SearchFilters, SortOrder
from browser.search.matching import resolve_filters
from browser.services.core import ServicesCore

# The export formats are imported by the use cases that need them: the app's launch
# does not (see docs/architecture.md, "Launch").
if TYPE_CHECKING:
    from browser.export import ExportOptions, ExportRow, ImportReport

__all__ = ["EXPORT_LIMIT", "ExportSelection", "ExportUseCases"]

# Columns a default CSV export adds from the user data: the note and "yes"/"no" read.
READER_COLUMNS = ("notes", "read")
# A query's results are exported whole, not a page of them.
EXPORT_LIMIT = 1_000_000


@dataclass(frozen=True)
class ExportSelection:
    """Which papers an export takes: exactly ``paper_ids``; else the papers like
    ``like``; else a query's results (``query`` set); else every tagged paper.
    ``filters`` (the app's tag filter, the CLI's ``--tag``) narrow any of them, the same
    ``SearchFilters`` a search takes."""

    query: str | None = None
    sort: SortOrder = "relevance"
    like: str | None = None
    paper_ids: tuple[str, ...] | None = None
    filters: SearchFilters | None = None
    # The query as the app's list ran it while being typed (its last word a prefix);
    # False for a query given whole (the CLI's ``--query``, a submitted search).
    prefix_last_word: bool = False


class ExportUseCases(ServicesCore):
    """Exports of any selection in any format, and tags imported from a file."""

    def export_rows(self, paper_ids: Sequence[str] | None = None) -> list[ExportRow]:
        """Rows for these papers (with their tags, note and read state), or for every
        tagged paper when None."""
        from browser.export.usecases import build_rows

        reading = self.userdata.reading
        read = reading.read_ids()
        notes = reading.notes(paper_ids)
        rows = build_rows(self.catalog, self.tags, paper_ids, notes=notes)
        for row in rows:
            row.read = row.paper_id in read
        return rows

    def export_selection(self, selection: ExportSelection) -> list[str]:
        """The ids of the papers ``selection`` names, in the order they are exported:
        a query's results in its sort order, else every tagged paper by id; only those
        ``selection.filters`` allow (applied by the search, else here the same way)."""
        if selection.paper_ids is not None:
            paper_ids = list(selection.paper_ids)
        elif selection.like is not None:
            if self.paper(selection.like) is None:
                raise ValueError(f"no paper with id {selection.like!r} in the library")
            result = self.search(like=selection.like, limit=EXPORT_LIMIT, filters=selection.filters)
            paper_ids = [hit.paper.id for hit in result.hits]
        elif selection.query is not None:
            result = self.search(
                selection.query,
                sort=selection.sort,
                limit=EXPORT_LIMIT,
                filters=selection.filters,
                prefix_last_word=selection.prefix_last_word,
            )
            paper_ids = [hit.paper.id for hit in result.hits]
        else:
            paper_ids = sorted(self.tags.tagged_ids())
        searched = selection.paper_ids is None and (
            selection.like is not None or selection.query is not None
        )
        if selection.filters and not searched:
            allowed, denied = resolve_filters(selection.filters, self.tags, self.userdata.reading)
            paper_ids = [
                paper_id
                for paper_id in paper_ids
                if paper_id not in denied and (allowed is None or paper_id in allowed)
            ]
        return paper_ids

    def export(
        self,
        selection: ExportSelection,
        options: ExportOptions,
        *,
        path: Path | None = None,
        out: TextIO | None = None,
    ) -> int:
        """Export the selected papers to ``path`` (atomically) or to the stream ``out``.

        Returns what was written (CSV rows, BibTeX entries, RIS records, papers).
        Raises ColumnError (ValueError) for unknown CSV columns, OSError when the
        file cannot be written.
        """
        from browser.export import resolve_columns, write_export
        from browser.export.usecases import write_export_file

        if options.format == "csv" and options.columns is None:
            # The reader's own columns (issue 14) after the paper's, in every default CSV.
            default = resolve_columns(None, long=options.long)
            options = dataclasses.replace(options, columns=(*default, *READER_COLUMNS))
        resolve_columns(options.columns, long=options.long)  # fail before any work
        rows = self.export_rows(self.export_selection(selection))
        if path is not None:
            return write_export_file(path, rows, options)
        if out is None:
            raise ValueError("export needs a path or a stream")
        return write_export(out, rows, options)

    def import_tags(self, path: Path, *, replace: bool = False) -> ImportReport:
        """Tags from a CSV, BibTeX or RIS file, matched to papers; see ``import_tags``."""
        from browser.export.usecases import import_tags

        return import_tags(path, self.catalog, self.tags, replace=replace)
