"""The quick-tag bar: each key apart from its label ("1 to read  2 read", never
"1to read2read"), laid out in the lines it has at 80 and 160 columns, long or many tags
shortened with an ellipsis rather than split or cut off at the edge."""

from __future__ import annotations

import re

import pytest
from app_driver import make_app, running, search
from rich.cells import cell_len
from test_app_days import services  # noqa: F401  (the fixture: API JSON with listing days)
from textual import events
from textual.content import Content

from browser.config import AppConfig
from browser.services import Services
from browser.widgets.quick_tags import QUICK_TAG_META, QuickTagBar, quick_tags_content

DEFAULT = ["to read", "read", "important", "later", "cite", "skip"]
MANY = [*DEFAULT, "reinforcement learning", "needs a second look", "survey"]
# A key, one space, a label: what every tag of the bar reads as.
TAG = re.compile(r"(?:^|  )([1-9]) (\S)")


def keys_of(text: str) -> list[int]:
    return [int(key) for line in text.splitlines() for key, _ in TAG.findall(line)]


def test_a_key_is_apart_from_its_label_and_from_the_tag_before() -> None:
    text = quick_tags_content(DEFAULT, []).plain
    assert text == "1 to read  2 read  3 important  4 later  5 cite  6 skip"


def test_tags_that_fit_are_whole() -> None:
    assert quick_tags_content(DEFAULT, [], 80, 1).plain == quick_tags_content(DEFAULT, []).plain


@pytest.mark.parametrize(("width", "lines"), [(78, 1), (60, 2), (46, 1), (40, 2)])
def test_many_tags_are_shortened_never_split_nor_cut_at_the_edge(width: int, lines: int) -> None:
    text = quick_tags_content(MANY, [], width, lines).plain
    rows = text.splitlines()
    assert len(rows) <= lines
    assert all(cell_len(row) <= width for row in rows), rows
    keys = keys_of(text)
    assert keys == list(range(1, len(keys) + 1))  # in order, none split from its label
    if keys[-1] < len(MANY):
        assert rows[-1].endswith("  …"), rows  # the tags left out are said to be there
    # The longest labels give way first: a short one stays whole while it can.
    if width >= 60:
        assert keys == list(range(1, 10))
        assert "2 read " in text and "5 cite " in text
    if lines == 1:
        assert "reinforcement learning" not in text and "…" in text


def test_two_lines_keep_whole_labels_where_one_would_shorten_them() -> None:
    one = quick_tags_content(MANY, [], 60, 1).plain
    two = quick_tags_content(MANY, [], 60, 2).plain
    assert "…" in one and "…" not in two
    assert "7 reinforcement learning" in two


def test_a_click_finds_its_slot_on_the_key_and_the_label() -> None:
    content = quick_tags_content(DEFAULT, ["read"], 80, 1)
    text = content.plain
    start = text.index("2 read")
    for offset in range(len("2 read")):
        metas = [
            span.style.meta.get(QUICK_TAG_META)  # type: ignore[union-attr]
            for span in content.spans
            if span.start <= start + offset < span.end and hasattr(span.style, "meta")
        ]
        assert 2 in metas, offset


@pytest.mark.parametrize("size", [(80, 24), (160, 48)], ids=["80x24", "160x48"])
async def test_the_bar_on_screen_at_80_and_160_columns(
    services: Services,  # noqa: F811
    size: tuple[int, int],
) -> None:
    app = make_app(services, config=AppConfig(quick_tags=MANY, read_after_seconds=0))
    async with running(app, size=size) as pilot:
        await search(pilot, "")
        bar = app.main_screen.quick_tag_bar
        await pilot.pause(0.1)
        assert isinstance(bar, QuickTagBar)
        visual = bar.visual
        assert isinstance(visual, Content)
        rows = visual.plain.splitlines()
        width = bar.content_size.width
        assert all(cell_len(row) <= width for row in rows), (rows, width)
        assert len(rows) == bar.content_size.height  # nothing wrapped or hidden
        # All nine keys, each apart from its label, at either size.
        assert keys_of(visual.plain) == list(range(1, 10)), rows
        assert "1to" not in visual.plain and not re.search(r"\S[1-9] ", visual.plain)


def plain(bar: QuickTagBar) -> str:
    visual = bar.visual
    assert isinstance(visual, Content)
    return visual.plain


async def test_a_resize_lays_the_bar_out_again_only_when_its_width_or_lines_change(
    services: Services,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    app = make_app(services, config=AppConfig(quick_tags=MANY, read_after_seconds=0))
    async with running(app, size=(80, 40)) as pilot:
        await search(pilot, "")
        bar = app.main_screen.quick_tag_bar
        await pilot.pause(0.1)
        assert len(plain(bar).splitlines()) == 2  # MANY takes two lines at 80
        laid_out: list[object] = []
        with monkeypatch.context() as patch:
            patch.setattr(bar, "update", laid_out.append)
            # The bar's own height following its lines, a taller screen: nothing to redo.
            bar.on_resize(events.Resize(bar.size, bar.size))
        assert laid_out == []
        # Shorter than the breakpoint at the same width: one line now, laid out again.
        await pilot.resize_terminal(80, 24)
        await pilot.pause(0.1)
        rows = plain(bar).splitlines()
        assert len(rows) == 1 and bar.content_size.height == 1, rows
        assert keys_of(rows[0]) == list(range(1, 10)), rows
