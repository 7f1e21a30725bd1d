"""A small library for the stats tests, counted by hand (shared by test_stats and
test_stats_screen): two Daily Papers pages as API JSON (listing days, author names,
organisations, one of them hostile) and a text dump without a page date (papers counted
on their own date, one without any date).

Per month: 2025-10: 1 (own date), 2025-11: 3, 2025-12: 5 (one on its own date), no date:
1; 10 papers, 2 counted on their own date.
Organisations: NVIDIA 3, HOSTILE_ORG 2, none 5. Authors: Ada Li 3, Bo Chen 2,
Chen Wei 2, HOSTILE_AUTHOR 1, no author names 4. "agent swarms" rises in December.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from conftest import DumpPaper, write_dump

from browser.services import Services, open_services

HOSTILE_ORG = "[link=https://evil.example]Evil[/link] Lab \x1b[31m"
HOSTILE_AUTHOR = "[bold red]Mallory[/] \\[x] \x07"
NVIDIA = {"name": "nvidia", "fullname": "NVIDIA"}
EVIL = {"name": "evil", "fullname": HOSTILE_ORG}

DECEMBER = [
    ("Agent Swarms for Planning", "Agent swarms plan routes together.", EVIL,
     [HOSTILE_AUTHOR, "Ada Li"]),
    ("Agent Swarms at Scale", "Agent swarms scale to thousands of drones.", EVIL, ["Ada Li"]),
    ("Swarm Coordination Without Leaders", "Agent swarms coordinate without a leader.",
     NVIDIA, ["Bo Chen"]),
    ("Language Models Meet Agent Swarms", "Language models steer agent swarms.", None, []),
]
NOVEMBER = [
    ("Robot Grasping with Tactile Sensing", "Robot grasping from touch.", NVIDIA,
     ["Bo Chen", "Ada Li"]),
    ("Robot Grasping in Clutter", "Robot grasping among clutter.", NVIDIA, ["Chen Wei"]),
    ("Robot Walking on Ice", "Robot walking on ice.", None, ["Chen Wei"]),
]
OWN_DATES = [
    DumpPaper("Agent Swarms Revisited", "Agent swarms again.", date="Dec 10, 2025"),
    DumpPaper("Robot Manipulation Survey", "A survey of robot manipulation.", date="Oct 7, 2025"),
    DumpPaper("Undated Robot Note", "A robot note without a date.", date=None),
]


def _page(day: str, papers: list[tuple[str, str, Any, list[str]]]) -> dict[str, Any]:
    entries = [
        {
            "paper": {
                "id": f"2512.{day[-2:]}{number:03d}",
                "title": title,
                "summary": abstract,
                "authors": [{"name": name} for name in names],
                "publishedAt": f"{day}T00:00:00.000Z",
                "submittedOnDailyAt": f"{day}T08:00:00.000Z",
                **({"organization": organization} if organization else {}),
            },
            "numComments": number,
        }
        for number, (title, abstract, organization, names) in enumerate(papers)
    ]
    return {"date": day, "dailyPapers": entries}


def build_stats_library(root: Path) -> Services:
    """The library above, opened (the caller closes it)."""
    dumps = root / "dumps"
    dumps.mkdir(parents=True, exist_ok=True)
    for day, papers in (("2025-12-03", DECEMBER), ("2025-11-04", NOVEMBER)):
        (dumps / f"{day}.json").write_text(json.dumps(_page(day, papers)), encoding="utf-8")
    write_dump(dumps, "older.txt", OWN_DATES, page_date=None)
    services = open_services(root / "library")
    services.sync([dumps])
    return services
