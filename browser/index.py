"""The search service: a Whoosh index of the library's papers, kept on disk as a rebuildable cache.

This is the only module that imports whoosh. Everything it hands back is a model from
``browser.models``, so callers never see Whoosh objects.

Layout of one index folder:

* the Whoosh files (index name ``papers``);
* ``paper-index.json``: the schema version this code wrote; a different one means "rebuild";
* ``vocabulary-<generation>.txt``: every folded, unstemmed word with its document frequency,
  for prefix completion and spelling (see ``_Vocabulary``).

Query language (Whoosh syntax, all terms must match by default)::

    reinforcement learning          words, stemmed and accent-folded
    "policy gradient"               phrase
    title:diffusion abstract:robot org:nvidia author:smith arxiv:2401.01234 keyword:rl
    year:2024  date:[2024-01 TO 2024-06]  comments:>2  authors:>10  upvotes:>=5
    tag:NAME  -tag:NAME  NOT tag:NAME  tag:"to read"  is:tagged  is:untagged

Tag terms are cut out of the query before Whoosh sees it and applied as allow/deny sets
of documents, so a tag change shows at once without touching the index.

How it stays fast at 100k papers (bench/results/ has the figures):

* one stemmed ``text`` field holds title, abstract and names in position regions, so
  ``abstract:`` is a span filter instead of a second copy of every abstract; the
  vocabulary for prefixes and spelling lives beside the index, not in it; each paper
  is analysed once, through a token cache (``_analyse``);
* relevance for plain words, AND/OR/NOT and numeric ranges is Whoosh's BM25F computed a
  posting block at a time (``_ranked_by_bm25``), counts are set operations over posting
  lists (``_matching_set``), field lengths and sort keys are read whole once per commit;
* the typing pass (a time budget) returns a screenful, may skip blocks that cannot reach
  the top and says ``partial``: the app then runs the settled search.
"""

from __future__ import annotations

import bisect
import contextlib
import copy
import datetime as dt
import fnmatch
import heapq
import json
import re
import sys
import threading
import time
import unicodedata
from array import array
from collections import Counter, OrderedDict, defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Final, cast

import whoosh.index
from whoosh import columns
from whoosh import query as wq
from whoosh.analysis import (
    CharsetFilter,
    LowercaseFilter,
    RegexTokenizer,
    StemFilter,
    StopFilter,
)
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, W3LeafMatcher
from whoosh.collectors import TopCollector, WrappingCollector
from whoosh.fields import COLUMN, DATETIME, ID, KEYWORD, NUMERIC, STORED, TEXT, Schema
from whoosh.filedb.filestore import FileStorage
from whoosh.matching import Matcher
from whoosh.matching.wrappers import FilterMatcher, WrappingMatcher
from whoosh.qparser import (
    AndGroup,
    FieldAliasPlugin,
    FuzzyTermPlugin,
    GtLtPlugin,
    QueryParser,
)
from whoosh.query.spans import SpanWrappingMatcher, WrappingSpan
from whoosh.scoring import BM25F
from whoosh.support.charset import accent_map
from whoosh.support.levenshtein import damerau_levenshtein
from whoosh.util.numeric import byte_to_length
from whoosh.util.times import datetime_to_long, long_to_datetime
from whoosh.writing import CLEAR, LockError

from browser.identity import normalize_title
from browser.models import (
    Highlight,
    Paper,
    SearchCancelled,
    SearchFilters,
    SearchHit,
    SearchResult,
    SortOrder,
    TagLookup,
    UserStateLookup,
)

__all__ = ["IndexBusy", "IndexUnusable", "PaperIndex", "SearchCancelled"]


class IndexUnusable(Exception):
    """The index is broken, from another schema version, or cannot be opened: rebuild it."""


class IndexBusy(Exception):
    """Another writer holds the index lock."""

    def __init__(self, message: str = "another index run is in progress") -> None:
        super().__init__(message)


INDEX_NAME: Final = "papers"
META_FILE: Final = "paper-index.json"

# Longest query we parse; the rest is dropped with a message, so a pasted essay stays fast.
MAX_QUERY_CHARS: Final = 500
# How many completions the word being typed expands to (its most frequent words).
PREFIX_EXPANSION_CAP: Final = 16
# An explicit wildcard (``learn*``) may match many words: keep the most frequent ones.
WILDCARD_EXPANSION_CAP: Final = 128
# Hits the typing pass returns: a screenful and then some; the settled search fills the rest.
TYPING_HITS: Final = 50
# Up to this many postings the typing pass scores everything at once (~1 µs each):
# complete and exact, so its top hits are the settled ones. At 100k papers 40k postings
# kept p95 near 40 ms while raising top-10 agreement with the settled pass from 46% to 57%.
TYPING_POSTINGS: Final = 40_000
# Share of the typing pass's time budget spent matching documents; planning, papers and
# highlights need the rest (0.6 of 50 ms gave a 31 ms median at 100k, 0.5 gave 28 ms).
TYPING_MATCH_SHARE: Final = 0.5
# Below this many hits a spelling correction is offered as a suggestion.
FEW_HITS: Final = 3
MORE_LIKE_TERMS: Final = 25
# Longer "words" are pasted junk, not typos, and edit-distance walks on them are slow.
MAX_CORRECTED_WORD: Final = 30
_WRITER_TIMEOUT_S: Final = 2.0

# The same pattern as RegexTokenizer's default, so highlight spans line up with indexed tokens.
_TOKEN_PATTERN: Final = r"\w+(\.?\w+)*"
_TOKEN_RE: Final = re.compile(_TOKEN_PATTERN, re.UNICODE)
_CONTROL_CHARS: Final = re.compile(
    r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069]"
)
_OPERATORS: Final = frozenset({"AND", "OR", "NOT", "ANDNOT", "ANDMAYBE"})
_DEFAULT_FIELD: Final = "text"
# The text field holds title, abstract and the rest in regions this many positions apart,
# so ``abstract:`` is the text field restricted to the abstract's positions instead of a
# second copy of every abstract in the index (a third of all postings).
_REGION: Final = 1 << 20
_TITLE_REGION: Final = 0
_ABSTRACT_REGION: Final = 1
_EXTRA_REGION: Final = 2
# Scoring a posting inside a region decodes its positions: about this many plain postings.
_REGION_POSTING_COST: Final = 4
# Title words count twice in the text field: a cheap title boost for plain queries.
_TITLE_WEIGHT: Final = 2.0
VOCABULARY_PREFIX: Final = "vocabulary-"
# Fields whose words come from the paper's prose: prefix/typo handling and highlights use them.
_PROSE_FIELDS: Final = frozenset({"text", "title", "abstract"})
_STEMMED_FIELDS: Final = _PROSE_FIELDS | {"keyword"}

# tag:NAME, tag:"two words", is:tagged / is:untagged, each optionally negated with - or NOT.
_TAG_TERM: Final = re.compile(
    r"""(?<![^\s(])(?P<neg>-|NOT\s+)?
        (?:(?i:tag):(?:"(?P<quoted>[^"]*)"?|(?P<bare>[^\s()"]+))
          |(?i:is):(?P<state>(?i:tagged|untagged)))
        (?=[\s)]|$)""",
    re.VERBOSE,
)
_FIELD_PREFIX: Final = re.compile(r"\b\w+:")
_MINUS_WORD: Final = re.compile(r"(?<![^\s(])-(?=[\w\"(])")
_LAST_WORD: Final = re.compile(r"(?:^|[\s(])(?:(?P<field>title|abstract|text):)?(?P<word>\w+)$")


def _stem_analyzer() -> Any:
    return (
        RegexTokenizer(_TOKEN_PATTERN)
        | LowercaseFilter()
        | CharsetFilter(accent_map)
        | StopFilter()
        | StemFilter(cachesize=200_000)
    )


def _word_analyzer() -> Any:
    """Like the stemming analyzer without the stemmer: the raw words spelling and prefixes need."""
    return (
        RegexTokenizer(_TOKEN_PATTERN)
        | LowercaseFilter()
        | CharsetFilter(accent_map)
        | StopFilter()
    )


def _name_analyzer() -> Any:
    """Names and organisations: folded, not stemmed, no stop words (``Li``, ``An``)."""
    return RegexTokenizer(_TOKEN_PATTERN) | LowercaseFilter() | CharsetFilter(accent_map)


_STEM = _stem_analyzer()
_WORDS = _word_analyzer()


class _AnalysedText(TEXT):  # type: ignore[misc]
    """A stemmed text field that also takes its terms already analysed.

    ``rebuild`` analyses each paper once in the calling process (it needs the raw words
    for the vocabulary anyway) and hands the writer a list of terms, where ``None``
    starts the next region. Whoosh's own path runs a generator chain per token and
    field; this is a dictionary look-up per token. A plain string still works (queries,
    ``key_terms_from_text``) and goes through the same analysis.
    """

    def __init__(self, *, first_weight: float = 1.0) -> None:
        super().__init__(analyzer=_STEM)
        self._first_weight = first_weight

    def index(self, value: Any, **kwargs: Any) -> Iterator[tuple[bytes, int, float, bytes]]:
        terms = value if isinstance(value, list) else _analyse(str(value))[0]
        positions: defaultdict[str, list[int]] = defaultdict(list)
        weights: defaultdict[str, float] = defaultdict(float)
        region = 0
        position = 0
        weight = self._first_weight
        for term in terms:
            if term is None:
                region += 1
                position = region * _REGION
                weight = 1.0
                continue
            positions[term].append(position)
            weights[term] += weight
            position += 1
        encode = self.format.encode
        for term, places in positions.items():
            yield term.encode("utf-8"), len(places), weights[term], encode(places)


def build_schema(*, raw_words: bool = False) -> Schema:
    """The index schema; ``raw_words`` gives the query parser's twin without stemming.

    The parser's twin keeps an ``abstract`` field so ``abstract:`` parses; the index has
    none (see ``_REGION``).
    """
    if raw_words:
        prose: dict[str, Any] = {
            name: TEXT(analyzer=_WORDS) for name in ("text", "title", "abstract", "keyword")
        }
    else:
        prose = {
            # Default field: title (counted twice), abstract, organisation, keywords, authors.
            "text": _AnalysedText(first_weight=_TITLE_WEIGHT),
            "title": _AnalysedText(),
            "keyword": TEXT(analyzer=_STEM),
        }
    return Schema(
        id=ID(unique=True, sortable=True),
        org=TEXT(analyzer=_name_analyzer()),
        author=TEXT(analyzer=_name_analyzer()),
        arxiv=KEYWORD(lowercase=True),
        # shift_step=0: one term per value instead of a tier per 4-8 bits. These fields
        # hold few distinct values, so ranges expand cheaply, and builds write far fewer
        # postings.
        year=NUMERIC(int, bits=32, shift_step=0),
        date=_single_tier(_DatePeriods() if raw_words else DATETIME()),
        comments=NUMERIC(int, bits=32, shift_step=0),
        authors=NUMERIC(int, bits=32, shift_step=0),
        upvotes=NUMERIC(int, bits=32, shift_step=0),
        sort_newest=COLUMN(columns.NumericColumn("i", default=0)),
        sort_comments=COLUMN(columns.NumericColumn("i", default=-1)),
        sort_title=COLUMN(columns.VarBytesColumn()),
        paper=STORED(),
        **prose,
    )


def _storage(index_dir: Path) -> Any:
    # No mmap: a mapped index counts whole postings files towards the process's resident
    # memory (1.4 GiB at 100k papers against 50-200 MiB with plain reads).
    return FileStorage(str(index_dir), supports_mmap=False)


class _DatePeriods(DATETIME):  # type: ignore[misc]
    """Date ranges over whole periods, for the query parser.

    Whoosh's DATETIME drops the exclusive ends, so ``date:>2024-03-05`` matched the 5th
    and ``date:<2024-03`` matched March. Here ``>`` means after the whole period named,
    ``<`` before it starts, ``>=`` and ``<=`` take the period in, and ``{ }`` like ``>``
    and ``<``.
    """

    def parse_range(
        self,
        fieldname: str,
        start: str | None,
        end: str | None,
        startexcl: bool,
        endexcl: bool,
        boost: float = 1.0,
    ) -> Any:
        if start is None and end is None:
            return wq.Every(fieldname, boost=boost)
        low = high = None
        if start is not None:
            period = self._parse_datestring(start)
            low = datetime_to_long(period.ceil() if startexcl else period.floor())
        if end is not None:
            period = self._parse_datestring(end)
            high = datetime_to_long(period.floor() if endexcl else period.ceil())
        return wq.NumericRange(fieldname, low, high, startexcl, endexcl, boost=boost)


def _single_tier(date_field: DATETIME) -> DATETIME:
    # DATETIME takes no shift_step argument but honours the attribute.
    date_field.shift_step = 0
    return date_field


@lru_cache(maxsize=200_000)
def _term_of(word: str) -> str | None:
    """The indexed term for one token, by the real analyzer (None for stop words)."""
    for token in _STEM(word):
        return str(token.text)
    return None


@lru_cache(maxsize=50_000)
def _folded_word(word: str) -> str | None:
    for token in _WORDS(word):
        return str(token.text)
    return None


def _range_bound(text: str | None) -> str | None:
    """A word range's end as the vocabulary spells words (one-letter ends stay)."""
    if not text:
        return None
    return _folded_word(text.lower()) or text.casefold()


_NOT_A_WORD: Final = ("", "")
# Raw token -> (folded word, indexed term), or _NOT_A_WORD for stop words. Bounded:
# synthetic or pasted text could otherwise grow it without limit.
_TOKEN_CACHE: dict[str, tuple[str, str]] = {}
_TOKEN_CACHE_MAX: Final = 500_000
_WORD_RE: Final = re.compile(r"\w+(?:\.?\w+)*", re.UNICODE)  # _TOKEN_PATTERN, no group


def _analyse(*regions: str) -> tuple[list[str | None], set[str]]:
    """Index terms of ``regions`` (``None`` between regions) and their folded words.

    Each distinct token goes through the real analyzers once (so the result is what
    ``_STEM`` and ``_WORDS`` would give); after that it is a dictionary look-up.
    """
    cache = _TOKEN_CACHE
    terms: list[str | None] = []
    words: set[str] = set()
    for number, region in enumerate(regions):
        if number:
            terms.append(None)
        for token in _WORD_RE.findall(region):
            known = cache.get(token)
            if known is None:
                folded, term = _folded_word(token), _term_of(token)
                known = (folded, term) if folded and term else _NOT_A_WORD
                if len(cache) >= _TOKEN_CACHE_MAX:
                    cache.clear()
                cache[token] = known
            if known[1]:
                terms.append(known[1])
                words.add(known[0])
    return terms, words


def _paper_regions(paper: Paper) -> tuple[str, str, str]:
    org = f"{paper.organization.slug} {paper.organization.name}" if paper.organization else ""
    extra = "\n".join(
        part for part in (org, " ; ".join(paper.keywords), " ; ".join(paper.author_names)) if part
    )
    return paper.title, paper.abstract, extra


class _Vocabulary:
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

    def __init__(self, words: list[str], counts: list[int]) -> None:
        self.words = words
        self.counts = counts
        self._by_frequency: list[int] | None = None

    @classmethod
    def from_counts(cls, frequencies: dict[str, int]) -> _Vocabulary:
        words = sorted(frequencies)
        return cls(words, [frequencies[w] for w in words])

    @classmethod
    def load(cls, path: Path) -> _Vocabulary:
        text = path.read_text(encoding="utf-8")
        if not text.startswith(cls.HEADER):
            raise ValueError(f"{path.name}: not a vocabulary file")
        words_part, _, counts_part = text[len(cls.HEADER) :].partition("\0")
        words = words_part.split("\n") if words_part else []
        counts = [int(c) for c in counts_part.split()]
        if len(words) != len(counts):
            raise ValueError(f"{path.name}: truncated")
        return cls(words, counts)

    def save(self, path: Path) -> None:
        temp = path.with_suffix(".tmp")
        with temp.open("w", encoding="utf-8") as out:
            out.write(self.HEADER)
            out.write("\n".join(self.words))
            out.write("\0")
            out.write(" ".join(map(str, self.counts)))
        temp.replace(path)

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
        stop: _Stop | None = None,
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
        return self._most_frequent(self._prefix_range(prefix), cap)

    def most_frequent_between(
        self,
        start: str | None,
        end: str | None,
        cap: int,
        *,
        startexcl: bool,
        endexcl: bool,
        stop: _Stop | None = None,
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

    def most_frequent_matching(
        self, pattern: str, cap: int, stop: _Stop | None = None
    ) -> list[str]:
        """The ``cap`` most frequent words matching a ``*``/``?`` wildcard pattern."""
        literal = re.split(r"[*?]", pattern, maxsplit=1)[0]
        compiled = re.compile(fnmatch.translate(pattern))
        return self._most_frequent(self._prefix_range(literal), cap, compiled.match, stop)

    def within(self, word: str, maxdist: int, prefix: int, stop: _Stop | None = None) -> set[str]:
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

    def copy(self) -> _Vocabulary:
        return _Vocabulary(list(self.words), list(self.counts))

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


def _clean_query(text: str) -> tuple[str, str | None]:
    text = unicodedata.normalize("NFC", text)
    text = _CONTROL_CHARS.sub(" ", text)
    if len(text) > MAX_QUERY_CHARS:
        note = f"query too long: used its first {MAX_QUERY_CHARS} characters"
        return text[:MAX_QUERY_CHARS], note
    return text, None


def _resolve_filters(
    filters: SearchFilters, tags: TagLookup | None, states: UserStateLookup | None
) -> tuple[set[str] | None, set[str]]:
    """(paper ids allowed, or None for all; paper ids denied) for ``filters``.

    Without a tag store nothing is tagged; without a user-state store no predicate holds.
    A predicate the store does not know raises its ``KeyError``.
    """
    allowed: set[str] | None = None if filters.allowed_ids is None else set(filters.allowed_ids)
    denied: set[str] = set(filters.denied_ids)

    def allow(ids: set[str]) -> None:
        nonlocal allowed
        allowed = set(ids) if allowed is None else allowed & ids

    for tag in filters.required_tags:
        allow(tags.ids_with_tag(tag) if tags is not None else set())
    if filters.tagged is True:
        allow(tags.tagged_ids() if tags is not None else set())
    elif filters.tagged is False and tags is not None:
        denied |= tags.tagged_ids()
    if tags is not None:
        for tag in filters.excluded_tags:
            denied |= tags.ids_with_tag(tag)
    for predicate in filters.states:
        holding = states.ids_where(predicate.name, predicate.argument) if states else set()
        if predicate.negated:
            denied |= holding
        else:
            allow(holding)
    return allowed, denied


def _extract_tag_terms(text: str) -> tuple[str, SearchFilters]:
    """The query without its tag terms, and those terms as filters."""
    found: list[SearchFilters] = []

    def take(match: re.Match[str]) -> str:
        negated = match.group("neg") is not None
        state = match.group("state")
        if state is not None:
            wants_tagged = state.lower() == "tagged"
            found.append(SearchFilters(tagged=wants_tagged != negated))
            return " "
        name = match.group("quoted") if match.group("quoted") is not None else match.group("bare")
        name = " ".join((name or "").split())
        if name:
            found.append(
                SearchFilters(excluded_tags=(name,))
                if negated
                else SearchFilters(required_tags=(name,))
            )
        return " "

    rest = _TAG_TERM.sub(take, text)
    filters = SearchFilters()
    for term in found:
        filters &= term
    if filters:
        rest = _drop_dangling_operators(rest)
    return rest, filters


def _drop_dangling_operators(text: str) -> str:
    """Remove operators left without an operand after tag terms were cut out."""
    words = text.split()
    kept: list[str] = []
    for word in words:
        if word in _OPERATORS and (not kept or kept[-1] in _OPERATORS):
            continue
        kept.append(word)
    while kept and kept[-1] in _OPERATORS:
        kept.pop()
    trailing = " " if text[-1:].isspace() else ""
    return " ".join(kept) + trailing if kept else ""


def _plain_words(text: str) -> list[str]:
    """Words of a query outside field prefixes and operators: what spelling can correct."""
    words: list[str] = []
    for chunk in text.replace('"', " ").replace("(", " ").replace(")", " ").split():
        if chunk in _OPERATORS:
            continue
        fieldname, sep, value = chunk.partition(":")
        if sep and fieldname not in _PROSE_FIELDS:
            continue
        words.extend(m.group() for m in re.finditer(r"[^\W\d_]+", value if sep else chunk))
    return words


def _walk(node: Any) -> Iterator[Any]:
    yield node
    if not node.is_leaf():
        for child in node.children():
            yield from _walk(child)


def _parse_error(node: Any) -> str | None:
    for item in _walk(node):
        error = getattr(item, "error", None)
        if error:
            return str(error)
    return None


def _positive_leaves(node: Any, *, regions: bool = False, inside: bool = False) -> Iterator[Any]:
    """Leaves that can make a document match (not under NOT): what to highlight.

    With ``regions`` each leaf comes as ``(leaf, only_in_the_abstract)``.
    """
    if isinstance(node, wq.Not):
        return
    if isinstance(node, wq.AndNot):
        yield from _positive_leaves(node.a, regions=regions, inside=inside)
        return
    if isinstance(node, _InRegion):
        yield from _positive_leaves(node.q, regions=regions, inside=True)
        return
    if node.is_leaf():
        yield (node, inside) if regions else node
        return
    for child in node.children():
        yield from _positive_leaves(child, regions=regions, inside=inside)


class _InRegion(WrappingSpan):  # type: ignore[misc]
    """Matches where the wrapped query matches inside one region of the text field."""

    def __init__(self, q: Any, region: int) -> None:
        self.q = q
        self.region = region

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _InRegion) and self.q == other.q and self.region == other.region

    def __hash__(self) -> int:
        return hash(self.q) ^ hash(self.region)

    def apply(self, fn: Callable[[Any], Any]) -> _InRegion:
        return _InRegion(fn(self.q), self.region)

    def estimate_size(self, reader: Any) -> int:
        return int(self.q.estimate_size(reader))

    def estimate_min_size(self, reader: Any) -> int:
        return 0

    def matcher(self, searcher: Any, context: Any = None) -> Any:
        query = self.q
        # Whoosh's matchers for a union of many terms give no positions: filter each term.
        if isinstance(query, wq.Or):
            parts = list(query.subqueries)
        elif query.is_leaf() and not isinstance(query, wq.Term | wq.Phrase):
            parts = [wq.Term(f, t) for f, t in query.expanded_terms(searcher.reader())]
        else:
            return _RegionMatcher(self._subm(searcher, context), self.region)
        regions = [_InRegion(part, self.region) for part in parts]
        return wq.Or(regions, boost=query.boost).matcher(searcher, context)


class _RegionMatcher(SpanWrappingMatcher):  # type: ignore[misc]
    def __init__(self, child: Matcher, region: int) -> None:
        self.low = region * _REGION
        self.high = (region + 1) * _REGION
        super().__init__(child)

    def copy(self) -> _RegionMatcher:
        return _RegionMatcher(self.child.copy(), self.low // _REGION)

    def _replacement(self, newchild: Matcher) -> _RegionMatcher:
        return _RegionMatcher(newchild, self.low // _REGION)

    def _get_spans(self) -> list[Any]:
        low, high = self.low, self.high
        return [span for span in self.child.spans() if low <= span.start and span.end < high]


class _Interrupted(Exception):
    """A search reached its deadline, or its caller cancelled it, in the middle of matching."""


class _Stop:
    """When a running search must give up: at its deadline (the typing pass) or when its
    caller cancels it (the app replaced it with a newer search).

    Searches take turns on the index lock, so a stale search that runs on delays the one
    the user is waiting for: every loop that can run long asks ``reached()`` as it goes.
    """

    __slots__ = ("_cancelled", "deadline", "stopped_early")

    def __init__(
        self, deadline: float | None = None, cancelled: Callable[[], bool] | None = None
    ) -> None:
        self.deadline = deadline
        self._cancelled = cancelled
        # Set by work that stopped here with a usable but incomplete answer.
        self.stopped_early = False

    @property
    def active(self) -> bool:
        return self.deadline is not None or self._cancelled is not None

    def cancelled(self) -> bool:
        return self._cancelled is not None and self._cancelled()

    def reached(self) -> bool:
        if self.deadline is not None and time.perf_counter() > self.deadline:
            return True
        return self.cancelled()

    def with_deadline(self, deadline: float | None) -> _Stop:
        return _Stop(deadline, self._cancelled)

    def check(self) -> None:
        if self.reached():
            raise _Interrupted


_NO_STOP: Final = _Stop()


class _CheckedMatcher(WrappingMatcher):  # type: ignore[misc]
    """A matcher whose every step may raise ``_Interrupted``.

    Some of Whoosh's matchers loop inside a single step without returning to the
    collector, where the deadline is checked: a NOT (``InverseMatcher``, ``AndNotMatcher``)
    walks past every document its negated part matches, and an AND walks both sides until
    they agree, which takes seconds at 100k papers for ``NOT abstract:[a TO z]`` or a
    common word AND a wide range that rarely meet. Wrapping the parts those loops step
    through puts the check inside the loop (a clock read per step, each step being a
    posting-list skip).
    """

    def __init__(self, child: Any, stop: _Stop, boost: float = 1.0) -> None:
        super().__init__(child, boost)
        self.stop = stop

    def copy(self) -> _CheckedMatcher:
        return type(self)(self.child.copy(), self.stop, self.boost)

    def _replacement(self, newchild: Any) -> _CheckedMatcher:
        return type(self)(newchild, self.stop, self.boost)

    def next(self) -> Any:
        self.stop.check()
        return self.child.next()

    def skip_to(self, id: int) -> Any:
        self.stop.check()
        return self.child.skip_to(id)

    def all_ids(self) -> Iterator[int]:
        # WrappingMatcher hands this straight to the child, past next().
        check = self.stop.check
        for docnum in self.child.all_ids():
            check()
            yield docnum


class _SkipCheckedMatcher(_CheckedMatcher):
    """A matcher that may raise ``_Interrupted`` only when asked to skip ahead.

    For the terms of a wide OR inside an AND: one skip of the OR skips each of its terms,
    reading block after block of each (90 ms for 128 terms at 100k papers), while its
    ``next()``, the common step of a plain OR, stays unchecked and as fast as before.
    """

    def next(self) -> Any:
        return self.child.next()

    def all_ids(self) -> Iterator[int]:
        return cast(Iterator[int], self.child.all_ids())


class _Checked(wq.WrappingQuery):  # type: ignore[misc]
    """``child``, checking ``stop`` before its matcher is built and then, depending on
    ``steps``, at every step (``"all"``, see ``_CheckedMatcher``), at every skip
    (``"skips"``) or never (``"none"``)."""

    def __init__(self, child: Any, stop: _Stop, *, steps: str = "all") -> None:
        super().__init__(child)
        self.stop = stop
        self.steps = steps

    def _rewrap(self, child: Any) -> _Checked:
        return _Checked(child, self.stop, steps=self.steps)

    def matcher(self, searcher: Any, context: Any = None) -> Any:
        self.stop.check()
        built = self.child.matcher(searcher, context)
        if self.steps == "all":
            return _CheckedMatcher(built, self.stop)
        if self.steps == "skips":
            return _SkipCheckedMatcher(built, self.stop)
        return built


class _CheckedRange(_Checked):
    """A numeric range becomes, per segment, an OR of trie terms whose constant-score
    matcher gathers every match while it is built (200 ms for half a year at 100k
    papers): each of those terms checks ``stop`` at every step."""

    def matcher(self, searcher: Any, context: Any = None) -> Any:
        self.stop.check()
        compiled = self.child._compile_query(searcher.reader())
        stop = self.stop

        def check(node: Any) -> Any:
            return _Checked(node, stop) if isinstance(node, wq.Term | wq.MultiTerm) else node

        return _rewrite_top_down(compiled, check).matcher(searcher, context)


def _checked(query: Any, stop: _Stop) -> Any:
    """``query`` with the places where Whoosh works at length without returning to the
    collector able to stop: the negated part of every NOT and every part of an AND at each
    step (see ``_CheckedMatcher``), and each term before its posting list is opened (a
    wide expansion opens 128 per segment, ~70 ms at 20k papers)."""
    if not stop.active:
        return query

    def check(node: Any) -> Any:
        if isinstance(node, wq.Term):
            return _Checked(node, stop, steps="none")
        if isinstance(node, wq.NumericRange):
            return _CheckedRange(node, stop)
        if isinstance(node, wq.Not):
            return wq.Not(_Checked(_rewrite_top_down(node.query, check), stop), boost=node.boost)
        if isinstance(node, wq.AndNot):
            a, b = (_rewrite_top_down(part, check) for part in (node.a, node.b))
            return wq.AndNot(_Checked(a, stop), _Checked(b, stop))
        if isinstance(node, wq.And) and len(node.subqueries) > 1:
            parts = [_rewrite_top_down(part, check) for part in node.subqueries]
            rebuilt = copy.copy(node)
            rebuilt.subqueries = [
                p if isinstance(p, wq.Not) else _Checked(_skips_checked(p, stop), stop)
                for p in parts
            ]
            return rebuilt
        return node

    return _rewrite_top_down(query, check)


def _skips_checked(part: Any, stop: _Stop) -> Any:
    """An OR's terms made to check at each skip (see ``_SkipCheckedMatcher``)."""
    if not isinstance(part, wq.Or):
        return part
    rebuilt = copy.copy(part)
    rebuilt.subqueries = [
        _Checked(q.child, stop, steps="skips")
        if isinstance(q, _Checked) and q.steps == "none"
        else q
        for q in part.subqueries
    ]
    return rebuilt


def _rewrite_top_down(query: Any, fn: Callable[[Any], Any]) -> Any:
    """Like ``Query.accept`` but parents first, so ``fn`` sees a NOT before its child."""
    replaced = fn(query)
    if replaced is not query:
        return replaced
    if query.is_leaf():
        return query
    if isinstance(query, wq.CompoundQuery):
        # Not ``apply``: it rebuilds AND/OR from the children and boost alone, losing an
        # OR's matcher type (``_union``), minmatch and scale.
        rebuilt = copy.copy(query)
        rebuilt.subqueries = [_rewrite_top_down(child, fn) for child in query.subqueries]
        return rebuilt
    return query.apply(lambda child: _rewrite_top_down(child, fn))


class _GuardedCollector(WrappingCollector):  # type: ignore[misc]
    """Allow/deny sets of document numbers, an exact match count and a ``_Stop``.

    Unlike whoosh's TimeLimitCollector this uses no SIGALRM (only possible on the main
    thread, and searches run in a worker thread) and no timer thread per keystroke: it
    checks between matches, and matchers made by ``_checked_negations`` check inside
    their skips; either way it stops quietly, keeping what it has collected.
    """

    def __init__(
        self,
        child: Any,
        *,
        allowed: set[int] | None,
        denied: set[int],
        stop: _Stop,
    ) -> None:
        super().__init__(child)
        self.allowed = allowed
        self.denied = denied
        self.stop = stop
        self.matched = 0
        self.timed_out = False

    def set_subsearcher(self, subsearcher: Any, offset: int) -> None:
        # Building the next segment's matcher may be where the deadline passes: keep what
        # the earlier segments gave instead of losing it all to the exception.
        if self.timed_out:
            return
        try:
            super().set_subsearcher(subsearcher, offset)
        except _Interrupted:
            self.timed_out = True

    def collect_matches(self) -> None:
        child = self.child
        offset = child.offset
        allowed = self.allowed
        denied = self.denied
        reached = self.stop.reached if self.stop.active else None
        if self.timed_out or (reached is not None and reached()):
            self.timed_out = True
            return
        try:
            # The clock at every match: a rare word AND a wide prefix yields few matches,
            # with long skips between them.
            for sub_docnum in child.matches():
                if reached is not None and reached():
                    self.timed_out = True
                    return
                docnum = offset + sub_docnum
                if (allowed is not None and docnum not in allowed) or docnum in denied:
                    continue
                self.matched += 1
                child.collect(sub_docnum)
        except _Interrupted:
            self.timed_out = True


@dataclass(frozen=True)
class _UserData:
    """Where filters and hits look up the user's tags and other per-paper state."""

    tags: TagLookup | None = None
    states: UserStateLookup | None = None


@dataclass
class _Plan:
    """A query string turned into what to run."""

    query: Any  # whoosh query
    filters: SearchFilters  # the query's tag terms combined with the caller's filters
    error: str | None
    listing: bool  # no words: list papers (newest first unless another sort is asked)
    words: list[str]


@dataclass
class _Outcome:
    hits: list[SearchHit]
    total: int
    partial: bool
    order: SortOrder = "relevance"  # the order the hits are really in


class PaperIndex:
    """The papers of one library, searchable. Thread-safe; one writer at a time across processes."""

    SCHEMA_VERSION: Final = 2

    def __init__(self, index_dir: Path, ix: Any) -> None:
        self.index_dir = index_dir
        self._ix = ix
        # Our own schema object: ix.schema re-reads the table of contents on every access.
        self._schema = build_schema()
        self._lock = threading.RLock()
        self._searcher: Any = None
        self._parser = self._make_parser()
        self._prefix_cache: OrderedDict[tuple[str, str], list[str]] = OrderedDict()
        self._docnum_cache: dict[str, int | None] = {}
        # Papers rebuilt from stored JSON, by document number: paging through results and
        # the settled search after the typing pass ask for the same papers again.
        self._paper_cache: OrderedDict[int, Paper] = OrderedDict()
        self._rank_cache: dict[str, Sequence[int]] = {}
        self._vocabulary: _Vocabulary | None = None
        self._vocabulary_generation = -1
        self._vocabulary_exact = False

    # ------------------------------------------------------------------ opening

    @classmethod
    def open(cls, index_dir: Path) -> PaperIndex:
        index_dir = Path(index_dir)
        try:
            present = index_dir.exists() and whoosh.index.exists_in(str(index_dir), INDEX_NAME)
        except Exception as exc:  # exists_in reads the table of contents, which may be damaged
            raise IndexUnusable(f"{index_dir}: cannot read the index ({exc})") from exc
        if not present:
            if (index_dir / META_FILE).exists():
                raise IndexUnusable(f"{index_dir}: index files are missing")
            return cls.create(index_dir)
        version = cls._read_version(index_dir)
        if version != cls.SCHEMA_VERSION:
            raise IndexUnusable(
                f"{index_dir}: index schema version {version}, this program needs "
                f"{cls.SCHEMA_VERSION}"
            )
        try:
            ix = _storage(index_dir).open_index(INDEX_NAME)
            index = cls(index_dir, ix)
            index._current_searcher()
        except Exception as exc:  # whoosh raises many kinds for a damaged folder
            raise IndexUnusable(f"{index_dir}: cannot open the index ({exc})") from exc
        return index

    @classmethod
    def create(cls, index_dir: Path) -> PaperIndex:
        index_dir = Path(index_dir)
        index_dir.mkdir(parents=True, exist_ok=True)
        for path in index_dir.iterdir():
            if path.is_file() and (
                path.name == META_FILE
                or path.name.startswith((f"{INDEX_NAME}_", f"_{INDEX_NAME}_", VOCABULARY_PREFIX))
            ):
                path.unlink()
        ix = _storage(index_dir).create_index(build_schema(), indexname=INDEX_NAME)
        cls._write_version(index_dir)
        return cls(index_dir, ix)

    @staticmethod
    def _read_version(index_dir: Path) -> int | None:
        try:
            data = json.loads((index_dir / META_FILE).read_text(encoding="utf-8"))
            version = data.get("schema_version")
        except (OSError, ValueError, AttributeError):
            return None
        return version if isinstance(version, int) else None

    @classmethod
    def _write_version(cls, index_dir: Path) -> None:
        target = index_dir / META_FILE
        temp = target.with_suffix(".tmp")
        temp.write_text(json.dumps({"schema_version": cls.SCHEMA_VERSION}), encoding="utf-8")
        temp.replace(target)

    def close(self) -> None:
        with self._lock:
            if self._searcher is not None:
                self._searcher.close()
                self._searcher = None
            self._ix.close()

    def __enter__(self) -> PaperIndex:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _current_searcher(self) -> Any:
        """The searcher for the newest commit (ours or another process's)."""
        with self._lock:
            if self._searcher is None:
                self._searcher = self._ix.searcher()
                _field_lengths_in_memory(self._searcher)
                self._forget_reader_caches()
            elif not self._searcher.up_to_date():
                # Not Searcher.refresh(): it reuses segment readers by segment id and so
                # misses deletions committed to a segment it already had open.
                self._searcher.close()
                self._searcher = self._ix.searcher()
                _field_lengths_in_memory(self._searcher)
                self._forget_reader_caches()
            return self._searcher

    def _forget_reader_caches(self) -> None:
        self._forget_session_caches()
        self._docnum_cache.clear()
        self._rank_cache.clear()

    def _forget_session_caches(self) -> None:
        """What a new typing session starts without (the benchmark calls this)."""
        self._prefix_cache.clear()
        self._paper_cache.clear()

    # ------------------------------------------------------------------ vocabulary

    def _vocabulary_path(self, generation: int) -> Path:
        return self.index_dir / f"{VOCABULARY_PREFIX}{generation}.txt"

    def _vocabulary_for(self, searcher: Any, *, exact: bool = False) -> _Vocabulary:
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
            and self._vocabulary_generation == generation
            and (self._vocabulary_exact or not self._vocabulary_path(generation).exists())
            and (self._vocabulary_exact or not exact)
        ):
            return self._vocabulary
        vocabulary = None
        path = self._vocabulary_path(generation)
        self._vocabulary_exact = True
        with contextlib.suppress(OSError, ValueError):
            vocabulary = _Vocabulary.load(path)
        if vocabulary is None and not exact:
            older = sorted(
                (self._generation_of(p), p)
                for p in self.index_dir.glob(f"{VOCABULARY_PREFIX}*.txt")
                if self._generation_of(p) < generation
            )
            for _, candidate in reversed(older):
                with contextlib.suppress(OSError, ValueError):
                    vocabulary = _Vocabulary.load(candidate)
                    self._vocabulary_exact = False
                    break
        if vocabulary is None:
            vocabulary = self._vocabulary_from_papers(searcher)
            with contextlib.suppress(OSError):
                vocabulary.save(path)
        self._vocabulary = vocabulary
        self._vocabulary_generation = generation
        self._prefix_cache.clear()
        return vocabulary

    @staticmethod
    def _generation_of(path: Path) -> int:
        number = path.stem.removeprefix(VOCABULARY_PREFIX)
        return int(number) if number.isdigit() else -1

    def _vocabulary_from_papers(self, searcher: Any) -> _Vocabulary:
        counts: Counter[str] = Counter()
        reader = searcher.reader()
        for docnum in reader.all_doc_ids():
            counts.update(_analyse(*_paper_regions(self._paper_at(searcher, docnum)))[1])
        self._paper_cache.clear()
        return _Vocabulary.from_counts(counts)

    def _save_vocabulary(self, vocabulary: _Vocabulary) -> None:
        generation = int(self._ix.latest_generation())
        with contextlib.suppress(OSError):
            vocabulary.save(self._vocabulary_path(generation))
            for path in self.index_dir.glob(f"{VOCABULARY_PREFIX}*"):
                # Keep the previous one for readers in other processes still on it.
                if self._generation_of(path) < generation - 1 or path.suffix == ".tmp":
                    path.unlink(missing_ok=True)

    # ------------------------------------------------------------------ writing

    @contextlib.contextmanager
    def _writing(self, *, procs: int = 1, **commit_options: Any) -> Iterator[Any]:
        """A writer that commits on success and cancels on any error (the old index stays)."""
        options: dict[str, Any] = {"timeout": _WRITER_TIMEOUT_S, "limitmb": 96}
        if procs > 1:
            # multisegment: merging the workers' segments at the end would re-write every
            # posting in one process, costing more than the second process saved.
            options.update(procs=procs, multisegment=True)
        try:
            writer = self._ix.writer(**options)
        except LockError as exc:
            raise IndexBusy() from exc
        try:
            yield writer
        except BaseException:
            writer.cancel()
            raise
        writer.commit(**commit_options)

    def _document(self, paper: Paper) -> dict[str, Any]:
        return self._analysed_document(paper)[0]

    def _analysed_document(self, paper: Paper) -> tuple[dict[str, Any], set[str]]:
        """The fields to index for ``paper`` and its folded words (for the vocabulary)."""
        title, abstract, extra = _paper_regions(paper)
        terms, words = _analyse(title, abstract, extra)
        title_terms = terms[: terms.index(None)]
        org = f"{paper.organization.slug} {paper.organization.name}" if paper.organization else ""
        keywords = " ; ".join(paper.keywords)
        names = " ; ".join(paper.author_names)
        document: dict[str, Any] = {
            "id": paper.id,
            "text": terms,
            "title": title_terms,
            "sort_newest": paper.date.toordinal() if paper.date else 0,
            "sort_comments": paper.comments if paper.comments is not None else -1,
            "sort_title": (normalize_title(title) or title).encode("utf-8"),
            "paper": paper.model_dump_json(),
        }
        if org:
            document["org"] = org
        if names:
            document["author"] = names
        if keywords:
            document["keyword"] = keywords
        if paper.arxiv_id:
            document["arxiv"] = paper.arxiv_id.lower()
        if paper.date is not None:
            document["date"] = _as_datetime(paper.date)
            document["year"] = paper.date.year
        for name in ("comments", "authors", "upvotes"):
            value = getattr(paper, name)
            if value is not None:
                document[name] = value
        return document, words

    def rebuild(
        self,
        papers: Iterable[Paper],
        *,
        progress: Callable[[int], None] | None = None,
        procs: int = 1,
    ) -> None:
        """Replace the whole content with ``papers``; until it commits, searches see the old one.

        ``procs > 1`` analyses in worker processes: for the CLI only, never inside the app.
        """
        seen: set[str] = set()
        counts: Counter[str] = Counter()
        with self._writing(procs=procs, mergetype=CLEAR) as writer:
            for paper in papers:
                if paper.id in seen:
                    continue
                seen.add(paper.id)
                document, words = self._analysed_document(paper)
                counts.update(words)
                writer.add_document(**document)
                if progress is not None and len(seen) % 1000 == 0:
                    progress(len(seen))
        self._save_vocabulary(_Vocabulary.from_counts(counts))
        if progress is not None:
            progress(len(seen))
        self._current_searcher()

    def update(self, papers: Iterable[Paper], removed_ids: Iterable[str] = ()) -> None:
        """Add or replace papers by id and delete ``removed_ids``, in one commit."""
        papers = list({paper.id: paper for paper in papers}.values())
        removed = set(removed_ids)
        if not papers and not removed:
            return
        with self._lock:
            searcher = self._current_searcher()
            segments = len(searcher.reader().leaf_readers())
            current = self._vocabulary_for(searcher, exact=True)
            vocabulary = current.copy()
            for paper_id in removed | {paper.id for paper in papers}:
                docnum = self._docnum(searcher, paper_id)
                if docnum is not None:
                    old = self._paper_at(searcher, docnum)
                    vocabulary.add(_analyse(*_paper_regions(old))[1], -1)
        # Merging rewrites segments: skip it for small updates until segments pile up.
        with self._writing(merge=segments >= 8) as writer:
            for paper_id in removed | {paper.id for paper in papers}:
                writer.delete_by_term("id", paper_id)
            for paper in papers:
                document, words = self._analysed_document(paper)
                vocabulary.add(words)
                writer.add_document(**document)
        self._save_vocabulary(vocabulary)
        self._current_searcher()

    # ------------------------------------------------------------------ reading

    def __len__(self) -> int:
        with self._lock:
            return int(self._current_searcher().doc_count())

    def all_ids(self) -> set[str]:
        with self._lock:
            searcher = self._current_searcher()
            reader = searcher.reader()
            ids = reader.column_reader("id")
            return {_as_str(ids[docnum]) for docnum in reader.all_doc_ids()}

    def get(self, paper_id: str) -> Paper | None:
        return self.get_many([paper_id]).get(paper_id)

    def get_many(self, paper_ids: Iterable[str]) -> dict[str, Paper]:
        with self._lock:
            searcher = self._current_searcher()
            found: dict[str, Paper] = {}
            for paper_id in paper_ids:
                docnum = self._docnum(searcher, paper_id)
                if docnum is not None:
                    found[paper_id] = self._paper_at(searcher, docnum)
            return found

    def _docnum(self, searcher: Any, paper_id: str) -> int | None:
        if paper_id not in self._docnum_cache:
            self._docnum_cache[paper_id] = searcher.document_number(id=paper_id)
        return self._docnum_cache[paper_id]

    def _paper_at(self, searcher: Any, docnum: int) -> Paper:
        cache = self._paper_cache
        paper = cache.get(docnum)
        if paper is None:
            paper = Paper.model_validate_json(searcher.stored_fields(docnum)["paper"])
            cache[docnum] = paper
            if len(cache) > 4000:
                cache.popitem(last=False)
        else:
            cache.move_to_end(docnum)
        return paper

    # ------------------------------------------------------------------ searching

    def search(
        self,
        query: str,
        *,
        sort: SortOrder = "relevance",
        limit: int = 200,
        tags: TagLookup | None = None,
        filters: SearchFilters | None = None,
        states: UserStateLookup | None = None,
        time_budget_ms: float | None = None,
        cancelled: Callable[[], bool] | None = None,
    ) -> SearchResult:
        """Run ``query``; never raises for a bad query (``error`` says what was wrong).

        ``filters`` restrict the hits whatever the query says, combined with the query's
        own ``tag:``/``is:`` terms; tags resolve through ``tags`` and user-state
        predicates through ``states`` (see ``SearchFilters``).

        With ``time_budget_ms`` (the typing pass) it returns within about that time, with
        ``partial`` set when the search was cut short. ``cancelled`` is polled while it
        runs; once it says yes the search stops and raises ``SearchCancelled``.
        """
        started = time.perf_counter()
        # Matching gets part of the budget: planning, papers and highlights need the rest.
        deadline = (
            None if time_budget_ms is None else started + TYPING_MATCH_SHARE * time_budget_ms / 1000
        )
        stop = _Stop(deadline, cancelled)
        filters = filters or SearchFilters()
        user = _UserData(tags, states)
        with self._lock:
            searcher = self._current_searcher()
            try:
                plan = self._plan(searcher, query, stop, filters)
                outcome = self._run(searcher, plan, sort=sort, limit=limit, user=user, stop=stop)
            except Exception as exc:  # Whoosh raises assorted errors
                # Some parsed queries only fail when run (a phrase on a field without
                # positions, an empty date): search the plain words instead. A second
                # failure is not the query's fault and propagates.
                plan = self._words_plan(query, exc, filters)
                outcome = self._run(searcher, plan, sort=sort, limit=limit, user=user, stop=stop)
            result = SearchResult(
                query=query,
                hits=outcome.hits,
                total=outcome.total,
                sort=outcome.order,
                error=plan.error,
                partial=outcome.partial or stop.stopped_early,
            )
            if outcome.total < FEW_HITS and not result.partial and plan.words:
                # A correction is a bonus: one that cannot run leaves the result as it is.
                with contextlib.suppress(Exception):
                    self._offer_correction(
                        searcher,
                        query,
                        plan,
                        result,
                        sort=sort,
                        limit=limit,
                        user=user,
                        budget_ms=time_budget_ms,
                        stop=stop,
                    )
        if stop.cancelled():
            raise SearchCancelled
        result.elapsed_ms = (time.perf_counter() - started) * 1000
        return result

    def more_like(
        self,
        paper_id: str,
        *,
        limit: int = 50,
        tags: TagLookup | None = None,
        filters: SearchFilters | None = None,
        states: UserStateLookup | None = None,
        cancelled: Callable[[], bool] | None = None,
    ) -> SearchResult:
        """Papers similar to ``paper_id`` (never itself); an unknown id gives no hits.

        ``filters``, ``states`` and ``cancelled`` work as for ``search``."""
        stop = _Stop(None, cancelled)
        started = time.perf_counter()
        with self._lock:
            searcher = self._current_searcher()
            docnum = self._docnum(searcher, paper_id)
            result = SearchResult(query=f"like:{paper_id}")
            if docnum is not None:
                paper = self._paper_at(searcher, docnum)
                text = f"{paper.title}\n{paper.title}\n{paper.abstract}"
                key_terms = searcher.key_terms_from_text(
                    _DEFAULT_FIELD, text, numterms=MORE_LIKE_TERMS, normalize=True
                )
                similar = wq.Or(
                    [wq.Term(_DEFAULT_FIELD, term, boost=weight) for term, weight in key_terms]
                )
                plan = _Plan(similar, filters or SearchFilters(), None, listing=False, words=[])
                outcome = self._run(
                    searcher,
                    plan,
                    sort="relevance",
                    limit=limit,
                    user=_UserData(tags, states),
                    stop=stop,
                    exclude={docnum},
                )
                result.hits, result.total = outcome.hits, outcome.total
        if stop.cancelled():
            raise SearchCancelled
        result.elapsed_ms = (time.perf_counter() - started) * 1000
        return result

    # -- query planning

    def _make_parser(self) -> Any:
        # The parser sees prose fields without stemming, so prefixes, wildcards and typo
        # checks get the words as typed; _to_index_terms stems them afterwards.
        parser = QueryParser(_DEFAULT_FIELD, build_schema(raw_words=True), group=AndGroup)
        parser.add_plugin(GtLtPlugin())
        parser.add_plugin(FuzzyTermPlugin())
        parser.add_plugin(
            FieldAliasPlugin(
                {
                    "org": ["organisation", "organization", "orgs"],
                    "author": ["by"],
                    "keyword": ["keywords", "kw"],
                }
            )
        )
        return parser

    def _plan(
        self,
        searcher: Any,
        raw_query: str,
        stop: _Stop = _NO_STOP,
        filters: SearchFilters | None = None,
    ) -> _Plan:
        """``raw_query`` as a query to run, with its tag terms and ``filters`` as filters."""
        text, error = _clean_query(raw_query)
        text, query_filters = _extract_tag_terms(text)
        if filters is not None:
            query_filters &= filters
        text = _MINUS_WORD.sub("NOT ", text)
        if not text.strip():
            return _Plan(wq.Every(), query_filters, error, listing=True, words=[])
        parsed, parse_error = self._parse(text)
        error = error or parse_error
        if parsed is None:
            # Nothing searchable (only symbols or stop words): list papers, say why.
            return _Plan(wq.Every(), query_filters, error, listing=True, words=[])
        typed = None if parse_error else self._word_being_typed(parsed, text)
        expansion = None
        if typed is not None:
            expansion = self._typing_expansion(searcher, typed.fieldname, typed.text)
        final = parsed.accept(
            lambda node: (
                expansion
                if expansion is not None and node is typed
                else self._to_index_terms(searcher, node, stop)
            )
        ).normalize()
        listing = isinstance(final, wq.Every)
        return _Plan(final, query_filters, error, listing=listing, words=_plain_words(text))

    @staticmethod
    def _words_plan(query: str, exc: Exception, filters: SearchFilters) -> _Plan:
        text, _note = _clean_query(query)
        text, query_filters = _extract_tag_terms(text)
        query_filters &= filters
        problem = _short(str(exc) or type(exc).__name__)
        fallback = _plain_query(text, stemmed=True)
        if fallback is None:
            return _Plan(
                wq.NullQuery, query_filters, f"nothing to search for ({problem})", False, []
            )
        error = f"could not run the query ({problem}): searched for its words"
        return _Plan(fallback, query_filters, error, listing=False, words=[])

    def _parse(self, text: str) -> tuple[Any | None, str | None]:
        """Whoosh parse, or plain words when the syntax is broken."""
        problem = _unbalanced(text)
        parsed = None
        if problem is None:
            try:
                parsed = self._parser.parse(text)
                problem = _parse_error(parsed)
            except Exception as exc:  # whoosh's parser raises assorted errors on odd input
                problem = str(exc) or type(exc).__name__
        if problem is None and parsed is not None and parsed is not wq.NullQuery:
            return parsed, None
        fallback = _plain_query(text, stemmed=False)
        if problem is None:
            problem = "no searchable words"
        if fallback is None:
            return None, f"nothing to search for in this query ({_short(problem)})"
        return (
            fallback,
            f"could not understand the query ({_short(problem)}): searched for its words",
        )

    @staticmethod
    def _word_being_typed(parsed: Any, text: str) -> Any | None:
        """The Term node of the unfinished last word, if the query ends in one."""
        if not text or text[-1].isspace():
            return None
        match = _LAST_WORD.search(text)
        if match is None or match.group("word") in _OPERATORS:
            return None
        word = _folded_word(match.group("word").lower())
        fieldname = match.group("field") or _DEFAULT_FIELD
        if word is None or len(word) < 2:
            return None
        target = None
        for leaf in _positive_leaves(parsed):
            if isinstance(leaf, wq.Term) and leaf.fieldname == fieldname and leaf.text == word:
                target = leaf
        return target

    def _typing_expansion(self, searcher: Any, fieldname: str, word: str) -> Any | None:
        """The word itself or one of its most frequent completions, as index terms."""
        stem = _term_of(word)
        terms = {stem} | {
            _term_of(w) for w in self._completions(searcher, word, PREFIX_EXPANSION_CAP)
        }
        found = sorted(t for t in terms if t is not None)
        if len(found) <= 1:
            return None
        if fieldname == "abstract":
            return _InRegion(wq.Or([wq.Term(_DEFAULT_FIELD, t) for t in found]), _ABSTRACT_REGION)
        return _union([wq.Term(fieldname, term) for term in found])

    def _completions(self, searcher: Any, prefix: str, cap: int) -> list[str]:
        """The ``cap`` most frequent indexed words starting with ``prefix`` (cached per commit)."""
        key = (prefix, str(cap))
        cached = self._prefix_cache.get(key)
        if cached is not None:
            self._prefix_cache.move_to_end(key)
            return cached
        vocabulary = self._vocabulary_for(searcher)
        completions = vocabulary.most_frequent_with_prefix(prefix, cap)
        self._prefix_cache[key] = completions
        if len(self._prefix_cache) > 4096:
            self._prefix_cache.popitem(last=False)
        return completions

    def _to_index_terms(self, searcher: Any, node: Any, stop: _Stop) -> Any:
        """Turn a leaf parsed over raw words into one over the stemmed index terms.

        A wildcard (``learning*``) must find "learning" although the index holds the stem
        "learn": it is expanded over the unstemmed vocabulary, then the words are stemmed.
        ``*`` alone lists everything without walking every term. ``abstract:`` leaves
        become text-field leaves kept to the abstract's positions.
        """
        if isinstance(node, wq.Every) and node.fieldname:
            return wq.Every()
        if not node.is_leaf() or getattr(node, "fieldname", None) not in _STEMMED_FIELDS:
            return node
        if node.fieldname == "abstract" and isinstance(node, wq.TermRange):
            # Checking positions for a capped word range over every paper costs seconds;
            # over title and abstract together it stays within the typing budget.
            return self._stemmed_leaf(searcher, node, _DEFAULT_FIELD, stop)
        if node.fieldname == "abstract":
            inner = self._stemmed_leaf(searcher, node, _DEFAULT_FIELD, stop)
            if inner is wq.NullQuery or isinstance(inner, wq.Every):
                return inner
            if getattr(inner, "fieldname", None) == "abstract":
                # A leaf kept as parsed (a term range): the index has no abstract field.
                inner = copy.copy(inner)
                inner.fieldname = _DEFAULT_FIELD
            return _InRegion(inner, _ABSTRACT_REGION)
        return self._stemmed_leaf(searcher, node, node.fieldname, stop)

    def _stemmed_leaf(self, searcher: Any, node: Any, fieldname: str, stop: _Stop) -> Any:
        if isinstance(node, wq.FuzzyTerm):
            # Expanded over the vocabulary and capped, like a wildcard: Whoosh's own
            # expansion walks every term of the field before any time budget is checked.
            word = _folded_word(node.text.lower())
            if word is None:
                return wq.NullQuery
            vocabulary = self._vocabulary_for(searcher)
            near = vocabulary.within(word, min(node.maxdist, 2), node.prefixlength, stop)
            near.add(word)
            words = vocabulary.most_frequent(near, WILDCARD_EXPANSION_CAP)
            terms = sorted({t for w in words if (t := _term_of(w)) is not None})
            if not terms:
                return wq.NullQuery
            return wq.Or([wq.Term(fieldname, t) for t in terms], boost=node.boost)
        if isinstance(node, wq.Term):
            stem = _term_of(node.text)
            return wq.NullQuery if stem is None else wq.Term(fieldname, stem, boost=node.boost)
        if isinstance(node, wq.Phrase):
            stems = [s for w in node.words if (s := _term_of(w)) is not None]
            if not stems:
                return wq.NullQuery
            if len(stems) == 1:
                return wq.Term(fieldname, stems[0], boost=node.boost)
            return wq.Phrase(fieldname, stems, slop=node.slop, boost=node.boost)
        if isinstance(node, wq.TermRange):
            # A word range (`title:[a TO m]`, or `x:>2` on a field that is not numeric)
            # would otherwise walk the whole vocabulary while the matcher is built, before
            # any time budget is checked: cap it like a wildcard.
            vocabulary = self._vocabulary_for(searcher)
            words = vocabulary.most_frequent_between(
                _range_bound(node.start),
                _range_bound(node.end),
                WILDCARD_EXPANSION_CAP,
                startexcl=node.startexcl,
                endexcl=node.endexcl,
                stop=stop,
            )
            terms = sorted({t for w in words if (t := _term_of(w)) is not None})
            if not terms:
                return wq.NullQuery
            return wq.Or([wq.Term(fieldname, t) for t in terms], boost=node.boost)
        if isinstance(node, wq.Prefix | wq.Wildcard):
            pattern = node.text
            if pattern.strip("*?") == "":
                return wq.Every()
            vocabulary = self._vocabulary_for(searcher)
            words = (
                vocabulary.most_frequent_with_prefix(pattern, WILDCARD_EXPANSION_CAP)
                if isinstance(node, wq.Prefix)
                else vocabulary.most_frequent_matching(pattern, WILDCARD_EXPANSION_CAP, stop)
            )
            terms = sorted({t for w in words if (t := _term_of(w)) is not None})
            if not terms:
                return wq.NullQuery
            return wq.Or([wq.Term(fieldname, t) for t in terms], boost=node.boost)
        return node

    # -- running

    def _run(
        self,
        searcher: Any,
        plan: _Plan,
        *,
        sort: SortOrder,
        limit: int,
        user: _UserData,
        stop: _Stop = _NO_STOP,
        exclude: set[int] | None = None,
    ) -> _Outcome:
        tags = user.tags
        allowed_ids, denied_ids = _resolve_filters(plan.filters, tags, user.states)
        allowed = None if allowed_ids is None else self._docnums(searcher, allowed_ids)
        denied = self._docnums(searcher, denied_ids) | (exclude or set())
        if (allowed is not None and not allowed) or plan.query is wq.NullQuery:
            return _Outcome([], 0, False, sort)
        limit = max(1, limit)
        query, in_range = self._ranges_as_filters(searcher, plan.query)
        # No words to rank by (a listing, only ranges, or only NOTs): newest first.
        unranked = isinstance(query, wq.Every) or _without_negations(query) is None
        effective_sort: SortOrder = "newest" if unranked and sort == "relevance" else sort
        if in_range is not None:
            allowed = in_range if allowed is None else allowed & in_range
            if not allowed:
                return _Outcome([], 0, False, effective_sort)
        # The typing pass (it has a deadline, and a settled search follows a partial one)
        # fills the screen rather than the whole list, and lets the collector skip blocks
        # of postings that cannot reach the top: a fraction of the work, but the match
        # count is then a lower bound.
        wanted = min(limit, TYPING_HITS) if stop.deadline is not None else limit
        try:
            stop.check()
            ranked, total, partial = self._match(
                searcher, query, effective_sort, wanted, allowed, denied, stop
            )
        except _Interrupted:
            # Stopped before anything could be ranked: the settled search follows.
            return _Outcome([], 0, True, effective_sort)
        partial = partial or (wanted < limit and total > wanted)
        no_terms: frozenset[str] = frozenset()
        hit_terms = (
            self._hit_terms(searcher, plan.query) if not plan.listing else (no_terms, no_terms)
        )
        hits: list[SearchHit] = []
        for docnum, score in ranked:
            paper = self._paper_at(searcher, docnum)
            hits.append(
                SearchHit(
                    paper=paper,
                    score=score,
                    title_highlights=_spans(paper.title, hit_terms[0]),
                    abstract_highlights=_spans(paper.abstract, hit_terms[1]),
                    tags=tags.tags_of(paper.id) if tags is not None else [],
                )
            )
        return _Outcome(hits, total, partial, effective_sort)

    def _match(
        self,
        searcher: Any,
        query: Any,
        sort: SortOrder,
        wanted: int,
        allowed: set[int] | None,
        denied: set[int],
        stop: _Stop,
    ) -> tuple[list[tuple[int, float]], int, bool]:
        """The ``wanted`` best matches of ``query``, how many match, and whether that is
        cut short (``partial``). May raise ``_Interrupted``."""
        typing = stop.deadline is not None
        if isinstance(query, wq.Every):
            # A listing: walk the precomputed order, no need to gather every document.
            return self._listing(searcher, sort, wanted, allowed, denied)
        if sort != "relevance":
            docnums = _matching_set(searcher, query, stop)
            timed_out = False
            if docnums is None:
                docnums, timed_out = self._matching_docnums(searcher, query, stop)
            docnums = _allowed_only(docnums, allowed, denied)
            return self._first_in_order(searcher, sort, docnums, wanted), len(docnums), timed_out
        if _driven_by_negation(query):
            # Whoosh would walk past every document the NOT's part matches, one at a time
            # (seconds at 100k papers for ``NOT abstract:[a TO z]``): sets are far faster.
            docnums = _matching_set(searcher, query, stop)
            if docnums is not None:
                docnums = _allowed_only(docnums, allowed, denied)
                ranked, complete = self._rank_negation(searcher, query, docnums, wanted, stop)
                return ranked, len(docnums), not complete
        # The settled search scores whole posting lists at once. So does the typing pass
        # when the lists are short enough to finish well within its budget (the result
        # is then complete, and no settled search needs to follow); otherwise it keeps
        # Whoosh's collector, which can stop at its deadline and skip blocks.
        scored = (
            _ranked_by_bm25(searcher, query, stop)
            if not typing or _postings_to_read(searcher, query) <= TYPING_POSTINGS
            else None
        )
        if scored is not None:
            if allowed is not None or denied:
                scored = {
                    d: v
                    for d, v in scored.items()
                    if d not in denied and (allowed is None or d in allowed)
                }
            return _top(scored, wanted), len(scored), False
        # The settled search counts its matches with set operations over postings when
        # it can; then block skipping may find the top hits, as when typing.
        matching = None if typing else _matching_set(searcher, query, stop)
        quick = typing or matching is not None
        collector = _GuardedCollector(
            self._collector(sort, wanted, quick=quick), allowed=allowed, denied=denied, stop=stop
        )
        searcher.search_with_collector(_checked(query, stop), collector)
        ranked = list(_docs_and_scores(collector.results(), wanted))
        total, timed_out = collector.matched, collector.timed_out
        if matching is not None:
            total = len(_allowed_only(matching, allowed, denied))
        return ranked, total, timed_out or (typing and total >= wanted)

    def _ranges_as_filters(self, searcher: Any, query: Any) -> tuple[Any, set[int] | None]:
        """Date, year and comment ranges that every match must meet, as a set of documents.

        Whoosh matches a range through one posting list per day (or value) in it, and
        gathers every match before the first is scored: 60-250 ms for half a year at 100k
        papers. The sort columns already hold each paper's date and comment count, read
        once per commit, and a scan of them takes a few ms. A range ANDed with the rest
        adds the same constant to every score, so as a filter it ranks the same. Returns
        the query without those ranges (``Every`` if nothing is left) and the set, or
        ``(query, None)`` when there is none.
        """
        parts = list(query.subqueries) if isinstance(query, wq.And) else [query]
        kept: list[Any] = []
        found: set[int] | None = None
        for part in parts:
            documents = self._column_range(searcher, part)
            if documents is None:
                kept.append(part)
            else:
                found = documents if found is None else found & documents
        if found is None:
            return query, None
        if not kept:
            return wq.Every(), found
        if len(kept) == 1:
            return kept[0], found
        rest = copy.copy(query)
        rest.subqueries = kept
        return rest, found

    def _column_range(self, searcher: Any, node: Any) -> set[int] | None:
        """The documents a date/year/comments range matches, from the sort columns."""
        if not (
            isinstance(node, wq.NumericRange)
            and node.constantscore
            and node.fieldname in ("date", "year", "comments")
        ):
            return None
        low, high = node.start, node.end
        if node.startexcl and isinstance(low, int) and node.fieldname != "date":
            low += 1
        if node.endexcl and isinstance(high, int) and node.fieldname != "date":
            high -= 1
        if node.fieldname == "comments":
            # -1 is "no count", which no range matches.
            return _in_interval(self._cached_column(searcher, "sort_comments", -1), low, high, 0)
        try:
            if node.fieldname == "year":
                if (low is not None and low > 9999) or (high is not None and high < 1):
                    return set()
                low = None if low is None else dt.date(max(1, low), 1, 1).toordinal()
                high = None if high is None else dt.date(min(9999, high), 12, 31).toordinal()
            else:
                # Dates are indexed as midnight: a bound inside a day moves to a whole day.
                if low is not None:
                    low = _day_at_or_after(long_to_datetime(low), node.startexcl)
                if high is not None:
                    high = _day_at_or_before(long_to_datetime(high), node.endexcl)
        except (OverflowError, ValueError):
            return None  # a bound no date has: let Whoosh say what it matches
        # 0 is "no date", which no range matches.
        return _in_interval(self._cached_column(searcher, "sort_newest", 0), low, high, 1)

    def _cached_column(self, searcher: Any, name: str, default: int) -> Sequence[int]:
        key = f"column-{name}"
        cached = self._rank_cache.get(key)
        if cached is None:
            cached = self._rank_cache[key] = self._int_column(searcher, name, default)
        return cached

    def _listing(
        self,
        searcher: Any,
        sort: SortOrder,
        wanted: int,
        allowed: set[int] | None,
        denied: set[int],
    ) -> tuple[list[tuple[int, float]], int, bool]:
        self._sort_ranks(searcher, sort)
        reader = searcher.reader()
        deleted = reader.is_deleted if reader.has_deletions() else None
        if allowed is not None:
            # A filter (tags, ranges): count it, then pick its first in order.
            live = allowed - denied
            if deleted is not None:
                live = {docnum for docnum in live if not deleted(docnum)}
            return self._first_in_order(searcher, sort, live, wanted), len(live), False
        picked: list[int] = []
        total = 0
        for docnum in self._rank_cache[f"{sort}-order"]:
            if docnum in denied or (deleted is not None and deleted(docnum)):
                continue
            total += 1
            if len(picked) < wanted:
                picked.append(docnum)
            else:
                # The rest only adds to the count: work it out instead of walking.
                # (Denied documents were looked up by id, so they are live ones.)
                total = reader.doc_count() - len(denied)
                break
        return [(d, 0.0) for d in picked], total, False

    def _first_in_order(
        self, searcher: Any, sort: SortOrder, docnums: set[int], wanted: int
    ) -> list[tuple[int, float]]:
        """The first ``wanted`` of ``docnums`` in ``sort`` order (live documents only)."""
        ranks = self._sort_ranks(searcher, sort)
        if len(docnums) * 8 < len(ranks):
            first = heapq.nsmallest(wanted, docnums, key=ranks.__getitem__)
        else:
            # Many matches: the first few in the precomputed order are found sooner.
            first = []
            for docnum in self._rank_cache[f"{sort}-order"]:
                if docnum in docnums:
                    first.append(docnum)
                    if len(first) == wanted:
                        break
        return [(d, 0.0) for d in first]

    def _rank_negation(
        self, searcher: Any, query: Any, docnums: set[int], wanted: int, stop: _Stop
    ) -> tuple[list[tuple[int, float]], bool]:
        """Rank the matches of a query whose NOT does the matching but that has words
        too (``agents OR NOT survey``; NOTs alone are listed newest first): those its
        words match first, by BM25, then the rest newest first, since a NOT says nothing
        about relevance. False when the typing pass had no time to score the words (only
        the order may change).
        """
        positive = _without_negations(query)
        scores: dict[int, float] | None = {}
        complete = True
        if positive is not None:
            typing = stop.deadline is not None
            if typing and _postings_to_read(searcher, positive) > TYPING_POSTINGS:
                complete = False
            else:
                scores = _ranked_by_bm25(searcher, positive, stop)
        scored = {d: v for d, v in (scores or {}).items() if d in docnums}
        ranked = _top(scored, wanted)
        if len(ranked) < wanted:
            rest = docnums.difference(scored) if scored else docnums
            ranked += self._first_in_order(searcher, "newest", rest, wanted - len(ranked))
        return ranked, complete

    @staticmethod
    def _matching_docnums(searcher: Any, query: Any, stop: _Stop) -> tuple[set[int], bool]:
        """Every live document ``query`` matches, without scoring (for the sorted orders)."""
        found: set[int] = set()
        query = _checked(query, stop)
        for subsearcher, offset in searcher.leaf_searchers():
            reader = subsearcher.reader()
            matcher = query.matcher(subsearcher)
            if not matcher.is_active():
                continue
            ids = matcher.all_ids()
            if not stop.active:
                found.update(offset + docnum for docnum in ids)
            else:
                try:
                    for count, docnum in enumerate(ids):
                        if count % 256 == 255 and stop.reached():
                            return found, True
                        found.add(offset + docnum)
                except _Interrupted:
                    return found, True
            if reader.has_deletions():
                found.difference_update(offset + docnum for docnum in reader.deleted_docs_set)
        return found, False

    def _sort_ranks(self, searcher: Any, sort: SortOrder) -> Sequence[int]:
        """Each document's place in ``sort`` order, computed once per commit.

        Whoosh's sorting collector reads the sort columns one document at a time (a read
        call each without mmap): a listing of 100k papers took ~1 s. Here the columns are
        read whole, ordered once, and a search only picks its matches' smallest ranks.
        """
        cached = self._rank_cache.get(sort)
        if cached is not None:
            return cached
        # Stable sorts, least significant key first, each keyed by a C-level look-up:
        # several times faster than one sort on tuples.
        newest = self._int_column(searcher, "sort_newest", 0)
        later_first = array("i", (-value for value in newest))
        order = list(range(len(newest)))
        if sort == "comments":
            comments = self._int_column(searcher, "sort_comments", -1)
            order.sort(key=later_first.__getitem__)
            order.sort(key=array("i", (-value for value in comments)).__getitem__)
        elif sort == "title":
            order.sort(key=later_first.__getitem__)
            order.sort(key=self._bytes_column(searcher, "sort_title").__getitem__)
        else:
            order.sort(key=self._bytes_column(searcher, "sort_title").__getitem__)
            order.sort(key=later_first.__getitem__)
        ranks = array("i", bytes(4 * len(order)))
        for place, docnum in enumerate(order):
            ranks[docnum] = place
        self._rank_cache[sort] = ranks
        self._rank_cache[f"{sort}-order"] = array("i", order)
        return ranks

    @staticmethod
    def _int_column(searcher: Any, name: str, default: int) -> array[int]:
        values: array[int] = array("i")
        for subsearcher, _offset in searcher.leaf_searchers():
            reader = subsearcher.reader()
            count = reader.doc_count_all()
            column = reader.column_reader(name, translate=False)
            if isinstance(column, columns.NumericColumn.Reader) and column._typecode == "i":
                # The values are stored as consecutive big-endian ints: one read.
                stored = min(count, column._count)
                chunk = array("i", column._dbfile.get(column._basepos, 4 * stored))
                if sys.byteorder == "little":
                    chunk.byteswap()
                chunk.extend([default] * (count - stored))
            else:
                chunk = array("i", (int(column[d]) for d in range(count)))
            values.extend(chunk)
        return values

    @staticmethod
    def _bytes_column(searcher: Any, name: str) -> list[bytes]:
        values: list[bytes] = []
        for subsearcher, _offset in searcher.leaf_searchers():
            reader = subsearcher.reader()
            column = reader.column_reader(name, translate=False)
            if isinstance(column, columns.VarBytesColumn.Reader) and len(column._lengths):
                # One read of the whole column, then slices (not a read call per value).
                offsets, lengths = column._offsets, column._lengths
                data = column._dbfile.get(column._basepos, offsets[-1] + lengths[-1])
                loaded = [data[o : o + n] for o, n in zip(offsets, lengths, strict=True)]
            else:
                loaded = list(column.load())
            values.extend(loaded[: reader.doc_count_all()])
            values.extend([b""] * (reader.doc_count_all() - len(loaded)))
        return values

    @staticmethod
    def _collector(sort: SortOrder, limit: int, *, quick: bool = False) -> Any:
        # Block skipping makes the match count inexact: only on the typing pass.
        return TopCollector(limit=limit, usequality=quick)

    def _docnums(self, searcher: Any, paper_ids: Iterable[str]) -> set[int]:
        docnums: set[int] = set()
        for paper_id in paper_ids:
            docnum = self._docnum(searcher, paper_id)
            if docnum is not None:
                docnums.add(docnum)
        return docnums

    @staticmethod
    def _hit_terms(searcher: Any, parsed: Any) -> tuple[frozenset[str], frozenset[str]]:
        """Indexed terms that should light up in the title and in the abstract."""
        reader = searcher.reader()
        title_terms: set[str] = set()
        abstract_terms: set[str] = set()
        for leaf, abstract_only in _positive_leaves(parsed, regions=True):
            if leaf.field() not in _PROSE_FIELDS:
                continue
            try:
                pairs = list(leaf.expanded_terms(reader))
            except Exception:  # an odd leaf must not cost the results
                continue
            for fieldname, term in pairs:
                word = _as_str(term)
                if fieldname in ("text", "title") and not abstract_only:
                    title_terms.add(word)
                if fieldname == "text":
                    abstract_terms.add(word)
        return frozenset(title_terms), frozenset(abstract_terms)

    # -- spelling

    def _offer_correction(
        self,
        searcher: Any,
        query: str,
        plan: _Plan,
        result: SearchResult,
        *,
        sort: SortOrder,
        limit: int,
        user: _UserData,
        budget_ms: float | None,
        stop: _Stop,
    ) -> None:
        """Nothing (or very little) found: try the closest known spellings of unknown words.

        On the typing pass the retry gets half a budget more, not an unbounded search: a
        typo in a common word would otherwise run the full query at every keystroke.
        """
        corrected = query
        changed = False
        for word in plan.words:
            folded = _folded_word(word.lower())
            if (
                folded is None
                or not 3 <= len(folded) <= MAX_CORRECTED_WORD
                or self._word_frequency(searcher, folded)
            ):
                continue
            if word == plan.words[-1] and self._is_being_typed(query, word, searcher):
                continue
            replacement = self._closest_word(searcher, folded)
            if replacement is None:
                continue
            corrected = re.sub(rf"(?<!\w){re.escape(word)}(?!\w)", replacement, corrected, count=1)
            changed = True
        if changed and corrected != query:
            retry_stop = stop.with_deadline(
                None if budget_ms is None else time.perf_counter() + budget_ms / 2000
            )
            retry_plan = self._plan(searcher, corrected, retry_stop, plan.filters)
            retry = self._run(
                searcher, retry_plan, sort=sort, limit=limit, user=user, stop=retry_stop
            )
            retry.partial = retry.partial or retry_stop.stopped_early
            if retry.total > result.total:
                if result.total == 0:
                    result.hits, result.total = retry.hits, retry.total
                    result.partial = retry.partial
                    result.corrected_query = corrected
                else:
                    result.suggestion = corrected
                return
            if retry.partial:
                # Cut short by the typing budget: the settled search tries it in full.
                result.partial = True
                return
        if result.total == 0 and len(plan.words) > 1:
            result.suggestion = self._smaller_query(searcher, plan, user)

    def _is_being_typed(self, query: str, word: str, searcher: Any) -> bool:
        if not query or query[-1].isspace() or not query.rstrip().endswith(word):
            return False
        folded = _folded_word(word.lower())
        return bool(folded and self._completions(searcher, folded, PREFIX_EXPANSION_CAP))

    def _word_frequency(self, searcher: Any, word: str) -> int:
        return self._vocabulary_for(searcher).frequency(word)

    def _closest_word(self, searcher: Any, word: str) -> str | None:
        """Nearest indexed word by edit distance, the more frequent one on a tie."""
        vocabulary = self._vocabulary_for(searcher)
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

    def _smaller_query(self, searcher: Any, plan: _Plan, user: _UserData) -> str | None:
        """Drop the rarest words one at a time until something matches."""
        vocabulary = self._vocabulary_for(searcher)
        words = list(dict.fromkeys(plan.words))
        while len(words) > 1:
            rarest = min(
                words,
                key=lambda w: vocabulary.frequency(_folded_word(w.lower()) or w),
            )
            words.remove(rarest)
            candidate = " ".join(words)
            probe = _plain_query(candidate, stemmed=True)
            if probe is None:
                return None
            if not plan.filters:
                # Only "does anything match": the first match answers it, no count needed.
                if probe.matcher(searcher).is_active():
                    return candidate
                continue
            outcome = self._run(
                searcher,
                _Plan(probe, plan.filters, None, False, words),
                sort="relevance",
                limit=1,
                user=user,
            )
            if outcome.total:
                return candidate
        return None


_LENGTH_OF_BYTE: Final = [byte_to_length(b) if b else None for b in range(256)]


def _field_lengths_in_memory(searcher: Any) -> None:
    """Serve each segment's field lengths from memory instead of one file read per call.

    BM25 asks for the length of the field in every document it scores; without mmap
    Whoosh answers each with a seek and a read on the lengths column, a fifth of the time
    of a search over common words. A segment holds one byte per document and field, so
    the whole column is read once (lazily, per field) and looked up from then on.
    """
    for subsearcher, _offset in searcher.leaf_searchers():
        segment = subsearcher.reader()
        perdoc = getattr(segment, "_perdoc", None)
        if perdoc is None or not hasattr(perdoc, "_cached_reader"):
            continue
        table = _LengthTable(perdoc, segment.doc_count_all())
        # Searchers copy the reader's bound method when created: replace both.
        segment.doc_field_length = table
        subsearcher.doc_field_length = table


class _LengthTable:
    def __init__(self, perdoc: Any, doccount: int) -> None:
        self._perdoc = perdoc
        self._doccount = doccount
        self._tables: dict[str, list[int | None] | None] = {}

    def __call__(self, docnum: int, fieldname: str, default: int = 0) -> int | None:
        if fieldname not in self._tables:
            self._tables[fieldname] = self._load(fieldname)
        table = self._tables[fieldname]
        if table is None or docnum >= len(table):
            return int(default)
        return table[docnum]

    def table(self, fieldname: str) -> list[int | None] | None:
        if fieldname not in self._tables:
            self._tables[fieldname] = self._load(fieldname)
        return self._tables[fieldname]

    def _load(self, fieldname: str) -> list[int | None] | None:
        column = self._perdoc._cached_reader(f"_{fieldname}_len", LENGTHS_COLUMN)
        if not isinstance(column, columns.NumericColumn.Reader) or column._typecode != "B":
            return None
        stored = min(self._doccount, column._count)
        raw = bytes(column._dbfile.get(column._basepos, stored)) + bytes(self._doccount - stored)
        # Same answers as Whoosh's reader, including None for a zero length byte.
        return [_LENGTH_OF_BYTE[b] for b in raw]


class _Unsupported(Exception):
    """A query shape the set evaluation does not handle: count by scoring instead."""


def _matching_set(searcher: Any, query: Any, stop: _Stop = _NO_STOP) -> set[int] | None:
    """The live documents ``query`` matches, by set operations over whole posting lists.

    Counting by walking Whoosh's matcher tree costs a few Python calls per document per
    level; decoding posting blocks into sets and combining them is several times faster,
    and frees the relevance pass to skip blocks that cannot reach the top hits. None when
    the query has a part this does not understand (phrases, spans, fuzzy terms are fine:
    they fall back to their own matcher). May raise ``_Interrupted``.
    """
    found: set[int] = set()
    try:
        for subsearcher, offset in searcher.leaf_searchers():
            segment = subsearcher.reader()
            ids = _segment_set(subsearcher, query, stop)
            if segment.has_deletions():
                ids -= segment.deleted_docs_set
            if offset:
                found.update(offset + docnum for docnum in ids)
            else:
                found |= ids
    except _Unsupported:
        return None
    return found


def _segment_set(searcher: Any, node: Any, stop: _Stop) -> set[int]:
    reader = searcher.reader()
    stop.check()
    if isinstance(node, wq.Term):
        if (node.fieldname, node.text) not in reader:
            return set()
        return _posting_ids(reader.postings(node.fieldname, node.text), stop)
    if isinstance(node, wq.Every):
        return set(range(reader.doc_count_all()))
    if node is wq.NullQuery:
        return set()
    if isinstance(node, wq.And):
        positive = [c for c in node.subqueries if not isinstance(c, wq.Not)]
        negative = [c.query for c in node.subqueries if isinstance(c, wq.Not)]
        # Smallest first: the intersection shrinks fastest.
        sets = sorted((_segment_set(searcher, c, stop) for c in positive), key=len)
        result = sets[0] if sets else set(range(reader.doc_count_all()))
        for other in sets[1:]:
            result &= other
        for excluded in negative:
            if result:
                result -= _segment_set(searcher, excluded, stop)
        return result
    if isinstance(node, wq.Or):
        if node.minmatch and node.minmatch > 1:
            raise _Unsupported
        result = set()
        for child in node.subqueries:
            result |= _segment_set(searcher, child, stop)
        return result
    if isinstance(node, wq.AndNot):
        return _segment_set(searcher, node.a, stop) - _segment_set(searcher, node.b, stop)
    if isinstance(node, wq.AndMaybe):
        return _segment_set(searcher, node.a, stop)
    if isinstance(node, wq.Require):
        return _segment_set(searcher, node.a, stop) & _segment_set(searcher, node.b, stop)
    if isinstance(node, wq.Not):
        return set(range(reader.doc_count_all())) - _segment_set(searcher, node.query, stop)
    if isinstance(node, wq.NumericRange):
        return _segment_set(searcher, node._compile_query(reader), stop)
    if isinstance(node, wq.ConstantScoreQuery):  # what a range compiles to
        return _segment_set(searcher, node.child, stop)
    if isinstance(node, wq.MultiTerm):  # prefix, wildcard, fuzzy, term range
        result = set()
        for fieldname, text in node.expanded_terms(reader):
            result |= _posting_ids(reader.postings(fieldname, text), stop)
        return result
    if isinstance(node, wq.Phrase | _InRegion):
        matcher = _checked(node, stop).matcher(searcher)
        return set(matcher.all_ids()) if matcher.is_active() else set()
    raise _Unsupported


def _in_interval(column: Sequence[int], low: int | None, high: int | None, floor: int) -> set[int]:
    """Positions of ``column`` whose value is within ``[low, high]`` and at least ``floor``."""
    low = floor if low is None else max(low, floor)
    if high is None:
        return {docnum for docnum, value in enumerate(column) if value >= low}
    if high < low:
        return set()
    return {docnum for docnum, value in enumerate(column) if low <= value <= high}


def _day_at_or_after(moment: dt.datetime, exclusive: bool) -> int:
    """The first day whose midnight is after ``moment`` (or at it, unless ``exclusive``)."""
    day = moment.date().toordinal()
    at_midnight = moment.time() == dt.time()
    return day + 1 if (exclusive or not at_midnight) else day


def _day_at_or_before(moment: dt.datetime, exclusive: bool) -> int:
    """The last day whose midnight is before ``moment`` (or at it, unless ``exclusive``)."""
    day = moment.date().toordinal()
    at_midnight = moment.time() == dt.time()
    return day - 1 if (exclusive and at_midnight) else day


def _driven_by_negation(node: Any) -> bool:
    """Whether Whoosh would match ``node`` by walking the complement of a NOT: a NOT with
    no positive part beside it to lead (``NOT survey``, ``agents OR NOT survey``)."""
    if isinstance(node, wq.Not):
        return True
    if isinstance(node, wq.AndNot):
        return _driven_by_negation(node.a)
    if isinstance(node, wq.And):
        positive = [c for c in node.subqueries if not isinstance(c, wq.Not)]
        return not positive or any(_driven_by_negation(c) for c in positive)
    if node.is_leaf():
        return False
    return any(_driven_by_negation(c) for c in node.children())


def _without_negations(node: Any) -> Any | None:
    """The part of ``node`` that can make a document match by itself: NOTs left out."""
    if isinstance(node, wq.Not):
        return None
    if isinstance(node, wq.AndNot):
        return _without_negations(node.a)
    if isinstance(node, wq.CompoundQuery):
        kept = [k for c in node.subqueries if (k := _without_negations(c)) is not None]
        if not kept:
            return None
        trimmed = copy.copy(node)
        trimmed.subqueries = kept
        return trimmed
    return node


def _allowed_only(docnums: set[int], allowed: set[int] | None, denied: set[int]) -> set[int]:
    if allowed is not None:
        docnums = docnums & allowed
    return docnums - denied if denied else docnums


def _postings_to_read(searcher: Any, query: Any) -> float:
    """How many postings scoring ``query`` reads (infinite when not only plain terms).

    Numeric ranges count for nothing: their set is built a posting block at a time with
    the deadline checked, faster than Whoosh's matcher, which gathers it all unchecked.
    A posting kept to a region (``abstract:``) counts several times: its positions are
    decoded too.
    """
    if isinstance(query, wq.Term):
        return float(searcher.doc_frequency(query.fieldname, query.text))
    if isinstance(query, wq.NumericRange) and query.constantscore:
        return 0.0
    if isinstance(query, _InRegion):
        return _REGION_POSTING_COST * _postings_to_read(searcher, query.q)
    if query.is_leaf():
        return float("inf")
    return sum(_postings_to_read(searcher, child) for child in query.children())


def _top(scored: dict[int, float], wanted: int) -> list[tuple[int, float]]:
    """The ``wanted`` best, ties in Whoosh's order (the lower document number first).

    The cut-off score comes from the scores alone (a C-level heap over floats), and only
    what reaches it is sorted: a third of a keyed heap over all items at 80k matches.
    """
    if len(scored) > wanted:
        threshold = heapq.nlargest(wanted, scored.values())[-1]
        candidates = [item for item in scored.items() if item[1] >= threshold]
    else:
        candidates = list(scored.items())
    candidates.sort(key=lambda item: (-item[1], item[0]))
    return candidates[:wanted]


def _ranked_by_bm25(searcher: Any, query: Any, stop: _Stop = _NO_STOP) -> dict[int, float] | None:
    """Scores of every live document ``query`` matches, or None for a shape it can't do.

    Whoosh's BM25F, the same formula and statistics as its scorer, computed a posting
    block at a time over whole posting lists instead of through its matcher tree (a
    handful of Python calls per document per tree level, plus a column read for each
    document's length). Covers AND, OR, NOT and plain terms in text fields: what the
    query parser and the prefix expansion produce for words. Anything else goes to
    Whoosh. The caller takes the top hits and the exact count from the same result.
    """
    try:
        return _node_scores(searcher, query, stop)
    except _Unsupported:
        return None


def _node_scores(searcher: Any, node: Any, stop: _Stop) -> dict[int, float]:
    stop.check()
    if isinstance(node, wq.Term):
        return _term_scores(searcher, node.fieldname, node.text, node.boost)
    if isinstance(node, _InRegion) and getattr(node, "boost", 1.0) == 1.0:
        return _region_scores(searcher, node.q, node.region, stop=stop)
    if isinstance(node, wq.Phrase) and node.slop == 1 and node.boost == 1.0:
        return _phrase_scores(searcher, node.fieldname, node.words)
    if isinstance(node, wq.NumericRange) and node.constantscore:
        # Whoosh scores a range match as a constant (its boost).
        matching = _matching_set(searcher, node, stop)
        if matching is None:
            raise _Unsupported
        return dict.fromkeys(matching, float(node.boost))
    if getattr(node, "boost", 1.0) != 1.0:
        raise _Unsupported
    if isinstance(node, wq.Or):
        if (node.minmatch and node.minmatch > 1) or node.scale:
            raise _Unsupported
        if any(isinstance(child, wq.Not) for child in node.subqueries):
            raise _Unsupported
        parts = sorted((_node_scores(searcher, c, stop) for c in node.subqueries), key=len)
        if not parts:
            return {}
        total = parts.pop()
        for part in parts:
            get = total.get
            for docnum, score in part.items():
                total[docnum] = get(docnum, 0.0) + score
        return total
    if isinstance(node, wq.And):
        positive = [c for c in node.subqueries if not isinstance(c, wq.Not)]
        if not positive:
            raise _Unsupported
        # Region parts decode positions per posting: only for what the rest left over.
        regions = [c for c in positive if isinstance(c, _InRegion)]
        plain = [c for c in positive if not isinstance(c, _InRegion)]
        # Shortest posting lists first: an empty part ends it (a typo AND a common word),
        # and a few survivors are looked up in the longer lists instead of decoding them.
        plain.sort(key=lambda child: _postings_to_read(searcher, child))
        joint: dict[int, float] | None = None
        for child in plain:
            if joint is not None and not joint:
                return {}
            if isinstance(child, wq.Term) and joint is not None:
                part = _term_scores(searcher, child.fieldname, child.text, child.boost, set(joint))
            else:
                part = _node_scores(searcher, child, stop)
            if joint is None:
                joint = part
            else:
                joint = {d: s + part[d] for d, s in joint.items() if d in part}
        total = _node_scores(searcher, regions.pop(), stop) if joint is None else joint
        for region in regions:
            if getattr(region, "boost", 1.0) != 1.0:
                raise _Unsupported
            part = _region_scores(searcher, region.q, region.region, within=set(total), stop=stop)
            total = {d: s + part[d] for d, s in total.items() if d in part}
        for child in node.subqueries:
            if isinstance(child, wq.Not) and total:
                excluded = _matching_set(searcher, child.query, stop)
                if excluded is None:
                    raise _Unsupported
                # Whoosh scores a NOT inside an AND as a match worth 1.0: same here.
                total = {d: s + 1.0 for d, s in total.items() if d not in excluded}
        return total
    if isinstance(node, wq.AndNot):
        total = _node_scores(searcher, node.a, stop)
        excluded = _matching_set(searcher, node.b, stop)
        if excluded is None:
            raise _Unsupported
        return {d: s for d, s in total.items() if d not in excluded}
    raise _Unsupported


def _phrase_scores(searcher: Any, fieldname: str, words: list[str]) -> dict[int, float]:
    """As Whoosh scores a phrase: the sum of its words' scores, where they are adjacent."""
    parts = [_term_scores(searcher, fieldname, word, 1.0) for word in words]
    if not parts or not all(parts):
        return {}
    total = parts[0]
    for part in parts[1:]:
        total = {d: s + part[d] for d, s in total.items() if d in part}
    if not total or len(words) == 1:
        return total
    field = searcher.schema[fieldname]
    decode = field.format.decode_positions
    adjacent: set[int] = set()
    for subsearcher, offset in searcher.leaf_searchers():
        reader = subsearcher.reader()
        candidates = sorted(
            d - offset for d in total if offset <= d < offset + reader.doc_count_all()
        )
        if not candidates:
            continue
        places: list[dict[int, set[int]]] = []
        for word in words:
            values = _values_among(reader, fieldname, field.to_bytes(word), candidates)
            places.append({d: set(decode(v)) for d, v in values})
        for docnum in candidates:
            starts = places[0].get(docnum, set())
            for shift, later in enumerate(places[1:], start=1):
                following = later.get(docnum, set())
                starts = {p for p in starts if p + shift in following}
            if starts:
                adjacent.add(offset + docnum)
    return {d: s for d, s in total.items() if d in adjacent}


def _region_scores(
    searcher: Any,
    node: Any,
    region: int,
    within: set[int] | None = None,
    stop: _Stop = _NO_STOP,
) -> dict[int, float]:
    """Scores of ``node`` (a term or an OR of terms) where it occurs inside ``region``.

    As Whoosh scores ``_InRegion``: the term's own score, for documents with a position
    in the region. Decoding positions costs a few µs a posting, so ``stop`` is checked
    as it goes (``abstract:a*`` reads 150k of them at 20k papers).
    """
    stop.check()
    if isinstance(node, wq.MultiTerm):
        node = wq.Or([wq.Term(f, t) for f, t in node.expanded_terms(searcher.reader())])
    if isinstance(node, wq.Or) and getattr(node, "boost", 1.0) == 1.0:
        total: dict[int, float] = {}
        for child in node.subqueries:
            for docnum, score in _region_scores(searcher, child, region, within, stop).items():
                total[docnum] = total.get(docnum, 0.0) + score
        return total
    if not isinstance(node, wq.Term):
        raise _Unsupported
    scores = _term_scores(searcher, node.fieldname, node.text, node.boost, within)
    if within is not None:
        scores = {d: s for d, s in scores.items() if d in within}
    if not scores:
        return scores
    low, high = region * _REGION, (region + 1) * _REGION
    decode = searcher.schema[node.fieldname].format.decode_positions
    tbytes = searcher.schema[node.fieldname].to_bytes(node.text)
    inside: set[int] = set()
    for subsearcher, offset in searcher.leaf_searchers():
        reader = subsearcher.reader()
        candidates = sorted(
            d - offset for d in scores if offset <= d < offset + reader.doc_count_all()
        )
        values = _values_among(reader, node.fieldname, tbytes, candidates)
        for count, (docnum, value) in enumerate(values):
            if not count & 255:
                stop.check()
            if offset + docnum in scores and any(low <= p < high for p in decode(value)):
                inside.add(offset + docnum)
    return {d: s for d, s in scores.items() if d in inside}


def _values_among(
    reader: Any, fieldname: str, tbytes: bytes, candidates: list[int]
) -> Iterator[tuple[int, bytes]]:
    """(document number, encoded positions) of a term's postings among ``candidates``
    (sorted, segment-local).

    Few candidates: skip to each. Many: read every block and keep theirs, since a skip
    per posting cost 0.7 s for the 72k candidates of ``"learning model"`` at 100k papers.
    """
    if (fieldname, tbytes) not in reader:
        return iter(())
    postings = reader.postings(fieldname, tbytes)
    if len(candidates) * 8 < reader.doc_frequency(fieldname, tbytes):
        return _values_at(postings, candidates)
    wanted = set(candidates)
    return ((d, v) for d, v in _posting_values(postings) if d in wanted)


def _landing_on(matcher: Any, docnums: Iterable[int]) -> Iterator[int]:
    """Each of the sorted ``docnums`` that ``matcher`` holds, with the matcher on it."""
    for docnum in docnums:
        if docnum < 0:
            continue
        if not matcher.is_active():
            return
        if matcher.id() < docnum:
            matcher.skip_to(docnum)
            if not matcher.is_active():
                return
        if matcher.id() == docnum:
            yield docnum


def _values_at(matcher: Any, docnums: list[int]) -> Iterator[tuple[int, bytes]]:
    return ((docnum, matcher.value()) for docnum in _landing_on(matcher, docnums))


def _posting_values(matcher: Any) -> Iterator[tuple[int, bytes]]:
    """(document number, encoded positions) of one term's postings, a block at a time."""
    while isinstance(matcher, FilterMatcher):
        matcher = matcher.child
    if not isinstance(matcher, W3LeafMatcher):
        while matcher.is_active():
            yield matcher.id(), matcher.value()
            matcher.next()
        return
    while matcher.is_active():
        if matcher._ids is None:
            matcher._read_ids()
        if matcher._values is None:
            matcher._read_values()
        start = matcher._i
        yield from zip(matcher._ids[start:], matcher._values[start:], strict=True)
        matcher._i = matcher._blocklength - 1
        matcher.next()


def _term_scores(
    searcher: Any, fieldname: str, text: Any, boost: float, within: set[int] | None = None
) -> dict[int, float]:
    schema = searcher.schema
    if fieldname not in schema:
        return {}
    if not isinstance(searcher.weighting, BM25F) or fieldname in searcher.weighting._field_B:
        raise _Unsupported
    try:
        tbytes = schema[fieldname].to_bytes(text)
    except ValueError:
        return {}
    if (fieldname, tbytes) not in searcher.reader():
        return {}
    if not schema[fieldname].scorable:
        # Whoosh's WeightScorer for fields without lengths (year:2024): the weight.
        found: dict[int, float] = {}
        for subsearcher, offset in searcher.leaf_searchers():
            reader = subsearcher.reader()
            if (fieldname, tbytes) not in reader:
                continue
            ids, weights = _postings(reader.postings(fieldname, tbytes))
            deleted = reader.deleted_docs_set if reader.has_deletions() else ()
            for docnum, tf in zip(ids, weights, strict=True):
                if not (deleted and docnum in deleted):
                    found[offset + docnum] = tf * boost
        return found
    # The statistics BM25FScorer takes from the top-level searcher.
    idf = searcher.idf(fieldname, tbytes)
    avgfl = searcher.avg_field_length(fieldname) or 1
    b = searcher.weighting.B
    k1 = searcher.weighting.K1
    k1_plus_1 = k1 + 1
    one_minus_b = 1 - b
    scores: dict[int, float] = {}
    for subsearcher, offset in searcher.leaf_searchers():
        reader = subsearcher.reader()
        if (fieldname, tbytes) not in reader:
            continue
        lengths = subsearcher.doc_field_length
        if not isinstance(lengths, _LengthTable):
            raise _Unsupported
        table = lengths.table(fieldname)
        if table is None:
            raise _Unsupported
        postings = reader.postings(fieldname, tbytes)
        if within is not None and len(within) * 8 < reader.doc_frequency(fieldname, tbytes):
            # A few candidates in a long list: jump to each instead of decoding it all.
            ids, weights = _postings_at(postings, sorted(d - offset for d in within))
        else:
            ids, weights = _postings(postings)
        deleted = reader.deleted_docs_set if reader.has_deletions() else ()
        for docnum, tf in zip(ids, weights, strict=True):
            if deleted and docnum in deleted:
                continue
            fl = table[docnum] or 1
            # Whoosh's bm25(), written out: same operations, same order, same floats.
            score = idf * ((tf * k1_plus_1) / (tf + k1 * (one_minus_b + b * fl / avgfl)))
            scores[offset + docnum] = score * boost if boost != 1.0 else score
    return scores


def _postings_at(matcher: Any, docnums: list[int]) -> tuple[list[int], list[float]]:
    """Document numbers and weights of the postings among ``docnums`` (sorted)."""
    ids: list[int] = []
    weights: list[float] = []
    for docnum in _landing_on(matcher, docnums):
        ids.append(docnum)
        weights.append(matcher.weight())
    return ids, weights


def _postings(matcher: Any) -> tuple[Sequence[int], Sequence[float]]:
    """All document numbers and weights of one term's postings (deleted ones included)."""
    while isinstance(matcher, FilterMatcher):
        matcher = matcher.child
    ids: list[int] = []
    weights: list[float] = []
    if not isinstance(matcher, W3LeafMatcher):
        while matcher.is_active():
            ids.append(matcher.id())
            weights.append(matcher.weight())
            matcher.next()
        return ids, weights
    while matcher.is_active():
        if matcher._ids is None:
            matcher._read_ids()
        if matcher._weights is None:
            matcher._read_weights()
        start = matcher._i
        ids.extend(matcher._ids[start:])
        weights.extend(matcher._weights[start:])
        matcher._i = matcher._blocklength - 1
        matcher.next()
    return ids, weights


def _posting_ids(matcher: Any, stop: _Stop = _NO_STOP) -> set[int]:
    """The document numbers of one term's postings, a decoded block at a time.

    Deleted documents are not filtered here (the caller removes them once).
    """
    while isinstance(matcher, FilterMatcher):
        matcher = matcher.child
    if not isinstance(matcher, W3LeafMatcher):
        return set(matcher.all_ids())
    ids: set[int] = set()
    while matcher.is_active():
        stop.check()
        if matcher._ids is None:
            matcher._read_ids()
        ids.update(matcher._ids[matcher._i :])
        matcher._i = matcher._blocklength - 1
        matcher.next()
    return ids


def _union(terms: list[Any], boost: float = 1.0) -> Any:
    """An OR over the completions of a word.

    Whoosh's default OR is a binary tree of union matchers that costs several Python calls
    per document per level: for 32 completions of a short prefix that was ~1 s at 100k
    papers. The array matcher decodes each term's postings into one score array per
    range of documents, several times faster on wide unions.
    """
    union = wq.Or(terms, boost=boost)
    union.matcher_type = wq.Or.ARRAY_MATCHER
    return union


def _plain_query(text: str, *, stemmed: bool) -> Any | None:
    """All words of ``text`` required, as raw words (``stemmed=False``) or index terms."""
    analyse = _term_of if stemmed else _folded_word
    terms: list[Any] = []
    # Field names of a broken query ("title:(") are syntax, not words to look for.
    for match in _TOKEN_RE.finditer(_FIELD_PREFIX.sub(" ", text.lower())):
        term = analyse(match.group())
        if term is not None:
            terms.append(wq.Term(_DEFAULT_FIELD, term))
    if not terms:
        return None
    return terms[0] if len(terms) == 1 else wq.And(terms)


def _unbalanced(text: str) -> str | None:
    if text.count('"') % 2:
        return "missing closing quote"
    depth = 0
    for char in text:
        depth += (char == "(") - (char == ")")
        if depth < 0:
            return "unmatched closing parenthesis"
    return "missing closing parenthesis" if depth else None


def _docs_and_scores(results: Any, limit: int) -> Iterator[tuple[int, float]]:
    for docnum, score in list(results.items())[:limit]:
        yield int(docnum), float(score) if isinstance(score, int | float) else 0.0


def _spans(text: str, terms: frozenset[str]) -> list[Highlight]:
    """Character spans of the tokens of ``text`` whose indexed term is one of ``terms``.

    Running the analyzer over every token of 200 abstracts costs tens of milliseconds, so
    a regular expression of the terms' leading letters (the stemmer only rewrites word
    endings) picks candidate tokens first and only those go through the analyzer.
    Text with non-ASCII letters may fold differently from its raw form: it takes the
    slow path over every token.
    """
    if not terms or not text:
        return []
    starts = _candidate_starts(terms) if text.isascii() else None
    candidates = starts.finditer(text) if starts is not None else _TOKEN_RE.finditer(text)
    spans: list[Highlight] = []
    for candidate in candidates:
        token = _TOKEN_RE.match(text, candidate.start())
        if token is not None and _term_of(token.group()) in terms:
            spans.append(Highlight(start=token.start(), end=token.end()))
    return spans


@lru_cache(maxsize=1024)
def _candidate_starts(terms: frozenset[str]) -> re.Pattern[str] | None:
    roots = set()
    for term in terms:
        if not term.isascii():
            return None
        # The stemmer rewrites at most the last letter of what it keeps (policy -> polici).
        roots.add(re.escape(term[:-1] if len(term) > 3 else term))
    return re.compile(r"(?<![\w.])(?:" + "|".join(sorted(roots)) + ")", re.IGNORECASE)


def _as_str(value: object) -> str:
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)


def _as_datetime(day: dt.date) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day)


def _short(message: str, width: int = 60) -> str:
    message = " ".join(message.split())
    return message if len(message) <= width else message[: width - 1] + "…"
