"""The user's app settings: quick tags on keys 1-9, triage mode, theme.

Read from ``config.toml`` in the platform's config folder (or the file named by
``PAPER_BROWSER_CONFIG``). A missing file means defaults; a broken one means
defaults plus a message for the user, never an exception.

Example::

    quick_tags = ["to read", "read", "important", "later"]
    auto_advance = true        # move to the next paper after a quick tag
    theme = "textual-light"
    read_after_seconds = 3     # an abstract on screen this long marks the paper read; 0: never
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from platformdirs import user_config_dir

from browser.safe_text import safe_line
from browser.tagnames import TagError, clean_tag, tag_key
from browser.wording import noun_for

CONFIG_ENV = "PAPER_BROWSER_CONFIG"
MAX_QUICK_TAGS = 9
KNOWN_SETTINGS = frozenset({"quick_tags", "auto_advance", "theme", "read_after_seconds"})
DEFAULT_READ_AFTER_SECONDS = 3.0
MAX_READ_AFTER_SECONDS = 3600.0
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
    # Seconds an abstract stays on screen before its paper is marked read; 0 turns it off.
    read_after_seconds: float = DEFAULT_READ_AFTER_SECONDS
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
    """Read the config file; never raises. A missing file is not a problem.

    Each setting is checked on its own: a wrong one falls back to its default and
    is named in ``problem``, the others are used as written.
    """
    path = default_config_path(environ) if path is None else path
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return LoadedConfig(AppConfig())
    except OSError as error:
        return LoadedConfig(AppConfig(), f"Cannot read config {path}: {error.strerror or error}")
    import tomllib  # here: most launches have no config file to parse

    try:
        table = tomllib.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        problem = f"Config {path} is not valid TOML ({error}); using defaults"
        return LoadedConfig(AppConfig(), problem)
    config, problems = read_settings(table, source=path)
    if not problems:
        return LoadedConfig(config)
    return LoadedConfig(config, f"Config {path}: " + "; ".join(problems))


def parse_config(table: Mapping[str, object], *, source: Path | None = None) -> AppConfig:
    """Validate a parsed TOML table; raises ValueError naming every bad setting."""
    config, problems = read_settings(table, source=source)
    if problems:
        raise ValueError("; ".join(problems))
    return config


def read_settings(
    table: Mapping[str, object], *, source: Path | None = None
) -> tuple[AppConfig, list[str]]:
    """The settings in ``table``, each wrong one replaced by its default, and what was wrong.

    Problems are sentences fit to show the user, one per wrong setting (one per
    unusable quick tag), each saying what is used instead.
    """
    problems: list[str] = []
    defaults = AppConfig()
    quick_tags = defaults.quick_tags
    try:
        quick_tags = _quick_tags(table.get("quick_tags", list(DEFAULT_QUICK_TAGS)))
    except ValueError as error:
        problems.append(f"{error}; using the default quick tags")
    auto_advance = table.get("auto_advance", defaults.auto_advance)
    if not isinstance(auto_advance, bool):
        problems.append("auto_advance must be true or false; using false")
        auto_advance = defaults.auto_advance
    theme = table.get("theme")
    if theme is not None and (not isinstance(theme, str) or not theme.strip()):
        problems.append("theme must be a theme name such as 'textual-dark'; using the default")
        theme = None
    read_after = table.get("read_after_seconds", defaults.read_after_seconds)
    if (
        isinstance(read_after, bool)
        or not isinstance(read_after, int | float)
        or not 0 <= read_after <= MAX_READ_AFTER_SECONDS
    ):
        problems.append(
            f"read_after_seconds must be a number of seconds from 0 (never) to "
            f"{MAX_READ_AFTER_SECONDS:.0f}; using {DEFAULT_READ_AFTER_SECONDS:.0f}"
        )
        read_after = defaults.read_after_seconds
    unknown = sorted(set(table) - KNOWN_SETTINGS)
    if unknown:
        problems.append(
            f"unknown {noun_for(len(unknown), 'setting')} {', '.join(unknown)} ignored "
            f"(known: {', '.join(sorted(KNOWN_SETTINGS))})"
        )
    config = AppConfig(
        quick_tags=quick_tags,
        auto_advance=auto_advance,
        theme=theme.strip() if isinstance(theme, str) else None,
        read_after_seconds=float(read_after),
        source=source,
    )
    return config, problems


def _quick_tags(value: object) -> tuple[str, ...]:
    """The quick tags, each checked with the tag store's own rules.

    Raises ValueError naming every unusable tag (with its key), so a user fixes
    them all at once.
    """
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ValueError("quick_tags must be a list of strings")
    tags: list[str] = []
    seen: set[str] = set()
    bad: list[str] = []
    for slot, raw in enumerate(value, start=1):
        try:
            tag = clean_tag(raw)
        except TagError as error:
            bad.append(f"quick tag {slot} {safe_line(repr(raw))} cannot be used: {error}")
            continue
        if tag_key(tag) in seen:
            continue
        seen.add(tag_key(tag))
        tags.append(tag)
    if bad:
        raise ValueError("; ".join(bad))
    if len(tags) > MAX_QUICK_TAGS:
        raise ValueError(f"at most {MAX_QUICK_TAGS} quick_tags (keys 1-9), got {len(tags)}")
    return tuple(tags)
