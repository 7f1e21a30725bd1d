"""The Textual app: search as you type, read, tag with one key, export.

The app only talks to ``Services``; every slow call (sync, search, export,
opening a browser) runs in a thread worker and reports back with a message.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import time
import webbrowser
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import quote_plus

from textual import on, work
from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.content import Content
from textual.notifications import SeverityLevel
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import DataTable, Input
from textual.worker import get_current_worker

from browser.app_reading import ReadingFlow
from browser.app_session import SessionFlow, View
from browser.config import AppConfig, LoadedConfig, load_config
from browser.export.formats import ExportOptions
from browser.export.tag_import import ImportReport
from browser.library import skipped_summary
from browser.links import first_web_link
from browser.messages import (
    ExportFinished,
    SearchCompleted,
    SearchRequest,
    SyncFinished,
    SyncProgressed,
    TagFilter,
)
from browser.models import SORT_ORDERS, SearchCancelled, SearchHit, SearchResult, SortOrder
from browser.safe_text import safe_line
from browser.search_session import (
    DEBOUNCE_SECONDS,
    TYPING_BUDGET_MS,
    AppendPage,
    Ignore,
    KeepWaiting,
    ReplaceList,
    SearchSession,
)
from browser.services import (
    BUNDLED_SAMPLE_DUMPS,
    ExportSelection,
    Services,
    SyncProgress,
    SyncSummary,
)
from browser.tags import TagError
from browser.ui_state import UiStateSaver, load_ui_state, ui_state_path
from browser.userdata import UserDataError
from browser.widgets.export_prompt import (
    ExportChoice,
    ExportPrompt,
    ExportScope,
    ImportChoice,
    ImportPrompt,
)
from browser.widgets.help_screen import HelpScreen
from browser.widgets.main_screen import MainScreen
from browser.widgets.paper_text import LinkClicked
from browser.widgets.picker import PickerScreen
from browser.widgets.reader import READER_APP_ACTIONS, READER_BINDINGS, ReaderScreen
from browser.widgets.results_table import ResultsTable
from browser.widgets.search_bar import SearchBar
from browser.widgets.split import apply_split, stepped
from browser.widgets.stats_screen import StatsChoice, StatsScreen
from browser.widgets.tag_prompt import TagPrompt

SORT_LABELS: dict[SortOrder, str] = {
    "relevance": "relevance",
    "newest": "newest first",
    "comments": "most comments",
    "title": "title A-Z",
}
# The CLI (or another window) may tag papers while the app is open; a stat per tick.
TAG_RELOAD_SECONDS = 3.0
HF_SEARCH_URL = "https://huggingface.co/papers?q="
# A burst of split key presses is saved once, this long (seconds) after the last press.
UI_STATE_SAVE_DELAY = 0.3
# How long the "as big/small as it gets" notice shows; presses meanwhile add none.
SPLIT_LIMIT_NOTICE_SECONDS = 2.0
_TAG_ACTIONS = frozenset(
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


@dataclass(frozen=True)
class PaletteCommand:
    title: str
    help: str
    action: str


PALETTE_COMMANDS: tuple[PaletteCommand, ...] = (
    PaletteCommand("Search", "Focus the search bar", "focus_search"),
    PaletteCommand("Read paper", "The highlighted paper full-screen, with next/previous", "read"),
    PaletteCommand("Tag paper…", "Add a tag to the highlighted paper", "tag_prompt"),
    PaletteCommand("Remove a tag…", "Pick one of the paper's tags to remove", "remove_tag"),
    PaletteCommand("Undo last change", "Revert the most recent tag or read-mark change", "undo"),
    PaletteCommand("Save this search…", "Query, sort and filters under a name", "save_search"),
    PaletteCommand("Saved searches…", "List the saved searches and run one", "saved_searches"),
    PaletteCommand("Previous day", "The Daily Papers day before, for this search", "step_day(-1)"),
    PaletteCommand("Next day", "The Daily Papers day after, for this search", "step_day(1)"),
    PaletteCommand("Edit note…", "Write a Markdown note on the highlighted paper", "edit_note"),
    PaletteCommand("Toggle read", "Mark the highlighted paper read or unread", "toggle_read"),
    PaletteCommand("Mark list read", "Every paper of this list read (u undoes)", "mark_list_read"),
    PaletteCommand("Cycle sort order", "Relevance, newest, most comments, title", "cycle_sort"),
    PaletteCommand("Filter by tag…", "Show only papers with a tag, or untagged", "filter_tags"),
    PaletteCommand("Similar papers", "Papers like the highlighted one", "more_like"),
    PaletteCommand("Open paper in browser", "First link, or a Hugging Face search", "open_link"),
    PaletteCommand("Copy title and link", "To the clipboard", "copy"),
    PaletteCommand("Toggle triage mode", "Next paper after each quick tag", "toggle_triage"),
    PaletteCommand(
        "Export…", "CSV, BibTeX, RIS, Markdown or JSONL: current results or tagged", "export"
    ),
    PaletteCommand(
        "Import tags…", "From a CSV, BibTeX or RIS file (one undo step)", "import_tags"
    ),
    PaletteCommand(
        "Stats of this search", "Papers over time, tags, organisations, rising terms", "stats"
    ),
    PaletteCommand("Grow the abstract pane", "Remembered between launches", "resize_pane(1)"),
    PaletteCommand("Shrink the abstract pane", "Remembered between launches", "resize_pane(-1)"),
    PaletteCommand("Show keys", "Every key binding", "help"),
)


def link_for(hit: SearchHit) -> str:
    """The paper's first web link (``links.is_web_link``), else a Hugging Face title search."""
    return first_web_link(hit.paper.links) or HF_SEARCH_URL + quote_plus(hit.paper.title)


def run_request(
    services: Services, request: SearchRequest, cancelled: Callable[[], bool] | None = None
) -> SearchResult:
    """Answer ``request`` through the one search use case (called from worker threads)."""
    return services.search(
        request.query,
        sort=request.sort,
        limit=request.limit,
        filters=request.filters,
        like=request.like_paper_id,
        time_budget_ms=request.time_budget_ms,
        cancelled=cancelled,
    )


class PaperBrowserApp(App[None]):
    """Search, read and tag papers from Hugging Face Daily Papers dumps."""

    # Absolute, because Textual resolves a relative CSS_PATH next to each subclass's module.
    CSS_PATH = Path(__file__).with_name("browser.tcss")
    TITLE = "paper-browser"
    # Unannotated: App types it as an instance attribute, so a ClassVar would not type-check.
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (120, "-wide")]  # noqa: RUF012
    VERTICAL_BREAKPOINTS = [(0, "-short"), (30, "-tall")]  # noqa: RUF012
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f1", "help", "Keys", show=False, tooltip="Show every key"),
        Binding("ctrl+q", "quit", "Quit", show=False, priority=True, tooltip="Quit from anywhere"),
    ]

    def __init__(
        self,
        services: Services,
        *,
        dumps: Sequence[Path] = (),
        year: int | None = None,
        config: AppConfig | LoadedConfig | None = None,
        sample_dumps: Path = BUNDLED_SAMPLE_DUMPS,
        today: Callable[[], dt.date] = dt.date.today,
    ) -> None:
        super().__init__()
        loaded = load_config() if config is None else config
        if isinstance(loaded, AppConfig):
            loaded = LoadedConfig(loaded)
        self.services = services
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
        # The debounce, settle, stale-answer and paging rules (no Textual in there).
        self.session = SearchSession()
        self.syncing = False
        self._debounce: Timer | None = None
        self._settle: Timer | None = None
        self._main_screen: MainScreen | None = None
        self._ui_state = UiStateSaver(ui_state_path(services.paths.root))
        self._ui_state_timer: Timer | None = None
        self._split_limit_said_at = -SPLIT_LIMIT_NOTICE_SECONDS
        ui_state = load_ui_state(self._ui_state.path)
        self._ui_state_problem = ui_state.problem
        self.abstract_percent = ui_state.state.abstract_percent
        self._binding_state: tuple[bool | None, ...] = ()
        self.reading_flow = ReadingFlow(self, self.config.read_after_seconds)
        # The new papers, one listing day or a saved search's filters, over the query.
        self.view: View | None = None
        self.session_flow = SessionFlow(self)
        # Which store each undoable change went to, newest last ("tags" or "read").
        self._undo_order: list[str] = []
        # Reader moves past the loaded rows, made once the next page arrives.
        self._reader_queued = 0

    # ------------------------------------------------------------------ layout

    def get_default_screen(self) -> MainScreen:
        self._main_screen = MainScreen(self.config.quick_tags)
        return self._main_screen

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
        """The answer the list shows."""
        return self.session.result

    def on_mount(self) -> None:
        if self.config.theme:
            if self.config.theme in self.available_themes:
                self.theme = self.config.theme
            else:
                self._say(f"Unknown theme {self.config.theme!r} in the config", "warning")
        if self._config_problem:
            self._say(self._config_problem, "warning", timeout=8)
        if self._ui_state_problem:
            self._say(self._ui_state_problem, "warning", timeout=8)
        self._apply_split()
        if self.services.tags.read_only:
            self._say(self._read_only_message(), "error", timeout=10)
        for notice in self.services.notices:
            self._say(notice, "information", timeout=10)
        self.main_screen.status.hide_progress()
        self.search_bar.focus()
        self.set_interval(TAG_RELOAD_SECONDS, self._pick_up_outside_tag_changes)
        dumps = self._dumps
        if not dumps and self.services.is_empty() and self._sample_dumps.exists():
            dumps = (self._sample_dumps,)
        if not self._dumps:
            # Paths on the command line open new dumps: then no restored search.
            self.session_flow.restore()
        if dumps or self.services.index_problem:
            self._start_sync(dumps)
        else:
            if not self.session_flow.announce_new():
                self.request_search()
            self._warm_stats()

    # ------------------------------------------------------------------ sync

    def _start_sync(self, dumps: Sequence[Path]) -> None:
        self.syncing = True
        self.main_screen.abstract.show(None, [], "Reading the dumps…")
        self.main_screen.status.show_progress(0, 1, "Reading the dumps…")
        self._sync(self.services, tuple(dumps), self._year)

    @work(thread=True, exclusive=True, group="sync", exit_on_error=False)
    def _sync(self, services: Services, dumps: tuple[Path, ...], year: int | None) -> None:
        def progress(update: SyncProgress) -> None:
            self.post_message(SyncProgressed(update))

        try:
            if dumps:
                summary = services.sync(dumps, year=year, progress=progress)
            else:
                services.rebuild_index()
                summary = None
        except Exception as error:  # any failure must reach the user, not kill the app
            self.post_message(SyncFinished(None, f"Could not read the dumps: {error}"))
            return
        self.post_message(SyncFinished(summary))

    def on_sync_progressed(self, message: SyncProgressed) -> None:
        update = message.progress
        label = f"Reading {Path(update.current_file).name} ({update.done}/{update.total})"
        self.main_screen.status.show_progress(update.done, update.total, label)

    def on_sync_finished(self, message: SyncFinished) -> None:
        self.syncing = False
        self.main_screen.status.hide_progress()
        if message.error:
            self._say(message.error, "error", timeout=10)
        elif message.summary is not None:
            self._report_sync(message.summary)
        if not self.session_flow.announce_new():
            self.request_search()
        self._warm_stats()

    def _report_sync(self, summary: SyncSummary) -> None:
        changed = summary.papers_added + summary.papers_updated + summary.papers_removed
        if changed or summary.rebuilt:
            self._say(
                f"Library updated: {summary.papers_added} new, {summary.papers_updated} updated, "
                f"{summary.papers_removed} removed ({summary.seconds:.1f} s)",
                timeout=4,
            )
        if summary.skipped:
            self._say(skipped_summary(summary.skipped), "warning", timeout=8)
        if summary.problems:
            files = sorted({Path(problem.file).name for problem in summary.problems})
            shown = ", ".join(files[:5]) + (f" and {len(files) - 5} more" if len(files) > 5 else "")
            self._say(
                f"{len(summary.problems)} problem(s) while reading {shown}. "
                "Run `paper-browser parse PATH` for details.",
                "warning",
                timeout=8,
            )

    # ------------------------------------------------------------------ search

    @on(Input.Changed, "#search")
    def _query_changed(self) -> None:
        self.like = None
        self._stop_timers()
        self._debounce = self.set_timer(
            DEBOUNCE_SECONDS, lambda: self.request_search(time_budget_ms=TYPING_BUDGET_MS)
        )

    @on(Input.Submitted, "#search")
    def _query_submitted(self) -> None:
        self._stop_timers()
        self.request_search()
        self.table.focus()

    def _stop_timers(self) -> None:
        for timer in (self._debounce, self._settle):
            if timer is not None:
                timer.stop()
        self._debounce = self._settle = None

    def request_search(self, *, time_budget_ms: float | None = None) -> None:
        """Search for what the bar and the filters say now; older answers will be dropped."""
        if self.syncing:
            return  # the index is being rebuilt; the sync searches when it is done
        request = self.session.start(
            self.search_bar.value,
            sort=self.sort,
            tag_filter=self.tag_filter,
            like_paper_id=self.like.paper.id if self.like else None,
            time_budget_ms=time_budget_ms,
            view_filters=self.view.filters if self.view is not None else None,
        )
        self._search(self.services, request)

    @on(ResultsTable.NearEnd)
    def _load_more(self) -> None:
        """The reader got near the end of the list: fetch the next page of hits."""
        request = self.session.next_page()
        if request is not None:
            self._search(self.services, request)

    @work(thread=True, exclusive=True, group="search", exit_on_error=False)
    def _search(self, services: Services, request: SearchRequest) -> None:
        worker = get_current_worker()
        try:
            # A newer search cancels this worker: the index then stops this one early
            # rather than finishing work nobody will see while the new one waits.
            result = run_request(services, request, cancelled=lambda: worker.is_cancelled)
        except SearchCancelled:
            return
        except Exception as error:  # a broken index must not take the app down
            result = SearchResult(
                query=request.query, sort=request.sort, error=str(error), failed=True
            )
        if not worker.is_cancelled:
            self.post_message(SearchCompleted(request, result))

    def on_search_completed(self, message: SearchCompleted) -> None:
        # Read before the session records the answer: the list still shows the old one.
        highlighted = self.table.highlighted_hit
        outcome = self.session.answer(message.request, message.result)
        if isinstance(outcome, Ignore):
            return
        if isinstance(outcome, KeepWaiting):
            self._update_status(searching=True)
            self._settle = self.set_timer(outcome.settle_after, self.request_search)
            return
        result = outcome.result
        tags = {hit.paper.id: self.services.tags.tags_of(hit.paper.id) for hit in result.hits}
        if isinstance(outcome, AppendPage):
            new_hits = list(outcome.new_hits)
            self.table.append_hits(new_hits, tags, self.reading_flow.marks(new_hits))
            self._update_status()
            if self._reader_queued:  # the reader asked for papers of this page
                queued, self._reader_queued = self._reader_queued, 0
                self.reader_step(queued)
            return
        self._reader_queued = 0  # a new list: moves meant for the old one are void
        # A new answer on the same words, or the library changed under a page: stay
        # on the paper being read.
        keep_position = isinstance(outcome, ReplaceList) or outcome.keep_position
        keep = highlighted.paper.id if highlighted and keep_position else None
        keep = self.session_flow.paper_to_keep() or keep
        self.table.show_hits(
            result.hits,
            tags,
            result.sort,
            keep_paper_id=keep,
            marks=self.reading_flow.marks(result.hits),
        )
        if isinstance(outcome, ReplaceList):
            self._update_status()
            return
        self._show_notice(result)
        self._show_highlighted()
        self._update_status()
        self._refresh_bindings_if_changed()
        if outcome.settle_after is not None:
            self._settle = self.set_timer(outcome.settle_after, self.request_search)

    def _show_notice(self, result: SearchResult) -> None:
        notice = self.main_screen.notice
        query = safe_line(result.query)
        text: Content | None = None
        if result.corrected_query:
            text = Content.assemble(
                f"No results for “{query}”; showing results for ",
                (f"“{safe_line(result.corrected_query)}”", "bold"),
            )
        elif result.relaxed_notice:
            text = Content.assemble((safe_line(result.relaxed_notice), "bold"), ".")
        elif not result.hits and result.suggestion:
            text = Content.assemble(
                f"No papers match “{query}”. Did you mean ",
                (f"“{safe_line(result.suggestion)}”", "bold"),
                "?",
            )
        elif not result.hits:
            hint = " Try fewer words, or clear the filter (f)." if self.tag_filter else ""
            text = Content(f"No papers match “{query}”.{hint}" if query else "No papers yet.")
        if result.expansions and result.hits:
            also = Content(f"Also matching {safe_line('; '.join(result.expansions))}.")
            text = also if text is None else Content.assemble(text, " ", also)
        if result.error:
            # Half-typed or broken syntax: what was read instead, in words (syntax.repair).
            syntax = Content.assemble(("Query: ", "bold $text-warning"), safe_line(result.error))
            text = syntax if text is None else Content.assemble(syntax, " ", text)
        notice.display = text is not None
        notice.update(text or Content(""))

    def _update_status(self, *, searching: bool = False) -> None:
        result = self.result
        parts: list[str] = []
        if searching:
            parts.append("searching…")
        elif result is not None:
            shown = len(result.hits)
            count = (
                f"{result.total:,} papers"
                if result.total == shown
                else (f"{shown:,} of {result.total:,} papers")
            )
            parts.append(count)
            unread = self.table.unread_count()
            if unread:
                parts.append(f"{unread:,} unread" + ("" if result.total == shown else " so far"))
            parts.append(f"{result.elapsed_ms:.0f} ms" + (" (refining…)" if result.partial else ""))
            # The order the list is really in: no words to rank by lists newest first.
            parts.append(f"sort: {SORT_LABELS[result.sort]}")
        if self.tag_filter is not None:
            parts.append(f"filter: {self.tag_filter.describe()}")
        if self.view is not None:
            parts.append(self.view.label)
        if self.like is not None:
            parts.append(f"similar to: {self.like.paper.title}")
        if warning := self.services.search_warning:
            parts.append(warning)
        self.main_screen.status.show_status(parts, triage=self.triage)

    # ------------------------------------------------------------------ the paper

    @on(DataTable.RowHighlighted, "#results")
    def _row_highlighted(self) -> None:
        self._show_highlighted()

    def _show_highlighted(self) -> None:
        hit = self.table.highlighted_hit
        tags = self.services.tags.tags_of(hit.paper.id) if hit else []
        empty = "Reading the dumps…" if self.syncing else "Nothing to show: no paper matches."
        note, read = self.reader_note(hit.paper.id) if hit else ("", None)
        self.main_screen.abstract.show(hit, tags, empty, note=note, read=read)
        self.main_screen.quick_tag_bar.show_active(tags)
        self._update_reader()
        self.reading_flow.paper_shown(hit)
        self.session_flow.remember_soon()

    def refresh_paper_view(self) -> None:
        """Re-render the highlighted paper (its note or read mark changed), keeping the scroll."""
        hit = self.table.highlighted_hit
        if hit is not None:
            note, read = self.reader_note(hit.paper.id)
            tags = self.services.tags.tags_of(hit.paper.id)
            self.main_screen.abstract.refresh_tags(hit, tags, note=note, read=read)
        self._update_reader()
        self._update_status()

    def update_status_line(self) -> None:
        self._update_status()

    # ------------------------------------------------------------------ the split

    def _split_is_wide(self) -> bool:
        return self.main_screen.has_class("-wide")

    def _apply_split(self) -> None:
        screen = self.main_screen
        apply_split(
            screen.list_column,
            screen.paper_column,
            self.abstract_percent,
            wide=self._split_is_wide(),
        )

    def on_resize(self) -> None:
        # Crossing a breakpoint turns side by side into stacked: the share changes axis.
        self.call_after_refresh(self._apply_split)

    def action_resize_pane(self, direction: int) -> None:
        percent = stepped(self.abstract_percent, direction, wide=self._split_is_wide())
        if percent == self.abstract_percent:
            # One notice at a time: pressing on at the limit must not stack them.
            now = time.monotonic()
            if now - self._split_limit_said_at > SPLIT_LIMIT_NOTICE_SECONDS:
                self._split_limit_said_at = now
                self._say(
                    "The abstract pane is "
                    + ("as big" if direction > 0 else "as small")
                    + " as it gets.",
                    timeout=SPLIT_LIMIT_NOTICE_SECONDS,
                )
            return
        self.abstract_percent = percent
        self._apply_split()
        self._ui_state.change(abstract_percent=percent)
        # A burst of presses is one write of the last value, after the burst.
        if self._ui_state_timer is not None:
            self._ui_state_timer.stop()
        self._ui_state_timer = self.set_timer(UI_STATE_SAVE_DELAY, self._save_ui_state)

    @work(thread=True, exclusive=True, group="ui-state", exit_on_error=False)
    def _save_ui_state(self) -> None:
        try:
            self._ui_state.save()
        except (OSError, ValueError) as error:
            self.call_from_thread(
                self._say, f"Could not remember the view preferences: {error}", "warning"
            )

    def on_unmount(self) -> None:
        # Quitting within the save delay must not lose the last change; a small file,
        # written once as the app closes.
        if self._ui_state.pending:
            with contextlib.suppress(OSError, ValueError):  # nobody is left to tell
                self._ui_state.save()

    # ------------------------------------------------------------------ the reader

    def action_read(self) -> None:
        if self.table.highlighted_hit is not None and not self._reader_screens():
            self.push_screen(ReaderScreen(self, self.config.quick_tags))

    def _reader_screens(self) -> list[ReaderScreen]:
        return [screen for screen in self.screen_stack if isinstance(screen, ReaderScreen)]

    def _update_reader(self) -> None:
        for reader in self._reader_screens():
            reader.show_current()

    def reader_paper(self) -> tuple[SearchHit, list[str]] | None:
        hit = self.table.highlighted_hit
        return None if hit is None else (hit, self.services.tags.tags_of(hit.paper.id))

    def reader_note(self, paper_id: str) -> tuple[str, bool | None]:
        reading = self.services.reading
        return reading.note_of(paper_id), reading.is_read(paper_id)

    def reader_position(self) -> tuple[int, int, int]:
        loaded = len(self.table.hits)
        total = max(self.result.total if self.result else loaded, loaded)
        return self.table.cursor_row + 1, loaded, total

    def reader_step(self, delta: int) -> str | None:
        row, loaded, total = self.reader_position()
        # Moves asked for while a page is on its way count from where they will land.
        target = row - 1 + self._reader_queued + delta
        if target < 0:
            return "This is the first paper of the list."
        if target >= loaded and loaded < total:
            # Kept, not dropped: the move happens when the page arrives.
            self._reader_queued = target - (row - 1)
            self._load_more()  # the list fetches as it nears its end; make sure
            return "Fetching more papers…"
        self._reader_queued = 0
        if target >= loaded:
            if row == loaded:
                return "This is the last paper of the list."
            target = loaded - 1
        self.table.move_cursor(row=target, animate=False)
        return None

    def _pick_up_outside_tag_changes(self) -> None:
        try:
            changed = self.services.tags.reload()
        except OSError:
            return  # unreadable right now; the store reports real problems on save
        if changed:
            self._refresh_tags(hit.paper.id for hit in self.table.hits)
        self.reading_flow.pick_up_outside_changes()

    def _refresh_tags(self, paper_ids: Iterable[str]) -> None:
        for paper_id in paper_ids:
            self.table.update_tags(paper_id, self.services.tags.tags_of(paper_id))
        hit = self.table.highlighted_hit
        if hit is not None:
            tags = self.services.tags.tags_of(hit.paper.id)
            note, read = self.reader_note(hit.paper.id)
            self.main_screen.abstract.refresh_tags(hit, tags, note=note, read=read)
            self.main_screen.quick_tag_bar.show_active(tags)
        self._update_reader()
        self._refresh_bindings_if_changed()

    def _refresh_bindings_if_changed(self) -> None:
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

    # ------------------------------------------------------------------ actions

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in _TAG_ACTIONS:
            if action == "quick_tag" and parameters:
                slot = parameters[0]
                if not isinstance(slot, int) or not 1 <= slot <= len(self.config.quick_tags):
                    return None
            return self.table.highlighted_hit is not None
        if action == "undo":
            return self.services.tags.can_undo or bool(self.reading_flow.undo_steps)
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
        pane = self.main_screen.abstract
        pane.scroll_relative(y=direction * max(1, pane.size.height // 2), animate=False)

    def action_quick_tag(self, slot: int) -> None:
        hit = self.table.highlighted_hit
        if hit is None or not 1 <= slot <= len(self.config.quick_tags):
            return
        tag = self.config.quick_tags[slot - 1]
        paper = hit.paper
        added = self._change_tags(
            paper.id, lambda: self.services.tags.toggle(paper.id, tag, title=paper.title)
        )
        if added and self.triage:
            self.table.action_cursor_down()

    def action_tag_prompt(self) -> None:
        hit = self.table.highlighted_hit
        if hit is None:
            return
        paper = hit.paper
        known = list(dict.fromkeys([*self.config.quick_tags, *self.services.tags.known_tags()]))

        def apply(answer: str | None) -> None:
            if not answer:
                return
            if answer.startswith("-"):
                tag = answer[1:].strip()
                if self._change_tags(paper.id, lambda: self.services.tags.remove(paper.id, tag)):
                    self._say(f"Removed “{tag}”", timeout=2)
                else:
                    self._say(f"The paper has no tag “{tag}”", "warning")
            else:
                self._change_tags(
                    paper.id, lambda: self.services.tags.add(paper.id, answer, title=paper.title)
                )

        self.push_screen(TagPrompt(paper.title, self.services.tags.tags_of(paper.id), known), apply)

    def action_remove_tag(self) -> None:
        hit = self.table.highlighted_hit
        if hit is None:
            return
        paper = hit.paper
        tags = self.services.tags.tags_of(paper.id)
        if not tags:
            self._say("This paper has no tags to remove.", timeout=2)
            return

        def apply(tag: str | None) -> None:
            if tag is not None:
                self._change_tags(paper.id, lambda: self.services.tags.remove(paper.id, tag))

        choices = [(tag, Content(safe_line(tag))) for tag in tags]
        self.push_screen(PickerScreen("Remove which tag?", choices), apply)

    def note_undo_step(self, kind: str) -> None:
        """An undoable change went to ``kind`` ("tags" or "read"): ``u`` undoes newest first."""
        self._undo_order.append(kind)
        self._refresh_bindings_if_changed()

    def action_undo(self) -> None:
        """Undo the newest change, tags or read marks; tag undo is the default (imports)."""
        order = self._undo_order
        while order and order[-1] == "tags" and not self.services.tags.can_undo:
            order.pop()
        wants_read = bool(order and order[-1] == "read") or not self.services.tags.can_undo
        if wants_read and self.reading_flow.undo_steps:
            try:
                description = self.reading_flow.undo()
            except UserDataError as error:
                self._say(str(error), "error")
                return
            if order and order[-1] == "read":
                order.pop()
            self._say(f"Undone: {description}", timeout=3)
            self._refresh_bindings_if_changed()
            return
        if self.services.tags.read_only:
            self._say(self._read_only_message(), "error")
            return
        try:
            description = self.services.tags.undo()
        except (TagError, OSError) as error:
            self._say(str(error), "error")
            return
        if description is None:
            self._say("Nothing to undo.", timeout=2)
            return
        if order and order[-1] == "tags":
            order.pop()
        self._say(f"Undone: {description}", timeout=3)
        self._refresh_tags(hit.paper.id for hit in self.table.hits)

    def _change_tags(self, paper_id: str, change: Callable[[], bool]) -> bool:
        """Run one tag change (saved at once by the store); returns what ``change`` returned."""
        if self.services.tags.read_only:
            self._say(self._read_only_message(), "error")
            return False
        try:
            outcome = change()
        except TagError as error:
            self._say(str(error), "error")
            return False
        except OSError as error:
            self._say(f"Could not save tags: {error}", "error")
            return False
        self._undo_order.append("tags")
        self._refresh_tags([paper_id])
        return outcome

    def _read_only_message(self) -> str:
        problem = self.services.tags.problem or "the tags file cannot be written"
        return f"Tags are read-only: {problem}"

    def action_toggle_read(self) -> None:
        self.reading_flow.toggle_read()

    def action_mark_list_read(self) -> None:
        self.reading_flow.mark_list_read()

    def action_edit_note(self) -> None:
        self.reading_flow.edit_note()

    def action_toggle_triage(self) -> None:
        self.triage = not self.triage
        state = "on: a quick tag moves to the next paper" if self.triage else "off"
        self._say(f"Triage mode {state}", timeout=2)
        self._update_status()

    def action_cycle_sort(self) -> None:
        # From the order on screen: a list with no words to rank by is already newest
        # first, and a press that changed nothing would look broken.
        shown = self.result.sort if self.result is not None else self.sort
        self.sort = SORT_ORDERS[(SORT_ORDERS.index(shown) + 1) % len(SORT_ORDERS)]
        self._update_status()
        self.request_search()

    def action_filter_tags(self) -> None:
        counts = self.services.tags.counts()
        choices: list[tuple[str, Content]] = [
            ("all", Content("All papers")),
            ("tagged", Content(f"Any tag ({len(self.services.tags)})")),
            ("untagged", Content("Untagged")),
        ]
        for tag, count in sorted(counts.items(), key=lambda item: (-item[1], item[0].casefold())):
            choices.append(
                ("tag:" + tag, Content.assemble(safe_line(tag), (f"  {count}", "$text-muted")))
            )
        current = self.tag_filter
        highlighted = (
            "all"
            if current is None
            else ("tag:" + current.tag if current.kind == "tag" else current.kind)
        )

        def apply(choice: str | None) -> None:
            if choice is None:
                return
            if choice == "all":
                self.tag_filter = None
            elif choice in ("tagged", "untagged"):
                self.tag_filter = TagFilter(kind=choice)  # type: ignore[arg-type]
            else:
                self.tag_filter = TagFilter(kind="tag", tag=choice.removeprefix("tag:"))
            self._update_status()
            self.request_search()

        self.push_screen(PickerScreen("Show papers", choices, highlighted=highlighted), apply)

    def action_more_like(self) -> None:
        hit = self.table.highlighted_hit
        if hit is None:
            return
        self.like = hit
        self._stop_timers()
        self.request_search()

    def action_clear_context(self) -> None:
        if self.like is not None:
            self.like = None
            self.request_search()
        else:
            self.session_flow.leave_view()

    def action_save_search(self) -> None:
        self.session_flow.save_search()

    def action_saved_searches(self) -> None:
        self.session_flow.list_saved()

    def action_step_day(self, delta: int) -> None:
        self.session_flow.step_day(delta)

    async def action_quit(self) -> None:
        self.session_flow.remember_now()
        await super().action_quit()

    def action_open_link(self) -> None:
        hit = self.table.highlighted_hit
        if hit is None:
            return
        url = link_for(hit)
        self._say(f"Opening {url}", timeout=3)
        self._open_url(url)

    def on_link_clicked(self, message: LinkClicked) -> None:
        self._say(f"Opening {message.url}", timeout=3)
        self._open_url(message.url)

    @work(thread=True, group="browser", exit_on_error=False)
    def _open_url(self, url: str) -> None:
        # webbrowser.open can block for seconds (it may start a browser).
        if not webbrowser.open(url):
            self.call_from_thread(self._say, f"No web browser found to open {url}", "warning")

    def action_copy(self) -> None:
        hit = self.table.highlighted_hit
        if hit is None:
            return
        self.copy_to_clipboard(f"{hit.paper.title}\n{link_for(hit)}")
        self._say("Copied title and link", timeout=2)

    def action_import_tags(self) -> None:
        self.push_screen(ImportPrompt(Path.home()), self._import_chosen)

    def _import_chosen(self, choice: ImportChoice | None) -> None:
        if choice is not None:
            self._say(f"Importing tags from {choice.path}…", timeout=2)
            self._import(self.services, choice)

    @work(thread=True, group="import", exit_on_error=False)
    def _import(self, services: Services, choice: ImportChoice) -> None:
        try:
            report = services.import_tags(choice.path, replace=choice.replace)
        except (OSError, ValueError) as error:  # unreadable, not a tag export, bad tags
            reason = error.strerror if isinstance(error, OSError) and error.strerror else error
            self.call_from_thread(self._say, f"Import failed: {reason}", "error", timeout=8)
            return
        self.call_from_thread(self._import_finished, report)

    def _import_finished(self, report: ImportReport) -> None:
        if report.papers_changed:
            self._undo_order.append("tags")  # one import, one undo step
        self._refresh_tags(hit.paper.id for hit in self.table.hits)
        undo = "; u undoes it" if report.papers_changed else ""
        self._say(report.summary().capitalize() + undo, timeout=10)
        skipped = [*report.problems, *(f"{line}: matched no paper" for line in report.unmatched)]
        if skipped:
            more = f" (and {len(skipped) - 5} more)" if len(skipped) > 5 else ""
            self._say("\n".join(skipped[:5]) + more, "warning", timeout=12)

    def action_export(self) -> None:
        result_count = self.result.total if self.result else 0
        tagged_count = len(self.services.tags)
        default = Path.home() / f"paper-browser-export-{self._today():%Y%m%d}.csv"
        scope: ExportScope = "results" if result_count else "tagged"
        prompt = ExportPrompt(
            default, result_count=result_count, tagged_count=tagged_count, scope=scope
        )
        self.push_screen(prompt, self._export_chosen)

    def _export_chosen(self, choice: ExportChoice | None) -> None:
        if choice is None:
            return
        request: SearchRequest | None = None
        if choice.scope == "results":
            request = SearchRequest(
                generation=self.session.generation,
                query=self.result.query if self.result else "",
                sort=self.sort,
                tag_filter=self.tag_filter,
                like_paper_id=self.like.paper.id if self.like else None,
            )
        self._export(self.services, choice, request, self.result)

    @work(thread=True, group="export", exit_on_error=False)
    def _export(
        self,
        services: Services,
        choice: ExportChoice,
        request: SearchRequest | None,
        shown: SearchResult | None,
    ) -> None:
        selection = ExportSelection()  # every tagged paper
        if request is not None:
            if shown is not None and shown.total <= len(shown.hits):
                # Everything matching is on screen already: export exactly that list.
                selection = ExportSelection(paper_ids=tuple(hit.paper.id for hit in shown.hits))
            else:
                selection = ExportSelection(
                    query=request.query,
                    sort=request.sort,
                    like=request.like_paper_id,
                    filters=request.filters,
                )
        options = ExportOptions(format=choice.format, long=choice.long, excel=choice.excel)
        try:
            written = services.export(selection, options, path=choice.path)
        except (OSError, ValueError) as error:
            self.post_message(ExportFinished(str(choice.path), 0, str(error)))
            return
        self.post_message(ExportFinished(str(choice.path), written, unit=options.unit(written)))

    def on_export_finished(self, message: ExportFinished) -> None:
        if message.error:
            self._say(f"Export failed: {message.error}", "error", timeout=8)
        else:
            self._say(f"Wrote {message.unit or message.rows} to {message.path}", timeout=6)

    @work(thread=True, exclusive=True, group="stats-warm", exit_on_error=False)
    def _warm_stats(self) -> None:
        # Reading every paper's facts takes a second or two at 100k papers: done once in
        # the background, the stats screen then shows within a few hundred ms.
        self.services.warm_stats()

    def action_stats(self) -> None:
        query = self.search_bar.value.strip()
        counted = f"{query} {self.tag_filter.clause()}".strip() if self.tag_filter else query
        screen = StatsScreen(lambda by: self.services.stats(counted, by=by), query=counted)
        self.push_screen(screen, self._stats_chosen)

    def _stats_chosen(self, choice: StatsChoice | None) -> None:
        """Run the search a stats row stands for, within the current one, and show the list."""
        if choice is None:
            return
        if choice.tag is not None:
            self.tag_filter = TagFilter(kind="tag", tag=choice.tag)
        elif choice.untagged:
            self.tag_filter = TagFilter(kind="untagged")
        else:
            query = self.search_bar.value.strip()
            if " OR " in f" {query} ":
                query = f"({query})"
            self.search_bar.value = f"{query} {choice.clause}".strip()
        self.like = None
        self._stop_timers()
        self._update_status()
        self.request_search()
        self.table.focus()

    def action_help(self) -> None:
        self.push_screen(
            HelpScreen(
                self.binding_rows(),
                footnote="ctrl+p opens the command palette: every action is also a command.",
            )
        )

    # ------------------------------------------------------------------ keys & commands

    def binding_rows(self) -> list[tuple[str, str, str]]:
        """(area, key, description) for every binding, quick tags spelled out."""
        rows: list[tuple[str, str, str]] = []
        areas: list[tuple[str, list[BindingType]]] = [
            ("List", ResultsTable.BINDINGS),
            ("Reader", READER_BINDINGS),
            ("Search bar", SearchBar.BINDINGS),
            (
                "Anywhere",
                [
                    *PaperBrowserApp.BINDINGS,
                    Binding("ctrl+p", "command_palette", "Command palette"),
                ],
            ),
        ]
        for area, bindings in areas:
            for binding in bindings:
                if not isinstance(binding, Binding):
                    continue
                action, _, _ = binding.action.removeprefix("app.").partition("(")
                description = binding.tooltip or binding.description
                if action == "quick_tag":
                    slot = int(binding.key)
                    if slot > len(self.config.quick_tags):
                        continue
                    description = f"Toggle tag “{self.config.quick_tags[slot - 1]}”"
                for key in binding.key.split(","):
                    display = binding.key_display or self.get_key_display(
                        Binding(key.strip(), binding.action)
                    )
                    rows.append((area, display, description))
        return rows

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        in_reader = isinstance(screen, ReaderScreen)
        if isinstance(screen, ReaderScreen):
            yield from screen.system_commands()
        for command in PALETTE_COMMANDS:
            if in_reader and command.action not in READER_APP_ACTIONS:
                continue  # a list-only command (search, sort, filter, the split)
            if self.check_action(command.action, ()):
                yield SystemCommand(command.title, command.help, self._runner(command.action))
        if self.table.highlighted_hit is not None:
            for slot, tag in enumerate(self.config.quick_tags, start=1):
                yield SystemCommand(
                    f"Toggle tag “{tag}”",
                    f"Quick tag, key {slot}",
                    self._runner(f"quick_tag({slot})"),
                )

    def _runner(self, action: str) -> Callable[[], Any]:
        return lambda: self.run_action(action)

    # ------------------------------------------------------------------ helpers

    def _say(
        self, message: str, severity: SeverityLevel = "information", *, timeout: float = 5
    ) -> None:
        # markup=False: messages quote titles, tags and paths, which are not markup.
        self.notify(safe_line(message), severity=severity, timeout=timeout, markup=False)


def run_app(
    services: Services,
    *,
    dumps: Sequence[Path] = (),
    year: int | None = None,
    config: AppConfig | LoadedConfig | None = None,
) -> int:
    """Open the app over ready services (the CLI's entry point); returns the app's exit
    status (Textual's ``return_code``: 0 after a normal quit, non-zero after a crash)."""
    app = PaperBrowserApp(services, dumps=dumps, year=year, config=config)
    app.run()
    return app.return_code or 0
