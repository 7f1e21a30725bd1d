"""Whoosh's posting pool and segment writer, a segment's postings grouped by term.

Part of ``whoosh_internals`` (``postings`` swaps these in for Whoosh's own; the probe
checks the private names). A build sends each posting (field, term, document, weight,
positions) through Whoosh's posting pool: an external sort of one tuple per posting
(sorted, pickled to run files, read back and merged a posting at a time).
``GroupedPostingPool`` keeps the postings grouped by term as they come (documents arrive
in order, so each term's list is already sorted) and sorts only the terms;
``GroupedSegmentWriter`` hands it a document's postings a field at a time.
"""

from __future__ import annotations

import contextlib
import heapq
import pickle
from array import array
from collections.abc import Callable, Iterable, Iterator
from itertools import islice, repeat
from operator import itemgetter, lt
from typing import Any, Final

from whoosh.fields import KEYWORD, NUMERIC
from whoosh.writing import PostingPool, SegmentWriter

# What one pooled posting holds, about: a document number, a weight, a reference to its
# value, and its share of its term's group.
_POSTING_BYTES: Final = 48
# Groups per pickled list in a spilled run.
_RUN_CHUNK: Final = 2048
# Fields whose postings are a function of the value alone (Whoosh's numbers, dates and
# keywords), and whose values repeat from paper to paper (a year, a day, which optional
# fields a paper has): ``GroupedSegmentWriter`` indexes each distinct value once.
_REPEATING: Final = (NUMERIC, KEYWORD)
# Distinct values remembered per field; a field with more (unique values, such as arXiv
# ids) is indexed value by value again from then on.
_REMEMBERED_MAX: Final = 4096
_FIRST: Final[dict[Any, tuple[Any, ...]]] = {}  # a field not seen yet (never filled)
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
            # A boost is 1.0 but for a field or document that asks for one.
            group[1].append(weight if boost == 1.0 else weight * boost)
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

    # Set by the first ``add_document``: whether Whoosh's own must add documents.
    _whooshs: bool | None = None
    # Field name -> value -> its postings (``_REPEATING`` fields).
    _indexed: dict[str, dict[Any, tuple[Any, ...]] | None] | None = None

    def add_document(self, **fields: Any) -> None:
        pool = self.pool
        schema = self.schema
        if self._whooshs is None:
            # Checked once, not per document: Whoosh's writer refuses schema changes
            # once a document is added.
            self._whooshs = not isinstance(pool, GroupedPostingPool) or any(
                field.vector or field.separate_spelling() for field in schema
            )
            self._indexed = {}
        if self._whooshs:
            super().add_document(**fields)
            return
        self._check_state()
        perdocwriter = self.perdocwriter
        docnum = self.docnum
        docboost = self._doc_boost(fields)
        fieldnames = sorted(name for name in fields if not name.startswith("_"))
        self._check_fields(schema, fieldnames)
        # No ``_boost``, ``_NAME_boost`` or ``_stored_NAME`` (the index passes none).
        plain = len(fieldnames) == len(fields)
        perdocwriter.start_doc(docnum)
        try:
            for fieldname in fieldnames:
                value = fields.get(fieldname)
                if value is None:
                    continue
                field = schema[fieldname]
                length = 0
                if field.indexed:
                    fieldboost = (
                        docboost if plain else self._field_boost(fields, fieldname, docboost)
                    )
                    items = self._postings(fieldname, field, value)
                    length = pool.add_field(fieldname, docnum, items, fieldboost)
                    if not field.scorable:
                        length = 0
                customval = value if plain else fields.get(f"_stored_{fieldname}", value)
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

    def _postings(self, fieldname: str, field: Any, value: Any) -> Iterable[Any]:
        """``field.index(value)``; for a ``_REPEATING`` field the postings of a value
        indexed before (Whoosh's analysis of a date or a keyword list costs as much as
        placing a whole abstract's terms). Values are told apart by type too (``1`` and
        ``True`` are equal keys)."""
        indexed = self._indexed
        if indexed is None or not isinstance(field, _REPEATING):
            return field.index(value)  # type: ignore[no-any-return]
        known = indexed.get(fieldname, _FIRST)
        if known is None:  # the field's values do not repeat enough
            return field.index(value)  # type: ignore[no-any-return]
        if known is _FIRST:
            known = indexed[fieldname] = {}
        key = (value.__class__, value)
        try:
            items = known.get(key)
        except TypeError:  # unhashable: several values in a list
            return field.index(value)  # type: ignore[no-any-return]
        if items is None:
            items = tuple(field.index(value))
            if len(known) < _REMEMBERED_MAX:
                known[key] = items
            else:
                indexed[fieldname] = None
        return items


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
