"""Phrases: Whoosh's ``Phrase`` scores over whole posting lists, positions compared at once.

Whoosh scores a phrase as the sum of its words' BM25F scores in the documents where
the words stand next to each other (``tests/test_search_oracle.py`` compares the two).
A phrase of common words ("preference learning") has tens of thousands of postings per
word and thousands of documents holding every word (17k at 100k papers), of which a few
hundred hold the phrase; the count shown is exact, so every one of them is checked. On
the fast path the words' postings are read as arrays (``whoosh_internals.positions``:
values left in their blocks' bytes, the positions of all candidates decoded together)
and compared as sorted keys; one ``pickle.loads`` and a few set operations per posting
and word was most of the time. Elsewhere (Whoosh's public path, or a value in another
layout) positions are decoded one posting at a time and compared as sets. A score is
worked out only for a match.
"""

from __future__ import annotations

from collections.abc import Iterable
from itertools import compress, repeat
from operator import add, sub
from typing import TYPE_CHECKING, Any, Final

from whoosh.scoring import BM25F

from browser.search.kept import frequency, skips_to_candidates
from browser.search.lengths import bm25_statistics, length_norms
from browser.search.matching import Unsupported
from browser.search.plainvectors import uses_numpy
from browser.search.stopping import NO_STOP, Stop
from browser.search.whoosh_internals import (
    custom_field_b,
    deleted_set,
    positions_decoder,
    positions_in_arrays,
    posting_parts,
)

if TYPE_CHECKING:  # numpy comes with the first phrase (``_matched_by_arrays``)
    from browser.search.whoosh_internals.positions import PositionalPostings

# (term frequency, encoded positions) of one posting.
_Posting = tuple[float, bytes]
# Documents whose positions are compared between two checks of the stop.
_CHECK_EVERY: Final = 256
# Per word, document number -> term frequency in the matches; and the matches in order.
_Matched = tuple[list[dict[int, float]], list[int]]


def phrase_scores(
    searcher: Any, fieldname: str, words: list[str], stop: Stop = NO_STOP
) -> dict[int, float]:
    """Document number -> score for the documents where ``words`` stand in this order,
    one after the other, in ``fieldname``: the sum of the words' BM25F scores, added as
    Whoosh adds them (``_tree_sum``).

    The rarest word is read first; each later one only where the earlier ones all occur
    (whole blocks when that is many of its postings, the blocks that may hold them
    otherwise). Positions are compared only for the documents that hold every word.
    ``Unsupported`` when the weighting is not Whoosh's BM25F as built; ``Interrupted``
    (``stop``) between blocks and documents.
    """
    if not words:
        return {}
    field = searcher.schema[fieldname]
    if not isinstance(searcher.weighting, BM25F) or custom_field_b(searcher.weighting, fieldname):
        raise Unsupported
    terms = [field.to_bytes(word) for word in words]
    rarest_first = sorted(range(len(words)), key=lambda i: frequency(searcher, fieldname, words[i]))
    # A small library's phrases stay without numpy, as its scores do (``plainvectors``).
    if positions_in_arrays(field) and uses_numpy(searcher):
        from browser.search.whoosh_internals.positions import LayoutMismatch

        try:
            return _scored_by_arrays(searcher, fieldname, terms, rarest_first, stop)
        except LayoutMismatch:
            pass  # a value pickled otherwise than Whoosh's Positions does today
    frequencies, matches = _matched_one_by_one(
        searcher, field, fieldname, terms, rarest_first, stop
    )
    if not matches:
        return {}
    scores = [
        _bm25(searcher, fieldname, term, frequencies[at], matches) for at, term in enumerate(terms)
    ]
    return {docnum: _tree_sum([part[docnum] for part in scores]) for docnum in matches}


def _scored_by_arrays(
    searcher: Any, fieldname: str, terms: list[bytes], order: list[int], stop: Stop
) -> dict[int, float]:
    """``phrase_scores`` on the numpy path: the matches and their words' frequencies as
    arrays, each word's BM25F for all matches at once (``vectors.bm25``: the same
    double operations), added as ``_tree_sum`` adds them, element by element."""
    frequencies, matches = _matched_by_arrays(searcher, fieldname, terms, order, stop)
    if not matches.size:
        return {}
    scores = [
        _bm25_arrays(searcher, fieldname, term, frequencies[at], matches)
        for at, term in enumerate(terms)
    ]
    return dict(zip(matches.tolist(), _tree_sum(scores).tolist(), strict=True))


def _matched_by_arrays(
    searcher: Any, fieldname: str, terms: list[bytes], order: list[int], stop: Stop
) -> tuple[list[Any], Any]:
    """``_matched_one_by_one`` over arrays: candidates as the intersection of sorted
    document numbers, positions decoded for all candidates of a word at once. Each
    word's frequencies in the matches, and the matches (ascending), as arrays."""
    import numpy as np

    from browser.search.whoosh_internals.positions import adjacent_rows

    found: dict[int, PositionalPostings] = {}
    joint: Any = None
    for at in order:
        part = _positional_postings(searcher, fieldname, terms[at], joint, stop)
        joint = part.ids if joint is None else np.intersect1d(joint, part.ids, assume_unique=True)
        if not joint.size:
            return [], joint
        found[at] = part
    words = [(found[at], np.searchsorted(found[at].ids, joint)) for at in range(len(terms))]
    hit = adjacent_rows(words, stop.check)
    return [postings.weights[rows[hit]] for postings, rows in words], joint[hit]


def _bm25_arrays(searcher: Any, fieldname: str, tbytes: bytes, frequencies: Any, docs: Any) -> Any:
    """``_bm25`` for ``docs`` (an ascending array) and their ``frequencies`` (an array),
    as an array of scores in the same order."""
    import numpy as np

    from browser.search import vectors

    idf, avgfl, b, k1 = bm25_statistics(searcher, fieldname, tbytes)
    scores = np.empty(docs.size, dtype=np.float64)
    for subsearcher, offset in searcher.leaf_searchers():
        low, high = np.searchsorted(docs, [offset, offset + subsearcher.reader().doc_count_all()])
        if high == low:
            continue
        norms = length_norms(subsearcher, fieldname, k1, b, avgfl)
        if norms is None:
            raise Unsupported
        local = docs[low:high] - offset
        scores[low:high] = vectors.bm25(local, frequencies[low:high], norms, idf, k1 + 1, 0).scores
    return scores


def _positional_postings(
    searcher: Any, fieldname: str, tbytes: bytes, among: Any, stop: Stop
) -> PositionalPostings:
    """A term's live postings as arrays; with ``among`` (a sorted array of document
    numbers) only the blocks that may hold them, when they are few."""
    from browser.search.whoosh_internals import positions

    if (fieldname, tbytes) not in searcher.reader():
        return positions.no_postings()
    check = stop.check if stop.active else None
    parts = []
    for subsearcher, offset in searcher.leaf_searchers():
        reader = subsearcher.reader()
        if (fieldname, tbytes) not in reader:
            continue
        local = None
        if among is not None:  # blocks without one are passed over by their header
            inside = among[(among >= offset) & (among < offset + reader.doc_count_all())]
            local = (inside - offset).tolist()
        deleted = deleted_set(reader) if reader.has_deletions() else None
        postings = reader.postings(fieldname, tbytes)
        parts.append(positions.positional_postings(postings, offset, deleted, local, check))
    return positions.joined(parts) if parts else positions.no_postings()


def _matched_one_by_one(
    searcher: Any, field: Any, fieldname: str, terms: list[bytes], order: list[int], stop: Stop
) -> _Matched:
    """The matches, each posting's positions decoded on its own and compared as sets:
    the rarest word read first, each later one where the earlier ones all occur (a
    skip to each when they are few), frequencies and positions from the same block."""
    found: dict[int, dict[int, _Posting]] = {}
    joint: set[int] | None = None
    for at in order:
        part = _postings(searcher, fieldname, terms[at], joint, stop)
        joint = set(part) if joint is None else joint.intersection(part)
        if not joint:
            return [], []
        found[at] = part
    postings = [found[at] for at in range(len(terms))]
    matches = _adjacent(field, postings, joint or set(), stop)
    return [{docnum: part[docnum][0] for docnum in matches} for part in postings], matches


def _tree_sum(values: list[Any]) -> Any:
    """The words' scores added as Whoosh's phrase matcher adds them: an intersection of
    the halves, recursively (``whoosh.util.make_binary_tree``), so ``s0 + (s1 + s2)``
    for three words. Left to right differs in the last bit and can reorder ties. Floats,
    or arrays of them added element by element."""
    if len(values) == 1:
        return values[0]
    half = len(values) // 2
    return _tree_sum(values[:half]) + _tree_sum(values[half:])


def _adjacent(
    field: Any, postings: list[dict[int, _Posting]], candidates: set[int], stop: Stop
) -> list[int]:
    """The candidates (in document order) where the words' positions follow each other:
    a start ``p`` of the first word with the ``k``-th word at ``p + k`` for every ``k``.

    One ``pickle.loads`` per posting is most of the cost (joining a batch's pickles into
    one was slower); what is around it stays in C: sets, ``map``, ``intersection_update``.
    """
    decode = positions_decoder(field)
    first, rest = postings[0], list(enumerate(postings[1:], start=1))
    matches: list[int] = []
    for count, docnum in enumerate(sorted(candidates)):
        if not count % _CHECK_EVERY:
            stop.check()
        starts = set(decode(first[docnum][1]))
        for shift, following in rest:
            # Starts p with the word at p + shift: the word's positions moved back.
            starts.intersection_update(map(sub, decode(following[docnum][1]), repeat(shift)))
            if not starts:
                break
        if starts:
            matches.append(docnum)
    return matches


def _postings(
    searcher: Any, fieldname: str, tbytes: bytes, among: set[int] | None, stop: Stop
) -> dict[int, _Posting]:
    """Document number -> (frequency, encoded positions) of a term's live postings (those
    in ``among``), read a block at a time with ``stop`` checked before each."""
    found: dict[int, _Posting] = {}
    if (fieldname, tbytes) not in searcher.reader():
        return found
    check = stop.check if stop.active else None
    for subsearcher, offset in searcher.leaf_searchers():
        reader = subsearcher.reader()
        if (fieldname, tbytes) not in reader:
            continue
        postings = reader.postings(fieldname, tbytes)
        if among is not None and skips_to_candidates(
            len(among), frequency(reader, fieldname, tbytes)
        ):
            local = sorted(d - offset for d in among if d >= offset)
            blocks: Iterable[Any] = posting_parts(postings, "both", check, among=local)
        else:
            blocks = posting_parts(postings, "both", check)
        deleted = deleted_set(reader) if reader.has_deletions() else None
        for ids, weights, values in blocks:
            shifted = list(map(add, ids, repeat(offset))) if offset else ids
            pairs: Iterable[tuple[int, _Posting]] = zip(
                shifted, zip(weights, values, strict=True), strict=True
            )
            if among is not None:
                # Picked in C: most of a common word's postings are not candidates.
                pairs = compress(pairs, map(among.__contains__, shifted))
            if deleted:
                pairs = ((d, p) for d, p in pairs if d - offset not in deleted)
            found.update(pairs)
    return found


def _bm25(
    searcher: Any, fieldname: str, tbytes: bytes, frequencies: dict[int, float], docs: list[int]
) -> dict[int, float]:
    """The term's BM25F score in each of ``docs`` (``frequencies``: its term frequency
    there): Whoosh's ``bm25()``, the same operations in the same order, so the floats
    are Whoosh's."""
    idf, avgfl, b, k1 = bm25_statistics(searcher, fieldname, tbytes)
    k1_plus_1 = k1 + 1
    scores: dict[int, float] = {}
    wanted = iter(docs)  # in document order, as the segments are
    docnum = next(wanted, None)
    for subsearcher, offset in searcher.leaf_searchers():
        end = offset + subsearcher.reader().doc_count_all()
        norms = length_norms(subsearcher, fieldname, k1, b, avgfl)
        if norms is None:
            raise Unsupported
        while docnum is not None and docnum < end:
            tf = frequencies[docnum]
            scores[docnum] = idf * ((tf * k1_plus_1) / (tf + norms[docnum - offset]))
            docnum = next(wanted, None)
    return scores
