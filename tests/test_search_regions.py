"""Oracle: ``abstract:`` from the weights (``search/regions.py``) is what positions say.

``regions.in_region`` answers most documents from the text and title weights and
decodes positions only for the rest. For every term of the text field, in every
region, it must keep exactly the documents Whoosh's public matcher shows a position
of that term in the region for: on generated small libraries whose titles, abstracts,
keywords and names hold stop words, stemmed forms, repeated words, US/UK spellings,
compounds and Unicode the text pipeline folds; and on the oracle's index of several
segments with deleted documents; on the numpy path and without it.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_search_oracle import _build

from browser.identity import paper_id
from browser.models import Organization, Paper
from browser.search import PaperIndex, plainvectors, regions
from browser.search.schema import ABSTRACT_REGION, REGION
from browser.search.stopping import NO_STOP

# Forms that analyse alike or almost: stems, spellings, case, ligatures, full width,
# accents, compounds; stop words; and a few plain words to repeat.
VOCABULARY = [
    "model",
    "models",
    "modelling",
    "modeling",
    "MODEL",
    "ｍｏｄｅｌ",
    "the",
    "of",
    "and",
    "a",
    "is",
    "language",
    "languages",
    "ﬁne",
    "fine",
    "fine-tuning",
    "pre-training",
    "pretraining",
    "colour",
    "color",
    "naïve",
    "naive",
    "GPT-4",
    "learning",
    "x",
]
_words = st.lists(st.sampled_from(VOCABULARY), max_size=10).map(" ".join)
_paper_parts = st.tuples(
    _words,  # title
    _words,  # abstract
    st.lists(st.sampled_from(VOCABULARY), max_size=2),  # keywords
    st.one_of(st.none(), st.sampled_from(VOCABULARY)),  # organisation
    st.lists(st.sampled_from(["Ada Li", "Model Smith", "Naïve Color"]), max_size=2),
)


def _paper(number: int, parts: tuple[str, str, list[str], str | None, list[str]]) -> Paper:
    title, abstract, keywords, org, names = parts
    return Paper(
        id=paper_id(f"region paper {number}"),
        title=title or f"paper {number}",
        abstract=abstract,
        keywords=keywords,
        organization=Organization(slug=org.lower(), name=f"{org} Lab") if org else None,
        author_names=names,
    )


def _positions_say(searcher: Any, tbytes: bytes, region: int) -> tuple[list[int], list[int]]:
    """(the live documents holding the term, those with a position of it in ``region``)
    through Whoosh's public matcher API."""
    low, high = region * REGION, (region + 1) * REGION
    holding, inside = [], []
    for subsearcher, offset in searcher.leaf_searchers():
        reader = subsearcher.reader()
        if ("text", tbytes) not in reader:
            continue
        matcher = reader.postings("text", tbytes)
        while matcher.is_active():
            docnum = matcher.id()
            if not reader.is_deleted(docnum):
                holding.append(offset + docnum)
                if any(low <= p < high for p in matcher.value_as("positions")):
                    inside.append(offset + docnum)
            matcher.next()
    return holding, inside


def _check_every_term(index: PaperIndex) -> int:
    """Compares ``in_region`` with the positions for every text term and region;
    returns how many abstract answers the weights alone could give."""
    searcher = index._current_searcher()
    by_weights = 0
    for tbytes in list(searcher.reader().lexicon("text")):
        for region in (0, ABSTRACT_REGION, 2):
            holding, inside = _positions_say(searcher, tbytes, region)
            if not holding:
                continue
            given_as: Any = holding
            if plainvectors.uses_numpy(searcher):
                given_as = np.array(holding, dtype=np.int64)
            found = regions.in_region(searcher, "text", tbytes.decode(), region, given_as, NO_STOP)
            assert list(found) == inside, (tbytes, region)
            by_weights += region == ABSTRACT_REGION and len(inside)
    return by_weights


@pytest.fixture(params=[0, plainvectors.NUMPY_FROM_DOCUMENTS], ids=["numpy", "lists"])
def numpy_from(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> int:
    monkeypatch.setattr(plainvectors, "NUMPY_FROM_DOCUMENTS", request.param)
    return int(request.param)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(st.lists(_paper_parts, min_size=1, max_size=12))
def test_generated_libraries_agree_with_positions(
    numpy_from: int, libraries: list[tuple[str, str, list[str], str | None, list[str]]]
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        index = PaperIndex.create(Path(folder) / "ix")
        try:
            index.rebuild(_paper(n, parts) for n, parts in enumerate(libraries))
            _check_every_term(index)
        finally:
            index.close()


@pytest.fixture(scope="module")
def oracle_index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PaperIndex]:
    built = _build(tmp_path_factory.mktemp("regions") / "ix")
    yield built
    built.close()


def test_segments_with_deletions_agree_with_positions(
    oracle_index: PaperIndex, numpy_from: int
) -> None:
    assert _check_every_term(oracle_index) > 100


def test_the_weights_decide_most_and_positions_the_rest(
    oracle_index: PaperIndex, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On the numpy path a paper without names is answered by its weights (no positions
    read for it); a paper with names, or weights not as built, by its positions."""
    monkeypatch.setattr(plainvectors, "NUMPY_FROM_DOCUMENTS", 0)
    searcher = oracle_index._current_searcher()
    decoded: list[int] = []
    original = regions._positions_inside

    def counting(reader: Any, fieldname: str, tbytes: bytes, *rest: Any) -> list[int]:
        decoded.extend(rest[1])
        return original(reader, fieldname, tbytes, *rest)

    monkeypatch.setattr(regions, "_positions_inside", counting)
    holding, inside = _positions_say(searcher, b"learn", ABSTRACT_REGION)
    found = regions.in_region(searcher, "text", "learn", ABSTRACT_REGION, np.array(holding))
    assert found.tolist() == inside
    # (most of the oracle's papers have names: fewer are answered by weights alone)
    assert 0 < len(decoded) < len(holding) - 30
    # Weights not as the index writes them (a title weight above the text's): positions.
    decoded.clear()

    def skewed(_reader: Any, fieldname: str, _tbytes: bytes, wanted: Any, _check: Any) -> Any:
        return np.full(wanted.size, 1.0 if fieldname == "title" else 0.0), np.ones(
            wanted.size, bool
        )

    monkeypatch.setattr(regions, "_weights_at", skewed)
    found = regions.in_region(searcher, "text", "learn", ABSTRACT_REGION, np.array(holding))
    assert found.tolist() == inside
    assert len(decoded) == len(holding)
