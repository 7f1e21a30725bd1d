"""The forms of one term counted as one, as the search groups them.

``dataset``, ``datasets`` and ``data-set`` are one word to the search, and so are
``behaviour`` and ``behavior``, or the phrases ``diffusion model`` and ``diffusion
models``: each word is tokenised, spelt the American way and stemmed as the index does
(``browser.text.word_term``). Listed apart they would crowd out other terms and split
the evidence for a rise between them; grouped, a paper that writes two forms counts once
and the row's search finds every form it counted.

So a paper's terms (``PaperTerms``) are two sets: the search's term of each of its words
and phrases (``keys``, what is counted: one ``Counter.update`` per paper, in C) and the
words and phrases as written (``forms``, folded: what a row shows). The forms of each
word's key met so far are kept (``remember``), so that the forms of the few rows shown
are found with one set intersection per paper holding them, without walking every form
again.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Final, NamedTuple

from browser.text.word_term import word_term

__all__ = ["NO_TERMS", "PaperTerms", "forms_by_use", "remember", "term_key", "terms_of_forms"]

# The forms of each word's key met so far (a phrase's are those of its two words). Distinct
# words at 100k papers: about 100k; cleared whole past this (pasted text must not grow
# it), which costs only the slow path of ``forms_by_use``.
_FORMS: dict[str, set[str]] = {}
_FORMS_MAX: Final = 500_000
_forms_kept = 0


def remember(form: str, key: str) -> bool:
    """Keep ``form`` (one word) as a form of ``key``; False when what was kept had to be
    forgotten first, so that callers caching what they remembered forget it too."""
    global _forms_kept
    kept = True
    if _forms_kept >= _FORMS_MAX:
        _FORMS.clear()
        _forms_kept = 0
        kept = False
    _FORMS.setdefault(key, set()).add(form)
    _forms_kept += 1
    return kept


class PaperTerms(NamedTuple):
    """The terms of one paper: the search's term of each (``keys``) and as written
    (``forms``)."""

    keys: frozenset[str]
    forms: frozenset[str]


NO_TERMS: Final = PaperTerms(frozenset(), frozenset())


def term_key(term: str) -> str:
    """What the search makes of a term: each word's ``word_term`` (folded, a compound
    joined, American spelling, Snowball stem), a phrase's in order."""
    return " ".join(map(word_term, term.split(" ")))


def terms_of_forms(forms: Iterable[str]) -> PaperTerms:
    """The terms of a paper holding these words and two-word phrases (as written)."""
    forms = frozenset(forms)
    for form in forms:
        for word in form.split(" "):
            remember(word, word_term(word))
    return PaperTerms(frozenset(map(term_key, forms)), forms)


def _known_forms(key: str) -> frozenset[str]:
    """Every form of ``key`` met so far: a phrase's, its words' forms side by side."""
    first, space, second = key.partition(" ")
    if not space:
        return frozenset(_FORMS.get(key, ()))
    return frozenset(
        f"{one} {other}" for one in _FORMS.get(first, ()) for other in _FORMS.get(second, ())
    )


def forms_by_use(wanted: Iterable[str], papers: Sequence[PaperTerms]) -> dict[str, tuple[str, ...]]:
    """The forms of each key in ``wanted`` the ``papers`` hold, the one most papers hold
    first (ties: the shorter, then in alphabetical order)."""
    chosen = frozenset(wanted)
    used: dict[str, Counter[str]] = {key: Counter() for key in chosen}
    known = {key: _known_forms(key) for key in chosen}
    for paper in papers:
        held = paper.keys & chosen  # in C: most papers hold none of the rows shown
        for key in held:
            forms = paper.forms & known[key]
            if not forms:  # forgotten since (``_FORMS_MAX``): find them the slow way
                forms = frozenset(form for form in paper.forms if term_key(form) == key)
            used[key].update(forms)
    return {
        key: tuple(sorted(uses, key=lambda form: (-uses[form], len(form), form)))
        for key, uses in used.items()
    }
