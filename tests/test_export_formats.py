"""BibTeX, RIS, Markdown, JSONL and CSV options, each read back by an independent parser.

bibtexparser (with pylatexenc decoding LaTeX), rispy and markdown-it are the oracles:
every field we write must come back as the text the paper holds.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from typing import Any

import bibtexparser
import pytest
import rispy
from hypothesis import example, given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt
from pylatexenc.latex2text import LatexNodes2Text, MacroTextSpec, get_default_latex_context_db

from browser.export import (
    CSV_COLUMNS,
    ColumnError,
    ExportOptions,
    ExportRow,
    resolve_columns,
    write_export,
)
from browser.export.bibtex import citation_key, escape_latex
from browser.export.bibtex_reader import latex_to_text, parse_bibtex
from browser.export.rows import first_sentence, one_line
from browser.identity import paper_id
from browser.models import Organization, Paper, Source

HOSTILE_TITLES = [
    "Plain Title for LLMs",
    "Braces {like} this } and { alone",
    "50% of R&D costs $5 #1 under_score ~tilde^caret",
    "Back\\slash \\textbf{not bold} \\\\ end\\",
    "Naïve Ünïcödé 東京 — “quoted” café",
    "[@click=app.quit] [bold]Markup[/bold]",
    "\x1b[31mANSI red\x1b[0m and \x07bell",
    "Dashes -- and --- quotes '' `` ?` !` << >>",
    "Two\nlines\r\nhere",
    "@misc{evil, title = {x}} % comment",
    "TY  - JOUR\nER  - ",
]


def make_paper(title: str, **fields: Any) -> Paper:
    values: dict[str, Any] = {
        "id": paper_id(title),
        "title": title,
        "abstract": "First sentence, e.g. with an abbreviation. Second sentence here.",
        "authors": 3,
        "organization": Organization(slug="nvidia", name="NVIDIA"),
        "date": dt.date(2024, 3, 4),
        "comments": 2,
        "upvotes": 17,
        "links": ["https://arxiv.org/abs/2403.01234v2", "https://github.com/x/y"],
        "sources": [Source(file="dumps/a.txt", line=12)],
    }
    values.update(fields)
    return Paper.model_validate(values)


def row_for(title: str, tags: list[str] | None = None, **fields: Any) -> ExportRow:
    paper = make_paper(title, **fields)
    return ExportRow(paper.id, title, ["to read", "R&D_x"] if tags is None else tags, paper)


def export(rows: list[ExportRow], export_format: str, **options: Any) -> str:
    out = io.StringIO(newline="")
    write_export(out, rows, ExportOptions(format=export_format, **options))  # type: ignore[arg-type]
    return out.getvalue()


# ------------------------------------------------------------------ BibTeX

# pylatexenc lacks textcomp's brace macros and renders \textasciicircum as U+02C6.
_LATEX_CONTEXT = get_default_latex_context_db()
_LATEX_CONTEXT.add_context_category(
    "textcomp-braces",
    prepend=True,
    macros=[
        MacroTextSpec("textbraceleft", "{"),
        MacroTextSpec("textbraceright", "}"),
        MacroTextSpec("textasciicircum", "^"),
    ],
)
# Math verbatim: a formula is written as math and must read back as the stored "$\pi$".
_DECODER = LatexNodes2Text(latex_context=_LATEX_CONTEXT, math_mode="verbatim")


def bibtex_entries(text: str) -> list[Any]:
    library = bibtexparser.parse_string(text)
    assert not library.failed_blocks, [block.error for block in library.failed_blocks]
    return list(library.entries)


def decoded(value: str) -> str:
    return " ".join(_DECODER.latex_to_text(value).split())


@pytest.mark.parametrize("title", HOSTILE_TITLES)
def test_bibtex_fields_read_back_by_bibtexparser(title: str) -> None:
    row = row_for(title)
    row.note = "Read §3 & 50% of the appendix"
    [entry] = bibtex_entries(export([row], "bibtex"))
    assert entry.entry_type == "misc"
    assert entry.key == citation_key(row)
    fields = {field.key: field.value for field in entry.fields}
    assert decoded(fields["title"]) == one_line(title)
    assert fields["year"] == "2024"
    assert fields["month"] == "mar"
    assert fields["eprint"] == "2403.01234"
    assert fields["archivePrefix"] == "arXiv"
    assert fields["url"] == "https://arxiv.org/abs/2403.01234"
    assert decoded(fields["abstract"]) == one_line(row.paper.abstract if row.paper else "")
    assert [decoded(k) for k in fields["keywords"].split(",")] == ["to read", "R&D_x"]
    assert decoded(fields["note"]) == "Read §3 & 50% of the appendix"


MATH_TITLES = [
    (r"$\pi$-Flow: Policy-Based Few-Step Generation", r"{$\pi$-Flow:}"),
    ("SOTOPIA-$π$: Interactive Learning of Socially Intelligent Agents", "{SOTOPIA-$π$:}"),
    (r"An $O(n \log n)$ Sort with $\mathcal{L}_2$ Loss", r"{$O(n \log n)$}"),
    (r"$k$-means for $\alpha$-divergence", r"$k$-means"),
]
NOT_MATH_TITLES = [
    "Costs $5 and $10 per Run",  # pandoc's rule: prose dollars
    "A $50%$ Gain",  # % would comment out the rest of the field in LaTeX
    r"Braces $\{a$ alone",  # an unbalanced brace would end the BibTeX field
    "Tables $a & b$ here",
    "Escaped \\$x\\$ dollars",
]


@pytest.mark.parametrize(("title", "written"), MATH_TITLES)
def test_bibtex_keeps_inline_math_as_latex_math(title: str, written: str) -> None:
    row = row_for(title, abstract=f"We study {title} and pay $5 for it.")
    [entry] = bibtex_entries(export([row], "bibtex"))
    fields = {field.key: field.value for field in entry.fields}
    assert written in fields["title"]
    assert "\\$" not in fields["title"] and "textbackslash" not in fields["title"]
    # pylatexenc (math verbatim) reads the field back as the stored title.
    assert decoded(fields["title"]) == title
    assert decoded(fields["abstract"]) == f"We study {title} and pay $5 for it."
    assert "pay \\$5" in fields["abstract"]
    # Our import reader agrees, so the entry matches its paper again.
    [ours], _ = parse_bibtex(export([row], "bibtex"))
    assert ours.text("title") == title


@pytest.mark.parametrize("title", NOT_MATH_TITLES)
def test_bibtex_escapes_dollars_that_are_not_compilable_math(title: str) -> None:
    [entry] = bibtex_entries(export([row_for(title)], "bibtex"))
    value = entry.fields_dict["title"].value
    assert "\\$" in value
    assert decoded(value) == one_line(title)


def test_other_formats_keep_the_stored_math() -> None:
    title = r"$\pi$-Flow: Fast"
    row = row_for(title)
    for export_format in ("ris", "csv"):
        assert "$\\pi$-Flow: Fast" in export([row], export_format)
    assert json.loads(export([row], "jsonl"))["title"] == title
    # Markdown escapes the text; rendered, it is the stored title.
    assert "$\\pi$-Flow: Fast" in MarkdownIt().render(export([row], "markdown"))


def test_bibtex_uses_the_link_when_no_arxiv_id_and_leaves_out_what_is_unknown() -> None:
    paper = make_paper("No arXiv here", links=["javascript:alert(1)", "https://github.com/a/b"])
    sparse = ExportRow("hf-gone", "Gone From The Dumps", ["kept"], None)
    first, second = bibtex_entries(
        export([ExportRow(paper.id, paper.title, [], paper), sparse], "bibtex")
    )
    fields = {field.key: field.value for field in first.fields}
    assert fields["url"] == "https://github.com/a/b"
    assert "eprint" not in fields and "keywords" not in fields and "note" not in fields
    assert {field.key for field in second.fields} == {"title", "keywords"}


def test_bibtex_protects_capitalised_words_and_keeps_authors() -> None:
    row = row_for("ImageNet and LLMs in the wild", author_names=["Jane Doe", "Müller, Jörg"])
    [entry] = bibtex_entries(export([row], "bibtex"))
    fields = {field.key: field.value for field in entry.fields}
    assert fields["title"].startswith("{ImageNet} and {LLMs} in the wild")
    assert fields["author"] == "Jane Doe and Müller, Jörg"
    assert entry.key.startswith("doe2024imagenet_")


def test_citation_keys_are_stable_readable_and_unique() -> None:
    rows = [row_for(f"Scaling Laws Part {n}") for n in range(40)]
    keys = [citation_key(row) for row in rows]
    assert len(set(keys)) == len(keys)
    assert all(key.startswith("nvidia2024scaling_") for key in keys)
    # The same paper has the same key whatever else is exported with it.
    alone = bibtex_entries(export([rows[7]], "bibtex"))[0].key
    together = [entry.key for entry in bibtex_entries(export(rows, "bibtex"))]
    assert alone == together[7] == keys[7]
    orphan = ExportRow("hf-x", "東京 only", [], None)
    assert citation_key(orphan).startswith("paper_") or citation_key(orphan).isascii()


_TITLES = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\u02c6"),
    max_size=60,
)


@settings(max_examples=300, deadline=None)
@given(_TITLES)
# Private-use characters: the reader's stand-ins for literal braces and tildes once were.
@example("\ue000")
@example("{\ue001} a~b \ue002 \ue000\ue003")
def test_any_title_round_trips_through_bibtexparser(title: str) -> None:
    row = ExportRow("hf-1", title, [], make_paper(title))
    text = export([row], "bibtex")
    [entry] = bibtex_entries(text)
    assert decoded(entry["title"]) == one_line(title)
    # Our own reader (import-tags) agrees with the oracle.
    [ours], problems = parse_bibtex(text)
    assert problems == []
    assert ours.text("title") == one_line(title)


@settings(max_examples=200, deadline=None)
@given(_TITLES)
def test_escaped_text_has_balanced_braces(text: str) -> None:
    depth = 0
    for char in escape_latex(text):
        depth += {"{": 1, "}": -1}.get(char, 0)
        assert depth >= 0
    assert depth == 0


def test_latex_to_text_reads_what_reference_managers_write() -> None:
    assert latex_to_text(r'M{\"u}ller \'{e}t\'e Erd\H{o}s {\ss} \emph{Big} \& Co') == (
        "Müller été Erdős ß Big & Co"
    )


# ------------------------------------------------------------------ RIS


@pytest.mark.parametrize("title", HOSTILE_TITLES)
def test_ris_fields_read_back_by_rispy(title: str) -> None:
    row = row_for(title, author_names=["Jane Doe"])
    row.note = "my note"
    text = export([row, ExportRow("hf-gone", "Gone", ["t"], None)], "ris")
    assert "\n" not in text.replace("\r\n", "")  # CRLF everywhere, nothing else
    first, second = rispy.loads(text)
    assert first["type_of_reference"] == "UNPB"
    assert first["title"] == one_line(title)
    assert first["authors"] == ["Jane Doe"]
    assert (first["year"], first["date"]) == ("2024", "2024/03/04/")
    assert first["abstract"] == one_line(row.paper.abstract if row.paper else "")
    assert first["doi"] == "10.48550/arXiv.2403.01234"
    assert first["accession_number"] == "arXiv:2403.01234"
    assert first["urls"] == ["https://arxiv.org/abs/2403.01234"]
    assert first["keywords"] == ["to read", "R&D_x"]
    assert first["notes"] == ["my note"]
    assert second == {"type_of_reference": "UNPB", "title": "Gone", "keywords": ["t"]}


# ------------------------------------------------------------------ Markdown


def test_markdown_reading_list_groups_by_tag_and_escapes_hostile_text() -> None:
    rows = [
        row_for(title, tags=[tag])
        for title, tag in zip(HOSTILE_TITLES, ["b", "a", "[x](y)"] * 4, strict=False)
    ]
    rows.append(row_for("Untagged *one*", tags=[]))
    text = export(rows, "markdown")
    tokens = MarkdownIt("commonmark").parse(text)
    headings = [
        "".join(child.content for child in tokens[i + 1].children or [] if child.type == "text")
        for i, token in enumerate(tokens)
        if token.type == "heading_open"
    ]
    assert headings == ["Reading list", "[x](y)", "a", "b", "Untagged"]
    links = [
        (child.attrs["href"], "".join(c.content for c in token.children[i + 1 : i + 2]))
        for token in tokens
        if token.type == "inline" and token.children
        for i, child in enumerate(token.children)
        if child.type == "link_open"
    ]
    assert len(links) == len(rows)  # one link per paper, none smuggled in by a title
    assert all(href == "https://arxiv.org/abs/2403.01234" for href, _ in links)
    html = MarkdownIt("commonmark").render(text)
    assert "<script" not in html and "<strong>" not in html and "<em>" not in html
    assert "2024-03-04" in text
    assert "First sentence, e.g. with an abbreviation." in text.replace("\\", "")
    assert "Second sentence" not in text


def test_first_sentence() -> None:
    assert first_sentence("We propose a model. Then we test it.") == "We propose a model."
    assert first_sentence("Results (Fig. 2) are 3.5 times better than J. Smith et al. found.") == (
        "Results (Fig. 2) are 3.5 times better than J. Smith et al. found."
    )
    assert first_sentence("x" * 500).endswith("…")


# ------------------------------------------------------------------ JSONL


def test_jsonl_has_every_field_tags_and_notes() -> None:
    row = row_for("A Paper", author_names=["Jane Doe"], keywords=["kw"])
    row.note, row.read = "a note", True
    gone = ExportRow("hf-gone", "Gone", ["t"], None)
    first, second = (json.loads(line) for line in export([row, gone], "jsonl").splitlines())
    assert row.paper is not None
    assert set(row.paper.model_dump()) <= set(first)
    assert first["title"] == "A Paper" and first["date"] == "2024-03-04"
    assert first["organization"] == {"slug": "nvidia", "name": "NVIDIA"}
    assert first["sources"] == [{"file": "dumps/a.txt", "line": 12, "position": 0}]
    assert (first["tags"], first["note"], first["read"]) == (["to read", "R&D_x"], "a note", True)
    assert first["arxiv_id"] == "2403.01234" and first["citation_key"] == citation_key(row)
    assert second["id"] == "hf-gone" and second["tags"] == ["t"] and second["note"] is None


# ------------------------------------------------------------------ CSV options


def test_csv_columns_choose_and_order_and_excel_adds_a_bom() -> None:
    row = row_for("A Paper", listed=dt.date(2024, 3, 6))
    row.note, row.read = "n", False
    unknown = row_for("Not Listed")  # its own date is not its listing day: left empty
    columns = ["title", "abstract", "listed", "notes", "read"]
    text = export([row, unknown], "csv", columns=columns, excel=True)
    assert text.startswith("\ufefftitle,abstract,listed,notes,read\r\n")
    assert text.endswith("\r\n")
    cells, empty = list(csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline="")))[1:]
    assert cells == ["A Paper", row.paper.abstract if row.paper else "", "2024-03-06", "n", "no"]
    assert empty[:1] + empty[2:3] == ["Not Listed", ""]


def test_unknown_columns_are_refused_with_the_valid_ones() -> None:
    with pytest.raises(ColumnError, match="unknown column 'colour'; valid columns: id, title"):
        resolve_columns("title,colour")
    with pytest.raises(ColumnError, match="twice"):
        resolve_columns("title,Title")
    assert resolve_columns(" Title , TAGS ", long=True) == ("title", "tag")
    assert set(CSV_COLUMNS) >= {"abstract", "listed", "notes", "read"}
