"""Dump files -> records and problems, one module per format and concern.

=================  ==========================================================
``entry``          telling the formats apart; ``parse_text/bytes/file``
``decode``         bytes -> text (BOM, UTF-16, UTF-8, cp1252, binary, NULs)
``lines``          text a line at a time; furniture and card lines
``dates``          date lines and the year rules
``links``          URLs in an abstract
``text``           the text layouts (a state machine, one handler per state)
``api_json``       JSON of the Daily Papers API
``html_page``      a saved page (its data element, else its visible text)
``markdown_page``  a Markdown copy of the page (web clippers, page-to-Markdown tools)
``result``         :class:`ParsedFile` and the shared problem wording
=================  ==========================================================
"""

from __future__ import annotations

from browser.parse.decode import decode_dump
from browser.parse.entry import parse_bytes, parse_file, parse_text
from browser.parse.links import extract_links
from browser.parse.result import ParsedFile

__all__ = ["ParsedFile", "decode_dump", "extract_links", "parse_bytes", "parse_file", "parse_text"]
