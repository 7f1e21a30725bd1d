"""Spelling: the closest known word for an unknown one, and smaller queries that match.

Both read the vocabulary beside the index (``vocabulary``); running the corrected query
is the facade's job.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Final

from whoosh.support.levenshtein import damerau_levenshtein

from browser.search.schema import folded_word
from browser.search.vocabulary import Vocabulary

# Below this many hits a spelling correction is offered as a suggestion.
FEW_HITS: Final = 3
# Longer "words" are pasted junk, not typos, and edit-distance walks on them are slow.
MAX_CORRECTED_WORD: Final = 30


def corrected_query(
    query: str,
    words: list[str],
    vocabulary: Vocabulary,
    being_typed: Callable[[str], bool],
) -> str | None:
    """``query`` with each unknown word of ``words`` (its plain words, in order) replaced
    by its closest known spelling; None when nothing changes.

    The last word is left alone while ``being_typed(word)`` says it is still being typed
    (a prefix of known words).
    """
    corrected = query
    for word in words:
        folded = folded_word(word.lower())
        if (
            folded is None
            or not 3 <= len(folded) <= MAX_CORRECTED_WORD
            or vocabulary.frequency(folded)
        ):
            continue
        if word == words[-1] and being_typed(word):
            continue
        replacement = closest_word(vocabulary, folded)
        if replacement is None:
            continue
        corrected = re.sub(rf"(?<!\w){re.escape(word)}(?!\w)", replacement, corrected, count=1)
    return corrected if corrected != query else None


def closest_word(vocabulary: Vocabulary, word: str) -> str | None:
    """Nearest indexed word by edit distance, the more frequent one on a tie."""
    candidates: set[str] = set()
    # Typos rarely hit the first letters; trusting them keeps the search short.
    first_letters = 2 if len(word) >= 7 else 1
    # Distance 2 looks at far more of the vocabulary: only when 1 finds nothing.
    for maxdist in (1, 2) if len(word) > 4 else (1,):
        candidates = vocabulary.within(word, maxdist, first_letters)
        candidates.discard(word)
        if candidates:
            break
    if not candidates:
        return None
    return min(
        candidates,
        key=lambda c: (damerau_levenshtein(word, c), -vocabulary.frequency(c), c),
    )


def smaller_queries(words: list[str], vocabulary: Vocabulary) -> Iterator[list[str]]:
    """``words`` (duplicates dropped) with the rarest left out, then the next rarest...,
    down to one word: what to try when all of them together match nothing."""
    kept = list(dict.fromkeys(words))
    while len(kept) > 1:
        rarest = min(kept, key=lambda w: vocabulary.frequency(folded_word(w.lower()) or w))
        kept.remove(rarest)
        yield list(kept)
