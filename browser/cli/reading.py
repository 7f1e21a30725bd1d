"""The reading workflow's commands: ``read``, ``unread``, ``note``, ``saved``, ``backup``.

Thin: each parses its arguments and calls ``Services.reading`` (or ``Services.backup``).
"""

from __future__ import annotations

import argparse
import json
import sys

from browser.cli.common import EXIT_FAILURE, EXIT_OK, UserError, open_library, print_table
from browser.safe_text import safe_text
from browser.wording import counted

__all__ = ["backup_command", "note_command", "read_command", "saved_command"]


def read_command(options: argparse.Namespace) -> int:
    from browser.reading import UnknownPaperId
    from browser.userdata import UserDataError

    services = open_library(options)
    try:
        changed = services.reading.set_read(options.paper_ids, options.read)
    except (UnknownPaperId, UserDataError) as error:
        raise UserError(str(error)) from error
    finally:
        services.close()
    state = "read" if options.read else "unread"
    already = len(set(options.paper_ids)) - len(changed)
    print(f"{counted(len(changed), 'paper')} marked {state}; {already:,} already {state}")
    return EXIT_OK


def note_command(options: argparse.Namespace) -> int:
    from browser.reading import UnknownPaperId
    from browser.userdata import UserDataError

    text: str | None = options.text
    if text == "-":
        # As the shell's $(...) does: the newlines that end the input are not part of the
        # note (echo, printf '...\n' and editors all add one); those inside it are.
        text = sys.stdin.read().rstrip("\n")
        if not text.strip():
            # A script whose text generator failed must not wipe the note: deleting is
            # said explicitly, with ''.
            raise UserError(
                "standard input was empty: the note is kept (an empty TEXT, '', deletes it)"
            )
    services = open_library(options)
    try:
        if text is None:
            note = services.reading.note_of(options.paper_id)
            if not note:
                services.reading.check_ids([options.paper_id])
                print(f"{options.paper_id} has no note", file=sys.stderr)
                return EXIT_FAILURE
            shown = note if note.endswith("\n") else note + "\n"
            # A terminal gets control and bidi characters made visible (a note is untrusted
            # text too, pasted from anywhere); a pipe gets the note byte for byte.
            sys.stdout.write(safe_text(shown) if sys.stdout.isatty() else shown)
            return EXIT_OK
        changed = services.reading.set_note(options.paper_id, text)
    except (UnknownPaperId, UserDataError, ValueError) as error:
        raise UserError(str(error)) from error
    finally:
        services.close()
    if not text.strip():
        print(f"{options.paper_id}: note deleted" if changed else f"{options.paper_id}: no note")
    else:
        print(f"{options.paper_id}: note saved" if changed else f"{options.paper_id}: unchanged")
    return EXIT_OK


def saved_command(options: argparse.Namespace) -> int:
    from browser.userdata import UserDataError

    services = open_library(options)
    try:
        if options.delete is not None:
            try:
                deleted = services.reading.delete_saved(options.delete)
            except UserDataError as error:
                raise UserError(str(error)) from error
            if not deleted:
                raise UserError(f"no saved search named {options.delete!r}")
            print(f"deleted the saved search {options.delete!r}")
            return EXIT_OK
        searches = services.reading.saved_searches()
    finally:
        services.close()
    from browser.reading import describe_query, query_of

    described = [(s, describe_query(query_of(s))) for s in searches]
    if options.json:
        listed = [
            {
                "name": s.name,
                "query": s.query,
                "sort": s.sort,
                "filters": dict(s.filters),
                "description": description,
            }
            for s, description in described
        ]
        print(json.dumps(listed, ensure_ascii=False))
    else:
        print_table(("name", "search"), [(s.name, text) for s, text in described])
    return EXIT_OK


def backup_command(options: argparse.Namespace) -> int:
    from browser.userdata import UserDataError

    services = open_library(options)
    try:
        folder = options.output or services.paths.root / "backups"
        try:
            report = services.backup(folder.expanduser())
        except (OSError, UserDataError) as error:
            raise UserError(f"backup failed: {error}") from error
    finally:
        services.close()
    print(report.describe())
    return EXIT_OK
