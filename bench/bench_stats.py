"""Stats benchmark: ``Services.stats`` and the stats screen's time to show, at 1k and 100k.

    .venv/bin/python -m bench.bench_stats --sizes 1000 100000 --runs 5
    .venv/bin/python -m bench.bench_stats --library 100000=/path/to/library   # reuse one

Libraries are built once with ``bench_app.build_library`` (synthetic corpus, cached
under --work) unless ``--library SIZE=DIR`` names an existing one. Each size is then
measured in a fresh process:

* facts, cold: the first ``Services.stats()`` after opening, which reads every paper's
  facts from the catalog and counts the whole library (the app's warm-up does both in
  the background after launch);
* stats, warm: ``Services.stats`` per month, week and day for the whole library (since
  2026-12-07b these counts are kept per catalog version: the figure is what the app
  pays, the tags counted on top; ``counting`` is the count itself, ``compute_stats``
  over every paper with the rising terms), and per month for a few queries (their
  matching included), median over --runs;
* screen: headless at 80x24, after the app's background warm-up, ``S`` (its action)
  on the list of every paper, and of SCREEN_QUERY's results. "Show" is key press to
  counts visible: from the action until the first refresh of the screen after it holds
  the counts (its periods, tags, organisations and authors tables filled and shown:
  since 2026-12-07c its ``filled``), as ``call_after_refresh`` reports it. Since then
  the app keeps one stats screen: ``first`` creates it, the other opens reuse it. The
  rising terms are worked out after that and are timed apart ("rising terms"), until
  the refresh after their table is filled.
  ``first`` is the first open in the process (the screen's module imported, nothing
  reused), the others the median over --runs further opens; ``cpu`` is the process's
  CPU time over the same span (both threads), steadier than wall time on a loaded
  machine.

The machine's load average is recorded before and after each size: on a shared machine
the figures are only comparable within one run.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from textual.worker import WorkerCancelled

from bench.bench_app import build_library
from browser.app import PaperBrowserApp
from browser.app.syncing import WARM_STATS_AFTER_SECONDS
from browser.config import AppConfig
from browser.services import open_services
from browser.stats import compute_stats

QUERIES = ("diffusion", "reinforcement learning", "language model")
# The typical search the screen is opened on (thousands of matches at 100k).
SCREEN_QUERY = "diffusion"
SIZE = (80, 24)


def ms(values: list[float]) -> float:
    return round(statistics.median(values) * 1000, 1)


def measure_services(library: Path, runs: int) -> dict[str, Any]:
    services = open_services(library)
    try:
        started = time.perf_counter()
        services.stats()
        cold = time.perf_counter() - started
        figures: dict[str, Any] = {"papers": len(services.index), "cold_first_stats_ms": ms([cold])}
        columns = services._stats().columns()
        for by in ("month", "week", "day"):
            times, counting = [], []
            for _ in range(runs):
                started = time.perf_counter()
                services.stats(by=by)
                times.append(time.perf_counter() - started)
                started = time.perf_counter()
                compute_stats(columns, by=by, terms_of=services._stats().terms_of)
                counting.append(time.perf_counter() - started)
            figures[f"library_per_{by}_ms"] = ms(times)
            figures[f"library_per_{by}_counting_ms"] = ms(counting)
        for query in QUERIES:
            times = []
            for _ in range(runs):
                started = time.perf_counter()
                result = services.stats(query)
                times.append(time.perf_counter() - started)
            figures[f"query {query!r} ({result.papers} papers)_ms"] = ms(times)
    finally:
        services.close()
    return figures


async def measure_screen(library: Path, runs: int) -> dict[str, float]:
    """Median ms from ``S`` to the painted stats screen, per search it is opened on."""
    services = open_services(library)
    app = PaperBrowserApp(services, config=AppConfig(), sample_dumps=Path("/nonexistent"))
    figures: dict[str, float] = {}
    async with app.run_test(size=SIZE) as pilot:
        await _wait(lambda: app.result is not None)
        # The background warm-up, started after a delay, included.
        await pilot.pause(WARM_STATS_AFTER_SECONDS + 0.5)
        await _workers_done(app)
        for query in ("", SCREEN_QUERY):
            app.search_bar.value = query
            app.request_search()
            await _wait(lambda q=query: app.result is not None and app.result.query == q)
            await _workers_done(app)
            times: list[float] = []
            cpu: list[float] = []
            rising: list[float] = []
            for run in range(runs + 1 if not query else runs):
                app.table.focus()
                await pilot.pause(0.2)
                # The key's action itself: Pilot.press also waits for the app to go idle,
                # which the loading indicator's animation delays.
                started, cpu_started = time.perf_counter(), time.process_time()
                app.action_stats()
                shown = await _painted_stats(app) - started
                cpu_shown = time.process_time() - cpu_started
                risen = await _painted_rising_terms(app) - started
                if run == 0 and not query:
                    figures["screen_first_time_to_show ''_ms"] = ms([shown])
                    figures["screen_first_cpu_to_show ''_ms"] = ms([cpu_shown])
                    figures["screen_first_time_to_rising_terms ''_ms"] = ms([risen])
                else:
                    times.append(shown)
                    cpu.append(cpu_shown)
                    rising.append(risen)
                app.screen.dismiss(None)
                await pilot.pause(0.3)
            figures[f"screen_time_to_show {query!r}_ms"] = ms(times)
            figures[f"screen_cpu_to_show {query!r}_ms"] = ms(cpu)
            figures[f"screen_time_to_rising_terms {query!r}_ms"] = ms(rising)
    services.close()
    return figures


async def _painted_stats(app: PaperBrowserApp) -> float:
    """When the stats screen, filled, has been painted (perf_counter seconds)."""
    await _wait(
        lambda: _is_stats_screen(app.screen)
        and getattr(app.screen, "stats", None) is not None
        and getattr(app.screen, "filled", True)
    )
    painted: list[float] = []
    app.call_after_refresh(lambda: painted.append(time.perf_counter()))
    await _wait(lambda: bool(painted))
    return painted[0]


async def _painted_rising_terms(app: PaperBrowserApp) -> float:
    """When the rising terms, worked out after the counts, have been painted."""
    screen: Any = app.screen
    assert _is_stats_screen(screen)
    await _wait(lambda: screen.stats is not None and screen.stats.rising_counted)
    painted: list[float] = []
    app.call_after_refresh(lambda: painted.append(time.perf_counter()))
    await _wait(lambda: bool(painted))
    return painted[0]


def _is_stats_screen(screen: Any) -> bool:
    # By name: importing the screen here would take its import out of the first open.
    return type(screen).__name__ == "StatsScreen"


async def _workers_done(app: PaperBrowserApp) -> None:
    """Every worker finished. A worker cancelled by a newer one of its group (the app's
    searches are exclusive) makes ``wait_for_complete`` raise; it is done all the same."""
    for _ in range(1000):
        try:
            await app.workers.wait_for_complete()
            return
        except WorkerCancelled:
            await asyncio.sleep(0.01)
    raise TimeoutError("workers never finished")


async def _wait(condition: Any, timeout: float = 120.0) -> None:
    deadline = time.perf_counter() + timeout
    while not condition():
        if time.perf_counter() > deadline:
            raise TimeoutError("the stats never showed")
        await asyncio.sleep(0.002)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 100_000])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--work", type=Path, default=Path("/tmp/paper-browser-bench-app"))
    parser.add_argument("--library", action="append", default=[], metavar="SIZE=DIR")
    parser.add_argument("--worker", nargs=2, metavar=("LIBRARY", "RUNS"), help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.worker:
        library, runs = Path(options.worker[0]), int(options.worker[1])
        figures = measure_services(library, runs)
        figures.update(asyncio.run(measure_screen(library, runs)))
        print(json.dumps(figures))
        return
    pairs = (item.split("=", 1) for item in options.library)
    given = {int(size): Path(path) for size, path in pairs}
    options.work.mkdir(parents=True, exist_ok=True)
    report = {}
    for size in options.sizes:
        library = given.get(size) or build_library(size, options.work)
        # A fresh process per size: "cold" means nothing of the library is in memory yet.
        worker = ["-m", "bench.bench_stats", "--worker", str(library), str(options.runs)]
        load_before = os.getloadavg()[0]
        done = subprocess.run(
            [sys.executable, *worker],
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            raise SystemExit(f"worker failed ({done.returncode}):\n{done.stderr}")
        report[size] = json.loads(done.stdout.strip().splitlines()[-1])
        report[size]["load_average_1min"] = [round(load_before, 1), round(os.getloadavg()[0], 1)]
        print(json.dumps({size: report[size]}, indent=2), file=sys.stderr)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
