"""The vocabulary beside the index: folded, unstemmed words and how many papers hold each.

Prefix completion, wildcards, word ranges and spelling read it. One file per index
generation (``vocabulary-<generation>.txt``), written after the commit, so a searcher
always finds the vocabulary of the commit it reads.
"""

from __future__ import annotations

import bisect
import contextlib
import fnmatch
import heapq
import re
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, Final

from whoosh.support.levenshtein import damerau_levenshtein

from browser.fsutil import TEMPORARY_SUFFIX, atomic_writer
from browser.search.stopping import Stop

VOCABULARY_PREFIX: Final = "vocabulary-"


class Vocabulary:
    """Folded, unstemmed words and how many papers hold each: prefixes and spelling.

    Kept out of Whoosh: indexing every abstract a second time, unstemmed, for this cost a
    third of the build and of the index. One file per index generation, written after
    the commit, so a searcher always finds the vocabulary of the commit it reads.

    Two aligned lists (sorted words, their counts) and look-ups by bisection: building a
    dictionary of 200k words took longer than reading the file.
    """

    # File layout: this header, the sorted words one per line, NUL, their counts. Words
    # never hold a newline or NUL (they are runs of word characters).
    HEADER: Final = "paper-browser vocabulary 1\n"

    # Up to this many candidates are ranked directly; more walk the frequency order.
    RANKED_SPAN: Final = 4096
    # A prefix's words are ranked directly up to this many while the frequency order is
    # not sorted yet: the most words one letter starts at 100k papers is 22.5k (t),
    # ranked in about 3 ms, while sorting all 200k words cost 45 ms of the first typing
    # pass of a two-letter prefix, which its budget then cut short.
    UNSORTED_PREFIX_SPAN: Final = 32_768

    def __init__(self, words: list[str], counts: list[int]) -> None:
        self.words = words
        self.counts = counts
        self._by_frequency: list[int] | None = None

    @classmethod
    def from_counts(cls, frequencies: dict[str, int]) -> Vocabulary:
        words = sorted(frequencies)
        return cls(words, [frequencies[w] for w in words])

    @classmethod
    def load(cls, path: Path) -> Vocabulary:
        text = path.read_text(encoding="utf-8")
        if not text.startswith(cls.HEADER):
            raise ValueError(f"{path.name}: not a vocabulary file")
        words_part, _, counts_part = text[len(cls.HEADER) :].partition("\0")
        words = words_part.split("\n") if words_part else []
        counts = list(map(int, counts_part.split()))
        if len(words) != len(counts):
            raise ValueError(f"{path.name}: truncated")
        return cls(words, counts)

    def save(self, path: Path) -> None:
        """Replace ``path`` whole with this vocabulary (``fsutil``). Raises OSError."""
        with atomic_writer(path, "w", encoding="utf-8") as out:
            out.write(self.HEADER)
            out.write("\n".join(self.words))
            out.write("\0")
            out.write(" ".join(map(str, self.counts)))

    def _find(self, word: str) -> int:
        """Index of ``word``, or -1."""
        at = bisect.bisect_left(self.words, word)
        return at if at < len(self.words) and self.words[at] == word else -1

    def frequency(self, word: str) -> int:
        at = self._find(word)
        return self.counts[at] if at >= 0 else 0

    def _prefix_range(self, prefix: str) -> range:
        words = self.words
        start = bisect.bisect_left(words, prefix)
        # Every word with the prefix sorts before prefix + the highest code point.
        return range(start, bisect.bisect_left(words, prefix + "\U0010ffff", start))

    def starting_with(self, prefix: str) -> Iterator[str]:
        words = self.words
        return (words[i] for i in self._prefix_range(prefix))

    def _frequency_order(self) -> list[int]:
        """Word positions, most frequent first (ties alphabetically), sorted once (~20 ms
        for the 200k words of 100k papers) on the first wide range or wildcard."""
        if self._by_frequency is None:
            counts = self.counts
            self._by_frequency = sorted(range(len(counts)), key=counts.__getitem__, reverse=True)
        return self._by_frequency

    def _most_frequent(
        self,
        span: range,
        cap: int,
        accept: Callable[[str], object] | None = None,
        stop: Stop | None = None,
    ) -> list[str]:
        """The ``cap`` most frequent words in ``span`` (that ``accept`` takes).

        Ranking a wide span, ``[a TO z]`` or ``*a``, meant a heap over most of the
        vocabulary (15-45 ms at 100k papers, before any deadline applies); walking the
        words in frequency order stops after ``cap`` hits. Both orders break ties the same.
        A rare pattern (``*zq*``) still walks it all, so the walk also ends at ``stop``,
        keeping the most frequent words found so far (``stop.stopped_early`` says so).
        """
        words, counts = self.words, self.counts
        if len(span) <= self.RANKED_SPAN:
            candidates = span if accept is None else [i for i in span if accept(words[i])]
            best = heapq.nlargest(cap, candidates, key=counts.__getitem__)
        else:
            low, high = span.start, span.stop
            best = []
            for step, i in enumerate(self._frequency_order()):
                if low <= i < high and (accept is None or accept(words[i])):
                    best.append(i)
                    if len(best) == cap:
                        break
                if stop is not None and not step & 1023 and stop.reached():
                    stop.stopped_early = True
                    break
        return [words[i] for i in best]

    def most_frequent_with_prefix(self, prefix: str, cap: int) -> list[str]:
        span = self._prefix_range(prefix)
        if self._by_frequency is None and len(span) <= self.UNSORTED_PREFIX_SPAN:
            # The same words, ties in the same order, as the walk ``_most_frequent``
            # takes (``nlargest`` keeps the earlier word first among equal counts).
            words, counts = self.words, self.counts
            return [words[i] for i in heapq.nlargest(cap, span, key=counts.__getitem__)]
        return self._most_frequent(span, cap)

    def most_frequent_between(
        self,
        start: str | None,
        end: str | None,
        cap: int,
        *,
        startexcl: bool,
        endexcl: bool,
        stop: Stop | None = None,
    ) -> list[str]:
        """The ``cap`` most frequent words in a term range (``None`` = open end)."""
        words = self.words
        low = 0
        if start is not None:
            low = (bisect.bisect_right if startexcl else bisect.bisect_left)(words, start)
        high = len(words)
        if end is not None:
            high = (bisect.bisect_left if endexcl else bisect.bisect_right)(words, end, low)
        return self._most_frequent(range(low, high), cap, stop=stop)

    def most_frequent(self, words: Iterable[str], cap: int) -> list[str]:
        return [w for _, w in heapq.nlargest(cap, ((self.frequency(w), w) for w in words))]

    def most_frequent_matching(self, pattern: str, cap: int, stop: Stop | None = None) -> list[str]:
        """The ``cap`` most frequent words matching a ``*``/``?`` wildcard pattern."""
        literal = re.split(r"[*?]", pattern, maxsplit=1)[0]
        compiled = re.compile(fnmatch.translate(pattern))
        return self._most_frequent(self._prefix_range(literal), cap, compiled.match, stop)

    def within(self, word: str, maxdist: int, prefix: int, stop: Stop | None = None) -> set[str]:
        """Words at most ``maxdist`` edits from ``word`` that share its first letters.

        At distance 2 with no shared letters this scans the whole vocabulary, so it ends
        at ``stop`` with the words found so far (``stop.stopped_early`` says so).
        """
        head = word[:prefix]
        found: set[str] = set()
        if maxdist == 1:
            # Generate the edits and look them up: a few hundred probes, no scan.
            letters = set("abcdefghijklmnopqrstuvwxyz0123456789") | set(word)
            for i in range(prefix, len(word) + 1):
                start, rest = word[:i], word[i:]
                if rest:
                    found.add(start + rest[1:])
                    if len(rest) > 1:
                        found.add(start + rest[1] + rest[0] + rest[2:])
                    found.update(start + c + rest[1:] for c in letters)
                found.update(start + c + rest for c in letters)
            return {w for w in found if self._find(w) >= 0}
        # Distance 2: scan the words with the same first letters and a close length. An
        # edit changes at most two letters of the set of letters used (a swap none), a
        # cheap test that spares most candidates the edit distance, computed in Python.
        letters = set(word)
        for count, candidate in enumerate(self.starting_with(head)):
            if stop is not None and not count & 1023 and stop.reached():
                stop.stopped_early = True
                break
            if (
                abs(len(candidate) - len(word)) <= maxdist
                and len(letters.symmetric_difference(candidate)) <= 2 * maxdist
                and damerau_levenshtein(word, candidate, maxdist) <= maxdist
            ):
                found.add(candidate)
        return found

    def copy(self) -> Vocabulary:
        return Vocabulary(list(self.words), list(self.counts))

    def add(self, words: Iterable[str], sign: int = 1) -> None:
        """Count ``words`` in (``sign=1``) or out (``-1``) for one paper, keeping the order."""
        self._by_frequency = None
        for word in words:
            at = bisect.bisect_left(self.words, word)
            present = at < len(self.words) and self.words[at] == word
            if present:
                count = self.counts[at] + sign
                if count > 0:
                    self.counts[at] = count
                else:
                    del self.words[at]
                    del self.counts[at]
            elif sign > 0:
                self.words.insert(at, word)
                self.counts.insert(at, sign)


class VocabularyFiles:
    """The vocabulary files of one index folder, and the one of the commit being read.

    Not locked: the index calls it under its own lock. ``from_papers(searcher)`` counts
    the words of the searcher's stored papers, for a commit whose file is missing.
    """

    def __init__(self, index_dir: Path, from_papers: Callable[[Any], Vocabulary]) -> None:
        self.index_dir = index_dir
        self._from_papers = from_papers
        self._vocabulary: Vocabulary | None = None
        self._generation = -1
        # False while an older generation's file stands in for a missing one.
        self._exact = False

    def path(self, generation: int) -> Path:
        return self.index_dir / f"{VOCABULARY_PREFIX}{generation}.txt"

    def for_searcher(self, searcher: Any, *, exact: bool = False) -> Vocabulary:
        """The vocabulary of the searcher's commit.

        Another process writes it just after its commit: until it lands, the newest older
        one serves (a few words short). ``exact`` (before a write) rebuilds a missing one
        from the stored papers, so a writer killed between commit and vocabulary heals.
        """
        # An empty index reads through a reader without a generation.
        generation = searcher.reader().generation()
        generation = -1 if generation is None else int(generation)
        if (
            self._vocabulary is not None
            and self._generation == generation
            and (self._exact or not self.path(generation).exists())
            and (self._exact or not exact)
        ):
            return self._vocabulary
        path = self.path(generation)
        vocabulary = _load_or_none(path)
        self._exact = True
        if vocabulary is None and not exact:
            vocabulary = self._newest_before(generation)
            self._exact = vocabulary is None
        if vocabulary is None:
            vocabulary = self._from_papers(searcher)
            with contextlib.suppress(OSError):
                vocabulary.save(path)
        self._vocabulary = vocabulary
        self._generation = generation
        return vocabulary

    def _newest_before(self, generation: int) -> Vocabulary | None:
        older = sorted(
            (_generation_of(p), p)
            for p in self.index_dir.glob(f"{VOCABULARY_PREFIX}*.txt")
            if _generation_of(p) < generation
        )
        for _, candidate in reversed(older):
            vocabulary = _load_or_none(candidate)
            if vocabulary is not None:
                return vocabulary
        return None

    def save(self, vocabulary: Vocabulary, generation: int) -> None:
        """Write the vocabulary of a new commit; keep the previous one for readers in
        other processes still on it, drop older ones. Best effort: a missing file is
        rebuilt when next needed."""
        with contextlib.suppress(OSError):
            vocabulary.save(self.path(generation))
            for path in self.index_dir.glob(f"{VOCABULARY_PREFIX}*"):
                if _generation_of(path) < generation - 1:
                    path.unlink(missing_ok=True)
            # Temporaries of older generations were left by killed writers.
            for path in self.index_dir.glob(f".{VOCABULARY_PREFIX}*{TEMPORARY_SUFFIX}"):
                if _generation_of(path) < generation:
                    path.unlink(missing_ok=True)


def _load_or_none(path: Path) -> Vocabulary | None:
    try:
        return Vocabulary.load(path)
    except (OSError, ValueError):
        return None


def _generation_of(path: Path) -> int:
    """The generation in ``vocabulary-<n>.txt`` (or its temporary), -1 if none."""
    name = path.name.lstrip(".").removeprefix(VOCABULARY_PREFIX)
    number = name.split(".", 1)[0]
    return int(number) if number.isdigit() else -1
