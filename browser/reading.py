"""The reading workflow's use cases, shared by the CLI and the app (``Services.reading``).

Read state, notes, saved searches and the last session, checked against the
catalog (an id must name a paper of the library, or one the user data already
knows) and saved through ``browser.userdata``. Nothing here imports Textual.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from browser.library import Catalog
from browser.models import SORT_ORDERS, SearchFilters, SortOrder, StatePredicate
from browser.userdata import SavedSearch, UserData

__all__ = [
    "NEW_PAPERS",
    "Reading",
    "SavedQuery",
    "SavedView",
    "UnknownPaperId",
    "describe_query",
    "filter_terms",
    "filters_from_json",
    "filters_to_json",
    "query_of",
    "view_from_json",
    "view_to_json",
]


class UnknownPaperId(LookupError):
    """An id that is neither in the library nor in the user data."""


# is:new: the papers the last sync that added papers added.
NEW_PAPERS = SearchFilters(states=(StatePredicate("new"),))


@dataclass(frozen=True)
class SavedView:
    """The view a search was saved from, beyond its words and filters: the papers new at
    the last sync (``"new"``), or one Daily Papers day (``"day"``, ``day`` set). Kept as
    what it names, never as the ids it showed, so it is answered again when run."""

    kind: Literal["new", "day"]
    day: dt.date | None = None


@dataclass(frozen=True)
class SavedQuery:
    """A search to run again: what a saved search or the last session holds."""

    query: str = ""
    sort: SortOrder = "relevance"
    filters: SearchFilters = field(default_factory=SearchFilters)
    view: SavedView | None = None


def view_to_json(view: SavedView) -> dict[str, str]:
    data: dict[str, str] = {"kind": view.kind}
    if view.day is not None:
        data["day"] = view.day.isoformat()
    return data


def view_from_json(data: object) -> SavedView | None:
    """Inverse of :func:`view_to_json`; None for anything malformed (the search then
    runs without its view rather than failing)."""
    if not isinstance(data, Mapping):
        return None
    kind = data.get("kind")
    if kind == "new":
        return SavedView("new")
    if kind == "day" and isinstance(data.get("day"), str):
        try:
            return SavedView("day", dt.date.fromisoformat(data["day"]))
        except ValueError:
            return None
    return None


def filters_to_json(filters: SearchFilters) -> dict[str, Any]:
    """The structured filters as plain JSON (id sets are not kept: they are a moment's)."""
    data: dict[str, Any] = {}
    if filters.required_tags:
        data["required_tags"] = list(filters.required_tags)
    if filters.excluded_tags:
        data["excluded_tags"] = list(filters.excluded_tags)
    if filters.tagged is not None:
        data["tagged"] = filters.tagged
    if filters.states:
        data["states"] = [[s.name, s.argument, s.negated] for s in filters.states]
    return data


def filters_from_json(data: Mapping[str, Any]) -> SearchFilters:
    """Inverse of :func:`filters_to_json`; anything malformed is dropped, never raised."""

    def texts(key: str) -> tuple[str, ...]:
        value = data.get(key)
        return tuple(v for v in value if isinstance(v, str)) if isinstance(value, list) else ()

    tagged = data.get("tagged")
    states: list[StatePredicate] = []
    raw_states = data.get("states")
    for item in raw_states if isinstance(raw_states, list) else []:
        if (
            isinstance(item, list)
            and len(item) == 3
            and isinstance(item[0], str)
            and isinstance(item[1], str)
            and isinstance(item[2], bool)
        ):
            states.append(StatePredicate(item[0], item[1], item[2]))
    return SearchFilters(
        required_tags=texts("required_tags"),
        excluded_tags=texts("excluded_tags"),
        tagged=tagged if isinstance(tagged, bool) else None,
        states=tuple(states),
    )


def _sort(value: str) -> SortOrder:
    for order in SORT_ORDERS:
        if order == value:
            return order
    return "relevance"


def query_of(saved: SavedSearch) -> SavedQuery:
    """A stored saved search as the query it runs (filters and view parsed; anything
    malformed dropped, never raised)."""
    filters = filters_from_json(saved.filters)
    view = view_from_json(saved.filters.get("view"))
    sort = _sort(saved.sort)
    if view is not None and view.day is not None and sort == "upvotes":
        # Day views saved before pages kept their order sorted by upvotes; within one
        # day `listed` is that order with the page's order breaking ties, as [ ] show it.
        sort = "listed"
    return SavedQuery(saved.query, sort, filters, view)


def describe_query(query: SavedQuery) -> str:
    """What a saved search is, in one line, as the app's ``B`` list, the command palette,
    the save prompt and ``paper-browser saved`` show it: its words (``every paper`` when
    none), its filters as query terms, its view, its sort. For example
    ``“diffusion” · tag:"to read" is:unread · day Mon 2025-03-02 · sort: listed``.
    The text is the user's (words, tag names): callers make it safe for their screen."""
    parts = [f"“{query.query}”" if query.query.strip() else "every paper"]
    terms = filter_terms(query.filters)
    if terms:
        parts.append(" ".join(terms))
    if query.view is not None:
        day = query.view.day
        parts.append(f"day {day:%a} {day.isoformat()}" if day else "the new papers")
    # Without words nothing ranks the papers and the search lists them newest first
    # (search.answering), so "relevance" would name an order the list does not have.
    unranked = not query.query.strip() and query.sort == "relevance"
    parts.append(f"sort: {'newest' if unranked else query.sort}")
    return " · ".join(parts)


def filter_terms(filters: SearchFilters) -> list[str]:
    """The structured filters as the query terms that ask for them (``tag:"to read"``,
    ``-tag:done``, ``is:tagged``, ``is:unread``, ``note:word``)."""
    terms = [f"tag:{_term_text(name)}" for name in filters.required_tags]
    terms += [f"-tag:{_term_text(name)}" for name in filters.excluded_tags]
    if filters.tagged is not None:
        terms.append("is:tagged" if filters.tagged else "is:untagged")
    for state in filters.states:
        terms.append(_state_term(state))
    return terms


def _state_term(state: StatePredicate) -> str:
    if state.name == "read":  # is:unread is read negated
        return "is:unread" if state.negated else "is:read"
    word = f"{state.name}:{_term_text(state.argument)}" if state.argument else f"is:{state.name}"
    return ("-" if state.negated else "") + word


def _term_text(text: str) -> str:
    """A tag name or note word as a query term writes it: quoted when it has spaces,
    parentheses or quotes."""
    return text if text and not re.search(r'[\s()"]', text) else f'"{text}"'


class Reading:
    """Read state, notes, saved searches and the session of one library."""

    def __init__(self, catalog: Catalog, userdata: UserData) -> None:
        self._catalog = catalog
        self._userdata = userdata
        self.state = userdata.reading

    # ---------------------------------------------------------------- read

    def is_read(self, paper_id: str) -> bool:
        return self.state.is_read(paper_id)

    def set_read(self, paper_ids: Sequence[str], read: bool = True) -> list[str]:
        """Mark papers read (``read``) or unread; the ids whose state changed.

        Raises UnknownPaperId (naming them all) before changing anything when an id
        is unknown, UserDataError when it cannot be saved."""
        self.check_ids(paper_ids)
        return self.state.set_read(paper_ids, read)

    def toggle_read(self, paper_id: str) -> bool:
        """Flip a paper's read mark; returns the new state."""
        now_read = not self.state.is_read(paper_id)
        self.state.set_read([paper_id], now_read)
        return now_read

    # ---------------------------------------------------------------- notes

    def note_of(self, paper_id: str) -> str:
        return self.state.note_of(paper_id)

    def set_note(self, paper_id: str, text: str) -> bool:
        """Save the note (blank deletes it); True if it changed. Raises UnknownPaperId,
        UserDataError, ValueError (too long)."""
        self.check_ids([paper_id])
        paper = self._catalog.paper(paper_id)
        return self.state.set_note(paper_id, text, title=paper.title if paper else "")

    def noted_ids(self) -> set[str]:
        return self.state.noted_ids()

    # ---------------------------------------------------------------- saved searches

    def saved_searches(self) -> list[SavedSearch]:
        return self.state.saved_searches()

    def saved_query(self, name: str) -> SavedQuery | None:
        saved = self.state.saved_search(name)
        return None if saved is None else query_of(saved)

    def save_query(self, name: str, query: SavedQuery) -> bool:
        """Save under ``name`` (overwriting one of that name: True then); the view rides
        in the filters' JSON under ``view`` (older versions ignore the key)."""
        filters = filters_to_json(query.filters)
        if query.view is not None:
            filters["view"] = view_to_json(query.view)
        return self.state.save_search(SavedSearch(name.strip(), query.query, query.sort, filters))

    def delete_saved(self, name: str) -> bool:
        return self.state.delete_search(name)

    # ---------------------------------------------------------------- session

    def last_session(self) -> tuple[SavedQuery, str | None] | None:
        """The query and the highlighted paper id when the app last closed, if any."""
        values = self.state.session()
        if "query" not in values:
            return None
        try:
            filters = filters_from_json(json.loads(values.get("filters", "{}")))
        except ValueError:
            filters = SearchFilters()
        saved = SavedQuery(values["query"], _sort(values.get("sort", "")), filters)
        return saved, values.get("paper") or None

    def remember_session(
        self, query: SavedQuery, paper_id: str | None, *, new_seen: str = ""
    ) -> None:
        """Where the user is now; ``new_seen`` names the batch of new papers already shown."""
        self.state.save_session(
            {
                "query": query.query,
                "sort": query.sort,
                "filters": json.dumps(filters_to_json(query.filters)),
                "paper": paper_id or "",
                "new_seen": new_seen,
            }
        )

    def unseen_new(self) -> tuple[str, int, str | None] | None:
        """The batch of new papers not yet announced: (its stamp, how many, the previous
        sync's time or None); None when every batch was shown."""
        stamp = self.state.new_since()
        if stamp is None or self.state.session().get("new_seen") == stamp:
            return None
        count = len(self.state.new_ids())
        return (stamp, count, self.state.previous_sync()) if count else None

    # ---------------------------------------------------------------- helpers

    def check_ids(self, paper_ids: Iterable[str]) -> None:
        unknown = [
            paper_id
            for paper_id in paper_ids
            if self._catalog.paper(paper_id) is None and not self._known(paper_id)
        ]
        if unknown:
            raise UnknownPaperId(
                f"no paper with id {', '.join(map(repr, unknown))} in the library "
                "(see `paper-browser search` for ids)"
            )

    def _known(self, paper_id: str) -> bool:
        return bool(
            self._userdata.tags.tags_of(paper_id)
            or self.state.note_of(paper_id)
            or self.state.is_read(paper_id)
        )
