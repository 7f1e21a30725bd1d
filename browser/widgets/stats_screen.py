"""The stats screen: the current search at a glance, every row a search of its own.

Papers per listing day, ISO week or month as a bar chart (one selectable row per
period, newest first), and tables of rising terms, tags, organisations and authors.
Enter or a click on any row dismisses the screen with a ``StatsChoice``: the app runs
that search and shows the list again.

The bars are rows of Textual's own DataTable, drawn with block characters: each bar is
then a row the cursor, Enter and the mouse already know, it scrolls when there are more
periods than lines, and it needs no plotting library (textual-plotext draws a picture
that has no rows to select).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.geometry import Size
from textual.screen import Screen
from textual.widgets import DataTable, Static
from textual.worker import get_current_worker

from browser.safe_text import safe_line
from browser.stats import (
    NO_DATE,
    LibraryStats,
    NameCount,
    PeriodCount,
    PeriodGap,
    newest_first,
)
from browser.stats.periods import Period
from browser.stats.rising_note import rising_note
from browser.stats.searches import (
    NO_AUTHOR_NAMES,
    NO_DAY,
    NO_ORGANIZATION,
    name_search,
    period_search,
    term_search,
)
from browser.widgets.quiet_footer import QuietFooter
from browser.wording import counted

_EIGHTHS = " ▏▎▍▌▋▊▉"
BAR_WIDTH = 24
# The key that shows each period (the screen's bindings).
_PERIOD_KEYS: dict[Period, str] = {"day": "d", "week": "w", "month": "m"}
LOADING_DELAY = 0.1


@dataclass(frozen=True)
class StatsChoice:
    """What a selected row asks for: query text to add, or a tag filter."""

    clause: str = ""
    tag: str | None = None
    untagged: bool = False
    label: str = ""


def bar(count: int, largest: int, width: int = BAR_WIDTH) -> str:
    """A horizontal bar of ``count`` against ``largest`` in ``width`` cells, to 1/8 cell."""
    if largest <= 0 or count <= 0:
        return ""
    eighths = max(1, round(width * 8 * count / largest))
    full, part = divmod(eighths, 8)
    return "█" * full + (_EIGHTHS[part] if part else "")


def _cell(text: str, style: str = "") -> Text:
    # Built from plain strings: names and terms are data, never markup.
    return Text(safe_line(text), style=style, no_wrap=True, overflow="ellipsis", end="")


def _number(count: int) -> Text:
    return Text(f"{count:,}", justify="right", end="")


class StatsTable(DataTable[Text]):
    """One table of the stats screen; each row key is an index into ``choices``.

    Its widest column (and the bars) follow the table's size: ``refill`` draws the
    content again whenever the size changes (a resized terminal), so what is shown never
    depends on when it was filled; it is not drawn before the table has a size.
    """

    def __init__(self, title: str, table_id: str) -> None:
        super().__init__(id=table_id, cursor_type="row", zebra_stripes=True)
        self.border_title = title
        self.choices: list[StatsChoice | None] = []
        self.refill: Callable[[], None] | None = None
        self._filled_for: Size | None = None
        # Holds the content ``refill`` draws (False from a new ``refill`` until it ran).
        self.filled = False

    @property
    def laid_out(self) -> bool:
        """Whether the table has had a width: content filled before would be drawn to
        a guessed width, painted, then drawn and painted again once the width is known."""
        return self._content_size().width > 0

    def restart(self) -> None:
        """Empty, cursor and scroll at the top: the screen opens on another search."""
        self.refill = None
        self.filled = False
        self.clear()
        self.choices = []
        self.scroll_home(animate=False, immediate=True)

    def on_resize(self) -> None:
        if self.refill is not None and (
            not self.filled or self._filled_for != self._content_size()
        ):
            self.refill()

    def _content_size(self) -> Size:
        """Inside the border, the scrollbar's cells included, as of the last layout: kept
        while the table is hidden (it then has no region on screen)."""
        width, height = self.outer_size
        gutter = self.styles.gutter
        return Size(max(0, width - gutter.width), max(0, height - gutter.height))

    def flex_width(self, fixed: list[int], rows: int) -> int:
        """Cells left for the one column without a fixed width, so no row scrolls
        sideways: each cell has 1 padding each side, 1 more is left free, and the
        vertical scrollbar's when ``rows`` will not fit under the header. From the size
        alone, not from the scrollbar shown now (none before the rows are added): then
        filling once is enough, and the table is not drawn and painted twice."""
        self._filled_for = size = self._content_size()
        scrollbar = self.styles.scrollbar_size_vertical if rows + 1 > size.height else 0
        return max(6, size.width - scrollbar - sum(fixed) - 2 * (len(fixed) + 1) - 1)

    def fill(
        self,
        columns: list[tuple[str, int]],
        rows: list[tuple[list[Text], StatsChoice | None]],
        *,
        height: int | None = 1,
    ) -> None:
        """Replace the content: ``columns`` are (label, width) pairs; rows are ``height``
        lines tall (None: as many as their text wraps to). The cursor stays on the row
        it was on."""
        row = self.cursor_row
        self.clear(columns=True)
        for label, width in columns:
            self.add_column(label, width=width)
        self.choices = []
        for cells, choice in rows:
            self.add_row(*cells, key=str(len(self.choices)), height=height)
            self.choices.append(choice)
        if 0 < row < len(rows):
            self.move_cursor(row=row, animate=False)
        self.filled = True

    def choice_at(self, row_key: str | None) -> StatsChoice | None:
        if row_key is None:
            return None
        return self.choices[int(row_key)]


class StatsScreen(Screen[StatsChoice | None]):
    """Counts over the current search, computed in a worker; Esc goes back."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q", "close", "Back", tooltip="Back to the list"),
        Binding("d", "period('day')", "Days", tooltip="Papers per listing day"),
        Binding("w", "period('week')", "Weeks", tooltip="Papers per ISO week"),
        Binding("m", "period('month')", "Months", tooltip="Papers per month"),
    ]

    def __init__(
        self,
        compute: Callable[[Period, bool], LibraryStats],
        *,
        query: str,
        by: Period = "month",
    ) -> None:
        """``compute(by, rising)`` counts the papers; with ``rising`` False it leaves out
        the rising terms, which cost most: the screen shows the rest first."""
        super().__init__(id="stats-screen")
        self._generation = 0
        self._tables_hidden = False
        # The generation whose rising terms are counted once the hidden tables are shown.
        self._after_reveal: int | None = None
        self._begin(compute, query, by)

    def _begin(
        self, compute: Callable[[Period, bool], LibraryStats], query: str, by: Period
    ) -> None:
        self._compute = compute
        self._query = query
        self.by: Period = by
        self.stats: LibraryStats | None = None
        self._shown = False
        # Counting starts when the screen is shown (``reopen`` sets it again), not when
        # it comes back from under the command palette or the help.
        self._open_pending = True

    def reopen(
        self,
        compute: Callable[[Period, bool], LibraryStats],
        *,
        query: str,
        by: Period = "month",
    ) -> None:
        """Count another search on this screen, before it is pushed again.

        The app keeps one stats screen: composing, mounting and styling five tables on
        every open, and collecting the screen left behind, cost more CPU than painting
        them (``bench/results/stats-2026-12-07c.md``). Until the new counts are filled
        in, the tables are hidden (never the previous search's counts), and their widths
        are those of the last open, so they are drawn once.
        """
        self._begin(compute, query, by)
        for table in self.query(StatsTable):
            table.restart()
        self._show_tables(False)

    def compose(self) -> ComposeResult:
        yield Static(id="stats-title")
        with Vertical(id="stats-body"):
            with Horizontal(id="stats-top"):
                yield StatsTable("Papers per month", "stats-periods")
                yield StatsTable("Rising terms", "stats-rising")
            with Horizontal(id="stats-bottom"):
                yield StatsTable("Tags", "stats-tags")
                yield StatsTable("Organisations", "stats-organizations")
                yield StatsTable("Authors", "stats-authors")
        yield QuietFooter()

    def on_mount(self) -> None:
        self.query_one("#stats-periods", StatsTable).focus()

    def on_screen_resume(self) -> None:
        if self._open_pending:
            self._open_pending = False
            self._load()

    def action_period(self, by: Period) -> None:
        if by != self.by or self.stats is None:
            self.by = by
            self._shown = False
            self._load()

    def action_close(self) -> None:
        self._leave(None)

    def _leave(self, choice: StatsChoice | None) -> None:
        # The screen is kept for the next open: a count still running is for a screen
        # no longer shown, and must not start the rising terms (seconds of CPU at 100k
        # papers) while the list is in use.
        self._generation += 1
        self.workers.cancel_group(self, "stats")
        self.dismiss(choice)

    def _load(self) -> None:
        self._show_title(counting=True)
        self._generation += 1
        generation = self._generation
        # The loading indicator only once counting takes a moment: mounting it and taking
        # it down again costs more than a quick count.
        self.set_timer(LOADING_DELAY, lambda: self._show_loading(generation))
        self._run(self.by, False, generation)

    def _show_loading(self, generation: int) -> None:
        if generation == self._generation and not self._shown:
            self.query_one("#stats-body").loading = True

    @work(thread=True, exclusive=True, group="stats", exit_on_error=False)
    def _run(self, by: Period, rising: bool, generation: int) -> None:
        worker = get_current_worker()
        try:
            stats = self._compute(by, rising)
        except Exception as error:  # a broken index must not take the app down
            if not worker.is_cancelled:
                self.app.call_from_thread(self._failed, str(error))
            return
        if not worker.is_cancelled:
            self.app.call_from_thread(self._show, stats, generation)

    def _count_rising(self, generation: int) -> None:
        if generation == self._generation:
            self._run(self.by, True, generation)

    def _failed(self, message: str) -> None:
        self.query_one("#stats-body").loading = False
        self.notify(safe_line(f"Could not count: {message}"), severity="error", markup=False)

    # ------------------------------------------------------------------ showing

    def _show_title(self, *, counting: bool = False) -> None:
        stats = self.stats
        what = Text.assemble(
            ("Stats ", "bold"),
            ("for “", ""),
            (safe_line(self._query), "bold"),
            "”" if self._query else "",
        )
        if not self._query:
            what = Text.assemble(("Stats ", "bold"), "for the whole library")
        if stats is not None and stats.counted_query:
            what.append(f" (as “{safe_line(stats.counted_query)}”)")
        if stats is not None:
            what.append(f" · {counted(stats.papers, 'paper')}")
        what.append(f" · per {self.by}")
        if counting:
            what.append(" · counting…", style="italic")
        # The footer names d, w, m and Esc; Enter is the one key only this line tells of,
        # and at 80 columns the longer hint ran off the line ("Enter s…").
        what.append("   Enter searches a row", style="dim")
        self.query_one("#stats-title", Static).update(what)

    def _show(self, stats: LibraryStats, generation: int) -> None:
        if generation != self._generation:
            return  # counted for a period no longer asked for
        if self._shown and self.stats is not None and stats.rising_counted:
            self._fill_rising_only(stats)
            return
        self._shown = True
        self.query_one("#stats-body").loading = False
        self._fill(stats)
        if not stats.rising_counted:
            # Once the counts are on screen: working out the terms holds the interpreter
            # for up to a second at 100k papers, and would slow their painting.
            if self._tables_hidden:
                self._after_reveal = generation
            else:
                self.call_after_refresh(self._count_rising, generation)

    @property
    def filled(self) -> bool:
        """Whether every table holds the counts of ``stats`` and is shown (a table not
        yet laid out is filled when it gets its size; see ``reopen`` for hidden ones)."""
        return (
            self.stats is not None
            and all(table.filled for table in self.query(StatsTable))
            and not self._tables_hidden
        )

    def _fill_rising_only(self, stats: LibraryStats) -> None:
        """The rising terms, worked out after the counts: only their table changes."""
        self.stats = stats
        self.query_one("#stats-rising", StatsTable).refill = lambda: self._fill_rising(stats)
        self._fill_rising(stats)

    def _fill(self, stats: LibraryStats) -> None:
        """Fill every table; each draws itself again when its width changes."""
        self.stats = stats
        self._show_title()
        fills: list[tuple[str, Callable[[], None]]] = [
            ("#stats-periods", lambda: self._fill_periods(stats)),
            ("#stats-rising", lambda: self._fill_rising(stats)),
            ("#stats-tags", lambda: self._fill_tags(stats)),
            ("#stats-organizations", lambda: self._fill_organizations(stats)),
            ("#stats-authors", lambda: self._fill_authors(stats)),
        ]
        for selector, fill in fills:
            table = self.query_one(selector, StatsTable)
            table.refill = fill
            table.filled = False
            if table.laid_out:
                fill()
        if self._tables_hidden:
            # Shown again once filled (see ``reopen``), after a refresh: a DataTable works
            # out its size when idle, and shown before that it is painted twice.
            self.call_after_refresh(self._reveal, self._generation)

    def _reveal(self, generation: int) -> None:
        if generation == self._generation:
            self._show_tables(True)
            if self._after_reveal == generation:
                # The screen's own layout marked as due now, so the count waits for the
                # paint of the tables (a row's change of style reaches it a message later).
                self.refresh(layout=True)
                self.call_after_refresh(self._count_rising, generation)

    def _show_tables(self, shown: bool) -> None:
        # An inline style, not a class: a class on the body restyles the five tables and
        # their parts, a fifth of the CPU of an open.
        self._tables_hidden = not shown
        for row in self.query("#stats-body > Horizontal"):
            row.styles.visibility = "visible" if shown else "hidden"
        if shown:
            # A hidden table cannot take the focus: the periods take it as on a first open.
            self.query_one("#stats-periods", StatsTable).focus()

    def _fill_tags(self, stats: LibraryStats) -> None:
        self._fill_names("#stats-tags", stats.tags, "untagged", stats.untagged, self._tag_choice)

    def _fill_organizations(self, stats: LibraryStats) -> None:
        self._fill_names(
            "#stats-organizations",
            stats.organizations,
            "no organisation",
            stats.no_organization,
            lambda item: StatsChoice(clause=name_search("org", item.name), label=item.name),
            StatsChoice(clause=NO_ORGANIZATION, label="no organisation"),
        )

    def _fill_authors(self, stats: LibraryStats) -> None:
        self._fill_names(
            "#stats-authors",
            stats.authors,
            "no author names",
            stats.no_author_names,
            lambda item: StatsChoice(clause=name_search("author", item.name), label=item.name),
            StatsChoice(clause=NO_AUTHOR_NAMES, label="no author names"),
        )

    def _fill_periods(self, stats: LibraryStats) -> None:
        table = self.query_one("#stats-periods", StatsTable)
        table.border_title = f"Papers per {stats.by}"
        largest = max((period.count for period in stats.per_period), default=0)
        shown = newest_first(stats.per_period)
        width = table.flex_width([10, 7], len(shown) + bool(stats.no_date))
        rows: list[tuple[list[Text], StatsChoice | None]] = []
        for period in shown:
            if isinstance(period, PeriodGap):
                # Short enough for the bar column at 80x24 ("2025-12-10…" and "14 days
                # without papers" were cut): the gap's first period, and its length.
                label = f"none in {counted(period.periods, stats.by)}"
                rows.append(([_cell(f"{period.first}"), _number(0), _cell(label, "dim")], None))
                continue
            rows.append(
                (
                    [
                        _cell(period.key),
                        _number(period.count),
                        Text(bar(period.count, largest, width), end=""),
                    ],
                    self._period_choice(period, stats),
                )
            )
        if stats.no_date:
            rows.append(
                (
                    [_cell(NO_DATE, "italic"), _number(stats.no_date), _cell("")],
                    StatsChoice(clause=NO_DAY, label=NO_DATE),
                )
            )
        table.fill([(stats.by, 10), ("papers", 7), ("", width)], rows)

    @staticmethod
    def _period_choice(period: PeriodCount, stats: LibraryStats) -> StatsChoice:
        clause = period_search(period.start, stats.by, own_dates=stats.on_own_date > 0)
        return StatsChoice(clause=clause, label=period.key)

    def _fill_rising(self, stats: LibraryStats) -> None:
        table = self.query_one("#stats-rising", StatsTable)
        if not stats.rising_counted:
            table.border_title = "Rising terms: counting…"
        elif stats.latest is not None and stats.previous is not None:
            table.border_title = f"Rising: {stats.latest.key} against {stats.previous.key}"
        else:
            table.border_title = "Rising terms"  # the note below says what is missing
        note = rising_note(stats)
        # A table without rows looks broken: when nothing rose it says why, as one row
        # of wrapped text without a header or a cursor (it is no search).
        table.show_header = table.show_cursor = note is None
        if note is not None:
            text = note.text
            if note.try_period is not None and note.try_period != stats.by:
                period = note.try_period
                text += f" Press {_PERIOD_KEYS[period]} to compare {period}s."
            width = table.flex_width([], 1)
            table.fill([("", width)], [([Text(text, style="italic", end="")], None)], height=None)
            return
        rows: list[tuple[list[Text], StatsChoice | None]] = []
        for term in stats.rising_terms:
            rows.append(
                (
                    [_cell(term.term), _number(term.now), _number(term.before)],
                    StatsChoice(clause=term_search(term), label=term.term),
                )
            )
        term_width = table.flex_width([5, 6], len(rows))
        table.fill([("term", term_width), ("now", 5), ("before", 6)], rows)

    @staticmethod
    def _tag_choice(item: NameCount) -> StatsChoice:
        return StatsChoice(tag=item.name, label=item.name)

    def _fill_names(
        self,
        selector: str,
        items: list[NameCount],
        none_label: str,
        none_count: int,
        choice: Callable[[NameCount], StatsChoice],
        none_choice: StatsChoice | None = None,
    ) -> None:
        table = self.query_one(selector, StatsTable)
        rows: list[tuple[list[Text], StatsChoice | None]] = [
            ([_cell(item.name), _number(item.count)], choice(item)) for item in items
        ]
        if none_count:
            if none_choice is None:
                none_choice = StatsChoice(untagged=True, label=none_label)
            rows.append(([_cell(f"({none_label})", "italic"), _number(none_count)], none_choice))
        table.fill([("name", table.flex_width([7], len(rows))), ("papers", 7)], rows)

    # ------------------------------------------------------------------ choosing

    @on(DataTable.RowSelected)
    def _row_selected(self, event: DataTable.RowSelected) -> None:
        table = event.data_table
        if isinstance(table, StatsTable) and table.show_cursor:  # a note is no search
            self._choose(table.choice_at(event.row_key.value))

    def _choose(self, choice: StatsChoice | None) -> None:
        if choice is None:
            self.notify("No papers to search for in these periods.", timeout=2)
            return
        self._leave(choice)
