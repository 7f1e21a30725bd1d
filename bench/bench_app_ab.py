"""Launch A/B at the process level: two source trees and the bare Textual app launched in
turn (the order alternating each round), each until its first rows are painted over a
kept first screen; medians of wall time from spawn and of the process' CPU then.

    .venv/bin/python -m bench.bench_app_ab --library /tmp/paint-ba/app-library-1000 \
        --old /tmp/old-tree --new . --runs 11

Each tree is run with its own ``bench.bench_app --launch-worker`` (``PYTHONPATH`` set to
it) and this interpreter; one unmeasured launch per tree keeps a first screen first.
The library's kept screen is rewritten by every launch: give it a copy.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from bench.bench_app import compile_sources, installed_env


def _launch(tree: Path | None, library: Path) -> tuple[float, float] | None:
    """(wall seconds from spawn, CPU seconds) at the first rows; None if nothing was kept."""
    env = installed_env(tree or Path.cwd())
    if tree is None:
        command = [sys.executable, "-m", "bench.bare_app"]
    else:
        command = [sys.executable, "-m", "bench.bench_app", "--launch-worker", str(library)]
        command.append("--kept")
    spawned = time.time()
    done = subprocess.run(command, capture_output=True, text=True, env=env, cwd=tree, check=True)
    report = json.loads(done.stdout.strip().splitlines()[-1])
    if tree is not None and not report["kept"]:
        return None
    return report["first_rows"] - spawned, report["first_rows_cpu"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--library", type=Path, required=True)
    parser.add_argument("--old", type=Path, required=True)
    parser.add_argument("--new", type=Path, required=True)
    parser.add_argument("--runs", type=int, default=7)
    options = parser.parse_args()
    trees: dict[str, Path | None] = {"old": options.old, "new": options.new, "bare": None}
    compile_sources(options.old)
    compile_sources(options.new)
    for name in ("old", "new"):
        _launch(trees[name], options.library)  # keeps a first screen
    found: dict[str, list[tuple[float, float]]] = {name: [] for name in trees}
    for run in range(options.runs):
        order = ("old", "new", "bare") if run % 2 == 0 else ("new", "old", "bare")
        for name in order:
            measured = _launch(trees[name], options.library)
            if measured is None:
                raise SystemExit(f"{name}: the launch found no kept first screen")
            found[name].append(measured)
    report = {
        name: {
            "wall_ms": round(statistics.median(wall for wall, _ in runs) * 1000),
            "cpu_ms": round(statistics.median(cpu for _, cpu in runs) * 1000),
            "runs": len(runs),
        }
        for name, runs in found.items()
    }
    report["load_average"] = [round(load, 1) for load in os.getloadavg()]  # type: ignore[assignment]
    print(json.dumps(report))


if __name__ == "__main__":
    main()
