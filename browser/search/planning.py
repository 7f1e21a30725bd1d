"""From query text to the Whoosh query to run: parsing, rewriting to index terms, the
word being typed, and the abstract's region of the text field.

The parser sees prose fields without stemming, so prefixes, wildcards and typo checks
get the words as typed; ``QueryPlanner.to_index_terms`` stems them afterwards, expanding
wildcards, word ranges and fuzzy terms over the vocabulary, capped by frequency.
"""

from __future__ import annotations

import copy
import re
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Final

from whoosh import query as wq
from whoosh.matching import ListMatcher, Matcher, NullMatcher
from whoosh.qparser import (
    AndGroup,
    FieldAliasPlugin,
    FuzzyTermPlugin,
    GtLtPlugin,
    QueryParser,
)
from whoosh.query.spans import WrappingSpan

from browser.models import SearchFilters
from browser.search.abbreviating import AbbreviationRewriter
from browser.search.id_terms import ARXIV_FIELD, has_arxiv_id, id_prefix_terms, listed_in_order
from browser.search.identifiers import read_arxiv_ids, without_reference_markers
from browser.search.phrase_spellings import keep_written_case, phrase_spellings
from browser.search.repair import FIELD_ALIASES, repair
from browser.search.schema import (
    ABSTRACT_REGION,
    DEFAULT_FIELD,
    PRESENCE_FIELD,
    REGION,
    STEMMED_FIELDS,
    build_schema,
    folded_word,
    index_term,
    term_of,
)
from browser.search.stopping import NO_STOP, Stop
from browser.search.syntax import (
    FIELD_PREFIX,
    LAST_WORD,
    OPERATORS,
    clean_query,
    extract_tag_terms,
    minus_as_not,
    plain_words,
)
from browser.search.typed_word import TypedWord, letter_weights, narrowing_postings
from browser.search.vocabulary import Vocabulary
from browser.search.whoosh_internals import SpanFilterMatcher, fast_path
from browser.text.acronyms import AcronymTable
from browser.text.tokens import Token, tokenise

# How many completions the word being typed expands to (its most frequent words).
PREFIX_EXPANSION_CAP: Final = 16
# An explicit wildcard (``learn*``) may match many words: keep the most frequent ones.
WILDCARD_EXPANSION_CAP: Final = 128
# What the user reads when Whoosh could not take a query even after ``repair.repair``
# (never Whoosh's own words: they name Python internals).
COULD_NOT_READ: Final = "Could not read the query's syntax: searched for its words."
COULD_NOT_RUN: Final = "Could not run the query as written: searched for its words."
COULD_NOT_RUN_NOTHING: Final = "Could not run the query as written, and it has no words."
NOTHING_TO_SEARCH: Final = "No words to search for in the query: listing every paper."
# A possessive "'s" is not a word of its own (the index leaves it out too).
_POSSESSIVE: Final = re.compile(r"(?<=\w)['\u2019][sS](?!\w)")


def range_bound(text: str | None) -> str | None:
    """A word range's end as the vocabulary spells words (one-letter ends stay)."""
    if not text:
        return None
    return folded_word(text.lower()) or text.casefold()


def walk(node: Any) -> Iterator[Any]:
    yield node
    if not node.is_leaf():
        for child in node.children():
            yield from walk(child)


def first_parse_error(node: Any) -> str | None:
    for item in walk(node):
        error = getattr(item, "error", None)
        if error:
            return str(error)
    return None


def positive_leaves(node: Any, *, regions: bool = False, inside: bool = False) -> Iterator[Any]:
    """Leaves that can make a document match (not under NOT): what to highlight.

    With ``regions`` each leaf comes as ``(leaf, only_in_the_abstract)``.
    """
    if isinstance(node, wq.Not):
        return
    if isinstance(node, wq.AndNot):
        yield from positive_leaves(node.a, regions=regions, inside=inside)
        return
    if isinstance(node, InRegion):
        yield from positive_leaves(node.q, regions=regions, inside=True)
        return
    if node.is_leaf():
        yield (node, inside) if regions else node
        return
    for child in node.children():
        yield from positive_leaves(child, regions=regions, inside=inside)


def query_is_constant(node: Any) -> bool:
    """Whether ``node`` scores every match the same: a range, or "has a value"."""
    return isinstance(node, wq.ConstantScoreQuery) or (
        isinstance(node, wq.NumericRange) and node.constantscore
    )


def ranks_nothing(node: Any) -> bool:
    """Whether nothing in ``node`` that can make a document match ranks one above another
    (only NOTs, ranges, "has a value"): such a query lists its matches in sort order."""
    if isinstance(node, wq.Not | wq.Every) or query_is_constant(node):
        return True
    if isinstance(node, wq.AndNot):
        return ranks_nothing(node.a)
    if isinstance(node, wq.CompoundQuery):
        return all(ranks_nothing(child) for child in node.subqueries)
    return False


class InRegion(WrappingSpan):  # type: ignore[misc]
    """Matches where the wrapped query matches inside one region of the text field."""

    # Whoosh's ``normalize`` reads a child's boost when it flattens nested groups
    # (``abstract:(a b)`` parsed without normalising); the wrapped query holds the real one.
    boost = 1.0

    def __init__(self, q: Any, region: int) -> None:
        self.q = q
        self.region = region

    def __eq__(self, other: object) -> bool:
        return isinstance(other, InRegion) and self.q == other.q and self.region == other.region

    def __hash__(self) -> int:
        return hash(self.q) ^ hash(self.region)

    def apply(self, fn: Callable[[Any], Any]) -> InRegion:
        return InRegion(fn(self.q), self.region)

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
            child = query.matcher(searcher, context)
            if fast_path():
                return RegionMatcher(child, self.region)
            return _public_region_matcher(child, self.region)
        regions = [InRegion(part, self.region) for part in parts]
        return wq.Or(regions, boost=query.boost).matcher(searcher, context)


class RegionMatcher(SpanFilterMatcher):
    """The child's matches with a span inside the region, scored as the child scores them."""

    def __init__(self, child: Matcher, region: int) -> None:
        self.low = region * REGION
        self.high = (region + 1) * REGION
        super().__init__(child)

    def copy(self) -> RegionMatcher:
        return RegionMatcher(self.child.copy(), self.low // REGION)

    def rewrap(self, child: Matcher) -> RegionMatcher:
        return RegionMatcher(child, self.low // REGION)

    def kept_spans(self, spans: list[Any]) -> list[Any]:
        low, high = self.low, self.high
        return [span for span in spans if low <= span.start and span.end < high]


def _public_region_matcher(child: Matcher, region: int) -> Matcher:
    """``RegionMatcher``'s answers through Whoosh's public matcher API only (when
    ``whoosh_internals`` found a hook missing): the matches are gathered up front."""
    low, high = region * REGION, (region + 1) * REGION
    ids: list[int] = []
    scores: list[float] = []
    while child.is_active():
        if any(low <= span.start and span.end < high for span in child.spans()):
            ids.append(child.id())
            scores.append(child.score())
        child.next()
    # Without a scorer a list matcher scores each match by its weight.
    return ListMatcher(ids, weights=scores) if ids else NullMatcher()


@dataclass
class Plan:
    """A query string turned into what to run."""

    query: Any  # whoosh query
    filters: SearchFilters  # the query's tag terms combined with the caller's filters
    error: str | None
    listing: bool  # no words: list papers (newest first unless another sort is asked)
    words: list[str]
    # What the query also matches, for the notice: "RL: reinforcement learning".
    expansions: list[str] = field(default_factory=list)
    # The plain words outside any NOT: a paper whose note holds them all matches them.
    required_words: list[str] = field(default_factory=list)
    # The query as planned: cleaned, capped at MAX_QUERY_CHARS, its pasted links and
    # ids as ``arxiv:`` terms, tag terms kept; what a relaxed query shortens.
    text: str = ""


class QueryPlanner:
    """Turns query text into a ``Plan`` against one commit's vocabulary.

    ``vocabulary_for(searcher)`` gives the vocabulary of the searcher's commit; the
    completions of the word being typed are cached until ``forget`` (a new commit or a
    new typing session).
    """

    def __init__(self, vocabulary_for: Callable[[Any], Vocabulary]) -> None:
        self._vocabulary_for = vocabulary_for
        # Built-in abbreviations; the facade adds those mined from the library (through
        # ``acronyms``). Notes of one query's plan (plans run under the index lock).
        self._abbreviations = AbbreviationRewriter(AcronymTable.from_counts())
        self._parser = self._make_parser()
        self._prefix_cache: OrderedDict[tuple[str, str], list[str]] = OrderedDict()
        # The vocabulary the cached completions came from.
        self._prefix_source: Vocabulary | None = None

    @property
    def acronyms(self) -> AcronymTable:
        """The abbreviations queries expand: built in, and mined from the library."""
        return self._abbreviations.table

    @acronyms.setter
    def acronyms(self, table: AcronymTable) -> None:
        self._abbreviations.table = table

    def forget(self) -> None:
        """Drop cached completions (a new commit, or a new typing session)."""
        self._prefix_cache.clear()
        self._prefix_source = None

    def _make_parser(self) -> Any:
        # The parser sees prose fields without stemming, so prefixes, wildcards and typo
        # checks get the words as typed; to_index_terms stems them afterwards.
        parser = QueryParser(DEFAULT_FIELD, build_schema(raw_words=True), group=AndGroup)
        parser.add_plugin(GtLtPlugin())
        parser.add_plugin(FuzzyTermPlugin())
        # ``repair.repair`` already writes aliases as their field; this keeps the parser
        # right on its own.
        aliases: dict[str, list[str]] = {}
        for alias, name in FIELD_ALIASES.items():
            aliases.setdefault(name, []).append(alias)
        parser.add_plugin(FieldAliasPlugin(aliases))
        return parser

    def plan(
        self,
        searcher: Any,
        raw_query: str,
        stop: Stop = NO_STOP,
        filters: SearchFilters | None = None,
        *,
        prefix_last_word: bool,
    ) -> Plan:
        """``raw_query`` as a query to run, with its tag terms and ``filters`` as filters.

        ``prefix_last_word``: the query is being typed, so its last word, unless a space
        follows it, also matches its completions (``diffus``); False for a query given
        whole (the command line, Enter in the app), where ``foo`` must not find "food".
        """
        text, note = clean_query(raw_query)
        # A pasted link or id (``https://arxiv.org/abs/2401.01234v2``) as ``arxiv:ID``;
        # read before the tag terms go, so that ``planned`` keeps them.
        # A pasted citation's reference marker (``[1]``) goes first: it is no range.
        ids = read_arxiv_ids(without_reference_markers(text), typing=prefix_last_word)
        planned = ids.text
        text, query_filters = extract_tag_terms(planned)
        if filters is not None:
            query_filters &= filters
        id_note = ids.notice(lambda read: has_arxiv_id(searcher, read))
        repaired = repair(*minus_as_not(_POSSESSIVE.sub("", text)))
        text = repaired.text
        error = " ".join(n for n in (note, id_note, repaired.message) if n) or None
        if not text.strip():
            return Plan(wq.Every(), query_filters, error, listing=True, words=[], text=planned)
        self._abbreviations.start(text)
        parsed, parse_error = self._parse(text)
        error = " ".join(n for n in (error, parse_error) if n) or None
        if parsed is not None:
            keep_written_case(parsed, text)
        if parsed is None:
            # Nothing searchable (only symbols or stop words): list papers, say why.
            return Plan(wq.Every(), query_filters, error, listing=True, words=[], text=planned)
        typing_text = text[: len(text) - len(repaired.closers)]
        typed = (
            None if parse_error or not prefix_last_word else word_being_typed(parsed, typing_text)
        )
        expansion = None
        if typed is not None:
            expansion = TypedWord(
                typed.fieldname,
                typed.text,
                lambda prefix: self.completions(searcher, prefix, PREFIX_EXPANSION_CAP),
                self._abbreviations.long_form_queries,
                lambda: narrowing_postings(searcher, parsed, typed),
                self._vocabulary_for(searcher).frequency,
                lambda terms: letter_weights(searcher, parsed, typed, terms, stop),
            ).expansion()
            if expansion is not None and typed.fieldname == "abstract":
                expansion = InRegion(expansion, ABSTRACT_REGION)
        parsed = self._abbreviations.with_short_forms(parsed).accept(listed_in_order)
        final = parsed.accept(
            lambda node: (
                expansion
                if expansion is not None and node is typed
                else self.to_index_terms(searcher, node, stop)
            )
        )
        final = final.accept(every_beside_others_dropped).normalize()
        listing = isinstance(final, wq.Every)
        plan = Plan(
            final, query_filters, error, listing=listing, words=plain_words(text), text=planned
        )
        plan.expansions = list(dict.fromkeys(self._abbreviations.notes))
        plan.required_words = plain_words(text, negated=False)
        return plan

    @staticmethod
    def words_plan(query: str, filters: SearchFilters) -> Plan:
        """The plan when ``query``'s own plan failed to run (a phrase on a field without
        positions, an empty date): its words, all required. The message says so in words;
        what Whoosh raised is no concern of the reader's."""
        text, _note = clean_query(query)
        text, query_filters = extract_tag_terms(text)
        query_filters &= filters
        fallback = plain_query(text, stemmed=True)
        if fallback is None:
            return Plan(wq.NullQuery, query_filters, COULD_NOT_RUN_NOTHING, False, [])
        return Plan(fallback, query_filters, COULD_NOT_RUN, listing=False, words=[])

    def _parse(self, text: str) -> tuple[Any | None, str | None]:
        """Whoosh parse of repaired text, or its plain words if Whoosh still fails."""
        parsed = None
        try:
            # Not normalised yet: Whoosh's normalising makes an AND with ``*`` or
            # ``text:*`` in it every paper (``every_beside_others_dropped``); the plan is
            # normalised once built.
            parsed = self._parser.parse(text, normalize=False)
            failed = first_parse_error(parsed) is not None
        except Exception:  # whoosh's parser raises assorted errors on odd input
            failed = True
        if not failed and parsed is not None and parsed.normalize() is not wq.NullQuery:
            return parsed, None
        fallback = plain_query(text, stemmed=False)
        if fallback is None:
            return None, NOTHING_TO_SEARCH
        return fallback, COULD_NOT_READ if failed else None

    def completions(self, searcher: Any, prefix: str, cap: int) -> list[str]:
        """The ``cap`` most frequent indexed words starting with ``prefix`` (cached per commit)."""
        vocabulary = self._vocabulary_for(searcher)
        if vocabulary is not self._prefix_source:
            self._prefix_cache.clear()
            self._prefix_source = vocabulary
        key = (prefix, str(cap))
        cached = self._prefix_cache.get(key)
        if cached is not None:
            self._prefix_cache.move_to_end(key)
            return cached
        completions = vocabulary.most_frequent_with_prefix(prefix, cap)
        self._prefix_cache[key] = completions
        if len(self._prefix_cache) > 4096:
            self._prefix_cache.popitem(last=False)
        return completions

    def to_index_terms(self, searcher: Any, node: Any, stop: Stop) -> Any:
        """Turn a leaf parsed over raw words into one over the stemmed index terms.

        A wildcard (``learning*``) must find "learning" although the index holds the stem
        "learn": it is expanded over the unstemmed vocabulary, then the words are stemmed.
        ``*`` alone lists everything without walking every term. ``abstract:`` leaves
        become text-field leaves kept to the abstract's positions.
        """
        if isinstance(node, wq.Every) and node.fieldname:
            return wq.Every()
        if isinstance(node, wq.Term) and node.fieldname == PRESENCE_FIELD:
            # "Has a value" filters; like a range it scores the same for every match.
            return wq.ConstantScoreQuery(node)
        if isinstance(node, wq.Prefix) and node.fieldname == ARXIV_FIELD:
            return id_prefix_terms(searcher, node, WILDCARD_EXPANSION_CAP)
        if not node.is_leaf() or getattr(node, "fieldname", None) not in STEMMED_FIELDS:
            return node
        if node.fieldname == "abstract" and isinstance(node, wq.TermRange):
            # Checking positions for a capped word range over every paper costs seconds;
            # over title and abstract together it stays within the typing budget.
            return self._stemmed_leaf(searcher, node, DEFAULT_FIELD, stop)
        if node.fieldname == "abstract":
            inner = self._stemmed_leaf(searcher, node, DEFAULT_FIELD, stop)
            if inner is wq.NullQuery or isinstance(inner, wq.Every):
                return inner
            if getattr(inner, "fieldname", None) == "abstract":
                # A leaf kept as parsed (a term range): the index has no abstract field.
                inner = copy.copy(inner)
                inner.fieldname = DEFAULT_FIELD
            return InRegion(inner, ABSTRACT_REGION)
        return self._stemmed_leaf(searcher, node, node.fieldname, stop)

    def _stemmed_leaf(self, searcher: Any, node: Any, fieldname: str, stop: Stop) -> Any:
        if isinstance(node, wq.FuzzyTerm):
            # Expanded over the vocabulary and capped, like a wildcard: Whoosh's own
            # expansion walks every term of the field before any time budget is checked.
            word = folded_word(node.text.lower())
            if word is None:
                return wq.NullQuery
            vocabulary = self._vocabulary_for(searcher)
            near = vocabulary.within(word, min(node.maxdist, 2), node.prefixlength, stop)
            near.add(word)
            words = vocabulary.most_frequent(near, WILDCARD_EXPANSION_CAP)
            terms = sorted({t for w in words if (t := term_of(w)) is not None})
            if not terms:
                return wq.NullQuery
            return wq.Or([wq.Term(fieldname, t) for t in terms], boost=node.boost)
        if isinstance(node, wq.Term):
            if getattr(node, "short_form", False):
                return wq.Term(fieldname, index_term(node.text), boost=node.boost)
            return self._word_query(fieldname, node.text, node.boost)
        if isinstance(node, wq.Phrase):
            written = getattr(node, "written_words", None) or node.words
            frequency = self._vocabulary_for(searcher).frequency
            spellings = [words for words in phrase_spellings(written, frequency) if words]
            if not spellings:
                return wq.NullQuery
            queries = [_phrase_or_term(fieldname, words, node) for words in spellings]
            if len(spellings[0]) > 1:
                short_form = self._abbreviations.short_form_query(fieldname, spellings[0])
                queries += [] if short_form is None else [short_form]
            return queries[0] if len(queries) == 1 else wq.Or(queries)
        if isinstance(node, wq.TermRange):
            # A word range (`title:[a TO m]`, or `x:>2` on a field that is not numeric)
            # would otherwise walk the whole vocabulary while the matcher is built, before
            # any time budget is checked: cap it like a wildcard.
            vocabulary = self._vocabulary_for(searcher)
            words = vocabulary.most_frequent_between(
                range_bound(node.start),
                range_bound(node.end),
                WILDCARD_EXPANSION_CAP,
                startexcl=node.startexcl,
                endexcl=node.endexcl,
                stop=stop,
            )
            terms = sorted({t for w in words if (t := term_of(w)) is not None})
            if not terms:
                return _matching_nothing(fieldname, f"[{node.start} TO {node.end}]", node.boost)
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
            terms = sorted({t for w in words if (t := term_of(w)) is not None})
            if not terms:
                return _matching_nothing(fieldname, pattern, node.boost)
            return wq.Or([wq.Term(fieldname, t) for t in terms], boost=node.boost)
        return node

    def _word_query(self, fieldname: str, text: str, boost: float) -> Any:
        """One query word as index terms: a plain word is its term; a compound
        (``GPT-4``, ``multi-task``) its joined form or its parts as a phrase; a CJK run
        its pair or its characters as a phrase; a known abbreviation also its long forms
        (``RL`` -> ``reinforcement learning``)."""
        tokens = tokenise(text)
        parts = [t for t in tokens if not t.derived]
        if not parts:
            whole = [t for t in tokens if t.derived]
            return (
                wq.Term(fieldname, index_term(whole[0].text), boost=boost)
                if whole
                else wq.NullQuery
            )
        if len(parts) == 1:
            term = wq.Term(fieldname, index_term(parts[0].text), boost=boost)
            return self._with_long_forms(fieldname, parts[0], term, boost)
        spanning = [
            t for t in tokens if t.derived and t.start == parts[0].start and t.end == parts[-1].end
        ]
        phrase = wq.Phrase(fieldname, [index_term(t.text) for t in parts], boost=boost)
        if not spanning:
            return phrase
        joined = wq.Term(fieldname, index_term(spanning[0].text), boost=boost)
        return wq.Or([self._with_long_forms(fieldname, spanning[0], joined, boost), phrase])

    def _with_long_forms(self, fieldname: str, token: Token, term: Any, boost: float) -> Any:
        long_forms = self._abbreviations.long_form_queries(fieldname, token.text, boost)
        return wq.Or([term, *long_forms]) if long_forms else term


def _phrase_or_term(fieldname: str, words: list[str], node: Any) -> Any:
    """One spelling of the phrase ``node``: a Phrase of its words' terms, a Term for one."""
    stems = [index_term(word) for word in words]
    if len(stems) == 1:
        return wq.Term(fieldname, stems[0], boost=node.boost)
    return wq.Phrase(fieldname, stems, slop=node.slop, boost=node.boost)


def word_being_typed(parsed: Any, text: str) -> Any | None:
    """The Term node of the unfinished last word (``diffus``, ``fine-tun``), if any."""
    if not text or text[-1].isspace():
        return None
    match = LAST_WORD.search(text)
    if match is None or match.group("word") in OPERATORS:
        return None
    word = match.group("word").lower()
    fieldname = match.group("field") or DEFAULT_FIELD
    target = None
    for leaf in positive_leaves(parsed):
        if isinstance(leaf, wq.Term) and leaf.fieldname == fieldname and leaf.text == word:
            target = leaf
    return target


def every_beside_others_dropped(node: Any) -> Any:
    """An AND without its "every paper" parts (``title:*``, ``*``: a value every paper
    has), unless nothing else is left. Whoosh's ``normalize`` makes any compound with an
    ``Every`` in it ``Every``: right for an OR, but ``title:* learning`` listed every
    paper instead of those with ``learning``."""
    if not isinstance(node, wq.And):
        return node
    kept = [child for child in node.subqueries if not _is_every(child)]
    if len(kept) == len(node.subqueries):
        return node
    if not kept:
        return wq.Every()
    return kept[0] if len(kept) == 1 else wq.And(kept, boost=node.boost)


def _is_every(node: Any) -> bool:
    return isinstance(node, wq.Every) and not node.fieldname


def plain_query(text: str, *, stemmed: bool) -> Any | None:
    """All words of ``text`` required, as raw words (``stemmed=False``) or index terms."""
    terms: list[Any] = []
    # Field names of a broken query ("title:(") are syntax, not words to look for.
    for token in tokenise(FIELD_PREFIX.sub(" ", text)):
        if not token.derived:
            terms.append(wq.Term(DEFAULT_FIELD, index_term(token.text) if stemmed else token.text))
    if not terms:
        return None
    return terms[0] if len(terms) == 1 else wq.And(terms)


def _matching_nothing(fieldname: str, written: str, boost: float) -> Any:
    """A wildcard or word range that no word of the library matches (``colo?r``): a term
    no paper has, so an AND with it matches nothing and the query is shortened with a
    notice. ``NullQuery`` would be dropped from the AND by Whoosh's ``normalize``, and
    ``colo?r behavior`` would silently have run as ``behavior``."""
    return wq.Term(fieldname, written, boost=boost)
