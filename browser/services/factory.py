"""The one factory that wires the stages together, for the CLI, the app and the tests:
``open_services`` and the ``Services`` it returns."""

from __future__ import annotations

import time
from collections.abc import Callable
from importlib import resources
from pathlib import Path

from browser.identity_migration import migrate_identities
from browser.library import Catalog, CatalogUnusable
from browser.library_paths import LibraryPaths, resolve_library_dir
from browser.search import IndexUnusable, PaperIndex
from browser.services.exports import ExportUseCases
from browser.services.saved import SavedSearchUseCases
from browser.services.sync import SyncUseCases, sync_lock
from browser.userdata import UserTags, open_user_data

__all__ = ["BUNDLED_SAMPLE_DUMPS", "Services", "open_services"]


def _bundled_sample_dumps() -> Path:
    """The sample dumps: inside the installed package (setup.py maps the repository's
    top-level sample_dumps/ to ``browser/sample_dumps``), else beside the source tree."""
    installed = resources.files("browser") / "sample_dumps"
    if isinstance(installed, Path) and installed.is_dir():
        return installed
    return Path(__file__).resolve().parents[2] / "sample_dumps"


BUNDLED_SAMPLE_DUMPS = _bundled_sample_dumps()


class Services(SyncUseCases, ExportUseCases, SavedSearchUseCases):
    """Everything one library offers (``ServicesCore``: paths, catalog, search index, user
    data; search, papers by id, backup) with its sync, export, stats and saved-search
    use cases."""


def open_services(
    library_dir: Path | None = None,
    tags_file: Path | None = None,
    *,
    on_wait: Callable[[], None] | None = None,
) -> Services:
    """Open (creating if needed) the library at ``library_dir`` or the default location.

    A catalog or index that cannot be opened is set aside and rebuilt, never a traceback.
    """
    paths = LibraryPaths(resolve_library_dir(library_dir))
    paths.root.mkdir(parents=True, exist_ok=True)
    try:
        catalog = Catalog(paths.catalog_file)
    except CatalogUnusable:
        _set_aside(paths.catalog_file)
        catalog = Catalog(paths.catalog_file)
    index_problem: str | None = None
    try:
        index = PaperIndex.open(paths.index_dir)
    except IndexUnusable:
        # Emptying the folder while another process writes it (a sync mid-rebuild) would
        # destroy that run's work: look again, and create, only under the sync lock.
        with sync_lock(paths.sync_lock_file, on_wait, 300.0):
            try:
                index = PaperIndex.open(paths.index_dir)
            except IndexUnusable as error:
                index_problem = str(error) or "the search index could not be opened"
                index = PaperIndex.create(paths.index_dir)
    userdata = open_user_data(
        paths.root, tags_file.expanduser() if tags_file is not None else None
    )
    # Its own tag store, so the migration is not the user's first undo.
    migrated = migrate_identities(
        catalog, lambda: UserTags(userdata.database), reading=userdata.reading
    )
    services = Services(
        paths=paths,
        catalog=catalog,
        index=index,
        userdata=userdata,
        index_problem=index_problem,
        index_broken=index_problem is not None,
    )
    if migrated is not None:
        services.notices.append(migrated)
        if index_problem is None:
            # The index still holds the old ids: rebuilt by the next sync (the app's first).
            services.index_problem = "paper ids changed (identity migration)"
    if services.index_problem is None and len(index) != catalog.paper_count():
        # The index is a cache of the catalog: if they disagree, the catalog wins.
        services.index_problem = "the search index was out of date with the library"
    return services


def _set_aside(path: Path) -> None:
    """Keep a broken catalog for inspection instead of deleting it."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    for suffix in ("", "-wal", "-shm"):
        candidate = path.with_name(path.name + suffix)
        if candidate.exists():
            candidate.replace(candidate.with_name(f"{candidate.name}.broken-{stamp}"))
