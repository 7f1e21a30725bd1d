"""Shared fixtures: tiny dumps written in tmp_path, and a library folder."""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import settings

# Property tests check answers, not speed: speed goals live in bench/. Hypothesis's
# default 200 ms deadline per example failed tests that were right whenever the shared
# 2-core machine was busy (one example took 352 ms under a load of 8).
settings.register_profile("suite", deadline=None)
settings.load_profile("suite")

REPO = Path(__file__).resolve().parent.parent
SAMPLE_DUMPS = REPO / "sample_dumps"

HEADER = (
    "new\n\nGet trending papers in your email inbox!\n\nSubscribe\n\nDaily Papers\n\n"
    "byAK and the research community\n\n"
)


@dataclass
class DumpPaper:
    title: str
    abstract: str
    authors: int | None = 3
    organization: str | None = None  # "slug Display Name"
    date: str | None = "Mar 4, 2024"
    comments: int | None = None


def dump_text(papers: list[DumpPaper], *, page_date: str | None = None) -> str:
    """A page in the blank-line layout of sample_dumps/, with the HF header.

    ``page_date`` (e.g. ``"Mar 5"``) is the page's date, which becomes every paper's
    listing day; without one the papers have none (and screens show no year-less day
    that would move with the year the tests run in).
    """
    blocks = [HEADER.rstrip("\n")]
    if page_date:
        blocks.append(page_date)
    for paper in papers:
        lines = [paper.title, "", paper.abstract]
        if paper.date is not None:
            lines.append("")
            if paper.organization:
                lines.append(paper.organization)
            elif paper.authors is not None:
                lines.append(f"  • {paper.authors} authors")
            lines.append("·")
            lines.append(paper.date + (f" {paper.comments}" if paper.comments is not None else ""))
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks) + "\n"


def write_dump(folder: Path, name: str, papers: list[DumpPaper], **options: str | None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(dump_text(papers, **options), encoding="utf-8")
    return path


FIXTURE_PAPERS = [
    DumpPaper(
        "Reinforcement Learning for Robot Policies",
        "We train robot policies with reinforcement learning and reward shaping.",
        authors=5,
        date="Jan 10, 2024",
        comments=3,
    ),
    DumpPaper(
        "Pokémon Battles as a Benchmark for Planning",
        "Planning agents play Pokémon; see https://example.org/pokemon.",
        authors=2,
        date="Jun 2, 2024",
        comments=1,
    ),
    DumpPaper(
        "Diffusion Models for Text-to-3D Generation",
        "Score distillation with diffusion models produces 3D assets.",
        organization="nvidia NVIDIA",
        date="Feb 20, 2023",
    ),
    DumpPaper(
        "[bold]Markup[/bold] in a Title: $x^2$ and =SUM(A1)",
        "An abstract with [@click=app.quit] and \\texttt{code} left literal.",
        authors=1,
        date="Mar 1, 2024",
        comments=12,
    ),
]


@pytest.fixture
def dumps_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "dumps"
    write_dump(folder, "2024-03-05_page.txt", FIXTURE_PAPERS)
    return folder


@pytest.fixture
def library_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    library = tmp_path / "library"
    monkeypatch.setenv("PAPER_BROWSER_HOME", str(library))
    monkeypatch.setenv("PAPER_BROWSER_CONFIG", str(tmp_path / "config.toml"))
    yield library


@pytest.fixture(scope="session")
def sample_library(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> Path:
    """A library of the bundled sample dumps, indexed once through the CLI (read it only).

    Once per run, not once per xdist worker: the workers share their base temp folder's
    parent, and the first to ask builds it there under a lock while the other waits (the
    build is ~3 s of CPU, and the tests that read it run on every worker).
    """
    from browser.cli import main

    def build(library: Path) -> None:
        assert main(["index", str(SAMPLE_DUMPS), "--library", str(library)]) == 0

    if worker_id == "master":  # not under xdist: this run's own temp folder
        library = tmp_path_factory.mktemp("sample-library")
        build(library)
        return library
    shared = tmp_path_factory.getbasetemp().parent
    library, built = shared / "sample-library", shared / "sample-library.built"
    with (shared / "sample-library.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not built.exists():
            build(library)
            built.touch()
    return library
