"""Oracle: the postings ``JoinedValuesCodec`` writes (layout ``split-raw-heads``) read
back, through Whoosh's own matcher API and ``PostingArrays``, as the postings Whoosh's
own codec writes and reads for the same documents: ids, weights (as floats, whole or
not, under a byte or not) and values, block after block."""

from __future__ import annotations

import pickle
import random
from pathlib import Path
from typing import Any

import pytest
from whoosh.codec.whoosh3 import W3Codec
from whoosh.fields import TEXT, Schema
from whoosh.filedb.filestore import FileStorage

from browser.search import whoosh_internals
from browser.search.whoosh_internals import postings

WORDS = ("alpha", "beta", "gamma", "delta", "epsilon")


def _postings(reader: Any, fieldname: str, text: bytes) -> list[tuple[int, float, bytes]]:
    matcher = reader.postings(fieldname, text)
    found = []
    while matcher.is_active():
        weight = matcher.weight()
        assert type(weight) is float  # what Whoosh's own block gives, never an int
        found.append((matcher.id(), weight, matcher.value()))
        matcher.next()
    return found


def _index(folder: Path, codec: Any, documents: list[dict[str, str]]) -> Any:
    schema = Schema(text=TEXT(phrase=True), title=TEXT(phrase=True, field_boost=1.5))
    ix = FileStorage(str(folder)).create_index(schema)
    with ix.writer(codec=codec) as writer:
        for document in documents:
            writer.add_document(**document)
    return ix


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, Any]:
    """The same documents written by Whoosh's codec and by ours, in blocks of 16: term
    frequencies of 1 to 300 in ``text`` (whole weights, some past a byte), 1.5 times
    that in ``title`` (a field boost: weights that are not whole)."""
    rng = random.Random(3)
    documents = []
    for number in range(700):
        words = rng.choices(WORDS, weights=(10, 6, 3, 2, 1), k=rng.randint(1, 25))
        if number % 97 == 0:
            words += ["alpha"] * 300
        documents.append({"text": " ".join(words), "title": " ".join(words[:4])})
    folder = tmp_path_factory.mktemp("layout")
    (folder / "whoosh").mkdir()
    (folder / "ours").mkdir()
    whooshs = _index(folder / "whoosh", W3Codec(blocklimit=16), documents)
    ours = _index(folder / "ours", postings.JoinedValuesCodec(blocklimit=16), documents)
    return whooshs, ours


def test_our_layout_reads_as_whooshs_own(pair: tuple[Any, Any]) -> None:
    whooshs, ours = pair
    with whooshs.reader() as expected_reader, ours.reader() as reader:
        terms = list(expected_reader.all_terms())
        assert terms == list(reader.all_terms())
        checked = 0
        for fieldname, text in terms:
            expected = _postings(expected_reader, fieldname, text)
            assert _postings(reader, fieldname, text) == expected
            gathered = whoosh_internals.PostingArrays()
            gathered.read(reader.postings(fieldname, text))
            ids, weights = gathered.arrays()
            assert list(zip(ids.tolist(), weights.tolist(), strict=True)) == [
                (docnum, weight) for docnum, weight, _ in expected
            ]
            checked += len(expected) > 16
        assert checked >= 8  # lists of several blocks, in both fields


def test_first_parts_are_stored_as_pickled_and_values_compressed(pair: tuple[Any, Any]) -> None:
    """Every block's first part is read without inflating (its pickle's bytes); whole
    weights are pickled as ints; a long block's values are still compressed."""
    _, ours = pair
    with ours.reader() as reader:
        kinds: set[str] = set()
        compressed = 0
        for fieldname in ("text", "title"):
            leaf = whoosh_internals._unwrapped(reader.postings(fieldname, b"alpha"))
            assert type(leaf) is postings.JoinedValuesMatcher
            leaf._read_data()
            compressed += bool(leaf._compression)
            for block in postings.extent_blocks(leaf):
                assert block.head.startswith(b"\x80\x05")  # pickle's PROTO 5, not zlib
                _, weights = pickle.loads(block.head)
                kinds.add(type(weights[0]).__name__ if type(weights) is tuple else "one")
                compressed += bool(block.compression)
        assert {"int", "float"} <= kinds  # whole weights as ints, the boosted as floats
        assert compressed > 4
