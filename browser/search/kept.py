"""What one commit keeps for the next keystrokes: whole scored posting lists
(``ScoredLists``, a list stopped part way too) and document frequencies.

A typing session asks for the same words and completions at every keystroke; without
mmap each term look-up reads the terms file, and decoding a long list is most of the
cost of scoring it. Kept per searcher (one commit's), dropped with it.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import TYPE_CHECKING, Any, Final
from weakref import WeakKeyDictionary

if TYPE_CHECKING:  # numpy is imported with the first scoring (``vectors``), not here
    from browser.search.vectors import ScoredDocs

# The cost model of an AND reading a long list only where its candidates are
# (``scoring``'s ``posting_parts``), shared by scoring and by how many completions a
# letter being typed keeps (``typed_word``). A list is read whole unless it has over
# SKIP_RATIO postings per candidate and, for scoring, skipping is the cheaper
# (``skips_cheaper``). Skipping still reads every block's header, about HEADERS_SHARE
# of reading the list whole, and decodes the ids and weights of each block a candidate
# lands in: about SKIP_COST postings read whole per candidate.
SKIP_RATIO: Final = 8
HEADERS_SHARE: Final = 0.15
SKIP_COST: Final = 40
# Document frequencies kept per searcher (``frequency``) before the table starts over.
FREQUENCIES_KEPT: Final = 100_000
# Scored posting lists kept per commit for the next keystrokes (``ScoredLists``), in
# postings: 16 bytes each (an int64 document number and a float64 score).
CACHED_POSTINGS: Final = 1_500_000


def skips_to_candidates(candidates: int, count: int) -> bool:
    """Whether a list of ``count`` postings is read only in the blocks that may hold
    ``candidates`` papers (over ``SKIP_RATIO`` postings per candidate) rather than whole:
    the one rule of every AND that reads a long list where the rest matched (scoring,
    phrases' positions) and of ``skip_cost``'s estimate of it."""
    return candidates * SKIP_RATIO < count


def skips_cheaper(candidates: int, count: int) -> bool:
    """Whether an AND scores a list of ``count`` postings only at its ``candidates``
    (``scoring``'s skip to each) rather than reading it whole: only when ``skip_cost``
    says the skip reads less. A skip decodes each block a candidate lands in a posting
    at a time, while a whole read takes the blocks' bytes as arrays and keeps the list
    scored for the next keystrokes; with 1,000 candidates in a 30k list nearly every
    block holds one, and skipping cost twice the whole read (``proofs im``,
    ``lipschitzness data``: 47-52 -> 22-24 ms at 100k papers)."""
    return skip_cost(count, count, candidates) < count


# A scoring on the numpy path reads a list whole from its blocks' bytes
# (``PostingArrays``, about 30 µs a block of 512), while a skip still decodes each
# block a candidate lands in through pickle (about 200 µs): there skipping pays only
# below one candidate per ARRAY_SKIP_RATIO postings ("model", 94k postings at 100k
# papers: skipping 5 ms for 10 candidates, 17 for 100, 36 for 1,000; whole 13-15 ms;
# ``bench/results/fields-2026-12-07g.md``).
ARRAY_SKIP_RATIO: Final = 1024


def skips_as_arrays(candidates: int, count: int) -> bool:
    """Whether a term scored on the numpy path skips to its ``candidates`` (besides
    ``skips_cheaper``): under one per ``ARRAY_SKIP_RATIO`` postings. The estimates
    (``skip_cost``) keep the general model: they only rank an AND's parts."""
    return candidates * ARRAY_SKIP_RATIO < count


def skip_cost(whole: float, count: int, candidates: int) -> float:
    """Postings read of a list of ``count`` postings (``whole``: the cost of reading it
    all) among ``candidates`` papers: whole, or skipping to the candidates if cheaper."""
    if not skips_to_candidates(candidates, count):
        return whole
    return min(whole, HEADERS_SHARE * whole + candidates * SKIP_COST)


def frequency(source: Any, fieldname: str, text: Any) -> int:
    """How many documents hold a term, as ``source.doc_frequency`` (a searcher or a
    segment's reader) says, kept per source: without mmap each look-up reads the terms
    file a few times, and a keystroke asks for the same terms again and again (costs,
    orders of parts, skip or read whole): a third of the typing pass at 100k papers."""
    counts = _FREQUENCIES.get(source)
    if counts is None:
        counts = _FREQUENCIES[source] = {}
    key = (fieldname, text)
    count = counts.get(key)
    if count is None:
        if len(counts) > FREQUENCIES_KEPT:
            counts.clear()
        count = counts[key] = int(source.doc_frequency(fieldname, text))
    return count


def kept_share(searcher: Any, fieldname: str, text: Any, count: float) -> float:
    """How many of a term's ``count`` postings are kept scored (``ScoredLists``)."""
    lists = _SCORED_LISTS.get(searcher)
    if lists is None or fieldname not in searcher.schema:
        return 0.0
    try:
        key = (fieldname, searcher.schema[fieldname].to_bytes(text))
    except ValueError:
        return 0.0
    if key in lists:
        return count
    progress = lists.progress.get(key)
    return 0.0 if progress is None else float(len(progress[0]))


class ScoredLists:
    """Whole scored posting lists of one searcher, the most recently used kept up to
    ``CACHED_POSTINGS`` postings (16 bytes each)."""

    def __init__(self) -> None:
        self._lists: OrderedDict[tuple[str, bytes], ScoredDocs] = OrderedDict()
        self._postings = 0
        # Lists stopped part way: what was scored, and the document to go on from.
        self.progress: dict[tuple[str, bytes], tuple[ScoredDocs, int]] = {}

    def get(self, key: tuple[str, bytes]) -> ScoredDocs | None:
        found = self._lists.get(key)
        if found is not None:
            self._lists.move_to_end(key)
        return found

    def __contains__(self, key: tuple[str, bytes]) -> bool:
        return key in self._lists

    def put(self, key: tuple[str, bytes], scored: ScoredDocs) -> None:
        if len(scored) > CACHED_POSTINGS // 4:
            return
        self._lists[key] = scored
        self._postings += len(scored)
        while self._postings > CACHED_POSTINGS:
            _key, dropped = self._lists.popitem(last=False)
            self._postings -= len(dropped)

    def clear(self) -> None:
        self._lists.clear()
        self.progress.clear()
        self._postings = 0


_SCORED_LISTS: WeakKeyDictionary[Any, ScoredLists] = WeakKeyDictionary()
_FREQUENCIES: WeakKeyDictionary[Any, dict[tuple[str, Any], int]] = WeakKeyDictionary()


def scored_lists(searcher: Any) -> ScoredLists:
    """The scored lists kept for ``searcher`` (one commit's), made on first use."""
    lists = _SCORED_LISTS.get(searcher)
    if lists is None:
        lists = _SCORED_LISTS[searcher] = ScoredLists()
    return lists
