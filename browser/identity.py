"""A paper's identity: the normalised title and the stable id derived from it.

The id must be the same on every machine and every run, because tags are keyed
by it; change this module only with a migration for existing tag files.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata

# \texttt{X}, \mathbf{X}, \emph{X} ... keep the argument, drop the command.
_COMMAND_WITH_ARGUMENT = re.compile(r"\\[A-Za-z]+\*?\s*\{([^{}]*)\}")
# Any other \command (\pi, \alpha, \,) disappears, including a one-symbol command.
_BARE_COMMAND = re.compile(r"\\(?:[A-Za-z]+\*?|.)")
_NON_WORD = re.compile(r"[\W_]+")

_LATEX_MARKERS = ("\\", "$", "{", "}")

ID_PREFIX = "hf-"
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
    """How two titles are compared: NFKC, case-folded, LaTeX removed, punctuation collapsed."""
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
