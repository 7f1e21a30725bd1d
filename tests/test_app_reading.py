"""Pilot tests of the reading workflow in the app: read marks (auto, r, ctrl+r + undo),
the unread count, notes (n, saved as you type and on close, shown in pane and reader)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from app_driver import make_app, running, search, settle, wait_for
from hardening import user_rows
from test_app import PAPERS, abstract_text, build_library, status_text
from textual.content import Content
from textual.widgets import TextArea

from browser.app import PALETTE_COMMANDS, PaperBrowserApp
from browser.config import AppConfig
from browser.services import Services
from browser.userdata import UserData
from browser.widgets import note_editor
from browser.widgets.note_editor import NoteEditor
from browser.widgets.reader import ReaderScreen


@pytest.fixture
def services(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Services]:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    built = build_library(tmp_path)
    yield built
    built.close()


def marks(app: PaperBrowserApp, paper_id: str) -> str:
    """The list's mark cell: "•" unread, "✎" has a note."""
    return str(app.table.get_cell(paper_id, "mark"))


def read_on_disk(services: Services) -> set[str]:
    return set(user_rows(services.userdata.path.parent, "read", "at"))


def highlighted_id(app: PaperBrowserApp) -> str:
    hit = app.table.highlighted_hit
    assert hit is not None
    return hit.paper.id


async def test_unread_papers_are_marked_and_counted(services: Services) -> None:
    app = make_app(services)
    async with running(app) as pilot:
        await search(pilot, "")
        paper_id = highlighted_id(app)
        assert marks(app, paper_id) == "• "
        assert f"{len(PAPERS)} unread" in status_text(app)
        await pilot.press("r")
        await settle(pilot)
        assert read_on_disk(services) == {paper_id}
        assert marks(app, paper_id) == "  "
        assert f"{len(PAPERS) - 1} unread" in status_text(app)
        assert "read" in abstract_text(app) and "unread" not in abstract_text(app)
        await pilot.press("r")  # toggles back
        await settle(pilot)
        assert read_on_disk(services) == set()


async def test_an_abstract_that_stays_on_screen_marks_its_paper_read(services: Services) -> None:
    app = make_app(services, config=AppConfig(read_after_seconds=60))
    async with running(app) as pilot:
        await search(pilot, "")
        first = highlighted_id(app)
        # Shorter from now on: the first paper leaves the screen before its minute is up.
        app.reading_flow.read_after_seconds = 0.2
        await pilot.press("down")
        second = highlighted_id(app)
        await wait_for(pilot, lambda: second in read_on_disk(services))
        assert first not in read_on_disk(services)
        assert marks(app, second) == "  "


async def test_typing_in_the_bar_is_not_reading_the_first_paper(services: Services) -> None:
    """The abstract of the list's first paper shows while the user types; it is marked
    read only once the list (or the reader) has the focus and the paper stays."""
    app = make_app(services, config=AppConfig(read_after_seconds=0.2))
    async with running(app) as pilot:
        app.search_bar.focus()
        await pilot.press(*"diffusion")
        await settle(pilot)
        await pilot.pause(0.8)  # four dwell times with the focus in the bar
        assert app.focused is app.search_bar
        assert read_on_disk(services) == set()
        # The paper heading the list now: on a busy machine the typed list can still be
        # replaced by its settled search during the pause above.
        await settle(pilot)
        first = highlighted_id(app)
        app.table.focus()
        await wait_for(pilot, lambda: first in read_on_disk(services))


@pytest.mark.parametrize(
    "schedule",
    [
        # Shown while the user types elsewhere: 1.5 s away, then 0.7 s in the list (a
        # dwell time re-armed at 1.0 s, as the mark once was, would have ended at 2.0 s).
        [(False, 1.5), (True, 0.7)],
        # 0.6 s in the list, to the bar for a moment, back: 1.2 s in the list in all,
        # never 1.0 s at a stretch.
        [(True, 0.6), (False, 0.6), (True, 0.6)],
    ],
    ids=["shown-while-away", "left-and-back"],
)
async def test_only_unbroken_time_in_the_list_counts_towards_the_mark(
    services: Services, monkeypatch: pytest.MonkeyPatch, schedule: list[tuple[bool, float]]
) -> None:
    """The dwell time counts continuous attention: the seconds spent typing in the bar
    are not part of it, and leaving the list starts it again."""
    app = make_app(services, config=AppConfig(read_after_seconds=1.0))
    async with running(app) as pilot:
        await search(pilot, "")
        flow, hit = app.reading_flow, app.table.highlighted_hit
        assert hit is not None
        attending = [schedule[0][0]]
        monkeypatch.setattr(flow, "_reader_attending", lambda: attending[0])
        flow.paper_shown(None)
        flow.paper_shown(hit)  # shown now
        for in_the_list, seconds in schedule:
            attending[0] = in_the_list
            await pilot.pause(seconds)
        assert hit.paper.id not in read_on_disk(services)
        await wait_for(pilot, lambda: hit.paper.id in read_on_disk(services))


async def test_zero_seconds_turns_automatic_marks_off(services: Services) -> None:
    app = make_app(services, config=AppConfig(read_after_seconds=0))
    async with running(app) as pilot:
        await search(pilot, "")
        await pilot.pause(0.5)
        assert read_on_disk(services) == set()


async def test_ctrl_r_marks_the_whole_list_read_and_u_undoes_it(services: Services) -> None:
    services.reading.set_read([services.search("pokemon").hits[0].paper.id])
    app = make_app(services)
    async with running(app) as pilot:
        await search(pilot, "diffusion")
        listed = {hit.paper.id for hit in app.table.hits}
        await pilot.press("ctrl+r")
        await settle(pilot)
        await wait_for(pilot, lambda: listed <= read_on_disk(services))
        assert "unread" not in status_text(app)
        assert all(marks(app, paper_id) == "  " for paper_id in listed)
        await pilot.press("u")
        await settle(pilot)
        # Only what ctrl+r changed goes back: the paper read before stays read.
        assert len(read_on_disk(services)) == 1
        assert all(marks(app, paper_id) == "• " for paper_id in listed)


async def test_undo_takes_the_newest_change_of_tags_and_read_marks(services: Services) -> None:
    app = make_app(services)
    async with running(app) as pilot:
        await search(pilot, "")
        paper_id = highlighted_id(app)
        await pilot.press("1")  # a tag
        await pilot.press("r")  # then a read mark
        await settle(pilot)
        await pilot.press("u")
        await settle(pilot)
        assert read_on_disk(services) == set()
        assert services.tags.tags_of(paper_id) == ["to read"]
        await pilot.press("u")
        await settle(pilot)
        assert services.tags.tags_of(paper_id) == []


async def test_n_writes_a_note_saved_as_you_type_and_shown_everywhere(
    services: Services,
) -> None:
    app = make_app(services)
    async with running(app) as pilot:
        await search(pilot, "pokemon")
        paper_id = highlighted_id(app)
        await pilot.press("n")
        await settle(pilot)
        assert isinstance(app.screen, NoteEditor)
        await pilot.press(*"Great *benchmark*")
        # Saved while the editor is still open (debounced), before any close.
        await wait_for(pilot, lambda: services.reading.note_of(paper_id) == "Great *benchmark*")
        await pilot.press("enter", *"[x](http://e)")
        await pilot.press("escape")
        await settle(pilot)
        assert not isinstance(app.screen, NoteEditor)
        note = "Great *benchmark*\n[x](http://e)"
        assert UserData(services.userdata.path).reading.note_of(paper_id) == note
        assert marks(app, paper_id) == "•✎"  # unread, with a note
        assert "Great benchmark" in abstract_text(app)  # Markdown rendered: no asterisks
        note_part = abstract_text(app).split("Note (n edits; N in the reader)")[1]
        assert "*" not in note_part.split("\n")[1]
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ReaderScreen)
        reader = app.screen.query_one("#reader-paper").visual
        assert isinstance(reader, Content)
        assert "Great benchmark" in reader.plain
        link_styles = [span.style for span in reader.spans if not isinstance(span.style, str)]
        assert any(getattr(style, "link", None) == "http://e" for style in link_styles)


async def test_clearing_a_note_deletes_it(services: Services) -> None:
    paper_id = services.search("pokemon").hits[0].paper.id
    services.reading.set_note(paper_id, "old thought")
    app = make_app(services)
    async with running(app) as pilot:
        await search(pilot, "pokemon")
        await pilot.press("n")
        await settle(pilot)
        app.screen.query_one(TextArea).text = ""
        await pilot.press("escape")
        await settle(pilot)
        assert services.reading.noted_ids() == set()
        assert "✎" not in marks(app, paper_id)


async def test_a_note_that_cannot_be_saved_keeps_the_editor_open(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = make_app(services)
    async with running(app) as pilot:
        await search(pilot, "pokemon")
        await pilot.press("n")
        await settle(pilot)

        def refuse(*_args: object, **_kwargs: object) -> bool:
            from browser.userdata import UserDataError

            raise UserDataError("could not save notes: the disk is full")

        monkeypatch.setattr(services.reading, "set_note", refuse)
        await pilot.press(*"lost?")
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, NoteEditor)
        assert "disk is full" in app.screen.status_message
        await pilot.press("escape")  # a second escape leaves anyway
        await settle(pilot)
        assert not isinstance(app.screen, NoteEditor)


async def test_reading_keys_are_in_the_help_and_the_palette(services: Services) -> None:
    app = make_app(services)
    async with running(app):
        described = {(area, description) for area, _key, description in app.binding_rows()}
        for area, description in [
            ("List", "Write a note on the paper (Markdown)"),
            ("List", "Mark read or unread"),
            ("List", "Mark every paper of this list read (u undoes)"),
            ("Reader", "Mark read or unread"),
            ("Reader", "Write a note on the paper (Markdown)"),
        ]:
            assert (area, description) in described
        palette = {command.action for command in PALETTE_COMMANDS}
        assert {"edit_note", "toggle_read", "mark_list_read"} <= palette


async def test_marks_and_notes_from_another_copy_show_up(services: Services) -> None:
    app = make_app(services)
    async with running(app) as pilot:
        await search(pilot, "pokemon")
        paper_id = highlighted_id(app)
        other = UserData(services.userdata.path)  # the CLI, or a second app
        other.reading.set_read([paper_id])
        other.reading.set_note(paper_id, "written elsewhere")
        app.pick_up_outside_changes()  # what the app's timer runs every few seconds
        await settle(pilot)
        assert marks(app, paper_id) == " ✎"
        assert "written elsewhere" in abstract_text(app)


async def test_typing_that_outlasts_the_save_interval_saves_at_once(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On a busy machine typing can take longer than SAVE_AT_LEAST_EVERY; the save was
    then a zero-second timer, which Textual's timer divides by when it fires late."""
    monkeypatch.setattr(note_editor, "SAVE_AT_LEAST_EVERY", 0.0)
    app = make_app(services)
    async with running(app) as pilot:
        await search(pilot, "pokemon")
        paper_id = highlighted_id(app)
        await pilot.press("n")
        await settle(pilot)
        await pilot.press(*"late")
        assert services.reading.note_of(paper_id) == "late"


async def test_a_hostile_note_is_shown_as_its_text(services: Services) -> None:
    """Rich markup, escape codes and non-web links in a note stay text; the Markdown
    around them is still rendered."""
    pokemon = services.search("pokemon").hits[0].paper.id
    hostile = "# [@click=app.quit]Quit[/] \x1b[31mred\n\n- [bold]b[/bold] [js](javascript:x)"
    services.reading.set_note(pokemon, hostile)
    app = make_app(services)
    async with running(app) as pilot:
        await search(pilot, "pokemon")
        shown = abstract_text(app)
        assert "[@click=app.quit]Quit[/] ␛[31mred" in shown
        assert "• [bold]b[/bold] [js](javascript:x)" in shown
        assert app.is_running
        visual = app.query_one("#paper").visual
        assert isinstance(visual, Content)
        assert not any(
            "javascript" in str(getattr(span.style, "link", "") or "") for span in visual.spans
        )


async def test_the_unread_count_is_of_the_whole_result_not_the_loaded_rows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from test_reader import scaling_papers

    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    services = build_library(tmp_path, scaling_papers(230))
    try:
        every = services.search("scaling", sort="newest", limit=500).hits
        # Read papers outside the first page: only a count of all matches sees them.
        services.reading.set_read([hit.paper.id for hit in every[-20:]])
        app = make_app(services)
        async with running(app) as pilot:
            await search(pilot, "scaling")
            assert app.result is not None and len(app.result.hits) < app.result.total == 230
            await wait_for(pilot, lambda: "210 unread" in status_text(app))
            assert "so far" not in status_text(app)
            await pilot.press("r")  # the first paper, unread
            await settle(pilot)
            await wait_for(pilot, lambda: "209 unread" in status_text(app))
            await search(pilot, "scaling is:unread")
            assert app.result is not None and app.result.total == 209
            await wait_for(pilot, lambda: "209 unread" in status_text(app))
    finally:
        services.close()
