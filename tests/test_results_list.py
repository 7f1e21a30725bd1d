"""The result list on Textual's Line API: cells fitted to their columns without Rich
markup, the cursor keys, clicks and the highlighted-row message."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from app_driver import make_app, running, search, settle
from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from test_app import abstract_text, build_library
from test_reader import scaling_papers
from textual.app import App, ComposeResult

from browser.app import PaperBrowserApp
from browser.first_screen import ListRow
from browser.models import Paper, SearchHit
from browser.widgets.result_lines import Column, cell_segments, columns_for, fit, row_segments
from browser.widgets.results_table import ResultsTable


def text_of(segments: list[Segment]) -> str:
    return "".join(segment.text for segment in segments)


def row(title: str, **fields: object) -> ListRow:
    values: dict[str, object] = {
        "paper_id": "hf-1",
        "title": title,
        "title_spans": (),
        "marks": (True, False),
        "date": "2024-05-05",
        "byline": "",
        "comments": "7",
        "tags": (),
    }
    values.update(fields)
    return ListRow(**values)  # type: ignore[arg-type]


# ------------------------------------------------------------------ fitting cells


def test_a_cell_is_cut_with_an_ellipsis_or_padded_to_its_width() -> None:
    assert text_of(fit("Scaling laws", 8)) == "Scaling…"
    assert text_of(fit("Scaling", 10)) == "Scaling   "
    assert text_of(fit("7", 4, right=True)) == "   7"
    assert text_of(fit("exactly", 7)) == "exactly"


def test_wide_characters_are_counted_in_cells_not_characters() -> None:
    # Each CJK character takes two cells: two and the ellipsis fit in 6, and the cell
    # left over is padding.
    shown = text_of(fit("大規模言語モデル", 6))
    assert shown == "大規… " and cell_len(shown) == 6
    assert cell_len(text_of(fit("é" * 20, 9))) == 9


def test_highlights_are_styled_and_cut_with_the_text() -> None:
    segments = fit("Video Diffusion Models", 12, spans=((6, 15),))
    styled = [(s.text, s.style) for s in segments]
    highlight = Style(bold=True, underline=True)
    assert styled == [("Video ", None), ("Diffu", highlight), ("…", None)]
    # An unread title is bold, its highlights bold and underlined.
    bold = fit("abc", 3, Style(bold=True), ((0, 1),))
    assert [(s.text, s.style) for s in bold] == [
        ("a", Style(bold=True) + highlight),
        ("bc", Style(bold=True)),
    ]


def test_markup_and_escapes_in_a_title_are_shown_as_text() -> None:
    title = "[@click=app.quit]Click me[/] \x1b[31mred\x1b[0m [bold]b[/bold] \u202eevil"
    cell = cell_segments(row(title), Column("title", "Title", 200))
    shown = text_of(cell)
    assert shown.startswith("[@click=app.quit]Click me[/] ")
    assert "[bold]b[/bold]" in shown
    assert "\x1b" not in shown and "\u202e" not in shown  # made visible by safe_line
    assert all(segment.style is None or not segment.style.meta for segment in cell)


def test_a_row_fills_the_columns_exactly() -> None:
    for width in (40, 80, 120, 160):
        columns = columns_for(width, "relevance")
        line = row_segments(row("A title " * 20, tags=("to read",)), columns)
        assert cell_len(text_of(line)) == sum(column.width + 2 for column in columns) <= width


def test_the_sorted_column_carries_an_arrow() -> None:
    labels = {column.key: column.label for column in columns_for(120, "newest")}
    assert labels["date"] == "Date ▼" and labels["title"] == "Title"


# ------------------------------------------------------------------ the widget


def shown_title(app: PaperBrowserApp) -> str:
    """The title the abstract pane shows (the RowHighlighted message moved it there)."""
    return abstract_text(app).splitlines()[0]


async def test_cursor_keys_and_clicks_move_the_highlighted_row(tmp_path: Path) -> None:
    services = build_library(tmp_path, scaling_papers(60))
    try:
        app = make_app(services)
        async with running(app, size=(80, 24)) as pilot:
            await search(pilot, "scaling")
            table = app.table
            assert table.row_count == 60 and table.cursor_row == 0
            visible = table.scrollable_content_region.height - 1
            await pilot.press("pagedown")
            await settle(pilot)
            assert table.cursor_row == visible
            await pilot.press("end")
            await settle(pilot)
            assert table.cursor_row == 59
            assert table.scroll_y == table.max_scroll_y  # the last row is in view
            await pilot.press("home")
            await settle(pilot)
            assert table.cursor_row == 0 and table.scroll_y == 0
            await pilot.press("down", "down")
            await settle(pilot)
            assert table.cursor_row == 2
            assert shown_title(app) == table.hits[2].paper.title
            # A click on the fifth row (the header is line 0) highlights it; on the header,
            # nothing moves.
            await pilot.click("#results", offset=(5, 5))
            await settle(pilot)
            assert table.cursor_row == 4
            await pilot.click("#results", offset=(5, 0))
            await settle(pilot)
            assert table.cursor_row == 4
            assert shown_title(app) == table.hits[4].paper.title
    finally:
        services.close()


# ------------------------------------------------------------------ rows by paper id


class TableApp(App[None]):
    def compose(self) -> ComposeResult:
        yield ResultsTable()


def hits_of(*ids: str) -> list[SearchHit]:
    return [SearchHit(paper=Paper(id=paper_id, title=f"Title {paper_id}")) for paper_id in ids]


def title_of(table: ResultsTable, paper_id: str) -> str:
    return table.get_cell(paper_id, "title").plain.strip()


async def test_a_paper_id_finds_its_row_across_show_append_and_replace() -> None:
    app = TableApp()
    async with app.run_test(size=(80, 24)):
        table = app.query_one(ResultsTable)
        table.show_first_screen(
            [row("First", paper_id="k1"), row("Second", paper_id="k2")], "relevance", 1
        )
        assert title_of(table, "k2") == "Second" and table.highlighted_id == "k2"
        table.show_hits(hits_of("a", "b", "c"), {}, "relevance", keep_paper_id="b")
        assert table.highlighted_id == "b"
        assert [title_of(table, paper_id) for paper_id in "abc"] == [
            "Title a",
            "Title b",
            "Title c",
        ]
        assert table.get_row_at(0) == table.get_row("a")
        for gone in ("k1", "k2", "d"):
            try:
                table.get_row(gone)
            except KeyError:
                continue
            raise AssertionError(f"{gone} still has a row")
        table.append_hits(hits_of("d", "e"), {})
        assert table.get_row("e") == table.get_row_at(4)
        assert table.get_row("a") == table.get_row_at(0)
        # Replaced: rows move, the old ones are gone, the kept paper stays highlighted.
        table.show_hits(hits_of("e", "x", "a"), {}, "relevance", keep_paper_id="a")
        assert table.highlighted_id == "a" and table.cursor_row == 2
        assert table.get_row("x") == table.get_row_at(1)
        assert table.get_row("e") == table.get_row_at(0)
        try:
            table.get_row("b")
        except KeyError:
            pass
        else:
            raise AssertionError("b still has a row")
        table.show_hits(hits_of("p", "q"), {}, "relevance", keep_paper_id="zz")
        assert table.cursor_row == 0


class CountingList(list[SearchHit]):
    """Counts the hits read from it, however they are read."""

    visits = 0

    def __iter__(self) -> Iterator[SearchHit]:
        for hit in super().__iter__():
            CountingList.visits += 1
            yield hit

    def __getitem__(self, index):  # type: ignore[no-untyped-def]
        CountingList.visits += 1
        return super().__getitem__(index)


async def test_refreshing_every_row_reads_each_row_a_bounded_number_of_times() -> None:
    # Tags or read marks refreshed for all rows look each row up by paper id: a scan per
    # lookup made that quadratic (3,000 rows froze the list about a second).
    rows = 400
    ids = [f"p{number}" for number in range(rows)]
    app = TableApp()
    async with app.run_test(size=(80, 24)):
        table = app.query_one(ResultsTable)
        table.show_hits(hits_of(*ids[:300]), {paper_id: [] for paper_id in ids}, "relevance")
        table.append_hits(hits_of(*ids[300:]), {})
        table._hits = CountingList(table._hits)
        CountingList.visits = 0
        for paper_id in ids:
            table.update_tags(paper_id, ["t"])
            table.update_mark(paper_id, False, True)
        assert CountingList.visits <= 4 * rows, CountingList.visits
        assert table.get_cell(ids[-1], "tags").plain.strip() == "t"
