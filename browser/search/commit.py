"""One commit of the index as the search steps read it, worked out once per commit."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Final

from browser.models import Paper
from browser.search.ordering import CommitOrder
from browser.search.whoosh_internals import bytes_column, field_lengths_in_memory

# Papers kept rebuilt from their stored JSON: a few pages of results and then some.
PAPER_CACHE_SIZE: Final = 4000


def stored_paper(searcher: Any, docnum: int) -> Paper:
    """The paper stored with document ``docnum`` (read and validated, not cached)."""
    return Paper.model_validate_json(searcher.stored_fields(docnum)["paper"])


@dataclass(frozen=True)
class Commit:
    """The searcher of one commit and what is worked out for it: sort keys and range
    columns (``CommitOrder``), document numbers by paper id, and papers by document
    number (paging through results, and the settled search after the typing pass, ask
    for the same ones again).

    The index replaces it whole, in one assignment, when a newer commit lands, so
    nothing of an older commit is ever mixed in. Not locked: used under the index's lock.
    """

    searcher: Any
    order: CommitOrder
    _docnums: dict[str, int | None] = field(default_factory=dict)
    _papers: OrderedDict[int, Paper] = field(default_factory=OrderedDict)
    _paper_ids: list[str] = field(default_factory=list)

    @classmethod
    def of(cls, searcher: Any) -> Commit:
        field_lengths_in_memory(searcher)
        return cls(searcher, CommitOrder(searcher))

    def docnum(self, paper_id: str) -> int | None:
        """The document number of ``paper_id``, None when it is not in this commit."""
        if paper_id not in self._docnums:
            self._docnums[paper_id] = self.searcher.document_number(id=paper_id)
        return self._docnums[paper_id]

    def docnums(self, paper_ids: Iterable[str]) -> set[int]:
        """The document numbers of those of ``paper_ids`` this commit holds."""
        found = (self.docnum(paper_id) for paper_id in paper_ids)
        return {docnum for docnum in found if docnum is not None}

    def paper_ids(self) -> list[str]:
        """Each document's paper id, by document number (deleted documents too): the id
        column read whole once per commit (a look-up per document reads one value each)."""
        if not self._paper_ids:
            self._paper_ids.extend(
                value.decode("utf-8") for value in bytes_column(self.searcher, "id")
            )
        return self._paper_ids

    def paper_at(self, docnum: int) -> Paper:
        cache = self._papers
        paper = cache.get(docnum)
        if paper is None:
            paper = cache[docnum] = stored_paper(self.searcher, docnum)
            if len(cache) > PAPER_CACHE_SIZE:
                cache.popitem(last=False)
        else:
            cache.move_to_end(docnum)
        return paper

    def forget_papers(self) -> None:
        """Drop the papers kept (a new typing session starts without them)."""
        self._papers.clear()
