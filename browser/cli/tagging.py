"""`tag`, `untag`, `tags`: one paper's tags changed, every tag counted."""

from __future__ import annotations

import argparse
import json

from browser.cli.common import EXIT_OK, UserError, open_library, print_table
from browser.wording import counted

__all__ = ["tag_command", "tags_command"]


def tag_command(options: argparse.Namespace) -> int:
    from browser.tags import TagError

    services = open_library(options)
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
    now = "; ".join(tags_now) or "-"
    print(f"{options.paper_id}: {counted(changed, 'tag')} {verb}; tags now: {now}")
    return EXIT_OK


def tags_command(options: argparse.Namespace) -> int:
    services = open_library(options)
    try:
        counts = services.tags.counts()
    finally:
        services.close()
    ordered = sorted(counts.items(), key=lambda item: (-item[1], item[0].casefold()))
    if options.json:
        print(json.dumps(dict(ordered), ensure_ascii=False))
    else:
        print_table(("papers", "tag"), [(str(count), name) for name, count in ordered])
    return EXIT_OK
