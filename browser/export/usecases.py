"""The export and import use cases behind ``Services``: rows from the library and the
tag store, files written atomically, and imported tags matched and applied."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from browser.export.formats import ExportOptions, write_export
from browser.export.rows import ExportRow, arxiv_id_in_link, normalize_arxiv_id
from browser.export.tag_import import (
    ImportReport,
    match_entry,
    read_import_file,
    title_match_key,
)
from browser.fsutil import atomic_writer
from browser.identity import ID_PREFIX
from browser.identity import paper_id as paper_id_for_title
from browser.library import Catalog
from browser.tagnames import tag_key
from browser.userdata import UserTags


def build_rows(
    catalog: Catalog,
    tags: UserTags,
    paper_ids: Sequence[str] | None,
    *,
    notes: Mapping[str, str] | None = None,
    read: Mapping[str, bool] | None = None,
) -> list[ExportRow]:
    """Rows for these papers (with their tags), or for every tagged paper when None.

    ``notes`` and ``read`` come from the user-data store when it keeps them.
    """
    entries = {entry.paper_id: entry for entry in tags.entries()}
    wanted = list(paper_ids) if paper_ids is not None else sorted(entries)
    rows = []
    for paper_id in wanted:
        paper = catalog.paper(paper_id)
        entry = entries.get(paper_id)
        title = paper.title if paper is not None else (entry.title if entry else "")
        rows.append(
            ExportRow(
                paper_id=paper_id,
                title=title,
                tags=list(entry.tags) if entry is not None else [],
                paper=paper,
                note=notes.get(paper_id) if notes is not None else None,
                read=read.get(paper_id) if read is not None else None,
            )
        )
    return rows


def write_export_file(path: Path, rows: Sequence[ExportRow], options: ExportOptions) -> int:
    """Write the export atomically (fsutil: temporary file, fsync, rename, folder fsync):
    a half-written file never replaces a good one.

    Raises OSError when the folder cannot be written, ColumnError for bad columns.
    """
    path = path.expanduser()
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_writer(path, "w", encoding="utf-8", newline="") as out:
        return write_export(out, rows, options)


class LibraryLookup:
    """Finds papers for imported entries in the catalog and the tag store.

    Ids are looked up directly; arXiv ids and titles first try the id a title gives,
    then one pass over the catalog builds both maps (only when needed).
    """

    def __init__(self, catalog: Catalog, tags: UserTags) -> None:
        self.catalog = catalog
        self.tags = tags
        self._tagged = tags.tagged_ids()
        self._by_arxiv: dict[str, str] | None = None
        self._by_title: dict[str, str] = {}

    def has_id(self, paper_id: str) -> bool:
        return paper_id in self._tagged or self.catalog.paper(paper_id) is not None

    def title_of(self, paper_id: str) -> str:
        paper = self.catalog.paper(paper_id)
        return paper.title if paper is not None else self.tags.title_of(paper_id)

    def by_arxiv(self, arxiv_id: str) -> str | None:
        return self._maps().get(normalize_arxiv_id(arxiv_id) or arxiv_id)

    def by_title(self, title: str) -> str | None:
        direct = paper_id_for_title(title)
        if self.has_id(direct):
            return direct
        self._maps()
        return self._by_title.get(title_match_key(title))

    def _maps(self) -> dict[str, str]:
        if self._by_arxiv is None:
            self._by_arxiv = {}
            for paper_id, title, arxiv_id, links in self.catalog.identities():
                ids = [normalize_arxiv_id(arxiv_id or "")]
                ids.extend(arxiv_id_in_link(link) for link in links)
                for found in ids:
                    if found:
                        self._by_arxiv.setdefault(found, paper_id)
                self._by_title.setdefault(title_match_key(title), paper_id)
            for entry in self.tags.entries():
                self._by_title.setdefault(title_match_key(entry.title), entry.paper_id)
        return self._by_arxiv


def import_tags(
    path: Path, catalog: Catalog, tags: UserTags, *, replace: bool = False
) -> ImportReport:
    """Read ``path`` (CSV, BibTeX or RIS), match its entries and apply their tags.

    Adds tags by default (a paper keeps the tags it has, as CSV import always did);
    ``replace`` makes each matched paper's tags exactly those of the file, so a tag
    renamed or removed in a reference manager is renamed or removed here. CSV rows
    whose own id cell holds one of our ids (a paper whose dump is gone) keep their
    tags under it; every other entry that matches nothing (a CSV row named by title
    only, any BibTeX or RIS entry) is reported as matched nothing and nothing is stored.
    One save and one undo step for the whole file. Raises OSError, TagImportError,
    TagError.
    """
    parsed = read_import_file(path)
    lookup = LibraryLookup(catalog, tags)
    report = ImportReport(
        file=str(path),
        format=parsed.format,
        detection=parsed.detection,
        replace=replace,
        entries=len(parsed.entries),
        problems=list(parsed.problems),
    )
    wanted: dict[str, tuple[list[str], str]] = {}
    for entry in parsed.entries:
        paper_id = match_entry(entry, lookup)
        if paper_id is None and is_our_id(entry.paper_id):
            report.kept_unknown.append(entry.describe(str(path)))
            paper_id = entry.paper_id
        elif paper_id is None:
            report.unmatched.append(entry.describe(str(path)))
            continue
        else:
            report.papers_matched += 1
        title = lookup.title_of(paper_id) or entry.title
        known = wanted.setdefault(paper_id, ([], title))[0]
        keys = {tag_key(tag) for tag in known}
        known.extend(tag for tag in entry.tags if tag_key(tag) not in keys)
    before = {paper_id: _keys(tags.tags_of(paper_id)) for paper_id in wanted}
    assignments = [(paper_id, tag_list, title) for paper_id, (tag_list, title) in wanted.items()]
    if replace:
        tags.set_many(assignments)
    else:
        tags.add_many(assignments)
    for paper_id, old in before.items():
        new = _keys(tags.tags_of(paper_id))
        report.tags_added += len(new - old)
        report.tags_removed += len(old - new)
        report.papers_changed += new != old
    return report


_OUR_ID = re.compile(re.escape(ID_PREFIX) + r"[0-9a-f]{16}")


def is_our_id(text: str) -> bool:
    """True for an id as ``identity.paper_id`` makes them (``hf-`` and 16 hex digits)."""
    return _OUR_ID.fullmatch(text) is not None


def _keys(names: Iterable[str]) -> set[str]:
    return {tag_key(name) for name in names}
