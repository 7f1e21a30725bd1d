"""A term's positional postings for phrases: document numbers as an array, each
block's values kept as read until needed, and the positions of many postings decoded at
once.

Part of ``whoosh_internals`` (imported only by the phrase matcher, with numpy, when it
first runs): the block attributes read here are checked by the package's probe, and the
layout of Whoosh's ``Positions`` values by ``probe`` (``positions_layout_holds``).

Whoosh's ``Positions`` format stores a posting's positions as a 4-byte count (``!I``)
and the pickle (protocol 2) of the list of their deltas: ``PROTO 2``, ``EMPTY_LIST``,
``BINPUT 0``, then one int and ``APPEND``, or ``MARK``, the ints and ``APPENDS``, then
``STOP``; each int is ``BININT1`` (``K``, 1 byte), ``BININT2`` (``M``, 2) or ``BININT``
(``J``, 4, signed), all little-endian. One ``pickle.loads`` per posting was most of a
common-word phrase's time (17k documents hold both words of "preference learning" at
100k papers, 1,344 the phrase). Here every posting's bytes stay where the block holds
them, and the ints of all postings are read a step at a time across all of them (as
many numpy passes as the longest list has ints), and a block is inflated only when one
of the postings asked for is in it. A value in any other shape (over a
thousand ints, which pickle splits, or an int beyond 32 bits) raises ``LayoutMismatch``
and the caller decodes one at a time, Whoosh's way.
"""

from __future__ import annotations

import struct
import zlib
from array import array
from bisect import bisect_right
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Final, NamedTuple

import numpy as np
from numpy.typing import NDArray

from browser.search.whoosh_internals import _leaf, posting_parts
from browser.search.whoosh_internals.blockarrays import PostingArrays
from browser.search.whoosh_internals.postings import JoinedValuesMatcher, extent_blocks

Ints = NDArray[np.int64]

# The bytes after a value's count and before its first int (PROTO 2, EMPTY_LIST, BINPUT 0).
_LIST_START: Final = b"\x80\x02]q\x00"
_HEAD: Final = 4 + len(_LIST_START)
_MARK, _APPEND, _APPENDS, _STOP = b"(", b"a", b"e", b"."
_BININT1, _BININT2, _BININT = b"K", b"M", b"J"
# pickle writes a longer list's APPENDS in batches of this many.
_BATCH: Final = 1000
# Positions are paired with their candidate in one int64 key (``adjacent_rows``).
_BEYOND: Final = 1 << 32


class LayoutMismatch(ValueError):
    """A posting value not in the layout ``decode_positions`` reads."""


@dataclass(frozen=True)
class PositionalPostings:
    """A term's live postings in document order: ``ids`` (global document numbers),
    their weights (term frequencies, as Whoosh's ``_read_weights`` gives them), and for
    each its block (``block``, an index into ``tails`` and ``counts``) and its place in
    that block. A block's values stay as read (``tails``: the bytes and whether they
    are compressed) until ``positions`` needs one of them."""

    ids: Ints
    block: Ints
    place: Ints
    tails: list[tuple[bytes, bool]]
    weights: NDArray[np.float64]
    counts: list[int]

    def weights_at(self, rows: Ints) -> list[float]:
        """The weights (term frequencies) of the postings at ``rows``."""
        found: list[float] = self.weights[rows].tolist()
        return found

    def positions(self, rows: Ints) -> tuple[Ints, Ints]:
        """``decode_positions`` of the postings at ``rows`` (ascending): only their
        blocks' values are inflated."""
        if not len(rows):
            return decode_positions(np.empty(0, np.uint8), rows, rows)
        blocks = self.block[rows]
        needed = np.unique(blocks)
        tails = []
        for block in needed.tolist():
            tail, compressed = self.tails[block]
            tails.append(zlib.decompress(tail) if compressed else tail)
        count = np.array(self.counts, np.int64)[needed]
        lengths = np.concatenate(
            [np.frombuffer(tail, "<u4", n) for tail, n in zip(tails, count.tolist(), strict=True)]
        ).astype(np.int64)
        sizes = np.fromiter(map(len, tails), np.int64, len(tails))
        before = np.cumsum(lengths) - lengths  # the values before each, in earlier blocks too
        first = np.cumsum(count) - count
        # A block's values start after its tail's start and its lengths.
        shift = np.cumsum(sizes) - sizes + 4 * count - before[first]
        at = first[np.searchsorted(needed, blocks)] + self.place[rows]
        starts = before[at] + np.repeat(shift, count)[at]
        data = np.frombuffer(b"".join(tails), np.uint8)
        return decode_positions(data, starts, starts + lengths[at])


def _block_values(leaf: Any) -> tuple[bytes, bool]:
    """The current block's values in ``JoinedValuesWriter``'s layout (``count``
    lengths, ``<I``, then the values joined) and whether they are compressed. A block
    Whoosh wrote is put in the same layout from its values."""
    fixed = leaf._fixedsize
    if isinstance(leaf, JoinedValuesMatcher) and not leaf._byteids and (fixed is None or fixed < 0):
        if leaf._data is None:
            leaf._read_data()
        return bytes(leaf._data[2]), bool(leaf._compression)
    if leaf._values is None:
        leaf._read_values()
    values = leaf._values
    return struct.pack(f"<{len(values)}I", *map(len, values)) + b"".join(values), False


def _block_weights(leaf: Any) -> Any:
    """The current block's weights as Whoosh's ``_read_weights`` gives them, without
    its per-posting generator (``_weights``)."""
    if leaf._data is None:
        leaf._read_data()
    return _weights(leaf._data[1])


def _weights(stored: Any) -> Any:
    """A block's weights as stored (none for all 1.0, one for all alike, or one each)
    as Whoosh's ``_read_weights`` gives them: a sequence, or the one weight of every
    posting."""
    if stored is None:
        return 1.0
    if isinstance(stored, float):
        return array("f", (stored,))[0]  # kept in single precision, as Whoosh does
    return stored


def positional_postings(
    matcher: Any,
    offset: int,
    deleted: frozenset[int] | set[int] | None,
    among: Sequence[int] | None,
    check: Callable[[], None] | None,
) -> PositionalPostings:
    """One segment's postings of a term (``posting_parts``: only the blocks that may
    hold ``among`` when given), their values left in their blocks' bytes."""
    leaf = _leaf(matcher)
    if leaf is None:
        raise LayoutMismatch("not a block matcher")
    blocks = _Blocks(PostingArrays(), [], [], [])
    fixed = leaf._fixedsize
    if isinstance(leaf, JoinedValuesMatcher) and not leaf._byteids and (fixed is None or fixed < 0):
        _read_extent(leaf, among, check, blocks)
    else:
        for block_ids, _, _ in posting_parts(matcher, None, check, among):
            blocks.add_decoded(
                block_ids, _block_weights(leaf), _block_values(leaf), leaf._blocklength
            )
    postings, tails, counts, sizes = blocks
    local, weights = postings.arrays()
    read = np.array(sizes, np.int64)
    block = np.repeat(np.arange(len(sizes), dtype=np.int64), read)
    # posting_parts gives a block from the matcher's place in it.
    skipped = np.array(counts, np.int64) - read
    place = np.arange(len(local), dtype=np.int64) - np.repeat(np.cumsum(read) - read, read)
    place += np.repeat(skipped, read)
    if deleted:
        live = ~np.isin(local, np.fromiter(deleted, np.int64, len(deleted)))
        local, block, place, weights = local[live], block[live], place[live], weights[live]
    return PositionalPostings(local + offset, block, place, tails, weights, counts)


class _Blocks(NamedTuple):
    """The blocks read so far: their ids and weights (from the matcher's place in the
    first), values as stored with whether compressed, postings in each block, and how
    many of them were read."""

    postings: PostingArrays
    tails: list[tuple[bytes, bool]]
    counts: list[int]
    sizes: list[int]

    def add_decoded(
        self, ids: Sequence[int], weights: Any, tail: tuple[bytes, bool], count: int
    ) -> None:
        """A block read through the matcher: ``weights`` as ``_weights`` gives them (one
        for every posting, or one each for the whole block)."""
        skipped = count - len(ids)
        each = [weights] * len(ids) if type(weights) is float else weights[skipped:]
        self.postings.add_decoded(ids, each)
        self.tails.append(tail)
        self.counts.append(count)
        self.sizes.append(len(ids))

    def add_block(self, head: bytes, tail: tuple[bytes, bool], count: int) -> None:
        """A whole block from the term's extent: its ids and weights read from the
        bytes of its pickle where laid out as expected (``PostingArrays.add_block``)."""
        self.postings.add_block(head, count)
        self.tails.append(tail)
        self.counts.append(count)
        self.sizes.append(count)


def _read_extent(
    leaf: Any, among: Sequence[int] | None, check: Callable[[], None] | None, blocks: _Blocks
) -> None:
    """``posting_parts`` for a term in the split layout: the matcher's block its own
    way, the rest from one read of the term's extent (``extent_blocks``); a block that
    cannot hold one of ``among`` is passed over by its last id, not inflated."""
    if not leaf.is_active() or (among is not None and not among):
        return
    if check is not None:
        check()
    wanted = 0  # the first of ``among`` not passed yet
    if among is None or among[0] <= leaf._maxid:
        if leaf._ids is None:
            leaf._read_ids()
        ids = leaf._ids[leaf._i :]
        blocks.add_decoded(ids, _block_weights(leaf), _block_values(leaf), leaf._blocklength)
    if among is not None:
        wanted = bisect_right(among, leaf._maxid)
    if leaf._lastblock:
        return
    for block in extent_blocks(leaf):
        if check is not None:
            check()
        if among is not None:
            if wanted >= len(among):
                return
            if among[wanted] > block.last:
                continue
            wanted = bisect_right(among, block.last, wanted)
        blocks.add_block(block.head, (block.values, bool(block.compression)), block.postings)


def joined(parts: list[PositionalPostings]) -> PositionalPostings:
    """The segments' arrays as one, in document order."""
    if len(parts) == 1:
        return parts[0]
    shift = np.cumsum([0] + [len(p.counts) for p in parts[:-1]])
    return PositionalPostings(
        np.concatenate([p.ids for p in parts]),
        np.concatenate([p.block + s for p, s in zip(parts, shift, strict=True)]),
        np.concatenate([p.place for p in parts]),
        [tail for p in parts for tail in p.tails],
        np.concatenate([p.weights for p in parts]),
        [count for p in parts for count in p.counts],
    )


def no_postings() -> PositionalPostings:
    empty = np.empty(0, np.int64)
    return PositionalPostings(empty, empty, empty, [], np.empty(0, np.float64), [])


def _uint32(data: NDArray[np.uint8], at: Ints, order: str) -> Ints:
    """The 4-byte unsigned ints at ``at``, read byte by byte (they are not aligned)."""
    parts = [data[at + i].astype(np.int64) for i in range(4)]
    if order == "big":
        parts.reverse()
    return parts[0] | (parts[1] << 8) | (parts[2] << 16) | (parts[3] << 24)


def decode_positions(data: NDArray[np.uint8], starts: Ints, ends: Ints) -> tuple[Ints, Ints]:
    """The positions of the ``Positions`` values at ``data[starts[i]:ends[i]]``: how
    many each has, and all of them one value after the other, as Whoosh's
    ``decode_positions`` gives each. ``LayoutMismatch`` for a value in another shape."""
    if not len(starts):
        return np.empty(0, np.int64), np.empty(0, np.int64)
    if (
        int(starts.min()) < 0
        or int(ends.max()) > len(data)
        or bool((ends - starts < _HEAD + 3).any())
    ):
        raise LayoutMismatch("value too short")
    counts = _uint32(data, starts, "big")
    for i, byte in enumerate(_LIST_START):
        if bool((data[starts + 4 + i] != byte).any()):
            raise LayoutMismatch("not a protocol 2 list")
    if bool((counts < 1).any()) or bool((counts > _BATCH).any()):
        raise LayoutMismatch("empty, or in batches")
    several = counts > 1
    if bool((data[starts[several] + _HEAD] != _MARK[0]).any()):
        raise LayoutMismatch("no mark")
    deltas, at = _ints(data, starts + _HEAD + several, ends, counts)
    if bool((data[at] != np.where(several, _APPENDS[0], _APPEND[0])).any()):
        raise LayoutMismatch("more ints than counted")
    # Then the value ends, with or without STOP (the posting writer may drop it).
    after = at + 1
    stop = after < ends
    if bool((after[stop] + 1 != ends[stop]).any()) or bool((data[after[stop]] != _STOP[0]).any()):
        raise LayoutMismatch("bytes after the list")
    if bool((deltas < 0).any()):
        raise LayoutMismatch("positions out of order")
    summed = np.cumsum(deltas)
    first = np.cumsum(counts) - counts
    positions = summed - np.repeat(summed[first] - deltas[first], counts)
    if bool((positions >= _BEYOND).any()):
        raise LayoutMismatch("a position beyond 32 bits")
    return counts, positions


def _ints(data: NDArray[np.uint8], at: Ints, ends: Ints, counts: Ints) -> tuple[Ints, Ints]:
    """The ``counts[i]`` pickled ints from ``at[i]`` on, for every value at once: the
    k-th int of every value that has one is read in the k-th pass. Also where each
    value's ints end. Every int and the byte after it must lie before ``ends[i]``."""
    at = at.copy()
    out = np.empty(int(counts.sum()), np.int64)
    place = np.cumsum(counts) - counts
    rows = np.arange(len(at))
    step = 0
    while rows.size:
        here = at[rows]
        room = ends[rows] - here  # bytes left in each value from this int on
        if bool((room < 3).any()):
            raise LayoutMismatch("cut short")
        code = data[here]
        value = data[here + 1].astype(np.int64)
        size = np.full(rows.size, 2, np.int64)
        two = code == _BININT2[0]
        four = code == _BININT[0]
        if bool((room[two] < 4).any()) or bool((room[four] < 6).any()):
            raise LayoutMismatch("cut short")
        if two.any():
            value[two] |= data[here[two] + 2].astype(np.int64) << 8
            size[two] = 3
        if four.any():
            value[four] = _uint32(data, here[four] + 1, "little").astype(np.int32)
            size[four] = 5
        if not bool(((code == _BININT1[0]) | two | four).all()):
            raise LayoutMismatch("not a 32-bit int")
        out[place[rows] + step] = value
        at[rows] = here + size
        step += 1
        rows = rows[counts[rows] > step]
    return out, at


def adjacent_rows(words: list[tuple[PositionalPostings, Ints]], check: Callable[[], None]) -> Ints:
    """The candidates (indexes into each word's ``rows``, one row per candidate, in
    the same order for every word) where the words' positions follow each other: a
    start ``p`` of the first word with the ``k``-th word at ``p + k``."""
    starts: Ints | None = None
    for shift, (postings, rows) in enumerate(words):
        check()
        counts, positions = postings.positions(rows)
        candidate = np.repeat(np.arange(len(rows), dtype=np.int64), counts)
        usable = positions >= shift
        # (candidate, start) as one sortable key: positions are below 2**32.
        keys = (candidate[usable] << 32) | (positions[usable] - shift)
        if starts is None:
            starts = keys
        elif keys.size:
            found = np.minimum(np.searchsorted(keys, starts), keys.size - 1)
            starts = starts[keys[found] == starts]
        else:
            starts = keys
        if not starts.size:
            break
    assert starts is not None
    return np.unique(starts >> 32)


__all__ = [
    "LayoutMismatch",
    "PositionalPostings",
    "adjacent_rows",
    "decode_positions",
    "joined",
    "no_postings",
    "positional_postings",
]
