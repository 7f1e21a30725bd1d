"""View preferences remembered between launches (``ui_state.json`` in the library folder).

Small, typed, and forgiving: keys this version does not know are kept on disk
untouched (a newer version, or another feature, may own them) and ignored here; a
known key with a bad value falls back to its default with a message; a damaged file
gives the defaults and a message, is set aside as ``ui_state.json.damaged`` on the
next save, and never stops the app.

Each save is a read-modify-write of only the keys that changed, under the file's
lock (``fsutil.file_lock`` on ``ui_state.json.lock``) and written atomically
(temporary file, fsync, rename), so two running copies changing different keys both
keep their change. Within one app, :class:`UiStateSaver` makes saves latest-wins:
however the background writes interleave, the value on disk is the last one chosen.
Nothing here is user data that cannot be rebuilt: losing the file
costs a layout, never a tag.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from browser.fsutil import atomic_write, file_lock

UI_STATE_FILE = "ui_state.json"
MIN_ABSTRACT_PERCENT = 20
MAX_ABSTRACT_PERCENT = 80
# Another copy holds the lock only for one small read and write.
LOCK_TIMEOUT_SECONDS = 5.0


class UiState(BaseModel):
    """Every view preference with its default; unknown keys are ignored."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    # Share of the list view given to the abstract pane (its width side by side, its
    # height stacked); None keeps the layout's own default.
    abstract_percent: int | None = Field(
        default=None, ge=MIN_ABSTRACT_PERCENT, le=MAX_ABSTRACT_PERCENT
    )


@dataclass(frozen=True)
class LoadedUiState:
    """The preferences, and what was wrong with the file if anything was."""

    state: UiState
    problem: str | None = None


def ui_state_path(library_dir: Path) -> Path:
    return library_dir / UI_STATE_FILE


def _read_object(path: Path) -> dict[str, Any]:
    """The file's JSON object; {} when missing. Raises ValueError/OSError when damaged."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return {}
    data = json.loads(raw.decode("utf-8"))
    if not isinstance(data, dict):
        raise ValueError("not a JSON object")
    return data


def load_ui_state(path: Path) -> LoadedUiState:
    """Read the preferences; never raises (a problem comes back as a message)."""
    try:
        data = _read_object(path)
    except (OSError, ValueError) as error:
        return LoadedUiState(UiState(), f"View preferences in {path} ignored ({error}).")
    try:
        return LoadedUiState(UiState.model_validate(data))
    except ValidationError as error:
        bad = {str(detail["loc"][0]) for detail in error.errors() if detail["loc"]}
        kept = {key: value for key, value in data.items() if key not in bad}
        names = ", ".join(sorted(bad))
        return LoadedUiState(
            UiState.model_validate(kept),
            f"View preferences in {path}: bad value for {names}; using the default.",
        )


def update_ui_state(path: Path, **changes: Any) -> UiState:
    """Write ``changes`` (validated) over what is on disk now; returns the new state.

    Raises ``ValueError`` for a bad value and ``OSError`` when the file cannot be written.
    """
    UiState.model_validate(changes)  # a bad value is refused before anything is written
    # Another copy of the app may be between its read and its write: wait for it, so
    # neither overwrites the other's keys with what it read before.
    with file_lock(path.with_name(path.name + ".lock"), timeout=LOCK_TIMEOUT_SECONDS):
        try:
            data = _read_object(path)
        except (OSError, ValueError):
            data = {}
            if path.exists():
                path.replace(path.with_name(path.name + ".damaged"))  # kept for a look
        data.update(changes)
        content = json.dumps(data, indent=2, sort_keys=True).encode("utf-8") + b"\n"
        _write_atomically(path, content)
    return load_ui_state(path).state


class UiStateSaver:
    """Latest-wins saving of the preferences changed while the app runs.

    ``change`` records the newest value of each key (cheap, on the UI thread); ``save``
    (from any thread, e.g. one worker after a burst of key presses, and once more at
    exit) writes the newest values of everything changed so far. Saves are serialised
    and each takes the newest values when its turn comes, so an older value can never
    land after a newer one; a save with nothing new writes nothing. Raises what
    :func:`update_ui_state` raises.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._wanted: dict[str, Any] = {}
        self._version = 0  # bumped by every change
        self._written = 0  # the version on disk
        self._lock = threading.Lock()  # guards the three fields above
        self._save_lock = threading.Lock()  # one write at a time

    @property
    def pending(self) -> bool:
        """True while a change is not on disk yet."""
        return self._version > self._written

    def change(self, **changes: Any) -> None:
        """Remember new values (validated at once: a bad value raises ValueError)."""
        UiState.model_validate(changes)
        with self._lock:
            self._wanted.update(changes)
            self._version += 1

    def save(self) -> bool:
        """Write every change so far unless a newer save did; True when this one wrote."""
        with self._save_lock:
            with self._lock:
                version, wanted = self._version, dict(self._wanted)
            if version <= self._written:
                return False
            update_ui_state(self.path, **wanted)
            self._written = version
            return True


def _write_atomically(path: Path, content: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, content)
