"""The search service: a Whoosh index of the library's papers, kept on disk as a rebuildable cache.

This is the only module that imports whoosh. Everything it hands back is a model from
``browser.models``, so callers never see Whoosh objects.

Layout of one index folder:

* the Whoosh files (index name ``papers``);
* ``paper-index.json``: the schema version this code wrote; a different one means "rebuild".

Query language (Whoosh syntax, all terms must match by default)::

    reinforcement learning          words, stemmed and accent-folded
    "policy gradient"               phrase
    title:diffusion abstract:robot org:nvidia author:smith arxiv:2401.01234 keyword:rl
    year:2024  date:[2024-01 TO 2024-06]  comments:>2  authors:>10  upvotes:>=5
    tag:NAME  -tag:NAME  NOT tag:NAME  tag:"to read"  is:tagged  is:untagged

Tag terms are cut out of the query before Whoosh sees it and applied as allow/deny sets
of documents, so a tag change shows at once without touching the index.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import heapq
import json
import re
import threading
import time
import unicodedata
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Final

import whoosh.index
from whoosh import columns, sorting
from whoosh import query as wq
from whoosh.analysis import (
    CharsetFilter,
    LowercaseFilter,
    RegexTokenizer,
    StemFilter,
    StopFilter,
)
from whoosh.collectors import SortingCollector, TopCollector, WrappingCollector
from whoosh.fields import COLUMN, DATETIME, ID, KEYWORD, NUMERIC, STORED, TEXT, Schema
from whoosh.filedb.filestore import FileStorage
from whoosh.qparser import (
    AndGroup,
    FieldAliasPlugin,
    FuzzyTermPlugin,
    GtLtPlugin,
    QueryParser,
)
from whoosh.support.charset import accent_map
from whoosh.support.levenshtein import damerau_levenshtein
from whoosh.writing import CLEAR, LockError

from browser.identity import normalize_title
from browser.models import Highlight, Paper, SearchHit, SearchResult, SortOrder, TagLookup

__all__ = ["IndexBusy", "IndexUnusable", "PaperIndex"]


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
PREFIX_EXPANSION_CAP: Final = 32
# An explicit wildcard (``learn*``) may match many words: keep the most frequent ones.
WILDCARD_EXPANSION_CAP: Final = 128
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
_VOCAB_FIELD: Final = "words"
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


def build_schema(*, raw_words: bool = False) -> Schema:
    """The index schema; ``raw_words`` gives the query parser's twin without stemming."""
    stem = _WORDS if raw_words else _STEM
    return Schema(
        id=ID(stored=True, unique=True, sortable=True),
        # Default field: title twice (a cheap boost), abstract, organisation, keywords, authors.
        text=TEXT(analyzer=stem),
        title=TEXT(analyzer=stem),
        abstract=TEXT(analyzer=stem),
        org=TEXT(analyzer=_name_analyzer()),
        author=TEXT(analyzer=_name_analyzer()),
        keyword=TEXT(analyzer=stem),
        arxiv=KEYWORD(lowercase=True),
        # shift_step=0: one term per value instead of a tier per 4-8 bits. These fields
        # hold few distinct values, so ranges expand cheaply, and builds write far fewer
        # postings.
        year=NUMERIC(int, bits=32, shift_step=0),
        date=_single_tier(DATETIME()),
        comments=NUMERIC(int, bits=32, shift_step=0),
        authors=NUMERIC(int, bits=32, shift_step=0),
        upvotes=NUMERIC(int, bits=32, shift_step=0),
        # Unstemmed words with document frequencies: spelling correction and prefix completion.
        words=TEXT(analyzer=_WORDS, phrase=False),
        sort_newest=COLUMN(columns.NumericColumn("i", default=0)),
        sort_comments=COLUMN(columns.NumericColumn("i", default=-1)),
        sort_title=COLUMN(columns.VarBytesColumn()),
        paper=STORED(),
    )


def _storage(index_dir: Path) -> Any:
    # No mmap: a mapped index counts whole postings files towards the process's resident
    # memory (1.4 GiB at 100k papers against 50-200 MiB with plain reads).
    return FileStorage(str(index_dir), supports_mmap=False)


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


def _clean_query(text: str) -> tuple[str, str | None]:
    text = unicodedata.normalize("NFC", text)
    text = _CONTROL_CHARS.sub(" ", text)
    if len(text) > MAX_QUERY_CHARS:
        note = f"query too long: used its first {MAX_QUERY_CHARS} characters"
        return text[:MAX_QUERY_CHARS], note
    return text, None


@dataclass
class _TagFilter:
    required: list[str] = field(default_factory=list)
    excluded: list[str] = field(default_factory=list)
    tagged: bool | None = None  # True: is:tagged, False: is:untagged

    def __bool__(self) -> bool:
        return bool(self.required or self.excluded or self.tagged is not None)

    def resolve(self, tags: TagLookup | None) -> tuple[set[str] | None, set[str]]:
        """(ids allowed or None for all, ids denied)."""
        allowed: set[str] | None = None
        denied: set[str] = set()
        if tags is None:
            # No tag store: nothing is tagged.
            if self.required or self.tagged:
                return set(), denied
            return None, denied
        for tag in self.required:
            ids = tags.ids_with_tag(tag)
            allowed = set(ids) if allowed is None else allowed & ids
        if self.tagged is True:
            tagged = tags.tagged_ids()
            allowed = set(tagged) if allowed is None else allowed & tagged
        elif self.tagged is False:
            denied |= tags.tagged_ids()
        for tag in self.excluded:
            denied |= tags.ids_with_tag(tag)
        return allowed, denied


def _extract_tag_terms(text: str) -> tuple[str, _TagFilter]:
    tag_filter = _TagFilter()

    def take(match: re.Match[str]) -> str:
        negated = match.group("neg") is not None
        state = match.group("state")
        if state is not None:
            wants_tagged = state.lower() == "tagged"
            tag_filter.tagged = wants_tagged != negated
            return " "
        name = match.group("quoted") if match.group("quoted") is not None else match.group("bare")
        name = " ".join((name or "").split())
        if name:
            (tag_filter.excluded if negated else tag_filter.required).append(name)
        return " "

    rest = _TAG_TERM.sub(take, text)
    if tag_filter:
        rest = _drop_dangling_operators(rest)
    return rest, tag_filter


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


def _positive_leaves(node: Any) -> Iterator[Any]:
    """Leaves that can make a document match (not under NOT): what to highlight."""
    if isinstance(node, wq.Not):
        return
    if isinstance(node, wq.AndNot):
        yield from _positive_leaves(node.a)
        return
    if node.is_leaf():
        yield node
        return
    for child in node.children():
        yield from _positive_leaves(child)


class _GuardedCollector(WrappingCollector):  # type: ignore[misc]
    """Allow/deny sets of document numbers, an exact match count and an optional deadline.

    Unlike whoosh's TimeLimitCollector this uses no SIGALRM (only possible on the main
    thread, and searches run in a worker thread) and no timer thread per keystroke: it
    checks the clock between matches and stops quietly, keeping what it has collected.
    """

    def __init__(
        self,
        child: Any,
        *,
        allowed: set[int] | None,
        denied: set[int],
        deadline: float | None,
    ) -> None:
        super().__init__(child)
        self.allowed = allowed
        self.denied = denied
        self.deadline = deadline
        self.matched = 0
        self.timed_out = False

    def collect_matches(self) -> None:
        child = self.child
        offset = child.offset
        allowed = self.allowed
        denied = self.denied
        deadline = self.deadline
        clock = time.perf_counter
        if deadline is not None and clock() > deadline:
            self.timed_out = True
            return
        for count, sub_docnum in enumerate(child.matches()):
            if deadline is not None and count % 64 == 63 and clock() > deadline:
                self.timed_out = True
                return
            docnum = offset + sub_docnum
            if (allowed is not None and docnum not in allowed) or docnum in denied:
                continue
            self.matched += 1
            child.collect(sub_docnum)


@dataclass
class _Plan:
    """A query string turned into what to run."""

    query: Any  # whoosh query
    tag_filter: _TagFilter
    error: str | None
    listing: bool  # no words: list papers (newest first unless another sort is asked)
    words: list[str]


@dataclass
class _Outcome:
    hits: list[SearchHit]
    total: int
    partial: bool


class PaperIndex:
    """The papers of one library, searchable. Thread-safe; one writer at a time across processes."""

    SCHEMA_VERSION: Final = 1

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
                or path.name.startswith((f"{INDEX_NAME}_", f"_{INDEX_NAME}_"))
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
                self._forget_reader_caches()
            elif not self._searcher.up_to_date():
                # Not Searcher.refresh(): it reuses segment readers by segment id and so
                # misses deletions committed to a segment it already had open.
                self._searcher.close()
                self._searcher = self._ix.searcher()
                self._forget_reader_caches()
            return self._searcher

    def _forget_reader_caches(self) -> None:
        self._prefix_cache.clear()
        self._docnum_cache.clear()

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
        title = paper.title
        abstract = paper.abstract
        org = f"{paper.organization.slug} {paper.organization.name}" if paper.organization else ""
        keywords = " ; ".join(paper.keywords)
        names = " ; ".join(paper.author_names)
        extra = "\n".join(part for part in (org, keywords, names) if part)
        document: dict[str, Any] = {
            "id": paper.id,
            "text": f"{title}\n{title}\n{abstract}\n{extra}",
            "title": title,
            "abstract": abstract,
            "words": f"{title}\n{abstract}\n{extra}",
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
        return document

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
        with self._writing(procs=procs, mergetype=CLEAR) as writer:
            for paper in papers:
                if paper.id in seen:
                    continue
                seen.add(paper.id)
                writer.add_document(**self._document(paper))
                if progress is not None and len(seen) % 1000 == 0:
                    progress(len(seen))
        if progress is not None:
            progress(len(seen))
        self._current_searcher()

    def update(self, papers: Iterable[Paper], removed_ids: Iterable[str] = ()) -> None:
        """Add or replace papers by id and delete ``removed_ids``, in one commit."""
        papers = list({paper.id: paper for paper in papers}.values())
        removed = set(removed_ids)
        if not papers and not removed:
            return
        segments = len(self._current_searcher().reader().leaf_readers())
        # Merging rewrites segments: skip it for small updates until segments pile up.
        with self._writing(merge=segments >= 8) as writer:
            for paper_id in removed | {paper.id for paper in papers}:
                writer.delete_by_term("id", paper_id)
            for paper in papers:
                writer.add_document(**self._document(paper))
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

    @staticmethod
    def _paper_at(searcher: Any, docnum: int) -> Paper:
        return Paper.model_validate_json(searcher.stored_fields(docnum)["paper"])

    # ------------------------------------------------------------------ searching

    def search(
        self,
        query: str,
        *,
        sort: SortOrder = "relevance",
        limit: int = 200,
        tags: TagLookup | None = None,
        time_budget_ms: float | None = None,
    ) -> SearchResult:
        """Run ``query``; never raises for a bad query (``error`` says what was wrong)."""
        started = time.perf_counter()
        deadline = None if time_budget_ms is None else started + time_budget_ms / 1000
        with self._lock:
            searcher = self._current_searcher()
            plan = self._plan(searcher, query)
            outcome = self._run(
                searcher, plan, sort=sort, limit=limit, tags=tags, deadline=deadline
            )
            result = SearchResult(
                query=query,
                hits=outcome.hits,
                total=outcome.total,
                sort=sort,
                error=plan.error,
                partial=outcome.partial,
            )
            if outcome.total < FEW_HITS and not outcome.partial and plan.words:
                self._offer_correction(searcher, query, plan, result, limit=limit, tags=tags)
        result.elapsed_ms = (time.perf_counter() - started) * 1000
        return result

    def more_like(
        self, paper_id: str, *, limit: int = 50, tags: TagLookup | None = None
    ) -> SearchResult:
        """Papers similar to ``paper_id`` (never itself); an unknown id gives no hits."""
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
                plan = _Plan(similar, _TagFilter(), None, listing=False, words=[])
                outcome = self._run(
                    searcher,
                    plan,
                    sort="relevance",
                    limit=limit,
                    tags=tags,
                    deadline=None,
                    exclude={docnum},
                )
                result.hits, result.total = outcome.hits, outcome.total
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

    def _plan(self, searcher: Any, raw_query: str) -> _Plan:
        text, error = _clean_query(raw_query)
        text, tag_filter = _extract_tag_terms(text)
        text = _MINUS_WORD.sub("NOT ", text)
        if not text.strip():
            return _Plan(wq.Every(), tag_filter, error, listing=True, words=[])
        parsed, parse_error = self._parse(text)
        error = error or parse_error
        if parsed is None:
            # Nothing searchable (only symbols or stop words): list papers, say why.
            return _Plan(wq.Every(), tag_filter, error, listing=True, words=[])
        typed = None if parse_error else self._word_being_typed(parsed, text)
        expansion = None
        if typed is not None:
            expansion = self._typing_expansion(searcher, typed.fieldname, typed.text)
        final = parsed.accept(
            lambda node: (
                expansion
                if expansion is not None and node is typed
                else self._to_index_terms(searcher, node)
            )
        ).normalize()
        listing = isinstance(final, wq.Every)
        return _Plan(final, tag_filter, error, listing=listing, words=_plain_words(text))

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
        return wq.Or([wq.Term(fieldname, term) for term in found])

    def _completions(self, searcher: Any, prefix: str, cap: int) -> list[str]:
        """The ``cap`` most frequent indexed words starting with ``prefix`` (cached per commit)."""
        key = (prefix, str(cap))
        cached = self._prefix_cache.get(key)
        if cached is not None:
            self._prefix_cache.move_to_end(key)
            return cached
        reader = searcher.reader()
        candidates = (
            (info.doc_frequency(), _as_str(word))
            for word, info in reader.iter_prefix(_VOCAB_FIELD, prefix)
        )
        completions = [word for _, word in heapq.nlargest(cap, candidates)]
        self._prefix_cache[key] = completions
        if len(self._prefix_cache) > 4096:
            self._prefix_cache.popitem(last=False)
        return completions

    def _to_index_terms(self, searcher: Any, node: Any) -> Any:
        """Turn a leaf parsed over raw words into one over the stemmed index terms.

        A wildcard (``learning*``) must find "learning" although the index holds the stem
        "learn": it is expanded over the unstemmed vocabulary, then the words are stemmed.
        ``*`` alone lists everything without walking every term.
        """
        if isinstance(node, wq.Every) and node.fieldname:
            return wq.Every()
        if not node.is_leaf() or getattr(node, "fieldname", None) not in _STEMMED_FIELDS:
            return node
        fieldname = node.fieldname
        if isinstance(node, wq.FuzzyTerm):
            stem = _term_of(node.text)
            if stem is None:
                return wq.NullQuery
            return wq.FuzzyTerm(
                fieldname,
                stem,
                boost=node.boost,
                maxdist=node.maxdist,
                prefixlength=node.prefixlength,
            )
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
        if isinstance(node, wq.Prefix | wq.Wildcard):
            pattern = node.text
            if pattern.strip("*?") == "":
                return wq.Every()
            vocab_query = (
                wq.Prefix(_VOCAB_FIELD, pattern)
                if isinstance(node, wq.Prefix)
                else wq.Wildcard(_VOCAB_FIELD, pattern)
            )
            reader = searcher.reader()
            words = heapq.nlargest(
                WILDCARD_EXPANSION_CAP,
                (
                    (reader.doc_frequency(_VOCAB_FIELD, word), _as_str(word))
                    for _, word in vocab_query.expanded_terms(reader)
                ),
            )
            terms = sorted({t for _, w in words if (t := _term_of(w)) is not None})
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
        tags: TagLookup | None,
        deadline: float | None,
        exclude: set[int] | None = None,
    ) -> _Outcome:
        allowed_ids, denied_ids = plan.tag_filter.resolve(tags)
        allowed = None if allowed_ids is None else self._docnums(searcher, allowed_ids)
        denied = self._docnums(searcher, denied_ids) | (exclude or set())
        if (allowed is not None and not allowed) or plan.query is wq.NullQuery:
            return _Outcome([], 0, False)
        limit = max(1, limit)
        effective_sort: SortOrder = "newest" if plan.listing and sort == "relevance" else sort
        child = self._collector(effective_sort, limit)
        collector = _GuardedCollector(child, allowed=allowed, denied=denied, deadline=deadline)
        searcher.search_with_collector(plan.query, collector)
        results = collector.results()
        no_terms: frozenset[str] = frozenset()
        hit_terms = (
            self._hit_terms(searcher, plan.query) if not plan.listing else (no_terms, no_terms)
        )
        hits: list[SearchHit] = []
        for docnum, score in _docs_and_scores(results, limit):
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
        return _Outcome(hits, collector.matched, collector.timed_out)

    def _collector(self, sort: SortOrder, limit: int) -> Any:
        newest = sorting.FieldFacet("sort_newest", reverse=True)
        if sort == "relevance":
            # usequality=False: block skipping would make the match count inexact.
            return TopCollector(limit=limit, usequality=False)
        if sort == "newest":
            facet: Any = sorting.MultiFacet([newest, sorting.FieldFacet("sort_title")])
        elif sort == "comments":
            facet = sorting.MultiFacet([sorting.FieldFacet("sort_comments", reverse=True), newest])
        else:
            facet = sorting.MultiFacet([sorting.FieldFacet("sort_title"), newest])
        return SortingCollector(facet, limit=limit)

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
        for leaf in _positive_leaves(parsed):
            if leaf.field() not in _PROSE_FIELDS:
                continue
            try:
                pairs = list(leaf.expanded_terms(reader))
            except Exception:  # an odd leaf must not cost the results
                continue
            for fieldname, term in pairs:
                word = _as_str(term)
                if fieldname in ("text", "title"):
                    title_terms.add(word)
                if fieldname in ("text", "abstract"):
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
        limit: int,
        tags: TagLookup | None,
    ) -> None:
        """Nothing (or very little) found: try the closest known spellings of unknown words."""
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
            retry_plan = self._plan(searcher, corrected)
            retry = self._run(
                searcher, retry_plan, sort=result.sort, limit=limit, tags=tags, deadline=None
            )
            if retry.total > result.total:
                if result.total == 0:
                    result.hits, result.total = retry.hits, retry.total
                    result.corrected_query = corrected
                else:
                    result.suggestion = corrected
                return
        if result.total == 0 and len(plan.words) > 1:
            result.suggestion = self._smaller_query(searcher, plan, tags)

    def _is_being_typed(self, query: str, word: str, searcher: Any) -> bool:
        if not query or query[-1].isspace() or not query.rstrip().endswith(word):
            return False
        folded = _folded_word(word.lower())
        return bool(folded and self._completions(searcher, folded, PREFIX_EXPANSION_CAP))

    @staticmethod
    def _word_frequency(searcher: Any, word: str) -> int:
        return int(searcher.reader().doc_frequency(_VOCAB_FIELD, word))

    def _closest_word(self, searcher: Any, word: str) -> str | None:
        """Nearest indexed word by edit distance, the more frequent one on a tie."""
        reader = searcher.reader()
        candidates: set[str] = set()
        # Typos rarely hit the first letters; trusting them keeps the automaton walk short.
        first_letters = 2 if len(word) >= 7 else 1
        # Distance 2 walks far more of the vocabulary: only when 1 finds nothing.
        for maxdist in (1, 2) if len(word) > 4 else (1,):
            # A multi-segment reader has no fast automaton walk: ask each segment.
            for segment, _offset in reader.leaf_readers():
                candidates.update(
                    _as_str(w)
                    for w in segment.terms_within(_VOCAB_FIELD, word, maxdist, prefix=first_letters)
                )
            candidates.discard(word)
            if candidates:
                break
        if not candidates:
            return None
        return min(
            candidates,
            key=lambda c: (damerau_levenshtein(word, c), -reader.doc_frequency(_VOCAB_FIELD, c), c),
        )

    def _smaller_query(self, searcher: Any, plan: _Plan, tags: TagLookup | None) -> str | None:
        """Drop the rarest words one at a time until something matches."""
        reader = searcher.reader()
        words = list(dict.fromkeys(plan.words))
        while len(words) > 1:
            rarest = min(
                words,
                key=lambda w: reader.doc_frequency(_VOCAB_FIELD, _folded_word(w.lower()) or w),
            )
            words.remove(rarest)
            candidate = " ".join(words)
            probe = _plain_query(candidate, stemmed=True)
            if probe is None:
                return None
            outcome = self._run(
                searcher,
                _Plan(probe, plan.tag_filter, None, False, words),
                sort="relevance",
                limit=1,
                tags=tags,
                deadline=None,
            )
            if outcome.total:
                return candidate
        return None


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
