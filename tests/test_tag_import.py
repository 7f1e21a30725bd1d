"""Tags come back: from our BibTeX/RIS as a reference manager re-exports them, and from
our CSV as a spreadsheet re-saves it; matched by id, arXiv id, then title."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import FIXTURE_PAPERS, DumpPaper, write_dump

from browser.cli import main
from browser.export import ExportOptions, TagImportError
from browser.export.tag_import import read_import_file
from browser.identity import paper_id
from browser.services import ExportSelection, Services, open_services

ARXIV_PAPER = DumpPaper("Arxiv Linked Paper", "See https://arxiv.org/abs/2401.00001 for more.")
ROBOT = paper_id(FIXTURE_PAPERS[0].title)
POKEMON = paper_id(FIXTURE_PAPERS[1].title)
MARKUP = paper_id(FIXTURE_PAPERS[3].title)
LINKED = paper_id(ARXIV_PAPER.title)


@pytest.fixture
def services(tmp_path: Path) -> Iterator[Services]:
    write_dump(tmp_path / "dumps", "2024-03-05_page.txt", [*FIXTURE_PAPERS, ARXIV_PAPER])
    opened = open_services(tmp_path / "library")
    opened.sync([tmp_path / "dumps"])
    opened.tags.add(ROBOT, "to read")
    opened.tags.add(ROBOT, "rl")
    opened.tags.add(POKEMON, "games")
    opened.tags.add(MARKUP, "=odd")
    opened.tags.add(LINKED, "arxiv")
    yield opened
    opened.close()


def exported(services: Services, export_format: str, path: Path, **options: object) -> str:
    services.export(
        ExportSelection(),
        ExportOptions(format=export_format, **options),  # type: ignore[arg-type]
        path=path,
    )
    return path.read_bytes().decode("utf-8-sig")


def as_reference_manager_writes_bibtex(text: str) -> str:
    """What Zotero/JabRef do to a .bib: new keys, fields reversed and re-indented, long
    values wrapped, extra fields, accents as LaTeX, the title in quotes."""
    out = []
    for number, entry in enumerate(re.findall(r"@misc\{[^\n]*\n(.*?)\n\}\n", text, re.S)):
        fields = [line.strip().rstrip(",") for line in entry.split("\n")]
        fields.reverse()
        fields.append("timestamp = {2026-01-01}")
        fields.append("file = {:papers/x.pdf:PDF}")
        body = []
        for field in fields:
            name, value = field.split("=", 1)
            value = value.strip()
            if name.strip() == "title":
                value = '"' + value[1:-1] + '"'
            value = value.replace("é", "{\\'e}")
            wrapped = re.sub(r"(.{40,60}?) ", "\\1\n\t\t", value)
            body.append(f"\t{name.strip()} = {wrapped}")
        out.append(f"@Misc{{Ref{number},\n" + ",\n".join(body) + "\n}")
    return "% Encoding: UTF-8\n\n" + "\n\n".join(out) + "\n\n@Comment{jabref-meta: x;}\n"


def test_bibtex_round_trip_a_keyword_changed_in_a_reference_manager(
    services: Services, tmp_path: Path
) -> None:
    text = exported(services, "bibtex", tmp_path / "tagged.bib")
    edited = as_reference_manager_writes_bibtex(text)
    edited = edited.replace("to read, rl", "to read, reinforcement")
    assert "reinforcement" in edited and "Pok{\\'e}mon" in edited
    path = tmp_path / "zotero.bib"
    path.write_text(edited, encoding="utf-8")
    report = services.import_tags(path, replace=True)
    assert services.tags.tags_of(ROBOT) == ["to read", "reinforcement"]
    assert services.tags.tags_of(POKEMON) == ["games"]  # matched by title despite LaTeX
    assert services.tags.tags_of(MARKUP) == ["=odd"]
    assert (report.entries, report.papers_matched, report.unmatched) == (4, 4, [])
    assert (report.tags_added, report.tags_removed, report.papers_changed) == (1, 1, 1)
    assert report.detection == "BibTeX, UTF-8"


def test_bibtex_import_adds_by_default_and_reports_what_matched_nothing(
    services: Services, tmp_path: Path
) -> None:
    path = tmp_path / "other.bib"
    path.write_text(
        "@article{a, title = {Some Other Title}, eprint = {2401.00001v3}, "
        "archivePrefix = {arXiv}, keywords = {new; arxiv}}\n"
        "@misc{b, title = {A Paper Nobody Indexed}, keywords = {x}}\n"
        "@misc{c, title = {reinforcement learning FOR robot policies!}, keywords = {extra}}\n"
        "@misc{broken, title = {never closed\n",
        encoding="utf-8",
    )
    report = services.import_tags(path)
    assert services.tags.tags_of(LINKED) == ["arxiv", "new"]  # by arXiv id, title ignored
    assert services.tags.tags_of(ROBOT) == ["to read", "rl", "extra"]  # by normalised title
    assert report.unmatched == [f"{path}:2: A Paper Nobody Indexed"]
    assert (report.tags_added, report.papers_changed, report.tags_removed) == (2, 2, 0)
    assert any("line 4" in problem for problem in report.problems)
    assert "imported 2 tags on 2 papers from BibTeX, UTF-8" in report.summary()
    assert "1 matched nothing" in report.summary()


def test_ris_round_trip_a_keyword_changed_in_a_reference_manager(
    services: Services, tmp_path: Path
) -> None:
    text = exported(services, "ris", tmp_path / "tagged.ris")
    records = text.split("ER  -\r\n")
    zotero = []
    for record in records:
        lines = [line for line in record.split("\r\n") if line]
        if not lines:
            continue
        # Zotero: its own order, more fields, keyword edited, CRLF kept.
        lines = [lines[0], "Y2  - 2026/01/01/", *reversed(lines[1:]), "L1  - file:///x.pdf"]
        zotero.append("\r\n".join(lines).replace("KW  - rl", "KW  - reinforcement"))
    path = tmp_path / "zotero.ris"
    path.write_bytes(("\ufeff" + "\r\nER  - \r\n\r\n".join(zotero) + "\r\nER  - \r\n").encode())
    report = services.import_tags(path, replace=True)
    # Replace takes the file's order (the keywords were reversed with the lines).
    assert services.tags.tags_of(ROBOT) == ["reinforcement", "to read"]
    assert services.tags.tags_of(LINKED) == ["arxiv"]
    assert (report.papers_matched, report.tags_added, report.tags_removed) == (4, 1, 1)
    assert report.detection == "RIS, UTF-8 with BOM"


def test_csv_round_trip_resaved_semicolon_separated_windows_1252(
    services: Services, tmp_path: Path
) -> None:
    text = exported(services, "csv", tmp_path / "tagged.csv", excel=True)
    rows = list(csv.reader(io.StringIO(text, newline="")))
    for row in rows:
        row[2] = row[2].replace("rl", "reinforcement")
    out = io.StringIO(newline="")
    csv.writer(out, delimiter=";", lineterminator="\r\n").writerows(rows)
    path = tmp_path / "excel.csv"
    path.write_bytes(out.getvalue().encode("cp1252"))
    assert "Pok\xe9mon".encode("cp1252") in path.read_bytes()
    report = services.import_tags(path, replace=True)
    assert services.tags.tags_of(ROBOT) == ["to read", "reinforcement"]
    assert services.tags.tags_of(MARKUP) == ["=odd"]  # the formula guard came off again
    assert report.detection == "CSV, semicolon-separated, Windows-1252, CRLF line ends"
    assert (report.tags_added, report.tags_removed, report.papers_changed) == (1, 1, 1)


def test_csv_import_keeps_adding_and_keeps_unknown_papers(
    services: Services, tmp_path: Path
) -> None:
    path = tmp_path / "plain.csv"
    path.write_text(
        f"id,title,tags\n{ROBOT},x,new\nhf-00000000deadbeef,Gone Paper,kept\n", encoding="utf-8"
    )
    report = services.import_tags(path)
    assert services.tags.tags_of(ROBOT) == ["to read", "rl", "new"]
    assert services.tags.tags_of("hf-00000000deadbeef") == ["kept"]
    assert report.kept_unknown == [f"{path}:3: Gone Paper"]
    assert report.detection == "CSV, comma-separated, UTF-8, LF line ends"


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"TY  - UNPB\nTI  - x\nER  -\n", "ris"),
        (b"% a comment\n@misc{k, title={x}}\n", "bibtex"),
        (b"id;title;tags\r\n", "csv"),
        ("title\ttags\r\nCaf\xe9\tx\r\n".encode("cp1252"), "csv"),
    ],
)
def test_the_format_is_detected_from_the_content(
    tmp_path: Path, content: bytes, expected: str
) -> None:
    path = tmp_path / "no-suffix"
    path.write_bytes(content)
    try:
        assert read_import_file(path).format == expected
    except TagImportError:
        assert expected == "csv"  # a header-only CSV has no entry


def test_a_file_with_no_entries_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "empty.bib"
    path.write_text("just some text\n", encoding="utf-8")
    with pytest.raises(TagImportError):
        read_import_file(path)


def test_cli_export_formats_and_import_report(
    capsys: pytest.CaptureFixture[str], services: Services, tmp_path: Path
) -> None:
    library = str(services.paths.root)
    services.close()
    target = tmp_path / "out.bib"
    assert main(["export", "--library", library, "--format", "bibtex", "-o", str(target)]) == 0
    assert "wrote 4 entries" in capsys.readouterr().err
    assert main(["import-tags", "--library", library, str(target)]) == 0
    out = capsys.readouterr().out
    assert "imported 0 tags on 0 papers from BibTeX, UTF-8" in out
    assert main(["export", "--library", library, "--columns", "title,colour"]) == 1
    assert "valid columns: id, title" in capsys.readouterr().err
    assert main(["export", "--library", library, "--format", "ris", "--excel"]) == 1
    assert main(["export", "--library", library, "--format", "jsonl", "--query", "robot"]) == 0
    assert '"title": "Reinforcement Learning for Robot Policies"' in capsys.readouterr().out


@pytest.mark.parametrize(
    ("name", "first_bytes"),
    [
        ("refs.bib", "@misc{"),
        ("REFS.RIS", "TY  - UNPB"),
        ("list.md", "# Reading list"),
        ("papers.jsonl", '{"id": '),
        ("sheet.csv", "id,title,tags"),
        ("no-suffix", "id,title,tags"),  # any other name: CSV, the default
    ],
)
def test_cli_export_takes_the_format_from_the_file_suffix(
    capsys: pytest.CaptureFixture[str],
    services: Services,
    tmp_path: Path,
    name: str,
    first_bytes: str,
) -> None:
    library = str(services.paths.root)
    services.close()
    target = tmp_path / name
    assert main(["export", "--library", library, "-o", str(target)]) == 0
    assert target.read_text(encoding="utf-8").startswith(first_bytes)


@pytest.mark.parametrize(
    ("name", "chosen"), [("refs.bib", "csv"), ("x.csv", "bibtex"), ("y.md", "jsonl")]
)
def test_cli_export_refuses_a_format_that_contradicts_the_suffix(
    capsys: pytest.CaptureFixture[str], services: Services, tmp_path: Path, name: str, chosen: str
) -> None:
    library = str(services.paths.root)
    services.close()
    target = tmp_path / name
    assert main(["export", "--library", library, "-f", chosen, "-o", str(target)]) == 1
    err = capsys.readouterr().err
    assert name in err and chosen in err and "leave the format out" in err
    assert not target.exists()
    # A name without a known suffix takes any format.
    other = tmp_path / "refs.txt"
    assert main(["export", "--library", library, "-f", chosen, "-o", str(other)]) == 0


@pytest.mark.parametrize(
    "rows",
    [
        "title,tags\nA Paper Nobody Has,invented\n",  # no id column at all
        "id,title,tags\n,A Paper Nobody Has,invented\n",  # an empty id cell
        "id,title,tags\nmy-own-key,A Paper Nobody Has,invented\n",  # not one of our ids
        "title;tags\r\nA Paper Nobody Has;invented\r\n",
    ],
)
def test_csv_rows_that_match_nothing_are_reported_and_store_nothing(
    services: Services, tmp_path: Path, rows: str
) -> None:
    before = services.tags.tagged_ids()
    path = tmp_path / "sheet.csv"
    path.write_text(rows, encoding="utf-8")
    report = services.import_tags(path)
    assert services.tags.tagged_ids() == before
    assert "invented" not in services.tags.counts()
    assert [line.split(": ", 1)[1] for line in report.unmatched] == ["A Paper Nobody Has"]
    assert report.kept_unknown == [] and "1 matched nothing" in report.summary()


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("a.csv", f'id,title,tags\n{ROBOT},x,"good; a, b"\n'),
        ("a.bib", "@misc{k,\n  title = {Pokémon Battles as a Benchmark for Planning},\n"
         "  keywords = {good, a\x00b}\n}\n"),
        ("a.ris", "TY  - UNPB\nTI  - Pokémon Battles as a Benchmark for Planning\n"
         "KW  - good\nKW  - " + "y" * 300 + "\nER  - \n"),
    ],
)
def test_a_bad_tag_is_skipped_and_reported_alike_in_every_format(
    services: Services, tmp_path: Path, name: str, content: str
) -> None:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    report = services.import_tags(path)
    assert report.tags_added == 1 and report.papers_changed == 1
    [problem] = report.problems
    assert re.fullmatch(r"line \d+: tag '.*' skipped: .+", problem), problem
