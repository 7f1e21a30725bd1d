"""Command line: each pipeline stage as a subcommand, and the app when none is given.

    paper-browser [PATH...]                  index PATHs (only what changed) and open the app
    paper-browser parse PATH... [--json]     parse dumps, print records
    paper-browser index PATH...              parse, deduplicate and index into the library
    paper-browser search QUERY               search the library
    paper-browser stats [QUERY] [--by month] papers per period, tags, organisations, rising terms
    paper-browser tag ID TAG... / untag ID TAG... / tags
    paper-browser export [--format csv|bibtex|ris|markdown|jsonl] [--output FILE|-]
    paper-browser import-tags FILE [--replace]    (CSV, BibTeX or RIS)
    paper-browser read ID... / unread ID... / note ID [TEXT|-] / saved / backup [-o DIR]
    paper-browser doctor                     check the installation (exit 1 on a problem)

Every failure the user can cause ends in a one-line message and a non-zero status,
never a traceback.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import sqlite3
import sys
import time
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from browser import __version__
from browser.cli_reading import add_reading_commands
from browser.export.csv_format import CSV_COLUMNS
from browser.export.formats import EXPORT_FORMATS
from browser.models import SORT_ORDERS, ParsedRecord, ParseProblem, SearchResult
from browser.safe_text import safe_line as printable
from browser.safe_text import safe_text
from browser.stats import NO_DATE, PERIODS, TOP, LibraryStats, PeriodGap, condensed

if TYPE_CHECKING:
    from browser.library import SyncProgress
    from browser.services import Services

COMMANDS = (
    "parse",
    "index",
    "search",
    "stats",
    "tag",
    "untag",
    "tags",
    "export",
    "import-tags",
    "read",
    "unread",
    "note",
    "saved",
    "backup",
    "doctor",
    "app",
)
EXIT_OK, EXIT_FAILURE, EXIT_USAGE = 0, 1, 2
SEARCH_EVERYTHING_LIMIT = 1_000_000


class UserError(Exception):
    """A problem the user can fix: printed as one line, exit status 1."""


def main(argv: Sequence[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    # `paper-browser PATH...` (no subcommand) opens the app.
    if not arguments or (arguments[0] not in COMMANDS and arguments[0] not in _TOP_LEVEL_FLAGS):
        arguments.insert(0, "app")
    parser = build_parser()
    options, unknown = parser.parse_known_args(arguments)
    if unknown and getattr(options, "query", None) is not None and all(
        word.startswith("-") and not word.startswith("--") for word in unknown
    ):
        # `search -arxiv:*` or `search diffusion -survey`: a NOT is query text, not a flag.
        options.query = " ".join(part for part in (options.query, *unknown) if part)
    elif unknown:
        parser.error(f"unrecognized arguments: {' '.join(unknown)}")
    try:
        return int(options.handler(options))
    except UserError as error:
        _error(str(error))
        return EXIT_FAILURE
    except KeyboardInterrupt:
        _error("interrupted")
        return 130
    except BrokenPipeError:
        # `paper-browser search x | head`: the reader left; that is not an error.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
    except Exception as error:  # the last line of defence: never a bare traceback
        if os.environ.get("PAPER_BROWSER_DEBUG"):
            traceback.print_exc()
        _error(f"unexpected error: {type(error).__name__}: {error}")
        _error("set PAPER_BROWSER_DEBUG=1 to see the details, and please report it")
        return EXIT_FAILURE


_TOP_LEVEL_FLAGS = ("-h", "--help", "--version")


def build_parser() -> argparse.ArgumentParser:
    shared = argparse.ArgumentParser(add_help=False)
    shared.add_argument(
        "--library",
        type=Path,
        metavar="DIR",
        help="library folder (default: $PAPER_BROWSER_HOME or the user data folder)",
    )
    shared.add_argument(
        "--userdata",
        "--tags",
        dest="tags",
        type=Path,
        metavar="FILE",
        help="user-data file: tags, notes, read state (default: userdata.sqlite3 in the "
        "library; a tags.json given here is migrated into a userdata.sqlite3 beside it)",
    )
    year = argparse.ArgumentParser(add_help=False)
    year.add_argument(
        "--year", type=int, metavar="YYYY", help="year of dates written without one"
    )
    # Only the commands that print what reading the dumps gave (the app shows a notice).
    verbose = argparse.ArgumentParser(add_help=False)
    verbose.add_argument(
        "--verbose",
        "-v",
        action="store_true",
        help="say why each file found in a folder was skipped as not a dump",
    )

    parser = argparse.ArgumentParser(
        prog="paper-browser",
        description="Search, read and tag Hugging Face Daily Papers dumps.",
    )
    parser.add_argument("--version", action="version", version=f"paper-browser {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    app = commands.add_parser("app", parents=[shared, year], help="open the app (default)")
    app.add_argument("paths", nargs="*", type=Path, metavar="PATH", help="dumps to index first")
    app.set_defaults(handler=run_app_command)

    parse = commands.add_parser(
        "parse", parents=[year, verbose], help="parse dumps and print the records"
    )
    parse.add_argument("paths", nargs="+", type=Path, metavar="PATH", help="dump file or folder")
    parse.add_argument("--json", action="store_true", help="one JSON object per record")
    parse.set_defaults(handler=parse_command)

    index = commands.add_parser("index", parents=[shared, year, verbose], help="index dumps")
    index.add_argument("paths", nargs="+", type=Path, metavar="PATH", help="dump file or folder")
    index.add_argument("--rebuild", action="store_true", help="rebuild the search index")
    index.set_defaults(handler=index_command)

    search = commands.add_parser("search", parents=[shared], help="search the library")
    search.add_argument("query", nargs="?", default="", help="query (empty: every paper)")
    search.add_argument("--limit", type=int, default=20, metavar="N")
    search.add_argument("--sort", choices=SORT_ORDERS, default="relevance")
    search.add_argument("--like", metavar="ID", help="papers similar to this one")
    search.add_argument(
        "--saved", metavar="NAME", help="run this saved search (a QUERY narrows it further)"
    )
    _add_tag_filter(search)
    tagged = search.add_mutually_exclusive_group()
    tagged.add_argument("--tagged", action="store_const", const=True, dest="tagged")
    tagged.add_argument("--untagged", action="store_const", const=False, dest="tagged")
    search.add_argument("--json", action="store_true", help="print a JSON array of hits")
    search.set_defaults(handler=search_command)

    stats = commands.add_parser(
        "stats", parents=[shared], help="papers per period, tags, organisations, rising terms"
    )
    stats.add_argument("query", nargs="?", default="", help="query (empty: every paper)")
    stats.add_argument(
        "--by", choices=PERIODS, default="month", help="count papers per listing day, week or month"
    )
    stats.add_argument(
        "--top",
        type=int,
        default=TOP,
        metavar="N",
        help=f"rows per ranked table (default {TOP}, 0: all)",
    )
    stats.add_argument("--json", action="store_true", help="print one JSON object")
    stats.set_defaults(handler=stats_command)

    tag = commands.add_parser("tag", parents=[shared], help="add tags to a paper")
    tag.add_argument("paper_id", metavar="ID")
    tag.add_argument("tag_names", nargs="+", metavar="TAG")
    tag.set_defaults(handler=tag_command, adding=True)

    untag = commands.add_parser("untag", parents=[shared], help="remove tags from a paper")
    untag.add_argument("paper_id", metavar="ID")
    untag.add_argument("tag_names", nargs="+", metavar="TAG")
    untag.set_defaults(handler=tag_command, adding=False)

    tags = commands.add_parser("tags", parents=[shared], help="list tags with their counts")
    tags.add_argument("--json", action="store_true")
    tags.set_defaults(handler=tags_command)

    export = commands.add_parser(
        "export",
        parents=[shared],
        help="export tagged papers or a query's results (CSV, BibTeX, RIS, Markdown, JSONL)",
    )
    export.add_argument("--output", "-o", default="-", metavar="FILE", help="file, or - (stdout)")
    export.add_argument(
        "--format",
        "-f",
        choices=EXPORT_FORMATS,
        default=None,
        help="csv, bibtex, ris, markdown (a reading list by tag) or jsonl; by default the "
        "one the --output suffix names (.csv .bib .ris .md .jsonl), else csv",
    )
    _add_tag_filter(export)
    export.add_argument("--query", metavar="Q", help="export this query's results instead")
    export.add_argument("--sort", choices=SORT_ORDERS, default="relevance", help="with --query")
    export.add_argument("--like", metavar="ID", help="export the papers similar to this one")
    export.add_argument("--long", action="store_true", help="CSV: one row per (paper, tag)")
    export.add_argument(
        "--excel",
        action="store_true",
        help="CSV: start with a byte-order mark (and CRLF) so Excel reads UTF-8",
    )
    export.add_argument(
        "--columns",
        metavar="A,B,...",
        help=f"CSV: the columns, in order, from: {', '.join(CSV_COLUMNS)}",
    )
    export.add_argument(
        "--no-neutralize",
        dest="neutralize",
        action="store_false",
        help="CSV: write every cell exactly as stored (unsafe in spreadsheets and terminals). "
        "By default a cell starting with = + - @, a tab or a carriage return gets a leading ' "
        "(so it is not run as a formula), and control characters (ESC, BEL and the other C0 "
        "controls except tab, line feed and carriage return; DEL; C1), bidi controls and "
        "invisible characters become visible marks (␛, ␇, �) as on screen",
    )
    export.set_defaults(handler=export_command)

    import_tags = commands.add_parser(
        "import-tags",
        parents=[shared],
        help="import tags from a CSV, BibTeX or RIS export",
        description="Read tags back from a CSV (as a spreadsheet saves it), the keywords of a "
        "BibTeX file or the KW lines of a RIS file. Entries are matched to papers by id, arXiv "
        "id, then title. Tags are added to what a paper has; --replace makes its tags exactly "
        "the file's.",
    )
    import_tags.add_argument("csv_file", type=Path, metavar="FILE")
    import_tags.add_argument(
        "--replace",
        action="store_true",
        help="a matched paper's tags become exactly those in the file (renames and removals)",
    )
    import_tags.set_defaults(handler=import_tags_command)
    add_reading_commands(commands, shared)

    doctor = commands.add_parser(
        "doctor",
        help="check the installation",
        description="Say which versions run and whether searches take the fast path; "
        "exit status 1 when something is wrong.",
    )
    doctor.set_defaults(handler=doctor_command)
    return parser


def _add_tag_filter(command: argparse.ArgumentParser) -> None:
    """``--tag``, the same filter (``SearchFilters.required_tags``) for search and export."""
    command.add_argument(
        "--tag",
        action="append",
        default=[],
        metavar="TAG",
        dest="with_tags",
        help="only papers with this tag (any name, quotes included; repeat for all of several)",
    )


# -- doctor ----------------------------------------------------------------------


def doctor_command(options: argparse.Namespace) -> int:
    from importlib.metadata import PackageNotFoundError, version

    from browser.services import search_engine_warning

    try:
        whoosh_version = version("whoosh-reloaded")
    except PackageNotFoundError:
        whoosh_version = "not installed as whoosh-reloaded"
    print(f"paper-browser {__version__} on Python {sys.version.split()[0]}")
    print(f"whoosh-reloaded {whoosh_version}")
    warning = search_engine_warning()
    print(warning or "Searches take the fast path.")
    return EXIT_FAILURE if warning else EXIT_OK


# -- parse -----------------------------------------------------------------------


def parse_command(options: argparse.Namespace) -> int:
    from browser.parse import bulk_parsing

    with bulk_parsing():
        return _parse_and_print(options)


def _parse_and_print(options: argparse.Namespace) -> int:
    from browser.library import deduplicate, file_problems, find_dump_files, named_files
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
                _print_json_line(_record_json(record))
    if not options.json:
        _print_records_table(records)
    unique = len(deduplicate(records))
    for file, count in counts:
        print(f"{printable(file)}: {count} record(s)", file=sys.stderr)
    _report_problems(problems)
    _report_skipped(skipped, verbose=options.verbose)
    print(f"{unique} unique paper(s) in {len(files)} file(s)", file=sys.stderr)
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
    _print_table(("id", "date", "comments", "title"), rows)


# -- index -----------------------------------------------------------------------


def index_command(options: argparse.Namespace) -> int:
    from browser.parse import bulk_parsing

    services = _open(options)
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
    _report_problems(summary.problems)
    _report_skipped(summary.skipped, verbose=options.verbose)
    print(summary.describe())
    # Bad files alone (empty, binary, unreadable) must not look like success to a script.
    papers_read = sum(count for count in summary.records_by_file.values() if count > 0)
    if papers_read == 0 and summary.files_unchanged == 0:
        _error("nothing was indexed: no readable dump with papers in the given paths")
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


# -- search ----------------------------------------------------------------------


def search_command(options: argparse.Namespace) -> int:
    if options.limit < 1:
        raise UserError("--limit must be at least 1")
    from browser.models import SearchFilters
    from browser.services import UnknownPaper

    filters = SearchFilters(required_tags=tuple(options.with_tags), tagged=options.tagged)
    services = _open(options)
    query, sort = options.query, options.sort
    try:
        if options.saved is not None:
            saved = services.reading.saved_query(options.saved)
            if saved is None:
                known = ", ".join(s.name for s in services.reading.saved_searches()) or "none"
                raise UserError(f"no saved search named {options.saved!r} (saved: {known})")
            query = f"({saved.query}) ({query})" if query.strip() else saved.query
            filters = saved.filters & filters
            if sort == "relevance":
                sort = saved.sort
        result = services.search(
            query,
            sort=sort,
            limit=options.limit,
            filters=filters,
            like=options.like,
        )
    except UnknownPaper as error:
        raise UserError(str(error)) from error
    finally:
        services.close()
    _report_search_notes(result)
    if options.json:
        print(json.dumps([_hit_json(hit, result) for hit in result.hits], ensure_ascii=False))
    else:
        rows = [
            (
                hit.paper.id,
                hit.paper.date.isoformat() if hit.paper.date else "",
                "" if hit.paper.comments is None else str(hit.paper.comments),
                "; ".join(hit.tags),
                hit.paper.title,
            )
            for hit in result.hits
        ]
        _print_table(("id", "date", "comments", "tags", "title"), rows)
        print(
            f"{len(result.hits)} of {result.total} paper(s), sorted by {result.sort}, "
            f"{result.elapsed_ms:.0f} ms",
            file=sys.stderr,
        )
    return EXIT_OK


def _hit_json(hit: Any, result: SearchResult) -> dict[str, Any]:
    paper = hit.paper
    return {
        "id": paper.id,
        "title": paper.title,
        "score": round(hit.score, 4),
        "date": paper.date.isoformat() if paper.date else None,
        "comments": paper.comments,
        "upvotes": paper.upvotes,
        "authors": paper.authors,
        "organization": paper.organization.model_dump() if paper.organization else None,
        "arxiv_id": paper.arxiv_id,
        "tags": hit.tags,
        "links": paper.links,
        "corrected_query": result.corrected_query,
        "relaxed": (
            {
                "query": result.relaxed_query,
                "dropped_words": result.dropped_words,
                "notice": result.relaxed_notice,
            }
            if result.relaxed_query is not None
            else None
        ),
        "also_matching": result.expansions,
        # What was wrong with the query's syntax and what was searched instead, in words.
        "query_note": result.error,
    }


def _report_search_notes(result: SearchResult) -> None:
    if result.error:
        print(f"note: {printable(result.error)}", file=sys.stderr)
    if result.corrected_query:
        print(f"showing results for: {printable(result.corrected_query)}", file=sys.stderr)
    if result.suggestion and not result.hits:
        print(f"did you mean: {printable(result.suggestion)}", file=sys.stderr)
    if result.relaxed_query is not None:
        notice = result.relaxed_notice or "no paper has all the words"
        print(f"{printable(notice)}; ran: {printable(result.relaxed_query)}", file=sys.stderr)
    if result.expansions:
        print(f"also matching: {printable('; '.join(result.expansions))}", file=sys.stderr)


# -- stats -----------------------------------------------------------------------


def stats_command(options: argparse.Namespace) -> int:
    if options.top < 0:
        raise UserError("--top must be 0 (all) or more")
    services = _open(options)
    try:
        stats = services.stats(options.query, by=options.by, top=options.top or None)
    finally:
        services.close()
    if stats.corrected_query:
        print(f"showing counts for: {printable(stats.corrected_query)}", file=sys.stderr)
    if options.json:
        print(json.dumps(stats.to_json(), ensure_ascii=False))
    else:
        _print_stats(stats)
    return EXIT_OK


def _print_stats(stats: LibraryStats) -> None:
    """The same tables as the stats screen, one after the other."""
    what = f"matching {stats.query!r}" if stats.query else "in the library"
    print(f"{stats.papers:,} paper(s) {what}, per {stats.by}")
    print()
    largest = max((period.count for period in stats.per_period), default=0)
    period_rows: list[tuple[str, str, str]] = []
    for period in condensed(stats.per_period):
        if isinstance(period, PeriodGap):
            period_rows.append(
                (
                    f"{period.first}..{period.last}",
                    "0",
                    f"({period.periods} {stats.by}s without papers)",
                )
            )
        else:
            bar = "#" * max(1, round(30 * period.count / largest)) if period.count else ""
            period_rows.append((period.key, str(period.count), bar))
    if stats.no_date:
        period_rows.append((NO_DATE, str(stats.no_date), ""))
    _print_table((stats.by, "papers", ""), period_rows)
    for title, items, none_label, none_count in (
        ("tag", stats.tags, "untagged", stats.untagged),
        ("organisation", stats.organizations, "no organisation", stats.no_organization),
        ("author", stats.authors, "no author names", stats.no_author_names),
    ):
        print()
        rows: list[tuple[str, ...]] = [(str(item.count), item.name) for item in items]
        if none_count:
            rows.append((str(none_count), f"({none_label})"))
        _print_table(("papers", title), rows)
    print()
    if stats.latest is None or stats.previous is None:
        print("rising terms: need papers in two periods to compare")
        return
    print(
        f"rising terms: {stats.latest.key} ({stats.latest.count} papers) "
        f"against {stats.previous.key} ({stats.previous.count} papers)"
    )
    rising = [(str(term.now), str(term.before), term.term) for term in stats.rising_terms]
    if rising:
        _print_table(("now", "before", "term"), rising)
    else:
        print("no term rose enough to show")


# -- tags ------------------------------------------------------------------------


def tag_command(options: argparse.Namespace) -> int:
    from browser.tags import TagError

    services = _open(options)
    try:
        paper = services.paper(options.paper_id)
        known_ids = services.tags.tagged_ids()
        if paper is None and options.paper_id not in known_ids:
            raise UserError(
                f"no paper with id {options.paper_id!r} in the library "
                "(see `paper-browser search` for ids)"
            )
        title = paper.title if paper is not None else ""
        changed = 0
        for name in options.tag_names:
            try:
                if options.adding:
                    changed += services.tags.add(options.paper_id, name, title=title)
                else:
                    changed += services.tags.remove(options.paper_id, name)
            except TagError as error:
                raise UserError(str(error)) from error
        tags_now = services.tags.tags_of(options.paper_id)
    finally:
        services.close()
    verb = "added" if options.adding else "removed"
    print(f"{options.paper_id}: {changed} tag(s) {verb}; tags now: {'; '.join(tags_now) or '-'}")
    return EXIT_OK


def tags_command(options: argparse.Namespace) -> int:
    services = _open(options)
    try:
        counts = services.tags.counts()
    finally:
        services.close()
    ordered = sorted(counts.items(), key=lambda item: (-item[1], item[0].casefold()))
    if options.json:
        print(json.dumps(dict(ordered), ensure_ascii=False))
    else:
        _print_table(("papers", "tag"), [(str(count), name) for name, count in ordered])
    return EXIT_OK


# -- export / import -------------------------------------------------------------


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
    services = _open(options)
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
        if written == 0 and options.with_tags:
            _warn_tags_matched_nothing(services, options.with_tags)
    except ColumnError as error:
        raise UserError(str(error)) from error
    except ValueError as error:  # an unknown --like id
        raise UserError(str(error)) from error
    finally:
        services.close()
    return EXIT_OK


def _warn_tags_matched_nothing(services: Services, names: Sequence[str]) -> None:
    """Say why an export narrowed by ``--tag`` is empty: a tag nobody has, or no paper
    with all of them."""
    unknown = [name for name in names if not services.tags.ids_with_tag(name)]
    if unknown:
        listed = ", ".join(repr(printable(name)) for name in unknown)
        known = ", ".join(sorted(services.tags.counts(), key=str.casefold)[:10]) or "none yet"
        _error(f"warning: no paper has the tag {listed}; nothing exported (tags: {known})")
    else:
        _error("warning: no exported paper has all of the --tag tags; nothing exported")


def import_tags_command(options: argparse.Namespace) -> int:
    from browser.export import TagImportError
    from browser.tags import TagError

    services = _open(options)
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
        _error(f"{printable(options.csv_file.name)}: {printable(problem)}")
    for line in report.kept_unknown:
        _error(f"{printable(line)} is not in the library; its tags are kept anyway")
    for line in report.unmatched:
        _error(f"{printable(line)} matched no paper; skipped")
    print(report.summary())
    return EXIT_OK


# -- app -------------------------------------------------------------------------


def run_app_command(options: argparse.Namespace) -> int:
    for path in options.paths:
        if not path.exists():
            raise UserError(f"{path}: no such file or folder")
    from browser.config import load_config

    loaded = load_config()
    if loaded.problem:
        # Also shown in the app; said here too so it is still on the terminal after quitting.
        _error(loaded.problem)
    services = _open(options)
    # Textual is imported only here, so scripted commands start fast.
    from browser.app import run_app

    try:
        status = run_app(services, dumps=options.paths, year=options.year, config=loaded)
    finally:
        services.close()
    if status != 0:
        # Textual has printed the traceback; the shell and scripts must see a failure too.
        _error(f"the app stopped with an error (exit status {status})")
        return EXIT_FAILURE
    return EXIT_OK


# -- helpers ---------------------------------------------------------------------


def _open(options: argparse.Namespace) -> Services:
    from browser.library import LibraryLocationUnknown
    from browser.services import open_services

    try:
        services = open_services(
            options.library,
            getattr(options, "tags", None),
            on_wait=lambda: _error(
                "the search index is being rebuilt by another run; waiting for it to finish..."
            ),
        )
    except LibraryLocationUnknown as error:
        raise UserError(str(error)) from error
    except OSError as error:
        where = error.filename or options.library or "the library folder"
        raise UserError(f"cannot open the library at {where}: {error.strerror or error}") from error
    if services.userdata.notice:
        _error(services.userdata.notice)
    if services.tags.problem and services.tags.problem != services.userdata.notice:
        _error(services.tags.problem)
    for notice in services.notices:
        _error(notice)
    return services


def _report_problems(problems: Sequence[ParseProblem]) -> None:
    for problem in problems:
        _error(printable(problem.describe()))


def _report_skipped(skipped: Sequence[ParseProblem], *, verbose: bool) -> None:
    """One line for the files a folder walk found that are not dumps; each reason if asked."""
    from browser.library import skipped_summary

    if not skipped:
        return
    _error(printable(skipped_summary(skipped)))
    if verbose:
        _report_problems(skipped)
    else:
        _error("(--verbose says why)")


def _error(message: str) -> None:
    print(f"paper-browser: {message}", file=sys.stderr)


def _print_json_line(data: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False) + "\n")


def _print_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
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
