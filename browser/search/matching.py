"""Which documents match: filters as document sets, and queries by set operations.

Counting by walking Whoosh's matcher tree costs a few Python calls per document per
level; decoding posting blocks into sets and combining them is several times faster.
"""

from __future__ import annotations

import copy
from typing import Any

from whoosh import query as wq

from browser.models import SearchFilters, TagLookup, UserStateLookup
from browser.search.planning import InRegion
from browser.search.stopping import NO_STOP, Interrupted, Stop, checked
from browser.search.whoosh_internals import compile_range, deleted_set, fast_path, posting_ids


def resolve_filters(
    filters: SearchFilters, tags: TagLookup | None, states: UserStateLookup | None
) -> tuple[set[str] | None, set[str]]:
    """(paper ids allowed, or None for all; paper ids denied) for ``filters``.

    Without a tag store nothing is tagged; without a user-state store no predicate holds.
    A predicate the store does not know raises its ``KeyError``.
    """
    allowed: set[str] | None = None if filters.allowed_ids is None else set(filters.allowed_ids)
    denied: set[str] = set(filters.denied_ids)

    def allow(ids: set[str]) -> None:
        nonlocal allowed
        allowed = set(ids) if allowed is None else allowed & ids

    for tag in filters.required_tags:
        allow(tags.ids_with_tag(tag) if tags is not None else set())
    if filters.tagged is True:
        allow(tags.tagged_ids() if tags is not None else set())
    elif filters.tagged is False and tags is not None:
        denied |= tags.tagged_ids()
    if tags is not None:
        for tag in filters.excluded_tags:
            denied |= tags.ids_with_tag(tag)
    for predicate in filters.states:
        holding = states.ids_where(predicate.name, predicate.argument) if states else set()
        if predicate.negated:
            denied |= holding
        else:
            allow(holding)
    return allowed, denied


class Unsupported(Exception):
    """A query shape the set evaluation does not handle: count by scoring instead."""


def matching_set(searcher: Any, query: Any, stop: Stop = NO_STOP) -> set[int] | None:
    """The live documents ``query`` matches, by set operations over whole posting lists.

    Counting by walking Whoosh's matcher tree costs a few Python calls per document per
    level; decoding posting blocks into sets and combining them is several times faster,
    and frees the relevance pass to skip blocks that cannot reach the top hits. None when
    the query has a part this does not understand (phrases, spans, fuzzy terms are fine:
    they fall back to their own matcher), or when Whoosh's internals are not there to
    read posting blocks. May raise ``Interrupted``.
    """
    if not fast_path():
        return None
    found: set[int] = set()
    try:
        for subsearcher, offset in searcher.leaf_searchers():
            segment = subsearcher.reader()
            ids = segment_set(subsearcher, query, stop)
            if segment.has_deletions():
                ids -= deleted_set(segment)
            if offset:
                found.update(offset + docnum for docnum in ids)
            else:
                found |= ids
    except Unsupported:
        return None
    return found


def segment_set(searcher: Any, node: Any, stop: Stop) -> set[int]:
    reader = searcher.reader()
    stop.check()
    if isinstance(node, wq.Term):
        if (node.fieldname, node.text) not in reader:
            return set()
        return posting_ids(reader.postings(node.fieldname, node.text), stop.check)
    if isinstance(node, wq.Every):
        return set(range(reader.doc_count_all()))
    if node is wq.NullQuery:
        return set()
    if isinstance(node, wq.And):
        positive = [c for c in node.subqueries if not isinstance(c, wq.Not)]
        negative = [c.query for c in node.subqueries if isinstance(c, wq.Not)]
        # Smallest first: the intersection shrinks fastest.
        sets = sorted((segment_set(searcher, c, stop) for c in positive), key=len)
        result = sets[0] if sets else set(range(reader.doc_count_all()))
        for other in sets[1:]:
            result &= other
        for excluded in negative:
            if result:
                result -= segment_set(searcher, excluded, stop)
        return result
    if isinstance(node, wq.Or):
        if node.minmatch and node.minmatch > 1:
            raise Unsupported
        result = set()
        for child in node.subqueries:
            result |= segment_set(searcher, child, stop)
        return result
    if isinstance(node, wq.AndNot):
        return segment_set(searcher, node.a, stop) - segment_set(searcher, node.b, stop)
    if isinstance(node, wq.AndMaybe):
        return segment_set(searcher, node.a, stop)
    if isinstance(node, wq.Require):
        return segment_set(searcher, node.a, stop) & segment_set(searcher, node.b, stop)
    if isinstance(node, wq.Not):
        return set(range(reader.doc_count_all())) - segment_set(searcher, node.query, stop)
    if isinstance(node, wq.NumericRange):
        return segment_set(searcher, compile_range(node, reader), stop)
    if isinstance(node, wq.ConstantScoreQuery):  # what a range compiles to
        return segment_set(searcher, node.child, stop)
    if isinstance(node, wq.MultiTerm):  # prefix, wildcard, fuzzy, term range
        result = set()
        for fieldname, text in node.expanded_terms(reader):
            result |= posting_ids(reader.postings(fieldname, text), stop.check)
        return result
    if isinstance(node, wq.Phrase | InRegion):
        matcher = checked(node, stop).matcher(searcher)
        return set(matcher.all_ids()) if matcher.is_active() else set()
    raise Unsupported


def driven_by_negation(node: Any) -> bool:
    """Whether Whoosh would match ``node`` by walking the complement of a NOT: a NOT with
    no positive part beside it to lead (``NOT survey``, ``agents OR NOT survey``)."""
    if isinstance(node, wq.Not):
        return True
    if isinstance(node, wq.AndNot):
        return driven_by_negation(node.a)
    if isinstance(node, wq.And):
        positive = [c for c in node.subqueries if not isinstance(c, wq.Not)]
        return not positive or any(driven_by_negation(c) for c in positive)
    if node.is_leaf():
        return False
    return any(driven_by_negation(c) for c in node.children())


def without_negations(node: Any) -> Any | None:
    """The part of ``node`` that can make a document match by itself: NOTs left out."""
    if isinstance(node, wq.Not):
        return None
    if isinstance(node, wq.AndNot):
        return without_negations(node.a)
    if isinstance(node, wq.CompoundQuery):
        kept = [k for c in node.subqueries if (k := without_negations(c)) is not None]
        if not kept:
            return None
        trimmed = copy.copy(node)
        trimmed.subqueries = kept
        return trimmed
    return node


def allowed_only(docnums: set[int], allowed: set[int] | None, denied: set[int]) -> set[int]:
    if allowed is not None:
        docnums = docnums & allowed
    return docnums - denied if denied else docnums


def matching_docnums(searcher: Any, query: Any, stop: Stop) -> tuple[set[int], bool]:
    """Every live document ``query`` matches, without scoring (for the sorted orders)."""
    found: set[int] = set()
    query = checked(query, stop)
    for subsearcher, offset in searcher.leaf_searchers():
        reader = subsearcher.reader()
        matcher = query.matcher(subsearcher)
        if not matcher.is_active():
            continue
        ids = matcher.all_ids()
        if not stop.active:
            found.update(offset + docnum for docnum in ids)
        else:
            try:
                for count, docnum in enumerate(ids):
                    if count % 256 == 255 and stop.reached():
                        return found, True
                    found.add(offset + docnum)
            except Interrupted:
                return found, True
        if reader.has_deletions():
            found.difference_update(offset + docnum for docnum in deleted_set(reader))
    return found, False
