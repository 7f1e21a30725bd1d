"""Where a library lives: the folder (``--library``, ``$PAPER_BROWSER_HOME`` or the
platform's user data folder, through platformdirs) and the files in it."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import platformdirs

APP_NAME = "paper-browser"
HOME_ENVIRONMENT_VARIABLE = "PAPER_BROWSER_HOME"


class LibraryLocationUnknown(Exception):
    """No library folder was given and there is no home folder to put one in."""


def resolve_library_dir(explicit: Path | None = None) -> Path:
    """``--library DIR``, else ``$PAPER_BROWSER_HOME``, else the platform's user data folder."""
    if explicit is not None:
        return explicit.expanduser()
    from_environment = os.environ.get(HOME_ENVIRONMENT_VARIABLE, "").strip()
    if from_environment:
        return Path(from_environment).expanduser()
    try:
        default = platformdirs.user_data_path(APP_NAME, appauthor=False)
    except RuntimeError:  # newer platformdirs refuse to guess instead of returning "~/..."
        default = Path("~")
    if not default.is_absolute():
        # No $HOME and no passwd entry: "~" stays literal and the library would be
        # created in a folder named "~" under wherever the command happens to run.
        raise LibraryLocationUnknown(
            f"cannot tell where your home folder is, so there is no default library "
            f"folder; set ${HOME_ENVIRONMENT_VARIABLE} or pass --library DIR"
        )
    return default


@dataclass(frozen=True)
class LibraryPaths:
    """Where everything of one library lives."""

    root: Path

    @property
    def catalog_file(self) -> Path:
        return self.root / "library.sqlite3"

    @property
    def index_dir(self) -> Path:
        return self.root / "index"

    @property
    def tags_file(self) -> Path:
        return self.root / "tags.json"

    @property
    def sync_lock_file(self) -> Path:
        return self.root / "sync.lock"
