"""View preferences: remembered, merged per key, forgiving of damage and of unknown keys."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest

from browser.ui_state import (
    MAX_ABSTRACT_PERCENT,
    UiState,
    UiStateSaver,
    load_ui_state,
    ui_state_path,
    update_ui_state,
)


def test_missing_file_gives_defaults_quietly(tmp_path: Path) -> None:
    loaded = load_ui_state(ui_state_path(tmp_path))
    assert loaded.state == UiState()
    assert loaded.problem is None


def test_a_saved_value_comes_back_and_unknown_keys_survive(tmp_path: Path) -> None:
    path = ui_state_path(tmp_path)
    path.write_text(json.dumps({"left_off": {"query": "robots"}}), encoding="utf-8")
    state = update_ui_state(path, abstract_percent=60)
    assert state.abstract_percent == 60
    assert load_ui_state(path).state.abstract_percent == 60
    on_disk = json.loads(path.read_text(encoding="utf-8"))
    assert on_disk == {"abstract_percent": 60, "left_off": {"query": "robots"}}
    assert not list(tmp_path.glob("*.tmp"))


@pytest.mark.parametrize(
    "content",
    [b"{not json", b"[1, 2]", b"\xff\xfe\x00garbage", b"", b'"a string"'],
)
def test_a_damaged_file_gives_defaults_with_a_message(tmp_path: Path, content: bytes) -> None:
    path = ui_state_path(tmp_path)
    path.write_bytes(content)
    loaded = load_ui_state(path)
    assert loaded.state == UiState()
    assert loaded.problem is not None and "ignored" in loaded.problem
    # The next save keeps the damaged file aside instead of silently replacing it.
    update_ui_state(path, abstract_percent=30)
    assert load_ui_state(path).state.abstract_percent == 30
    assert path.with_name(path.name + ".damaged").read_bytes() == content


@pytest.mark.parametrize("value", ["wide", 5, 500, [40], None])
def test_a_bad_value_falls_back_to_its_default(tmp_path: Path, value: object) -> None:
    path = ui_state_path(tmp_path)
    path.write_text(json.dumps({"abstract_percent": value, "other": 1}), encoding="utf-8")
    loaded = load_ui_state(path)
    assert loaded.state.abstract_percent is None
    if value is not None:
        assert loaded.problem is not None and "abstract_percent" in loaded.problem


def test_a_bad_value_is_refused_before_writing(tmp_path: Path) -> None:
    path = ui_state_path(tmp_path)
    with pytest.raises(ValueError):
        update_ui_state(path, abstract_percent=MAX_ABSTRACT_PERCENT + 1)
    assert not path.exists()


def test_two_writers_keep_each_others_keys(tmp_path: Path) -> None:
    path = ui_state_path(tmp_path)
    update_ui_state(path, abstract_percent=50)
    # Another copy (or a newer version) writes its own key in between.
    data = json.loads(path.read_text(encoding="utf-8"))
    data["left_off"] = "x"
    path.write_text(json.dumps(data), encoding="utf-8")
    update_ui_state(path, abstract_percent=70)
    assert json.loads(path.read_text(encoding="utf-8")) == {"abstract_percent": 70, "left_off": "x"}


def test_concurrent_updates_of_different_keys_all_survive(tmp_path: Path) -> None:
    """Two copies of the app (threads exclude each other through flock as processes do)."""
    path = ui_state_path(tmp_path)

    def writer(key: str) -> None:
        for value in range(40):
            update_ui_state(path, **{key: value})

    threads = [threading.Thread(target=writer, args=(f"key_{n}",)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    on_disk = json.loads(path.read_text(encoding="utf-8"))
    assert on_disk == {f"key_{n}": 39 for n in range(4)}


def test_the_saver_writes_the_last_value_whatever_order_the_saves_run_in(
    tmp_path: Path,
) -> None:
    saver = UiStateSaver(ui_state_path(tmp_path))
    assert not saver.pending and saver.save() is False  # nothing to write
    results: list[bool] = []

    def press_and_save(percent: int) -> None:
        saver.change(abstract_percent=percent)
        results.append(saver.save())

    threads = [
        threading.Thread(target=press_and_save, args=(percent,)) for percent in range(20, 81)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    saver.change(abstract_percent=30)  # the user's last press
    assert saver.pending
    assert saver.save() is True
    assert saver.save() is False and not saver.pending
    assert load_ui_state(saver.path).state.abstract_percent == 30
    with pytest.raises(ValueError):
        saver.change(abstract_percent=5)
