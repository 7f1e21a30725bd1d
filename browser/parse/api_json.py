"""JSON of the Daily Papers API: an array of entries, one paper, the page's data object, JSON Lines.

Documents saved one after another (``[...][...]``, ``{...}{...}``, with or without
space or newlines between them) are read one by one, as JSON Lines are.

``/api/daily_papers`` gives entries ``{"paper": {...}, "numComments": ...}``;
``/api/papers/ID`` gives a paper object on its own; a saved page's data element
holds ``{"dailyPapers": [...]}``. Each becomes one :class:`ParsedRecord`.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterable

from browser.models import Organization, ParsedRecord, ParseProblem
from browser.parse.links import extract_links
from browser.parse.result import ParsedFile, cached_paper_id, not_a_dump, refused, suffix

__all__ = [
    "JSON_SUFFIXES",
    "iso_date",
    "json_int",
    "json_str",
    "parse_json",
    "records_from_json",
    "unwrap",
]

JSON_SUFFIXES = frozenset({".json", ".jsonl", ".ndjson"})
_JSON_WS = re.compile(r"[ \t\n\r]*")
_JSON_LINE_REST = re.compile(r"[ \t]*(?:\r?\n|\r|\Z)")
_JSON_NEXT = re.compile(r"[ \t]*(?=[\[{])")
# How JSON of the API starts: [{"...  []  {"key":  {}  (and "[bold] a title" does not).
_JSON_START = re.compile(r'\s*(?:\[\s*(?:\{\s*"|\])|\{\s*(?:"(?:[^"\\\n]|\\.)*"\s*:|\}))')
_ARXIV_ID = re.compile(r"(\d{4}\.\d{4,5}|[a-z][a-z.-]*(?:\.[A-Z]{2})?/\d{7})(?:v\d+)?")
_ISO_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
_WRAP = re.compile(r"[ \t]*(?:\r\n|\r|\n)\s*")
_json_decoder = json.JSONDecoder()


def unwrap(text: str) -> str:
    """Hard-wrapped text on one line: each line break (a paragraph break too) is one space."""
    return _WRAP.sub(" ", text).strip()


def _skip_json_space(text: str, index: int) -> int:
    match = _JSON_WS.match(text, index)
    return match.end() if match else index


def _json_values(text: str) -> tuple[list[tuple[int, object]], list[tuple[int, str]], str | None]:
    """Top-level JSON values with their line numbers, the elements of an array one by one.

    Returns the values, the JSON Lines that could not be read (line, reason), and
    why the first value could not be read (in which case nothing was).
    """
    values: list[tuple[int, object]] = []
    bad: list[tuple[int, str]] = []
    line, counted = 1, 0

    def line_at(offset: int) -> int:  # offsets only grow: count each newline once
        nonlocal line, counted
        line += text.count("\n", counted, offset)
        counted = offset
        return line

    length = len(text)
    index = _skip_json_space(text, 0)
    first = True
    while index < length:
        start = index
        try:
            if text[index] != "[":
                value, index = _json_decoder.raw_decode(text, index)
                values.append((line_at(start), value))
            else:
                index = _skip_json_space(text, index + 1)
                closed = text.startswith("]", index)
                while not closed:
                    value, end = _json_decoder.raw_decode(text, index)
                    values.append((line_at(index), value))
                    index = _skip_json_space(text, end)
                    closed = text.startswith("]", index)
                    if not closed and not text.startswith(",", index):
                        raise json.JSONDecodeError("Expecting ',' delimiter", text, index)
                    if not closed:
                        index = _skip_json_space(text, index + 1)
                index += 1
            # A value ends its line ("[1] Intro" is a text dump's title, not JSON), or
            # another document follows at once: responses saved back to back, "}][{".
            rest = _JSON_LINE_REST.match(text, index) or _JSON_NEXT.match(text, index)
            if rest is None:
                raise json.JSONDecodeError("Extra data", text, index)
            index = rest.end()
        except json.JSONDecodeError as error:
            if first:
                return [], [], f"malformed JSON at line {error.lineno}: {error.msg}"
            bad.append((line_at(start), error.msg))
            newline = text.find("\n", max(start, error.pos))
            index = length if newline < 0 else newline + 1
        first = False
        index = _skip_json_space(text, index)
    return values, bad, None


def json_int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def json_str(value: object) -> str | None:
    return value if isinstance(value, str) else None


def iso_date(value: object) -> dt.date | None:
    match = _ISO_DATE.match(value) if isinstance(value, str) else None
    if match is None:
        return None
    try:
        return dt.date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        return None


def _paper_of(value: object) -> tuple[dict[str, object], dict[str, object]] | None:
    """The paper object and its Daily Papers entry, if ``value`` is either."""
    if not isinstance(value, dict):
        return None
    paper = value.get("paper")
    if isinstance(paper, dict):
        title = json_str(paper.get("title")) or json_str(value.get("title"))
        if (
            title
            and title.strip()
            and (json_str(paper.get("id")) or json_str(paper.get("summary")))
        ):
            return paper, value
        return None
    # A paper object on its own (as /api/papers/ID returns it).
    title = json_str(value.get("title"))
    if (
        title
        and title.strip()
        and json_str(value.get("id"))
        and json_str(value.get("summary")) is not None
    ):
        return value, {}
    return None


def _json_record(
    value: object, file: str, line: int, page_day: dt.date | None = None
) -> ParsedRecord | None:
    """The record of one entry (or paper); ``page_day`` is the listing day of its page."""
    found = _paper_of(value)
    if found is None:
        return None
    paper, entry = found
    title = unwrap(json_str(paper.get("title")) or json_str(entry.get("title")) or "")
    abstract = unwrap(json_str(paper.get("summary")) or json_str(entry.get("summary")) or "")
    raw_authors = paper.get("authors")
    names: list[str] = []
    if isinstance(raw_authors, list):
        for author in raw_authors:
            name = json_str(author.get("name")) if isinstance(author, dict) else json_str(author)
            if name is not None and name.strip():
                names.append(unwrap(name))
    organization = None
    raw_org = paper.get("organization") or entry.get("organization")
    if isinstance(raw_org, dict) and json_str(raw_org.get("name")):
        slug = str(raw_org["name"])
        organization = Organization(slug=slug, name=json_str(raw_org.get("fullname")) or slug)
    keywords = paper.get("ai_keywords")
    arxiv = _ARXIV_ID.fullmatch(json_str(paper.get("id")) or "")
    arxiv_id = arxiv[1] if arxiv else None
    links = extract_links(abstract)
    if arxiv_id:
        links += [f"https://arxiv.org/abs/{arxiv_id}", f"https://huggingface.co/papers/{arxiv_id}"]
    for key in ("githubRepo", "projectPage"):
        url = json_str(paper.get(key))
        if url and url.startswith(("https://", "http://")):
            links.append(url)
    comments = json_int(entry.get("numComments"))
    return ParsedRecord.model_validate(
        {
            "id": cached_paper_id(title),
            "source": {"file": file, "line": line},
            "title": title,
            "abstract": abstract,
            "authors": len(raw_authors) if isinstance(raw_authors, list) else None,
            "organization": organization,
            "date": iso_date(paper.get("publishedAt")) or iso_date(entry.get("publishedAt")),
            "listed": iso_date(entry.get("submittedOnDailyAt"))
            or iso_date(paper.get("submittedOnDailyAt"))
            or page_day,
            "comments": comments if comments is not None else json_int(paper.get("numComments")),
            "upvotes": json_int(paper.get("upvotes")),
            "links": list(dict.fromkeys(links)),
            "arxiv_id": arxiv_id,
            "author_names": names,
            "keywords": [k for k in keywords if isinstance(k, str)]
            if isinstance(keywords, list)
            else [],
        }
    )


def records_from_json(
    values: Iterable[tuple[int, object]], file: str
) -> tuple[list[ParsedRecord], list[ParseProblem]]:
    """Records of Daily Papers entries (or papers); anything else is a problem."""
    records: list[ParsedRecord] = []
    problems: list[ParseProblem] = []
    for line, value in values:
        page = value if isinstance(value, dict) else {}
        entries = page.get("dailyPapers")
        if isinstance(entries, list):  # the page's data: {"dailyPapers": [...], ...}
            page_day = iso_date(page.get("date")) or iso_date(page.get("dateString"))
            for entry in entries:
                record = _json_record(entry, file, line, page_day)
                if record is None:
                    problems.append(
                        ParseProblem(file=file, line=line, message="an entry that is not a paper")
                    )
                else:
                    records.append(record)
            continue
        record = _json_record(value, file, line)
        if record is None:
            problems.append(
                ParseProblem(file=file, line=line, message="a JSON value that is not a paper")
            )
        else:
            records.append(record)
    return records, problems


def parse_json(text: str, file: str, *, brackets: bool) -> ParsedFile | None:
    """Records of API JSON; ``None`` when the text is not JSON (a text dump, then, or no dump).

    Broken JSON is "not a Daily Papers dump" when it starts like JSON does, or
    starts with a bracket in a file named .json; a ``.json`` file that holds a
    text dump (``brackets`` false) is read as one.
    """
    values, bad, fatal = _json_values(text)
    if fatal is not None:
        if _JSON_START.match(text) or (brackets and suffix(file) in JSON_SUFFIXES):
            return refused(file, not_a_dump(file, fatal))
        return None
    if all(value == [] for _, value in values) and not bad:
        empty = ParseProblem(file=file, message="no papers: the JSON holds an empty list")
        return ParsedFile(file=file, records=[], problems=[empty])
    records, problems = records_from_json(values, file)
    if not records and bad:
        return None  # JSON on some lines only: a text dump whose title is "{}", or no dump
    if not records:
        return refused(file, not_a_dump(file, "JSON, but not of Daily Papers"))
    problems += [
        ParseProblem(file=file, line=line, message=f"a line that is not valid JSON ({reason})")
        for line, reason in bad
    ]
    return ParsedFile(file=file, records=records, problems=problems)
