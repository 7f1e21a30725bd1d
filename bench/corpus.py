"""Synthetic Daily Papers corpora for the search benchmark.

Papers are recombined from the sample dumps (titles re-mixed, abstracts built from
sentences of several seed abstracts) and sprinkled with synthetic words, so the
vocabulary keeps growing with the corpus as a real one does (Heaps' law) instead of
saturating at the seed vocabulary. Output: dump text files in the sample layout (for
the parser) and the same papers as ``Paper`` objects (for the index).
"""

from __future__ import annotations

import datetime as dt
import random
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from browser.identity import paper_id
from browser.models import Organization, Paper

SAMPLE_DIR = Path(__file__).resolve().parent.parent / "sample_dumps"
PAPERS_PER_DUMP = 200
_SYLLABLES = [
    "ka",
    "ro",
    "mi",
    "ne",
    "tu",
    "sa",
    "vel",
    "dor",
    "qui",
    "lan",
    "tor",
    "ex",
    "pra",
    "zen",
    "bo",
    "li",
    "fa",
    "ur",
    "gen",
    "mo",
    "tra",
    "sil",
    "vor",
    "nex",
    "al",
    "ce",
    "dri",
    "pho",
    "lum",
    "ser",
    "ta",
    "vi",
    "no",
    "ran",
    "kel",
]
_ORGS = (
    Organization(slug="nvidia", name="NVIDIA"),
    Organization(slug="facebook", name="AI at Meta"),
    Organization(slug="tencent", name="Tencent"),
    Organization(slug="google", name="Google"),
    Organization(slug="allenai", name="Ai2"),
)
_MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z])")


@dataclass
class Seeds:
    titles: list[str]
    sentences: list[str]


def load_seeds(sample_dir: Path = SAMPLE_DIR) -> Seeds:
    """Titles and abstract sentences of the sample dumps (a long line is an abstract,
    the last non-blank line before it is its title)."""
    titles: list[str] = []
    sentences: list[str] = []
    for path in sorted(sample_dir.glob("*.txt")):
        previous = ""
        for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
            line = line.strip()
            if len(line) > 250:
                if 10 < len(previous) < 250:
                    titles.append(previous)
                sentences.extend(s for s in _SENTENCE_END.split(line) if len(s) > 30)
            if line:
                previous = line
    return Seeds(sorted(set(titles)), sorted(set(sentences)))


class _Vocabulary:
    """Synthetic words drawn with a Zipf-like skew: a few common, a long tail of rare ones."""

    def __init__(self, rng: random.Random, size: int) -> None:
        words: set[str] = set()
        while len(words) < size:
            words.add("".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(2, 4))))
        self.words = sorted(words)
        rng.shuffle(self.words)
        self.rng = rng

    def pick(self) -> str:
        # Cubing a uniform draw skews towards the first words without starving the tail.
        return self.words[int(len(self.words) * self.rng.random() ** 3)]


def generate_papers(count: int, *, seed: int = 7, seeds: Seeds | None = None) -> Iterator[Paper]:
    seeds = seeds or load_seeds()
    rng = random.Random(seed)
    vocabulary = _Vocabulary(rng, max(2000, count * 2))
    start = dt.date(2019, 1, 1).toordinal()
    end = dt.date(2025, 12, 31).toordinal()
    seen: set[str] = set()
    made = 0
    while made < count:
        title_words = rng.choice(seeds.titles).split()
        donor = rng.choice(seeds.titles).split()
        cut = rng.randint(1, max(1, len(title_words) - 1))
        title_words = title_words[:cut] + donor[rng.randint(0, len(donor) - 1) :]
        for _ in range(rng.randint(0, 2)):
            title_words.insert(rng.randint(0, len(title_words)), vocabulary.pick())
        if rng.random() < 0.4:
            title_words.insert(0, vocabulary.pick().capitalize() + ":")
        title = " ".join(title_words)[:220]
        identity = paper_id(title)
        if identity in seen:
            continue
        seen.add(identity)
        sentences = []
        for _ in range(rng.randint(5, 9)):
            words = rng.choice(seeds.sentences).split()
            for _ in range(max(1, len(words) // 12)):
                words[rng.randrange(len(words))] = vocabulary.pick()
            sentences.append(" ".join(words))
        date = dt.date.fromordinal(rng.randint(start, end))
        organization = rng.choice(_ORGS) if rng.random() < 0.15 else None
        yield Paper(
            id=identity,
            title=title,
            abstract=" ".join(sentences),
            authors=None if organization else rng.randint(1, 30),
            organization=organization,
            date=date,
            comments=rng.choice([None, None, 1, 2, 3, 5, 8, 13]),
        )
        made += 1


def dump_text(papers: list[Paper], page_date: dt.date) -> str:
    """Papers in the layout of a saved Daily Papers page."""
    lines = [
        "new",
        "",
        "Get trending papers in your email inbox!",
        "",
        "Subscribe",
        "",
        "Daily Papers",
        "",
        "byAK and the research community",
        "",
        f"{_MONTHS[page_date.month - 1]} {page_date.day}",
        "",
    ]
    for paper in papers:
        lines += [paper.title, "", paper.abstract, ""]
        if paper.organization is not None:
            lines.append(f"{paper.organization.slug} {paper.organization.name}")
        elif paper.authors is not None:
            lines.append(f"  • {paper.authors} authors")
        lines.append("·")
        assert paper.date is not None
        date = f"{_MONTHS[paper.date.month - 1]} {paper.date.day}, {paper.date.year}"
        if paper.comments:
            date += f" {paper.comments}"
        lines += [date, ""]
    return "\n".join(lines)


def write_corpus(papers: list[Paper], folder: Path, *, first_day: dt.date) -> list[Path]:
    """Write papers as dump files of PAPERS_PER_DUMP each; returns the paths."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for number, start in enumerate(range(0, len(papers), PAPERS_PER_DUMP)):
        day = first_day + dt.timedelta(days=number)
        path = folder / f"{day.isoformat()}_daily-papers.txt"
        path.write_text(dump_text(papers[start : start + PAPERS_PER_DUMP], day), encoding="utf-8")
        paths.append(path)
    return paths
