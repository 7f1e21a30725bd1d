"""Peak resident memory of the running process, as its own address space saw it.

Why not ``resource.getrusage(RUSAGE_SELF).ru_maxrss`` alone: Linux carries the
high-water mark across ``execve`` (``exec_mmap`` in fs/exec.c keeps the larger of the
old image's and the new one's), so a command started from a 300 MB pytest worker or
benchmark reports at least 300 MB, however little it used itself. A full test suite
failed the big-dump memory test that way at 225 and 315 MB while the command itself
peaked at 126 MB. ``VmHWM`` in ``/proc/self/status`` is the high-water mark of the
current address space only; other systems fall back to ``ru_maxrss``.
"""

from __future__ import annotations

import resource
import sys
from pathlib import Path

__all__ = ["PEAK_RSS_MIB_PROBE", "peak_rss_mib"]

_STATUS = Path("/proc/self/status")


def peak_rss_mib() -> float:
    """This process's peak resident set size in MiB (``VmHWM``; else ``ru_maxrss``)."""
    try:
        for line in _STATUS.read_text(encoding="ascii").splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024  # the kernel writes kB
    except (OSError, ValueError, IndexError):
        pass
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    # Kilobytes on Linux, bytes on macOS.
    return peak / 2**20 if sys.platform == "darwin" else peak / 1024


PEAK_RSS_MIB_PROBE = (
    "import sys\n"
    f"sys.path.insert(0, {str(Path(__file__).resolve().parent.parent)!r})\n"
    "from bench.peak_memory import peak_rss_mib\n"
)
"""Source lines that make ``peak_rss_mib`` importable in a ``python -c`` child."""
