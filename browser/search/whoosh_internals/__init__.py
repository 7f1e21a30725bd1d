"""Every use of Whoosh's private names, in one place, each with Whoosh's public way beside it.

Whoosh's public path reads a posting, a stored length or a column value one Python call
at a time; the fast path reads whole posting blocks, length tables and column files at
once, writes postings in its own layout and hooks our wrappers into Whoosh's private
extension points. No other module touches a Whoosh name that starts with ``_``.

At import ``probe()`` checks on a tiny index in memory that every private name used here
exists. If one is missing, ``fast_path()`` is False and each caller takes Whoosh's public
path: slower, the same answers (``tests/test_search_oracle.py``); ``STATUS.message``
says so in one sentence (the status line, ``paper-browser doctor``).
"""

from __future__ import annotations

import os
import pickle
import secrets
import sys
import tempfile
from array import array
from bisect import bisect_right
from collections.abc import Callable, Iterator, Sequence
from functools import partial
from itertools import accumulate, compress
from typing import Any, Final

import whoosh.multiproc
from whoosh import columns, formats
from whoosh import query as wq
from whoosh import system as whoosh_system
from whoosh.codec.whoosh3 import (
    W3Codec,
    W3FieldWriter,
    W3LeafMatcher,
    W3PostingsWriter,
    W3TermInfo,
)
from whoosh.fields import COLUMN, TEXT, Schema
from whoosh.filedb import filetables
from whoosh.filedb.filestore import FileStorage, RamStorage
from whoosh.matching.wrappers import FilterMatcher, WrappingMatcher
from whoosh.query.spans import SpanWrappingMatcher
from whoosh.scoring import BM25F
from whoosh.util.numeric import length_to_byte
from whoosh.writing import PostingPool, SegmentWriter

from browser.search.internals_status import InternalsStatus
from browser.search.lengths import LengthTable
from browser.search.whoosh_internals.blockarrays import PostingArrays as PostingArrays
from browser.search.whoosh_internals.pool import GroupedPostingPool, GroupedSegmentWriter
from browser.search.whoosh_internals.postings import (
    BLOCK_LENGTH,
    SET_BY_GOTO,
    TERM_RECORD_LENGTHS,
    JoinedValuesCodec,
    length_column,
    pool_swapped,
    term_info_bytes,
)
from browser.search.whoosh_internals.postings import (
    JOINED_VALUES as JOINED_VALUES,
)
from browser.search.whoosh_internals.postings import (
    WHOOSH_VALUES as WHOOSH_VALUES,
)
from browser.search.whoosh_internals.postings import (
    grouped_postings as grouped_postings,
)
from browser.search.whoosh_internals.postings import (
    index_codec as index_codec,
)
from browser.search.whoosh_internals.postings import (
    index_writer as index_writer,
)
from browser.search.whoosh_internals.postings import (
    postings_layout as postings_layout,
)


def probe() -> InternalsStatus:
    """Check every private name this package uses against the installed Whoosh."""
    missing: list[str] = []

    def need(owner: object, label: str, *names: str) -> None:
        missing.extend(f"{label}.{name}" for name in names if not hasattr(owner, name))

    def called(owner: type, caller: str, hook: str) -> None:
        # A hook we override only matters while Whoosh still calls it.
        code = getattr(getattr(owner, caller, None), "__code__", None)
        if code is None or hook not in code.co_names:
            missing.append(f"{owner.__name__}.{hook}")

    called(WrappingMatcher, "replace", "_replacement")
    called(wq.WrappingQuery, "apply", "_rewrap")
    called(SpanWrappingMatcher, "_find_next", "_get_spans")
    need(SpanWrappingMatcher, "SpanWrappingMatcher", "_replacement")
    need(wq.NumericRange, "NumericRange", "_compile_query")
    need(BM25F(), "BM25F", "_field_B")
    need(whoosh_system, "whoosh.system", "_INT_SIZE")
    pack_int = getattr(whoosh_system, "pack_int", None)
    if pack_int is None or pack_int(-7) != BLOCK_LENGTH.pack(-7):
        missing.append("whoosh.system.pack_int as '!i'")
    need(W3LeafMatcher, "W3LeafMatcher", "_goto")
    called(W3LeafMatcher, "_next_block", "_goto")
    called(W3LeafMatcher, "_next_block", "_lastblock")
    for name in SET_BY_GOTO:  # our ``_goto`` replaces Whoosh's: the same fields
        called(W3LeafMatcher, "_goto", name)
    need(W3LeafMatcher, "W3LeafMatcher", "_read_ids", "_read_weights", "_read_values")
    # ``PostingArrays`` reads the rest of a term's blocks from its extent at once.
    for name in ("_postfile", "_startoffset", "_length", "_fixedsize", "_byteids"):
        called(W3LeafMatcher, "__init__", name)
    need(W3PostingsWriter, "W3PostingsWriter", "_new_block", "_write_block")
    # JoinedFieldWriter._write_term writes a one-block term as these write it.
    called(W3PostingsWriter, "__init__", "_byteids")
    called(W3PostingsWriter, "__init__", "_inlinelimit")
    called(W3PostingsWriter, "__init__", "_blocklimit")
    called(W3PostingsWriter, "__init__", "_compression")
    called(W3PostingsWriter, "finish_postings", "set_extent")
    called(W3FieldWriter, "__init__", "_postfile")
    called(W3FieldWriter, "start_field", "_fieldid")
    called(W3FieldWriter, "start_field", "_format")
    called(W3FieldWriter, "finish_term", "_tindex")
    called(W3FieldWriter, "finish_term", "_fieldid")
    # ``JoinedFieldWriter._add_term`` adds a term as Whoosh's ordered hash writer does.
    called(filetables.OrderedHashWriter, "add", "lastkey")
    called(filetables.OrderedHashWriter, "add", "index")
    called(filetables.HashWriter, "add", "hashfn")
    called(filetables.HashWriter, "add", "buckets")
    called(filetables.HashWriter, "add", "dbfile")
    lengths = getattr(filetables, "_lengths", None)
    if getattr(lengths, "format", None) != TERM_RECORD_LENGTHS.format:
        missing.append("whoosh.filedb.filetables._lengths as '!ii'")
    called(W3LeafMatcher, "_read_values", "_read_data")
    called(W3LeafMatcher, "_read_ids", "_read_data")
    called(W3LeafMatcher, "reset", "_goto")
    called(W3PostingsWriter, "add_posting", "_write_block")
    called(W3FieldWriter, "finish_term", "_postwriter")
    need(W3Codec(), "W3Codec", "_blocklimit", "_compression", "_inlinelimit")
    called(SegmentWriter, "__init__", "PostingPool")
    called(SegmentWriter, "_flush_segment", "iter_postings")
    called(SegmentWriter, "_flush_segment", "add_postings")
    need(SegmentWriter, "SegmentWriter", "_doc_boost", "_field_boost", "_check_fields")
    need(SegmentWriter, "SegmentWriter", "_check_state")
    need(whoosh.multiproc, "whoosh.multiproc", "SegmentWriter")
    # ``JoinedFieldWriter._write_term`` packs a term's info as Whoosh does.
    info = W3TermInfo(3.0, 2, 5, 300, 2.0, 1, 7)
    info.set_extent(100, 50)
    stats = (2.0, length_to_byte(5), length_to_byte(300))
    if info.to_bytes() != term_info_bytes(3.0, 2, stats, (1, 7), (100, 50)):
        missing.append("W3TermInfo.to_bytes as term_info_bytes")
    need(PostingPool, "PostingPool", "_new_run", "_open_run", "_remove_run")
    if not positions_layout_holds():
        missing.append("formats.Positions.encode as protocol 2 pickled deltas")
    try:
        _probe_instances(need)
    except Exception as exc:  # a release that cannot even build the probe index
        missing.append(f"a probe index ({type(exc).__name__}: {exc})")
    return InternalsStatus(tuple(missing))


def _probe_instances(need: Callable[..., None]) -> None:
    """The names that exist only on live objects: postings, columns, per-document data."""
    schema = Schema(
        text=TEXT(phrase=True),
        number=COLUMN(columns.NumericColumn("i")),
        words=COLUMN(columns.VarBytesColumn()),
    )
    # Whoosh keeps a RAM index's sorting files in "<indexname>.tmp" under the system temp
    # folder and removes it at commit: with the default name, processes starting at once
    # shared "MAIN.tmp" and one removed it under another (the probe failed).
    ix = RamStorage().create_index(schema, indexname=f"probe-{os.getpid()}-{secrets.token_hex(6)}")
    # Through the grouped pool and the block-at-a-time field writer, as the index is built.
    with pool_swapped(), GroupedSegmentWriter(ix, codec=JoinedValuesCodec()) as writer:
        writer.add_document(text="probe words probe", number=1, words=b"a")
        writer.add_document(text="probe", number=2, words=b"bc")
    with ix.searcher() as searcher:
        reader = searcher.reader()
        # The joined posting values must read back as the positions written.
        positions = reader.postings("text", "probe").items_as("positions")
        if list(positions) != [(0, [0, 2]), (1, [0])]:
            need(JoinedValuesCodec, "JoinedValuesCodec", "_positions_read_back")
        # The term info ``_write_term`` packs: document frequency, total weight, ids.
        stats = (reader.doc_frequency("text", "probe"), reader.frequency("text", "probe"))
        info = reader.term_info("text", "words")
        if stats != (2, 3.0) or (info.min_id(), info.max_id(), info.max_weight()) != (0, 0, 1.0):
            need(JoinedValuesCodec, "JoinedValuesCodec", "_term_info_read_back")
        need(reader, "SegmentReader", "_perdoc", "deleted_docs_set")
        need(getattr(reader, "_perdoc", None), "PerDocumentReader", "_cached_reader")
        leaf = _unwrapped(reader.postings("text", "probe"))
        need(leaf, "W3LeafMatcher", "_ids", "_weights", "_values", "_i", "_blocklength")
        need(leaf, "W3LeafMatcher", "_maxid", "_next_block", "_dataoffset", "_nextoffset")
        # positions.block_tail reads a block's values undecoded.
        need(leaf, "W3LeafMatcher", "_fixedsize", "_byteids", "_compression", "_data")
        numbers = reader.column_reader("number", translate=False)
        need(numbers, "NumericColumn.Reader", "_typecode", "_count", "_dbfile", "_basepos")
        words = reader.column_reader("words", translate=False)
        need(words, "VarBytesColumn.Reader", "_offsets", "_lengths", "_dbfile", "_basepos")
    # Spilled runs in our format come back merged by term, each list in order (three
    # spills and memory; longer runs in tests/test_index.py).
    with tempfile.TemporaryDirectory(prefix="paper-browser-probe-") as folder:
        pool = GroupedPostingPool(FileStorage(folder), None, limitmb=1)
        postings = [("text", bytes([n % 7]), n, 1.0, b"v") for n in range(12)]
        for at, posting in enumerate(postings):
            pool.add(posting)
            if at % 4 == 3:
                pool.spill()
        if list(pool.iter_postings()) != sorted(postings):
            need(GroupedPostingPool, "GroupedPostingPool", "_runs_read_back")


# -- hooks: our wrappers plugged into Whoosh's private extension points


class MatcherWrapper(WrappingMatcher):  # type: ignore[misc]
    """A wrapping matcher with state of its own: ``rewrap(child)`` makes the same wrapper
    around another child (Whoosh asks through ``_replacement`` when it rebuilds trees)."""

    def rewrap(self, child: Any) -> MatcherWrapper:
        raise NotImplementedError

    def _replacement(self, newchild: Any) -> MatcherWrapper:
        return self.rewrap(newchild)


class QueryWrapper(wq.WrappingQuery):  # type: ignore[misc]
    """A wrapping query with state of its own: ``rewrap(child)`` (Whoosh's ``_rewrap``)."""

    def rewrap(self, child: Any) -> QueryWrapper:
        raise NotImplementedError

    def _rewrap(self, child: Any) -> QueryWrapper:
        return self.rewrap(child)


class SpanFilterMatcher(SpanWrappingMatcher):  # type: ignore[misc]
    """Matches where the child does, keeping only the spans ``kept_spans`` keeps
    (Whoosh's ``_get_spans``); ``rewrap(child)`` as for ``MatcherWrapper``."""

    def rewrap(self, child: Any) -> SpanFilterMatcher:
        raise NotImplementedError

    def kept_spans(self, spans: list[Any]) -> list[Any]:
        raise NotImplementedError

    def _replacement(self, newchild: Any) -> SpanFilterMatcher:
        return self.rewrap(newchild)

    def _get_spans(self) -> list[Any]:
        return self.kept_spans(self.child.spans())


def compile_range(node: Any, reader: Any) -> Any:
    """A numeric range as the OR of trie terms Whoosh matches it by, for one segment."""
    return node._compile_query(reader)


def custom_field_b(weighting: Any, fieldname: str) -> bool:
    """Whether BM25F has a per-field B for ``fieldname`` (the fast scorer has none)."""
    return fieldname in weighting._field_B


# -- reading whole posting lists, lengths and columns


def deleted_set(reader: Any) -> frozenset[int] | set[int]:
    """The deleted document numbers of one segment."""
    if fast_path():
        return reader.deleted_docs_set  # type: ignore[no-any-return]
    return {docnum for docnum in range(reader.doc_count_all()) if reader.is_deleted(docnum)}


def field_lengths_in_memory(searcher: Any) -> None:
    """Serve each segment's field lengths from memory instead of one file read per call.

    BM25 asks for the length of the field in every document it scores; without mmap
    Whoosh answers each with a seek and a read on the lengths column, a fifth of the time
    of a search over common words. A segment holds one byte per document and field, so
    the whole column is read once (lazily, per field) and looked up from then on.
    """
    if not fast_path():
        return
    for subsearcher, _offset in searcher.leaf_searchers():
        segment = subsearcher.reader()
        perdoc = getattr(segment, "_perdoc", None)
        if perdoc is None or not hasattr(perdoc, "_cached_reader"):
            continue
        table = LengthTable(partial(length_column, perdoc, segment.doc_count_all()))
        # Searchers copy the reader's bound method when created: replace both.
        segment.doc_field_length = table
        subsearcher.doc_field_length = table


def positions_decoder(field: Any) -> Callable[[bytes], list[int]]:
    """The positions of one posting's value, as ``field.format.decode_positions`` gives
    them. For Whoosh's ``Positions`` format: its pickled deltas summed by
    ``itertools.accumulate`` (C) instead of a Python loop, a third of the time of a
    phrase or ``abstract:`` check over many postings."""
    fmt = field.format
    if not fast_path() or type(fmt) is not formats.Positions:
        return fmt.decode_positions  # type: ignore[no-any-return]
    skip = whoosh_system._INT_SIZE

    def decode(value: bytes) -> list[int]:
        if not value.endswith(b"."):
            value += b"."  # the posting writer drops the pickle's final STOP
        return list(accumulate(pickle.loads(value[skip:])))

    return decode


# ``Positions().encode`` of positions 3, 300 and 70000 and of position 5 as the
# array decoder (``positions.decode_positions``) reads them: a count, then the pickled
# deltas (one-, two- and four-byte ints) at protocol 2.
_POSITIONS_LAYOUT: Final = (
    ([3, 300, 70000], b"\x00\x00\x00\x03\x80\x02]q\x00(K\x03M)\x01JD\x10\x01\x00e."),
    ([5], b"\x00\x00\x00\x01\x80\x02]q\x00K\x05a."),
)


def positions_layout_holds() -> bool:
    """Whether Whoosh's ``Positions`` still encodes positions as the array decoder
    reads them (checked by the probe; numpy is not needed for it)."""
    fmt = formats.Positions()
    return all(fmt.encode(places) == encoded for places, encoded in _POSITIONS_LAYOUT)


def positions_in_arrays(field: Any) -> bool:
    """Whether a phrase over ``field`` can read its postings as arrays
    (``whoosh_internals.positions``): the fast path, and Whoosh's ``Positions`` format."""
    return fast_path() and type(field.format) is formats.Positions


def _unwrapped(matcher: Any) -> Any:
    while isinstance(matcher, FilterMatcher):
        matcher = matcher.child
    return matcher


def _leaf(matcher: Any) -> Any | None:
    """The block-reading matcher under a term's postings, or None for the public path."""
    leaf = _unwrapped(matcher)
    return leaf if fast_path() and isinstance(leaf, W3LeafMatcher) else None


def posting_parts(
    matcher: Any,
    part: str | None,
    check: Callable[[], None] | None = None,
    among: Sequence[int] | None = None,
) -> Iterator[tuple[Sequence[int], Sequence[Any], Sequence[Any]]]:
    """Each remaining block of a term's postings: its ids, weights if ``part`` is
    "weights" or "both", values if "values" or "both" (else empty), each decoded whole
    once (a phrase reads each block once for scores and positions). ``check`` (which may
    raise to stop) runs before each block, read or passed over. With ``among`` (sorted,
    segment-local document numbers), only the blocks that may hold one of them, to pick
    from in C: the others are passed over by their header (their last id), undecoded.
    Whoosh's ``skip_to`` walks inside a block a posting at a time in Python, slower than
    decoding the block. On the public path, a posting at a time (a skip to each)."""
    weights, values = part in ("weights", "both"), part in ("values", "both")
    leaf = _leaf(matcher)
    if leaf is None:
        yield from _public_blocks(_unwrapped(matcher), weights, values, check, among)
        return
    at = 0
    while leaf.is_active():
        if check is not None:
            check()
        if among is not None:
            if at >= len(among):
                return
            if among[at] > leaf._maxid:
                leaf._next_block()
                continue
        if leaf._ids is None:
            leaf._read_ids()
        if weights and leaf._weights is None:
            leaf._read_weights()
        if values and leaf._values is None:
            leaf._read_values()
        start = leaf._i
        yield (
            leaf._ids[start:],
            leaf._weights[start:] if weights else (),
            leaf._values[start:] if values else (),
        )
        if among is not None:
            at = bisect_right(among, leaf._maxid, at)
        leaf._i = leaf._blocklength - 1
        leaf.next()


def _public_blocks(
    matcher: Any,
    weights: bool,
    values: bool,
    check: Callable[[], None] | None,
    among: Sequence[int] | None,
) -> Iterator[tuple[Sequence[int], Sequence[Any], Sequence[Any]]]:
    """``_blocks`` through Whoosh's public matcher API, one posting a block."""
    wanted = iter(among) if among is not None else None
    while matcher.is_active():
        if check is not None:
            check()
        if wanted is not None:
            target = next(wanted, None)
            if target is None:
                return
            if matcher.id() < target:
                matcher.skip_to(target)
            if not matcher.is_active():
                return
            if matcher.id() != target:
                continue
        yield (
            (matcher.id(),),
            (matcher.weight(),) if weights else (),
            (matcher.value(),) if values else (),
        )
        matcher.next()


def posting_values(matcher: Any, among: set[int] | None = None) -> Iterator[tuple[int, bytes]]:
    """(document number, encoded positions) of one term's postings, a block at a time;
    only those whose number is in ``among`` if given (picked in C, a block at once)."""
    for ids, _, values in posting_parts(matcher, "values"):
        pairs = zip(ids, values, strict=True)
        yield from pairs if among is None else compress(pairs, map(among.__contains__, ids))


def posting_blocks(
    matcher: Any, check: Callable[[], None] | None = None
) -> Iterator[tuple[Sequence[int], Sequence[float]]]:
    """Document numbers and weights of one term's postings from the matcher's place on,
    a decoded block at a time (deleted ones included); ``check`` (which may raise to
    stop) runs before each block."""
    for ids, weights, _ in posting_parts(matcher, "weights", check):
        yield ids, weights


def whole_postings(
    matcher: Any, check: Callable[[], None] | None = None
) -> tuple[Sequence[int], Sequence[float]]:
    """All document numbers and weights of one term's postings (deleted ones included);
    ``check`` (which may raise to stop) runs before each block."""
    ids: list[int] = []
    weights: list[float] = []
    for block_ids, block_weights, _ in posting_parts(matcher, "weights", check):
        ids.extend(block_ids)
        weights.extend(block_weights)
    return ids, weights


def posting_ids(matcher: Any, check: Callable[[], None] | None = None) -> set[int]:
    """The document numbers of one term's postings, a decoded block at a time; ``check``
    (which may raise to stop) runs before each block. Deleted documents are not filtered
    here (the caller removes them once)."""
    ids: set[int] = set()
    for block_ids, _, _ in posting_parts(matcher, None, check):
        ids.update(block_ids)
    return ids


def int_column(searcher: Any, name: str, default: int) -> array[int]:
    """An integer column of every document of every segment, in document order."""
    values: array[int] = array("i")
    for subsearcher, _offset in searcher.leaf_searchers():
        reader = subsearcher.reader()
        count = reader.doc_count_all()
        if not count:  # an index without documents (EmptyReader) has no columns
            continue
        column = reader.column_reader(name, translate=False)
        if (
            fast_path()
            and isinstance(column, columns.NumericColumn.Reader)
            and column._typecode == "i"
        ):
            # The values are stored as consecutive big-endian ints: one read.
            stored = min(count, column._count)
            chunk = array("i", column._dbfile.get(column._basepos, 4 * stored))
            if sys.byteorder == "little":
                chunk.byteswap()
            chunk.extend([default] * (count - stored))
        else:
            chunk = array("i", (int(column[d]) for d in range(count)))
        values.extend(chunk)
    return values


def bytes_column(searcher: Any, name: str) -> list[bytes]:
    """A bytes column of every document of every segment, in document order."""
    values: list[bytes] = []
    for subsearcher, _offset in searcher.leaf_searchers():
        reader = subsearcher.reader()
        if not reader.doc_count_all():  # an index without documents has no columns
            continue
        column = reader.column_reader(name, translate=False)
        if (
            fast_path()
            and isinstance(column, columns.VarBytesColumn.Reader)
            and len(column._lengths)
        ):
            # One read of the whole column, then slices (not a read call per value).
            offsets, lengths = column._offsets, column._lengths
            data = column._dbfile.get(column._basepos, offsets[-1] + lengths[-1])
            loaded = [data[o : o + n] for o, n in zip(offsets, lengths, strict=True)]
        else:
            loaded = list(column.load())
        values.extend(loaded[: reader.doc_count_all()])
        values.extend([b""] * (reader.doc_count_all() - len(loaded)))
    return values


STATUS: InternalsStatus = probe()


def fast_path() -> bool:
    """Whether the private names are all there (read at each call: tests swap ``STATUS``)."""
    return STATUS.fast
