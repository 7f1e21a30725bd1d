"""The word being typed: its completions, and when a single letter may have them.

While a query is typed its last word is unfinished: ``diffus`` also matches its most
frequent completions, ``fine-tun`` is ``fine`` and ``tun*`` (or ``finetun*``). A single
letter (``offline r``, on the way to "offline reinforcement") completes too, but only
where other words of the query narrow it: its completions are the most frequent words of
the whole library, so over every paper they would read posting lists of tens of
thousands of papers each. Inside an AND, ``scoring`` reads each completion only among
the papers the other words match, and the letter keeps only as many of its most frequent
completions as fit ``LETTER_POSTINGS`` there. Those completions then weigh what the
reader most likely means (``letter_weights``): each by how many papers of the other
words' rarest word hold it, as a share of the commonest (``language m`` is mostly
"language model"). An OR of equal completions ranked first the paper that held the most
different, rarest m-words (MODP: "multi", "multiple", "most", "metrics"), and a
completion no such paper holds is left out. Counting reads the kept completions'
postings once more among those papers, as the AND then reads them: the letter reads at
most twice ``LETTER_POSTINGS``, plus the rarest word's list once. A lone letter stays a
word.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Final

from whoosh import query as wq

from browser.search.kept import frequency, skip_cost, skips_to_candidates
from browser.search.schema import DEFAULT_FIELD, STEMMED_FIELDS, index_term
from browser.search.stopping import Interrupted, Stop
from browser.search.whoosh_internals import posting_ids, posting_parts
from browser.text.tokens import STOP_WORDS, is_cjk, tokenise

# Postings a single letter's completions may add to the typing pass, counted as
# ``scoring``'s AND reads them. At 100k papers a budget of 50k let "offline r" (offline:
# 22k papers; its letter's first completion, reasoning: 34k) run out of the typing budget
# and settle in 120-190 ms, and 20k still cut "conservative r" short. With 10k a letter
# after a word that common stays a letter at 100k (the typing pass as before), while at
# 10k papers "offline r" completes in one final pass (bench/results/forgive-2026-12-07e.md).
LETTER_POSTINGS: Final = 10_000


def union(terms: list[Any], boost: float = 1.0) -> Any:
    """An OR over the completions of a word.

    Whoosh's default OR is a binary tree of union matchers that costs several Python calls
    per document per level: for 32 completions of a short prefix that was ~1 s at 100k
    papers. The array matcher decodes each term's postings into one score array per
    range of documents, several times faster on wide unions.
    """
    union = wq.Or(terms, boost=boost)
    union.matcher_type = wq.Or.ARRAY_MATCHER
    return union


def narrowing_postings(searcher: Any, parsed: Any, typed: Any) -> int | None:
    """How many papers at most the words ANDed with the word being typed leave (the
    rarest of their words), or None when nothing narrows it: alone, beside only a NOT,
    ``*``, a range or "has a value" (which narrow little or nothing), or inside an OR."""
    rarest = _rarest_narrowing_term(searcher, parsed, typed)
    return None if rarest is None else frequency(searcher, DEFAULT_FIELD, rarest)


def _rarest_narrowing_term(searcher: Any, parsed: Any, typed: Any) -> str | None:
    """The index term of the rarest word ANDed with the word being typed (see
    ``narrowing_postings``), or None."""
    for node in _nodes(parsed):
        if isinstance(node, wq.And) and any(child is typed for child in node.subqueries):
            terms = [
                index_term(leaf.text)
                for child in node.subqueries
                if child is not typed and _needs_words(child)
                for leaf in child.leaves()
                if isinstance(leaf, wq.Term)
            ]
            return min(terms, key=lambda t: frequency(searcher, DEFAULT_FIELD, t), default=None)
    return None


def letter_weights(
    searcher: Any, parsed: Any, typed: Any, terms: list[str], stop: Stop
) -> dict[str, float]:
    """A boost for each of a letter's completions (``terms``, index terms of the text
    field) that the papers of the rarest word ANDed with it hold: its share of those
    papers against the commonest completion's, with its idf evened out to the
    commonest's. BM25 gives a rare word a high idf, so a paper with several rare
    completions outscored one with the word meant; evened out, a paper's completions
    add up to at most the sum of their shares. Empty when none is held, or out of time.

    Each list is read as the AND reads it, only in the blocks that may hold those
    papers when they are few (``kept``). Deleted papers count too: the counts only weigh
    completions against each other."""
    rarest = _rarest_narrowing_term(searcher, parsed, typed)
    if rarest is None:
        return {}
    check = stop.check if stop.active else None
    try:
        context = _term_papers(searcher, rarest, check)
        counts = {term: _papers_among(searcher, term, context, check) for term in terms}
    except Interrupted:
        # Out of time: the completions stay equal, and the deadline makes the typing
        # pass partial, so the settled search follows.
        return {}
    top = max(counts, key=lambda term: counts[term], default=None)
    if top is None or not counts[top]:
        return {}
    idf = {term: searcher.idf(DEFAULT_FIELD, term) for term in counts if counts[term]}
    return {term: counts[term] / counts[top] * idf[top] / idf[term] for term in idf}


def _term_papers(searcher: Any, term: str, check: Callable[[], None] | None) -> set[int]:
    found: set[int] = set()
    tbytes = searcher.schema[DEFAULT_FIELD].to_bytes(term)
    for subsearcher, offset in searcher.leaf_searchers():
        reader = subsearcher.reader()
        if (DEFAULT_FIELD, tbytes) in reader:
            ids = posting_ids(reader.postings(DEFAULT_FIELD, tbytes), check)
            found.update(docnum + offset for docnum in ids)
    return found


def _papers_among(
    searcher: Any, term: str, among: set[int], check: Callable[[], None] | None
) -> int:
    count = 0
    tbytes = searcher.schema[DEFAULT_FIELD].to_bytes(term)
    for subsearcher, offset in searcher.leaf_searchers():
        reader = subsearcher.reader()
        if (DEFAULT_FIELD, tbytes) not in reader:
            continue
        end = offset + reader.doc_count_all()
        local = sorted(d - offset for d in among if offset <= d < end)
        if not local:
            continue
        postings = reader.postings(DEFAULT_FIELD, tbytes)
        skips = skips_to_candidates(len(local), frequency(reader, DEFAULT_FIELD, tbytes))
        wanted = set(local)
        for ids, _, _ in posting_parts(postings, None, check, among=local if skips else None):
            count += sum(map(wanted.__contains__, ids))
    return count


def _nodes(node: Any) -> Iterator[Any]:
    yield node
    if not node.is_leaf():
        for child in node.children():
            yield from _nodes(child)


def _needs_words(node: Any) -> bool:
    """Whether every match of ``node`` has words of the text (a term or phrase)."""
    if isinstance(node, wq.Not):
        return False
    if node.is_leaf():
        return (
            isinstance(node, wq.Term | wq.Phrase)
            and getattr(node, "fieldname", None) in STEMMED_FIELDS
        )
    if isinstance(node, wq.And):
        return any(_needs_words(child) for child in node.children())
    return all(_needs_words(child) for child in node.children())


@dataclass(frozen=True)
class TypedWord:
    """The word being typed in ``fieldname``, with what its expansion needs to know:
    ``completions(prefix)`` (the most frequent words starting with it), ``long_forms``
    (an abbreviation's long forms as queries) and ``narrowing`` (``narrowing_postings``)."""

    fieldname: str
    word: str
    completions: Callable[[str], list[str]]
    long_forms: Callable[[str, str, float], list[Any]]
    # Asked only for a single letter: most keystrokes need no document frequencies.
    narrowing: Callable[[], int | None]
    frequency: Callable[[str], int]
    # For a single letter: its completions' boosts (``letter_weights``).
    letter_weights: Callable[[list[str]], dict[str, float]]

    def expansion(self) -> Any | None:
        """The word as index terms, its last part also matching its most frequent
        completions (in the text field: the caller keeps ``abstract:`` to its region).
        None when there is nothing to complete."""
        parts = [t for t in tokenise(self.word, keep_stop_words=True) if not t.derived]
        if not parts:
            return None
        one_letter = len(parts[-1].text) < 2 and not is_cjk(parts[-1].text)
        narrowing = self.narrowing() if one_letter and len(parts) == 1 else None
        if one_letter and narrowing is None and len(parts) == 1:
            return None
        field = DEFAULT_FIELD if self.fieldname == "abstract" else self.fieldname
        last = self._completed_terms(parts[-1].text, one_letter, narrowing)
        if len(parts) == 1:
            if len(last) <= 1:
                return None
            weights = self.letter_weights(last) if one_letter else {}
            if weights:
                last = [term for term in last if term in weights]
            query: Any = union([wq.Term(field, t, boost=weights.get(t, 1.0)) for t in last])
            # A whole known abbreviation is a word already, not only a prefix: ``RL``
            # also matches "reinforcement learning" before a space is typed.
            long_forms = self.long_forms(field, parts[0].text, 1.0)
            return wq.Or([query, *long_forms]) if long_forms else query
        earlier = [
            wq.Term(field, index_term(t.text)) for t in parts[:-1] if t.text not in STOP_WORDS
        ]
        query = wq.And([*earlier, union([wq.Term(field, t) for t in last])])
        joined = self._completed_terms("".join(t.text for t in parts), False, None)
        if len(joined) > 1:
            query = wq.Or([query, union([wq.Term(field, t) for t in joined])])
        return query

    def _completed_terms(self, prefix: str, one_letter: bool, narrowing: int | None) -> list[str]:
        """Index terms of ``prefix`` itself and of its most frequent completions; for one
        letter, only as many as ``LETTER_POSTINGS`` allows among the narrowing papers
        (after a hyphen: the papers of the word before it, unknown here, so the whole
        library's count)."""
        words = self.completions(prefix)
        if one_letter:
            words = letter_completions(words, self.frequency, narrowing)
        return sorted({index_term(w) for w in [prefix, *words]})


def letter_completions(
    words: list[str], frequency: Callable[[str], int], narrowing: int | None
) -> list[str]:
    """The first of ``words`` (most frequent first) whose postings, read among
    ``narrowing`` papers, add up to at most ``LETTER_POSTINGS``."""
    kept: list[str] = []
    read = 0
    for word in words:
        count = frequency(word)
        if narrowing is not None:
            # As ``scoring``'s AND reads it among the narrowing words' papers.
            count = int(skip_cost(count, count, narrowing))
        read += count
        if read > LETTER_POSTINGS:
            break
        kept.append(word)
    return kept
