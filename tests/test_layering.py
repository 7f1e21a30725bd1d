"""The data flows one way: pure stages never import Textual (only the app package and the
widgets do), only browser/search/ imports Whoosh."""

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


BROWSER = Path(__file__).resolve().parent.parent / "browser"
# The only places that may import Textual: the app package and its widgets.
TEXTUAL_PACKAGES = ("app", "widgets")


def test_only_the_app_and_its_widgets_import_textual() -> None:
    importing = re.compile(r"^\s*(?:import|from)\s+textual\b", re.MULTILINE)
    offenders = [
        str(path.relative_to(BROWSER))
        for path in BROWSER.rglob("*.py")
        if path.relative_to(BROWSER).parts[0] not in TEXTUAL_PACKAGES
        and importing.search(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []


def test_no_module_is_left_beside_the_app_package() -> None:
    """The app's modules live in browser/app/ (a stray browser/app_*.py would shadow nothing
    but split the app in two places)."""
    assert sorted(path.name for path in BROWSER.glob("app*.py")) == []


SEARCH = Path(__file__).resolve().parent.parent / "browser" / "search"


def _private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def test_only_whoosh_internals_touches_whooshs_private_names() -> None:
    """Elsewhere in the package a ``._name`` must be one the package itself defines, and
    no class may override a private method it inherits from Whoosh."""
    import ast
    import importlib
    import inspect

    # Every module of the package, sub-packages included, but the internals package.
    internals = SEARCH / "whoosh_internals"
    modules = sorted(p for p in SEARCH.rglob("*.py") if internals not in p.parents)
    assert len(modules) > 10
    ours: set[str] = set()
    used: list[tuple[str, str]] = []
    for path in modules:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.ClassDef) and _private(node.name):
                ours.add(node.name)
            elif isinstance(node, ast.Attribute) and _private(node.attr):
                if isinstance(node.ctx, ast.Store):
                    ours.add(node.attr)
                else:
                    used.append((path.name, node.attr))
            elif isinstance(node, ast.Name) and _private(node.id):
                ours.add(node.id)
    assert [(module, name) for module, name in used if name not in ours] == []
    for path in modules:
        module = importlib.import_module(f"browser.search.{path.stem}")
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if cls.__module__ != module.__name__:
                continue
            whoosh_bases = [b for b in cls.__mro__[1:] if b.__module__.startswith("whoosh")]
            overridden = [
                name
                for name in vars(cls)
                if _private(name) and any(name in vars(base) for base in whoosh_bases)
            ]
            assert overridden == [], (cls.__name__, overridden)
