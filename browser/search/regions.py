"""Which documents hold a term inside one region of the text field (``abstract:``).

The text field holds the title, the abstract and the names in regions ``REGION``
positions apart (``schema``), so ``abstract:word`` is the word's text postings kept to
those with a position in the abstract's region. Decoding every posting's positions one
``pickle.loads`` at a time was nearly all of such a query: ``abstract:language`` has
41,621 postings at 100k papers and took 274 ms.

Most postings are answered by their weights instead, without positions. The title is
also its own field, holding exactly the text field's first region (``document_for``
hands both fields the same analysed terms, so stop words, stems, compounds and the
Unicode pipeline cannot differ), and the text field weighs a term ``TITLE_WEIGHT``
times in the first region and once elsewhere. So a document's text weight minus
``TITLE_WEIGHT`` times its title weight is how often the term stands in the abstract
and the names region together. Zero: not in the abstract. Above zero in a paper with no
organisation, author names or keywords (its names region is empty: the ``has`` terms
``NAMES_REGION_PRESENCE`` say which papers have one): in the abstract. Only the rest
(above zero, names present) have their positions decoded, as arrays
(``whoosh_internals.positions``) on the numpy path, else one at a time. A difference
that is negative or fractional means the weights were not written as assumed: then
every candidate's positions are decoded. (Both ways agree while a region holds fewer
than ``REGION`` positions, which the schema relies on anyway.)
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable, Iterator
from itertools import chain, compress
from typing import TYPE_CHECKING, Any, Final
from weakref import WeakKeyDictionary

from browser.search.kept import frequency, skips_to_candidates
from browser.search.plainvectors import uses_numpy
from browser.search.schema import (
    ABSTRACT_REGION,
    DEFAULT_FIELD,
    NAMES_REGION_PRESENCE,
    PRESENCE_FIELD,
    REGION,
    AnalysedText,
)
from browser.search.stopping import NO_STOP, Stop
from browser.search.whoosh_internals import (
    PostingArrays,
    fast_path,
    positions_decoder,
    positions_in_arrays,
    posting_parts,
    posting_values,
)

if TYPE_CHECKING:  # numpy comes with the first region on the numpy path
    from numpy.typing import NDArray

    Ints = NDArray[Any]

# The title's own field: the text field's first region.
TITLE_FIELD: Final = "title"
# A segment reader's documents with a names region (``_named``), while it is open.
_NAMED: WeakKeyDictionary[Any, Ints] = WeakKeyDictionary()


def in_region(
    searcher: Any,
    fieldname: str,
    text: str,
    region: int,
    docnums: Any,
    stop: Stop = NO_STOP,
) -> Any:
    """Those of ``docnums`` (global document numbers holding the term ``text`` in
    ``fieldname``, ascending: a list, or an array on the numpy path) with a position of
    it inside ``region``, ascending, in the same kind."""
    field = searcher.schema[fieldname]
    tbytes = field.to_bytes(text)
    if not (fast_path() and uses_numpy(searcher)):
        inside: list[int] = []
        for reader, offset, local in _segments(searcher, list(docnums)):
            if (fieldname, tbytes) in reader:
                found = _by_values(reader, field, fieldname, tbytes, region, local, stop)
                inside.extend(offset + docnum for docnum in found)
        return inside
    import numpy as np

    parts = [np.empty(0, dtype=np.int64)]
    for reader, offset, local in _segments(searcher, np.asarray(docnums, dtype=np.int64)):
        if (fieldname, tbytes) in reader:
            kept = _by_arrays(searcher, reader, fieldname, tbytes, region, local, stop)
            parts.append(kept + offset)
    return np.concatenate(parts)


def _segments(searcher: Any, docnums: Any) -> Iterator[tuple[Any, int, Any]]:
    """Each segment's reader, its first document number, and its share of ``docnums``
    (ascending, a list or an array) numbered within it; segments without one left out."""
    for subsearcher, offset in searcher.leaf_searchers():
        reader = subsearcher.reader()
        low = bisect_left(docnums, offset)
        high = bisect_left(docnums, offset + reader.doc_count_all(), low)
        if high > low:
            local = docnums[low:high]
            if isinstance(local, list):
                yield reader, offset, [docnum - offset for docnum in local]
            else:
                yield reader, offset, local - offset


def weights_tell(schema: Any, fieldname: str, region: int) -> bool:
    """Whether the text and title weights tell the abstract's count of a term: the index
    is the schema this module assumes (``AnalysedText`` fields weighted as built)."""
    if fieldname != DEFAULT_FIELD or region != ABSTRACT_REGION:
        return False
    if TITLE_FIELD not in schema or PRESENCE_FIELD not in schema:
        return False
    title = schema[TITLE_FIELD]
    return (
        isinstance(schema[fieldname], AnalysedText)
        and isinstance(title, AnalysedText)
        and title.first_weight == 1.0
    )


def _by_arrays(
    searcher: Any,
    reader: Any,
    fieldname: str,
    tbytes: bytes,
    region: int,
    wanted: Ints,
    stop: Stop,
) -> Ints:
    """``in_region`` for one segment on the numpy path (``wanted``: segment-local,
    ascending): the weights first where they tell, then the positions of what they
    leave undecided, decoded together."""
    import numpy as np

    from browser.search.whoosh_internals.positions import LayoutMismatch

    field = searcher.schema[fieldname]
    check = stop.check if stop.active else None
    inside: Ints = wanted[:0]
    if weights_tell(searcher.schema, fieldname, region):
        decided = _by_weights(reader, field.first_weight, tbytes, wanted, check)
        if decided is not None:
            inside, wanted = decided
    if not wanted.size:
        return inside
    undecided = wanted.tolist()
    try:
        if not positions_in_arrays(field):
            raise LayoutMismatch("not Whoosh's Positions")
        kept = _positions_inside(reader, fieldname, tbytes, region, undecided, check)
    except LayoutMismatch:  # a value pickled otherwise than Whoosh's Positions does today
        kept = _by_values(reader, field, fieldname, tbytes, region, undecided, stop)
    return np.union1d(inside, np.asarray(kept, dtype=np.int64))


def _by_weights(
    reader: Any,
    text_weight: float,
    tbytes: bytes,
    wanted: Ints,
    check: Callable[[], None] | None,
) -> tuple[Ints, Ints] | None:
    """(surely in the abstract, still undecided) of ``wanted`` (segment-local,
    ascending, all holding the term in the text field), from the text and title
    weights; None when the weights are not as the index writes them."""
    import numpy as np

    text, held = _weights_at(reader, DEFAULT_FIELD, tbytes, wanted, check)
    if not held.all():
        return None
    title, _ = _weights_at(reader, TITLE_FIELD, tbytes, wanted, check)
    # How often the term stands in the abstract and the names region together.
    rest = text - text_weight * title
    if bool((rest < 0).any()) or bool((rest != np.rint(rest)).any()):
        return None
    counted = rest > 0
    named = np.isin(wanted, _named(reader, check))
    return wanted[counted & ~named], wanted[counted & named]


def _weights_at(
    reader: Any, fieldname: str, tbytes: bytes, wanted: Ints, check: Callable[[], None] | None
) -> tuple[Ints, Ints]:
    """The term's weight in each of ``wanted`` (0.0 where it has no posting) and
    whether it has one."""
    import numpy as np

    weights = np.zeros(wanted.size, dtype=np.float64)
    held = np.zeros(wanted.size, dtype=bool)
    if (fieldname, tbytes) not in reader or not wanted.size:
        return weights, held
    # Read whole even for few candidates: from its blocks' bytes (``PostingArrays``) a
    # list costs less than a third of decoding the blocks that hold them one by one
    # (``title:diagnosis abstract:models`` at 100k papers: 94 -> 25 ms).
    gathered = PostingArrays()
    gathered.read(reader.postings(fieldname, tbytes), check)
    ids, found = gathered.arrays()
    if not ids.size:
        return weights, held
    at = np.minimum(np.searchsorted(ids, wanted), ids.size - 1)
    held = ids[at] == wanted
    weights[held] = found[at[held]]
    return weights, held


def _named(reader: Any, check: Callable[[], None] | None) -> Ints:
    """The segment's documents whose names region holds anything (ascending), kept
    per segment reader: every ``abstract:`` word asks again."""
    import numpy as np

    named = _NAMED.get(reader)
    if named is not None:
        return named
    field = reader.schema[PRESENCE_FIELD]
    named = np.empty(0, dtype=np.int64)
    for name in NAMES_REGION_PRESENCE:
        term = field.to_bytes(name)
        if (PRESENCE_FIELD, term) in reader:
            blocks = posting_parts(reader.postings(PRESENCE_FIELD, term), None, check)
            ids = np.fromiter(chain.from_iterable(ids for ids, _, _ in blocks), dtype=np.int64)
            named = np.union1d(named, ids)
    _NAMED[reader] = named
    return named


def _positions_inside(
    reader: Any,
    fieldname: str,
    tbytes: bytes,
    region: int,
    local: list[int],
    check: Callable[[], None] | None,
) -> list[int]:
    """Those of ``local`` with a position inside ``region``, their positions decoded
    together (``LayoutMismatch`` for a value in another layout)."""
    import numpy as np

    from browser.search.whoosh_internals import positions

    postings = reader.postings(fieldname, tbytes)
    found = positions.positional_postings(postings, 0, None, local, check)
    wanted = np.asarray(local, dtype=np.int64)
    if not found.ids.size:
        return []
    rows = np.minimum(np.searchsorted(found.ids, wanted), found.ids.size - 1)
    held = found.ids[rows] == wanted
    wanted, rows = wanted[held], rows[held]
    if check is not None:
        check()
    counts, places = found.positions(rows)
    owner = np.repeat(np.arange(rows.size, dtype=np.int64), counts)
    low, high = region * REGION, (region + 1) * REGION
    kept = np.unique(owner[(places >= low) & (places < high)])
    return wanted[kept].tolist()  # type: ignore[no-any-return]


def _by_values(
    reader: Any,
    field: Any,
    fieldname: str,
    tbytes: bytes,
    region: int,
    local: list[int],
    stop: Stop,
) -> list[int]:
    """Those of ``local`` with a position inside ``region``, one posting's positions
    decoded at a time (without numpy, or a value in another layout)."""
    low, high = region * REGION, (region + 1) * REGION
    decode = positions_decoder(field)
    wanted = set(local)
    inside: list[int] = []
    for count, (docnum, value) in enumerate(values_among(reader, fieldname, tbytes, local)):
        if not count & 255:
            stop.check()
        if docnum in wanted and any(low <= p < high for p in decode(value)):
            inside.append(docnum)
    return inside


def values_among(
    reader: Any, fieldname: str, tbytes: bytes, candidates: list[int]
) -> Iterator[tuple[int, bytes]]:
    """(document number, encoded positions) of a term's postings among ``candidates``
    (sorted, segment-local).

    Few candidates: only the blocks that may hold them. Many: read every block and keep
    theirs (a skip per posting cost 0.7 s for the 72k candidates of ``"learning model"``
    at 100k papers).
    """
    if (fieldname, tbytes) not in reader:
        return iter(())
    postings = reader.postings(fieldname, tbytes)
    wanted = set(candidates)
    if skips_to_candidates(len(candidates), frequency(reader, fieldname, tbytes)):
        return (
            pair
            for ids, _, values in posting_parts(postings, "values", among=candidates)
            for pair in compress(zip(ids, values, strict=True), map(wanted.__contains__, ids))
        )
    return posting_values(postings, wanted)
