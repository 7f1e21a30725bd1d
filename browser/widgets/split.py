"""The list view's adjustable split: how much of it the abstract pane gets."""

from __future__ import annotations

from textual.widget import Widget

SPLIT_STEP_PERCENT = 10
# The stylesheet's own split: side by side the list gets 3fr and the pane 2fr; stacked, halves.
DEFAULT_PERCENT_WIDE = 40
DEFAULT_PERCENT_STACKED = 50


def default_percent(wide: bool) -> int:
    return DEFAULT_PERCENT_WIDE if wide else DEFAULT_PERCENT_STACKED


def stepped(percent: int | None, direction: int, *, wide: bool) -> int:
    """The share after one step of ``direction`` (+1 grow, -1 shrink), kept in bounds."""
    # Here, not at the top: the launch applies a kept split before pydantic is imported.
    from browser.ui_state import MAX_ABSTRACT_PERCENT, MIN_ABSTRACT_PERCENT

    start = default_percent(wide) if percent is None else percent
    moved = start + direction * SPLIT_STEP_PERCENT
    return max(MIN_ABSTRACT_PERCENT, min(MAX_ABSTRACT_PERCENT, moved))


def apply_split(
    list_column: Widget, paper_column: Widget, percent: int | None, *, wide: bool
) -> None:
    """Give the pane ``percent`` of the width (side by side) or height (stacked).

    ``None`` clears the inline sizes, so the stylesheet's split applies.
    """
    for column in (list_column, paper_column):
        column.styles.width = None
        column.styles.height = None
    if percent is None:
        return
    sizes = (f"{100 - percent}fr", f"{percent}fr")
    for column, size in zip((list_column, paper_column), sizes, strict=True):
        if wide:
            column.styles.width = size
        else:
            column.styles.height = size
