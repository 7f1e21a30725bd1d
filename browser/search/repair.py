"""Half-typed and broken query syntax made readable: ``repair`` turns whatever is typed
into syntax Whoosh reads, keeping what can be understood and saying in words what it
left out or closed (``Repair.notes``); ``field:*`` becomes the "has a value" term.

One left-to-right scan (``_Scanner``); a hypothesis test parses the repair of random
syntax soup (``tests/test_query_syntax.py``). No Whoosh here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Final

from browser.search.schema import PRESENCE_FIELD, date_digits, date_period
from browser.search.syntax import OPERATORS

# The fields of the query language by the kind of value they take (``schema``).
WORD_FIELDS: Final = frozenset(
    {"text", "title", "abstract", "keyword", "org", "author", "arxiv", "id"}
)
DATE_FIELDS: Final = frozenset({"date", "listed"})
NUMBER_FIELDS: Final = frozenset({"year", "comments", "authors", "upvotes"})
# Answered from the user data by ``extract_tag_terms``; what is left of them here is broken.
USER_FIELDS: Final = frozenset({"tag", "note", "is"})
FIELD_ALIASES: Final = {
    "organisation": "org",
    "organization": "org",
    "orgs": "org",
    "by": "author",
    "keywords": "keyword",
    "kw": "keyword",
    "comment": "comments",
}
# ``field:*`` ("has a value") as the ``has:`` term the index keeps for it; title and the
# words are never empty, so ``title:*`` stays Whoosh's "everything".
_OPTIONAL: Final = "abstract keyword org author arxiv date listed comments authors upvotes"
PRESENCE: Final = {name: name for name in _OPTIONAL.split()} | {"year": "date"}
# Fields whose values ``repair`` checks (a date, a number, a ``has:`` name).
_CHECKED_FIELDS: Final = DATE_FIELDS | NUMBER_FIELDS | {PRESENCE_FIELD}
KNOWN_FIELDS: Final = WORD_FIELDS | DATE_FIELDS | NUMBER_FIELDS | USER_FIELDS | {PRESENCE_FIELD}
# What to write after a field, for the message when nothing is.
_EXAMPLES: Final = {
    "title": "title:diffusion",
    "abstract": "abstract:robot",
    "text": "text:robot",
    "keyword": "keyword:rl",
    "org": "org:nvidia",
    "author": "author:smith",
    "arxiv": "arxiv:2401.01234 (or arxiv:* for papers with one)",
    "id": "id:hf-0123456789abcdef",
    "date": "date:2024-03 or date:[2024-01 TO 2024-06]",
    "listed": "listed:2025-12-10",
    "year": "year:2024",
    "comments": "comments:>2",
    "authors": "authors:>10",
    "upvotes": "upvotes:>=5",
    "tag": 'tag:"to read"',
    "note": "note:word",
    "is": "is:read",
    PRESENCE_FIELD: "has:arxiv",
}
_FIELD_LIST: Final = (
    "title, abstract, author, org, arxiv, keyword, year, date, listed, comments, authors,"
    " upvotes, tag, note, is"
)
_STATE_NAMES: Final = "is:tagged, is:untagged, is:read, is:unread, is:noted or is:new"
_FIELD_NAME: Final = re.compile(r"(?P<name>[^\W\d_]\w*):")
# A field's value when not quoted, bracketed or grouped; a plain word.
_BARE_VALUE: Final = re.compile(r'[^\s()"]*')
_WORD: Final = re.compile(r'[^\s()"]+')
_SLOP: Final = re.compile(r"(?:~\d*)?")
# Inside ``[`` or ``{``: ``low TO high``, either end left open.
_RANGE_BODY: Final = re.compile(
    r"\s*(?P<low>(?!TO(?![^\s\]}]))[^\s\[\]{}()\":]+)?\s*"
    r"(?:(?P<to>TO)(?![^\s\]}])\s*(?P<high>[^\s\[\]{}()\":]+)?\s*)?"
)
# Where a range's text ends: its bracket; an empty match (before a parenthesis or another
# range, or at the end) means it was never closed.
_RANGE_END: Final = re.compile(r"[\]}]|(?=[()\[{])|$")
# Inside a plain word these are syntax to Whoosh but punctuation to a reader.
_NOT_IN_WORDS: Final = re.compile(r"[:<>\[\]{}]")
_COMPARISON: Final = re.compile(r"(?P<op>>=|<=|=>|=<|>|<)?(?P<bound>.*)", re.DOTALL)
# Largest magnitude a numeric field holds (32-bit, ``schema``).
_NUMBER_LIMIT: Final = 2**31 - 1
# Notes shown at most, so a pasted page of broken syntax still gives one short message.
_MAX_NOTES: Final = 3


@dataclass
class Repair:
    """``repair``'s answer: the query as syntax Whoosh reads, and what was done, in words.

    ``closers`` are the parentheses added at the end (``text`` ends with them); the word
    being typed is looked for in the text before them.
    """

    text: str
    notes: list[str] = field(default_factory=list)
    closers: str = ""

    @property
    def message(self) -> str | None:
        """The notes as one message for the user (None when nothing was wrong)."""
        if not self.notes:
            return None
        shown = list(dict.fromkeys(self.notes))
        more = len(shown) - _MAX_NOTES
        text = " ".join(shown[:_MAX_NOTES])
        return text + (f" (and {more} more)" if more > 0 else "")


@dataclass(frozen=True)
class _Token:
    kind: str  # "open", "close", "operand", "operator" or "minus"
    start: int
    end: int


_MINUS_AT_END: Final = "A “-” at the end leaves out nothing: ignored it."


class _Scanner:
    """One left-to-right pass over a query: tokens, edits and notes (see ``repair``)."""

    def __init__(self, text: str, from_minus: frozenset[int] = frozenset()) -> None:
        self.text = text
        # Where a ``NOT`` stands that the user wrote as ``-`` (``syntax.MINUS_WORD``).
        self.from_minus = from_minus
        self.tokens: list[_Token] = []
        # (start, end, replacement) over ``text``, not overlapping, in order.
        self.edits: list[tuple[int, int, str]] = []
        self.notes: list[str] = []
        # One entry per open parenthesis: the field it is the value of (``date:(...)``).
        self.groups: list[str | None] = []
        # The depths of groups opened for a field's unclosed phrase (``title:"a b``), not
        # typed by the user: closing them needs no note.
        self.quote_groups: set[int] = set()

    @property
    def depth(self) -> int:
        return len(self.groups)

    @property
    def group_field(self) -> str | None:
        """The field of the innermost group that has one (values inside are its)."""
        return next((name for name in reversed(self.groups) if name), None)

    def scan(self) -> None:
        text, at = self.text, 0
        while at < len(text):
            char = text[at]
            if char.isspace():
                at += 1
            elif char == '"' and self.group_field in DATE_FIELDS | NUMBER_FIELDS:
                at = self._value(at, self.group_field, at)
            elif char == '"':
                at = self._phrase(at, at)
            elif char == "(":
                self._open(at, at + 1)
                at += 1
            elif char == ")":
                at = self._close(at)
            elif char in "[{":
                at = self._range(at, at, self.group_field)
            elif (name := _FIELD_NAME.match(text, at)) is not None:
                at = self._field(at, name)
            else:
                at = self._word(at)

    def _phrase(self, start: int, quote: int, fieldname: str | None = None) -> int:
        """A phrase from ``start`` (``fieldname:``, or its opening quote at ``quote``)."""
        closing = self.text.find('"', quote + 1)
        if closing < 0:
            if fieldname and not self.text[quote + 1 :].strip():
                # ``arxiv:"`` and nothing after it: a field left without a value would be
                # read as a word, or inside ``date:(...)`` as a broken date.
                written = self.text[start : quote - 1]
                self.notes.append(
                    f"“{written}:” needs something after it, as in {_EXAMPLES[fieldname]}:"
                    " left it out."
                )
                self.edits.append((start, quote + 1, " "))
                return quote + 1
            where = f" in {fieldname}" if fieldname else ""
            self.notes.append(f'A quote (") is not closed: searched its words one by one{where}.')
            if not fieldname:
                self.edits.append((quote, quote + 1, " "))
                return quote + 1
            # ``title:"policy grad`` -> ``title:(policy grad)``: the words stay in their field.
            self.edits.append((quote, quote + 1, "("))
            self._open(start, quote + 1, fieldname)
            self.quote_groups.add(self.depth)
            return quote + 1
        end = _SLOP.match(self.text, closing + 1)
        assert end is not None
        self.tokens.append(_Token("operand", start, end.end()))
        return end.end()

    def _open(self, start: int, end: int, fieldname: str | None = None) -> None:
        self.tokens.append(_Token("open", start, end))
        self.groups.append(fieldname)

    def _close(self, at: int) -> int:
        if self.depth == 0:
            self.notes.append("A “)” has no “(” before it: left it out.")
            self.edits.append((at, at + 1, " "))
        else:
            self.quote_groups.discard(self.depth)
            self.groups.pop()
            self.tokens.append(_Token("close", at, at + 1))
        return at + 1

    def _word(self, at: int) -> int:
        found = _WORD.match(self.text, at)
        assert found is not None
        word = found.group()
        kind = "operator" if word in OPERATORS else "minus" if word == "-" else "operand"
        group_field = self.group_field
        if kind == "operand" and group_field in _CHECKED_FIELDS:
            assert group_field is not None
            return self._value(at, group_field, at)
        self.tokens.append(_Token(kind, at, found.end()))
        # A colon would make a field, ``<`` or ``>`` a range of words, a stray bracket
        # half of one: a reader sees punctuation, so the words are kept apart by ``;``.
        plain = _NOT_IN_WORDS.sub(";", word)
        if plain != word:
            self.edits.append((at, found.end(), plain))
        return found.end()

    def _no_fields_inside(self, start: int, end: int) -> None:
        """A word field's value is words and punctuation, as ``_word`` keeps them: a colon
        is not another field (``title:a:b``), ``<``/``>`` not a range of the field
        around it (``date:(arxiv:a>b`` read ``>b`` as a date), nor a bracket half of one."""
        value = self.text[start:end]
        plain = _NOT_IN_WORDS.sub(";", value)
        if plain != value:
            self.edits.append((start, end, plain))

    def _field(self, at: int, name: re.Match[str]) -> int:
        """``name:`` and its value: a known field checked, an unknown one read as words."""
        text, value_at = self.text, name.end()
        written = name.group("name")
        canonical = FIELD_ALIASES.get(written.lower(), written.lower())
        if canonical not in KNOWN_FIELDS and self.group_field in _CHECKED_FIELDS:
            return self._value(at, self.group_field, at)  # "foo:" is no date
        if canonical not in KNOWN_FIELDS:
            if value_at < len(text) and (text[value_at].isalnum() or text[value_at] in '"(*'):
                self.notes.append(
                    f"“{written}:” is not a field (fields: {_FIELD_LIST}):"
                    f" searched “{written}” as a word."
                )
            # A name and a colon ("Mamba: ...", "http://") is a word and punctuation;
            # "AND:" is the word, not an operator with nothing to join.
            after_star = text[value_at + 1 : value_at + 2]
            lone_star = text[value_at : value_at + 1] == "*" and after_star in ("", ")")
            lone_star = lone_star or (text[value_at : value_at + 1] == "*" and after_star.isspace())
            if written in OPERATORS:
                self.edits.append((at, value_at, written.lower() + " "))
            elif lone_star:
                # "foo:*" asks whether an unknown field has a value: the word, not "*"
                # (every paper), is what the note says was searched.
                self.edits.append((value_at - 1, value_at + 1, " "))
                self.tokens.append(_Token("operand", at, value_at - 1))
                return value_at + 1
            else:
                self.edits.append((value_at - 1, value_at, " "))
            self.tokens.append(_Token("operand", at, value_at - 1))
            return value_at
        if value_at == len(text) or text[value_at].isspace() or text[value_at] == ")":
            self.notes.append(
                f"“{written}:” needs something after it, as in {_EXAMPLES[canonical]}: left it out."
            )
            self.edits.append((at, value_at, " "))
            return value_at
        if written != canonical:
            self.edits.append((at, value_at - 1, canonical))
        return self._value(at, canonical, value_at)

    def _value(self, at: int, fieldname: str, value_at: int) -> int:
        text = self.text
        char = text[value_at]
        if fieldname in USER_FIELDS:
            return self._user_field(at, fieldname, value_at)
        if char == "*" and _ends_term(text, value_at + 1) and fieldname in PRESENCE:
            self.edits.append((at, value_at + 1, f"{PRESENCE_FIELD}:{PRESENCE[fieldname]}"))
            self.tokens.append(_Token("operand", at, value_at + 1))
            return value_at + 1
        if char == "(":
            self._open(at, value_at + 1, fieldname)
            return value_at + 1
        if char in "[{":
            return self._range(at, value_at, fieldname)
        if char == '"' and fieldname in WORD_FIELDS:
            return self._phrase(at, value_at, fieldname)
        if char == '"':
            closing = text.find('"', value_at + 1)
            end = len(text) if closing < 0 else closing + 1
            value = text[value_at + 1 : end - (closing >= 0)]
        else:
            found = _BARE_VALUE.match(text, value_at)
            assert found is not None
            end, value = found.end(), found.group()
            if fieldname in WORD_FIELDS:
                self._no_fields_inside(value_at, end)
        problem = _value_problem(fieldname, value)
        if problem is not None:
            self.notes.append(f"{problem}: left out “{text[at:end]}”.")
            self.edits.append((at, end, " "))
        else:
            written = _canonical_value(fieldname, value)
            if written != text[value_at:end]:
                self.edits.append((value_at, end, written))
            self.tokens.append(_Token("operand", at, end))
        return end

    def _user_field(self, at: int, fieldname: str, value_at: int) -> int:
        """What ``extract_tag_terms`` left of a ``tag:``, ``note:`` or ``is:`` term."""
        found = _BARE_VALUE.match(self.text, value_at)
        assert found is not None
        end = max(found.end(), value_at + 1)
        term = self.text[at:end]
        if fieldname == "is":
            self.notes.append(f"“{term}” is not known (use {_STATE_NAMES}): left it out.")
        else:
            self.notes.append(
                f"“{term}” is not a {fieldname} term (write {_EXAMPLES[fieldname]}):"
                " searched its words."
            )
            end = value_at
        self.edits.append((at, end, " "))
        return end

    def _range(self, at: int, bracket: int, fieldname: str | None) -> int:
        """``[low TO high]`` or ``{low TO high}`` at ``bracket``, closed if left open,
        its ends checked against the field; ``[* TO *]`` is "has a value"."""
        text = self.text
        body = _RANGE_BODY.match(text, bracket + 1)
        assert body is not None
        low, high = body.group("low"), body.group("high")
        end = body.end()
        closer = "]" if text[bracket] == "[" else "}"
        written = f"{fieldname}:" if fieldname else ""
        closing = _RANGE_END.search(text, end)
        if end < len(text) and text[end] in "]}" and body.group("to") is None:
            end += 1
            self.notes.append(
                f"“{text[at:end]}” has no TO (write {written}[low TO high]): left it out."
            )
            self.edits.append((at, end, " "))
            return end
        if end < len(text) and text[end] in "]}":
            end += 1
        elif closing is not None and closing.group():
            # Something else before the closing bracket: not a range at all.
            end = closing.end()
            self.notes.append(
                f"“{text[at:end]}” is not a range (write {written}[low TO high]): left it out."
            )
            self.edits.append((at, end, " "))
            return end
        elif low is None and high is None:
            self.notes.append(
                f"“{text[at:end].strip()}” starts a range but has no ends"
                f" (write {written}[low TO high]): left it out."
            )
            self.edits.append((at, end, " "))
            return end
        elif body.group("to") is None and fieldname not in DATE_FIELDS | NUMBER_FIELDS:
            self.notes.append(
                f"“{text[at:end].strip()}” is not a range (write {written}[low TO high]):"
                " searched its words."
            )
            self.edits.append((at, bracket + 1, " "))
            return bracket + 1
        else:
            inside = " ".join(part for part in (low, "TO", high) if part)
            closed = f"{text[bracket]}{inside}{closer}"
            self.notes.append(
                f"“{text[at:end].strip()}” is not closed: read it as {written}{closed}."
            )
            self.edits.append((bracket, end, closed + " "))
        return self._range_ends(at, bracket, end, fieldname, (low, high))

    def _range_ends(
        self,
        at: int,
        bracket: int,
        end: int,
        fieldname: str | None,
        bounds: tuple[str | None, str | None],
    ) -> int:
        """Check a range's ends against its field; ``*`` is an open end."""
        low, high = bounds
        ends = [bound for bound in (low, high) if bound not in (None, "*")]
        written = f"{fieldname}:" if fieldname else ""
        if fieldname in PRESENCE and not ends:
            self._replace(at, end, f"{PRESENCE_FIELD}:{PRESENCE[fieldname]} ")
        elif problems := [p for b in ends if (p := _value_problem(fieldname, b)) is not None]:
            self.notes.append(f"{problems[0]}: left out “{self.text[at:end].strip()}”.")
            self._replace(at, end, " ")
            return end
        elif "*" in (low, high):
            opener = self.text[bracket]
            closer = "]" if opener == "[" else "}"
            inside = " ".join(part for part in (low, "TO", high) if part not in (None, "*"))
            self._replace(at, end, f"{written}{opener}{inside}{closer} ")
        self.tokens.append(_Token("operand", at, end))
        return end

    def _replace(self, start: int, end: int, replacement: str) -> None:
        """Replace ``[start, end)`` whole, dropping earlier edits inside it."""
        self.edits = [e for e in self.edits if not (start <= e[0] and e[1] <= end)]
        self.edits.append((start, end, replacement))


def _ends_term(text: str, at: int) -> bool:
    return at == len(text) or text[at].isspace() or text[at] == ")"


def _value_problem(fieldname: str | None, value: str) -> str | None:
    """What is wrong with ``value`` for a date, number or ``has:`` field, in words
    (None: fine, or a field that takes any word)."""
    if fieldname == PRESENCE_FIELD and value not in PRESENCE.values():
        known = ", ".join(sorted(set(PRESENCE.values())))
        return f"“has:{value}” is not known (has: takes {known})"
    if fieldname not in DATE_FIELDS | NUMBER_FIELDS:
        return None
    parts = _COMPARISON.match(value.strip())
    assert parts is not None
    bound = parts.group("bound").strip()
    kind = "date" if fieldname in DATE_FIELDS else "number"
    if not bound:
        return f"“{fieldname}:{value}” needs a {kind}, as in {_EXAMPLES[fieldname]}"
    if fieldname in DATE_FIELDS:
        try:
            date_period(bound)
        except (ValueError, OverflowError):
            return f"“{bound}” is not a date (write 2024, 2024-03 or 2024-03-05)"
        return None
    if not re.fullmatch(r"[-+]?\d{1,10}", bound) or abs(int(bound)) > _NUMBER_LIMIT:
        return f"“{bound}” is not a whole number"
    return None


def _canonical_value(fieldname: str, value: str) -> str:
    """A valid value as the parser reads it: a date as its digits (``2024-3`` is March,
    not the year 2024), comparisons and numbers without spaces or quotes."""
    parts = _COMPARISON.match(value.strip())
    assert parts is not None
    bound = parts.group("bound").strip()
    if fieldname in DATE_FIELDS:
        bound = date_digits(bound)
    return (parts.group("op") or "") + bound


def _operator_problems(scanner: _Scanner) -> None:
    """Operators with nothing to join, a lone ``-`` and empty parentheses: left out,
    until none is left (leaving one out can strand another: ``a OR NOT``)."""
    text = scanner.text
    tokens = [token for token in scanner.tokens if token.kind != "minus"]
    for token in scanner.tokens:
        if token.kind == "minus":
            # A dash between words is punctuation; at the end it is a NOT being typed.
            if token is scanner.tokens[-1]:
                scanner.notes.append(_MINUS_AT_END)
            scanner.edits.append((token.start, token.end, " "))
    changed = True
    while changed:
        changed = False
        kept: list[_Token] = []
        for index, token in enumerate(tokens):
            after = tokens[index + 1] if index + 1 < len(tokens) else None
            note = _stranded(text, token, kept[-1] if kept else None, after)
            if note is None and token.kind == "close" and kept and kept[-1].kind == "open":
                note = "Empty parentheses: left them out."
                dropped = kept.pop()
                scanner.edits.append((dropped.start, dropped.end, " "))
            if note is None:
                kept.append(token)
                continue
            if token.start in scanner.from_minus:
                # A "-" the user typed, read as NOT: said as typed, or not at all once
                # the term it took out was left out with a note of its own.
                note = "" if scanner.notes else _MINUS_AT_END
            changed = True
            if note:
                scanner.notes.append(note)
            scanner.edits.append((token.start, token.end, " "))
        tokens = kept
    scanner.tokens = tokens


def _stranded(text: str, token: _Token, before: _Token | None, after: _Token | None) -> str | None:
    """Why ``token`` (an operator) has to go, or None to keep it."""
    if token.kind != "operator":
        return None
    word = text[token.start : token.end]
    starts_operand = after is not None and (
        after.kind in ("operand", "open")
        or (word != "NOT" and after.kind == "operator" and text[after.start : after.end] == "NOT")
    )
    ends_operand = before is not None and before.kind in ("operand", "close")
    if starts_operand and (word == "NOT" or ends_operand):
        return None
    if after is None or after.kind == "close":
        return f"“{word}” at the end has nothing after it: left it out."
    if word != "NOT" and not ends_operand:
        return f"“{word}” has nothing before it: left it out."
    return f"“{word}” is followed by another operator: left it out."


def repair(text: str, from_minus: frozenset[int] = frozenset()) -> Repair:
    """``text`` (cleaned, tag terms cut out, ``-word`` as ``NOT word``) as syntax Whoosh
    reads, keeping all that can be understood, with a note for each change:

    * an unclosed quote is dropped (its words are searched one by one, still in their
      field: ``title:"a b`` -> ``title:(a b)``; ``arxiv:"`` alone is left out); a ``)`` without
      ``(`` is dropped; a ``(`` left open is closed at the end;
    * an unclosed range is closed (``date:[2024-01 TO 2024-06`` -> ``...]``, ``[2024 TO``
      -> from 2024 on); a range with other words inside, or no ends, is left out;
    * a field with nothing after it, a value that is not a date or number for such a
      field, a broken ``tag:``/``note:``/``is:`` term are left out; an unknown field's name
      is searched as a word; field names are written as the parser spells them;
    * ``field:*`` and ``field:[* TO *]`` become ``has:field`` ("has a value");
    * operators with nothing to join, a trailing ``-`` and empty parentheses go; a
      ``NOT`` at one of ``from_minus`` was written ``-`` and its note says so.
    """
    scanner = _Scanner(text, from_minus)
    scanner.scan()
    _operator_problems(scanner)
    body = _applied(text, scanner.edits)
    closers = ")" * scanner.depth
    if scanner.depth > len(scanner.quote_groups):
        scanner.notes.append("A “(” is not closed: closed it at the end.")
    return Repair(body + closers, scanner.notes, closers)


def _applied(text: str, edits: list[tuple[int, int, str]]) -> str:
    """``text`` with ``edits`` made; an edit inside an earlier, wider one is skipped."""
    pieces: list[str] = []
    at = 0
    for start, end, replacement in sorted(edits, key=lambda e: (e[0], -e[1])):
        if start < at:
            continue
        pieces.append(text[at:start])
        pieces.append(replacement)
        at = end
    pieces.append(text[at:])
    return "".join(pieces)
