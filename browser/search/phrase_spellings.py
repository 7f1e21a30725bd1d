"""A phrase's compounds spelled both ways: ``"github code"`` is also ``"git hub code"``.

The index holds a compound written in parts (``GitHub``, ``multi-task``, ``GPT-4``) as
its parts at consecutive positions, with the joined form (``github``) beside the first
part (``browser.text.tokens``). A phrase compares positions, so ``"github code"`` looked
for ``code`` right after ``github``, where ``hub`` stands, and missed every paper that
wrote ``GitHub code``; ``"multi-task learning"`` looked for ``learning`` after ``task``
and missed the papers that wrote ``multitask learning``. A reader sees the same words in
both, so a phrase is searched in each spelling of its compounds (an OR of phrases):

* a word written in parts also as its joined form (``multi-task`` -> ``multitask``);
* a word written joined also as the parts the library's vocabulary splits it into
  (``github`` -> ``git hub``), when the vocabulary holds the word itself (some paper
  has it, joined or as a compound) and each part: the fewest parts, at most
  ``MAX_PARTS``. A split the tokeniser never made (``dataset`` -> ``data set``) only
  finds papers where those words stand in that order, which read the same.

CJK runs are left as written: their characters already are a phrase. Pure text.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Sequence
from typing import Any, Final

from whoosh import query as wq

from browser.text.tokens import WORD_RUN_PATTERN, is_cjk, tokenise

__all__ = ["MAX_PARTS", "MAX_SPELLINGS", "keep_written_case", "phrase_spellings", "splits_of"]

# A joined word is split into at most this many parts (``gpt4o`` -> ``gpt``, ``4``, ``o``).
MAX_PARTS: Final = 3
# Splits of one word kept (the ones whose rarest part is most frequent): every split
# is another phrase to match, and the second best was noise (``gi thub``, ``datas et``).
MAX_SPLITS: Final = 1
# Spellings of one phrase searched, the one as written first: each is a phrase to match.
MAX_SPELLINGS: Final = 4

# A phrase's words as the query parser finds them (``schema.QUERY_WORDS``), case kept.
_WORD_RUN_WORDS: Final = re.compile(WORD_RUN_PATTERN)


def phrase_spellings(written: Sequence[str], frequency: Callable[[str], int]) -> list[list[str]]:
    """Each spelling of a phrase as folded, unstemmed words, the one as written first
    (possibly empty: stop words only), at most ``MAX_SPELLINGS``, without repeats.

    ``written``: the phrase's words as the parser found them (``keep_written_case``);
    ``frequency(word)``: how many papers hold a folded word (0 for none), the
    vocabulary's count.
    """
    options = [_word_spellings(word, frequency) for word in written]
    spellings: list[list[str]] = []
    for choice in itertools.product(*options):
        words = [part for parts in choice for part in parts]
        if words not in spellings:
            spellings.append(words)
        if len(spellings) == MAX_SPELLINGS:
            break
    return spellings


def _word_spellings(word: str, frequency: Callable[[str], int]) -> list[tuple[str, ...]]:
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
    return [parts, *splits_of(parts[0], frequency)]


def splits_of(word: str, frequency: Callable[[str], int]) -> list[tuple[str, ...]]:
    """How ``word`` (folded) splits into words the vocabulary holds: the fewest parts
    (2, else up to ``MAX_PARTS``), at most ``MAX_SPLITS`` of them, the split whose rarest
    part is most frequent first; none when the vocabulary lacks ``word`` itself."""
    if frequency(word) == 0:
        return []
    for count in range(2, MAX_PARTS + 1):
        cut_up = (
            _cut(word, cuts) for cuts in itertools.combinations(range(1, len(word)), count - 1)
        )
        found = [parts for parts in cut_up if all(map(frequency, parts))]
        if found:
            found.sort(key=lambda parts: -min(map(frequency, parts)))
            return found[:MAX_SPLITS]
    return []


def _cut(word: str, cuts: tuple[int, ...]) -> tuple[str, ...]:
    bounds = (0, *cuts, len(word))
    return tuple(word[start:end] for start, end in itertools.pairwise(bounds))


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
