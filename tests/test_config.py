"""The config file: defaults, overrides and every way it can be wrong."""

from __future__ import annotations

from pathlib import Path

from browser.config import (
    CONFIG_ENV,
    DEFAULT_QUICK_TAGS,
    AppConfig,
    default_config_path,
    load_config,
)


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
