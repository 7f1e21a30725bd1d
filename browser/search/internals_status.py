"""Whether the fast path's private Whoosh names are all there, in one plain sentence.

Pure: ``whoosh_internals.probe`` finds the missing names; this only says what that
means for the user (the app's status line, ``paper-browser doctor``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import whoosh

# The Whoosh release this module was written against (pinned in pyproject.toml).
WRITTEN_FOR: Final = "whoosh-reloaded 2.7.5"


@dataclass(frozen=True)
class InternalsStatus:
    """Which private Whoosh names the installed release lacks (none: the fast path)."""

    missing: tuple[str, ...] = ()

    @property
    def fast(self) -> bool:
        return not self.missing

    @property
    def message(self) -> str | None:
        """One plain sentence when searches run on the slower path, else None."""
        if self.fast:
            return None
        version = ".".join(map(str, whoosh.__version__))
        return (
            f"Searches use Whoosh's slower public path (same results): Whoosh {version} "
            f"lacks {', '.join(self.missing)}, which the fast path written for "
            f"{WRITTEN_FOR} reads."
        )
