"""What a paper becomes in the index: the schema, text analysis and the version file.

Layout of one index folder:

* the Whoosh files (index name ``INDEX_NAME``);
* ``META_FILE``: the schema version this code wrote; a different one means "rebuild";
* the vocabulary files (see ``vocabulary``).

One stemmed ``text`` field holds title, abstract and names in position regions
``REGION`` apart, so ``abstract:`` is a span filter (``planning.InRegion``) instead of a
second copy of every abstract; each paper is analysed once, through a token cache
(``analyse``).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterable, Iterator
from functools import lru_cache
from operator import add
from pathlib import Path
from typing import Any, Final

from whoosh import columns
from whoosh import query as wq
from whoosh.analysis import CharsetFilter, LowercaseFilter, RegexTokenizer
from whoosh.fields import COLUMN, DATETIME, ID, KEYWORD, NUMERIC, STORED, TEXT, Schema
from whoosh.filedb.filestore import FileStorage
from whoosh.formats import Positions
from whoosh.support.charset import accent_map
from whoosh.util.times import TimeError, adatetime, datetime_to_long, fix, is_void

from browser.fsutil import atomic_write
from browser.identity import normalize_title
from browser.models import Paper
from browser.search.whoosh_internals import postings_layout
from browser.text.spelling import american
from browser.text.stemming import stem
from browser.text.tokens import WORD_RUN, WORD_RUN_PATTERN, analyse_run, tokenise

INDEX_NAME: Final = "papers"
META_FILE: Final = "paper-index.json"
# Written to META_FILE; an index with another number is rebuilt. 3: the listing day,
# ``listed:``. 4: browser.text's tokens (compound parts, CJK pairs, one-letter words),
# Snowball stems, US spellings. 5: postings with joined values
# (``whoosh_internals.JoinedValuesCodec``), the stored paper without its default values.
# 6: ``has``, which optional fields a paper has a value in. 7: ``sort_page``, where a
# paper stands on its listing day's page (``page_key``). 8: the joined form of a compound
# inside a hyphenated one (``roberta`` of ``RoBERTa-large``).
SCHEMA_VERSION: Final = 8
# Names and organisations: words as Whoosh's default tokenizer finds them.
TOKEN_PATTERN: Final = r"\w+(\.?\w+)*"
TOKEN_RE: Final = re.compile(TOKEN_PATTERN, re.UNICODE)
DEFAULT_FIELD: Final = "text"
# The text field holds title, abstract and the rest in regions this many positions apart,
# so ``abstract:`` is the text field restricted to the abstract's positions instead of a
# second copy of every abstract in the index (a third of all postings).
REGION: Final = 1 << 20
ABSTRACT_REGION: Final = 1
# Title words count twice in the text field: a cheap title boost for plain queries.
TITLE_WEIGHT: Final = 2.0
# Fields whose words come from the paper's prose: prefix/typo handling and highlights use them.
PROSE_FIELDS: Final = frozenset({"text", "title", "abstract"})
STEMMED_FIELDS: Final = PROSE_FIELDS | {"keyword"}
# One term per optional field a paper has a value in (``abstract``, ``arxiv``, ``org``...),
# so ``arxiv:*`` ("has an arXiv id") reads one posting list instead of every arXiv id's.
PRESENCE_FIELD: Final = "has"
# The ``has`` terms of the fields ``paper_regions`` puts in the text field's third
# region: a paper without any of them has nothing there (``regions`` relies on it).
NAMES_REGION_PRESENCE: Final = ("org", "author", "keyword")


def _query_word_analyzer() -> Any:
    """The query parser's view of prose fields: whole words as written (``predictor-corr``,
    ``GPT-4``), lower-cased; ``QueryPlanner`` analyses each with ``browser.text``."""
    return RegexTokenizer(WORD_RUN_PATTERN) | LowercaseFilter()


def _name_analyzer() -> Any:
    """Names and organisations: folded, not stemmed, no stop words (``Li``, ``An``)."""
    return RegexTokenizer(TOKEN_PATTERN) | LowercaseFilter() | CharsetFilter(accent_map)


QUERY_WORDS = _query_word_analyzer()


_POSITIONS: Final = Positions()
_ENCODINGS_MAX: Final = 100_000


class _Encodings(dict[tuple[int, ...], bytes]):
    """Whoosh's ``Positions`` encoding of a position list (a pickle), cached: most
    postings hold one of a few thousand lists (one position in the title or among the
    abstract's first few hundred). A miss encodes (``__missing__``), so a field's lists
    are looked up in one ``map``. Module-level, as the schema is pickled with the index."""

    def __missing__(self, places: tuple[int, ...]) -> bytes:
        if len(self) >= _ENCODINGS_MAX:
            self.clear()
        encoded: bytes = _POSITIONS.encode(places)
        self[places] = encoded
        return encoded


_ENCODINGS: Final = _Encodings()


class AnalysedText(TEXT):  # type: ignore[misc]
    """A stemmed text field that takes its terms already analysed.

    ``rebuild`` analyses each paper once in the calling process (it needs the raw words
    for the vocabulary anyway) and hands the writer its ``Terms``: a compound's joined
    form and a CJK pair share the position of their first part (``browser.text.tokens``).
    A plain string still works (``key_terms_from_text``) and goes through the same
    analysis.
    """

    def __init__(self, *, first_weight: float = 1.0) -> None:
        super().__init__(analyzer=QUERY_WORDS)
        self._first_weight = first_weight
        assert type(self.format) is Positions  # what ``_ENCODINGS`` writes

    @property
    def first_weight(self) -> float:
        """How much a position in the first region (the title) weighs."""
        return float(self._first_weight)

    def index(self, value: Any, **kwargs: Any) -> Iterator[tuple[bytes, int, float, bytes]]:
        """(term, frequency, weight, encoded positions) of each term, in the order the
        terms first come: a term counts once per position, ``first_weight`` times in
        the first region. ``value`` is ``Terms`` or a string (one region)."""
        terms: Terms = value if isinstance(value, list) else analyse(str(value))[0]
        places, first = _placed(terms)
        lists = list(places.values())
        freqs = list(map(len, lists))
        extra = self._first_weight - 1.0
        weights: Iterable[float] = map(float, freqs)
        if extra:
            # ``first`` holds the first region's terms in the order ``places`` starts
            # with them (placed first): only those (a title's few) get the extra weight.
            weights = list(weights)
            count = len(first)
            weights[:count] = map(
                add, weights[:count], map(extra.__mul__, map(len, first.values()))
            )
        return zip(
            map(str.encode, places),
            freqs,
            weights,
            map(_ENCODINGS.__getitem__, map(tuple, lists)),
            strict=True,
        )


def _placed(terms: Terms) -> tuple[dict[str, list[int]], dict[str, list[int]]]:
    """Each term's positions in ``terms`` (in the order its tokens come), and the same
    for the first region alone (the same lists when there is only one region)."""
    places: dict[str, list[int]] = {}
    first: dict[str, list[int]] | None = None
    get = places.get
    base = position = 0
    for item in terms:
        if isinstance(item, str):
            at = get(item)
            if at is None:
                places[item] = [position]
            else:
                at.append(position)
            position += 1
        elif item is None:
            if first is None:
                first = {term: at[:] for term, at in places.items()}
            base += REGION
            position = base
        else:
            term, offset = item
            at = get(term)
            if at is None:
                places[term] = [base + offset]
            else:
                at.append(base + offset)
    return places, places if first is None else first


def build_schema(*, raw_words: bool = False) -> Schema:
    """The index schema; ``raw_words`` gives the query parser's twin without stemming.

    The parser's twin keeps an ``abstract`` field so ``abstract:`` parses; the index has
    none (see ``REGION``).
    """
    if raw_words:
        prose: dict[str, Any] = {
            name: TEXT(analyzer=QUERY_WORDS) for name in ("text", "title", "abstract", "keyword")
        }
    else:
        prose = {
            # Default field: title (counted twice), abstract, organisation, keywords, authors.
            "text": AnalysedText(first_weight=TITLE_WEIGHT),
            "title": AnalysedText(),
            "keyword": AnalysedText(),
        }
    return Schema(
        id=ID(unique=True, sortable=True),
        org=TEXT(analyzer=_name_analyzer()),
        author=TEXT(analyzer=_name_analyzer()),
        arxiv=KEYWORD(lowercase=True),
        has=KEYWORD(scorable=False),
        # shift_step=0: one term per value instead of a tier per 4-8 bits. These fields
        # hold few distinct values, so ranges expand cheaply, and builds write far fewer
        # postings.
        year=NUMERIC(int, bits=32, shift_step=0),
        date=_single_tier(DatePeriods() if raw_words else DATETIME()),  # the paper's own day
        listed=_single_tier(DatePeriods() if raw_words else DATETIME()),  # its Daily Papers day
        comments=NUMERIC(int, bits=32, shift_step=0),
        authors=NUMERIC(int, bits=32, shift_step=0),
        upvotes=NUMERIC(int, bits=32, shift_step=0),
        sort_newest=COLUMN(columns.NumericColumn("i", default=0)),
        sort_comments=COLUMN(columns.NumericColumn("i", default=-1)),
        sort_title=COLUMN(columns.VarBytesColumn()),
        sort_page=COLUMN(columns.VarBytesColumn()),
        paper=STORED(),
        **prose,
    )


def storage(index_dir: Path) -> Any:
    # No mmap: a mapped index counts whole postings files towards the process's resident
    # memory (1.4 GiB at 100k papers against 50-200 MiB with plain reads).
    return FileStorage(str(index_dir), supports_mmap=False)


class DatePeriods(DATETIME):  # type: ignore[misc]
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
            period = date_period(start)
            low = datetime_to_long(period.ceil() if startexcl else period.floor())
        if end is not None:
            period = date_period(end)
            high = datetime_to_long(period.floor() if endexcl else period.ceil())
        return wq.NumericRange(fieldname, low, high, startexcl, endexcl, boost=boost)


# A date in a query, once " ", "-" and "." are dropped: YYYY[MM[DD[hh[mm[ss[uuuuuu]]]]]].
_PERIOD_PARTS: Final = (
    ("year", 4),
    ("month", 2),
    ("day", 2),
    ("hour", 2),
    ("minute", 2),
    ("second", 2),
    ("microsecond", 6),
)


_DATE_SEPARATORS: Final = re.compile(r"[-./ ]+")


def date_period(text: str) -> adatetime:
    """The period a query's date names (``2024``, ``2024-03``, ``2024-03-05 10``...) as
    Whoosh's ``adatetime``, the parts not named left open. The format is the one Whoosh's
    DATETIME field parses (``date_digits``). Raises ValueError when ``text`` names no
    date (a month 13, digits left over, a year 0)."""
    digits = date_digits(text)
    if not digits.isdigit():
        raise ValueError(f"{text!r} is not a date")
    parts: dict[str, int] = {}
    at = 0
    for name, width in _PERIOD_PARTS:
        if len(digits) < at + width:
            break
        parts[name] = int(digits[at : at + width])
        at += width
    if at != len(digits):
        raise ValueError(f"{text!r} is not a date")
    try:
        period = fix(adatetime(**parts))
        if not is_void(period):
            # Both ends must be dates (the year 0 is none): Whoosh takes them.
            period.floor()
            period.ceil()
    except (TimeError, ValueError, OverflowError) as error:  # a month 13, a year 0
        raise ValueError(f"{text!r} is not a date") from error
    if is_void(period):
        raise ValueError(f"{text!r} is not a date")
    return period


def date_digits(text: str) -> str:
    """A query's date as the digits Whoosh's DATETIME reads (``YYYY[MM[DD[hh...]]]``):
    separators (``-``, ``.``, ``/``, space) dropped, a one-digit month or day padded
    (``2024-3-5`` is ``20240305``, where Whoosh alone would read the year 2024)."""
    parts = _DATE_SEPARATORS.split(text.strip())
    if len(parts) > 1 and all(part.isdigit() for part in parts):
        return parts[0] + "".join(part.zfill(2) for part in parts[1:])
    return "".join(parts)


def _single_tier(date_field: DATETIME) -> DATETIME:
    # DATETIME takes no shift_step argument but honours the attribute.
    date_field.shift_step = 0
    return date_field


_TERMS: dict[str, str] = {}
_TERMS_MAX: Final = 500_000


def index_term(word: str) -> str:
    """The indexed term of one token's text (``browser.text.tokens``): its American
    spelling, Snowball-stemmed. Cached: bounded, as pasted text could grow it forever."""
    term = _TERMS.get(word)
    if term is None:
        term = stem(american(word))
        if len(_TERMS) >= _TERMS_MAX:
            _TERMS.clear()
        _TERMS[word] = term
    return term


@lru_cache(maxsize=50_000)
def folded_word(word: str) -> str | None:
    """``word`` as the vocabulary spells it: its one token, or a compound's joined form
    (``GPT-4`` -> ``gpt4``); None when it is only a stop word or punctuation."""
    tokens = tokenise(word)
    if not tokens:
        return None
    whole = [t for t in tokens if t.start == tokens[0].start and t.end == tokens[-1].end]
    return (whole[-1] if whole else tokens[0]).text


@lru_cache(maxsize=50_000)
def term_of(word: str) -> str | None:
    """The indexed term for one word as ``folded_word`` reads it (None for stop words)."""
    folded = folded_word(word)
    return None if folded is None else index_term(folded)


# An analysed text: a term takes the next position; a (term, position) pair (a compound's
# joined form, a CJK pair) sits at a position already taken; None starts the next region.
Terms = list[str | tuple[str, int] | None]
# Word run -> (its terms as in Terms, positions from the run's start), folded words, and
# how many positions it takes.
_RunTerms = tuple[tuple[str | tuple[str, int], ...], tuple[str, ...], int]
_RUNS: dict[str, _RunTerms] = {}
_RUNS_MAX: Final = 500_000


def analyse(*regions: str) -> tuple[Terms, set[str]]:
    """The terms of ``regions`` (``Terms``) and their folded words (the vocabulary's).

    Each distinct word run goes through ``browser.text.tokens.analyse_run`` and
    ``index_term`` once; after that it is a dictionary look-up (indexing speed).
    """
    runs = _RUNS
    terms: Terms = []
    words: set[str] = set()
    for number, region in enumerate(regions):
        if number:
            terms.append(None)
        position = 0
        for run in WORD_RUN.findall(region):
            known = runs.get(run)
            if known is None:
                known = _run_terms(run)
            found, folded, used = known
            if used == 1 and len(found) == 1:
                terms.append(found[0])
            else:
                for item in found:
                    terms.append(item if isinstance(item, str) else (item[0], position + item[1]))
            words.update(folded)
            position += used
    return terms, words


def _run_terms(run: str) -> _RunTerms:
    tokens, used = analyse_run(run)
    found = tuple(
        (index_term(text), at) if derived else index_term(text)
        for text, _start, _end, at, derived in tokens
    )
    known = (found, tuple(text for text, *_rest in tokens), used)
    if len(_RUNS) >= _RUNS_MAX:
        _RUNS.clear()
    _RUNS[run] = known
    return known


def paper_regions(paper: Paper) -> tuple[str, str, str]:
    org = f"{paper.organization.slug} {paper.organization.name}" if paper.organization else ""
    extra = "\n".join(
        part for part in (org, " ; ".join(paper.keywords), " ; ".join(paper.author_names)) if part
    )
    return paper.title, paper.abstract, extra


def document_for(paper: Paper) -> tuple[dict[str, Any], set[str]]:
    """The fields to index for ``paper`` and its folded words (for the vocabulary)."""
    title, abstract, extra = paper_regions(paper)
    terms, words = analyse(title, abstract, extra)
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
        "sort_page": page_key(paper),
        # Defaults left out (``Paper`` puts them back): 8% less stored text.
        "paper": paper.model_dump_json(exclude_defaults=True),
    }
    if org:
        document["org"] = org
    if names:
        document["author"] = names
    if keywords:
        document["keyword"] = keywords
    present = " ".join(name for name, value in _optional_values(paper, org, names) if value)
    if present:
        document[PRESENCE_FIELD] = present
    if paper.arxiv_id:
        document["arxiv"] = paper.arxiv_id.lower()
    if paper.date is not None:
        document["date"] = as_datetime(paper.date)
        document["year"] = paper.date.year
    if paper.listed is not None:
        document["listed"] = as_datetime(paper.listed)
    for name in ("comments", "authors", "upvotes"):
        value = getattr(paper, name)
        if value is not None:
            document[name] = value
    return document, words


# After every ``page_key`` (0xFF starts no UTF-8 sequence): a paper with no known place.
NO_PAGE: Final = b"\xff"


def page_key(paper: Paper) -> bytes:
    """Where ``paper`` stands on its listing day's page, as bytes that compare like
    (file, place in the file, line): UTF-8 of the file (surrogates kept, as paths may
    hold them), NUL (no path has one), then place and line as 4-byte big-endian numbers.
    ``Paper.page``, else its first source (papers merged before ``page`` existed);
    ``NO_PAGE`` when the paper has no source at all."""
    source = paper.page or (paper.sources[0] if paper.sources else None)
    if source is None:
        return NO_PAGE
    limit = (1 << 32) - 1
    return b"".join(
        (
            source.file.encode("utf-8", "surrogatepass"),
            b"\0",
            min(max(source.position, 0), limit).to_bytes(4, "big"),
            min(max(source.line, 0), limit).to_bytes(4, "big"),
        )
    )


def _optional_values(paper: Paper, org: str, names: str) -> Iterator[tuple[str, object]]:
    """The optional fields ``has:`` knows, each with the paper's value (empty: none)."""
    yield "abstract", paper.abstract.strip()
    yield "arxiv", paper.arxiv_id
    yield "org", org
    yield "author", names
    yield "keyword", paper.keywords
    for name in ("date", "listed", "comments", "authors", "upvotes"):
        yield name, getattr(paper, name) is not None


def read_version(index_dir: Path) -> int | None:
    """The schema version recorded in ``index_dir``, or None when unreadable or when its
    postings were written in another layout than this process reads
    (``whoosh_internals.postings_layout``)."""
    try:
        data = json.loads((index_dir / META_FILE).read_text(encoding="utf-8"))
        version = data.get("schema_version")
        layout = data.get("postings")
    except (OSError, ValueError, AttributeError):
        return None
    if layout != postings_layout():
        return None
    return version if isinstance(version, int) else None


def write_version(index_dir: Path) -> None:
    """Record ``SCHEMA_VERSION`` and the postings layout in ``index_dir``, replacing the
    file whole (``fsutil``)."""
    meta = {"schema_version": SCHEMA_VERSION, "postings": postings_layout()}
    atomic_write(index_dir / META_FILE, json.dumps(meta))


def as_datetime(day: dt.date) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day)
