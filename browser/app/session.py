"""The app's side of sessions: where you left off, saved searches, the new papers, and
stepping through the library one Daily Papers day at a time (``[``/``]``).

A *view* is a structured filter on top of the query and the tag filter (the new
papers, one listing day, a saved search's user-state filters); ``escape`` leaves it.
A saved search keeps the view it was saved from and opens in it again.
Everything goes through ``Services``; nothing here writes files itself.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING

from textual.content import Content
from textual.notifications import SeverityLevel
from textual.timer import Timer
from textual.worker import get_current_worker

from browser.models import SearchFilters, SortOrder
from browser.reading import (
    NEW_PAPERS,
    Reading,
    SavedQuery,
    SavedView,
    describe_query,
    query_of,
)
from browser.safe_text import safe_line
from browser.search_session import TagFilter
from browser.services import OpenedSearch, UnknownSavedSearch
from browser.userdata import UserDataError
from browser.widgets.name_prompt import NamePrompt
from browser.widgets.picker import PickerScreen
from browser.wording import counted

if TYPE_CHECKING:
    from browser.app.main import PaperBrowserApp

__all__ = ["REMEMBER_AFTER_SECONDS", "SessionFlow", "View", "day_view", "split_filters"]

# The session is saved this long after the list or the cursor last moved (and on quit).
REMEMBER_AFTER_SECONDS = 1.0


@dataclass(frozen=True)
class View:
    """Filters on top of the query: ``label`` is for the status line; ``day`` is set
    when the view is one listing day (what ``[``/``]`` step from), ``new`` when it is
    the papers the last sync added."""

    label: str
    filters: SearchFilters
    day: dt.date | None = None
    new: bool = False
    # A saved search's own filters (user state, several tags) under a day or the new
    # papers: part of ``filters``, kept when stepping day by day and when saved again.
    base: SearchFilters | None = None

    @property
    def saved(self) -> SavedView | None:
        """What a saved search keeps of this view (None: only its filters)."""
        if self.day is not None:
            return SavedView("day", self.day)
        return SavedView("new") if self.new else None


def day_view(day: dt.date, paper_ids: frozenset[str], base: SearchFilters | None = None) -> View:
    label = f"day {day:%a} {day.isoformat()} ({counted(len(paper_ids), 'paper')})"
    filters = SearchFilters(allowed_ids=paper_ids)
    return View(label, filters if base is None else filters & base, day=day, base=base)


def split_filters(filters: SearchFilters) -> tuple[TagFilter | None, SearchFilters | None]:
    """Saved filters as the app holds them: the tag filter it can show in its picker, and
    the rest (several tags, user-state terms) as a view's filters."""
    simple_tag = len(filters.required_tags) == 1 and not filters.excluded_tags
    rest = SearchFilters(
        required_tags=() if simple_tag else filters.required_tags,
        excluded_tags=filters.excluded_tags,
        tagged=None,
        states=filters.states,
    )
    if filters.tagged is not None:
        tag_filter: TagFilter | None = TagFilter("tagged" if filters.tagged else "untagged")
        rest = SearchFilters(
            required_tags=filters.required_tags,
            excluded_tags=filters.excluded_tags,
            states=filters.states,
        )
    elif simple_tag:
        tag_filter = TagFilter("tag", filters.required_tags[0])
    else:
        tag_filter = None
    return tag_filter, (rest if rest else None)


def _short_day(stamp: str) -> str:
    try:
        moment = dt.datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except ValueError:
        return stamp
    return f"{moment:%b} {moment.day}"


class SessionFlow:
    """Restore and remember the session, saved searches (b, B), new papers, days ([, ])."""

    def __init__(self, app: PaperBrowserApp) -> None:
        self.app = app
        self._timer: Timer | None = None
        self._restore_paper: str | None = None
        self._sort_before_view: SortOrder | None = None
        self.new_seen = ""
        # Bumped by every day step, saved search opened and view left: a worker's answer
        # for an older one is dropped (the exclusive worker group only flags it cancelled).
        self._view_asks = 0

    @property
    def _reading(self) -> Reading:
        return self.app.services.reading

    def current_query(self, *, with_view: bool = False) -> SavedQuery:
        """What the list shows as a query to run again. A day or the new papers are a
        moment's view: the session keeps the order under it; a saved search
        (``with_view``) keeps the view itself and its order."""
        app = self.app
        view = app.view
        filters = app.tag_filter.filters() if app.tag_filter is not None else SearchFilters()
        if view is not None and view.saved is None:
            filters = filters & view.filters  # a saved search's user-state filters
        elif view is not None and view.base is not None:
            filters = filters & view.base  # the same, under a day or the new papers
        query = app.search_bar.value.strip()
        if with_view and view is not None and view.saved is not None:
            return SavedQuery(query, app.sort, filters, view.saved)
        sort = app.sort
        if view is not None and self._sort_before_view is not None:
            sort = self._sort_before_view
        return SavedQuery(query, sort, filters)

    # ------------------------------------------------------------------ where you left off

    def restore(self) -> None:
        """Put back the last query, sort, filters; the highlighted paper follows the answer."""
        self.new_seen = self._reading.state.session().get("new_seen", "")
        last = self._reading.last_session()
        if last is None:
            return
        query, paper_id = last
        self._apply(query)
        self._restore_paper = paper_id

    def keep_paper(self, paper_id: str) -> None:
        """Highlight ``paper_id`` in the first answer (the cursor moved on a kept first
        screen before the library was open)."""
        self._restore_paper = paper_id

    def paper_to_keep(self) -> str | None:
        """The paper to highlight in the first answer after a restore (once)."""
        paper_id, self._restore_paper = self._restore_paper, None
        return paper_id

    def remember_soon(self) -> None:
        if self._timer is not None:
            self._timer.stop()
        self._timer = self.app.set_timer(REMEMBER_AFTER_SECONDS, self.remember_now)

    def remember_now(self) -> None:
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        if self.app.services.userdata.read_only:
            return
        hit = self.app.table.highlighted_hit
        # Before the first answer nothing is highlighted: keep the paper still to restore
        # (quitting during launch used to forget the place in the list).
        paper_id = hit.paper.id if hit else self._restore_paper
        try:
            self._reading.remember_session(self.current_query(), paper_id, new_seen=self.new_seen)
        except UserDataError:
            return  # losing a cursor position is not worth interrupting the user

    # ------------------------------------------------------------------ views

    def show_view(self, view: View, sort: SortOrder | None = None) -> None:
        app = self.app
        if app.view is None:
            self._sort_before_view = app.sort
        app.view = view
        app.like = None
        if sort is not None:
            app.sort = sort
        app.request_search()

    def leave_view(self) -> bool:
        """Back to the whole library (the query and tag filter stay); False if no view."""
        app = self.app
        if app.view is None:
            return False
        self._view_asks += 1
        app.view = None
        if self._sort_before_view is not None:
            app.sort = self._sort_before_view
            self._sort_before_view = None
        app.request_search()
        return True

    def announce_new(self) -> bool:
        """Open on the papers the last sync added, once per batch; True if it did."""
        unseen = self._reading.unseen_new()
        if unseen is None:
            return False
        stamp, count, previous = unseen
        self.new_seen = stamp
        since = f" since {_short_day(previous)}" if previous else " from the last sync"
        said = f"{counted(count, 'new paper')}{since}"
        # Newest listing day first, each day in its page's order (most upvoted first).
        self.show_view(View(said, NEW_PAPERS, new=True), sort="listed")
        self.app.say(f"{said} · Esc shows the whole library", timeout=8)
        self.remember_now()
        return True

    # ------------------------------------------------------------------ day by day

    def step_day(self, delta: int) -> None:
        app = self.app
        current = app.view.day if app.view is not None else None
        tag_filters = app.tag_filter.filters() if app.tag_filter is not None else None
        base = self._base_filters()
        if base is not None:
            tag_filters = base if tag_filters is None else tag_filters & base
        ask = self._ask()
        # The words as the list on screen matched them: a prefix while being typed.
        prefix = app.session.prefix_last_word
        query = app.search_bar.value
        app.run_worker(
            partial(self._find_day, current, delta, query, tag_filters, prefix, ask),
            thread=True,
            group="day-step",
            exclusive=True,
            exit_on_error=False,
        )

    def _ask(self) -> tuple[int, str]:
        """A token for a view being worked out in a worker: see :meth:`_still_wanted`."""
        self._view_asks += 1
        return self._view_asks, self.app.search_bar.value

    def _still_wanted(self, ask: tuple[int, str]) -> bool:
        """No other day, saved search or leaving came since, and the bar still says what
        it said: otherwise the answer belongs to a search the user has left."""
        return ask == (self._view_asks, self.app.search_bar.value)

    def _answer(self, ask: tuple[int, str], show: Callable[[], None]) -> None:
        """From a worker: ``show`` on the UI thread, if the answer is still wanted."""
        if get_current_worker().is_cancelled:
            return

        def show_if_wanted() -> None:
            if self._still_wanted(ask):
                show()

        self.app.call_from_thread(show_if_wanted)

    def _fail(self, ask: tuple[int, str], message: str, severity: SeverityLevel = "error") -> None:
        self._answer(ask, partial(self.app.say, message, severity))

    def _find_day(
        self,
        current: dt.date | None,
        delta: int,
        query: str,
        filters: SearchFilters | None,
        prefix_last_word: bool,
        ask: tuple[int, str],
    ) -> None:
        try:
            step = self.app.services.listing_day_step(
                current, delta, query=query, filters=filters, prefix_last_word=prefix_last_word
            )
        except Exception as error:  # any failure must reach the user, not end silently
            self._fail(ask, f"Could not find the next day: {error}")
            return
        self._answer(ask, partial(self._show_day, step, delta))

    def _show_day(self, step: tuple[dt.date, frozenset[str]] | None, delta: int) -> None:
        if step is None:
            where = "later" if delta > 0 else "earlier"
            self.app.say(f"No {where} Daily Papers day for this search.", timeout=3)
            return
        day, paper_ids = step
        # The day's page order: most upvoted first, then as the page showed them.
        self.show_view(day_view(day, paper_ids, self._base_filters()), "listed")

    def _base_filters(self) -> SearchFilters | None:
        """The filters a saved search put under the current view (None: none)."""
        view = self.app.view
        if view is None:
            return None
        return view.filters if view.saved is None else view.base

    # ------------------------------------------------------------------ saved searches

    def save_search(self) -> None:
        current = self.current_query(with_view=True)
        names = [saved.name for saved in self._reading.saved_searches()]
        describe = describe_query(current)

        def save(name: str | None) -> None:
            if not name:
                return
            try:
                replaced = self._reading.save_query(name, current)
            except (UserDataError, ValueError) as error:
                self.app.say(str(error), "error")
                return
            verb = "Replaced" if replaced else "Saved"
            self.app.say(f"{verb} the search “{name}” (B lists them)", timeout=3)

        self.app.push_screen(NamePrompt("Save search", describe, names), save)

    def list_saved(self) -> None:
        searches = self._reading.saved_searches()
        if not searches:
            self.app.say("No saved searches yet: b saves the current one.", timeout=3)
            return
        choices = [
            (
                saved.name,
                Content.assemble(
                    safe_line(saved.name),
                    (f"  {safe_line(describe_query(query_of(saved)))}", "$text-muted"),
                ),
            )
            for saved in searches
        ]

        def jump(name: str | None) -> None:
            if name:
                self.run_saved(name)

        self.app.push_screen(PickerScreen("Saved searches", choices), jump)

    def run_saved(self, name: str) -> None:
        """Open the saved search ``name`` in the view it was saved from
        (``Services.open_saved``, in a worker: a day's papers are answered again)."""
        self.app.run_worker(
            partial(self._open_saved, name, self._ask()),
            thread=True,
            group="day-step",
            exclusive=True,
            exit_on_error=False,
        )

    def _open_saved(self, name: str, ask: tuple[int, str]) -> None:
        try:
            opened = self.app.services.open_saved(name)
        except UnknownSavedSearch:
            self._fail(ask, f"No saved search named “{name}” any more.", "warning")
            return
        except UserDataError as error:
            self._fail(ask, str(error))
            return
        except Exception as error:  # any failure must reach the user, not end silently
            self._fail(ask, f"Could not open the saved search “{name}”: {error}")
            return
        self._answer(ask, partial(self._show_saved, opened))

    def _show_saved(self, opened: OpenedSearch) -> None:
        app = self.app
        self._apply(opened.saved)
        view, rest = opened.saved.view, self._base_filters()
        if view is not None and opened.view_filters is not None:
            if view.day is not None:
                app.view = day_view(view.day, opened.day_ids or frozenset(), rest)
            else:
                filters = opened.view_filters if rest is None else opened.view_filters & rest
                app.view = View("the new papers of the last sync", filters, new=True, base=rest)
        app.request_search()

    def _apply(self, query: SavedQuery) -> None:
        app = self.app
        # A key typed just before must not run its own typing pass after this search.
        app.search_flow.stop_timers()
        tag_filter, rest = split_filters(query.filters)
        app.search_bar.value = query.query
        app.search_bar.cursor_position = len(query.query)  # typing goes on after it
        app.sort = query.sort
        app.tag_filter = tag_filter
        app.like = None
        app.view = View("saved filters", rest, base=rest) if rest is not None else None
        self._sort_before_view = None
