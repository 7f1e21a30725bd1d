"""Field lengths per document held in memory, and BM25's length part worked out from them.

Pure: the length bytes of a segment's column are read by ``whoosh_internals`` (one read
per field instead of one seek and read per posting), decoded here as Whoosh decodes them.
"""

from __future__ import annotations

from array import array
from collections.abc import Callable
from typing import Any, Final

from whoosh.util.numeric import byte_to_length

# Same answers as Whoosh's reader, including None for a zero length byte.
_LENGTH_OF_BYTE: Final = [byte_to_length(b) if b else None for b in range(256)]


class LengthTable:
    """``doc_field_length`` of one segment, from whole length columns read once per field.

    ``read(fieldname)`` gives the column's length bytes, one per document (None when the
    field keeps no lengths in that form).
    """

    def __init__(self, read: Callable[[str], bytes | None]) -> None:
        self._read = read
        self._tables: dict[str, list[int | None] | None] = {}
        self._norms: dict[tuple[str, float, float, float], array[float] | None] = {}

    def __call__(self, docnum: int, fieldname: str, default: int = 0) -> int | None:
        table = self.table(fieldname)
        if table is None or docnum >= len(table):
            return int(default)
        return table[docnum]

    def table(self, fieldname: str) -> list[int | None] | None:
        if fieldname not in self._tables:
            raw = self._read(fieldname)
            self._tables[fieldname] = None if raw is None else [_LENGTH_OF_BYTE[b] for b in raw]
        return self._tables[fieldname]

    def norms(self, fieldname: str, k1: float, b: float, avgfl: float) -> array[float] | None:
        """BM25's ``k1 * (1 - b + b * fl / avgfl)`` per document (``fl`` 1 when unknown)."""
        key = (fieldname, k1, b, avgfl)
        if key not in self._norms:
            table = self.table(fieldname)
            one_minus_b = 1 - b
            # Whoosh's bm25() denominator, the same operations in the same order.
            self._norms[key] = (
                None
                if table is None
                else array("d", [k1 * (one_minus_b + b * (fl or 1) / avgfl) for fl in table])
            )
        return self._norms[key]


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


def bm25_statistics(
    searcher: Any, fieldname: str, tbytes: bytes
) -> tuple[float, float, float, float]:
    """idf, avgfl, B and K1 of a term as Whoosh's ``BM25FScorer`` takes them from the
    top-level searcher (every segment shares them); ``avgfl`` 1 for an empty field."""
    idf = searcher.idf(fieldname, tbytes)
    avgfl = searcher.avg_field_length(fieldname) or 1
    return idf, avgfl, searcher.weighting.B, searcher.weighting.K1
