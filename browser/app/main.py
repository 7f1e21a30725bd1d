"""The Textual app: search as you type, read, tag with one key, export.

The app only talks to ``Services``; every slow call (sync, search, export, opening a
browser) runs in a thread worker and reports back with a message. This class holds the
state the list shows (query, sort, filters, view) and the bindings; each job lives in
a flow of its own module, which the actions and message handlers here forward to.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from textual import on
from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.notifications import SeverityLevel
from textual.screen import Screen
from textual.widgets import Input

from browser.app.first_paint import (
    FirstPaint,
    KeptScreen,
    LibraryOpened,
    LibraryOpenFailed,
    keep_first_screen,
)
from browser.config import AppConfig, LoadedConfig, load_config
from browser.first_screen import FirstScreen
from browser.heap import set_aside_startup_heap
from browser.safe_text import safe_line
from browser.widgets.main_screen import MainScreen
from browser.widgets.results_table import ResultsTable
from browser.widgets.search_bar import SearchBar

if TYPE_CHECKING:
    # The flows, pydantic's models and the services are imported when the library is
    # attached (``attach``): a launch over a kept first screen paints before them.
    from browser.app.messages import (
        ExportFinished,
        SearchCompleted,
        SyncFinished,
        SyncProgressed,
        TagFilter,
    )
    from browser.app.narrowing import NarrowingFlow
    from browser.app.paper import PaperFlow
    from browser.app.reading import ReadingFlow
    from browser.app.searching import SearchFlow
    from browser.app.session import SessionFlow, View
    from browser.app.split_pane import SplitFlow
    from browser.app.syncing import SyncFlow
    from browser.app.tagging import TagFlow
    from browser.app.transfer import TransferFlow
    from browser.models import SearchHit, SearchResult, SortOrder
    from browser.search_session import SearchSession
    from browser.services import Services
    from browser.widgets.paper_text import LinkClicked

__all__ = ["Notifier", "PaperBrowserApp", "run_app", "run_app_from_first_screen"]

# The CLI (or another window) may tag papers while the app is open; a stat per tick.
TAG_RELOAD_SECONDS = 3.0
# Actions about the highlighted paper: offered only when the list has one.
_PAPER_ACTIONS = frozenset(
    {
        "quick_tag",
        "tag_prompt",
        "remove_tag",
        "more_like",
        "open_link",
        "copy",
        "read",
        "toggle_read",
        "mark_list_read",
        "edit_note",
    }
)
# What a kept first screen offers before the library is open (the rest waits, dimmed).
_BEFORE_LIBRARY = frozenset(
    {"quit", "focus_search", "focus_results", "focus_next", "focus_previous", "help_quit"}
)
# Hears every notice the app shows: (message as shown, severity). Tests and tools watch
# the app through it instead of Textual's private notification list.
Notifier = Callable[[str, SeverityLevel], None]


class PaperBrowserApp(App[None]):
    """Search, read and tag papers from Hugging Face Daily Papers dumps."""

    # Absolute, because Textual resolves a relative CSS_PATH next to each subclass's module.
    CSS_PATH = Path(__file__).resolve().parent.parent / "browser.tcss"
    TITLE = "paper-browser"
    # Unannotated: App types it as an instance attribute, so a ClassVar would not type-check.
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (120, "-wide")]  # noqa: RUF012
    VERTICAL_BREAKPOINTS = [(0, "-short"), (30, "-tall")]  # noqa: RUF012
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f1", "help", "Keys", show=False, tooltip="Show every key"),
        Binding("ctrl+q", "quit", "Quit", show=False, priority=True, tooltip="Quit from anywhere"),
    ]

    # Set by ``_attach`` (at once when the app is given its services).
    services: Services
    session: SearchSession
    search_flow: SearchFlow
    narrowing_flow: NarrowingFlow
    paper_flow: PaperFlow
    tag_flow: TagFlow
    sync_flow: SyncFlow
    split_flow: SplitFlow
    transfer_flow: TransferFlow
    reading_flow: ReadingFlow
    session_flow: SessionFlow

    def __init__(
        self,
        services: Services | None,
        *,
        dumps: Sequence[Path] = (),
        year: int | None = None,
        config: AppConfig | LoadedConfig | None = None,
        sample_dumps: Path | None = None,
        today: Callable[[], dt.date] = dt.date.today,
        set_aside_heap: bool = False,
        first_screen: FirstScreen | None = None,
        open_library: Callable[[], Services] | None = None,
    ) -> None:
        """``set_aside_heap``: once the first list is painted, leave the heap alive then
        out of later garbage collections (``browser.heap``; ``run_app`` asks for it).
        ``sample_dumps``: indexed when the library is empty (None: the bundled ones).

        Either ``services``, or ``first_screen`` and ``open_library``: the app then
        paints the kept first screen at once and opens the library in a thread
        (``browser.app.first_paint``); the real answer replaces the rows when it lands.
        """
        super().__init__()
        loaded = load_config() if config is None else config
        if isinstance(loaded, AppConfig):
            loaded = LoadedConfig(loaded)
        self.config = loaded.config
        self._config_problem = loaded.problem
        self._dumps = tuple(dumps)
        self._year = year
        self._sample_dumps = sample_dumps
        self._today = today
        self.triage = self.config.auto_advance
        self.sort: SortOrder = "relevance"
        self.tag_filter: TagFilter | None = None
        self.like: SearchHit | None = None
        # The new papers, one listing day or a saved search's filters, over the query.
        self.view: View | None = None
        self.syncing = False
        self.notifiers: list[Notifier] = []
        self._main_screen: MainScreen | None = None
        self._binding_state: tuple[bool | None, ...] = ()
        self._set_aside_heap = set_aside_heap
        # True once the library is attached (services and flows); before, a kept first
        # screen shows and only the keys in _BEFORE_LIBRARY act.
        self.ready = False
        self.first_paint: FirstPaint | None = None
        # Taken as the user quits: what the next launch may paint first (``run_app``).
        self.kept_screen: KeptScreen | None = None
        if services is not None:
            self.attach(services)
        elif first_screen is not None and open_library is not None:
            self.first_paint = FirstPaint(self, first_screen, open_library)
        else:
            raise ValueError("the app needs services, or a first screen and a way to open them")

    def attach(self, services: Services) -> None:
        """Take the library: the services and every flow over them."""
        from browser.app.narrowing import NarrowingFlow
        from browser.app.paper import PaperFlow
        from browser.app.reading import ReadingFlow
        from browser.app.searching import SearchFlow
        from browser.app.session import SessionFlow
        from browser.app.split_pane import SplitFlow
        from browser.app.syncing import SyncFlow
        from browser.app.tagging import TagFlow
        from browser.app.transfer import TransferFlow
        from browser.search_session import SearchSession
        from browser.services import BUNDLED_SAMPLE_DUMPS

        self.services = services
        if self._sample_dumps is None:
            self._sample_dumps = BUNDLED_SAMPLE_DUMPS
        # The debounce, settle, stale-answer and paging rules (no Textual in there).
        self.session = SearchSession()
        self.search_flow = SearchFlow(self)
        self.narrowing_flow = NarrowingFlow(self)
        self.paper_flow = PaperFlow(self)
        self.tag_flow = TagFlow(self)
        self.sync_flow = SyncFlow(self)
        self.split_flow = SplitFlow(self)
        self.transfer_flow = TransferFlow(self, self._today)
        self.reading_flow = ReadingFlow(self, self.config.read_after_seconds)
        self.session_flow = SessionFlow(self)
        self.ready = True

    # ------------------------------------------------------------------ layout

    def get_default_screen(self) -> MainScreen:
        screen = self._main_screen = MainScreen(self.config.quick_tags)
        # The breakpoint classes for the terminal's size now: Textual sets them after the
        # screen's first layout, which then lays everything out (and the list rebuilds
        # its columns) a second time before the first paint.
        width, height = self.size
        for value, breakpoints in (
            (width, self.HORIZONTAL_BREAKPOINTS),
            (height, self.VERTICAL_BREAKPOINTS),
        ):
            for threshold, name in sorted(breakpoints or (), reverse=True):
                if value >= threshold:
                    screen.add_class(name)
                    break
        return screen

    @property
    def main_screen(self) -> MainScreen:
        """The list view, whatever modal or reader is on top of it."""
        assert self._main_screen is not None, "the app has not been composed yet"
        return self._main_screen

    @property
    def table(self) -> ResultsTable:
        return self.main_screen.table

    @property
    def search_bar(self) -> SearchBar:
        return self.main_screen.search_bar

    @property
    def result(self) -> SearchResult | None:
        """The answer the list shows (None before the library is open)."""
        return self.session.result if self.ready else None

    @property
    def abstract_percent(self) -> int | None:
        """The abstract pane's share of the screen (percent; None: the default split)."""
        if not self.ready:
            return self.first_paint.abstract_percent if self.first_paint else None
        return self.split_flow.abstract_percent

    def on_mount(self) -> None:
        if self.config.theme:
            if self.config.theme in self.available_themes:
                self.theme = self.config.theme
            else:
                self.say(f"Unknown theme {self.config.theme!r} in the config", "warning")
        if self._config_problem:
            self.say(self._config_problem, "warning", timeout=8)
        if self.first_paint is not None:
            self.first_paint.paint()
        else:
            self.start()

    def start(self) -> None:
        """Everything the library is needed for at launch: notices, the split, the
        restored session, the sync or the first search."""
        if self.split_flow.problem:
            self.say(self.split_flow.problem, "warning", timeout=8)
        self.split_flow.apply()
        if self.services.tags.read_only:
            self.say(self.tag_flow.read_only_message(), "error", timeout=10)
        for notice in self.services.notices:
            self.say(notice, "information", timeout=10)
        self.main_screen.status.hide_progress()
        if self.first_paint is None:  # else the focus is where the user has put it since
            self.search_bar.focus()
        self.set_interval(TAG_RELOAD_SECONDS, self.pick_up_outside_changes)
        dumps = self._dumps
        sample = self._sample_dumps
        if not dumps and sample is not None and self.services.is_empty() and sample.exists():
            dumps = (sample,)
        if not self._dumps:
            # Paths on the command line open new dumps: then no restored search.
            self.session_flow.restore()
        if dumps or self.services.index_problem:
            self.sync_flow.start(dumps, self._year)
        else:
            self.sync_flow.first_search()

    def on_resize(self) -> None:
        # Crossing a breakpoint turns side by side into stacked: the share changes axis.
        self.call_after_refresh(self._apply_split)

    def _apply_split(self) -> None:
        if self.ready:
            self.split_flow.apply()
        elif self.first_paint is not None:
            self.first_paint.apply_split()

    def on_unmount(self) -> None:
        if self.ready:
            self.split_flow.save_at_exit()

    def on_library_opened(self, message: LibraryOpened) -> None:
        if self.first_paint is not None and not self.ready:
            self.first_paint.opened(message.services)

    def on_library_open_failed(self, message: LibraryOpenFailed) -> None:
        if self.first_paint is not None:
            self.first_paint.failed(message.error)

    # ------------------------------------------------------------------ messages

    def on_sync_progressed(self, message: SyncProgressed) -> None:
        self.sync_flow.progressed(message)

    def on_sync_finished(self, message: SyncFinished) -> None:
        self.sync_flow.finished(message)

    @on(Input.Changed, "#search")
    def _query_changed(self) -> None:
        if self.ready:  # before, the bar keeps what is typed and the library searches it
            self.search_flow.query_changed()

    @on(Input.Submitted, "#search")
    def _query_submitted(self) -> None:
        if self.ready:
            self.search_flow.query_submitted()
        else:
            self.table.focus()

    @on(ResultsTable.NearEnd)
    def _load_more(self) -> None:
        if self.ready:
            self.search_flow.load_more()

    def on_search_completed(self, message: SearchCompleted) -> None:
        self.search_flow.completed(message)
        if self._set_aside_heap:
            self._set_aside_heap = False
            self.call_after_refresh(set_aside_startup_heap)  # after the first list's paint

    @on(ResultsTable.RowHighlighted, "#results")
    def _row_highlighted(self) -> None:
        if self.ready:  # a kept first screen has no papers to show in the pane
            self.paper_flow.show_highlighted()

    def on_link_clicked(self, message: LinkClicked) -> None:
        self.paper_flow.open_url(message.url)

    def on_export_finished(self, message: ExportFinished) -> None:
        self.transfer_flow.finished(message)

    # ------------------------------------------------------------------ for the flows

    def request_search(self, *, time_budget_ms: float | None = None) -> None:
        """Search for what the bar and the filters say now; older answers will be dropped."""
        self.search_flow.request(time_budget_ms=time_budget_ms)

    def refresh_paper_view(self) -> None:
        """Re-render the highlighted paper (its note or read mark changed), keeping the scroll."""
        self.paper_flow.refresh()

    def update_status_line(self) -> None:
        self.search_flow.update_status()

    def pick_up_outside_changes(self) -> None:
        """Tags, read marks and notes another copy saved (run every few seconds)."""
        self.tag_flow.pick_up_outside_changes()

    def refresh_bindings_if_changed(self) -> None:
        # The footer recomposes on every refresh: only ask when a check_action answer moved.
        state = (
            self.table.highlighted_hit is not None,
            self.check_action("undo", ()),
            self.check_action("export", ()),
            self.like is not None or self.view is not None,
        )
        if state != self._binding_state:
            self._binding_state = state
            self.refresh_bindings()

    def say(
        self, message: str, severity: SeverityLevel = "information", *, timeout: float = 5
    ) -> None:
        """A notice; ``markup=False``: messages quote titles, tags and paths, not markup."""
        self.notify(safe_line(message), severity=severity, timeout=timeout, markup=False)

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = True,
    ) -> None:
        for notifier in self.notifiers:
            notifier(str(message), severity)
        super().notify(message, title=title, severity=severity, timeout=timeout, markup=markup)

    # ------------------------------------------------------------------ actions

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if not self.ready:
            if action in _BEFORE_LIBRARY:
                return True
            # No undo and no context at launch; the rest is shown, dimmed, until it acts.
            return False if action in ("undo", "clear_context") else None
        if action in _PAPER_ACTIONS:
            if action == "quick_tag" and parameters:
                slot = parameters[0]
                if not isinstance(slot, int) or not 1 <= slot <= len(self.config.quick_tags):
                    return None
            if self.table.showing_first_screen:
                return None  # its rows are not papers yet: dimmed until the answer
            return self.table.highlighted_hit is not None
        if action == "undo":
            return self.tag_flow.can_undo
        if action == "export":
            return bool(self.result and self.result.hits) or len(self.services.tags) > 0
        if action == "clear_context":
            return self.like is not None or self.view is not None
        return True

    def action_focus_search(self) -> None:
        self.search_bar.focus()

    def action_focus_results(self) -> None:
        self.table.focus()

    def action_scroll_abstract(self, direction: int) -> None:
        self.paper_flow.scroll_abstract(direction)

    def action_quick_tag(self, slot: int) -> None:
        self.tag_flow.quick_tag(slot)

    def action_tag_prompt(self) -> None:
        self.tag_flow.tag_prompt()

    def action_remove_tag(self) -> None:
        self.tag_flow.remove_tag()

    def action_undo(self) -> None:
        self.tag_flow.undo()

    def action_toggle_read(self) -> None:
        self.reading_flow.toggle_read()

    def action_mark_list_read(self) -> None:
        self.reading_flow.mark_list_read()

    def action_edit_note(self) -> None:
        self.reading_flow.edit_note()

    def action_toggle_triage(self) -> None:
        self.triage = not self.triage
        state = "on: a quick tag moves to the next paper" if self.triage else "off"
        self.say(f"Triage mode {state}", timeout=2)
        self.search_flow.update_status()

    def action_cycle_sort(self) -> None:
        self.narrowing_flow.cycle_sort()

    def action_filter_tags(self) -> None:
        self.narrowing_flow.filter_tags()

    def action_more_like(self) -> None:
        self.narrowing_flow.more_like()

    def action_clear_context(self) -> None:
        self.narrowing_flow.clear_context()

    def action_stats(self) -> None:
        self.narrowing_flow.stats()

    def action_save_search(self) -> None:
        self.session_flow.save_search()

    def action_saved_searches(self) -> None:
        self.session_flow.list_saved()

    def action_step_day(self, delta: int) -> None:
        self.session_flow.step_day(delta)

    async def action_quit(self) -> None:
        if self.ready:
            self.session_flow.remember_now()
            from browser.app.first_paint import take_first_screen

            # What the next launch paints first, if this list is one to restore. Quitting
            # must never fail over it: a screen not kept costs the next launch its head
            # start, nothing else.
            try:
                self.kept_screen = take_first_screen(self)
            except Exception:
                self.kept_screen = None
        await super().action_quit()

    def action_read(self) -> None:
        self.paper_flow.open_reader()

    def action_open_link(self) -> None:
        self.paper_flow.open_link()

    def action_copy(self) -> None:
        self.paper_flow.copy()

    def action_import_tags(self) -> None:
        self.transfer_flow.import_tags()

    def action_export(self) -> None:
        self.transfer_flow.export()

    def action_resize_pane(self, direction: int) -> None:
        self.split_flow.resize(direction)

    def action_help(self) -> None:
        from browser.query_help import query_syntax
        from browser.widgets.help_screen import HelpScreen  # rich's tables: not at launch

        self.push_screen(
            HelpScreen(
                self.binding_rows(),
                footnote="ctrl+p opens the command palette: every action is also a command.",
                syntax=query_syntax(),
            )
        )

    # ------------------------------------------------------------------ keys & commands

    def binding_rows(self) -> list[tuple[str, str, str]]:
        """(area, key, description) for every binding, quick tags spelled out."""
        from browser.app.commands import binding_rows

        return binding_rows(self)

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        if self.ready:
            from browser.app.commands import palette_commands

            yield from palette_commands(self, screen)


def run_app(
    services: Services,
    *,
    dumps: Sequence[Path] = (),
    year: int | None = None,
    config: AppConfig | LoadedConfig | None = None,
) -> int:
    """Open the app over ready services (the CLI's entry point); returns the app's exit
    status (Textual's ``return_code``: 0 after a normal quit, non-zero after a crash)."""
    app = PaperBrowserApp(services, dumps=dumps, year=year, config=config, set_aside_heap=True)
    app.run()
    keep_first_screen(app.kept_screen, services.paths.root)
    return app.return_code or 0


def run_app_from_first_screen(
    first_screen: FirstScreen,
    open_library: Callable[[], Services],
    *,
    config: AppConfig | LoadedConfig | None = None,
) -> int:
    """Open the app on a kept first screen, the library opened behind it (the CLI's
    entry point when ``browser.first_screen.load_first_screen`` found one); closes the
    services it opened. Returns the app's exit status; re-raises what ``open_library``
    raised (the CLI says it in one line)."""
    app = PaperBrowserApp(
        None,
        config=config,
        first_screen=first_screen,
        open_library=open_library,
        set_aside_heap=True,
    )
    paint = app.first_paint
    assert paint is not None
    try:
        app.run()
    finally:
        services = paint.wait()
        if services is not None:
            try:
                if app.ready:  # quitting before the library was open keeps the kept one
                    keep_first_screen(app.kept_screen, services.paths.root)
            finally:
                services.close()
    if paint.error is not None:
        raise paint.error
    return app.return_code or 0
