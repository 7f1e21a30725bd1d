"""Screens pinned as SVG snapshots (update with --snapshot-update after checking them by eye)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from app_driver import make_app
from conftest import DumpPaper
from test_app import PAPERS, build_library
from textual.pilot import Pilot

from browser.app import PaperBrowserApp
from browser.models import SearchResult
from browser.services import Services


class FixedTimeIndex:
    """The real index, reporting 7 ms for every search so screenshots do not vary."""

    def __init__(self, index: Any) -> None:
        self._index = index

    def search(self, *args: Any, **kwargs: Any) -> SearchResult:
        return self._fixed(self._index.search(*args, **kwargs))

    def more_like(self, *args: Any, **kwargs: Any) -> SearchResult:
        return self._fixed(self._index.more_like(*args, **kwargs))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._index, name)

    def __len__(self) -> int:
        return len(self._index)

    @staticmethod
    def _fixed(result: SearchResult) -> SearchResult:
        result.elapsed_ms = 7.0
        return result


EXTRA = [
    DumpPaper(
        "Sparse Autoencoders Find Interpretable Features in Language Models",
        "Sparse autoencoders recover monosemantic features from the residual stream.",
        organization="anthropic Anthropic",
        date="Oct 3, 2023",
        comments=4,
    ),
    DumpPaper(
        r"$\pi$-Flow: One-Step Diffusion with $\alpha$-Divergence Distillation",
        r"We distil a diffusion teacher into $k=4$ steps at about $10^{-3}$ of the cost. "
        r"Our \texttt{SAILOR} agent is open: https://github.com/example/piflow. "
        + " ".join(f"Sentence {n} of a long abstract about diffusion." for n in range(12)),
        authors=6,
        date="Apr 1, 2024",
        comments=9,
    ),
]


@pytest.fixture
def services(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Services]:
    # The reader names dump files from the home folder (~/dumps/...): the same every run.
    monkeypatch.setenv("HOME", str(tmp_path))
    built = build_library(tmp_path, [*PAPERS, *EXTRA])
    built.index = FixedTimeIndex(built.index)  # type: ignore[assignment]
    yield built
    built.index._index.close()  # type: ignore[attr-defined]
    built.catalog.close()


async def settle(pilot: Pilot[None]) -> None:
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def test_list_and_paper_at_80x24(snap_compare: Any, services: Services) -> None:
    async def run_before(pilot: Pilot[None]) -> None:
        await settle(pilot)
        app = pilot.app
        assert isinstance(app, PaperBrowserApp)
        app.search_bar.value = "diffusion"
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("1")
        await settle(pilot)

    assert snap_compare(make_app(services), terminal_size=(80, 24), run_before=run_before)


def test_all_papers_sorted_newest_at_120x40(snap_compare: Any, services: Services) -> None:
    async def run_before(pilot: Pilot[None]) -> None:
        await settle(pilot)
        # No words to rank by: the list is newest first without pressing s.
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("3", "down", "down")
        await settle(pilot)

    assert snap_compare(make_app(services), terminal_size=(120, 40), run_before=run_before)


def test_help_screen_at_100x32(snap_compare: Any, services: Services) -> None:
    async def run_before(pilot: Pilot[None]) -> None:
        await settle(pilot)
        await pilot.press("enter", "question_mark")
        await settle(pilot)

    assert snap_compare(make_app(services), terminal_size=(100, 32), run_before=run_before)


@pytest.mark.parametrize("size", [(80, 24), (160, 48)])
def test_reader_with_math_and_links(
    snap_compare: Any, services: Services, size: tuple[int, int]
) -> None:
    async def run_before(pilot: Pilot[None]) -> None:
        await settle(pilot)
        app = pilot.app
        assert isinstance(app, PaperBrowserApp)
        app.search_bar.value = "diffusion"
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("enter", "j", "1")  # read, next paper, tag it
        await settle(pilot)

    assert snap_compare(make_app(services), terminal_size=size, run_before=run_before)
