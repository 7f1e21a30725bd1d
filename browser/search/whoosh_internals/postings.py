"""The postings layout the index is written in, and how a segment's postings get there.

Part of ``whoosh_internals``: every private Whoosh name here is checked by its probe, and
without them (``fast_path()`` False) Whoosh's own pool, writer and layout are used.

A build sends each posting (field, term, document, weight, positions) through Whoosh's
posting pool, then a field writer called once per posting. ``pool.GroupedPostingPool``
hands the postings over grouped by term; ``JoinedFieldWriter`` writes each term's list a
block at a time, and a term whose list fits one block (most terms of a segment have one
or two postings) straight into the postings file and terms table, without Whoosh's
per-term writer state. The files written are byte for byte the ones the
posting-at-a-time path writes (``tests/test_index.py``).
"""

from __future__ import annotations

import contextlib
import io
import pickle
import struct
import zlib
from array import array
from collections.abc import Callable, Iterator
from functools import partial
from itertools import accumulate, chain
from operator import sub
from typing import Any, Final, NamedTuple

import whoosh.multiproc
import whoosh.writing
from whoosh import columns
from whoosh.codec.whoosh3 import (
    LENGTHS_COLUMN,
    WHOOSH3_HEADER_MAGIC,
    W3Codec,
    W3FieldWriter,
    W3LeafMatcher,
    W3PostingsWriter,
)
from whoosh.system import pack_ushort
from whoosh.util.numeric import byte_to_length, length_to_byte

from browser.search.lengths import LengthTable
from browser.search.whoosh_internals.pool import (
    GroupedPostingPool,
    GroupedPostings,
    GroupedSegmentWriter,
)

# Recorded beside the index (``schema.write_version``): an index written with another
# layout is rebuilt, never read with the wrong matcher.
JOINED_VALUES: Final = "split-raw-heads"
WHOOSH_VALUES: Final = "whoosh"
_HEAD_SIZE: Final = 4  # the byte length of a block's first part, before it
# Postings a block holds (Whoosh's writer: 128). Reading a block costs a fixed ~10 µs
# of Python (its header unpickled, its parts sliced and checked) whatever its size: at
# 100k papers a cold typing pass read ~700 blocks. With 512 a long list has a quarter
# of the blocks: the CPU a typing pass needs fell by about a fifth, phrases and
# wildcards too, and the index got smaller (bench/results/blocks-2026-12-07f.md).
BLOCK_POSTINGS: Final = 512
# Blocks whose data is shorter are stored uncompressed: deflate's header and block
# framing (about a dozen bytes) would outweigh what it saves.
_COMPRESS_FROM: Final = 96
# A terms table record starts with the lengths of its key and value (Whoosh's
# ``filetables._lengths``, checked by the probe).
TERM_RECORD_LENGTHS: Final = struct.Struct("!ii")
# A block starts with its length as Whoosh's ``write_int`` writes it, then its pickled
# info tuple (about 40 bytes at protocol 2; read this much, Whoosh's way when longer).
BLOCK_LENGTH: Final = struct.Struct("!i")
_BLOCK_INFO_READ: Final = 96
# What Whoosh's ``W3LeafMatcher._goto`` sets and its other methods read: ours sets the
# same (the probe checks Whoosh's still does; ``tests/test_postings_goto.py`` compares).
SET_BY_GOTO: Final = (
    "_data", "_ids", "_weights", "_values", "_i", "_lastblock", "_nextoffset",
    "_dataoffset", "_blocklength", "_maxid", "_maxweight", "_compression",
    "_minlength", "_maxlength",
)  # fmt: skip


def _fast_path() -> bool:
    # The package's probe decides, after this module is imported.
    from browser.search import whoosh_internals

    return whoosh_internals.fast_path()


def compressed(data: bytes, level: int) -> bytes:
    """``data`` deflated at ``level`` in a zlib stream any zlib reader inflates, with a
    window no larger than ``data`` needs. ``zlib.compress`` sets up its largest window
    and hash table each call (about 26 µs on a quiet machine, 100 under load: two calls
    a block since the split layout, a tenth of a build); a block's part is a few hundred
    bytes, and a window that still holds all of it finds the same matches."""
    wbits = min(15, max(9, len(data).bit_length()))
    packer = zlib.compressobj(level, zlib.DEFLATED, wbits, max(1, wbits - 7))
    return packer.compress(data) + packer.flush()


class JoinedValuesWriter(W3PostingsWriter):  # type: ignore[misc]
    """Whoosh's postings writer, a block's data in two parts: ids and weights (pickled
    at the newest protocol, stored as pickled), then the values (encoded positions) as
    their lengths and one joined byte string, compressed when the block's info says so.
    Whoosh pickles all three as one tuple at protocol 2 (each value a ``_codecs.encode``
    call), so scoring a word inflated and unpickled all its positions; apart, BM25
    reads only the first part, and without inflating it. Fields whose values have a
    fixed size keep Whoosh's block. Whoosh's public way has no hook for this
    (``_write_block`` is private)."""

    def _write_block(self, last: bool = False) -> None:
        if self._byteids:
            super()._write_block(last)
            return
        if not self._blockcount:
            self._postfile.write(WHOOSH3_HEADER_MAGIC)
        self._terminfo.add_block(self)
        lengths = (length_to_byte(self._minlength), length_to_byte(self._maxlength))
        self._postfile.write(
            block_record(
                self._ids,
                self._weights,
                self._values,
                (self._maxweight, *lengths),
                self._format.fixed_value_size(),
                self._compression,
                last,
            )
        )
        self._blockcount += 1
        self._new_block()


def block_record(
    ids: array[int],
    weights: array[float],
    values: list[bytes],
    stats: tuple[float, int, int],
    fixed: int | None,
    compression: int,
    last: bool,
    prefix: bytes = b"",
) -> bytes:
    """One block of a term's postings as ``JoinedValuesWriter`` writes it, after
    ``prefix``: its signed length (negative for a term's last block), its info, its
    data. ``ids`` ascending, ``weights`` as Whoosh keeps them (single precision),
    ``values`` the non-empty ones; ``stats``: the highest weight, the shortest and the
    longest field length of its documents as ``length_to_byte`` encodes them (0: no
    lengths). Fields whose values have a fixed size keep Whoosh's block
    (``W3PostingsWriter._write_block``), compressed faster; the others are in two parts
    compressed apart (``JoinedValuesWriter``)."""
    mini_ids = tuple(map(sub, ids, chain((0,), ids)))  # Whoosh's delta_encode, in C
    # Whoosh's two generator passes over the weights, as one C-level count.
    first = weights[0]
    if weights.count(first) == len(weights):
        mini_weights: Any = None if first == 1.0 else first
    else:
        mini_weights = tuple(weights)
    # A block's info says whether its data is compressed, and readers (Whoosh's too)
    # decompress only then: most terms are rare, and deflating their few bytes only
    # adds framing (Whoosh's writer means to skip it under 20 bytes, then sets it again).
    if fixed is not None and fixed >= 0:
        block = (mini_ids, mini_weights, None if fixed == 0 else b"".join(values))
        parts = [pickle.dumps(block, 2)]
        comp = compression if len(parts[0]) >= _COMPRESS_FROM else 0
        if comp:
            parts = [compressed(parts[0], comp)]
    else:
        # The first part is stored as pickled, whatever the level: every word scored
        # reads it, and inflating it was a third of a cold typing pass at 100k papers
        # (integral weights pickled as ints keep it at ~4 bytes a posting, not 11).
        stored = (mini_ids, _integral(mini_weights))
        head = pickle.dumps(stored, pickle.HIGHEST_PROTOCOL)
        tail = struct.pack(f"<{len(values)}I", *map(len, values)) + b"".join(values)
        comp = compression if len(tail) >= _COMPRESS_FROM else 0
        if comp:
            tail = compressed(tail, comp)
        parts = [len(head).to_bytes(_HEAD_SIZE, "little"), head, tail]
    # As Whoosh writes a block's info, read before its data is.
    maxweight, shortest, longest = stats
    infobytes = pickle.dumps((len(ids), ids[-1], maxweight, comp, shortest, longest), 2)
    size = len(infobytes) + sum(map(len, parts))
    return b"".join((prefix, BLOCK_LENGTH.pack(-size if last else size), infobytes, *parts))


def _integral(weights: Any) -> Any:
    """A block's weights (a tuple: one each) as ints when every one is a whole number
    (term frequencies are): pickle writes a small int in 2 bytes, a float in 9.
    ``head_parts`` gives them back as the floats they were."""
    if type(weights) is tuple:
        ints = tuple(map(int, weights))
        if ints == weights:
            return ints
    return weights


def head_parts(head: bytes) -> tuple[tuple[int, ...], Any]:
    """A split block's first part (as stored: never compressed) as Whoosh's block tuple
    holds it: the id deltas, and the weights (None: all 1.0, one float for all, or a
    tuple of floats, as ``JoinedValuesWriter`` was given them)."""
    deltas, weights = pickle.loads(head)
    if type(weights) is tuple and weights and type(weights[0]) is int:
        weights = tuple(map(float, weights))
    return deltas, weights


class JoinedValuesMatcher(W3LeafMatcher):  # type: ignore[misc]
    """Reads the blocks ``JoinedValuesWriter`` wrote: the values only when asked for."""

    def _goto(self, position: int) -> None:
        # Whoosh reads a block's header with ``read_int`` and then ``pickle.load`` on the
        # posting file: inside a compound segment file each small read of the unpickler is
        # a seek and a read (about 20 a block, a fifth of a cold typing pass at 100k
        # papers). One read of the header's bytes, unpickled in memory, sets the same.
        size = BLOCK_LENGTH.size
        head = self._postfile.get(position, size + _BLOCK_INFO_READ)
        stream = io.BytesIO(head)
        stream.seek(size)
        try:
            info = pickle.load(stream)
        except (pickle.UnpicklingError, EOFError, ValueError):
            super()._goto(position)  # a header longer than read: Whoosh's own way
            return
        (length,) = BLOCK_LENGTH.unpack_from(head)
        # Whoosh's attributes (untyped there): a new block's parts are read when asked for.
        self._data: Any = None
        self._ids: Any = None
        self._weights: Any = None
        self._values: Any = None
        self._i = 0
        if length < 0:
            self._lastblock = True
        self._nextoffset = position + size + abs(length)
        self._dataoffset = position + stream.tell()
        (
            self._blocklength,
            self._maxid,
            self._maxweight,
            self._compression,
            shortest,
            longest,
        ) = info
        self._minlength = byte_to_length(shortest)
        self._maxlength = byte_to_length(longest)

    def _read_data(self) -> None:
        fixed = self._fixedsize
        if self._byteids or (fixed is not None and fixed >= 0):
            super()._read_data()
            return
        data = self._postfile.get(self._dataoffset, self._nextoffset - self._dataoffset)
        end = _HEAD_SIZE + int.from_bytes(data[:_HEAD_SIZE], "little")
        ids, weights = head_parts(data[_HEAD_SIZE:end])
        self._data = (ids, weights, data[end:])

    def _read_ids(self) -> None:
        # Whoosh sums a block's id deltas in a Python generator (``delta_decode``);
        # ``accumulate`` gives the same ids in C.
        if self._data is None:
            self._read_data()
        ids = self._data[0]
        self._ids = ids if self._byteids else tuple(accumulate(ids))

    def _read_values(self) -> None:
        fixed = self._fixedsize
        if self._byteids or (fixed is not None and fixed >= 0):
            super()._read_values()
            return
        if self._data is None:
            self._read_data()
        tail = self._data[2]
        tail = zlib.decompress(tail) if self._compression else bytes(tail)
        count = self._blocklength
        ends = list(accumulate(struct.unpack_from(f"<{count}I", tail), initial=4 * count))
        self._values = tuple(map(tail.__getitem__, map(slice, ends, ends[1:])))


class ExtentBlock(NamedTuple):
    """One block of a term's postings as ``block_record`` wrote it: how many postings,
    the last id, its compression level (of its values part; 0: none), its first part
    (the pickled ``(id deltas, weights)``, never compressed: ``head_parts``) and its
    values part, both as stored."""

    postings: int
    last: int
    compression: int
    head: bytes
    values: bytes


def extent_blocks(leaf: JoinedValuesMatcher) -> Iterator[ExtentBlock]:
    """The blocks of ``leaf``'s term after its current one, from one read of the rest of
    its extent (through the matcher each block is two reads of the postings file, each a
    seek and a read inside a compound segment file). ``leaf`` must be in the split
    layout and not on its last block; it is left where it was."""
    position = leaf._nextoffset
    # Whoosh's ``W3TermInfo.from_bytes`` keeps the length as ``unpack_int`` returns
    # it: a 1-tuple (a term info built in memory holds an int).
    extent = leaf._length[0] if isinstance(leaf._length, tuple) else leaf._length
    blocks = leaf._postfile.get(position, leaf._startoffset + extent - position)
    stream = io.BytesIO(blocks)
    at = 0
    while at < len(blocks):
        (length,) = BLOCK_LENGTH.unpack_from(blocks, at)
        stream.seek(at + BLOCK_LENGTH.size)
        count, last, _maxweight, compression, _shortest, _longest = pickle.load(stream)
        data = stream.tell()
        end = data + _HEAD_SIZE + int.from_bytes(blocks[data : data + _HEAD_SIZE], "little")
        after = at + BLOCK_LENGTH.size + abs(length)
        yield ExtentBlock(
            count, last, compression, blocks[data + _HEAD_SIZE : end], blocks[end:after]
        )
        if length < 0:
            return
        at = after


class JoinedFieldWriter(W3FieldWriter):  # type: ignore[misc]
    """Whoosh's field writer; postings that come grouped by term (``GroupedPostings``)
    are written a block at a time instead of one ``add`` call per posting, into the
    same blocks ``add_posting`` fills. ``add_postings`` is public, the writer's state
    it sets is not."""

    # The current field's ``fixed_value_size`` (set with ``_one_block_limit``).
    _fixed_size: int | None = None
    # Where the postings file and the terms table end (``_file_ends``), or None.
    _ends: list[int] | None = None

    def add_postings(self, schema: Any, lengths: Any, items: Any) -> None:
        if not isinstance(items, GroupedPostings):
            super().add_postings(schema, lengths, items)
            return
        field: str | None = None
        lengths_of: Callable[[array[int]], list[int | None]] = _no_lengths
        one_block = 0
        for fieldname, btext, ids, weights, values in items.groups():
            if fieldname != field:
                if field is not None:
                    self.finish_field()
                self.start_field(fieldname, schema[fieldname])
                field = fieldname
                lengths_of = _lengths_reader(lengths, fieldname)
                one_block = self._one_block_limit()
            if len(ids) <= one_block:
                self._write_term(btext, ids, weights, values, lengths_of)
                continue
            # Whoosh's writers write to both files: where ours left them is not known.
            self._ends = None
            self.start_term(btext)
            _fill_blocks(self._postwriter, ids, weights, values, lengths_of)
            self.finish_term()
        if field is not None:
            self.finish_field()

    def _one_block_limit(self) -> int:
        """The most postings ``_write_term`` writes for a term of the current field: one
        block's worth, or 0 when its postings writer is not a ``JoinedValuesWriter``
        that writes document numbers and never inlines (the case for every field)."""
        writer = self._postwriter
        if type(writer) is not JoinedValuesWriter or writer._byteids or writer._inlinelimit > 1:
            return 0
        self._fixed_size = self._format.fixed_value_size()
        return int(writer._blocklimit)

    def _write_term(
        self,
        btext: bytes,
        ids: array[int],
        weights: array[float],
        values: list[Any],
        lengths_of: Callable[[array[int]], list[int | None]],
    ) -> None:
        """A term whose postings fit in one block, written as ``start_term``, one
        ``add_posting`` per posting and ``finish_term`` write it (the same bytes, in
        the postings file and the terms table: ``term_info_bytes``), without the
        per-term state of the postings writer and its term info: most terms of a
        segment have one or two postings, and that state cost more than writing them."""
        known = list(filter(None, lengths_of(ids)))
        shortest = length_to_byte(min(known) if known else None)
        longest = length_to_byte(max(known, default=0))
        maxweight = max(0, max(weights))
        single = array("f", weights)
        stats = (maxweight, shortest, longest)
        span = (ids[0], ids[-1])
        key = pack_ushort(self._fieldid) + btext
        record = block_record(
            ids,
            single,
            list(filter(None, values)),
            stats,
            self._fixed_size,
            self._postwriter._compression,
            True,
            WHOOSH3_HEADER_MAGIC,
        )
        ends = self._file_ends()
        start = ends[0]
        self._postfile.write(record)
        ends[0] = start + len(record)
        extent = (start, len(record))
        self._add_term(key, term_info_bytes(sum(single), len(ids), stats, span, extent))

    def _file_ends(self) -> list[int]:
        """Where the postings file and the terms table end: asked once (``tell`` is a
        system call on each file), then counted as ``_write_term`` writes."""
        if self._ends is None:
            self._ends = [self._postfile.tell(), self._tindex.dbfile.tell()]
        return self._ends

    def _add_term(self, key: bytes, info: bytes) -> None:
        """``self._tindex.add(key, info)`` (Whoosh's ``OrderedHashWriter``) in one write
        and without a ``tell``: the same bytes, position index and hash buckets.
        Whoosh's writes the record in three writes and asks where the file ends twice
        (a third of writing a one-block term)."""
        table = self._tindex
        if key <= table.lastkey:
            raise ValueError(f"Keys must increase: {table.lastkey!r}..{key!r}")
        ends = self._file_ends()
        at = ends[1]
        record = TERM_RECORD_LENGTHS.pack(len(key), len(info)) + key + info
        table.dbfile.write(record)
        ends[1] = at + len(record)
        table.index.append(at)
        hashed = table.hashfn(key)
        table.buckets[hashed & 255].append((hashed, at))
        table.lastkey = key


# A term info as ``W3TermInfo.to_bytes`` packs one whose postings are in the postings file:
# not inlined, total weight, document frequency, shortest and longest field length (as
# ``length_to_byte`` encodes them), highest weight, first and last document, then where
# its postings start and how many bytes they take (``pack_long``, ``pack_int``).
_TERM_INFO: Final = struct.Struct("!BfIBBfIIqi")


def term_info_bytes(
    weight: float,
    df: int,
    stats: tuple[float, int, int],
    span: tuple[int, int],
    extent: tuple[int, int],
) -> bytes:
    """The terms table's value for a term (``W3TermInfo.to_bytes``, checked against it
    by the probe): ``stats`` as for ``block_record``, ``span`` its first and last
    document, ``extent`` the offset and length of its postings."""
    maxweight, shortest, longest = stats
    return _TERM_INFO.pack(False, weight, df, shortest, longest, maxweight, *span, *extent)


def _no_lengths(ids: array[int]) -> list[int | None]:
    return [0] * len(ids)


def _lengths_reader(lengths: Any, fieldname: str) -> Callable[[array[int]], list[int | None]]:
    """The field lengths of a block's documents, as Whoosh's ``add_postings`` asks for
    them (``doc_field_length(docnum, fieldname)``, 0 without lengths)."""
    if not lengths:
        return _no_lengths
    per_document = lengths.doc_field_length
    if isinstance(per_document, LengthTable):
        table = per_document.table(fieldname)
        if table is None:
            return _no_lengths
        size = len(table)
        return lambda ids: (
            list(map(table.__getitem__, ids))
            if ids[-1] < size
            else [per_document(d, fieldname) for d in ids]
        )
    return lambda ids: [per_document(d, fieldname) for d in ids]


def _fill_blocks(
    writer: Any,
    ids: array[int],
    weights: array[float],
    values: list[Any],
    lengths_of: Callable[[array[int]], list[int | None]],
) -> None:
    """One term's postings into ``writer``'s blocks, as ``add_posting`` fills them: a
    full block is written when the next posting comes, the last one is left for
    ``finish_postings`` (which marks it last, or inlines a short list)."""
    limit = writer._blocklimit
    for start in range(0, len(ids), limit):
        if start:
            writer._write_block()
        block = ids[start : start + limit]
        block_weights = weights[start : start + limit]
        writer._ids = block
        writer._weights = array("f", block_weights)
        # add_posting keeps only non-empty values (Existence fields have none).
        writer._values = list(filter(None, values[start : start + limit]))
        writer._maxweight = max(0, max(block_weights))
        known = list(filter(None, lengths_of(block)))
        writer._minlength = min(known) if known else None
        writer._maxlength = max(known, default=0)


class JoinedValuesCodec(W3Codec):  # type: ignore[misc]
    """Whoosh's codec with ``JoinedValuesWriter`` and ``JoinedValuesMatcher`` for term
    postings (term vectors, which the index does not keep, stay as Whoosh writes them)
    and ``JoinedFieldWriter``. Each segment keeps its codec, so Whoosh reads a segment
    as it was written."""

    def field_writer(self, storage: Any, segment: Any) -> Any:
        return JoinedFieldWriter(self, storage, segment)

    def postings_writer(self, dbfile: Any, byteids: bool = False) -> Any:
        if byteids:
            return super().postings_writer(dbfile, byteids=byteids)
        return JoinedValuesWriter(
            dbfile,
            blocklimit=self._blocklimit,
            byteids=byteids,
            compression=self._compression,
            inlinelimit=self._inlinelimit,
        )

    def postings_reader(
        self, dbfile: Any, terminfo: Any, format_: Any, term: Any = None, scorer: Any = None
    ) -> Any:
        if terminfo.is_inlined():
            return super().postings_reader(dbfile, terminfo, format_, term=term, scorer=scorer)
        offset, length = terminfo.extent()
        return JoinedValuesMatcher(dbfile, offset, length, format_, term=term, scorer=scorer)

    def per_document_reader(self, storage: Any, segment: Any) -> Any:
        """Whoosh's reader, with field lengths served from memory (``LengthTable``): the
        writer asks for the length of each posting's document when it writes a segment
        (an eighth of a build's time as one file read per posting)."""
        reader = super().per_document_reader(storage, segment)
        reader.doc_field_length = LengthTable(
            partial(length_column, reader, segment.doc_count_all())
        )
        return reader


@contextlib.contextmanager
def pool_swapped() -> Iterator[None]:
    """Writers made inside use ``GroupedPostingPool``, and the worker processes of
    Whoosh's ``MpWriter`` (forked inside) are ``GroupedSegmentWriter``s: Whoosh names
    both classes from its modules, so the names are swapped there for the time of one
    write (one writer runs at a time: the index lock). ``whoosh.writing``'s own
    ``SegmentWriter`` stays (its methods call ``super(SegmentWriter, self)``): a
    one-process writer comes from ``index_writer``."""
    pool, worker = whoosh.writing.PostingPool, whoosh.multiproc.SegmentWriter
    whoosh.writing.PostingPool = GroupedPostingPool
    whoosh.multiproc.SegmentWriter = GroupedSegmentWriter
    try:
        yield
    finally:
        whoosh.writing.PostingPool, whoosh.multiproc.SegmentWriter = pool, worker


def index_writer(ix: Any, procs: int = 1, **options: Any) -> Any:
    """``ix.writer(procs=procs, **options)``; on the fast path a one-process writer is a
    ``GroupedSegmentWriter`` (Whoosh's ``FileIndex.writer`` names its class inside)."""
    if procs <= 1 and _fast_path():
        return GroupedSegmentWriter(ix, **options)
    return ix.writer(procs=procs, **options)


@contextlib.contextmanager
def grouped_postings() -> Iterator[None]:
    """``pool_swapped`` on the fast path; on Whoosh's public path nothing is swapped."""
    if not _fast_path():
        yield
        return
    with pool_swapped():
        yield


def postings_layout() -> str:
    """How this process writes postings: joined values on the fast path, else Whoosh's."""
    return JOINED_VALUES if _fast_path() else WHOOSH_VALUES


def index_codec() -> Any:
    """The codec for every writer of the index (``postings_layout``)."""
    return JoinedValuesCodec(blocklimit=BLOCK_POSTINGS) if _fast_path() else W3Codec()


def length_column(perdoc: Any, doccount: int, fieldname: str) -> bytes | None:
    """A segment's length bytes of ``fieldname``, one per document, read at once."""
    column = perdoc._cached_reader(f"_{fieldname}_len", LENGTHS_COLUMN)
    if not isinstance(column, columns.NumericColumn.Reader) or column._typecode != "B":
        return None
    stored = min(doccount, column._count)
    return bytes(column._dbfile.get(column._basepos, stored)) + bytes(doccount - stored)
