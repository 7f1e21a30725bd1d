"""The app's side of the reading workflow: read marks, notes, and their undo.

The app (``main``) only forwards its actions here; every change goes
through ``Services.reading``. Read marks change in the UI thread (one small
transaction, ~1 ms), marking a whole list read runs its search in a worker.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING

from textual.timer import Timer

from browser.models import SearchHit
from browser.reading import Reading, UnknownPaperId
from browser.search_session import SearchRequest
from browser.services import EXPORT_LIMIT
from browser.userdata import UserDataError
from browser.wording import counted

if TYPE_CHECKING:
    from browser.app.main import PaperBrowserApp

__all__ = ["ATTENTION_CHECK_SECONDS", "ReadStep", "ReadingFlow"]

# How often the app looks whether the reader is in the list or the reader screen, for
# the automatic read mark (which counts only that time).
ATTENTION_CHECK_SECONDS = 0.25


@dataclass(frozen=True)
class ReadStep:
    """One undoable change of read marks: these papers went to ``read``."""

    paper_ids: tuple[str, ...]
    read: bool
    description: str


class ReadingFlow:
    """Read marks (auto after ``read_after_seconds``, ``r``, ``ctrl+r``) and notes (``n``)."""

    def __init__(self, app: PaperBrowserApp, read_after_seconds: float) -> None:
        self.app = app
        self.read_after_seconds = read_after_seconds
        self._timer: Timer | None = None
        self._timed_paper: str | None = None
        # Since when the reader has been in the list or the reader screen (monotonic s).
        self._attending_since: float | None = None
        self.undo_steps: list[ReadStep] = []
        # PRAGMA data_version: moves when another copy commits (read marks, notes).
        self._seen_version = app.services.userdata.database.data_version()

    @property
    def _reading(self) -> Reading:
        return self.app.services.reading

    # ------------------------------------------------------------------ marks on rows

    def marks(self, hits: Sequence[SearchHit]) -> dict[str, tuple[bool, bool]]:
        """paper id -> (read, has a note), for the list's rows."""
        read = self._reading.state
        return {
            hit.paper.id: (read.is_read(hit.paper.id), bool(read.note_of(hit.paper.id)))
            for hit in hits
        }

    def refresh_rows(self, paper_ids: Sequence[str], *, read_changed: bool = True) -> None:
        """Repaint these rows' marks and the paper; ``read_changed``: count unread again."""
        wanted = set(paper_ids)
        hits = [hit for hit in self.app.table.hits if hit.paper.id in wanted]
        for paper_id, mark in self.marks(hits).items():
            self.app.table.update_mark(paper_id, *mark)
        if read_changed:
            self.app.search_flow.count_unread()
        self.app.refresh_paper_view()

    def pick_up_outside_changes(self) -> None:
        """Another copy (the CLI, a second app) changed marks or notes: show them."""
        version = self.app.services.userdata.database.data_version()
        if version == self._seen_version:
            return
        self._seen_version = version
        self.refresh_rows([hit.paper.id for hit in self.app.table.hits])

    # ------------------------------------------------------------------ auto read

    def paper_shown(self, hit: SearchHit | None) -> None:
        """The abstract of ``hit`` is on screen now: mark it read once it has stayed there
        ``read_after_seconds`` while the reader was in the list or the reader screen.

        Looked at every ``ATTENTION_CHECK_SECONDS``: time spent typing in the bar or in a
        dialog does not count, and leaving starts the count again. (One timer of the
        whole time, re-armed when it ended away from the list, marked a paper read a
        moment after the user came back from typing.)"""
        paper_id = hit.paper.id if hit is not None else None
        if paper_id == self._timed_paper:
            return
        self._stop_timing()
        self._timed_paper = paper_id
        if paper_id is None or self.read_after_seconds <= 0:
            return
        if self._reading.is_read(paper_id):
            return
        self._attending_since = time.monotonic() if self._reader_attending() else None
        self._timer = self.app.set_interval(
            ATTENTION_CHECK_SECONDS, lambda: self._look_at(paper_id)
        )

    def _stop_timing(self) -> None:
        if self._timer is not None:
            self._timer.stop()
            self._timer = None

    def _look_at(self, paper_id: str) -> None:
        hit = self.app.table.highlighted_hit
        if hit is None or hit.paper.id != paper_id or not self._reader_attending():
            # Away (or another list briefly highlights another paper): start again when
            # attention, and this paper, are back. The timer runs until the next paper.
            self._attending_since = None
            return
        now = time.monotonic()
        if self._attending_since is None:
            self._attending_since = now
        if now - self._attending_since < self.read_after_seconds:
            return
        self._stop_timing()
        if self.app.services.userdata.read_only:
            return
        try:
            self._reading.state.set_read([paper_id])
        except UserDataError:
            return  # said once at launch; an automatic mark is not worth a popup each time
        self.refresh_rows([paper_id])

    def _reader_attending(self) -> bool:
        """The list has the focus on the main screen, or the reader is open."""
        from browser.widgets.reader import ReaderScreen

        app = self.app
        if isinstance(app.screen, ReaderScreen):
            return True
        return app.screen is app.main_screen and app.focused is app.table

    # ------------------------------------------------------------------ r, ctrl+r, undo

    def toggle_read(self) -> None:
        hit = self.app.table.highlighted_hit
        if hit is None:
            return
        self._stop_timing()  # the user decided: no automatic mark after this
        try:
            now_read = self._reading.toggle_read(hit.paper.id)
        except UserDataError as error:
            self.app.say(str(error), "error")
            return
        state = "unread" if now_read else "read"
        self.undo_steps.append(ReadStep((hit.paper.id,), not now_read, f"marked it {state} again"))
        self.app.tag_flow.note_undo_step("read")
        self.refresh_rows([hit.paper.id])
        self.app.say("Marked read" if now_read else "Marked unread", timeout=2)

    def mark_list_read(self) -> None:
        """Every paper of the current list (all matches, not only those loaded) read."""
        request = self.app.session.request
        if request is None or not self.app.table.hits:
            self.app.say("No papers to mark.", timeout=2)
            return
        self.app.say("Marking the list read…", timeout=2)
        self.app.run_worker(
            partial(self._mark_all, request),
            thread=True,
            group="mark-read",
            exclusive=True,
            exit_on_error=False,
        )

    def _mark_all(self, request: SearchRequest) -> None:
        """In a worker: every match of ``request`` (not only the rows loaded), marked read."""
        services = self.app.services
        try:
            result = services.search(
                request.query,
                sort=request.sort,
                limit=EXPORT_LIMIT,
                filters=request.filters,
                like=request.like_paper_id,
                prefix_last_word=request.prefix_last_word,
            )
            changed = services.reading.set_read([hit.paper.id for hit in result.hits])
        except (UserDataError, UnknownPaperId, LookupError) as error:
            self.app.call_from_thread(self.app.say, str(error), "error")
            return
        self.app.call_from_thread(self._marked_all, tuple(changed))

    def _marked_all(self, changed: tuple[str, ...]) -> None:
        if not changed:
            self.app.say("Every paper of the list was already read.", timeout=3)
            return
        step = ReadStep(changed, False, f"marked {counted(len(changed), 'paper')} unread again")
        self.undo_steps.append(step)
        self.app.tag_flow.note_undo_step("read")
        self.refresh_rows(changed)
        self.app.update_status_line()
        self.app.say(f"Marked {counted(len(changed), 'paper')} read (u undoes)", timeout=4)

    def undo(self) -> str | None:
        """Undo the last read change made here; what was done, or None when none is left."""
        if not self.undo_steps:
            return None
        step = self.undo_steps.pop()
        try:
            self._reading.state.set_read(step.paper_ids, step.read)
        except UserDataError:
            self.undo_steps.append(step)
            raise
        self.refresh_rows(step.paper_ids)
        return step.description

    # ------------------------------------------------------------------ notes

    def edit_note(self) -> None:
        hit = self.app.table.highlighted_hit
        if hit is None:
            return
        paper = hit.paper
        if self.app.services.userdata.read_only:
            self.app.say(f"Notes are read-only: {self.app.services.userdata.problem}", "error")
            return

        def save(text: str) -> str | None:
            try:
                self._reading.set_note(paper.id, text)
            except (UserDataError, UnknownPaperId, ValueError) as error:
                return str(error)
            self.refresh_rows([paper.id], read_changed=False)
            return None

        def closed(_text: str | None) -> None:
            self.refresh_rows([paper.id], read_changed=False)

        note = self._reading.note_of(paper.id)
        from browser.widgets.note_editor import NoteEditor  # a TextArea: not needed to launch

        self.app.push_screen(NoteEditor(paper.title, note, save), closed)
