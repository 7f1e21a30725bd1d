"""The export dialog: a format choice, the Excel option, and it fits 80x24."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

import bibtexparser
import pytest
from app_driver import listen, make_app, rendered_screen, search, settle, wait_for
from conftest import FIXTURE_PAPERS, write_dump
from textual.widgets import Button, Checkbox, Input, Select

from browser.services import Services, open_services
from browser.widgets.export_prompt import ExportChoice, ExportPrompt, ImportPrompt


@pytest.fixture
def services(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Services]:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    dump = write_dump(tmp_path / "dumps", "2024-03-05_page.txt", FIXTURE_PAPERS)
    opened = open_services(tmp_path / "library")
    opened.sync([dump])
    yield opened
    opened.close()


async def test_the_dialog_exports_bibtex_of_the_results(
    services: Services, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = make_app(services)
    said = listen(app)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await search(pilot, "diffusion OR robot")
        expected = len(app.table.hits)
        await pilot.press("e")
        assert isinstance(app.screen, ExportPrompt)
        text, _ = rendered_screen(app)
        assert "Export" in text and "Cancel" in text  # the whole dialog fits 80x24
        app.screen.query_one("#export-format", Select).value = "bibtex"
        await pilot.pause()
        path_input = app.screen.query_one("#export-path", Input)
        assert path_input.value.endswith("paper-browser-export-20250102.bib")
        assert not app.screen.query_one("#export-csv-options").display
        path_input.value = str(tmp_path / "refs.bib")
        app.screen.query_one("#export-ok", Button).press()
        await settle(pilot)
        for _ in range(100):  # the worker's message may land after settle on a busy machine
            if any("2 entries" in message for message, _ in said):
                break
            await pilot.pause(0.05)
        assert any("Wrote 2 entries" in message for message, _ in said)
    library = bibtexparser.parse_file(str(tmp_path / "refs.bib"))
    assert len(library.entries) == expected == 2


async def test_one_of_and_any_of_choices_show_without_colour(services: Services) -> None:
    """Monochrome or colour-blind: which options are exclusive, and which are chosen,
    is in the text itself: ``(●)``/``( )`` under "one of", ``[X]``/``[ ]`` under "any of".
    Keys and clicks choose as before, and the marks follow."""
    app = make_app(services)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await search(pilot, "diffusion")
        await pilot.press("e")
        assert isinstance(app.screen, ExportPrompt)
        prompt = app.screen
        text, _ = rendered_screen(app)
        lines = text.splitlines()
        assert "Export" in text and "Cancel" in text  # still the whole dialog at 80x24
        assert any("Papers (one of)" in line for line in lines)
        assert any("(●) Current results (1 paper)" in line for line in lines)
        assert any("( ) All tagged papers (0)" in line for line in lines)
        assert any(
            "CSV (any of)  [ ] One row per tag  [ ] For Excel (BOM)" in line for line in lines
        )
        await pilot.press("tab", "tab", "down", "enter")  # path, format, then the set
        await pilot.pause()
        await pilot.click("#export-excel")
        await pilot.pause()
        text, _ = rendered_screen(app)
        assert "( ) Current results" in text and "(●) All tagged papers" in text
        assert "[ ] One row per tag  [X] For Excel (BOM)" in text
        chosen: list[object] = []
        prompt.dismiss = chosen.append  # type: ignore[method-assign,assignment]
        prompt.query_one("#export-ok", Button).press()
        await pilot.pause()
    (choice,) = chosen
    assert isinstance(choice, ExportChoice)
    assert (choice.scope, choice.excel, choice.long) == ("tagged", True, False)


async def test_the_import_option_shows_its_state_without_colour(
    services: Services, tmp_path: Path
) -> None:
    app = make_app(services)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("escape", "i")
        assert isinstance(app.screen, ImportPrompt)
        assert "[ ] Replace each matched paper's tags" in rendered_screen(app)[0]
        await pilot.click("#import-replace")
        await pilot.pause()
        assert "[X] Replace each matched paper's tags" in rendered_screen(app)[0]


async def test_the_dialog_offers_excel_csv(services: Services, tmp_path: Path) -> None:
    app = make_app(services)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await search(pilot, "Pokémon")
        await pilot.press("e")
        app.screen.query_one("#export-path", Input).value = str(tmp_path / "sheet.csv")
        app.screen.query_one("#export-excel", Checkbox).value = True
        app.screen.query_one("#export-ok", Button).press()
        await settle(pilot)
        for _ in range(100):
            if (tmp_path / "sheet.csv").exists():
                break
            await pilot.pause(0.05)
    data = (tmp_path / "sheet.csv").read_bytes()
    assert data.startswith(b"\xef\xbb\xbfid,title,")
    assert "Pokémon".encode() in data and data.endswith(b"\r\n")


@pytest.mark.parametrize(
    ("name", "chosen"),
    [("refs.bib", "bibtex"), ("refs.RIS", "ris"), ("list.md", "markdown"), ("x.jsonl", "jsonl")],
)
async def test_typing_a_file_name_picks_its_format(
    services: Services, tmp_path: Path, name: str, chosen: str
) -> None:
    app = make_app(services)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await search(pilot, "diffusion")
        await pilot.press("e")
        path_input = app.screen.query_one("#export-path", Input)
        path_input.value = str(tmp_path / name)
        await pilot.pause()
        assert app.screen.query_one("#export-format", Select).value == chosen
        assert path_input.value == str(tmp_path / name)  # the name as typed
        app.screen.query_one("#export-ok", Button).press()
        await settle(pilot)
        for _ in range(100):
            if (tmp_path / name).exists():
                break
            await pilot.pause(0.05)
    assert not (tmp_path / name).read_text(encoding="utf-8").startswith("id,title")


async def test_the_app_imports_tags_in_the_background_and_u_undoes_the_import(
    services: Services, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    robot = next(hit for hit in services.search("robot").hits).paper
    bib = tmp_path / "refs.bib"
    bib.write_text(
        f"@misc{{a,\n  title = {{{robot.title}}},\n  keywords = {{imported, also, bad\x00x}}\n}}\n"
        "@misc{b,\n  title = {A Paper Nobody Has},\n  keywords = {never}\n}\n",
        encoding="utf-8",
    )
    app = make_app(services)
    said = listen(app)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await search(pilot, "robot")
        await pilot.press("i")
        assert isinstance(app.screen, ImportPrompt)
        text, _ = rendered_screen(app)
        assert "Import" in text and "Cancel" in text  # fits 80x24
        app.screen.query_one("#import-path", Input).value = str(bib)
        await pilot.press("enter")
        await settle(pilot)
        for _ in range(100):
            if any("imported" in message.lower() for message, _ in said):
                break
            await pilot.pause(0.05)
        assert services.tags.tags_of(robot.id) == ["imported", "also"]
        assert "never" not in services.tags.counts()
        summary = next(message for message, _ in said if message.startswith("Imported"))
        assert "imported 2 tags on 1 paper" in summary.lower() and "u undoes" in summary
        warnings = [message for message, severity in said if severity == "warning"]
        assert any("skipped" in message and "A Paper Nobody Has" in message for message in warnings)
        assert "imported" in str(app.table.get_row_at(0))  # the list shows the new tags
        await pilot.press("u")
        await settle(pilot)
        assert services.tags.tags_of(robot.id) == []


async def test_importing_a_file_that_is_not_a_tag_export_says_why(
    services: Services, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = make_app(services)
    said = listen(app)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await app.run_action("import_tags")  # the palette's way in
        await pilot.pause()
        app.screen.query_one("#import-path", Input).value = str(tmp_path / "missing.csv")
        await pilot.press("enter")
        await settle(pilot)
        for _ in range(100):
            if any(severity == "error" for _, severity in said):
                break
            await pilot.pause(0.05)
        failures = [message for message, severity in said if severity == "error"]
        assert failures and failures[0].startswith("Import failed"), failures
        assert app.is_running


async def test_an_export_of_more_than_the_loaded_rows_keeps_the_view(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Results beyond the loaded page are searched again for the export: with the view's
    filters (here the new papers), not only the query and the tag filter."""
    from test_app import build_library
    from test_reader import scaling_papers

    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    services = build_library(tmp_path, scaling_papers(230))
    try:
        every = services.search("", sort="newest", limit=500).hits
        new = {hit.paper.id for hit in every[:210]}
        services.reading.state.replace_new(new)
        app = make_app(services)
        app.session.page_size = 50  # pages of 50: an export of 210 is beyond the loaded rows
        async with app.run_test(size=(100, 30)) as pilot:
            await settle(pilot)
            assert app.view is not None and app.view.new
            assert app.result is not None and len(app.result.hits) < app.result.total == 210
            await pilot.press("enter", "e")  # to the list, then export
            assert isinstance(app.screen, ExportPrompt)
            app.screen.query_one("#export-path", Input).value = str(tmp_path / "new.csv")
            app.screen.query_one("#export-ok", Button).press()
            await settle(pilot)
            await wait_for(pilot, lambda: (tmp_path / "new.csv").exists())
        with (tmp_path / "new.csv").open(encoding="utf-8", newline="") as file:
            exported = {row["id"] for row in csv.DictReader(file)}
        assert exported == new
    finally:
        services.close()


async def test_an_export_while_typing_takes_the_papers_the_list_matches(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A list still being typed matched its last word as a prefix ("scal" -> Scaling);
    its export beyond the loaded rows searches again the same way, not for "scal"."""
    from test_app import build_library
    from test_reader import scaling_papers

    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    services = build_library(tmp_path, scaling_papers(230))
    try:
        assert services.search("scal").total == 0  # a whole word: no paper has it
        app = make_app(services)
        app.session.page_size = 50
        async with app.run_test(size=(100, 30)) as pilot:
            await settle(pilot)
            app.search_bar.focus()
            await pilot.press(*"scal")  # typed, not submitted
            await wait_for(pilot, lambda: app.result is not None and app.result.total == 230)
            assert app.session.request is not None and app.session.request.prefix_last_word
            assert len(app.result.hits) < 230
            app.table.focus()
            await pilot.press("e")
            assert isinstance(app.screen, ExportPrompt)
            app.screen.query_one("#export-path", Input).value = str(tmp_path / "typed.csv")
            app.screen.query_one("#export-ok", Button).press()
            await settle(pilot)
            await wait_for(pilot, lambda: (tmp_path / "typed.csv").exists())
        with (tmp_path / "typed.csv").open(encoding="utf-8", newline="") as file:
            assert len(list(csv.DictReader(file))) == 230
    finally:
        services.close()
