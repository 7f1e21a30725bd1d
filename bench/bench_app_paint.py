"""What painting costs the app's thread, per widget: CPU (``time.thread_time``) spent in
each widget's ``render_lines``, at launch until the first rows are painted and per list
while typing. Load on a shared machine moves wall times by half; this CPU barely.

    .venv/bin/python -m bench.bench_app_paint --library LIBRARY --runs 3
    .venv/bin/python -m bench.bench_app_paint --bare      # the bare Textual app's paint

LIBRARY is a ``bench_app`` library (``--work``/app-library-SIZE); the launch runs over
its kept first screen (``--launch`` runs and keeps one first), then ``--runs`` rounds of
``bench_app``'s keystrokes. Prints one JSON line: milliseconds per widget class, at the
first rows and per list painted while typing (typing, settled and Enter lists).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from textual.widget import Widget

_SPENT: dict[str, float] = {}


def _instrument() -> None:
    """Count the thread CPU of every widget's ``render_lines`` under its class name."""
    render_lines: Callable[..., Any] = Widget.render_lines

    def timed(self: Widget, crop: Any) -> Any:
        started = time.thread_time()
        try:
            return render_lines(self, crop)
        finally:
            name = type(self).__name__
            _SPENT[name] = _SPENT.get(name, 0.0) + time.thread_time() - started

    Widget.render_lines = timed  # type: ignore[method-assign]


def _top(spent: dict[str, float], per: int = 1, count: int = 6) -> dict[str, float]:
    ranked = sorted(spent.items(), key=lambda item: -item[1])[:count]
    return {name: round(seconds * 1000 / per, 1) for name, seconds in ranked}


def launch(library: Path) -> dict[str, float]:
    from bench import bench_app

    at_rows: dict[str, float] = {}
    probe = bench_app.TimedApp._first_rows_painted

    def first_rows_painted(app: bench_app.TimedApp) -> None:
        probe(app)
        if app.first_rows is not None and not at_rows:
            at_rows.update(_SPENT)

    bench_app.TimedApp._first_rows_painted = first_rows_painted  # type: ignore[method-assign]
    report = asyncio.run(bench_app.launch_worker(library, True))
    if not report["kept"]:
        raise SystemExit("no kept first screen: run once more (this launch kept one)")
    return _top(at_rows)


def typing(library: Path, runs: int) -> dict[str, float]:
    from bench import bench_app

    _SPENT.clear()
    timings = asyncio.run(bench_app.keystroke_runs(library, runs))
    lists = len(timings["typed"]) + len(timings["settled"]) + len(timings["enter"])
    return _top(_SPENT, per=lists)


def bare() -> dict[str, float]:
    from bench import bare_app

    asyncio.run(bare_app.first_paint())
    return _top(_SPENT)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--library", type=Path)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--bare", action="store_true")
    options = parser.parse_args()
    _instrument()
    if options.bare:
        print(json.dumps({"bare_first_paint_ms": bare()}))
        return
    first = launch(options.library)
    per_list = typing(options.library, options.runs) if options.runs else {}
    print(json.dumps({"first_rows_ms": first, "per_typed_list_ms": per_list}))


if __name__ == "__main__":
    main()
