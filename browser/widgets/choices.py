"""Radio buttons and checkboxes that say what they are without colour.

Textual draws both as a coloured block around a glyph that is always there (``▐●▌``,
``▐X▌``): on and off differ only by the glyph's colour, and a one-of choice looks like
an any-of one on a monochrome terminal or to a colour-blind eye. These draw the marks
text interfaces have long used instead (dialog, Turbo Vision, HTML forms as text):
``(●)``/``( )`` for one choice among several, ``[X]``/``[ ]`` for an option of its own.
The mark is there only when chosen; its colour is kept as a second cue. Keys, clicks
and messages are Textual's own: these are its widgets drawn differently.
"""

from __future__ import annotations

from textual.content import Content
from textual.style import Style
from textual.widgets import Checkbox, RadioButton

__all__ = ["CHECK_MARKS", "RADIO_MARKS", "CheckOption", "RadioOption", "mark_of"]

# (left, mark when chosen, right): an unchosen one shows a space between its brackets.
RADIO_MARKS = ("(", "●", ")")
CHECK_MARKS = ("[", "X", "]")


def mark_of(button: Checkbox | RadioButton, marks: tuple[str, str, str]) -> Content:
    """The brackets in the label's colour and the mark, when chosen, in the button's
    colour, bold: readable on any background, coloured or not."""
    left, mark, right = marks
    button_style = button.get_visual_style("toggle--button")
    mark_style = Style(foreground=button_style.foreground, bold=True)
    return Content.assemble(left, (mark if button.value else " ", mark_style), right)


class RadioOption(RadioButton):
    """A ``RadioButton`` drawn ``(●)`` when chosen, ``( )`` when not."""

    @property
    def _button(self) -> Content:
        return mark_of(self, RADIO_MARKS)


class CheckOption(Checkbox):
    """A ``Checkbox`` drawn ``[X]`` when on, ``[ ]`` when off."""

    @property
    def _button(self) -> Content:
        return mark_of(self, CHECK_MARKS)
