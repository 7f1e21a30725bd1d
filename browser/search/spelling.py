"""Spelling: the closest known word for an unknown one, and which words to leave out.

Both read the vocabulary beside the index (``vocabulary``); running the corrected query
is the facade's job.
"""

from __future__ import annotations

import itertools
import re
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Final

from whoosh.support.levenshtein import damerau_levenshtein

from browser.search.identifiers import ID_LIST
from browser.search.repair import FIELD_ALIASES, KNOWN_FIELDS
from browser.search.schema import PROSE_FIELDS, folded_word
from browser.search.syntax import OPERATORS
from browser.search.vocabulary import Vocabulary
from browser.text.query_text import clean_query

# Below this many hits a spelling correction is offered as a suggestion.
FEW_HITS: Final = 3
# Longer "words" are pasted junk, not typos, and edit-distance walks on them are slow.
MAX_CORRECTED_WORD: Final = 30
# Sets of words to leave out tried at most, when no paper has all the words.
MAX_RELAXATIONS: Final = 24
# Postings ``best_kept_words`` reads (each word's papers as a set, rarest first) to find
# the paper with the most of a long query's words: about 20-40 ms of set building.
RELAX_POSTINGS: Final = 200_000


def corrected_query(
    query: str,
    words: list[str],
    vocabulary: Vocabulary,
    *,
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


# A word as a reader wrote it: letters, digits and wildcards, joined by inner hyphens,
# dots or apostrophes (``GPT-5``, ``2401.01234``, ``Qwen2.5``, ``model's``, ``colo?r``).
_WRITTEN_WORD: Final = re.compile(r"(?:[^\W_]|[?*])+(?:[-.'’ʼ](?:[^\W_]|[?*])+)*")
_LETTERS: Final = re.compile(r"[^\W\d_]+")


def relaxable_words(query: str) -> list[str]:
    """The words of ``query`` a shortened query may leave out, each whole as written.

    Outside operators, and outside the values of fields that are not prose (``year:2024``,
    ``listed:2025-12``, ``author:smith`` stay as they are); a prose field's value counts
    (``title:penguin`` -> ``penguin``), and so does a would-be field that is not one,
    which the search reads as a word (``foo:diffusion`` -> ``foo``, ``diffusion``).
    Unlike ``plain_words`` (what spelling can correct) digits count: ``diffusion 98765``
    has two words, and a word no paper has must be one a shortened query can leave out.
    """
    words: list[str] = []
    spaced = clean_query(query).replace('"', " ").replace("(", " ").replace(")", " ")
    for chunk in spaced.split():
        if chunk in OPERATORS:
            continue
        name, sep, value = chunk.partition(":")
        if sep and name:
            field = FIELD_ALIASES.get(name.lower(), name.lower())
            if field in KNOWN_FIELDS and field not in PROSE_FIELDS:
                continue
            if field not in KNOWN_FIELDS:
                words.extend(_WRITTEN_WORD.findall(name))
            chunk = value
        words.extend(_WRITTEN_WORD.findall(chunk))
    return words


def words_to_drop(
    words: list[str], vocabulary: Vocabulary, *, keep_one: bool = True
) -> Iterator[list[str]]:
    """Sets of ``words`` to leave out when no paper has them all: one word, then two, ...
    and among as many the most common first, since they say least about what is looked
    for (``vietnam hate`` tries without "hate" before without "vietnam"). At most
    ``MAX_RELAXATIONS`` sets; never all the words, unless not ``keep_one`` (the query
    holds something more telling than its words, an arXiv id).

    A word with digits counts as common as its letters (``GPT-4`` as ``gpt``); one of
    digits only as a word no paper has (``98765``): the most specific, left out last.
    """
    unique = list(dict.fromkeys(words))
    frequency = {w: _commonness(w, vocabulary) for w in unique}
    tried = 0
    for count in range(1, len(unique) + (0 if keep_one else 1)):
        for dropped in sorted(
            itertools.combinations(unique, count), key=lambda c: -sum(frequency[w] for w in c)
        ):
            yield list(dropped)
            tried += 1
            if tried >= MAX_RELAXATIONS:
                return


def _commonness(word: str, vocabulary: Vocabulary) -> int:
    """How many papers have ``word``'s rarest letters (0 for digits only)."""
    parts = _LETTERS.findall(word)
    return min(
        (vocabulary.frequency(folded_word(part) or part.lower()) for part in parts), default=0
    )


def best_kept_words(
    words: list[str],
    papers_of: Callable[[str], set[int] | None],
    vocabulary: Vocabulary,
    among: Callable[[set[int]], set[int]] = lambda papers: papers,
) -> set[str] | None:
    """The words to keep when no paper has them all and ``words_to_drop``'s sets ran out
    (a long pasted sentence): those of the paper that has the most of them, and among
    papers with as many, the one whose words are rarest (they say most about what is
    looked for). None when no paper has any.

    ``papers_of(word)``: the documents the word alone matches (None: it narrows nothing,
    a stop word, and is kept). Bounded: the words' posting sets are read rarest first
    until they hold ``RELAX_POSTINGS`` postings; the more common words after that are
    left out unread, as ``words_to_drop`` leaves out the most common first. ``among``:
    the papers the search may show of those (its filters); the bound counts what is
    read, not what the filters leave, or a narrow filter would read every word.
    """
    sets: dict[str, set[int]] = {}
    kept: set[str] = set()
    read = 0
    for word in sorted(dict.fromkeys(words), key=lambda w: _commonness(w, vocabulary)):
        if read > RELAX_POSTINGS:
            break
        papers = papers_of(word)
        if papers is None:
            kept.add(word)
            continue
        read += len(papers)
        sets[word] = among(papers)
    held = Counter(docnum for papers in sets.values() for docnum in papers)
    if not held:
        return None
    most = max(held.values())

    def rarity(docnum: int) -> float:
        return sum(1 / len(papers) for papers in sets.values() if docnum in papers)

    best = max((docnum for docnum, count in held.items() if count == most), key=rarity)
    return kept | {word for word, papers in sets.items() if best in papers}


# Syntax after which leaving a word out changes the meaning: operators, negation, ranges,
# phrases (quotes of any style: browser.text.query_text makes them plain).
_NOT_ONLY_REQUIRED_WORDS: Final = re.compile(
    r"(?<![^\s(])(?:AND|OR|NOT|ANDNOT|ANDMAYBE)(?![^\s)])|(?<![^\s(])-|[\[\]{}<>\"“”„‟«»＂〝〞]"
)


def relaxable(query: str) -> bool:
    """Whether every word of ``query`` is required (no operators, ``-word``, ranges or
    phrases, in quotes of any kind: ``‘gradient policy’`` is a phrase too)."""
    # A list of arXiv ids read as their OR names the papers wanted, no operator of the
    # user's: the words beside it are still required (a pasted reference list).
    return _NOT_ONLY_REQUIRED_WORDS.search(ID_LIST.sub(" ", clean_query(query))) is None


def without_words(query: str, dropped: list[str]) -> str:
    """``query`` with every whole-word occurrence of each of ``dropped`` taken out,
    with its field if it has one (``title:penguin`` goes whole, leaving no ``title:``).

    A dropped word that was read as a word although written as a field (``foo:bar``, not
    a field) goes with its colon, leaving ``bar``; a colon left dangling at the end
    (``mamba: linear`` without ``linear``) goes too, so the query shown as run is one a
    reader would type.
    """
    for word in dropped:
        query = re.sub(rf"(?<![\w:-])(?:\w+:)?{re.escape(word)}(?::(?=\S)|(?![\w:-]))", " ", query)
    trailing = " " if query[-1:].isspace() else ""
    query = re.sub(r"(?<=\w):$", "", query.rstrip())
    # Punctuation its word left behind ("2024." without 2024) is no part of a query.
    kept = [chunk for chunk in query.split() if chunk.strip(".,;:!?")]
    return " ".join(kept) + trailing
