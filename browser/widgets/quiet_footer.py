"""Textual's footer, composed again only when the keys it shows change, and fitted to its
width: whole keys, the most important first, never one cut in half."""

from __future__ import annotations

from rich.text import Text
from textual import events
from textual.binding import Binding
from textual.dom import DOMNode
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Footer

__all__ = ["COMPACT_BELOW", "QuietFooter", "footer_rank"]

# Narrower than this (cells), keys are drawn compact ("? Keys" without the key's padding):
# at 80 columns that makes room for one or two more.
COMPACT_BELOW = 100


def footer_rank(node: DOMNode, key: str, action: str) -> int:
    """How important a key is to show: its place in the ``BINDINGS`` of the node that
    defines it (the list's and the reader's are written most important first). Keys
    found nowhere come last."""
    for index, binding in enumerate(getattr(type(node), "BINDINGS", ())):
        if (
            isinstance(binding, Binding)
            and binding.action == action
            and key in (part.strip() for part in binding.key.split(","))
        ):
            return index
    return 1_000


class QuietFooter(Footer):
    """A ``Footer`` that mounts its keys again only when what it shows has changed, and
    shows as many whole keys as its width holds, by importance (``footer_rank``).

    Textual's footer mounts every key again on each bindings signal of its screen (focus
    moved, the screen stack changed, a callback ran), and a hidden screen gets those
    signals too: opening the stats screen recomposed the list's footer twice and its own
    three times, all with the same keys. Mounting and styling them cost about as much
    CPU as the stats screen's five tables (``bench/results/stats-2026-12-07b.md``).

    What the footer shows is its screen's active bindings marked ``show``, with their
    enabled state and tooltip, so those are compared; anything else is left to ``Footer``.

    Textual lays the keys out in a row and cuts the row at the edge: at 80 columns the
    list's footer lost everything after "Filter" and showed half a key. Here the keys
    that do not fit are hidden whole, the least important first (every key is still in
    ``?`` and the command palette).
    """

    def __init__(self) -> None:
        super().__init__()
        self._shown: tuple[object, ...] | None = None
        self._fitted_width = -1

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

    async def recompose(self) -> None:
        await super().recompose()
        self._fitted_width = -1
        self.fit_keys()

    def on_resize(self, event: events.Resize) -> None:
        if event.size.width != self._fitted_width:
            self.fit_keys()

    def fit_keys(self) -> None:
        """Show the most important keys that fit the footer's width, whole."""
        width = self.size.width or self.app.size.width
        compact = width < COMPACT_BELOW
        if compact != self.compact:
            # The keys' padding changes with it: measure once their styles have.
            self.compact = compact
            self.call_after_refresh(self.fit_keys)
            return
        keys = _footer_keys(self)
        if not keys or not all(key.is_mounted for key in keys):
            return
        self._fitted_width = width
        room = width
        # Keys of one action with other arguments (the day before and after) show as a
        # pair or not at all: half of a pair reads as a mistake.
        units: dict[str, tuple[int, int, list[Widget]]] = {}
        active = self.screen.active_bindings
        for place, key in enumerate(keys):
            if key.has_class("-command-palette"):
                room -= _cells(key)
                continue
            key_name, action = _key_and_action(key)
            binding = active.get(key_name)
            rank = footer_rank(binding.node, key_name, action) if binding else 1_000
            name = action.partition("(")[0]
            best, first, members = units.get(name, (rank, place, []))
            units[name] = (min(best, rank), first, [*members, key])
        for _, _, members in sorted(units.values(), key=lambda unit: unit[:2]):
            cells = sum(_cells(key) for key in members)
            fits = cells <= room
            for key in members:
                key.display = fits
            if fits:
                room -= cells


def _footer_keys(footer: Footer) -> list[Widget]:
    """The footer's key widgets, found by their type's name: Textual does not export
    ``FooterKey``. Empty (the keys are left as Textual lays them out) if a Textual of
    another layout has none, or none with the ``key`` and ``action`` read here."""
    keys = [child for child in footer.children if type(child).__name__ == "FooterKey"]
    readable = all(
        isinstance(getattr(key, "key", None), str) and isinstance(getattr(key, "action", None), str)
        for key in keys
    )
    return keys if readable else []


def _key_and_action(key: Widget) -> tuple[str, str]:
    return str(getattr(key, "key", "")), str(getattr(key, "action", ""))


def _cells(key: Widget) -> int:
    """The cells ``key`` takes in the footer's row: its text as drawn, padding, border
    and margin."""
    rendered = key.render()
    drawn = rendered.cell_len if isinstance(rendered, Text) else key.content_size.width
    return drawn + key.styles.gutter.width + key.styles.margin.width
