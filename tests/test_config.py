"""The config file: defaults, overrides and every way it can be wrong."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from browser.config import (
    CONFIG_ENV,
    DEFAULT_QUICK_TAGS,
    AppConfig,
    default_config_path,
    load_config,
    parse_config,
)
from browser.tagnames import MAX_TAG_LENGTH, TagError, clean_tag


def write(tmp_path: Path, text: str | bytes) -> Path:
    path = tmp_path / "config.toml"
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def test_missing_file_gives_defaults_without_a_problem(tmp_path: Path) -> None:
    loaded = load_config(tmp_path / "absent.toml")
    assert loaded.config == AppConfig()
    assert loaded.config.quick_tags == DEFAULT_QUICK_TAGS
    assert loaded.problem is None


def test_settings_are_read_and_tags_normalised(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        'quick_tags = ["  must   read ", "Later", "later", "cite"]\n'
        'auto_advance = true\ntheme = "textual-light"\n',
    )
    loaded = load_config(path)
    assert loaded.problem is None
    assert loaded.config.quick_tags == ("must read", "Later", "cite")
    assert loaded.config.auto_advance is True
    assert loaded.config.theme == "textual-light"


def test_env_variable_names_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, 'quick_tags = ["x"]\n')
    assert default_config_path({CONFIG_ENV: str(path)}) == path
    assert load_config(environ={CONFIG_ENV: str(path)}).config.quick_tags == ("x",)


def test_default_path_is_in_the_platform_config_folder() -> None:
    path = default_config_path({})
    assert path.name == "config.toml"
    assert "paper-browser" in str(path.parent)


def test_invalid_toml_falls_back_with_a_message(tmp_path: Path) -> None:
    loaded = load_config(write(tmp_path, "quick_tags = [oops"))
    assert loaded.config == AppConfig()
    assert loaded.problem is not None and "not valid TOML" in loaded.problem


def test_not_utf8_falls_back_with_a_message(tmp_path: Path) -> None:
    loaded = load_config(write(tmp_path, b"quick_tags = ['\xff']"))
    assert loaded.config == AppConfig()
    assert loaded.problem is not None


def test_wrong_types_fall_back_with_a_message(tmp_path: Path) -> None:
    for text, word in [
        ('quick_tags = "to read"', "quick_tags"),
        ("quick_tags = [1, 2]", "quick_tags"),
        ('quick_tags = ["ok", " "]', "empty"),
        ('quick_tags = ["a\\u001bb"]', "control"),
        ('auto_advance = "yes"', "auto_advance"),
        ("theme = 3", "theme"),
        ("quick_tags = [" + ", ".join(f'"t{n}"' for n in range(10)) + "]", "at most 9"),
    ]:
        loaded = load_config(write(tmp_path, text))
        assert loaded.config == AppConfig(), text
        assert loaded.problem is not None and word in loaded.problem, (text, loaded.problem)


def test_unreadable_path_falls_back_with_a_message(tmp_path: Path) -> None:
    loaded = load_config(tmp_path)  # a folder, not a file
    assert loaded.config == AppConfig()
    assert loaded.problem is not None


def test_each_bad_quick_tag_is_named_and_the_other_settings_still_apply(tmp_path: Path) -> None:
    # Once, "a,b" loaded without complaint and then every press of its key failed.
    path = write(
        tmp_path,
        'quick_tags = ["a,b", "semi;colon", "fine"]\nauto_advance = true\ntheme = "nord"\n',
    )
    loaded = load_config(path)
    assert loaded.problem is not None
    assert "quick tag 1 'a,b'" in loaded.problem and "comma" in loaded.problem
    assert "quick tag 2 'semi;colon'" in loaded.problem and "semicolon" in loaded.problem
    assert str(path) in loaded.problem
    # A bad list falls back as a whole (keys 1-9 never shift under the user's fingers)...
    assert loaded.config.quick_tags == DEFAULT_QUICK_TAGS
    assert "default quick tags" in loaded.problem
    # ...and the other settings are used as written.
    assert loaded.config.auto_advance is True
    assert loaded.config.theme == "nord"


@pytest.mark.parametrize(
    ("raw", "complaint"),
    [
        ("a,b", "comma"),
        ("x;y", "semicolon"),
        ("line\nbreak", "one line"),
        ("tab\there", "U+0009"),
        ("evil\u202etxt", "text-direction"),
        ("x" * (MAX_TAG_LENGTH + 1), f"at most {MAX_TAG_LENGTH}"),
        ("   ", "empty"),
    ],
)
def test_quick_tags_follow_the_tag_stores_rules(
    tmp_path: Path, raw: str, complaint: str
) -> None:
    """Whatever the store refuses, the config refuses with the store's own words."""
    with pytest.raises(TagError) as refused:
        clean_tag(raw)
    loaded = load_config(write(tmp_path, f"quick_tags = [{json.dumps(raw)}]\n"))
    assert loaded.problem is not None
    assert complaint in str(refused.value)
    assert str(refused.value) in loaded.problem
    # Shown as the user wrote it, but with any control character made visible.
    assert "\n" not in loaded.problem and "\u202e" not in loaded.problem


def test_a_quick_tag_the_store_accepts_is_accepted_as_the_store_stores_it(
    tmp_path: Path,
) -> None:
    longest = "x" * MAX_TAG_LENGTH
    loaded = load_config(write(tmp_path, f'quick_tags = ["{longest}", "cafe\\u0301", "Café"]\n'))
    assert loaded.problem is None
    # NFC and case-insensitive duplicates, exactly as the tag store compares names.
    assert loaded.config.quick_tags == (longest, clean_tag("cafe\u0301"))


def test_an_unknown_setting_is_named_and_the_rest_applies(tmp_path: Path) -> None:
    loaded = load_config(write(tmp_path, 'quick_tag = ["typo"]\nauto_advance = true\n'))
    assert loaded.problem is not None and "quick_tag" in loaded.problem
    assert loaded.config.auto_advance is True
    assert loaded.config.quick_tags == DEFAULT_QUICK_TAGS


def test_parse_config_raises_naming_every_bad_setting() -> None:
    with pytest.raises(ValueError, match="auto_advance") as raised:
        parse_config({"auto_advance": 1, "quick_tags": ["a,b"]})
    assert "comma" in str(raised.value)
