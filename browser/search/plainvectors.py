"""``vectors`` without numpy, for small libraries: the same functions over lists.

Below ``NUMPY_FROM_DOCUMENTS`` documents the lists a query scores are short, and numpy
costs more than it saves: its import (60-150 ms, paid by the CLI's first search) and a
fixed cost per array call that a few hundred postings never earn back
(``bench/results/tidy-2026-12-07f.md``). ``vectors_for(searcher)`` picks the module by
the size of the searcher's commit, so one commit always scores with one of them (the
lists ``kept`` holds are of one kind).

Each function does the same IEEE double operations in the same order as its twin in
``vectors`` (and as the dict code before both): scores are bitwise equal, and ties
order the same (the higher score first, then the lower document number)
(``tests/test_search_vectors.py`` runs both). Pure (no Whoosh, no numpy).
"""

from __future__ import annotations

import heapq
import sys
from array import array
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final, Protocol, cast

if TYPE_CHECKING:  # types only: numpy is not imported by this module
    from browser.search.vectors import ScoredDocs as NumpyDocs

# Documents in a commit from which scoring uses numpy (``vectors``); below, these lists.
NUMPY_FROM_DOCUMENTS: Final = 5_000


class Kernel(Protocol):
    """What scoring calls on ``vectors`` or this module, typed as ``vectors`` (this
    module's ``ScoredDocs`` answers the same attributes and methods)."""

    def scored_docs(self, scored: dict[int, float]) -> NumpyDocs: ...
    def constant(self, docnums: Iterable[int], score: float) -> NumpyDocs: ...
    def nothing(self) -> NumpyDocs: ...
    def concatenated(self, chunks: Sequence[NumpyDocs]) -> NumpyDocs: ...
    def bm25(
        self, ids: Any, weights: Any, norms: array[float], idf: float, k1_plus_1: float, offset: int
    ) -> NumpyDocs: ...
    def without(self, docs: NumpyDocs, excluded: Iterable[int]) -> NumpyDocs: ...
    def among(self, docs: NumpyDocs, allowed: Iterable[int]) -> NumpyDocs: ...
    def among_ids(self, docs: NumpyDocs, within: Any) -> NumpyDocs: ...
    def times(self, docs: NumpyDocs, factor: float) -> NumpyDocs: ...
    def plus(self, docs: NumpyDocs, amount: float) -> NumpyDocs: ...
    def summed(self, parts: Sequence[NumpyDocs]) -> NumpyDocs: ...
    def joined(self, joint: NumpyDocs, part: NumpyDocs) -> NumpyDocs: ...
    def best(self, docs: NumpyDocs, count: int) -> NumpyDocs: ...
    def top(self, docs: NumpyDocs, wanted: int) -> list[tuple[int, float]]: ...
    def as_docs(self, scored: Any) -> NumpyDocs: ...
    def docnum_array(self, docnums: Iterable[int]) -> Any: ...


def uses_numpy(searcher: Any) -> bool:
    """Whether ``searcher``'s commit is large enough to score with numpy."""
    return bool(searcher.doc_count_all() >= NUMPY_FROM_DOCUMENTS)


def vectors_for(searcher: Any) -> Kernel:
    """The scoring module for ``searcher``'s commit: this one for a small library (numpy
    never imported), ``vectors`` for a larger one."""
    if not uses_numpy(searcher):
        return cast(Kernel, sys.modules[__name__])
    from browser.search import vectors

    return cast(Kernel, vectors)


def vectors_of(scored: Any) -> Kernel:
    """The module that made ``scored`` (a dict of scores: this one)."""
    if type(scored).__module__ == "browser.search.vectors":
        from browser.search import vectors

        return cast(Kernel, vectors)
    return cast(Kernel, sys.modules[__name__])


@dataclass(frozen=True, slots=True)
class ScoredDocs:
    """Document numbers (ascending, each once) and their scores, side by side."""

    ids: list[int]
    scores: list[float]

    def __len__(self) -> int:
        return len(self.ids)

    def as_dict(self) -> dict[int, float]:
        return dict(zip(self.ids, self.scores, strict=True))

    def docnums(self) -> set[int]:
        return set(self.ids)


def _docs(pairs: Iterable[tuple[int, float]]) -> ScoredDocs:
    ids: list[int] = []
    scores: list[float] = []
    for docnum, score in pairs:
        ids.append(docnum)
        scores.append(score)
    return ScoredDocs(ids, scores)


def scored_docs(scored: dict[int, float]) -> ScoredDocs:
    """``scored`` in document order."""
    ids = sorted(scored)
    return ScoredDocs(ids, [scored[docnum] for docnum in ids])


def constant(docnums: Iterable[int], score: float) -> ScoredDocs:
    ids = sorted(docnums)
    return ScoredDocs(ids, [score] * len(ids))


def nothing() -> ScoredDocs:
    return ScoredDocs([], [])


def concatenated(chunks: Sequence[ScoredDocs]) -> ScoredDocs:
    """Chunks of one posting list read in document order, as one."""
    if len(chunks) == 1:
        return chunks[0]
    return ScoredDocs([d for c in chunks for d in c.ids], [s for c in chunks for s in c.scores])


def bm25(
    ids: Sequence[int],
    weights: Sequence[float],
    norms: array[float],
    idf: float,
    k1_plus_1: float,
    offset: int,
) -> ScoredDocs:
    """Whoosh's ``bm25()``, ``idf * ((tf * (k1 + 1)) / (tf + norm))``, for postings of one
    segment (``ids`` segment-local, ``weights`` their term frequencies)."""
    return ScoredDocs(
        [docnum + offset for docnum in ids],
        [
            idf * ((tf * k1_plus_1) / (tf + norms[docnum]))
            for docnum, tf in zip(ids, weights, strict=True)
        ],
    )


def without(docs: ScoredDocs, excluded: Iterable[int]) -> ScoredDocs:
    """``docs`` but those in ``excluded``."""
    out = set(excluded)
    if not out or not len(docs):
        return docs
    return _docs(p for p in zip(docs.ids, docs.scores, strict=True) if p[0] not in out)


def among(docs: ScoredDocs, allowed: Iterable[int]) -> ScoredDocs:
    """``docs`` only where in ``allowed``."""
    kept = allowed if isinstance(allowed, set | frozenset) else set(allowed)
    return _docs(p for p in zip(docs.ids, docs.scores, strict=True) if p[0] in kept)


def among_ids(docs: ScoredDocs, within: Sequence[int]) -> ScoredDocs:
    """``docs`` only where in ``within`` (ascending)."""
    return among(docs, set(within))


def times(docs: ScoredDocs, factor: float) -> ScoredDocs:
    return ScoredDocs(docs.ids, [score * factor for score in docs.scores])


def plus(docs: ScoredDocs, amount: float) -> ScoredDocs:
    return ScoredDocs(docs.ids, [score + amount for score in docs.scores])


def summed(parts: Sequence[ScoredDocs]) -> ScoredDocs:
    """Every document of ``parts`` with its scores added in the order of ``parts``: the
    first part's score, plus the second's, and so on (``0.0 + score`` is ``score``)."""
    parts = [p for p in parts if len(p)]
    if not parts:
        return nothing()
    if len(parts) == 1:
        return parts[0]
    total: dict[int, float] = {}
    for part in parts:
        for docnum, score in zip(part.ids, part.scores, strict=True):
            total[docnum] = total.get(docnum, 0.0) + score
    return scored_docs(total)


def joined(joint: ScoredDocs, part: ScoredDocs) -> ScoredDocs:
    """An AND of two scored lists: the documents in both, ``joint``'s score plus
    ``part``'s (in that order)."""
    if not len(joint) or not len(part):
        return nothing()
    other = part.as_dict()
    return _docs(
        (docnum, score + other[docnum])
        for docnum, score in zip(joint.ids, joint.scores, strict=True)
        if docnum in other
    )


def kth_largest(scores: Sequence[float], k: int) -> float:
    """The ``k``-th largest of ``scores`` (1 <= k <= len(scores))."""
    count = len(scores)
    if not 1 <= k <= count:
        raise ValueError(f"k={k} outside 1..{count}")
    return heapq.nlargest(k, scores)[-1]


def best(docs: ScoredDocs, count: int) -> ScoredDocs:
    """The documents of the ``count`` best scores (ties at the last one included), in
    document order."""
    if len(docs) <= count:
        return docs
    cut = kth_largest(docs.scores, count)
    return _docs(p for p in zip(docs.ids, docs.scores, strict=True) if p[1] >= cut)


def top(docs: ScoredDocs, wanted: int) -> list[tuple[int, float]]:
    """The ``wanted`` best, ties in Whoosh's order (the lower document number first)."""
    if wanted <= 0 or not len(docs):
        return []
    pool = best(docs, wanted)
    ranked = sorted(zip(pool.ids, pool.scores, strict=True), key=lambda p: (-p[1], p[0]))
    return ranked[:wanted]


def as_docs(scored: ScoredDocs | dict[int, float]) -> ScoredDocs:
    """``scored`` as ``ScoredDocs`` (a dict of scores is converted)."""
    return scored if isinstance(scored, ScoredDocs) else scored_docs(scored)


def docnum_array(docnums: Iterable[int]) -> list[int]:
    """``docnums`` ascending."""
    return sorted(docnums)
