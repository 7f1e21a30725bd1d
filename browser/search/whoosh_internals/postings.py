"""The postings layout the index is written in, and how a segment's postings get there.

Part of ``whoosh_internals``: every private Whoosh name here is checked by its probe, and
without them (``fast_path()`` False) Whoosh's own pool, writer and layout are used.

A build sends each posting (field, term, document, weight, positions) through Whoosh's
posting pool: an external sort of one tuple per posting (sorted, pickled to run files,
read back and merged a posting at a time), then a field writer called once per posting.
``GroupedPostingPool`` keeps the postings grouped by term as they come (documents arrive
in order, so each term's list is already sorted) and sorts only the terms;
``JoinedFieldWriter`` writes each term's list a block at a time. The files written are
byte for byte the ones the posting-at-a-time path writes (``tests/test_index.py``).
"""

from __future__ import annotations

import contextlib
import heapq
import io
import pickle
import struct
import zlib
from array import array
from collections.abc import Callable, Iterable, Iterator
from functools import partial
from itertools import accumulate, chain, islice, repeat
from operator import itemgetter, lt, sub
from typing import Any, Final

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
from whoosh.util.numeric import byte_to_length, length_to_byte
from whoosh.writing import PostingPool, SegmentWriter

from browser.search.lengths import LengthTable

# Recorded beside the index (``schema.write_version``): an index written with another
# layout is rebuilt, never read with the wrong matcher.
JOINED_VALUES: Final = "split-values"
WHOOSH_VALUES: Final = "whoosh"
_HEAD_SIZE: Final = 4  # the byte length of a block's first part, before it
# Blocks whose data is shorter are stored uncompressed: deflate's header and block
# framing (about a dozen bytes) would outweigh what it saves.
_COMPRESS_FROM: Final = 96
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
    """Whoosh's postings writer, a block's data in two parts compressed apart: ids and
    weights (pickled at the newest protocol), then the values (encoded positions) as
    their lengths and one joined byte string. Whoosh pickles all three as one tuple at
    protocol 2 (each value a ``_codecs.encode`` call), so scoring a word inflated and
    unpickled all its positions; apart, BM25 reads only the first part. Fields whose
    values have a fixed size keep Whoosh's block. Whoosh's public way has no hook for
    this (``_write_block`` is private)."""

    def _write_block(self, last: bool = False) -> None:
        if self._byteids:
            super()._write_block(last)
            return
        if not self._blockcount:
            self._postfile.write(WHOOSH3_HEADER_MAGIC)
        self._terminfo.add_block(self)
        fixed = self._format.fixed_value_size()
        if fixed is not None and fixed >= 0:
            # Whoosh's own block (``W3PostingsWriter._write_block``), compressed faster.
            block = (self._mini_ids(), self._mini_weights(), self._mini_values())
            parts = [pickle.dumps(block, 2)]
        else:
            head = pickle.dumps((self._mini_ids(), self._mini_weights()), pickle.HIGHEST_PROTOCOL)
            values = self._values
            tail = struct.pack(f"<{len(values)}I", *map(len, values)) + b"".join(values)
            parts = [head, tail]
        # A block's info says whether its data is compressed, and readers (Whoosh's too)
        # decompress only then: most terms are rare, and deflating their few bytes only
        # adds framing (Whoosh's writer means to skip it under 20 bytes, then sets it again).
        comp = self._compression if sum(map(len, parts)) >= _COMPRESS_FROM else 0
        if comp:
            parts = [compressed(part, comp) for part in parts]
        if len(parts) == 2:
            parts.insert(0, len(parts[0]).to_bytes(_HEAD_SIZE, "little"))
        ids = self._ids
        # As Whoosh writes a block's info, read before its data is.
        info = (len(ids), ids[-1], self._maxweight, comp)
        lengths = (length_to_byte(self._minlength), length_to_byte(self._maxlength))
        infobytes = pickle.dumps((*info, *lengths), 2)
        data = b"".join(parts)
        size = len(infobytes) + len(data)
        self._postfile.write_int(-size if last else size)
        self._postfile.write(infobytes)
        self._postfile.write(data)
        self._blockcount += 1
        self._new_block()

    def _mini_ids(self) -> Any:
        # Whoosh's ``delta_encode`` is a Python generator; the same deltas in C.
        ids = self._ids
        if self._byteids:
            return tuple(ids)
        return tuple(map(sub, ids, chain((0,), ids)))

    def _mini_weights(self) -> Any:
        # Whoosh's two generator passes over the weights, as one C-level count.
        weights = self._weights
        first = weights[0]
        if weights.count(first) == len(weights):
            return None if first == 1.0 else first
        return tuple(weights)


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
        head = data[_HEAD_SIZE:end]
        ids, weights = pickle.loads(zlib.decompress(head) if self._compression else head)
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


class JoinedFieldWriter(W3FieldWriter):  # type: ignore[misc]
    """Whoosh's field writer; postings that come grouped by term (``GroupedPostings``)
    are written a block at a time instead of one ``add`` call per posting, into the
    same blocks ``add_posting`` fills. ``add_postings`` is public, the writer's state
    it sets is not."""

    def add_postings(self, schema: Any, lengths: Any, items: Any) -> None:
        if not isinstance(items, GroupedPostings):
            super().add_postings(schema, lengths, items)
            return
        field: str | None = None
        lengths_of: Callable[[array[int]], list[int | None]] = _no_lengths
        for fieldname, btext, ids, weights, values in items.groups():
            if fieldname != field:
                if field is not None:
                    self.finish_field()
                self.start_field(fieldname, schema[fieldname])
                field = fieldname
                lengths_of = _lengths_reader(lengths, fieldname)
            self.start_term(btext)
            _fill_blocks(self._postwriter, ids, weights, values, lengths_of)
            self.finish_term()
        if field is not None:
            self.finish_field()


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


# What one pooled posting holds, about: a document number, a weight, a reference to its
# value, and its share of its term's group.
_POSTING_BYTES: Final = 48
# Groups per pickled list in a spilled run.
_RUN_CHUNK: Final = 2048
# A term's postings: document numbers (ascending), weights, encoded values.
_Group = tuple["array[int]", "array[float]", list[Any]]
_Row = tuple[tuple[str, bytes], "array[int]", "array[float]", list[Any]]


class GroupedPostings:
    """A segment's postings from ``GroupedPostingPool``: ``groups()`` gives each term's
    (field, term, document numbers, weights, values) in field and term order; iterating
    gives Whoosh's (field, term, document, weight, value) tuples, in the same order."""

    def __init__(self, rows: Callable[[], Iterator[_Row]]) -> None:
        self._rows = rows

    def groups(self) -> Iterator[tuple[str, bytes, array[int], array[float], list[Any]]]:
        for (fieldname, btext), ids, weights, values in self._rows():
            yield fieldname, btext, ids, weights, values

    def __iter__(self) -> Iterator[tuple[str, bytes, int, float, Any]]:
        for fieldname, btext, ids, weights, values in self.groups():
            yield from zip(repeat(fieldname), repeat(btext), ids, weights, values)


# Whoosh's sorted-run hand-over (``save``, ``reduce_to``) would read the pool's own,
# always empty, buffer and write a segment without postings: refused, never silent.
_NO_RUN_HANDOVER: Final = (
    "GroupedPostingPool serves SegmentWriter only, not the sorted-run hand-over of "
    "a single-segment MpWriter"
)


class GroupedPostingPool(PostingPool):  # type: ignore[misc]
    """Whoosh's posting pool, its postings grouped by term as they are added.

    A writer adds a document's postings when it adds the document (and a merged
    segment's in document order after them), so each term's list grows in document
    order: only the terms need sorting. Past ``limitmb`` the groups are spilled, sorted,
    to a run file (pickled lists at the newest protocol); the runs and what is left in
    memory are merged by term, each term's lists joined in the order they were spilled.
    Serves ``SegmentWriter`` (``iter_postings``, ``cleanup``); not the run hand-over of
    Whoosh's single-segment ``MpWriter``, which the index never uses (its ``procs > 1``
    writers keep one segment per process)."""

    def __init__(self, tempstore: Any, segment: Any, limitmb: int = 128, **kwargs: Any) -> None:
        super().__init__(tempstore, segment, limitmb=limitmb, **kwargs)
        # field name -> term -> its postings
        self._groups: dict[str, dict[bytes, _Group]] = {}
        self._pooled = 0
        self._most = max(1, self.limit // _POSTING_BYTES)
        self._spills: list[str] = []

    def save(self) -> None:
        raise NotImplementedError(_NO_RUN_HANDOVER)

    def reduce_to(self, *_args: Any, **_options: Any) -> None:
        raise NotImplementedError(_NO_RUN_HANDOVER)

    def add(self, item: tuple[str, bytes, int, float, Any]) -> None:
        """One posting (Whoosh's ``PostingPool.add``: what a merge of segments adds)."""
        fieldname, tbytes, docnum, weight, value = item
        self.add_field(fieldname, docnum, ((tbytes, 0, weight, value),), 1.0)

    def add_field(
        self,
        fieldname: str,
        docnum: int,
        items: Iterable[tuple[bytes, int, float, Any]],
        boost: float,
    ) -> int:
        """The postings one field of document ``docnum`` gives (``field.index``: term,
        frequency, weight, value), each weight times ``boost``; returns the sum of the
        frequencies (the field's length, as ``SegmentWriter.add_document`` counts it)."""
        terms = self._groups.get(fieldname)
        if terms is None:
            terms = self._groups[fieldname] = {}
            self.fieldnames.add(fieldname)
        length = count = 0
        for tbytes, freq, weight, value in items:
            group = terms.get(tbytes)
            if group is None:
                group = terms[tbytes] = (array("I"), array("d"), [])
            group[0].append(docnum)
            group[1].append(weight * boost)
            group[2].append(value)
            length += freq
            count += 1
        self._pooled += count
        if self._pooled >= self._most:
            self.spill()
        return length

    def spill(self) -> None:
        """Write the groups in memory to a run file, sorted by term, and drop them."""
        if not self._groups:
            return
        path, f = self._new_run()
        try:
            rows = self._memory_rows()
            while batch := list(islice(rows, _RUN_CHUNK)):
                pickle.dump(batch, f, pickle.HIGHEST_PROTOCOL)
        finally:
            f.close()
        self._spills.append(path)
        self._groups = {}
        self._pooled = 0

    def _memory_rows(self) -> Iterator[_Row]:
        for fieldname, terms in sorted(self._groups.items()):
            for tbytes in sorted(terms):
                ids, weights, values = terms[tbytes]
                yield (fieldname, tbytes), ids, weights, values

    def _spilled_rows(self, path: str) -> Iterator[_Row]:
        f = self._open_run(path)
        try:
            while True:
                try:
                    batch = pickle.load(f)
                except EOFError:
                    return
                yield from batch
        finally:
            f.close()
            self._remove_run(path)

    def rows(self) -> Iterator[_Row]:
        """Every term's postings, by field and term, each list in document order."""
        sources = [self._spilled_rows(path) for path in self._spills]
        self._spills = []
        sources.append(self._memory_rows())
        merged: Iterator[_Row] = sources[0] if len(sources) == 1 else _joined(sources)
        for key, ids, weights, values in merged:
            if not all(map(lt, ids, islice(ids, 1, None))):
                ids, weights, values = _in_document_order(ids, weights, values)
            yield key, ids, weights, values
        self._groups = {}

    def iter_postings(self) -> GroupedPostings:
        return GroupedPostings(self.rows)

    def items(self, maxfiles: int = 128) -> Iterator[tuple[str, bytes, int, float, Any]]:
        return iter(self.iter_postings())

    def cleanup(self) -> None:
        for path in self._spills:
            with contextlib.suppress(OSError):
                self._remove_run(path)
        self._spills = []
        self._groups = {}
        super().cleanup()


class GroupedSegmentWriter(SegmentWriter):  # type: ignore[misc]
    """Whoosh's segment writer, a document's postings handed to ``GroupedPostingPool`` a
    field at a time (``add_field``) instead of as one tuple and one ``pool.add`` call
    each (a third of adding a document). ``add_document`` is Whoosh's own otherwise,
    line for line; with another pool, term vectors or spelling fields, it is Whoosh's."""

    def add_document(self, **fields: Any) -> None:
        pool = self.pool
        schema = self.schema
        if not isinstance(pool, GroupedPostingPool) or any(
            field.vector or field.separate_spelling() for field in schema
        ):
            super().add_document(**fields)
            return
        self._check_state()
        perdocwriter = self.perdocwriter
        docnum = self.docnum
        docboost = self._doc_boost(fields)
        fieldnames = sorted(name for name in fields if not name.startswith("_"))
        self._check_fields(schema, fieldnames)
        perdocwriter.start_doc(docnum)
        try:
            for fieldname in fieldnames:
                value = fields.get(fieldname)
                if value is None:
                    continue
                field = schema[fieldname]
                length = 0
                if field.indexed:
                    fieldboost = self._field_boost(fields, fieldname, docboost)
                    items = field.index(value)
                    length = pool.add_field(fieldname, docnum, items, fieldboost)
                    if not field.scorable:
                        length = 0
                customval = fields.get(f"_stored_{fieldname}", value)
                perdocwriter.add_field(
                    fieldname, field, customval if field.stored else None, length
                )
                column = field.column_type
                if column and customval is not None:
                    perdocwriter.add_column_value(
                        fieldname, column, field.to_column_value(customval)
                    )
        except Exception:
            perdocwriter.cancel_doc()
            raise
        perdocwriter.finish_doc()
        self._added = True
        self.docnum += 1


def _joined(sources: list[Iterator[_Row]]) -> Iterator[_Row]:
    """Rows of several sorted sources merged by term; a term in several is one row, its
    lists joined in source order (``heapq.merge`` keeps equal keys in that order)."""
    current: _Row | None = None
    for row in heapq.merge(*sources, key=itemgetter(0)):
        if current is not None and current[0] == row[0]:
            current[1].extend(row[1])
            current[2].extend(row[2])
            current[3].extend(row[3])
            continue
        if current is not None:
            yield current
        current = row
    if current is not None:
        yield current


def _in_document_order(
    ids: array[int], weights: array[float], values: list[Any]
) -> tuple[array[int], array[float], list[Any]]:
    order = sorted(range(len(ids)), key=ids.__getitem__)
    return (
        array("I", map(ids.__getitem__, order)),
        array("d", map(weights.__getitem__, order)),
        list(map(values.__getitem__, order)),
    )


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
    return JoinedValuesCodec() if _fast_path() else W3Codec()


def length_column(perdoc: Any, doccount: int, fieldname: str) -> bytes | None:
    """A segment's length bytes of ``fieldname``, one per document, read at once."""
    column = perdoc._cached_reader(f"_{fieldname}_len", LENGTHS_COLUMN)
    if not isinstance(column, columns.NumericColumn.Reader) or column._typecode != "B":
        return None
    stored = min(doccount, column._count)
    return bytes(column._dbfile.get(column._basepos, stored)) + bytes(doccount - stored)
