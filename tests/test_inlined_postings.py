"""Oracle: a term with fewer postings than ``postings.INLINE_BELOW`` has them inlined in
its term info (Whoosh reads them back as a ``ListMatcher``), and every fast reader of
``whoosh_internals`` gives for it what Whoosh's own codec and public matcher API give
for the same documents: ``posting_parts`` (and the readers on it), ``PostingArrays``,
``positional_postings``, from a matcher's start and part way, with and without
``among``."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from whoosh.codec.whoosh3 import W3Codec
from whoosh.fields import TEXT, Schema
from whoosh.filedb.filestore import FileStorage

from browser.search import whoosh_internals
from browser.search.whoosh_internals import positions, postings

COMMON = ("alpha", "beta", "gamma")


def _index(folder: Path, codec: Any, documents: list[dict[str, str]]) -> Any:
    folder.mkdir()
    schema = Schema(text=TEXT(phrase=True), title=TEXT(phrase=True, field_boost=1.5))
    ix = FileStorage(str(folder)).create_index(schema)
    with ix.writer(codec=codec) as writer:
        for document in documents:
            writer.add_document(**document)
    return ix


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, Any]:
    """The same documents through Whoosh's codec and ours (blocks of 4): common words
    (lists of several blocks), words of one document, repeated (positions, frequencies
    above 1) or not, in a plain field and a boosted one (weights not whole)."""
    rng = random.Random(5)
    documents = []
    for number in range(120):
        words = rng.choices(COMMON, k=rng.randint(1, 6))
        words += [f"once{number}"] * rng.randint(1, 3) + [f"pair{number // 2}"]
        rng.shuffle(words)
        documents.append({"text": " ".join(words), "title": " ".join(words[:3])})
    folder = tmp_path_factory.mktemp("inlined")
    whooshs = _index(folder / "whoosh", W3Codec(blocklimit=4), documents)
    ours = _index(folder / "ours", postings.JoinedValuesCodec(blocklimit=4), documents)
    return whooshs, ours


def _public(reader: Any, fieldname: str, text: bytes) -> list[tuple[int, float, bytes]]:
    matcher = reader.postings(fieldname, text)
    found = []
    while matcher.is_active():
        found.append((matcher.id(), matcher.weight(), matcher.value()))
        matcher.next()
    return found


def _terms(pair: tuple[Any, Any]) -> list[tuple[str, bytes]]:
    whooshs, _ = pair
    with whooshs.reader() as reader:
        return list(reader.all_terms())


def test_short_lists_are_inlined_and_read_as_whooshs_own(pair: tuple[Any, Any]) -> None:
    whooshs, ours = pair
    with whooshs.reader() as expected_reader, ours.reader() as reader:
        inlined = 0
        for fieldname, text in _terms(pair):
            expected = _public(expected_reader, fieldname, text)
            info = reader.term_info(fieldname, text)
            assert info.is_inlined() == (len(expected) < postings.INLINE_BELOW)
            inlined += info.is_inlined()
            assert _public(reader, fieldname, text) == expected
            assert (info.doc_frequency(), info.weight(), info.max_weight()) == (
                expected_reader.doc_frequency(fieldname, text),
                expected_reader.frequency(fieldname, text),
                expected_reader.term_info(fieldname, text).max_weight(),
            )
        assert inlined >= 150  # "once" words in both fields


@pytest.mark.parametrize("skip", [0, 1])
def test_the_fast_readers_read_inlined_postings_as_whoosh_does(
    pair: tuple[Any, Any], skip: int
) -> None:
    """From the matcher's start, and after one ``next`` (the readers go on from a
    matcher's place)."""
    whooshs, ours = pair
    with whooshs.reader() as expected_reader, ours.reader() as reader:
        for fieldname, text in _terms(pair):
            expected = _public(expected_reader, fieldname, text)[skip:]
            ids = [docnum for docnum, _, _ in expected]

            def matcher(fieldname: str = fieldname, text: bytes = text) -> Any:
                found = reader.postings(fieldname, text)
                for _ in range(skip):
                    found.next()
                return found

            if reader.term_info(fieldname, text).is_inlined() and not skip:
                assert whoosh_internals.inlined_leaf(matcher()) is not None
            assert whoosh_internals.whole_postings(matcher()) == (
                ids,
                [weight for _, weight, _ in expected],
            )
            assert whoosh_internals.posting_ids(matcher()) == set(ids)
            assert list(whoosh_internals.posting_values(matcher())) == [
                (docnum, value) for docnum, _, value in expected
            ]
            some = set(ids[::2])
            assert [d for d, _ in whoosh_internals.posting_values(matcher(), some)] == [
                d for d in ids if d in some
            ]
            gathered = whoosh_internals.PostingArrays()
            gathered.read(matcher())
            got_ids, got_weights = gathered.arrays()
            assert got_ids.tolist() == ids
            assert got_weights.tolist() == [weight for _, weight, _ in expected]
            _check_positional(reader, matcher(), expected, fieldname)


def _check_positional(
    reader: Any, matcher: Any, expected: list[tuple[int, float, bytes]], fieldname: str
) -> None:
    """``positional_postings`` gives Whoosh's ids, weights and decoded positions."""
    found = positions.positional_postings(matcher, 0, None, None, None)
    assert found.ids.tolist() == [docnum for docnum, _, _ in expected]
    rows = np.arange(len(found.ids), dtype=np.int64)
    assert found.weights_at(rows) == [weight for _, weight, _ in expected]
    counts, places = found.positions(rows)
    decode = reader.schema[fieldname].format.decode_positions
    wanted = [decode(value) for _, _, value in expected]
    assert counts.tolist() == [len(each) for each in wanted]
    assert places.tolist() == [place for each in wanted for place in each]


def test_an_inlined_term_passes_over_nothing_when_among_is_empty(pair: tuple[Any, Any]) -> None:
    _, ours = pair
    with ours.reader() as reader:
        matcher = reader.postings("text", b"once7")
        assert whoosh_internals.inlined_leaf(matcher) is not None
        assert list(whoosh_internals.posting_parts(matcher, "both", among=[])) == []
        found = positions.positional_postings(reader.postings("text", b"once7"), 0, None, [], None)
        assert not len(found.ids)
