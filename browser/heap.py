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

import contextlib
import gc
from collections.abc import Iterator

__all__ = ["collector_paused", "set_aside_startup_heap"]


def set_aside_startup_heap() -> None:
    """Leave every object alive now out of future cyclic collections (``gc.freeze``)."""
    gc.freeze()


@contextlib.contextmanager
def collector_paused(pause: bool = True) -> Iterator[None]:
    """No cyclic collection inside (``gc.disable``), if ``pause``; as it was after.

    For a bulk index build in its own process (the CLI's ``procs > 1``): it makes
    millions of small containers that live until the end (pooled postings, the term
    caches), and the collections that walk them again and again cost 5-10% of the build's
    CPU (bench/results/build-2026-12-07d.md). Processes forked inside (Whoosh's index
    workers) start with it paused too. Reference counting still frees everything not in a
    cycle; a cycle made inside waits for the next collection after.
    """
    was_enabled = gc.isenabled()
    if pause:
        gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
