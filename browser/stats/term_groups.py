"""The forms of one term counted as one, as the search groups them.

``dataset``, ``datasets`` and ``data-set`` are one word to the search, and so are
``behaviour`` and ``behavior``, or the phrases ``diffusion model`` and ``diffusion
models``: each word is tokenised, spelt the American way and stemmed as the index does
(``browser.text.word_term``). Listed apart they would crowd out other terms and split
the evidence for a rise between them; grouped, a paper that writes two forms counts once
and the row's search finds every form it counted.

Counting stays near C speed: forms are counted per paper by ``Counter`` as before, keys
are worked out per distinct form (kept between calls), and only groups of several forms
whose counts could reach the threshold are counted paper by paper.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Container, Iterable
from dataclasses import dataclass
from typing import Final

from browser.text.word_term import word_term

__all__ = ["TermCounts", "count_groups", "forms_by_use", "term_key"]

_KEYS: dict[str, str] = {}
# Distinct terms of two periods at 100k papers: about 100k; pasted text must not grow it.
_KEYS_MAX: Final = 500_000


@dataclass(frozen=True)
class TermCounts:
    """Papers per key (``papers``) and per form (``forms``) of a set of papers, and the
    key of each form (``keys``, in the order of ``forms``)."""

    papers: dict[str, int]
    forms: Counter[str]
    keys: list[str]

    def forms_of(self, wanted: Container[str]) -> dict[str, list[str]]:
        """The forms of each key in ``wanted`` these papers hold."""
        found: dict[str, list[str]] = {}
        for form, key in [
            pair for pair in zip(self.forms, self.keys, strict=True) if pair[1] in wanted
        ]:
            found.setdefault(key, []).append(form)
        return found


def term_key(term: str) -> str:
    """What the search makes of a term: each word's ``word_term`` (folded, a compound
    joined, American spelling, Snowball stem), a phrase's in order."""
    key = _KEYS.get(term)
    if key is None:
        key = " ".join(map(word_term, term.split(" ")))
        if len(_KEYS) >= _KEYS_MAX:
            _KEYS.clear()
        _KEYS[term] = key
    return key


def count_groups(
    papers: Iterable[frozenset[str]], floor: int, only: Container[str] | None = None
) -> TermCounts:
    """How many of ``papers`` (term sets) hold some form of each key.

    A key of one form has that form's count. A paper may hold several forms of one key,
    so such keys are counted paper by paper, and only when their forms' counts add up to
    ``floor``: below it the key is in fewer papers than ``floor`` whatever its count,
    and its count is left as one form's. With ``only``, only those keys are counted
    exactly (the papers before: the keys rising now).
    """
    papers = list(papers)
    forms: Counter[str] = Counter()
    for terms in papers:
        forms.update(terms)  # in C
    cached = _KEYS.get
    keys = [cached(form) or term_key(form) for form in forms]
    counts = dict(zip(keys, forms.values(), strict=True))  # in C; exact for one form
    shared = {
        key for key, number in Counter(keys).items() if number > 1 and (only is None or key in only)
    }
    several = {form: key for form, key in zip(forms, keys, strict=True) if key in shared}
    totals: Counter[str] = Counter()
    for form, key in several.items():
        totals[key] += forms[form]
    several = {form: key for form, key in several.items() if totals[key] >= floor}
    if several:
        wanted = frozenset(several)
        grouped: Counter[str] = Counter()
        for terms in papers:
            held = terms & wanted  # in C, like the rest of this loop
            if held:
                grouped.update(set(map(several.__getitem__, held)))
        counts.update(grouped)
    return TermCounts(counts, forms, keys)


def forms_by_use(wanted: Iterable[str], *counted: TermCounts) -> dict[str, tuple[str, ...]]:
    """The forms of each key in ``wanted`` the ``counted`` papers hold, the one most
    papers hold first (ties: the shorter, then in alphabetical order)."""
    chosen = set(wanted)
    used: dict[str, Counter[str]] = {key: Counter() for key in chosen}
    for counts in counted:
        for key, forms in counts.forms_of(chosen).items():
            for form in forms:
                used[key][form] += counts.forms[form]
    return {
        key: tuple(sorted(uses, key=lambda form: (-uses[form], len(form), form)))
        for key, uses in used.items()
    }
