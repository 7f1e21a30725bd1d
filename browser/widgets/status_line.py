"""One line under the results: counts, timing, sort, filters; a progress bar while syncing.

The line is as wide as the list (all of an 80-column terminal, three fifths of a wide
one), so it is fitted to its width: each part comes with shorter forms, each taken at a
rank the caller chooses (highest first), until the line fits. A part whose shortest
form is empty may drop out; the essential ones (the count, the day or view, the unread
count) only ever shorten. What still does not fit ends in an ellipsis.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

from rich.cells import cell_len
from textual import events
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.content import Content
from textual.widgets import ProgressBar, Static

from browser.safe_text import safe_line

__all__ = ["StatusLine", "StatusPart", "fit_parts"]

WIDE_SEPARATOR = "  ·  "
NARROW_SEPARATOR = " · "
TRIAGE_BADGE = "TRIAGE "


@dataclass(frozen=True)
class StatusPart:
    """One part of the status line: ``forms`` from longest to shortest, and for each
    shorter form the rank at which it replaces the one before (``ranks[i]`` takes
    ``forms[i + 1]``). Higher ranks are taken first, so ranks fall along a part. An
    empty form drops the part."""

    forms: tuple[str, ...]
    ranks: tuple[int, ...] = ()

    def __post_init__(self) -> None:
        if len(self.ranks) != len(self.forms) - 1 or not self.forms:
            raise ValueError("a status part needs one rank per shorter form")
        if any(later >= earlier for earlier, later in itertools.pairwise(self.ranks)):
            raise ValueError("a status part's shorter forms must come at falling ranks")

    @classmethod
    def of(cls, text: str, *shorter: tuple[int, str]) -> StatusPart:
        """``text``, then each ``(rank, shorter form)``; every form made one safe line."""
        forms = (safe_line(text), *(safe_line(form) for _, form in shorter))
        return cls(forms, tuple(rank for rank, _ in shorter))


def _joined_width(texts: Sequence[str], separator: str) -> int:
    shown = [text for text in texts if text]
    return sum(cell_len(text) for text in shown) + cell_len(separator) * max(0, len(shown) - 1)


def fit_parts(parts: Sequence[StatusPart], width: int) -> tuple[list[str], str]:
    """The texts to show (in order, dropped parts left out) and the separator between
    them, fitted to ``width`` cells: narrower separators first, then the shorter forms
    by falling rank (ties in the line's order) until the line fits or none is left."""
    chosen = [0] * len(parts)

    def texts() -> list[str]:
        return [part.forms[index] for part, index in zip(parts, chosen, strict=True)]

    if _joined_width(texts(), WIDE_SEPARATOR) <= width:
        return [text for text in texts() if text], WIDE_SEPARATOR
    steps = sorted(
        ((-rank, i, step) for i, part in enumerate(parts) for step, rank in enumerate(part.ranks)),
    )
    for _, i, step in steps:
        if _joined_width(texts(), NARROW_SEPARATOR) <= width:
            break
        chosen[i] = step + 1
    return [text for text in texts() if text], NARROW_SEPARATOR


class StatusLine(Horizontal):
    """Says what the list shows and how it was found."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        # Kept, not queried: updates may still arrive while the app shuts down.
        self._text = Static(id="status-text")
        # Mounted by the first sync's progress: most launches never show it, and its four
        # widgets cost the launch's first paint some styling and layout.
        self._progress = ProgressBar(id="sync-progress", show_eta=False)
        self._progress_mounted = False
        self._parts: list[StatusPart] = []
        self._triage = False

    def compose(self) -> ComposeResult:
        yield self._text

    def on_mount(self) -> None:
        if self._progress_mounted and not self._progress.is_mounted:
            self.mount(self._progress)

    @property
    def parts(self) -> tuple[StatusPart, ...]:
        """The parts shown (empty while a progress bar shows)."""
        return tuple(self._parts)

    def show_status(self, parts: Sequence[StatusPart | str], *, triage: bool = False) -> None:
        """Show ``parts`` (a plain string is an essential part with one form), fitted to
        the line's width now and again whenever the width changes."""
        self._parts = [
            part if isinstance(part, StatusPart) else StatusPart.of(part) for part in parts if part
        ]
        self._triage = triage
        self._render_parts()

    def _render_parts(self) -> None:
        # Before the first layout the width is unknown (0): show everything, refit on resize.
        width = self._text.content_size.width or 10_000
        if self._triage:
            width -= cell_len(TRIAGE_BADGE) + 1
        shown, separator = fit_parts(self._parts, width)
        text = Content(separator).join(Content(part) for part in shown)
        if self._triage:
            text = Content.assemble((TRIAGE_BADGE, "bold reverse $warning"), " ", text)
        self._text.update(text)

    def on_resize(self, event: events.Resize) -> None:
        if self._parts:
            self.call_after_refresh(self._render_parts)

    def show_progress(self, done: int, total: int, label: str) -> None:
        bar = self._progress
        if not self._progress_mounted:
            self._progress_mounted = True
            if self.is_mounted:
                self.mount(bar)
            # Else the line is not mounted yet (a sync at launch): on_mount mounts it.
        bar.display = True
        bar.update(total=max(total, 1), progress=done)
        self._parts = []
        self._text.update(Content(safe_line(label)))

    def hide_progress(self) -> None:
        self._progress.display = False
        # The text gets the bar's room back: fit the parts to the new width.
        self.call_after_refresh(self._render_parts)
