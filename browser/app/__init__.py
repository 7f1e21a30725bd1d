"""The Textual app (``PaperBrowserApp``, ``run_app``), one job per module:

| module | job |
|---|---|
| ``main`` | the App: state the list shows, bindings, actions and messages forwarded to flows |
| ``searching`` | bar and filters to a request, the search worker, answers to rows, notice, status |
| ``narrowing`` | sort, tag filter, similar papers, ``escape``, a stats row's search |
| ``paper`` | the abstract pane, the reader's source, opening links, copying |
| ``tagging`` | quick tags, tag prompt, removal, one undo over tags and read marks |
| ``reading`` | read marks (auto, ``r``, ``ctrl+r``) and notes (``n``) |
| ``session`` | where you left off, saved searches, new papers at launch, day by day |
| ``syncing`` | reading the dumps in a worker, its progress and report |
| ``transfer`` | export and tag import dialogs and workers |
| ``split_pane`` | the list/pane split, remembered between launches |
| ``commands`` | the command palette's entries and the key help's rows |
| ``messages`` | what workers post back to the UI thread |
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from browser.app.commands import PALETTE_COMMANDS, PaletteCommand
    from browser.app.main import Notifier, PaperBrowserApp, run_app, run_app_from_first_screen
    from browser.app.paper import link_for
    from browser.app.searching import run_request

__all__ = [
    "PALETTE_COMMANDS",
    "Notifier",
    "PaletteCommand",
    "PaperBrowserApp",
    "link_for",
    "run_app",
    "run_app_from_first_screen",
    "run_request",
]

# Each name from its module on first use: importing the package (as every module of it
# does) must not import the flows, which a launch over a kept first screen defers.
_HOMES = {
    "PALETTE_COMMANDS": "commands",
    "PaletteCommand": "commands",
    "Notifier": "main",
    "PaperBrowserApp": "main",
    "run_app": "main",
    "run_app_from_first_screen": "main",
    "link_for": "paper",
    "run_request": "searching",
}


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"browser.app.{_HOMES[name]}"), name)
    globals()[name] = value
    return value
