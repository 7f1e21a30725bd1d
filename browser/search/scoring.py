"""Relevance: Whoosh's BM25F computed over whole posting lists, a block at a time.

The same formula and statistics as Whoosh's scorer (``tests/test_search_oracle.py``
compares them), without its matcher tree: a handful of Python calls per document per
tree level, plus a column read for each document's length.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Iterator
from typing import Any, Final

from whoosh import query as wq
from whoosh.scoring import BM25F

from browser.search.matching import Unsupported, matching_set
from browser.search.planning import InRegion, query_is_constant
from browser.search.schema import REGION
from browser.search.stopping import NO_STOP, Stop
from browser.search.whoosh_internals import (
    custom_field_b,
    deleted_set,
    fast_path,
    length_table,
    posting_values,
    whole_postings,
)

# Scoring a posting inside a region decodes its positions: about this many plain postings.
REGION_POSTING_COST: Final = 4


def postings_to_read(searcher: Any, query: Any) -> float:
    """How many postings scoring ``query`` reads (infinite when not only plain terms).

    Numeric ranges count for nothing: their set is built a posting block at a time with
    the deadline checked, faster than Whoosh's matcher, which gathers it all unchecked.
    A posting kept to a region (``abstract:``) counts several times: its positions are
    decoded too.
    """
    if isinstance(query, wq.Term):
        return float(searcher.doc_frequency(query.fieldname, query.text))
    if isinstance(query, wq.NumericRange | wq.ConstantScoreQuery) and query_is_constant(query):
        return 0.0
    if isinstance(query, InRegion):
        return REGION_POSTING_COST * postings_to_read(searcher, query.q)
    if isinstance(query, wq.Phrase) and query.slop == 1 and query.boost == 1.0:
        # ``phrase_scores``: every word's postings, then positions for the rarest's.
        counts = [searcher.doc_frequency(query.fieldname, word) for word in query.words]
        return float(sum(counts) + REGION_POSTING_COST * min(counts, default=0))
    if query.is_leaf():
        return float("inf")
    return sum(postings_to_read(searcher, child) for child in query.children())


def top(scored: dict[int, float], wanted: int) -> list[tuple[int, float]]:
    """The ``wanted`` best, ties in Whoosh's order (the lower document number first).

    The cut-off score comes from the scores alone (a C-level heap over floats), and only
    what reaches it is sorted: a third of a keyed heap over all items at 80k matches.
    """
    if len(scored) > wanted:
        threshold = heapq.nlargest(wanted, scored.values())[-1]
        candidates = [item for item in scored.items() if item[1] >= threshold]
    else:
        candidates = list(scored.items())
    candidates.sort(key=lambda item: (-item[1], item[0]))
    return candidates[:wanted]


def ranked_by_bm25(searcher: Any, query: Any, stop: Stop = NO_STOP) -> dict[int, float] | None:
    """Scores of every live document ``query`` matches, or None for a shape it can't do.

    Whoosh's BM25F, the same formula and statistics as its scorer, computed a posting
    block at a time over whole posting lists instead of through its matcher tree (a
    handful of Python calls per document per tree level, plus a column read for each
    document's length). Covers AND, OR, NOT and plain terms in text fields: what the
    query parser and the prefix expansion produce for words. Anything else goes to
    Whoosh, and so does everything when Whoosh's internals are not there
    (``whoosh_internals.fast_path``). The caller takes the top hits and the exact count
    from the same result.
    """
    if not fast_path():
        return None
    try:
        return node_scores(searcher, query, stop)
    except Unsupported:
        return None


def node_scores(searcher: Any, node: Any, stop: Stop) -> dict[int, float]:
    stop.check()
    if isinstance(node, wq.Term):
        return term_scores(searcher, node.fieldname, node.text, node.boost)
    if isinstance(node, InRegion) and getattr(node, "boost", 1.0) == 1.0:
        return region_scores(searcher, node.q, node.region, stop=stop)
    if isinstance(node, wq.Phrase) and node.slop == 1 and node.boost == 1.0:
        return phrase_scores(searcher, node.fieldname, node.words)
    if query_is_constant(node):
        # Whoosh scores a range match (and a "has a value" one) as a constant.
        matching = matching_set(searcher, node, stop)
        if matching is None:
            raise Unsupported
        score = node.score if isinstance(node, wq.ConstantScoreQuery) else node.boost
        return dict.fromkeys(matching, float(score))
    if getattr(node, "boost", 1.0) != 1.0:
        raise Unsupported
    if isinstance(node, wq.Or):
        return _or_scores(searcher, node, stop)
    if isinstance(node, wq.And):
        return _and_scores(searcher, node, stop)
    if isinstance(node, wq.AndNot):
        total = node_scores(searcher, node.a, stop)
        excluded = matching_set(searcher, node.b, stop)
        if excluded is None:
            raise Unsupported
        return {d: s for d, s in total.items() if d not in excluded}
    raise Unsupported


def _or_scores(searcher: Any, node: Any, stop: Stop) -> dict[int, float]:
    """An OR: the sum of its parts' scores where they match (NOTs inside are Whoosh's)."""
    if (node.minmatch and node.minmatch > 1) or node.scale:
        raise Unsupported
    if any(isinstance(child, wq.Not) for child in node.subqueries):
        raise Unsupported
    parts = sorted((node_scores(searcher, c, stop) for c in node.subqueries), key=len)
    if not parts:
        return {}
    total = parts.pop()
    for part in parts:
        get = total.get
        for docnum, score in part.items():
            total[docnum] = get(docnum, 0.0) + score
    return total


def _and_scores(searcher: Any, node: Any, stop: Stop) -> dict[int, float]:
    """An AND: the sum of its parts' scores where all match, shortest lists first; each
    NOT inside adds 1.0 where it holds, as Whoosh scores it."""
    positive = [c for c in node.subqueries if not isinstance(c, wq.Not)]
    if not positive:
        raise Unsupported
    # Region parts decode positions per posting: only for what the rest left over.
    regions = [c for c in positive if isinstance(c, InRegion)]
    plain = [c for c in positive if not isinstance(c, InRegion)]
    # Shortest posting lists first: an empty part ends it (a typo AND a common word),
    # and a few survivors are looked up in the longer lists instead of decoding them.
    plain.sort(key=lambda child: postings_to_read(searcher, child))
    joint: dict[int, float] | None = None
    for child in plain:
        if joint is not None and not joint:
            return {}
        if isinstance(child, wq.Term) and joint is not None:
            part = term_scores(searcher, child.fieldname, child.text, child.boost, set(joint))
        else:
            part = node_scores(searcher, child, stop)
        joint = part if joint is None else {d: s + part[d] for d, s in joint.items() if d in part}
    total = node_scores(searcher, regions.pop(), stop) if joint is None else joint
    for region in regions:
        if getattr(region, "boost", 1.0) != 1.0:
            raise Unsupported
        part = region_scores(searcher, region.q, region.region, within=set(total), stop=stop)
        total = {d: s + part[d] for d, s in total.items() if d in part}
    for child in node.subqueries:
        if isinstance(child, wq.Not) and total:
            excluded = matching_set(searcher, child.query, stop)
            if excluded is None:
                raise Unsupported
            # Whoosh scores a NOT inside an AND as a match worth 1.0: same here.
            total = {d: s + 1.0 for d, s in total.items() if d not in excluded}
    return total


def phrase_scores(searcher: Any, fieldname: str, words: list[str]) -> dict[int, float]:
    """As Whoosh scores a phrase: the sum of its words' scores, where they are adjacent."""
    parts = [term_scores(searcher, fieldname, word, 1.0) for word in words]
    if not parts or not all(parts):
        return {}
    total = parts[0]
    for part in parts[1:]:
        total = {d: s + part[d] for d, s in total.items() if d in part}
    if not total or len(words) == 1:
        return total
    field = searcher.schema[fieldname]
    decode = field.format.decode_positions
    adjacent: set[int] = set()
    for subsearcher, offset in searcher.leaf_searchers():
        reader = subsearcher.reader()
        candidates = sorted(
            d - offset for d in total if offset <= d < offset + reader.doc_count_all()
        )
        if not candidates:
            continue
        places: list[dict[int, set[int]]] = []
        for word in words:
            values = values_among(reader, fieldname, field.to_bytes(word), candidates)
            places.append({d: set(decode(v)) for d, v in values})
        for docnum in candidates:
            starts = places[0].get(docnum, set())
            for shift, later in enumerate(places[1:], start=1):
                following = later.get(docnum, set())
                starts = {p for p in starts if p + shift in following}
            if starts:
                adjacent.add(offset + docnum)
    return {d: s for d, s in total.items() if d in adjacent}


def region_scores(
    searcher: Any,
    node: Any,
    region: int,
    within: set[int] | None = None,
    stop: Stop = NO_STOP,
) -> dict[int, float]:
    """Scores of ``node`` (a term or an OR of terms) where it occurs inside ``region``.

    As Whoosh scores ``InRegion``: the term's own score, for documents with a position
    in the region. Decoding positions costs a few µs a posting, so ``stop`` is checked
    as it goes (``abstract:a*`` reads 150k of them at 20k papers).
    """
    stop.check()
    if isinstance(node, wq.MultiTerm):
        node = wq.Or([wq.Term(f, t) for f, t in node.expanded_terms(searcher.reader())])
    if isinstance(node, wq.Or) and getattr(node, "boost", 1.0) == 1.0:
        total: dict[int, float] = {}
        for child in node.subqueries:
            for docnum, score in region_scores(searcher, child, region, within, stop).items():
                total[docnum] = total.get(docnum, 0.0) + score
        return total
    if not isinstance(node, wq.Term):
        raise Unsupported
    scores = term_scores(searcher, node.fieldname, node.text, node.boost, within)
    if within is not None:
        scores = {d: s for d, s in scores.items() if d in within}
    if not scores:
        return scores
    low, high = region * REGION, (region + 1) * REGION
    decode = searcher.schema[node.fieldname].format.decode_positions
    tbytes = searcher.schema[node.fieldname].to_bytes(node.text)
    inside: set[int] = set()
    for subsearcher, offset in searcher.leaf_searchers():
        reader = subsearcher.reader()
        candidates = sorted(
            d - offset for d in scores if offset <= d < offset + reader.doc_count_all()
        )
        values = values_among(reader, node.fieldname, tbytes, candidates)
        for count, (docnum, value) in enumerate(values):
            if not count & 255:
                stop.check()
            if offset + docnum in scores and any(low <= p < high for p in decode(value)):
                inside.add(offset + docnum)
    return {d: s for d, s in scores.items() if d in inside}


def values_among(
    reader: Any, fieldname: str, tbytes: bytes, candidates: list[int]
) -> Iterator[tuple[int, bytes]]:
    """(document number, encoded positions) of a term's postings among ``candidates``
    (sorted, segment-local).

    Few candidates: skip to each. Many: read every block and keep theirs, since a skip
    per posting cost 0.7 s for the 72k candidates of ``"learning model"`` at 100k papers.
    """
    if (fieldname, tbytes) not in reader:
        return iter(())
    postings = reader.postings(fieldname, tbytes)
    if len(candidates) * 8 < reader.doc_frequency(fieldname, tbytes):
        return values_at(postings, candidates)
    wanted = set(candidates)
    return ((d, v) for d, v in posting_values(postings) if d in wanted)


def landing_on(matcher: Any, docnums: Iterable[int]) -> Iterator[int]:
    """Each of the sorted ``docnums`` that ``matcher`` holds, with the matcher on it."""
    for docnum in docnums:
        if docnum < 0:
            continue
        if not matcher.is_active():
            return
        if matcher.id() < docnum:
            matcher.skip_to(docnum)
            if not matcher.is_active():
                return
        if matcher.id() == docnum:
            yield docnum


def values_at(matcher: Any, docnums: list[int]) -> Iterator[tuple[int, bytes]]:
    return ((docnum, matcher.value()) for docnum in landing_on(matcher, docnums))


def term_scores(
    searcher: Any, fieldname: str, text: Any, boost: float, within: set[int] | None = None
) -> dict[int, float]:
    schema = searcher.schema
    if fieldname not in schema:
        return {}
    if not isinstance(searcher.weighting, BM25F) or custom_field_b(searcher.weighting, fieldname):
        raise Unsupported
    try:
        tbytes = schema[fieldname].to_bytes(text)
    except ValueError:
        return {}
    if (fieldname, tbytes) not in searcher.reader():
        return {}
    if not schema[fieldname].scorable:
        # Whoosh's WeightScorer for fields without lengths (year:2024): the weight.
        found: dict[int, float] = {}
        for subsearcher, offset in searcher.leaf_searchers():
            reader = subsearcher.reader()
            if (fieldname, tbytes) not in reader:
                continue
            ids, weights = whole_postings(reader.postings(fieldname, tbytes))
            deleted = deleted_set(reader) if reader.has_deletions() else ()
            for docnum, tf in zip(ids, weights, strict=True):
                if not (deleted and docnum in deleted):
                    found[offset + docnum] = tf * boost
        return found
    # The statistics BM25FScorer takes from the top-level searcher.
    idf = searcher.idf(fieldname, tbytes)
    avgfl = searcher.avg_field_length(fieldname) or 1
    b = searcher.weighting.B
    k1 = searcher.weighting.K1
    k1_plus_1 = k1 + 1
    one_minus_b = 1 - b
    scores: dict[int, float] = {}
    for subsearcher, offset in searcher.leaf_searchers():
        reader = subsearcher.reader()
        if (fieldname, tbytes) not in reader:
            continue
        table = length_table(subsearcher, fieldname)
        if table is None:
            raise Unsupported
        postings = reader.postings(fieldname, tbytes)
        if within is not None and len(within) * 8 < reader.doc_frequency(fieldname, tbytes):
            # A few candidates in a long list: jump to each instead of decoding it all.
            ids, weights = postings_at(postings, sorted(d - offset for d in within))
        else:
            ids, weights = whole_postings(postings)
        deleted = deleted_set(reader) if reader.has_deletions() else ()
        for docnum, tf in zip(ids, weights, strict=True):
            if deleted and docnum in deleted:
                continue
            fl = table[docnum] or 1
            # Whoosh's bm25(), written out: same operations, same order, same floats.
            score = idf * ((tf * k1_plus_1) / (tf + k1 * (one_minus_b + b * fl / avgfl)))
            scores[offset + docnum] = score * boost if boost != 1.0 else score
    return scores


def postings_at(matcher: Any, docnums: list[int]) -> tuple[list[int], list[float]]:
    """Document numbers and weights of the postings among ``docnums`` (sorted)."""
    ids: list[int] = []
    weights: list[float] = []
    for docnum in landing_on(matcher, docnums):
        ids.append(docnum)
        weights.append(matcher.weight())
    return ids, weights
