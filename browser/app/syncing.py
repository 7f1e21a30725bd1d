"""Reading the dumps in the app: a sync (or an index rebuild) in a thread worker, its
progress in the status line, its summary as notices, then the first search."""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from browser.app.messages import SyncFinished, SyncProgressed
from browser.dump_files import skipped_summary
from browser.services import Services, SyncProgress, SyncSummary
from browser.wording import counted

if TYPE_CHECKING:
    from browser.app.main import PaperBrowserApp

__all__ = ["SyncFlow"]

# Seconds after the first search starts before the stats are read in the background:
# the first list is painted by then (0.7 s at 100k papers on a quiet 2-core machine).
WARM_STATS_AFTER_SECONDS = 1.5


class SyncFlow:
    """Sync at launch (paths given, first run, or an unusable index), then search."""

    def __init__(self, app: PaperBrowserApp) -> None:
        self.app = app

    def start(self, dumps: Sequence[Path], year: int | None) -> None:
        app = self.app
        app.syncing = True
        app.main_screen.abstract.show(None, [], "Reading the dumps…")
        app.main_screen.status.show_progress(0, 1, "Reading the dumps…")
        app.run_worker(
            partial(self._sync, app.services, tuple(dumps), year),
            thread=True,
            exclusive=True,
            group="sync",
            exit_on_error=False,
        )

    def _sync(self, services: Services, dumps: tuple[Path, ...], year: int | None) -> None:
        """In a worker thread: progress and the outcome come back as messages."""

        def progress(update: SyncProgress) -> None:
            self.app.post_message(SyncProgressed(update))

        try:
            if dumps:
                summary = services.sync(dumps, year=year, progress=progress)
            else:
                services.rebuild_index()
                summary = None
        except Exception as error:  # any failure must reach the user, not kill the app
            self.app.post_message(SyncFinished(None, f"Could not read the dumps: {error}"))
            return
        self.app.post_message(SyncFinished(summary))

    def progressed(self, message: SyncProgressed) -> None:
        update = message.progress
        label = f"Reading {Path(update.current_file).name} ({update.done}/{update.total})"
        self.app.main_screen.status.show_progress(update.done, update.total, label)

    def finished(self, message: SyncFinished) -> None:
        app = self.app
        app.syncing = False
        app.main_screen.status.hide_progress()
        if message.error:
            app.say(message.error, "error", timeout=10)
        elif message.summary is not None:
            self._report(message.summary)
        self.first_search()

    def first_search(self) -> None:
        """The new papers if a sync added some not yet announced, else the current search."""
        if not self.app.session_flow.announce_new():
            self.app.request_search()
        # Not at once: reading every paper's facts holds the interpreter for a second or
        # two at 100k papers, and would slow the first search and its paint (launch).
        self.app.set_timer(WARM_STATS_AFTER_SECONDS, self.warm_stats)

    def _report(self, summary: SyncSummary) -> None:
        say = self.app.say
        changed = summary.papers_added + summary.papers_updated + summary.papers_removed
        if changed or summary.rebuilt:
            say(
                f"Library updated: {summary.papers_added:,} new, "
                f"{summary.papers_updated:,} updated, {summary.papers_removed:,} removed "
                f"({summary.seconds:.1f} s)",
                timeout=4,
            )
        if summary.skipped:
            say(skipped_summary(summary.skipped), "warning", timeout=8)
        if summary.problems:
            files = sorted({Path(problem.file).name for problem in summary.problems})
            shown = ", ".join(files[:5]) + (f" and {len(files) - 5} more" if len(files) > 5 else "")
            say(
                f"{counted(len(summary.problems), 'problem')} while reading {shown}. "
                "Run `paper-browser parse PATH` for details.",
                "warning",
                timeout=8,
            )

    def warm_stats(self) -> None:
        # Reading every paper's facts takes a second or two at 100k papers: done once in
        # the background, the stats screen then shows within a few hundred ms.
        self.app.run_worker(
            self.app.services.warm_stats,
            thread=True,
            exclusive=True,
            group="stats-warm",
            exit_on_error=False,
        )
