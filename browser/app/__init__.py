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

from browser.app.commands import PALETTE_COMMANDS, PaletteCommand
from browser.app.main import Notifier, PaperBrowserApp, run_app
from browser.app.paper import link_for
from browser.app.searching import run_request

__all__ = [
    "PALETTE_COMMANDS",
    "Notifier",
    "PaletteCommand",
    "PaperBrowserApp",
    "link_for",
    "run_app",
    "run_request",
]
