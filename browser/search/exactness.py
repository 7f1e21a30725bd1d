"""An exact, unstemmed match ranks above a stem-only one (issue 13).

The index holds stems only (``generative`` and ``generation`` are both ``generat``), so
BM25 cannot tell a title that has the query word as written from one that only shares
its stem. Indexing the unstemmed words too would grow the index by a third; instead the
papers that can gain are checked at query time against their titles as the title sort
column already holds them (``identity.normalize_title``: case-folded, punctuation
collapsed to single spaces), read once per commit (``CommitOrder.titles``).

The rule: each query word whose stem has another written form in the library
(``Vocabulary``), found as written among the words of a matching paper's title, adds
``EXACT_TITLE_SHARE`` of the most that term can score under BM25 (``idf * (k1 + 1)``).
That is more than two title matches of one stem can differ by, so for a one-word query
every exact title match ranks above every stem-only one; with more words it weighs as
much as one more well-matched word. A word whose stem has a single written form in the
library adds nothing: no paper can match it by its stem only. The word being typed
counts as written when a title word starts with it (``generati`` promotes "Generative"
and "Generation" over "Generated"), since the app's settled search of ``generative``
without a trailing space still treats it as being typed."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from itertools import islice
from typing import TYPE_CHECKING, Any, Final

from whoosh.scoring import BM25F

from browser.identity import normalize_title
from browser.search.ordering import CommitOrder
from browser.search.plainvectors import vectors_of
from browser.search.schema import DEFAULT_FIELD, folded_word, index_term
from browser.search.scoring import top
from browser.search.vocabulary import Vocabulary

if TYPE_CHECKING:  # numpy is imported with the first scoring, not with this module
    from browser.search.vectors import ScoredDocs

# Of the most a term can add under BM25 (idf * (k1 + 1)): see the module docstring.
EXACT_TITLE_SHARE: Final = 1.0
# Written forms of a stem looked at in the vocabulary before deciding it has one only.
FORMS_LOOKED_AT: Final = 400
# Papers, best by BM25 first, whose titles are checked (``ranked_with_exact_bonus``).
# A title with the word as written also holds its stem, which counts twice in the text
# field, so those papers rank near the top already. Reading which papers have the stem
# in their title from the title field's postings instead cost 7% of a settled search
# and 18% of a typing pass at 100k papers (17 completions of the word being typed).
EXACT_POOL: Final = 2000


@dataclass(frozen=True)
class ExactWord:
    """A query word as a title writes it (``form``: normalised, a space before it and,
    for a finished word, after it), the index terms it matches by, and what an exact
    title match of it adds."""

    form: bytes
    terms: tuple[str, ...]
    bonus: float


@dataclass(frozen=True)
class QueryWords:
    """The plain words of a query: those finished, and the one being typed if any."""

    finished: list[str]
    typed: str | None = None


def query_words(query: str, words: list[str], *, being_typed: bool) -> QueryWords:
    """``words`` split into finished ones and the last, when the text ends in it and is
    ``being_typed`` (a query given whole has finished words only)."""
    if being_typed and words and query and query[-1].isalnum() and query.endswith(words[-1]):
        return QueryWords(words[:-1], words[-1])
    return QueryWords(list(words))


def exact_words(
    searcher: Any,
    words: QueryWords,
    vocabulary: Vocabulary,
    completions: Callable[[str], list[str]],
) -> list[ExactWord]:
    """The query words an exact title match can promote (see the module docstring);
    ``completions(prefix)`` are the words the one being typed is expanded to."""
    weighting = searcher.weighting
    if not isinstance(weighting, BM25F):
        return []
    found: dict[bytes, ExactWord] = {}
    typed = [] if words.typed is None else [words.typed]
    for word, is_typed in [*((w, False) for w in words.finished), *((w, True) for w in typed)]:
        written = normalize_title(word)
        folded = folded_word(word.lower())
        if not written or folded is None or not written.isalnum():
            continue
        form = f" {written}".encode() if is_typed else f" {written} ".encode()
        forms = [folded, *completions(folded)] if is_typed else [folded]
        if form in found or not any(
            _has_other_forms(vocabulary, f, folded if is_typed else f) for f in forms
        ):
            continue
        terms = tuple(sorted({index_term(f) for f in forms}))
        try:
            idf = min(searcher.idf(DEFAULT_FIELD, term) for term in terms)
        except Exception:  # a term the field cannot encode scores nothing
            continue
        bonus = EXACT_TITLE_SHARE * idf * (weighting.K1 + 1)
        found[form] = ExactWord(form, terms, bonus)
    return list(found.values())


def _has_other_forms(vocabulary: Vocabulary, folded: str, written: str) -> bool:
    """Whether a word of the library not written as ``written`` (a whole word, or the
    start of one being typed) has the stem of ``folded`` (``generation`` for
    ``generative``). Forms of a stem share its start, short of its last letter or two
    (``policy``/``polici``), so only the words starting like both are looked at."""
    term = index_term(folded)
    common = 0
    for mine, theirs in zip(folded, term, strict=False):
        if mine != theirs:
            break
        common += 1
    if common < 4:
        return False  # too short a start to walk the vocabulary for
    # A stem's last letter may stand for another one (``polici``: ``policy``).
    candidates = islice(vocabulary.starting_with(folded[: common - 1]), FORMS_LOOKED_AT)
    return any(
        not other.startswith(written) and index_term(other) == term
        for other in candidates
        if other != written
    )


def _title_gains(
    order: CommitOrder, exact: list[ExactWord], docnums: Iterable[int]
) -> dict[int, float]:
    """What each of ``docnums`` gains from its title holding the ``exact`` words."""
    titles = order.titles()
    gained: dict[int, float] = {}
    for docnum in docnums:
        title = b" " + titles[docnum] + b" "
        for word in exact:
            if word.form in title:
                gained[docnum] = gained.get(docnum, 0.0) + word.bonus
    return gained


def ranked_with_exact_bonus(
    order: CommitOrder,
    exact: list[ExactWord],
    scored: ScoredDocs | dict[int, float],
    wanted: int,
) -> list[tuple[int, float]]:
    """``top(scored, wanted)`` once titles holding the ``exact`` words as written add
    their bonus to ``scored`` (``_title_gains``), without
    a second pass over every match: the bonus goes only to the ``EXACT_POOL`` best, and
    everything outside the pool scores below all of it, so when ``wanted`` fits in the
    pool the top comes from the pool alone (the same list, ties and all): this holds
    because a bonus is never negative (``idf * (k1 + 1)`` with Whoosh's idf above 1).
    ``scored`` is left as it was."""
    vectors = vectors_of(scored)
    docs = vectors.as_docs(scored)
    if not exact:
        return vectors.top(docs, wanted)
    pool = vectors.best(docs, EXACT_POOL)
    gains = _title_gains(order, exact, sorted(pool.docnums()))
    boosted = docs.as_dict() if wanted > EXACT_POOL else pool.as_dict()
    for docnum, extra in gains.items():
        boosted[docnum] += extra
    return top(boosted, wanted)
