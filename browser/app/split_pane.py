"""The split between the list and the abstract pane: applied on resize, changed with
``+``/``-``, and remembered between launches (``ui_state.json``, latest wins)."""

from __future__ import annotations

import contextlib
import time
from typing import TYPE_CHECKING

from textual.timer import Timer

from browser.ui_state import UiStateSaver, load_ui_state, ui_state_path
from browser.widgets.split import apply_split, stepped

if TYPE_CHECKING:
    from browser.app.main import PaperBrowserApp

__all__ = ["SPLIT_LIMIT_NOTICE_SECONDS", "UI_STATE_SAVE_DELAY", "SplitFlow"]

# A burst of split key presses is saved once, this long (seconds) after the last press.
UI_STATE_SAVE_DELAY = 0.3
# How long the "as big/small as it gets" notice shows; presses meanwhile add none.
SPLIT_LIMIT_NOTICE_SECONDS = 2.0


class SplitFlow:
    """The abstract pane's share of the screen, side by side (wide) or stacked."""

    def __init__(self, app: PaperBrowserApp) -> None:
        self.app = app
        self._ui_state = UiStateSaver(ui_state_path(app.services.paths.root))
        self._timer: Timer | None = None
        self._limit_said_at = -SPLIT_LIMIT_NOTICE_SECONDS
        ui_state = load_ui_state(self._ui_state.path)
        # Said once the app is mounted (a damaged file falls back to the defaults).
        self.problem = ui_state.problem
        self.abstract_percent = ui_state.state.abstract_percent

    def _is_wide(self) -> bool:
        return self.app.main_screen.has_class("-wide")

    def apply(self) -> None:
        screen = self.app.main_screen
        apply_split(
            screen.list_column, screen.paper_column, self.abstract_percent, wide=self._is_wide()
        )

    def resize(self, direction: int) -> None:
        percent = stepped(self.abstract_percent, direction, wide=self._is_wide())
        if percent == self.abstract_percent:
            # One notice at a time: pressing on at the limit must not stack them.
            now = time.monotonic()
            if now - self._limit_said_at > SPLIT_LIMIT_NOTICE_SECONDS:
                self._limit_said_at = now
                self.app.say(
                    "The abstract pane is "
                    + ("as big" if direction > 0 else "as small")
                    + " as it gets.",
                    timeout=SPLIT_LIMIT_NOTICE_SECONDS,
                )
            return
        self.abstract_percent = percent
        self.apply()
        self._ui_state.change(abstract_percent=percent)
        # A burst of presses is one write of the last value, after the burst.
        if self._timer is not None:
            self._timer.stop()
        self._timer = self.app.set_timer(UI_STATE_SAVE_DELAY, self._save_soon)

    def _save_soon(self) -> None:
        self.app.run_worker(
            self._save, thread=True, exclusive=True, group="ui-state", exit_on_error=False
        )

    def _save(self) -> None:
        try:
            self._ui_state.save()
        except (OSError, ValueError) as error:
            self.app.call_from_thread(
                self.app.say, f"Could not remember the view preferences: {error}", "warning"
            )

    def save_at_exit(self) -> None:
        # Quitting within the save delay must not lose the last change; a small file,
        # written once as the app closes.
        if self._ui_state.pending:
            with contextlib.suppress(OSError, ValueError):  # nobody is left to tell
                self._ui_state.save()
