"""Oracle: our block-header read (``JoinedValuesMatcher._goto``) sets what Whoosh's own
``W3LeafMatcher._goto`` sets, block after block, in a compound segment with many
blocks per term, both when the header fits the bytes read at once and when it does
not (Whoosh's own read then)."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from whoosh.codec.whoosh3 import W3LeafMatcher
from whoosh.fields import TEXT, Schema
from whoosh.filedb.filestore import FileStorage

from browser.search import whoosh_internals
from browser.search.whoosh_internals import postings

SET_BY_GOTO = postings.SET_BY_GOTO
WORDS = ("alpha", "beta", "gamma", "delta")


@pytest.mark.parametrize("read_at_once", [postings._BLOCK_INFO_READ, 10])
def test_block_moves_set_what_whooshs_own_does(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, read_at_once: int
) -> None:
    monkeypatch.setattr(postings, "_BLOCK_INFO_READ", read_at_once)
    ix = FileStorage(str(tmp_path)).create_index(Schema(text=TEXT(phrase=True)))
    rng = random.Random(7)
    with ix.writer(codec=postings.JoinedValuesCodec(blocklimit=8)) as writer:
        for _ in range(600):
            writer.add_document(text=" ".join(rng.choices(WORDS, k=rng.randint(1, 20))))
    blocks = 0
    with ix.searcher() as searcher:
        for word in WORDS:
            leaf = whoosh_internals._unwrapped(searcher.reader().postings("text", word))
            assert type(leaf) is postings.JoinedValuesMatcher
            position = leaf._baseoffset
            while True:
                ours = {name: getattr(leaf, name) for name in SET_BY_GOTO}
                W3LeafMatcher._goto(leaf, position)
                assert ours == {name: getattr(leaf, name) for name in SET_BY_GOTO}
                blocks += 1
                if leaf._lastblock:
                    break
                position = leaf._nextoffset
                leaf._goto(position)
    assert blocks > 100  # many blocks per term, the last one of each included
