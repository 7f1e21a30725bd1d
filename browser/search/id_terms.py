"""The index's side of the arXiv ids a query names (``identifiers`` reads them from the
text): whether a paper has one, a pasted list ranked in its order, and the start of an
id (``arxiv:2401.0*``) as the ids that start so, capped. No Whoosh internals.
"""

from __future__ import annotations

from itertools import islice
from typing import Any

from whoosh import query as wq

from browser.search.identifiers import ReadId
from browser.search.kept import frequency

ARXIV_FIELD = "arxiv"


def has_arxiv_id(searcher: Any, read: ReadId) -> bool:
    """Whether a paper has the id read (for an id being typed: one starting with it)."""
    if not read.prefix:
        return frequency(searcher, ARXIV_FIELD, read.arxiv_id) > 0
    return next(iter(searcher.reader().expand_prefix(ARXIV_FIELD, read.arxiv_id)), None) is not None


def listed_in_order(node: Any) -> Any:
    """A pasted list of ids (``identifiers.ID_LIST``) ranked in the order written: each
    id scores alike (one term in a one-word field), so a boost falling by a little at
    each id orders them, and ties no longer follow the index's order."""
    children = node.subqueries if isinstance(node, wq.Or) else []
    if len(children) < 2 or any(getattr(c, "fieldname", None) != ARXIV_FIELD for c in children):
        return node
    for place, child in enumerate(children):
        child.boost = 1.0 + (len(children) - place) / (10 * len(children))
    return node


def id_prefix_terms(searcher: Any, node: Any, cap: int) -> Any:
    """``arxiv:2401.0*`` as the first ``cap`` ids that start so. Each id is a term of
    one posting: Whoosh's own expansion read all of them, a second of CPU for the 8,000
    ids of a month while ``2401.0`` was being typed (a wildcard on words is capped by
    frequency the same way, ``planning.WILDCARD_EXPANSION_CAP``)."""
    terms = list(islice(searcher.reader().expand_prefix(ARXIV_FIELD, node.text), cap))
    if not terms:
        return wq.NullQuery
    words = [term.decode() if isinstance(term, bytes) else term for term in terms]
    return wq.Or([wq.Term(ARXIV_FIELD, word) for word in words], boost=node.boost)
