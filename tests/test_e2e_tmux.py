"""The real `paper-browser` command in a real terminal (tmux): type, read, tag, quit, export."""

from __future__ import annotations

import csv
import io
import os
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from hardening import user_rows

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

REPO = Path(__file__).resolve().parent.parent
COMMAND = Path(sys.executable).parent / "paper-browser"
QUERY = "SAILOR"
EXPECTED_TITLE = "A Smooth Sea Never Made a Skilled"


def _environment(tmp_path: Path, library: Path) -> dict[str, str]:
    """A private library, no config file and a fixed home for the real command."""
    return {
        "PAPER_BROWSER_HOME": str(library),
        "PAPER_BROWSER_CONFIG": str(tmp_path / "no-config.toml"),
        "TERM": "xterm-256color",
        "HOME": str(tmp_path),
    }


@pytest.fixture
def tmux_session(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    if shutil.which("tmux") is None:
        pytest.skip("tmux is not installed (./dev test installs it with apt-get)")
    if not COMMAND.exists():
        pytest.skip(f"{COMMAND} is not installed; run ./dev test")
    session = f"pb-e2e-{uuid.uuid4().hex[:8]}"
    library = tmp_path / "library"
    environment = _environment(tmp_path, library)
    exports = " ".join(f"{key}={value}" for key, value in environment.items())
    shell_command = f"env {exports} {COMMAND} {REPO / 'sample_dumps'}"
    # A private tmux server (-L) so the test never touches the user's sessions.
    tmux = ["tmux", "-L", session]
    subprocess.run(
        [*tmux, "new-session", "-d", "-s", session, "-x", "100", "-y", "30", shell_command],
        check=True,
        env={**os.environ, **environment},
    )
    try:
        yield session, library
    finally:
        subprocess.run([*tmux, "kill-server"], capture_output=True)


def _tmux(session: str, command: str, *arguments: str) -> str:
    return subprocess.run(
        ["tmux", "-L", session, command, "-t", session, *arguments],
        capture_output=True,
        text=True,
        check=False,
    ).stdout


def _wait_for(
    predicate: Callable[[], bool], timeout: float, what: str, screen: Callable[[], str]
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}; screen was:\n{screen()}")


def test_type_tag_quit_then_export(tmux_session: tuple[str, Path]) -> None:
    session, library = tmux_session

    def screen() -> str:
        return _tmux(session, "capture-pane", "-p")

    def session_alive() -> bool:
        return (
            subprocess.run(
                ["tmux", "-L", session, "has-session", "-t", session], capture_output=True
            ).returncode
            == 0
        )

    # First screen: the sample dumps are indexed and listed.
    _wait_for(lambda: "of 516 papers" in screen(), 90, "the indexed sample dumps", screen)
    _tmux(session, "send-keys", "-l", QUERY)
    _wait_for(lambda: EXPECTED_TITLE in screen(), 30, "the query's result", screen)
    _tmux(session, "send-keys", "Escape")
    time.sleep(0.5)
    # Read it full-screen, and tag it from the reader.
    _tmux(session, "send-keys", "Enter")
    in_reader = lambda: "✕ Back" in screen() and "Tags no tags yet" in screen()  # noqa: E731
    _wait_for(in_reader, 15, "the reader", screen)
    _tmux(session, "send-keys", "1")
    _wait_for(
        lambda: ["to read"] in user_rows(library, "tag", "name").values(), 15, "the tag", screen
    )
    _tmux(session, "send-keys", "Escape")
    _wait_for(lambda: "✕ Back" not in screen(), 15, "the list again", screen)
    _tmux(session, "send-keys", "q")
    _wait_for(lambda: not session_alive(), 15, "the app to quit", screen)

    tagged = user_rows(library, "tag", "name")
    assert len(tagged) == 1
    ((paper_id, tags),) = tagged.items()
    assert tags == ["to read"]
    assert EXPECTED_TITLE in user_rows(library, "tagged", "title")[paper_id][0]

    export = subprocess.run(
        [str(COMMAND), "export", "--library", str(library)],
        capture_output=True,
        text=True,
        check=True,
    )
    rows = list(csv.DictReader(io.StringIO(export.stdout)))
    assert [row["id"] for row in rows] == list(tagged)
    assert rows[0]["tags"] == "to read"
    assert rows[0]["title"].startswith(EXPECTED_TITLE)


def test_a_day_a_note_and_the_next_launch_where_it_was_left(tmp_path: Path) -> None:
    """Launch, `]` to a day, `n` writes a note, `q`; launch again: the note shows, the
    query and position are back, and the paper looked at for 3 s is read."""
    if shutil.which("tmux") is None or not COMMAND.exists():
        pytest.skip("tmux or the installed command is missing; run ./dev test")
    session = f"pb-e2e-{uuid.uuid4().hex[:8]}"
    library = tmp_path / "library"
    environment = _environment(tmp_path, library)
    exports = " ".join(f"{key}={value}" for key, value in environment.items())
    tmux = ["tmux", "-L", session]

    def launch() -> None:
        # No paths: an empty library opens the bundled sample dumps, a later launch
        # restores where the last one was left.
        subprocess.run(
            [*tmux, "new-session", "-d", "-s", session, "-x", "100", "-y", "30",
             f"env {exports} {COMMAND}"],
            check=True,
            env={**os.environ, **environment},
        )  # fmt: skip

    def screen() -> str:
        return _tmux(session, "capture-pane", "-p")

    def alive() -> bool:
        done = subprocess.run([*tmux, "has-session", "-t", session], capture_output=True)
        return done.returncode == 0

    try:
        launch()
        _wait_for(lambda: "of 516 papers" in screen(), 120, "the indexed sample dumps", screen)
        _tmux(session, "send-keys", "Escape")  # from the search bar to the list
        time.sleep(0.5)
        _tmux(session, "send-keys", "]")
        _wait_for(lambda: "day " in screen(), 30, "the newest day", screen)
        _tmux(session, "send-keys", "Down")
        time.sleep(4)  # longer than read_after_seconds (3): this paper becomes read
        _tmux(session, "send-keys", "n")
        _wait_for(lambda: "saved as you type" in screen(), 15, "the note editor", screen)
        _tmux(session, "send-keys", "-l", "Read again: e2e note")
        _tmux(session, "send-keys", "Escape")
        # Both of the editor's status lines end so; the first save changes the other part.
        _wait_for(lambda: "Esc closes" not in screen(), 15, "the list", screen)
        noted = user_rows(library, "note", "text")
        assert list(noted.values()) == [["Read again: e2e note"]]
        (paper_id,) = noted
        _tmux(session, "send-keys", "q")
        _wait_for(lambda: not alive(), 15, "the app to quit", screen)
        assert paper_id in user_rows(library, "read", "at")

        launch()
        _wait_for(lambda: "Read again: e2e note" in screen(), 60, "the note, restored", screen)
        assert "516 papers" in screen() and "read" in screen()
        _tmux(session, "send-keys", "Escape")  # the search bar has the focus at launch
        time.sleep(0.5)
        _tmux(session, "send-keys", "q")
        _wait_for(lambda: not alive(), 15, "the app to quit", screen)
    finally:
        subprocess.run([*tmux, "kill-server"], capture_output=True)
