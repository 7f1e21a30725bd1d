"""`app` (the default command) and `doctor` (the installation checked)."""

from __future__ import annotations

import argparse
import sys

from browser import __version__
from browser.cli.common import EXIT_FAILURE, EXIT_OK, UserError, open_library, print_error

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
    services = open_library(options)
    # Textual is imported only here, so scripted commands start fast.
    from browser.app import run_app

    try:
        status = run_app(services, dumps=options.paths, year=options.year, config=loaded)
    finally:
        services.close()
    if status != 0:
        # Textual has printed the traceback; the shell and scripts must see a failure too.
        print_error(f"the app stopped with an error (exit status {status})")
        return EXIT_FAILURE
    return EXIT_OK
