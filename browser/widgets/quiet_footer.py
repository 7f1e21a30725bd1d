"""Textual's footer, composed again only when the keys it shows change."""

from __future__ import annotations

from textual.screen import Screen
from textual.widgets import Footer

__all__ = ["QuietFooter"]


class QuietFooter(Footer):
    """A ``Footer`` that mounts its keys again only when what it shows has changed.

    Textual's footer mounts every key again on each bindings signal of its screen (focus
    moved, the screen stack changed, a callback ran), and a hidden screen gets those
    signals too: opening the stats screen recomposed the list's footer twice and its own
    three times, all with the same keys. Mounting and styling them cost about as much
    CPU as the stats screen's five tables (``bench/results/stats-2026-12-07b.md``).

    What the footer shows is its screen's active bindings marked ``show``, with their
    enabled state and tooltip, so those are compared; anything else is left to ``Footer``.
    """

    def __init__(self) -> None:
        super().__init__()
        self._shown: tuple[object, ...] | None = None

    def bindings_changed(self, screen: Screen[object]) -> None:
        # Only when Footer would recompose now: otherwise nothing is recorded, and the
        # next signal (focus back in the terminal, the screen attached) recomposes.
        if screen.app.app_focus and self.is_attached and screen is self.screen:
            shown = tuple(
                (active.binding, active.enabled, active.tooltip)
                for active in screen.active_bindings.values()
                if active.binding.show
            )
            if shown == self._shown:
                return
            self._shown = shown
        super().bindings_changed(screen)
