"""Pasted arXiv and Hugging Face links and ids, read as ``arxiv:ID`` terms.

A paper's arXiv id is indexed in the ``arxiv`` field, lower-cased and without its
version (the parsers keep ``2401.01234`` of ``2401.01234v2``). What a newcomer pastes is
rarely that: ``https://arxiv.org/abs/2401.01234v2``, ``arxiv.org/pdf/2401.01234.pdf``,
``arXiv:2401.01234``, ``https://huggingface.co/papers/2401.01234``, an old-style
``hep-th/9901001``, often inside angle brackets or followed by a full stop. Searched as
words, such a link found nothing (its parts are no paper's words). Each is rewritten to
the ``arxiv:`` term before the query is parsed, and the notice says so. Pure text.
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
_WRITTEN_ID: Final = re.compile(
    rf"""(?:
           (?P<link>(?:https?://)?(?:[\w-]+\.)?
             (?:arxiv\.org/(?:abs|pdf|html|format)/|(?:huggingface|hf)\.co/papers/))
         | arxiv:
        )?
        {_ID}
        (?(link)(?:\.pdf)?(?:[/?#]\S*)?)""",
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


@dataclass
class ReadIds:
    """The query with its links and ids as ``arxiv:`` terms, and what was read."""

    text: str
    # (as written, the id) for each one rewritten; ids written as ``arxiv:ID`` too.
    read: list[tuple[str, str]] = field(default_factory=list)

    @property
    def ids(self) -> list[str]:
        return [arxiv_id for _written, arxiv_id in self.read]

    def notice(self, known: Callable[[str], bool]) -> str | None:
        """One sentence per id: how it was read, and whether a paper has it
        (``known(id)``); None when nothing was read and every id is known."""
        sentences = []
        for written, arxiv_id in self.read:
            missing = "" if known(arxiv_id) else ": no paper in the library has it"
            if written == f"arxiv:{arxiv_id}":
                if missing:
                    sentences.append(f"No paper in the library has the arXiv id {arxiv_id}.")
                continue
            sentences.append(f"Read “{written}” as the arXiv id {arxiv_id}{missing}.")
        return " ".join(sentences) or None


def read_arxiv_ids(text: str) -> ReadIds:
    """``text`` with every pasted arXiv or Hugging Face paper link, ``arXiv:ID`` and bare
    arXiv id (outside quotes) written ``arxiv:ID`` (lower case, no version)."""
    read: list[tuple[str, str]] = []
    pieces: list[str] = []
    quoted = False
    for chunk in re.split(r"(\s+)", _SPACED_PREFIX.sub("arXiv:", text)):
        if quoted or not chunk or chunk.isspace() or '"' in chunk:
            # Inside a phrase, or a phrase of one word ("2004.11967"): the words as
            # written, since abstracts cite ids ("see arXiv:2004.11967").
            pieces.append(chunk)
        else:
            pieces.append(_as_term(chunk, read))
        quoted ^= chunk.count('"') % 2 == 1
    return ReadIds("".join(pieces), read)


def _as_term(token: str, read: list[tuple[str, str]]) -> str:
    unwrapped = token.lstrip(_LEAD)
    core = unwrapped.rstrip(_TRAIL)
    found = _WRITTEN_ID.fullmatch(core)
    if found is None:
        return token
    arxiv_id = found["id"].lower()
    read.append((core, arxiv_id))
    lead = "".join(c for c in token[: len(token) - len(unwrapped)] if c in _SYNTAX_LEAD)
    trail = "".join(c for c in unwrapped[len(core) :] if c in _SYNTAX_TRAIL)
    return f"{lead}arxiv:{arxiv_id}{trail}"
