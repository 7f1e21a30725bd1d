"""A paper's identity: the normalised title and the stable id derived from it.

The id must be the same on every machine and every run, because tags are keyed
by it; change this module only with a migration for existing tag files
(``IDENTITY_VERSION`` tells ``browser.identity_migration`` that one is due).

Version 2 (issue 13) removes invisible characters (``browser.text.normalise``'s
default-ignorable set: zero-width space and joiners, soft hyphen, BOM, bidi marks)
before anything else, so a title copied with them is the same paper as the one
without. Ligatures and full-width letters were already one paper through NFKC. Ids of
titles without invisible characters are exactly those of version 1 (a test pins them).
"""

from __future__ import annotations

import hashlib
import re
import unicodedata

from browser.text.normalise import remove_ignorable

# \texttt{X}, \mathbf{X}, \emph{X} ... keep the argument, drop the command.
_COMMAND_WITH_ARGUMENT = re.compile(r"\\[A-Za-z]+\*?\s*\{([^{}]*)\}")
# Any other \command (\pi, \alpha, \,) disappears, including a one-symbol command.
_BARE_COMMAND = re.compile(r"\\(?:[A-Za-z]+\*?|.)")
_NON_WORD = re.compile(r"[\W_]+")

_LATEX_MARKERS = ("\\", "$", "{", "}")

ID_PREFIX = "hf-"
# Raised whenever ids of existing titles change; catalogs record the version they hold.
IDENTITY_VERSION = 2
_ID_HEX_DIGITS = 16


def strip_latex(text: str) -> str:
    """Remove LaTeX markup, keeping the words it wraps: ``\\texttt{LLM}$^2$`` -> ``LLM^2``."""
    previous = None
    # Nested groups (\textbf{\emph{x}}) unwrap one level per pass.
    while previous != text:
        previous = text
        text = _COMMAND_WITH_ARGUMENT.sub(r"\1", text)
    text = _BARE_COMMAND.sub(" ", text)
    return text.replace("$", "").replace("{", "").replace("}", "")


def normalize_title(title: str) -> str:
    """How two titles are compared: invisible characters removed, NFKC, case-folded,
    LaTeX removed, punctuation collapsed.

    Not ``browser.text.normalise`` whole: its accent folding and its case-folding
    closure would change the ids of titles with accents or polytonic Greek, and ids
    only change with a migration. The steps it shares are the same functions.
    """
    if not title.isascii():
        title = remove_ignorable(title)
    text = unicodedata.normalize("NFKC", title)
    # Most titles carry no LaTeX; skipping the regexes halves the cost of an id.
    if any(marker in text for marker in _LATEX_MARKERS):
        text = unicodedata.normalize("NFKC", strip_latex(text))
    text = text.casefold()
    return _NON_WORD.sub(" ", text).strip()


def paper_id(title: str) -> str:
    """Stable id of the paper with this title: ``hf-`` and 16 hex digits of SHA-256."""
    key = normalize_title(title) or title.strip()
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()
    return ID_PREFIX + digest[:_ID_HEX_DIGITS]
