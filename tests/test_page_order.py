"""A Daily Papers day in its page's order (issue 14): most upvoted first where upvotes
are known, then the order the dump showed the papers in, whatever the format (text in
both layouts, API JSON on one line, a saved page), whatever other dumps show the paper
again; the same in the CLI's ``--sort listed``, in the app's ``[``/``]``, and on the
bundled sample dumps (the expected order read from the files by a reader of this test's
own).

Each day's papers are given comments and dates that would order them otherwise, so a
fallback to comments or dates cannot pass for the page's order.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from app_driver import make_app, running, search, settle, wait_for

from browser.cli import main
from browser.merging import merge_records
from browser.models import ParsedRecord
from browser.services import Services, open_services

SAMPLE_DUMPS = Path(__file__).resolve().parent.parent / "sample_dumps"

# (title, upvotes line or None, comments) in the page's order. The blank-line layout with
# upvote counts (``-`` is none, i.e. 0): ties keep the page's order.
VOTED_DAY = "2025-10-30"
VOTED_CARDS = [
    ("Alpha Tied at Five", "5", 0),
    ("Beta Most Voted", "40", 1),
    ("Gamma Tied at Five", "5", 7),
    ("Delta Without Votes", "-", 3),
    ("Epsilon Tied at Five", "5", 2),
]
VOTED_ORDER = [
    "Beta Most Voted",
    "Alpha Tied at Five",
    "Gamma Tied at Five",
    "Epsilon Tied at Five",
    "Delta Without Votes",
]
# The compact layout without upvotes: the page's order only.
PLAIN_DAY = "2025-10-31"
PLAIN_CARDS = [
    ("Zeta Opens the Page", None, 0),
    ("Eta Comes Second", None, 5),
    ("Theta Comes Third", None, 9),
    ("An Iota Closes It", None, 4),
]
# API JSON on one line, upvotes missing for some (unknown last, in the page's order).
JSON_DAY = "2025-11-01"
JSON_CARDS = [
    ("Kappa Unvoted First", None, 9),
    ("Lambda Three Votes", 3, 0),
    ("Mu Ten Votes", 10, 1),
    ("Nu Unvoted Second", None, 2),
    ("Xi Three Votes Too", 3, 8),
]
JSON_ORDER = [
    "Mu Ten Votes",
    "Lambda Three Votes",
    "Xi Three Votes Too",
    "Kappa Unvoted First",
    "Nu Unvoted Second",
]
# A saved page without upvotes: its data element's order.
HTML_DAY = "2025-11-02"
HTML_CARDS = [
    ("Omicron on the Saved Page", None, 1),
    ("Pi on the Saved Page", None, 6),
    ("Rho on the Saved Page", None, 3),
]


def _month_day(day: str) -> str:
    date = dt.date.fromisoformat(day)
    return f"{date:%b} {date.day}"


def text_page(day: str, cards: list[tuple[str, str | None, int]]) -> str:
    """The blank-line layout: header, page date, an upvote line (when given) before each
    title; each card dated a day later than the one before (newest last)."""
    parts = [
        "Get trending papers in your email inbox!\n\nDaily Papers\n\n",
        _month_day(day),
        "\n\n",
    ]
    for number, (title, upvotes, comments) in enumerate(cards):
        if upvotes is not None:
            parts.append(f"{upvotes}\n\n")
        parts.append(f"{title}\n\nWhat {title} is about.\n\n  • 2 authors\n·\n")
        parts.append(f"Oct {number + 1} {comments}\n\n" if comments else f"Oct {number + 1}\n\n")
    return "".join(parts)


def compact_page(day: str, cards: list[tuple[str, str | None, int]]) -> str:
    """The compact layout (no blank lines), no upvotes."""
    lines = [
        "Get trending papers in your email inbox!",
        "Subscribe",
        "Daily Papers",
        _month_day(day),
    ]
    for number, (title, _upvotes, comments) in enumerate(cards):
        date = f"Oct {number + 1} {comments}" if comments else f"Oct {number + 1}"
        lines += [title, f"What {title} is about.", "  • 2 authors", "·", date]
    return "\n".join(lines) + "\n"


def api_entries(
    day: str, cards: list[tuple[str, int | None, int]], first: int
) -> list[dict[str, Any]]:
    """Daily Papers API entries; arXiv ids from ``first`` on (ids join papers)."""
    entries = []
    for number, (title, upvotes, comments) in enumerate(cards):
        paper: dict[str, Any] = {
            "id": f"2510.{first + number:05d}",
            "title": title,
            "summary": f"What {title} is about.",
            "publishedAt": f"2025-10-{number + 1:02d}T00:00:00.000Z",
        }
        if upvotes is not None:
            paper["upvotes"] = upvotes
        entries.append(
            {"paper": paper, "submittedOnDailyAt": f"{day}T08:00:00.000Z", "numComments": comments}
        )
    return entries


def html_page(day: str, cards: list[tuple[str, int | None, int]]) -> str:
    entries = api_entries(day, cards, first=200)
    for entry in entries:
        del entry["submittedOnDailyAt"]  # the page's date says the day
    props = html.escape(json.dumps({"dailyPapers": entries, "date": day}))
    return (
        '<html><body>\n<div data-target="DailyPapers" '
        f'data-props="{props}"></div>\n</body></html>\n'
    )


def write_dumps(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{VOTED_DAY}_daily.txt").write_text(text_page(VOTED_DAY, VOTED_CARDS))
    (folder / f"{PLAIN_DAY}_daily.txt").write_text(compact_page(PLAIN_DAY, PLAIN_CARDS))
    json_text = json.dumps(api_entries(JSON_DAY, JSON_CARDS, first=100))
    assert "\n" not in json_text  # every entry on one line: only their place orders them
    (folder / f"{JSON_DAY}.json").write_text(json_text)
    html_cards = [(t, None, c) for t, _u, c in HTML_CARDS]
    (folder / f"{HTML_DAY}.html").write_text(html_page(HTML_DAY, html_cards))
    # A weekly page a few days later shows two papers of Oct 30 again, first and in
    # another order: they stay where their own day's page had them.
    weekly = [("Epsilon Tied at Five", None, 0), ("Alpha Tied at Five", None, 0)]
    (folder / "2025-11-03_weekly.txt").write_text(text_page("2025-11-03", weekly))
    return folder


EXPECTED = {
    VOTED_DAY: VOTED_ORDER,
    PLAIN_DAY: [title for title, *_ in PLAIN_CARDS],
    JSON_DAY: JSON_ORDER,
    HTML_DAY: [title for title, *_ in HTML_CARDS],
}


@pytest.fixture
def library(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Services]:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    dumps = write_dumps(tmp_path / "dumps")
    services = open_services(tmp_path / "library")
    services.sync([dumps])
    yield services
    services.close()


def cli_day(library_dir: Path, day: str, capsys: pytest.CaptureFixture[str]) -> list[str]:
    """The titles ``search listed:DAY --sort listed`` prints, in its order."""
    arguments = ["search", f"listed:{day}", "--sort", "listed", "--json", "--limit", "100"]
    assert main([*arguments, "--library", str(library_dir)]) == 0
    return [hit["title"] for hit in json.loads(capsys.readouterr().out)["hits"]]


def test_the_cli_lists_each_day_in_its_pages_order(
    library: Services, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for day, titles in EXPECTED.items():
        assert cli_day(tmp_path / "library", day, capsys) == titles, day
    # The whole library: newest day first, each day in its page's order.
    arguments = ["search", "", "--sort", "listed", "--json", "--limit", "100"]
    assert main([*arguments, "--library", str(tmp_path / "library")]) == 0
    everything = [hit["title"] for hit in json.loads(capsys.readouterr().out)["hits"]]
    assert everything == [
        title for day in sorted(EXPECTED, reverse=True) for title in EXPECTED[day]
    ]


def test_the_order_does_not_depend_on_which_dump_was_read_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    dumps = write_dumps(tmp_path / "dumps")
    services = open_services(tmp_path / "library")
    try:
        # The weekly page first, the day's own page in a later sync.
        services.sync([dumps / "2025-11-03_weekly.txt"])
        services.sync([dumps / "2025-11-03_weekly.txt", dumps / f"{VOTED_DAY}_daily.txt"])
    finally:
        services.close()
    assert cli_day(tmp_path / "library", VOTED_DAY, capsys) == VOTED_ORDER


def record(title: str, file: str, position: int, listed: str | None) -> ParsedRecord:
    return ParsedRecord(
        id="hf-1",
        title=title,
        listed=dt.date.fromisoformat(listed) if listed else None,
        source={"file": file, "line": 1, "position": position},
    )


def test_a_paper_stands_where_its_listing_days_page_has_it() -> None:
    daily = record("T", "b-daily.txt", 7, "2025-12-10")
    weekly = record("T", "a-weekly.txt", 0, "2025-12-14")
    again = record("T", "c-daily-copy.txt", 2, "2025-12-10")
    for records in ([daily, weekly, again], [weekly, again, daily], [again, daily, weekly]):
        merged = merge_records("hf-1", records)
        assert merged.listed == dt.date(2025, 12, 10)
        assert merged.page == daily.source  # the day's pages, the first by file name
    undated = [record("T", "b.txt", 4, None), record("T", "a.txt", 9, None)]
    assert merge_records("hf-1", undated).page == undated[1].source


def test_every_format_numbers_its_records_in_the_files_order(tmp_path: Path) -> None:
    from browser.parse import parse_file

    dumps = write_dumps(tmp_path / "dumps")
    for path in sorted(dumps.iterdir()):
        records = parse_file(path).records
        assert [r.source.position for r in records] == list(range(len(records))), path.name


async def test_brackets_step_through_the_days_in_their_pages_order(library: Services) -> None:
    app = make_app(library)
    async with running(app) as pilot:
        await search(pilot, "")
        seen: dict[str, list[str]] = {}
        await pilot.press("right_square_bracket")  # the newest day
        for step in range(len(EXPECTED)):
            if step:
                await pilot.press("left_square_bracket")
            await settle(pilot)
            await wait_for(pilot, lambda: app.view is not None and app.view.day is not None)
            day = app.view.day.isoformat()
            await wait_for(
                pilot, lambda day=day: {h.paper.listed for h in app.table.hits} == {app.view.day}
            )
            seen[day] = [hit.paper.title for hit in app.table.hits]
        assert seen == EXPECTED
        await pilot.press("right_square_bracket")
        await settle(pilot)
        await wait_for(
            pilot, lambda: app.view is not None and app.view.day == dt.date(2025, 10, 31)
        )
        assert [hit.paper.title for hit in app.table.hits] == EXPECTED[PLAIN_DAY]


# -- the bundled sample dumps -------------------------------------------------------------------

_DATE = re.compile(r"(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{1,2}(, \d{4})?( \d+)?")


def titles_in_file(path: Path) -> list[str]:
    """The card titles of a blank-line text dump, in the file's order, read without the
    parser: after the page date, a title, its abstract, then detail lines (the bullet
    author count, ``·``, a date, or the organisation line just before a ``·``)."""
    lines = [line.strip() for line in path.read_text(encoding="utf-8").splitlines()]
    lines = [line for line in lines if line]
    at = next(number for number, line in enumerate(lines) if _DATE.fullmatch(line)) + 1
    titles: list[str] = []
    while at < len(lines):
        titles.append(lines[at])
        at += 2  # the title and its abstract

        def detail(number: int) -> bool:
            line = lines[number]
            following = lines[number + 1] if number + 1 < len(lines) else ""
            return (
                line.startswith("•")
                or line == "·"
                or bool(_DATE.fullmatch(line))
                or following == "·"
            )

        while at < len(lines) and detail(at):
            at += 1
    return titles


def test_each_sample_day_is_in_its_files_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    services = open_services(tmp_path / "library")
    try:
        services.sync([SAMPLE_DUMPS])
    finally:
        services.close()
    dated = sorted(SAMPLE_DUMPS.glob("20??-??-??_*.txt"))
    assert len(dated) >= 2
    earlier: set[str] = set()
    for path in dated:
        in_file = titles_in_file(path)
        # A paper already listed on an earlier page belongs to that day.
        expected = [title for title in dict.fromkeys(in_file) if title not in earlier]
        earlier |= set(in_file)
        shown = cli_day(tmp_path / "library", path.name[:10], capsys)
        assert shown == expected, path.name
        assert len(shown) >= 10  # a real page, not a handful
