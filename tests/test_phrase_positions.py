"""Oracle: positions read as arrays (``whoosh_internals.positions``) are Whoosh's.

The array decoder reads the pickles Whoosh's ``Positions`` format writes for many
postings at once; it must give what ``Positions.decode_positions`` gives for each, and
refuse (``LayoutMismatch``) every value it does not read, never guess. Whole posting
lists read as arrays must hold Whoosh's documents, weights and positions, in segments
of both layouts (ours and Whoosh's own blocks) with deleted documents, and phrases
matched over them the documents and frequencies the one-posting-at-a-time path finds.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from whoosh.codec.whoosh3 import W3Codec
from whoosh.fields import TEXT, Schema
from whoosh.filedb.filestore import FileStorage
from whoosh.formats import Positions

from browser.search import phrases, whoosh_internals
from browser.search.stopping import NO_STOP
from browser.search.whoosh_internals import positions
from browser.search.whoosh_internals.postings import JoinedValuesCodec

FORMAT = Positions()
WORDS = ("alpha", "beta", "gamma", "delta", "epsilon")

# Sorted positions (as Whoosh keeps them), small ones mostly, some past each int size.
_position = st.one_of(
    st.integers(0, 300), st.integers(0, 70_000), st.integers(0, 2**31 + 5), st.just(2**20)
)
_places = st.lists(_position, min_size=1, max_size=40).map(sorted)


def _laid_out(values: list[bytes]) -> tuple[Any, Any, Any]:
    """``values`` one after the other in one buffer, with where each starts and ends."""
    sizes = np.array([len(v) for v in values], np.int64)
    ends = np.cumsum(sizes)
    return np.frombuffer(b"".join(values), np.uint8), ends - sizes, ends


def _fits(places: list[int]) -> bool:
    """Whether the array decoder reads these: every delta a 32-bit signed int, at most
    a thousand of them (pickle splits longer lists), positions below 2**32."""
    deltas = [b - a for a, b in zip([0, *places], places, strict=False)]
    return len(places) <= 1000 and max(deltas) < 2**31 and max(places) < 2**32


@settings(max_examples=300, deadline=None)
@given(st.lists(_places, min_size=1, max_size=12), st.booleans())
def test_decoded_positions_are_whooshs(lists: list[list[int]], drop_stop: bool) -> None:
    values = [FORMAT.encode(places) for places in lists]
    if drop_stop:  # as some posting writers store them: Whoosh's decoder adds it back
        values = [v[:-1] for v in values]
    data, starts, ends = _laid_out(values)
    if not all(map(_fits, lists)):
        with pytest.raises(positions.LayoutMismatch):
            positions.decode_positions(data, starts, ends)
        return
    counts, flat = positions.decode_positions(data, starts, ends)
    assert counts.tolist() == [len(places) for places in lists]
    expected = [p for value in values for p in FORMAT.decode_positions(value)]
    assert flat.tolist() == expected


@pytest.mark.parametrize(
    "value",
    [
        FORMAT.encode(list(range(1001))),  # pickled in two batches of APPENDS
        FORMAT.encode([5, 3]),  # out of order: a negative delta
        FORMAT.encode([2**33]),  # beyond a 32-bit int
        FORMAT.encode([]),  # no positions
        FORMAT.encode([1, 2])[:-3],  # cut short
        FORMAT.encode([1, 2]) + b"xx",  # bytes after the list
        b"\x00\x00\x00\x01\x80\x03]q\x00K\x05a.",  # another protocol
    ],
)
def test_values_in_another_layout_are_refused(value: bytes) -> None:
    data, starts, ends = _laid_out([FORMAT.encode([1, 4]), value])
    with pytest.raises(positions.LayoutMismatch):
        positions.decode_positions(data, starts, ends)


@pytest.fixture(scope="module")
def searcher(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """Segments in our layout and in Whoosh's, small blocks, deleted documents."""
    folder = Path(tmp_path_factory.mktemp("phrase-positions"))
    ix = FileStorage(str(folder)).create_index(Schema(text=TEXT(phrase=True)))
    rng = random.Random(17)
    for codec in (JoinedValuesCodec(blocklimit=8), W3Codec(blocklimit=8), JoinedValuesCodec()):
        with ix.writer(codec=codec) as writer:
            writer.merge = False  # one segment per codec
            for _ in range(300):
                words = rng.choices(WORDS, weights=(8, 6, 4, 2, 1), k=rng.randint(1, 30))
                writer.add_document(text=" ".join(words))
    with ix.writer() as writer:
        writer.merge = False
        for docnum in rng.sample(range(900), 60):
            writer.delete_document(docnum)
    opened = ix.searcher()
    assert len(opened.leaf_searchers()) == 3
    yield opened
    opened.close()


def test_posting_arrays_hold_whooshs_postings(searcher: Any) -> None:
    reader = searcher.reader()
    for word in WORDS:
        parts = []
        for subsearcher, offset in searcher.leaf_searchers():
            segment = subsearcher.reader()
            deleted = segment.deleted_docs_set if segment.has_deletions() else None
            postings = segment.postings("text", word)
            parts.append(positions.positional_postings(postings, offset, deleted, None, None))
        arrays = positions.joined(parts)
        matcher = reader.postings("text", word)
        expected = []
        while matcher.is_active():
            expected.append((matcher.id(), matcher.weight(), matcher.value_as("positions")))
            matcher.next()
        live = [entry for entry in expected if not reader.is_deleted(entry[0])]
        rows = np.arange(len(arrays.ids))
        counts, flat = arrays.positions(rows)
        places = np.split(flat, np.cumsum(counts)[:-1])
        assert len(live) == len(arrays.ids) > 50
        ours = zip(arrays.ids.tolist(), arrays.weights_at(rows), places, strict=True)
        assert [(d, w, p.tolist()) for d, w, p in ours] == live


def _phrases(count: int) -> list[list[str]]:
    rng = random.Random(5)
    return [rng.choices(WORDS, k=rng.randint(2, 4)) for _ in range(count)]


def test_phrases_match_as_one_posting_at_a_time(searcher: Any) -> None:
    field = searcher.schema["text"]
    found = 0
    for words in _phrases(60):
        terms = [field.to_bytes(w) for w in words]
        order = sorted(range(len(words)), key=lambda i: searcher.doc_frequency("text", words[i]))
        frequencies, matches = phrases._matched_by_arrays(searcher, "text", terms, order, NO_STOP)
        ours = (
            [dict(zip(matches.tolist(), f.tolist(), strict=True)) for f in frequencies],
            matches.tolist(),
        )
        theirs = phrases._matched_one_by_one(searcher, field, "text", terms, order, NO_STOP)
        assert ours == theirs
        found += len(ours[1])
    assert found > 100


def test_the_probe_notices_another_positions_layout(monkeypatch: pytest.MonkeyPatch) -> None:
    """Whoosh pickling positions otherwise (another protocol) turns the fast path off."""
    import pickle

    def encode(self: Positions, places: list[int]) -> bytes:
        return len(places).to_bytes(4, "big") + pickle.dumps(list(places), 4)

    assert not whoosh_internals.probe().missing
    monkeypatch.setattr(Positions, "encode", encode)
    assert not whoosh_internals.positions_layout_holds()
    assert any("Positions" in name for name in whoosh_internals.probe().missing)
