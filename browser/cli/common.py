"""What every command shares: opening the library, one-line errors, plain tables.

Every failure the user can cause is a ``UserError``: ``browser.cli.main`` prints it as
one line and exits with ``EXIT_FAILURE``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from browser.safe_text import safe_line as printable

if TYPE_CHECKING:
    from browser.models import ParseProblem
    from browser.services import Services

__all__ = [
    "EXIT_FAILURE",
    "EXIT_OK",
    "EXIT_USAGE",
    "UserError",
    "open_library",
    "open_searchable_library",
    "print_error",
    "print_json_line",
    "print_table",
    "printable",
    "report_problems",
    "report_skipped",
]

EXIT_OK, EXIT_FAILURE, EXIT_USAGE = 0, 1, 2


class UserError(Exception):
    """A problem the user can fix: printed as one line, exit status 1."""


def open_library(
    options: argparse.Namespace, *, say: Callable[[str], None] | None = None
) -> Services:
    """``Services`` for ``--library``/``--userdata``; notices of the opening go to
    ``say`` (default: stderr; the app opening behind a kept first screen collects them).

    Raises UserError when the library folder cannot be found or opened.
    """
    say = print_error if say is None else say
    from browser.library_paths import LibraryLocationUnknown
    from browser.services import open_services

    try:
        services = open_services(
            options.library,
            getattr(options, "tags", None),
            on_wait=lambda: say(
                "the search index is being rebuilt by another run; waiting for it to finish..."
            ),
        )
    except LibraryLocationUnknown as problem:
        raise UserError(str(problem)) from problem
    except OSError as problem:
        where = problem.filename or options.library or "the library folder"
        reason = problem.strerror or problem
        raise UserError(f"cannot open the library at {where}: {reason}") from problem
    if services.userdata.notice:
        say(services.userdata.notice)
    if services.tags.problem and services.tags.problem != services.userdata.notice:
        say(services.tags.problem)
    for notice in services.notices:
        say(notice)
    return services


def open_searchable_library(options: argparse.Namespace) -> Services:
    """``open_library``, with an index that answers: one written for another schema
    (after an upgrade) or out of step with the catalog would answer from nothing, so it
    is rebuilt from the catalog first (no dump is re-read), saying so on stderr."""
    services = open_library(options)
    if services.index_problem is not None and not services.is_empty():
        print_error(f"rebuilding the search index first ({services.index_problem})...")
        services.rebuild_index(
            on_wait=lambda: print_error("another run is writing the index; waiting for it...")
        )
    return services


def report_problems(problems: Sequence[ParseProblem]) -> None:
    for problem in problems:
        print_error(printable(problem.describe()))


def report_skipped(skipped: Sequence[ParseProblem], *, verbose: bool) -> None:
    """One line for the files a folder walk found that are not dumps; each reason if asked."""
    from browser.dump_files import skipped_summary

    if not skipped:
        return
    print_error(printable(skipped_summary(skipped)))
    if verbose:
        report_problems(skipped)
    else:
        print_error("(--verbose says why)")


def print_error(message: str) -> None:
    print(f"paper-browser: {message}", file=sys.stderr)


def print_json_line(data: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False) + "\n")


def print_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    """A plain aligned table; the last column is cut to the terminal width."""
    width = _terminal_width()
    cleaned = [[printable(cell) for cell in row] for row in rows]
    widths = [len(name) for name in header[:-1]]
    for row in cleaned:
        for column, cell in enumerate(row[:-1]):
            widths[column] = max(widths[column], len(cell))
    formatter: Callable[[Sequence[str]], str] = lambda cells: "  ".join(  # noqa: E731
        [cell.ljust(widths[i]) for i, cell in enumerate(cells[:-1])] + [cells[-1]]
    )
    last_width = max(20, width - sum(widths) - 2 * len(widths))
    print(formatter(header))
    for row in cleaned:
        last = row[-1]
        if sys.stdout.isatty() and len(last) > last_width:
            last = last[: last_width - 1] + "…"
        print(formatter([*row[:-1], last]))


def _terminal_width() -> int:
    try:
        return os.get_terminal_size(sys.stdout.fileno()).columns
    except OSError:
        return 120
