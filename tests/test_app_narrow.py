"""The app at 80x24 and 160x48 as a newcomer meets it: the status line keeps the count,
the day and the unread count when it is narrow; the key help wraps and scrolls instead
of cutting descriptions; ``?`` shows the keys from the first moment (the search bar
has the focus at launch), F1 always; counts agree with their noun on screen."""

from __future__ import annotations

import datetime as dt
import io
import re
from pathlib import Path

import pytest
from app_driver import make_app, notices, rendered_screen, running, search, settle, wait_for
from rich.cells import cell_len
from rich.console import Console
from test_app import status_text
from test_app_days import services  # noqa: F401  (the fixture: API JSON with listing days)
from textual import events
from textual.binding import Binding, BindingType
from textual.content import Content
from textual.pilot import Pilot
from textual.widgets import Footer, Static
from textual.widgets._footer import FooterKey

from browser.app import PaperBrowserApp
from browser.query_help import query_syntax
from browser.services import Services
from browser.widgets.help_screen import HelpScreen, _help_renderable, help_sections
from browser.widgets.reader import READER_BINDINGS
from browser.widgets.results_table import LIST_BINDINGS, ResultsTable
from browser.widgets.status_line import StatusPart, fit_parts

SIZES = [(80, 24), (160, 48)]


Size = tuple[int, int]


@pytest.fixture
def app(services: Services) -> PaperBrowserApp:  # noqa: F811
    """The app over the API-JSON library of test_app_days (listing days, upvotes)."""
    return make_app(services)


@pytest.fixture(params=SIZES, ids=["80x24", "160x48"])
def size(request: pytest.FixtureRequest) -> Size:
    """Each test that takes it runs at 80x24 and at 160x48."""
    return request.param  # type: ignore[no-any-return]


# ------------------------------------------------------------------ fitting the status line


def test_the_line_gives_up_detail_by_rank_and_keeps_the_essentials() -> None:
    parts = [
        StatusPart.of("200 of 516 papers", (4, "516 papers")),
        StatusPart.of("12 ms", (10, "")),
        StatusPart.of("sort: most upvoted", (9, "most upvoted"), (3, "")),
        StatusPart.of(
            "day Thu 2025-12-25 (39 papers)", (8, "day Thu 2025-12-25"), (2, "Thu 2025-12-25")
        ),
    ]
    wide, separator = fit_parts(parts, 200)
    assert separator == "  ·  " and wide[1] == "12 ms" and len(wide) == 4
    # Each width takes the next step only: time first, then wording, then whole parts.
    shown, separator = fit_parts(parts, 75)
    assert separator == " · " and "12 ms" not in shown and "sort: most upvoted" in shown
    shown, _ = fit_parts(parts, 60)
    assert shown == ["200 of 516 papers", "most upvoted", "day Thu 2025-12-25"]
    shown, _ = fit_parts(parts, 40)
    assert shown == ["516 papers", "day Thu 2025-12-25"]
    # Nothing fits: every essential part is still there, at its shortest.
    shown, _ = fit_parts(parts, 5)
    assert shown == ["516 papers", "Thu 2025-12-25"]


def test_a_fitted_line_is_never_wider_than_asked_when_it_can_fit() -> None:
    parts = [
        StatusPart.of("3 papers"),
        StatusPart.of("1 unread"),
        StatusPart.of("7 ms", (10, "")),
        StatusPart.of("sort: newest first", (9, "newest first"), (3, "")),
        StatusPart.of("filter: tag “to read”", (6, "tag “to read”")),
    ]
    floor = cell_len(" · ".join(["3 papers", "1 unread", "tag “to read”"]))
    for width in range(floor, 90):
        shown, separator = fit_parts(parts, width)
        assert cell_len(separator.join(shown)) <= width, width


@pytest.mark.parametrize("ranks", [(3, 5), (4, 4)])
def test_ranks_must_fall_along_a_part(ranks: tuple[int, int]) -> None:
    with pytest.raises(ValueError):
        StatusPart(("a", "b", "c"), ranks)


# ------------------------------------------------------------------ the status line on screen


def shown_status(app: PaperBrowserApp) -> tuple[str, int]:
    """The status text and the cells it may use."""
    text = status_text(app)
    return text, app.query_one("#status-text", Static).content_size.width


async def open_day(pilot: Pilot[None], app: PaperBrowserApp, day: dt.date) -> None:
    await pilot.press("right_square_bracket")
    await settle(pilot)
    await wait_for(pilot, lambda: app.view is not None and app.view.day == day)


async def test_a_day_status_keeps_count_day_and_unread(app: PaperBrowserApp, size: Size) -> None:
    async with running(app, size=size) as pilot:
        await search(pilot, "")
        await pilot.press("a")  # triage: its badge takes room too
        await pilot.press("f")
        await pilot.press("down", "down", "enter")  # filter: untagged
        await settle(pilot)
        await open_day(pilot, app, dt.date(2025, 3, 3))
        await pilot.pause(0.1)  # the refit after layout
        text, width = shown_status(app)
        assert "4 papers" in text and "4 unread" in text and "2025-03-03" in text
        assert "untagged" in text
        assert cell_len(text) <= width and not text.endswith("…"), (text, width)
        assert "Mon 2025-03-03" in text, text
        if size == (160, 48):
            # Room for the wording too: only the time and the day's repeated count gave way.
            assert "sort: Daily Papers order" in text and "filter: untagged" in text, text


async def test_a_day_status_says_its_count_once(app: PaperBrowserApp, size: Size) -> None:
    """The line leads with the count; the day adds its own count only when words typed
    in it narrow the day ("2 papers · … · day Mon 2025-03-03 (4 that day)")."""
    async with running(app, size=size) as pilot:
        await search(pilot, "")
        await open_day(pilot, app, dt.date(2025, 3, 3))
        await pilot.pause(0.1)
        text, _ = shown_status(app)
        assert text.startswith("4 papers ") and "day Mon 2025-03-03" in text, text
        assert len(re.findall(r"\b4 papers\b", text)) == 1, text
        await search(pilot, "sparse")
        await pilot.pause(0.1)
        text, width = shown_status(app)
        assert app.result is not None and 0 < app.result.total < 4
        total = app.result.total
        assert text.startswith(f"{total} paper"), text
        if size == (160, 48):
            assert "day Mon 2025-03-03 (4 that day)" in text, text
        assert cell_len(text) <= width, (text, width)


async def test_a_day_of_one_paper_says_paper(app: PaperBrowserApp) -> None:
    async with running(app, size=(160, 48)) as pilot:
        await search(pilot, "laundry")
        await open_day(pilot, app, dt.date(2025, 3, 2))
        text = status_text(app)
        assert text.startswith("1 paper ") and "day Sun 2025-03-02" in text, text
        assert "papers" not in text
        await pilot.press("ctrl+r")  # mark the list read
        await settle(pilot)
        await wait_for(pilot, lambda: "unread" not in status_text(app))
        assert any("Marked 1 paper read" in message for message, _ in notices(app))


async def test_the_pane_keeps_each_label_with_its_value(app: PaperBrowserApp, size: Size) -> None:
    """The facts line (date, listing day, authors, comments, upvotes, arXiv id) wraps
    between facts, never inside one: at 80 columns "Comments" ended a line and its
    count began the next."""
    async with running(app, size=size) as pilot:
        await search(pilot, "")
        await pilot.pause(0.2)
        text, _ = rendered_screen(app)
        assert re.search(r"Comments \d", text), text
        assert re.search(r"arXiv 2503\.\d{5}", text), text
        for line in text.splitlines():
            if "Cmts" in line:
                continue  # the list's header ends in its Tags column
            stripped = line.rstrip(" │▁▂▃▄▅▆▇█")
            assert not re.search(r"\b(Date|Listed|By|Comments|Upvotes|arXiv|Tags)$", stripped), line


# ------------------------------------------------------------------ the key help


async def test_help_wraps_and_scrolls_to_the_end(app: PaperBrowserApp, size: Size) -> None:
    async with running(app, size=size) as pilot:
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        help_screen = app.screen
        await pilot.pause(0.1)
        text_widget = help_screen.query_one("#help-text", Static)
        view = help_screen.keys_view
        # The text is laid out within the scroll area's width: nothing clipped at the side.
        assert text_widget.size.width <= view.scrollable_content_region.width
        console = Console(width=text_widget.size.width, file=io.StringIO(), record=True)
        console.print(_help_renderable(help_screen.rows))
        lines = console.export_text().splitlines()
        assert all(cell_len(line) <= text_widget.size.width for line in lines)
        words = " ".join(lines).split()
        for _, entries in help_sections(help_screen.rows):
            for _, description in entries:
                for word in description.split():
                    assert word in words, (description, word)
        assert not any("…" in line for line in lines)
        # Taller than the dialog at 80x24: it scrolls, and the end is reachable.
        if size == (80, 24):
            assert view.max_scroll_y > 0
        await pilot.press("end")
        await pilot.pause(0.6)  # the scroll animates
        assert view.scroll_y == view.max_scroll_y
        await pilot.press("escape")
        assert not isinstance(app.screen, HelpScreen)


async def test_help_keys_and_the_wheel_scroll_at_once(app: PaperBrowserApp) -> None:
    """At 80x24 End, Home, PgUp, PgDn, the arrows and j/k move the help at once, as the
    reader's keys do: Textual animates End and Home over a second, so the help sat
    short of its end when the reader looked."""
    async with running(app, size=(80, 24)) as pilot:
        await pilot.press("question_mark")
        help_screen = app.screen
        assert isinstance(help_screen, HelpScreen)
        await pilot.pause(0.1)
        view = help_screen.keys_view
        animated: list[str] = []
        original = view.animate

        def recording(attribute: str, *args: object, **kwargs: object) -> None:
            animated.append(attribute)
            original(attribute, *args, **kwargs)  # type: ignore[arg-type]

        view.animate = recording  # type: ignore[method-assign]
        page = view.scrollable_content_region.height
        await pilot.press("end")
        assert view.scroll_y == view.max_scroll_y > 0
        await pilot.press("home")
        assert view.scroll_y == 0
        await pilot.press("pagedown")
        assert view.scroll_y == page
        await pilot.press("pagedown", "pageup")
        assert view.scroll_y == page
        await pilot.press("down", "j")
        assert view.scroll_y == page + 2
        await pilot.press("up", "k")
        assert view.scroll_y == page
        assert animated == []
        # The wheel scrolls the help, not the list under it.
        before = view.scroll_y
        view.post_message(events.MouseScrollDown(view, 1, 1, 0, 0, 0, False, False, False))
        await pilot.pause()
        assert view.scroll_y > before
        view.post_message(events.MouseScrollUp(view, 1, 1, 0, 0, 0, False, False, False))
        await pilot.pause()
        assert view.scroll_y == before


def test_help_joins_keys_with_one_meaning() -> None:
    rows = [
        ("Reader", "j", "Next paper"),
        ("Reader", "n", "Next paper"),
        ("Reader", "k", "Previous paper"),
        ("List", "j", "Next paper"),
    ]
    assert help_sections(rows) == [
        ("Reader", [("j, n", "Next paper"), ("k", "Previous paper")]),
        ("List", [("j", "Next paper")]),
    ]


# ------------------------------------------------------------------ ? and F1 from launch


async def test_question_mark_at_launch_shows_the_keys(app: PaperBrowserApp, size: Size) -> None:
    async with running(app, size=size) as pilot:
        assert app.focused is app.search_bar and app.search_bar.value == ""
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("question_mark")  # ? closes it again
        assert not isinstance(app.screen, HelpScreen)
        assert app.search_bar.value == "" and app.focused is app.search_bar


async def test_question_mark_after_text_is_the_wildcard_and_f1_still_helps(
    app: PaperBrowserApp,
) -> None:
    async with running(app) as pilot:
        await pilot.press(*"dif", "question_mark")
        assert app.search_bar.value == "dif?"
        assert not isinstance(app.screen, HelpScreen)
        await pilot.press("f1")
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("f1")
        assert not isinstance(app.screen, HelpScreen)
        assert app.search_bar.value == "dif?"
        await pilot.press("enter", "question_mark")  # from the list too
        assert isinstance(app.screen, HelpScreen)


def footer_keys(app: PaperBrowserApp) -> dict[str, FooterKey]:
    footer = app.screen.query_one(Footer)
    return {key.key: key for key in footer.query(FooterKey)}


async def test_the_footer_shows_how_to_get_the_keys(app: PaperBrowserApp, size: Size) -> None:
    async with running(app, size=size) as pilot:
        width = size[0]
        bar_keys = footer_keys(app)
        assert "f1" in bar_keys and bar_keys["f1"].region.right <= width
        await pilot.press("enter")
        await pilot.pause(0.1)
        list_keys = footer_keys(app)
        assert "question_mark" in list_keys
        assert 0 < list_keys["question_mark"].region.right <= width


# ------------------------------------------------------------------ the README's key tables

README = Path(__file__).resolve().parent.parent / "README.md"
# How the README writes a key -> Textual's key name.
_KEY_NAMES = {
    "[": "left_square_bracket",
    "]": "right_square_bracket",
    "+": "plus",
    "=": "equals_sign",
    "-": "minus",
    "?": "question_mark",
    "esc": "escape",
    "→": "right",
    "←": "left",
    "↑": "up",
    "↓": "down",
    "Enter": "enter",
    "space": "space",
    "PgDn": "pagedown",
    "PgUp": "pageup",
    "Home": "home",
    "End": "end",
    "F1": "f1",
}


def readme_keys(table_header: str) -> set[str]:
    """The keys named in the first column of the README table headed ``table_header``."""
    text = README.read_text(encoding="utf-8")
    table = text.split(f"| {table_header} | does |", 1)[1].split("\n\n", 1)[0]
    keys: set[str] = set()
    for row in table.splitlines()[2:]:
        first = row.split("|")[1]
        for token in re.findall(r"`([^`]+)`|\b(Enter|space|PgDn|PgUp|Home|End)\b", first):
            name = token[0] or token[1]
            if name == "1`…`9" or name.startswith("1"):
                keys.update(str(slot) for slot in range(1, 10))
            else:
                keys.add(_KEY_NAMES.get(name, name))
    return keys


def binding_keys(bindings: list[BindingType]) -> set[str]:
    return {
        key.strip()
        for binding in bindings
        if isinstance(binding, Binding)
        for key in binding.key.split(",")
    }


@pytest.mark.parametrize(
    ("header", "bindings"),
    [
        ("in the list", [*LIST_BINDINGS, *PaperBrowserApp.BINDINGS, *ResultsTable.BINDINGS]),
        ("in the reader", READER_BINDINGS),
    ],
)
def test_every_key_the_readme_names_exists(header: str, bindings: list[BindingType]) -> None:
    named = readme_keys(header)
    arrows = {"up", "down", "left", "right", "pageup", "pagedown", "home", "end"}
    # Arrows, page and home/end keys are the list's own (CURSOR_BINDINGS).
    known = binding_keys(bindings) | (arrows if header == "in the list" else set())
    assert named, header
    assert named <= known, named - known


# ------------------------------------------------------------------ the list's columns


async def test_a_wide_terminal_gives_its_spare_width_to_the_title(app: PaperBrowserApp) -> None:
    widths: dict[Size, int] = {}
    for size in SIZES:
        async with running(app, size=size) as pilot:
            await search(pilot, "")
            await pilot.pause(0.1)
            widths[size] = app.table.columns["title"].width
            assert {"title", "date", "tags"} <= set(app.table.columns)
            # Nothing cut at the side: the columns (and their padding) fit the list.
            total = sum(column.width + 2 for column in app.table.columns.values())
            assert total <= app.table.scrollable_content_region.width
        app = make_app(app.services)
    # At 160 columns the byline had taken the room: the title got 38 cells, fewer than at 80.
    assert widths[(160, 48)] >= 56 > widths[(80, 24)]


# ------------------------------------------------------------------ the footer


def shown_footer_keys(app: PaperBrowserApp) -> tuple[list[FooterKey], FooterKey]:
    """The keys the footer shows, and its command palette key."""
    keys = [key for key in app.screen.query_one(Footer).query(FooterKey) if key.display]
    palette = next(key for key in keys if key.has_class("-command-palette"))
    return [key for key in keys if key is not palette], palette


async def test_the_footer_shows_whole_keys_the_important_ones_first(
    app: PaperBrowserApp, size: Size
) -> None:
    async with running(app, size=size) as pilot:
        await search(pilot, "")
        await pilot.pause(0.2)
        shown, palette = shown_footer_keys(app)
        # Whole keys only, none under the palette's key (80 columns cut "S Stats" off).
        assert all(key.region.right <= palette.region.x for key in shown)
        names = {key.key for key in shown}
        assert {"question_mark", "slash", "enter", "t", "s", "f", "S", "q"} <= names
        if size == (160, 48):
            assert {"e", "m", "o", "left_square_bracket", "right_square_bracket"} <= names
        # The day keys come as a pair or not at all.
        assert ("left_square_bracket" in names) == ("right_square_bracket" in names)
        # The reader, with undo on offer: its footer fits as well, ? in sight.
        await pilot.press("1", "enter")
        await settle(pilot)
        await pilot.pause(0.2)
        shown, palette = shown_footer_keys(app)
        assert all(key.region.right <= palette.region.x for key in shown)
        assert {"escape", "question_mark", "j", "k"} <= {key.key for key in shown}


def test_every_key_the_footer_may_hide_is_a_command_in_the_palette() -> None:
    from browser.app.commands import PALETTE_COMMANDS

    commands = {command.action for command in PALETTE_COMMANDS}
    # Quick tags are one command per tag, quit is Textual's own; scrolling the abstract
    # is moving, not a command (J and K are in the help).
    elsewhere = {"quick_tag", "quit", "scroll_abstract"}
    for binding in [*LIST_BINDINGS, *READER_BINDINGS]:
        assert isinstance(binding, Binding)
        if binding.action.startswith("app."):
            action = binding.action.removeprefix("app.")
            assert action in commands or action.partition("(")[0] in elsewhere, action


# ------------------------------------------------------------------ the notice above the list


async def test_a_long_notice_is_shown_whole_at_80x24(app: PaperBrowserApp, size: Size) -> None:
    words = " ".join(f"zzq{letter}" for letter in "abcdefghijklmno")
    async with running(app, size=size) as pilot:
        await search(pilot, f"title: {words} laundry date:[2024-01 (")
        await pilot.pause(0.2)
        notice = app.main_screen.notice
        said = notice.visual.plain if isinstance(notice.visual, Content) else ""
        assert "is not closed" in said and said.endswith("(”.")
        # More than the 3 lines it was cut at, none cut: the end is on screen.
        assert notice.size.height > 3 and notice.max_scroll_y == 0
        assert "(”." in rendered_screen(app)[0]


# ------------------------------------------------------------------ the search syntax in ?


def test_the_search_syntax_in_the_help_is_the_readmes() -> None:
    from browser.search.repair import DATE_FIELDS, NUMBER_FIELDS, WORD_FIELDS
    from browser.search.syntax import extract_tag_terms

    section = README.read_text(encoding="utf-8").split("### Search syntax", 1)[1]
    section = section.split("\n### ", 1)[0]
    rows = query_syntax()
    for row in rows:
        for example in row.examples:
            assert f"`{example}`" in section, example
            if example.startswith("is:"):  # a state the parser takes, not a note
                rest, filters = extract_tag_terms(example)
                assert rest.strip() == "" and filters, example
    said = " ".join(part for row in rows for part in (*row.examples, row.meaning))
    for field in (WORD_FIELDS | DATE_FIELDS | NUMBER_FIELDS) - {"text", "id"}:
        assert f"{field}:" in said and f"{field}:" in section, field


async def test_the_help_ends_with_the_search_syntax(app: PaperBrowserApp, size: Size) -> None:
    async with running(app, size=size) as pilot:
        await pilot.press("question_mark")  # in the empty search bar, as at launch
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("end")
        await pilot.pause(0.6)  # the scroll animates
        text = rendered_screen(app)[0]
        assert "arxiv:*" in text and "is:unread" in text
        if size == (160, 48):
            assert "Search syntax" in text and "date:[2024-01 TO 2024-06]" in text
