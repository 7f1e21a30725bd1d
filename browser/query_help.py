"""The query language in a dozen rows, for the key help (``?``).

The README's "Search syntax" is the source of truth: every example here is written
there too (``tests/test_app_narrow.py`` checks it). The field names come from the
parser's own lists (``browser.search.repair``), so a field added there shows here
without a second list to keep.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["QuerySyntax", "query_syntax"]

# The index's own fields, left out of the help as the README leaves them out: ``text``
# is the title and the abstract together (what a plain word searches), ``id`` the
# paper id the app and the CLI give out.
_UNOFFERED = frozenset({"text", "id"})


@dataclass(frozen=True)
class QuerySyntax:
    """One row of the help: examples as typed, and what they find."""

    examples: tuple[str, ...]
    meaning: str


def _fields(names: frozenset[str]) -> str:
    return " ".join(f"{name}:" for name in sorted(names - _UNOFFERED))


def query_syntax() -> list[QuerySyntax]:
    """The rows, in the README's order."""
    # Here, not at the top: the key help is the only user, and the search package
    # brings Whoosh with it (loaded by then for the list's searches).
    from browser.search.repair import DATE_FIELDS, NUMBER_FIELDS, WORD_FIELDS

    return [
        QuerySyntax(
            ("diffusion policy",),
            "papers with every word, best first; the last word also as a prefix as you type",
        ),
        QuerySyntax(('"exact phrases"',), "the words side by side, in this order"),
        QuerySyntax(("OR", "NOT"), "either word; not this word (-word too)"),
        QuerySyntax(("reinforc*",), "wildcards: * any letters, ? one letter"),
        QuerySyntax(("title:",), f"a word in one field: {_fields(WORD_FIELDS)}"),
        QuerySyntax(
            ("year:2024", "date:[2024-01 TO 2024-06]"),
            f"a year, month or day, or a range; {_fields(DATE_FIELDS)} take dates",
        ),
        QuerySyntax(
            ("date:>2024-03", "date:<=2024-03"),
            "after March 2024 (from April); up to March, March included",
        ),
        QuerySyntax(
            ("comments:>2", "authors:>10"),
            f"numbers compared (>, >=, <, <=): {_fields(NUMBER_FIELDS)}",
        ),
        QuerySyntax(
            ('tag:"to read"', "-tag:read", "is:tagged", "is:untagged"),
            "with a tag, without it; with any tag, with none",
        ),
        QuerySyntax(
            ("is:read", "is:unread", "is:noted", "is:new"),
            "your read marks; papers with a note; added by the last sync",
        ),
        QuerySyntax(("note:word",), "a word of your note (plain words search notes too)"),
        QuerySyntax(
            ("arxiv:*", "-arxiv:*"),
            "has a value (an arXiv id here), or has none: any field, as org:* or date:*",
        ),
    ]
