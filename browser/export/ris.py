"""Papers to RIS, the tagged format every reference manager imports (Zotero, EndNote, Mendeley).

Per the RIS specification (Research Information Systems, 2011 revision): each line is
a two-character tag, two spaces, a hyphen, a space and the value, lines end in CRLF,
a record starts with ``TY`` and ends with ``ER  -``. The type is ``UNPB``
(unpublished work), the RIS type reference managers read as a preprint: Zotero's RIS
translator maps its Preprint item type to it (``GEN`` would import as a journal
article and ``ELEC`` as a web page).

A value is one line: control characters are made visible and line breaks become
spaces, so no dump text can start a tag of its own.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TextIO

from browser.export.rows import ExportRow, arxiv_id_of, one_line, web_link

RIS_TYPE = "UNPB"
CRLF = "\r\n"


def ris_fields(row: ExportRow) -> list[tuple[str, str]]:
    """(tag, value) for one record in the order written, ``TY`` first and ``ER`` last."""
    paper = row.paper
    fields: list[tuple[str, str]] = [("TY", RIS_TYPE), ("TI", row.shown_title)]
    if paper is not None:
        fields.extend(("AU", name) for name in paper.author_names if name.strip())
        if paper.date is not None:
            fields.append(("PY", str(paper.date.year)))
            # RIS dates are YYYY/MM/DD/ with an optional trailing part.
            fields.append(("DA", paper.date.strftime("%Y/%m/%d/")))
        if paper.abstract.strip():
            fields.append(("AB", paper.abstract))
    arxiv = arxiv_id_of(paper)
    if arxiv:
        # arXiv registers a DataCite DOI for every paper; reference managers resolve it.
        fields.append(("DO", f"10.48550/arXiv.{arxiv}"))
        fields.append(("AN", f"arXiv:{arxiv}"))
        fields.append(("PB", "arXiv"))
    url = web_link(paper)
    if url:
        fields.append(("UR", url))
    fields.extend(("KW", tag) for tag in row.tags)
    if row.note and row.note.strip():
        fields.append(("N1", row.note))
    fields.append(("ER", ""))
    return fields


def write_ris(out: TextIO, rows: Iterable[ExportRow]) -> int:
    """Write one record per row; returns records written. ``out`` must be opened with
    ``newline=""`` so the CRLF line ends reach the file unchanged."""
    written = 0
    for row in rows:
        if written:
            out.write(CRLF)
        for tag, value in ris_fields(row):
            text = one_line(value)
            out.write(f"{tag}  - {text}{CRLF}" if text else f"{tag}  -{CRLF}")
        written += 1
    return written
