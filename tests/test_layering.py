"""The data flows one way: pure stages never import Textual, only browser/search/ imports Whoosh."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

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
def test_only_the_search_package_imports_whoosh(module: str) -> None:
    loaded = _loaded_after_import(module)
    assert "whoosh" not in loaded


def test_no_module_outside_the_search_package_imports_whoosh() -> None:
    browser = Path(__file__).resolve().parent.parent / "browser"
    importing = re.compile(r"^\s*(?:import|from)\s+whoosh\b", re.MULTILINE)
    offenders = [
        str(path.relative_to(browser))
        for path in browser.rglob("*.py")
        if "search" not in path.relative_to(browser).parts[:1]
        and importing.search(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []
