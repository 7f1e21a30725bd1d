"""The app's search loop: the bar and the filters to a request, a thread worker to
``Services.search``, the answer to rows, the notice above them and the status line.

The rules (debounce, settle, stale answers, paging) are ``SearchSession``'s, without
Textual; this module only wires them to timers, workers and widgets.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING

from textual.content import Content
from textual.timer import Timer
from textual.worker import get_current_worker

from browser.app.messages import SearchCompleted, SearchRequest
from browser.models import SearchCancelled, SearchResult, SortOrder
from browser.safe_text import safe_line
from browser.search_notices import (
    ALSO_MATCHING,
    NOTICE_PAUSE_SECONDS,
    NoteKind,
    ShownList,
    search_notices,
    whole_word_notice,
)
from browser.search_session import (
    TYPING_BUDGET_MS,
    AppendPage,
    Ignore,
    KeepWaiting,
    ReplaceList,
    debounce_delay,
)
from browser.services import Services
from browser.widgets.status_line import StatusPart
from browser.wording import counted

if TYPE_CHECKING:
    from browser.app.main import PaperBrowserApp
    from browser.app.session import View

__all__ = ["SORT_LABELS", "SearchFlow", "run_request"]

# What a narrow status line gives up, first to last (StatusPart ranks: highest first):
# the search time, what the count already says, the wording around values, the
# loaded-rows count, then the sort. The count, the day or view and the unread count
# shorten but never drop.
_DROP_TIMING = 10
_SHORT_DAY = 9  # "day Thu 2025-12-25 (39 that day)" -> "day Thu 2025-12-25"
_SHORT_SORT = 8  # "sort: Daily Papers order" -> "Daily Papers order"
_SHORT_UNREAD = 7  # "12 unread so far" -> "12 unread"
_SHORT_FILTER = 6  # "filter: tag x" -> "tag x"
_SHORT_SIMILAR = 5  # "similar to: TITLE" -> "similar papers"
_SHORT_COUNT = 4  # "200 of 516 papers" -> "516 papers"
_DROP_SORT = 3
_SHORTEST_VIEW = 2  # "day Thu 2025-12-25" -> "Thu 2025-12-25"; "37 new papers …" -> "new papers"

_COUNTED_NEW = re.compile(r"(\d[\d,]*) (new papers? .*)")

SORT_LABELS: dict[SortOrder, str] = {
    "relevance": "relevance",
    "newest": "newest first",
    "listed": "Daily Papers order",
    "upvotes": "most upvoted",
    "comments": "most comments",
    "title": "title A-Z",
}


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
        prefix_last_word=request.prefix_last_word,
    )


class SearchFlow:
    """Typing, submitting and paging through results; what the list, notice and status say."""

    def __init__(self, app: PaperBrowserApp) -> None:
        self.app = app
        self._debounce: Timer | None = None
        self._last_key: float | None = None  # time.monotonic() of the last key in the bar
        self._settle: Timer | None = None
        # (generation, unread papers among all its matches) once counted.
        self._unread: tuple[int, int] | None = None
        # What the list on screen answers, for the notice when Enter changes its meaning.
        self._shown: ShownList | None = None
        # Notes about the word being typed wait for a pause (``search_notices``).
        self._notice_pause: Timer | None = None
        self._typed_kinds_shown: frozenset[NoteKind] = frozenset()

    # ------------------------------------------------------------------ requests

    def query_changed(self) -> None:
        """A key in the search bar: search within the typing budget, at once after a pause,
        else once typing pauses (``debounce_delay``)."""
        if self._already_asked():
            return
        self.app.like = None
        now = time.monotonic()
        since = None if self._last_key is None else now - self._last_key
        delay = debounce_delay(since, waiting=self._debounce is not None)
        self._last_key = now
        self.stop_timers()
        if delay:
            self._debounce = self.app.set_timer(delay, self._typing_paused)
        else:
            self._typing_paused()

    def _typing_paused(self) -> None:
        self._debounce = None
        self.request(time_budget_ms=TYPING_BUDGET_MS, prefix_last_word=True)

    def _already_asked(self) -> bool:
        """The bar says what the newest search asked, and no typing is pending: the bar was
        set by the app (a restored session, a saved search) right after it searched."""
        request = self.app.session.request
        value = self.app.search_bar.value
        return (
            request is not None
            and self._debounce is None
            and request.like_paper_id is None
            and self.app.like is None
            and request.query == value.strip()
            # A space typed after a word being typed finishes it: a new search.
            and not (request.prefix_last_word and value[-1:].isspace())
        )

    def query_submitted(self) -> None:
        self.stop_timers()
        # Submitted: the last word is a whole word now (``foo`` no longer finds "food").
        self.request(prefix_last_word=False)
        self.app.table.focus()

    def stop_timers(self) -> None:
        for timer in (self._debounce, self._settle, self._notice_pause):
            if timer is not None:
                timer.stop()
        self._debounce = self._settle = self._notice_pause = None

    def request(
        self, *, time_budget_ms: float | None = None, prefix_last_word: bool | None = None
    ) -> None:
        """Search for what the bar and the filters say now; older answers will be dropped.
        ``prefix_last_word`` as for ``SearchSession.start`` (None: as the last search)."""
        app = self.app
        if app.syncing:
            return  # the index is being rebuilt; the sync searches when it is done
        request = app.session.start(
            app.search_bar.value,
            sort=app.sort,
            tag_filter=app.tag_filter,
            like_paper_id=app.like.paper.id if app.like else None,
            time_budget_ms=time_budget_ms,
            view_filters=app.view.filters if app.view is not None else None,
            prefix_last_word=prefix_last_word,
        )
        # The unread count of the list being replaced would search on beside this one
        # (a typing pass's first page has 50 rows, so most lists are counted by a search).
        app.workers.cancel_group(app, "unread-count")
        self._run(request)

    def load_more(self) -> None:
        """The reader got near the end of the list: fetch the next page of hits."""
        request = self.app.session.next_page()
        if request is not None:
            self._run(request)

    def _run(self, request: SearchRequest) -> None:
        # Exclusive in its group: a newer search cancels the one still running.
        self.app.run_worker(
            partial(self._search, self.app.services, request),
            thread=True,
            exclusive=True,
            group="search",
            exit_on_error=False,
        )

    def _search(self, services: Services, request: SearchRequest) -> None:
        """In a worker thread: the answer, posted back unless a newer search cancelled it."""
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
            self.app.post_message(SearchCompleted(request, result))

    # ------------------------------------------------------------------ answers

    def completed(self, message: SearchCompleted) -> None:
        app = self.app
        # Read before the session records the answer: the list still shows the old one.
        highlighted = app.table.highlighted_hit
        outcome = app.session.answer(message.request, message.result)
        if isinstance(outcome, Ignore):
            return
        if isinstance(outcome, KeepWaiting):
            self.update_status(searching=True)
            self._settle = app.set_timer(outcome.settle_after, self.request)
            return
        result = outcome.result
        tags = {hit.paper.id: app.services.tags.tags_of(hit.paper.id) for hit in result.hits}
        if isinstance(outcome, AppendPage):
            new_hits = list(outcome.new_hits)
            app.table.append_hits(new_hits, tags, app.reading_flow.marks(new_hits))
            self.update_status()
            app.paper_flow.page_arrived()
            return
        app.paper_flow.list_replaced()
        # A new answer on the same words, or the library changed under a page: stay
        # on the paper being read.
        keep_position = isinstance(outcome, ReplaceList) or outcome.keep_position
        keep = highlighted.paper.id if highlighted and keep_position else None
        keep = app.session_flow.paper_to_keep() or keep
        app.table.show_hits(
            result.hits,
            tags,
            result.sort,
            keep_paper_id=keep,
            marks=app.reading_flow.marks(result.hits),
        )
        if isinstance(outcome, ReplaceList):
            self.count_unread()
            self.update_status()
            return
        self._show_notice(message.request, result)
        # The list is painted first, the highlighted paper's pane just after it.
        app.call_after_refresh(self._show_paper, message.request.generation)
        if not result.partial:
            self.count_unread()
        self.update_status()
        app.refresh_bindings_if_changed()
        if outcome.settle_after is not None:
            self._settle = app.set_timer(outcome.settle_after, self.request)

    def _show_paper(self, generation: int) -> None:
        if generation == self.app.session.generation:  # else a newer list shows its own
            self.app.paper_flow.show_highlighted()

    # ------------------------------------------------------------------ unread count

    def count_unread(self) -> None:
        """Count the unread papers of the whole result, not only the rows loaded: at once
        when every match is loaded, else one more search in a worker (``Services``)."""
        app = self.app
        request, result = app.session.request, app.result
        if request is None or result is None or result.error:
            return
        if result.total <= len(result.hits):
            self._unread = (request.generation, app.table.unread_count())
            return
        # The words the list shows: a correction or a relaxation already applied.
        query = result.relaxed_query or result.corrected_query or request.query
        app.run_worker(
            partial(self._count_unread, app.services, request, query),
            thread=True,
            exclusive=True,
            group="unread-count",
            exit_on_error=False,
        )

    def _count_unread(self, services: Services, request: SearchRequest, query: str) -> None:
        worker = get_current_worker()
        try:
            count = services.unread_count(
                query,
                filters=request.filters,
                like=request.like_paper_id,
                cancelled=lambda: worker.is_cancelled,
                prefix_last_word=request.prefix_last_word,
            )
        except Exception:  # the status keeps counting the loaded rows
            return
        if not worker.is_cancelled:
            self.app.call_from_thread(self._unread_counted, request.generation, count)

    def _unread_counted(self, generation: int, count: int) -> None:
        self._unread = (generation, count)
        self.update_status()

    def _unread_text(self, result: SearchResult) -> tuple[str, ...]:
        """ "N unread" for the whole result; the loaded rows' count "so far" until known
        (then "N unread" as the short form). Empty when nothing is unread."""
        known = self._unread
        if known is not None and known[0] == self.app.session.generation:
            return (f"{known[1]:,} unread",) if known[1] else ()
        unread = self.app.table.unread_count()
        if not unread:
            return ()
        if result.total == len(result.hits):
            return (f"{unread:,} unread",)
        return (f"{unread:,} unread so far", f"{unread:,} unread")

    # ------------------------------------------------------------------ what it says

    def _show_notice(self, request: SearchRequest, result: SearchResult) -> None:
        """The notice for a new list: its notes about the word being typed wait for a
        pause in typing (``search_notices``); the rest come with the list."""
        shown = ShownList(
            request.query,
            request.prefix_last_word,
            result.total,
            result.partial,
            as_typed=not (result.corrected_query or result.relaxed_query),
        )
        whole = None if request.typing else whole_word_notice(self._shown, shown)
        self._shown = shown
        parts = self._notice_parts(result, request.query if request.prefix_last_word else None)
        if whole is not None:
            parts.insert(
                1 if result.error else 0,
                _NoticePart(
                    Content.assemble(
                        safe_line(whole.lead), (safe_line(whole.keep_query), "bold"), whole.tail
                    )
                ),
            )
        if self._notice_pause is not None:
            self._notice_pause.stop()
            self._notice_pause = None
        if self._paint_notice(parts, show_all=False):
            generation = self.app.session.generation
            self._notice_pause = self.app.set_timer(
                NOTICE_PAUSE_SECONDS, partial(self._typing_paused_notice, generation, parts)
            )

    def _typing_paused_notice(self, generation: int, parts: list[_NoticePart]) -> None:
        self._notice_pause = None
        if generation == self.app.session.generation:  # else a newer list has its own
            self._paint_notice(parts, show_all=True)

    def _paint_notice(self, parts: Sequence[_NoticePart], *, show_all: bool) -> bool:
        """Show ``parts``; unless ``show_all``, those about the word being typed only
        where one of their kind is already on screen (updated, not taken away). True
        when some were held back."""
        shown = [
            part
            for part in parts
            if show_all or part.typed_kind is None or part.typed_kind in self._typed_kinds_shown
        ]
        self._typed_kinds_shown = frozenset(
            part.typed_kind for part in shown if part.typed_kind is not None
        )
        pieces = [part.text for part in shown if not part.expansion]
        if also := [part.text for part in shown if part.expansion]:
            pieces.append(Content.assemble(ALSO_MATCHING, Content("; ").join(also), "."))
        notice = self.app.main_screen.notice
        notice.display = bool(pieces)
        notice.update(Content(" ").join(pieces))
        return len(shown) < len(parts)

    def _notice_parts(self, result: SearchResult, typing: str | None) -> list[_NoticePart]:
        """What to say about ``result`` (``search_notices``, as the CLI says it), each
        note with its kind when it is about the word being typed (``typing``: the query
        while its last word is a prefix)."""
        parts: list[_NoticePart] = []
        for notice in search_notices(result, typing=typing, empty_hint=self._empty_hint()):
            text = _content(notice.pieces)
            if notice.kind == "syntax":
                # Half-typed or broken syntax: what was read instead (search/repair.py).
                text = Content.assemble(("Query: ", "bold $text-warning"), text)
            parts.append(_NoticePart(text, notice.typed_kind, notice.kind == "expansion"))
        return parts

    def _empty_hint(self) -> str:
        """The way out of an empty list, with the keys that take it."""
        hint = " Try fewer words, or clear the filter (f)." if self.app.tag_filter else ""
        view = self.app.view
        if view is not None:
            # Searched within the new papers or one day only: say so, and the way out.
            within = view.label
            if view.new or view.day is not None:
                within = "the new papers" if view.new else f"{view.day:%a %Y-%m-%d}"
            hint = f" Searched {within} only (esc leaves them).{hint}"
        return hint

    def update_status(self, *, searching: bool = False) -> None:
        app = self.app
        result = app.result
        parts: list[StatusPart] = []
        if searching:
            parts.append(StatusPart.of("searching…"))
        elif result is not None:
            total = counted(result.total, "paper")
            if result.total == len(result.hits):
                parts.append(StatusPart.of(total))
            else:
                loaded = f"{len(result.hits):,} of {total}"
                parts.append(StatusPart.of(loaded, (_SHORT_COUNT, total)))
            if unread := self._unread_text(result):
                parts.append(StatusPart.of(unread[0], *((_SHORT_UNREAD, u) for u in unread[1:])))
            timing = f"{result.elapsed_ms:.0f} ms"
            if result.partial:
                refining = (f"{timing} (refining…)", (_DROP_TIMING, "refining…"))
                parts.append(StatusPart.of(*refining))
            else:
                parts.append(StatusPart.of(timing, (_DROP_TIMING, "")))
            # The order the list is really in: no words to rank by lists newest first.
            # Similar papers ranked as such say so in their own part ("similar to: ..."):
            # "sort: relevance" beside it suggested words that rank them.
            if app.like is None or result.sort != "relevance":
                label = SORT_LABELS[result.sort]
                sort_part = (f"sort: {label}", (_SHORT_SORT, label), (_DROP_SORT, ""))
                parts.append(StatusPart.of(*sort_part))
        if app.tag_filter is not None:
            described = app.tag_filter.describe()
            parts.append(StatusPart.of(f"filter: {described}", (_SHORT_FILTER, described)))
        if app.view is not None:
            parts.append(
                _view_part(app.view, None if searching or result is None else result.total)
            )
        if app.like is not None:
            title = app.like.paper.title
            parts.append(StatusPart.of(f"similar to: {title}", (_SHORT_SIMILAR, "similar papers")))
        if warning := app.services.search_warning:
            parts.append(StatusPart.of(warning))
        app.main_screen.status.show_status(parts, triage=app.triage)


def _content(pieces: Sequence[tuple[str, bool]]) -> Content:
    """A notice's pieces as one line, the user's words made safe, bold where marked."""
    return Content.assemble(
        *((safe_line(text), "bold") if bold else safe_line(text) for text, bold in pieces)
    )


@dataclass(frozen=True)
class _NoticePart:
    """One note of the notice; ``typed_kind`` set when it is about the word being typed
    (it then waits for a pause); expansions are joined into one "Also matching" note."""

    text: Content
    typed_kind: NoteKind | None = None
    expansion: bool = False


def _view_part(view: View, total: int | None) -> StatusPart:
    """The view's label, with shorter forms for a narrow status line: a day keeps its
    weekday and date, the new papers their name. The count leads the line, so the view
    names its own count only where it differs (``total``: the papers the line counts):
    "39 papers · day Thu 2025-12-25", but "4 papers · day Mon 2025-03-03 (39 that day)"
    when words or a filter narrow the day."""
    if view.day is not None:
        day = f"{view.day:%a} {view.day.isoformat()}"
        of_day = view.filters.allowed_ids
        if of_day is None or total == len(of_day):
            return StatusPart.of(f"day {day}", (_SHORTEST_VIEW, day))
        label = f"day {day} ({len(of_day):,} that day)"
        return StatusPart.of(label, (_SHORT_DAY, f"day {day}"), (_SHORTEST_VIEW, day))
    if view.new:
        # session.announce_new's label, "37 new papers since Dec 9": its count said once.
        counted_new = _COUNTED_NEW.fullmatch(view.label)
        label = view.label
        if counted_new is not None and total == int(counted_new[1].replace(",", "")):
            label = counted_new[2]
        return StatusPart.of(label, (_SHORTEST_VIEW, "new papers"))
    return StatusPart.of(view.label)
