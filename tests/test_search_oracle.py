"""Oracle: the fast path answers exactly as Whoosh's public ``searcher.search`` does.

The fast path (whole-list BM25F in ``scoring``, set evaluation in ``matching``, column
sorts and range filters in ``ordering``, length tables and posting blocks in
``whoosh_internals``) re-implements what Whoosh does. Seeded random queries (words,
AND/OR/NOT, phrases, fields, numeric and date ranges, prefixes, sorts) run on an index
of several segments with deleted documents, and each answer must list the documents
Whoosh lists for the same planned query, in the same order, with scores within 1e-9.

Two deliberate differences are accounted for, not hidden:

* ranges on date, year and comments ANDed with words are applied as filters: Whoosh adds
  the same whole number (the range's constant score) to every hit, so the difference
  must be one integer for all hits of a query;
* a query led by a NOT with words beside it (``a OR NOT b``) ranks the word matches by
  BM25 and then the rest newest first (Whoosh scores every match of the NOT alike):
  for those the documents and the count must agree, not the order;
* Whoosh's NOT can list a deleted document (the one after its child's last match): it is
  dropped from Whoosh's list before comparing.

The second test renames one private name inside Whoosh as a maintainer might and
checks that searches fall back to Whoosh's public path with the same answers.
"""

from __future__ import annotations

import datetime as dt
import random
import weakref
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from whoosh import sorting
from whoosh.scoring import BM25F, BM25FScorer, WeightScorer

from browser.identity import paper_id
from browser.models import Organization, Paper, SearchResult, SortOrder
from browser.search import PaperIndex, whoosh_internals
from browser.search.matching import driven_by_negation
from browser.search.whoosh_internals import postings

SEED = 20261206
QUERIES = 300
FALLBACK_QUERIES = 80
TOLERANCE = 1e-9

WORDS = [
    "learning",
    "reinforcement",
    "policy",
    "gradient",
    "diffusion",
    "model",
    "language",
    "vision",
    "robot",
    "agent",
    "graph",
    "neural",
    "network",
    "transformer",
    "attention",
    "retrieval",
    "reasoning",
    "benchmark",
    "survey",
    "efficient",
    "scaling",
    "sparse",
    "video",
    "audio",
    "protein",
    "molecule",
    "planning",
    "memory",
    "alignment",
    "safety",
    "reward",
    "latent",
    "token",
]
NAMES = ["Ada Li", "Bo An", "Chen Wei", "Dana Smith", "Élodie Brun", "Femi Ade", "Gus Ng"]
ORGS = [("nvidia", "NVIDIA"), ("meta", "Meta AI"), ("deepmind", "Google DeepMind"), None]
SORTS: list[SortOrder] = ["relevance", "relevance", "relevance", "newest", "comments", "title"]


def _words(rng: random.Random, low: int, high: int) -> str:
    # Zipf-like weights: a few common words, a long tail of rare ones.
    weights = [1 / (rank + 1) for rank in range(len(WORDS))]
    return " ".join(rng.choices(WORDS, weights, k=rng.randint(low, high)))


def _paper(rng: random.Random, number: int, version: int = 0) -> Paper:
    title = f"{_words(rng, 2, 6)} {number}".capitalize()
    org = rng.choice(ORGS)
    day = dt.date(2023, 1, 1) + dt.timedelta(days=rng.randint(0, 900))
    return Paper(
        id=paper_id(f"oracle paper {number}"),
        title=title if not version else f"{title} revised",
        abstract=_words(rng, 0, 40),
        authors=rng.choice([None, 1, 3, 8, 12]),
        author_names=rng.sample(NAMES, rng.randint(0, 3)),
        organization=Organization(slug=org[0], name=org[1]) if org else None,
        keywords=rng.sample(WORDS, rng.randint(0, 2)),
        date=None if rng.random() < 0.08 else day,
        comments=None if rng.random() < 0.2 else rng.randint(0, 15),
        upvotes=None if rng.random() < 0.1 else rng.randint(0, 120),
    )


def _build(folder: Path) -> PaperIndex:
    """An index of several segments, with replaced and removed papers in the older ones,
    in blocks of 32 postings: its lists (300 papers at most) span several blocks, as a
    common word's do in a large library's blocks of ``BLOCK_POSTINGS``."""
    rng = random.Random(SEED)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(postings, "BLOCK_POSTINGS", 32)
        index = PaperIndex.create(folder)
        index.rebuild(_paper(rng, n) for n in range(300))
        numbers = list(range(300))
        for batch in range(4):
            fresh = [_paper(rng, 1000 + 100 * batch + n) for n in range(60)]
            replaced = [_paper(rng, n, version=1) for n in rng.sample(numbers, 15)]
            removed = [paper_id(f"oracle paper {n}") for n in rng.sample(numbers, 10)]
            index.update(fresh + replaced, removed)
    return index


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PaperIndex]:
    built = _build(tmp_path_factory.mktemp("oracle") / "ix")
    reader = built._current_searcher().reader()
    assert len(reader.leaf_readers()) >= 4 and reader.has_deletions()
    yield built
    built.close()


# -- random queries


def _clause(rng: random.Random) -> str:
    word = rng.choice(WORDS)
    kind = rng.randrange(12)
    if kind == 0:
        return f'"{word} {rng.choice(WORDS)}"'
    if kind == 1:
        return f"{rng.choice(['title', 'abstract', 'keyword'])}:{word}"
    if kind == 2:
        return f"author:{rng.choice(NAMES).split()[rng.randrange(2)].lower()}"
    if kind == 3:
        return f"org:{rng.choice(['nvidia', 'meta', 'deepmind', 'google'])}"
    if kind == 4:
        return f"{word[: rng.randint(2, 4)]}*"
    if kind == 5:
        return rng.choice(
            [
                f"comments:>{rng.randint(0, 10)}",
                f"comments:<={rng.randint(0, 10)}",
                f"upvotes:[{rng.randint(0, 50)} TO {rng.randint(50, 120)}]",
                f"authors:>={rng.choice([1, 3, 8])}",
                f"year:{rng.choice([2023, 2024, 2025])}",
                "year:[2023 TO 2024]",
            ]
        )
    if kind == 6:
        month = f"{rng.choice([2023, 2024])}-{rng.randint(1, 12):02d}"
        day = f"{month}-{rng.randint(1, 28):02d}"
        return rng.choice(
            [
                f"date:>{month}",
                f"date:<{day}",
                f"date:>={day}",
                f"date:<={month}",
                f"date:[{month} TO {rng.choice([2024, 2025])}-06]",
                f"date:{{{month} TO 2025-01}}",
                f"date:>{rng.choice([2023, 2024])}",
            ]
        )
    if kind == 7:
        return f"abstract:{word[:3]}*"
    return word


def _query(rng: random.Random) -> str:
    parts = [_clause(rng) for _ in range(rng.randint(1, 3))]
    text = parts[0]
    for part in parts[1:]:
        joiner = rng.choice([" ", " AND ", " OR ", " NOT ", " -", " AND NOT "])
        text = f"{text}{joiner}{part}"
    if rng.random() < 0.15:
        text = f"({text}) {rng.choice(['OR', 'AND'])} {_clause(rng)}"
    if rng.random() < 0.1:
        text = f"NOT {text}"
    # Without a trailing space the last word is "being typed": expanded to completions.
    return text if rng.random() < 0.3 else text + " "


def _cases(count: int, seed: int) -> list[tuple[str, SortOrder]]:
    rng = random.Random(seed)
    return [(_query(rng), rng.choice(SORTS)) for _ in range(count)]


def _phrases(count: int, seed: int) -> list[str]:
    """Phrases of two to four of the commonest words (many documents hold them all, so
    positions decide), a word twice in some, some kept to the title."""
    rng = random.Random(seed)
    phrases = []
    for number in range(count):
        words = rng.choices(WORDS[:10], k=rng.randint(2, 4))
        if number % 5 == 0:
            words[1] = words[0]
        text = '"' + " ".join(words) + '"'
        phrases.append(f"title:{text}" if number % 7 == 0 else text)
    return phrases


# -- the oracle

_FACETS: dict[str, list[Any]] = {
    "newest": [sorting.FieldFacet("sort_newest", reverse=True), sorting.FieldFacet("sort_title")],
    "comments": [
        sorting.FieldFacet("sort_comments", reverse=True),
        sorting.FieldFacet("sort_newest", reverse=True),
    ],
    "title": [sorting.FieldFacet("sort_title"), sorting.FieldFacet("sort_newest", reverse=True)],
}


def _whoosh_answer(index: PaperIndex, text: str, order: SortOrder) -> list[tuple[int, float]]:
    """(document, score) as Whoosh's public search gives them for the planned query."""
    searcher = index._current_searcher()
    plan = index._planner.plan(searcher, text, prefix_last_word=True)
    if order == "relevance":
        results = searcher.search(plan.query, limit=None)
    else:
        results = searcher.search(
            plan.query, limit=None, sortedby=sorting.MultiFacet(_FACETS[order])
        )
    # Whoosh's NOT (InverseMatcher) can list the deleted document that follows its
    # child's last match; deleted documents are no answer (see GuardedCollector).
    deleted = searcher.reader().is_deleted
    return [
        (hit.docnum, float(hit.score) if order == "relevance" else 0.0)
        for hit in results
        if not deleted(hit.docnum)
    ]


_LIVE_DOCNUMS: weakref.WeakKeyDictionary[Any, dict[str, int]] = weakref.WeakKeyDictionary()


def _docnums(index: PaperIndex, result: SearchResult) -> list[int]:
    """Each hit's document number, as ``searcher.document_number(id=...)`` finds it: the
    live document of that id (a replaced paper's old document is deleted). Read once per
    searcher: asking Whoosh once per hit was a third of the oracle's CPU time."""
    searcher = index._current_searcher()
    live = _LIVE_DOCNUMS.get(searcher)
    if live is None:
        reader = searcher.reader()
        ids = reader.column_reader("id")
        live = {ids[docnum]: docnum for docnum in reader.all_doc_ids()}  # deleted skipped
        _LIVE_DOCNUMS[searcher] = live
    return [live[hit.paper.id] for hit in result.hits]


def _assert_same_answer(index: PaperIndex, text: str, sort: SortOrder) -> None:
    result = index.search(text, sort=sort, limit=100_000, prefix_last_word=True)
    asked = result.corrected_query or text
    expected = _whoosh_answer(index, asked, result.sort)
    ours = _docnums(index, result)
    case = (text, sort, result.sort)
    assert result.total == len(expected), case
    assert sorted(ours) == sorted(doc for doc, _ in expected), case
    searcher = index._current_searcher()
    if driven_by_negation(index._planner.plan(searcher, asked, prefix_last_word=True).query):
        return  # ranked by its words, then newest first: the set and count agree
    if result.sort != "relevance":
        assert ours == [doc for doc, _ in expected], case
        return
    scores = dict(zip(ours, (hit.score for hit in result.hits), strict=True))
    offset = expected[0][1] - scores[expected[0][0]] if expected else 0.0
    # A range applied as a filter adds its constant score (a whole number) to every
    # Whoosh hit; otherwise the offset is 0.
    assert abs(offset - round(offset)) <= TOLERANCE, case
    for doc, their_score in expected:
        assert abs(their_score - offset - scores[doc]) <= TOLERANCE, (case, doc)
    # The same order, except between hits whose scores agree within the tolerance.
    for (theirs, _), mine in zip(expected, ours, strict=True):
        assert theirs == mine or abs(scores[theirs] - scores[mine]) <= TOLERANCE, case


def test_the_fast_path_answers_as_whoosh_does(index: PaperIndex) -> None:
    assert whoosh_internals.STATUS.fast
    for text, sort in _cases(QUERIES, SEED):
        _assert_same_answer(index, text, sort)


def test_without_an_internal_name_searches_take_the_public_path(
    index: PaperIndex, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``BM25F._field_B`` renamed inside Whoosh (its own search still works)."""
    real_init = BM25F.__init__

    def renamed_init(self: Any, *args: Any, **kwargs: Any) -> None:
        real_init(self, *args, **kwargs)
        self.field_bs = self.__dict__.pop("_field_B")

    def renamed_scorer(self: Any, searcher: Any, fieldname: str, text: Any, qf: int = 1) -> Any:
        if not searcher.schema[fieldname].scorable:
            return WeightScorer.for_(searcher, fieldname, text)
        b = self.field_bs.get(fieldname, self.B)
        return BM25FScorer(searcher, fieldname, text, b, self.K1, qf=qf)

    monkeypatch.setattr(BM25F, "__init__", renamed_init)
    monkeypatch.setattr(BM25F, "scorer", renamed_scorer)
    status = whoosh_internals.probe()
    assert not status.fast and "BM25F._field_B" in status.missing
    assert status.message is not None and "slower" in status.message
    monkeypatch.setattr(whoosh_internals, "STATUS", status)
    fallback = _build(tmp_path / "ix")  # opened after the rename: no fast tables
    try:
        for text, sort in _cases(FALLBACK_QUERIES, SEED + 1):
            _assert_same_answer(fallback, text, sort)
    finally:
        fallback.close()


def test_the_probe_does_not_share_a_temp_folder_with_other_processes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Whoosh's writer keeps a "<indexname>.tmp" folder in the system temp folder even
    # for a RAM index and deletes it on commit; another process starting at the same
    # moment (a second app, the CLI, a test worker) must not make the probe fail.
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    (tmp_path / "MAIN.tmp").write_text("another process's folder, in the way")
    assert whoosh_internals.probe().missing == ()
    assert sorted(path.name for path in tmp_path.iterdir()) == ["MAIN.tmp"]


def test_phrases_agree_with_whoosh(index: PaperIndex) -> None:
    """Phrases of two to four common words, a word repeated, in the title: the documents,
    count and scores of Whoosh's own Phrase (``scoring.phrase_scores`` decodes the
    positions of all candidates at once and compares them as sets)."""
    matched = 0
    for text in _phrases(60, SEED + 2):
        _assert_same_answer(index, text + " ", "relevance")
        matched += index.search(text + " ", prefix_last_word=True).total > 0
    # Most phrases must match something, or positions were never compared.
    assert matched >= 30


@pytest.mark.parametrize(
    "text",
    [
        "RL ",
        "RL policy ",
        "RLs ",
        "reinforcement learning ",
        "graph neural network ",
        "LM reasoning ",
        "LM ",
        "language model reasoning ",
    ],
)
def test_abbreviations_agree_with_whoosh(index: PaperIndex, text: str) -> None:
    """An abbreviation's long form is a phrase weighing less than the words typed (a
    boosted phrase, ``planning``), and a long form's short form a boosted term: the
    fast scorer gives Whoosh's documents, count and scores."""
    assert index.search(text, prefix_last_word=True).expansions
    _assert_same_answer(index, text, "relevance")


@pytest.mark.parametrize("path", ["lists", "numpy", "numpy, another layout"])
def test_phrase_scores_are_whooshs_to_the_last_bit(
    index: PaperIndex, path: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Whoosh adds a phrase's word scores in a balanced tree (``s0 + (s1 + s2)``), not
    left to right: ``phrases.phrase_scores`` must give the same floats, or hits of
    equal score come out in another order than Whoosh's. On the numpy path too (the
    words' scores as arrays), and when a value's layout sends it back to one posting
    at a time."""
    from whoosh import query as wq

    from browser.search import phrases, plainvectors, schema
    from browser.search.whoosh_internals import positions

    def refuse(*_: Any) -> Any:
        raise positions.LayoutMismatch("test")

    if path != "lists":
        monkeypatch.setattr(plainvectors, "NUMPY_FROM_DOCUMENTS", 0)
    if path == "numpy, another layout":
        monkeypatch.setattr(positions, "decode_positions", refuse)

    searcher = index._current().searcher
    rng = random.Random(SEED + 3)
    compared = 0
    for _ in range(40):
        words = [schema.term_of(w) or w for w in rng.choices(WORDS[:10], k=rng.randint(2, 4))]
        ours = phrases.phrase_scores(searcher, "text", words)
        found = searcher.search(wq.Phrase("text", words), limit=None)
        theirs = {hit.docnum: hit.score for hit in found}
        assert ours == theirs  # the same documents and bitwise the same scores
        compared += len(ours)
    assert compared >= 50
