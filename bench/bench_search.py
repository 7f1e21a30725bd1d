"""Search benchmark: parse, build, open, query, update and memory at 1k/10k/100k papers.

    .venv/bin/python -m bench.bench_search --sizes 1000 10000 100000
    .venv/bin/python -m bench.bench_search --quick          # 1k only, a few seconds

Every measurement that involves memory or a cold start runs in a fresh subprocess
(``--worker``), which reports JSON on stdout; peak memory is ``VmHWM`` of that
process (and of its children for the two-process build). Latencies are per-query
medians over ``--runs`` passes through a fixed mix of 200 queries, then p50/p95/p99
over the queries. The same documents are measured with a plain Whoosh index (minimal
schema, default settings) and with SQLite FTS5 for comparison.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import math
import os
import random
import re
import resource
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from bench.corpus import generate_papers, load_seeds, write_corpus
from bench.peak_memory import peak_rss_mib
from browser.models import Paper, SortOrder
from browser.search_session import PAGE_SIZE, TYPING_BUDGET_MS, TYPING_PAGE_SIZE

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "results"
# What the app asks (``browser.search_session``): the as-you-type pass gets its time
# budget (60 ms; this bench used 50 ms until 2026-12-07) and a first page of
# TYPING_PAGE_SIZE hits (``--typing-limit``; 200 until 2026-12-07), the settled search
# no budget and LIMIT hits. Every engine gets the same limits.
LIMIT = PAGE_SIZE
INCREMENT = 100

Query = dict[str, Any]  # {"category", "text", "sort", "typing"}


# --------------------------------------------------------------------------- corpus


def prepare_corpus(size: int, work: Path) -> Path:
    """Dumps, papers.jsonl and an extra 100-paper dump for the incremental test."""
    folder = work / f"corpus-{size}"
    done = folder / "done"
    if done.exists():
        return folder
    shutil.rmtree(folder, ignore_errors=True)
    seeds = load_seeds()
    papers = list(generate_papers(size + INCREMENT, seed=size, seeds=seeds))
    main, extra = papers[:size], papers[size:]
    write_corpus(main, folder / "dumps", first_day=dt.date(2024, 1, 1))
    write_corpus(extra, folder / "extra", first_day=dt.date(2030, 1, 1))
    with (folder / "papers.jsonl").open("w", encoding="utf-8") as out:
        for paper in main:
            out.write(paper.model_dump_json() + "\n")
    with (folder / "extra.jsonl").open("w", encoding="utf-8") as out:
        for paper in extra:
            out.write(paper.model_dump_json() + "\n")
    done.write_text("ok")
    return folder


def read_papers(path: Path) -> Iterator[Paper]:
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            yield Paper.model_validate_json(line)


def make_queries(papers_file: Path, seed: int = 11) -> list[Query]:
    """A fixed mix of 200 queries drawn from the corpus' own titles."""
    rng = random.Random(seed)
    titles = []
    for number, paper in enumerate(read_papers(papers_file)):
        if number % 7 == 0:
            titles.append(paper.title)
        if len(titles) >= 3000:
            break
    words_of = [[w for w in re.findall(r"[A-Za-z]+", title) if len(w) >= 4] for title in titles]
    words_of = [w for w in words_of if len(w) >= 3]

    def words(count: int) -> list[str]:
        chosen = rng.choice(words_of)
        start = rng.randint(0, len(chosen) - count)
        return [w.lower() for w in chosen[start : start + count]]

    def typo(word: str) -> str:
        i = rng.randint(1, len(word) - 2)
        return (
            word[:i] + word[i + 1] + word[i] + word[i + 2 :]
            if rng.random() < 0.5
            else (word[:i] + word[i + 1 :])
        )

    queries: list[Query] = []

    def add(category: str, text: str, sort: SortOrder = "relevance", typing: bool = False) -> None:
        queries.append({"category": category, "text": text, "sort": sort, "typing": typing})

    # As you type: keystroke states, the last word cut short (some with an earlier typo).
    for number in range(100):
        phrase = words(rng.randint(1, 3))
        last = phrase[-1]
        phrase[-1] = last[: rng.randint(2, len(last))]
        if number % 7 == 0 and len(phrase) > 1 and len(phrase[0]) > 4:
            phrase[0] = typo(phrase[0])
        add("typing", " ".join(phrase), typing=True)
    for _ in range(20):
        add("terms", " ".join(words(rng.randint(1, 2))))
    for _ in range(10):
        add("phrase", '"' + " ".join(words(2)) + '"')
    for _ in range(15):
        pair = words(2)
        longest = max(pair, key=len)
        add("typo", " ".join(typo(w) if w == longest else w for w in pair))
    for _ in range(5):
        add("fields", f"title:{words(1)[0]}")
        add("fields", f"abstract:{words(1)[0]}")
        add("fields", f"title:{words(1)[0]} abstract:{words(1)[0]}")
    for query in ("year:2024", "date:[2024-01 TO 2024-06]", "comments:>2", "authors:>10"):
        add("ranges", query)
    for _ in range(11):
        add("ranges", f"{words(1)[0]} " + rng.choice(["year:2023", "comments:>3", "date:2025-03"]))
    for number in range(15):
        sort: SortOrder = ("newest", "comments", "title")[number % 3]
        add("sorted", "" if number == 0 else words(1)[0], sort=sort)
    for _ in range(5):
        add("wildcard", words(1)[0][:5] + "*")
        pair = words(2)
        add("wildcard", f"{pair[0]} NOT {pair[1]}")
    return queries


# --------------------------------------------------------------------------- workers


def peak_mib(include_children: bool = False) -> float:
    peak = peak_rss_mib()
    if include_children:
        # The build's workers are forked, not exec'd: their own high-water marks.
        peak = max(peak, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024)
    return peak


def worker_parse(args: argparse.Namespace) -> dict[str, Any]:
    from browser.parse import bulk_parsing, parse_file

    paths = sorted(Path(args.corpus, "dumps").glob("*.txt"))
    size = sum(p.stat().st_size for p in paths)
    started = time.perf_counter()
    with bulk_parsing():  # as `paper-browser index` parses
        records = sum(len(parse_file(p).records) for p in paths)
    seconds = time.perf_counter() - started
    return {"mb_per_s": size / 1e6 / seconds, "records": records, "mb": size / 1e6}


def worker_build(args: argparse.Namespace) -> dict[str, Any]:
    from browser.search import PaperIndex

    index = PaperIndex.create(Path(args.index))
    started = time.perf_counter()
    cpu_started = cpu_seconds()
    index.rebuild(read_papers(Path(args.corpus, "papers.jsonl")), procs=args.procs)
    seconds = time.perf_counter() - started
    cpu = cpu_seconds() - cpu_started
    count = len(index)
    index.close()
    peak = peak_mib(include_children=True)
    return {"seconds": seconds, "cpu_seconds": cpu, "papers": count, "peak_mib": peak}


def cpu_seconds() -> float:
    """CPU time of this process and of its children waited for (the build's workers):
    on a shared machine the wall time says how busy it was, this what the build cost."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def limit_of(query: Query, typing_limit: int) -> int:
    """The hits asked for: a first page while typing, a whole page when settled."""
    return typing_limit if query["typing"] else LIMIT


def worker_open(args: argparse.Namespace) -> dict[str, Any]:
    from browser.search import PaperIndex

    started = time.perf_counter()
    index = PaperIndex.open(Path(args.index))
    opened = time.perf_counter()
    index.search("learning", limit=LIMIT, prefix_last_word=False)
    first = time.perf_counter()
    return {"open_ms": (opened - started) * 1000, "first_query_ms": (first - opened) * 1000}


def worker_queries(args: argparse.Namespace) -> dict[str, Any]:
    from browser.heap import set_aside_startup_heap
    from browser.search import PaperIndex

    queries = json.loads(Path(args.queries).read_text())
    index = PaperIndex.open(Path(args.index))
    # As the app does once its first list is shown (``browser.heap``): the start-up heap
    # is left out of later garbage collections.
    set_aside_startup_heap()
    timings: list[list[float]] = [[] for _ in queries]
    cpu: list[list[float]] = [[] for _ in queries]
    agree = 0
    typing_total = 0
    partial = 0
    for run in range(args.runs):
        # Each pass starts with cold prefix and paper caches, as a new typing session
        # would; what is computed once per commit (vocabulary, sort orders) stays.
        index._forget_session_caches()
        for number, query in enumerate(queries):
            budget = TYPING_BUDGET_MS if query["typing"] else None
            started, started_cpu = time.perf_counter(), time.process_time()
            result = index.search(
                query["text"],
                sort=query["sort"],
                limit=limit_of(query, args.typing_limit),
                time_budget_ms=budget,
                # As the app reads them: the typing pass's last word is a prefix, a
                # settled query (Enter, the CLI) is whole words.
                prefix_last_word=query["typing"],
            )
            timings[number].append((time.perf_counter() - started) * 1000)
            cpu[number].append((time.process_time() - started_cpu) * 1000)
            if run == 0 and query["typing"]:
                typing_total += 1
                partial += result.partial
                # The same words without a budget: what the typing pass should find.
                settled = index.search(
                    query["text"], sort=query["sort"], limit=LIMIT, prefix_last_word=True
                )
                top = [hit.paper.id for hit in result.hits[:10]]
                agree += top == [hit.paper.id for hit in settled.hits[:10]]
    return {
        "ms": [statistics.median(t) for t in timings],
        "cpu_ms": [statistics.median(t) for t in cpu],
        "typing_top10_same": agree / max(1, typing_total),
        "typing_partial": partial / max(1, typing_total),
        **typed_key_by_key(index, [q for q in queries if q["typing"]], args.typing_limit),
        "peak_mib": peak_mib(),
    }


def typed_key_by_key(index: Any, queries: list[Query], typing_limit: int) -> dict[str, float]:
    """The keystroke states as the app meets them: each typed key by key into an empty
    bar (a new typing session: ``_forget_session_caches``), every key's typing pass run
    with the app's budget and page, as when keys come slower than the debounce (0.1 s),
    each pass keeping what it scored for the next (``search/kept.py``). No settled search
    runs between keys (the next key cancels it in the app), and nothing is shared between
    queries. Only the last key's pass is judged, as the single-state figures are."""
    final = agree = 0
    for query in queries:
        text = query["text"]
        index._forget_session_caches()
        for end in range(1, len(text) + 1):
            result = index.search(
                text[:end],
                sort=query["sort"],
                limit=typing_limit,
                time_budget_ms=TYPING_BUDGET_MS,
                prefix_last_word=True,
            )
        settled = index.search(text, sort=query["sort"], limit=LIMIT, prefix_last_word=True)
        final += not result.partial
        top = [hit.paper.id for hit in result.hits[:10]]
        agree += top == [hit.paper.id for hit in settled.hits[:10]]
    return {
        "keyed_final": final / max(1, len(queries)),
        "keyed_top10_same": agree / max(1, len(queries)),
    }


def worker_update(args: argparse.Namespace) -> dict[str, Any]:
    from browser.search import PaperIndex

    copy = Path(tempfile.mkdtemp(prefix="bench-update-"))
    try:
        shutil.copytree(args.index, copy, dirs_exist_ok=True)
        papers = list(read_papers(Path(args.corpus, "extra.jsonl")))
        index = PaperIndex.open(copy)
        started = time.perf_counter()
        index.update(papers)
        seconds = time.perf_counter() - started
        found = index.search(papers[0].title, limit=5, prefix_last_word=False).total
        index.close()
        return {"seconds": seconds, "new_paper_found": found > 0}
    finally:
        shutil.rmtree(copy, ignore_errors=True)


def worker_baseline_build(args: argparse.Namespace) -> dict[str, Any]:
    from whoosh import index as windex
    from whoosh.fields import ID, TEXT, Schema

    folder = Path(args.index)
    folder.mkdir(parents=True, exist_ok=True)
    schema = Schema(
        id=ID(stored=True, unique=True), title=TEXT(stored=True), abstract=TEXT(stored=True)
    )
    ix = windex.create_in(str(folder), schema)
    started = time.perf_counter()
    with ix.writer() as writer:
        for paper in read_papers(Path(args.corpus, "papers.jsonl")):
            writer.add_document(id=paper.id, title=paper.title, abstract=paper.abstract)
    seconds = time.perf_counter() - started
    return {"seconds": seconds, "peak_mib": peak_mib()}


def worker_baseline_queries(args: argparse.Namespace) -> dict[str, Any]:
    from whoosh import index as windex
    from whoosh.qparser import MultifieldParser

    queries = json.loads(Path(args.queries).read_text())
    ix = windex.open_dir(args.index)
    parser = MultifieldParser(["title", "abstract"], ix.schema)
    timings: list[list[float]] = [[] for _ in queries]
    # Plain prefix queries take seconds each on big corpora: sample every 5th query there.
    step = 5 if ix.doc_count() > 50_000 else 1
    with ix.searcher() as searcher:
        for _ in range(args.runs):
            for number, query in enumerate(queries):
                if number % step:
                    continue
                text = query["text"] + ("*" if query["typing"] else "")
                started = time.perf_counter()
                limit = limit_of(query, args.typing_limit)
                results = searcher.search(parser.parse(text), limit=limit)
                for hit in results:
                    hit.fields()
                timings[number].append((time.perf_counter() - started) * 1000)
    return {
        "ms": [statistics.median(t) if t else None for t in timings],
        "peak_mib": peak_mib(),
        "sampled": step,
    }


def fts_match(query: Query) -> str | None:
    """The query in FTS5 syntax (ranges have no equivalent and are dropped)."""
    text = re.sub(r"\b(year|date|comments|authors):\S+", " ", query["text"])
    text = re.sub(r"\[[^\]]*\]", " ", text)
    parts = []
    for chunk in re.findall(r'"[^"]*"|\S+', text):
        if chunk in ("AND", "OR", "NOT") or chunk.startswith('"'):
            parts.append(chunk)
            continue
        field, _, word = chunk.rpartition(":")
        star = "*" if word.endswith("*") else ""
        word = re.sub(r"\W", "", word)
        if word:
            parts.append(
                (f"{field}:" if field in ("title", "abstract") else "") + f'"{word}"{star}'
            )
    if query["typing"] and parts and not parts[-1].endswith("*"):
        parts[-1] += "*"
    return " ".join(parts) or None


def worker_fts(args: argparse.Namespace) -> dict[str, Any]:
    queries = json.loads(Path(args.queries).read_text())
    path = Path(args.index)
    path.unlink(missing_ok=True)
    db = sqlite3.connect(path)
    db.execute(
        "CREATE VIRTUAL TABLE papers USING fts5(title, abstract, day UNINDEXED, "
        "comments UNINDEXED, tokenize='porter unicode61 remove_diacritics 2')"
    )
    started = time.perf_counter()
    with db:
        db.executemany(
            "INSERT INTO papers VALUES (?, ?, ?, ?)",
            (
                (p.title, p.abstract, p.date.isoformat() if p.date else "", p.comments or 0)
                for p in read_papers(Path(args.corpus, "papers.jsonl"))
            ),
        )
    build = time.perf_counter() - started
    order = {"relevance": "rank", "newest": "day DESC", "comments": "comments DESC",
             "title": "title"}  # fmt: skip
    timings: list[list[float]] = [[] for _ in queries]
    for _ in range(args.runs):
        for number, query in enumerate(queries):
            match = fts_match(query)
            sort = order[query["sort"]]
            limit = limit_of(query, args.typing_limit)
            started = time.perf_counter()
            if match is None:
                listing = sort.replace("rank", "day DESC")
                sql = f"SELECT rowid, title, abstract FROM papers ORDER BY {listing} LIMIT ?"
                rows = db.execute(sql, (limit,)).fetchall()
            else:
                sql = (
                    "SELECT rowid, title, abstract FROM papers WHERE papers MATCH ? "
                    f"ORDER BY {sort} LIMIT ?"
                )
                try:
                    rows = db.execute(sql, (match, limit)).fetchall()
                except sqlite3.OperationalError:
                    rows = []
            del rows
            timings[number].append((time.perf_counter() - started) * 1000)
    db.close()
    return {"ms": [statistics.median(t) for t in timings], "build_seconds": build}


WORKERS = {
    "parse": worker_parse,
    "build": worker_build,
    "open": worker_open,
    "queries": worker_queries,
    "update": worker_update,
    "baseline-build": worker_baseline_build,
    "baseline-queries": worker_baseline_queries,
    "fts": worker_fts,
}


def run_worker(kind: str, **options: Any) -> dict[str, Any]:
    command = [sys.executable, "-m", "bench.bench_search", "--worker", kind]
    for key, value in options.items():
        command += [f"--{key.replace('_', '-')}", str(value)]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        return {"error": done.stderr.strip().splitlines()[-1] if done.stderr else "failed"}
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


# --------------------------------------------------------------------------- driver


def percentile(values: list[float], fraction: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def latency_rows(
    queries: list[Query], runs: dict[str, list[float | None] | None], ratio: bool = True
) -> list[str]:
    categories = ["typing", "settled", *sorted({q["category"] for q in queries} - {"typing"})]
    header = "| queries | n | " + " | ".join(f"{name} p50/p95/p99 ms" for name in runs)
    header += " | ours/FTS5 p95 |" if ratio else " |"
    lines = [header, "|" + "---|" * (len(runs) + 2 + ratio)]
    for category in categories:
        picked = [
            i
            for i, q in enumerate(queries)
            if (q["category"] == category) or (category == "settled" and not q["typing"])
        ]
        cells = []
        p95: dict[str, float] = {}
        for name, ms in runs.items():
            if ms is None:
                cells.append("n/a")
                continue
            values = [v for i in picked if (v := ms[i]) is not None]
            p95[name] = percentile(values, 0.95)
            cells.append(
                f"{percentile(values, 0.5):.1f} / {p95[name]:.1f} / {percentile(values, 0.99):.1f}"
            )
        row = f"| {category} | {len(picked)} | " + " | ".join(cells) + " |"
        if ratio:
            known = "ours" in p95 and p95.get("FTS5")
            row += f" {p95['ours'] / p95['FTS5']:.2f}x |" if known else " n/a |"
        lines.append(row)
    return lines


def folder_mib(path: Path) -> float:
    if path.is_file():
        return path.stat().st_size / 2**20
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 2**20


MEASURES = ("parse", "build", "open", "latency", "update", "baseline", "fts")
NOT_MEASURED = "not measured in this run"


def cached_run(cache: Path, key: str, make: Any) -> dict[str, Any]:
    """A baseline's result, reused while the corpus and query mix stay the same.

    The baselines do not change with our code, and plain Whoosh's prefix queries take
    seconds each at 100k: measuring them again on every run would dominate its time.
    """
    if cache.exists():
        stored = json.loads(cache.read_text())
        if stored.get("key") == key and "error" not in stored.get("result", {"error": 1}):
            result: dict[str, Any] = stored["result"]
            result["cached"] = True
            return result
    result = make()
    cache.write_text(json.dumps({"key": key, "result": result}))
    return result


def bench_size(
    size: int,
    work: Path,
    runs: int,
    baseline_runs: int,
    procs: int,
    only: set[str],
    typing_limit: int = TYPING_PAGE_SIZE,
) -> list[str]:
    print(f"[{size}] corpus", file=sys.stderr, flush=True)
    corpus = prepare_corpus(size, work)
    queries = make_queries(corpus / "papers.jsonl")
    queries_file = corpus / "queries.json"
    queries_file.write_text(json.dumps(queries))
    key = hashlib.sha256(queries_file.read_bytes()).hexdigest()[:16] + f"-{baseline_runs}"
    # Until 2026-12-07 every query asked for LIMIT hits: such cached baselines are stale.
    key += f"-typing{typing_limit}"
    ours = work / f"index-{size}"
    plain = work / f"baseline-{size}"
    fts = work / f"fts-{size}.sqlite"
    skipped: dict[str, Any] = {"error": NOT_MEASURED}

    parse = skipped
    if "parse" in only:
        print(f"[{size}] parse", file=sys.stderr, flush=True)
        parse = run_worker("parse", corpus=corpus)
    build = skipped
    if "build" in only or not ours.exists():
        print(f"[{size}] build", file=sys.stderr, flush=True)
        shutil.rmtree(ours, ignore_errors=True)
        build = run_worker("build", corpus=corpus, index=ours, procs=procs)
    opens = [run_worker("open", index=ours) for _ in range(5)] if "open" in only else []
    search = skipped
    if "latency" in only:
        print(f"[{size}] queries", file=sys.stderr, flush=True)
        search = run_worker(
            "queries", index=ours, queries=queries_file, runs=runs, typing_limit=typing_limit
        )
    updates = (
        [run_worker("update", index=ours, corpus=corpus) for _ in range(3)]
        if "update" in only
        else []
    )
    base_build: dict[str, Any] = skipped
    base_search: dict[str, Any] = skipped
    if "baseline" in only:
        print(f"[{size}] baseline", file=sys.stderr, flush=True)

        def baseline() -> dict[str, Any]:
            shutil.rmtree(plain, ignore_errors=True)
            made = run_worker("baseline-build", corpus=corpus, index=plain)
            found = run_worker(
                "baseline-queries",
                index=plain,
                queries=queries_file,
                runs=baseline_runs,
                typing_limit=typing_limit,
            )
            return {"build": made, "search": found}

        both = cached_run(work / f"baseline-{size}.json", key, baseline)
        base_build, base_search = both["build"], both["search"]
    fts_run = skipped
    if "fts" in only:
        print(f"[{size}] fts5", file=sys.stderr, flush=True)
        fts_run = cached_run(
            work / f"fts-{size}.json",
            f"{key}-{runs}",
            lambda: run_worker(
                "fts",
                corpus=corpus,
                index=fts,
                queries=queries_file,
                runs=runs,
                typing_limit=typing_limit,
            ),
        )

    def get(result: dict[str, Any], key: str, unit: str) -> str:
        if key in result:
            return f"{result[key]:.1f} {unit}"
        error = result.get("error")
        return "n/a" if error == NOT_MEASURED else f"n/a ({error})"

    def num(value: float, unit: str, spec: str = ".0f") -> str:
        return "n/a" if math.isnan(value) else f"{value:{spec}} {unit}"

    def median(values: list[float]) -> float:
        return statistics.median(values) if values else float("nan")

    papers_per_s = size / build["seconds"] if "seconds" in build else float("nan")
    cpu_ms = 1000 * build["cpu_seconds"] / size if "cpu_seconds" in build else float("nan")
    base_per_s = size / base_build["seconds"] if "seconds" in base_build else float("nan")
    fts_per_s = size / fts_run["build_seconds"] if "build_seconds" in fts_run else float("nan")
    open_ms = median([o["open_ms"] for o in opens if "open_ms" in o])
    first_ms = median([o["first_query_ms"] for o in opens if "first_query_ms" in o])
    update_s = median([u["seconds"] for u in updates if "seconds" in u])
    cached = " (cached)" if base_search.get("cached") else ""
    measures = [
        f"| parse (browser.parse) | {get(parse, 'mb_per_s', 'MB/s')} over {get(parse, 'mb', 'MB')}"
        " | | |",
        f"| index build | {num(papers_per_s, 'papers/s')} (procs={procs}) "
        f"| {num(base_per_s, 'papers/s')} | {num(fts_per_s, 'papers/s')} |",
        f"| index size | {folder_mib(ours):.1f} MiB | "
        + (f"{folder_mib(plain):.1f} MiB" if plain.exists() else "n/a")
        + " | "
        + (f"{folder_mib(fts):.1f} MiB" if fts.exists() else "n/a")
        + " |",
        f"| index build CPU | {num(cpu_ms, 'ms/paper', '.2f')} (all processes) | | |",
        f"| build peak memory | {get(build, 'peak_mib', 'MiB')} "
        f"| {get(base_build, 'peak_mib', 'MiB')} | |",
        f"| cold open (median of 5) | {num(open_ms, 'ms', '.1f')} "
        f"(+ first query {num(first_ms, 'ms', '.1f')}) | | |",
        f"| add a {INCREMENT}-paper dump (median of 3) | {num(update_s * 1000, 'ms')} | | |",
        f"| search process peak memory | {get(search, 'peak_mib', 'MiB')} "
        f"| {get(base_search, 'peak_mib', 'MiB')}{cached} | |",
        f"| as-you-type top-10 same as settled | {search.get('typing_top10_same', 0):.0%} "
        f"(partial with the {TYPING_BUDGET_MS:.0f} ms budget: "
        f"{search.get('typing_partial', 0):.0%}) | | |",
        # The app runs no second search after a typing pass that is not partial.
        "| as-you-type final in one pass | "
        + (f"{1 - search['typing_partial']:.0%}" if "typing_partial" in search else "n/a")
        + " | | |",
        # The same states typed key by key, as the app searches them (``typed_key_by_key``).
        "| as-you-type final in one pass, typed key by key | "
        + (
            f"{search['keyed_final']:.0%} (top-10 same as settled: "
            f"{search['keyed_top10_same']:.0%})"
            if "keyed_final" in search
            else "n/a"
        )
        + " | | |",
    ]
    lines = [
        f"## {size:,} papers",
        "",
        "| measure | ours | plain Whoosh | SQLite FTS5 |",
        "|---|---|---|---|",
        # A run with --only leaves some measures out: no rows of n/a and nan for them.
        *(row for row in measures if _measured(row)),
        "",
        f"Query latency ({len(queries)} queries, limit {LIMIT} (as-you-type {typing_limit}), "
        f"median of {runs} runs per query; "
        f"plain Whoosh{cached}: {baseline_runs} run(s), as-you-type as `words prefix*`"
        + (", every 5th query only" if base_search.get("sampled", 1) > 1 else "")
        + "):",
        "",
        *latency_rows(
            queries,
            {
                "ours": search.get("ms"),
                "plain Whoosh": base_search.get("ms"),
                "FTS5": fts_run.get("ms"),
            },
        ),
        "",
    ]
    if "cpu_ms" in search:
        # A shared machine stretches wall time; the CPU a query took changes less.
        lines += [
            "Our CPU time per query (time.process_time, same runs), by class:",
            "",
            *latency_rows(queries, {"ours CPU": search["cpu_ms"]}, ratio=False),
            "",
        ]
    return lines


def _measured(row: str) -> bool:
    """Whether a table row holds at least one figure (not only n/a, nan or blanks)."""
    cells = [cell.strip() for cell in row.strip("|").split("|")[1:]]
    return any(cell and not cell.startswith("n/a") for cell in cells)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 100000])
    parser.add_argument("--quick", action="store_true", help="1k papers only, one run")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--baseline-runs", type=int, default=1)
    parser.add_argument("--procs", type=int, default=2)
    parser.add_argument(
        "--typing-limit",
        type=int,
        default=TYPING_PAGE_SIZE,
        help=f"hits an as-you-type query asks for (default {TYPING_PAGE_SIZE}, as the app; "
        f"{LIMIT} compares with reports before 2026-12-07)",
    )
    parser.add_argument(
        "--only",
        type=lambda text: set(text.split(",")),
        default=set(MEASURES),
        help=f"comma-separated subset of {','.join(MEASURES)}; without build an existing "
        "index in --work is reused",
    )
    parser.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "paper-bench")
    parser.add_argument("--out", type=Path, default=None, help="write the report here too")
    parser.add_argument("--worker", choices=sorted(WORKERS), help=argparse.SUPPRESS)
    parser.add_argument("--corpus", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--index", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--queries", type=Path, help=argparse.SUPPRESS)
    options = parser.parse_args(argv)
    if options.worker:
        print(json.dumps(WORKERS[options.worker](options)))
        return 0
    if options.quick:
        options.sizes, options.runs = [1000], 1
    options.work.mkdir(parents=True, exist_ok=True)
    lines = [
        f"# Search benchmark ({dt.datetime.now():%Y-%m-%d %H:%M}, {os.cpu_count()} cores, "
        f"Python {sys.version.split()[0]})",
        "",
    ]
    for size in options.sizes:
        lines += bench_size(
            size,
            options.work,
            options.runs,
            options.baseline_runs,
            options.procs,
            options.only,
            options.typing_limit,
        )
    report = "\n".join(lines)
    print(report)
    if options.out:
        options.out.parent.mkdir(parents=True, exist_ok=True)
        options.out.write_text(report + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
