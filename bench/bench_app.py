"""App benchmark: launch to first results painted, and keystroke to results painted.

    .venv/bin/python -m bench.bench_app --sizes 1000 100000 --runs 5

For each size a library is built once (synthetic corpus from bench/corpus.py, cached
under --work). Then, headless at 120x40:

* launch: a fresh process launches the app as ``paper-browser app`` does and runs it
  until the first answer has been painted, then quits as the user does; measured from
  process spawn (so Python start and imports count), median over --runs processes.
  "first results": the first rows painted, which after a session that quit on a settled
  list are the rows it kept (``browser.first_screen``: painted before the library is
  opened; one unmeasured launch keeps the first); "first answer": the first search's
  list painted; "without kept screen": the launch with no kept screen (services opened
  first, as every launch did before 2026-12-07, whose "launch" figure it continues).
  CPU: ``time.process_time()`` of the process then (all threads, Python start included).
  Beside it, the floor: a bare Textual app's first paint (``bench.bare_app``) and
  Python's start with ``import textual.app`` alone, which no Textual app can go under.
* keystroke: in one running app, the last letter of a query is pressed and the clock
  stops when results for the full query are painted. "typed" includes the debounce
  (since 2026-12-07 none for a key after a pause, as this one is; 100 ms in a burst)
  and the time-budgeted pass; "settled" is the full search that follows a cut-short
  pass; "final" is the list that stays (the typing pass when it was final, else the
  settled one), and "as-you-type final in one pass" counts the keystrokes whose
  typing pass needed no second search; "enter" is Enter on a query (no debounce).
  Medians over queries x runs. "UI thread CPU" is ``time.thread_time()`` of the app's
  thread (not the search worker's) from the key to the final list painted: what the
  app's handling and painting cost, which a shared machine changes less than the wall.

"Painted" means the app's screen has refreshed after the result message was handled
(``call_after_refresh``), not merely that the search returned.

Recorded 2026-11-23, 2 cores shared with other jobs (load 3-5), 120x40, medians:

    papers   launch   keystroke (typed)   full after cut-short   Enter
    1k       745 ms   243 ms (0/25 cut)   -                      206 ms
    100k    1645 ms   305 ms (13/15 cut)  965 ms                 403 ms

"keystroke" includes the 150 ms debounce; "full after cut-short" includes the 350 ms
settle wait. Building the 100k library (sync, procs=2) took 992 s under that load.
"""

from __future__ import annotations

import argparse
import asyncio
import compileall
import datetime as dt
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

# Light at the top (the launch worker is timed from its process' start, imports and all):
# the app module and the kept first screen; the services and the corpus where needed.
from browser.app.main import PaperBrowserApp
from browser.config import AppConfig
from browser.first_screen import discard_first_screen, load_first_screen

if TYPE_CHECKING:
    from browser.app.messages import SearchCompleted
    from browser.services import Services

QUERIES = ("diffusion", "reinforcement learning", "video generation", "language model", "robot")
SIZE = (120, 40)


class TimedApp(PaperBrowserApp):
    """Records when each result list has been painted, and the first rows (a kept first
    screen's, or the first answer's) with their CPU time."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.painted: list[tuple[float, str, bool]] = []  # (time, query, partial)
        self.first_rows: tuple[float, float] | None = None  # (perf_counter, process_time)

    def on_mount(self) -> None:
        # Runs before the app's own on_mount (Textual walks the MRO).
        self.call_after_refresh(self._first_rows_painted)

    def _first_rows_painted(self) -> None:
        table = self.table
        if self.first_rows is None and table.row_count and table.size.width:
            self.first_rows = (time.perf_counter(), time.process_time())
        elif self.first_rows is None:
            # Looked at again shortly, not after the next refresh: a callback that
            # re-arms itself after every refresh keeps the app from ever being idle, and
            # without a kept first screen the first answer then took seconds to paint (at
            # 1k papers 4.5 s, or never within 60 s: the "hangs" of 2026-12-07).
            self.set_timer(0.002, self._first_rows_painted)

    def on_search_completed(self, message: SearchCompleted) -> None:
        # Runs before the app's own handler (Textual walks the MRO); the callback runs
        # after the refresh that follows both.
        if message.request.generation == self.session.generation:
            result = message.result
            self.call_after_refresh(
                lambda: self.painted.append((time.perf_counter(), result.query, result.partial))
            )


def build_library(size: int, work: Path) -> Path:
    from bench.corpus import generate_papers, load_seeds, write_corpus
    from browser.services import open_services

    library = work / f"app-library-{size}"
    done = library / "built"
    if done.exists():
        return library
    papers = list(generate_papers(size, seed=size, seeds=load_seeds()))
    dumps = write_corpus(papers, work / f"app-dumps-{size}", first_day=dt.date(2024, 1, 1))
    services = open_services(library)
    started = time.perf_counter()
    services.sync(dumps, procs=2)
    services.close()
    print(f"  built {size} papers in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    done.write_text("ok")
    return library


async def _wait(app: TimedApp, condition: Any, timeout: float = 60.0) -> None:
    deadline = time.perf_counter() + timeout
    cpu_then = time.process_time()
    while not condition():
        if time.perf_counter() > deadline:
            # A starved process looks hung: under `nice` beside busy processes on 2
            # cores this one got about a tenth of a core (2026-12-07, every keystroke run
            # timed out; all threads dumped showed rendering and idle workers, no lock).
            used = time.process_time() - cpu_then
            verdict = "starved by other processes?" if used < timeout / 4 else "busy"
            load = " ".join(f"{x:.1f}" for x in os.getloadavg())
            raise TimeoutError(
                f"results were not painted within {timeout:.0f} s, in which this process"
                f" ran {used:.1f} s of CPU ({verdict} load average {load})"
            )
        await asyncio.sleep(0.002)


def _open(library: Path) -> Services:
    from browser.services import open_services

    return open_services(library)


async def launch_worker(library: Path, kept: bool) -> dict[str, Any]:
    """Launch as ``paper-browser app`` does (``browser.cli.app``): over the first screen
    the last session kept if ``kept`` and it is still true, else with the services opened
    first. Runs until the first answer is painted, then quits as the user does (which
    keeps the first screen for the next launch). Returns the wall-clock times (and CPU
    seconds of this process) when the first rows and the first answer were painted."""
    first_screen = load_first_screen(library) if kept else None
    if not kept:
        discard_first_screen(library)
    services = None if first_screen is not None else _open(library)
    # As ``run_app`` starts it (the heap set aside after the first list, ``browser.heap``).
    app = TimedApp(
        services,
        config=AppConfig(),
        sample_dumps=Path("/nonexistent"),
        set_aside_heap=True,
        first_screen=first_screen,
        open_library=lambda: _open(library),
    )
    async with app.run_test(size=SIZE):
        await _wait(app, lambda: bool(app.painted) and app.first_rows is not None)
        answer_cpu = time.process_time()
        now_wall, now = time.time(), time.perf_counter()
        await app.action_quit()
    assert app.first_rows is not None
    opened = services or (app.first_paint.wait() if app.first_paint else None)
    assert opened is not None
    from browser.app.first_paint import keep_first_screen

    keep_first_screen(app.kept_screen, library)  # as run_app does after the app
    opened.close()
    return {
        "kept": first_screen is not None,
        "first_rows": now_wall - (now - app.first_rows[0]),
        "first_rows_cpu": app.first_rows[1],
        "answer": now_wall - (now - app.painted[0][0]),
        "answer_cpu": answer_cpu,
    }


async def keystroke_runs(library: Path, runs: int) -> dict[str, list[float]]:
    services = _open(library)
    # As ``run_app`` starts it (the heap set aside after the first list, ``browser.heap``).
    app = TimedApp(
        services, config=AppConfig(), sample_dumps=Path("/nonexistent"), set_aside_heap=True
    )
    timings: dict[str, list[float]] = {
        "typed": [],
        "settled": [],
        "final": [],
        "final_ui_cpu": [],
        "enter": [],
    }
    async with app.run_test(size=SIZE) as pilot:
        await _wait(app, lambda: bool(app.painted))
        for _ in range(runs):
            for query in QUERIES:
                # As you type: everything but the last letter is already there.
                app.search_bar.value = query[:-1]
                app.search_bar.cursor_position = len(query) - 1
                await pilot.pause(0.3)
                app.painted.clear()
                started, ui_cpu = time.perf_counter(), time.thread_time()
                await pilot.press(query[-1])
                await _wait(app, lambda q=query: any(p[1] == q for p in app.painted))
                first = next(p for p in app.painted if p[1] == query)
                timings["typed"].append(first[0] - started)
                if first[2]:  # cut short by the budget: the full search follows
                    await _wait(
                        app, lambda q=query: any(p[1] == q and not p[2] for p in app.painted)
                    )
                    full = next(p for p in app.painted if p[1] == query and not p[2])
                    timings["settled"].append(full[0] - started)
                # Keystroke to the list that stays: the typing pass when it was final.
                timings["final"].append((full[0] if first[2] else first[0]) - started)
                # CPU of this thread (the app's: the search runs in a worker thread) from
                # the key to the final list painted, the bench's own polling included.
                timings["final_ui_cpu"].append(time.thread_time() - ui_cpu)
                # Enter: the same query searched at once, without a budget.
                await pilot.pause(0.5)
                app.painted.clear()
                started = time.perf_counter()
                await pilot.press("enter")
                await _wait(app, lambda: bool(app.painted))
                timings["enter"].append(app.painted[0][0] - started)
                await pilot.press("slash")
    services.close()
    return timings


def measure_launch(
    library: Path, runs: int, *, kept: bool, bare: bool = False
) -> dict[str, list[float]]:
    """Seconds from process spawn to the first rows and to the first answer painted, and
    CPU seconds then, per run; ``kept``: over the first screen the run before kept (one
    unmeasured launch first keeps one), else without one (the launch of main before).
    ``bare``: each run also launches the bare Textual app (``bench.bare_app``), alternating."""
    found: dict[str, list[float]] = {key: [] for key in (*LAUNCH_FIGURES, "bare", "bare_cpu")}
    for run in range(runs + (1 if kept else 0)):
        if bare and (run > 0 or not kept):
            spawned = time.time()
            command = [sys.executable, "-m", "bench.bare_app"]
            done = subprocess.run(
                command, capture_output=True, text=True, check=True, env=installed_env()
            )
            report = json.loads(done.stdout.strip().splitlines()[-1])
            found["bare"].append(report["first_rows"] - spawned)
            found["bare_cpu"].append(report["first_rows_cpu"])
        spawned = time.time()
        command = [sys.executable, "-m", "bench.bench_app", "--launch-worker", str(library)]
        done = subprocess.run(
            [*command, *(["--kept"] if kept else [])],
            capture_output=True,
            text=True,
            env=installed_env(),
        )
        if done.returncode != 0:
            raise SystemExit(f"launch worker failed ({done.returncode}):\n{done.stderr}")
        report = json.loads(done.stdout.strip().splitlines()[-1])
        if kept and not report["kept"]:
            if run == 0:
                continue  # the launch that keeps the first one
            raise SystemExit("the launch found no kept first screen")
        found["first_rows"].append(report["first_rows"] - spawned)
        found["answer"].append(report["answer"] - spawned)
        found["first_rows_cpu"].append(report["first_rows_cpu"])
        found["answer_cpu"].append(report["answer_cpu"])
    return found


LAUNCH_FIGURES = ("first_rows", "answer", "first_rows_cpu", "answer_cpu")


def installed_env(tree: Path | None = None) -> dict[str, str]:
    """The environment for a measured launch: bytecode caches read and written, as an
    installed copy runs (pip compiles at install; a first run writes the caches), and
    ``tree`` (a source tree to run) first on ``PYTHONPATH`` when given.

    Until 2026-12-08 the launches inherited ``PYTHONDONTWRITEBYTECODE=1`` from this
    machine's environment, and a tree exported with ``git archive`` has no caches: every
    launch compiled the app's modules from source, 0.2 s of CPU the bare Textual app
    (whose installed modules are compiled) never paid."""
    env = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
    if tree is not None:
        env["PYTHONPATH"] = str(tree)
    return env


def compile_sources(tree: Path) -> None:
    """Writes the bytecode caches of ``tree``'s ``browser`` and ``bench`` packages, so
    that no measured launch compiles them."""
    for package in ("browser", "bench"):
        compileall.compile_dir(tree / package, quiet=1)


def measure_textual_import(runs: int) -> list[float]:
    """Seconds from spawn to exit of ``python -c "import textual.app"``, per run: the part
    of any Textual app's launch that no app can shorten (Python's start and Textual's
    imports), the floor under the bare app's first paint."""
    found = []
    for _ in range(runs):
        spawned = time.time()
        command = [sys.executable, "-c", "import textual.app"]
        subprocess.run(command, check=True, env=installed_env())
        found.append(time.time() - spawned)
    return found


def ms(values: list[float]) -> str:
    return f"{statistics.median(values) * 1000:.0f} ms" if values else "n/a"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 100_000])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--work", type=Path, default=Path("/tmp/paper-browser-bench-app"))
    parser.add_argument(
        "--no-kept",
        action="store_true",
        help="measure the launch only without a kept first screen (as before it existed)",
    )
    parser.add_argument("--launch-worker", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--kept", action="store_true", help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.launch_worker:
        print(json.dumps(asyncio.run(launch_worker(options.launch_worker, options.kept))))
        return
    options.work.mkdir(parents=True, exist_ok=True)
    compile_sources(Path.cwd())
    report = {}
    for size in options.sizes:
        print(f"{size} papers", file=sys.stderr)
        library = build_library(size, options.work)
        cold = measure_launch(library, options.runs, kept=False)
        kept = (
            None if options.no_kept else measure_launch(library, options.runs, kept=True, bare=True)
        )
        textual_import = measure_textual_import(options.runs)
        keys = asyncio.run(keystroke_runs(library, options.runs))
        report[size] = {
            "launch_to_first_results": ms((kept or cold)["first_rows"]),
            "launch_to_first_answer": ms((kept or cold)["answer"]),
            "cpu_at_first_results": ms((kept or cold)["first_rows_cpu"]),
            "cpu_at_first_answer": ms((kept or cold)["answer_cpu"]),
            "launch_without_kept_screen (first results = first answer)": ms(cold["answer"]),
            "cpu_without_kept_screen": ms(cold["answer_cpu"]),
            "bare_textual_app_first_paint (alternating with the kept launches)": ms(
                kept["bare"] if kept else []
            ),
            "bare_textual_app_cpu": ms(kept["bare_cpu"] if kept else []),
            "python_start_and_import_textual_app_alone": ms(textual_import),
            "keystroke_to_results (debounced, budgeted)": ms(keys["typed"]),
            "keystroke_to_full_results (when cut short)": ms(keys["settled"]),
            "cut_short": f"{len(keys['settled'])}/{len(keys['typed'])}",
            "as-you-type final in one pass": (
                f"{len(keys['typed']) - len(keys['settled'])}/{len(keys['typed'])}"
            ),
            "keystroke_to_final_results": ms(keys["final"]),
            "ui_thread_cpu_to_final_results": ms(keys["final_ui_cpu"]),
            "enter_to_results": ms(keys["enter"]),
        }
        print(json.dumps({size: report[size]}, indent=2), file=sys.stderr)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
