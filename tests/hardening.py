"""Shared pieces of the hardening tests and of bench/soak.py: hostile dumps, bad folders, runs.

Not a test module (no ``test_`` prefix): the soak script imports it too, so the
faults the tests inject a few times are the same ones the soak injects many times.
"""

from __future__ import annotations

import json
import os
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
