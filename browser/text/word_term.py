"""The search's term for one word as written: what the index makes of it.

``word_term("Datasets") == word_term("dataset") == word_term("data-set")``: the word is
tokenised (``tokens``: folded, a compound taken whole as its joined form), spelt the
American way (``spelling``) and stemmed (``stemming``), exactly as the index does to each
token (``search.schema.index_term``). Words that give one term are one word to the
search, so whatever lists words beside a search (the rising terms of the stats) groups
them by it rather than by a fold of its own.
"""

from __future__ import annotations

from functools import lru_cache

from browser.text.normalise import normalise
from browser.text.spelling import american
from browser.text.stemming import stem
from browser.text.tokens import tokenise

__all__ = ["word_term"]


@lru_cache(maxsize=200_000)
def word_term(word: str) -> str:
    """The indexed term of ``word``: its tokens' joined form when it is a compound
    (``multi-task`` -> ``multitask``), American, Snowball-stemmed; a stop word is kept."""
    if word.isalpha() and word.isascii() and word.islower():
        # A plain word is its own one token (what ``tokenise`` finds, without its work).
        return stem(american(word))
    tokens = tokenise(word, keep_stop_words=True)
    if not tokens:
        return normalise(word)  # punctuation only: no term, the word is its own key
    first, last = tokens[0].start, tokens[-1].end
    whole = [token for token in tokens if token.start == first and token.end == last]
    folded = whole[-1].text if whole else "".join(t.text for t in tokens if not t.derived)
    return stem(american(folded))
