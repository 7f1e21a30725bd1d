"""User-data store benchmark: one saved change at a heavy user's scale, and opening.

    .venv/bin/python -m bench.bench_userdata                       # 5k tagged, 20k read, 2k notes
    .venv/bin/python -m bench.bench_userdata --tagged 5000 --saves 200

The scale of issue 14: a 100k-paper library with 20k papers read, 2k notes and 5k
tagged papers. Measured, each over ``--saves`` changes (p50 / p95 / max, ms):

* tag (SQLite): ``UserTags.toggle`` on random papers, each one committed transaction;
* read (SQLite): ``ReadingState.set_read`` of one paper;
* note (SQLite): ``ReadingState.set_note`` with a 1-2 kB note (a debounced save);
* tag (JSON): the ``TagStore`` of earlier versions (``tags.json`` rewritten whole) at the
  same tag count, for comparison;
* open: ``open_user_data`` (integrity check included) and the first ``tags_of``.

The goal: a save at most 50 ms at p95 on the shared 2-core machines.
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from browser.tags import TagStore
from browser.userdata import UserData, open_user_data

TAGS = [f"topic {n}" for n in range(40)] + ["to read", "important", "rlhf"]


def percentiles(samples: list[float]) -> str:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return f"p50 {statistics.median(ordered):7.2f}  p95 {p95:7.2f}  max {ordered[-1]:7.2f} ms"


def timed(action: Callable[[], object], count: int) -> list[float]:
    samples = []
    for _ in range(count):
        started = time.perf_counter()
        action()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def fill(
    data: UserData, papers: int, tagged: int, read: int, notes: int, rng: random.Random
) -> None:
    """Tags, read marks and notes at random on ``papers`` made-up ids."""
    ids = [f"hf-{n:016x}" for n in range(papers)]
    data.tags.add_many(
        (paper_id, rng.sample(TAGS, rng.randint(1, 3)), f"Title of {paper_id}")
        for paper_id in rng.sample(ids, tagged)
    )
    data.reading.set_read(rng.sample(ids, read))
    for paper_id in rng.sample(ids, notes):
        data.reading.set_note(paper_id, "A thought about it. " * rng.randint(20, 80))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--papers", type=int, default=100_000)
    parser.add_argument("--tagged", type=int, default=5_000)
    parser.add_argument("--read", type=int, default=20_000)
    parser.add_argument("--notes", type=int, default=2_000)
    parser.add_argument("--saves", type=int, default=200)
    options = parser.parse_args()
    rng = random.Random(14)
    ids = [f"hf-{n:016x}" for n in range(options.papers)]
    with tempfile.TemporaryDirectory(prefix="bench-userdata-") as work:
        folder = Path(work)
        started = time.perf_counter()
        data = open_user_data(folder)
        fill(data, options.papers, options.tagged, options.read, options.notes, rng)
        data.close()
        size_mb = (folder / "userdata.sqlite3").stat().st_size / 1e6
        print(
            f"scale: {options.papers} papers, {options.tagged} tagged, {options.read} read, "
            f"{options.notes} notes; filled in {time.perf_counter() - started:.1f} s, "
            f"{size_mb:.1f} MB"
        )
        opening = timed(lambda: open_user_data(folder).tags.tags_of(ids[0]), 10)
        print(f"open (quick_check included)   {percentiles(opening)}")
        data = open_user_data(folder)
        tag = timed(lambda: data.tags.toggle(rng.choice(ids), rng.choice(TAGS)), options.saves)
        print(f"save: tag toggle (SQLite)     {percentiles(tag)}")
        read = timed(lambda: data.reading.set_read([rng.choice(ids)]), options.saves)
        print(f"save: read mark (SQLite)      {percentiles(read)}")
        text = "Some **Markdown** about the method. " * 40
        note = timed(
            lambda: data.reading.set_note(rng.choice(ids), text + str(rng.random())),
            options.saves,
        )
        print(f"save: 1.5 kB note (SQLite)    {percentiles(note)}")
        lookups = timed(lambda: data.reading.ids_where("read", ""), 20)
        print(f"filter is:read (20k ids)      {percentiles(lookups)}")
        data.close()

        legacy = TagStore(folder / "tags-legacy.json")
        legacy.add_many(
            (paper_id, rng.sample(TAGS, rng.randint(1, 3)), f"Title of {paper_id}")
            for paper_id in rng.sample(ids, options.tagged)
        )
        json_saves = timed(
            lambda: legacy.toggle(rng.choice(ids), rng.choice(TAGS)), min(options.saves, 60)
        )
        print(f"save: tag toggle (tags.json)  {percentiles(json_saves)}")


if __name__ == "__main__":
    main()
