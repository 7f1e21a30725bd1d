"""`stats`: the stats screen's counts as tables or one JSON object."""

from __future__ import annotations

import argparse
import json
import sys

from browser.cli.common import EXIT_OK, UserError, open_library, print_table, printable
from browser.stats import NO_DATE, LibraryStats, PeriodGap, newest_first
from browser.wording import counted

__all__ = ["stats_command"]


def stats_command(options: argparse.Namespace) -> int:
    if options.top < 0:
        raise UserError("--top must be 0 (all) or more")
    services = open_library(options)
    try:
        stats = services.stats(options.query, by=options.by, top=options.top or None)
    finally:
        services.close()
    if stats.relaxed is not None and stats.relaxed.notice:
        print(printable(stats.relaxed.notice), file=sys.stderr)
    if stats.counted_query:
        print(f"showing counts for: {printable(stats.counted_query)}", file=sys.stderr)
    if options.json:
        print(json.dumps(stats.to_json(), ensure_ascii=False))
    else:
        _print_stats(stats)
    return EXIT_OK


def _print_stats(stats: LibraryStats) -> None:
    """The same tables as the stats screen, one after the other."""
    what = f"matching {stats.query!r}" if stats.query else "in the library"
    print(f"{counted(stats.papers, 'paper')} {what}, per {stats.by}")
    if stats.on_own_date:
        print(
            f"{counted(stats.on_own_date, 'paper')} without a listing day counted on their own date"
        )
    print()
    largest = max((period.count for period in stats.per_period), default=0)
    period_rows: list[tuple[str, str, str]] = []
    for period in newest_first(stats.per_period):
        if isinstance(period, PeriodGap):
            period_rows.append(
                (
                    f"{period.last}..{period.first}",
                    "0",
                    f"({counted(period.periods, stats.by)} without papers)",
                )
            )
        else:
            bar = "#" * max(1, round(30 * period.count / largest)) if period.count else ""
            period_rows.append((period.key, str(period.count), bar))
    if stats.no_date:
        period_rows.append((NO_DATE, str(stats.no_date), ""))
    print_table((stats.by, "papers", ""), period_rows)
    for title, items, none_label, none_count in (
        ("tag", stats.tags, "untagged", stats.untagged),
        ("organisation", stats.organizations, "no organisation", stats.no_organization),
        ("author", stats.authors, "no author names", stats.no_author_names),
    ):
        print()
        rows: list[tuple[str, ...]] = [(str(item.count), item.name) for item in items]
        if none_count:
            rows.append((str(none_count), f"({none_label})"))
        print_table(("papers", title), rows)
    print()
    if stats.latest is not None and stats.previous is not None:
        print(
            f"rising terms: {stats.latest.key} ({counted(stats.latest.count, 'paper')}) "
            f"against {stats.previous.key} ({counted(stats.previous.count, 'paper')})"
        )
    rising = [(str(term.now), str(term.before), term.term) for term in stats.rising_terms]
    if rising:
        print_table(("now", "before", "term"), rising)
    elif stats.rising_note is not None:
        # The stats screen's words for it, with the option that would compare more.
        text = stats.rising_note.text
        other = stats.rising_note.try_period
        if other is not None and other != stats.by:
            text += f" Try --by {other}."
        print(f"rising terms: {text}")
    else:
        print("no term rose enough to show")
