"""Papers to JSON Lines for scripts: one object per paper with every field, tags and notes.

Each line is ``Paper.model_dump`` (dates as ISO strings; ``sources``, ``page`` (file,
line, place in the file) and ``organization`` as objects) plus ``tags``, ``note``,
``read``, the derived ``arxiv_id``/``url``/``listed`` and the BibTeX ``citation_key``.
A tagged paper whose dump is gone has only ``id``, ``title``, ``tags``, ``note`` and
``read``. Text is exact (JSON escapes control characters), UTF-8, one ``\\n`` per line.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any, TextIO

from browser.export.bibtex import citation_key
from browser.export.rows import ExportRow, arxiv_id_of, listing_day, web_link


def jsonl_record(row: ExportRow) -> dict[str, Any]:
    """The object written for one row."""
    record: dict[str, Any] = {"id": row.paper_id, "title": row.shown_title}
    if row.paper is not None:
        record.update(row.paper.model_dump(mode="json"))
        listed = listing_day(row.paper)
        record["listed"] = listed.isoformat() if listed else None
        record["arxiv_id"] = arxiv_id_of(row.paper) or None
        record["url"] = web_link(row.paper) or None
    record["tags"] = list(row.tags)
    record["note"] = row.note
    record["read"] = row.read
    record["citation_key"] = citation_key(row)
    return record


def write_jsonl(out: TextIO, rows: Iterable[ExportRow]) -> int:
    """Write one JSON object per line; returns lines written."""
    written = 0
    for row in rows:
        out.write(json.dumps(jsonl_record(row), ensure_ascii=False) + "\n")
        written += 1
    return written
