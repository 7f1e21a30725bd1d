"""The search engine: a Whoosh index of the library's papers, kept on disk as a rebuildable cache.

The only package that imports Whoosh, and within it only ``whoosh_internals`` touches
Whoosh's private names. Modules follow the route of a query (``docs/architecture.md``):
``syntax`` -> ``planning`` -> ``matching`` / ``scoring`` / ``ordering`` (all stoppable
through ``stopping``) -> ``highlighting`` / ``spelling``, with ``schema`` and
``vocabulary`` below them and ``facade`` (``PaperIndex``) in front.
"""

from browser.models import SearchCancelled
from browser.search.facade import IndexBusy, IndexUnusable, PaperIndex

__all__ = ["IndexBusy", "IndexUnusable", "PaperIndex", "SearchCancelled"]
