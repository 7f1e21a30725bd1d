"""The search engine: a Whoosh index of the library's papers, kept on disk as a rebuildable cache.

The only package that imports Whoosh, and within it only ``whoosh_internals`` touches
Whoosh's private names. Modules follow the route of a query (``docs/architecture.md``):
``facade`` (``PaperIndex``) -> ``syntax`` -> ``planning`` -> ``answering``, which uses
``matching`` / ``scoring`` / ``ordering`` (all stoppable through ``stopping``), then
``highlighting`` and ``spelling``; ``commit``, ``schema`` and ``vocabulary`` sit below.
"""

from browser.models import SearchCancelled
from browser.search import whoosh_internals
from browser.search.facade import IndexBusy, IndexUnusable, PaperIndex

__all__ = ["IndexBusy", "IndexUnusable", "PaperIndex", "SearchCancelled", "slow_path_reason"]


def slow_path_reason() -> str | None:
    """One plain sentence when searches run on Whoosh's slower public path because the
    installed Whoosh lacks a private name the fast path reads; None on the fast path."""
    return whoosh_internals.STATUS.message
