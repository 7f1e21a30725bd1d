"""The data flows one way: pure stages never import Textual, only index.py imports Whoosh."""

from __future__ import annotations

import subprocess
import sys

import pytest

CORE_MODULES = [
    "browser.models",
    "browser.identity",
    "browser.parse",
    "browser.library",
    "browser.tags",
    "browser.export",
    "browser.config",
    "browser.safe_text",
    "browser.services",
    "browser.cli",
]


def _loaded_after_import(module: str) -> set[str]:
    code = f"import sys, {module}; print('\\n'.join(sorted(sys.modules)))"
    output = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    return set(output.split())


@pytest.mark.parametrize("module", CORE_MODULES)
def test_core_modules_do_not_import_textual(module: str) -> None:
    loaded = _loaded_after_import(module)
    assert not any(name == "textual" or name.startswith("textual.") for name in loaded)


@pytest.mark.parametrize("module", [m for m in CORE_MODULES if m != "browser.services"])
def test_only_the_index_imports_whoosh(module: str) -> None:
    loaded = _loaded_after_import(module)
    assert "whoosh" not in loaded
