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
    """One row of the help: examples as typed, and what every one of them finds (rows
    whose examples each meant something else read as mispaired once they wrapped)."""

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
        QuerySyntax(
            ('"exact phrases"',),
            "the words side by side, in this order; GitHub, git-hub, github alike",
        ),
        QuerySyntax(("OR",), "either word"),
        QuerySyntax(("NOT",), "not the word after it (-word too)"),
        QuerySyntax(("reinforc*",), "wildcards: * any letters, ? one letter"),
        QuerySyntax(("title:",), f"a word in one field: {_fields(WORD_FIELDS)}"),
        QuerySyntax(
            ("year:2024", "date:[2024-01 TO 2024-06]"),
            f"a year, month or day, or a range; {_fields(DATE_FIELDS)} take dates",
        ),
        QuerySyntax(("date:>2024-03",), "after March 2024 (from April)"),
        QuerySyntax(("date:<=2024-03",), "up to March 2024, March included"),
        QuerySyntax(
            ("comments:>2", "authors:>10"),
            f"numbers compared (>, >=, <, <=): {_fields(NUMBER_FIELDS)}",
        ),
        QuerySyntax(('tag:"to read"',), "with this tag"),
        QuerySyntax(("-tag:read",), "without this tag"),
        QuerySyntax(("is:tagged",), "with any tag"),
        QuerySyntax(("is:untagged",), "with no tag"),
        QuerySyntax(("is:read", "is:unread"), "read or not read by you"),
        QuerySyntax(("is:noted",), "with a note of yours"),
        QuerySyntax(("is:new",), "added by the last sync"),
        QuerySyntax(("note:word",), "a word of your note (plain words search notes too)"),
        QuerySyntax(
            ("https://arxiv.org/abs/2401.01234v2", "arXiv:2401.01234"),
            "a pasted arXiv or Hugging Face link or id: that paper (as you type, the start of one)",
        ),
        QuerySyntax(
            ("2401.01234, 2402.05678",),
            "a pasted list of ids (any separators): each of those papers, in the list's order",
        ),
        QuerySyntax(
            ("offline RL",),
            "an abbreviation finds its long form too, and the long form the abbreviation",
        ),
        QuerySyntax(("arxiv:*",), "has a value (an arXiv id here): any field, as org:* or date:*"),
        QuerySyntax(("-arxiv:*",), "has no value"),
    ]
