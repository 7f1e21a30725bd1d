"""The user's app settings: quick tags on keys 1-9, triage mode, theme.

Read from ``config.toml`` in the platform's config folder (or the file named by
``PAPER_BROWSER_CONFIG``). A missing file means defaults; a broken one means
defaults plus a message for the user, never an exception.

Example::

    quick_tags = ["to read", "read", "important", "later"]
    auto_advance = true        # move to the next paper after a quick tag
    theme = "textual-light"
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from platformdirs import user_config_dir

CONFIG_ENV = "PAPER_BROWSER_CONFIG"
MAX_QUICK_TAGS = 9
MAX_TAG_LENGTH = 60
DEFAULT_QUICK_TAGS: tuple[str, ...] = (
    "to read",
    "read",
    "important",
    "later",
    "cite",
    "skip",
)


@dataclass(frozen=True)
class AppConfig:
    """Settings the app reads at start."""

    quick_tags: tuple[str, ...] = DEFAULT_QUICK_TAGS
    auto_advance: bool = False
    theme: str | None = None
    source: Path | None = field(default=None, compare=False)


@dataclass(frozen=True)
class LoadedConfig:
    """A config and, when the file was not usable as written, why."""

    config: AppConfig
    problem: str | None = None


def default_config_path(environ: Mapping[str, str] | None = None) -> Path:
    """Where the config file lives: ``$PAPER_BROWSER_CONFIG`` or the platform's config folder."""
    env = os.environ if environ is None else environ
    override = env.get(CONFIG_ENV)
    if override:
        return Path(override).expanduser()
    return Path(user_config_dir("paper-browser")) / "config.toml"


def load_config(path: Path | None = None, environ: Mapping[str, str] | None = None) -> LoadedConfig:
    """Read the config file; never raises. A missing file is not a problem."""
    path = default_config_path(environ) if path is None else path
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return LoadedConfig(AppConfig())
    except OSError as error:
        return LoadedConfig(AppConfig(), f"Cannot read config {path}: {error.strerror or error}")
    try:
        table = tomllib.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        problem = f"Config {path} is not valid TOML ({error}); using defaults"
        return LoadedConfig(AppConfig(), problem)
    try:
        config = parse_config(table, source=path)
    except ValueError as error:
        return LoadedConfig(AppConfig(), f"Config {path}: {error}; using defaults")
    return LoadedConfig(config)


def parse_config(table: Mapping[str, object], *, source: Path | None = None) -> AppConfig:
    """Validate a parsed TOML table; raises ValueError naming the bad setting."""
    quick_tags = _quick_tags(table.get("quick_tags", list(DEFAULT_QUICK_TAGS)))
    auto_advance = table.get("auto_advance", False)
    if not isinstance(auto_advance, bool):
        raise ValueError("auto_advance must be true or false")
    theme = table.get("theme")
    if theme is not None and (not isinstance(theme, str) or not theme.strip()):
        raise ValueError("theme must be a theme name such as 'textual-dark'")
    return AppConfig(
        quick_tags=quick_tags,
        auto_advance=auto_advance,
        theme=theme.strip() if isinstance(theme, str) else None,
        source=source,
    )


def _quick_tags(value: object) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ValueError("quick_tags must be a list of strings")
    tags: list[str] = []
    seen: set[str] = set()
    for raw in value:
        tag = " ".join(raw.split())
        if not tag:
            raise ValueError("quick_tags contains an empty tag")
        if len(tag) > MAX_TAG_LENGTH or not tag.isprintable():
            raise ValueError(f"quick tag {tag[:20]!r}... is too long or has control characters")
        if tag.casefold() in seen:
            continue
        seen.add(tag.casefold())
        tags.append(tag)
    if len(tags) > MAX_QUICK_TAGS:
        raise ValueError(f"at most {MAX_QUICK_TAGS} quick_tags (keys 1-9), got {len(tags)}")
    return tuple(tags)
