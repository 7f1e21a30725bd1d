"""Bytes of a dump -> text: BOM, UTF-16, strict UTF-8, the cp1252 fallback, binary, stray NULs.

Decoding streams :data:`CHUNK` bytes at a time; when the encoding turns out wrong
part-way, the caller starts over with the fallback (see :func:`decode_with`).
"""

from __future__ import annotations

import codecs
from collections.abc import Callable, Iterator

from browser.models import ParseProblem
from browser.wording import counted

__all__ = ["BINARY_SAMPLE", "CHUNK", "ChunkSource", "decode_dump", "decode_with", "memory_chunks"]

CHUNK = 1 << 20  # bytes read, or characters split into lines, at a time

# C0 controls that never occur in text (NUL is handled on its own; tab, LF, VT,
# FF, CR and ESC are left out: ESC starts the ANSI sequences a terminal copy keeps).
_BINARY_CONTROLS = bytes([*range(0x01, 0x09), *range(0x0E, 0x1B), *range(0x1C, 0x20)])
BINARY_SAMPLE = 8192
_BINARY_RATIO = 0.10
_STRAY_NULS = 4
_C1_FALLBACK = "paper_browser_c1"


def _c1_fallback(error: UnicodeError) -> tuple[str, int]:
    """Decode the five bytes cp1252 leaves undefined as the C1 controls they are in Latin-1."""
    if not isinstance(error, UnicodeDecodeError):
        raise error
    return error.object[error.start : error.end].decode("latin-1"), error.end


codecs.register_error(_C1_FALLBACK, _c1_fallback)


class _NotText(Exception):
    """Raised from the middle of decoding: the bytes are binary after all."""


class _Restart(Exception):
    """Raised from the middle of decoding: start again with another encoding."""

    def __init__(self, encoding: str, errors: str, problem: ParseProblem) -> None:
        super().__init__(encoding)
        self.encoding = encoding
        self.errors = errors
        self.problem = problem


def _too_many_nuls(chunk: bytes) -> bool:
    """Binary files are full of NULs; a text dump may carry a stray one in a title."""
    nuls = chunk.count(b"\x00")
    return nuls > _STRAY_NULS or nuls * 100 > len(chunk)


def _looks_binary(sample: bytes) -> bool:
    sample = sample[:BINARY_SAMPLE]
    if _too_many_nuls(sample):
        return True
    controls = len(sample) - len(sample.translate(None, _BINARY_CONTROLS))
    return controls > len(sample) * _BINARY_RATIO


ChunkSource = Callable[[], Iterator[bytes]]


def memory_chunks(data: bytes) -> ChunkSource:
    def chunks() -> Iterator[bytes]:
        view = memoryview(data)
        for start in range(0, len(view), CHUNK):
            yield bytes(view[start : start + CHUNK])

    return chunks


class _Decoding:
    """How a dump's bytes become text, and the generator that does it a chunk at a time.

    The first try is the strict reading (UTF-8 or the BOM's encoding). When it
    fails part-way, the generator raises :class:`_Restart` with the fallback
    (cp1252, or replacement characters after a BOM) and the caller starts over.
    """

    def __init__(self, file: str, head: bytes) -> None:
        self.file = file
        self.problems: list[ParseProblem] = []
        self.skip = 0
        self.check_nul = False
        if head.startswith(codecs.BOM_UTF8):
            self.encoding, self.skip, self.name = "utf-8", 3, "UTF-8"
        elif head.startswith(codecs.BOM_UTF16_LE):
            self.encoding, self.skip, self.name = "utf-16-le", 2, "UTF-16 LE"
        elif head.startswith(codecs.BOM_UTF16_BE):
            self.encoding, self.skip, self.name = "utf-16-be", 2, "UTF-16 BE"
        else:
            self.encoding, self.name, self.check_nul = "utf-8", "UTF-8", True
        self.errors = "strict"
        self.binary = self.check_nul and _looks_binary(head)

    def restart(self, restart: _Restart) -> None:
        self.encoding, self.errors = restart.encoding, restart.errors
        self.problems.append(restart.problem)

    def not_text(self) -> ParseProblem:
        return ParseProblem(
            file=self.file, message="not a text dump (binary data); the file was skipped"
        )

    def text_chunks(self, source: ChunkSource) -> Iterator[str]:
        """The text, a chunk at a time; may raise :class:`_NotText` or :class:`_Restart`."""
        decoder = codecs.getincrementaldecoder(self.encoding)(self.errors)
        strict = self.errors == "strict"
        newlines = 0
        skip = self.skip
        for chunk in source():
            if skip:
                chunk, skip = chunk[skip:], max(0, skip - len(chunk))
            if self.check_nul and _too_many_nuls(chunk):
                raise _NotText
            try:
                text = decoder.decode(chunk)
            except UnicodeDecodeError as error:
                if not strict:  # pragma: no cover - "replace" and the cp1252 fallback never fail
                    raise
                pending = len(error.object) - len(chunk)
                line = newlines + chunk.count(b"\n", 0, max(0, error.start - pending)) + 1
                raise self._fallback(line) from None
            if "\x00" in text:
                text = self._replace_stray_nuls(text, newlines)
            newlines += text.count("\n")
            yield text
        tail = decoder.getstate()[0]
        if tail:
            self.problems.append(
                ParseProblem(
                    file=self.file,
                    line=newlines + 1,
                    message=f"the file ends in the middle of a {self.name} character "
                    f"(truncated?); the last {counted(len(tail), 'byte')} "
                    f"{'was' if len(tail) == 1 else 'were'} dropped",
                )
            )

    def _replace_stray_nuls(self, text: str, newlines_before: int) -> str:
        line = newlines_before + text.count("\n", 0, text.index("\x00")) + 1
        self.problems.append(
            ParseProblem(
                file=self.file,
                line=line,
                message=f"{counted(text.count(chr(0)), 'stray NUL byte')} replaced with \ufffd",
            )
        )
        return text.replace("\x00", "\ufffd")

    def _fallback(self, line: int) -> _Restart:
        if self.check_nul:
            return _Restart(
                "cp1252",
                _C1_FALLBACK,
                ParseProblem(
                    file=self.file,
                    line=line,
                    message="not UTF-8 (first odd byte on this line); read as Windows-1252 "
                    "(cp1252): check accented letters and symbols",
                ),
            )
        return _Restart(
            self.encoding,
            "replace",
            ParseProblem(
                file=self.file,
                line=line,
                message=f"invalid {self.name} text despite the byte order mark; "
                "broken characters were replaced with \ufffd",
            ),
        )


def decode_with(
    file: str, head: bytes, source: ChunkSource, consume: Callable[[Iterator[str]], None]
) -> tuple[bool, list[ParseProblem]]:
    """Feed the decoded text to ``consume``, starting over if the encoding turns out wrong.

    Returns whether the bytes were text, and the decoding problems.
    """
    decoding = _Decoding(file, head)
    if decoding.binary:
        return False, [decoding.not_text()]
    while True:
        try:
            consume(decoding.text_chunks(source))
        except _NotText:
            return False, [decoding.not_text()]
        except _Restart as restart:
            decoding.restart(restart)
            continue
        return True, decoding.problems


def decode_dump(data: bytes, file: str) -> tuple[str | None, list[ParseProblem]]:
    """The text of a dump, or ``None`` (with a warning) when the bytes are not text.

    A UTF-8 BOM means UTF-8 and ``FF FE``/``FE FF`` mean UTF-16; without a BOM,
    NUL bytes mean binary; otherwise strict UTF-8 (an incomplete character at the
    very end is a truncated file: it is dropped with a warning), else cp1252.
    Line ends are left as they are (:func:`parse_text` handles CR and CRLF).
    """
    pieces: list[str] = []

    def consume(chunks: Iterator[str]) -> None:
        pieces.clear()
        pieces.extend(chunks)

    is_text, problems = decode_with(file, data[:BINARY_SAMPLE], memory_chunks(data), consume)
    return ("".join(pieces) if is_text else None), problems
