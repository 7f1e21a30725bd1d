"""Abbreviations in a query, both ways: ``RL`` also matches "reinforcement learning",
``reinforcement learning`` also matches "RL", each noted for the notice.

The notes read as the library writes things: ``VLMs: vision-language model``,
``LoRA: low-rank adaptation``, ``chain of thought: CoT`` (one per meaning, the long form
with its stop words; see ``browser.text.acronyms.AcronymTable.labels``). The other form
weighs ``EXPANSION_BOOST`` of the words typed, so a paper with the user's own words
ranks above one that only spells them the other way.
"""

from __future__ import annotations

import re
from typing import Any, Final

from whoosh import query as wq

from browser.search.schema import DEFAULT_FIELD, index_term
from browser.text.acronyms import AcronymTable, short_as_written
from browser.text.tokens import tokenise

__all__ = ["EXPANSION_BOOST", "MAX_LONG_FORM_WORDS", "AbbreviationRewriter"]

# Longest long form looked for among a query's words (``reinforcement learning from
# human feedback`` is four words once "from" is left out).
MAX_LONG_FORM_WORDS: Final = 6
# What an abbreviation's other form weighs beside the words typed.
EXPANSION_BOOST: Final = 0.5


class AbbreviationRewriter:
    """Rewrites one query at a time (``start``) against ``table``; ``notes`` are the
    expansions made, in order (``RL: reinforcement learning``)."""

    def __init__(self, table: AcronymTable) -> None:
        self.table = table
        self.notes: list[str] = []
        # The query text as typed: a short form is noted in the user's own letters.
        self._text = ""

    def start(self, text: str) -> None:
        """Begin the query ``text``: no notes yet."""
        self.notes = []
        self._text = text

    def long_form_queries(self, fieldname: str, word: str, boost: float) -> list[Any]:
        """What ``word`` (a normalised query word) also matches when it is a known
        abbreviation: its other number (``VLM``/``VLMs``) at ``boost``, its long forms as
        phrases at ``boost * EXPANSION_BOOST``, each meaning noted; [] for any other word."""
        short = self.table.short_key(word)
        if short is None:
            return []
        written = short_as_written(short, self._as_typed(word))
        self.notes.extend(f"{written}: {label}" for label in self.table.labels[short])
        own = index_term(word)
        queries: dict[tuple[str, ...], Any] = {(own,): None}
        for form in (short, f"{short}s"):
            if (term := index_term(form)) != own:
                queries[(term,)] = wq.Term(fieldname, term, boost=boost)
        for words in self.table.long_forms[short]:
            stems = tuple(index_term(word) for word in words)
            if stems not in queries:
                queries[stems] = (
                    wq.Phrase(fieldname, list(stems), boost=boost * EXPANSION_BOOST)
                    if len(stems) > 1
                    else wq.Term(fieldname, stems[0], boost=boost * EXPANSION_BOOST)
                )
        return [query for query in queries.values() if query is not None]

    def short_form_query(self, fieldname: str, words: list[str]) -> Any | None:
        """The short form of the long form ``words`` (normalised phrase words) as index
        terms, singular and plural, noted (``chain of thought: CoT``); None when the
        words are no known long form."""
        found = self.table.short_form_of(tuple(words))
        if found is None:
            return None
        short, label = found
        self.notes.append(f"{label}: {short_as_written(short)}")
        terms = dict.fromkeys(index_term(form) for form in (short, f"{short}s"))
        return wq.Or([wq.Term(fieldname, term, boost=EXPANSION_BOOST) for term in terms])

    def with_short_forms(self, parsed: Any) -> Any:
        """Runs of query words that spell out a known abbreviation also match it:
        ``reinforcement learning`` also finds "RL", ``supervised fine-tuning`` "SFT".
        The parsed words are raw (``planning`` stems them later); a run must take whole
        query words (not half a compound), stop words between them aside. The word
        being typed counts once it completes the long form."""
        if isinstance(parsed, wq.Term):
            children = [parsed]  # one compound word: ``chain-of-thought``
        elif isinstance(parsed, wq.And):
            children = list(parsed.subqueries)
        else:
            return parsed
        # (child index, word, whether the word starts its child, whether it ends it)
        words: list[tuple[int, str, bool, bool]] = []
        for index, child in enumerate(children):
            if not isinstance(child, wq.Term) or child.fieldname != DEFAULT_FIELD:
                continue
            parts = [t.text for t in tokenise(child.text) if not t.derived]
            for at, part in enumerate(parts):
                words.append((index, part, at == 0, at == len(parts) - 1))
        for size in range(min(MAX_LONG_FORM_WORDS, len(words)), 1, -1):
            for start in range(len(words) - size + 1):
                window = words[start : start + size]
                first, last = window[0][0], window[-1][0]
                if last - first >= 2 * size or not (window[0][2] and window[-1][3]):
                    continue  # not next to each other, or part of a compound only
                found = self.table.short_form_of(tuple(word for _i, word, _s, _e in window))
                if found is None:
                    continue
                short, label = found
                acronyms = []
                for form in (short, f"{short}s"):  # VLM and VLMs
                    acronym = wq.Term(DEFAULT_FIELD, form, boost=EXPANSION_BOOST)
                    # Planning takes it as an index term, never as an abbreviation again.
                    acronym.short_form = True
                    acronyms.append(acronym)
                group = wq.Or([wq.And(children[first : last + 1]), *acronyms])
                self.notes.append(f"{label}: {short_as_written(short)}")
                rest = [*children[:first], group, *children[last + 1 :]]
                return self.with_short_forms(wq.And(rest)) if len(rest) > 1 else group
        return parsed

    def _as_typed(self, word: str) -> str | None:
        """``word`` (normalised) as the query writes it (``vlms`` -> ``VLMs``), or None
        when it is not there letter for letter."""
        match = re.search(rf"(?<!\w){re.escape(word)}(?!\w)", self._text, re.IGNORECASE)
        return match.group(0) if match else None
