"""Every use of Whoosh's private names, in one place.

Whoosh's public path reads a posting, a stored length or a column value one Python call
at a time. The fast path here reads whole posting blocks, column files and length
tables at once.
"""

from __future__ import annotations

import sys
from array import array
from collections.abc import Iterator, Sequence
from typing import Any, Final

from whoosh import columns
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, W3LeafMatcher
from whoosh.matching.wrappers import FilterMatcher
from whoosh.util.numeric import byte_to_length

from browser.search.stopping import NO_STOP, Stop

_LENGTH_OF_BYTE: Final = [byte_to_length(b) if b else None for b in range(256)]


def field_lengths_in_memory(searcher: Any) -> None:
    """Serve each segment's field lengths from memory instead of one file read per call.

    BM25 asks for the length of the field in every document it scores; without mmap
    Whoosh answers each with a seek and a read on the lengths column, a fifth of the time
    of a search over common words. A segment holds one byte per document and field, so
    the whole column is read once (lazily, per field) and looked up from then on.
    """
    for subsearcher, _offset in searcher.leaf_searchers():
        segment = subsearcher.reader()
        perdoc = getattr(segment, "_perdoc", None)
        if perdoc is None or not hasattr(perdoc, "_cached_reader"):
            continue
        table = LengthTable(perdoc, segment.doc_count_all())
        # Searchers copy the reader's bound method when created: replace both.
        segment.doc_field_length = table
        subsearcher.doc_field_length = table


class LengthTable:
    def __init__(self, perdoc: Any, doccount: int) -> None:
        self._perdoc = perdoc
        self._doccount = doccount
        self._tables: dict[str, list[int | None] | None] = {}

    def __call__(self, docnum: int, fieldname: str, default: int = 0) -> int | None:
        if fieldname not in self._tables:
            self._tables[fieldname] = self._load(fieldname)
        table = self._tables[fieldname]
        if table is None or docnum >= len(table):
            return int(default)
        return table[docnum]

    def table(self, fieldname: str) -> list[int | None] | None:
        if fieldname not in self._tables:
            self._tables[fieldname] = self._load(fieldname)
        return self._tables[fieldname]

    def _load(self, fieldname: str) -> list[int | None] | None:
        column = self._perdoc._cached_reader(f"_{fieldname}_len", LENGTHS_COLUMN)
        if not isinstance(column, columns.NumericColumn.Reader) or column._typecode != "B":
            return None
        stored = min(self._doccount, column._count)
        raw = bytes(column._dbfile.get(column._basepos, stored)) + bytes(self._doccount - stored)
        # Same answers as Whoosh's reader, including None for a zero length byte.
        return [_LENGTH_OF_BYTE[b] for b in raw]


def posting_values(matcher: Any) -> Iterator[tuple[int, bytes]]:
    """(document number, encoded positions) of one term's postings, a block at a time."""
    while isinstance(matcher, FilterMatcher):
        matcher = matcher.child
    if not isinstance(matcher, W3LeafMatcher):
        while matcher.is_active():
            yield matcher.id(), matcher.value()
            matcher.next()
        return
    while matcher.is_active():
        if matcher._ids is None:
            matcher._read_ids()
        if matcher._values is None:
            matcher._read_values()
        start = matcher._i
        yield from zip(matcher._ids[start:], matcher._values[start:], strict=True)
        matcher._i = matcher._blocklength - 1
        matcher.next()


def whole_postings(matcher: Any) -> tuple[Sequence[int], Sequence[float]]:
    """All document numbers and weights of one term's postings (deleted ones included)."""
    while isinstance(matcher, FilterMatcher):
        matcher = matcher.child
    ids: list[int] = []
    weights: list[float] = []
    if not isinstance(matcher, W3LeafMatcher):
        while matcher.is_active():
            ids.append(matcher.id())
            weights.append(matcher.weight())
            matcher.next()
        return ids, weights
    while matcher.is_active():
        if matcher._ids is None:
            matcher._read_ids()
        if matcher._weights is None:
            matcher._read_weights()
        start = matcher._i
        ids.extend(matcher._ids[start:])
        weights.extend(matcher._weights[start:])
        matcher._i = matcher._blocklength - 1
        matcher.next()
    return ids, weights


def posting_ids(matcher: Any, stop: Stop = NO_STOP) -> set[int]:
    """The document numbers of one term's postings, a decoded block at a time.

    Deleted documents are not filtered here (the caller removes them once).
    """
    while isinstance(matcher, FilterMatcher):
        matcher = matcher.child
    if not isinstance(matcher, W3LeafMatcher):
        return set(matcher.all_ids())
    ids: set[int] = set()
    while matcher.is_active():
        stop.check()
        if matcher._ids is None:
            matcher._read_ids()
        ids.update(matcher._ids[matcher._i :])
        matcher._i = matcher._blocklength - 1
        matcher.next()
    return ids


def int_column(searcher: Any, name: str, default: int) -> array[int]:
    values: array[int] = array("i")
    for subsearcher, _offset in searcher.leaf_searchers():
        reader = subsearcher.reader()
        count = reader.doc_count_all()
        column = reader.column_reader(name, translate=False)
        if isinstance(column, columns.NumericColumn.Reader) and column._typecode == "i":
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
    values: list[bytes] = []
    for subsearcher, _offset in searcher.leaf_searchers():
        reader = subsearcher.reader()
        column = reader.column_reader(name, translate=False)
        if isinstance(column, columns.VarBytesColumn.Reader) and len(column._lengths):
            # One read of the whole column, then slices (not a read call per value).
            offsets, lengths = column._offsets, column._lengths
            data = column._dbfile.get(column._basepos, offsets[-1] + lengths[-1])
            loaded = [data[o : o + n] for o, n in zip(offsets, lengths, strict=True)]
        else:
            loaded = list(column.load())
        values.extend(loaded[: reader.doc_count_all()])
        values.extend([b""] * (reader.doc_count_all() - len(loaded)))
    return values
