"""The long-lived heap set aside from the cyclic garbage collector, once, after start.

A full collection walks every object the collector tracks. Once the app shows its first
list, most of those are there for the whole session (modules, classes, widgets, the
index's per-commit tables), and at 100k papers a full collection walking them took
60-190 ms, landing inside a search or a stats count (bench/results/*-2026-12-07c.md).
``gc.freeze`` (Python's own tool for this; see the ``gc`` module documentation) moves
everything alive now into a permanent generation that later collections skip; objects
made afterwards are collected as before. What is frozen and later dropped is still freed
by reference counting; only a reference cycle among frozen objects would stay, so this
runs once, after start-up, in the app's process (not in tests, which start many apps).
"""

from __future__ import annotations

import gc

__all__ = ["set_aside_startup_heap"]


def set_aside_startup_heap() -> None:
    """Leave every object alive now out of future cyclic collections (``gc.freeze``)."""
    gc.freeze()
