"""Shared pieces of the hardening tests and of bench/soak.py: hostile dumps, bad folders, runs.

Not a test module (no ``test_`` prefix): the soak script imports it too, so the
faults the tests inject a few times are the same ones the soak injects many times.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import sqlite3
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from conftest import HEADER, DumpPaper, dump_text

COMMAND = Path(sys.executable).parent / "paper-browser"
ESC = "\x1b"
BEL = "\x07"

# Titles that try every way dump text could act on a terminal, the app or a spreadsheet.
HOSTILE_TITLES = [
    "[bold red]Bold red markup[/] and [link=https://evil.example]a link[/link] zqmarkup",
    "[@click=app.quit]Click to quit[/] zqclick",
    f"{ESC}]52;c;ZXZpbCBjbGlwYm9hcmQ={BEL}Clipboard {ESC}]0;PWNED-TITLE{BEL} zqosc",
    f"{ESC}[2J{ESC}[31mRed{ESC}[0m screen clear {ESC}[6n query \x9b31m zqcsi",
    "Bidi \u202eevil\u202c and \u2066isolate\u2069 zero\u200bwidth zqbidi",
    '=HYPERLINK("http://evil.example","click") zqformula',
    "+1 plus zqplus",
    "-2 minus zqminus",
    "@SUM(A1) zqat",
    "Unbroken zqlong " + "W" * 5000,
]
# A raw NUL byte makes the parser skip a whole text dump as binary, so this one comes
# in an HF API JSON dump, where "\u0000" is a legal escape.
NUL_TITLE = "Nul\x00byte bell\x07 backspace\x08 delete\x7f zqnul"
ALL_HOSTILE_TITLES = [*HOSTILE_TITLES, NUL_TITLE]
HOSTILE_ABSTRACT = (
    f"Abstract [bold]markup[/bold] [/] [@click=app.quit]x[/] {ESC}]8;;http://evil{ESC}\\osc8"
    f"{ESC}]8;;{ESC}\\ {ESC}]52;c;SGVsbG8={BEL} \u202eevil " + "y" * 3000
)
# Marks any hostile paper's text could show when a terminal or app misbehaves.
TERMINAL_HAZARDS = (ESC, BEL, "\x00", "\x08", "\x9b", "\u202e", "\u2066", "\u200b", "\x7f")


def hostile_papers() -> list[DumpPaper]:
    return [
        DumpPaper(title, HOSTILE_ABSTRACT, authors=2, date="Mar 4, 2024", comments=n)
        for n, title in enumerate(HOSTILE_TITLES)
    ]


def write_hostile_dumps(folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    text = folder / "2024-03-05_hostile.txt"
    text.write_text(dump_text(hostile_papers()), encoding="utf-8")
    api = folder / "2024-03-05_hostile.json"
    entry = {
        "paper": {"id": "2403.00001", "title": NUL_TITLE, "summary": HOSTILE_ABSTRACT},
        "publishedAt": "2024-03-04T00:00:00.000Z",
        "numComments": 1,
    }
    api.write_text(json.dumps([entry]), encoding="utf-8")
    return [text, api]


def good_papers(prefix: str, count: int) -> list[DumpPaper]:
    return [
        DumpPaper(
            f"{prefix} paper {n} on sparse attention",
            f"We study {prefix} item {n} with transformers.",
            date="Mar 4, 2024",
        )
        for n in range(count)
    ]


@dataclass
class BadFolder:
    """A dumps folder mixing good dumps with every kind of bad one."""

    root: Path
    good_titles: list[str]
    # file name -> a word the report must give as the reason
    bad_files: dict[str, str]
    unreadable: str = "noperm.txt"
    vanishing: str = "vanish.txt"


def make_bad_folder(root: Path, *, big_megabytes: int = 0) -> BadFolder:
    """Write the folder of issue 6, part 1 (the permission and vanishing faults are patched in)."""
    root.mkdir(parents=True, exist_ok=True)
    good: list[DumpPaper] = []

    def write(name: str, papers: list[DumpPaper]) -> None:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(dump_text(papers), encoding="utf-8")
        good.extend(papers)

    write("good-1.txt", good_papers("alpha", 3))
    write("nested/good-2.txt", good_papers("beta", 2))
    (root / "empty.txt").write_bytes(b"")
    (root / "blank.txt").write_text(" \n\n\t  \n\n", encoding="utf-8")
    (root / "header-only.txt").write_text(HEADER + "Mar 5\n", encoding="utf-8")
    (root / "binary.txt").write_bytes(bytes(range(256)) * 64)
    cp1252 = [DumpPaper("Café naïve résumé – cp1252 paper", "Déjà vu “quoted” abstract.")]
    (root / "cp1252.txt").write_bytes(dump_text(cp1252).encode("cp1252"))
    good.extend(cp1252)
    utf16 = [DumpPaper("UTF-16 encoded paper title", "An abstract saved as UTF-16.")]
    (root / "utf16.txt").write_bytes(dump_text(utf16).encode("utf-16"))
    good.extend(utf16)
    cut = [DumpPaper("Truncated dump paper title", "The abstract ends mid-character: é")]
    encoded = dump_text(cut).encode("utf-8")
    # Cut after the first byte of the last "é": the paper keeps its title and abstract.
    (root / "cut.txt").write_bytes(encoded[: encoded.rindex("é".encode()) + 1])
    good.extend(cut)
    write("long-line.txt", [DumpPaper("One megabyte line paper", "x" * 1_000_000)])
    write("noperm.txt", [DumpPaper("Unreadable paper (no permission)", "Never indexed.")])
    write("vanish.txt", [DumpPaper("Vanishing paper", "Deleted while indexing.")])
    (root / "nested" / "loop-to-parent").symlink_to("..")
    if big_megabytes:
        good.extend(write_big_dump(root / "big.txt", big_megabytes))
    unreadable_title = "Unreadable paper (no permission)"
    vanishing_title = "Vanishing paper"
    return BadFolder(
        root=root,
        good_titles=[p.title for p in good if p.title not in (unreadable_title, vanishing_title)],
        bad_files={
            "empty.txt": "empty",
            "blank.txt": "empty",
            "header-only.txt": "no papers",
            "binary.txt": "binary",
            "cp1252.txt": "cp1252",
            "cut.txt": "truncated",
            "noperm.txt": "ermission",
            "vanish.txt": "o such file",
        },
    )


BIG_UNIQUE = 20


def write_big_dump(path: Path, megabytes: int, *, unique: int = BIG_UNIQUE) -> list[DumpPaper]:
    """A dump of ``megabytes`` MB, written a block at a time (never whole in memory).

    ``unique`` papers repeat with 8 kB abstracts: the parser and the catalog see
    every byte (the part whose memory must stay bounded), while the index gets only
    ``unique`` documents, so a test stays fast. The soak passes a large ``unique``.
    """
    filler = " ".join(f"token{n % 997}" for n in range(1200))  # ~8 kB
    papers = [
        DumpPaper(f"Big dump paper {n} on scaling", f"Item {n}. {filler}", date="Mar 4, 2024")
        for n in range(unique)
    ]
    target = megabytes * 1024 * 1024
    written = 0
    with path.open("w", encoding="utf-8") as out:
        out.write(HEADER)
        block = 0
        while written < target:
            start = (block * 50) % len(papers)
            chunk = dump_text(
                [papers[(start + k) % len(papers)] for k in range(50)], page_date=None
            )
            chunk = chunk[len(HEADER) :]
            out.write(chunk)
            written += len(chunk)
            block += 1
    return papers


def run_command(
    *arguments: str,
    library: Path,
    env: Mapping[str, str] | None = None,
    timeout: float = 120,
    cwd: Path | None = None,
) -> subprocess.CompletedProcess[str]:
    environment = {
        **os.environ,
        "PAPER_BROWSER_HOME": str(library),
        "PAPER_BROWSER_CONFIG": str(library.parent / "no-config.toml"),
        **(env or {}),
    }
    environment.pop("PAPER_BROWSER_DEBUG", None)
    return subprocess.run(
        [str(COMMAND), *arguments],
        capture_output=True,
        text=True,
        env=environment,
        timeout=timeout,
        cwd=cwd,
        errors="surrogateescape",
    )


def assert_no_traceback(*outputs: str) -> None:
    for output in outputs:
        assert "Traceback (most recent call last)" not in output, output[-3000:]


# ---------------------------------------------------------------- crashes (SIGKILL)


def environment_for(library: Path, **extra: str) -> dict[str, str]:
    environment = {
        **os.environ,
        "PAPER_BROWSER_HOME": str(library),
        "PAPER_BROWSER_CONFIG": str(library.parent / "no-config.toml"),
        **extra,
    }
    environment.pop("PAPER_BROWSER_DEBUG", None)
    return environment


def descendants(pid: int) -> list[int]:
    """Every live process below ``pid`` (read from /proc, no psutil needed)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(entry.name))
    found: list[int] = []
    todo = [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@dataclass
class CrashRecord:
    """What one SIGKILL round did, for the soak's report."""

    delay: float
    index_killed: bool
    tagger_killed: bool
    workers_at_kill: int  # build worker processes alive when the indexer was killed
    orphans: list[int]
    index_state: str  # "opened" or "broken, rebuilt" (seen by the next start)
    next_run_seconds: float


def papers_for_round(round_number: int, count: int) -> list[DumpPaper]:
    return [
        DumpPaper(
            f"Crash round {round_number} paper {n} on robust indexing",
            f"Round {round_number}, item {n}: kill the indexer while it writes. " * 4,
            date="Mar 4, 2024",
            comments=n % 7,
        )
        for n in range(count)
    ]


def crash_index_once(
    library: Path,
    dumps: Path,
    round_number: int,
    delay: float,
    *,
    paper_id: str,
    saved_tags: set[str],
    papers_per_round: int = 150,
    rebuild: bool = False,
) -> CrashRecord:
    """Start `index` (with new work) and `tag` together, SIGKILL both after ``delay`` s.

    ``saved_tags`` gains the tag when `tag` exited 0 before the kill: the store said
    it was saved, so it must survive. Then the next start is checked.
    """
    import signal
    import time

    from browser.search import IndexUnusable, PaperIndex

    (dumps / f"round-{round_number:04d}.txt").write_text(
        dump_text(papers_for_round(round_number, papers_per_round)), encoding="utf-8"
    )
    environment = environment_for(library)
    arguments = [str(COMMAND), "index", str(dumps), *(["--rebuild"] if rebuild else [])]
    indexer = subprocess.Popen(
        arguments, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    tag = f"round {round_number}"
    tagger = subprocess.Popen(
        [str(COMMAND), "tag", paper_id, tag],
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    time.sleep(delay)
    below = descendants(indexer.pid)
    killed = []
    for process in (indexer, tagger):
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
            killed.append(process)
        process.wait(timeout=30)
    if tagger not in killed and tagger.returncode == 0:
        saved_tags.add(tag)
    # Worker processes of a multi-process index build must not outlive their parent.
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(alive(pid) for pid in below):
        time.sleep(0.1)
    orphans = [pid for pid in below if alive(pid)]
    for pid in orphans:
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)

    try:
        PaperIndex.open(library / "index").close()
        state = "opened"
    except IndexUnusable:
        state = "broken, rebuilt"
    started = time.monotonic()
    check_library_after_crash(library, dumps, paper_id=paper_id, saved_tags=saved_tags)
    return CrashRecord(
        delay=delay,
        index_killed=indexer in killed,
        tagger_killed=tagger in killed,
        workers_at_kill=len(below),
        orphans=orphans,
        index_state=state,
        next_run_seconds=time.monotonic() - started,
    )


def expected_titles(dumps: Path) -> set[str]:
    from browser.dump_files import find_dump_files
    from browser.parse import parse_file

    files, _ = find_dump_files([dumps])
    return {record.title for path in files for record in parse_file(path).records}


def check_library_after_crash(
    library: Path, dumps: Path, *, paper_id: str, saved_tags: set[str]
) -> None:
    """Tags intact and complete, no stale lock, and the next run repairs the index."""
    from browser.userdata import open_user_data

    if saved_tags:
        assert tagged_on_disk(library)[paper_id] >= saved_tags
    store = open_user_data(library)
    assert not store.read_only, store.problem
    store.close()
    # A stale lock would make this wait ("another index run is in progress") or hang.
    again = run_command("index", str(dumps), library=library, timeout=300)
    assert again.returncode == 0, again.stderr
    assert "waiting" not in again.stderr, again.stderr
    assert_no_traceback(again.stdout, again.stderr)
    listed = run_command("search", "", "--json", "--limit", "100000", library=library)
    assert listed.returncode == 0, listed.stderr
    found = [hit["title"] for hit in json.loads(listed.stdout)["hits"]]
    assert len(found) == len(set(found))
    expected = expected_titles(dumps)
    missing, extra = sorted(expected - set(found)), sorted(set(found) - expected)
    assert not missing and not extra, (len(missing), missing[:3], len(extra), extra[:3])


# ---------------------------------------------------------------- the real app in tmux


class Tmux:
    """A private tmux server (-L) running one command: never touches the user's sessions."""

    def __init__(self, name: str, command: str, *, width: int = 100, height: int = 30) -> None:
        self.name = name
        self.base = ["tmux", "-L", name]
        size = ["-x", str(width), "-y", str(height)]
        subprocess.run(
            [*self.base, "new-session", "-d", "-s", name, *size, f"exec {command}"], check=True
        )
        # Keep the pane after the app dies, so its pid and screen can still be read.
        subprocess.run([*self.base, "set-option", "-t", name, "remain-on-exit", "on"])

    def run(self, *arguments: str) -> str:
        done = subprocess.run([*self.base, *arguments], capture_output=True, text=True, check=False)
        return done.stdout

    def screen(self) -> str:
        return self.run("capture-pane", "-p", "-t", self.name)

    def keys(self, *keys: str, literal: bool = False) -> None:
        self.run("send-keys", "-t", self.name, *(["-l"] if literal else []), *keys)

    def pane_pid(self) -> int:
        return int(self.run("display-message", "-p", "-t", self.name, "#{pane_pid}").strip())

    def pane_title(self) -> str:
        return self.run("display-message", "-p", "-t", self.name, "#{pane_title}").strip()

    def buffers(self) -> str:
        return self.run("list-buffers")

    def close(self) -> None:
        subprocess.run([*self.base, "kill-server"], capture_output=True)
        # kill-server leaves the socket file behind; one per test adds up.
        folder = Path(os.environ.get("TMUX_TMPDIR", "/tmp")) / f"tmux-{os.getuid()}"
        with contextlib.suppress(OSError):
            (folder / self.name).unlink()


def wait_until(predicate: object, timeout: float, what: str, screen: object = None) -> None:
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return
        time.sleep(0.1)
    shown = screen() if callable(screen) else ""
    raise AssertionError(f"timed out waiting for {what}; screen was:\n{shown}")


def app_command(
    library: Path,
    *arguments: str,
    term: str = "xterm-256color",
    config: Path | None = None,
    **env: str,
) -> str:
    import shlex

    settings = {
        "PAPER_BROWSER_HOME": str(library),
        "PAPER_BROWSER_CONFIG": str(config or library.parent / "no-config.toml"),
        "HOME": str(library.parent),
        "TERM": term,
        **env,
    }
    exports = " ".join(f"{key}={shlex.quote(value)}" for key, value in settings.items())
    return f"env {exports} {shlex.quote(str(COMMAND))} {' '.join(map(shlex.quote, arguments))}"


def tagged_on_disk(library: Path) -> dict[str, set[str]]:
    """paper id -> tags, as committed to the library's user-data database (read without
    the store, so nothing is migrated or created)."""
    return {
        paper_id: set(tags) for paper_id, tags in user_rows(library, "tag", "name").items()
    }


def user_rows(library: Path, table: str, column: str) -> dict[str, list[str]]:
    """paper id -> values of ``column`` in one table of ``library``'s userdata.sqlite3."""
    database = library / "userdata.sqlite3"
    if not database.exists():
        return {}
    connection = sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=30)
    try:
        order = " ORDER BY paper_id, position" if table == "tag" else ""
        rows = connection.execute(f"SELECT paper_id, {column} FROM {table}{order}").fetchall()
    finally:
        connection.close()
    found: dict[str, list[str]] = {}
    for paper_id, value in rows:
        found.setdefault(paper_id, []).append(value)
    return found


# ---------------------------------------------------------------- search fuzz corpus

# Pieces of the query language and of hostile input, recombined by the fuzz test
# (hypothesis) and by the soak's latency run (random).
QUERY_PIECES = [
    '"',
    "'",
    "(",
    ")",
    "[",
    "]",
    "{",
    "}",
    "*",
    "?",
    "~",
    "~2",
    "^",
    "^3",
    ":",
    "\\",
    "/",
    "AND",
    "OR",
    "NOT",
    "ANDNOT",
    "ANDMAYBE",
    "-",
    "+",
    "!",
    "TO",
    " ",
    "  ",
    "\t",
    "\n",
    "title:",
    "abstract:",
    "org:",
    "author:",
    "arxiv:",
    "year:",
    "date:",
    "comments:",
    "authors:",
    "upvotes:",
    "tag:",
    "-tag:",
    "is:tagged",
    "is:untagged",
    'tag:"to read"',
    "year:[2020 TO 2024]",
    "date:[2024-01 TO 2024-06]",
    "comments:>2",
    "upvotes:<",
    "date:>",
    "date:2024-13-45",
    "year:abc",
    "nosuchfield:",
    "diffusion",
    "attention",
    "zq",
    "a",
    "é",
    "ß",
    "İ",
    "日本語",
    "🙂",
    "\u202e",
    "\x00",
    "\x1b[31m",
    "[bold]",
    "[/]",
    "*:*",
    "?*",
    "a*",
    "*a",
    "**",
    "()",
    "((((",
    "))))",
    '""',
    '"unclosed',
    "\\\\",
    "$x^2$",
]


def random_query(rng: random.Random) -> str:
    kind = rng.random()
    if kind < 0.05:
        return (rng.choice([*QUERY_PIECES, "word "]) * rng.randint(1, 10_000))[:10_000]
    if kind < 0.25:
        alphabet = [chr(rng.randint(32, 0x2FFF)) for _ in range(40)] + list("\"'()[]{}*?~:^-+")
        return "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40)))
    return "".join(rng.choice(QUERY_PIECES) for _ in range(rng.randint(1, 12)))
