"""Telling the formats apart, and the entry points: text, bytes, or a file on disk.

The content, not the name, says what a file is: a text dump, JSON of the Daily
Papers API, or a saved page. Anything else is "not a Daily Papers dump": one
warning, no papers. Nothing here raises for bad input: what cannot be understood
becomes a :class:`ParseProblem` with the file and line.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
import itertools
import stat
import threading
from collections.abc import Iterator
from pathlib import Path

from browser.models import Source
from browser.parse import decode
from browser.parse.api_json import JSON_SUFFIXES, parse_json
from browser.parse.dates import DateResolver
from browser.parse.decode import BINARY_SAMPLE, ChunkSource, decode_with, memory_chunks
from browser.parse.html_page import parse_html
from browser.parse.lines import text_chunks
from browser.parse.markdown_page import MarkdownParser, looks_like_markdown_page
from browser.parse.result import ParsedFile, by_line, failed, refused, suffix
from browser.parse.text import TextParser

__all__ = ["parse_bytes", "parse_file", "parse_text"]


def _parse_chunks(
    chunks: Iterator[str], file: str, *, year: int | None, anchor: dt.date | None
) -> ParsedFile:
    """Records of decoded text (``_read_chunks``), each source given its place in the file
    (``Source.position``): one numbering for every format, so a JSON array on one line
    or a page's several data elements keep the page's order too."""
    parsed = _read_chunks(chunks, file, year=year, anchor=anchor)
    for position, record in enumerate(parsed.records):
        source = record.source
        # Built unvalidated: the parser validated file and line; this runs per record.
        record.source = Source.model_construct(
            file=source.file, line=source.line, position=position
        )
    return parsed


def _read_chunks(
    chunks: Iterator[str], file: str, *, year: int | None, anchor: dt.date | None
) -> ParsedFile:
    """Records of decoded text, whatever its format: text dump, API JSON or saved page.

    The first non-blank character decides: ``[``/``{`` may be JSON and ``<`` may be
    HTML (both need the whole text); anything else, or JSON/HTML that turns out to
    be neither, is a Markdown copy of the page when its first chunk has a heading
    link to a paper page, else a text dump, read a chunk at a time. JSON that gives no paper and
    did not read cleanly (a text dump whose first title is ``{}`` or ``[1] ...``) is
    read as text too; when the text shows no Daily Papers page either, the JSON's
    own reason is the one reported.
    """
    seen: list[str] = []
    first = ""
    for chunk in chunks:
        seen.append(chunk)
        stripped = chunk.lstrip().lstrip("\ufeff").lstrip()
        if stripped:
            first = stripped[0]
            break
    stream: Iterator[str] = itertools.chain(seen, chunks)
    json_name = suffix(file) in JSON_SUFFIXES
    fallback: ParsedFile | None = None  # the JSON reading, if the text reading refuses too
    if first in ("[", "{", "<") or (json_name and first):
        text = "".join(stream)
        parsed = (
            parse_html(text, file, year=year, anchor=anchor)
            if first == "<"
            else parse_json(text, file, brackets=first in ("[", "{"))
        )
        if parsed is not None and (parsed.records or not (first != "<" and parsed.refusal)):
            return parsed
        fallback = parsed
        stream = text_chunks(text)
        seen = [text[: decode.CHUNK]]
    if seen and looks_like_markdown_page(seen[-1]):
        text = "".join(stream)  # Markdown copies are small; the text reader may need it again
        markdown = MarkdownParser(file, DateResolver(file, year, anchor))
        markdown.run(text_chunks(text))
        if markdown.refusal is None:
            return ParsedFile(file=file, records=markdown.records, problems=markdown.problems)
        # Links to papers without cards: a digest, or notes pasted before a text dump.
        fallback = refused(file, markdown.refusal)
        stream = text_chunks(text)
    parser = TextParser(file, DateResolver(file, year, anchor))
    parser.run(stream)
    if parser.refusal is not None:
        return fallback or refused(file, parser.refusal)
    return ParsedFile(file=file, records=parser.records, problems=parser.problems)


def _parse_source(
    file: str,
    head: bytes,
    source: ChunkSource,
    *,
    year: int | None,
    anchor: dt.date | None,
) -> ParsedFile:
    """Decode and parse a dump given as a re-readable source of byte chunks.

    A file that is not a dump gives its one warning, without the decoding's.
    (Binary and empty files have their own warnings and no refusal: they are
    damaged or missing dumps as often as not, so each is reported on its own.)
    """
    results: list[ParsedFile] = []

    def consume(chunks: Iterator[str]) -> None:
        results[:] = [_parse_chunks(chunks, file, year=year, anchor=anchor)]  # afresh on a restart

    is_text, problems = decode_with(file, head, source, consume)
    if not is_text:  # binary: its own warning, reported like an empty file's
        return ParsedFile(file=file, records=[], problems=problems)
    parsed = results[0]
    parsed.problems = by_line(parsed.problems if parsed.refusal else problems + parsed.problems)
    return parsed


def parse_text(
    text: str, file: str, *, anchor: dt.date | None = None, year: int | None = None
) -> ParsedFile:
    """Records and problems of decoded text: a text dump (either layout), API JSON or a page."""
    parsed = _parse_chunks(text_chunks(text), file, year=year, anchor=anchor)
    parsed.problems = by_line(parsed.problems)
    return parsed


def parse_bytes(
    data: bytes, file: str, *, year: int | None = None, anchor: dt.date | None = None
) -> ParsedFile:
    """Decode and parse the bytes of one dump; never raises for bad input."""
    return _parse_source(file, data[:BINARY_SAMPLE], memory_chunks(data), year=year, anchor=anchor)


def parse_file(path: Path, *, year: int | None = None) -> ParsedFile:
    """Parse one dump file; a missing or unreadable file is an error problem, not an exception.

    The file is read a chunk at a time (twice when it turns out not to be UTF-8),
    so a large dump never sits in memory whole. Year-less dates are anchored on
    the file's modification date unless the name or ``year`` says otherwise.
    """
    file = str(path)
    try:
        info = path.stat()
        if stat.S_ISDIR(info.st_mode):
            return failed(file, "is a folder, not a dump file")
        if not stat.S_ISREG(info.st_mode):
            return failed(file, "not a regular file")
        handle = path.open("rb")
    except FileNotFoundError:
        return failed(file, "no such file")
    except PermissionError:
        return failed(file, "permission denied")
    except OSError as error:
        return failed(file, f"cannot read the file: {error.strerror or error}")
    try:
        anchor: dt.date | None = dt.date.fromtimestamp(info.st_mtime)
    except (OverflowError, OSError, ValueError):
        anchor = None

    def chunks() -> Iterator[bytes]:
        handle.seek(0)
        while block := handle.read(decode.CHUNK):
            yield block

    with handle:
        try:
            head = handle.read(BINARY_SAMPLE)
            return _parse_source(file, head, chunks, year=year, anchor=anchor)
        except OSError as error:
            return failed(file, f"cannot read the file: {error.strerror or error}")


class _BulkParsing:
    """Pauses the cyclic garbage collector for a bulk parse, across threads (reentrant).

    Parsing makes hundreds of thousands of acyclic objects; left on, the collector walks
    them over and over (measured: 10-20% of a bulk parse's CPU time). The pause is
    process-wide, so only commands that parse and do nothing else take it (the CLI's
    ``parse`` and ``index``); the app never does, because a paused collector would also
    hold back its UI thread's garbage for as long as a sync runs.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._depth = 0
        self._was_enabled = False

    @contextlib.contextmanager
    def __call__(self) -> Iterator[None]:
        with self._lock:
            if self._depth == 0:
                self._was_enabled = gc.isenabled()
                gc.disable()
            self._depth += 1
        try:
            yield
        finally:
            with self._lock:
                self._depth -= 1
                if self._depth == 0 and self._was_enabled:
                    gc.enable()


bulk_parsing = _BulkParsing()
"""``with bulk_parsing():`` around a CLI run that parses many files (never in the app)."""
