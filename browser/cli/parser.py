"""The argument parser: every subcommand, its options and the function that runs it."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any, NamedTuple

from browser import __version__
from browser.cli.app import doctor_command, run_app_command

# The other commands' modules (and the models, export formats and stats they name) are
# imported where their parsers are built: the app alone needs none of them (launch time).

__all__ = ["COMMANDS", "build_parser"]

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


def build_parser(*, app_only: bool = False) -> argparse.ArgumentParser:
    """The parser of every command, or with ``app_only`` of the ``app`` command alone
    (what ``main`` builds to open the app: the other commands' imports are skipped)."""
    parser = argparse.ArgumentParser(
        prog="paper-browser",
        description="Search, read and tag Hugging Face Daily Papers dumps.",
    )
    parser.add_argument("--version", action="version", version=f"paper-browser {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    parents = _shared_options()
    app = commands.add_parser(
        "app", parents=[parents.library, parents.year], help="open the app (default)"
    )
    app.add_argument("paths", nargs="*", type=Path, metavar="PATH", help="dumps to index first")
    app.set_defaults(handler=run_app_command)
    if app_only:
        return parser
    _add_pipeline_commands(commands, parents)
    _add_tag_commands(commands, parents.library)
    _add_export_commands(commands, parents.library)
    _add_reading_commands(commands, parents.library)
    doctor = commands.add_parser(
        "doctor",
        help="check the installation",
        description="Say which versions run and whether searches take the fast path; "
        "exit status 1 when something is wrong.",
    )
    doctor.set_defaults(handler=doctor_command)
    return parser


class _Parents(NamedTuple):
    """Options several commands share, as argparse parent parsers."""

    library: argparse.ArgumentParser  # --library, --userdata
    year: argparse.ArgumentParser  # --year
    verbose: argparse.ArgumentParser  # --verbose


def _shared_options() -> _Parents:
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
    year.add_argument("--year", type=int, metavar="YYYY", help="year of dates written without one")
    # Only the commands that print what reading the dumps gave (the app shows a notice).
    verbose = argparse.ArgumentParser(add_help=False)
    verbose.add_argument(
        "--verbose",
        "-v",
        action="store_true",
        help="say why each file found in a folder was skipped as not a dump",
    )
    return _Parents(library=shared, year=year, verbose=verbose)


def _add_pipeline_commands(commands: Any, parents: _Parents) -> None:
    """``parse``, ``index``, ``search``, ``stats``."""
    from browser.cli.indexing import index_command, parse_command
    from browser.cli.searching import search_command
    from browser.cli.stats import stats_command
    from browser.models import SORT_ORDERS
    from browser.stats import PERIODS, TOP

    shared, year, verbose = parents

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

    search = commands.add_parser(
        "search",
        parents=[shared],
        help="search the library",
        description="Search the library. What the search says about the query (why it"
        " found nothing, what it corrected or left out, the arXiv ids it read) is printed"
        " on stderr, as the app's notice says it.",
    )
    search.add_argument("query", nargs="?", default="", help="query (empty: every paper)")
    search.add_argument("--limit", type=int, default=20, metavar="N")
    search.add_argument(
        "--sort",
        choices=SORT_ORDERS,
        help="default: relevance, or the saved search's own sort with --saved",
    )
    search.add_argument("--like", metavar="ID", help="papers similar to this one")
    search.add_argument(
        "--saved", metavar="NAME", help="run this saved search (a QUERY narrows it further)"
    )
    _add_tag_filter(search)
    tagged = search.add_mutually_exclusive_group()
    tagged.add_argument("--tagged", action="store_const", const=True, dest="tagged")
    tagged.add_argument("--untagged", action="store_const", const=False, dest="tagged")
    search.add_argument(
        "--json",
        action="store_true",
        help="print one JSON object: the query as run, the count, notes (the notices"
        " as 'notices') and the hits",
    )
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


def _add_tag_commands(commands: Any, shared: argparse.ArgumentParser) -> None:
    """``tag``, ``untag``, ``tags``."""
    from browser.cli.tagging import tag_command, tags_command

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


def _add_export_commands(commands: Any, shared: argparse.ArgumentParser) -> None:
    """``export``, ``import-tags``."""
    from browser.cli.exporting import export_command, import_tags_command
    from browser.export.csv_format import CSV_COLUMNS
    from browser.export.formats import EXPORT_FORMATS
    from browser.models import SORT_ORDERS

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


def _add_reading_commands(commands: Any, shared: argparse.ArgumentParser) -> None:
    """``read``, ``unread``, ``note``, ``saved``, ``backup`` on the subparsers ``commands``."""
    from browser.cli.reading import backup_command, note_command, read_command, saved_command

    read = commands.add_parser("read", parents=[shared], help="mark papers read")
    read.add_argument("paper_ids", nargs="+", metavar="ID")
    read.set_defaults(handler=read_command, read=True)

    unread = commands.add_parser("unread", parents=[shared], help="mark papers unread")
    unread.add_argument("paper_ids", nargs="+", metavar="ID")
    unread.set_defaults(handler=read_command, read=False)

    note = commands.add_parser(
        "note",
        parents=[shared],
        help="print a paper's note, or set it (TEXT; - reads standard input; '' deletes)",
    )
    note.add_argument("paper_id", metavar="ID")
    note.add_argument("text", nargs="?", metavar="TEXT", help="the note, in Markdown")
    note.set_defaults(handler=note_command)

    saved = commands.add_parser(
        "saved", parents=[shared], help="list saved searches (run one: search --saved NAME)"
    )
    saved.add_argument("--delete", metavar="NAME", help="delete this saved search")
    saved.add_argument("--json", action="store_true")
    saved.set_defaults(handler=saved_command)

    backup = commands.add_parser(
        "backup",
        parents=[shared],
        help="copy tags, notes, read state and saved searches (database + JSON Lines)",
    )
    backup.add_argument(
        "--output", "-o", type=Path, metavar="DIR", help="folder (default: backups/ in the library)"
    )
    backup.set_defaults(handler=backup_command)
