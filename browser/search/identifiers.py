"""Pasted arXiv and Hugging Face links and ids, read as ``arxiv:ID`` terms.

A paper's arXiv id is indexed in the ``arxiv`` field, lower-cased and without its
version (the parsers keep ``2401.01234`` of ``2401.01234v2``). What a newcomer pastes is
rarely that: ``https://arxiv.org/abs/2401.01234v2``, ``arxiv.org/pdf/2401.01234.pdf``,
``arXiv:2401.01234``, ``https://huggingface.co/papers/2401.01234``, an old-style
``hep-th/9901001``, often inside angle brackets or followed by a full stop. Searched as
words, such a link found nothing (its parts are no paper's words). Each is rewritten to
the ``arxiv:`` term before the query is parsed, and the notice says so, quoting the id
as it was written. Pure text.

A paper has one arXiv id, so two ids ANDed find nothing, ever: ids side by side (a
pasted list, separated by spaces, commas, semicolons or lines) are a list of papers
wanted, searched as one OR (``(arxiv:2401.01234 OR arxiv:2401.05678)``) unless the
query has ``OR`` or ``AND`` of its own (``NOT word`` and parentheses around other
words, a year or a venue, keep the list; an id after ``-`` or ``NOT`` is left out of it).
While a query is typed, its last word, when
it is the start of a new-style id (``2401.0123`` of ``2401.01234``), is read as that
prefix of an id (``arxiv:2401.0123*``), as a word being typed is read as a prefix;
``2401.0123*`` is that prefix however given.
A citation's reference marker (``[1]``, ``[2, 5]``, ``(3)``) is no word and no range.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Final

# New-style ids (2007 on: YYMM.NNNN, YYMM.NNNNN from 2015) and old-style ones
# (archive[.subject-class]/YYMMNNN), per arXiv's "Understanding the arXiv identifier";
# the version suffix is matched and dropped.
_ID: Final = r"(?P<id>\d{2}(?:0[1-9]|1[0-2])\.\d{4,5}|[a-z][a-z-]*(?:\.[a-z]{2})?/\d{7})(?:v\d+)?"
_LINK: Final = r"""(?P<link>(?:https?://)?(?:[\w-]+\.)?
             (?:arxiv\.org/(?:abs|pdf|html|format)/|(?:huggingface|hf)\.co/papers/))"""
_WRITTEN_ID: Final = re.compile(
    rf"""(?:{_LINK} | arxiv:)?
        {_ID}
        (?(link)(?:\.pdf)?(?:[/?#]\S*)?)""",
    re.IGNORECASE | re.VERBOSE,
)
# The start of a new-style id being typed (from its dot; its version too), written in
# any of the same ways; whether it is complete depends on its month (``_complete``).
_STARTED_ID: Final = re.compile(
    rf"""(?:{_LINK} | arxiv:)?
        (?P<id>(?P<month>\d{{2}}(?:0[1-9]|1[0-2]))\.\d{{0,5}})(?:v\d*)?""",
    re.IGNORECASE | re.VERBOSE,
)
# As citations write an id, one id: ``arXiv: 2401.01234``, ``arXiv 2401.01234`` and
# ``arXiv preprint (arXiv:)2401.01234`` (the words before it are no paper's words).
_SPACED_PREFIX: Final = re.compile(
    r"(?<!\S)(?:arxiv\s+preprint\s+(?:arxiv:?\s*)?|arxiv:?\s+)(?=[<(\[\"']*"
    + _ID.replace("?P<id>", "")
    + r"(?!\w))",
    re.IGNORECASE,
)
# What may wrap a pasted link or id (kept when it is query syntax: a leading ``-`` or
# ``(``, a closing ``)``). Stripped with lstrip/rstrip, in linear time: a regex of a
# greedy lead, a lazy core and a greedy trail backtracked quadratically on a long run
# of wrappers (20,000 ``)`` took seconds under the index lock).
_LEAD: Final = "-(<[{\"'`"
_TRAIL: Final = ">]}\"'`,.;:!?)"
_SYNTAX_LEAD: Final = "-("
_SYNTAX_TRAIL: Final = ")"
# Ids of a list written without spaces: ``2401.01234,2401.05678``.
_LIST_SEPARATORS: Final = re.compile(r"[,;]+")
_SPACE: Final = re.compile(r"\s+")
_WORD: Final = re.compile(r"\S*")
_OPERATORS: Final = frozenset({"AND", "OR", "NOT", "ANDNOT", "ANDMAYBE"})
# A citation's reference marker as a word of its own: ``[1]``, ``[2, 5]``, ``[3-4]``,
# ``(3)``; three digits at most, so ``[2024]`` stays what it was (a range to repair).
_REFERENCE_MARKER: Final = re.compile(
    r"(?<!\S)(?:\[\d{1,3}(?:\s*[,–-]\s*\d{1,3})*\]|\(\d{1,3}\))(?=[\s.,;:]|$)[.,;:]?"
)
# The OR of a list's ids as ``read_arxiv_ids`` writes it: the papers named, a query
# whose words beside it may all be left out (``spelling.relaxable``, ``relaxing``).
ID_LIST: Final = re.compile(r"\(arxiv:[^\s()]+(?: OR arxiv:[^\s()]+)+\)")
# A list's ids quoted in its notice, at most; the rest are counted.
_QUOTED_IDS: Final = 5


@dataclass(frozen=True)
class ReadId:
    """One id read: ``written`` as the user wrote it (``arXiv 2401.01234``), ``arxiv_id``
    as the index holds it; ``prefix``: the start of an id being typed."""

    written: str
    arxiv_id: str
    prefix: bool = False

    @property
    def term(self) -> str:
        return f"arxiv:{self.arxiv_id}{'*' if self.prefix else ''}"

    def sentence(self, known: bool) -> str | None:
        """How it was read, and that no paper has it when not ``known``; None for an
        ``arxiv:`` term written as the index holds it, which a paper has."""
        if self.prefix and self.written == self.term:
            missing = f"No paper in the library has an arXiv id starting with {self.arxiv_id}."
            return None if known else missing
        if self.prefix:
            missing = "" if known else ": no paper in the library has an id starting so"
            return f"Read “{self.written}” as the start of an arXiv id{missing}."
        if self.written == f"arxiv:{self.arxiv_id}":
            return None if known else f"No paper in the library has the arXiv id {self.arxiv_id}."
        missing = "" if known else ": no paper in the library has it"
        return f"Read “{self.written}” as the arXiv id {self.arxiv_id}{missing}."


@dataclass
class ReadIds:
    """The query with its links and ids as ``arxiv:`` terms, and what was read."""

    text: str
    # Every id read, in the order written; ids written as ``arxiv:ID`` too.
    read: list[ReadId] = field(default_factory=list)
    # The ids of a list, searched as one OR (``ID_LIST``); empty when there was none.
    listed: list[ReadId] = field(default_factory=list)

    @property
    def ids(self) -> list[str]:
        return [one.arxiv_id for one in self.read]

    def notice(self, known: Callable[[ReadId], bool]) -> str | None:
        """How the ids were read and which no paper has (``known(read_id)``), quoting
        each as written, each once; None when there is nothing to say."""
        sentences = [
            sentence
            for one in self.read
            if not any(one is listed for listed in self.listed)
            and (sentence := one.sentence(known(one))) is not None
        ]
        if self.listed:
            sentences.insert(0, _list_sentence(self.listed, known))
        return " ".join(dict.fromkeys(sentences)) or None


def _list_sentence(listed: list[ReadId], known: Callable[[ReadId], bool]) -> str:
    """What the list was read as: it is searched, not promised (words, filters and
    phrases beside it narrow it), and which of its ids (by term, quoted as first
    written) no paper has, or no paper's id starts with."""
    terms: dict[str, ReadId] = {}
    for one in listed:
        terms.setdefault(one.term, one)
    ids = list(terms.values())
    lead = f"Read a list of {len(ids)} arXiv ids"
    missing = [one for one in ids if not known(one)]
    if len(missing) == len(ids):
        return f"{lead}: no paper in the library has any of them."
    if not missing:
        return f"{lead}: searching for the papers with any of them."
    wanting = f"{lead}: searching for the papers with any of them; no paper in the library"
    whole = [one for one in missing if not one.prefix]
    starts = [one for one in missing if one.prefix]
    said = [f"has {_names(whole)}"] if whole else []
    if starts:
        said.append(f"has an id starting with {_names(starts)}")
    return f"{wanting} {' or '.join(said)}."


def _names(ids: list[ReadId]) -> str:
    shown = [f"“{one.written}”" for one in ids[:_QUOTED_IDS]]
    if len(ids) > _QUOTED_IDS:
        shown.append(f"{len(ids) - _QUOTED_IDS} more")
    return shown[0] if len(shown) == 1 else f"{', '.join(shown[:-1])} or {shown[-1]}"


def without_reference_markers(text: str) -> str:
    """``text`` without the reference markers of a pasted citation (``[1] arXiv
    preprint ...``, ``(3)``) outside quotes: a marker is neither a range nor a word."""
    segments = text.split('"')
    for number in range(0, len(segments), 2):
        segments[number] = _REFERENCE_MARKER.sub("", segments[number])
    cleaned = '"'.join(segments)
    if cleaned == text:
        return text
    ending = " " if text[-1:].isspace() else ""
    return " ".join(cleaned.split()) + ending


@dataclass(eq=False)  # compared by identity: two chunks may hold the same id
class _Chunk:
    """A word of the query outside quotes that holds ids: its ids and the query syntax
    around them that stays (a leading ``-`` or ``(``, a closing ``)``)."""

    ids: list[ReadId]
    lead: str
    trail: str
    # Written after ``NOT`` (a ``-`` is in ``lead``): an id excluded, no id of a list.
    negated: bool = False

    @property
    def term(self) -> str:
        terms = " ".join(one.term for one in self.ids)
        return f"{self.lead}{terms}{self.trail}"


def read_arxiv_ids(text: str, *, typing: bool = False) -> ReadIds:
    """``text`` with every pasted arXiv or Hugging Face paper link, ``arXiv:ID`` and bare
    arXiv id (outside quotes) written ``arxiv:ID`` (lower case, no version); two or more
    ids side by side as one OR. ``typing``: the query is being typed, so its last word,
    unless a space follows it, may be the start of an id."""
    pieces: list[str | _Chunk] = []
    own_syntax = False
    segments = text.split('"')
    for number, segment in enumerate(segments):
        if number:
            pieces.append('"')
        if number % 2:
            # Inside a phrase the words stay as written, since abstracts cite ids ("see
            # arXiv:2004.11967"); a phrase of one word ("2004.11967") too.
            pieces.append(segment)
        else:
            own_syntax |= _read_segment(
                segment,
                pieces,
                quoted=(number > 0, number < len(segments) - 1),
                typing=typing and number == len(segments) - 1,
            )
    chunks = [piece for piece in pieces if isinstance(piece, _Chunk)]
    read = [one for chunk in chunks for one in chunk.ids]
    listed = _listed(chunks, own_syntax=own_syntax)
    if not listed:
        return ReadIds("".join(_written(piece) for piece in pieces), read)
    # The list's OR where its first id was; its other ids go, the parentheses written
    # around them staying where they were (``(2401.01234, 2402.05678)``, ``(A zzz) B``).
    group = "(" + " OR ".join(dict.fromkeys(one.term for c in listed for one in c.ids)) + ")"
    kept = [
        _parentheses(chunk, group if chunk is listed[0] else "")
        if isinstance(chunk, _Chunk) and chunk in listed
        else chunk
        for chunk in pieces
    ]
    ending = " " if text[-1:].isspace() else ""
    joined = " ".join("".join(_written(piece) for piece in kept).split()) + ending
    return ReadIds(joined, read, [one for chunk in listed for one in chunk.ids])


def _parentheses(chunk: _Chunk, inside: str) -> str:
    """``inside`` within the parentheses of ``chunk`` that wrap more than its own ids."""
    pairs = min(chunk.lead.count("("), chunk.trail.count(")"))
    return chunk.lead.replace("(", "", pairs) + inside + chunk.trail.replace(")", "", pairs)


def _written(piece: str | _Chunk) -> str:
    return piece if isinstance(piece, str) else piece.term


def _read_segment(
    segment: str, pieces: list[str | _Chunk], *, quoted: tuple[bool, bool], typing: bool
) -> bool:
    """The words of ``segment`` (outside quotes) onto ``pieces``: as written, or as a
    ``_Chunk`` when they hold ids. A word touching a quote is part of a phrase's edge
    and stays as written; ``typing``: the segment's last word may be an id's start.
    True when a word other than an id is query syntax (an operator, a group)."""
    own_syntax = False
    at = 0
    while at < len(segment):
        space = _SPACE.match(segment, at)
        if space is not None:
            pieces.append(space.group())
            at = space.end()
            continue
        prefix = _SPACED_PREFIX.match(segment, at)
        start = at if prefix is None else prefix.end()
        word = _WORD.match(segment, start)  # \S* always matches
        end = start if word is None else word.end()
        written = segment[at:end]
        touches_quote = (quoted[0] and at == 0) or (quoted[1] and end == len(segment))
        chunk = None
        if not touches_quote:
            lead = "" if prefix is None else segment[at : prefix.end()]
            chunk = _read_word(segment[start:end], lead, typing and end == len(segment))
        if chunk is not None and _negated(pieces):
            chunk.negated = True
        if chunk is None:
            # ``NOT word`` only negates the word, and parentheses around other words
            # (a year, a venue, a ``1)`` marker) group nothing in a query that only ANDs:
            # neither says how the ids combine. ``NOT (`` negates a group.
            own_syntax |= written in _OPERATORS - {"NOT"} or (
                written.startswith("(") and _negated(pieces)
            )
        pieces.append(written if chunk is None else chunk)
        at = end
    return own_syntax


def _read_word(word: str, spaced_prefix: str, typing: bool) -> _Chunk | None:
    """The ids of one word (``spaced_prefix``: the ``arXiv preprint`` written before
    it), or None when it is none: an id or link, or ids joined by commas."""
    unwrapped = word.lstrip(_LEAD)
    core = unwrapped.rstrip(_TRAIL)
    lead = "".join(c for c in word[: len(word) - len(unwrapped)] if c in _SYNTAX_LEAD)
    trail = "".join(c for c in unwrapped[len(core) :] if c in _SYNTAX_TRAIL)
    # Being typed: nothing after the id yet (a comma finishes it), or the dot of its
    # month and number (``2401.``, not a full stop).
    dotted = typing and unwrapped.endswith(".") and unwrapped[:-1] == core
    typed = typing and (dotted or core == unwrapped)
    one = _read_id(unwrapped if dotted else core, spaced_prefix, typed)
    if one is None and dotted:
        one = _read_id(core, spaced_prefix, False)
    if one is not None:
        return _Chunk([one], lead, trail)
    parts = [part for part in _LIST_SEPARATORS.split(core) if part]
    if spaced_prefix or len(parts) < 2:
        return None
    ids = []
    for number, part in enumerate(parts):
        inner = part.lstrip(_LEAD).rstrip(_TRAIL)
        last = typing and number == len(parts) - 1 and core == unwrapped and inner == part
        found = _read_id(inner, "", last)
        if found is None:
            return None
        ids.append(found)
    if lead.count("(") + core.count("(") == trail.count(")") + core.count(")"):
        # Each id's own parentheses (``(2401.01234),(2401.05678)``): wrappers, no group.
        lead, trail = lead.replace("(", ""), ""
    return _Chunk(ids, lead, trail)


def _read_id(core: str, spaced_prefix: str, typing: bool) -> ReadId | None:
    written = f"{spaced_prefix}{core}"
    matched = f"arxiv:{core}" if spaced_prefix else core
    if matched.endswith("*"):
        # Written as a prefix (``2401.0123*``, what the app offers after Enter on an id
        # being typed): the ids starting so, not words of the text.
        started = _STARTED_ID.fullmatch(matched[:-1])
        return None if started is None else ReadId(written, started["id"].lower(), prefix=True)
    if typing:
        started = _STARTED_ID.fullmatch(matched)
        if started is not None:
            # ``2401.`` and ``2401.0123`` are starts; ``2401.01234v`` an id whose
            # version is being typed (the list emptied at the dot and at the ``v``).
            whole = _complete(started["month"], started["id"])
            return ReadId(written, started["id"].lower(), prefix=not whole)
    found = _WRITTEN_ID.fullmatch(matched)
    if found is None:
        return None
    return ReadId(written, found["id"].lower())


def _complete(month: str, arxiv_id: str) -> bool:
    """Whether a new-style id has all its digits: 4 after the dot until 2014, 5 since."""
    digits = len(arxiv_id) - len(month) - 1
    return digits >= (5 if month >= "1501" else 4)


def _negated(pieces: list[str | _Chunk]) -> bool:
    """Whether the next word follows a ``NOT`` (spaces between)."""
    words = [piece for piece in pieces if not (isinstance(piece, str) and piece.isspace())]
    return bool(words) and words[-1] == "NOT"


def _listed(chunks: list[_Chunk], *, own_syntax: bool) -> list[_Chunk]:
    """The chunks of a list of ids to search as one OR, or none: two ids or more, not
    negated (``-ID`` and ``NOT ID`` stay, excluded), in a query without operators of its
    own (``own_syntax``: ``OR``, ``AND``, ``NOT (``), which says itself how its ids
    combine."""
    if own_syntax:
        return []
    listed = [c for c in chunks if "-" not in c.lead and not c.negated]
    if len({one.term for c in listed for one in c.ids}) < 2:
        return []
    return listed
