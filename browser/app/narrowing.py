"""What the list shows, besides the words: the sort order, the tag filter, "similar
papers", and a stats row's search (``s``, then a row) within the current one."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.content import Content

from browser.app.messages import TagFilter
from browser.models import SORT_ORDERS
from browser.safe_text import safe_line
from browser.widgets.picker import PickerScreen

if TYPE_CHECKING:
    from browser.app.main import PaperBrowserApp
    from browser.stats import LibraryStats, Period
    from browser.widgets.stats_screen import StatsChoice, StatsScreen

__all__ = ["NarrowingFlow"]

# The name the stats screen is installed under.
STATS_SCREEN = "stats"


class NarrowingFlow:
    """Sort (``s``), tag filter (``f``), similar papers (``m``), ``escape``, stats rows."""

    def __init__(self, app: PaperBrowserApp) -> None:
        self.app = app
        # One stats screen for the app's life, installed so that Textual keeps it when
        # it is closed (see ``StatsScreen.reopen``).
        self._stats_screen: StatsScreen | None = None

    def _search_again(self) -> None:
        self.app.search_flow.update_status()
        self.app.request_search()

    def cycle_sort(self) -> None:
        app = self.app
        # From the order on screen: a list with no words to rank by is already newest
        # first, and a press that changed nothing would look broken.
        shown = app.result.sort if app.result is not None else app.sort
        app.sort = SORT_ORDERS[(SORT_ORDERS.index(shown) + 1) % len(SORT_ORDERS)]
        self._search_again()

    def filter_tags(self) -> None:
        app = self.app
        tags = app.services.tags
        choices: list[tuple[str, Content]] = [
            ("all", Content("All papers")),
            ("tagged", Content(f"Any tag ({len(tags)})")),
            ("untagged", Content("Untagged")),
        ]
        ranked = sorted(tags.counts().items(), key=lambda item: (-item[1], item[0].casefold()))
        for tag, count in ranked:
            choices.append(
                ("tag:" + tag, Content.assemble(safe_line(tag), (f"  {count}", "$text-muted")))
            )
        current = app.tag_filter
        highlighted = (
            "all"
            if current is None
            else ("tag:" + current.tag if current.kind == "tag" else current.kind)
        )

        def apply(choice: str | None) -> None:
            if choice is None:
                return
            if choice == "all":
                app.tag_filter = None
            elif choice in ("tagged", "untagged"):
                app.tag_filter = TagFilter(kind=choice)  # type: ignore[arg-type]
            else:
                app.tag_filter = TagFilter(kind="tag", tag=choice.removeprefix("tag:"))
            self._search_again()

        app.push_screen(PickerScreen("Show papers", choices, highlighted=highlighted), apply)

    def more_like(self) -> None:
        app = self.app
        hit = app.table.highlighted_hit
        if hit is None:
            return
        app.like = hit
        app.search_flow.stop_timers()
        app.request_search()

    def clear_context(self) -> None:
        """``escape``: leave "similar papers" first, then the view (new papers, a day)."""
        app = self.app
        if app.like is not None:
            app.like = None
            app.request_search()
        else:
            app.session_flow.leave_view()

    # ------------------------------------------------------------------ stats

    def stats(self) -> None:
        app = self.app
        query = app.search_bar.value.strip()
        # The filters of the list's search (tag filter, view), structured, never pasted
        # into the query text; the title spells the tag filter out.
        request = app.session.request
        filters = request.filters if request is not None else None
        shown = f"{query} {app.tag_filter.clause()}".strip() if app.tag_filter else query
        # Imported here: the stats screen and browser.stats are not needed to launch.
        from browser.widgets.stats_screen import StatsScreen

        # The words as the list matched them (the last one a prefix while being typed).
        prefix = app.session.prefix_last_word

        def compute(by: Period, rising: bool) -> LibraryStats:
            return app.services.stats(
                query, by=by, filters=filters, rising=rising, prefix_last_word=prefix
            )

        screen = self._stats_screen
        if screen is not None and screen in app.screen_stack:
            return  # already open (the palette's command, from the stats screen)
        if screen is None:
            screen = self._stats_screen = StatsScreen(compute, query=shown)
            app.install_screen(screen, STATS_SCREEN)
        else:
            screen.reopen(compute, query=shown)
        app.push_screen(screen, self._stats_chosen)

    def _stats_chosen(self, choice: StatsChoice | None) -> None:
        """Run the search a stats row stands for, within the current one, and show the list."""
        if choice is None:
            return
        app = self.app
        if choice.tag is not None:
            app.tag_filter = TagFilter(kind="tag", tag=choice.tag)
        elif choice.untagged:
            app.tag_filter = TagFilter(kind="untagged")
        else:
            query = app.search_bar.value.strip()
            if f" {choice.clause} " not in f" {query} ":  # a row of the search's own clause
                if " OR " in f" {query} ":
                    query = f"({query})"
                query = f"{query} {choice.clause}".strip()
            app.search_bar.value = query
            app.search_bar.cursor_position = len(query)  # typing goes on after it
        app.like = None
        app.search_flow.stop_timers()
        self._search_again()
        app.table.focus()
