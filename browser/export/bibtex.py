"""Papers to BibTeX: one ``@misc`` entry per paper, for LaTeX, Zotero, JabRef and BibDesk.

``@misc`` with ``eprint``/``archivePrefix``/``url`` is what arXiv's own "Export
BibTeX citation" writes for a preprint, and what biblatex's eprint support reads;
``@article`` with ``journal = {arXiv preprint ...}`` (Google Scholar's habit) claims a
journal that does not exist and trips styles that require volume/pages.

Text is untrusted: every LaTeX special character is escaped (``{ } % & $ # _ \\ ~ ^``) so that
braces in a value are always balanced,
TeX ligatures that would change the text (``--``, ``''``, ``?```) are broken with
``{}``, control characters are made visible and line breaks become spaces; other
Unicode is kept as UTF-8 (biber, XeLaTeX/LuaLaTeX and pdfLaTeX's utf8 input read it).
Words holding a capital letter are wrapped in braces so styles that lowercase titles
keep "LLMs" and "ImageNet" as written.

Inline math in titles and abstracts (``$\\pi$-Flow``, ``SOTOPIA-$π$``: the ``$...$``
spans ``readable_math`` recognises and that compile as LaTeX) is written as math, since
the dumps copy arXiv's LaTeX titles and a LaTeX user expects the formula typeset; every
other ``$`` is prose and escaped. The other formats keep the stored text as written.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from typing import TextIO

from browser.export.rows import (
    ExportRow,
    arxiv_id_of,
    ascii_word,
    one_line,
    web_link,
)
from browser.readable_math import latex_math_spans

# The months as BibTeX's standard macros (unquoted in the entry).
MONTH_MACROS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_SPECIALS = {
    "\\": r"\textbackslash{}",
    # Not \{ and \}: BibTeX counts those braces, and one alone would end the field.
    "{": r"\textbraceleft{}",
    "}": r"\textbraceright{}",
    "%": r"\%",
    "&": r"\&",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
}
_SPECIAL = re.compile(r"[\\{}%&$#_~^]")
# Pairs TeX would merge into another character: -- (en dash), '' and `` (quotes),
# ?` and !` (inverted marks), << and >> (guillemets in T1 fonts).
_LIGATURE = re.compile(
    r"(?<=-)(?=-)|(?<=')(?=')|(?<=`)(?=`)|(?<=[?!])(?=`)|(?<=<)(?=<)|(?<=>)(?=>)"
)
# Words that do not carry a citation key ("A Survey of ..." -> survey).
_KEY_STOPWORDS = frozenset(
    {"a", "an", "the", "of", "on", "in", "for", "to", "and", "with", "via", "by", "is", "are"}
)
_KEY_WORD_LIMIT = 20


def escape_latex(text: str) -> str:
    """``50% of R&D_x`` -> ``50\\% of R\\&D\\_x``: text that LaTeX prints as given.

    Also one line: control characters made visible, whitespace runs one space.
    """
    return _escape_one_line(one_line(text))


def _escape_one_line(text: str) -> str:
    text = _SPECIAL.sub(lambda match: _SPECIALS[match.group()], text)
    return _LIGATURE.sub("{}", text)


def escape_latex_keeping_math(text: str) -> str:
    """Like :func:`escape_latex`, but inline math (``$\\pi$``, as ``readable_math``
    recognises it and LaTeX can compile it) is written as math, not as escaped dollars."""
    text = one_line(text)
    pieces: list[str] = []
    position = 0
    for start, end in latex_math_spans(text):
        pieces.append(_escape_one_line(text[position:start]))
        pieces.append(text[start:end])
        position = end
    pieces.append(_escape_one_line(text[position:]))
    return "".join(pieces)


def bibtex_title(title: str) -> str:
    """The title escaped, its math kept as math, and each word holding a capital letter
    (a formula counts as part of its word) protected in braces."""
    text = one_line(title)
    inside_math = bytearray(len(text))
    for start, end in latex_math_spans(text):
        inside_math[start:end] = b"\x01" * (end - start)
    # Words end at spaces outside formulas: "$O(n \\log n)$" stays one word.
    words, start = [], 0
    for index, char in enumerate(text):
        if char == " " and not inside_math[index]:
            words.append(text[start:index])
            start = index + 1
    words.append(text[start:])
    protected = []
    for word in words:
        escaped = escape_latex_keeping_math(word)
        protected.append(f"{{{escaped}}}" if any(char.isupper() for char in word) else escaped)
    return " ".join(protected)


def citation_key(row: ExportRow) -> str:
    """A readable key that names the same paper on every export: who, year, first word,
    and four hex digits of the paper id, e.g. ``nvidia2024scaling_3fa2``.

    Who is the first author's family name, else the organisation, else the title's
    first word. The hex suffix makes keys unique without numbering collisions (a/b
    suffixes would change a key when another paper joins the export).
    """
    paper = row.paper
    words = [
        word
        for word in (ascii_word(raw)[:_KEY_WORD_LIMIT] for raw in one_line(row.shown_title).split())
        if word and word not in _KEY_STOPWORDS
    ]
    who = ""
    if paper is not None and paper.author_names:
        who = ascii_word(_family_name(paper.author_names[0]))
    if not who and paper is not None and paper.organization is not None:
        who = ascii_word(paper.organization.slug or paper.organization.name)
    if not who and words:
        who = words.pop(0)
    year = str(paper.date.year) if paper is not None and paper.date else ""
    first_word = words[0] if words else ""
    digest = hashlib.sha256(row.paper_id.encode("utf-8")).hexdigest()[:4]
    return f"{who[:_KEY_WORD_LIMIT] or 'paper'}{year}{first_word}_{digest}"


def _family_name(name: str) -> str:
    """``Smith, Jane`` and ``Jane Smith`` -> ``Smith``."""
    if "," in name:
        return name.split(",", 1)[0]
    parts = name.split()
    return parts[-1] if parts else ""


def bibtex_fields(row: ExportRow) -> list[tuple[str, str]]:
    """(name, value as written) for one entry, in the order written; values are braced
    except the month macro."""
    paper = row.paper
    fields: list[tuple[str, str]] = [("title", "{" + bibtex_title(row.shown_title) + "}")]
    if paper is not None and paper.author_names:
        names = " and ".join(escape_latex(name) for name in paper.author_names if name.strip())
        fields.append(("author", "{" + names + "}"))
    if paper is not None and paper.date is not None:
        fields.append(("year", "{" + str(paper.date.year) + "}"))
        fields.append(("month", MONTH_MACROS[paper.date.month - 1]))
    arxiv = arxiv_id_of(paper)
    if arxiv:
        fields.append(("eprint", "{" + escape_latex(arxiv) + "}"))
        fields.append(("archivePrefix", "{arXiv}"))
    url = web_link(paper)
    if url:
        # A URL is not text: LaTeX's \url reads it verbatim, so only braces need care.
        fields.append(("url", "{" + url.replace("{", "%7B").replace("}", "%7D") + "}"))
    if paper is not None and paper.abstract.strip():
        fields.append(("abstract", "{" + escape_latex_keeping_math(paper.abstract) + "}"))
    if row.tags:
        fields.append(("keywords", "{" + ", ".join(escape_latex(tag) for tag in row.tags) + "}"))
    if row.note and row.note.strip():
        fields.append(("note", "{" + escape_latex(row.note) + "}"))
    return fields


def write_bibtex(out: TextIO, rows: Iterable[ExportRow]) -> int:
    """Write one ``@misc`` entry per row, a blank line between; returns entries written."""
    written = 0
    for row in rows:
        if written:
            out.write("\n")
        out.write(f"@misc{{{citation_key(row)},\n")
        fields = bibtex_fields(row)
        width = max(len(name) for name, _ in fields)
        for number, (name, value) in enumerate(fields):
            separator = "," if number < len(fields) - 1 else ""
            out.write(f"  {name.ljust(width)} = {value}{separator}\n")
        out.write("}\n")
        written += 1
    return written
