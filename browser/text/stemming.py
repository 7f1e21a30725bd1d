"""Word stems: Snowball English (Porter2) through PyStemmer, a C build of the reference.

Why Porter2 and not Whoosh's Porter: Porter stems ``bias`` to ``bia`` but ``biases`` to
``bias`` (so a query and a paper using the two numbers miss each other), and it stems
``generative`` and ``general`` alike enough to rank "General ..." above "Generative ...".
Snowball English keeps ``bias``/``biases`` together and ``generat``/``general`` apart.

PyStemmer (``Stemmer``) is the Snowball project's own C code; ``snowballstemmer``, the
pure-Python translation of the same algorithm, is the test oracle.
"""

from __future__ import annotations

from typing import Final

import Stemmer

__all__ = ["stem", "stem_words"]

_STEMMER: Final = Stemmer.Stemmer("english")
# PyStemmer keeps its own cache; this one saves the call overhead for the hot words.
_STEMMER.maxCacheSize = 0
_CACHE: dict[str, str] = {}
_CACHE_MAX: Final = 300_000


def stem(word: str) -> str:
    """The Snowball English stem of a normalised word; words with digits or of CJK
    characters and words of up to two letters are their own stem."""
    found = _CACHE.get(word)
    if found is None:
        found = _stem_uncached(word)
        if len(_CACHE) >= _CACHE_MAX:
            _CACHE.clear()
        _CACHE[word] = found
    return found


def stem_words(words: list[str]) -> list[str]:
    """``stem`` of each word, in order."""
    return [stem(word) for word in words]


def _stem_uncached(word: str) -> str:
    if len(word) <= 2 or not word.isalpha() or not word.isascii():
        # Snowball English only knows English endings: names with digits ("t5s") and
        # other scripts would only lose letters.
        return word
    return str(_STEMMER.stemWord(word))
