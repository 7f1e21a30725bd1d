"""The use cases the CLI and the app both call, on one ``Services`` object per library.

``factory`` (``open_services``, ``Services``), ``core`` (the parts, search, papers by id),
``sync`` (dumps into the catalog and the index), ``exports`` (export and tag import),
``stats`` (counts for the stats screen and the listing days), ``saved`` (a saved search
opened in its view). Nothing here imports Textual.
"""

from browser.services.core import ServicesCore, UnknownPaper, search_engine_warning
from browser.services.exports import EXPORT_LIMIT, ExportSelection
from browser.services.factory import BUNDLED_SAMPLE_DUMPS, Services, open_services
from browser.services.saved import OpenedSearch, UnknownSavedSearch
from browser.services.sync import AnotherSyncRunning, SyncProgress, SyncSummary

__all__ = [
    "BUNDLED_SAMPLE_DUMPS",
    "EXPORT_LIMIT",
    "AnotherSyncRunning",
    "ExportSelection",
    "OpenedSearch",
    "Services",
    "ServicesCore",
    "SyncProgress",
    "SyncSummary",
    "UnknownPaper",
    "UnknownSavedSearch",
    "open_services",
    "search_engine_warning",
]
