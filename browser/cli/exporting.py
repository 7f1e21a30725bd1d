"""`export` and `import-tags`: thin calls of ``Services.export`` and ``Services.import_tags``."""

from __future__ import annotations

import argparse
import io
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from browser.cli.common import (
    EXIT_OK,
    UserError,
    open_library,
    open_searchable_library,
    print_error,
    printable,
)
from browser.safe_text import safe_text

if TYPE_CHECKING:
    from browser.services import ExportSelection, Services

__all__ = ["export_command", "import_tags_command"]


def export_command(options: argparse.Namespace) -> int:
    from browser.export import ColumnError, ExportOptions, FormatMismatch, choose_format
    from browser.models import SearchFilters
    from browser.services import ExportSelection

    try:
        options.format = choose_format(options.output, options.format)
    except FormatMismatch as error:
        raise UserError(str(error)) from error
    if options.format != "csv" and (options.long or options.excel or options.columns):
        raise UserError("--long, --excel and --columns apply to --format csv only")
    export_options = ExportOptions(
        format=options.format,
        long=options.long,
        neutralize=options.neutralize,
        excel=options.excel,
        columns=options.columns.split(",") if options.columns is not None else None,
    )
    selection = ExportSelection(
        query=options.query,
        sort=options.sort,
        like=options.like,
        filters=SearchFilters(required_tags=tuple(options.with_tags)),
    )
    services = open_searchable_library(options)
    try:
        if options.output == "-" and sys.stdout.isatty():
            # Dump text may carry escape sequences (OSC 52 writes the clipboard): an export
            # read on a terminal shows them as visible marks; pipes and files get the
            # exact text.
            shown = io.StringIO()
            written = services.export(selection, export_options, out=shown)
            sys.stdout.write(safe_text(shown.getvalue().replace("\r\n", "\n")))
        elif options.output == "-":
            if isinstance(sys.stdout, io.TextIOWrapper):
                # CSV's and RIS's CRLF line ends go out as written, never translated.
                sys.stdout.reconfigure(newline="")
            written = services.export(selection, export_options, out=sys.stdout)
        else:
            target = Path(options.output)
            try:
                written = services.export(selection, export_options, path=target)
            except OSError as error:
                raise UserError(f"cannot write {target}: {error.strerror or error}") from error
            print(f"wrote {export_options.unit(written)} to {target}", file=sys.stderr)
        if written == 0:
            _say_why_nothing_was_exported(services, selection, options.with_tags)
    except ColumnError as error:
        raise UserError(str(error)) from error
    except ValueError as error:  # an unknown --like id
        raise UserError(str(error)) from error
    finally:
        services.close()
    return EXIT_OK


def _say_why_nothing_was_exported(
    services: Services, selection: ExportSelection, tags: Sequence[str]
) -> None:
    """An empty export says why on stderr: a ``--tag`` nobody has; a query that finds
    nothing (what ``search`` says about it, from the same use case) or whose papers lack
    the tags; no paper like ``--like``'s; no paper tagged yet."""
    unknown = [name for name in tags if not services.tags.ids_with_tag(name)]
    if unknown:
        listed = ", ".join(repr(printable(name)) for name in unknown)
        known = ", ".join(sorted(services.tags.counts(), key=str.casefold)[:10]) or "none yet"
        print_error(f"warning: no paper has the tag {listed}; nothing exported (tags: {known})")
        return
    untagged = "has all of the --tag tags" if len(tags) > 1 else "has the tag"
    if selection.query is not None:
        from browser.cli.searching import report_search_notes
        from browser.models import SearchFilters
        from browser.wording import counted

        result = services.search(selection.query, sort=selection.sort, limit=1)
        if result.total and tags:
            found = f"none of the {counted(result.total, 'paper')} the query finds"
            print_error(f"warning: {found} {untagged}; nothing exported")
            return
        report_search_notes(result, SearchFilters())
        print_error("warning: nothing exported")
    elif selection.like is not None:
        print_error(f"warning: no paper like it{' ' + untagged if tags else ''}; nothing exported")
    elif tags:
        print_error(f"warning: no paper {untagged}; nothing exported")
    else:
        print_error("warning: no paper is tagged yet; nothing exported (tag some, or --query)")


def import_tags_command(options: argparse.Namespace) -> int:
    from browser.export import TagImportError
    from browser.tags import TagError

    services = open_library(options)
    try:
        try:
            report = services.import_tags(options.csv_file, replace=options.replace)
        except OSError as error:
            reason = error.strerror or error
            raise UserError(f"cannot import {options.csv_file}: {reason}") from error
        except (TagImportError, TagError) as error:
            raise UserError(f"cannot import {options.csv_file}: {error}") from error
    finally:
        services.close()
    for problem in report.problems:
        print_error(f"{printable(options.csv_file.name)}: {printable(problem)}")
    for line in report.kept_unknown:
        print_error(f"{printable(line)} is not in the library; its tags are kept anyway")
    for line in report.unmatched:
        print_error(f"{printable(line)} matched no paper; skipped")
    print(report.summary())
    return EXIT_OK
