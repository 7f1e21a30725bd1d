"""Soak run for issue 6: the hardening tests' faults, many more times, with numbers.

    .venv/bin/python -m bench.soak [--iterations 200] [--app-kills 20] [--big-mb 200]
        [--concurrency-seconds 120] [--fuzz-queries 5000] [--fuzz-papers 20000]
        [--only big,crash,app,concurrency,fuzz] [--work DIR] [--json FILE]

Parts (each prints one summary line and adds to the JSON report):
  big          a folder of bad dumps plus one --big-mb MB dump, indexed by the real
               command; peak RSS of the indexing process (VmHWM)
  crash        --iterations rounds: `index` (with new work, every other one --rebuild)
               and `tag` started together, both SIGKILLed after a random delay; then
               tags complete, no orphan, no stale lock, index whole after the next run
  app          --app-kills rounds: the real app in tmux, tagging, marking read and
               typing notes, SIGKILLed
  concurrency  two app-like writers (tag toggle + reload + search, notes and read
               marks on papers of their own), a CLI `tag`
               loop, a tmux app tagging and `index` runs, for --concurrency-seconds
  fuzz         --fuzz-queries random queries at PaperIndex.search(time_budget_ms=60)
               over --fuzz-papers papers: every call returns; latency max/p99

Uses the same helpers as the tests (tests/hardening.py), so a fault the tests inject
a few times is exactly what the soak injects many times.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))

from conftest import dump_text  # noqa: E402  (tests/ is on the path now)
from hardening import (  # noqa: E402
    COMMAND,
    Tmux,
    alive,
    app_command,
    assert_no_traceback,
    check_library_after_crash,
    crash_index_once,
    environment_for,
    make_bad_folder,
    papers_for_round,
    random_query,
    run_command,
    tagged_on_disk,
    user_rows,
    wait_until,
    write_big_dump,
    write_hostile_dumps,
)

from bench.peak_memory import PEAK_RSS_MIB_PROBE, peak_rss_mib  # noqa: E402

RANGE_PIECES = ["abstract:[a TO z]", "title:>m", "nosuchfield:>2", "text:[a TO]", "comments:>2"]
PARTS = ("big", "crash", "app", "concurrency", "fuzz")
# The app's typing budget (browser.app.TYPING_BUDGET_MS).
FUZZ_BUDGET_MS = 60.0


def log(message: str) -> None:
    print(message, flush=True)


# ---------------------------------------------------------------- big dump, bad folder


def soak_big(work: Path, megabytes: int, unique: int) -> dict[str, Any]:
    folder = make_bad_folder(work / "bad-dumps")
    (folder.root / folder.unreadable).unlink()  # the patched faults run in the tests
    (folder.root / folder.vanishing).unlink()
    started = time.monotonic()
    big_papers = write_big_dump(folder.root / "big.txt", megabytes, unique=unique)
    size_mb = (folder.root / "big.txt").stat().st_size / 2**20
    log(f"big: wrote a {size_mb:.0f} MB dump in {time.monotonic() - started:.1f} s")
    library = work / "big-library"
    probe = PEAK_RSS_MIB_PROBE + (
        "import resource\n"
        "from browser.cli import main\n"
        "status = main(sys.argv[1:])\n"
        "peak = round(peak_rss_mib())\n"
        "children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024\n"
        "print('peak-rss-mb', peak, children, file=sys.stderr)\n"
        "sys.exit(status)\n"
    )
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-c", probe, "index", str(folder.root)],
        capture_output=True,
        text=True,
        env=environment_for(library),
    )
    seconds = time.monotonic() - started
    assert_no_traceback(done.stdout, done.stderr)
    assert done.returncode == 0, done.stderr[-2000:]
    line = next(x for x in done.stderr.splitlines() if x.startswith("peak-rss-mb"))
    peak, children = (int(value) for value in line.split()[1:])
    listed = run_command("search", "", "--json", "--limit", "1000000", library=library)
    titles = {hit["title"] for hit in json.loads(listed.stdout)}
    good = set(folder.good_titles) | {paper.title for paper in big_papers}
    assert titles == good, (len(titles), len(good))
    reported = [
        name for name in folder.bad_files if name in done.stderr and name not in ("noperm.txt",)
    ]
    result = {
        "dump_mb": round(size_mb),
        "unique_papers_in_dump": unique,
        "indexed_papers": len(titles),
        "bad_files_reported": sorted(reported),
        "seconds": round(seconds, 1),
        "peak_rss_mb": peak,
        "peak_rss_build_workers_mb": children,
    }
    log(f"big: {result}")
    shutil.rmtree(library, ignore_errors=True)
    (folder.root / "big.txt").unlink()
    return result


# ---------------------------------------------------------------- SIGKILL of index + tag


def _base_library(work: Path, name: str, papers: int = 400) -> tuple[Path, Path, str]:
    dumps = work / f"{name}-dumps"
    dumps.mkdir(parents=True, exist_ok=True)
    (dumps / "base.txt").write_text(dump_text(papers_for_round(9999, papers)), encoding="utf-8")
    library = work / f"{name}-library"
    done = run_command("index", str(dumps), library=library)
    assert done.returncode == 0, done.stderr
    listed = run_command("search", "", "--json", "--limit", "1", library=library)
    return library, dumps, json.loads(listed.stdout)[0]["id"]


def soak_crash(work: Path, iterations: int, seed: int) -> dict[str, Any]:
    library, dumps, paper_id = _base_library(work, "crash")
    rng = random.Random(seed)
    saved: set[str] = set()
    records = []
    failures: list[str] = []
    # The kill must land while the run is alive: runs got faster (an unchanged library
    # takes ~0.3 s), and a fixed 0.02-2.5 s window killed only one round in five. The
    # window follows how long the last complete run took.
    lifetime = 1.0
    for round_number in range(iterations):
        delay = rng.uniform(0.02, max(0.2, lifetime))
        try:
            record = crash_index_once(
                library,
                dumps,
                round_number,
                delay,
                paper_id=paper_id,
                saved_tags=saved,
                papers_per_round=rng.choice([20, 150, 600]),
                rebuild=round_number % 2 == 1,
            )
        except AssertionError as error:
            failures.append(f"round {round_number} (delay {delay:.2f} s): {error}"[:800])
            log(f"crash: FAILED {failures[-1]}")
            continue
        records.append(record)
        lifetime = record.next_run_seconds
        if (round_number + 1) % 10 == 0:
            log(f"crash: {round_number + 1}/{iterations} rounds")
        if round_number % 25 == 24:
            # Keep the library from growing without end: drop old rounds' dumps.
            for old in sorted(dumps.glob("round-*.txt"))[:-5]:
                old.unlink()
    result = {
        "rounds": iterations,
        "failures": failures,
        "index_killed": sum(r.index_killed for r in records),
        "index_killed_during_parallel_build": sum(
            r.index_killed and r.workers_at_kill > 0 for r in records
        ),
        "tag_killed": sum(r.tagger_killed for r in records),
        "tags_saved_and_checked": len(saved),
        "orphan_workers": sum(len(r.orphans) for r in records),
        "index_found_broken_and_rebuilt": sum(r.index_state != "opened" for r in records),
        "next_run_max_seconds": round(max((r.next_run_seconds for r in records), default=0), 1),
    }
    log(f"crash: {result}")
    return result


# ---------------------------------------------------------------- SIGKILL of the app


def soak_app(work: Path, kills: int, seed: int) -> dict[str, Any]:
    if shutil.which("tmux") is None:
        return {"skipped": "tmux is not installed"}
    library, dumps, paper_id = _base_library(work, "app")
    rng = random.Random(seed)
    failures: list[str] = []
    tags_checked = 0
    notes_checked = 0
    config = work / "app-config.toml"
    for round_number in range(kills):
        (dumps / f"launch-{round_number}.txt").write_text(
            dump_text(papers_for_round(10_000 + round_number, rng.choice([0, 50, 300]))),
            encoding="utf-8",
        )
        # Quick tags new in every round: each key press adds a tag (moving down a row
        # after each), so every state seen on disk must still be there after the kill.
        quick = [f"r{round_number} {letter}" for letter in "abc"]
        config.write_text(f"quick_tags = {json.dumps(quick)}\n", encoding="utf-8")
        command = app_command(library, str(dumps), config=config)
        tmux = Tmux(f"pb-soak-{uuid.uuid4().hex[:8]}", command)
        snapshots: list[dict[str, set[str]]] = []
        try:
            screen = tmux.screen
            wait_until(lambda s=screen: "Crash round" in s(), 90, "results", screen)
            pid = tmux.pane_pid()
            tmux.keys("Escape")
            time.sleep(0.5)
            notes_seen: list[dict[str, list[str]]] = []
            reads_seen: list[set[str]] = []
            for _ in range(rng.randint(1, 12)):
                tmux.keys(rng.choice(["1", "2", "3", "r"]))
                time.sleep(rng.uniform(0.0, 0.3))
                snapshots.append(tagged_on_disk(library))
                reads_seen.append(set(user_rows(library, "read", "at")))
                tmux.keys("Down")
            if rng.random() < 0.5:
                # Killed while typing a note: what was saved must never shrink.
                tmux.keys("n")
                time.sleep(0.5)
                for chunk in range(rng.randint(1, 8)):
                    tmux.keys(f" r{round_number}c{chunk}")
                    time.sleep(rng.uniform(0.0, 0.6))
                    notes_seen.append(user_rows(library, "note", "text"))
            time.sleep(rng.uniform(0.0, 0.3))
            os.kill(pid, signal.SIGKILL)
            wait_until(lambda pid=pid: not alive(pid), 10, "the app to die")
            after = tagged_on_disk(library)  # parses, or this raises
            for snapshot in snapshots:
                for saved_id, tags in snapshot.items():
                    assert tags <= after.get(saved_id, set()), (saved_id, tags)
            notes_after = user_rows(library, "note", "text")
            notes_checked += sum(len(seen) for seen in notes_seen)
            for seen in notes_seen:
                for noted_id, (text,) in seen.items():
                    assert notes_after[noted_id][0].startswith(text.rstrip()), (noted_id, text)
            # r toggles, so an earlier mark may be undone on purpose; after the last look
            # only Down, automatic marks and note typing came: nothing may be unmarked.
            if reads_seen:
                lost = reads_seen[-1] - set(user_rows(library, "read", "at"))
                assert not lost, ("read marks lost", sorted(lost))
            tags_checked += sum(len(tags) for tags in (snapshots[-1] if snapshots else {}).values())
            check_library_after_crash(library, dumps, paper_id=paper_id, saved_tags=set())
        except (AssertionError, json.JSONDecodeError) as error:
            failures.append(f"round {round_number}: {error}"[:800])
            log(f"app: FAILED {failures[-1]}")
        finally:
            tmux.close()
        if (round_number + 1) % 5 == 0:
            log(f"app: {round_number + 1}/{kills} kills")
    result = {
        "kills": kills,
        "failures": failures,
        "saved_tags_checked": tags_checked,
        "saved_notes_checked": notes_checked,
    }
    log(f"app: {result}")
    return result


# ---------------------------------------------------------------- concurrency

APP_LIKE_WRITER = """
import json, random, sys, time
from pathlib import Path
from browser.services import open_services

library, name, seconds, ids = Path(sys.argv[1]), sys.argv[2], float(sys.argv[3]), sys.argv[4:]
services = open_services(library)
store = services.tags
final = {}
rng = random.Random(name)
deadline = time.monotonic() + seconds
toggles = 0
# Notes and read marks on this writer's own papers (the other writer has the rest).
mine = ids[0::2] if name.endswith("a") else ids[1::2]
notes, read = {}, set()
while time.monotonic() < deadline:
    paper_id = rng.choice(ids)
    tag = f"{name} {rng.randint(0, 4)}"
    store.reload()
    final[(paper_id, tag)] = store.toggle(paper_id, tag, title="")
    toggles += 1
    noted = rng.choice(mine)
    notes[noted] = f"{name} note {toggles}\\n" * rng.randint(1, 5)
    services.reading.set_note(noted, notes[noted])
    services.reading.set_read([noted])
    read.add(noted)
    services.index.search(rng.choice(["robust", "kill", "crash round"]), limit=20,
                          tags=store, time_budget_ms=60)
print(json.dumps({"toggles": toggles, "final": [[p, t, s] for (p, t), s in final.items()],
                  "notes": notes, "read": sorted(read)}))
services.close()
"""


def soak_concurrency(work: Path, seconds: float, seed: int) -> dict[str, Any]:
    library, dumps, _ = _base_library(work, "concurrency")
    listed = run_command("search", "", "--json", "--limit", "40", library=library)
    ids = [hit["id"] for hit in json.loads(listed.stdout)]
    environment = environment_for(library)
    writers = [
        subprocess.Popen(
            [sys.executable, "-c", APP_LIKE_WRITER, str(library), name, str(seconds), *ids],
            env=environment,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name in ("app-a", "app-b")
    ]
    tmux = None
    if shutil.which("tmux"):
        # The real app toggles its own quick tags; they are left out of the comparison.
        config = work / "concurrency-config.toml"
        config.write_text('quick_tags = ["tmux a", "tmux b"]\n', encoding="utf-8")
        command = app_command(library, config=config)
        tmux = Tmux(f"pb-soak-{uuid.uuid4().hex[:8]}", command)
    rng = random.Random(seed)
    cli_tags: list[tuple[str, str]] = []
    index_runs = 0
    failures: list[str] = []
    app_presses = 0
    deadline = time.monotonic() + seconds
    n = 0
    while time.monotonic() < deadline:
        paper_id, tag = rng.choice(ids), f"cli {n}"
        done = run_command("tag", paper_id, tag, library=library)
        if done.returncode == 0:
            cli_tags.append((paper_id, tag))
        else:
            failures.append(f"cli tag: {done.stderr[-300:]}")
        if n % 10 == 0:
            (dumps / f"during-{n}.txt").write_text(
                dump_text(papers_for_round(20_000 + n, 40)), encoding="utf-8"
            )
            indexed = run_command("index", str(dumps), library=library, timeout=600)
            index_runs += 1
            if indexed.returncode != 0 or "Traceback" in indexed.stderr:
                failures.append(f"index: {indexed.stderr[-300:]}")
        if tmux is not None and n % 3 == 0 and "Crash round" in tmux.screen():
            tmux.keys(rng.choice(["Down", "Down", "1", "2"]))
            app_presses += 1
        n += 1
    toggles = 0
    expected: dict[str, set[str]] = {}
    notes_expected: dict[str, str] = {}
    read_expected: set[str] = set()
    for writer in writers:
        out, err = writer.communicate(timeout=600)
        if writer.returncode != 0:
            failures.append(f"writer: {err[-500:]}")
            continue
        report = json.loads(out)
        toggles += report["toggles"]
        notes_expected.update(report["notes"])
        read_expected.update(report["read"])
        for paper_id, tag, state in report["final"]:
            if state:
                expected.setdefault(paper_id, set()).add(tag)
    for paper_id, tag in cli_tags:
        expected.setdefault(paper_id, set()).add(tag)
    if tmux is not None:
        tmux.keys("q")
        time.sleep(1.0)
        tmux.close()
    on_disk = tagged_on_disk(library)
    on_disk_without_app = {
        paper_id: {tag for tag in tags if not tag.startswith("tmux ")}
        for paper_id, tags in on_disk.items()
    }
    on_disk_without_app = {k: v for k, v in on_disk_without_app.items() if v}
    lost = {
        paper_id: sorted(tags - on_disk_without_app.get(paper_id, set()))
        for paper_id, tags in expected.items()
        if tags - on_disk_without_app.get(paper_id, set())
    }
    extra = {
        paper_id: sorted(tags - expected.get(paper_id, set()))
        for paper_id, tags in on_disk_without_app.items()
        if tags - expected.get(paper_id, set())
    }
    notes_on_disk = {key: value[0] for key, value in user_rows(library, "note", "text").items()}
    lost_notes = sorted(
        paper_id for paper_id, text in notes_expected.items() if notes_on_disk.get(paper_id) != text
    )
    lost_read = sorted(read_expected - set(user_rows(library, "read", "at")))
    try:
        check_library_after_crash(library, dumps, paper_id=ids[0], saved_tags=set())
    except AssertionError as error:
        failures.append(f"final check: {error}"[:800])
    result = {
        "seconds": seconds,
        "notes_written": len(notes_expected),
        "lost_notes": lost_notes,
        "lost_read_marks": lost_read,
        "writer_toggles": toggles,
        "cli_tags": len(cli_tags),
        "index_runs": index_runs,
        "app_key_presses": app_presses,
        "lost_tags": lost,
        "unexpected_tags": extra,
        "failures": failures,
    }
    log(f"concurrency: {result}")
    return result


# ---------------------------------------------------------------- search fuzz latency


def soak_fuzz(work: Path, queries: int, papers: int, seed: int) -> dict[str, Any]:
    sys.path.insert(0, str(REPO))
    from bench.corpus import generate_papers
    from browser.search import PaperIndex
    from browser.services import open_services
    from browser.userdata import open_user_data

    index_dir = work / f"fuzz-index-{papers}"
    started = time.monotonic()
    if not (index_dir / "ready").exists():
        shutil.rmtree(index_dir, ignore_errors=True)
        index = PaperIndex.create(index_dir)
        hostile = open_services(work / "fuzz-hostile")
        hostile.sync(write_hostile_dumps(work / "fuzz-hostile-dumps"))
        hostile_papers = list(hostile.catalog.papers())
        hostile.close()
        index.rebuild([*generate_papers(papers, seed=seed), *hostile_papers], procs=2)
        index.close()
        (index_dir / "ready").write_text("ok")
    build_seconds = time.monotonic() - started
    index = PaperIndex.open(index_dir)
    tags = open_user_data(work / "fuzz-user").tags
    rng = random.Random(seed)
    some = sorted(index.all_ids())[:50]
    tags.add_many([(paper_id, ["to read"], "") for paper_id in some])
    latencies: list[float] = []
    errors = 0
    partial = 0
    exceptions: list[str] = []
    worst: list[tuple[float, str]] = []
    for number in range(queries):
        # Every 50th query adds a range on a text field: the shape that expands to the
        # whole vocabulary (and, on abstract:, raised KeyError).
        query = random_query(rng)
        if number % 50 == 0:
            query += " " + rng.choice(RANGE_PIECES)
        started = time.perf_counter()
        try:
            result = index.search(
                query, limit=200, tags=tags, time_budget_ms=FUZZ_BUDGET_MS, prefix_last_word=True
            )
        except Exception as error:  # the point of the fuzz: there must be none
            exceptions.append(f"{type(error).__name__}: {error} for {query[:80]!r}")
            continue
        elapsed = (time.perf_counter() - started) * 1000
        latencies.append(elapsed)
        worst.append((elapsed, query[:60]))
        errors += result.error is not None
        partial += result.partial
    index.close()
    latencies.sort()
    worst.sort(reverse=True)

    def percentile(p: float) -> float:
        return round(latencies[min(len(latencies) - 1, int(len(latencies) * p))], 1)

    result_report = {
        "papers": papers,
        "index_build_seconds": round(build_seconds, 1),
        "queries": queries,
        "exceptions": exceptions[:20],
        "with_error_note": errors,
        "cut_by_time_budget": partial,
        "over_the_budget": sum(ms > FUZZ_BUDGET_MS for ms in latencies),
        "over_twice_the_budget": sum(ms > 2 * FUZZ_BUDGET_MS for ms in latencies),
        "over_one_second": sum(ms > 1000 for ms in latencies),
        "latency_ms": {
            "median": round(statistics.median(latencies), 1) if latencies else None,
            "p95": percentile(0.95) if latencies else None,
            "p99": percentile(0.99) if latencies else None,
            "max": round(latencies[-1], 1) if latencies else None,
        },
        "slowest": [[round(ms, 1), query] for ms, query in worst[:5]],
    }
    log(f"fuzz: {result_report}")
    return result_report


# ---------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--iterations", type=int, default=200, help="index+tag SIGKILL rounds")
    parser.add_argument("--app-kills", type=int, default=20, help="app SIGKILL rounds (tmux)")
    parser.add_argument("--big-mb", type=int, default=200)
    parser.add_argument("--big-unique", type=int, default=2000, help="distinct papers in it")
    parser.add_argument("--concurrency-seconds", type=float, default=120)
    parser.add_argument("--fuzz-queries", type=int, default=5000)
    parser.add_argument("--fuzz-papers", type=int, default=20000)
    parser.add_argument("--seed", type=int, default=6)
    parser.add_argument("--only", default=",".join(PARTS), help="comma-separated parts")
    parser.add_argument("--work", type=Path, help="scratch folder (default: a temporary one)")
    parser.add_argument("--json", type=Path, help="write the report here")
    options = parser.parse_args(argv)
    if not COMMAND.exists():
        parser.error(f"{COMMAND} is missing: install the package (./dev test does)")
    parts = [part.strip() for part in options.only.split(",") if part.strip()]
    unknown = set(parts) - set(PARTS)
    if unknown:
        parser.error(f"unknown part(s): {', '.join(sorted(unknown))}")
    work = options.work or Path(tempfile.mkdtemp(prefix="pb-soak-"))
    work.mkdir(parents=True, exist_ok=True)
    report: dict[str, Any] = {"work": str(work)}
    started = time.monotonic()
    if "big" in parts:
        report["big"] = soak_big(work, options.big_mb, options.big_unique)
    if "crash" in parts:
        report["crash"] = soak_crash(work, options.iterations, options.seed)
    if "app" in parts:
        report["app"] = soak_app(work, options.app_kills, options.seed)
    if "concurrency" in parts:
        report["concurrency"] = soak_concurrency(work, options.concurrency_seconds, options.seed)
    if "fuzz" in parts:
        report["fuzz"] = soak_fuzz(work, options.fuzz_queries, options.fuzz_papers, options.seed)
    report["seconds"] = round(time.monotonic() - started, 1)
    report["max_rss_mb_soak_process"] = round(peak_rss_mib())
    text = json.dumps(report, indent=2, ensure_ascii=False)
    if options.json:
        options.json.write_text(text + "\n", encoding="utf-8")
    print(text)
    failed = any(
        isinstance(part, dict)
        and (part.get("failures") or part.get("exceptions") or part.get("lost_tags"))
        for part in report.values()
    )
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
