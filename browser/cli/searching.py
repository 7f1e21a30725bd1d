"""`search`: a query's hits as a table or JSON, with what the search changed."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from browser.cli.common import (
    EXIT_OK,
    UserError,
    open_searchable_library,
    print_table,
    printable,
)
from browser.models import Relaxation, SearchFilters, SearchHit, SearchResult, SortOrder
from browser.search_notices import joined_expansions, search_notices
from browser.wording import counted

__all__ = ["search_command"]


def search_command(options: argparse.Namespace) -> int:
    if options.limit < 1:
        raise UserError("--limit must be at least 1")
    from browser.services import UnknownPaper, UnknownSavedSearch

    filters = SearchFilters(required_tags=tuple(options.with_tags), tagged=options.tagged)
    services = open_searchable_library(options)
    query = options.query
    sort: SortOrder = options.sort or "relevance"
    try:
        if options.saved is not None:
            # In the view it was saved from; a --sort given (even relevance) overrides.
            opened = services.open_saved(
                options.saved, query=query, filters=filters, sort=options.sort
            )
            query, sort, filters = opened.query, opened.sort, opened.filters
        result = services.search(
            query,
            sort=sort,
            limit=options.limit,
            filters=filters,
            like=options.like,
        )
    except (UnknownPaper, UnknownSavedSearch) as error:
        raise UserError(str(error)) from error
    finally:
        services.close()
    notices = report_search_notes(result, filters)
    if options.json:
        print(json.dumps(_result_json(result, notices), ensure_ascii=False))
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
        print_table(("id", "date", "comments", "tags", "title"), rows)
        print(
            f"{len(result.hits):,} of {counted(result.total, 'paper')}, sorted by {result.sort}, "
            f"{result.elapsed_ms:.0f} ms",
            file=sys.stderr,
        )
    return EXIT_OK


def _result_json(result: SearchResult, notices: list[str]) -> dict[str, Any]:
    """One object: what the search said about the query, then its hits. The notes are
    the query's, not a hit's, so they are here once, and a search with no hits still
    says what it corrected, relaxed or could not read, and why it found nothing
    (``notices``: the app's notice, in its words; README, "search --json")."""
    relaxation = Relaxation.of(result)
    return {
        "query": result.query,
        "sort": result.sort,
        "total": result.total,
        "corrected_query": result.corrected_query,
        "suggestion": result.suggestion,
        "relaxed": relaxation.to_json() if relaxation else None,
        "also_matching": result.expansions,
        # What was wrong with the query's syntax and what was searched instead, in words.
        "query_note": result.error,
        "notices": notices,
        "hits": [_hit_json(hit) for hit in result.hits],
    }


def _hit_json(hit: SearchHit) -> dict[str, Any]:
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
    }


def report_search_notes(result: SearchResult, filters: SearchFilters) -> list[str]:
    """What the search says about its query, as the app's notice says it (one service
    call, one ``search_notices``): each line on stderr, the syntax note as ``note:``,
    and the lines returned for ``--json``."""
    hint = " Try fewer words, or fewer --tag options." if filters.required_tags else ""
    notices = joined_expansions(search_notices(result, empty_hint=hint))
    for notice in notices:
        lead = "note: " if notice.kind == "syntax" else ""
        print(f"{lead}{printable(notice.text)}", file=sys.stderr)
    if result.relaxed_query is not None:
        # What ran instead, for the table (the JSON has it as relaxed.query).
        print(f"ran: {printable(result.relaxed_query)}", file=sys.stderr)
    return [notice.text for notice in notices]
