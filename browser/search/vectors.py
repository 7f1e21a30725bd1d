"""Scored documents as numpy arrays: BM25 over a whole posting list, sums and
intersections of scored lists, the top hits. Pure (no Whoosh).

numpy is imported here only: ``scoring``, ``exactness`` and ``answering`` import this
module inside their functions, so starting the app (which paints before any search)
never loads numpy (about 60 ms on a quiet machine, three times that under load).

Every operation does the same IEEE double operations in the same order as the dict
code it replaced (``tests/test_search_vectors.py``): the scores are bitwise equal, so
ties order exactly as before (the higher score first, then the lower document number).
"""

from __future__ import annotations

from array import array
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

Docnums = NDArray[np.int64]
Scores = NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class ScoredDocs:
    """Document numbers (ascending, each once) and their scores, side by side."""

    ids: Docnums
    scores: Scores

    def __len__(self) -> int:
        return len(self.ids)

    def as_dict(self) -> dict[int, float]:
        return dict(zip(self.ids.tolist(), self.scores.tolist(), strict=True))

    def docnums(self) -> set[int]:
        return set(self.ids.tolist())


def scored_docs(scored: dict[int, float]) -> ScoredDocs:
    """``scored`` as arrays, in document order."""
    ids = np.fromiter(scored.keys(), dtype=np.int64, count=len(scored))
    scores = np.fromiter(scored.values(), dtype=np.float64, count=len(scored))
    if len(ids) > 1 and not bool(np.all(ids[1:] > ids[:-1])):
        order = np.argsort(ids, kind="stable")
        ids, scores = ids[order], scores[order]
    return ScoredDocs(ids, scores)


def constant(docnums: Iterable[int], score: float) -> ScoredDocs:
    ids = np.array(sorted(docnums), dtype=np.int64)
    return ScoredDocs(ids, np.full(len(ids), score, dtype=np.float64))


def nothing() -> ScoredDocs:
    return ScoredDocs(np.empty(0, dtype=np.int64), np.empty(0, dtype=np.float64))


def concatenated(chunks: Sequence[ScoredDocs]) -> ScoredDocs:
    """Chunks of one posting list read in document order, as one."""
    if len(chunks) == 1:
        return chunks[0]
    if not chunks:
        return nothing()
    return ScoredDocs(
        np.concatenate([c.ids for c in chunks]), np.concatenate([c.scores for c in chunks])
    )


def bm25(
    ids: NDArray[Any],
    weights: NDArray[Any],
    norms: array[float],
    idf: float,
    k1_plus_1: float,
    offset: int,
) -> ScoredDocs:
    """Whoosh's ``bm25()``, ``idf * ((tf * (k1 + 1)) / (tf + norm))``, for postings of one
    segment (``ids`` segment-local, ``weights`` their term frequencies, ``norms`` the
    segment's length part per document, viewed, not copied): the same double
    operations, a whole array at a time."""
    norm = np.frombuffer(norms, dtype=np.float64)[ids]
    scores = idf * ((weights * k1_plus_1) / (weights + norm))
    return ScoredDocs(ids + offset, scores)


def without(docs: ScoredDocs, excluded: Iterable[int]) -> ScoredDocs:
    """``docs`` but those in ``excluded``."""
    out = np.fromiter(excluded, dtype=np.int64)
    if not len(out) or not len(docs):
        return docs
    keep = ~np.isin(docs.ids, out)
    return ScoredDocs(docs.ids[keep], docs.scores[keep])


def among(docs: ScoredDocs, allowed: Iterable[int]) -> ScoredDocs:
    """``docs`` only where in ``allowed``."""
    keep = np.isin(docs.ids, np.fromiter(allowed, dtype=np.int64))
    return ScoredDocs(docs.ids[keep], docs.scores[keep])


def among_ids(docs: ScoredDocs, within: Docnums) -> ScoredDocs:
    """``docs`` only where in ``within`` (ascending)."""
    if len(within) < len(docs):
        # An AND's few candidates in a long list: look each candidate up in the list
        # (both ascending, a document once), not each of the list's postings among them.
        at = np.searchsorted(docs.ids, within)
        np.minimum(at, len(docs) - 1, out=at)
        at = at[docs.ids[at] == within]
        return ScoredDocs(docs.ids[at], docs.scores[at])
    keep = _members(docs.ids, within)
    return ScoredDocs(docs.ids[keep], docs.scores[keep])


def _members(ids: Docnums, sorted_set: Docnums) -> NDArray[np.bool_]:
    """Which of ``ids`` are in ``sorted_set`` (ascending): a binary search each, in C."""
    if not len(sorted_set):
        return np.zeros(len(ids), dtype=np.bool_)
    at = np.searchsorted(sorted_set, ids)
    np.minimum(at, len(sorted_set) - 1, out=at)
    found: NDArray[np.bool_] = sorted_set[at] == ids
    return found


def times(docs: ScoredDocs, factor: float) -> ScoredDocs:
    return ScoredDocs(docs.ids, docs.scores * factor)


def plus(docs: ScoredDocs, amount: float) -> ScoredDocs:
    return ScoredDocs(docs.ids, docs.scores + amount)


def summed(parts: Sequence[ScoredDocs]) -> ScoredDocs:
    """Every document of ``parts`` with its scores added in the order of ``parts``: the
    first part's score, plus the second's, and so on (``total.get(d, 0.0) + score``
    over dicts, where ``0.0 + score`` is ``score``). A document appears once in a part,
    so a fancy-indexed ``+=`` adds each score once, exactly."""
    parts = [p for p in parts if len(p)]
    if not parts:
        return nothing()
    if len(parts) == 1:
        return parts[0]
    size = max(int(p.ids[-1]) for p in parts) + 1
    total = np.zeros(size, dtype=np.float64)
    present = np.zeros(size, dtype=np.bool_)
    for part in parts:
        total[part.ids] += part.scores
        present[part.ids] = True
    ids = np.flatnonzero(present).astype(np.int64)
    return ScoredDocs(ids, total[ids])


def joined(joint: ScoredDocs, part: ScoredDocs) -> ScoredDocs:
    """An AND of two scored lists: the documents in both, ``joint``'s score plus
    ``part``'s (in that order, as ``s + part[d]``)."""
    if not len(joint) or not len(part):
        return nothing()
    at = np.searchsorted(part.ids, joint.ids)
    np.minimum(at, len(part.ids) - 1, out=at)
    both = part.ids[at] == joint.ids
    return ScoredDocs(joint.ids[both], joint.scores[both] + part.scores[at[both]])


def kth_largest(scores: Scores, k: int) -> float:
    """The ``k``-th largest of ``scores`` (1 <= k <= len(scores)): a partition, in C."""
    count = len(scores)
    if not 1 <= k <= count:
        raise ValueError(f"k={k} outside 1..{count}")
    return float(np.partition(scores, count - k)[count - k])


def best(docs: ScoredDocs, count: int) -> ScoredDocs:
    """The documents of the ``count`` best scores (ties at the last one included), in
    document order."""
    if len(docs) <= count:
        return docs
    keep = docs.scores >= kth_largest(docs.scores, count)
    return ScoredDocs(docs.ids[keep], docs.scores[keep])


def top(docs: ScoredDocs, wanted: int) -> list[tuple[int, float]]:
    """The ``wanted`` best, ties in Whoosh's order (the lower document number first), as
    ``scoring.top`` orders a dict: only what reaches the cut-off score is sorted."""
    if wanted <= 0 or not len(docs):
        return []
    pool = best(docs, wanted)
    # ``lexsort``: the last key first; stable, so equal scores keep document order.
    order = np.lexsort((pool.ids, -pool.scores))[:wanted]
    return list(zip(pool.ids[order].tolist(), pool.scores[order].tolist(), strict=True))


def as_docs(scored: ScoredDocs | dict[int, float] | Any) -> ScoredDocs:
    """``scored`` as ``ScoredDocs`` (a dict of scores is converted)."""
    return scored if isinstance(scored, ScoredDocs) else scored_docs(scored)


def docnum_array(docnums: Iterable[int]) -> Docnums:
    """``docnums`` as an ascending array."""
    return np.array(sorted(docnums), dtype=np.int64)
