"""Which files are dumps to read, and what to say about the ones that are not.

A folder is walked for files with a dump's suffix (:data:`DUMP_SUFFIXES`); what a file
holds is judged by the parser, and a file found by walking a folder that is not a dump is
one name in a summary line (:func:`skipped_summary`), while a file named on its own keeps
its own warning. Pure filesystem and wording: no catalog, no SQLite.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from stat import S_ISDIR, S_ISREG
from typing import TYPE_CHECKING

from browser.models import ParseProblem
from browser.wording import counted

# The parser is needed by a sync, not by opening the catalog (the app's launch).
if TYPE_CHECKING:
    from browser.parse import ParsedFile


def file_key(path: Path) -> str:
    """The catalog's key of a dump file: its absolute path, so the same dump named two
    ways is one file."""
    return str(path.resolve())


def sha256_of_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(_HASH_CHUNK):
            digest.update(block)
    return digest.hexdigest()


_HASH_CHUNK = 1 << 20


# -- finding dump files -----------------------------------------------------------------

# Files a folder walk picks up (a file named on its own is always read). Whatever
# they hold is judged by content: a README.md or notes.txt is skipped as not a dump.
DUMP_SUFFIXES = frozenset(
    {
        "",
        ".txt",
        ".text",
        ".dump",
        ".json",
        ".jsonl",
        ".ndjson",
        ".html",
        ".htm",
        ".md",
        ".markdown",
    }
)
_SKIPPED_NAMES_SHOWN = 10


def find_dump_files(paths: Iterable[Path]) -> tuple[list[Path], list[ParseProblem]]:
    """The dump files named by ``paths``: a file is itself, a folder is walked recursively.

    Folders are walked in sorted order, skipping hidden files and folders and
    files whose suffix is not in :data:`DUMP_SUFFIXES`; a folder reached twice
    (a symlink to a parent, say) is walked once, and a file reached twice is
    listed once. A missing path is an error problem.
    """
    found: list[Path] = []
    problems: list[ParseProblem] = []
    seen_files: set[tuple[int, int]] = set()
    seen_dirs: set[tuple[int, int]] = set()

    def add_file(path: Path, info: os.stat_result) -> None:
        key = (info.st_dev, info.st_ino)
        if key not in seen_files:
            seen_files.add(key)
            found.append(path)

    def walk(folder: Path, info: os.stat_result) -> None:
        key = (info.st_dev, info.st_ino)
        if key in seen_dirs:
            return
        seen_dirs.add(key)
        try:
            with os.scandir(folder) as entries:
                names = sorted(entry.name for entry in entries)
        except OSError as error:
            problems.append(
                ParseProblem(
                    file=str(folder),
                    severity="error",
                    message=f"cannot read the folder: {error.strerror or error}",
                )
            )
            return
        for name in names:
            if name.startswith("."):
                continue
            child = folder / name
            try:
                child_info = child.stat()
            except OSError as error:
                problems.append(
                    ParseProblem(
                        file=str(child),
                        message=f"skipped: {error.strerror or error} (a broken link?)",
                    )
                )
                continue
            if S_ISDIR(child_info.st_mode):
                walk(child, child_info)
            elif S_ISREG(child_info.st_mode) and child.suffix.lower() in DUMP_SUFFIXES:
                add_file(child, child_info)

    for path in paths:
        try:
            info = path.stat()
        except FileNotFoundError:
            problems.append(
                ParseProblem(file=str(path), severity="error", message="no such file or folder")
            )
            continue
        except OSError as error:
            problems.append(
                ParseProblem(
                    file=str(path),
                    severity="error",
                    message=f"cannot open: {error.strerror or error}",
                )
            )
            continue
        if S_ISDIR(info.st_mode):
            walk(path, info)
        else:
            add_file(path, info)
    return found, problems


def named_files(paths: Iterable[Path]) -> set[Path]:
    """The paths given that are not folders: files named on their own (each gets its warnings)."""
    return {path for path in paths if not path.is_dir()}


def file_problems(
    path: Path, parsed: ParsedFile, named: set[Path]
) -> tuple[list[ParseProblem], ParseProblem | None]:
    """What to report of one parsed file: its problems, or (found by walking a folder and
    not a dump) nothing but its refusal, for :func:`skipped_summary`."""
    if parsed.refusal is not None and path not in named:
        return [], parsed.refusal
    problems = list(parsed.problems)
    if not parsed.records and not problems:
        problems.append(no_papers_problem(parsed.file))
    return problems, None


def skipped_summary(skipped: Sequence[ParseProblem]) -> str:
    """``3 files skipped (not Daily Papers dumps): README.md, notes.txt, LICENSE``."""
    names = [Path(problem.file).name for problem in skipped]
    shown = ", ".join(names[:_SKIPPED_NAMES_SHOWN])
    if len(names) > _SKIPPED_NAMES_SHOWN:
        shown += f" and {len(names) - _SKIPPED_NAMES_SHOWN} more"
    return f"{counted(len(names), 'file')} skipped (not Daily Papers dumps): {shown}"


def no_papers_problem(file: str) -> ParseProblem:
    """A readable file without a single paper (only the page header, say) is worth a word."""
    return ParseProblem(file=file, message="no papers found in the file")


def unreadable_problem(path: Path, error: OSError) -> ParseProblem:
    reason = error.strerror or type(error).__name__
    return ParseProblem(file=str(path), severity="error", message=f"cannot read file: {reason}")
