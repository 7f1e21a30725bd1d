"""A term's entry in a segment's terms table, as ``W3TermInfo.to_bytes`` packs it.

Part of ``whoosh_internals`` (the probe checks both layouts against Whoosh's own term
info). ``JoinedFieldWriter._write_term`` packs a term's info itself, without a term
info object per term; a term with fewer postings than the codec's ``inlinelimit`` has
them inlined in its info (Whoosh reads them back as a ``ListMatcher``), pickled at the
newest protocol (``JoinedTermInfo``).
"""

from __future__ import annotations

import pickle
import struct
from typing import Final

from whoosh.codec.whoosh3 import W3TermInfo
from whoosh.util.numeric import length_to_byte

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


# A term info with its postings inlined: the same fields, flagged inlined, then the
# pickle of (ids, weights, values), which ``W3TermInfo.from_bytes`` unpickles whatever
# its protocol. Whoosh pickles them at protocol 2 (each value a ``_codecs.encode`` call:
# 85 bytes for a one-posting term, 48 at the newest, and five times slower both ways).
_INLINED_INFO: Final = struct.Struct("!BfIBBfII")
FIELDS_BEFORE_INLINED: Final = _INLINED_INFO.size


def inlined_term_info_bytes(
    weight: float,
    df: int,
    stats: tuple[float, int, int],
    span: tuple[int, int],
    postings: tuple[tuple[int, ...], tuple[float, ...], tuple[bytes, ...]],
) -> bytes:
    """The terms table's value for a term whose postings are inlined (``postings``:
    its ids, weights and non-empty values, as ``W3TermInfo.set_inlined`` keeps them),
    as ``JoinedTermInfo.to_bytes`` packs it (checked against Whoosh's by the probe)."""
    maxweight, shortest, longest = stats
    fields = _INLINED_INFO.pack(True, weight, df, shortest, longest, maxweight, *span)
    return fields + pickle.dumps(postings, pickle.HIGHEST_PROTOCOL)


class JoinedTermInfo(W3TermInfo):  # type: ignore[misc]
    """Whoosh's term info; inlined postings pickled at the newest protocol
    (``inlined_term_info_bytes``), which Whoosh's ``from_bytes`` reads as its own."""

    def to_bytes(self) -> bytes:
        if self._inlined is None:
            return super().to_bytes()  # type: ignore[no-any-return]
        shortest = 0 if self._minlength is None else length_to_byte(self._minlength)
        stats = (self._maxweight, shortest, length_to_byte(self._maxlength))
        span = (self._minid, self._maxid)
        return inlined_term_info_bytes(self._weight, self._df, stats, span, self._inlined)
