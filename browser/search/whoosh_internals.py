"""Every use of Whoosh's private names, in one place, each with Whoosh's public way beside it.

Whoosh's public path reads a posting, a stored length or a column value one Python call
at a time. The fast path reads whole posting blocks, length tables and column files at
once, and hooks our query and matcher wrappers into Whoosh's private extension points.
No other module reads, calls or overrides a Whoosh name that starts with ``_``
(``docs/architecture.md``, "Whoosh internals").

At import ``probe()`` checks, on a tiny index in memory, that every private name used
here exists in the installed Whoosh. If one is missing, ``fast_path()`` is False and each
caller takes Whoosh's public path instead: slower, the same answers
(``tests/test_search_oracle.py``). ``STATUS.message`` says so in one sentence, for the
app's status line and ``paper-browser doctor``.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import secrets
import sys
import tempfile
from array import array
from collections.abc import Callable, Iterable, Iterator, Sequence
from functools import partial
from itertools import accumulate, compress, islice
from typing import Any, Final

import whoosh.writing
from whoosh import columns, formats
from whoosh import query as wq
from whoosh import system as whoosh_system
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, W3Codec, W3LeafMatcher, W3PostingsWriter
from whoosh.externalsort import SortingPool
from whoosh.fields import COLUMN, TEXT, Schema
from whoosh.filedb.filestore import FileStorage, RamStorage
from whoosh.matching.wrappers import FilterMatcher, WrappingMatcher
from whoosh.query.spans import SpanWrappingMatcher
from whoosh.scoring import BM25F
from whoosh.writing import PostingPool, SegmentWriter

from browser.search.internals_status import InternalsStatus
from browser.search.lengths import LengthTable


def probe() -> InternalsStatus:
    """Check every private name this module uses against the installed Whoosh."""
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
    need(W3LeafMatcher, "W3LeafMatcher", "_read_ids", "_read_weights", "_read_values")
    called(W3PostingsWriter, "_write_block", "_mini_values")
    called(W3LeafMatcher, "_read_values", "_read_data")
    need(W3Codec(), "W3Codec", "_blocklimit", "_compression", "_inlinelimit")
    called(SegmentWriter, "__init__", "PostingPool")
    called(SortingPool, "save", "_write_run")
    need(PostingPool, "PostingPool", "_read_run", "_open_run", "_remove_run")
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
    # Whoosh's writer keeps its sorting files in "<indexname>.tmp" under the system temp
    # folder even for a RAM index, and removes that folder when it commits; with the
    # default name every process starting at the same moment shares "MAIN.tmp" and one
    # removes it under another, which made the probe fail and the search fall back.
    ix = RamStorage().create_index(schema, indexname=f"probe-{os.getpid()}-{secrets.token_hex(6)}")
    with ix.writer(codec=JoinedValuesCodec()) as writer:
        writer.add_document(text="probe words probe", number=1, words=b"a")
        writer.add_document(text="probe", number=2, words=b"bc")
    with ix.searcher() as searcher:
        reader = searcher.reader()
        # The joined posting values must read back as the positions written.
        positions = reader.postings("text", "probe").items_as("positions")
        if list(positions) != [(0, [0, 2]), (1, [0])]:
            need(JoinedValuesCodec, "JoinedValuesCodec", "_positions_read_back")
        need(reader, "SegmentReader", "_perdoc", "deleted_docs_set")
        need(getattr(reader, "_perdoc", None), "PerDocumentReader", "_cached_reader")
        leaf = _unwrapped(reader.postings("text", "probe"))
        need(leaf, "W3LeafMatcher", "_ids", "_weights", "_values", "_i", "_blocklength")
        numbers = reader.column_reader("number", translate=False)
        need(numbers, "NumericColumn.Reader", "_typecode", "_count", "_dbfile", "_basepos")
        words = reader.column_reader("words", translate=False)
        need(words, "VarBytesColumn.Reader", "_offsets", "_lengths", "_dbfile", "_basepos")
    # Sorting runs in our format come back merged, in order (two runs, one merge;
    # longer runs, in chunks, in tests/test_index.py).
    with tempfile.TemporaryDirectory(prefix="paper-browser-probe-") as folder:
        pool = ChunkedPostingPool(FileStorage(folder), None, limitmb=1)
        postings = [("text", bytes([n % 7]), n, 1.0, b"v") for n in range(12)]
        for posting in postings[::2]:
            pool.add(posting)
        pool.save()
        for posting in postings[1::2]:
            pool.add(posting)
        if list(pool.items()) != sorted(postings):
            need(ChunkedPostingPool, "ChunkedPostingPool", "_runs_read_back")


# -- the postings layout

# Recorded beside the index (``schema.write_version``): an index written with another
# layout is rebuilt, never read with the wrong matcher.
JOINED_VALUES: Final = "joined-values"
WHOOSH_VALUES: Final = "whoosh"


class JoinedValuesWriter(W3PostingsWriter):  # type: ignore[misc]
    """Whoosh's postings writer, with a block's variable-length values (encoded
    positions) stored as their lengths and one joined byte string.

    Whoosh pickles a block's values as a tuple of bytes at pickle protocol 2, which has
    no bytes opcode: each value becomes a call of ``_codecs.encode`` on a latin-1 string,
    about 18 bytes of framing a posting, with memo numbers that defeat zlib. Joined, the
    text field's postings take 46% less room (10k papers: 19.1 -> 10.4 MiB). Whoosh's
    public way has no hook for this (``_mini_values`` is private).
    """

    def _mini_values(self) -> Any:
        fixed = self._format.fixed_value_size()
        if self._byteids or (fixed is not None and fixed >= 0):
            return super()._mini_values()
        values = self._values
        return tuple(map(len, values)), b"".join(values)


class JoinedValuesMatcher(W3LeafMatcher):  # type: ignore[misc]
    """Reads the blocks ``JoinedValuesWriter`` wrote (values split back by their lengths)."""

    def _read_values(self) -> None:
        fixed = self._fixedsize
        if fixed is not None and fixed >= 0:
            super()._read_values()
            return
        if self._data is None:
            self._read_data()
        lengths, joined = self._data[2]
        ends = list(accumulate(lengths))
        self._values = tuple(map(joined.__getitem__, map(slice, [0, *ends], ends)))


class JoinedValuesCodec(W3Codec):  # type: ignore[misc]
    """Whoosh's codec with ``JoinedValuesWriter`` and ``JoinedValuesMatcher`` for term
    postings (term vectors, which the index does not keep, stay as Whoosh writes them).
    Each segment keeps its codec, so Whoosh reads a segment as it was written."""

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
            partial(_length_column, reader, segment.doc_count_all())
        )
        return reader


# Postings per pickled list in a sorting run: large enough that the per-call cost of
# pickle vanishes, small enough that merging a dozen runs holds little in memory.
_RUN_CHUNK: Final = 2048


class ChunkedPostingPool(PostingPool):  # type: ignore[misc]
    """Whoosh's posting pool with its sorted runs written as pickled lists of postings at
    the newest protocol, not one protocol-2 pickle per posting: every posting of a build
    is written to a run and read back once, and protocol 2 turns each of its two byte
    strings into a ``_codecs.encode`` call (a sixth of a build's time at 10k papers).
    Whoosh's public way has no hook for the run format (``_write_run``/``_read_run``)."""

    def _write_run(self, f: Any, items: Iterable[Any]) -> None:
        dump = pickle.dump
        if isinstance(items, list):
            for start in range(0, len(items), _RUN_CHUNK):
                dump(items[start : start + _RUN_CHUNK], f, pickle.HIGHEST_PROTOCOL)
        else:
            iterator = iter(items)
            while batch := list(islice(iterator, _RUN_CHUNK)):
                dump(batch, f, pickle.HIGHEST_PROTOCOL)
        f.close()

    def _read_run(self, path: str) -> Iterator[Any]:
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


@contextlib.contextmanager
def chunked_posting_runs() -> Iterator[None]:
    """Writers made inside use ``ChunkedPostingPool`` (and so do the worker processes
    they fork). Whoosh's ``SegmentWriter`` names ``PostingPool`` from its module, so the
    name is swapped there for the time of one write; one writer runs at a time (the index
    lock), and on Whoosh's public path nothing is swapped."""
    if not fast_path():
        yield
        return
    original = whoosh.writing.PostingPool
    whoosh.writing.PostingPool = ChunkedPostingPool
    try:
        yield
    finally:
        whoosh.writing.PostingPool = original


def postings_layout() -> str:
    """How this process writes postings: joined values on the fast path, else Whoosh's."""
    return JOINED_VALUES if fast_path() else WHOOSH_VALUES


def index_codec() -> Any:
    """The codec for every writer of the index (``postings_layout``)."""
    return JoinedValuesCodec() if fast_path() else W3Codec()


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
        table = LengthTable(partial(_length_column, perdoc, segment.doc_count_all()))
        # Searchers copy the reader's bound method when created: replace both.
        segment.doc_field_length = table
        subsearcher.doc_field_length = table


def length_table(subsearcher: Any, fieldname: str) -> list[int | None] | None:
    """A segment's length of ``fieldname`` per document, if held in memory."""
    lengths = subsearcher.doc_field_length
    return lengths.table(fieldname) if isinstance(lengths, LengthTable) else None


def length_norms(
    subsearcher: Any, fieldname: str, k1: float, b: float, avgfl: float
) -> array[float] | None:
    """BM25's length part ``k1 * (1 - b + b * fl / avgfl)`` per document of a segment
    (``fl`` its length of ``fieldname``, 1 when unknown), if the lengths are in memory.

    The same for every term of the field: worked out once per segment, field and
    statistics (a new commit has new segments or a new average), not per posting.
    """
    lengths = subsearcher.doc_field_length
    if not isinstance(lengths, LengthTable):
        return None
    return lengths.norms(fieldname, k1, b, avgfl)


def _length_column(perdoc: Any, doccount: int, fieldname: str) -> bytes | None:
    """A segment's length bytes of ``fieldname``, one per document, read at once."""
    column = perdoc._cached_reader(f"_{fieldname}_len", LENGTHS_COLUMN)
    if not isinstance(column, columns.NumericColumn.Reader) or column._typecode != "B":
        return None
    stored = min(doccount, column._count)
    return bytes(column._dbfile.get(column._basepos, stored)) + bytes(doccount - stored)


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


def _unwrapped(matcher: Any) -> Any:
    while isinstance(matcher, FilterMatcher):
        matcher = matcher.child
    return matcher


def _leaf(matcher: Any) -> Any | None:
    """The block-reading matcher under a term's postings, or None for the public path."""
    leaf = _unwrapped(matcher)
    return leaf if fast_path() and isinstance(leaf, W3LeafMatcher) else None


def _blocks(
    leaf: Any, part: str | None, check: Callable[[], None] | None = None
) -> Iterator[tuple[Sequence[int], Sequence[Any]]]:
    """Each remaining block of a leaf matcher: its ids and its ``part`` ("weights" or
    "values"), decoded whole. ``check`` runs before each block is read."""
    while leaf.is_active():
        if check is not None:
            check()
        if leaf._ids is None:
            leaf._read_ids()
        start = leaf._i
        extra: Sequence[Any] = ()
        if part == "weights":
            if leaf._weights is None:
                leaf._read_weights()
            extra = leaf._weights[start:]
        elif part == "values":
            if leaf._values is None:
                leaf._read_values()
            extra = leaf._values[start:]
        yield leaf._ids[start:], extra
        leaf._i = leaf._blocklength - 1
        leaf.next()


def posting_triples(
    matcher: Any,
) -> Iterator[tuple[Sequence[int], Sequence[float], Sequence[bytes]]]:
    """(document numbers, weights, encoded positions) of one term's postings, a decoded
    block at a time (one posting at a time on the public path): a phrase needs all three,
    and each block is then decompressed and unpickled once instead of twice."""
    leaf = _leaf(matcher)
    if leaf is None:
        matcher = _unwrapped(matcher)
        while matcher.is_active():
            yield (matcher.id(),), (matcher.weight(),), (matcher.value(),)
            matcher.next()
        return
    while leaf.is_active():
        if leaf._ids is None:
            leaf._read_ids()
        if leaf._weights is None:
            leaf._read_weights()
        if leaf._values is None:
            leaf._read_values()
        start = leaf._i
        yield leaf._ids[start:], leaf._weights[start:], leaf._values[start:]
        leaf._i = leaf._blocklength - 1
        leaf.next()


def posting_values(matcher: Any, among: set[int] | None = None) -> Iterator[tuple[int, bytes]]:
    """(document number, encoded positions) of one term's postings, a block at a time;
    only those whose number is in ``among`` if given (picked in C, a block at once)."""
    leaf = _leaf(matcher)
    if leaf is None:
        matcher = _unwrapped(matcher)
        while matcher.is_active():
            if among is None or matcher.id() in among:
                yield matcher.id(), matcher.value()
            matcher.next()
        return
    for ids, values in _blocks(leaf, "values"):
        pairs = zip(ids, values, strict=True)
        yield from pairs if among is None else compress(pairs, map(among.__contains__, ids))


def posting_blocks(
    matcher: Any, check: Callable[[], None] | None = None
) -> Iterator[tuple[Sequence[int], Sequence[float]]]:
    """Document numbers and weights of one term's postings from the matcher's place on,
    a decoded block at a time (deleted ones included); ``check`` (which may raise to
    stop) runs before each block. On the public path, a posting at a time."""
    leaf = _leaf(matcher)
    if leaf is None:
        matcher = _unwrapped(matcher)
        while matcher.is_active():
            if check is not None:
                check()
            yield (matcher.id(),), (matcher.weight(),)
            matcher.next()
        return
    yield from _blocks(leaf, "weights", check)


def whole_postings(
    matcher: Any, check: Callable[[], None] | None = None
) -> tuple[Sequence[int], Sequence[float]]:
    """All document numbers and weights of one term's postings (deleted ones included);
    ``check`` (which may raise to stop) runs before each block."""
    leaf = _leaf(matcher)
    ids: list[int] = []
    weights: list[float] = []
    if leaf is None:
        matcher = _unwrapped(matcher)
        while matcher.is_active():
            ids.append(matcher.id())
            weights.append(matcher.weight())
            matcher.next()
        return ids, weights
    for block_ids, block_weights in _blocks(leaf, "weights", check):
        ids.extend(block_ids)
        weights.extend(block_weights)
    return ids, weights


def posting_ids(matcher: Any, check: Callable[[], None] | None = None) -> set[int]:
    """The document numbers of one term's postings, a decoded block at a time; ``check``
    (which may raise to stop) runs before each block. Deleted documents are not filtered
    here (the caller removes them once)."""
    leaf = _leaf(matcher)
    if leaf is None:
        return set(_unwrapped(matcher).all_ids())
    ids: set[int] = set()
    for block_ids, _ in _blocks(leaf, None, check):
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
