"""Read BibTeX entries back: ours, or re-exported by Zotero, JabRef or BibDesk.

Reference managers reorder fields, wrap long values over lines, add fields, change
the quoting (``{...}`` or ``"..."``), write ``@string`` macros and concatenations
with ``#``, and turn accented letters into LaTeX (``{\\"u}``). The reader follows
BibTeX's own grammar for that (text between entries is a comment; ``@comment``,
``@preamble`` and ``@string`` are not entries) and :func:`latex_to_text` (pylatexenc)
turns a value into the text it prints. A malformed entry is reported and skipped, never the
whole file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache

from pylatexenc import latex2text

# textcomp's symbol commands our export writes, as the characters they print
# (pylatexenc lacks the braces and prints \textasciicircum as U+02C6).
_TEXTCOMP = (
    ("textbraceleft", "{"),
    ("textbraceright", "}"),
    ("textasciicircum", "^"),
    ("textasciitilde", "~"),
    ("textbackslash", "\\"),
)
_ENTRY_START = re.compile(r"@\s*([A-Za-z][\w-]*)\s*([{(])")
_FIELD_NAME = re.compile(r"\s*([^\s=,{}()\"#%'~]+)\s*=\s*")
_BARE_VALUE = re.compile(r"[^\s,#{}()\"]+")


class BibtexSyntaxError(ValueError):
    """One entry that does not follow BibTeX's grammar; the message names its line."""


@dataclass
class BibEntry:
    """One entry: its type and key as written, fields by lowercase name (values as
    written, with braces and LaTeX), and the line where it starts (1-based)."""

    entry_type: str
    key: str
    fields: dict[str, str] = field(default_factory=dict)
    line: int = 0

    def text(self, name: str) -> str:
        """The field as the text it prints ('' when missing)."""
        return latex_to_text(self.fields.get(name, ""))


def latex_to_text(value: str) -> str:
    """``{LLMs} are {\\"u}ber \\& 50\\%`` -> ``LLMs are über & 50%``; whitespace collapsed.

    pylatexenc's latex-to-text reads the escapes our export writes and the accent and
    letter commands reference managers write; formatting commands keep their argument.
    Inline math stays as written (``$\\pi$-Flow``), as the library stores it, so an
    exported title matches its paper again on import.
    """
    try:
        text = _converter().latex_to_text(value)
    except Exception:  # pylatexenc is third-party: any failure means "read it as written"
        text = value
    return " ".join(text.split())


@cache
def _converter() -> latex2text.LatexNodes2Text:
    context = latex2text.get_default_latex_context_db()
    context.add_context_category(
        "paper-browser-textcomp",
        prepend=True,
        macros=[latex2text.MacroTextSpec(name, text) for name, text in _TEXTCOMP]
        + [latex2text.MacroTextSpec("url", "%s")],
    )
    return latex2text.LatexNodes2Text(math_mode="verbatim", latex_context=context)


def parse_bibtex(text: str) -> tuple[list[BibEntry], list[str]]:
    """Entries of a .bib text, and one message per entry that had to be skipped."""
    entries: list[BibEntry] = []
    problems: list[str] = []
    strings: dict[str, str] = {}
    position = 0
    while True:
        start = _ENTRY_START.search(text, position)
        if start is None:
            break
        kind = start.group(1).lower()
        closer = "}" if start.group(2) == "{" else ")"
        line = text.count("\n", 0, start.start()) + 1
        try:
            if kind in ("comment", "preamble"):
                position = _skip_group(text, start.end() - 1)
                continue
            parser = _EntryParser(text, start.end(), closer, strings)
            if kind == "string":
                strings.update(parser.fields())
            else:
                key = parser.key()
                entries.append(BibEntry(start.group(1), key, parser.fields(), line))
            position = parser.position
        except BibtexSyntaxError as error:
            problems.append(f"line {line}: {error}; entry skipped")
            position = start.end()
    return entries, problems


def _skip_group(text: str, opening: int) -> int:
    """Position after the group that opens at ``text[opening]`` (``{`` or ``(``)."""
    depth = 0
    closer = "}" if text[opening] == "{" else ")"
    for index in range(opening, len(text)):
        char = text[index]
        if index > opening and text[index - 1] == "\\":
            continue  # \{ as Zotero writes it: a literal brace, not a group
        if char == text[opening]:
            depth += 1
        elif char == closer:
            depth -= 1
            if depth == 0:
                return index + 1
    raise BibtexSyntaxError("a brace is never closed")


class _EntryParser:
    """The inside of one ``@type{key, name = value, ...}``."""

    def __init__(self, text: str, position: int, closer: str, strings: dict[str, str]) -> None:
        self.text = text
        self.position = position
        self.closer = closer
        self.strings = strings

    def key(self) -> str:
        end = self.text.find(",", self.position)
        close = self.text.find(self.closer, self.position)
        if end == -1 or (close != -1 and close < end):
            # An entry with a key and no fields.
            if close == -1:
                raise BibtexSyntaxError("the entry is never closed")
            key, self.position = self.text[self.position : close].strip(), close
            return key
        key = self.text[self.position : end].strip()
        if not key or any(char.isspace() for char in key):
            raise BibtexSyntaxError(f"the citation key {key!r} is not one word")
        self.position = end + 1
        return key

    def fields(self) -> dict[str, str]:
        fields: dict[str, str] = {}
        while True:
            self._skip_space_and_commas()
            if self.position >= len(self.text):
                raise BibtexSyntaxError("the entry is never closed")
            if self.text[self.position] == self.closer:
                self.position += 1
                return fields
            name = _FIELD_NAME.match(self.text, self.position)
            if name is None:
                raise BibtexSyntaxError("expected a field such as title = {...}")
            self.position = name.end()
            fields[name.group(1).lower()] = self._value()

    def _skip_space_and_commas(self) -> None:
        while self.position < len(self.text) and (
            self.text[self.position].isspace() or self.text[self.position] == ","
        ):
            self.position += 1

    def _value(self) -> str:
        parts = [self._part()]
        while True:
            rest = self.text[self.position :]
            stripped = rest.lstrip()
            if not stripped.startswith("#"):
                return "".join(parts)
            self.position += len(rest) - len(stripped) + 1
            parts.append(self._part())

    def _part(self) -> str:
        while self.position < len(self.text) and self.text[self.position].isspace():
            self.position += 1
        if self.position >= len(self.text):
            raise BibtexSyntaxError("a field has no value")
        char = self.text[self.position]
        if char == "{":
            end = _skip_group(self.text, self.position)
            value = self.text[self.position + 1 : end - 1]
            self.position = end
            return value
        if char == '"':
            return self._quoted()
        bare = _BARE_VALUE.match(self.text, self.position)
        if bare is None:
            raise BibtexSyntaxError("a field has no value")
        self.position = bare.end()
        word = bare.group()
        return word if word.isdigit() else self.strings.get(word.lower(), word)

    def _quoted(self) -> str:
        depth = 0
        for index in range(self.position + 1, len(self.text)):
            char = self.text[index]
            if self.text[index - 1] == "\\":
                continue
            if char == "{":
                depth += 1
            elif char == "}":
                depth -= 1
            elif char == '"' and depth == 0:
                value = self.text[self.position + 1 : index]
                self.position = index + 1
                return value
        raise BibtexSyntaxError("a quoted value is never closed")
