"""The first screen kept between launches (issue 17: launch to first painted results).

A session that quits on a settled list keeps its first screenful; the next launch
paints it before the library is open, then the real answer replaces it with the same
rows. A kept screen the library no longer agrees with (another index commit, a tag or
read mark changed since, the view preferences) is never shown; a damaged one is ignored.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from app_driver import TODAY, make_app, running, search, settle, wait_for
from conftest import DumpPaper, write_dump
from rich.text import Text
from test_app import build_library, status_text
from test_app_reading import highlighted_id

from browser.app import PaperBrowserApp
from browser.app.first_paint import keep_first_screen
from browser.cli.common import UserError
from browser.config import AppConfig
from browser.first_screen import (
    FIRST_SCREEN_FILE,
    FirstScreen,
    library_state,
    load_first_screen,
)
from browser.services import Services


@pytest.fixture
def services(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Services]:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    built = build_library(tmp_path)
    yield built
    built.close()


def root_of(services: Services) -> Path:
    return services.paths.root


class Gate:
    """``open_library`` for a launch over a kept screen, held until ``release``."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self.opened = threading.Event()
        self._go = threading.Event()
        self.error: Exception | None = None

    def release(self) -> None:
        self._go.set()

    def __call__(self) -> Services:
        assert self._go.wait(30), "the test never let the library open"
        self.opened.set()
        if self.error is not None:
            raise self.error
        return self.services


def launch_over(screen: FirstScreen, gate: Callable[[], Services]) -> PaperBrowserApp:
    """The app as ``run_app_from_first_screen`` makes it, with the tests' defaults."""
    return PaperBrowserApp(
        None,
        config=AppConfig(read_after_seconds=0),
        sample_dumps=Path("/nonexistent-sample-dumps"),
        today=lambda: TODAY,
        first_screen=screen,
        open_library=gate,
    )


def cells(app: PaperBrowserApp, rows: int) -> list[list[tuple[str, str, str]]]:
    """The first ``rows`` rows as drawn: each cell's text, spans and style."""
    shown = []
    for index in range(min(rows, app.table.row_count)):
        row: list[Text] = app.table.get_row_at(index)
        shown.append([(cell.plain, repr(cell.spans), str(cell.style)) for cell in row])
    return shown


async def keep_a_screen(services: Services, query: str = "diffusion", down: int = 1) -> FirstScreen:
    """A session that searches ``query``, moves ``down`` rows and quits: its kept screen."""
    app = make_app(services)
    async with running(app) as pilot:
        await search(pilot, query)
        for _ in range(down):
            await pilot.press("down")
        await settle(pilot)
        await pilot.press("q")
    keep_first_screen(app.kept_screen, root_of(services))  # as run_app does after the app
    kept = load_first_screen(root_of(services))
    assert kept is not None
    return kept


async def test_the_kept_screen_is_painted_first_and_the_answer_replaces_it_unchanged(
    services: Services,
) -> None:
    kept = await keep_a_screen(services)
    assert kept.query == "diffusion" and kept.cursor == 1
    gate = Gate(services)
    app = launch_over(kept, gate)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        # Painted with no library: no services, no answer yet.
        assert not app.ready and not gate.opened.is_set()
        assert app.table.showing_first_screen
        assert app.search_bar.value == "diffusion"
        assert app.table.highlighted_id == kept.highlighted_id
        assert app.table.highlighted_hit is None  # rows, not papers: paper keys wait
        assert app.check_action("quick_tag", (1,)) is None
        first = cells(app, len(kept.rows))
        assert [row[0][0] for row in first] == [row.title for row in kept.rows]
        assert status_text(app).startswith(kept.status[0][0][0])
        gate.release()
        await wait_for(pilot, lambda: app.ready and app.result is not None)
        await settle(pilot)
        assert not app.table.showing_first_screen
        assert app.result is not None and app.result.query == "diffusion"
        # The same rows, cell for cell, and the same paper highlighted.
        assert cells(app, len(kept.rows)) == first
        assert highlighted_id(app) == kept.highlighted_id
        await pilot.press("ctrl+q")
    # Quitting keeps the next one, still true.
    assert app.kept_screen is not None
    keep_first_screen(app.kept_screen, root_of(services))
    again = load_first_screen(root_of(services))
    assert again is not None and again.rows == kept.rows and again.cursor == kept.cursor


async def test_typing_and_moving_before_the_library_opens_are_kept(services: Services) -> None:
    kept = await keep_a_screen(services, down=0)
    gate = Gate(services)
    app = launch_over(kept, gate)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("down")  # from the bar to the list
        await pilot.press("j")  # the list's own key: the next row
        moved_to = app.table.highlighted_id
        assert moved_to == kept.rows[1].paper_id
        gate.release()
        await wait_for(pilot, lambda: app.ready and app.result is not None)
        await settle(pilot)
        assert highlighted_id(app) == moved_to
    gate = Gate(services)
    app = launch_over(kept, gate)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        app.search_bar.value = "agents"  # typed while the library opens
        gate.release()
        await wait_for(pilot, lambda: getattr(app.result, "query", "") == "agents")
        assert app.search_bar.value == "agents"


async def test_quitting_before_the_library_opens_keeps_the_kept_screen(
    services: Services,
) -> None:
    kept = await keep_a_screen(services)
    gate = Gate(services)
    app = launch_over(kept, gate)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("ctrl+q")
    gate.release()
    assert app.first_paint is not None and app.first_paint.wait() is services
    assert not app.ready and app.kept_screen is None
    assert load_first_screen(root_of(services)) == kept


async def test_a_library_that_fails_to_open_ends_the_app_with_its_error(
    services: Services,
) -> None:
    kept = await keep_a_screen(services)
    gate = Gate(services)
    gate.error = UserError("cannot open the library at nowhere: gone")
    app = launch_over(kept, gate)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        gate.release()
        await wait_for(pilot, lambda: app.return_code == 1)
    assert app.first_paint is not None and app.first_paint.error is gate.error
    assert app.first_paint.wait() is None


def tag_a_row(services: Services, kept: FirstScreen) -> None:
    paper = kept.rows[0]
    services.tags.add(paper.paper_id, "later", title=paper.title)


def read_a_row(services: Services, kept: FirstScreen) -> None:
    services.reading.set_read([kept.rows[-1].paper_id])


def note_a_row(services: Services, kept: FirstScreen) -> None:
    services.reading.set_note(kept.rows[0].paper_id, "see the appendix")


def tag_another_paper(services: Services, kept: FirstScreen) -> None:
    # Not a row shown, but the tags' spellings and counts changed: stale too.
    shown = {row.paper_id for row in kept.rows}
    other = next(paper for paper in services.catalog.papers() if paper.id not in shown)
    services.tags.add(other.id, "Later", title=other.title)


def index_another_dump(services: Services, kept: FirstScreen) -> None:
    paper = DumpPaper(
        title="Diffusion Models Learn to Count Sheep",
        abstract="We count sheep with diffusion.",
        authors=2,
        date="Mar 2, 2024",
        comments=1,
    )
    dump = write_dump(root_of(services).parent / "more", "2024-03-06_page.txt", [paper])
    services.sync([dump])


def resize_the_pane(services: Services, kept: FirstScreen) -> None:
    (root_of(services) / "ui_state.json").write_text('{"abstract_percent": 70}')


def forget_the_session(services: Services, kept: FirstScreen) -> None:
    services.reading.remember_session(services.reading.last_session()[0], None)  # type: ignore[index]


STALE = [
    tag_a_row,
    read_a_row,
    note_a_row,
    tag_another_paper,
    index_another_dump,
    resize_the_pane,
    forget_the_session,
]


@pytest.mark.parametrize("change", STALE, ids=[change.__name__ for change in STALE])
async def test_a_kept_screen_the_library_no_longer_agrees_with_is_never_shown(
    services: Services,
    change: Callable[[Services, FirstScreen], None],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    kept = await keep_a_screen(services)
    change(services, kept)
    assert load_first_screen(root_of(services)) is None
    assert not (root_of(services) / FIRST_SCREEN_FILE).exists()  # stale: forgotten
    assert launched_by_cli(root_of(services), monkeypatch) == "ordinary"


GARBAGE: list[bytes] = [
    b"",
    b"\x00\xff\xfe not json at all",
    b"[]",
    b'{"format": 1}',
    b'{"format": 99, "version": "0.1.0"}',
    b"null",
]


def garbled(document: dict[str, Any]) -> list[bytes]:
    """Damaged variants of a real kept screen's JSON."""
    variants: list[dict[str, Any]] = []
    for key, value in (
        ("rows", "not rows"),
        ("rows", []),
        ("cursor", 10_000),
        ("cursor", "first"),
        ("status", [[["only a form"], [5]]]),
        ("status", [[["a", "b"], [1, 2]]]),
        ("notice", [{"style": "bold"}]),
    ):
        variant = json.loads(json.dumps(document))
        variant["screen"][key] = value
        variants.append(variant)
    spans = json.loads(json.dumps(document))
    spans["screen"]["rows"][0]["title_spans"] = [[0, 10_000]]
    variants.append(spans)
    raw = json.dumps(document).encode()
    return [json.dumps(v).encode() for v in variants] + [raw[: len(raw) // 2]]


async def test_a_damaged_kept_screen_is_ignored_and_user_data_is_untouched(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    await keep_a_screen(services)
    root = root_of(services)
    path = root / FIRST_SCREEN_FILE
    document = json.loads(path.read_text(encoding="utf-8"))
    ids = [row["paper_id"] for row in document["screen"]["rows"]]
    services.tags.add(ids[0], "keep me", title="x")
    before = library_state(root, ids)
    for content in GARBAGE + garbled(document):
        path.write_bytes(content)
        assert load_first_screen(root) is None, content[:80]
        assert launched_by_cli(root, monkeypatch) == "ordinary"
    assert library_state(root, ids) == before
    assert services.tags.tags_of(ids[0]) == ["keep me"]
    path.unlink()
    path.mkdir()  # not even a file
    assert load_first_screen(root) is None


async def test_lists_that_are_not_the_restored_search_are_not_kept(services: Services) -> None:
    await keep_a_screen(services)
    app = make_app(services)
    async with running(app) as pilot:
        await search(pilot, "diffusion")
        await pilot.press("m")  # similar papers: not what the next launch restores
        await settle(pilot)
        await pilot.press("q")
    assert app.kept_screen is None
    keep_first_screen(app.kept_screen, root_of(services))
    assert not (root_of(services) / FIRST_SCREEN_FILE).exists()


async def test_a_list_of_a_word_being_typed_is_not_kept(services: Services) -> None:
    """The restore searches whole words: "diffus" as typed lists its completions'
    papers, which the restored search would replace with others."""
    app = make_app(services)
    async with running(app) as pilot:
        await pilot.press("slash")
        app.search_bar.value = "diffus"
        await wait_for(
            pilot,
            lambda: (
                app.result is not None
                and app.result.query == "diffus"
                and bool(app.result.hits)
                and not app.result.partial
            ),
        )
        await settle(pilot)
        assert app.session.request is not None and app.session.request.prefix_last_word
        await pilot.press("ctrl+q")
    assert app.kept_screen is None


def launched_by_cli(library: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """Which launch ``paper-browser app --library LIBRARY`` takes: "kept" (over a kept
    first screen) or "ordinary" (the services opened first)."""
    import browser.app
    from browser.cli.app import run_app_command

    taken: list[str] = []

    def ordinary(services: Services, **options: object) -> int:
        taken.append("ordinary")
        return 0

    def kept(first_screen: FirstScreen, open_library: object, **options: object) -> int:
        taken.append("kept")
        return 0

    monkeypatch.setattr(browser.app, "run_app", ordinary)
    monkeypatch.setattr(browser.app, "run_app_from_first_screen", kept)
    options = argparse.Namespace(library=library, tags=None, paths=[], year=None)
    assert run_app_command(options) == 0
    (launch,) = taken
    return launch


async def test_the_cli_launches_over_a_kept_screen_that_is_still_true(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    await keep_a_screen(services)
    assert launched_by_cli(root_of(services), monkeypatch) == "kept"


def test_the_first_screen_needs_neither_pydantic_nor_whoosh_nor_the_services() -> None:
    """What a launch over a kept screen imports before its first paint."""
    code = (
        "import sys, browser.cli, browser.cli.app, browser.app, browser.app.main,"
        " browser.first_screen; print('\\n'.join(sorted(sys.modules)))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.split()
    heavy = (
        "pydantic",
        "whoosh",
        "pylatexenc",
        "browser.models",
        "browser.services",
        "browser.search",
    )
    assert not [name for name in loaded if name.startswith(heavy)]
    assert "browser.app.main" in loaded and "textual.app" in loaded


async def test_quitting_never_fails_over_a_screen_it_cannot_keep(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    import browser.app.first_paint

    def broken(root: Path, paper_ids: object) -> object:
        raise RuntimeError("a bug while reading the library's state")

    monkeypatch.setattr(browser.app.first_paint, "library_state", broken)
    app = make_app(services)
    async with running(app) as pilot:
        await search(pilot, "diffusion")
        await pilot.press("q")
    assert app.return_code == 0 and app.kept_screen is None
    keep_first_screen(app.kept_screen, root_of(services))
    assert not (root_of(services) / FIRST_SCREEN_FILE).exists()
