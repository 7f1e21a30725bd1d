"""`app` (the default command) and `doctor` (the installation checked)."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from browser import __version__
from browser.cli.common import EXIT_FAILURE, EXIT_OK, UserError, open_library, print_error

if TYPE_CHECKING:
    from browser.config import LoadedConfig
    from browser.first_screen import FirstScreen

__all__ = ["doctor_command", "run_app_command"]


def doctor_command(options: argparse.Namespace) -> int:
    from importlib.metadata import PackageNotFoundError, version

    from browser.services import search_engine_warning

    try:
        whoosh_version = version("whoosh-reloaded")
    except PackageNotFoundError:
        whoosh_version = "not installed as whoosh-reloaded"
    print(f"paper-browser {__version__} on Python {sys.version.split()[0]}")
    print(f"whoosh-reloaded {whoosh_version}")
    warning = search_engine_warning()
    print(warning or "Searches take the fast path.")
    return EXIT_FAILURE if warning else EXIT_OK


def run_app_command(options: argparse.Namespace) -> int:
    for path in options.paths:
        if not path.exists():
            raise UserError(f"{path}: no such file or folder")
    from browser.config import load_config

    loaded = load_config()
    if loaded.problem:
        # Also shown in the app; said here too so it is still on the terminal after quitting.
        print_error(loaded.problem)
    first_screen = _kept_first_screen(options)
    if first_screen is not None:
        return _run_over_first_screen(options, first_screen, loaded)
    services = open_library(options)
    # Textual is imported only here, so scripted commands start fast.
    from browser.app import run_app

    try:
        status = run_app(services, dumps=options.paths, year=options.year, config=loaded)
    finally:
        services.close()
    return _app_status(status)


def _kept_first_screen(options: argparse.Namespace) -> FirstScreen | None:
    """The first screen the last session kept, if this launch restores that session on
    that library and it is still true (``browser.first_screen``); else None."""
    if options.paths or getattr(options, "tags", None) is not None:
        return None  # new dumps to read, or user data kept elsewhere: the ordinary launch
    from browser.first_screen import load_first_screen
    from browser.library_paths import LibraryLocationUnknown, resolve_library_dir

    try:
        root = resolve_library_dir(options.library)
    except LibraryLocationUnknown:
        return None  # open_library says why
    return load_first_screen(root)


def _run_over_first_screen(
    options: argparse.Namespace, first_screen: FirstScreen, loaded: LoadedConfig
) -> int:
    """The app painted from ``first_screen`` at once, the library opened behind it.
    What opening the library has to say is printed after the app, as it would have been
    before it (the app shows its notices too)."""
    from browser.app import run_app_from_first_screen

    said: list[str] = []
    try:
        status = run_app_from_first_screen(
            first_screen, lambda: open_library(options, say=said.append), config=loaded
        )
    finally:
        for line in said:
            print_error(line)
    return _app_status(status)


def _app_status(status: int) -> int:
    if status != 0:
        # Textual has printed the traceback; the shell and scripts must see a failure too.
        print_error(f"the app stopped with an error (exit status {status})")
        return EXIT_FAILURE
    return EXIT_OK
