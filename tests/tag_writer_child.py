"""A separate process that tags papers, for the multi-process tests of browser.tags.

    python tag_writer_child.py merge TAGS_FILE PREFIX ITERATIONS PAPERS GO_FILE
        waits for GO_FILE, then adds PREFIX-i to paper i % PAPERS; every fifth
        iteration it also removes the tag it added just before.
    python tag_writer_child.py churn TAGS_FILE PREFIX PAPERS
        tags forever, reporting on stdout (flushed) only after each save returned:
        "ready", "+TAG" after an add, "?TAG" before and "-TAG" after a removal.

    python tag_writer_child.py reading USERDATA_FILE PREFIX
        writes notes and read marks forever on papers PREFIX-i, reporting "ready",
        then "note PREFIX-i" / "read PREFIX-i" after each save returned.

Tags are spread over ids ``hf-0`` .. ``hf-{PAPERS-1}``. A TAGS_FILE ending in
``.sqlite3`` is a user-data database (browser.userdata), else a tags.json.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from browser.tags import TagStore
from browser.userdata import UserData, UserTags


def _open(path: Path) -> TagStore | UserTags:
    return UserData(path).tags if path.suffix == ".sqlite3" else TagStore(path)


def _paper(index: int, papers: int) -> str:
    return f"hf-{index % papers}"


def merge(path: Path, prefix: str, iterations: int, papers: int, go_file: Path) -> None:
    store = _open(path)
    while not go_file.exists():
        time.sleep(0.001)
    for index in range(iterations):
        store.add(_paper(index, papers), f"{prefix}-{index}", title=f"Paper {index % papers}")
        if index % 5 == 4:
            store.remove(_paper(index - 1, papers), f"{prefix}-{index - 1}")


def churn(path: Path, prefix: str, papers: int) -> None:
    store = _open(path)
    print("ready", flush=True)
    index = 0
    while True:
        tag = f"{prefix}-{index}"
        store.add(_paper(index, papers), tag)
        print(f"+{tag}", flush=True)
        if index % 3 == 2:
            previous = f"{prefix}-{index - 1}"
            print(f"?{previous}", flush=True)
            store.remove(_paper(index - 1, papers), previous)
            print(f"-{previous}", flush=True)
        index += 1


def reading(path: Path, prefix: str) -> None:
    state = UserData(path).reading
    print("ready", flush=True)
    index = 0
    while True:
        paper_id = f"{prefix}-{index}"
        state.set_note(paper_id, f"note of {paper_id}\n" * (1 + index % 7))
        print(f"note {paper_id}", flush=True)
        state.set_read([paper_id])
        print(f"read {paper_id}", flush=True)
        index += 1


def main(arguments: list[str]) -> None:
    mode, path = arguments[0], Path(arguments[1])
    if mode == "merge":
        merge(path, arguments[2], int(arguments[3]), int(arguments[4]), Path(arguments[5]))
    elif mode == "churn":
        churn(path, arguments[2], int(arguments[3]))
    elif mode == "reading":
        reading(path, arguments[2])
    else:
        raise SystemExit(f"unknown mode {mode!r}")


if __name__ == "__main__":
    main(sys.argv[1:])
