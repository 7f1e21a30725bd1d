"""A term's postings (ids and weights) as numpy arrays, straight from its blocks' bytes.

Part of ``whoosh_internals``: it reads the split layout ``JoinedValuesWriter`` writes
(``postings.block_record``) past Whoosh's matcher, with Whoosh's matcher as the way for
anything else (``PostingArrays.read`` falls back to ``posting_parts``, which falls back
to the public API). numpy is imported by the first read, not with this module.

Through the matcher a block cost two reads of the postings file (each a seek and a read
inside a compound segment file), three unpicklings, Whoosh's generator for equal weights
and a Python object per posting turned back into C numbers: about 36 µs a block, most
of scoring a common word. Here the rest of a term's blocks after the matcher's current
one are read in one read (the term's extent) and taken apart in memory; a block's first
part, the pickled ``(id deltas, weights)``, is read as the bytes its pickle is
(``frombuffer``) when each delta fits a byte (``K`` opcodes, as in a common word's
list) and each weight is a pickled double (``G``) or a whole number pickled as an int
of one byte (``K``, as the writer stores whole weights), else unpickled. The first part
is stored as pickled (never compressed), so nothing is inflated. The arrays equal what
Whoosh's matcher gives (``tests/test_search_vectors.py``, ``tests/test_postings_layout.py``).
"""

from __future__ import annotations

import struct
from array import array
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Final

from browser.search.whoosh_internals.postings import (
    JoinedValuesMatcher,
    extent_blocks,
    head_parts,
)

if TYPE_CHECKING:
    from numpy.typing import NDArray

# A block's first part as ``pickle.dumps((deltas, weights), 5)`` writes it for four ids
# or more: protocol, frame (8 bytes of length), MARK, the first id (its opcode and 1, 2
# or 4 bytes), ``K`` and a byte per delta that fits one, TUPLE and MEMOIZE, then the
# weights: None, one double, or MARK and ``G`` + 8 bytes each, TUPLE and MEMOIZE.
_PROTOCOL_AND_FRAME: Final = b"\x80\x05\x95"
_IDS_AT: Final = 12  # after the frame's length and the MARK
_TUPLE_END: Final = b"t\x94"
_PAIR_END: Final = b"\x86\x94."
_NO_WEIGHTS: Final = b"N" + _PAIR_END
# Pickle's opcodes for an int of 1, 2 and 4 bytes (little-endian; ``J`` is signed, and
# document numbers are never negative).
_ID_WIDTHS: Final = {b"K": 1, b"M": 2, b"J": 4}
_DOUBLE: Final = struct.Struct(">d")


class PostingArrays:
    """The ids and weights of a term's postings in one segment, gathered a block at a
    time (``read``, which a ``check`` may stop part way) and given as arrays
    (``arrays``: what was read so far, in document order)."""

    def __init__(self) -> None:
        # Runs in document order: decoded blocks as (ids, weights) sequences, or
        # ``_Bytes`` of blocks kept as their pickle's bytes.
        self._runs: list[tuple[Sequence[int], Sequence[float]] | _Bytes] = []
        self.last: int | None = None  # the last id read (segment-local)
        self.blocks_as_bytes = 0  # blocks read as their pickle's bytes (tests count them)

    def read(self, matcher: Any, check: Callable[[], None] | None = None) -> None:
        """Gather the postings from ``matcher``'s place on (deleted ones included),
        ``check`` (which may raise to stop) before each block. Spends the matcher."""
        from browser.search.whoosh_internals import _leaf, posting_parts

        leaf = _leaf(matcher)
        fixed = getattr(leaf, "_fixedsize", None)
        if (
            not isinstance(leaf, JoinedValuesMatcher)
            or leaf._byteids
            or (fixed is not None and fixed >= 0)
        ):
            for ids, weights, _ in posting_parts(matcher, "weights", check):
                self.add_decoded(ids, weights)
            return
        if not leaf.is_active():
            return
        # The block the matcher is in (a skip may have left it part way), its own way.
        if check is not None:
            check()
        if leaf._ids is None:
            leaf._read_ids()
        if leaf._weights is None:
            leaf._read_weights()
        self.add_decoded(leaf._ids[leaf._i :], leaf._weights[leaf._i :])
        if not leaf._lastblock:
            self._read_rest(leaf, check)

    def _read_rest(self, leaf: JoinedValuesMatcher, check: Callable[[], None] | None) -> None:
        for block in extent_blocks(leaf):
            if check is not None:
                check()
            self.add_block(block.head, block.postings)
            self.last = block.last

    def add_block(self, head: bytes, count: int) -> None:
        """One block's pickled ``(id deltas, weights)``: kept as bytes when laid out as
        ``_Bytes`` reads them, else unpickled. The first delta is the block's first id
        (any size: ``K``, ``M`` or ``J``); the others must fit a byte each, and so must
        the weights when pickled as ints (``postings.head_parts``)."""
        width = _ID_WIDTHS.get(head[_IDS_AT : _IDS_AT + 1], 0)
        start = _IDS_AT + 1 + width
        ids_end = start + 2 * (count - 1)
        deltas = head[start:ids_end]
        if (
            width
            and count >= 4
            and head.startswith(_PROTOCOL_AND_FRAME)
            and head[ids_end : ids_end + len(_TUPLE_END)] == _TUPLE_END
            and deltas[::2].count(b"K") == count - 1
        ):
            weights = _weights_as_bytes(head[ids_end + len(_TUPLE_END) :], count)
            if weights is not None:
                run = self._runs[-1] if self._runs else None
                if not isinstance(run, _Bytes) or run.width != len(weights) // count:
                    run = _Bytes(len(weights) // count)
                    self._runs.append(run)
                first = int.from_bytes(head[_IDS_AT + 1 : start], "little")
                run.add(first, deltas, weights, count)
                self.blocks_as_bytes += 1
                return
        unpickled, weighed = head_parts(head)
        ids = array("q")
        total = 0
        for delta in unpickled:
            total += delta
            ids.append(total)
        if weighed is None:
            weighed = (1.0,) * count
        elif isinstance(weighed, float):
            weighed = (array("f", (weighed,))[0],) * count
        self.add_decoded(ids, weighed)

    def add_decoded(self, ids: Sequence[int], weights: Sequence[float]) -> None:
        """A block (or the rest of one) already decoded: its ids and weights."""
        if ids:
            self._runs.append((ids, weights))
            self.last = ids[-1]

    def arrays(self) -> tuple[NDArray[Any], NDArray[Any]]:
        """(ids as int64, weights as float64) of what was read so far."""
        import numpy as np

        ids: list[NDArray[Any]] = [np.empty(0, dtype=np.int64)]
        weights: list[NDArray[Any]] = [np.empty(0, dtype=np.float64)]
        for run in self._runs:
            if isinstance(run, _Bytes):
                run_ids, run_weights = run.arrays()
            else:
                run_ids = np.asarray(run[0], dtype=np.int64)
                run_weights = np.asarray(run[1], dtype=np.float64)
            ids.append(run_ids)
            weights.append(run_weights)
        return np.concatenate(ids), np.concatenate(weights)


def _weights_as_bytes(weights: bytes, count: int) -> bytes | None:
    """A block's pickled weights (after its ids' tuple) as ``count`` records of
    ``_Bytes``: ``G`` and a big-endian double each, or ``K`` and a byte each when every
    weight is a whole number under 256 (as ``head_parts`` reads ints). None when laid
    out otherwise (the block is unpickled)."""
    if weights == _NO_WEIGHTS:
        return b"K\x01" * count
    if weights[:1] == b"G" and len(weights) == 9 + len(_PAIR_END):
        # Whoosh's ``_read_weights`` keeps a block's one weight as a single float.
        one = array("f", _DOUBLE.unpack_from(weights, 1))[0]
        if one.is_integer() and 0 <= one < 256:
            return (b"K" + bytes((int(one),))) * count
        return (b"G" + _DOUBLE.pack(one)) * count
    ends = len(_TUPLE_END) + len(_PAIR_END)
    if weights[:1] != b"(" or weights[-ends:] != _TUPLE_END + _PAIR_END:
        return None
    records = weights[1:-ends]
    for opcode, size in ((b"K", 2), (b"G", 9)):
        if len(records) == size * count and records[::size].count(opcode) == count:
            return records
    return None


class _Bytes:
    """Blocks in a row kept as their pickle's bytes: each block's first id, then ``K``
    and a byte per delta for the others; per weight ``G`` and a big-endian double
    (``width`` 9) or ``K`` and a byte (``width`` 2)."""

    def __init__(self, width: int) -> None:
        self.width = width
        self.firsts: list[int] = []
        self.deltas: list[bytes] = []
        self.weights: list[bytes] = []
        self.counts: list[int] = []

    def add(self, first: int, deltas: bytes, weights: bytes, count: int) -> None:
        self.firsts.append(first)
        self.deltas.append(deltas)
        self.weights.append(weights)
        self.counts.append(count)

    def arrays(self) -> tuple[NDArray[Any], NDArray[Any]]:
        import numpy as np

        pairs = np.frombuffer(b"".join(self.deltas), dtype=np.uint8).reshape(-1, 2)
        value = ">f8" if self.width == 9 else "u1"
        tagged = np.frombuffer(
            b"".join(self.weights), dtype=np.dtype([("op", "u1"), ("value", value)])
        )
        opcode = ord("G") if self.width == 9 else ord("K")
        if not (np.all(pairs[:, 0] == ord("K")) and np.all(tagged["op"] == opcode)):
            raise ValueError("a posting block's pickle is not laid out as read")
        counts = np.array(self.counts, dtype=np.int64)
        starts = np.cumsum(counts) - counts
        steps = np.empty(int(counts.sum()), dtype=np.int64)
        rest = np.ones(len(steps), dtype=np.bool_)
        rest[starts] = False
        steps[starts] = self.firsts
        steps[rest] = pairs[:, 1]
        summed = np.cumsum(steps)
        # A block's ids are its first id plus its deltas: take away what the blocks
        # before it summed to.
        before = np.concatenate(([0], summed[starts[1:] - 1]))
        return summed - np.repeat(before, counts), tagged["value"].astype(np.float64)
