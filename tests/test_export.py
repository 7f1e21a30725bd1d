"""CSV export and import: values survive, formulas stay inert, round trips are exact."""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

import pytest

from browser.export import (
    LONG_COLUMNS,
    WIDE_COLUMNS,
    CsvImportError,
    ExportRow,
    ImportedTags,
    neutralize_cell,
    read_csv_tags,
    restore_cell,
    write_csv,
)
from browser.identity import paper_id
from browser.models import Organization, Paper, Source
from browser.tags import TagStore

AWKWARD_TITLES = [
    "Plain title",
    "Commas, and more, commas",
    'She said "hello" to the "model"',
    "Two\nlines and a\r\nCRLF",
    "[bold]Markup[/bold] and [@click=app.quit]",
    "Naïve 東京 Ünïcödé — ✓",
    "=SUM(A1:A3)",
    "+1 for robustness",
    "-- a dashed title",
    "@mention in a title",
    "\tTabbed title",
    "'=already quoted",
]


def make_paper(title: str, **fields: object) -> Paper:
    values: dict[str, object] = {
        "id": paper_id(title),
        "title": title,
        "abstract": "Abstract.",
        "authors": 3,
        "organization": Organization(slug="nvidia", name="NVIDIA"),
        "date": dt.date(2024, 3, 4),
        "comments": 2,
        "upvotes": 17,
        "links": ["https://arxiv.org/abs/2403.01234", "https://github.com/x/y"],
        "sources": [Source(file="dumps/a.txt", line=12), Source(file="dumps/b.txt", line=3)],
    }
    values.update(fields)
    return Paper.model_validate(values)


def exported(rows: list[ExportRow], *, columns: str | None = None, **options: bool) -> str:
    out = io.StringIO(newline="")
    write_csv(out, rows, columns=None if columns is None else columns.split(","), **options)
    return out.getvalue()


def parsed(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline="")))


def test_wide_export_values(tmp_path: Path) -> None:
    paper = make_paper("A Paper")
    text = exported([ExportRow(paper.id, paper.title, ["to read", "RL"], paper)])
    header, row = parsed(text)
    assert tuple(header) == WIDE_COLUMNS
    assert dict(zip(header, row, strict=True)) == {
        "id": paper.id,
        "title": "A Paper",
        "tags": "to read; RL",
        "date": "2024-03-04",
        "authors": "3",
        "organization": "NVIDIA",
        "comments": "2",
        "upvotes": "17",
        "links": "https://arxiv.org/abs/2403.01234; https://github.com/x/y",
        "sources": "dumps/a.txt:12; dumps/b.txt:3",
    }
    assert text.endswith("\r\n")
    assert text.startswith("id,title,tags,")


def test_missing_values_and_missing_papers_export_as_empty_cells() -> None:
    sparse = make_paper(
        "Sparse", authors=None, organization=None, date=None, comments=None, upvotes=None,
        links=[], sources=[],
    )  # fmt: skip
    slug_only = make_paper("Slug only", organization=Organization(slug="acme", name=""))
    rows = [
        ExportRow(sparse.id, sparse.title, ["x"], sparse),
        ExportRow(slug_only.id, slug_only.title, [], slug_only),
        ExportRow("hf-0000000000000000", "Gone from the dumps", ["kept"], None),
    ]
    header, first, second, third = parsed(exported(rows))
    assert first == [sparse.id, "Sparse", "x", "", "", "", "", "", "", ""]
    assert second[header.index("organization")] == "acme"
    assert third == ["hf-0000000000000000", "Gone from the dumps", "kept", *[""] * 7]


@pytest.mark.parametrize("title", AWKWARD_TITLES)
def test_awkward_titles_read_back_exactly(title: str) -> None:
    paper = make_paper(title)
    text = exported([ExportRow(paper.id, title, ["t"], paper)], neutralize=False)
    [_, row] = parsed(text)
    assert row[1] == title


@pytest.mark.parametrize("title", AWKWARD_TITLES)
def test_formula_cells_are_neutralised_by_default(title: str) -> None:
    paper = make_paper(title)
    [_, row] = parsed(exported([ExportRow(paper.id, title, ["t"], paper)]))
    if title.lstrip("'")[:1] in {"=", "+", "-", "@", "\t", "\r"}:
        assert row[1] == "'" + title
    else:
        assert row[1] == title
    assert restore_cell(row[1]) == title


def test_every_text_column_is_neutralised_and_numbers_are_not() -> None:
    paper = make_paper(
        "Title",
        organization=Organization(slug="x", name="=HYPERLINK(1)"),
        links=["-not a link"],
        sources=[Source(file="@file.txt", line=1)],
    )
    [header, row] = parsed(exported([ExportRow(paper.id, "+title", ["=tag", "-b"], paper)]))
    cells = dict(zip(header, row, strict=True))
    assert cells["title"] == "'+title"
    assert cells["tags"] == "'=tag; -b"
    assert cells["organization"] == "'=HYPERLINK(1)"
    assert cells["links"] == "'-not a link"
    assert cells["sources"] == "'@file.txt:1"
    assert cells["upvotes"] == "17"


def test_neutralize_off_writes_values_as_they_are() -> None:
    [_, row] = parsed(exported([ExportRow("hf-1", "=1+1", ["@x"], None)], neutralize=False))
    assert row[:3] == ["hf-1", "=1+1", "@x"]


@pytest.mark.parametrize(
    ("value", "safe"),
    [
        ("=1", "'=1"),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@a", "'@a"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("'=1", "''=1"),
        ("'plain", "'plain"),
        ("a=1", "a=1"),
        ("", ""),
    ],
)
def test_neutralize_and_restore_are_inverse(value: str, safe: str) -> None:
    assert neutralize_cell(value) == safe
    assert restore_cell(safe) == value


def test_header_only_when_there_are_no_rows() -> None:
    assert exported([]) == ",".join(WIDE_COLUMNS) + "\r\n"
    assert exported([], long=True) == ",".join(LONG_COLUMNS) + "\r\n"


def test_write_csv_counts_rows_and_can_start_with_a_bom() -> None:
    out = io.StringIO(newline="")
    rows = [ExportRow("hf-1", "One", ["a", "b"], None), ExportRow("hf-2", "Two", [], None)]
    assert write_csv(out, rows, bom=True) == 2
    assert out.getvalue().startswith("\ufeffid,")
    assert write_csv(io.StringIO(), rows, long=True) == 3


def test_long_form_has_one_row_per_paper_and_tag() -> None:
    paper = make_paper("Long, form")
    rows = [
        ExportRow(paper.id, paper.title, ["a", "=b"], paper),
        ExportRow("hf-x", "Untagged result", [], None),
    ]
    header, *body = parsed(exported(rows, long=True))
    assert tuple(header) == LONG_COLUMNS
    assert [(row[0], row[1], row[2]) for row in body] == [
        (paper.id, "Long, form", "a"),
        (paper.id, "Long, form", "'=b"),
        ("hf-x", "Untagged result", ""),
    ]
    assert body[0][3:] == body[1][3:]  # every row carries the paper's details


# ------------------------------------------------------------------ import


def read_tag_rows(path: Path) -> list[ImportedTags]:
    read = read_csv_tags(path.read_bytes(), str(path))
    assert read.problems == []
    return read.papers


def write_file(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8", newline="")
    return path


def test_import_wide(tmp_path: Path) -> None:
    path = write_file(
        tmp_path / "wide.csv",
        "id,title,tags,date\r\n"
        'hf-1,"One, with comma",to read; RL,2024-01-01\r\n'
        "hf-2,'=Formula title,'=eq; plain ;,\r\n"
        "hf-3,Untagged,,\r\n"
        ",,,\r\n",
    )
    assert read_tag_rows(path) == [
        ImportedTags("hf-1", "One, with comma", ["to read", "RL"], 2),
        ImportedTags("hf-2", "=Formula title", ["=eq", "plain"], 3),
        ImportedTags("hf-3", "Untagged", [], 4),
    ]


def test_import_long_groups_rows_by_paper(tmp_path: Path) -> None:
    path = write_file(
        tmp_path / "long.csv",
        'ID,Title,Tag\r\nhf-1,"Multi\r\nline",a\r\nhf-2,Two,b\r\nhf-1,"Multi\r\nline",A\r\n'
        'hf-1,"Multi\r\nline",\'-c\r\n',
    )
    assert read_tag_rows(path) == [
        ImportedTags("hf-1", "Multi\r\nline", ["a", "-c"], 2),
        ImportedTags("hf-2", "Two", ["b"], 4),
    ]


def test_import_accepts_a_bom_and_rows_without_an_id(tmp_path: Path) -> None:
    path = write_file(tmp_path / "bom.csv", "\ufefftitle,tags\r\nSome Paper,x\r\n")
    [imported] = read_tag_rows(path)
    # No id cell: the paper is named by its title only, never given an invented id.
    assert imported.paper_id == ""
    assert (imported.title, imported.tags) == ("Some Paper", ["x"])


@pytest.mark.parametrize(
    ("text", "complaint"),
    [
        ("", "empty"),
        ("id,title,date\r\nhf-1,x,2024\r\n", "neither a 'tags' nor a 'tag'"),
        ("tags,date\r\nx,2024\r\n", "neither an 'id' nor a 'title'"),
    ],
)
def test_import_rejects_what_is_not_a_tag_export(tmp_path: Path, text: str, complaint: str) -> None:
    path = write_file(tmp_path / "bad.csv", text)
    with pytest.raises(CsvImportError, match=complaint):
        read_tag_rows(path)


@pytest.mark.parametrize(
    ("text", "kept", "problem"),
    [
        ('id,title,tags\r\nhf-1,One,"good; a, b"\r\n', ["good"], "line 2: tag 'a, b' skipped"),
        ('id,title,tags\r\nhf-1,One,"bad\nname; ok"\r\n', ["ok"], "line 2: tag"),
        ("id,title,tag\r\nhf-1,One,x\r\nhf-1,One,a\x00b\r\n", ["x"], "line 3: tag"),
        ('id,title,tags\r\nhf-1,One,"' + "y" * 500 + '; z"\r\n', ["z"], "line 2: tag"),
        ("id,title,tags\r\n,,x\r\nhf-1,One,ok\r\n", ["ok"], "line 2: the row has neither"),
    ],
)
def test_a_bad_tag_or_row_is_skipped_and_reported_not_the_whole_file(
    tmp_path: Path, text: str, kept: list[str], problem: str
) -> None:
    path = write_file(tmp_path / "mixed.csv", text)
    read = read_csv_tags(path.read_bytes(), str(path))
    assert [paper.tags for paper in read.papers] == [kept]
    assert len(read.problems) == 1 and read.problems[0].startswith(problem), read.problems


# ------------------------------------------------------------------ round trip


def export_store(store: TagStore, papers: dict[str, Paper], *, long: bool) -> str:
    rows = [
        ExportRow(
            entry.paper_id,
            papers[entry.paper_id].title if entry.paper_id in papers else entry.title,
            list(entry.tags),
            papers.get(entry.paper_id),
        )
        for entry in store.entries()
    ]
    return exported(rows, long=long)


@pytest.mark.parametrize("long", [False, True], ids=["wide", "long"])
def test_export_import_export_is_identical(tmp_path: Path, long: bool) -> None:
    papers = {paper.id: paper for paper in map(make_paper, AWKWARD_TITLES)}
    original = TagStore(tmp_path / "original" / "tags.json")
    tag_names = ["to read", "=sum", "-draft", "@team", "+1", "'=quoted", "naïve 東京", "[x]"]
    for number, paper in enumerate(papers.values()):
        for offset in range(1 + number % 3):
            original.add(paper.id, tag_names[(number + offset) % len(tag_names)], title=paper.title)
    original.add("hf-00000000deadbeef", "=orphan", title="=Not in the dumps, any more")
    first = export_store(original, papers, long=long)
    csv_file = tmp_path / "export.csv"
    csv_file.write_text(first, encoding="utf-8", newline="")

    fresh = TagStore(tmp_path / "fresh" / "tags.json")
    imported = read_tag_rows(csv_file)
    assert fresh.set_many((row.paper_id, row.tags, row.title) for row in imported) == len(
        original.entries()
    )
    assert export_store(fresh, papers, long=long) == first
    assert [(e.paper_id, e.title, e.tags) for e in fresh.entries()] == [
        (e.paper_id, e.title, e.tags) for e in original.entries()
    ]


@pytest.mark.parametrize(
    ("stored", "shown"),
    [
        ("\x1b[31mred\x1b[0m", "␛[31mred␛[0m"),
        ("bell\x07 and nul\x00", "bell␇ and nul␀"),
        ("c1 \x9b31m and \x85", "c1 \ufffd31m and \ufffd"),
        ("bidi \u202eevil\u202c \u2066iso\u2069", "bidi \ufffdevil\ufffd \ufffdiso\ufffd"),
        ("zero\u200bwidth\ufeff", "zero\ufffdwidth\ufffd"),
        ("del\x7f", "del␡"),
        ("keeps\ttab\nline\r\nbreaks", "keeps\ttab\nline\r\nbreaks"),
    ],
)
def test_control_characters_become_visible_in_every_csv_cell(stored: str, shown: str) -> None:
    paper = make_paper(
        "Title " + stored,
        abstract="Abstract " + stored,
        organization=Organization(slug="x", name="Org " + stored),
        author_names=["Ann " + stored],
    )
    row = ExportRow(paper.id, paper.title, ["t"], paper, note="note " + stored)
    text = exported([row], columns="title,abstract,organization,author_names,notes")
    [_, cells] = parsed(text)
    assert cells == [f"{label} {shown}" for label in ("Title", "Abstract", "Org", "Ann", "note")]
    # --no-neutralize writes the stored text exactly.
    [_, raw] = parsed(exported([row], neutralize=False, columns="title,notes"))
    assert raw == ["Title " + stored, "note " + stored]
