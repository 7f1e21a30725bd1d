"""Relevance: Whoosh's BM25F computed over whole posting lists, a block at a time.

The same formula and statistics as Whoosh's scorer (``tests/test_search_oracle.py``
compares them), without its matcher tree: a handful of Python calls per document per
tree level, plus a column read for each document's length.
"""

from __future__ import annotations

from collections.abc import Callable
from itertools import compress
from typing import TYPE_CHECKING, Any, Final

from whoosh import query as wq
from whoosh.scoring import BM25F

from browser.search.kept import (
    frequency,
    kept_share,
    skip_cost,
    skips_as_arrays,
    skips_cheaper,
)
from browser.search.kept import scored_lists as scored_lists  # facade clears it
from browser.search.lengths import bm25_statistics, length_norms
from browser.search.matching import Unsupported, matching_set
from browser.search.phrases import phrase_scores
from browser.search.plainvectors import uses_numpy, vectors_for, vectors_of
from browser.search.planning import InRegion, query_is_constant
from browser.search.regions import in_region
from browser.search.stopping import NO_STOP, Interrupted, Stop
from browser.search.whoosh_internals import (
    PostingArrays,
    custom_field_b,
    deleted_set,
    fast_path,
    posting_parts,
    whole_postings,
)

if TYPE_CHECKING:  # numpy is imported with the first scoring, not with this module
    from browser.search.vectors import Docnums, ScoredDocs

# Scoring a posting inside a region decodes its positions: about this many plain postings.
REGION_POSTING_COST: Final = 4
# A kept list costs this fraction of reading it again (a dictionary built in C).
CACHED_POSTING_COST: Final = 0.1
# ``kth_largest``: lists up to this long are sorted whole; longer ones sampled this much.
_SAMPLED_FROM: Final = 2048
_SAMPLE_SIZE: Final = 512


def postings_to_read(searcher: Any, query: Any) -> float:
    """How many postings scoring ``query`` reads (infinite when not only plain terms).

    Numeric ranges count for nothing: their set is built a posting block at a time with
    the deadline checked, faster than Whoosh's matcher, which gathers it all unchecked.
    A posting kept to a region (``abstract:``) counts several times: its positions are
    decoded too.
    """
    if isinstance(query, wq.Term):
        count = float(frequency(searcher, query.fieldname, query.text))
        kept = kept_share(searcher, query.fieldname, query.text, count)
        return count - kept + CACHED_POSTING_COST * kept
    if isinstance(query, wq.NumericRange | wq.ConstantScoreQuery) and query_is_constant(query):
        return 0.0
    if isinstance(query, InRegion):
        return REGION_POSTING_COST * postings_to_read(searcher, query.q)
    if isinstance(query, wq.Phrase) and query.slop == 1:
        # ``phrase_scores``: every word's postings, then positions for the rarest's.
        counts = [frequency(searcher, query.fieldname, word) for word in query.words]
        return float(sum(counts) + REGION_POSTING_COST * min(counts, default=0))
    if query.is_leaf():
        return float("inf")
    if isinstance(query, wq.And):
        return _and_postings(searcher, query)
    return sum(postings_to_read(searcher, child) for child in query.children())


def _and_postings(searcher: Any, query: Any) -> float:
    """``postings_to_read`` for an AND as ``_and_scores`` reads it: its cheapest part
    whole, then each later term or OR of terms only where that part matched (a skip per
    candidate, when few) as ``term_scores`` decides."""
    parts, rest = [], []
    for child in query.subqueries:
        if isinstance(child, wq.Not | InRegion):
            rest.append(postings_to_read(searcher, child))
        else:
            parts.append(child)
    if not parts:
        return sum(rest)
    costs = [postings_to_read(searcher, c) for c in parts]
    first = min(range(len(parts)), key=costs.__getitem__)
    candidates = _matches_at_most(searcher, parts[first])
    total = costs[first] + sum(rest)
    for at, part in enumerate(parts):
        if at == first:
            continue
        if candidates is None or not _terms_within(part):
            total += costs[at]
            continue
        # A term, or an OR of terms (``_terms_within``): a phrase or a range has no
        # ``subqueries`` (asking raised, and the typing pass searched the bare words).
        terms = [part] if isinstance(part, wq.Term) else list(part.subqueries)
        for term in terms:
            count = frequency(searcher, term.fieldname, term.text)
            total += skip_cost(postings_to_read(searcher, term), count, candidates)
    return total


def _matches_at_most(searcher: Any, node: Any) -> int | None:
    """An upper bound on the documents a term or an OR of terms matches, else None."""
    if isinstance(node, wq.Term):
        return frequency(searcher, node.fieldname, node.text)
    if _terms_within(node):
        return sum(frequency(searcher, c.fieldname, c.text) for c in node.subqueries)
    return None


def top(scored: dict[int, float], wanted: int) -> list[tuple[int, float]]:
    """The ``wanted`` best, ties in Whoosh's order (the lower document number first).

    The cut-off score comes from the scores alone (``kth_largest``), and only what
    reaches it is sorted: a third of a keyed heap over all items at 80k matches.
    """
    if len(scored) > wanted:
        threshold = kth_largest(list(scored.values()), wanted)
        candidates = [item for item in scored.items() if item[1] >= threshold]
    else:
        candidates = list(scored.items())
    candidates.sort(key=lambda item: (-item[1], item[0]))
    return candidates[:wanted]


def kth_largest(values: list[float], k: int) -> float:
    """The ``k``-th largest of ``values`` (1 <= k <= len(values)), exactly.

    ``heapq.nlargest`` loops over the values in Python (8 ms for the 2,000th of 15,000
    scores); a full sort is in C but grows as n log n. Instead a stride sample, sorted,
    gives a cut-off that about ``1.25 k`` values reach; the values reaching it are kept in
    one comprehension and only those are sorted. When the sample misjudged (fewer than
    ``k`` reach the cut-off, as a skewed order can make it) the whole list is sorted.
    Raises ValueError when ``k`` is outside 1..len(values).
    """
    count = len(values)
    if not 1 <= k <= count:
        raise ValueError(f"k={k} outside 1..{count}")
    if count <= 2 * k or count <= _SAMPLED_FROM:
        return sorted(values, reverse=True)[k - 1]
    step = count // _SAMPLE_SIZE
    sample = sorted(values[::step], reverse=True)
    # Each sampled value stands for about ``step`` values; a margin of two of them.
    rank = int(1.25 * k / step) + 2
    if rank < len(sample):
        cutoff = sample[rank]
        reaching = [value for value in values if value >= cutoff]
        if len(reaching) >= k:
            return sorted(reaching, reverse=True)[k - 1]
    return sorted(values, reverse=True)[k - 1]


def ranked_by_bm25(searcher: Any, query: Any, stop: Stop = NO_STOP) -> ScoredDocs | None:
    """Scores of every live document ``query`` matches, or None for a shape it can't do.

    Whoosh's BM25F, the same formula and statistics as its scorer, computed a posting
    block at a time over whole posting lists instead of through its matcher tree (a
    handful of Python calls per document per tree level, plus a column read for each
    document's length), as array arithmetic (``vectors``). Covers AND, OR, NOT and
    plain terms in text fields: what the query parser and the prefix expansion produce
    for words. Anything else goes to Whoosh, and so does everything when Whoosh's
    internals are not there (``whoosh_internals.fast_path``). The caller takes the top
    hits and the exact count from the same result.
    """
    if not fast_path():
        return None
    try:
        return node_docs(searcher, query, stop)
    except Unsupported:
        return None


def node_scores(searcher: Any, node: Any, stop: Stop) -> dict[int, float]:
    """``node_docs`` as a dict."""
    return node_docs(searcher, node, stop).as_dict()


def node_docs(searcher: Any, node: Any, stop: Stop) -> ScoredDocs:
    vectors = vectors_for(searcher)

    stop.check()
    if isinstance(node, wq.Term):
        return term_docs(searcher, node.fieldname, node.text, node.boost, stop=stop)
    if isinstance(node, InRegion) and getattr(node, "boost", 1.0) == 1.0:
        return region_docs(searcher, node.q, node.region, stop=stop)
    if isinstance(node, wq.Phrase) and node.slop == 1:
        scores = vectors.scored_docs(phrase_scores(searcher, node.fieldname, node.words, stop))
        # As Whoosh's Phrase wraps its matcher: each score times the boost (an
        # abbreviation's long form weighs less than the words typed).
        return vectors.times(scores, node.boost) if node.boost != 1.0 else scores
    if query_is_constant(node):
        # Whoosh scores a range match (and a "has a value" one) as a constant.
        matching = matching_set(searcher, node, stop)
        if matching is None:
            raise Unsupported
        score = node.score if isinstance(node, wq.ConstantScoreQuery) else node.boost
        return vectors.constant(matching, float(score))
    if getattr(node, "boost", 1.0) != 1.0:
        raise Unsupported
    if isinstance(node, wq.Or):
        return _or_docs(searcher, node, stop)
    if isinstance(node, wq.And):
        return _and_docs(searcher, node, stop)
    if isinstance(node, wq.AndNot):
        total = node_docs(searcher, node.a, stop)
        excluded = matching_set(searcher, node.b, stop)
        if excluded is None:
            raise Unsupported
        return vectors.without(total, excluded)
    raise Unsupported


def _or_docs(searcher: Any, node: Any, stop: Stop) -> ScoredDocs:
    """An OR: the sum of its parts' scores where they match (NOTs inside are Whoosh's):
    the longest part's score, plus the others' from the shortest up."""
    vectors = vectors_for(searcher)

    if (node.minmatch and node.minmatch > 1) or node.scale:
        raise Unsupported
    if any(isinstance(child, wq.Not) for child in node.subqueries):
        raise Unsupported
    parts = sorted((node_docs(searcher, c, stop) for c in node.subqueries), key=len)
    if not parts:
        return vectors.nothing()
    longest = parts.pop()
    return vectors.summed([longest, *parts])


def _and_docs(searcher: Any, node: Any, stop: Stop) -> ScoredDocs:
    """An AND: the sum of its parts' scores where all match, shortest lists first; each
    NOT inside adds 1.0 where it holds, as Whoosh scores it."""
    vectors = vectors_for(searcher)

    positive = [c for c in node.subqueries if not isinstance(c, wq.Not)]
    if not positive:
        raise Unsupported
    # Region parts decode positions per posting: only for what the rest left over.
    regions = [c for c in positive if isinstance(c, InRegion)]
    plain = [c for c in positive if not isinstance(c, InRegion)]
    # Shortest posting lists first: an empty part ends it (a typo AND a common word),
    # and a few survivors are looked up in the longer lists instead of decoding them.
    plain.sort(key=lambda child: postings_to_read(searcher, child))
    joint: ScoredDocs | None = None
    for child in plain:
        if joint is not None and not len(joint):
            return joint
        if joint is not None and _terms_within(child):
            part = _docs_within(searcher, child, joint.ids, stop)
        else:
            part = node_docs(searcher, child, stop)
        joint = part if joint is None else vectors.joined(joint, part)
    total = node_docs(searcher, regions.pop(), stop) if joint is None else joint
    for region in regions:
        if getattr(region, "boost", 1.0) != 1.0:
            raise Unsupported
        inside = region_docs(searcher, region.q, region.region, total.ids, stop)
        total = vectors.joined(total, inside)
    for child in node.subqueries:
        if isinstance(child, wq.Not) and len(total):
            excluded = matching_set(searcher, child.query, stop)
            if excluded is None:
                raise Unsupported
            # Whoosh scores a NOT inside an AND as a match worth 1.0: same here.
            total = vectors.plus(vectors.without(total, excluded), 1.0)
    return total


def _terms_within(node: Any) -> bool:
    """Whether ``_scores_within`` can score ``node``: a term, or a plain OR of terms
    (the completions of the word being typed)."""
    if isinstance(node, wq.Term):
        return True
    return (
        isinstance(node, wq.Or)
        and getattr(node, "boost", 1.0) == 1.0
        and not (node.minmatch and node.minmatch > 1)
        and not node.scale
        and all(isinstance(child, wq.Term) for child in node.subqueries)
    )


def _scores_within(searcher: Any, node: Any, within: set[int], stop: Stop) -> dict[int, float]:
    """``_docs_within`` as a dict, ``within`` a set."""
    vectors = vectors_for(searcher)

    return _docs_within(searcher, node, vectors.docnum_array(within), stop).as_dict()


def _docs_within(searcher: Any, node: Any, within: Docnums, stop: Stop) -> ScoredDocs:
    """Scores of a term or an OR of terms (``_terms_within``) among ``within`` only
    (ascending document numbers), the OR's added in its order.

    Inside an AND the other parts have already cut the candidates down: each term of an
    OR is then read where they are (a skip to each, when few) instead of whole.
    """
    vectors = vectors_for(searcher)

    if isinstance(node, wq.Term):
        return term_docs(searcher, node.fieldname, node.text, node.boost, within, stop=stop)
    return vectors.summed(
        [
            term_docs(searcher, child.fieldname, child.text, child.boost, within, stop=stop)
            for child in node.subqueries
        ]
    )


def region_docs(
    searcher: Any,
    node: Any,
    region: int,
    within: Docnums | None = None,
    stop: Stop = NO_STOP,
) -> ScoredDocs:
    """Scores of ``node`` (a term or an OR of terms) where it occurs inside ``region``
    (among ``within``, ascending, when given).

    As Whoosh scores ``InRegion``: the term's own score, for documents with a position
    in the region (``regions.in_region``; an OR's terms added in its order).
    """
    vectors = vectors_for(searcher)

    stop.check()
    if isinstance(node, wq.MultiTerm):
        node = wq.Or([wq.Term(f, t) for f, t in node.expanded_terms(searcher.reader())])
    if isinstance(node, wq.Or) and getattr(node, "boost", 1.0) == 1.0:
        return vectors.summed(
            [region_docs(searcher, child, region, within, stop) for child in node.subqueries]
        )
    if not isinstance(node, wq.Term):
        raise Unsupported
    scores = term_docs(searcher, node.fieldname, node.text, node.boost, within, stop=stop)
    if not len(scores):
        return scores
    inside = in_region(searcher, node.fieldname, node.text, region, scores.ids, stop)
    return vectors.among_ids(scores, inside)


def term_scores(
    searcher: Any,
    fieldname: str,
    text: Any,
    boost: float,
    within: set[int] | None = None,
    *,
    stop: Stop = NO_STOP,
) -> dict[int, float]:
    """``term_docs`` as a dict, ``within`` a set."""
    vectors = vectors_for(searcher)

    among = None if within is None else vectors.docnum_array(within)
    return term_docs(searcher, fieldname, text, boost, among, stop=stop).as_dict()


def term_docs(
    searcher: Any,
    fieldname: str,
    text: Any,
    boost: float,
    within: Docnums | None = None,
    *,
    stop: Stop = NO_STOP,
) -> ScoredDocs:
    """BM25 scores of a term's live postings (those in ``within``, ascending); ``stop``
    is checked before each block of a list read whole (a common word has hundreds)."""
    vectors = vectors_for(searcher)

    schema = searcher.schema
    if fieldname not in schema:
        return vectors.nothing()
    if not isinstance(searcher.weighting, BM25F) or custom_field_b(searcher.weighting, fieldname):
        raise Unsupported
    try:
        tbytes = schema[fieldname].to_bytes(text)
    except ValueError:
        return vectors.nothing()
    if (fieldname, tbytes) not in searcher.reader():
        return vectors.nothing()
    if not schema[fieldname].scorable:
        scores = _weights_as_scores(searcher, fieldname, tbytes, boost)
        return scores if within is None else vectors.among_ids(scores, within)
    lists = scored_lists(searcher)
    key = (fieldname, tbytes)
    whole = lists.get(key)
    if whole is None and (
        within is None or not _skips(searcher, len(within), frequency(searcher, fieldname, tbytes))
    ):
        # Decoding the blocks is most of the cost: score the whole list once and keep it
        # for the next keystrokes, which ask for the same words and completions again.
        whole = _whole_list_scores(searcher, fieldname, tbytes, stop)
        lists.put(key, whole)
    if whole is None:
        # A few candidates in a long list: jump to each instead of decoding it all.
        assert within is not None
        return _scores_at(searcher, fieldname, tbytes, boost, within, stop)
    scores = whole if within is None else vectors.among_ids(whole, within)
    return vectors.times(scores, boost) if boost != 1.0 else scores


def _skips(searcher: Any, candidates: int, count: int) -> bool:
    """Whether an AND scores a term only at its candidates: when the cost model says so
    (``skips_cheaper``) and, on the numpy path, whose whole read is cheaper still than
    the model assumes, only for very few (``skips_as_arrays``)."""
    if not skips_cheaper(candidates, count):
        return False
    return not uses_numpy(searcher) or skips_as_arrays(candidates, count)


def _weights_as_scores(searcher: Any, fieldname: str, tbytes: bytes, boost: float) -> ScoredDocs:
    """Whoosh's WeightScorer for fields without lengths (year:2024): the weight."""
    vectors = vectors_for(searcher)

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
    return vectors.scored_docs(found)


def _whole_list_scores(
    searcher: Any, fieldname: str, tbytes: bytes, stop: Stop = NO_STOP
) -> ScoredDocs:
    """Every live posting of a term with its BM25 score, boost 1.

    A segment's blocks are decoded into two flat arrays (ids, weights: C-level extends)
    and scored in one pass of array arithmetic (``vectors.bm25``). ``stop`` is checked
    before each block. A list stopped part way is kept as far as it got
    (``ScoredLists.progress``) and the next call goes on from there: while a word
    is typed the same long list is asked for at every keystroke, and each keystroke's
    budget then adds to the last one's instead of starting over.
    """
    vectors = vectors_for(searcher)

    idf, avgfl, b, k1 = bm25_statistics(searcher, fieldname, tbytes)
    lists = scored_lists(searcher)
    key = (fieldname, tbytes)
    chunks: list[ScoredDocs] = []
    resume_at = 0
    if key in lists.progress:
        done, resume_at = lists.progress.pop(key)
        chunks.append(done)
    check = stop.check if stop.active else None
    for subsearcher, offset in searcher.leaf_searchers():
        reader = subsearcher.reader()
        end = offset + reader.doc_count_all()
        if end <= resume_at or (fieldname, tbytes) not in reader:
            continue
        norms = length_norms(subsearcher, fieldname, k1, b, avgfl)
        if norms is None:
            raise Unsupported
        postings = reader.postings(fieldname, tbytes)
        if resume_at > offset:
            postings.skip_to(resume_at - offset)
        gathered: PostingArrays | ListPostings = (
            PostingArrays() if uses_numpy(searcher) else ListPostings()
        )
        try:
            gathered.read(postings, check)
        except Interrupted:
            if gathered.last is not None:
                resume_at = offset + gathered.last + 1
            ids, weights = gathered.arrays()
            scored = vectors.bm25(ids, weights, norms, idf, k1 + 1, offset)
            chunks.append(_live(reader, offset, scored))
            lists.progress[key] = (vectors.concatenated(chunks), resume_at)
            raise
        ids, weights = gathered.arrays()
        scored = vectors.bm25(ids, weights, norms, idf, k1 + 1, offset)
        chunks.append(_live(reader, offset, scored))
        resume_at = end
    return vectors.concatenated(chunks)


class ListPostings:
    """``PostingArrays`` for ``plainvectors``: a term's ids and weights as lists, a
    block at a time (``posting_parts``), no numpy."""

    def __init__(self) -> None:
        self.ids: list[int] = []
        self.weights: list[float] = []
        self.last: int | None = None

    def read(self, postings: Any, check: Callable[[], None] | None = None) -> None:
        for ids, weights, _ in posting_parts(postings, "weights", check):
            self.ids.extend(ids)
            self.weights.extend(weights)
            if ids:
                self.last = ids[-1]

    def arrays(self) -> tuple[list[int], list[float]]:
        return self.ids, self.weights


def _live(reader: Any, offset: int, scored: ScoredDocs) -> ScoredDocs:
    """``scored`` (one segment's, numbered from ``offset``) without its deleted documents."""
    vectors = vectors_of(scored)

    if not reader.has_deletions():
        return scored
    return vectors.without(scored, (offset + docnum for docnum in deleted_set(reader)))


def _scores_at(
    searcher: Any, fieldname: str, tbytes: bytes, boost: float, within: Docnums, stop: Stop
) -> ScoredDocs:
    """The scores of a term's postings among ``within`` (ascending), from the blocks that
    may hold them (``posting_parts``); ``stop`` is checked before each block."""
    vectors = vectors_for(searcher)

    idf, avgfl, b, k1 = bm25_statistics(searcher, fieldname, tbytes)
    k1_plus_1 = k1 + 1
    scores: dict[int, float] = {}
    for subsearcher, offset in searcher.leaf_searchers():
        reader = subsearcher.reader()
        if (fieldname, tbytes) not in reader:
            continue
        norms = length_norms(subsearcher, fieldname, k1, b, avgfl)
        if norms is None:
            raise Unsupported
        postings = reader.postings(fieldname, tbytes)
        local = (
            [docnum - offset for docnum in within if docnum >= offset]
            if isinstance(within, list)  # ``plainvectors``' candidates
            else (within[within >= offset] - offset).tolist()
        )
        wanted = set(local)
        deleted = deleted_set(reader) if reader.has_deletions() else ()
        found: list[tuple[int, float]] = []
        check = stop.check if stop.active else None
        for ids, weights, _ in posting_parts(postings, "weights", check, among=local):
            found.extend(compress(zip(ids, weights, strict=True), map(wanted.__contains__, ids)))
        for docnum, tf in found:
            if deleted and docnum in deleted:
                continue
            score = idf * ((tf * k1_plus_1) / (tf + norms[docnum]))
            scores[offset + docnum] = score * boost if boost != 1.0 else score
    return vectors.scored_docs(scores)
