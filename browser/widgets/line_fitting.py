"""Pieces laid out in lines of a width, each piece whole: a quick tag with its key, a
fact with its label. Textual wraps text at any space, which split "Comments 3" and
"1 to read" across lines; these lines break only between pieces."""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["pack_lines"]


def pack_lines(widths: Sequence[int], gap: int, width: int) -> list[list[int]]:
    """The pieces (by index) on each line, filled greedily, ``gap`` cells between two
    pieces of a line; a piece wider than ``width`` gets a line of its own."""
    lines: list[list[int]] = [[]]
    used = 0
    for index, piece in enumerate(widths):
        needed = piece if not lines[-1] else used + gap + piece
        if lines[-1] and needed > width:
            lines.append([index])
            used = piece
        else:
            lines[-1].append(index)
            used = needed
    return lines
