"""The word being typed: its completions, and when a single letter may have them.

While a query is typed its last word is unfinished: ``diffus`` also matches its most
frequent completions, ``fine-tun`` is ``fine`` and ``tun*`` (or ``finetun*``). A single
letter (``offline r``, on the way to "offline reinforcement") completes too, but only
where other words of the query narrow it: its completions are the most frequent words of
the whole library, so over every paper they would read posting lists of tens of
thousands of papers each. Inside an AND, ``scoring`` reads each completion only among
the papers the other words match, and the letter keeps only as many of its most frequent
completions as fit ``LETTER_POSTINGS`` there. A lone letter stays a word.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Final

from whoosh import query as wq

from browser.search.kept import frequency, skip_cost
from browser.search.schema import DEFAULT_FIELD, STEMMED_FIELDS, index_term
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
    for node in _nodes(parsed):
        if isinstance(node, wq.And) and any(child is typed for child in node.subqueries):
            words = [
                leaf.text
                for child in node.subqueries
                if child is not typed and _needs_words(child)
                for leaf in child.leaves()
                if isinstance(leaf, wq.Term)
            ]
            counts = [frequency(searcher, DEFAULT_FIELD, index_term(word)) for word in words]
            return min(counts, default=None)
    return None


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
            query: Any = union([wq.Term(field, term) for term in last])
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
