"""Plain words also find the papers whose note holds them all (issue 14).

Notes live in the user data, not the index: the few matching ids are OR-ed into the
plan's query beside its clauses of plain words. No Whoosh internals.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from whoosh import query as wq

from browser.models import UserStateLookup
from browser.search.planning import InRegion, Plan
from browser.search.schema import DEFAULT_FIELD


def with_note_matches(plan: Plan, states: UserStateLookup | None) -> Plan:
    """The plan, its plain words also finding the papers whose note holds them all.

    Notes live in the user data, not the index (issue 14): the few matching ids are
    OR-ed in beside the clauses of plain words only, so every other clause of the query
    (fields, ranges, ``arxiv:*``, ``NOT``) and the filters still apply to them:
    ``date:2024 zebrafish`` is ``date:2024 AND (zebrafish OR noted ids)``.
    """
    if states is None or plan.listing or not plan.required_words:
        return plan
    split = _word_clauses(plan.query)
    if split is None:
        return plan
    words, rest = split
    try:
        noted = states.ids_where("note", " ".join(plan.required_words))
    except KeyError:  # a lookup that keeps no notes
        return plan
    if not noted:
        return plan
    by_note = [wq.Term("id", paper_id) for paper_id in sorted(noted)]
    either = wq.Or([words, *by_note])
    return dataclasses.replace(plan, query=wq.And([either, *rest]) if rest else either)


def _word_clauses(query: Any) -> tuple[Any, list[Any]] | None:
    """(the clauses of plain words, the other clauses) of a query ANDed at the top, or
    None when no clause is plain words only."""
    clauses = list(query.subqueries) if isinstance(query, wq.And) else [query]
    words = [clause for clause in clauses if _plain_words_only(clause)]
    if not words:
        return None
    rest = [clause for clause in clauses if not any(clause is word for word in words)]
    return (words[0] if len(words) == 1 else wq.And(words)), rest


def _plain_words_only(node: Any) -> bool:
    """Whether a clause matches words of the default field and nothing else (no NOT, no
    region such as ``abstract:``, no other field)."""
    if isinstance(node, (wq.Not, InRegion)):
        return False
    if node.is_leaf():
        return getattr(node, "fieldname", None) == DEFAULT_FIELD
    return all(_plain_words_only(child) for child in node.children())
