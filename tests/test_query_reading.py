"""Rules of the search package's code itself: a flag that changes what a query means is
asked for, never defaulted; one cost model decides when an AND skips to its candidates."""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import browser.search
import browser.services

# Flags that change what a query means (the last word a prefix, or not).
READING_FLAGS = ("prefix_last_word", "being_typed")


def _functions(package: Any, private_only: bool) -> Iterator[tuple[str, Callable[..., Any]]]:
    for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
        module = importlib.import_module(info.name)
        for name, value in vars(module).items():
            if getattr(value, "__module__", None) != info.name:
                continue
            if inspect.isfunction(value):
                candidates = [(name, value)]
            elif inspect.isclass(value):
                candidates = [
                    (f"{name}.{attr}", inner)
                    for attr, inner in vars(value).items()
                    if inspect.isfunction(inner)
                ]
            else:
                continue
            for qualname, function in candidates:
                last = qualname.rsplit(".", 1)[-1]
                if not private_only or (last.startswith("_") and not last.endswith("__")):
                    yield f"{info.name}.{qualname}", function


def _reading_parameters() -> list[tuple[str, inspect.Parameter]]:
    found = []
    for package, private_only in ((browser.search, False), (browser.services, True)):
        for name, function in _functions(package, private_only):
            for parameter in inspect.signature(function).parameters.values():
                if parameter.name in READING_FLAGS:
                    found.append((name, parameter))
    return found


def test_the_reading_flags_are_found() -> None:
    names = {name for name, _ in _reading_parameters()}
    assert "browser.search.facade.PaperIndex.search" in names
    assert "browser.search.planning.QueryPlanner.plan" in names
    assert "browser.services.stats.StatsUseCases._papers_by_day" in names


@pytest.mark.parametrize(("name", "parameter"), _reading_parameters(), ids=lambda v: str(v))
def test_below_services_a_reading_flag_is_required(name: str, parameter: inspect.Parameter) -> None:
    """``prefix_last_word`` changes what ``diffus`` finds: a default below ``Services``
    gave every caller that forgot it a reading it did not ask for (the search package
    said True, ``Services`` False)."""
    assert parameter.kind is inspect.Parameter.KEYWORD_ONLY, name
    assert parameter.default is inspect.Parameter.empty, name


def test_a_search_without_its_reading_is_refused(tmp_path: Path) -> None:
    from browser.search import PaperIndex

    index = PaperIndex.create(tmp_path / "index")
    try:
        with pytest.raises(TypeError, match="prefix_last_word"):
            index.search("diffus")  # type: ignore[call-arg]
        with pytest.raises(TypeError, match="prefix_last_word"):
            index.matching_ids("diffus")  # type: ignore[call-arg]
    finally:
        index.close()


def _ratios_outside_kept() -> list[str]:
    """``len(...) * N`` with a number ``N`` in a comparison: a skip ratio of its own."""
    found = []
    folder = Path(browser.search.__file__).parent
    for path in sorted(folder.rglob("*.py")):
        if path.name == "kept.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Compare):
                continue
            for side in (node.left, *node.comparators):
                if not (isinstance(side, ast.BinOp) and isinstance(side.op, ast.Mult)):
                    continue
                operands = (side.left, side.right)
                if any(
                    isinstance(operand, ast.Constant) and isinstance(operand.value, int)
                    for operand in operands
                ) and any(
                    isinstance(operand, ast.Call) and ast.unparse(operand.func) == "len"
                    for operand in operands
                ):
                    found.append(f"{path.name}:{node.lineno}")
    return found


def test_one_cost_model_owns_the_skip_ratio() -> None:
    """Phrases and ordering compared ``len(...) * 8`` with a list's length themselves:
    ``kept.skips_to_candidates`` (an AND's skip) or a named constant with its reason."""
    assert _ratios_outside_kept() == []


def test_skipping_follows_the_one_ratio(monkeypatch: pytest.MonkeyPatch) -> None:
    from browser.search import kept

    assert kept.skips_to_candidates(10, 81) and not kept.skips_to_candidates(10, 80)
    monkeypatch.setattr(kept, "SKIP_RATIO", 100)
    assert not kept.skips_to_candidates(10, 81)
    assert kept.skip_cost(500, 500, 10) == 500
