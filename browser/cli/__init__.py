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

import os
import sys
import traceback
from collections.abc import Sequence

from browser.cli.common import EXIT_FAILURE, EXIT_OK, UserError, print_error
from browser.cli.parser import COMMANDS, build_parser

__all__ = ["build_parser", "main"]

_TOP_LEVEL_FLAGS = ("-h", "--help", "--version")
# Options many commands share that take a value; written before the command
# (`paper-browser --library DIR index PATH`) they still belong to that command.
_SHARED_OPTIONS_WITH_VALUE = ("--library", "--userdata", "--tags", "--year")


def with_command_first(arguments: Sequence[str]) -> list[str]:
    """``arguments`` with the subcommand first, as argparse needs it.

    Shared options may come before the command (``--library DIR index PATH`` becomes
    ``index --library DIR PATH``); with no command the app is meant
    (``paper-browser PATH...``, ``paper-browser --library DIR``), so ``app`` is put first.
    Anything else (``--help``, ``--version``, unknown flags) is left for argparse to judge.
    """
    leading: list[str] = []
    rest = list(arguments)
    while rest:
        word = rest[0]
        name = word.split("=", 1)[0]
        if name not in _SHARED_OPTIONS_WITH_VALUE:
            break
        taken = 1 if "=" in word else 2
        leading += rest[:taken]
        rest = rest[taken:]
    if rest and rest[0] in COMMANDS:
        return [rest[0], *leading, *rest[1:]]
    if rest and rest[0] in _TOP_LEVEL_FLAGS and not leading:
        return rest
    return ["app", *leading, *rest]


def _shared_options_given(arguments: Sequence[str]) -> list[str]:
    """The shared options in a command line (before or after the command)."""
    return [
        word.split("=", 1)[0]
        for word in arguments[1:]
        if word.split("=", 1)[0] in _SHARED_OPTIONS_WITH_VALUE
    ]


def main(argv: Sequence[str] | None = None) -> int:
    arguments = with_command_first(sys.argv[1:] if argv is None else argv)
    # Opening the app builds its own parser only: the others import half the package.
    parser = build_parser(app_only=arguments[0] == "app" and not {"-h", "--help"} & {*arguments})
    options, unknown = parser.parse_known_args(arguments)
    unknown_names = {word.split("=", 1)[0] for word in unknown}
    for option in _shared_options_given(arguments):
        if option in unknown_names:
            # `--year 2025 search rl` would otherwise blame "--year rl".
            parser.error(f"{option} does not apply to `{arguments[0]}`")
    if (
        unknown
        and getattr(options, "query", None) is not None
        and all(word.startswith("-") and not word.startswith("--") for word in unknown)
    ):
        # `search -arxiv:*` or `search diffusion -survey`: a NOT is query text, not a flag.
        options.query = " ".join(part for part in (options.query, *unknown) if part)
    elif unknown:
        parser.error(f"unrecognized arguments: {' '.join(unknown)}")
    try:
        return int(options.handler(options))
    except UserError as problem:
        print_error(str(problem))
        return EXIT_FAILURE
    except KeyboardInterrupt:
        print_error("interrupted")
        return 130
    except BrokenPipeError:
        # `paper-browser search x | head`: the reader left; that is not an error.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
    except Exception as problem:  # the last line of defence: never a bare traceback
        if os.environ.get("PAPER_BROWSER_DEBUG"):
            traceback.print_exc()
        print_error(f"unexpected error: {type(problem).__name__}: {problem}")
        print_error("set PAPER_BROWSER_DEBUG=1 to see the details, and please report it")
        return EXIT_FAILURE
