"""The words and two-word phrases of a paper, and which of them are rising.

A paper's terms are its words as the index tokenises them (``browser.text.tokens``): a
compound is a term whole (``state-of-the-art``) and so is each of its parts (``state``,
``art``), as the search finds a paper by any of them. Each term is counted under the
search's term for it (``term_groups.term_key``: ``dataset``, ``datasets`` and
``data-set``, ``behaviour`` and ``behavior``, ``diffusion model`` and ``diffusion
models`` are one) and shown in its most frequent form, so the row's search finds every
paper it counted. Stop words and the furniture of abstracts (``we propose``, ``results
show``) are dropped by that term too: a paper that says only ``effective`` does not hold
``effectiveness`` for the stats when the search would find it. A two-word phrase is two
terms side by side in one clause.

One difference is left: the search also expands abbreviations (``rl`` finds
"reinforcement learning"), so a row of an abbreviation can find more papers than it
counts.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Final

from browser.stats.term_groups import PaperTerms, forms_by_use, remember, term_key
from browser.text.normalise import normalise
from browser.text.spelling import american
from browser.text.stemming import stem
from browser.text.tokens import WORD_RUN_PATTERN, analyse_run
from browser.text.word_term import word_term

# A pasted essay must not make one paper cost seconds.
MAX_TEXT_CHARS: Final = 20_000
# A term must be in at least this many papers of the latest period, and in this share of
# them, before it can be rising: 3 papers out of 3 in a quiet week is no trend.
MIN_PAPERS_NOW: Final = 3
MIN_SHARE_NOW: Final = 0.005
# Added to each cell of the 2x2 table (Haldane-Anscombe), so a term absent before has a
# finite odds ratio instead of an infinite one.
CORRECTION: Final = 0.5

# English function words (after the Snowball English list, folded, apostrophes kept).
_STOP_WORDS_TEXT: Final = """
    a about above after again against all am an and any are aren't as at be because been
    before being below between both but by can can't cannot could couldn't did didn't do
    does doesn't doing don't down during each few for from further had hadn't has hasn't
    have haven't having he he'd he'll he's her here here's hers herself him himself his how
    how's i i'd i'll i'm i've if in into is isn't it it's its itself let's me more most
    mustn't my myself no nor not of off on once only or other ought our ours ourselves out
    over own same shan't she she'd she'll she's should shouldn't so some such than that
    that's the their theirs them themselves then there there's these they they'd they'll
    they're they've this those through to too under until up very was wasn't we we'd we'll
    we're we've were weren't what what's when when's where where's which while who who's
    whom why why's with won't would wouldn't you you'd you'll you're you've your yours
    yourself yourselves also however thus therefore via within without across among upon
    whether yet may might must shall will us one two three etc e.g i.e vs et al
"""
STOP_WORDS: Final = frozenset(_STOP_WORDS_TEXT.split())
# What is left of a contraction: the tokens end at an apostrophe.
_CONTRACTED: Final = (
    "aren couldn didn doesn don hadn hasn haven isn mustn shan shouldn wasn weren won wouldn"
)

# Words every abstract uses whatever its topic: they would "rise" with the number of papers.
_FURNITURE_TEXT: Final = """
    paper papers propose proposed proposes present presents presented introduce introduces
    introduced approach approaches method methods methodology result results show shows
    shown showing demonstrate demonstrates demonstrated novel new existing work works
    based using use used uses achieve achieves achieved performance perform performs
    state-of-the-art sota outperform outperforms outperforming significantly significant
    significantly improve improves improved improvement improvements extensive experiments
    experiment experimental experimentally effective effectively efficient efficiently
    furthermore moreover additionally specifically particular particularly various several
    different many first second third well key leading code available github https http
    www com org project page release released publicly open-source provide provides
    provided study studies studied task tasks framework frameworks recent recently
    including include includes enable enables enabling capabilities ability address
    addresses challenge challenges problem problems solution solutions superior compared
    comparison comparable while however achieve strong stronger high higher low lower
    large-scale end-to-end remain remains often
"""
FURNITURE: Final = frozenset(_FURNITURE_TEXT.split())

# Dropped by the search's term, so every form of them is dropped.
_NOT_TERMS: Final = frozenset(map(word_term, (*STOP_WORDS, *FURNITURE, *_CONTRACTED.split())))

_URL: Final = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)
_LATEX_COMMAND: Final = re.compile(r"\\[A-Za-z]+")
# What may stand between the two words of a phrase: spacing, an apostrophe (``models'``).
_SAME_CLAUSE: Final = re.compile(r"[\s'’]+")
# The word runs the index tokenises (a possessive "'s" left out) and what is between them.
_WORDS_AND_GAPS: Final = re.compile(rf"({WORD_RUN_PATTERN})(?:['\u2019][sS](?!\w))?")

_Term = tuple[str, str]  # (form, key)


def _is_term(form: str, key: str) -> bool:
    return (
        len(form) >= 2
        and key not in _NOT_TERMS
        and any(char.isalpha() for char in form)
        and "_" not in form
    )


@lru_cache(maxsize=4096)
def _same_clause(gap: str) -> bool:
    return _SAME_CLAUSE.fullmatch(gap) is not None


@lru_cache(maxsize=300_000)
def _run_terms(run: str) -> tuple[_Term | None, tuple[_Term, ...]]:
    """The term of one run of word characters as a whole (None: not a term) and those of
    its parts, as the index tokenises it (``Multi-Task``: ``multi-task``, ``multi``,
    ``task``). Each is remembered as a form of its key (once: cached)."""
    if run.isalpha() and run.isascii():
        if run.islower():  # a plain word: one token
            key = word_term(run)
            whole = (run, key) if _is_term(run, key) else None
            _remember((whole,) if whole else ())
            return whole, ()
        if run.istitle():  # ``Large`` is ``large`` (``MixFormer``, ``LLMs`` are not title)
            return _run_terms(run.lower())
    form, key = normalise(run), word_term(run)
    whole = (form, key) if _is_term(form, key) else None
    parts: list[_Term] = []
    for text, start, end, _position, _derived in analyse_run(run, True)[0]:
        if start == 0 and end == len(run):
            continue  # the run as a whole (its joined form): counted above
        part_key = stem(american(text))
        if _is_term(text, part_key):
            parts.append((text, part_key))
    _remember((whole, *parts) if whole else parts)
    return whole, tuple(parts)


def _remember(terms: Iterable[_Term]) -> None:
    for form, key in terms:
        if not remember(form, key):
            # Forms were forgotten: so must the runs whose forms they were.
            _run_terms.cache_clear()


def paper_terms(*texts: str) -> PaperTerms:
    """The terms of a paper's ``texts`` (title, abstract): words, the parts of compound
    words, and two-word phrases.

    A phrase is two whole words that follow each other in one clause with nothing dropped
    between them: ``large language models`` gives ``large language`` and ``language
    models``; ``models of language`` gives no phrase. URLs and LaTeX commands are skipped.
    """
    found: list[_Term] = [("", "")]  # never empty, for ``zip`` below
    add, extend = found.append, found.extend
    for text in texts:
        text = _LATEX_COMMAND.sub(" ", _URL.sub(" ", text[:MAX_TEXT_CHARS]))
        # [gap, word, gap, word, ..., gap], split in C.
        pieces = _WORDS_AND_GAPS.split(text)
        previous: _Term | None = None
        for gap, word in zip(pieces[::2], pieces[1::2], strict=False):  # one gap more
            whole, parts = _run_terms(word)
            if parts:
                extend(parts)
            if whole is None:
                previous = None
                continue
            add(whole)
            if previous is not None and (gap == " " or _same_clause(gap)):
                add((f"{previous[0]} {whole[0]}", f"{previous[1]} {whole[1]}"))
            previous = whole
    forms, keys = zip(*found, strict=True)  # in C
    return PaperTerms(frozenset(keys[1:]), frozenset(forms[1:]))


@dataclass(frozen=True)
class RisingTerm:
    """A term and the papers holding it in the latest period (``now``) and the one before."""

    term: str
    now: int
    before: int
    # The z-score of the log odds ratio (see ``rising_terms``): larger rises more surely.
    score: float
    # Every form counted as this term, the one shown (``term``) first, then by papers.
    forms: tuple[str, ...] = ()

    @property
    def is_phrase(self) -> bool:
        return " " in self.term


def rising_terms(
    now: Iterable[PaperTerms],
    before: Iterable[PaperTerms],
    *,
    limit: int = 20,
    min_papers: int = MIN_PAPERS_NOW,
    min_share: float = MIN_SHARE_NOW,
    leave_out: frozenset[str] = frozenset(),
) -> list[RisingTerm]:
    """Terms whose share of papers grew most from the ``before`` papers to the ``now`` ones.

    ``now`` and ``before`` are the terms of the papers of the two periods
    (``paper_terms``). The forms of one term (``term_key``) count together, each paper
    once: a paper that writes ``dataset`` and ``datasets`` is one paper for the term,
    shown as the form most papers of both periods use. For a term in ``a`` of the ``n1``
    papers now and ``c`` of the ``n0`` papers before, with ``b = n1 - a`` and
    ``d = n0 - c``, the score is the log odds ratio with the Haldane-Anscombe correction
    (0.5 added to every cell) divided by its standard error (Woolf 1955)::

        z = ln((a+.5)(d+.5) / ((b+.5)(c+.5))) / sqrt(1/(a+.5) + 1/(b+.5) + 1/(c+.5) + 1/(d+.5))

    This is the z-scored log odds ratio that Monroe, Colaresi & Quinn ("Fightin' Words",
    Political Analysis 16(4), 2008, section 3.3) use to compare the words of two corpora,
    here with a flat prior and counted in papers. A plain ratio of shares would rank a
    term seen once before and twice now above one that went from 40 papers to 120; the z
    weighs growth by the evidence for it. A term qualifies only when its share grew and
    it is in at least ``min_papers`` papers now and in ``min_share`` of them
    (``papers_needed``), so that noise does not rise. Terms in ``leave_out`` (the words
    of the search counted, which every paper counted holds in some form), in any of their
    forms, are not news and are left out. Ordered by score, then by papers now, then by
    the search's term (``term_key``; the top ``limit`` of that order); empty when either
    period has no papers.
    """
    now_terms = list(now)
    before_terms = list(before)
    n1, n0 = len(now_terms), len(before_terms)
    if n1 == 0 or n0 == 0:
        return []
    floor = papers_needed(n1, min_papers=min_papers, min_share=min_share)
    left_out = {term_key(term) for term in leave_out}
    counts_now: Counter[str] = Counter()
    for paper in now_terms:
        counts_now.update(paper.keys)  # in C
    candidates = {
        key: count for key, count in counts_now.items() if count >= floor and key not in left_out
    }
    if not candidates:
        return []
    wanted = frozenset(candidates)
    counts_before: Counter[str] = Counter()
    for paper in before_terms:
        counts_before.update(paper.keys & wanted)  # in C; a few hundred keys
    rising: list[tuple[str, int, int, float]] = []
    for key, a in candidates.items():
        c = counts_before[key]
        if a * n0 <= c * n1:  # its share did not grow
            continue
        score = log_odds_z(a, n1, c, n0)
        if score > 0:
            rising.append((key, a, c, score))
    # The forms shown are looked up for the top only (a library has thousands rising).
    rising.sort(key=lambda item: (-item[3], -item[1], item[0]))
    top = rising[:limit]
    forms = forms_by_use([key for key, *_ in top], now_terms + before_terms)
    return [RisingTerm(forms[key][0], a, c, score, forms[key]) for key, a, c, score in top]


def papers_needed(
    papers_now: int, *, min_papers: int = MIN_PAPERS_NOW, min_share: float = MIN_SHARE_NOW
) -> int:
    """In how many of the ``papers_now`` papers of the latest period a term must be
    before it can rise: ``min_papers``, or ``min_share`` of them when that is more."""
    return max(min_papers, math.ceil(min_share * papers_now))


def log_odds_z(now: int, papers_now: int, before: int, papers_before: int) -> float:
    """The z-score of the corrected log odds ratio of a term now against before."""
    a = now + CORRECTION
    b = papers_now - now + CORRECTION
    c = before + CORRECTION
    d = papers_before - before + CORRECTION
    return math.log((a * d) / (b * c)) / math.sqrt(1 / a + 1 / b + 1 / c + 1 / d)
