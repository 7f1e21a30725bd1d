"""`parse` and `index`: dumps read and printed, or read into the library."""

from __future__ import annotations

import argparse
import os
import sqlite3
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from browser.cli.common import (
    EXIT_FAILURE,
    EXIT_OK,
    UserError,
    open_library,
    print_error,
    print_json_line,
    print_table,
    printable,
    report_problems,
    report_skipped,
)
from browser.models import ParsedRecord, ParseProblem
from browser.wording import counted

if TYPE_CHECKING:
    from browser.library import SyncProgress

__all__ = ["index_command", "parse_command"]


def parse_command(options: argparse.Namespace) -> int:
    from browser.parse import bulk_parsing

    with bulk_parsing():
        return _parse_and_print(options)


def _parse_and_print(options: argparse.Namespace) -> int:
    from browser.dump_files import file_problems, find_dump_files, named_files
    from browser.merging import deduplicate
    from browser.parse import parse_file

    files, problems = find_dump_files(options.paths)
    named = named_files(options.paths)
    skipped: list[ParseProblem] = []
    records: list[ParsedRecord] = []
    counts: list[tuple[str, int]] = []
    for path in files:
        parsed = parse_file(path, year=options.year)
        file_warnings, refusal = file_problems(path, parsed, named)
        problems.extend(file_warnings)
        skipped.extend([refusal] if refusal is not None else [])
        counts.append((str(path), len(parsed.records)))
        records.extend(parsed.records)
        if options.json:
            for record in parsed.records:
                print_json_line(_record_json(record))
    if not options.json:
        _print_records_table(records)
    unique = len(deduplicate(records))
    for file, count in counts:
        print(f"{printable(file)}: {counted(count, 'record')}", file=sys.stderr)
    report_problems(problems)
    report_skipped(skipped, verbose=options.verbose)
    print(f"{counted(unique, 'unique paper')} in {counted(len(files), 'file')}", file=sys.stderr)
    return EXIT_FAILURE if any(p.severity == "error" for p in problems) else EXIT_OK


def _record_json(record: ParsedRecord) -> dict[str, Any]:
    data = record.model_dump(mode="json")
    data["organization"] = record.organization.model_dump() if record.organization else None
    return data


def _print_records_table(records: Sequence[ParsedRecord]) -> None:
    rows = [
        (
            record.id,
            record.date.isoformat() if record.date else "",
            "" if record.comments is None else str(record.comments),
            record.title,
        )
        for record in records
    ]
    print_table(("id", "date", "comments", "title"), rows)


# -- index -----------------------------------------------------------------------


def index_command(options: argparse.Namespace) -> int:
    from browser.parse import bulk_parsing

    services = open_library(options)
    try:
        progress = _ProgressBar(sys.stderr)
        try:
            with bulk_parsing():
                summary = services.sync(
                    options.paths,
                    year=options.year,
                    progress=progress.update,
                    on_wait=lambda: print(
                        "another index run is in progress; waiting for it to finish...",
                        file=sys.stderr,
                    ),
                    procs=min(2, os.cpu_count() or 1),
                    rebuild=options.rebuild,
                )
        except (OSError, sqlite3.Error) as error:
            # A full disk or a folder turned read-only mid-run: each step commits on its
            # own, so what was done is kept and the next run goes on from there.
            progress.finish()
            reason = getattr(error, "strerror", None) or error
            raise UserError(
                f"indexing stopped: {reason}; what was indexed so far is kept, "
                "run the command again once the problem is fixed"
            ) from error
        progress.finish()
    finally:
        services.close()
    if summary.rebuild_reason:
        print(f"rebuilt the search index: {summary.rebuild_reason}", file=sys.stderr)
    report_problems(summary.problems)
    report_skipped(summary.skipped, verbose=options.verbose)
    print(summary.describe())
    # Bad files alone (empty, binary, unreadable) must not look like success to a script.
    papers_read = sum(count for count in summary.records_by_file.values() if count > 0)
    if papers_read == 0 and summary.files_unchanged == 0:
        print_error("nothing was indexed: no readable dump with papers in the given paths")
        return EXIT_FAILURE
    return EXIT_OK


class _ProgressBar:
    """A one-line progress bar on a terminal, shown only once work lasts a moment."""

    def __init__(self, stream: TextIO, delay: float = 0.3) -> None:
        self.stream = stream
        self.enabled = stream.isatty()
        self.started = time.monotonic()
        self.delay = delay
        self.shown = False

    def update(self, progress: SyncProgress) -> None:
        if not self.enabled or time.monotonic() - self.started < self.delay:
            return
        width = 30
        filled = width * progress.done // max(progress.total, 1)
        name = printable(Path(progress.current_file).name)[:40]
        bar = "#" * filled + "-" * (width - filled)
        self.stream.write(f"\r[{bar}] {progress.done}/{progress.total} {name:<40}")
        self.stream.flush()
        self.shown = True

    def finish(self) -> None:
        if self.shown:
            self.stream.write("\r" + " " * 90 + "\r")
            self.stream.flush()
