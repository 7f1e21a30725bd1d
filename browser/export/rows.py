"""What every export format reads about one paper: its row and the facts derived from it.

A row may lack its library paper (a tagged paper whose dump is gone): every helper
here then answers from what the row itself holds (id, title, tags, note).
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass
from urllib.parse import urlsplit

from browser.links import first_web_link
from browser.models import Paper
from browser.safe_text import safe_line

# New-style arXiv ids (2007 on: YYMM.NNNN, YYMM.NNNNN from 2015) and old-style ones
# (archive[.subject-class]/YYMMNNN), per arXiv's "Understanding the arXiv identifier".
ARXIV_ID = re.compile(
    r"(?<![\w.])(?:arxiv[:./ ]\s*)?"
    r"(?P<id>\d{4}\.\d{4,5}(?:v\d+)?|[a-z][a-z-]*(?:\.[A-Z]{2})?/\d{7}(?:v\d+)?)(?![\w.])",
    re.IGNORECASE,
)
_ARXIV_HOSTS = ("arxiv.org", "www.arxiv.org", "export.arxiv.org")
# Hugging Face's paper pages are named by the arXiv id of the paper.
_HF_PAPER_PATH = re.compile(r"^/papers/(\d{4}\.\d{4,5})(?:v\d+)?/?$")
# arXiv's DataCite DOIs (10.48550/arXiv.2403.01234) name the paper too.
_ARXIV_DOI = re.compile(r"10\.48550/arxiv\.(\d{4}\.\d{4,5})", re.IGNORECASE)
_VERSION = re.compile(r"v\d+$")

# Abbreviations whose full stop does not end a sentence.
_ABBREVIATIONS = frozenset(
    {"e.g", "i.e", "etc", "al", "vs", "fig", "figs", "eq", "eqs", "sec", "cf", "approx", "resp"}
)
_SENTENCE_END = re.compile(r"[.!?](?=[\"')\]]*(?:\s|$))")
FIRST_SENTENCE_LIMIT = 300


@dataclass
class ExportRow:
    """One paper to export: its tags, the library's paper when the dumps still have it,
    and the reader's note and read state when the user-data store keeps them."""

    paper_id: str
    title: str
    tags: list[str]
    paper: Paper | None = None
    note: str | None = None
    read: bool | None = None

    @property
    def shown_title(self) -> str:
        return self.title or (self.paper.title if self.paper else "")


def normalize_arxiv_id(raw: str) -> str:
    """``arXiv:2403.01234v2`` -> ``2403.01234``: the id without prefix or version."""
    match = ARXIV_ID.search(raw.strip())
    if match is None:
        return ""
    return _VERSION.sub("", match.group("id"))


def arxiv_id_in_link(link: str) -> str:
    """The arXiv id an arxiv.org, Hugging Face paper or arXiv DOI link names, else ''."""
    doi = _ARXIV_DOI.search(link)
    if doi:
        return doi.group(1)
    try:
        parts = urlsplit(link)
    except ValueError:
        return ""
    host = parts.netloc.lower()
    if host in _ARXIV_HOSTS:
        for prefix in ("/abs/", "/pdf/", "/html/"):
            if parts.path.startswith(prefix):
                found = parts.path[len(prefix) :].removesuffix(".pdf")
                return normalize_arxiv_id(found)
    if host in ("huggingface.co", "www.huggingface.co"):
        match = _HF_PAPER_PATH.match(parts.path)
        if match:
            return match.group(1)
    return ""


def arxiv_id_of(paper: Paper | None) -> str:
    """The paper's arXiv id: the dump's own field, else the first arXiv link; '' if none."""
    if paper is None:
        return ""
    if paper.arxiv_id:
        return normalize_arxiv_id(paper.arxiv_id) or paper.arxiv_id.strip()
    for link in paper.links:
        found = arxiv_id_in_link(link)
        if found:
            return found
    return ""


def web_link(paper: Paper | None) -> str:
    """The paper's arXiv page when its id is known, else its first web link, else ''."""
    arxiv = arxiv_id_of(paper)
    if arxiv:
        return f"https://arxiv.org/abs/{arxiv}"
    if paper is None:
        return ""
    return first_web_link(paper.links)


def listing_day(paper: Paper | None) -> dt.date | None:
    """The day the paper was listed on Daily Papers; None when its dumps do not say (its
    own date is a different day: the arXiv one, never put in its place)."""
    return None if paper is None else paper.listed


def one_line(text: str) -> str:
    """Untrusted text for one-line fields: control, bidi and invisible characters made
    visible (as on screen), every run of whitespace one space."""
    return " ".join(safe_line(text).split())


def first_sentence(text: str, limit: int = FIRST_SENTENCE_LIMIT) -> str:
    """The abstract's first sentence (abbreviations such as "e.g." do not end one),
    cut at ``limit`` characters with an ellipsis."""
    text = one_line(text)
    for match in _SENTENCE_END.finditer(text):
        before = text[: match.start()]
        word = before.rsplit(" ", 1)[-1].lstrip("([{\"'").casefold()
        # "e.g." / "et al." / an initial ("J. Smith") / a decimal do not end a sentence.
        if word in _ABBREVIATIONS or (len(word) == 1 and word.isalpha()):
            continue
        text = text[: match.end()]
        break
    if len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    return text


def ascii_word(text: str) -> str:
    """Lowercase ASCII letters and digits of ``text``: ``Naïve-Bayes`` -> ``naivebayes``."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if c.isascii() and c.isalnum()).lower()
