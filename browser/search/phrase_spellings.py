"""A phrase's compounds spelled both ways: ``"github code"`` is also ``"git hub code"``.

The index holds a compound written in parts (``GitHub``, ``multi-task``, ``GPT-4``) as
its parts at consecutive positions, with the joined form (``github``) beside the first
part (``browser.text.tokens``). A phrase compares positions, so ``"github code"`` looked
for ``code`` right after ``github``, where ``hub`` stands, and missed every paper that
wrote ``GitHub code``; ``"multi-task learning"`` looked for ``learning`` after ``task``
and missed the papers that wrote ``multitask learning``. A reader sees the same words in
both, so a phrase is searched in each spelling of its compounds (an OR of phrases):

* a word written in parts also as its joined form (``multi-task`` -> ``multitask``);
* two neighbouring words also joined, when the vocabulary holds the joined word
  (``"multi task learning"`` finds ``multitask learning``);
* a word written joined also as the parts the library's vocabulary splits it into
  (``github`` -> ``git hub``), when the vocabulary holds the word itself (some paper
  has it, joined or as a compound) and two parts as words, not fragments (``splits_of``).
  A split the tokeniser never made (``dataset`` -> ``data set``) only finds papers
  where those words stand in that order, which read the same.

CJK runs are left as written: their characters already are a phrase. Whoosh's query
nodes only (``keep_written_case``), no internals.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterator, Sequence
from typing import Any, Final

from whoosh import query as wq

from browser.text.tokens import WORD_RUN_PATTERN, is_cjk, tokenise

__all__ = ["MAX_SPELLINGS", "keep_written_case", "phrase_spellings", "splits_of"]

# Spellings of one phrase searched, the one as written first: each is a phrase to match.
MAX_SPELLINGS: Final = 5
# A joined word splits into two parts, the second of at least this many letters: a
# one-letter tail made every plural a compound (``model s``) and lit up stray letters.
# A one-letter head stays (``iPhone``, ``eBay``); other compounds with a one-letter part
# (``GPT4o``, ``Command-R``) are split by the tokeniser, case or not.
MIN_TAIL: Final = 2
# A part is a word when at least this share of the papers holding the joined word hold
# it: every paper that wrote the compound holds its parts (``github``: ``git``, ``hub``),
# while a fragment is rarer than the word it cuts (``learning``: ``learni`` + ``ng``).
MIN_PART_SHARE: Final = 0.25
# Longer words are not split (a DNA run, base64): the cuts tried grow with the length.
MAX_SPLIT_LENGTH: Final = 24

# A phrase's words as the query parser finds them (``schema.QUERY_WORDS``), case kept.
_WORD_RUN_WORDS: Final = re.compile(WORD_RUN_PATTERN)

# One written word's spellings: as written (its parts), then its other spelling if any.
_Options = list[tuple[str, ...]]


def phrase_spellings(written: Sequence[str], frequency: Callable[[str], int]) -> list[list[str]]:
    """Each spelling of a phrase as folded, unstemmed words, the one as written first
    (possibly empty: stop words only), at most ``MAX_SPELLINGS``, without repeats.

    In this order, the likeliest first: every compound written in parts joined, then
    each alone; two neighbouring words joined; every joined word split, then each alone.
    ``written``: the phrase's words as the parser found them (``keep_written_case``);
    ``frequency(word)``: how many papers hold a folded word (0 for none), the
    vocabulary's count.
    """
    splits: dict[str, list[tuple[str, ...]]] = {}

    def split(word: str) -> list[tuple[str, ...]]:
        if word not in splits:  # a phrase may repeat a word
            splits[word] = splits_of(word, frequency)
        return splits[word]

    options = [_word_spellings(word, split) for word in written]
    as_written = [choices[0] for choices in options]
    joinable = [
        at for at, word in enumerate(written) if len(options[at]) > 1 and len(as_written[at]) > 1
    ]
    splittable = [at for at in range(len(written)) if len(options[at]) > 1 and at not in joinable]
    candidates = itertools.chain(
        [as_written],
        _changed(options, joinable),
        _pairs_joined(as_written, frequency),
        _changed(options, splittable),
    )
    spellings: list[list[str]] = []
    for choice in candidates:
        words = [part for parts in choice for part in parts]
        if words not in spellings:
            spellings.append(words)
            if len(spellings) == MAX_SPELLINGS:
                break
    return spellings


def _changed(options: list[_Options], where: list[int]) -> Iterator[list[tuple[str, ...]]]:
    """The phrase as written with every word of ``where`` in its other spelling, then
    with each of them alone."""
    as_written = [choices[0] for choices in options]
    for changed in ([where] if len(where) > 1 else []) + [[at] for at in where]:
        yield [options[at][1] if at in changed else parts for at, parts in enumerate(as_written)]


def _pairs_joined(
    as_written: list[tuple[str, ...]], frequency: Callable[[str], int]
) -> Iterator[list[tuple[str, ...]]]:
    """The phrase as written with two neighbouring plain words joined, where the
    vocabulary holds the joined word (``multi task learning`` -> ``multitask learning``)."""
    for at in range(len(as_written) - 1):
        first, second = as_written[at], as_written[at + 1]
        if len(first) == 1 and len(second) == 1 and frequency(joined := first[0] + second[0]):
            yield [*as_written[:at], (joined,), *as_written[at + 2 :]]


def _word_spellings(word: str, split: Callable[[str], list[tuple[str, ...]]]) -> _Options:
    tokens = tokenise(word)
    parts = tuple(t.text for t in tokens if not t.derived)
    if not parts or any(is_cjk(char) for char in word):
        return [parts]
    if len(parts) > 1:
        first, *_, last = (t for t in tokens if not t.derived)
        joined = [
            t.text for t in tokens if t.derived and t.start == first.start and t.end == last.end
        ]
        return [parts, (joined[0],)] if joined else [parts]
    return [parts, *split(parts[0])]


def splits_of(word: str, frequency: Callable[[str], int]) -> list[tuple[str, ...]]:
    """The two words the vocabulary holds that ``word`` (folded) is made of, as a list of
    one pair or none: a tail of ``MIN_TAIL`` letters or more, each part held by at least
    ``MIN_PART_SHARE`` of the papers holding ``word``, the pair whose rarer part is
    commoner first. None when the vocabulary lacks ``word`` or it is longer than
    ``MAX_SPLIT_LENGTH``."""
    whole = frequency(word) if len(word) <= MAX_SPLIT_LENGTH else 0
    if not whole:
        return []
    needed = max(1, whole * MIN_PART_SHARE)
    best: tuple[str, str] | None = None
    best_count = 0
    for cut in range(1, len(word) - MIN_TAIL + 1):
        head, tail = word[:cut], word[cut:]
        count = min(frequency(head), frequency(tail))
        if count >= needed and count > best_count:
            best, best_count = (head, tail), count
    return [] if best is None else [best]


def keep_written_case(parsed: Any, text: str) -> None:
    """Give each phrase of ``parsed`` its words as written in ``text`` (``written_words``),
    where they are the parser's words but for case.

    Whoosh's parser lowercases a phrase's words, and case splits a word into the parts
    the index holds at their own positions (``arXiv`` -> ``ar``, ``xiv``, with ``arxiv``
    beside ``ar``): ``"arXiv 2004.11967"`` read as ``arxiv 2004.11967`` looked for the
    id right after ``arxiv``'s position, where ``xiv`` is, and found nothing though an
    abstract cites ``arXiv:2004.11967``. So do ``"Google DeepMind"``, ``"MixFormer
    model"`` and every name a reader sees written in mixed case."""
    for leaf in parsed.leaves():
        if not isinstance(leaf, wq.Phrase) or leaf.startchar is None or leaf.endchar is None:
            continue
        written = text[leaf.startchar : leaf.endchar]
        opening, closing = written.find('"'), written.rfind('"')
        if not 0 <= opening < closing:
            continue
        words = _WORD_RUN_WORDS.findall(written[opening + 1 : closing])
        if [word.lower() for word in words] == list(leaf.words):
            leaf.written_words = words
