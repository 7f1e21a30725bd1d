"""Inline LaTeX in titles and abstracts, shown as the Unicode text a reader expects.

Display only: search, export and paper identity keep the stored text. So the
conversion also maps character offsets (search highlight spans) from the stored
text onto the shown text.

What is converted, and what is left as written:

- ``$...$`` spans, recognised with pandoc's ``tex_math_dollars`` rule: the opening
  ``$`` has a non-space character right after it, the closing ``$`` a non-space
  character right before it and no digit right after it. So ``$5 and $10`` or
  ``costs $3-$4`` stay prose.
- a few text commands outside math (``\\texttt{SAILOR}``, ``\\textbf``, ``\\emph`` ...)
  whose argument is plain text.
- Each span is parsed strictly by pylatexenc and converted with its latex-to-text
  (``math_mode="text"``); a span with a macro or environment pylatexenc does not know,
  a parse error, or an empty result stays exactly as written, because dropping an
  unknown command would lose what the author wrote.
- Super- and subscripts become Unicode modifier characters when Unicode has one for
  every character of the script (the table is read from the Unicode character
  database's ``<super>``/``<sub>`` decompositions, not typed in); a one-symbol script
  that has none stays as ``x^q``; a longer one leaves the whole span as written.

Prose with backslashes (``C:\\path``) or a lone ``$`` is never touched.
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from dataclasses import dataclass
from functools import cache, lru_cache

from pylatexenc import latex2text, latexwalker, macrospec

# pandoc's tex_math_dollars: no space inside either delimiter, no digit after the
# closing one; a doubled or escaped $ is not a delimiter.
_INLINE_MATH = re.compile(r"(?<![\\$])\$(?=[^\s$])([^$\n]*?[^\s$\\])\$(?![\d$])")
# Text-mode commands whose one argument is plain text, outside math.
_TEXT_COMMANDS = ("texttt", "textbf", "textit", "textsl", "textsc", "textsf", "textrm",
                  "textup", "textnormal", "emph", "underline")  # fmt: skip
_TEXT_COMMAND = re.compile(r"\\(?:" + "|".join(_TEXT_COMMANDS) + r")\{[^{}\\$\n]*\}")
# A script: ^ or _ (not the escaped \^ \_) and a group or a single character.
_SCRIPT = re.compile(r"(?<!\\)([\^_])(?:\{([^{}]*)\}|(\\[A-Za-z]+|[^\s{}\\]))")
_SINGLE_SYMBOL = re.compile(r"\\[A-Za-z]+|.", re.DOTALL)
# Macros pylatexenc's default database lacks, all of which render their argument.
_EXTRA_MACROS = (
    ("texttt", "%s"),
    ("textsf", "%s"),
    ("textup", "%s"),
    ("textnormal", "%s"),
    ("boldsymbol", "%s"),
    ("bm", "%s"),
    ("mbox", "%s"),
    ("operatorname", "%s"),
    ("left", ""),
    ("right", ""),
)


@dataclass(frozen=True)
class ReadableText:
    """Text as shown, and where each converted piece came from.

    ``pieces`` holds ``(stored_start, stored_end, shown_start, shown_end)`` for every
    converted span, in order; text between them is copied one to one.
    """

    stored: str
    text: str
    pieces: tuple[tuple[int, int, int, int], ...] = ()

    @property
    def changed(self) -> bool:
        return bool(self.pieces)

    def shown_offset(self, stored_offset: int, *, end: bool = False) -> int:
        """Where a stored offset lands in the shown text.

        An offset inside a converted span lands at its start (or, with ``end``, its
        end), so a highlight touching a formula covers all of what replaced it.
        """
        starts = [piece[0] for piece in self.pieces]
        index = bisect.bisect_right(starts, stored_offset) - 1
        if index < 0:
            return stored_offset
        stored_start, stored_end, shown_start, shown_end = self.pieces[index]
        if stored_offset == stored_start:
            return shown_start
        if stored_offset < stored_end:
            return shown_end if end else shown_start
        return shown_end + (stored_offset - stored_end)

    def shown_span(self, start: int, end: int) -> tuple[int, int]:
        """A stored ``[start, end)`` span as a span of the shown text."""
        return self.shown_offset(start), self.shown_offset(end, end=True)


@cache
def _parse_db() -> macrospec.LatexContextDb:
    """How to parse: pylatexenc's macros, plus ours with their one argument."""
    db = latexwalker.get_default_latex_context_db()  # a fresh copy, ours to extend
    db.add_context_category(
        "paper-browser",
        macros=[macrospec.MacroSpec(name, "{" if text else "") for name, text in _EXTRA_MACROS],
        prepend=True,
    )
    return db


@cache
def _text_db() -> macrospec.LatexContextDb:
    """What pylatexenc can turn into text: the macros a span may use."""
    db = latex2text.get_default_latex_context_db()
    db.add_context_category(
        "paper-browser",
        macros=[latex2text.MacroTextSpec(name, text) for name, text in _EXTRA_MACROS],
        prepend=True,
    )
    return db


@cache
def _converter() -> latex2text.LatexNodes2Text:
    return latex2text.LatexNodes2Text(math_mode="text", latex_context=_text_db())


@cache
def _script_tables() -> dict[str, dict[str, str]]:
    """``{"^": {"2": "²", ...}, "_": {...}}`` from the Unicode character database."""
    tables: dict[str, dict[str, str]] = {"^": {}, "_": {}}
    for code in range(0xA0, 0x10000):
        decomposition = unicodedata.decomposition(chr(code))
        tag, _, base = decomposition.partition(" ")
        if tag not in ("<super>", "<sub>") or " " in base:
            continue
        table = tables["^" if tag == "<super>" else "_"]
        table.setdefault(chr(int(base, 16)), chr(code))
    for table in tables.values():
        # Unicode's script minus decomposes to MINUS SIGN; TeX sources type a hyphen.
        if "\u2212" in table:
            table.setdefault("-", table["\u2212"])
    return tables


def _unicode_scripts(source: str) -> str | None:
    """``source`` with scripts made Unicode; None when a longer script has no Unicode form."""
    tables = _script_tables()
    failed = False

    def replace(match: re.Match[str]) -> str:
        nonlocal failed
        kind, group, single = match.group(1), match.group(2), match.group(3)
        body = group if group is not None else single
        table = tables[kind]
        if body and all(char in table for char in body):
            return "".join(table[char] for char in body)
        if _SINGLE_SYMBOL.fullmatch(body.strip()):
            return kind + body.strip()  # x^q, x^\alpha: readable as written
        failed = True
        return match.group()

    converted = _SCRIPT.sub(replace, source)
    return None if failed else converted


def _all_known(nodes: list[latexwalker.LatexNode] | None) -> bool:
    """True when pylatexenc can render every node; any unknown piece leaves the span."""
    return all(_known(node) for node in nodes or [] if node is not None)


def _known(node: latexwalker.LatexNode) -> bool:
    if isinstance(node, latexwalker.LatexMacroNode):
        arguments = node.nodeargd.argnlist if node.nodeargd is not None else []
        return _text_db().get_macro_spec(node.macroname) is not None and _all_known(arguments)
    if isinstance(node, latexwalker.LatexGroupNode | latexwalker.LatexMathNode):
        return _all_known(node.nodelist)
    if isinstance(node, latexwalker.LatexSpecialsNode):
        return node.specials_chars not in ("&", "#")  # alignment and parameters
    # An environment (array, cases) has no faithful one-line form; a comment is not text.
    return not isinstance(node, latexwalker.LatexEnvironmentNode | latexwalker.LatexCommentNode)


@lru_cache(maxsize=8192)
def _convert_span(source: str) -> str | None:
    """One ``$...$`` span or text command as Unicode text, or None to leave it as written."""
    if source.startswith("$"):
        scripted = _unicode_scripts(source)
        if scripted is None:
            return None
        source = scripted
    try:
        walker = latexwalker.LatexWalker(source, latex_context=_parse_db(), tolerant_parsing=False)
        nodes, _, _ = walker.get_latex_nodes()
    except latexwalker.LatexWalkerError:
        return None
    if not _all_known(nodes):
        return None
    try:
        text = str(_converter().nodelist_to_text(nodes))
    except Exception:  # pylatexenc is third-party: any failure means "leave it"
        return None
    text = text.strip()
    if not text or "\\" in text or "\n" in text:
        return None
    return text


@lru_cache(maxsize=4096)
def readable_math(text: str) -> ReadableText:
    """``text`` with inline math and plain text commands as Unicode (see the module doc)."""
    if "$" not in text and "\\" not in text:
        return ReadableText(text, text)
    spans = sorted(
        [(m.start(), m.end()) for m in _INLINE_MATH.finditer(text)]
        + [(m.start(), m.end()) for m in _TEXT_COMMAND.finditer(text)]
    )
    out: list[str] = []
    pieces: list[tuple[int, int, int, int]] = []
    position = shown = 0
    for start, end in spans:
        if start < position:
            continue  # a text command inside a formula: converted with it
        converted = _convert_span(text[start:end])
        if converted is None:
            continue
        out.append(text[position:start])
        shown += start - position
        out.append(converted)
        pieces.append((start, end, shown, shown + len(converted)))
        shown += len(converted)
        position = end
    if not pieces:
        return ReadableText(text, text)
    out.append(text[position:])
    return ReadableText(text, "".join(out), tuple(pieces))


# Characters that end or break inline math when a ``$...$`` span is written into a LaTeX
# file: % starts a comment, & and # are alignment and parameter characters.
_UNSAFE_IN_LATEX_MATH = frozenset("%&#")


def latex_math_spans(text: str) -> list[tuple[int, int]]:
    """``[start, end)`` of each ``$...$`` span of ``text`` that is LaTeX math to keep as math.

    The spans :func:`readable_math` recognises (pandoc's dollar rule) that pylatexenc
    parses strictly, with balanced braces and without ``%``, ``&`` or ``#``: such a span
    can be written into a LaTeX file (BibTeX) as it is and compiles as the author's
    formula. Other dollars are prose, to be escaped.
    """
    if "$" not in text:
        return []
    return [
        (match.start(), match.end())
        for match in _INLINE_MATH.finditer(text)
        if _parses_as_math(match.group())
    ]


@lru_cache(maxsize=4096)
def _parses_as_math(span: str) -> bool:
    if not span.isprintable() or _UNSAFE_IN_LATEX_MATH & set(span):
        return False
    # Every brace counts, escaped or not: BibTeX counts \{ too, and one alone ends a field.
    depth = 0
    for char in span:
        depth += {"{": 1, "}": -1}.get(char, 0)
        if depth < 0:
            return False
    if depth:
        return False
    try:
        walker = latexwalker.LatexWalker(span, latex_context=_parse_db(), tolerant_parsing=False)
        nodes, _, _ = walker.get_latex_nodes()
    except latexwalker.LatexWalkerError:
        return False
    return len(nodes) == 1 and isinstance(nodes[0], latexwalker.LatexMathNode)
