"""A library made with identity version 1 moves to version 2 once, tags and all."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

import browser.parse.api_json
import browser.parse.text
from browser.identity import IDENTITY_VERSION, paper_id
from browser.identity_migration import migrate_identities
from browser.library import Catalog, sync_catalog
from browser.models import SearchFilters
from browser.reading import SavedQuery
from browser.services import open_services
from browser.tags import TagStore
from tests.conftest import DumpPaper, write_dump
from tests.test_identity import version_1_id

HIDDEN = "Mix\u200bFormer: Mixing Features for Vision"
VISIBLE = "MixFormer: Mixing Features for Vision"
SOFT = "Rein\u00adforcement Learning from Pixels"
PLAIN = "Attention Is All You Need"


def _write_dumps(folder: Path) -> None:
    write_dump(folder, "2024-03-05_a.txt", [DumpPaper(HIDDEN, "A copy pasted from a PDF.")])
    write_dump(
        folder,
        "2024-03-06_b.txt",
        [
            DumpPaper(VISIBLE, "The same paper, clean.", authors=7),
            DumpPaper(SOFT, "Only this copy exists."),
            DumpPaper(PLAIN, "Transformers."),
        ],
    )


@pytest.fixture
def old_library(
    tmp_path: Path, library_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> tuple[Path, Path]:
    """A library synced by version 1 (its ids), with tags, a read mark and notes."""
    dumps = tmp_path / "dumps"
    _write_dumps(dumps)
    with monkeypatch.context() as patched:
        patched.setattr(browser.parse.text, "cached_paper_id", version_1_id)
        patched.setattr(browser.parse.api_json, "cached_paper_id", version_1_id)
        services = open_services()
        services.sync([dumps])
        services.tags.add(version_1_id(HIDDEN), "to read", title=HIDDEN)
        services.tags.add(version_1_id(HIDDEN), "important", title=HIDDEN)
        services.tags.add(version_1_id(VISIBLE), "important", title=VISIBLE)
        services.tags.add(version_1_id(SOFT), "rl", title=SOFT)
        services.tags.add(version_1_id(PLAIN), "classic", title=PLAIN)
        services.userdata.reading.set_read([version_1_id(HIDDEN)])
        services.userdata.reading.set_note(version_1_id(HIDDEN), "from the PDF copy")
        services.userdata.reading.set_note(version_1_id(VISIBLE), "clean copy")
        # As a later sync leaves them: every paper "new", then where the user left off,
        # and a saved search naming papers by id.
        services.userdata.reading.replace_new(
            version_1_id(title) for title in (HIDDEN, VISIBLE, SOFT, PLAIN)
        )
        services.reading.remember_session(
            SavedQuery(f"id:{version_1_id(HIDDEN)} OR mixing", "newest", SearchFilters()),
            version_1_id(HIDDEN),
            new_seen=services.userdata.reading.new_since() or "",
        )
        services.reading.save_query(
            "by id", SavedQuery(f"id:{version_1_id(SOFT)} OR id:{version_1_id(PLAIN)}")
        )
        assert services.catalog.paper_count() == 4
        services.close()
    catalog_file = library_dir / "library.sqlite3"
    with sqlite3.connect(catalog_file) as db:
        db.execute("DELETE FROM meta WHERE key = 'identity'")  # as version 1 left it
    return dumps, library_dir


def test_tags_move_to_the_surviving_id_once(old_library: tuple[Path, Path]) -> None:
    dumps, _library = old_library
    services = open_services()
    assert services.notices and "2 papers whose titles" in services.notices[0]
    assert "tags of 2" in services.notices[0]
    assert services.catalog.identity_version() == IDENTITY_VERSION
    # The two copies are one paper, under the visible title's id, with both copies' tags.
    assert services.catalog.paper_count() == 3
    merged = services.catalog.paper(paper_id(VISIBLE))
    assert merged is not None and len(merged.sources) == 2
    assert services.tags.tags_of(paper_id(VISIBLE)) == ["important", "to read"]
    assert services.tags.tags_of(paper_id(SOFT)) == ["rl"]
    assert paper_id(SOFT) != version_1_id(SOFT)
    # A paper without invisible characters kept its id and its tags.
    assert paper_id(PLAIN) == version_1_id(PLAIN)
    assert services.tags.tags_of(paper_id(PLAIN)) == ["classic"]
    # Read marks and notes came along; two notes are both kept.
    reading = services.userdata.reading
    assert reading.read_ids() == {paper_id(VISIBLE)}
    assert reading.note_of(paper_id(VISIBLE)) == "clean copy\n\nfrom the PDF copy"
    # "New" marks moved without starting a new batch; so did the last session's
    # highlighted paper and the ids written in saved and last queries.
    assert reading.new_ids() == {paper_id(VISIBLE), paper_id(SOFT), paper_id(PLAIN)}
    assert services.reading.unseen_new() is None
    last = services.reading.last_session()
    assert last is not None and last[1] == paper_id(VISIBLE)
    assert last[0].query == f"id:{paper_id(VISIBLE)} OR mixing"
    saved = services.reading.saved_query("by id")
    assert saved is not None and saved.query == f"id:{paper_id(SOFT)} OR id:{paper_id(PLAIN)}"
    # Nothing is left under the old ids.
    assert version_1_id(HIDDEN) not in {entry.paper_id for entry in services.tags.entries()}
    assert reading.note_of(version_1_id(HIDDEN)) == ""
    assert services.catalog.paper(version_1_id(HIDDEN)) is None
    # The migration is not the user's first undo.
    assert not services.tags.can_undo
    # The index is brought to the new ids by the next sync, and search finds the tags.
    assert services.index_problem is not None
    services.sync([dumps])
    hits = services.search("tag:important").hits
    assert [hit.paper.id for hit in hits] == [paper_id(VISIBLE)]
    found = {hit.paper.id for hit in services.search(saved.query).hits}
    assert found == {paper_id(SOFT), paper_id(PLAIN)}
    services.close()

    again = open_services()
    assert again.notices == []
    assert again.tags.tags_of(paper_id(VISIBLE)) == ["important", "to read"]
    again.close()


def test_a_run_killed_after_moving_tags_finishes_next_time(
    old_library: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    del old_library  # the library as version 1 left it

    def killed(self: Catalog, *args: object) -> dict[str, str]:
        raise KeyboardInterrupt

    with monkeypatch.context() as patched:
        patched.setattr(Catalog, "reidentify", killed)
        with pytest.raises(KeyboardInterrupt):
            open_services()
    # Tags moved, catalog not yet: the next open completes it and loses nothing.
    services = open_services()
    assert services.catalog.identity_version() == IDENTITY_VERSION
    assert services.tags.tags_of(paper_id(VISIBLE)) == ["important", "to read"]
    assert services.tags.tags_of(paper_id(SOFT)) == ["rl"]
    services.close()


def test_read_only_user_data_postpones_the_migration(
    old_library: tuple[Path, Path], tmp_path: Path
) -> None:
    _dumps, library = old_library
    catalog = Catalog(library / "library.sqlite3")
    store = TagStore(tmp_path / "tags.json")
    store.add(version_1_id(HIDDEN), "to read", title=HIDDEN)
    store.read_only = True
    message = migrate_identities(catalog, lambda: store)
    assert message is not None and "not updated" in message
    assert catalog.identity_version() == 1
    assert catalog.paper(version_1_id(HIDDEN)) is not None
    catalog.close()


def test_a_tags_json_written_by_the_json_store_migrates_too(
    tmp_path: Path, library_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """tags.json under version-1 ids (as TagStore writes it) goes into the user data and
    then to the new ids."""
    dumps = tmp_path / "dumps"
    _write_dumps(dumps)
    with monkeypatch.context() as patched:
        patched.setattr(browser.parse.text, "cached_paper_id", version_1_id)
        patched.setattr(browser.parse.api_json, "cached_paper_id", version_1_id)
        catalog = Catalog(library_dir / "library.sqlite3")
        sync_catalog(catalog, [dumps])
        catalog.close()
    with sqlite3.connect(library_dir / "library.sqlite3") as db:
        db.execute("DELETE FROM meta WHERE key = 'identity'")
    legacy = TagStore(library_dir / "tags.json")
    legacy.add(version_1_id(HIDDEN), "to read", title=HIDDEN)
    legacy.add(version_1_id(PLAIN), "classic", title=PLAIN)
    services = open_services()
    assert services.tags.tags_of(paper_id(VISIBLE)) == ["to read"]
    assert services.tags.tags_of(paper_id(PLAIN)) == ["classic"]
    assert services.catalog.paper_count() == 3
    services.close()


def test_a_new_library_needs_no_migration(tmp_path: Path, library_dir: Path) -> None:
    dumps = tmp_path / "dumps"
    _write_dumps(dumps)
    services = open_services()
    services.sync([dumps])
    assert services.catalog.paper_count() == 3
    assert services.catalog.identity_version() == IDENTITY_VERSION
    services.close()
    assert open_services().notices == []
