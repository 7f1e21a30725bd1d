"""Issue 6, parts 3 and 4: SIGKILL at random moments, and several writers on one library.

The tag store's own kill test (tests/test_tags.py) covers a bare TagStore; these
kill the real commands and the real app, and check the whole library afterwards:
tags intact, index usable or rebuilt, no lock left behind. bench/soak.py runs the
same rounds many more times.
"""

from __future__ import annotations

import fcntl
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import textwrap
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import dump_text
from hardening import (
    COMMAND,
    Tmux,
    alive,
    app_command,
    check_library_after_crash,
    crash_index_once,
    descendants,
    environment_for,
    papers_for_round,
    run_command,
    tagged_on_disk,
    wait_until,
)

from browser.services import open_services

pytestmark = pytest.mark.slow


@pytest.fixture
def library(tmp_path: Path) -> Iterator[tuple[Path, Path, str]]:
    """(library, dumps folder, one paper id) with a few hundred papers already indexed.

    Indexed here through ``Services``, the path the ``index`` command takes, rather than
    by starting the command: what each test kills or runs twice is the real command, and
    two command starts per setup were a tenth of this module's CPU time.
    """
    dumps = tmp_path / "dumps"
    dumps.mkdir()
    (dumps / "base.txt").write_text(dump_text(papers_for_round(9999, 400)), encoding="utf-8")
    library = tmp_path / "library"
    services = open_services(library)
    try:
        summary = services.sync([dumps], procs=1)
        assert summary.papers_added == 400, summary
        first_id = services.search("", limit=1).hits[0].paper.id
    finally:
        services.close()
    yield library, dumps, first_id


# ---------------------------------------------------------------- 3. crashes


def test_sigkill_of_index_and_tag_at_random_moments_loses_nothing(
    library: tuple[Path, Path, str],
) -> None:
    library_dir, dumps, paper_id = library
    rng = random.Random(6)
    saved: set[str] = set()
    records = []
    for round_number in range(4):
        records.append(
            crash_index_once(
                library_dir,
                dumps,
                round_number,
                # Short delays: the index run now finishes in about a second, and a
                # round that never kills it tests nothing.
                rng.uniform(0.1, 0.8),
                paper_id=paper_id,
                saved_tags=saved,
                rebuild=round_number % 2 == 1,
            )
        )
    assert all(not record.orphans for record in records), records
    assert any(record.index_killed for record in records), records


def test_killed_build_workers_do_not_outlive_the_indexer_or_keep_the_lock(
    library: tuple[Path, Path, str],
) -> None:
    """A procs=2 build forks workers; SIGKILL of the parent used to leave them waiting on
    their queue for ever, holding the inherited sync.lock: the next `index` hung."""
    library_dir, dumps, paper_id = library
    (dumps / "more.txt").write_text(dump_text(papers_for_round(1, 1500)), encoding="utf-8")
    indexer = subprocess.Popen(
        [str(COMMAND), "index", str(dumps), "--rebuild"],
        env=environment_for(library_dir),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_until(lambda: descendants(indexer.pid) or indexer.poll() is not None, 60, "workers")
        workers = descendants(indexer.pid)
        if not workers:
            pytest.skip("the build finished before its workers could be seen")
        indexer.send_signal(signal.SIGKILL)
        indexer.wait(timeout=30)
        wait_until(lambda: not any(alive(pid) for pid in workers), 10, "workers to die")
    finally:
        if indexer.poll() is None:
            indexer.kill()
        for pid in descendants(indexer.pid):
            os.kill(pid, signal.SIGKILL)
    check_library_after_crash(library_dir, dumps, paper_id=paper_id, saved_tags=set())


def test_sigkill_of_the_app_while_it_tags_keeps_every_saved_tag(
    library: tuple[Path, Path, str], tmp_path: Path
) -> None:
    if shutil.which("tmux") is None:
        pytest.skip("tmux is not installed")
    library_dir, dumps, paper_id = library
    # New papers at launch: the app is syncing (holding sync.lock) while we tag and kill.
    (dumps / "launch.txt").write_text(dump_text(papers_for_round(7, 300)), encoding="utf-8")
    tmux = Tmux(f"pb-kill-{uuid.uuid4().hex[:8]}", app_command(library_dir, str(dumps)))
    try:
        wait_until(lambda: "Crash round" in tmux.screen(), 60, "the first results", tmux.screen)
        pid = tmux.pane_pid()
        tmux.keys("Escape")
        time.sleep(0.5)  # else ESC and "1" arrive together and read as alt+1
        snapshots: list[dict[str, set[str]]] = []
        rng = random.Random(3)
        presses = rng.randint(4, 9)
        for _ in range(presses):
            tmux.keys("1")
            time.sleep(0.25)
            snapshots.append(tagged_on_disk(library_dir))
            tmux.keys("Down")
        wait_until(lambda: tagged_on_disk(library_dir) != {}, 15, "a saved tag", tmux.screen)
        snapshots.append(tagged_on_disk(library_dir))
        # The kill lands while keys are still arriving.
        tmux.keys("1")
        time.sleep(rng.uniform(0.0, 0.2))
        os.kill(pid, signal.SIGKILL)
        wait_until(lambda: not alive(pid), 10, "the app to die")
    finally:
        tmux.close()
    last_saved = snapshots[-1]
    after = tagged_on_disk(library_dir)  # parses, or this raises
    for saved_id, tags in last_saved.items():
        assert tags <= after.get(saved_id, set()), (saved_id, tags, after)
    assert len(after) >= 1
    # No lock left behind: tagging and indexing run at once, the index is whole.
    check_library_after_crash(library_dir, dumps, paper_id=paper_id, saved_tags=set())
    done = run_command("tag", paper_id, "after the crash", library=library_dir, timeout=30)
    assert done.returncode == 0, done.stderr


# ---------------------------------------------------------------- 4. concurrency

APP_LIKE_WRITER = textwrap.dedent(
    """
    import json, sys, time
    from pathlib import Path
    from browser.services import open_services

    library, name, rounds, ids = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3]), sys.argv[4:]
    services = open_services(library)
    store = services.tags
    final = {}
    for n in range(rounds):
        paper_id = ids[n % len(ids)]
        tag = f"{name} {n % 5}"
        store.reload()  # what the app does on its timer before showing tags
        state = store.toggle(paper_id, tag, title="")
        final[(paper_id, tag)] = state
        services.index.search(
            "robust", limit=5, tags=store, time_budget_ms=60, prefix_last_word=False
        )
    print(json.dumps([[p, t, s] for (p, t), s in final.items()]))
    services.close()
    """
)


def test_two_app_like_writers_and_a_cli_tag_loop_lose_no_tag(
    library: tuple[Path, Path, str],
) -> None:
    library_dir, dumps, _ = library
    listed = run_command("search", "", "--json", "--limit", "12", library=library_dir)
    ids = [hit["id"] for hit in json.loads(listed.stdout)["hits"]]
    environment = environment_for(library_dir)
    writers = [
        subprocess.Popen(
            [sys.executable, "-c", APP_LIKE_WRITER, str(library_dir), name, "60", *ids],
            env=environment,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name in ("app-a", "app-b")
    ]
    cli_tags: list[tuple[str, str]] = []
    for n in range(6):
        paper_id, tag = ids[(n * 5) % len(ids)], f"cli {n}"
        done = run_command("tag", paper_id, tag, library=library_dir)
        assert done.returncode == 0, done.stderr
        cli_tags.append((paper_id, tag))
    # An index run in the middle of it all (it opens the tags, the index is shared).
    (dumps / "during.txt").write_text(dump_text(papers_for_round(5, 50)), encoding="utf-8")
    indexed = run_command("index", str(dumps), library=library_dir)
    assert indexed.returncode == 0, indexed.stderr
    expected: dict[str, set[str]] = {}
    for writer in writers:
        out, err = writer.communicate(timeout=240)
        assert writer.returncode == 0, err
        for paper_id, tag, state in json.loads(out):
            if state:
                expected.setdefault(paper_id, set()).add(tag)
    for paper_id, tag in cli_tags:
        expected.setdefault(paper_id, set()).add(tag)
    assert tagged_on_disk(library_dir) == expected
    check_library_after_crash(library_dir, dumps, paper_id=ids[0], saved_tags=set())


def _has_open(pid: int, path: Path) -> bool:
    """Whether process ``pid`` holds ``path`` open (Linux /proc; False elsewhere)."""
    try:
        descriptors = list(Path(f"/proc/{pid}/fd").iterdir())
    except OSError:
        return False
    for descriptor in descriptors:
        try:
            if descriptor.readlink() == path:
                return True
        except OSError:
            continue
    return False


def test_a_second_index_waits_for_the_running_one_and_says_so(
    library: tuple[Path, Path, str],
) -> None:
    library_dir, dumps, _ = library
    (dumps / "second.txt").write_text(dump_text(papers_for_round(2, 30)), encoding="utf-8")
    # This process is the first run: it holds the library's sync lock the way `index` does.
    with (library_dir / "sync.lock").open("a+") as held:
        fcntl.flock(held.fileno(), fcntl.LOCK_EX)
        second = subprocess.Popen(
            [str(COMMAND), "index", str(dumps)],
            env=environment_for(library_dir),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        # On a loaded machine the second run can take seconds just to start: release
        # only once it has opened the lock file (it is then waiting on it).
        lock_file = (library_dir / "sync.lock").resolve()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and second.poll() is None:
            if _has_open(second.pid, lock_file):
                break
            time.sleep(0.05)
        time.sleep(2.0)
        assert second.poll() is None, "the second run must wait, not fail or go ahead"
        fcntl.flock(held.fileno(), fcntl.LOCK_UN)
    _, err = second.communicate(timeout=120)
    assert second.returncode == 0, err
    assert "another index run is in progress; waiting" in err
    assert "Traceback" not in err


def test_two_real_index_runs_at_once_both_succeed(library: tuple[Path, Path, str]) -> None:
    library_dir, dumps, paper_id = library
    (dumps / "both.txt").write_text(dump_text(papers_for_round(3, 600)), encoding="utf-8")
    runs = [
        subprocess.Popen(
            [str(COMMAND), "index", str(dumps), *(["--rebuild"] if n else [])],
            env=environment_for(library_dir),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for n in range(2)
    ]
    for run in runs:
        _, err = run.communicate(timeout=240)
        assert run.returncode == 0, err
        assert "Traceback" not in err
    check_library_after_crash(library_dir, dumps, paper_id=paper_id, saved_tags=set())


KILLED_BEFORE_MERGE = textwrap.dedent(
    """
    import os, sys
    from browser import library
    from browser.cli import main

    # Die like SIGKILL right after the file's records are committed, before the merge.
    library.Catalog.remerge = lambda *args, **kwargs: os._exit(9)
    sys.exit(main(sys.argv[1:]))
    """
)


def test_a_run_killed_between_storing_records_and_merging_them_is_finished_next_time(
    library: tuple[Path, Path, str],
) -> None:
    """Found by the soak: the file looked unchanged afterwards, so its papers never
    reached the catalog's papers (nor the index) again."""
    library_dir, dumps, paper_id = library
    (dumps / "late.txt").write_text(dump_text(papers_for_round(42, 30)), encoding="utf-8")
    killed = subprocess.run(
        [sys.executable, "-c", KILLED_BEFORE_MERGE, "index", str(dumps)],
        env=environment_for(library_dir),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert killed.returncode == 9, killed.stderr
    check_library_after_crash(library_dir, dumps, paper_id=paper_id, saved_tags=set())
